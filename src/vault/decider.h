// Decider: the one place an access decision is made. Given who asks (principal), what they want
// to do (action), to what (resource) and in which circumstances (context), it answers allow or
// deny with a reason. Default deny: anything not explicitly allowed is refused. The built-in
// ResidencyGuard implements it now; the Cedar policy engine replaces it behind this interface.
//
// Thread safety: Decide may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vault/classification.h"
#include "vault/principal.h"
#include "vault/site.h"

namespace domicile::vault {

// Every action the policy model knows ("read" ... "policy.update"); the later ones are used by
// grants, lifecycle operations and policy updates.
enum class Action {
  kRead,
  kWrite,
  kDelete,
  kList,
  kRequest,
  kApprove,
  kRevoke,
  kImport,
  kMigrate,
  kShred,
  kShredForce,
  kBackup,
  kRestore,
  kPolicyUpdate,
};
inline constexpr Action kAllActions[] = {
    Action::kRead,       Action::kWrite,  Action::kDelete,  Action::kList,        Action::kRequest,
    Action::kApprove,    Action::kRevoke, Action::kImport,  Action::kMigrate,     Action::kShred,
    Action::kShredForce, Action::kBackup, Action::kRestore, Action::kPolicyUpdate};

std::string_view ActionName(Action action);
std::optional<Action> ParseAction(std::string_view name);

// What is being acted on. For a record: subject, key, classification and the site that holds
// (or would hold) it. For a subject (registration, listing): key is empty. For the policy set
// itself (kPolicy): only the kind matters. For a grant (request, approve, revoke): its id,
// requester, the jurisdiction and class of the data it is about, and its subject when scoped
// to one. For a site (the lifecycle operations: import, migrate, shred, backup, restore): the
// site acted on, the jurisdiction whose data the operation moves or destroys, and the other
// site or backup destination involved (migrate's target, backup's destination, restore's
// source), if any.
struct Resource {
  enum class Kind { kRecord, kSubject, kPolicy, kGrant, kSite };
  Resource() = default;
  Resource(Kind kind, std::string_view subject, std::string_view key, std::string_view jurisdiction,
           Classification classification, std::string_view site, std::string_view grant_id = {},
           std::string_view requester = {})
      : kind(kind),
        subject(subject),
        key(key),
        jurisdiction(jurisdiction),
        classification(classification),
        site(site),
        grant_id(grant_id),
        requester(requester) {}

  Kind kind = Kind::kRecord;
  std::string_view subject;
  std::string_view key;
  std::string_view jurisdiction;  // the subject's home jurisdiction
  Classification classification = Classification::kProtected;
  std::string_view site;
  std::string_view grant_id;        // kGrant
  std::string_view requester;       // kGrant: the requesting principal's id
  const Site* site_info = nullptr;  // kSite: the site's jurisdiction, role and operator
  std::string_view peer;            // kSite: the other site or destination, if any
};

struct GrantFacts;

// The circumstances of a request.
struct RequestContext {
  RequestContext() = default;
  RequestContext(std::string_view purpose, std::string_view source_ip, int64_t time,
                 std::shared_ptr<const GrantFacts> grant = nullptr)
      : purpose(purpose), source_ip(source_ip), time(time), grant(std::move(grant)) {}
  std::string_view purpose;    // the Domicile-Purpose header, may be empty
  std::string_view source_ip;  // the peer address
  int64_t time = 0;            // seconds since the epoch
  // The grant the request names (Domicile-Grant), if any (grant_facts.h).
  std::shared_ptr<const GrantFacts> grant;
};

struct Decision {
  bool allow = false;
  std::string reason;                    // why, in words a caller can act on
  std::vector<std::string> determining;  // ids of the rules or policies that decided
  std::vector<std::string> diagnostics;  // policies skipped because they errored, and why
  std::string policy_sha256;             // hex SHA-256 of the policy set that decided, if any
};

class Decider {
 public:
  virtual ~Decider() = default;
  virtual Decision Decide(const Principal& principal, Action action, const Resource& resource,
                          const RequestContext& context) const = 0;
};

}  // namespace domicile::vault
