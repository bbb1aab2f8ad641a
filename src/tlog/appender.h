// Appender: the log's write path with group commit. Any number of threads append; one committer
// thread takes whatever is queued (up to max_batch entries) and makes it durable with a single
// synced KvStore write holding the group's entry chunks (entry_store.h) and the new durable
// size. Only after that write returns does an appender learn its index, so every index handed
// out survives a crash with its bytes, and indices are dense and never reused.
//
// Fail closed: once a durable write fails, the state of the store is unknown, so the appender
// refuses every later append until the log is reopened (which reads the truth back).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "tlog/merkle.h"
#include "util/bytes.h"

namespace domicile::tlog {

class Appender {
 public:
  // Told the entry's index once durable, or why it was refused.
  using AppendCallback = std::function<void(absl::StatusOr<uint64_t> index)>;
  // Called on the committer thread with the leaf hashes of entries [first, first + n) as soon as
  // they are durable, before their appenders are told.
  using DurableFn = std::function<void(uint64_t first, std::vector<Hash> leaf_hashes)>;

  // Starts the committer, appending after the `durable_size` entries already in `store`.
  // `store` outlives the appender. REQUIRES: max_pending >= 1, max_batch >= 1.
  Appender(store::KvStore* store, uint64_t durable_size, size_t max_pending, size_t max_batch,
           DurableFn on_durable);
  ~Appender();  // Close()
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Never blocks. Calls `done` exactly once: with the index after the entry is durable (on the
  // committer thread, in index order), or inline with InvalidArgument (empty, or over 65535
  // bytes: error name "too_large") or Unavailable (max_pending appends outstanding, closed, or
  // failed earlier); the committer also answers Unavailable when the durable write fails.
  // Thread-safe.
  void Append(Bytes entry, AppendCallback done);

  // Entries durable so far. Thread-safe.
  uint64_t size() const { return size_.load(std::memory_order_acquire); }

  // Commits everything already queued, then stops the committer; later appends are refused.
  // Idempotent. Thread-safe.
  void Close();

 private:
  struct Pending {
    Bytes entry;
    Hash leaf;
    AppendCallback done;
  };

  void Run();
  // Makes `group` durable and tells its appenders.
  void Commit(std::vector<Pending>& group);

  store::KvStore* const store_;
  const size_t max_pending_;
  const size_t max_batch_;
  const DurableFn on_durable_;
  std::atomic<uint64_t> size_;
  uint64_t next_index_;  // committer thread only

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  size_t outstanding_ = 0;     // queued or being committed; guarded by mu_
  size_t wake_at_ = 1;    // Enqueue wakes the committer when the queue reaches this; guarded by mu_
  bool closing_ = false;  // guarded by mu_
  bool failed_ = false;   // guarded by mu_

  std::mutex close_mu_;  // serializes Close
  std::thread committer_;
};

}  // namespace domicile::tlog
