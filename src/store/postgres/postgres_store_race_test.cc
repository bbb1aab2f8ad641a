// Two PostgresStore instances on one table, each with its own pool: two domicile nodes sharing
// a database. Conditional writes must hold across them exactly as within one store.
#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/postgres_testing.h"
#include "util/status_matchers.h"

namespace domicile::store {
namespace {

class TwoNodesTest : public domicile::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const std::string name = domicile::testing::UniqueTestStoreName("race");
    for (auto& node : nodes_) {
      absl::StatusOr<std::unique_ptr<KvStore>> store = OpenPostgresStore(url(), name);
      ASSERT_OK(store);
      node = *std::move(store);
    }
  }
  KvStore& node(int i) { return *nodes_[i % 2]; }

 private:
  std::unique_ptr<KvStore> nodes_[2];
};

TEST_F(TwoNodesTest, CompareAndSetAcrossNodesLosesNoUpdate) {
  constexpr int kWriters = 4;
  constexpr int kIncrements = 40;
  ASSERT_OK(node(0).Put("counter", "0"));
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      KvStore& store = node(t);
      for (int i = 0; i < kIncrements;) {
        absl::StatusOr<std::string> current = store.Get("counter");
        if (!current.ok()) {
          ++failures;
          return;
        }
        WriteBatch batch;
        batch.Expect("counter", *current);
        batch.Put("counter", std::to_string(std::stoi(*current) + 1));
        batch.Put(fmt::format("log/{:06}", std::stoi(*current) + 1), fmt::format("writer {}", t));
        absl::Status s = store.Write(batch);
        if (s.ok()) {
          ++i;
        } else if (!absl::IsAborted(s)) {
          ++failures;
          return;
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(node(1).Get("counter").value_or("<error>"), std::to_string(kWriters * kIncrements));
  // Each increment landed once, with the batch that made it.
  int logged = 0;
  ASSERT_OK(node(0).Scan("log/", [&](std::string_view, std::string_view) { return ++logged; }));
  EXPECT_EQ(logged, kWriters * kIncrements);
}

TEST_F(TwoNodesTest, CreatesOfOneKeyAcrossNodesHaveOneWinner) {
  constexpr int kWriters = 4;
  constexpr int kRounds = 25;
  std::atomic<int> failures{0};
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = fmt::format("create/{}", round);
    std::atomic<int> winners{0};
    std::latch start(kWriters);
    std::vector<std::thread> writers;
    for (int t = 0; t < kWriters; ++t) {
      writers.emplace_back([&, t] {
        WriteBatch batch;
        batch.ExpectAbsent(key);
        batch.Put(key, fmt::format("writer {}", t));
        start.arrive_and_wait();
        absl::Status s = node(t).Write(batch);
        if (s.ok()) {
          ++winners;
        } else if (!absl::IsAborted(s)) {
          ++failures;
        }
      });
    }
    for (std::thread& writer : writers) writer.join();
    EXPECT_EQ(winners.load(), 1) << key;
  }
  EXPECT_EQ(failures.load(), 0);
}

// A create (expecting the key absent) racing a plain put of the same key on the other node:
// whichever order they take, the plain put is never overwritten by a create that claimed the
// key was absent. If the create won, the put came after it; if the put came first, the create
// failed.
TEST_F(TwoNodesTest, ACreateNeverOverwritesAConcurrentPlainPut) {
  constexpr int kRounds = 40;
  int creates_won = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = fmt::format("contested/{}", round);
    std::latch start(2);
    absl::Status create, put;
    std::thread creator([&] {
      WriteBatch batch;
      batch.ExpectAbsent(key);
      batch.Put(key, "create");
      start.arrive_and_wait();
      create = node(0).Write(batch);
    });
    std::thread putter([&] {
      start.arrive_and_wait();
      put = node(1).Put(key, "plain");
    });
    creator.join();
    putter.join();
    ASSERT_OK(put);
    EXPECT_TRUE(create.ok() || absl::IsAborted(create)) << create;
    creates_won += create.ok();
    EXPECT_EQ(node(round).Get(key).value_or("<error>"), "plain") << key;
  }
  RecordProperty("creates_won", creates_won);
}

// A compare-and-set whose batch also writes a second key, racing plain batches over both keys:
// the compare-and-set applies only on the value it read, so the counter it keeps never skips.
TEST_F(TwoNodesTest, CompareAndSetRacingPlainBatchesKeepsItsInvariant) {
  ASSERT_OK(node(0).Put("seq", "0"));
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread plain([&] {
    for (int i = 0; !done.load(); ++i) {
      WriteBatch batch;
      batch.Put("noise", std::to_string(i));
      batch.Put(fmt::format("noise/{}", i % 8), "x");
      if (!node(1).Write(batch).ok()) ++failures;
    }
  });
  int applied = 0;
  while (applied < 60) {
    absl::StatusOr<std::string> seq = node(0).Get("seq");
    ASSERT_OK(seq);
    WriteBatch batch;
    batch.Expect("seq", *seq);
    batch.Put("seq", std::to_string(std::stoi(*seq) + 1));
    batch.Put("noise", "cas");
    absl::Status s = node(0).Write(batch);
    if (s.ok()) ++applied;
    ASSERT_TRUE(s.ok() || absl::IsAborted(s)) << s;
  }
  done = true;
  plain.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(node(1).Get("seq").value_or("<error>"), "60");
}

}  // namespace
}  // namespace domicile::store
