// The PostgreSQL backend against the throwaway cluster (postgres_testing.h): the KvStore
// conformance suite, unchanged, and what only a server-backed store has to get right —
// unreachable servers, lost connections, the schema's migrations, the SQLSTATE mapping, names
// and passwords. Races between two stores on one table: postgres_store_race_test.cc.
#include "store/postgres/postgres_store.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/kv_store_conformance.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_error.h"
#include "store/postgres/postgres_testing.h"
#include "util/status_matchers.h"

namespace domicile::store {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::domicile::testing::TestPostgresUrl;
using ::domicile::testing::UniqueTestStoreName;
using postgres::Conninfo;
using postgres::PgConnection;
using ::testing::HasSubstr;
using ::testing::Not;

// The conformance suite names a store by its temporary directory: each directory gets a
// store name of its own, the same one each time it is reopened.
std::string StoreNameFor(const std::filesystem::path& dir) {
  static std::mutex mu;
  static auto* names = new std::map<std::filesystem::path, std::string>;
  std::lock_guard lock(mu);
  auto [it, added] = names->try_emplace(dir);
  if (added) it->second = UniqueTestStoreName("conf");
  return it->second;
}

INSTANTIATE_TEST_SUITE_P(
    Postgres, KvStoreConformanceTest,
    ::testing::Values(KvStoreBackend{
        "Postgres",
        [](const std::filesystem::path& dir) -> absl::StatusOr<std::unique_ptr<KvStore>> {
          ASSIGN_OR_RETURN(std::string url, TestPostgresUrl());  // Unavailable: skip (CI: fail)
          return OpenPostgresStore(url, StoreNameFor(dir));
        },
    }),
    KvStoreBackendName);

// `url` with one more query parameter.
std::string WithParam(std::string_view url, std::string_view param) {
  return fmt::format("{}{}{}", url, url.find('?') == std::string_view::npos ? '?' : '&', param);
}

// A connection of the test's own, for what the KvStore does not do.
std::unique_ptr<PgConnection> Admin(const std::string& url) {
  absl::StatusOr<Conninfo> info = Conninfo::Parse(url);
  EXPECT_OK(info);
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(*info, PgConnection::Options());
  EXPECT_OK(connection);
  return connection.ok() ? *std::move(connection) : nullptr;
}

// The single value `sql` returns, as text.
std::string QueryOne(PgConnection& admin, const std::string& sql) {
  absl::StatusOr<postgres::PgResult> result = admin.ExecText("test query", sql);
  if (!result.ok() || result->rows() != 1) {
    ADD_FAILURE() << sql << ": " << result.status();
    return "<error>";
  }
  return std::string(result->Get(0, 0));
}

// A port on 127.0.0.1 that nobody listens on: bound by the returned socket, never listening.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot bind a port";
    }
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

constexpr std::string_view kPassword = "Sekr1t-Passw0rd";

