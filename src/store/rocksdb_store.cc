#include "store/rocksdb_store.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "fmt/core.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/status.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace domicile::store {
namespace {

constexpr size_t kWriteBufferBytes = 32 << 20;
// A batch at least this large is bulk-loaded (an SST file written and ingested) by WriteBulk:
// below it, the write-ahead log and memtable are cheaper than a file and a manifest update.
constexpr size_t kBulkLoadMinBytes = 1 << 20;
// Where WriteBulk writes its files before ingesting them, inside the database's directory
// (RocksDB ignores subdirectories); anything left there by a crash is removed at open.
constexpr char kIngestDir[] = "ingest";
constexpr int kMaxWriteBuffers = 2;
constexpr int kBloomBitsPerKey = 10;
// How far a ScanOnce reads ahead: large reads instead of one 4 KiB block per read.
constexpr size_t kScanOnceReadahead = 2 << 20;

// The one place where a RocksDB status becomes an absl::Status.
absl::Status FromRocksDb(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = fmt::format("rocksdb: {}", s.ToString());
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kIOError:
      if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
      // RocksDB reports a LOCK file held by another store only through the message: "lock
      // hold by current process" within this process, "While lock file: ..." (EAGAIN from
      // fcntl) across processes.
      if (message.find("lock hold by current process") != std::string::npos ||
          message.find("While lock file") != std::string::npos) {
        return absl::UnavailableError(message);
      }
      return absl::InternalError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kShutdownInProgress:
      return absl::UnavailableError(message);
    case rocksdb::Status::kAborted:
      return absl::AbortedError(message);
    default:
      return absl::InternalError(message);
  }
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

absl::Status CheckKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("store: empty key");
  return absl::OkStatus();
}

// The smallest key greater than every key starting with `prefix`, or "" when there is none
// (`prefix` empty or made only of 0xff bytes), meaning "no upper bound".
std::string PrefixSuccessor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<uint8_t>(bound.back()) == 0xff) bound.pop_back();
  if (!bound.empty()) bound.back() = static_cast<char>(static_cast<uint8_t>(bound.back()) + 1);
  return bound;
}

absl::StatusOr<std::string> GetAt(rocksdb::DB* db, const rocksdb::Snapshot* snapshot,
                                  std::string_view key) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db->Get(read_options, ToSlice(key), &value);
  if (!s.ok()) return FromRocksDb(s);
  return value;
}

// How a scan reads: kCached as point reads do, kOnce for a scan reading much of the store once
// (read ahead in large steps, nothing added to the block cache).
enum class ScanKind { kCached, kOnce };

// Visits the keys starting with `prefix` as of `snapshot` (the iterator's own implicit
// snapshot when null).
absl::Status ScanAt(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, std::string_view prefix,
                    const ScanFn& fn, std::string_view start = {},
                    ScanKind kind = ScanKind::kCached) {
  const std::string upper = PrefixSuccessor(prefix);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  if (kind == ScanKind::kOnce) {
    read_options.fill_cache = false;
    read_options.readahead_size = kScanOnceReadahead;
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options));
  for (it->Seek(ToSlice(start > prefix ? start : prefix)); it->Valid(); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  return FromRocksDb(it->status());
}

class RocksDbSnapshot : public Snapshot {
 public:
  RocksDbSnapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot)
      : db_(db), snapshot_(snapshot) {}
  ~RocksDbSnapshot() override { db_->ReleaseSnapshot(snapshot_); }
  RocksDbSnapshot(const RocksDbSnapshot&) = delete;
  RocksDbSnapshot& operator=(const RocksDbSnapshot&) = delete;

  absl::StatusOr<std::string> Get(std::string_view key) const override {
    return GetAt(db_, snapshot_, key);
  }
  absl::Status Scan(std::string_view prefix, const ScanFn& fn) const override {
    return ScanAt(db_, snapshot_, prefix, fn);
  }

 private:
  rocksdb::DB* const db_;
  const rocksdb::Snapshot* const snapshot_;
};

