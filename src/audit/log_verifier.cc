#include "audit/log_verifier.h"

#include "absl/time/time.h"
#include "audit/audit_state.h"
#include "audit/compact_range.h"
#include "audit/tile_checker.h"
#include "fmt/format.h"
#include "tlog/entry_bundle.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::audit {
namespace {

std::string B64(const Hash& h) { return Base64Encode(h); }

absl::StatusOr<tlog::Checkpoint> FetchCheckpoint(LogSource& source, const tlog::NoteVerifier& key,
                                                 std::string& note) {
  absl::StatusOr<std::string> fetched = source.Fetch("checkpoint");
  if (!fetched.ok()) {
    return absl::Status(
        fetched.status().code(),
        fmt::format("cannot fetch the checkpoint: {}", std::string(fetched.status().message())));
  }
  note = std::move(*fetched);
  absl::StatusOr<tlog::Checkpoint> cp = tlog::OpenCheckpoint(note, key);
  if (!cp.ok()) {
    return absl::Status(cp.status().code(),
                        fmt::format("checkpoint {} refused: {}", source.Describe("checkpoint"),
                                    std::string(cp.status().message())));
  }
  return cp;
}

// Where a forked log first differs from the verified mirror, among the old entries that share
// the first fetched bundle with new ones; "" if they are all equal (the fork is further back).
std::string LocateFork(const std::filesystem::path& state_dir, uint64_t old_size,
                       const TileCheck& check) {
  if (old_size % 256 == 0 || check.bundles.empty()) return "";
  const uint64_t t = old_size / 256;
  absl::StatusOr<std::string> mine =
      ReadFileToString(state_dir / tlog::EntriesPath(t, static_cast<uint8_t>(old_size % 256)));
  if (!mine.ok()) return "";
  absl::StatusOr<std::vector<Bytes>> verified = tlog::ParseEntryBundle(AsBytes(*mine));
  absl::StatusOr<std::vector<Bytes>> served =
      tlog::ParseEntryBundle(AsBytes(check.bundles.front().bytes));
  if (!verified.ok() || !served.ok()) return "";
  for (size_t i = 0; i < verified->size() && i < served->size(); ++i) {
    if ((*verified)[i] != (*served)[i]) {
      return fmt::format("; entry {} differs from the copy verified at size {}", t * 256 + i,
                         old_size);
    }
  }
  return "";
}

// The cosignature of each witness on `note`, or the refusal naming the first one missing.
absl::StatusOr<std::vector<WitnessCosignature>> CheckCosignatures(
    LogSource& source, std::string_view note, std::span<const tlog::CosignerVerifier> witnesses) {
  std::vector<WitnessCosignature> out;
  for (const tlog::CosignerVerifier& witness : witnesses) {
    absl::StatusOr<uint64_t> timestamp = tlog::VerifyCosignature(note, witness);
    if (!timestamp.ok()) {
      return absl::Status(timestamp.status().code(),
                          fmt::format("checkpoint {} refused: {}", source.Describe("checkpoint"),
                                      std::string(timestamp.status().message())));
    }
    out.push_back({witness.name, *timestamp});
  }
  return out;
}

}  // namespace