TEST(PostgresStoreOpenTest, UnreachableServerIsUnavailable) {
  DeadPort dead;
  EXPECT_THAT(
      OpenPostgresStore(fmt::format("postgres://postgres@127.0.0.1:{}/domicile", dead.port()), "x"),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1")));
}

TEST(PostgresStoreOpenTest, ThePasswordNeverAppearsInAnError) {
  DeadPort dead;
  const std::string conninfos[] = {
      fmt::format("postgres://postgres:{}@127.0.0.1:{}/domicile", kPassword, dead.port()),
      fmt::format("host=127.0.0.1 port={} password={} dbname=domicile", dead.port(), kPassword),
      // Malformed, each in its own way: libpq's messages quote the offending part.
      fmt::format("host=127.0.0.1 password {}", kPassword),
      fmt::format("host=127.0.0.1 password='{}", kPassword),
      fmt::format("postgres://postgres:{}%zz@127.0.0.1/domicile", kPassword),
      fmt::format("postgres://postgres:{}@127.0.0.1:notaport/domicile", kPassword),
      fmt::format("postgres://postgres:{}@127.0.0.1/domicile?nosuchoption={}", kPassword,
                  kPassword),
  };
  for (const std::string& conninfo : conninfos) {
    absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPostgresStore(conninfo, "x");
    EXPECT_THAT(store, Not(IsOk())) << conninfo;
    EXPECT_THAT(std::string(store.status().message()), Not(HasSubstr(std::string(kPassword))))
        << conninfo;
  }
}

TEST(PostgresStoreOpenTest, BadStoreNamesAreRefused) {
  for (const std::string& name :
       {std::string(), std::string("Upper"), std::string("with-dash"), std::string("semi;colon"),
        std::string("a b"), std::string("kv\"x"), std::string("caf\xc3\xa9"),
        std::string(49, 'a')}) {
    EXPECT_THAT(OpenPostgresStore("postgres://127.0.0.1/x", name),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << name;
  }
  EXPECT_TRUE(IsValidPostgresStoreName(std::string(48, 'a')));
  EXPECT_TRUE(IsValidPostgresStoreName("site_us_1"));
}

class PostgresStoreTest : public domicile::testing::PostgresTest {};

TEST_F(PostgresStoreTest, TheLongestNameOpens) {
  const std::string name = UniqueTestStoreName("long");
  ASSERT_OK_AND_ASSIGN(auto store,
                       OpenPostgresStore(url(), name + std::string(48 - name.size(), 'z')));
  ASSERT_OK(store->Put("k", "v"));
}

TEST_F(PostgresStoreTest, ThePasswordOfAFailedLoginIsNotInTheError) {
  // Trust authentication accepts any password, but not a user that does not exist.
  absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPostgresStore(
      WithParam(url(), fmt::format("user=nobody_here&password={}", kPassword)), "x");
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("nobody_here")));
  EXPECT_THAT(std::string(store.status().message()), Not(HasSubstr(std::string(kPassword))));
}

TEST_F(PostgresStoreTest, StoresOfDifferentNamesAreSeparate) {
  ASSERT_OK_AND_ASSIGN(auto a, OpenPostgresStore(url(), UniqueTestStoreName("sep")));
  ASSERT_OK_AND_ASSIGN(auto b, OpenPostgresStore(url(), UniqueTestStoreName("sep")));
  ASSERT_OK(a->Put("key", "a"));
  ASSERT_OK(b->Put("key", "b"));
  ASSERT_OK(b->Put("only-b", "b"));
  EXPECT_EQ(a->Get("key").value_or("<error>"), "a");
  EXPECT_THAT(a->Get("only-b"), StatusIs(absl::StatusCode::kNotFound));
  int seen = 0;
  ASSERT_OK(a->Scan("", [&](std::string_view, std::string_view) { return ++seen > 0; }));
  EXPECT_EQ(seen, 1);
}

