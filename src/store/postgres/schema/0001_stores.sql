-- The stores that keep their data in this database, one row per store, added by the store's own
-- first migration (store/0001_table.sql). What an operator lists to see which sites share the
-- database; domicile itself reads nothing from it.
CREATE TABLE domicile_stores (
  name text PRIMARY KEY,
  table_name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
