// A synchronous HTTP/1.1 client for the CLI and the tests: one kept-alive connection to one
// base URL, plain or TLS (optionally presenting a client certificate for mutual TLS). Boost
// stays inside client.cc.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "http/request.h"

namespace domicile::http {

struct ClientOptions {
  // PEM CA bundle the server certificate must chain to (https only); empty = the system's
  // default trust store.
  std::string ca_file;
  // PEM client certificate chain and key presented for mutual TLS (https only; both or none).
  std::string cert_file, key_file;
  // Limit for one Do() call: connecting, the TLS handshake, writing and reading.
  std::chrono::milliseconds timeout{30000};
};

struct ClientResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  // The value of the first header named `name` (ASCII case-insensitive), if any.
  std::optional<std::string_view> GetHeader(std::string_view name) const;
};

// Thread-compatible: use one Client per thread.
class Client {
 public:
  // `base_url` is "http://host[:port]" or "https://host[:port]" (an optional trailing '/';
  // IPv6 hosts in brackets), optionally with a path prefix that every target is appended to
  // ("http://router:8440/j/US": Do("GET", "/v1/grants") asks for /j/US/v1/grants). For https
  // the server certificate is verified against `ca_file` and the host name (or IP address).
  // InvalidArgument for another URL or unreadable certificate files. Does not connect yet.
  static absl::StatusOr<std::unique_ptr<Client>> Create(std::string_view base_url,
                                                        ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request (`target` like "/v1/x?y=z") and reads the response, on a kept-alive
  // connection; if a reused connection turns out closed by the server before any response
  // byte, reconnects and sends once more. Sets Host, and Content-Length when there is a body.
  // Unavailable on connection failure, TLS failure (including an untrusted server
  // certificate) or timeout; InvalidArgument for a bad method or target.
  absl::StatusOr<ClientResponse> Do(std::string_view method, std::string_view target,
                                    const std::vector<Header>& headers = {},
                                    std::string_view body = {});

  class Impl;  // defined in client.cc

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The parts of an "http://host:port" URL; shared with the load generator.
struct BaseUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string path_prefix;  // "" or "/a/b" (no trailing '/'); only from ParseBaseUrlWithPrefix
};
// InvalidArgument unless `url` is "http(s)://host[:port][/]".
absl::StatusOr<BaseUrl> ParseBaseUrl(std::string_view url);
// As ParseBaseUrl, but also accepts a path prefix, "http(s)://host[:port][/prefix][/]": its
// characters visible ASCII other than '?' and '#', no empty segment.
absl::StatusOr<BaseUrl> ParseBaseUrlWithPrefix(std::string_view url);

}  // namespace domicile::http