TEST_F(PostgresStoreTest, SqlStatesMapToStatusCodes) {
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  const std::pair<std::string, absl::StatusCode> cases[] = {
      {"40001", absl::StatusCode::kAborted},
      {"40P01", absl::StatusCode::kAborted},
      {"23505", absl::StatusCode::kAlreadyExists},
      {"08006", absl::StatusCode::kUnavailable},
      {"57P01", absl::StatusCode::kUnavailable},
      {"57P03", absl::StatusCode::kUnavailable},
      {"53100", absl::StatusCode::kResourceExhausted},
      {"53300", absl::StatusCode::kResourceExhausted},
      {"57014", absl::StatusCode::kDeadlineExceeded},
      {"42501", absl::StatusCode::kInternal},
      {"XX000", absl::StatusCode::kInternal},
  };
  for (const auto& [sqlstate, code] : cases) {
    absl::StatusOr<postgres::PgResult> result = admin->ExecText(
        "raise",
        fmt::format("DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{}'; END $$", sqlstate));
    EXPECT_THAT(result, StatusIs(code, HasSubstr("SQLSTATE " + sqlstate))) << sqlstate;
    EXPECT_EQ(postgres::SqlStateOf(result.status()).value_or(""), sqlstate);
    EXPECT_EQ(postgres::IsRetryableTransactionError(result.status()),
              sqlstate == "40001" || sqlstate == "40P01");
  }
  // And errors the server makes itself.
  EXPECT_THAT(admin->ExecText("divide", "SELECT 1/0"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("22012")));
  EXPECT_THAT(admin->ExecText("duplicate",
                              "CREATE TEMP TABLE u (k int PRIMARY KEY); "
                              "INSERT INTO u VALUES (1), (1)"),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PostgresStoreTest, ReconnectsAfterItsConnectionsAreTerminated) {
  const std::string app = UniqueTestStoreName("app");
  ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(WithParam(url(), "application_name=" + app),
                                                     UniqueTestStoreName("kill")));
  // The snapshot takes the connection that the store opened with; the put opens another.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snapshot, store->GetSnapshot());
  ASSERT_OK(store->Put("k", "v"));
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  const std::string backends =
      fmt::format("FROM pg_stat_activity WHERE application_name = '{}'", app);
  EXPECT_EQ(QueryOne(*admin, "SELECT count(*) " + backends), "2");  // the pool's, the snapshot's
  ASSERT_OK(admin->ExecText("kill", "SELECT pg_terminate_backend(pid) " + backends));
  while (QueryOne(*admin, "SELECT count(*) " + backends) != "0") {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // The snapshot's transaction is gone with its connection; the store opens new ones.
  EXPECT_THAT(snapshot->Get("k"), StatusIs(absl::StatusCode::kUnavailable));
  snapshot.reset();
  EXPECT_EQ(store->Get("k").value_or("<error>"), "v");
  WriteBatch conditional;
  conditional.Expect("k", "v");
  conditional.Put("k", "v2");
  EXPECT_OK(store->Write(conditional));
  EXPECT_EQ(store->Get("k").value_or("<error>"), "v2");
}

TEST_F(PostgresStoreTest, StatementTimeoutIsDeadlineExceeded) {
  const std::string name = UniqueTestStoreName("timeout");
  PostgresOptions options;
  options.statement_timeout = std::chrono::milliseconds(200);
  ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(url(), name, options));
  ASSERT_OK(store->Put("k", "v"));
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  ASSERT_OK(admin->ExecText("lock", fmt::format("BEGIN; SELECT FROM kv_{} WHERE key = 'k'::bytea "
                                                "FOR UPDATE",
                                                name)));
  EXPECT_THAT(store->Put("k", "blocked"), StatusIs(absl::StatusCode::kDeadlineExceeded));
  ASSERT_OK(admin->ExecText("unlock", "ROLLBACK"));
  EXPECT_OK(store->Put("k", "free"));
}

TEST_F(PostgresStoreTest, APoolInUseForTooLongIsResourceExhausted) {
  PostgresOptions options;
  options.pool_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(url(), UniqueTestStoreName("pool"), options));
  ASSERT_OK(store->Put("k", "v"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snapshot, store->GetSnapshot());
  EXPECT_THAT(store->Get("k"), StatusIs(absl::StatusCode::kResourceExhausted));
  snapshot.reset();  // gives its connection back
  EXPECT_EQ(store->Get("k").value_or("<error>"), "v");
}

TEST_F(PostgresStoreTest, AScanOfManyPagesIsOneViewAndItsCallbackMayUseTheStore) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(url(), UniqueTestStoreName("pages")));
  // 12 MiB: the first page, then several pages (of about 4 MiB) in the scan's transaction.
  constexpr int kKeys = 3000;
  const std::string padding(4096, 'x');
  WriteBatch batch;
  for (int i = 0; i < kKeys; ++i) {
    batch.Put(fmt::format("p/{:05}", i), fmt::format("old {} {}", i, padding));
  }
  ASSERT_OK(store->Write(batch));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snapshot, store->GetSnapshot());
  int seen = 0;
  bool old_values = true;
  std::string last;
  ASSERT_OK(store->Scan("p/", [&](std::string_view key, std::string_view value) {
    if (seen++ == 0) {  // changes behind the scan's back, through other connections
      WriteBatch later;
      later.Delete(fmt::format("p/{:05}", kKeys - 1));
      later.Put("p/99999", "new");
      later.Put("p/01500", "new");
      EXPECT_OK(store->Write(later));
      EXPECT_EQ(store->Get("p/01500").value_or("<error>"), "new");
    }
    old_values = old_values && value.starts_with("old");
    last = key;
    return true;
  }));
  EXPECT_EQ(seen, kKeys);
  EXPECT_TRUE(old_values);
  EXPECT_EQ(last, fmt::format("p/{:05}", kKeys - 1));
  // ScanFrom resumes in the middle, across pages too.
  seen = 0;
  ASSERT_OK(store->ScanFrom("p/", "p/01000", [&](std::string_view, std::string_view) {
    ++seen;
    return true;
  }));
  EXPECT_EQ(seen, kKeys - 1000);  // one deleted, one added
  // A snapshot pages through the same way.
  seen = 0;
  old_values = true;
  ASSERT_OK(snapshot->Scan("p/", [&](std::string_view, std::string_view value) {
    old_values = old_values && value.starts_with("old");
    return ++seen > 0;
  }));
  EXPECT_EQ(seen, kKeys);
  EXPECT_TRUE(old_values);
}

