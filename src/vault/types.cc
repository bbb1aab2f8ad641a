// Names of the small enums of the vault's vocabulary.
#include "vault/classification.h"
#include "vault/decider.h"
#include "vault/principal.h"
#include "vault/site.h"

namespace domicile::vault {

std::string_view SiteRoleName(SiteRole role) {
  switch (role) {
    case SiteRole::kPrimary:
      return "primary";
    case SiteRole::kBackup:
      return "backup";
    case SiteRole::kLegacy:
      return "legacy";
  }
  return "primary";
}

std::optional<SiteRole> ParseSiteRole(std::string_view name) {
  if (name == "primary") return SiteRole::kPrimary;
  if (name == "backup") return SiteRole::kBackup;
  if (name == "legacy") return SiteRole::kLegacy;
  return std::nullopt;
}

std::string_view ClassificationName(Classification c) {
  return c == Classification::kProtected ? "protected" : "public";
}

std::optional<Classification> ParseClassification(std::string_view name) {
  if (name == "public") return Classification::kPublic;
  if (name == "protected") return Classification::kProtected;
  return std::nullopt;
}

std::string_view PrincipalTypeName(PrincipalType type) {
  return type == PrincipalType::kService ? "Service" : "User";
}

std::optional<PrincipalType> ParsePrincipalType(std::string_view name) {
  if (name == "User") return PrincipalType::kUser;
  if (name == "Service") return PrincipalType::kService;
  return std::nullopt;
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kRead:
      return "read";
    case Action::kWrite:
      return "write";
    case Action::kDelete:
      return "delete";
    case Action::kList:
      return "list";
    case Action::kRequest:
      return "request";
    case Action::kApprove:
      return "approve";
    case Action::kRevoke:
      return "revoke";
    case Action::kImport:
      return "import";
    case Action::kMigrate:
      return "migrate";
    case Action::kShred:
      return "shred";
    case Action::kShredForce:
      return "shred.force";
    case Action::kBackup:
      return "backup";
    case Action::kRestore:
      return "restore";
    case Action::kPolicyUpdate:
      return "policy.update";
  }
  return "read";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (Action a : kAllActions) {
    if (ActionName(a) == name) return a;
  }
  return std::nullopt;
}

}  // namespace domicile::vault
