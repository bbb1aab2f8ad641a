// Benchmarks of the durable transparency log (src/tlog/log.h) on RocksDB with synced writes,
// each in its own temporary directory under /tmp, removed afterwards:
//   BM_DurableAppend/1        64 threads, each appending ~400-byte entries with AppendAndWait
//                             (one entry in flight per thread); items_per_second = durable
//                             appends/s. /0: the same with unsynced writes, for comparison only.
//   BM_DurableAppendClosedLoop/64  64 appenders with one append outstanding each, served by two
//                             worker threads as the node's I/O threads serve requests.
//   BM_DiskSync/G             the disk alone: one 25,600-byte write and fdatasync, into a growing
//                             file (/0) or into blocks written before (/1).
//   BM_DurableAppendPipelined 64 threads, each keeping up to 16 appends in flight through the
//                             callback API, as an I/O thread serving many requests does.
//   BM_IntegrationLatency     100,000 appends/s offered for 10 s; counters give the time from an
//                             entry's durable acknowledgement to its integration into the stored
//                             tree (integrated_*_ms) and to the first published checkpoint that
//                             covers it (checkpointed_*_ms, bounded below by checkpoint_interval).
//   BM_*10M                   proofs and reads on a log of 10,000,000 entries, built once through
//                             the ordinary API (16-byte entries, groups of up to 65,536).
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "store/rocksdb_store.h"
#include "tlog/checkpoint.h"
#include "tlog/log.h"
#include "tlog/note.h"
#include "util/clock.h"

namespace domicile::tlog {
namespace {

constexpr std::string_view kOrigin = "bench.example/log";
constexpr size_t kEntryBytes = 400;
constexpr uint64_t kBigLogSize = 10'000'000;

// A log in a fresh directory under /tmp; closes the log, then removes the directory.
class BenchLog {
 public:
  explicit BenchLog(LogOptions options, bool sync_writes = true) {
    std::string tmpl = "/tmp/domicile-tlog-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    store::RocksDbOptions store_options;
    store_options.sync_writes = sync_writes;
    auto store = store::OpenRocksDbStore(dir_, store_options);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    auto seed = crypto::RandomBytes(32);
    if (!seed.ok()) throw std::runtime_error(seed.status().ToString());
    options.origin = std::string(kOrigin);
    auto log = Log::Open(
        std::move(store).value(), std::move(options),
        [seed = *seed](std::string_view text) { return SignNote(text, kOrigin, seed); }, &clock_);
    if (!log.ok()) throw std::runtime_error(log.status().ToString());
    log_ = std::move(log).value();
  }
  ~BenchLog() {
    log_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  BenchLog(const BenchLog&) = delete;
  BenchLog& operator=(const BenchLog&) = delete;

  Log& log() { return *log_; }

 private:
  RealClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Log> log_;
};

Bytes Entry(uint64_t thread, uint64_t i, size_t size) {
  Bytes e(size, static_cast<uint8_t>('a' + thread % 26));
  for (size_t b = 0; b < 8 && b < size; ++b) e[b] = static_cast<uint8_t>(i >> (8 * b));
  return e;
}

// ---------------------------------------------------------------------------------------------
// Durable appends from 64 threads.

BenchLog* append_log = nullptr;

// Arg 1: synced writes (the configuration the log is meant for). Arg 0: unsynced, not durable
// against power loss; shows what the write path costs apart from waiting for the disk.
void BM_DurableAppend(benchmark::State& state) {
  if (state.thread_index() == 0) append_log = new BenchLog(LogOptions{}, state.range(0) != 0);
  uint64_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<uint64_t> index =
        append_log->log().AppendAndWait(Entry(state.thread_index(), i++, kEntryBytes));
    if (!index.ok()) state.SkipWithError(index.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete append_log;
    append_log = nullptr;
  }
}
BENCHMARK(BM_DurableAppend)->Arg(1)->Arg(0)->Threads(64)->UseRealTime()->MinTime(3.0);

// 64 threads, each keeping up to state.range(0) appends in flight through the callback API (as
// an I/O thread of the HTTP server does), instead of blocking on each one.
void BM_DurableAppendPipelined(benchmark::State& state) {
  if (state.thread_index() == 0) append_log = new BenchLog(LogOptions{});
  const int window = static_cast<int>(state.range(0));
  std::atomic<int> in_flight{0};
  std::atomic<bool> failed{false};
  uint64_t i = 0;
  for (auto _ : state) {
    for (int n = in_flight.load(); n >= window; n = in_flight.load()) in_flight.wait(n);
    in_flight.fetch_add(1);
    append_log->log().Append(Entry(state.thread_index(), i++, kEntryBytes),
                             [&](absl::StatusOr<uint64_t> index) {
                               if (!index.ok()) failed = true;
                               in_flight.fetch_sub(1);
                               in_flight.notify_one();
                             });
  }
  for (int n = in_flight.load(); n > 0; n = in_flight.load()) in_flight.wait(n);
  if (failed) state.SkipWithError("an append failed");
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete append_log;
    append_log = nullptr;
  }
}
BENCHMARK(BM_DurableAppendPipelined)->Arg(16)->Threads(64)->UseRealTime()->MinTime(3.0);

// 64 appenders, each with exactly one append outstanding, served by two worker threads the way
// the node's two I/O threads serve requests: an appender told its index is handed back to its
// worker (a queue and a wake-up, like a post to an io_context), which appends its next entry.
// No thread blocks on an append; items_per_second = durable appends/s.
class ClosedLoopWorker {
 public:
  ClosedLoopWorker(Log& log, std::vector<int> appenders, std::atomic<bool>& failed)
      : log_(log), ready_(std::move(appenders)), failed_(failed) {
    // Next sequence number per appender id (ids index it directly).
    seq_.assign(ready_.empty() ? 0 : *std::max_element(ready_.begin(), ready_.end()) + 1, 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~ClosedLoopWorker() { Stop(); }

  // Stops issuing appends, waits for those outstanding and returns how many completed.
  uint64_t Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ == 0; });
    return completed_;
  }

