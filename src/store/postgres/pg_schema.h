// The PostgreSQL schema and its migrations. Two kinds of numbered SQL files, embedded at build
// time (schema_files.h):
//
//   schema/NNNN_<what>.sql        the database's own tables, applied once per database
//   schema/store/NNNN_<what>.sql  one store's table, applied once per store, with {{store}}
//                                 and {{table}} replaced by its name and its table's name
//
// Each applied file is recorded in domicile_schema_migrations (scope "database" or
// "store:<name>", version, file name). A store applies what is missing when it opens: in one
// transaction, under a transaction-level advisory lock, so that nodes starting together against
// one database apply each file exactly once (the others wait, then find it recorded). When
// nothing is missing, opening takes no lock and needs no privilege beyond reading that table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/postgres/pg_connection.h"

namespace domicile::store::postgres {

// The key of the advisory lock held while migrating ('domicile' in ASCII).
inline constexpr int64_t kSchemaLockKey = 0x646f6d6963696c65;

struct Migration {
  int version = 0;       // NNNN
  std::string file;      // "0001_stores.sql"
  std::string_view sql;  // with {{store}} and {{table}} still in a store migration
};

struct SchemaMigrations {
  std::vector<Migration> database;  // ascending versions 1, 2, ...
  std::vector<Migration> store;
};

// The embedded files, checked: names NNNN_[a-z0-9_]+.sql, versions 1, 2, ... without gaps in
// each kind. Internal when the build embedded a malformed set (a unit test checks it).
absl::StatusOr<SchemaMigrations> EmbeddedMigrations();

// The table that holds store `name`'s data.
std::string StoreTableName(std::string_view name);

// Applies every migration that the database and store `name` lack (see above), on
// `connection`. FailedPrecondition when the database holds a version this binary does not know
// (a newer domicile migrated it) or a recorded file name differs from ours.
// REQUIRES: `name` is a valid store name ([a-z0-9_]{1,48}).
absl::Status MigrateSchema(PgConnection& connection, std::string_view name);

// Removes store `name`: its table with all its data, its row in domicile_stores and the record
// of its migrations, in one transaction under the migrations' lock. OK if it does not exist.
// REQUIRES: `name` is a valid store name.
absl::Status DropStoreSchema(PgConnection& connection, std::string_view name);

}  // namespace domicile::store::postgres
