// Migration: moves every record of one jurisdiction's subjects from a legacy site to a primary
// site the residency rules allow, and proves it.
//
//   1. decide: the policy action "migrate" on the source site (peer: the target), logged;
//   2. copy: each record not yet at the target is opened with the source's data key and sealed
//      under the subject's data key at the target (made new, wrapped under the target's KEK,
//      through the custodian), keeping its version. Batches are atomic and each carries the
//      copy's cursor, kept in the target's store: an interrupted migration resumes there, and
//      a second run copies nothing new;
//   3. verify: both sides are opened again and a Merkle root over (subject, key, version,
//      SHA-256 of the plaintext), in store order, is computed on each (ops/sites.h RecordLeaf);
//   4. only when the roots and counts match is the source marked migrated ("migrated/<J>" in
//      its store), which shredding requires; a "migration" event records both roots and the
//      counts either way.
//
// Plaintext exists only in memory, a batch at a time (sealing and opening use every core).
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

// Runs the whole migration. Cancelled when `progress.cancel` is set (everything copied so far
// is durable); FailedPrecondition, after logging, when the roots do not match.
absl::StatusOr<MigrationResult> Migrate(vault::Vault& vault, const vault::Caller& caller,
                                        const MigrationRequest& request, Progress& progress);

// The record a verified migration leaves at its source: where the data went, the roots and
// counts, and when. nullopt if the source's data of `jurisdiction` was never verified migrated.
absl::StatusOr<std::optional<nlohmann::json>> MigratedMark(vault::SiteStore& source,
                                                           std::string_view jurisdiction);

}  // namespace domicile::ops
