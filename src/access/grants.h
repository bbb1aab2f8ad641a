// Grants: the service that moves just-in-time grants through their lives (grant.h). It asks the
// policy for each step (actions "request", "approve", "revoke" on Grant::"<id>"), applies the
// rules no policy may relax — an approver is never the requester nor on the requester's team,
// approves a grant once, and signs the grant's exact statement with the approval key the
// configuration holds for them — and writes every step to the log before it takes effect.
//
// A grant becomes active when `quorum` distinct approvers have approved it, or at once with one
// approval when it is a break-glass grant (then at most break_glass_max_ttl long, and
// "unreviewed" until approvals reach the quorum). It ends at its expiry or when revoked. State
// is kept in a KvStore (durable on every change) and in memory for the read path.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "access/grant.h"
#include "store/kv_store.h"
#include "tlog/note.h"
#include "vault/grant_facts.h"
#include "vault/vault.h"

namespace domicile::access {

struct GrantsOptions {
  int quorum = 2;
  std::chrono::seconds max_ttl = std::chrono::hours(8);
  std::chrono::seconds break_glass_max_ttl = std::chrono::hours(1);
  // Principal id -> the verifier key of its approval key (configuration: approval_key).
  std::map<std::string, tlog::NoteVerifier> approval_keys;
};

struct GrantResult {
  Grant grant;
  uint64_t log_index = 0;  // the event of the step
};

class Grants {
 public:
  // Loads the grants kept in `store`. `vault` (decisions, the log, subjects, the clock) must
  // outlive the service. InvalidArgument for a quorum below 1 or a non-positive TTL limit;
  // DataLoss for a stored grant that does not parse.
  static absl::StatusOr<std::unique_ptr<Grants>> Open(vault::Vault* vault,
                                                      std::unique_ptr<store::KvStore> store,
                                                      GrantsOptions options);

  // A new pending grant for the caller. InvalidArgument for a bad request (naming the field),
  // NotFound for an unregistered subject, denied when the policy refuses "request".
  absl::StatusOr<GrantResult> Request(const vault::Caller& caller, const GrantRequest& request);

  // Records the caller's approval, given as the signed statement (approval.h). Denied (with the
  // reason, logged) for the requester, a teammate, an approver the policy refuses, one without
  // an approval key, or a signature that does not verify over this grant's statement; Conflict
  // for a second approval by the same approver; FailedPrecondition for a grant that is expired,
  // revoked or already active (break-glass grants take reviews while active); NotFound.
  absl::StatusOr<GrantResult> Approve(const vault::Caller& caller, std::string_view id,
                                      std::string_view signed_note);

  // Ends a pending or active grant now. Denied when the policy refuses "revoke";
  // FailedPrecondition when it has already ended; NotFound.
  absl::StatusOr<GrantResult> Revoke(const vault::Caller& caller, std::string_view id);

  absl::StatusOr<Grant> Get(std::string_view id);
  // Every grant, newest first.
  std::vector<Grant> List();

  // What a decision sees of grant `id` (the read path: no I/O, no log). An unknown id gives
  // facts with known = false, which no policy can take for a valid grant.
  std::shared_ptr<const vault::GrantFacts> Facts(std::string_view id) const;

  // Marks every pending or active grant past its expiry as expired, logging each. Called
  // periodically by the node and before every other step, so states shown are current.
  absl::Status ExpireDue();

  // Takes in what other nodes sharing the store changed: new grants, approvals, revocations,
  // expiries. A grant that ended elsewhere ends here too (its cached data keys dropped).
  absl::Status Reload();

  // Runs Reload and ExpireDue every `interval` on a thread of its own until StopExpirer (or
  // destruction).
  void StartExpirer(std::chrono::milliseconds interval);
  void StopExpirer();
  ~Grants();

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Grants(vault::Vault* vault, std::unique_ptr<store::KvStore> store, GrantsOptions options);
  // REQUIRES: mu_ held.
  absl::Status ExpireDueLocked();
  // Logs a step of `grant` and waits until it is durable.
  absl::StatusOr<uint64_t> LogStep(std::string_view step, const Grant& grant,
                                   const vault::Principal* actor, std::string_view detail = {});
  // Logs a refused approval and returns `refusal` carrying the event's index.
  absl::Status RefuseApproval(const vault::Caller& caller, const Grant& grant,
                              absl::Status refusal);
  // Persists `grant` durably and publishes it to the read path, only if the stored grant is
  // still the one this node last saw: Conflict (nothing written, the grant reloaded) when
  // another node changed it meanwhile. REQUIRES: mu_ held.
  absl::Status Save(const Grant& grant);
  // Takes in the stored form of one grant (`json` as stored), if it differs from what this
  // node holds. REQUIRES: mu_ held.
  absl::Status TakeInLocked(std::string_view json);
  // Reloads grant `id` from the store. REQUIRES: mu_ held.
  absl::Status RefreshLocked(std::string_view id);
  absl::Status ReloadLocked();
  static vault::Resource ResourceOf(const Grant& grant);

  vault::Vault* const vault_;
  const std::unique_ptr<store::KvStore> store_;
  const GrantsOptions options_;

  std::mutex mu_;                                     // serialises every change
  std::map<std::string, Grant, std::less<>> grants_;  // guarded by mu_
  // Each grant's JSON as last read or written: the expectation of its next save (other nodes
  // sharing the store may change it); guarded by mu_.
  std::map<std::string, std::string, std::less<>> stored_;
  int64_t next_expiry_ = 0;  // earliest expiry among pending and active grants; guarded by mu_

  std::mutex expirer_mu_;
  std::condition_variable expirer_cv_;
  bool expirer_stop_ = false;  // guarded by expirer_mu_
  std::thread expirer_;

  mutable std::shared_mutex facts_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const vault::GrantFacts>, Hash,
                             std::equal_to<>>
      facts_;  // guarded by facts_mu_
};

}  // namespace domicile::access
