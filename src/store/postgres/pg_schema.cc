#include "store/postgres/pg_schema.h"

#include <map>
#include <utility>

#include "absl/strings/str_replace.h"
#include "fmt/format.h"
#include "store/postgres/pg_error.h"
#include "store/postgres/schema_files.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::store::postgres {
namespace {

constexpr std::string_view kStoreDir = "store/";
constexpr std::string_view kDatabaseScope = "database";

// The record of applied files. Created by the code rather than by a file: the files' own
// bookkeeping needs it first.
constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS domicile_schema_migrations (
  scope text NOT NULL,
  version integer NOT NULL,
  file text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, version)
))sql";

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "NNNN_<what>.sql" -> NNNN, or 0 when malformed.
int VersionOf(std::string_view file) {
  constexpr std::string_view kSuffix = ".sql";
  if (file.size() < 4 + 1 + 1 + kSuffix.size() || !file.ends_with(kSuffix) || file[4] != '_') {
    return 0;
  }
  int version = 0;
  for (char c : file.substr(0, 4)) {
    if (!IsDigit(c)) return 0;
    version = version * 10 + (c - '0');
  }
  for (char c : file.substr(5, file.size() - 5 - kSuffix.size())) {
    if (!IsNameChar(c)) return 0;
  }
  return version;
}

using Applied = std::map<int, std::string>;  // version -> file

// The files recorded for `scope` (the table may not exist yet: the caller handles 42P01).
absl::StatusOr<Applied> ReadApplied(PgConnection& connection, std::string_view scope) {
  ASSIGN_OR_RETURN(PgResult rows,
                   connection.ExecText("read schema migrations",
                                       fmt::format("SELECT version, file FROM "
                                                   "domicile_schema_migrations WHERE scope = '{}'",
                                                   scope)));
  Applied applied;
  for (int r = 0; r < rows.rows(); ++r) {
    applied[std::stoi(std::string(rows.Get(r, 0)))] = std::string(rows.Get(r, 1));
  }
  return applied;
}

// The migrations of `ours` missing from `applied`; FailedPrecondition when `applied` holds one
// this binary does not have.
absl::StatusOr<std::vector<const Migration*>> Missing(const std::vector<Migration>& ours,
                                                      const Applied& applied,
                                                      std::string_view scope) {
  std::vector<const Migration*> missing;
  for (const Migration& m : ours) {
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      missing.push_back(&m);
    } else if (it->second != m.file) {
      return absl::FailedPreconditionError(ToAbsl(
          fmt::format("postgres schema: {} version {} was applied as {}, but this domicile has {}",
                      scope, m.version, it->second, m.file)));
    }
  }
  if (!applied.empty() && applied.rbegin()->first > static_cast<int>(ours.size())) {
    return absl::FailedPreconditionError(ToAbsl(fmt::format(
        "postgres schema: {} is at version {} ({}), newer than this domicile knows ({}); run a "
        "newer domicile",
        scope, applied.rbegin()->first, applied.rbegin()->second, ours.size())));
  }
  return missing;
}

// The transaction that applies what is missing; left open on error (the caller rolls back).
absl::Status ApplyLocked(PgConnection& connection, const SchemaMigrations& ours,
                         std::string_view name) {
  RETURN_IF_ERROR(connection.ExecText("begin migration", "BEGIN").status());
  RETURN_IF_ERROR(
      connection
          .ExecText("lock schema", fmt::format("SELECT pg_advisory_xact_lock({})", kSchemaLockKey))
          .status());
  RETURN_IF_ERROR(
      connection.ExecText("create domicile_schema_migrations", kCreateMigrationsTable).status());
  const std::string store_scope = fmt::format("store:{}", name);
  const std::string table = StoreTableName(name);
  for (const auto& [scope, migrations] :
       {std::pair<std::string_view, const std::vector<Migration>*>{kDatabaseScope, &ours.database},
        {store_scope, &ours.store}}) {
    // Read again under the lock: another node may have applied them while we waited.
    ASSIGN_OR_RETURN(Applied applied, ReadApplied(connection, scope));
    ASSIGN_OR_RETURN(std::vector<const Migration*> missing, Missing(*migrations, applied, scope));
    for (const Migration* m : missing) {
      const std::string sql =
          absl::StrReplaceAll(ToAbsl(m->sql), {{"{{store}}", ToAbsl(name)}, {"{{table}}", table}});
      RETURN_IF_ERROR(
          connection.ExecText(fmt::format("migration {} {}", scope, m->file), sql).status());
      RETURN_IF_ERROR(connection
                          .ExecText("record migration",
                                    fmt::format("INSERT INTO domicile_schema_migrations (scope, "
                                                "version, file) VALUES ('{}', {}, '{}')",
                                                scope, m->version, m->file))
                          .status());
    }
  }
  return connection.ExecText("commit migration", "COMMIT").status();
}

}  // namespace

