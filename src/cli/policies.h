// Loading the node's policy set: the configured Cedar files, or the built-in default policy
// when none are configured (the same rules as the old residency guard, written in Cedar).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/policy_set.h"

namespace domicile::cli {

// The built-in default policy: protected records only to principals located in the record's
// jurisdiction; public records to anyone authenticated; writes, deletes and registrations by
// principals with the "writer" role (protected ones only in the jurisdiction).
extern const std::string_view kDefaultPolicy;

// Reads and parses `files` into one set; with no files, parses kDefaultPolicy. InvalidArgument
// with every parse error (FILE:LINE:COL and a caret).
absl::StatusOr<policy::PolicySet> LoadPolicySet(const std::vector<std::filesystem::path>& files);

// Parses policy texts given as (name, text) pairs, e.g. from a request body.
absl::StatusOr<policy::PolicySet> ParsePolicyTexts(
    const std::vector<std::pair<std::string, std::string>>& texts);

}  // namespace domicile::cli
