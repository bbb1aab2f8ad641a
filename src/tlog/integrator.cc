#include "tlog/integrator.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "tlog/checkpoint.h"
#include "tlog/entry_store.h"
#include "tlog/log_layout.h"
#include "tlog/note.h"
#include "tlog/tree_reader.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

// Leaf hashes folded into the tree per tile write: bounds the size of one write (about 64 bytes
// of tiles per leaf) when a large backlog is integrated after a restart.
constexpr size_t kMaxLeavesPerWrite = size_t{1} << 18;
// Leaf hashes kept waiting in memory (64 MiB); beyond, they are read back from the store.
constexpr size_t kMaxQueuedLeaves = size_t{1} << 21;
// Entries read back from the store at a time (about 26 MiB of 400-byte entries).
constexpr uint64_t kMaxEntriesPerRead = uint64_t{1} << 16;

// Checks that the stored checkpoint is for `origin`, for a size the tiles cover, and for the
// root the tiles give at that size. Returns its size.
absl::StatusOr<uint64_t> CheckStoredCheckpoint(const store::KvStore& store,
                                               std::string_view signed_note,
                                               std::string_view origin, uint64_t integrated) {
  absl::StatusOr<Note> note = ParseNote(signed_note);
  if (!note.ok()) {
    return absl::DataLossError("tlog: stored checkpoint: " + note.status().ToString());
  }
  absl::StatusOr<Checkpoint> cp = ParseCheckpoint(note->text);
  if (!cp.ok()) return absl::DataLossError("tlog: stored checkpoint: " + cp.status().ToString());
  if (cp->origin != origin) {
    return absl::FailedPreconditionError(fmt::format(
        "tlog: the log's checkpoints are for origin '{}', not '{}'", cp->origin, origin));
  }
  if (cp->size > integrated) {
    return absl::DataLossError(
        fmt::format("tlog: stored checkpoint of size {} exceeds the integrated tree of size {}",
                    cp->size, integrated));
  }
  TreeReader reader(
      [&store](int level, uint64_t index) -> absl::StatusOr<std::shared_ptr<const std::string>> {
        ASSIGN_OR_RETURN(std::string value, store.Get(layout::TileKey(level, index)));
        return std::make_shared<const std::string>(std::move(value));
      });
  ASSIGN_OR_RETURN(Hash root, reader.Root(cp->size));
  if (root != cp->root) {
    return absl::DataLossError(
        fmt::format("tlog: stored checkpoint of size {} does not match the stored tree", cp->size));
  }
  return cp->size;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Integrator>> Integrator::Open(store::KvStore* store,
                                                             uint64_t durable_size,
                                                             const LogOptions& options,
                                                             CheckpointSigner signer,
                                                             const Clock* clock) {
  ASSIGN_OR_RETURN(uint64_t integrated, layout::ReadSize(*store, layout::kIntegratedSizeKey));
  if (integrated > durable_size) {
    return absl::DataLossError(
        fmt::format("tlog: the integrated tree (size {}) is larger than the log ({} entries)",
                    integrated, durable_size));
  }
  ASSIGN_OR_RETURN(TreeEdge edge, TreeEdge::Load(integrated, [store](int level, uint64_t index) {
                     return store->Get(layout::TileKey(level, index));
                   }));
  std::unique_ptr<Integrator> integrator(
      new Integrator(store, durable_size, options, std::move(signer), clock, std::move(edge)));
  absl::StatusOr<std::string> checkpoint = store->Get(layout::kCheckpointKey);
  if (checkpoint.ok()) {
    ASSIGN_OR_RETURN(uint64_t checkpoint_size,
                     CheckStoredCheckpoint(*store, *checkpoint, options.origin, integrated));
    integrator->checkpoint_ = *std::move(checkpoint);
    integrator->checkpoint_size_ = checkpoint_size;
    integrator->has_checkpoint_ = true;
  } else if (!absl::IsNotFound(checkpoint.status())) {
    return checkpoint.status();
  }
  return integrator;
}

Integrator::Integrator(store::KvStore* store, uint64_t durable_size, const LogOptions& options,
                       CheckpointSigner signer, const Clock* clock, TreeEdge edge)
    : store_(store),
      options_(options),
      signer_(std::move(signer)),
      clock_(clock),
      edge_(std::move(edge)),
      size_(edge_.size()),
      durable_(durable_size),
      queued_first_(durable_size) {}

Integrator::~Integrator() { Stop(); }

void Integrator::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Integrator::Add(uint64_t first, std::vector<Hash> leaf_hashes) {
  std::lock_guard<std::mutex> lock(mu_);
  assert(first == durable_);
  (void)first;
  durable_ += leaf_hashes.size();
  if (queued_.size() + leaf_hashes.size() > kMaxQueuedLeaves) {
    // Integration is far behind (failing tile writes?): drop the hashes rather than grow without
    // bound; the entries are durable, and Integrate reads them back.
    queued_.clear();
    queued_first_ = durable_;
  } else if (queued_.empty()) {
    queued_ = std::move(leaf_hashes);
  } else {
    queued_.insert(queued_.end(), leaf_hashes.begin(), leaf_hashes.end());
  }
}

absl::Status Integrator::Flush() {
  std::lock_guard<std::mutex> work_lock(work_mu_);
  return Round(/*force=*/true);
}

void Integrator::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  // Never started (Open failed half-way, or the log is being torn down) or already stopped:
  // nothing to finish, and nothing may be published.
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (absl::Status s = Flush(); !s.ok()) {
    spdlog::warn("tlog: last integration at close failed: {}", s.ToString());
  }
}