 private:
  void Run() {
    std::vector<int> batch;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        sleeping_ = true;
        cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
        sleeping_ = false;
        if (stopping_) return;
        batch.swap(ready_);
        in_flight_ += batch.size();
      }
      for (int id : batch) {
        log_.Append(Entry(id, seq_[id]++, kEntryBytes), [this, id](absl::StatusOr<uint64_t> index) {
          if (!index.ok()) failed_ = true;
          bool wake;
          {
            std::lock_guard<std::mutex> lock(mu_);
            --in_flight_;
            ++completed_;
            ready_.push_back(id);
            wake = sleeping_ || stopping_;
          }
          if (wake) cv_.notify_one();
        });
      }
      batch.clear();
    }
  }

  Log& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> ready_;  // appenders whose last append is durable; guarded by mu_
  std::atomic<bool>& failed_;
  std::vector<uint64_t> seq_;  // worker thread only
  size_t in_flight_ = 0;       // guarded by mu_
  uint64_t completed_ = 0;     // guarded by mu_
  bool sleeping_ = false;      // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

void BM_DurableAppendClosedLoop(benchmark::State& state) {
  const int appenders = static_cast<int>(state.range(0));
  constexpr int kWorkers = 2;
  constexpr auto kDuration = std::chrono::seconds(5);
  BenchLog log(LogOptions{});
  std::atomic<bool> failed{false};
  uint64_t total = 0;
  double seconds = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<ClosedLoopWorker>> workers;
    const auto start = std::chrono::steady_clock::now();
    for (int w = 0; w < kWorkers; ++w) {
      std::vector<int> mine;
      for (int a = w; a < appenders; a += kWorkers) mine.push_back(a);
      workers.push_back(std::make_unique<ClosedLoopWorker>(log.log(), std::move(mine), failed));
    }
    std::this_thread::sleep_for(kDuration);
    for (auto& w : workers) total += w->Stop();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  if (failed) state.SkipWithError("an append failed");
  state.counters["items_per_second"] = benchmark::Counter(static_cast<double>(total) / seconds);
}
BENCHMARK(BM_DurableAppendClosedLoop)->Arg(64)->Iterations(1)->UseRealTime();

