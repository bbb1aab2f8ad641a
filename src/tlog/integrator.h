// Integrator: folds durable entries into the log's Merkle tree and publishes checkpoints. The
// appender hands it the leaf hashes of each durable group; every integration_interval a
// background thread appends them to the tree's right edge (tree_edge.h) and stores the tiles
// that changed together with the new integrated size in one synced write, so a crash leaves
// either the old tree or the new one. Then, at most every checkpoint_interval and only if the
// tree grew, it signs a checkpoint for the integrated size, stores it, and makes it the latest.
//
// The handed-over hashes are only a shortcut: durable entries whose hashes it does not hold (the
// backlog at Open, the leaves of a failed round, hashes dropped while far behind) it reads back
// from the store.
//
// Nothing is published for a size whose tiles are not durable: a checkpoint is signed only for
// the size of the last successful tile write.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "tlog/log_options.h"
#include "tlog/merkle.h"
#include "tlog/tree_edge.h"
#include "util/clock.h"

namespace domicile::tlog {

class Integrator {
 public:
  // Resumes from `store`, whose first `durable_size` entries are durable: the integrated size,
  // the tree edge, the latest checkpoint. DataLoss if they are inconsistent. `store` and `clock`
  // outlive the integrator. Does not start the thread.
  static absl::StatusOr<std::unique_ptr<Integrator>> Open(store::KvStore* store,
                                                          uint64_t durable_size,
                                                          const LogOptions& options,
                                                          CheckpointSigner signer,
                                                          const Clock* clock);
  ~Integrator();  // Stop()
  Integrator(const Integrator&) = delete;
  Integrator& operator=(const Integrator&) = delete;

  // Starts the background thread.
  void Start();

  // Queues the leaf hashes of the durable entries [first, first + leaf_hashes.size()).
  // REQUIRES: `first` is the durable size so far (Open's, plus every Add). Thread-safe.
  void Add(uint64_t first, std::vector<Hash> leaf_hashes);

  // Integrates everything queued and, if the tree grew since the last checkpoint, publishes one
  // now. Returns the first failure (tile write, signer, checkpoint write). Thread-safe.
  absl::Status Flush();

  // Stops the thread, then integrates and publishes what is queued. Does nothing if the thread
  // was never started. Idempotent.
  void Stop();

  // The size of the tree whose tiles are durable. Thread-safe.
  uint64_t size() const { return size_.load(std::memory_order_acquire); }

  // The latest published signed checkpoint; NotFound before the first. Thread-safe.
  absl::StatusOr<std::string> LatestCheckpoint() const;

 private:
  Integrator(store::KvStore* store, uint64_t durable_size, const LogOptions& options,
             CheckpointSigner signer, const Clock* clock, TreeEdge edge);

  void Run();
  // Integrates and publishes if due (or `force`d). REQUIRES: work_mu_ held.
  absl::Status Round(bool force);
  // Integrates every durable entry. REQUIRES: work_mu_ held.
  absl::Status Integrate();
  // The leaf hashes of the next durable entries to integrate, from the queue or the store; empty
  // when all are integrated. REQUIRES: work_mu_ held.
  absl::StatusOr<std::vector<Hash>> NextLeaves();
  // Publishes a checkpoint of the edge if the tree grew and it is due. REQUIRES: work_mu_ held.
  absl::Status Publish(bool force);

  store::KvStore* const store_;
  const LogOptions options_;
  const CheckpointSigner signer_;
  const Clock* const clock_;

  std::mutex work_mu_;  // one round at a time: the thread's, Flush's or Stop's
  TreeEdge edge_;       // guarded by work_mu_
  std::chrono::system_clock::time_point last_publish_attempt_{};  // guarded by work_mu_
  bool failing_ =
      false;  // the last background integration failed (for logging); guarded by work_mu_
  std::atomic<uint64_t> size_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t durable_;  // entries durable so far; guarded by mu_
  // The hashes of entries [queued_first_, durable_); guarded by mu_. Entries from the edge's size
  // up to queued_first_ are read from the store.
  std::vector<Hash> queued_;
  uint64_t queued_first_;         // guarded by mu_
  std::string checkpoint_;        // latest published; guarded by mu_
  uint64_t checkpoint_size_ = 0;  // guarded by mu_
  bool has_checkpoint_ = false;   // guarded by mu_
  bool stopping_ = false;         // guarded by mu_

  std::mutex stop_mu_;  // serializes Stop
  std::thread thread_;
};

}  // namespace domicile::tlog
