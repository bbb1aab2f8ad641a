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
using ::testing::HasSubstr;
using ::testing::Not;
using postgres::Conninfo;
using postgres::PgConnection;

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

}  // namespace
}  // namespace domicile::store
