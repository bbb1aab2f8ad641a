// The error response to a request that reached a decision: ErrorResponse (status_mapping.h)
// plus Domicile-Log-Index when the status carries the decision's log index
// (vault::WithLogIndex). Every route of the node answers its errors through it.
#pragma once

#include "absl/status/status.h"
#include "http/response.h"

namespace domicile::http {

Response LoggedErrorResponse(const absl::Status& status);

}  // namespace domicile::http
