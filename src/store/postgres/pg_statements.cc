#include "store/postgres/pg_statements.h"

#include "fmt/format.h"

namespace domicile::store::postgres {

StoreStatements::StoreStatements(std::string_view t)
    : get{"get", fmt::format("SELECT value FROM {} WHERE key = $1::bytea", t)},
      put{"put", fmt::format("INSERT INTO {} (key, value) VALUES ($1::bytea, $2::bytea) "
                             "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                             t)},
      erase{"delete", fmt::format("DELETE FROM {} WHERE key = $1::bytea", t)},
      write{"write",
            fmt::format("WITH deleted AS (DELETE FROM {0} WHERE key = ANY($1::bytea[])) "
                        "INSERT INTO {0} (key, value) SELECT * FROM unnest($2::bytea[], "
                        "$3::bytea[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        t)},
      // Run in a SERIALIZABLE transaction (postgres_store.cc says why). Every part of one
      // statement sees the same snapshot; the check reads each expected key through the index
      // (a correlated lookup, not a join that could scan the table), so that the predicate
      // locks it leaves cover just those keys.
      write_if{"write_if", fmt::format("WITH expected (key, value) AS ("
                                       "  SELECT * FROM unnest($1::bytea[], $2::bytea[])), "
                                       "failed AS ("
                                       "  SELECT e.key FROM expected e "
                                       "  WHERE (SELECT t.value FROM {0} t WHERE t.key = e.key) "
                                       "        IS DISTINCT FROM e.value LIMIT 1), "
                                       "deleted AS ("
                                       "  DELETE FROM {0} WHERE key = ANY($3::bytea[]) "
                                       "  AND NOT EXISTS (SELECT FROM failed)), "
                                       "written AS ("
                                       "  INSERT INTO {0} (key, value) "
                                       "  SELECT * FROM unnest($4::bytea[], $5::bytea[]) "
                                       "  WHERE NOT EXISTS (SELECT FROM failed) "
                                       "  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value) "
                                       "SELECT key FROM failed",
                                       t)},
      scan{"scan",
           fmt::format(
               "SELECT key, value FROM {} WHERE key >= $1::bytea ORDER BY key LIMIT $2::int4", t)},
      scan_bounded{"scan_bounded",
                   fmt::format("SELECT key, value FROM {} WHERE key >= $1::bytea AND key < "
                               "$2::bytea ORDER BY key LIMIT $3::int4",
                               t)} {}

}  // namespace domicile::store::postgres
