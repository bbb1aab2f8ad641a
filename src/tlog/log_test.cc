// The durable log's behaviour: dense indices, durability before acknowledgement, backpressure,
// failing closed, checkpoints, recovery after reopening, concurrent appenders.
#include "tlog/log.h"

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/checkpoint.h"
#include "tlog/entry_bundle.h"
#include "tlog/log_test_fixture.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "util/errors.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;

// Polls `condition` until it holds (true) or a minute has passed (false); for what a background
// thread does on its own. Not a timing assertion: only a hang fails.
template <typename Condition>
bool Eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST_F(LogTest, AppendsGetDenseIndicesFromZero) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(uint64_t index, log->AppendAndWait(EntryFor(i)));
    EXPECT_EQ(index, i);
    EXPECT_EQ(log->DurableSize(), i + 1);
  }
  const std::vector<absl::StatusOr<uint64_t>> results = AppendAll(*log, Entries(10, 1000));
  for (uint64_t i = 0; i < results.size(); ++i) {
    ASSERT_THAT(results[i], IsOk());
    EXPECT_EQ(*results[i], 10 + i);
  }
  EXPECT_EQ(log->DurableSize(), 1000u);
}

TEST_F(LogTest, RejectsEmptyAndOversizedEntries) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  EXPECT_THAT(log->AppendAndWait(Bytes()), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<uint64_t> too_large = log->AppendAndWait(Bytes(65536, 'x'));
  EXPECT_THAT(too_large, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ErrorCodeOf(too_large.status()), error_code::kTooLarge);
  ASSERT_OK_AND_ASSIGN(uint64_t index, log->AppendAndWait(Bytes(65535, 'x')));
  EXPECT_EQ(index, 0u);
  ASSERT_OK_AND_ASSIGN(Bytes back, log->ReadEntry(0));
  EXPECT_EQ(back, Bytes(65535, 'x'));
}

TEST_F(LogTest, PublishesVerifiableCheckpoints) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  ASSERT_OK(log->Flush());
  EXPECT_THAT(log->LatestCheckpoint(), StatusIs(absl::StatusCode::kNotFound));
  GrowTo(*log, 300);
  ASSERT_OK(log->Flush());
  ASSERT_OK_AND_ASSIGN(std::string note, log->LatestCheckpoint());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(note, verifier_));
  EXPECT_EQ(cp.origin, kTestOrigin);
  EXPECT_EQ(cp.size, 300u);
  EXPECT_EQ(cp.root, log->RootAt(300).value());

  // Signed by another key, the same note does not open.
  ASSERT_OK_AND_ASSIGN(Bytes other_seed, crypto::RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(crypto::Ed25519PublicKey other, crypto::Ed25519PublicFromSeed(other_seed));
  const NoteVerifier wrong{std::string(kTestOrigin), NoteKeyId(kTestOrigin, other), other};
  EXPECT_THAT(OpenCheckpoint(note, wrong), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(LogTest, SignerFailureKeepsTheOldCheckpointAndIsRetried) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  GrowTo(*log, 5);
  ASSERT_OK(log->Flush());
  ASSERT_OK_AND_ASSIGN(std::string first, log->LatestCheckpoint());
  fail_signing_ = true;
  GrowTo(*log, 9);
  EXPECT_THAT(log->Flush(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(log->IntegratedSize(), 9u);  // the tree grew; only the checkpoint waits
  EXPECT_EQ(log->LatestCheckpoint().value(), first);
  fail_signing_ = false;
  ASSERT_OK(log->Flush());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(log->LatestCheckpoint().value(), verifier_));
  EXPECT_EQ(cp.size, 9u);
}

TEST_F(LogTest, BackgroundPublishingFollowsTheIntervalOnTheInjectedClock) {
  LogOptions options = Options();
  options.checkpoint_interval = std::chrono::seconds(60);
  options.integration_interval = std::chrono::milliseconds(1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(options));
  GrowTo(*log, 3);
  ASSERT_OK(log->Flush());
  GrowTo(*log, 4);
  // The integrator folds entry 3 in by itself; the fake clock has not moved, so no checkpoint.
  ASSERT_TRUE(Eventually([&] { return log->IntegratedSize() == 4; }));
  EXPECT_EQ(OpenCheckpoint(log->LatestCheckpoint().value(), verifier_).value().size, 3u);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(Eventually([&] {
    return OpenCheckpoint(log->LatestCheckpoint().value(), verifier_).value().size == 4;
  }));
}

TEST_F(LogTest, ReopenRecoversEverything) {
  std::string checkpoint;
  Hash root;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
    GrowTo(*log, 700);
    ASSERT_OK(log->Flush());
    checkpoint = log->LatestCheckpoint().value();
    root = log->RootAt(700).value();
    GrowTo(*log, 777);  // durable; integrated and published by Close
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  EXPECT_EQ(log->DurableSize(), 777u);
  EXPECT_EQ(log->IntegratedSize(), 777u);
  EXPECT_EQ(log->RootAt(700).value(), root);
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(log->LatestCheckpoint().value(), verifier_));
  EXPECT_EQ(cp.size, 777u);
  for (uint64_t i = 0; i < 777; i += 37) EXPECT_EQ(log->ReadEntry(i).value(), EntryFor(i));

  // Appending resumes at the next index, in the middle of a bundle and of tiles.
  GrowTo(*log, 1100);
  ASSERT_OK(log->Flush());
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 1100; ++i) leaves.push_back(LeafHash(EntryFor(i)));
  EXPECT_EQ(log->RootAt(1100).value(), RootFromLeafHashes(leaves));
  EXPECT_EQ(log->ReadEntryBundle(3, 0).value(), FormatEntryBundle(Entries(768, 1024)));
  EXPECT_THAT(log->ReadTile(0, 3, 0), IsOk());
}

