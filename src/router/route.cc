#include "router/route.h"

#include "fmt/format.h"
#include "http/request.h"
#include "nlohmann/json.hpp"
#include "router/directory.h"
#include "router/router_config.h"
#include "util/errors.h"

namespace domicile::router {
namespace {

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

// The first segment of `path` after `prefix` ("/v1/subjects/u1/records" -> "u1"), percent-
// decoded, and what follows it.
bool Segment(std::string_view path, std::string_view prefix, std::string& segment,
             std::string_view* rest = nullptr) {
  if (!path.starts_with(prefix)) return false;
  std::string_view tail = path.substr(prefix.size());
  const size_t slash = tail.find('/');
  absl::StatusOr<std::string> decoded = http::PercentDecode(tail.substr(0, slash));
  segment = decoded.ok() ? *std::move(decoded) : std::string();
  if (rest != nullptr) {
    *rest = slash == std::string_view::npos ? std::string_view() : tail.substr(slash);
  }
  return true;
}

About Problem(std::string message) {
  About about;
  about.problem = Invalid(std::move(message));
  return about;
}

About Registration(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("jurisdiction") ||
      !j["jurisdiction"].is_string()) {
    return Problem("POST /v1/subjects needs a JSON body {\"id\":...,\"jurisdiction\":...}");
  }
  About about;
  about.kind = About::Kind::kRegistration;
  about.subject = j["id"].get<std::string>();
  about.jurisdiction = j["jurisdiction"].get<std::string>();
  if (!IsSubjectId(about.subject)) {
    return Problem(
        fmt::format("subject id '{}' must be 1..128 of A-Z a-z 0-9 . _ -", about.subject));
  }
  if (!IsJurisdictionCode(about.jurisdiction)) {
    return Problem(fmt::format("jurisdiction '{}' must be two upper-case letters (ISO 3166-1)",
                               about.jurisdiction));
  }
  return about;
}

About GrantRequest(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("scope") || !j["scope"].is_string()) {
    return Problem("POST /v1/grants needs a JSON body with a \"scope\"");
  }
  const std::string scope = j["scope"].get<std::string>();
  About about;
  about.kind = About::Kind::kGrantRequest;
  if (scope.starts_with("subject:") && IsSubjectId(scope.substr(8))) {
    about.subject = scope.substr(8);
  } else if (scope.starts_with("jurisdiction:") && IsJurisdictionCode(scope.substr(13))) {
    about.jurisdiction = scope.substr(13);
  } else {
    return Problem(
        fmt::format("grant scope '{}' must be \"subject:<id>\" or \"jurisdiction:<code>\"", scope));
  }
  return about;
}

}  // namespace

bool IsRetryable(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
}

About Inspect(std::string_view method, std::string_view path, std::string_view query,
              std::string_view body) {
  About about;
  std::string segment;
  if (path == "/v1/subjects") {
    if (method == "POST") return Registration(body);
  } else if (Segment(path, "/v1/subjects/", segment)) {
    if (!IsSubjectId(segment)) {
      return Problem(fmt::format("subject id in '{}' must be 1..128 of A-Z a-z 0-9 . _ -", path));
    }
    about.kind = About::Kind::kSubject;
    about.subject = std::move(segment);
  } else if (path == "/v1/grants") {
    if (method == "POST") return GrantRequest(body);
  } else if (Segment(path, "/v1/grants/", segment)) {
    if (!IsGrantId(segment)) {
      return Problem(fmt::format("grant id in '{}' must be 1..64 of a-z 0-9 -", path));
    }
    about.kind = About::Kind::kGrant;
    about.grant = std::move(segment);
  } else if (path == "/v1/import") {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> params =
        http::ParseQuery(query);
    if (params.ok()) {
      for (const auto& [name, value] : *params) {
        if (name == "jurisdiction") about.jurisdiction = value;
      }
    }
  }
  return about;
}

absl::StatusOr<Route> ClassifyRequest(std::string_view method, std::string_view target,
                                      std::string_view body) {
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  Route route;
  auto own = [&](Route::Kind kind) -> absl::StatusOr<Route> {
    if (method != "GET" && method != "HEAD") {
      return WithErrorCode(Invalid(fmt::format("method {} is not allowed on {}", method, path)),
                           error_code::kMethodNotAllowed);
    }
    route.kind = kind;
    return route;
  };
  if (path == "/healthz") return own(Route::Kind::kHealth);
  if (path == "/metrics") return own(Route::Kind::kMetrics);
  if (path == "/v1/logs") return own(Route::Kind::kLogs);

  std::string_view inner_path = path;
  if (Segment(path, "/j/", route.pinned, &inner_path) || path == "/j") {
    if (!IsJurisdictionCode(route.pinned)) {
      return Invalid(fmt::format(
          "'{}': the jurisdiction after /j/ must be two upper-case letters, as /j/US/", path));
    }
    route.kind = Route::Kind::kJurisdiction;
  } else if (Segment(path, "/n/", route.pinned, &inner_path) || path == "/n") {
    if (!IsNodeId(route.pinned)) {
      return Invalid(fmt::format("'{}': the node id after /n/ is malformed", path));
    }
    route.kind = Route::Kind::kNode;
  }
  if (inner_path.empty()) inner_path = "/";
  route.target = std::string(inner_path);
  if (question != std::string_view::npos) route.target += target.substr(question);
  route.about = Inspect(method, inner_path, query, body);
  if (route.kind != Route::Kind::kContent) return route;
  if (!route.about.problem.ok()) return route.about.problem;
  if (route.about.kind == About::Kind::kNothing) {
    return Invalid(fmt::format(
        "the router cannot tell the jurisdiction of {} {}: send it to /j/{{J}}{} (a node of "
        "jurisdiction J) or /n/{{node}}{} (one node, e.g. for its log); GET /v1/logs lists them",
        method, path, path, path));
  }
  return route;
}

}  // namespace domicile::router
