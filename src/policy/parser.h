// Parsing Cedar policy text into a compiled PolicySet.
//
// Policy ids: the value of the policy's @id("...") annotation if it has one, else "policy<N>"
// where N is the policy's position (from 0) among all policies of the text — the default ids of
// the reference implementation. PolicySet::Merge renumbers default ids across files.
//
// Errors: InvalidArgument whose message lists every error found (the parser skips to the end
// of a broken policy and carries on), separated by blank lines, each as
//
//   FILE:LINE:COL: message
//   <the source line>
//   <spaces>^
//
// Any construct of full Cedar outside the supported subset (extension functions such as
// `ip(...)` and `decimal(...)`, methods such as `.isIpv4()` or `.isEmpty()`, template slots,
// `has` on an attribute path, entity tags, ...) is reported as an error naming it.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "policy/expr.h"
#include "policy/policy_set.h"

namespace domicile::policy {

absl::StatusOr<PolicySet> ParsePolicies(std::string_view text,
                                        std::string_view file_name = "policies");

// Parses a single expression (for tests and tools), with the same error format.
absl::StatusOr<Expr> ParseExpression(std::string_view text,
                                     std::string_view file_name = "expression");

// Parses an entity reference `Type::"id"` (for command lines).
absl::StatusOr<EntityUid> ParseEntityUid(std::string_view text);

}  // namespace domicile::policy
