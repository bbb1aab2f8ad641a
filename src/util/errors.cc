#include "util/errors.h"

#include "absl/strings/cord.h"

namespace domicile {
namespace {

constexpr std::string_view kPayloadUrl = "domicile.dev/error-code";

}  // namespace

absl::Status WithErrorCode(absl::Status status, std::string_view code) {
  status.SetPayload(ToAbsl(kPayloadUrl), absl::Cord(ToAbsl(code)));
  return status;
}

std::string ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return "ok";
  if (auto payload = status.GetPayload(ToAbsl(kPayloadUrl)); payload.has_value()) {
    return std::string(*payload);
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return std::string(error_code::kInvalidArgument);
    case absl::StatusCode::kUnauthenticated:
      return std::string(error_code::kUnauthenticated);
    case absl::StatusCode::kPermissionDenied:
      return std::string(error_code::kDenied);
    case absl::StatusCode::kNotFound:
      return std::string(error_code::kNotFound);
    case absl::StatusCode::kAlreadyExists:
      return std::string(error_code::kAlreadyExists);
    case absl::StatusCode::kCancelled:
      return std::string(error_code::kCancelled);
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return std::string(error_code::kConflict);
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return std::string(error_code::kUnavailable);
    default:
      return std::string(error_code::kInternal);
  }
}

absl::Status ResidencyViolationError(std::string_view message) {
  return WithErrorCode(absl::FailedPreconditionError(ToAbsl(message)),
                       error_code::kResidencyViolation);
}

absl::Status DeniedError(std::string_view message) {
  return WithErrorCode(absl::PermissionDeniedError(ToAbsl(message)), error_code::kDenied);
}

absl::Status CustodianRefusedError(std::string_view message) {
  return WithErrorCode(absl::PermissionDeniedError(ToAbsl(message)), error_code::kCustodianRefused);
}

absl::Status TooLargeError(std::string_view message) {
  return WithErrorCode(absl::InvalidArgumentError(ToAbsl(message)), error_code::kTooLarge);
}

absl::Status ConflictError(std::string_view message) {
  return WithErrorCode(absl::FailedPreconditionError(ToAbsl(message)), error_code::kConflict);
}

}  // namespace domicile
