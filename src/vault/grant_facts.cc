#include "vault/grant_facts.h"

#include <algorithm>

namespace domicile::vault {

std::string_view GrantStateName(GrantState state) {
  switch (state) {
    case GrantState::kPending:
      return "pending";
    case GrantState::kActive:
      return "active";
    case GrantState::kExpired:
      return "expired";
    case GrantState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

bool GrantCovers(const GrantFacts& grant, const Principal& principal, Action action,
                 const Resource& resource, int64_t now) {
  if (!grant.known || grant.state != GrantState::kActive || now >= grant.expires) return false;
  if (principal.id != grant.requester) return false;
  if (std::find(grant.actions.begin(), grant.actions.end(), action) == grant.actions.end()) {
    return false;
  }
  if (resource.kind != Resource::Kind::kRecord && resource.kind != Resource::Kind::kSubject) {
    return false;
  }
  if (resource.kind == Resource::Kind::kRecord && grant.classification == Classification::kPublic &&
      resource.classification != Classification::kPublic) {
    return false;
  }
  if (resource.jurisdiction != grant.jurisdiction) return false;
  if (grant.scope_kind == "subject") return resource.subject == grant.scope_value;
  return grant.scope_kind == "jurisdiction" && resource.jurisdiction == grant.scope_value;
}

}  // namespace domicile::vault