absl::StatusOr<std::string> Integrator::LatestCheckpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!has_checkpoint_) return absl::NotFoundError("tlog: no checkpoint published yet");
  return checkpoint_;
}

void Integrator::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.integration_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    {
      std::lock_guard<std::mutex> work_lock(work_mu_);
      const absl::Status s = Integrate();
      // Say it once when integration starts failing and once when it recovers, not every round.
      if (!s.ok() && !failing_) spdlog::warn("tlog: integration failed: {}", s.ToString());
      if (s.ok() && failing_) spdlog::info("tlog: integration succeeds again");
      failing_ = !s.ok();
      // Publish logs its own failures; the next due round retries.
      if (s.ok()) Publish(/*force=*/false).IgnoreError();
    }
    lock.lock();
  }
}

absl::Status Integrator::Round(bool force) {
  RETURN_IF_ERROR(Integrate());
  return Publish(force);
}

absl::StatusOr<std::vector<Hash>> Integrator::NextLeaves() {
  uint64_t begin;
  uint64_t end;
  {
    std::lock_guard<std::mutex> lock(mu_);
    begin = edge_.size();
    if (begin >= queued_first_) {
      // The usual case: the hashes the appender handed over.
      const size_t n = std::min(queued_.size(), kMaxLeavesPerWrite);
      std::vector<Hash> leaves;
      if (n == queued_.size()) {
        leaves.swap(queued_);
      } else {
        leaves.assign(queued_.begin(), queued_.begin() + n);
        queued_.erase(queued_.begin(), queued_.begin() + n);
      }
      queued_first_ += n;
      return leaves;
    }
    end = std::min<uint64_t>(queued_first_, begin + kMaxEntriesPerRead);
  }
  // Entries whose hashes are not queued (a backlog at Open, a failed round, dropped hashes):
  // read them back from the store.
  ASSIGN_OR_RETURN(std::vector<Bytes> entries, ReadEntries(*store_, begin, end));
  std::vector<Hash> leaves;
  leaves.reserve(entries.size());
  for (const Bytes& e : entries) leaves.push_back(LeafHash(e));
  return leaves;
}

absl::Status Integrator::Integrate() {
  while (true) {
    ASSIGN_OR_RETURN(std::vector<Hash> leaves, NextLeaves());
    if (leaves.empty()) return absl::OkStatus();
    // Work on a copy of the edge, so that a failed write leaves the tree as it was; the leaves
    // of a failed write are read back from the store by the next round.
    TreeEdge next = edge_;
    store::WriteBatch batch;
    next.Append(leaves, batch);
    batch.Put(layout::kIntegratedSizeKey, layout::EncodeSize(next.size()));
    RETURN_IF_ERROR(store_->Write(batch));
    edge_ = std::move(next);
    size_.store(edge_.size(), std::memory_order_release);
  }
}

absl::Status Integrator::Publish(bool force) {
  const uint64_t size = edge_.size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (size == 0 || (has_checkpoint_ && checkpoint_size_ == size)) return absl::OkStatus();
  }
  const auto now = clock_->Now();
  if (!force && now - last_publish_attempt_ < options_.checkpoint_interval) {
    return absl::OkStatus();
  }
  last_publish_attempt_ = now;
  const std::string text = FormatCheckpoint({options_.origin, size, edge_.Root(), {}});
  absl::StatusOr<std::string> signed_note = signer_(text);
  if (!signed_note.ok()) {
    // The old checkpoint stays; the next due round tries again.
    spdlog::warn("tlog: signing the checkpoint of size {} failed: {}", size,
                 signed_note.status().ToString());
    return signed_note.status();
  }
  if (!signed_note->starts_with(text)) {
    spdlog::warn("tlog: the checkpoint signer returned a note of another text");
    return absl::InternalError("tlog: the checkpoint signer returned a note of another text");
  }
  if (absl::Status s = store_->Put(layout::kCheckpointKey, *signed_note); !s.ok()) {
    spdlog::warn("tlog: storing the checkpoint of size {} failed: {}", size, s.ToString());
    return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  checkpoint_ = *std::move(signed_note);
  checkpoint_size_ = size;
  has_checkpoint_ = true;
  return absl::OkStatus();
}

}  // namespace domicile::tlog
