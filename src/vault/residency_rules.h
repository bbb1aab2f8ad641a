// Residency rules: for each jurisdiction, which sites may hold the primary copy of its data and
// which may hold its backups. Anything not listed is forbidden: a jurisdiction with no rule has
// nowhere to put its data.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace domicile::vault {

class ResidencyRules {
 public:
  void AllowPrimary(std::string_view jurisdiction, std::string_view site);
  void AllowBackup(std::string_view jurisdiction, std::string_view site);

  bool MayHoldPrimary(std::string_view site, std::string_view jurisdiction) const;
  bool MayHoldBackup(std::string_view site, std::string_view jurisdiction) const;

  // The sites allowed to hold `jurisdiction`'s primary copies, in the order they were allowed.
  const std::vector<std::string>& PrimarySites(std::string_view jurisdiction) const;
  // Every jurisdiction that has a rule.
  std::vector<std::string> Jurisdictions() const;

 private:
  struct Rule {
    std::vector<std::string> primary;
    std::vector<std::string> backup;
  };
  std::map<std::string, Rule, std::less<>> rules_;
};

}  // namespace domicile::vault
