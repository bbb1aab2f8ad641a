#include "vault/policy_admin.h"

#include "crypto/sha256.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "policy/parser.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/policy_model.h"

namespace domicile::vault {

PolicyAdmin::PolicyAdmin(Vault* vault, PolicyDecider* decider, LintModel model)
    : vault_(vault), decider_(decider), model_(std::move(model)) {}

PolicyInfo PolicyAdmin::Current() const {
  return PolicyInfo{decider_->policy_sha256(), decider_->policies().size(), 0};
}

absl::StatusOr<PolicyInfo> PolicyAdmin::Update(const Caller& caller, std::string_view text) {
  Resource resource{Resource::Kind::kPolicy, "", "", "", Classification::kProtected, ""};
  ASSIGN_OR_RETURN(uint64_t decided, vault_->Authorize(caller, Action::kPolicyUpdate, resource));
  absl::StatusOr<policy::PolicySet> parsed = policy::ParsePolicies(text, "request body");
  if (!parsed.ok()) return WithLogIndex(parsed.status(), decided);
  policy::PolicySet& policies = *parsed;
  if (std::vector<std::string> problems = ValidateAgainstModel(policies); !problems.empty()) {
    return WithLogIndex(absl::InvalidArgumentError(fmt::format("{}", fmt::join(problems, "\n"))),
                        decided);
  }
  if (policies.empty()) {
    return WithLogIndex(
        absl::InvalidArgumentError("the policy set is empty: it would deny everything"), decided);
  }
  LintResult lint = LintPolicies(policies, model_);
  if (!lint.ok()) {
    return WithLogIndex(
        WithErrorCode(absl::FailedPreconditionError(fmt::format(
                          "the policy set is refused by the lint ({} counterexample(s)); the old "
                          "set stays:\n{}",
                          lint.counterexamples.size(), lint.Report())),
                      error_code::kPolicyRefused),
        decided);
  }
  std::lock_guard lock(update_mu_);
  // The change is in the log before it takes effect.
  std::string new_sha256 = HexEncode(crypto::Sha256(AsBytes(policies.source_text())));
  ASSIGN_OR_RETURN(uint64_t index,
                   vault_->LogEvent(PolicyEvent(vault_->event_source(), vault_->clock()->Now(),
                                                *caller.principal, decider_->policy_sha256(),
                                                new_sha256, policies.policies().size())));
  decider_->Replace(std::move(policies));
  PolicyInfo info = Current();
  info.log_index = index;
  return info;
}

}  // namespace domicile::vault
