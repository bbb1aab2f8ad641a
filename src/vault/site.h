// A site: a place that stores data, with the jurisdiction it sits in, who operates it, and its
// role. Primary sites hold the live copy, backup sites hold backups, legacy sites hold old
// copies awaiting migration and accept no new writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace domicile::vault {

enum class SiteRole { kPrimary, kBackup, kLegacy };

std::string_view SiteRoleName(SiteRole role);
std::optional<SiteRole> ParseSiteRole(std::string_view name);

struct Site {
  std::string id;             // e.g. "oci-us-tx"
  std::string jurisdiction;   // ISO 3166-1 alpha-2, e.g. "US"
  std::string operator_name;  // e.g. "oracle"
  SiteRole role = SiteRole::kPrimary;
  // A legacy site: the jurisdictions whose data it holds (import into it is allowed only for
  // these; migration and shredding act on them). Empty for other roles.
  std::vector<std::string> legacy_of = {};
};

}  // namespace domicile::vault