// A bulk load streamed into one SST file under <db>/ingest and ingested on Commit. The file is
// removed if the load is abandoned; one left by a crash is removed when the store next opens.
class RocksDbBulkLoad final : public BulkLoad {
 public:
  RocksDbBulkLoad(rocksdb::DB* db, std::shared_mutex* write_mu, std::filesystem::path file)
      : db_(db),
        write_mu_(write_mu),
        file_(std::move(file)),
        // The file is read soon after it is loaded: keep its pages cached.
        writer_(rocksdb::EnvOptions(), db->GetOptions(), /*column_family=*/nullptr,
                /*invalidate_page_cache=*/false) {}
  ~RocksDbBulkLoad() override {
    if (committed_) return;
    // The writer abandons its file when destroyed; unlinked now, it is gone once closed.
    std::error_code ec;
    std::filesystem::remove(file_, ec);
  }
  RocksDbBulkLoad(const RocksDbBulkLoad&) = delete;
  RocksDbBulkLoad& operator=(const RocksDbBulkLoad&) = delete;

  absl::Status Put(std::string_view key, std::string_view value) override {
    if (absl::Status s = CheckKey(key); !s.ok()) return s;
    if (committed_) return absl::FailedPreconditionError("bulk load: already committed");
    if (!opened_) {
      if (absl::Status s = FromRocksDb(writer_.Open(file_.string())); !s.ok()) return s;
      opened_ = true;
    }
    return FromRocksDb(writer_.Put(ToSlice(key), ToSlice(value)));
  }

  absl::Status Commit() override {
    if (committed_) return absl::FailedPreconditionError("bulk load: already committed");
    committed_ = true;
    if (!opened_) return absl::OkStatus();  // nothing was put
    rocksdb::Status s = writer_.Finish();
    if (s.ok()) {
      rocksdb::IngestExternalFileOptions ingest;
      ingest.move_files = true;  // the file becomes the database's (synced, then in the manifest)
      std::shared_lock lock(*write_mu_);
      s = db_->IngestExternalFile({file_.string()}, ingest);
    }
    std::error_code ec;
    std::filesystem::remove(file_, ec);  // gone already when it was moved in
    return FromRocksDb(s);
  }

 private:
  rocksdb::DB* const db_;
  std::shared_mutex* const write_mu_;
  const std::filesystem::path file_;
  rocksdb::SstFileWriter writer_;
  bool opened_ = false;
  bool committed_ = false;
};

