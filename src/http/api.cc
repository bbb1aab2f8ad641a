#include "http/api.h"

#include <map>
#include <optional>

#include "fmt/format.h"
#include "http/status_mapping.h"
#include "nlohmann/json.hpp"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::http {
namespace {

constexpr std::string_view kPurposeHeader = "Domicile-Purpose";
constexpr size_t kMaxPurposeSize = 256;

absl::Status MethodNotAllowed(const Request& request) {
  return WithErrorCode(absl::InvalidArgumentError(fmt::format("method {} is not allowed on {}",
                                                              request.method, request.path)),
                       error_code::kMethodNotAllowed);
}

// Splits "/a/b/c" into its percent-decoded segments. InvalidArgument for an empty segment
// ("//"), a trailing slash or a bad escape.
absl::StatusOr<std::vector<std::string>> PathSegments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("request path must start with '/'");
  }
  path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view raw = path.substr(0, slash);
    if (raw.empty()) return absl::InvalidArgumentError("request path has an empty segment");
    ASSIGN_OR_RETURN(std::string seg, PercentDecode(raw));
    out.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) return absl::InvalidArgumentError("request path has a trailing '/'");
  }
  return out;
}

// Parses the query into a map, refusing names not in `allowed` and repeated names.
absl::StatusOr<std::map<std::string, std::string>> QueryParams(
    const Request& request, std::initializer_list<std::string_view> allowed) {
  ASSIGN_OR_RETURN(auto pairs, ParseQuery(request.query));
  std::map<std::string, std::string> out;
  for (auto& [name, value] : pairs) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return absl::InvalidArgumentError(fmt::format("unknown query parameter '{}'", name));
    }
    if (!out.emplace(name, value).second) {
      return absl::InvalidArgumentError(fmt::format("query parameter '{}' given twice", name));
    }
  }
  return out;
}

absl::StatusOr<vault::RequestContext> Context(const Request& request, const Clock& clock) {
  vault::RequestContext context;
  if (auto purpose = request.GetHeader(kPurposeHeader); purpose.has_value()) {
    if (purpose->size() > kMaxPurposeSize) {
      return absl::InvalidArgumentError(
          fmt::format("{} is longer than {} bytes", kPurposeHeader, kMaxPurposeSize));
    }
    for (char c : *purpose) {
      if (c < 0x20 || c > 0x7e) {
        return absl::InvalidArgumentError(
            fmt::format("{} must be printable ASCII", kPurposeHeader));
      }
    }
    context.purpose = *purpose;
  }
  context.source_ip = request.remote_ip;
  context.time = clock.NowUnixSeconds();
  return context;
}

Response Json(int status, const nlohmann::json& body) { return JsonResponse(status, body); }

}  // namespace

Api::Api(vault::Vault* vault, const Authenticator* authenticator, const Clock* clock,
         vault::PolicyAdmin* policy_admin)
    : vault_(vault), authenticator_(authenticator), clock_(clock), policy_admin_(policy_admin) {}

Response Api::Handle(const Request& request) const {
  absl::StatusOr<std::vector<std::string>> segments = PathSegments(request.path);
  if (!segments.ok()) return ErrorResponse(segments.status());
  const std::vector<std::string>& seg = *segments;

  if (seg.size() == 1 && seg[0] == "healthz") {
    if (request.method != "GET" && request.method != "HEAD") {
      return ErrorResponse(MethodNotAllowed(request));
    }
    return Response{200, "text/plain; charset=utf-8", {}, "ok"};
  }
  const bool policy_route =
      seg.size() == 2 && seg[0] == "v1" && seg[1] == "policy" && policy_admin_ != nullptr;
  if (!policy_route &&
      (seg.size() < 2 || seg[0] != "v1" || seg[1] != "subjects" || seg.size() > 5 ||
       seg.size() == 3 || (seg.size() >= 4 && seg[3] != "records"))) {
    return ErrorResponse(absl::NotFoundError(fmt::format("no route for {}", request.path)));
  }

  absl::StatusOr<const vault::Principal*> principal =
      authenticator_->Authenticate(request.GetHeader("Authorization"));
  if (!principal.ok()) return ErrorResponse(principal.status());
  absl::StatusOr<vault::RequestContext> context = Context(request, *clock_);
  if (!context.ok()) return ErrorResponse(context.status());
  vault::Caller caller{*principal, *context};

  if (policy_route) return Policy(request, caller);
  if (seg.size() == 2) return Subjects(request, caller);
  if (seg.size() == 4) return Records(request, caller, seg[2]);
  return Record(request, caller, seg[2], seg[4]);
}

