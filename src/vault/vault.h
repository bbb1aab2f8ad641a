// Vault: the orchestration of the read and write paths. It knows the sites and the residency
// rules, the registered subjects, the key provider and the decider, and it enforces, for every
// call: the caller's request is decided first (default deny); writes go only to a primary site
// that the residency rules allow for the subject's jurisdiction; values are sealed under the
// subject's data key at that site; reads unwrap that data key and open the value only after an
// allow.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "keys/key_provider.h"
#include "store/kv_store.h"
#include "util/clock.h"
#include "vault/decider.h"
#include "vault/residency_rules.h"
#include "vault/site_store.h"
#include "vault/subject_registry.h"

namespace domicile::vault {

// Who is asking and in which circumstances.
struct Caller {
  const Principal* principal = nullptr;
  RequestContext context;
};

struct PutRequest {
  std::string_view subject;
  std::string_view key;
  Classification classification = Classification::kProtected;
  std::string_view site;  // empty: the record's current site, else the first allowed primary
  std::string_view value;
};

struct WriteResult {
  std::string site;
  uint64_t version = 0;
  bool created = false;
};

struct ReadResult {
  std::string value;
  std::string site;
  uint64_t version = 0;
  Classification classification = Classification::kProtected;
};

struct RecordInfo {
  std::string key;
  std::string site;
  uint64_t version = 0;
  Classification classification = Classification::kProtected;
};

struct VaultOptions {
  size_t max_value_bytes = 1 << 20;
};

class Vault {
 public:
  // Takes ownership of everything but `clock`, which must outlive the Vault. Creates the KEK of
  // every (primary site, jurisdiction) pair the rules allow. InvalidArgument if the rules name a
  // site that is not in `sites`.
  static absl::StatusOr<std::unique_ptr<Vault>> Create(
      std::vector<std::unique_ptr<SiteStore>> sites, std::unique_ptr<store::KvStore> meta,
      ResidencyRules rules, std::unique_ptr<keys::KeyProvider> keys,
      std::unique_ptr<Decider> decider, const Clock* clock, VaultOptions options = {});

  // Registers a subject. true: newly registered; false: already registered there.
  absl::StatusOr<bool> RegisterSubject(const Caller& caller, std::string_view id,
                                       std::string_view jurisdiction);

  absl::StatusOr<WriteResult> Put(const Caller& caller, const PutRequest& request);
  absl::StatusOr<ReadResult> Get(const Caller& caller, std::string_view subject,
                                 std::string_view key);
  // Removes the record from every site that holds it.
  absl::Status Delete(const Caller& caller, std::string_view subject, std::string_view key);
  absl::StatusOr<std::vector<RecordInfo>> List(const Caller& caller, std::string_view subject);

  std::vector<Site> sites() const;
  const ResidencyRules& rules() const { return rules_; }

  // Asks the decider. PermissionDenied (error name "denied") with the reason when refused.
  absl::Status Authorize(const Caller& caller, Action action, const Resource& resource) const;

 private:
  Vault(std::vector<std::unique_ptr<SiteStore>> sites, std::unique_ptr<store::KvStore> meta,
        ResidencyRules rules, std::unique_ptr<keys::KeyProvider> keys,
        std::unique_ptr<Decider> decider, const Clock* clock, VaultOptions options);

  SiteStore* FindSite(std::string_view id) const;
  // The sites that may hold a subject's live record, in lookup order: the allowed primaries of
  // its jurisdiction, then legacy sites.
  std::vector<SiteStore*> ReadableSites(std::string_view jurisdiction) const;
  // Chooses the site for a write and checks residency.
  absl::StatusOr<SiteStore*> TargetSite(std::string_view requested, std::string_view subject,
                                        std::string_view key, std::string_view jurisdiction) const;
  std::mutex& StripeFor(std::string_view subject) const;

  std::vector<std::unique_ptr<SiteStore>> sites_;
  SubjectRegistry subjects_;
  ResidencyRules rules_;
  std::unique_ptr<keys::KeyProvider> keys_;
  std::unique_ptr<Decider> decider_;
  const Clock* clock_;
  VaultOptions options_;
  // Writes to one subject are serialised (version numbers, first data key).
  mutable std::array<std::mutex, 64> stripes_;
};

}  // namespace domicile::vault
