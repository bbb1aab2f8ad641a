// The auditor's verdict on a log: trusting only the log's Ed25519 verifier key, it opens the
// log's current checkpoint, re-hashes every entry and every tile the new size needs, recomputes
// the root, and — given the state of a previous run — proves the new checkpoint consistent with
// the one verified before (an RFC 6962 consistency proof computed from the tiles, and the root
// recomputed from the old compact range plus the new entries). Only then is the state advanced.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "audit/log_source.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace domicile::audit {

struct VerifyResult {
  tlog::Checkpoint checkpoint;            // the checkpoint now verified
  std::optional<uint64_t> previous_size;  // the size verified before (with a state that had one)
  uint64_t entries_verified = 0;          // new entries checked: size - previous size
};

// Verifies `source`'s current checkpoint with `key`. With a non-empty `state_dir` (see
// audit_state.h) it verifies only what is new since the state's checkpoint and, on success,
// records the new checkpoint and mirrors the new entries there; on any failure the state is left
// exactly as it was. Refusals, each naming the size, index or resource:
//   Unauthenticated     the checkpoint is not signed by `key` ("... signature ... does not
//                       verify", "no signature by ..."), or is signed for another origin
//   InvalidArgument     the checkpoint is malformed
//   FailedPrecondition  "rollback: ..." (smaller than the verified size), or the state belongs
//                       to another key
//   DataLoss            "fork: ..." (another root at the verified size, or a tree that does not
//                       extend the verified one), "root mismatch: ...", and the tile errors of
//                       CheckTiles ("entry 1234 does not match tile/0/004", "tile/1/000 hash 3
//                       does not match ...", "... is truncated")
//   NotFound            "missing tile/..." or a missing checkpoint
//   Unavailable         the source could not be reached
absl::StatusOr<VerifyResult> VerifyLog(LogSource& source, const tlog::NoteVerifier& key,
                                       const std::filesystem::path& state_dir = {});

// One line: "verified <origin> at size N, root <base64>: K entries verified, consistent with
// previous size M" (or "no previous state").
std::string FormatVerifySummary(const VerifyResult& result);

}  // namespace domicile::audit
