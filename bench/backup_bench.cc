// Throughput of backups and restores (issue 6 asks for >= 300 MB/s): a site of 50,000 records
// of 1 KiB sealed values (5,000 subjects with 10 records each, and their wrapped data keys) on
// RocksDB, backed up to a directory store (chunks of 64, 16 or 4 MiB), verified, and restored into
// a fresh RocksDB store with durable writes. Bytes are the backup's entry bytes. Everything lives
// in one temporary directory under /tmp, removed at exit.
//
// Run: build/bench/backup_bench --benchmark_repetitions=3.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "crypto/random.h"
#include "fmt/format.h"
#include "keys/envelope.h"
#include "ops/backup.h"
#include "store/rocksdb_store.h"
#include "vault/site_store.h"

namespace domicile::ops {
namespace {

constexpr int kSubjects = 5'000;
constexpr int kRecordsPerSubject = 10;
constexpr size_t kValueBytes = 1024;

template <typename T>
T Check(absl::StatusOr<T> value) {
  if (!value.ok()) throw std::runtime_error(value.status().ToString());
  return std::move(value).value();
}
void Check(const absl::Status& status) {
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

std::unique_ptr<store::KvStore> Open(const std::filesystem::path& dir, bool sync) {
  store::RocksDbOptions options;
  options.sync_writes = sync;
  return Check(store::OpenRocksDbStore(dir, options));
}

// The source site and one backup of it, made once and shared by every benchmark.
class Fixture {
 public:
  Fixture() {
    std::string tmpl = "/tmp/domicile-backup-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    source_ = Open(dir_ / "site", /*sync=*/false);
    // Wrapped data keys are opaque to backups: random bytes under a made-up KEK id will do.
    // Values are really sealed, so they are as incompressible as real ones.
    const Bytes plaintext(kValueBytes - 29, 'v');  // 29: the envelope's nonce, tag and format
    for (int s = 0; s < kSubjects; ++s) {
      const std::string subject = fmt::format("subject{:06d}", s);
      const crypto::SecretBytes data_key = Check(crypto::RandomSecret(32));
      store::WriteBatch batch;
      const keys::WrappedDataKey wrapped{"site/us-tx/US", Check(crypto::RandomBytes(40))};
      batch.Put(vault::DataKeyStoreKey(subject, vault::Classification::kProtected),
                AsChars(keys::EncodeWrappedDataKey(wrapped)));
      for (int r = 0; r < kRecordsPerSubject; ++r) {
        const std::string key = fmt::format("field{:02d}", r);
        vault::StoredRecord record;
        record.version = 1;
        record.envelope = Check(
            keys::SealValue(data_key.view(), {"us-tx", subject, key, "protected", 1}, plaintext));
        batch.Put(vault::RecordStoreKey(subject, key), vault::EncodeStoredRecord(record));
      }
      Check(source_->Write(batch));
    }
  }
  ~Fixture() {
    source_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static Fixture& Get() {
    static Fixture* const fixture = [] {
      auto* f = new Fixture();
      std::atexit([] { delete fixture; });
      return f;
    }();
    return *fixture;
  }

  static BackupParams Params() {
    BackupParams params;
    params.site = "us-tx";
    params.site_jurisdiction = "US";
    params.jurisdictions = {"US"};
    return params;
  }

  const std::filesystem::path& dir() const { return dir_; }
  store::KvStore& source() { return *source_; }
  // A directory store with chunks of `chunk_mib` MiB, holding one backup of the site (made on
  // first use).
  struct Backup {
    std::unique_ptr<DirectoryBackupStore> store;
    BackupManifest manifest;
  };
  Backup& BackupWithChunks(int64_t chunk_mib) {
    Backup& backup = backups_[chunk_mib];
    if (backup.store == nullptr) {
      backup.store = std::make_unique<DirectoryBackupStore>(
          dir_ / fmt::format("backups-{}", chunk_mib), ChunkBytes(chunk_mib));
      backup.manifest = Check(TakeBackup(*source_, *backup.store, Params()));
    }
    return backup;
  }
  static size_t ChunkBytes(int64_t chunk_mib) { return static_cast<size_t>(chunk_mib) << 20; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::KvStore> source_;
  std::map<int64_t, Backup> backups_;
};

void BM_TakeBackup(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  int round = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const std::filesystem::path dir = f.dir() / fmt::format("take-{}", round++);
    DirectoryBackupStore dest(dir, Fixture::ChunkBytes(state.range(0)));
    bytes += Check(TakeBackup(f.source(), dest, Fixture::Params())).bytes;
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records"] = kSubjects * kRecordsPerSubject;
}
BENCHMARK(BM_TakeBackup)
    ->ArgName("chunk_mib")
    ->Arg(64)
    ->Arg(16)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_VerifyBackup(benchmark::State& state) {
  Fixture::Backup& backup = Fixture::Get().BackupWithChunks(state.range(0));
  for (auto _ : state) Check(VerifyBackup(*backup.store, backup.manifest.id));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * backup.manifest.bytes));
}
BENCHMARK(BM_VerifyBackup)
    ->ArgName("chunk_mib")
    ->Arg(64)
    ->Arg(16)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Verifies, then writes every entry into an empty store (durable writes, 1000-entry batches).
void BM_Restore(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  Fixture::Backup& backup = f.BackupWithChunks(state.range(0));
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::filesystem::path dir = f.dir() / fmt::format("restore-{}", round++);
    std::unique_ptr<store::KvStore> target = Open(dir, /*sync=*/true);
    RestoreParams params;
    params.site = "us-tx";
    state.ResumeTiming();
    const RestoreResult result = Check(Restore(*backup.store, backup.manifest.id, *target, params));
    state.PauseTiming();
    if (result.records_restored != backup.manifest.records)
      throw std::runtime_error("short restore");
    target.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * backup.manifest.bytes));
}
BENCHMARK(BM_Restore)
    ->ArgName("chunk_mib")
    ->Arg(64)
    ->Arg(16)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace domicile::ops
