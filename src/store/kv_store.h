// KvStore: the narrow interface every storage backend implements (RocksDB embedded, later
// PostgreSQL). Keys and values are arbitrary byte strings carried in std::string; keys order
// bytewise (memcmp). One KvStore holds the data of one site (or the node's own metadata), so
// data of different sites never share files or tables.
//
// Thread safety: every method may be called concurrently from any thread.
// Durability: a write that returns OK is durable (survives a process crash and, with the
// default options, a power loss).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace domicile::store {

// A set of puts and deletes applied all together or not at all, in the order added, optionally
// under expectations about keys' current values (a compare-and-set across several keys).
class WriteBatch {
 public:
  enum class OpType { kPut, kDelete };
  struct Op {
    OpType type;
    std::string key;
    std::string value;  // empty for kDelete
  };

  void Put(std::string_view key, std::string_view value) {
    ops_.push_back({OpType::kPut, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) { ops_.push_back({OpType::kDelete, std::string(key), {}}); }

  // Makes the batch conditional: it applies only if, when it is applied, `key` holds exactly
  // `value` (Expect) or no value (ExpectAbsent). The check and the writes are one atomic step,
  // also against other processes sharing the store (nodes sharing one PostgreSQL database).
  struct Expectation {
    std::string key;
    std::optional<std::string> value;  // nullopt: the key must be absent
  };
  void Expect(std::string_view key, std::string_view value) {
    expectations_.push_back({std::string(key), std::string(value)});
  }
  void ExpectAbsent(std::string_view key) {
    expectations_.push_back({std::string(key), std::nullopt});
  }

  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Expectation>& expectations() const { return expectations_; }
  bool empty() const { return ops_.empty(); }  // no writes (expectations alone write nothing)
  size_t size() const { return ops_.size(); }

 private:
  std::vector<Op> ops_;
  std::vector<Expectation> expectations_;
};

// What Write returns when one of the batch's expectations does not hold.
inline absl::Status ExpectationFailedError(std::string_view key) {
  return absl::AbortedError(
      absl::StrCat("write conflict: the value of key '",
                   absl::CHexEscape(absl::string_view(key.data(), key.size())),
                   "' changed concurrently; nothing was written"));
}

// Called for each key/value in a scan, in ascending key order. Return false to stop early.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

// A read-only view of the store frozen at the moment it was taken: later writes are invisible
// to it. Thread-safe. Must not outlive the KvStore that made it.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  // Returns the value, NotFound if the key is absent at the snapshot.
  virtual absl::StatusOr<std::string> Get(std::string_view key) const = 0;
  // Visits every key starting with `prefix` (all keys for an empty prefix).
  virtual absl::Status Scan(std::string_view prefix, const ScanFn& fn) const = 0;
};

// A bulk load: puts in strictly ascending key order, streamed into the backend as they come
// (on RocksDB, straight into an SST file), then made durable and visible all at once by Commit.
// Nothing is visible before Commit; a load destroyed without Commit leaves nothing behind. Not
// thread-safe: one thread at a time, though Commit may run on another thread than the puts.
class BulkLoad {
 public:
  virtual ~BulkLoad() = default;
  // REQUIRES: `key` greater than every key put before in this load (InvalidArgument otherwise,
  // and the load can only be abandoned).
  virtual absl::Status Put(std::string_view key, std::string_view value) = 0;
  // Makes every put durable and visible atomically, replacing the values of those keys; OK and
  // nothing done when nothing was put. At most once.
  virtual absl::Status Commit() = 0;
};

class KvStore;

// The bulk load of a backend that has none of its own: the puts gathered into one batch, given to
// KvStore::WriteBulk on Commit.
class BatchBulkLoad final : public BulkLoad {
 public:
  explicit BatchBulkLoad(KvStore& store) : store_(store) {}
  absl::Status Put(std::string_view key, std::string_view value) override {
    if (!batch_.empty() && key <= last_key_) {
      return absl::InvalidArgumentError("bulk load: keys must be put in strictly ascending order");
    }
    last_key_.assign(key);
    batch_.Put(key, value);
    return absl::OkStatus();
  }
  absl::Status Commit() override;

 private:
  KvStore& store_;
  WriteBatch batch_;
  std::string last_key_;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // Returns the value stored under `key`, or NotFound. Other errors: Unavailable (the backend
  // cannot be reached), Internal/DataLoss (corruption).
  virtual absl::StatusOr<std::string> Get(std::string_view key) const = 0;

  // Stores `value` under `key`, replacing any previous value. Durable on OK.
  virtual absl::Status Put(std::string_view key, std::string_view value) = 0;

  // Removes `key`. Removing an absent key is OK.
  virtual absl::Status Delete(std::string_view key) = 0;

  // Applies every operation of `batch` atomically: after a crash either all or none are
  // visible. Durable on OK. An empty batch is OK and does nothing (its expectations are still
  // checked). If an expectation of the batch does not hold, returns Aborted (error code
  // "conflict", naming the key) and changes nothing.
  virtual absl::Status Write(const WriteBatch& batch) = 0;

  // Write, for large batches of puts (a restore, a migration): a backend may load them in bulk
  // rather than one by one. The same guarantees as Write (atomic; durable on OK; later ops win
  // over earlier ones on the same key; expectations checked). The default is Write.
  virtual absl::Status WriteBulk(const WriteBatch& batch) { return Write(batch); }

  // Starts a bulk load (see BulkLoad) for many puts in ascending key order: a restore streams
  // a backup into it without holding a batch in memory. The default gathers a WriteBatch for
  // WriteBulk.
  virtual absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() {
    return std::make_unique<BatchBulkLoad>(*this);
  }

  // Visits every key starting with `prefix`, in ascending order, from a consistent view.
  virtual absl::Status Scan(std::string_view prefix, const ScanFn& fn) const = 0;

  // Scan, starting at the first key >= `start` (resuming a long scan). The default skips the
  // keys before `start`; backends override it with a seek.
  virtual absl::Status ScanFrom(std::string_view prefix, std::string_view start,
                                const ScanFn& fn) const {
    return Scan(prefix, [&](std::string_view key, std::string_view value) {
      return key < start || fn(key, value);
    });
  }

  // ScanFrom, for a scan that reads each value once over much of the store (a migration, a
  // count): the backend may read ahead in large steps and keep what it reads out of its cache,
  // so that the scan neither pays for caching nor evicts what point reads use. The same
  // results as ScanFrom; the default is ScanFrom.
  virtual absl::Status ScanOnce(std::string_view prefix, std::string_view start,
                                const ScanFn& fn) const {
    return ScanFrom(prefix, start, fn);
  }

  // About how many keys start with `prefix`, and their keys' and values' bytes, from the
  // backend's own statistics, without reading them: for a progress bar's total. It may count
  // keys deleted or overwritten but not yet compacted away, and keys of other prefixes stored
  // beside them. Unimplemented when the backend keeps no such statistics (then count).
  struct Estimate {
    uint64_t keys = 0;
    uint64_t bytes = 0;
  };
  virtual absl::StatusOr<Estimate> EstimatePrefix(std::string_view /*prefix*/) const {
    return absl::UnimplementedError("this store cannot estimate a prefix's size");
  }

  // Takes a consistent snapshot of the whole store.
  virtual absl::StatusOr<std::unique_ptr<Snapshot>> GetSnapshot() const = 0;
};

inline absl::Status BatchBulkLoad::Commit() {
  if (batch_.empty()) return absl::OkStatus();
  absl::Status status = store_.WriteBulk(batch_);
  batch_ = WriteBatch();
  return status;
}

}  // namespace domicile::store
