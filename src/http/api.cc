#include "http/api.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "fmt/format.h"
#include "http/status_mapping.h"
#include "nlohmann/json.hpp"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/event_log.h"

namespace domicile::http {
namespace {

constexpr std::string_view kPurposeHeader = "Domicile-Purpose";
constexpr size_t kMaxPurposeSize = 256;
constexpr std::string_view kGrantHeader = "Domicile-Grant";
constexpr size_t kMaxGrantIdSize = 64;

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

// The purpose header's value, checked.
absl::StatusOr<std::string_view> Purpose(const Request& request) {
  std::optional<std::string_view> purpose = request.GetHeader(kPurposeHeader);
  if (!purpose.has_value()) return std::string_view();
  if (purpose->size() > kMaxPurposeSize) {
    return absl::InvalidArgumentError(
        fmt::format("{} is longer than {} bytes", kPurposeHeader, kMaxPurposeSize));
  }
  for (char c : *purpose) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(fmt::format("{} must be printable ASCII", kPurposeHeader));
    }
  }
  return *purpose;
}

Response Json(int status, const nlohmann::json& body) { return JsonResponse(status, body); }

constexpr std::string_view kLogIndexHeader = "Domicile-Log-Index";

void AddLogIndex(Response& response, uint64_t index) {
  response.headers.push_back({std::string(kLogIndexHeader), std::to_string(index)});
}

// Whether the route is GET /v1/subjects/{id}/records/{key}: the read path, served without
// blocking.
bool IsRecordRead(const Request& request, const std::vector<std::string>& seg) {
  return request.method == "GET" && seg.size() == 5 && seg[0] == "v1" && seg[1] == "subjects" &&
         seg[3] == "records";
}

Response ReadResponse(absl::StatusOr<vault::ReadResult> r) {
  if (!r.ok()) return LoggedErrorResponse(r.status());
  Response response{200, "application/octet-stream", {}, std::move(r->value)};
  response.headers.push_back({"Domicile-Version", std::to_string(r->version)});
  response.headers.push_back({"Domicile-Site", r->site});
  response.headers.push_back(
      {"Domicile-Class", std::string(vault::ClassificationName(r->classification))});
  AddLogIndex(response, r->log_index);
  response.headers.push_back({"Cache-Control", "no-store"});
  return response;
}

}  // namespace

absl::StatusOr<vault::RequestContext> Api::Context(const Request& request) const {
  vault::RequestContext context;
  ASSIGN_OR_RETURN(context.purpose, Purpose(request));
  if (std::optional<std::string_view> grant = request.GetHeader(kGrantHeader); grant.has_value()) {
    if (options_.grants == nullptr) {
      return absl::InvalidArgumentError(
          fmt::format("{}: this node does not serve grants", kGrantHeader));
    }
    if (grant->empty() || grant->size() > kMaxGrantIdSize ||
        !std::all_of(grant->begin(), grant->end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        })) {
      return absl::InvalidArgumentError(
          fmt::format("{} must be a grant id (lowercase letters, digits, '-'; at most {} bytes)",
                      kGrantHeader, kMaxGrantIdSize));
    }
    context.grant = options_.grants->Facts(*grant);
  }
  context.source_ip = request.remote_ip;
  context.time = options_.clock->NowUnixSeconds();
  return context;
}

Api::Api(ApiOptions options)
    : options_(options),
      grant_routes_(options.grants != nullptr ? std::make_unique<GrantRoutes>(options.grants)
                                              : nullptr),
      ops_routes_(options.operations != nullptr
                      ? std::make_unique<OpsRoutes>(options.vault, options.operations,
                                                    options.backups, options.checkpoint)
                      : nullptr),
      blocking_(std::make_unique<ThreadPool>(std::max<size_t>(1, options.blocking_threads))) {}

