// Custodian: the key custodian's own rules. It holds the key-encryption keys of a jurisdiction
// in a key provider (a file keyring, or an HSM through PKCS#11) and releases a data key only
// when the justification the node gives satisfies rules it checks itself, whatever the node's
// policy said:
//
//   1. the key is the one the justification names: its KEK belongs to the record's site,
//      jurisdiction and class ("site/<site>/<jurisdiction>" for protected data, ".../public"
//      for public data, whose data keys open no protected record);
//   2. the principal is one the custodian knows, with the attributes it knows (when it has a
//      directory of principals; otherwise it takes the node's word);
//   3. a public record's key is released for a read to anyone the node allowed;
//   4. otherwise the principal must be located in the key's jurisdiction;
//   5. and a person (a User) must name a grant of their own that covers the action, record and
//      class, has not expired and was not revoked, and carries valid approval signatures (over
//      the grant's exact statement, access/approval.h) by at least `quorum` distinct approvers
//      the custodian knows, each located in the jurisdiction and none the requester (one for a
//      break-glass grant). The signatures are checked against the approver keys the custodian
//      holds, so a compromised node cannot make up an approval.
//   6. keys for import and migration (the node seals or re-seals values and returns none of
//      them to the operator) go to principals located in the jurisdiction without a grant;
//   7. a KEK is destroyed (shred) only for a principal located in its jurisdiction, with the
//      node's allow decision for "shred" or "shred.force"; a destroyed KEK id is remembered
//      and never created again.
//
// Every decision, release or refusal, is a "custodian" event (docs/events.md) in the log the
// custodian is given — the node's log when it runs in process, its own otherwise — durable
// before the key leaves. Revocations it is told of are kept durably in its own store.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>

#include "absl/status/statusor.h"
#include "access/grant.h"
#include "keys/key_provider.h"
#include "store/kv_store.h"
#include "tlog/note.h"
#include "util/clock.h"
#include "vault/event_log.h"
#include "vault/events.h"
#include "vault/key_custodian.h"
#include "vault/principal.h"

namespace domicile::custodian {

struct Approver {
  std::string id;
  std::string location;  // the jurisdiction they work from
  tlog::NoteVerifier key;
};

struct CustodianOptions {
  // Distinct approvals a grant needs (a break-glass grant: one).
  int quorum = 2;
  // The approvers whose signatures count, by principal id.
  std::map<std::string, Approver, std::less<>> approvers;
  // The principals the custodian knows, by id. When non-empty, a justification naming a
  // principal not here, or with other type, entity or location, is refused.
  std::map<std::string, vault::Principal, std::less<>> principals;
  // Where its decisions go (required, not owned), and how its events name it.
  vault::EventLog* log = nullptr;
  vault::EventSource source{"custodian"};
};

class Custodian final : public vault::KeyCustodian {
 public:
  // `state` keeps the revocations it was told of; `clock` outlives the custodian.
  // InvalidArgument without a log or with a quorum below 1.
  static absl::StatusOr<std::unique_ptr<Custodian>> Open(std::unique_ptr<keys::KeyProvider> keys,
                                                         std::unique_ptr<store::KvStore> state,
                                                         const Clock* clock,
                                                         CustodianOptions options);

  // OK when `why` satisfies the rules for a key under `kek_id`; custodian_refused with the
  // rule that failed otherwise. Logs nothing.
  absl::Status Check(const vault::Justification& why, std::string_view kek_id) const;

  void Unwrap(const vault::Justification& why, const keys::WrappedDataKey& wrapped,
              UnwrapDone done) override;
  absl::Status EnsureKek(std::string_view kek_id) override;
  absl::StatusOr<keys::NewDataKey> NewDataKey(const vault::Justification& why,
                                              std::string_view kek_id) override;
  absl::Status GrantRevoked(std::string_view id) override;
  absl::Status DestroyKek(const vault::Justification& why, std::string_view kek_id) override;

  // Whether KEK `kek_id` was destroyed.
  bool Destroyed(std::string_view kek_id) const;

  keys::KeyProvider& keys() const { return *keys_; }

 private:
  Custodian(std::unique_ptr<keys::KeyProvider> keys, std::unique_ptr<store::KvStore> state,
            const Clock* clock, CustodianOptions options);
  // Rule 5: the grant and its approvals.
  absl::Status CheckGrant(const vault::Justification& why, std::string_view jurisdiction) const;
  bool Revoked(std::string_view id) const;
  // Whether `note` is a valid signature by `approver` over `statement`, remembering the
  // signatures it verified (a grant is read many times; its approvals never change).
  // `text` is ApprovalStatement(statement).
  absl::Status VerifyApproval(const Approver& approver, std::string_view note,
                              const access::Grant& statement, std::string_view text) const;

  const std::unique_ptr<keys::KeyProvider> keys_;
  const std::unique_ptr<store::KvStore> state_;
  const Clock* const clock_;
  const CustodianOptions options_;
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> revoked_;    // guarded by mu_
  std::set<std::string, std::less<>> destroyed_;  // KEK ids; guarded by mu_
  mutable std::mutex verified_mu_;
  // SHA-256 of (approver key, statement, note) of each signature verified; guarded by
  // verified_mu_, emptied when it reaches kMaxVerified.
  mutable std::unordered_set<std::string> verified_;
};

// The event recording a custodian decision (docs/events.md, kind "custodian"). `operation` is
// "unwrap" or "new_data_key"; `outcome` OK for a release, else the refusal.
std::string CustodianEvent(const vault::EventSource& source,
                           std::chrono::system_clock::time_point time, std::string_view operation,
                           const vault::Justification& why, std::string_view kek_id,
                           const absl::Status& outcome);
// The same event built as a JSON tree (the reference CustodianEvent's fast path is held to).
std::string SlowCustodianEvent(const vault::EventSource& source,
                               std::chrono::system_clock::time_point time,
                               std::string_view operation, const vault::Justification& why,
                               std::string_view kek_id, const absl::Status& outcome);

}  // namespace domicile::custodian
