// A principal: an authenticated employee (User) or program (Service), with the attributes that
// decisions are made on: the entity that employs it, the jurisdiction it works from, its roles
// and its team.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domicile::vault {

enum class PrincipalType { kUser, kService };

std::string_view PrincipalTypeName(PrincipalType type);
std::optional<PrincipalType> ParsePrincipalType(std::string_view name);

struct Principal {
  std::string id;
  PrincipalType type = PrincipalType::kUser;
  std::string entity;    // employer, e.g. "usds"
  std::string location;  // jurisdiction it works from, e.g. "US"
  std::vector<std::string> roles;
  std::string team;

  bool HasRole(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
};

}  // namespace domicile::vault
