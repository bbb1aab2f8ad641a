// The log killed mid-flight: a child process appends from several threads and reports every
// index it is handed, while the integrator runs and publishes as fast as it can; the parent
// kills it with SIGKILL, reopens the log, and checks that every reported index holds its entry
// and that the tree, tiles and checkpoint recovered are consistent. (A process crash: the
// operating system keeps what was written. Power loss is what the synced writes are for.)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "gtest/gtest.h"
#include "store/rocksdb_store.h"
#include "tlog/checkpoint.h"
#include "tlog/log.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "util/encoding.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::tlog {
namespace {

constexpr std::string_view kOrigin = "example.com/domicile/crash-log";
constexpr char kDirEnv[] = "DOMICILE_TLOG_CRASH_DIR";
constexpr char kSeedEnv[] = "DOMICILE_TLOG_CRASH_SEED";
constexpr int kReportFd = 3;  // where the child reports "index thread seq" lines
constexpr int kChildThreads = 8;
constexpr size_t kAcknowledgedBeforeKill = 3000;

Bytes CrashEntry(int thread, uint64_t seq) {
  return ToBytes("crash-test thread " + std::to_string(thread) + " seq " + std::to_string(seq));
}

LogOptions FastOptions() {
  LogOptions options;
  options.origin = std::string(kOrigin);
  options.integration_interval = std::chrono::milliseconds(1);
  options.checkpoint_interval = std::chrono::milliseconds(1);
  return options;
}

// The child: run only by LogCrashTest (below) through the re-executed test binary.
TEST(LogCrashChild, DISABLED_AppendUntilKilled) {
  const char* dir = std::getenv(kDirEnv);
  const char* seed_hex = std::getenv(kSeedEnv);
  ASSERT_NE(dir, nullptr);
  ASSERT_NE(seed_hex, nullptr);
  const Bytes seed = HexDecode(seed_hex).value();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::KvStore> store, store::OpenRocksDbStore(dir));
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Log> log,
      Log::Open(
          std::move(store), FastOptions(),
          [&seed](std::string_view text) { return SignNote(text, kOrigin, seed); }, &clock));
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t seq = 0;; ++seq) {
        absl::StatusOr<uint64_t> index = log->AppendAndWait(CrashEntry(t, seq));
        if (!index.ok()) continue;
        const std::string line =
            std::to_string(*index) + " " + std::to_string(t) + " " + std::to_string(seq) + "\n";
        // One write of less than PIPE_BUF bytes: lines never interleave.
        if (write(kReportFd, line.data(), line.size()) < 0) std::_Exit(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();  // never returns: the parent kills us
}

TEST(LogCrashTest, EveryAcknowledgedIndexSurvivesSigkill) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Bytes seed, crypto::RandomBytes(32));
  ASSERT_OK_AND_ASSIGN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(seed));
  const NoteVerifier verifier{std::string(kOrigin), NoteKeyId(kOrigin, pub), pub};
  const std::string log_dir = (dir / "log").string();

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(setenv(kDirEnv, log_dir.c_str(), 1), 0);
  ASSERT_EQ(setenv(kSeedEnv, HexEncode(seed).c_str(), 1), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls until exec.
    dup2(fds[1], kReportFd);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    execl("/proc/self/exe", "tlog_test", "--gtest_filter=LogCrashChild.*",
          "--gtest_also_run_disabled_tests", static_cast<char*>(nullptr));
    _exit(127);
  }
  unsetenv(kDirEnv);
  unsetenv(kSeedEnv);
  close(fds[1]);

  // Collect acknowledgements, then kill the child mid-flight.
  struct Acked {
    int thread;
    uint64_t seq;
  };
  std::map<uint64_t, Acked> acked;
  std::string pending;
  char buf[4096];
  while (acked.size() < kAcknowledgedBeforeKill) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, /*timeout_ms=*/60'000) <= 0) break;  // a silent child: fail below
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // the child died on its own
    pending.append(buf, static_cast<size_t>(n));
    size_t eol;
    while ((eol = pending.find('\n')) != std::string::npos) {
      std::istringstream line(pending.substr(0, eol));
      pending.erase(0, eol + 1);
      uint64_t index;
      Acked a;
      line >> index >> a.thread >> a.seq;
      EXPECT_TRUE(acked.emplace(index, a).second) << "index " << index << " handed out twice";
    }
  }
  kill(child, SIGKILL);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the child ended by itself; status " << wstatus;
  ASSERT_GE(acked.size(), kAcknowledgedBeforeKill);

  // Reopen: every acknowledged index holds its entry; the tree is the tree of the entries.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::KvStore> store, store::OpenRocksDbStore(log_dir));
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Log> log,
      Log::Open(
          std::move(store), FastOptions(),
          [&seed](std::string_view text) { return SignNote(text, kOrigin, seed); }, &clock));
  const uint64_t size = log->DurableSize();
  ASSERT_GT(size, acked.rbegin()->first);
  for (const auto& [index, a] : acked) {
    ASSERT_OK_AND_ASSIGN(Bytes entry, log->ReadEntry(index));
    ASSERT_EQ(entry, CrashEntry(a.thread, a.seq)) << "index " << index;
  }
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < size; ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes entry, log->ReadEntry(i));
    leaves.push_back(LeafHash(entry));
  }

  // The checkpoint recovered (if one was published) is for a prefix of this tree.
  absl::StatusOr<std::string> old_note = log->LatestCheckpoint();
  ASSERT_OK(log->Flush());
  EXPECT_EQ(log->IntegratedSize(), size);
  ASSERT_OK_AND_ASSIGN(Hash root, log->RootAt(size));
  EXPECT_EQ(root, RootFromLeafHashes(leaves));
  if (old_note.ok()) {
    ASSERT_OK_AND_ASSIGN(Checkpoint old_cp, OpenCheckpoint(*old_note, verifier));
    ASSERT_LE(old_cp.size, size);
    EXPECT_EQ(old_cp.root, RootFromLeafHashes(std::span(leaves).first(old_cp.size)));
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, log->ConsistencyProof(old_cp.size, size));
    EXPECT_TRUE(VerifyConsistency(old_cp.size, size, proof, old_cp.root, root));
  }
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(log->LatestCheckpoint().value(), verifier));
  EXPECT_EQ(cp.size, size);
  EXPECT_EQ(cp.root, root);
}

}  // namespace
}  // namespace domicile::tlog
