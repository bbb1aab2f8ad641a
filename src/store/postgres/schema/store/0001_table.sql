-- One store's table: every key of the store with its value. Applied once per store, with
-- {{store}} replaced by the store's name and {{table}} by its table's ("kv_" + name); both are
-- [a-z0-9_] only, checked before they get here.
--
-- bytea orders bytewise (memcmp, then the shorter first): the order of the KvStore contract, so
-- the primary key's index serves point reads and ordered prefix scans alike. A fillfactor below
-- 100 leaves room on each page for the new version of an updated row (a HOT update, which
-- does not touch the index). Values are ciphertext: EXTERNAL storage never tries to compress
-- them.
CREATE TABLE {{table}} (
  key bytea PRIMARY KEY CHECK (octet_length(key) > 0),
  value bytea NOT NULL
) WITH (fillfactor = 90);
ALTER TABLE {{table}} ALTER COLUMN value SET STORAGE EXTERNAL;
INSERT INTO domicile_stores (name, table_name) VALUES ('{{store}}', '{{table}}');
