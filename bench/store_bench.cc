// Micro-benchmarks of the RocksDB KvStore on domicile's record shape: 1 KiB values of
// incompressible bytes. Each benchmark works in its own temporary directory under /tmp,
// removed afterwards.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

#include "fmt/core.h"
#include "store/kv_store.h"
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

}  // namespace
}  // namespace domicile::store