// What the disk does during this run, for reading the figures above: one 25,600-byte write
// (a group of 64 entries) and fdatasync, into a file that grows (/0, as a RocksDB write-ahead
// file does) or into blocks written before (/1). Time per iteration = one durable write.
void BM_DiskSync(benchmark::State& state) {
  const bool preallocated = state.range(0) != 0;
  std::string tmpl = "/tmp/domicile-disk-bench-XXXXXX";
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    state.SkipWithError("mkstemp failed");
    return;
  }
  const std::vector<char> group(64 * kEntryBytes, 'x');
  constexpr off_t kFileBytes = 256 << 20;
  if (preallocated) {
    const std::vector<char> zeros(1 << 20, 0);
    for (off_t off = 0; off < kFileBytes; off += static_cast<off_t>(zeros.size())) {
      if (pwrite(fd, zeros.data(), zeros.size(), off) != static_cast<ssize_t>(zeros.size())) {
        state.SkipWithError("cannot preallocate");
      }
    }
    fsync(fd);
  }
  off_t off = 0;
  for (auto _ : state) {
    if (off + static_cast<off_t>(group.size()) > kFileBytes) {
      if (!preallocated && ftruncate(fd, 0) != 0) state.SkipWithError("ftruncate failed");
      off = 0;
    }
    if (pwrite(fd, group.data(), group.size(), off) != static_cast<ssize_t>(group.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write failed");
      break;
    }
    off += static_cast<off_t>(group.size());
  }
  close(fd);
  unlink(tmpl.c_str());
}
BENCHMARK(BM_DiskSync)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

// ---------------------------------------------------------------------------------------------
// Integration latency under the same load.

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return static_cast<double>(v[k]) / 1e6;
}

uint64_t CheckpointSize(const Log& log) {
  absl::StatusOr<std::string> signed_note = log.LatestCheckpoint();
  if (!signed_note.ok()) return 0;
  absl::StatusOr<Note> note = ParseNote(*signed_note);
  if (!note.ok()) return 0;
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(note->text);
  return cp.ok() ? cp->size : 0;
}

