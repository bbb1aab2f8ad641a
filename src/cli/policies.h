// The node's policy set: loading it (the configured Cedar files, or the embedded default's
// inline policy), and checking it with the lint against the configuration's principals,
// jurisdictions and sites before it may decide anything.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/config.h"
#include "policy/policy_set.h"
#include "vault/policy_lint.h"

namespace domicile::cli {

// The embedded default's policy: protected records only to principals of the entity "local"
// located in the record's jurisdiction; public records to anyone authenticated; writes and
// registrations by "local" writers in the jurisdiction.
extern const std::string_view kEmbeddedDefaultPolicy;

// Reads and parses the configured policy (files, else the inline policy). InvalidArgument with
// every parse error (FILE:LINE:COL and a caret), or when the configuration names no policy.
absl::StatusOr<policy::PolicySet> LoadPolicySet(const Config& config);

// Parses policy texts given as (name, text) pairs into one set.
absl::StatusOr<policy::PolicySet> ParsePolicyTexts(
    const std::vector<std::pair<std::string, std::string>>& texts);

// What the lint checks a set against, from the configuration.
vault::LintModel LintModelFor(const Config& config);

// Runs the lint. FailedPrecondition listing every counterexample when the set is refused.
absl::Status LintPolicySet(const policy::PolicySet& policies, const Config& config);

}  // namespace domicile::cli
