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
//   context    {purpose: "...", source_jurisdiction: "US" | "", time: <unix seconds>}
#pragma once

#include <string_view>

#include "policy/authorizer.h"
#include "policy/entities.h"
#include "vault/decider.h"

namespace domicile::vault {

policy::EntityUid PrincipalUid(const Principal& principal);
policy::Entity PrincipalEntity(const Principal& principal);
policy::EntityUid ActionUid(Action action);
policy::Entity ResourceEntity(const Resource& resource);
policy::Value ContextValue(const RequestContext& context, std::string_view source_jurisdiction);

}  // namespace domicile::vault