TEST_F(LogTest, ReopenIntegratesEntriesThatWereOnlyDurable) {
  auto control = std::make_shared<StoreControl>();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
    GrowTo(*log, 100);
    ASSERT_OK(log->Flush());
    control->fail_tile_writes = true;  // as if the node crashed before integrating more
    GrowTo(*log, 1000);
    EXPECT_THAT(log->Flush(), StatusIs(absl::StatusCode::kInternal));
    EXPECT_EQ(log->IntegratedSize(), 100u);
    EXPECT_THAT(log->RootAt(101), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  control->fail_tile_writes = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
  EXPECT_EQ(log->DurableSize(), 1000u);
  ASSERT_OK(log->Flush());
  EXPECT_EQ(log->IntegratedSize(), 1000u);
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 1000; ++i) leaves.push_back(LeafHash(EntryFor(i)));
  EXPECT_EQ(log->RootAt(1000).value(), RootFromLeafHashes(leaves));
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(log->LatestCheckpoint().value(), verifier_));
  EXPECT_EQ(cp.size, 1000u);
}

TEST_F(LogTest, FailedTileWriteIsRetriedWithoutLosingLeaves) {
  auto control = std::make_shared<StoreControl>();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
  GrowTo(*log, 300);
  control->fail_tile_writes = true;
  EXPECT_THAT(log->Flush(), StatusIs(absl::StatusCode::kInternal));
  GrowTo(*log, 600);  // appends still work: only integration is stuck
  control->fail_tile_writes = false;
  ASSERT_OK(log->Flush());
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 600; ++i) leaves.push_back(LeafHash(EntryFor(i)));
  EXPECT_EQ(log->RootAt(600).value(), RootFromLeafHashes(leaves));
}

