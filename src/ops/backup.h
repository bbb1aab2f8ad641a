// Backup, verification and restore of one site's data (issue 6, "Backups"). A backup copies the
// site's ciphertext and wrapped data keys, never plaintext: nothing here decrypts, and nothing
// here can, since the KEKs stay with the key provider. A restore proves the whole backup
// against its manifest before it writes anything, and resumes where it stopped if interrupted.
//
// Each operation streams, whatever the site's size: at most two chunks are in memory (one being
// gathered or checked while the one before it is hashed and written, or the next one read ahead
// and hashed); a restore streams its entries into the store (KvStore::StartBulkLoad), one batch
// being committed while the next streams in. Each reports progress after every chunk or batch
// with the entries and bytes done so far, and checks its cancel flag (if given) at the same points:
// a cancelled operation returns Cancelled, leaving an incomplete backup (never listed) or a restore
// that the next call resumes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ops/backup_format.h"
#include "ops/backup_store.h"
#include "store/kv_store.h"
#include "util/clock.h"

namespace domicile::ops {

// Called with the entries and bytes done so far.
using ProgressFn = std::function<void(uint64_t entries, uint64_t bytes)>;

struct BackupParams {
  std::string site;                        // the site whose store is backed up
  std::string site_jurisdiction;           // where that site is
  std::vector<std::string> jurisdictions;  // whose data it holds (the caller checked residency)
  std::string checkpoint;        // the transparency log's signed checkpoint now; may be empty
  const Clock* clock = nullptr;  // for the id and `created`; the real clock if null
};

// Takes a consistent snapshot of `source` (the site's KvStore) and writes its data prefixes to
// `dest` as a new backup: the chunks, then the manifest. Returns the manifest. InvalidArgument
// for a malformed site id or jurisdiction, before anything is written; Cancelled if `cancel`
// became true; any error of `source` or `dest`.
absl::StatusOr<BackupManifest> TakeBackup(const store::KvStore& source, BackupStore& dest,
                                          const BackupParams& params,
                                          const ProgressFn& progress = nullptr,
                                          const std::atomic<bool>* cancel = nullptr);

// Reads backup `id` from `src` and proves it whole: the manifest parses; every chunk is present
// with its recorded size, SHA-256 and entry count; the entries are in strictly ascending key
// order, all under k/, kp/ or r/, each well-formed (a record: format 0x01 or 0x02, class 0 or 1,
// version, a non-empty envelope; a data key: keys::DecodeWrappedDataKey); the counts match;
// and the Merkle root over the entries equals the manifest's. Returns the manifest.
// NotFound if there is no complete backup `id`; DataLoss naming the chunk, entry or field on
// any mismatch; Cancelled if `cancel` became true.
absl::StatusOr<BackupManifest> VerifyBackup(const BackupStore& src, std::string_view id,
                                            const ProgressFn& progress = nullptr,
                                            const std::atomic<bool>* cancel = nullptr);

struct RestoreParams {
  std::string site;  // the site being restored; must be the backup's
  // Subjects whose entries must not come back (erased subjects). May be empty.
  std::function<bool(std::string_view subject)> skip_subject;
  // Each batch holds at most this many entries or about this many bytes. Large, because the
  // store loads each batch in bulk (KvStore::BulkLoad: on RocksDB one file synced and ingested
  // per batch), and few large files beat many small ones (bench/backup_bench, before batches
  // streamed: 4 MiB batches restored at 50 MB/s, 32 MiB ones at 120 MB/s). A batch streams into
  // the store: its size costs disk, not memory.
  size_t batch_entries = 100000;
  size_t batch_bytes = 32 << 20;
};

// What a restore did, over all of its calls (a resumed restore counts from the start). Every
// entry of the backup lands in exactly one count.
struct RestoreResult {
  uint64_t records_restored = 0;
  uint64_t data_keys_restored = 0;
  uint64_t skipped_erased = 0;  // entries of subjects that skip_subject named
  uint64_t conflicts = 0;       // entries of subjects whose data key at the target differs
  uint64_t kept_newer = 0;      // records the target holds at a higher version
  BackupManifest manifest;
};

// Verifies backup `id` (VerifyBackup), then writes its entries into `target`, the KvStore of
// site `params.site`, in atomic batches. After each batch a record under `restore/<id>` says
// how far the restore got and its counts, so a restore stopped by a crash or `cancel` resumes
// there when called again (verifying the whole backup again first; a batch loaded but not yet
// recorded is loaded again); after the last batch that record is removed, so restoring the same
// backup later starts afresh. Progress is reported per batch.
// Per subject:
//   - skip_subject(subject): none of its entries are written (skipped_erased);
//   - the target holds a data key of a class for it that differs from the backup's: its newer
//     data is sealed under that key, so none of its entries are written (conflicts);
//   - a record the target holds at a higher version is kept (kept_newer).
// Errors: FailedPrecondition if the backup is of another site (its records are bound to their
// site and could never be opened elsewhere), before anything is written; every error of
// VerifyBackup, before anything is written; Cancelled if `cancel` became true; DataLoss if a
// chunk changed since it was verified.
// REQUIRES: nothing else writes the restored subjects' keys in `target` meanwhile.
absl::StatusOr<RestoreResult> Restore(const BackupStore& src, std::string_view id,
                                      store::KvStore& target, const RestoreParams& params,
                                      const ProgressFn& progress = nullptr,
                                      const std::atomic<bool>* cancel = nullptr);

// The key under which a restore of backup `id` keeps its progress in the target's store.
std::string RestoreProgressKey(std::string_view id);

}  // namespace domicile::ops
