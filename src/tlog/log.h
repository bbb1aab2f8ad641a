// Log: domicile's durable, tiled transparency log. Events are appended with group commit (an
// appender learns its index only once the entry is durable), folded by a background integrator
// into an RFC 6962 Merkle tree stored as C2SP tlog-tiles hash tiles, and published as signed
// C2SP checkpoints. The log serves exactly the tlog-tiles resources (tiles, entry bundles) and
// the proofs clients check against a checkpoint. Everything lives in one KvStore that the log
// owns; a crash at any point leaves a state that Open recovers (docs/log.md).
//
// The parts: Appender (write path), Integrator (tree and checkpoints), TreeReader (proofs from
// tiles), entry_store.h (entry bundles), log_layout.h (keys).
//
// Thread safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "tlog/log_options.h"
#include "tlog/merkle.h"
#include "util/bytes.h"
#include "util/clock.h"

namespace domicile::tlog {

class Appender;
class Integrator;

class Log {
 public:
  // Opens (or creates) the log kept in `store` (exclusively owned), recovers its state (durable
  // size, integrated tree, latest checkpoint), starts the committer and integrator threads.
  // Entries that were durable but not yet integrated at a crash are integrated again.
  // `clock` outlives the Log; it paces checkpoints.
  // Errors: InvalidArgument for bad options (empty origin or one with a newline, zero
  // max_pending or max_batch, no signer or clock); DataLoss if the stored state is inconsistent;
  // FailedPrecondition if the store holds another layout version or another origin's log;
  // the store's own errors.
  static absl::StatusOr<std::unique_ptr<Log>> Open(std::unique_ptr<store::KvStore> store,
                                                   LogOptions options, CheckpointSigner signer,
                                                   const Clock* clock);
  ~Log();  // Close()
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  using AppendCallback = std::function<void(absl::StatusOr<uint64_t> index)>;

  // Never blocks. Calls `done` exactly once: with the entry's index only after the entry is
  // durable (synced write); with Unavailable (error name "unavailable": retry later)
  // immediately when max_pending appends are outstanding or the log is closed; with Unavailable
  // when the durable write fails, after which the log refuses every append until reopened (fail
  // closed); with InvalidArgument if the entry is empty or over 65535 bytes (error name
  // "too_large" for the latter). `done` runs on the committer thread (or inline for immediate
  // refusals) and must be quick.
  void Append(Bytes entry, AppendCallback done);
  // Append, then wait for the outcome (CLI, tests).
  absl::StatusOr<uint64_t> AppendAndWait(Bytes entry);

  // Entries durable so far: indices [0, DurableSize()) are stored.
  uint64_t DurableSize() const;
  // The size of the tree whose tiles are stored; at most DurableSize().
  uint64_t IntegratedSize() const;

  // The latest published signed checkpoint (C2SP signed note). NotFound before the first one.
  absl::StatusOr<std::string> LatestCheckpoint() const;

  // Integrates everything durable so far and publishes a checkpoint now if the tree grew (tests,
  // shutdown). Returns the tile write's, the signer's or the checkpoint write's failure.
  absl::Status Flush();

  // C2SP tlog-tiles resources, exactly the bytes the spec serves. The hash tile `level`/`index`
  // of width `partial_width` (0 = full); NotFound if that tile or width does not exist in the
  // integrated tree. A tile that has grown past `partial_width` is served as its prefix.
  absl::StatusOr<Bytes> ReadTile(int level, uint64_t index, uint8_t partial_width) const;
  // Entry bundle `index` with `partial_width` entries (0 = full); NotFound likewise.
  absl::StatusOr<Bytes> ReadEntryBundle(uint64_t index, uint8_t partial_width) const;
  // One entry; NotFound at or past DurableSize().
  absl::StatusOr<Bytes> ReadEntry(uint64_t index) const;

  // Proofs and roots computed from the stored tiles, for sizes up to IntegratedSize().
  // InvalidArgument for index >= size, old_size > new_size, or a size beyond the integrated
  // tree.
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) const;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;
  absl::StatusOr<Hash> RootAt(uint64_t size) const;

  // Commits the appends already queued, stops the committer, integrates everything durable and
  // publishes a last checkpoint, then stops the integrator. Later appends get Unavailable; reads
  // keep working. Idempotent.
  void Close();

 private:
  Log(std::unique_ptr<store::KvStore> store, std::unique_ptr<Integrator> integrator);
  absl::Status CheckIntegratedSize(uint64_t size) const;

  const std::unique_ptr<store::KvStore> store_;  // declared first: outlives the threads
  std::unique_ptr<Integrator> integrator_;
  std::unique_ptr<Appender> appender_;
};

}  // namespace domicile::tlog
