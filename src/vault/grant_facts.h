// GrantFacts: what a decision sees of the just-in-time grant a request names (the
// Domicile-Grant header). The access module keeps grants and fills this in; the vault and the
// policy only read it. Whether the grant makes the request valid is decided here, at the time
// of the request, so a grant that expired a moment ago is not valid even if nobody has yet
// marked it expired.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vault/classification.h"
#include "vault/decider.h"

namespace domicile::vault {

enum class GrantState { kPending, kActive, kExpired, kRevoked };

std::string_view GrantStateName(GrantState state);

struct GrantFacts {
  std::string id;
  bool known = false;  // false: no grant has this id (then nothing else is set)
  GrantState state = GrantState::kPending;
  std::string requester;     // principal id
  std::string scope_kind;    // "subject" or "jurisdiction"
  std::string scope_value;   // the subject id, or the jurisdiction code
  std::string jurisdiction;  // whose data the grant is about
  Classification classification = Classification::kProtected;
  std::vector<Action> actions;
  std::string purpose;
  int64_t expires = 0;  // unix seconds
  int approvals = 0;
  bool break_glass = false;
  // The approvers' signed statements (access/approval.h), for the key custodian to check.
  struct SignedApproval {
    std::string approver;
    std::string signed_note;
  };
  std::vector<SignedApproval> signed_approvals;

  // "subject:u1" / "jurisdiction:US".
  std::string Scope() const { return scope_kind + ":" + scope_value; }
};

// Whether `grant` lets `principal` do `action` to `resource` at unix time `now`: it is known
// and active, `now` is before its expiry, the principal is its requester, the action is one of
// its actions, and the resource lies in its scope and class (a protected grant also covers
// public records). Records and subjects only.
bool GrantCovers(const GrantFacts& grant, const Principal& principal, Action action,
                 const Resource& resource, int64_t now);

}  // namespace domicile::vault
