// The one place where an absl::Status becomes an HTTP response. Every error the API returns
// goes through ErrorResponse(), so its status code and JSON shape
// ({"error":{"code":"<name>","message":"<message>"}}) are the same everywhere; the error names
// come from util/errors.h.
#pragma once

#include "absl/status/status.h"
#include "http/response.h"
#include "nlohmann/json.hpp"

namespace domicile::http {

// The HTTP status for `status`, chosen by its domicile error name (ErrorCodeOf):
//   invalid_argument 400, unauthenticated 401, denied 403, not_found 404,
//   method_not_allowed 405, already_exists 409, conflict 409, too_large 413,
//   residency_violation 422, unavailable 503 (includes ResourceExhausted and
//   DeadlineExceeded), internal and anything else 500. An ok status gives 200.
int HttpStatusFor(const absl::Status& status);

// The JSON error response for a non-ok `status`: HttpStatusFor's code and the body
// {"error":{"code":"<name>","message":"<status message>"}}. Only the message is exposed (no
// payloads). 503 carries "Retry-After: 1" and 401 "WWW-Authenticate: Bearer". An ok status is
// treated as an internal error.
Response ErrorResponse(const absl::Status& status);

// A response with `body` serialized as JSON (invalid UTF-8 in strings is replaced, never throws).
Response JsonResponse(int status, const nlohmann::json& body);

}  // namespace domicile::http
