// The store across a restart and an outage of its server: a cluster of the test's own
// (scripts/test-postgres), since the shared one serves other tests meanwhile.
#include <cstdlib>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/postgres_testing.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::store {
namespace {

using ::domicile::testing::StatusIs;

// Runs scripts/test-postgres `command` on `dir`; true on success.
bool Cluster(std::string_view command, const std::filesystem::path& dir) {
  const std::string line =
      fmt::format("'{}' {} '{}' > /dev/null", DOMICILE_TEST_POSTGRES_SCRIPT, command, dir.string());
  return std::system(line.c_str()) == 0;
}

// A cluster of the test's own, stopped and removed at the end whatever happens.
class OwnCluster {
 public:
  OwnCluster() : started_(Cluster("start", dir_.path())) {}
  ~OwnCluster() { Cluster("stop", dir_.path()); }
  bool started() const { return started_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string url() const {
    std::ifstream in(dir_ / "url");
    std::string url;
    std::getline(in, url);
    return url;
  }

 private:
  domicile::testing::TempDir dir_;
  bool started_;
};

TEST(PostgresStoreRestartTest, TheStoreRecoversWhenItsServerComesBack) {
  OwnCluster cluster;
  if (!cluster.started()) {
    if (domicile::testing::TestPostgresRequired()) FAIL() << "CI=true: cannot start PostgreSQL";
    GTEST_SKIP() << "cannot start a PostgreSQL cluster with " << DOMICILE_TEST_POSTGRES_SCRIPT;
  }
  ASSERT_OK_AND_ASSIGN(auto store, OpenPostgresStore(cluster.url(), "restart"));
  ASSERT_OK(store->Put("k", "before"));

  // A restart closes every connection of the pool: the next operations open new ones.
  ASSERT_TRUE(Cluster("restart", cluster.dir()));
  EXPECT_EQ(store->Get("k").value_or("<error>"), "before");
  WriteBatch conditional;
  conditional.Expect("k", "before");
  conditional.Put("k", "after restart");
  EXPECT_OK(store->Write(conditional));

  // While it is down: Unavailable, saying where it tried.
  ASSERT_TRUE(Cluster("halt", cluster.dir()));
  EXPECT_THAT(store->Get("k"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store->Put("k", "x"),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("127.0.0.1")));
  EXPECT_THAT(store->GetSnapshot(), StatusIs(absl::StatusCode::kUnavailable));

  ASSERT_TRUE(Cluster("start-again", cluster.dir()));
  EXPECT_EQ(store->Get("k").value_or("<error>"), "after restart");
  EXPECT_OK(store->Put("k", "back"));
}

}  // namespace
}  // namespace domicile::store
