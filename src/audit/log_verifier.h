// The auditor's verdict on a log: trusting only the log's Ed25519 verifier key, it opens the
// log's current checkpoint, re-hashes every entry and every tile the new size needs, recomputes
// the root, and — given the state of a previous run — proves the new checkpoint consistent with
// the one verified before (an RFC 6962 consistency proof computed from the tiles, and the root
// recomputed from the old compact range plus the new entries). Only then is the state advanced.
// Given witness keys, it also requires the checkpoint to carry a valid C2SP cosignature by each
// witness: the witnesses saw the same tree, so the log cannot show the auditor a view of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/log_source.h"
#include "tlog/checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"

namespace domicile::audit {

// A witness's valid cosignature on the verified checkpoint.
struct WitnessCosignature {
  std::string witness;     // the witness's key name
  uint64_t timestamp = 0;  // when it cosigned (POSIX seconds)
};

struct VerifyResult {
  tlog::Checkpoint checkpoint;            // the checkpoint now verified
  std::optional<uint64_t> previous_size;  // the size verified before (with a state that had one)
  uint64_t entries_verified = 0;          // new entries checked: size - previous size
  std::vector<WitnessCosignature> cosignatures;  // one per required witness, in order
};

// Verifies `source`'s current checkpoint with `key`, and requires a valid cosignature on it by
// each of `witnesses` (cosignatures by other keys are ignored). With a non-empty `state_dir` (see
// audit_state.h) it verifies only what is new since the state's checkpoint and, on success,
// records the new checkpoint and mirrors the new entries there; on any failure the state is left
// exactly as it was. Refusals, each naming the size, index or resource:
//   Unauthenticated     the checkpoint is not signed by `key` ("... signature ... does not
//                       verify", "no signature by ..."), or is signed for another origin, or
//                       lacks a valid cosignature by a witness ("no cosignature by witness
//                       <name>+<id> ...", "the cosignature by witness ... does not verify")
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
                                       const std::filesystem::path& state_dir = {},
                                       std::span<const tlog::CosignerVerifier> witnesses = {});

// One line: "verified <origin> at size N, root <base64>: K entries verified, consistent with
// previous size M" (or "no previous state"), then "; cosigned by <witness> at <RFC 3339 time>"
// for each witness cosignature.
std::string FormatVerifySummary(const VerifyResult& result);

}  // namespace domicile::audit
