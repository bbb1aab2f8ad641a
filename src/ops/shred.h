// Shred: crypto-shredding of one jurisdiction's data at a site. The custodian destroys the
// site's KEKs of that jurisdiction (both classes) in its key provider — for PKCS#11,
// C_DestroyObject — so every data key wrapped under them, in the site and in every backup of
// it, is unrecoverable; then the ciphertext and wrapped data keys are deleted; then a "shred"
// event attests what was destroyed: the KEK ids, the counts, and the migration that made it
// safe (its roots and counts).
//
// Allowed (policy action "shred") only after a verified migration of that data whose record
// count still matches (ops/migration.h), or with `force` (policy action "shred.force", its own
// permission), which the attestation records as forced. A shred that was interrupted resumes:
// it is marked as begun ("shredding/<J>") before the first key is destroyed.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ops/progress.h"
#include "vault/vault.h"

namespace domicile::ops {

struct ShredRequest {
  std::string site;
  std::string jurisdiction;  // empty: the site's only legacy_of jurisdiction
  bool force = false;
};

struct ShredResult {
  std::string jurisdiction;
  std::vector<std::string> keks_destroyed;
  uint64_t records = 0;    // records deleted
  uint64_t data_keys = 0;  // wrapped data keys deleted
  bool forced = false;
  uint64_t log_index = 0;  // the "shred" attestation
};

absl::StatusOr<ShredResult> Shred(vault::Vault& vault, const vault::Caller& caller,
                                  const ShredRequest& request, Progress& progress);

}  // namespace domicile::ops
