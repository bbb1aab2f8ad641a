// The project's error vocabulary. An absl::Status carries its abseil code (chosen by abseil's
// guide) and, where the API promises a more specific name (for example
// "residency_violation"), that name as a payload. src/http maps both to an HTTP status in one
// place; the CLI prints the name and message.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace domicile {

// Debian 12's abseil defines its own absl::string_view (not an alias of std::string_view);
// convert explicitly where a std::string_view meets an abseil API.
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Stable, machine-readable error names used in API responses ({"error":{"code": ...}}).
namespace error_code {
inline constexpr std::string_view kInvalidArgument = "invalid_argument";
inline constexpr std::string_view kUnauthenticated = "unauthenticated";
inline constexpr std::string_view kDenied = "denied";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kAlreadyExists = "already_exists";
inline constexpr std::string_view kConflict = "conflict";
inline constexpr std::string_view kResidencyViolation = "residency_violation";
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kUnavailable = "unavailable";
inline constexpr std::string_view kInternal = "internal";
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";
inline constexpr std::string_view kPolicyRefused = "policy_refused";
inline constexpr std::string_view kCustodianRefused = "custodian_refused";
inline constexpr std::string_view kCancelled = "cancelled";  // a lifecycle operation stopped
}  // namespace error_code

// Returns `status` with `code` attached as its domicile error name.
absl::Status WithErrorCode(absl::Status status, std::string_view code);

// The domicile error name of `status`: its attached name if any, else one derived from its
// abseil code. "ok" for an ok status.
std::string ErrorCodeOf(const absl::Status& status);

// A write aimed at a site that the residency rules forbid for the data's jurisdiction.
absl::Status ResidencyViolationError(std::string_view message);
// The decider refused the request; `message` is the reason shown to the caller.
absl::Status DeniedError(std::string_view message);
// The key custodian refused to release a data key; `message` says which of its rules failed.
absl::Status CustodianRefusedError(std::string_view message);
// A body or value over its configured limit.
absl::Status TooLargeError(std::string_view message);
// A state conflict that is not "already exists" (for example a subject registered elsewhere).
absl::Status ConflictError(std::string_view message);

}  // namespace domicile