void Api::Handle(Request request, Responder respond) const {
  absl::StatusOr<std::vector<std::string>> segments = PathSegments(request.path);
  if (!segments.ok()) return respond(ErrorResponse(segments.status()));
  const std::vector<std::string>& seg = *segments;

  if (seg.size() == 1 && seg[0] == "healthz") {
    if (request.method != "GET" && request.method != "HEAD") {
      return respond(ErrorResponse(MethodNotAllowedError(request)));
    }
    return respond(Response{200, "text/plain; charset=utf-8", {}, "ok"});
  }
  if (options_.log_routes != nullptr && LogRoutes::Matches(seg)) {
    return respond(options_.log_routes->Handle(request, seg));
  }
  if (options_.witness_routes != nullptr && WitnessRoutes::Matches(seg)) {
    auto shared = std::make_shared<std::pair<Request, std::vector<std::string>>>(
        std::move(request), std::move(*segments));
    blocking_->Post([this, shared, respond = std::move(respond)] {
      respond(options_.witness_routes->Handle(shared->first, shared->second));
    });
    return;
  }
  if (IsRecordRead(request, seg)) {
    if (!options_.reads_wait_for_store) return Read(request, seg, std::move(respond));
    // The record is read from a database over the network: not on an I/O thread.
    auto shared = std::make_shared<std::pair<Request, std::vector<std::string>>>(
        std::move(request), std::move(*segments));
    blocking_->Post([this, shared, respond = std::move(respond)]() mutable {
      Read(shared->first, shared->second, std::move(respond));
    });
    return;
  }
  auto shared = std::make_shared<std::pair<Request, std::vector<std::string>>>(
      std::move(request), std::move(*segments));
  blocking_->Post([this, shared, respond = std::move(respond)] {
    respond(HandleBlocking(shared->first, shared->second));
  });
}

void Api::Read(const Request& request, const std::vector<std::string>& seg,
               Responder respond) const {
  absl::StatusOr<const vault::Principal*> principal =
      options_.authenticator->Authenticate(request.GetHeader("Authorization"));
  if (!principal.ok()) return respond(ErrorResponse(principal.status()));
  absl::StatusOr<vault::RequestContext> context = Context(request);
  if (!context.ok()) return respond(ErrorResponse(context.status()));
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
    return respond(ErrorResponse(q.status()));
  }
  vault::Caller caller{*principal, *context};
  options_.vault->GetAsync(caller, seg[2], seg[4],
                           [respond = std::move(respond)](absl::StatusOr<vault::ReadResult> r) {
                             respond(ReadResponse(std::move(r)));
                           });
}

Response Api::HandleBlocking(const Request& request, const std::vector<std::string>& seg) const {
  const bool policy_route =
      seg.size() == 2 && seg[0] == "v1" && seg[1] == "policy" && options_.policy_admin != nullptr;
  const bool grant_route = grant_routes_ != nullptr && GrantRoutes::Matches(seg);
  const bool ops_route = ops_routes_ != nullptr && OpsRoutes::Matches(seg);
  if (!policy_route && !grant_route && !ops_route &&
      (seg.size() < 2 || seg[0] != "v1" || seg[1] != "subjects" || seg.size() > 5 ||
       (seg.size() >= 4 && seg[3] != "records"))) {
    return ErrorResponse(absl::NotFoundError(fmt::format("no route for {}", request.path)));
  }

  absl::StatusOr<const vault::Principal*> principal =
      options_.authenticator->Authenticate(request.GetHeader("Authorization"));
  if (!principal.ok()) return ErrorResponse(principal.status());
  absl::StatusOr<vault::RequestContext> context = Context(request);
  if (!context.ok()) return ErrorResponse(context.status());
  vault::Caller caller{*principal, *context};

  if (policy_route) return Policy(request, caller);
  if (grant_route) return grant_routes_->Handle(request, seg, caller);
  if (ops_route) return ops_routes_->Handle(request, seg, caller);
  if (seg.size() == 2) return Subjects(request, caller);
  if (seg.size() == 3) return EraseSubject(request, caller, seg[2]);
  if (seg.size() == 4) return Records(request, caller, seg[2]);
  return Record(request, caller, seg[2], seg[4]);
}