TEST_F(PostgresStoreTest, BatchesLargerThanAStatementAreStillAtomic) {
  PostgresOptions options;
  options.max_statement_bytes = 4096;  // about 4 operations of 1 KiB per statement
  ASSERT_OK_AND_ASSIGN(auto store,
                       OpenPostgresStore(url(), UniqueTestStoreName("chunks"), options));
  const std::string value(1024, 'v');
  ASSERT_OK(store->Put("guard", "1"));
  ASSERT_OK(store->Put("big/0000", "to be deleted"));
  auto big_batch = [&](int n) {
    WriteBatch batch;
    batch.Delete("big/0000");
    for (int i = 1; i < n; ++i) batch.Put(fmt::format("big/{:04}", i), value);
    return batch;
  };
  auto count = [&] {
    int n = 0;
    EXPECT_OK(store->Scan("big/", [&](std::string_view, std::string_view) { return ++n > 0; }));
    return n;
  };

  WriteBatch failing = big_batch(100);
  failing.Expect("guard", "0");
  EXPECT_THAT(store->Write(failing), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(count(), 1);  // nothing written: big/0000 still there

  WriteBatch holding = big_batch(100);
  holding.Expect("guard", "1");
  ASSERT_OK(store->Write(holding));
  EXPECT_EQ(count(), 99);
  EXPECT_THAT(store->Get("big/0000"), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK(store->WriteBulk(big_batch(200)));
  EXPECT_EQ(count(), 199);
}

TEST_F(PostgresStoreTest, SchemaMigrationIsIdempotentAndSafeWhenStoresOpenTogether) {
  const std::string name = UniqueTestStoreName("mig");
  std::vector<std::thread> openers;
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    openers.emplace_back([&] {
      absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPostgresStore(url(), name);
      if (!store.ok() || !(*store)->Put("k", "v").ok()) ++failures;
    });
  }
  for (std::thread& t : openers) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(QueryOne(*admin, fmt::format("SELECT count(*) FROM domicile_schema_migrations "
                                         "WHERE scope = 'store:{}'",
                                         name)),
            "1");
  EXPECT_EQ(QueryOne(*admin,
                     fmt::format("SELECT table_name FROM domicile_stores WHERE name = '{}'", name)),
            "kv_" + name);
  ASSERT_OK_AND_ASSIGN(auto again, OpenPostgresStore(url(), name));
  EXPECT_EQ(again->Get("k").value_or("<error>"), "v");
}

TEST_F(PostgresStoreTest, AFreshDatabaseIsMigratedOnceByStoresOpeningTogether) {
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  const std::string database = UniqueTestStoreName("db");
  ASSERT_OK(admin->ExecText("create database", "CREATE DATABASE " + database));
  {
    std::vector<std::thread> openers;
    std::atomic<int> failures{0};
    for (int i = 0; i < 6; ++i) {
      openers.emplace_back([&, i] {
        absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPostgresStore(
            WithParam(url(), "dbname=" + database), fmt::format("store_{}", i % 3));
        if (!store.ok()) {
          ADD_FAILURE() << store.status();
          ++failures;
        }
      });
    }
    for (std::thread& t : openers) t.join();
    EXPECT_EQ(failures.load(), 0);
    std::unique_ptr<PgConnection> in_db = Admin(WithParam(url(), "dbname=" + database));
    ASSERT_NE(in_db, nullptr);
    EXPECT_EQ(QueryOne(*in_db,
                       "SELECT string_agg(scope || ' ' || version || ' ' || file, ', ' "
                       "ORDER BY scope) FROM domicile_schema_migrations"),
              "database 1 0001_stores.sql, store:store_0 1 0001_table.sql, "
              "store:store_1 1 0001_table.sql, store:store_2 1 0001_table.sql");
  }
  ASSERT_OK(
      admin->ExecText("drop database", fmt::format("DROP DATABASE {} WITH (FORCE)", database)));
}

TEST_F(PostgresStoreTest, ASchemaNewerThanThisBinaryIsRefused) {
  const std::string name = UniqueTestStoreName("newer");
  ASSERT_OK(OpenPostgresStore(url(), name));
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  ASSERT_OK(
      admin->ExecText("future migration",
                      fmt::format("INSERT INTO domicile_schema_migrations (scope, version, file) "
                                  "VALUES ('store:{}', 99, '0099_future.sql')",
                                  name)));
  EXPECT_THAT(OpenPostgresStore(url(), name),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer")));
}

TEST_F(PostgresStoreTest, ADroppedStoreIsGoneAndOpensEmpty) {
  const std::string name = UniqueTestStoreName("drop");
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(url(), name));
    ASSERT_OK(store->Put("k", "v"));
  }
  ASSERT_OK(DropPostgresStore(url(), name));
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(QueryOne(*admin, fmt::format("SELECT to_regclass('kv_{}') IS NULL", name)), "t");
  EXPECT_EQ(
      QueryOne(*admin, fmt::format("SELECT count(*) FROM domicile_stores WHERE name = '{}'", name)),
      "0");
  ASSERT_OK_AND_ASSIGN(auto reopened, OpenPostgresStore(url(), name));
  EXPECT_THAT(reopened->Get("k"), StatusIs(absl::StatusCode::kNotFound));
  reopened.reset();
  ASSERT_OK(DropPostgresStore(url(), name));
  EXPECT_OK(DropPostgresStore(url(), name));  // already gone
  EXPECT_THAT(DropPostgresStore(url(), "Bad-Name"), StatusIs(absl::StatusCode::kInvalidArgument));

  // A database that never held a store.
  const std::string database = UniqueTestStoreName("empty");
  ASSERT_OK(admin->ExecText("create database", "CREATE DATABASE " + database));
  EXPECT_OK(DropPostgresStore(WithParam(url(), "dbname=" + database), "anything"));
  ASSERT_OK(admin->ExecText("drop database", "DROP DATABASE " + database));
}

