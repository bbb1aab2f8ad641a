#include "http/grant_routes.h"

#include <map>

#include "access/grant.h"
#include "fmt/format.h"
#include "http/logged_error.h"
#include "http/status_mapping.h"
#include "util/errors.h"

namespace domicile::http {
namespace {

Response GrantResponse(int status, const access::Grant& grant, uint64_t log_index) {
  Response response = JsonResponse(status, access::GrantToJson(grant));
  response.headers.push_back({"Domicile-Log-Index", std::to_string(log_index)});
  return response;
}

}  // namespace

bool GrantRoutes::Matches(const std::vector<std::string>& seg) {
  return seg.size() >= 2 && seg.size() <= 4 && seg[0] == "v1" && seg[1] == "grants";
}

Response GrantRoutes::Handle(const Request& request, const std::vector<std::string>& seg,
                             const vault::Caller& caller) const {
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
    return ErrorResponse(q.status());
  }
  if (seg.size() == 2) {
    if (request.method == "POST") {
      absl::StatusOr<access::GrantRequest> parsed = access::ParseGrantRequest(request.body);
      if (!parsed.ok()) return ErrorResponse(parsed.status());
      absl::StatusOr<access::GrantResult> r = grants_->Request(caller, *parsed);
      if (!r.ok()) return LoggedErrorResponse(r.status());
      return GrantResponse(201, r->grant, r->log_index);
    }
    if (request.method != "GET") return ErrorResponse(MethodNotAllowedError(request));
    nlohmann::json list = nlohmann::json::array();
    for (const access::Grant& g : grants_->List()) list.push_back(access::GrantToJson(g));
    return JsonResponse(200, {{"grants", std::move(list)}});
  }
  const std::string& id = seg[2];
  if (seg.size() == 3) {
    if (request.method != "GET") return ErrorResponse(MethodNotAllowedError(request));
    absl::StatusOr<access::Grant> g = grants_->Get(id);
    if (!g.ok()) return ErrorResponse(g.status());
    return JsonResponse(200, access::GrantToJson(*g));
  }
  if (seg[3] != "approvals" && seg[3] != "revoke") {
    return ErrorResponse(absl::NotFoundError(fmt::format("no route for {}", request.path)));
  }
  if (request.method != "POST") return ErrorResponse(MethodNotAllowedError(request));
  absl::StatusOr<access::GrantResult> r = seg[3] == "approvals"
                                              ? grants_->Approve(caller, id, request.body)
                                              : grants_->Revoke(caller, id);
  if (!r.ok()) return LoggedErrorResponse(r.status());
  return GrantResponse(200, r->grant, r->log_index);
}

}  // namespace domicile::http
