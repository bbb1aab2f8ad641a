// The auditor's memory between runs (--state DIR): the last checkpoint it verified, the compact
// range of that tree (enough to prove that the next checkpoint extends it), and a verified
// mirror of every entry, so that reports never need to trust the log's server again.
//
// Layout of DIR:
//   audit-state.json          {"version":1,"origin":...,"size":N,"checkpoint":"<signed note>",
//                              "compact_range":["<hex>",...]}; rewritten atomically, last
//   tile/entries/<N>          the verified full entry bundles, as the log served them
//   tile/entries/<N>.p/<W>    the verified partial bundle at the verified size
// A bundle file is written (atomically) before the state file that covers it, so after a crash
// the state file always describes a verified prefix whose bundles are all present; files past
// the verified size are ignored and overwritten by the next run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "audit/compact_range.h"
#include "audit/tile_checker.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"
#include "util/bytes.h"

namespace domicile::audit {

inline constexpr char kStateFileName[] = "audit-state.json";

struct AuditState {
  std::string note;  // the signed checkpoint, byte for byte as fetched
  tlog::Checkpoint checkpoint;
  CompactRange range;  // of checkpoint.size
};

// Reads DIR's state; nullopt if DIR or its state file does not exist. With `key`, the stored
// checkpoint must verify with it (FailedPrecondition otherwise: the state belongs to another
// log or key); without, it is only parsed (for reports over a state this tool wrote). DataLoss
// if the file is damaged or its compact range does not hash to the checkpoint's root.
absl::StatusOr<std::optional<AuditState>> LoadAuditState(const std::filesystem::path& dir,
                                                         const tlog::NoteVerifier* key);

// Writes the verified `bundles` into DIR's mirror, then `state` (atomically), then removes the
// partial bundle of `old_size` if it is superseded. REQUIRES: everything was verified.
absl::Status CommitAuditState(const std::filesystem::path& dir, const AuditState& state,
                              std::span<const FetchedBundle> bundles, uint64_t old_size);

// Calls `fn` with each mirrored entry of [0, size) in order; stops at the first error it
// returns. DataLoss if a mirrored bundle is missing or damaged.
absl::Status ForEachMirroredEntry(const std::filesystem::path& dir, uint64_t size,
                                  const std::function<absl::Status(uint64_t, ByteView)>& fn);

}  // namespace domicile::audit