Response Api::Subjects(const Request& request, const vault::Caller& caller) const {
  if (request.method != "POST") return ErrorResponse(MethodNotAllowedError(request));
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
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
  absl::StatusOr<vault::RegisterResult> reg =
      options_.vault->RegisterSubject(caller, id, jurisdiction);
  if (!reg.ok()) return LoggedErrorResponse(reg.status());
  Response response = Json(reg->created ? 201 : 200,
                           {{"id", id}, {"jurisdiction", jurisdiction}, {"created", reg->created}});
  AddLogIndex(response, reg->log_index);
  return response;
}

Response Api::EraseSubject(const Request& request, const vault::Caller& caller,
                           std::string_view subject) const {
  if (request.method != "DELETE") return ErrorResponse(MethodNotAllowedError(request));
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
    return ErrorResponse(q.status());
  }
  absl::StatusOr<vault::EraseResult> erased = options_.vault->EraseSubject(caller, subject);
  if (!erased.ok()) return LoggedErrorResponse(erased.status());
  Response response = Json(200, {{"subject", subject},
                                 {"erased", true},
                                 {"sites", erased->sites},
                                 {"records", erased->records},
                                 {"data_keys", erased->data_keys}});
  AddLogIndex(response, erased->log_index);
  return response;
}

Response Api::Policy(const Request& request, const vault::Caller& caller) const {
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
    return ErrorResponse(q.status());
  }
  if (request.method == "GET") {
    vault::PolicyInfo info = options_.policy_admin->Current();
    return Json(200, {{"sha256", info.sha256}, {"policies", info.policies}});
  }
  if (request.method != "POST") return ErrorResponse(MethodNotAllowedError(request));
  absl::StatusOr<vault::PolicyInfo> updated = options_.policy_admin->Update(caller, request.body);
  if (!updated.ok()) return LoggedErrorResponse(updated.status());
  Response response = Json(200, {{"sha256", updated->sha256}, {"policies", updated->policies}});
  AddLogIndex(response, updated->log_index);
  return response;
}

Response Api::Records(const Request& request, const vault::Caller& caller,
                      std::string_view subject) const {
  if (request.method != "GET") return ErrorResponse(MethodNotAllowedError(request));
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
    return ErrorResponse(q.status());
  }
  absl::StatusOr<vault::ListResult> list = options_.vault->List(caller, subject);
  if (!list.ok()) return LoggedErrorResponse(list.status());
  nlohmann::json records = nlohmann::json::array();
  for (const vault::RecordInfo& r : list->records) {
    records.push_back({{"key", r.key},
                       {"class", vault::ClassificationName(r.classification)},
                       {"version", r.version},
                       {"site", r.site}});
  }
  Response response = Json(200, {{"subject", subject}, {"records", std::move(records)}});
  AddLogIndex(response, list->log_index);
  return response;
}

Response Api::Record(const Request& request, const vault::Caller& caller, std::string_view subject,
                     std::string_view key) const {
  if (request.method == "PUT") {
    absl::StatusOr<std::map<std::string, std::string>> q =
        ParseQueryParams(request, {"class", "site"});
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
    absl::StatusOr<vault::WriteResult> w = options_.vault->Put(caller, put);
    if (!w.ok()) return LoggedErrorResponse(w.status());
    Response response =
        Json(w->created ? 201 : 200, {{"subject", subject},
                                      {"key", key},
                                      {"version", w->version},
                                      {"site", w->site},
                                      {"class", vault::ClassificationName(put.classification)}});
    AddLogIndex(response, w->log_index);
    return response;
  }
  if (request.method == "GET" || request.method == "DELETE") {
    if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
        !q.ok()) {
      return ErrorResponse(q.status());
    }
  }
  if (request.method == "DELETE") {
    absl::StatusOr<uint64_t> index = options_.vault->Delete(caller, subject, key);
    if (!index.ok()) return LoggedErrorResponse(index.status());
    Response response{204, "", {}, ""};
    AddLogIndex(response, *index);
    return response;
  }
  return ErrorResponse(MethodNotAllowedError(request));
}

}  // namespace domicile::http