Response Api::Subjects(const Request& request, const vault::Caller& caller) const {
  if (request.method != "POST") return ErrorResponse(MethodNotAllowed(request));
  if (absl::StatusOr<std::map<std::string, std::string>> q = QueryParams(request, {}); !q.ok()) {
    return ErrorResponse(q.status());
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(absl::InvalidArgumentError(
        "body must be a JSON object {\"id\": \"...\", \"jurisdiction\": \"..\"}"));
  }
  for (const auto& [name, value] : body.items()) {
    if (name != "id" && name != "jurisdiction") {
      return ErrorResponse(absl::InvalidArgumentError(fmt::format("unknown field '{}'", name)));
    }
    if (!value.is_string()) {
      return ErrorResponse(
          absl::InvalidArgumentError(fmt::format("field '{}' must be a string", name)));
    }
  }
  if (!body.contains("id") || !body.contains("jurisdiction")) {
    return ErrorResponse(absl::InvalidArgumentError("fields 'id' and 'jurisdiction' are required"));
  }
  std::string id = body["id"].get<std::string>();
  std::string jurisdiction = body["jurisdiction"].get<std::string>();
  absl::StatusOr<bool> created = vault_->RegisterSubject(caller, id, jurisdiction);
  if (!created.ok()) return ErrorResponse(created.status());
  return Json(*created ? 201 : 200,
              {{"id", id}, {"jurisdiction", jurisdiction}, {"created", *created}});
}

Response Api::Policy(const Request& request, const vault::Caller& caller) const {
  if (absl::StatusOr<std::map<std::string, std::string>> q = QueryParams(request, {}); !q.ok()) {
    return ErrorResponse(q.status());
  }
  vault::PolicyInfo info;
  if (request.method == "GET") {
    info = policy_admin_->Current();
  } else if (request.method == "POST") {
    absl::StatusOr<vault::PolicyInfo> updated = policy_admin_->Update(caller, request.body);
    if (!updated.ok()) return ErrorResponse(updated.status());
    info = *updated;
  } else {
    return ErrorResponse(MethodNotAllowed(request));
  }
  return Json(200, {{"sha256", info.sha256}, {"policies", info.policies}});
}

Response Api::Records(const Request& request, const vault::Caller& caller,
                      std::string_view subject) const {
  if (request.method != "GET") return ErrorResponse(MethodNotAllowed(request));
  if (absl::StatusOr<std::map<std::string, std::string>> q = QueryParams(request, {}); !q.ok()) {
    return ErrorResponse(q.status());
  }
  absl::StatusOr<std::vector<vault::RecordInfo>> list = vault_->List(caller, subject);
  if (!list.ok()) return ErrorResponse(list.status());
  nlohmann::json records = nlohmann::json::array();
  for (const vault::RecordInfo& r : *list) {
    records.push_back({{"key", r.key},
                       {"class", vault::ClassificationName(r.classification)},
                       {"version", r.version},
                       {"site", r.site}});
  }
  return Json(200, {{"subject", subject}, {"records", std::move(records)}});
}

Response Api::Record(const Request& request, const vault::Caller& caller, std::string_view subject,
                     std::string_view key) const {
  if (request.method == "PUT") {
    absl::StatusOr<std::map<std::string, std::string>> q = QueryParams(request, {"class", "site"});
    if (!q.ok()) return ErrorResponse(q.status());
    vault::PutRequest put{subject, key, vault::Classification::kProtected, "", request.body};
    if (auto it = q->find("class"); it != q->end()) {
      std::optional<vault::Classification> c = vault::ParseClassification(it->second);
      if (!c.has_value()) {
        return ErrorResponse(absl::InvalidArgumentError(
            fmt::format("class must be 'public' or 'protected', not '{}'", it->second)));
      }
      put.classification = *c;
    }
    if (auto it = q->find("site"); it != q->end()) put.site = it->second;
    absl::StatusOr<vault::WriteResult> w = vault_->Put(caller, put);
    if (!w.ok()) return ErrorResponse(w.status());
    return Json(w->created ? 201 : 200, {{"subject", subject},
                                         {"key", key},
                                         {"version", w->version},
                                         {"site", w->site},
                                         {"class", vault::ClassificationName(put.classification)}});
  }
  if (request.method == "GET" || request.method == "DELETE") {
    if (absl::StatusOr<std::map<std::string, std::string>> q = QueryParams(request, {}); !q.ok()) {
      return ErrorResponse(q.status());
    }
  }
  if (request.method == "GET") {
    absl::StatusOr<vault::ReadResult> r = vault_->Get(caller, subject, key);
    if (!r.ok()) return ErrorResponse(r.status());
    Response response{200, "application/octet-stream", {}, std::move(r->value)};
    response.headers.push_back({"Domicile-Version", std::to_string(r->version)});
    response.headers.push_back({"Domicile-Site", r->site});
    response.headers.push_back(
        {"Domicile-Class", std::string(vault::ClassificationName(r->classification))});
    response.headers.push_back({"Cache-Control", "no-store"});
    return response;
  }
  if (request.method == "DELETE") {
    absl::Status st = vault_->Delete(caller, subject, key);
    if (!st.ok()) return ErrorResponse(st);
    return Response{204, "", {}, ""};
  }
  return ErrorResponse(MethodNotAllowed(request));
}

}  // namespace domicile::http
