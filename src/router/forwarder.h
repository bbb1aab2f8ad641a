// Forwarding one request to a node and turning the node's answer into the router's response.
// The failover rule lives here, and only here: a request of jurisdiction J goes to a node of
// J that is up (round-robin); if that node cannot be reached the next node of J is tried,
// and a request already sent is sent again (to the next node of J) only for GET, HEAD, PUT
// and DELETE and only if no byte of an answer came back. A node of another jurisdiction is
// never tried: when none of J's nodes is left the answer is 503 unavailable with Retry-After.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/response.h"
#include "router/node_table.h"
#include "router/router_metrics.h"
#include "router/upstream.h"

namespace domicile::router {

// The response for the client and, if a node answered, which one.
struct Forwarded {
  http::Response response;
  std::optional<size_t> node;
};
using ForwardCallback = std::function<void(Forwarded)>;

class Forwarder {
 public:
  // REQUIRES: the pointers outlive this. `retry_after` is the Retry-After of a 503 that no
  // node of a jurisdiction is up (about one health-check interval).
  Forwarder(NodeTable* nodes, Upstreams* upstreams, RouterMetrics* metrics,
            std::chrono::seconds retry_after);

  // Forwards `request` to a node of jurisdiction `j` as described above; `done` runs once, on
  // a loop thread (or inline if no node of `j` is up). `count`: whether the request is counted
  // in the metrics (false for the router's own directory requests).
  void ToJurisdiction(std::string j, std::shared_ptr<const UpstreamRequest> request,
                      ForwardCallback done, bool count = true);

  // Forwards `request` to node `node` only, whether or not it is marked up: no failover.
  void ToNode(size_t node, std::shared_ptr<const UpstreamRequest> request, ForwardCallback done,
              bool count = true);

  // The response to a client for a node's answer: status, body, the end-to-end headers (hop-by-
  // hop and framing ones dropped) and Domicile-Routed-To: <node id>.
  static http::Response ToResponse(UpstreamResult result, const std::string& node_id);

 private:
  struct Attempt;
  void Try(std::shared_ptr<Attempt> attempt);
  void OnResult(std::shared_ptr<Attempt> attempt, size_t node, UpstreamResult result);
  http::Response Unroutable(const std::string& j) const;

  NodeTable* const nodes_;
  Upstreams* const upstreams_;
  RouterMetrics* const metrics_;
  const std::chrono::seconds retry_after_;
};

// True for headers that concern one connection only (RFC 9110 7.6.1), which a proxy must not
// forward: Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
// Proxy-Authenticate, Proxy-Authorization, and any header the Connection header names.
bool IsHopByHop(std::string_view name, const std::vector<http::Header>& headers);

}  // namespace domicile::router
