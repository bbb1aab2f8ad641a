// Micro-benchmarks of the KvStore backends on domicile's record shape: 1 KiB values of
// incompressible bytes. Each RocksDB benchmark works in its own temporary directory under /tmp,
// removed afterwards. The PostgreSQL ones (BM_Pg*) run when DOMICILE_BENCH_POSTGRES_URL names a
// database, each in a store (table) of its own, dropped afterwards:
//   scripts/test-postgres start /tmp/pgbench --durable
//   DOMICILE_BENCH_POSTGRES_URL=$(cat /tmp/pgbench/url) build/bench/store_bench
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

#include "fmt/core.h"
#include "store/kv_store.h"
#include "store/postgres/postgres_store.h"
#include "store/rocksdb_store.h"

namespace domicile::store {
namespace {

constexpr size_t kValueBytes = 1024;
constexpr int kPreloadedKeys = 100'000;

// A store in a fresh directory under /tmp; closes the store, then removes the directory.
class BenchStore {
 public:
  explicit BenchStore(const RocksDbOptions& options) {
    std::string tmpl = "/tmp/domicile-store-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    auto store = OpenRocksDbStore(dir_, options);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(store).value();
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  BenchStore(const BenchStore&) = delete;
  BenchStore& operator=(const BenchStore&) = delete;

  KvStore& store() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<KvStore> store_;
};

std::string RandomValue(std::mt19937_64& rng) {
  std::string value(kValueBytes, '\0');
  for (size_t i = 0; i < value.size(); i += 8) {
    const uint64_t word = rng();
    for (size_t j = 0; j < 8; ++j) value[i + j] = static_cast<char>(word >> (8 * j));
  }
  return value;
}

std::string Key(int64_t i) { return fmt::format("record/{:010}", i); }

RocksDbOptions Synced(bool sync) {
  RocksDbOptions options;
  options.sync_writes = sync;
  return options;
}

// Loaded once, shared by every run of BM_Get1KiB, removed at exit.
BenchStore& PreloadedStore() {
  static BenchStore* const loaded = [] {
    auto* bench = new BenchStore(Synced(false));
    std::mt19937_64 rng(1);
    for (int i = 0; i < kPreloadedKeys; i += 1000) {
      WriteBatch batch;
      for (int j = i; j < i + 1000; ++j) batch.Put(Key(j), RandomValue(rng));
      if (!bench->store().Write(batch).ok()) throw std::runtime_error("preload failed");
    }
    std::atexit([] { delete loaded; });
    return bench;
  }();
  return *loaded;
}

void BM_Get1KiB(benchmark::State& state) {
  KvStore& store = PreloadedStore().store();
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int> pick(0, kPreloadedKeys - 1);
  for (auto _ : state) {
    auto value = store.Get(Key(pick(rng)));
    if (!value.ok()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get1KiB);

void PutLoop(benchmark::State& state, bool sync) {
  BenchStore bench(Synced(sync));
  std::mt19937_64 rng(3);
  const std::string value = RandomValue(rng);
  int64_t i = 0;
  for (auto _ : state) {
    if (!bench.store().Put(Key(i++), value).ok()) state.SkipWithError("put failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kValueBytes);
}

void BM_PutSynced1KiB(benchmark::State& state) { PutLoop(state, true); }
BENCHMARK(BM_PutSynced1KiB);

void BM_PutUnsynced1KiB(benchmark::State& state) { PutLoop(state, false); }
BENCHMARK(BM_PutUnsynced1KiB);

// A batch of 100 puts of 1 KiB, fsynced once.
void BM_Batch100Synced(benchmark::State& state) {
  constexpr int kBatchOps = 100;
  BenchStore bench(Synced(true));
  std::mt19937_64 rng(4);
  const std::string value = RandomValue(rng);
  int64_t i = 0;
  for (auto _ : state) {
    WriteBatch batch;
    for (int j = 0; j < kBatchOps; ++j) batch.Put(Key(i++), value);
    if (!bench.store().Write(batch).ok()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * kBatchOps);
  state.SetBytesProcessed(state.iterations() * kBatchOps * kValueBytes);
}
BENCHMARK(BM_Batch100Synced);

// A batch of 10,000 puts of 1 KiB (10 MiB) through WriteBulk (an SST file ingested).
constexpr int kBulkOps = 10'000;

WriteBatch BulkBatch(int64_t& next, const std::string& value) {
  WriteBatch batch;
  for (int j = 0; j < kBulkOps; ++j) batch.Put(Key(next++), value);
  return batch;
}

void BulkLoop(benchmark::State& state, KvStore& store) {
  std::mt19937_64 rng(5);
  const std::string value = RandomValue(rng);
  int64_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    WriteBatch batch = BulkBatch(i, value);
    state.ResumeTiming();
    if (!store.WriteBulk(batch).ok()) state.SkipWithError("write bulk failed");
  }
  state.SetItemsProcessed(state.iterations() * kBulkOps);
  state.SetBytesProcessed(state.iterations() * kBulkOps * kValueBytes);
}

void BM_WriteBulk10k(benchmark::State& state) {
  BenchStore bench(Synced(true));
  BulkLoop(state, bench.store());
}
BENCHMARK(BM_WriteBulk10k)->Unit(benchmark::kMillisecond);

// A scan of 1,000 consecutive 1 KiB records (one subject's worth, and more) from a random
// place among the preloaded ones.
constexpr int kScanKeys = 1000;

void ScanLoop(benchmark::State& state, KvStore& store) {
  std::mt19937_64 rng(6);
  std::uniform_int_distribution<int> pick(0, kPreloadedKeys / kScanKeys - 1);
  for (auto _ : state) {
    // Keys record/NNNNNNN000 .. record/NNNNNNN999 share a prefix.
    const std::string prefix = Key(int64_t{pick(rng)} * kScanKeys).substr(0, 7 + 7);
    int seen = 0;
    if (!store.Scan(prefix, [&](std::string_view, std::string_view) { return ++seen > 0; }).ok() ||
        seen != kScanKeys) {
      state.SkipWithError("scan failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * kScanKeys);
}

void BM_Scan1000(benchmark::State& state) { ScanLoop(state, PreloadedStore().store()); }
BENCHMARK(BM_Scan1000);

// PostgreSQL: the same shapes, plus the conditional write that every record write of the vault
// is (create if absent).
const char* PostgresUrl() {
  const char* url = std::getenv("DOMICILE_BENCH_POSTGRES_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

// A store of its own in the benchmark database, dropped afterwards.
class BenchPgStore {
 public:
  BenchPgStore() : name_(fmt::format("bench_{}_{}", getpid(), next_++)) {
    auto store = OpenPostgresStore(PostgresUrl(), name_);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(store).value();
  }
  ~BenchPgStore() {
    store_.reset();
    if (absl::Status s = DropPostgresStore(PostgresUrl(), name_); !s.ok()) {
      std::fprintf(stderr, "store_bench: %s\n", s.ToString().c_str());
    }
  }
  BenchPgStore(const BenchPgStore&) = delete;
  BenchPgStore& operator=(const BenchPgStore&) = delete;
  KvStore& store() { return *store_; }

 private:
  static inline int next_ = 0;
  std::string name_;
  std::unique_ptr<KvStore> store_;
};

BenchPgStore& PreloadedPgStore() {
  static BenchPgStore* const loaded = [] {
    auto* bench = new BenchPgStore();
    std::mt19937_64 rng(1);
    for (int i = 0; i < kPreloadedKeys; i += kBulkOps) {
      WriteBatch batch;
      for (int j = i; j < i + kBulkOps; ++j) batch.Put(Key(j), RandomValue(rng));
      if (!bench->store().WriteBulk(batch).ok()) throw std::runtime_error("preload failed");
    }
    std::atexit([] { delete loaded; });
    return bench;
  }();
  return *loaded;
}

void BM_PgGet1KiB(benchmark::State& state) {
  KvStore& store = PreloadedPgStore().store();
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int> pick(0, kPreloadedKeys - 1);
  for (auto _ : state) {
    auto value = store.Get(Key(pick(rng)));
    if (!value.ok()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PgPut1KiB(benchmark::State& state) {
  BenchPgStore bench;
  std::mt19937_64 rng(3);
  const std::string value = RandomValue(rng);
  int64_t i = 0;
  for (auto _ : state) {
    if (!bench.store().Put(Key(i++), value).ok()) state.SkipWithError("put failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * kValueBytes);
}

// A record's creation as the vault writes it: the key expected absent, then put.
void BM_PgCreate1KiB(benchmark::State& state) {
  BenchPgStore bench;
  std::mt19937_64 rng(3);
  const std::string value = RandomValue(rng);
  int64_t i = 0;
  for (auto _ : state) {
    WriteBatch batch;
    batch.ExpectAbsent(Key(i));
    batch.Put(Key(i++), value);
    if (!bench.store().Write(batch).ok()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PgBatch100(benchmark::State& state) {
  constexpr int kBatchOps = 100;
  BenchPgStore bench;
  std::mt19937_64 rng(4);
  const std::string value = RandomValue(rng);
  int64_t i = 0;
  for (auto _ : state) {
    WriteBatch batch;
    for (int j = 0; j < kBatchOps; ++j) batch.Put(Key(i++), value);
    if (!bench.store().Write(batch).ok()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * kBatchOps);
  state.SetBytesProcessed(state.iterations() * kBatchOps * kValueBytes);
}

void BM_PgWriteBulk10k(benchmark::State& state) {
  BenchPgStore bench;
  BulkLoop(state, bench.store());
}

void BM_PgScan1000(benchmark::State& state) { ScanLoop(state, PreloadedPgStore().store()); }

// Registered only with a database to run against; said once, loudly, otherwise.
const bool kPostgresRegistered = [] {
  if (PostgresUrl() == nullptr) {
    std::fprintf(stderr,
                 "store_bench: PostgreSQL benchmarks skipped: DOMICILE_BENCH_POSTGRES_URL is not "
                 "set (scripts/test-postgres start DIR --durable writes one to DIR/url)\n");
    return false;
  }
  // The client waits on the server: rates by wall-clock time, not this process's CPU time.
  benchmark::RegisterBenchmark("BM_PgGet1KiB", BM_PgGet1KiB)->UseRealTime();
  benchmark::RegisterBenchmark("BM_PgPut1KiB", BM_PgPut1KiB)->UseRealTime();
  benchmark::RegisterBenchmark("BM_PgCreate1KiB", BM_PgCreate1KiB)->UseRealTime();
  benchmark::RegisterBenchmark("BM_PgBatch100", BM_PgBatch100)->UseRealTime();
  benchmark::RegisterBenchmark("BM_PgWriteBulk10k", BM_PgWriteBulk10k)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_PgScan1000", BM_PgScan1000)->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace domicile::store
