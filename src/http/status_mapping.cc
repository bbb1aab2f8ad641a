#include "http/status_mapping.h"

#include <string>
#include <string_view>

#include "util/errors.h"

namespace domicile::http {
namespace {

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int HttpStatusFor(const absl::Status& status) {
  if (status.ok()) return 200;
  const std::string name = ErrorCodeOf(status);
  struct Mapping {
    std::string_view name;
    int http_status;
  };
  static constexpr Mapping kMappings[] = {
      {error_code::kInvalidArgument, 400}, {error_code::kUnauthenticated, 401},
      {error_code::kDenied, 403},          {error_code::kCustodianRefused, 403},
      {error_code::kNotFound, 404},        {error_code::kMethodNotAllowed, 405},
      {error_code::kAlreadyExists, 409},   {error_code::kConflict, 409},
      {error_code::kTooLarge, 413},        {error_code::kResidencyViolation, 422},
      {error_code::kPolicyRefused, 422},   {error_code::kUnavailable, 503},
      {error_code::kCancelled, 409},       {error_code::kInternal, 500},
  };
  for (const Mapping& m : kMappings) {
    if (m.name == name) return m.http_status;
  }
  return 500;
}

Response ErrorResponse(const absl::Status& status) {
  absl::Status error =
      status.ok() ? absl::InternalError("error response for an ok status") : status;
  Response response;
  response.status = HttpStatusFor(error);
  std::string name = ErrorCodeOf(error);
  if (response.status == 500) name = std::string(error_code::kInternal);
  nlohmann::json body = {
      {"error", {{"code", std::move(name)}, {"message", std::string(error.message())}}}};
  response.body = DumpJson(body);
  if (response.status == 503) response.headers.push_back({"Retry-After", "1"});
  if (response.status == 401) response.headers.push_back({"WWW-Authenticate", "Bearer"});
  return response;
}

Response JsonResponse(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.body = DumpJson(body);
  return response;
}

}  // namespace domicile::http
