#include "http/logged_error.h"

#include <optional>
#include <string>

#include "http/status_mapping.h"
#include "vault/event_log.h"

namespace domicile::http {

Response LoggedErrorResponse(const absl::Status& status) {
  Response response = ErrorResponse(status);
  if (std::optional<uint64_t> index = vault::LogIndexOf(status); index.has_value()) {
    response.headers.push_back({"Domicile-Log-Index", std::to_string(*index)});
  }
  return response;
}

}  // namespace domicile::http
