#include "store/rocksdb_store.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

#include "fmt/core.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/kv_store_conformance.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::store {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::domicile::testing::TempDir;

INSTANTIATE_TEST_SUITE_P(RocksDb, KvStoreConformanceTest,
                         ::testing::Values(KvStoreBackend{
                             "RocksDb",
                             [](const std::filesystem::path& dir) { return OpenRocksDbStore(dir); },
                         }),
                         KvStoreBackendName);

// Reads exactly `size` bytes; false on end of file or error.
bool ReadFull(int fd, void* buf, size_t size) {
  auto* out = static_cast<char*>(buf);
  while (size > 0) {
    ssize_t n = read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool WriteFull(int fd, const void* buf, size_t size) {
  const auto* in = static_cast<const char*>(buf);
  while (size > 0) {
    ssize_t n = write(fd, in, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    in += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return fmt::format("exited with {}", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return fmt::format("killed by signal {}", WTERMSIG(wait_status));
  return "stopped";
}

// Exit codes of the crash test's child, for the parent's messages.
constexpr int kChildOpenFailed = 10;
constexpr int kChildWriteFailed = 11;
constexpr int kChildPipeFailed = 12;

// The crash test's child: writes batches {k<i>/a = i, k<i>/b = i} for i = 1, 2, ... and
// sends each i to `ack_fd` once Write has returned OK. Never returns; runs until killed.
[[noreturn]] void RunCrashChild(const std::filesystem::path& dir, int ack_fd) {
  absl::StatusOr<std::unique_ptr<KvStore>> store = OpenRocksDbStore(dir);
  if (!store.ok()) _exit(kChildOpenFailed);
  for (uint64_t i = 1;; ++i) {
    const std::string value = fmt::format("{}", i);
    WriteBatch batch;
    batch.Put(fmt::format("k{}/a", i), value);
    batch.Put(fmt::format("k{}/b", i), value);
    if (!(*store)->Write(batch).ok()) _exit(kChildWriteFailed);
    if (!WriteFull(ack_fd, &i, sizeof(i))) _exit(kChildPipeFailed);
  }
}

// Runs first (plain TESTs precede parameterized suites), so that it forks before this
// process has started any RocksDB background thread.
TEST(RocksDbStoreCrashTest, AcknowledgedBatchesSurviveSigkillWhole) {
  constexpr uint64_t kKillAfter = 300;
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    close(fds[0]);
    RunCrashChild(dir.path(), fds[1]);
  }
  close(fds[1]);

  // Count acknowledgements, kill the child mid-stream, then collect any acknowledgement it
  // sent before dying: all of them are promises of durability.
  uint64_t acked = 0;
  uint64_t i = 0;
  while (acked < kKillAfter && ReadFull(fds[0], &i, sizeof(i))) {
    ASSERT_EQ(i, acked + 1);
    acked = i;
  }
  kill(pid, SIGKILL);
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  while (ReadFull(fds[0], &i, sizeof(i))) acked = i;
  close(fds[0]);
  ASSERT_GE(acked, kKillAfter) << "child " << DescribeExit(wait_status);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child " << DescribeExit(wait_status);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
  // Every batch present in the store, by number: which of its two keys are there.
  std::map<uint64_t, std::string> halves;
  ASSERT_OK(store->Scan("k", [&](std::string_view key, std::string_view value) {
    const size_t slash = key.find('/');
    const std::string number(key.substr(1, slash - 1));
    EXPECT_EQ(value, number) << "key " << key;
    halves[std::stoull(number)] += key.substr(slash + 1);
    return true;
  }));
  for (const auto& [batch, keys] : halves) {
    EXPECT_EQ(keys, "ab") << "batch " << batch << " is half-present";
  }
  for (uint64_t n = 1; n <= acked; ++n) {
    ASSERT_TRUE(halves.contains(n)) << "acknowledged batch " << n << " of " << acked << " lost";
  }
  // Beyond the acknowledged ones, at most the batch in flight at the kill may have landed.
  EXPECT_LE(halves.size(), acked + 1);
}

TEST(RocksDbStoreTest, SecondOpenInSameProcessIsUnavailable) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> first, OpenRocksDbStore(dir.path()));
  EXPECT_THAT(OpenRocksDbStore(dir.path()), StatusIs(absl::StatusCode::kUnavailable));
  first.reset();
  EXPECT_OK(OpenRocksDbStore(dir.path()));
}

TEST(RocksDbStoreTest, OpenWhileAnotherProcessHoldsItIsUnavailable) {
  TempDir dir;
  int opened[2];
  ASSERT_EQ(pipe(opened), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    close(opened[0]);
    absl::StatusOr<std::unique_ptr<KvStore>> store = OpenRocksDbStore(dir.path());
    if (!store.ok()) _exit(kChildOpenFailed);
    const char byte = 1;
    if (!WriteFull(opened[1], &byte, 1)) _exit(kChildPipeFailed);
    pause();  // holds the lock until killed
    _exit(0);
  }
  close(opened[1]);
  char byte = 0;
  const bool child_opened = ReadFull(opened[0], &byte, 1);
  close(opened[0]);
  if (child_opened) {
    EXPECT_THAT(OpenRocksDbStore(dir.path()), StatusIs(absl::StatusCode::kUnavailable));
  }
  kill(pid, SIGKILL);
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  ASSERT_TRUE(child_opened) << "child " << DescribeExit(wait_status);
  // The lock dies with its holder.
  EXPECT_OK(OpenRocksDbStore(dir.path()));
}

TEST(RocksDbStoreTest, OpenWithoutCreateIfMissingOfMissingDatabaseIsNotFound) {
  TempDir dir;
  RocksDbOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(OpenRocksDbStore(dir / "absent", options), StatusIs(absl::StatusCode::kNotFound));
  // An existing but empty directory holds no database either.
  EXPECT_THAT(OpenRocksDbStore(dir.path(), options), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(dir / "absent"));

  // Once created, the database opens without creation.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
    ASSERT_OK(store->Put("key", "value"));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path(), options));
  EXPECT_EQ(store->Get("key").value_or("<error>"), "value");
}

