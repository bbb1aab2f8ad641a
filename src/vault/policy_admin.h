// PolicyAdmin: replacing the active policy set at run time (POST /v1/policy). The caller must
// be allowed the action "policy.update" on Policy::"current"; the new set must parse and pass
// the lint; only then does it replace the old one, atomically. Otherwise nothing changes.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "vault/policy_decider.h"
#include "vault/policy_lint.h"
#include "vault/vault.h"

namespace domicile::vault {

struct PolicyInfo {
  std::string sha256;
  size_t policies = 0;
  uint64_t log_index = 0;  // of the policy event, after an update
};

class PolicyAdmin {
 public:
  // Not owned; both must outlive the PolicyAdmin.
  PolicyAdmin(Vault* vault, PolicyDecider* decider, LintModel model);

  // Errors: denied; InvalidArgument (parse errors, with line, column and caret); error name
  // "policy_refused" (the lint's counterexamples).
  absl::StatusOr<PolicyInfo> Update(const Caller& caller, std::string_view text);

  PolicyInfo Current() const;

 private:
  Vault* vault_;
  PolicyDecider* decider_;
  const LintModel model_;
  std::mutex update_mu_;  // one update at a time
};

}  // namespace domicile::vault
