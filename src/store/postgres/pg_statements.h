// The SQL of a store, one prepared statement each, for its table. Parameters are binary
// (bytea, bytea[] as ByteaArray, int4 as PgInt4); results are binary.
#pragma once

#include <string_view>

#include "store/postgres/pg_connection.h"

namespace domicile::store::postgres {

struct StoreStatements {
  explicit StoreStatements(std::string_view table);

  PgStatement get;    // $1 key -> value (no row: absent)
  PgStatement put;    // $1 key, $2 value
  PgStatement erase;  // $1 key
  // $1 keys to delete, $2 keys and $3 values to put: one statement, atomic on its own. The
  // keys of $1 and $2 are distinct (a batch's last operation on each key).
  PgStatement write;
  // write, only if every expectation holds: $1 keys and $2 values expected (NULL: absent);
  // $3..$5 as write's $1..$3. Returns the key of a failed expectation (no row: written).
  PgStatement write_if;
  // Up to $2 rows (key, value) with key >= $1, by key.
  PgStatement scan;
  // Up to $3 rows with $1 <= key < $2, by key.
  PgStatement scan_bounded;
};

}  // namespace domicile::store::postgres