TEST_F(LogTest, RefusesAppendsBeyondMaxPendingWithRetryableUnavailable) {
  auto control = std::make_shared<StoreControl>();
  LogOptions options = Options();
  options.max_pending = 4;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(options, control));
  control->Block();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<absl::StatusOr<uint64_t>> results;
  auto record = [&](absl::StatusOr<uint64_t> index) {
    std::lock_guard<std::mutex> lock(mu);
    results.push_back(std::move(index));
    cv.notify_all();
  };
  for (uint64_t i = 0; i < 4; ++i) log->Append(EntryFor(i), record);
  absl::StatusOr<uint64_t> refused = absl::UnknownError("not called");
  log->Append(EntryFor(4), [&](absl::StatusOr<uint64_t> index) { refused = std::move(index); });
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(ErrorCodeOf(refused.status()), error_code::kUnavailable);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(results.empty());  // nothing is acknowledged before it is durable
  }
  control->Unblock();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return results.size() == 4; });
    for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(results[i].value(), i);
  }
  // Once the queue drains, the log accepts again.
  ASSERT_OK_AND_ASSIGN(uint64_t next, log->AppendAndWait(EntryFor(4)));
  EXPECT_EQ(next, 4u);
}

TEST_F(LogTest, FailedDurableWriteFailsClosedUntilReopened) {
  auto control = std::make_shared<StoreControl>();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
    GrowTo(*log, 3);
    control->fail_writes = true;
    absl::StatusOr<uint64_t> failed = log->AppendAndWait(EntryFor(3));
    EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(ErrorCodeOf(failed.status()), error_code::kUnavailable);
    control->fail_writes = false;  // the disk is back, but the log stays closed
    EXPECT_THAT(log->AppendAndWait(EntryFor(3)), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(log->DurableSize(), 3u);
    EXPECT_THAT(log->ReadEntry(3), StatusIs(absl::StatusCode::kNotFound));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
  ASSERT_OK_AND_ASSIGN(uint64_t index, log->AppendAndWait(EntryFor(3)));
  EXPECT_EQ(index, 3u);
}

TEST_F(LogTest, ConcurrentAppendersGetUniqueDenseIndices) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  constexpr int kThreads = 16;
  constexpr int kPerThread = 100;
  std::vector<std::vector<std::pair<uint64_t, Bytes>>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Bytes entry = ToBytes("thread " + std::to_string(t) + " entry " + std::to_string(i));
        absl::StatusOr<uint64_t> index = log->AppendAndWait(entry);
        if (index.ok()) got[t].emplace_back(*index, std::move(entry));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<uint64_t> indices;
  for (const auto& per_thread : got) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kPerThread));
    for (const auto& [index, entry] : per_thread) {
      EXPECT_TRUE(indices.insert(index).second) << "index " << index << " handed out twice";
      EXPECT_EQ(log->ReadEntry(index).value(), entry);
    }
  }
  ASSERT_EQ(indices.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*indices.rbegin(), static_cast<uint64_t>(kThreads * kPerThread - 1));
  EXPECT_EQ(log->DurableSize(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_F(LogTest, CloseIsIdempotentAndRefusesLaterAppends) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  GrowTo(*log, 2);
  log->Close();
  log->Close();
  EXPECT_THAT(log->AppendAndWait(EntryFor(2)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(log->IntegratedSize(), 2u);
  EXPECT_THAT(log->LatestCheckpoint(), IsOk());
  EXPECT_EQ(log->ReadEntry(1).value(), EntryFor(1));
}

TEST_F(LogTest, OpenRejectsBadOptionsAndAnotherOrigin) {
  LogOptions no_origin = Options();
  no_origin.origin = "";
  EXPECT_THAT(OpenLog(no_origin), StatusIs(absl::StatusCode::kInvalidArgument));
  LogOptions two_lines = Options();
  two_lines.origin = "a\nb";
  EXPECT_THAT(OpenLog(two_lines), StatusIs(absl::StatusCode::kInvalidArgument));
  auto control = std::make_shared<StoreControl>();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
    GrowTo(*log, 1);
    ASSERT_OK(log->Flush());
    control->fail_tile_writes = true;
    GrowTo(*log, 2);  // durable, not integrated
  }
  control->fail_tile_writes = false;
  LogOptions other = Options();
  other.origin = "example.com/another-log";
  EXPECT_THAT(OpenLog(other, control), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The refused open integrated and published nothing: the log reopens as it was.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog(Options(), control));
  EXPECT_EQ(log->IntegratedSize(), 1u);
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(log->LatestCheckpoint().value(), verifier_));
  EXPECT_EQ(cp.size, 1u);
}

}  // namespace
}  // namespace domicile::tlog
