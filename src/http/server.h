// The HTTP/1.1 server of a domicile node: an asynchronous Boost.Beast server (plain TCP or TLS,
// optionally mutual TLS) that parses requests into our Request type, hands them to one
// AsyncHandler and writes the Response it gets back. It enforces the size and time limits that
// protect the node from clients (431/413/400 answers, read timeouts) so that handlers never see
// an oversized or malformed request. Beast, Asio and OpenSSL stay inside server.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "http/request.h"
#include "http/response.h"

namespace domicile::http {

struct TlsOptions {
  std::string cert_file;       // PEM certificate chain of the server
  std::string key_file;        // PEM private key of the server
  std::string client_ca_file;  // PEM CA bundle; set => clients must present a cert it signed
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address or a resolvable name
  uint16_t port = 0;               // 0 = a free port, see Server::port()
  int threads = 0;                 // I/O threads, each with its own event loop; 0 = one per core.
                                   // A connection stays on the thread that accepted it.
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;  // request line + header fields
  // Limit for reading one request (headers and body) and for writing one response; an idle
  // keep-alive connection is closed after it too.
  std::chrono::milliseconds read_timeout{30000};
  // How long Stop() lets in-flight requests finish before closing their connections.
  std::chrono::milliseconds shutdown_grace{10000};
  TlsOptions tls;  // TLS 1.2 minimum when enabled
};

// Delivers the response to a request. Call it exactly once, from any thread; later calls are
// ignored. If every copy is destroyed without being called the client gets a 500.
using Responder = std::function<void(Response)>;
// Handles one request. Runs on an I/O thread: it must not block; hand slow work to another
// thread and call the responder from there. An exception thrown before responding becomes a
// 500. Requests on one connection reach the handler one at a time, in order.
using AsyncHandler = std::function<void(Request, Responder)>;
// A handler that computes the response inline.
using Handler = std::function<Response(const Request&)>;

// The event loop of one I/O thread, opaque here; http/io_loop.h (for .cc files) reaches it.
class IoLoop;

// Adapts `h` to an AsyncHandler that runs it inline on the I/O thread.
AsyncHandler MakeAsync(Handler h);

class Server {
 public:
  // Binds, listens and starts `options.threads` I/O threads; on return the server is
  // accepting. InvalidArgument for a bad host, bad limits or unreadable TLS files; Unavailable
  // if the address is in use or cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, AsyncHandler handler);

  // Stop(). REQUIRES: not called from a handler or I/O thread.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address and port (port() resolves port 0 to the port chosen).
  std::string host() const;
  uint16_t port() const;

  // The event loop of the calling thread if it is one of this server's I/O threads (a handler,
  // or a callback started on that loop), else nullptr. An asynchronous client can run its
  // connections there, so that a request needs no hand-off between threads (src/router). Such
  // a client must close them once Stop() returned and before the server is destroyed.
  IoLoop* CurrentLoop() const;

  // Graceful stop: stops accepting, closes idle keep-alive connections, lets in-flight
  // requests finish and their responses be written (with "Connection: close") for up to
  // shutdown_grace, then closes what remains and joins the I/O threads. Responders called
  // afterwards are ignored. Idempotent and thread-safe; returns once stopped.
  // REQUIRES: not called from a handler or I/O thread.
  void Stop();

  class Impl;  // defined in server.cc

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace domicile::http
