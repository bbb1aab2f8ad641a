// Vault: the orchestration of the read and write paths. It knows the sites and the residency
// rules, the registered subjects, the key provider and the decider, and it enforces, for every
// call: the caller's request is decided first (default deny); writes go only to a primary site
// that the residency rules allow for the subject's jurisdiction; values are sealed under the
// subject's data key at that site; reads unwrap that data key and open the value only after an
// allow.
//
// Every decision, allow or deny, is written to the event log (docs/events.md) and is durable
// there before it has any effect: a read's value, a write, a delete, a refusal. Results and
// errors after a decision carry the event's log index (LogIndexOf for errors). When the log
// cannot take the event the call fails with Unavailable and nothing happens: fail closed.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "util/clock.h"
#include "vault/data_key_cache.h"
#include "vault/decider.h"
#include "vault/event_log.h"
#include "vault/events.h"
#include "vault/key_custodian.h"
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
  uint64_t log_index = 0;
};

struct ReadResult {
  std::string value;
  std::string site;
  uint64_t version = 0;
  Classification classification = Classification::kProtected;
  uint64_t log_index = 0;
};

struct RecordInfo {
  std::string key;
  std::string site;
  uint64_t version = 0;
  Classification classification = Classification::kProtected;
};

struct ListResult {
  std::vector<RecordInfo> records;
  uint64_t log_index = 0;
};

struct EraseResult {
  std::vector<std::string> sites;  // the sites that held something of the subject
  uint64_t records = 0;            // records deleted
  uint64_t data_keys = 0;          // wrapped data keys destroyed
  uint64_t log_index = 0;
};

struct RegisterResult {
  bool created = false;  // false: it was already registered there
  uint64_t log_index = 0;
};

struct VaultOptions {
  size_t max_value_bytes = 1 << 20;
  // Where every decision goes; required, not owned, must outlive the Vault.
  EventLog* log = nullptr;
  EventSource source;
  // Data keys the custodian released, kept for repeated reads (data_key_cache.h); 0 disables.
  size_t data_key_cache = 10000;
  // How long a key released without a grant is kept (one released under a grant is kept until
  // the grant's expiry).
  int64_t data_key_ttl_seconds = 300;
};

class Vault {
 public:
  // Takes ownership of everything but `clock`, which must outlive the Vault. Has the custodian
  // create the KEK of every (primary site, jurisdiction) pair the rules allow. InvalidArgument if
  // the rules name a site that is not in `sites`.
  static absl::StatusOr<std::unique_ptr<Vault>> Create(
      std::vector<std::unique_ptr<SiteStore>> sites, std::unique_ptr<store::KvStore> meta,
      ResidencyRules rules, std::unique_ptr<KeyCustodian> custodian,
      std::unique_ptr<Decider> decider, const Clock* clock, VaultOptions options = {});

  // Registers a subject.
  absl::StatusOr<RegisterResult> RegisterSubject(const Caller& caller, std::string_view id,
                                                 std::string_view jurisdiction);

  absl::StatusOr<WriteResult> Put(const Caller& caller, const PutRequest& request);

  using ReadDone = std::function<void(absl::StatusOr<ReadResult>)>;
  // The read path without blocking the calling thread: decides, unwraps the data key, logs the
  // decision, and only once the event is durable opens the value and calls `done` (on the log's
  // thread, or inline when nothing was logged). The caller's strings need not outlive the call.
  void GetAsync(const Caller& caller, std::string_view subject, std::string_view key,
                ReadDone done);
  // GetAsync, waiting for the outcome.
  absl::StatusOr<ReadResult> Get(const Caller& caller, std::string_view subject,
                                 std::string_view key);
  // Removes the record from every site that holds it. Returns the event's log index.
  absl::StatusOr<uint64_t> Delete(const Caller& caller, std::string_view subject,
                                  std::string_view key);
  absl::StatusOr<ListResult> List(const Caller& caller, std::string_view subject);
  // Right to erasure: destroys the subject's data keys at every site and deletes its records,
  // then forgets its registration (the policy action "delete" on the subject). Logged with
  // what was destroyed where. NotFound if the subject is not registered.
  absl::StatusOr<EraseResult> EraseSubject(const Caller& caller, std::string_view subject);

  // A registered subject's home jurisdiction; NotFound if it is not registered.
  absl::StatusOr<std::string> SubjectJurisdiction(std::string_view id) const {
    return subjects_.Jurisdiction(id);
  }

