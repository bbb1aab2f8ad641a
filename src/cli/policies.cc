#include "cli/policies.h"

#include "fmt/format.h"
#include "policy/parser.h"
#include "util/file.h"

namespace domicile::cli {

const std::string_view kDefaultPolicy = R"cedar(
@id("default-read-protected-in-jurisdiction")
permit (principal, action == Action::"read", resource is Record)
when { resource.class == "protected" && principal.location == resource.jurisdiction };

@id("default-read-public")
permit (principal, action == Action::"read", resource is Record)
when { resource.class == "public" };

@id("default-list-in-jurisdiction")
permit (principal, action == Action::"list", resource is Subject)
when { principal.location == resource.jurisdiction };

@id("default-writers-write")
permit (principal, action in [Action::"write", Action::"delete"], resource is Record)
when {
  principal.roles.contains("writer") &&
  (resource.class == "public" || principal.location == resource.jurisdiction)
};

@id("default-writers-register")
permit (principal, action == Action::"write", resource is Subject)
when { principal.roles.contains("writer") };
)cedar";

absl::StatusOr<policy::PolicySet> ParsePolicyTexts(
    const std::vector<std::pair<std::string, std::string>>& texts) {
  std::vector<policy::PolicySet> sets;
  std::string errors;
  for (const auto& [name, text] : texts) {
    absl::StatusOr<policy::PolicySet> set = policy::ParsePolicies(text, name);
    if (!set.ok()) {
      if (!errors.empty()) errors += "\n\n";
      errors += std::string(set.status().message());
      continue;
    }
    sets.push_back(std::move(*set));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(errors);
  return policy::PolicySet::Merge(sets);
}

absl::StatusOr<policy::PolicySet> LoadPolicySet(const std::vector<std::filesystem::path>& files) {
  std::vector<std::pair<std::string, std::string>> texts;
  if (files.empty()) texts.emplace_back("built-in default policy", std::string(kDefaultPolicy));
  for (const std::filesystem::path& file : files) {
    absl::StatusOr<std::string> text = ReadFileToString(file);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("cannot read policy file: {}", std::string(text.status().message())));
    }
    texts.emplace_back(file.string(), std::move(*text));
  }
  return ParsePolicyTexts(texts);
}

}  // namespace domicile::cli