TEST(RocksDbStoreTest, OpenCreatesMissingParentDirectories) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir / "a/b/c"));
  EXPECT_OK(store->Put("key", "value"));
}

TEST(RocksDbStoreTest, CorruptDatabaseIsDataLoss) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
    ASSERT_OK(store->Put("key", "value"));
  }
  std::ofstream(dir / "CURRENT", std::ios::trunc) << "garbage";
  EXPECT_THAT(OpenRocksDbStore(dir.path()), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RocksDbStoreTest, UnsyncedWritesAreVisibleAndSurviveReopen) {
  TempDir dir;
  RocksDbOptions options;
  options.sync_writes = false;
  options.block_cache_bytes = 1 << 20;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path(), options));
    ASSERT_OK(store->Put("key", "value"));
    EXPECT_EQ(store->Get("key").value_or("<error>"), "value");
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path(), options));
  EXPECT_EQ(store->Get("key").value_or("<error>"), "value");
}

size_t TableFiles(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    n += entry.path().extension() == ".sst";
  }
  return n;
}

TEST(RocksDbStoreTest, CompactingLeavesOneSortedRunWithTheSameContents) {
  TempDir dir;
  std::map<std::string, std::string> expected;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
    // Three overlapping bulk-loaded files, then writes and a delete left in the memtable.
    for (int file = 0; file < 3; ++file) {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkLoad> load, store->StartBulkLoad());
      for (int i = file; i < 30; i += 3) {
        const std::string key = fmt::format("k{:02d}", i), value = fmt::format("v{}-{}", i, file);
        ASSERT_OK(load->Put(key, value));
        expected[key] = value;
      }
      ASSERT_OK(load->Commit());
    }
    ASSERT_OK(store->Put("k05", "rewritten"));
    expected["k05"] = "rewritten";
    ASSERT_OK(store->Delete("k07"));
    expected.erase("k07");
  }
  ASSERT_GE(TableFiles(dir.path()), 3u);
  ASSERT_OK(CompactRocksDbStore(dir.path()));
  EXPECT_EQ(TableFiles(dir.path()), 1u);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
  std::map<std::string, std::string> found;
  ASSERT_OK(store->Scan("k", [&](std::string_view key, std::string_view value) {
    found.emplace(key, value);
    return true;
  }));
  EXPECT_EQ(found, expected);
}

// The estimate comes from statistics, so it is checked within bounds: here the files hold
// only the prefix's keys, so it is exact but for the memtable's approximation.
TEST(RocksDbStoreTest, EstimatesAPrefixFromFilesAndMemtable) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
  ASSERT_OK_AND_ASSIGN(KvStore::Estimate empty, store->EstimatePrefix("r/"));
  EXPECT_EQ(empty.keys, 0u);
  EXPECT_EQ(empty.bytes, 0u);
  const std::string value(100, 'v');
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkLoad> load, store->StartBulkLoad());
  for (int i = 0; i < 1000; ++i) ASSERT_OK(load->Put(fmt::format("r/{:04d}", i), value));
  ASSERT_OK(load->Commit());
  ASSERT_OK(store->Put("dk/a", "key"));  // another prefix, in the memtable
  ASSERT_OK(store->Put("s/a", "other"));
  ASSERT_OK_AND_ASSIGN(KvStore::Estimate filed, store->EstimatePrefix("r/"));
  EXPECT_EQ(filed.keys, 1000u);
  EXPECT_EQ(filed.bytes, 1000u * (6 + 100));
  for (int i = 1000; i < 1100; ++i) ASSERT_OK(store->Put(fmt::format("r/{:04d}", i), value));
  ASSERT_OK_AND_ASSIGN(KvStore::Estimate both, store->EstimatePrefix("r/"));
  EXPECT_GE(both.keys, 1000u);
  EXPECT_LE(both.keys, 1200u);
  EXPECT_GE(both.bytes, 1000u * 106);
  // A prefix whose range has no end is not estimated.
  EXPECT_THAT(store->EstimatePrefix("").status(), StatusIs(absl::StatusCode::kUnimplemented));
}

TEST(RocksDbStoreTest, CompactingRefusesAMissingOrOpenDatabase) {
  TempDir dir;
  EXPECT_THAT(CompactRocksDbStore(dir / "absent"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KvStore> store, OpenRocksDbStore(dir.path()));
  EXPECT_THAT(CompactRocksDbStore(dir.path()), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(std::filesystem::exists(dir / "absent"));
}

}  // namespace
}  // namespace domicile::store