// Offered load: state.range(0) appends/s for 10 s, from 4 threads appending a burst every
// millisecond through the callback API.
void BM_IntegrationLatency(benchmark::State& state) {
  constexpr int kThreads = 4;
  constexpr auto kLoad = std::chrono::seconds(10);
  const uint64_t rate = static_cast<uint64_t>(state.range(0));
  const uint64_t per_thread_per_ms = rate / 1000 / kThreads;
  const size_t max_entries = rate * 12;
  using SteadyClock = std::chrono::steady_clock;
  auto now_ns = [] { return SteadyClock::now().time_since_epoch().count(); };

  for (auto _ : state) {
    BenchLog bench{LogOptions{}};
    Log& log = bench.log();
    std::vector<int64_t> durable_at(max_entries, 0);
    std::vector<int64_t> integrated_at(max_entries, 0);
    std::vector<int64_t> checkpointed_at(max_entries, 0);
    std::atomic<uint64_t> submitted{0};
    std::atomic<uint64_t> answered{0};
    std::atomic<uint64_t> refused{0};
    std::atomic<bool> stop{false};

    std::thread monitor([&] {
      uint64_t integrated = 0;
      uint64_t checkpointed = 0;
      while (!stop.load()) {
        const uint64_t i = std::min<uint64_t>(log.IntegratedSize(), max_entries);
        const uint64_t c = std::min<uint64_t>(CheckpointSize(log), max_entries);
        const int64_t t = now_ns();
        for (; integrated < i; ++integrated) integrated_at[integrated] = t;
        for (; checkpointed < c; ++checkpointed) checkpointed_at[checkpointed] = t;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    });
    std::vector<std::thread> appenders;
    const auto start = SteadyClock::now();
    for (int t = 0; t < kThreads; ++t) {
      appenders.emplace_back([&, t] {
        uint64_t i = 0;
        for (auto tick = start; tick < start + kLoad; tick += std::chrono::milliseconds(1)) {
          std::this_thread::sleep_until(tick);
          for (uint64_t k = 0; k < per_thread_per_ms; ++k) {
            submitted.fetch_add(1);
            log.Append(Entry(t, i++, kEntryBytes), [&](absl::StatusOr<uint64_t> index) {
              if (!index.ok()) {
                refused.fetch_add(1);
              } else if (*index < max_entries) {
                durable_at[*index] = now_ns();
              }
              answered.fetch_add(1, std::memory_order_release);
            });
          }
        }
      });
    }
    for (std::thread& a : appenders) a.join();
    while (answered.load(std::memory_order_acquire) < submitted.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    // Let the integrator and the checkpoint interval catch up with the last appends.
    if (absl::Status s = log.Flush(); !s.ok()) state.SkipWithError(s.ToString().c_str());
    const uint64_t appended = log.DurableSize();
    while (CheckpointSize(log) < appended)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stop = true;
    monitor.join();

    std::vector<int64_t> to_integrated;
    std::vector<int64_t> to_checkpoint;
    for (uint64_t i = 0; i < std::min<uint64_t>(appended, max_entries); ++i) {
      to_integrated.push_back(std::max<int64_t>(0, integrated_at[i] - durable_at[i]));
      to_checkpoint.push_back(std::max<int64_t>(0, checkpointed_at[i] - durable_at[i]));
    }
    state.counters["appends_per_s"] = static_cast<double>(appended) / seconds;
    state.counters["refused"] = static_cast<double>(refused.load());
    state.counters["integrated_p50_ms"] = Percentile(to_integrated, 0.50);
    state.counters["integrated_p99_ms"] = Percentile(to_integrated, 0.99);
    state.counters["integrated_max_ms"] = Percentile(to_integrated, 1.0);
    state.counters["checkpointed_p50_ms"] = Percentile(to_checkpoint, 0.50);
    state.counters["checkpointed_p99_ms"] = Percentile(to_checkpoint, 0.99);
  }
}
BENCHMARK(BM_IntegrationLatency)
    ->Arg(100000)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

// ---------------------------------------------------------------------------------------------
// Reads and proofs on a 10M-entry log.

// Built on first use through the ordinary API (16-byte entries, groups of 65536), kept for
// every read benchmark, removed at exit.
BenchLog& BigLog() {
  static BenchLog* const big = [] {
    LogOptions options;
    options.max_batch = 65536;
    options.max_pending = 1 << 20;
    auto* bench = new BenchLog(options);
    Log& log = bench->log();
    std::mutex mu;
    std::condition_variable cv;
    uint64_t acknowledged = 0;
    absl::Status error;
    for (uint64_t i = 0; i < kBigLogSize; ++i) {
      // Keep at most half of max_pending in flight.
      if (i % 65536 == 0) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return i - acknowledged <= options.max_pending / 2; });
      }
      log.Append(Entry(0, i, 16), [&](absl::StatusOr<uint64_t> index) {
        std::lock_guard<std::mutex> lock(mu);
        if (!index.ok()) error = index.status();
        ++acknowledged;
        cv.notify_one();
      });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return acknowledged == kBigLogSize; });
    }
    if (!error.ok()) throw std::runtime_error(error.ToString());
    if (absl::Status s = log.Flush(); !s.ok()) throw std::runtime_error(s.ToString());
    if (log.IntegratedSize() != kBigLogSize) throw std::runtime_error("not integrated");
    std::atexit([] { delete big; });
    return bench;
  }();
  return *big;
}

void BM_InclusionProof10M(benchmark::State& state) {
  Log& log = BigLog().log();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto proof = log.InclusionProof(rng() % kBigLogSize, kBigLogSize);
    if (!proof.ok()) state.SkipWithError(proof.status().ToString().c_str());
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_InclusionProof10M)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProof10M(benchmark::State& state) {
  Log& log = BigLog().log();
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    auto proof = log.ConsistencyProof(1 + rng() % (kBigLogSize - 1), kBigLogSize);
    if (!proof.ok()) state.SkipWithError(proof.status().ToString().c_str());
    benchmark::DoNotOptimize(proof);
  }
}
BENCHMARK(BM_ConsistencyProof10M)->Unit(benchmark::kMicrosecond);

void BM_ReadTile10M(benchmark::State& state) {
  Log& log = BigLog().log();
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    auto tile = log.ReadTile(0, rng() % (kBigLogSize / 256), 0);
    if (!tile.ok()) state.SkipWithError(tile.status().ToString().c_str());
    benchmark::DoNotOptimize(tile);
  }
}
BENCHMARK(BM_ReadTile10M)->Unit(benchmark::kMicrosecond);

void BM_ReadEntryBundle10M(benchmark::State& state) {
  Log& log = BigLog().log();
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    auto bundle = log.ReadEntryBundle(rng() % (kBigLogSize / 256), 0);
    if (!bundle.ok()) state.SkipWithError(bundle.status().ToString().c_str());
    benchmark::DoNotOptimize(bundle);
  }
}
BENCHMARK(BM_ReadEntryBundle10M)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace domicile::tlog
