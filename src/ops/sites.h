// What the lifecycle operations ask of sites: whose data a site may hold, the policy resource
// that names a site, and the order records are visited in.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "util/bytes.h"
#include "vault/vault.h"

namespace domicile::ops {

// The site named `id`; InvalidArgument naming it if the vault has none.
absl::StatusOr<vault::SiteStore*> SiteNamed(vault::Vault& vault, std::string_view id);

// OK if `site` may hold live (imported or migrated) data of `jurisdiction`: a legacy site for
// the jurisdictions of its legacy_of, a primary site as the residency rules allow; a backup
// site never. residency_violation otherwise.
absl::Status MayHoldLiveData(const vault::Vault& vault, const vault::Site& site,
                             std::string_view jurisdiction);

// The jurisdictions whose data a site holds or may hold: its legacy_of for a legacy site, else
// every jurisdiction whose rules name it (as primary or backup).
std::vector<std::string> JurisdictionsOf(const vault::Vault& vault, const vault::Site& site);

// The policy's resource for an operation on `site` moving or destroying `jurisdiction`'s data,
// with the other site or destination involved (`peer`). Views into its arguments.
vault::Resource SiteResource(const vault::Site& site, std::string_view jurisdiction,
                             std::string_view peer = {});

// Visits the records at `site` of the subjects registered in `jurisdiction`, in store order
// (the bytewise order of "<subject>/<key>"), starting at store key `start` (empty: the first).
// A non-OK status from `fn` stops the scan and is returned.
using SiteRecordFn =
    std::function<absl::Status(std::string_view store_key, std::string_view subject,
                               std::string_view key, vault::StoredRecord record)>;
absl::Status ForEachRecordOf(vault::Vault& vault, const vault::SiteStore& site,
                             std::string_view jurisdiction, std::string_view start,
                             const SiteRecordFn& fn);

// Logs `allowed` turned into a refusal for `refusal`'s reason (a rule outside the policy:
// residency, a missing verified migration), and returns `refusal` carrying the event's index;
// Unavailable if the log cannot take it.
absl::Status LogRefusal(vault::Vault& vault, const vault::Caller& caller, vault::Action action,
                        const vault::Resource& resource, const vault::Decision& allowed,
                        absl::Status refusal, std::string determining);

// A record as the migration's Merkle root sees it (docs/formats.md): u16 length | subject |
// u16 length | key | u64 version | SHA-256 of the plaintext, integers big-endian.
Bytes RecordLeaf(std::string_view subject, std::string_view key, uint64_t version,
                 ByteView plaintext);

}  // namespace domicile::ops
