#include "router/forwarder.h"

#include "fmt/format.h"
#include "http/status_mapping.h"
#include "router/route.h"
#include "spdlog/spdlog.h"
#include "util/errors.h"

namespace domicile::router {
namespace {

using Clock = std::chrono::steady_clock;

// True if `list` (a Connection header's value) names `name`.
bool ListNames(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (http::EqualsIgnoreCase(item, name)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool IsHopByHop(std::string_view name, const std::vector<http::Header>& headers) {
  static constexpr std::string_view kHopByHop[] = {"Connection",
                                                   "Keep-Alive",
                                                   "Proxy-Connection",
                                                   "TE",
                                                   "Trailer",
                                                   "Transfer-Encoding",
                                                   "Upgrade",
                                                   "Proxy-Authenticate",
                                                   "Proxy-Authorization"};
  for (std::string_view h : kHopByHop) {
    if (http::EqualsIgnoreCase(name, h)) return true;
  }
  for (const http::Header& h : headers) {
    if (http::EqualsIgnoreCase(h.name, "Connection") && ListNames(h.value, name)) return true;
  }
  return false;
}

struct Forwarder::Attempt {
  std::string j;
  std::optional<size_t> pinned;  // ToNode
  std::shared_ptr<const UpstreamRequest> request;
  ForwardCallback done;
  bool count = true;
  std::vector<size_t> tried;
  Clock::time_point started = Clock::now();
};

Forwarder::Forwarder(NodeTable* nodes, Upstreams* upstreams, RouterMetrics* metrics,
                     std::chrono::seconds retry_after)
    : nodes_(nodes), upstreams_(upstreams), metrics_(metrics), retry_after_(retry_after) {}

void Forwarder::ToJurisdiction(std::string j, std::shared_ptr<const UpstreamRequest> request,
                               ForwardCallback done, bool count) {
  auto attempt = std::make_shared<Attempt>();
  attempt->j = std::move(j);
  attempt->request = std::move(request);
  attempt->done = std::move(done);
  attempt->count = count;
  Try(std::move(attempt));
}

void Forwarder::ToNode(size_t node, std::shared_ptr<const UpstreamRequest> request,
                       ForwardCallback done, bool count) {
  auto attempt = std::make_shared<Attempt>();
  attempt->j = nodes_->node(node).jurisdiction;
  attempt->pinned = node;
  attempt->request = std::move(request);
  attempt->done = std::move(done);
  attempt->count = count;
  attempt->tried.push_back(node);
  upstreams_->Send(node, attempt->request, [this, attempt, node](UpstreamResult result) {
    OnResult(attempt, node, std::move(result));
  });
}

http::Response Forwarder::Unroutable(const std::string& j) const {
  http::Response r = http::ErrorResponse(absl::UnavailableError(
      fmt::format("no node of jurisdiction {} is up; the request was not sent to any other "
                  "jurisdiction's node",
                  j)));
  for (http::Header& h : r.headers) {
    if (http::EqualsIgnoreCase(h.name, "Retry-After"))
      h.value = std::to_string(retry_after_.count());
  }
  return r;
}

void Forwarder::Try(std::shared_ptr<Attempt> attempt) {
  // Pick only ever returns a node of attempt->j.
  std::optional<size_t> node = nodes_->Pick(attempt->j, attempt->tried);
  if (!node.has_value()) {
    if (attempt->count) metrics_->CountUnroutable(attempt->j);
    ForwardCallback done = std::move(attempt->done);
    return done({Unroutable(attempt->j), std::nullopt});
  }
  if (!attempt->tried.empty() && attempt->count) metrics_->CountFailover(attempt->j);
  attempt->tried.push_back(*node);
  upstreams_->Send(*node, attempt->request, [this, attempt, n = *node](UpstreamResult result) {
    OnResult(attempt, n, std::move(result));
  });
}

void Forwarder::OnResult(std::shared_ptr<Attempt> attempt, size_t node, UpstreamResult result) {
  const NodeConfig& config = nodes_->node(node);
  if (result.status.ok()) {
    if (attempt->count) metrics_->CountAnswer(attempt->j, node, result.http_status);
    ForwardCallback done = std::move(attempt->done);
    return done({ToResponse(std::move(result), config.id), node});
  }
  const std::string why(result.status.message());
  // A node that cannot be connected to, or that drops a fresh connection, is down until its
  // health check passes again. A reused connection's failure or a slow answer says less.
  const bool timed_out = result.status.code() == absl::StatusCode::kDeadlineExceeded;
  if (result.stage == UpstreamStage::kConnect || (!result.reused && !timed_out)) {
    if (nodes_->SetUp(node, false)) {
      spdlog::warn("node {} ({}) is down: {}", config.id, config.jurisdiction, why);
    }
  }
  const bool nothing_sent = result.stage == UpstreamStage::kConnect;
  const bool resendable = nothing_sent || (result.stage == UpstreamStage::kSent &&
                                           IsRetryable(attempt->request->method));
  const bool in_time = Clock::now() - attempt->started < attempt->request->timeout;
  if (!attempt->pinned.has_value() && resendable && in_time) return Try(std::move(attempt));

  if (attempt->count) metrics_->CountRefused(503);
  std::string message;
  if (nothing_sent) {
    message = fmt::format("node {} cannot be reached: {}", config.id, why);
  } else if (attempt->pinned.has_value() || resendable) {
    message = fmt::format("node {} failed to answer: {}", config.id, why);
  } else {
    message = fmt::format("node {} failed to answer a {} request, which may have been applied: {}",
                          config.id, attempt->request->method, why);
  }
  ForwardCallback done = std::move(attempt->done);
  done({http::ErrorResponse(absl::UnavailableError(message)), std::nullopt});
}

http::Response Forwarder::ToResponse(UpstreamResult result, const std::string& node_id) {
  http::Response response;
  response.status = result.http_status;
  response.content_type.clear();  // only the node's own, if it sent one
  response.body = std::move(result.body);
  for (http::Header& h : result.headers) {
    if (http::EqualsIgnoreCase(h.name, "Content-Type")) {
      response.content_type = h.value;
      continue;
    }
    if (IsHopByHop(h.name, result.headers) || http::EqualsIgnoreCase(h.name, "Content-Length") ||
        http::EqualsIgnoreCase(h.name, "Server") ||
        http::EqualsIgnoreCase(h.name, "Domicile-Routed-To")) {
      continue;
    }
    response.headers.push_back(std::move(h));
  }
  response.headers.push_back({"Domicile-Routed-To", node_id});
  return response;
}

}  // namespace domicile::router