// docs/postgres.md's least privilege: once the schema is in place, a user with DML on the
// store's table and SELECT on the migrations' record runs the store; creating one needs more.
TEST_F(PostgresStoreTest, AUserWithoutCreateRunsAMigratedStoreButCannotCreateOne) {
  const std::string name = UniqueTestStoreName("priv");
  ASSERT_OK(OpenPostgresStore(url(), name));  // migrated by the owner
  std::unique_ptr<PgConnection> admin = Admin(url());
  ASSERT_NE(admin, nullptr);
  const std::string role = UniqueTestStoreName("role");
  ASSERT_OK(admin->ExecText(
      "role",
      fmt::format("CREATE ROLE {0} LOGIN; GRANT SELECT ON domicile_schema_migrations TO {0}; "
                  "GRANT SELECT, INSERT, UPDATE, DELETE ON kv_{1} TO {0}",
                  role, name)));
  const std::string as_role = WithParam(url(), "user=" + role);
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(as_role, name));
    ASSERT_OK(store->Put("k", "v"));
    WriteBatch create;
    create.ExpectAbsent("new");
    create.Put("new", "x");
    ASSERT_OK(store->Write(create));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snapshot, store->GetSnapshot());
    EXPECT_EQ(snapshot->Get("k").value_or("<error>"), "v");
    EXPECT_THAT(OpenPostgresStore(as_role, UniqueTestStoreName("priv")),
                StatusIs(absl::StatusCode::kInternal, HasSubstr("42501")));
  }
  ASSERT_OK(admin->ExecText("drop role", fmt::format("DROP OWNED BY {0}; DROP ROLE {0}", role)));
}

}  // namespace
}  // namespace domicile::store