class RocksDbStore : public KvStore {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, bool sync_writes) : db_(std::move(db)) {
    write_options_.sync = sync_writes;
  }
  ~RocksDbStore() override {
    // Close flushes nothing we depend on (the WAL already holds every acknowledged write);
    // its status has nowhere to go from a destructor.
    db_->Close().PermitUncheckedError();
  }
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  absl::StatusOr<std::string> Get(std::string_view key) const override {
    return GetAt(db_.get(), nullptr, key);
  }

  absl::Status Put(std::string_view key, std::string_view value) override {
    if (absl::Status s = CheckKey(key); !s.ok()) return s;
    std::shared_lock lock(write_mu_);
    return FromRocksDb(db_->Put(write_options_, ToSlice(key), ToSlice(value)));
  }

  absl::Status Delete(std::string_view key) override {
    if (absl::Status s = CheckKey(key); !s.ok()) return s;
    std::shared_lock lock(write_mu_);
    return FromRocksDb(db_->Delete(write_options_, ToSlice(key)));
  }

  absl::Status Write(const WriteBatch& batch) override {
    if (!batch.expectations().empty()) {
      // The database is this process's alone (RocksDB locks it): holding every writer off
      // makes the check and the write one step.
      std::unique_lock lock(write_mu_);
      for (const WriteBatch::Expectation& e : batch.expectations()) {
        absl::StatusOr<std::string> current = Get(e.key);
        if (!current.ok() && !absl::IsNotFound(current.status())) return current.status();
        const bool holds = e.value.has_value() ? current.ok() && *current == *e.value
                                               : absl::IsNotFound(current.status());
        if (!holds) return ExpectationFailedError(e.key);
      }
      return WriteLocked(batch);
    }
    std::shared_lock lock(write_mu_);
    return WriteLocked(batch);
  }

  // REQUIRES: write_mu_ held (shared or exclusive).
  absl::Status WriteLocked(const WriteBatch& batch) {
    if (batch.empty()) return absl::OkStatus();
    rocksdb::WriteBatch rocks_batch;
    for (const WriteBatch::Op& op : batch.ops()) {
      if (absl::Status s = CheckKey(op.key); !s.ok()) return s;
      rocksdb::Status s = op.type == WriteBatch::OpType::kPut
                              ? rocks_batch.Put(ToSlice(op.key), ToSlice(op.value))
                              : rocks_batch.Delete(ToSlice(op.key));
      if (!s.ok()) return FromRocksDb(s);
    }
    return FromRocksDb(db_->Write(write_options_, &rocks_batch));
  }

  absl::Status WriteBulk(const WriteBatch& batch) override {
    if (!batch.expectations().empty()) return Write(batch);
    size_t bytes = 0;
    for (const WriteBatch::Op& op : batch.ops()) {
      if (op.type != WriteBatch::OpType::kPut) return Write(batch);  // deletes: the usual path
      bytes += op.key.size() + op.value.size();
    }
    if (bytes < kBulkLoadMinBytes) return Write(batch);
    // An SST file holds each key once, in order: the last put of a key wins, as in Write.
    std::vector<const WriteBatch::Op*> ops;
    ops.reserve(batch.size());
    for (const WriteBatch::Op& op : batch.ops()) {
      if (absl::Status s = CheckKey(op.key); !s.ok()) return s;
      ops.push_back(&op);
    }
    auto by_key = [](const WriteBatch::Op* a, const WriteBatch::Op* b) { return a->key < b->key; };
    if (!std::is_sorted(ops.begin(), ops.end(), by_key)) {
      std::stable_sort(ops.begin(), ops.end(), by_key);
    }
    RocksDbBulkLoad load(db_.get(), &write_mu_, NextIngestFile());
    for (size_t i = 0; i < ops.size(); ++i) {
      if (i + 1 < ops.size() && ops[i + 1]->key == ops[i]->key) continue;  // a later put wins
      if (absl::Status s = load.Put(ops[i]->key, ops[i]->value); !s.ok()) return s;
    }
    return load.Commit();
  }

  absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() override {
    return std::make_unique<RocksDbBulkLoad>(db_.get(), &write_mu_, NextIngestFile());
  }

  absl::Status Scan(std::string_view prefix, const ScanFn& fn) const override {
    return ScanAt(db_.get(), nullptr, prefix, fn);
  }
  absl::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) const override {
    return ScanAt(db_.get(), nullptr, prefix, fn, start);
  }
  absl::Status ScanOnce(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) const override {
    return ScanAt(db_.get(), nullptr, prefix, fn, start, ScanKind::kOnce);
  }

  // From the table properties of the files the prefix's range touches (whole files: keys of
  // other prefixes in them count too) and the memtables' statistics for the range.
  absl::StatusOr<Estimate> EstimatePrefix(std::string_view prefix) const override {
    const std::string upper = PrefixSuccessor(prefix);
    if (upper.empty()) return KvStore::EstimatePrefix(prefix);  // no end to the range: count
    const rocksdb::Range range(ToSlice(prefix), ToSlice(upper));
    rocksdb::TablePropertiesCollection tables;
    rocksdb::Status s =
        db_->GetPropertiesOfTablesInRange(db_->DefaultColumnFamily(), &range, 1, &tables);
    if (!s.ok()) return FromRocksDb(s);
    Estimate e;
    for (const auto& [file, props] : tables) {
      if (props == nullptr) continue;
      e.keys += props->num_entries - std::min(props->num_entries, props->num_deletions);
      // Raw key sizes are of internal keys: each user key and 8 bytes of sequence and type.
      const uint64_t trailers = 8 * props->num_entries;
      e.bytes += props->raw_key_size + props->raw_value_size -
                 std::min(trailers, props->raw_key_size + props->raw_value_size);
    }
    uint64_t count = 0, size = 0;
    db_->GetApproximateMemTableStats(range, &count, &size);
    e.keys += count;
    e.bytes += size;
    return e;
  }

  absl::StatusOr<std::unique_ptr<Snapshot>> GetSnapshot() const override {
    const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
    if (snapshot == nullptr) return absl::InternalError("rocksdb: GetSnapshot returned null");
    return std::make_unique<RocksDbSnapshot>(db_.get(), snapshot);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
  std::filesystem::path NextIngestFile() {
    return std::filesystem::path(db_->GetName()) / kIngestDir /
           fmt::format("bulk-{}.sst", next_file_.fetch_add(1));
  }

  std::atomic<uint64_t> next_file_{0};
  // Writers share it; a conditional Write holds it alone between its check and its write.
  std::shared_mutex write_mu_;
};

