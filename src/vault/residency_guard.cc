#include "vault/residency_guard.h"

#include "fmt/format.h"

namespace domicile::vault {
namespace {

Decision Allow(std::string rule) {
  return Decision{true, "allowed by " + rule, {std::move(rule)}, {}, {}};
}
Decision Deny(std::string rule, std::string reason) {
  return Decision{false, std::move(reason), {std::move(rule)}, {}, {}};
}

}  // namespace

Decision ResidencyGuard::Decide(const Principal& principal, Action action, const Resource& resource,
                                const RequestContext&) const {
  const bool mutates = action == Action::kWrite || action == Action::kDelete;
  if (mutates && !principal.HasRole("writer")) {
    return Deny("guard.writer-role",
                fmt::format("principal '{}' lacks the writer role needed to {}", principal.id,
                            ActionName(action)));
  }
  if (resource.kind == Resource::Kind::kSubject && action == Action::kWrite) {
    return Allow("guard.register-subject");
  }
  const bool protected_data = resource.classification == Classification::kProtected ||
                              resource.kind == Resource::Kind::kSubject || action == Action::kList;
  if (!protected_data) return Allow("guard.public");
  if (principal.location != resource.jurisdiction) {
    return Deny("guard.residency",
                fmt::format("protected data of jurisdiction {} is not available to principal '{}' "
                            "located in {}",
                            resource.jurisdiction, principal.id,
                            principal.location.empty() ? "an unknown place" : principal.location));
  }
  return Allow("guard.in-jurisdiction");
}

}  // namespace domicile::vault
