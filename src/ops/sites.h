// What the lifecycle operations ask of sites: whose data a site may hold, the policy resource
// that names a site, and the order records are visited in.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/sha256.h"
#include "tlog/merkle.h"
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

// The same, each record as stored (vault::EncodeStoredRecord), undecoded: for a pass that needs
// no more than its size.
using SiteEncodedRecordFn =
    std::function<absl::Status(std::string_view store_key, std::string_view subject,
                               std::string_view key, std::string_view encoded)>;
absl::Status ForEachEncodedRecordOf(vault::Vault& vault, const vault::SiteStore& site,
                                    std::string_view jurisdiction, std::string_view start,
                                    const SiteEncodedRecordFn& fn);

// What a site holds under the record keys of another site's scan: answers for record keys asked
// in ascending order (as ForEachRecordOf visits them) by reading the site a chunk of one
// subject's records at a time, with one seek per chunk rather than one point get per record,
// and without reading other subjects' records. At most `chunk` records are held. What it read
// is stale once the site is written: Reset then.
//
// Not thread-safe.
class RecordLookahead {
 public:
  // `values`: keep the records' encoded values (else only which keys exist).
  RecordLookahead(const store::KvStore& kv, bool values, size_t chunk = 1024)
      : kv_(kv), values_(values), chunk_(chunk) {}

  // The encoded record under `store_key` (a record of `subject`), nullopt if the site holds
  // none; the view (empty without `values`) is valid until the next call. Keys asked out of
  // order are answered too, with a new seek.
  absl::StatusOr<std::optional<std::string_view>> Find(std::string_view subject,
                                                       std::string_view store_key);
  // Forgets what was read: the next Find reads the site again.
  void Reset();

 private:
  absl::Status Read(std::string_view subject, std::string_view from);

  const store::KvStore& kv_;
  const bool values_;
  const size_t chunk_;
  bool loaded_ = false;
  std::string subject_;  // the chunk holds subject_'s records from from_ on, in key order,
  std::string from_;     // up to its last one, or to the subject's end when complete_
  bool complete_ = false;
  std::vector<std::pair<std::string, std::string>> records_;
  size_t next_ = 0;  // the first of records_ not below the last key asked
};

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
// The leaf hash (tlog::LeafHash) of the RecordLeaf whose plaintext has SHA-256 `digest`.
tlog::Hash RecordLeafHash(std::string_view subject, std::string_view key, uint64_t version,
                          const crypto::Sha256Digest& digest);

}  // namespace domicile::ops
