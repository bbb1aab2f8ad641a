// The router's asynchronous HTTP/1.1 client to its nodes: a pool of kept-alive connections
// per node on each event loop, so that forwarding a request costs neither a thread nor a new
// connection. Also the timers the router's background work runs on. Boost (Beast, Asio) stays
// inside upstream.cc.
//
// Each loop has its own connections (no locks on the request path). Send() from an I/O thread
// of the server given to BorrowLoopsOf() runs the request on that thread's own event loop, so
// a forwarded request never changes threads; Send() from one of the client's own loop threads
// (a retry, the next page of a directory) stays there; Send() from any other thread goes to an
// own loop paired with that thread. Callbacks run on the loop's thread and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "http/request.h"

namespace domicile::http {
class Server;
}  // namespace domicile::http

namespace domicile::router {

struct UpstreamOptions {
  int loops = 1;  // own event-loop threads (background work, Send() from other threads)
  // How many loops requests are spread over (the borrowed server's I/O threads): each loop may
  // open max_connections_per_node / request_loops connections to a node; more requests queue.
  int request_loops = 1;
  std::chrono::milliseconds connect_timeout{1000};  // TCP connect and TLS handshake
  uint32_t max_connections_per_node = 256;
  uint64_t max_response_bytes = 256 << 20;  // a larger answer is a failure
  std::string ca_file;                      // PEM CA for https nodes; empty: system store
};

struct UpstreamRequest {
  std::string method;                 // "GET", ...
  std::string target;                 // "/v1/x?y=z", sent as is
  std::vector<http::Header> headers;  // end-to-end headers; Host and Content-Length are set here
  std::string body;
  std::chrono::milliseconds timeout{30000};  // connect (within connect_timeout) to last byte
  // Safe to send again: if a reused connection fails before any response byte (the node closed
  // it while idle), the request is sent once more on another connection to the same node.
  bool idempotent = false;
  // On a connection of its own, closed afterwards, that never waits behind the pool's queue
  // (health checks: they must see the node, not the router's backlog).
  bool dedicated = false;
};

// How far a failed exchange got.
enum class UpstreamStage {
  kConnect,   // no connection (refused, unreachable, timed out, TLS failed): nothing was sent
  kSent,      // the request was (maybe partly) written; no byte of an answer arrived
  kReceived,  // part of an answer arrived, then the exchange failed
};

struct UpstreamResult {
  // OK: the fields below hold the node's answer. Unavailable or DeadlineExceeded otherwise.
  absl::Status status;
  UpstreamStage stage = UpstreamStage::kConnect;  // on failure
  bool reused = false;                            // on failure: a reused connection
  int http_status = 0;
  std::vector<http::Header> headers;  // as received, framing headers included
  std::string body;
};

using UpstreamCallback = std::function<void(UpstreamResult)>;

class Upstreams {
 public:
  // Starts `options.loops` threads for the nodes at `urls` ("http(s)://host:port"; node i is
  // urls[i]). InvalidArgument for a bad URL or unreadable CA file.
  static absl::StatusOr<std::unique_ptr<Upstreams>> Start(const std::vector<std::string>& urls,
                                                          UpstreamOptions options);
  // Stop().
  ~Upstreams();
  Upstreams(const Upstreams&) = delete;
  Upstreams& operator=(const Upstreams&) = delete;

  // Sends `request` to node `node` and calls `done` once, on a loop thread, with the answer or
  // the failure. The request is shared, not copied, so that it can be sent again elsewhere.
  // After Stop(), `done` runs at once with Unavailable. Thread-safe.
  void Send(size_t node, std::shared_ptr<const UpstreamRequest> request, UpstreamCallback done);

  // From now on, requests sent from `server`'s I/O threads run on those threads' loops.
  // REQUIRES: `server` is stopped before Stop() (its loops then run no more callbacks) and
  // destroyed after it.
  void BorrowLoopsOf(const http::Server* server);

  // Runs `fn` on the client's first own loop after `delay` (not if stopped by then).
  // Thread-safe.
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

  // Connections open to `node` (in use or idle), over all loops; approximate while running.
  size_t OpenConnections(size_t node) const;

  // Closes every connection and joins the own threads; pending callbacks are dropped, not
  // called. Idempotent. REQUIRES: not called from a loop thread; a borrowed server stopped.
  void Stop();

  class Impl;

 private:
  explicit Upstreams(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace domicile::router