  // Grant `id` was revoked: tells the custodian and forgets the data keys released under it.
  absl::Status GrantRevoked(std::string_view id);
  // Grant `id` ended by expiry: forgets the data keys released under it.
  void GrantExpired(std::string_view id) { data_keys_.DropGrant(id); }

  std::vector<Site> sites() const;
  const ResidencyRules& rules() const { return rules_; }

  // For the lifecycle operations (src/ops), which move, shred and back up whole sites.
  // The site named `id`, or null.
  SiteStore* FindSite(std::string_view id) const;
  KeyCustodian& custodian() { return *custodian_; }
  SubjectRegistry& subjects() { return subjects_; }
  // The decider's answer, not logged (LogDecision logs it).
  Decision Decide(const Caller& caller, Action action, const Resource& resource) const;
  // Holds every subject's write lock, so that a batch of records moved between sites cannot
  // race a live write. Hold it briefly.
  std::vector<std::unique_lock<std::mutex>> LockAllSubjects() const;
  // Forgets every data key the custodian released (after keys were destroyed).
  void ForgetDataKeys() { data_keys_.Clear(); }

  // Asks the decider and logs the decision; returns the event's log index once durable.
  // PermissionDenied (error name "denied", with the reason and the log index) when refused.
  absl::StatusOr<uint64_t> Authorize(const Caller& caller, Action action, const Resource& resource);
  // Logs an access decision and waits. OK(index) for an allow; for a deny, the denied error
  // carrying the index; Unavailable if the log refused the event.
  absl::StatusOr<uint64_t> LogDecision(const Caller& caller, Action action,
                                       const Resource& resource, const Decision& decision,
                                       const nlohmann::json& effect = nullptr);
  // Appends an event that is not an access decision (policy, key, node) and waits until it is
  // durable.
  absl::StatusOr<uint64_t> LogEvent(std::string event);
  const EventSource& event_source() const { return options_.source; }
  size_t max_value_bytes() const { return options_.max_value_bytes; }
  const Clock* clock() const { return clock_; }

 private:
  Vault(std::vector<std::unique_ptr<SiteStore>> sites, std::unique_ptr<store::KvStore> meta,
        ResidencyRules rules, std::unique_ptr<KeyCustodian> custodian,
        std::unique_ptr<Decider> decider, const Clock* clock, VaultOptions options);
  struct PendingRead;
  // The data key `why` needs: from the cache, else from the custodian (then cached). Calls
  // `done` exactly once, maybe on another thread.
  using KeyDone = std::function<void(absl::StatusOr<std::shared_ptr<const crypto::SecretBytes>>)>;
  void DataKey(const Justification& why, const keys::WrappedDataKey& wrapped, KeyDone done);
  // DataKey, waiting.
  absl::StatusOr<std::shared_ptr<const crypto::SecretBytes>> DataKeyNow(
      const Justification& why, const keys::WrappedDataKey& wrapped);

  // The sites that may hold a subject's live record, in lookup order: the allowed primaries of
  // its jurisdiction, then legacy sites.
  std::vector<SiteStore*> ReadableSites(std::string_view jurisdiction) const;
  // Chooses the site for a write and checks residency.
  absl::StatusOr<SiteStore*> TargetSite(std::string_view requested, std::string_view subject,
                                        std::string_view key, std::string_view jurisdiction) const;
  std::mutex& StripeFor(std::string_view subject) const;
  // Logs a refusal that is not the policy's (residency, conflict) as a deny, and returns
  // `refusal` carrying the index (or Unavailable).
  absl::Status LogRefusal(const Caller& caller, Action action, const Resource& resource,
                          const Decision& allowed, absl::Status refusal);

  std::vector<std::unique_ptr<SiteStore>> sites_;
  SubjectRegistry subjects_;
  ResidencyRules rules_;
  std::unique_ptr<Decider> decider_;
  const Clock* clock_;
  VaultOptions options_;
  DataKeyCache data_keys_;
  // Declared after everything its callbacks touch, so that it is gone (its threads joined)
  // before they are.
  std::unique_ptr<KeyCustodian> custodian_;
  // Writes to one subject are serialised (version numbers, first data key).
  mutable std::array<std::mutex, 64> stripes_;
};

}  // namespace domicile::vault