absl::StatusOr<SchemaMigrations> EmbeddedMigrations() {
  SchemaMigrations out;
  for (const SchemaFile& f : EmbeddedSchemaFiles()) {
    const bool per_store = f.path.starts_with(kStoreDir);
    const std::string_view file = per_store ? f.path.substr(kStoreDir.size()) : f.path;
    std::vector<Migration>& list = per_store ? out.store : out.database;
    const int version = VersionOf(file);
    if (version != static_cast<int>(list.size()) + 1) {
      return absl::InternalError(ToAbsl(fmt::format(
          "postgres schema: embedded file {} is not NNNN_name.sql numbered {} (files are "
          "numbered 0001, 0002, ... in schema/ and in schema/store/)",
          f.path, list.size() + 1)));
    }
    list.push_back({version, std::string(file), f.sql});
  }
  return out;
}

std::string StoreTableName(std::string_view name) { return fmt::format("kv_{}", name); }

absl::Status MigrateSchema(PgConnection& connection, std::string_view name) {
  ASSIGN_OR_RETURN(SchemaMigrations ours, EmbeddedMigrations());
  const std::string store_scope = fmt::format("store:{}", name);
  // Without the lock first: once every file is applied, opening a store only reads.
  absl::StatusOr<Applied> database = ReadApplied(connection, kDatabaseScope);
  if (database.ok()) {
    ASSIGN_OR_RETURN(std::vector<const Migration*> missing_database,
                     Missing(ours.database, *database, kDatabaseScope));
    ASSIGN_OR_RETURN(Applied store, ReadApplied(connection, store_scope));
    ASSIGN_OR_RETURN(std::vector<const Migration*> missing_store,
                     Missing(ours.store, store, store_scope));
    if (missing_database.empty() && missing_store.empty()) return absl::OkStatus();
  } else if (SqlStateOf(database.status()) != "42P01") {  // not merely "no such table" yet
    return database.status();
  }
  absl::Status applied = ApplyLocked(connection, ours, name);
  if (!applied.ok()) connection.RollbackIfInTransaction().IgnoreError();
  return applied;
}

absl::Status DropStoreSchema(PgConnection& connection, std::string_view name) {
  auto drop = [&]() -> absl::Status {
    RETURN_IF_ERROR(
        connection
            .ExecText("drop store",
                      fmt::format("BEGIN; SELECT pg_advisory_xact_lock({})", kSchemaLockKey))
            .status());
    // No record of migrations: nothing was ever created here.
    ASSIGN_OR_RETURN(PgResult migrated,
                     connection.ExecText("drop store",
                                         "SELECT to_regclass("
                                         "'domicile_schema_migrations') IS NOT NULL"));
    if (migrated.Get(0, 0) != "t") return connection.ExecText("drop store", "ROLLBACK").status();
    return connection
        .ExecText("drop store",
                  fmt::format("DROP TABLE IF EXISTS {0}; DELETE FROM domicile_stores WHERE name = "
                              "'{1}'; DELETE FROM domicile_schema_migrations WHERE scope = "
                              "'store:{1}'; COMMIT",
                              StoreTableName(name), name))
        .status();
  };
  absl::Status dropped = drop();
  if (!dropped.ok()) connection.RollbackIfInTransaction().IgnoreError();
  return dropped;
}

}  // namespace domicile::store::postgres