rocksdb::Options MakeOptions(const RocksDbOptions& options) {
  rocksdb::BlockBasedTableOptions table;
  // A few large shards rather than RocksDB's 64 small ones: an index or filter partition must
  // fit in its shard beside the data blocks, or it is evicted and re-read on every get.
  rocksdb::LRUCacheOptions cache;
  cache.capacity = options.block_cache_bytes;
  cache.num_shard_bits = 2;
  cache.high_pri_pool_ratio = 0.5;
  table.block_cache = rocksdb::NewLRUCache(cache);
  // Point gets dominate: a whole-key bloom filter lets most misses skip the disk. Index and
  // filters are partitioned into small blocks kept in the block cache at high priority, with
  // their top level pinned, so their memory stays bounded by the cache as data grows, and a
  // get reads one small partition rather than a whole index.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  table.whole_key_filtering = true;
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;

  rocksdb::Options rocks;
  rocks.create_if_missing = options.create_if_missing;
  rocks.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Values are ciphertext: compression would cost CPU and save nothing.
  rocks.compression = rocksdb::kNoCompression;
  rocks.bottommost_compression = rocksdb::kDisableCompressionOption;
  rocks.write_buffer_size = kWriteBufferBytes;
  rocks.max_write_buffer_number = kMaxWriteBuffers;
  rocks.level_compaction_dynamic_level_bytes = true;
  rocks.max_background_jobs = 2;
  rocks.bytes_per_sync = 1 << 20;
  // RocksDB's own LOG files: enough to diagnose, bounded on disk.
  rocks.keep_log_file_num = 3;
  rocks.max_log_file_size = 4 << 20;
  return rocks;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbStore(const std::filesystem::path& dir,
                                                          const RocksDbOptions& options) {
  // RocksDB reports a missing database as InvalidArgument; callers are promised NotFound.
  std::error_code ec;
  if (!options.create_if_missing && !std::filesystem::exists(dir / "CURRENT", ec)) {
    return absl::NotFoundError(fmt::format("store: no database in {}", dir.string()));
  }
  // RocksDB creates only the last component of the path.
  if (options.create_if_missing && !std::filesystem::create_directories(dir, ec) && ec) {
    return absl::InternalError(
        fmt::format("store: cannot create {}: {}", dir.string(), ec.message()));
  }
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(MakeOptions(options), dir.string(), &raw_db);
  if (!s.ok()) return FromRocksDb(s);
  std::unique_ptr<rocksdb::DB> db(raw_db);
  // Now that the database is locked to this store: files of a bulk load that a crash
  // interrupted were never ingested, and nothing refers to them.
  std::filesystem::remove_all(dir / kIngestDir, ec);
  if (!std::filesystem::create_directories(dir / kIngestDir, ec) && ec) {
    return absl::InternalError(
        fmt::format("store: cannot create {}: {}", (dir / kIngestDir).string(), ec.message()));
  }
  return std::make_unique<RocksDbStore>(std::move(db), options.sync_writes);
}

absl::Status CompactRocksDbStore(const std::filesystem::path& dir, const RocksDbOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "CURRENT", ec)) {
    return absl::NotFoundError(fmt::format("store: no database in {}", dir.string()));
  }
  RocksDbOptions existing = options;
  existing.create_if_missing = false;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(MakeOptions(existing), dir.string(), &raw_db);
  if (!s.ok()) return FromRocksDb(s);
  std::unique_ptr<rocksdb::DB> db(raw_db);
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  s = db->CompactRange(compact, nullptr, nullptr);  // flushes the memtable first
  if (s.ok()) s = db->Close();
  return FromRocksDb(s);
}

}  // namespace domicile::store