absl::StatusOr<VerifyResult> VerifyLog(LogSource& source, const tlog::NoteVerifier& key,
                                       const std::filesystem::path& state_dir,
                                       std::span<const tlog::CosignerVerifier> witnesses) {
  std::optional<AuditState> state;
  if (!state_dir.empty()) {
    ASSIGN_OR_RETURN(state, LoadAuditState(state_dir, &key));
  }

  std::string note;
  ASSIGN_OR_RETURN(tlog::Checkpoint cp, FetchCheckpoint(source, key, note));
  VerifyResult result;
  result.checkpoint = cp;
  ASSIGN_OR_RETURN(result.cosignatures, CheckCosignatures(source, note, witnesses));
  const uint64_t old_size = state ? state->checkpoint.size : 0;
  if (state) {
    result.previous_size = old_size;
    const Hash& old_root = state->checkpoint.root;
    if (cp.size < old_size) {
      return absl::FailedPreconditionError(fmt::format(
          "rollback: the log's checkpoint has size {}, smaller than the size {} already "
          "verified (root {})",
          cp.size, old_size, B64(old_root)));
    }
    if (cp.size == old_size) {
      if (cp.root != old_root) {
        return absl::DataLossError(fmt::format(
            "fork: the log's checkpoint at size {} has root {}, but the checkpoint verified at "
            "size {} has root {}",
            cp.size, B64(cp.root), old_size, B64(old_root)));
      }
      if (note != state->note) {  // same tree, another signing: keep the newest note
        AuditState next{note, cp, state->range};
        RETURN_IF_ERROR(CommitAuditState(state_dir, next, {}, old_size));
      }
      return result;
    }
  }

  ASSIGN_OR_RETURN(TileCheck check,
                   CheckTiles(source, old_size, cp.size, /*keep_bundles=*/!state_dir.empty()));
  TreeHasher hasher;
  ASSIGN_OR_RETURN(Hash root, check.window.Root(hasher));
  if (root != cp.root) {
    return absl::DataLossError(fmt::format(
        "root mismatch: the entries and tiles of size {} hash to {}, but the signed checkpoint "
        "says {}",
        cp.size, B64(root), B64(cp.root)));
  }
  result.entries_verified = cp.size - old_size;
  if (state_dir.empty()) return result;

  // The compact range of the new tree: the verified one extended by the new entries.
  CompactRange range = state ? state->range : CompactRange();
  for (const PerfectSubtree& s : PerfectSubtrees(old_size, cp.size)) {
    ASSIGN_OR_RETURN(Hash h, check.window.SubtreeHash(s, hasher));
    RETURN_IF_ERROR(range.Append(s.height, h, hasher));
  }
  if (state) {
    // The new tree must extend the verified one: a consistency proof from the log's tiles...
    const Hash& old_root = state->checkpoint.root;
    ASSIGN_OR_RETURN(std::vector<Hash> proof, check.window.ConsistencyProof(old_size, hasher));
    if (!tlog::VerifyConsistency(old_size, cp.size, proof, old_root, cp.root)) {
      return absl::DataLossError(fmt::format(
          "fork: the log's checkpoint at size {} (root {}) does not extend the checkpoint "
          "verified at size {} (root {}): the consistency proof computed from its tiles fails{}",
          cp.size, B64(cp.root), old_size, B64(old_root), LocateFork(state_dir, old_size, check)));
    }
    // ...and the root recomputed from the verified compact range plus the new entries.
    if (const Hash continued = range.Root(hasher); continued != cp.root) {
      return absl::DataLossError(fmt::format(
          "fork: the root {} of the log's checkpoint at size {} is not the verified tree of "
          "size {} extended by the new entries ({}){}",
          B64(cp.root), cp.size, old_size, B64(continued), LocateFork(state_dir, old_size, check)));
    }
  }
  RETURN_IF_ERROR(
      CommitAuditState(state_dir, AuditState{note, cp, std::move(range)}, check.bundles, old_size));
  return result;
}

std::string FormatVerifySummary(const VerifyResult& result) {
  const tlog::Checkpoint& cp = result.checkpoint;
  std::string out = fmt::format("verified {} at size {}, root {}: {} entries verified, ", cp.origin,
                                cp.size, B64(cp.root), result.entries_verified);
  if (result.previous_size) {
    out += fmt::format("consistent with previous size {}", *result.previous_size);
  } else {
    out += "no previous state";
  }
  for (const WitnessCosignature& c : result.cosignatures) {
    out += fmt::format("; cosigned by {} at {}", c.witness,
                       absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                        absl::FromUnixSeconds(static_cast<int64_t>(c.timestamp)),
                                        absl::UTCTimeZone()));
  }
  return out;
}

}  // namespace domicile::audit
