#include "vault/policy_admin.h"

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "policy/parser.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/policy_model.h"

namespace domicile::vault {

PolicyAdmin::PolicyAdmin(const Vault* vault, PolicyDecider* decider, LintModel model)
    : vault_(vault), decider_(decider), model_(std::move(model)) {}

PolicyInfo PolicyAdmin::Current() const {
  return PolicyInfo{decider_->policy_sha256(), decider_->policies().size()};
}

absl::StatusOr<PolicyInfo> PolicyAdmin::Update(const Caller& caller, std::string_view text) {
  Resource resource{Resource::Kind::kPolicy, "", "", "", Classification::kProtected, ""};
  RETURN_IF_ERROR(vault_->Authorize(caller, Action::kPolicyUpdate, resource));
  ASSIGN_OR_RETURN(policy::PolicySet policies, policy::ParsePolicies(text, "request body"));
  if (std::vector<std::string> problems = ValidateAgainstModel(policies); !problems.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}", fmt::join(problems, "\n")));
  }
  if (policies.empty()) {
    return absl::InvalidArgumentError("the policy set is empty: it would deny everything");
  }
  LintResult lint = LintPolicies(policies, model_);
  if (!lint.ok()) {
    return WithErrorCode(
        absl::FailedPreconditionError(fmt::format(
            "the policy set is refused by the lint ({} counterexample(s)); the old set stays:\n{}",
            lint.counterexamples.size(), lint.Report())),
        error_code::kPolicyRefused);
  }
  std::lock_guard lock(update_mu_);
  decider_->Replace(std::move(policies));
  return Current();
}

}  // namespace domicile::vault
