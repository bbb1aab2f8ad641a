#include "cli/policies.h"

#include <set>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "policy/parser.h"
#include "util/file.h"
#include "vault/policy_model.h"

namespace domicile::cli {

const std::string_view kEmbeddedDefaultPolicy = R"cedar(
@id("services-read-protected")
permit (principal is Service, action == Action::"read", resource is Record)
when {
  resource.class == "protected" &&
  principal.location == resource.jurisdiction &&
  principal.entity == "local"
};

@id("read-protected-under-grant")
permit (principal is User, action == Action::"read", resource is Record)
when {
  resource.class == "protected" &&
  context.grant.valid &&
  principal.location == resource.jurisdiction &&
  principal.entity == "local"
};

@id("read-public")
permit (principal, action == Action::"read", resource is Record)
when { resource.class == "public" };

@id("list-in-jurisdiction")
permit (principal, action == Action::"list", resource is Subject)
when { principal.location == resource.jurisdiction && principal.entity == "local" };

@id("writers-write")
permit (principal, action in [Action::"write", Action::"delete"], resource is Record)
when {
  principal.roles.contains("writer") &&
  principal.location == resource.jurisdiction &&
  principal.entity == "local"
};

@id("writers-register")
permit (principal, action == Action::"write", resource is Subject)
when {
  principal.roles.contains("writer") &&
  principal.location == resource.jurisdiction &&
  principal.entity == "local"
};
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

absl::StatusOr<policy::PolicySet> LoadPolicySet(const Config& config) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (const std::filesystem::path& file : config.policy_files) {
    absl::StatusOr<std::string> text = ReadFileToString(file);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("cannot read policy file: {}", std::string(text.status().message())));
    }
    texts.emplace_back(file.string(), std::move(*text));
  }
  if (texts.empty() && !config.inline_policy.empty()) {
    texts.emplace_back("embedded default policy", config.inline_policy);
  }
  if (texts.empty()) {
    return absl::InvalidArgumentError(
        "no policy: name the Cedar policy files that decide requests in [policy] files");
  }
  absl::StatusOr<policy::PolicySet> set = ParsePolicyTexts(texts);
  if (!set.ok()) return set;
  std::vector<std::string> problems = vault::ValidateAgainstModel(*set);
  if (!problems.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}", fmt::join(problems, "\n")));
  }
  return set;
}

vault::LintModel LintModelFor(const Config& config) {
  vault::LintModel model;
  for (const PrincipalConfig& p : config.principals) model.principals.push_back(p.principal);
  model.trusted_entities = config.trusted_entities;
  std::set<std::string> jurisdictions;
  for (const std::string& j : config.residency.Jurisdictions()) jurisdictions.insert(j);
  for (const auto& [j, entities] : config.trusted_entities) jurisdictions.insert(j);
  model.jurisdictions.assign(jurisdictions.begin(), jurisdictions.end());
  for (const SiteConfig& s : config.sites) model.sites.push_back(s.site.id);
  return model;
}

absl::Status LintPolicySet(const policy::PolicySet& policies, const Config& config) {
  vault::LintResult result = vault::LintPolicies(policies, LintModelFor(config));
  if (result.ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("the policy set is refused by the lint ({} counterexample(s)):\n{}",
                  result.counterexamples.size(), result.Report()));
}

}  // namespace domicile::cli
