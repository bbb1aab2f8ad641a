// The router (`domicile route`): the front door that sends every request to a node of its
// subject's home jurisdiction, and never to a node of another. It serves HTTP on its own
// Server, classifies each request (route.h), finds the jurisdiction in its directory (asking
// the nodes on a miss), forwards the request over a kept-alive connection pool (upstream.h)
// with failover inside the jurisdiction only (forwarder.h), health-checks the nodes and pulls
// their directories (health_checker.h), and counts everything at /metrics. docs/router.md
// describes the behaviour; this class wires the parts together.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "http/request.h"
#include "http/response.h"
#include "http/server.h"
#include "router/directory.h"
#include "router/directory_sync.h"
#include "router/forwarder.h"
#include "router/health_checker.h"
#include "router/node_table.h"
#include "router/route.h"
#include "router/router_config.h"
#include "router/router_metrics.h"
#include "router/upstream.h"

namespace domicile::router {

class Router {
 public:
  // Opens the directory under config.data_dir, checks every node once (so the router starts
  // knowing which are up; their directories are then pulled in the background), and starts
  // serving on config.listen. `directory_token` is what the nodes accept at /v1/directory.
  // InvalidArgument for a bad listen address or empty token; Unavailable if it cannot bind or
  // open its directory; FailedPrecondition if another router holds the directory.
  static absl::StatusOr<std::unique_ptr<Router>> Start(const RouterConfig& config,
                                                       std::string directory_token);
  // Stop().
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // "http://host:port" of the router itself.
  std::string url() const;
  uint16_t port() const;

  // Waits until every node that is up has had its directory pulled; false on timeout.
  bool AwaitSynced(std::chrono::milliseconds timeout);

  const Directory& directory() const { return *directory_; }
  // The /metrics text.
  std::string MetricsText() const;

  // Stops serving (in-flight requests finish, up to the server's grace period), then closes
  // the connections to the nodes. Idempotent. REQUIRES: not called from a handler.
  void Stop();

 private:
  explicit Router(const RouterConfig& config);
  void Handle(http::Request request, http::Responder respond);
  void Refuse(const http::Responder& respond, const absl::Status& status);
  // Checks that what a /j/ or /n/ request is about belongs to jurisdiction `j`.
  absl::Status CheckPinned(const About& about, const std::string& j) const;
  void ForwardToJurisdiction(const std::string& j, const Route& route, http::Request request,
                             http::Responder respond);
  void ForwardToNode(size_t node, const Route& route, http::Request request,
                     http::Responder respond);
  // The request a node is sent: the route's target, the end-to-end headers, X-Forwarded-For.
  std::shared_ptr<const UpstreamRequest> Outbound(const Route& route, http::Request request) const;
  // Learns from a node's 2xx answer to a registration or a grant request; then responds.
  ForwardCallback Finish(const About& about, http::Responder respond);
  http::Response Logs() const;

  const RouterConfig config_;
  // Stopped first (Stop), destroyed last: the connection pools run on its I/O threads' loops.
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<Directory> directory_;
  NodeTable nodes_;
  RouterMetrics metrics_;
  std::unique_ptr<Upstreams> upstreams_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<DirectorySync> sync_;
  std::unique_ptr<HealthChecker> health_;
};

}  // namespace domicile::router
