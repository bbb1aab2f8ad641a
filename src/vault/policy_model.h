// The policy model: how domicile's principals, actions, resources and request context appear to
// Cedar policies. docs/policy.md documents it for policy authors.
//
//   principal  User::"bob" / Service::"svc-app"
//              {entity: "usds", location: "US", roles: ["engineer"], team: "feed"}
//              parent: Team::"feed" (when it has a team)
//   action     Action::"read" | "write" | "delete" | "list" | "request" | "approve" | "revoke" |
//              "migrate" | "shred" | "backup" | "restore" | "policy.update"
//   resource   Record::"u1/email" {jurisdiction, class, site, subject, key}
//              Subject::"u1" {jurisdiction, subject}   (registration, listing)
//              Policy::"current"                       (policy updates)
//              Grant::"g-..." {jurisdiction, class, subject, requester: User::"bob"}
//   context    {purpose: "...", source_jurisdiction: "US" | "", time: <unix seconds>,
//               grant: {valid, id, scope, actions, purpose, approvals, break_glass}}
//              grant.valid: the request names (Domicile-Grant) an active, unexpired grant of
//              the principal's own that covers this action on this resource (grant_facts.h);
//              without a grant, valid is false and the rest empty.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/authorizer.h"
#include "policy/entities.h"
#include "policy/policy_set.h"
#include "vault/decider.h"
#include "vault/grant_facts.h"

namespace domicile::vault {

policy::EntityUid PrincipalUid(const Principal& principal);
policy::Entity PrincipalEntity(const Principal& principal);
policy::EntityUid ActionUid(Action action);
policy::Entity ResourceEntity(const Resource& resource);
policy::Value ContextValue(const RequestContext& context, std::string_view source_jurisdiction,
                           const Principal& principal, Action action, const Resource& resource);

// Checks the scopes of every policy against the model: principal types User, Service, Team;
// actions Action::"<one of the declared actions>"; resource types Record, Subject, Site, Grant,
// Policy. Returns one "FILE:LINE:COL: policy 'ID': ..." line per problem (none: valid). A scope
// outside the model would never match, so it is almost certainly a mistake.
std::vector<std::string> ValidateAgainstModel(const policy::PolicySet& policies);

}  // namespace domicile::vault
