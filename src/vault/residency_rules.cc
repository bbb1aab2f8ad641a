#include "vault/residency_rules.h"

#include <algorithm>

namespace domicile::vault {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

void ResidencyRules::AllowPrimary(std::string_view jurisdiction, std::string_view site) {
  auto& rule = rules_[std::string(jurisdiction)];
  if (!Contains(rule.primary, site)) rule.primary.emplace_back(site);
}

void ResidencyRules::AllowBackup(std::string_view jurisdiction, std::string_view site) {
  auto& rule = rules_[std::string(jurisdiction)];
  if (!Contains(rule.backup, site)) rule.backup.emplace_back(site);
}

bool ResidencyRules::MayHoldPrimary(std::string_view site, std::string_view jurisdiction) const {
  auto it = rules_.find(jurisdiction);
  return it != rules_.end() && Contains(it->second.primary, site);
}

bool ResidencyRules::MayHoldBackup(std::string_view site, std::string_view jurisdiction) const {
  auto it = rules_.find(jurisdiction);
  return it != rules_.end() && Contains(it->second.backup, site);
}

const std::vector<std::string>& ResidencyRules::PrimarySites(std::string_view jurisdiction) const {
  static const std::vector<std::string> kNone;
  auto it = rules_.find(jurisdiction);
  return it == rules_.end() ? kNone : it->second.primary;
}

std::vector<std::string> ResidencyRules::Jurisdictions() const {
  std::vector<std::string> out;
  for (const auto& [j, rule] : rules_) out.push_back(j);
  return out;
}

}  // namespace domicile::vault
