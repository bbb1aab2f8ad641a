#include "router/fake_node.h"

#include <cstdlib>

#include "fmt/format.h"
#include "http/status_mapping.h"
#include "nlohmann/json.hpp"

namespace domicile::router::testing {

FakeNode::FakeNode(std::string id, std::string jurisdiction, http::ServerOptions options)
    : id_(std::move(id)), jurisdiction_(std::move(jurisdiction)) {
  if (options.threads == 0) options.threads = 1;
  options.shutdown_grace = std::chrono::milliseconds(100);
  absl::StatusOr<std::unique_ptr<http::Server>> server = http::Server::Start(
      options, http::MakeAsync([this](const http::Request& r) { return Handle(r); }));
  if (!server.ok()) std::abort();  // a test cannot go on without its node
  server_ = *std::move(server);
  url_ =
      fmt::format("{}://127.0.0.1:{}", options.tls.enabled() ? "https" : "http", server_->port());
}

void FakeNode::SetDirectoryAnswer(std::string body) {
  std::lock_guard<std::mutex> lock(mu_);
  directory_answer_ = std::move(body);
}

FakeNode::~FakeNode() { Stop(); }

void FakeNode::Stop() {
  if (server_ != nullptr) server_->Stop();
}

void FakeNode::AddSubject(const std::string& id, const std::string& jurisdiction) {
  std::lock_guard<std::mutex> lock(mu_);
  directory_[id] = jurisdiction;
}

void FakeNode::ClearDirectory() {
  std::lock_guard<std::mutex> lock(mu_);
  directory_.clear();
}

std::vector<http::Request> FakeNode::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<http::Request> FakeNode::DataRequests() const {
  std::vector<http::Request> out;
  for (http::Request& r : Requests()) {
    if (r.path != "/healthz" && !r.path.starts_with("/v1/directory")) out.push_back(std::move(r));
  }
  return out;
}

int FakeNode::Lookups() const {
  int n = 0;
  for (const http::Request& r : Requests()) n += r.path.starts_with("/v1/directory/");
  return n;
}

int FakeNode::Pulls() const {
  int n = 0;
  for (const http::Request& r : Requests()) n += r.path == "/v1/directory";
  return n;
}

http::Response FakeNode::Handle(const http::Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(request);
  if (request.path == "/healthz") {
    http::Response r;
    r.status = healthy_ ? 200 : 503;
    r.content_type = "text/plain";
    r.body = "ok\n";
    return r;
  }
  if (request.path.starts_with("/v1/directory")) {
    if (request.GetHeader("Authorization") != fmt::format("Bearer {}", kDirectoryToken)) {
      return http::ErrorResponse(absl::UnauthenticatedError("bad directory token"));
    }
    if (!directory_answer_.empty()) {
      http::Response r;
      r.body = directory_answer_;
      return r;
    }
    if (request.path.starts_with("/v1/directory/")) {
      const std::string id = request.path.substr(std::string_view("/v1/directory/").size());
      auto it = directory_.find(id);
      if (lookups_fail_ || it == directory_.end()) {
        return http::ErrorResponse(absl::NotFoundError("unknown subject"));
      }
      return http::JsonResponse(200, {{"id", id}, {"jurisdiction", it->second}});
    }
    auto params = http::ParseQueryParams(request, {"after", "limit"});
    if (!params.ok()) return http::ErrorResponse(params.status());
    const size_t limit = params->count("limit") ? std::stoul(params->at("limit")) : 100;
    auto it =
        params->count("after") ? directory_.upper_bound(params->at("after")) : directory_.begin();
    nlohmann::json subjects = nlohmann::json::array();
    for (; it != directory_.end() && subjects.size() < limit; ++it) {
      subjects.push_back({{"id", it->first}, {"jurisdiction", it->second}});
    }
    nlohmann::json next = nullptr;
    if (it != directory_.end()) next = subjects.back()["id"];
    return http::JsonResponse(200, {{"subjects", subjects}, {"next", next}});
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (request.method == "POST" && request.path == "/v1/subjects") {
    const std::string id = body.value("id", "");
    directory_[id] = body.value("jurisdiction", "");
    return http::JsonResponse(
        201, {{"id", id}, {"jurisdiction", directory_[id]}, {"created", true}, {"node", id_}});
  }
  if (request.method == "POST" && request.path == "/v1/grants") {
    return http::JsonResponse(201, {{"id", fmt::format("g-{}-{}", id_, ++next_grant_)},
                                    {"scope", body.value("scope", "")},
                                    {"node", id_}});
  }
  nlohmann::json echo = {{"node", id_},
                         {"jurisdiction", jurisdiction_},
                         {"method", request.method},
                         {"target", request.target},
                         {"body", request.body}};
  http::Response r = http::JsonResponse(200, echo);
  r.headers.push_back({"X-Node", id_});
  r.headers.push_back({"Keep-Alive", "timeout=5"});  // hop-by-hop: the router drops it
  return r;
}

}  // namespace domicile::router::testing
