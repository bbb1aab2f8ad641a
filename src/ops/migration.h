// Migration: moves every record of one jurisdiction's subjects from a legacy site to a primary
// site the residency rules allow, and proves it.
//
//   1. decide: the policy action "migrate" on the source site (peer: the target), logged;
//   2. one pass over the jurisdiction's records at the source, in store order. Each record is
//      opened with the source's data key and its leaf, over (subject, key, version, SHA-256 of
//      the plaintext), added to the source's Merkle root (ops/sites.h RecordLeaf). A record the
//      target lacks is sealed under the subject's data key at the target (made new, wrapped
//      under the target's KEK, through the custodian), keeping its version, and bulk-loaded
//      there, its data key first. The target's record (the copy, once read back from the
//      target's store as written, or the one it already held) is opened with the target's data
//      key and its leaf added to the target's root. A copy's new data key is read back and
//      unwrapped through the custodian too;
//   3. only when the roots and counts match is the source marked migrated ("migrated/<J>" in
//      its store), which shredding requires; a "migration" event records both roots and the
//      counts either way.
//
// Interrupted (Ctrl-C, a crash), a migration keeps every copy made durable; run again, it
// copies only what the target still lacks and verifies the whole site again, so its proof is
// always over one pass. Live writes to every subject wait while a window of records (32 MiB)
// is between being found missing at the target and being copied there.
//
// Plaintext exists only in memory, a chunk at a time (opening, sealing and hashing use every
// core while the next records are read; the target is written and read back on threads of
// their own).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "ops/progress.h"
#include "tlog/merkle.h"
#include "vault/vault.h"

namespace domicile::ops {

struct MigrationRequest {
  std::string from, to;
  std::string jurisdiction;  // empty: the source's only legacy_of jurisdiction
};

struct MigrationResult {
  std::string jurisdiction;
  uint64_t records = 0;  // the jurisdiction's records at the source
  uint64_t copied = 0;   // copied by this run
  uint64_t bytes = 0;    // plaintext bytes verified
  tlog::Hash source_root{}, target_root{};
  bool verified = false;
  uint64_t log_index = 0;  // the "migration" event
};

// How the pass divides its work; the defaults are for production (docs/PERFORMANCE.md), tests
// make them small to cross every boundary with few records. The proof does not depend on them.
struct MigrationTuning {
  size_t chunk_records = 1600;     // records opened and sealed together on one core (or 1.75 MiB)
  size_t window_bytes = 32 << 20;  // records read (both sites) before live writes are let in
  size_t window_records = 65536;   // or this many records visited
  size_t file_bytes = 8 << 20;     // copies committed to the target together
  size_t verify_bytes = 8 << 20;   // a window's records read back (and freed) together
};

// Runs the whole migration. Cancelled when `progress.cancel` is set (everything copied so far
// is durable); FailedPrecondition, after logging, when the roots do not match.
absl::StatusOr<MigrationResult> Migrate(vault::Vault& vault, const vault::Caller& caller,
                                        const MigrationRequest& request, Progress& progress,
                                        const MigrationTuning& tuning = {});

// The record a verified migration leaves at its source: where the data went, the roots and
// counts, and when. nullopt if the source's data of `jurisdiction` was never verified migrated.
absl::StatusOr<std::optional<nlohmann::json>> MigratedMark(vault::SiteStore& source,
                                                           std::string_view jurisdiction);

}  // namespace domicile::ops
