#include "http/node_front.h"

#include <utility>
#include <vector>

#include "crypto/constant_time.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "http/status_mapping.h"
#include "nlohmann/json.hpp"
#include "util/encoding.h"
#include "vault/names.h"

namespace domicile::http {
namespace {

constexpr std::string_view kForwardedFor = "X-Forwarded-For";
constexpr std::string_view kNodeHeader = "Domicile-Node";
constexpr std::string_view kDirectoryPrefix = "/v1/directory";
constexpr size_t kDefaultDirectoryPage = 1000;
constexpr size_t kMaxDirectoryPage = 10000;

// The subject id of "/v1/subjects/{id}[/...]" (percent-decoded), or "" for another path.
std::string SubjectOfPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/v1/subjects/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view rest = path.substr(kPrefix.size());
  absl::StatusOr<std::string> id = PercentDecode(rest.substr(0, rest.find('/')));
  return id.ok() ? *id : "";
}

// The client's address a router put in X-Forwarded-For: the last entry of the list.
std::string LastForwardedAddress(std::string_view value) {
  size_t comma = value.rfind(',');
  std::string_view last = comma == std::string_view::npos ? value : value.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  return std::string(last);
}

}  // namespace

NodeFront::NodeFront(NodeFrontOptions options)
    : options_(std::move(options)),
      metrics_(options_.node_name, options_.jurisdiction),
      directory_pool_(std::make_unique<ThreadPool>(2)) {}

std::string NodeFront::JurisdictionOf(const Request& request) const {
  if (request.method == "POST" && request.path == "/v1/subjects") {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object() && body.contains("jurisdiction") && body["jurisdiction"].is_string()) {
      const std::string j = body["jurisdiction"].get<std::string>();
      if (vault::ValidateJurisdiction(j).ok()) return j;
    }
    return std::string(kNoJurisdiction);
  }
  const std::string subject = SubjectOfPath(request.path);
  if (subject.empty() || options_.subjects == nullptr) return std::string(kNoJurisdiction);
  absl::StatusOr<std::string> j = options_.subjects->Jurisdiction(subject);
  return j.ok() ? *j : std::string(kNoJurisdiction);
}

void NodeFront::Handle(Request request, Responder respond) const {
  if (std::optional<std::string_view> forwarded = request.GetHeader(kForwardedFor);
      forwarded.has_value()) {
    // Believed from the router only; anyone else's claim is ignored, not an error.
    if (options_.proxies != nullptr && !options_.proxies->Lookup(request.remote_ip).empty()) {
      std::string client = LastForwardedAddress(*forwarded);
      if (!client.empty()) request.remote_ip = std::move(client);
    }
  }
  const std::string node = options_.node_name;
  if (request.path == "/metrics") {
    Response r{200, "text/plain; version=0.0.4; charset=utf-8", {}, metrics_.Render()};
    if (request.method != "GET" && request.method != "HEAD") {
      r = ErrorResponse(MethodNotAllowedError(request));
    }
    r.headers.push_back({std::string(kNodeHeader), node});
    return respond(std::move(r));
  }
  if (request.path.substr(0, kDirectoryPrefix.size()) == kDirectoryPrefix &&
      options_.directory_token_sha256.has_value()) {
    auto shared = std::make_shared<Request>(std::move(request));
    directory_pool_->Post([this, shared, node, respond = std::move(respond)] {
      Response r = Directory(*shared);
      r.headers.push_back({std::string(kNodeHeader), node});
      respond(std::move(r));
    });
    return;
  }
  std::string jurisdiction = JurisdictionOf(request);
  options_.api->Handle(std::move(request), [this, node, jurisdiction = std::move(jurisdiction),
                                            respond = std::move(respond)](Response r) {
    metrics_.Count(jurisdiction, r.status);
    r.headers.push_back({std::string(kNodeHeader), node});
    respond(std::move(r));
  });
}

Response NodeFront::Directory(const Request& request) const {
  if (request.method != "GET") return ErrorResponse(MethodNotAllowedError(request));
  std::optional<std::string_view> auth = request.GetHeader("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (!auth.has_value() || auth->size() <= kScheme.size() ||
      !EqualsIgnoreCase(auth->substr(0, kScheme.size()), kScheme) ||
      !crypto::ConstantTimeEquals(crypto::Sha256(AsBytes(auth->substr(kScheme.size()))),
                                  *options_.directory_token_sha256)) {
    return ErrorResponse(absl::UnauthenticatedError(
        "the subject directory is for the router: Authorization: Bearer <router token>"));
  }
  std::string_view rest = std::string_view(request.path).substr(kDirectoryPrefix.size());
  if (!rest.empty()) {  // /v1/directory/{id}
    absl::StatusOr<std::string> id = PercentDecode(rest.substr(1));
    if (rest[0] != '/' || !id.ok() || !vault::ValidateSubjectId(*id).ok()) {
      return ErrorResponse(absl::InvalidArgumentError("GET /v1/directory/{subject id}"));
    }
    absl::StatusOr<std::string> j = options_.subjects->Jurisdiction(*id);
    if (!j.ok()) return ErrorResponse(j.status());
    return JsonResponse(200, {{"id", *id}, {"jurisdiction", *j}});
  }
  absl::StatusOr<std::map<std::string, std::string>> q =
      ParseQueryParams(request, {"after", "limit"});
  if (!q.ok()) return ErrorResponse(q.status());
  size_t limit = kDefaultDirectoryPage;
  if (auto it = q->find("limit"); it != q->end()) {
    char* end = nullptr;
    unsigned long n = std::strtoul(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n == 0 || n > kMaxDirectoryPage) {
      return ErrorResponse(absl::InvalidArgumentError(
          fmt::format("limit must be a number from 1 to {}", kMaxDirectoryPage)));
    }
    limit = n;
  }
  const std::string after = q->count("after") ? q->at("after") : "";
  std::string next;
  absl::StatusOr<std::vector<vault::SubjectRegistry::Listed>> listed =
      options_.subjects->List(after, limit, &next);
  if (!listed.ok()) return ErrorResponse(listed.status());
  nlohmann::json subjects = nlohmann::json::array();
  for (const auto& s : *listed)
    subjects.push_back({{"id", s.id}, {"jurisdiction", s.jurisdiction}});
  nlohmann::json body = {{"subjects", std::move(subjects)}};
  body["next"] = next.empty() ? nlohmann::json(nullptr) : nlohmann::json(next);
  return JsonResponse(200, body);
}

}  // namespace domicile::http
