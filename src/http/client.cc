#include "http/client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <limits>
#include <optional>
#include <utility>

#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

using Clock = std::chrono::steady_clock;

std::string_view ToStd(beast::string_view s) { return std::string_view(s.data(), s.size()); }

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
    if (!ok) return false;
  }
  return true;
}

bool IsValidTarget(std::string_view target) {
  if (target.empty() || (target.front() != '/' && target != "*")) return false;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsValidHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The server closed a kept-alive connection before answering: safe to send again.
bool ClosedBeforeResponse(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

absl::StatusOr<BaseUrl> ParseBaseUrl(std::string_view url) {
  BaseUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.https = true;
    rest = url.substr(8);
  } else {
    return absl::InvalidArgumentError(
        ToAbsl(fmt::format("URL '{}' is not http:// or https://", url)));
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  auto bad = [&] {
    return absl::InvalidArgumentError(
        ToAbsl(fmt::format("URL '{}' is not scheme://host[:port]", url)));
  };
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad();
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad();
      port = after.substr(1);
    }
    for (char c : host) {
      if (!(IsHostChar(c) || c == ':' || c == '%')) return bad();
    }
  } else {
    size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
    for (char c : host) {
      if (!IsHostChar(c)) return bad();
    }
  }
  if (host.empty()) return bad();
  out.host = std::string(host);
  out.port = out.https ? 443 : 80;
  if (!port.empty() || rest.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad();
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

absl::StatusOr<BaseUrl> ParseBaseUrlWithPrefix(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t slash =
      scheme == std::string_view::npos ? std::string_view::npos : url.find('/', scheme + 3);
  if (slash == std::string_view::npos) return ParseBaseUrl(url);
  std::string_view prefix = url.substr(slash);
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  for (size_t i = 0; i < prefix.size(); ++i) {
    const char c = prefix[i];
    const bool empty_segment = c == '/' && i + 1 < prefix.size() && prefix[i + 1] == '/';
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || empty_segment) {
      return absl::InvalidArgumentError(
          ToAbsl(fmt::format("URL '{}' has a malformed path prefix", url)));
    }
  }
  ASSIGN_OR_RETURN(BaseUrl out, ParseBaseUrl(url.substr(0, slash)));
  out.path_prefix = std::string(prefix);
  return out;
}

std::optional<std::string_view> ClientResponse::GetHeader(std::string_view name) const {
  return FindHeader(headers, name);
}

class Client::Impl {
 public:
  Impl(BaseUrl url, ClientOptions options) : url_(std::move(url)), options_(std::move(options)) {
    bool ipv6 = url_.host.find(':') != std::string::npos;
    host_header_ = ipv6 ? fmt::format("[{}]:{}", url_.host, url_.port)
                        : fmt::format("{}:{}", url_.host, url_.port);
  }

  absl::Status Init() {
    if (!url_.https) return absl::OkStatus();
    ssl_ctx_.emplace(asio::ssl::context::tls_client);
    asio::ssl::context& ctx = *ssl_ctx_;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (options_.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      return absl::InvalidArgumentError(
          ToAbsl(fmt::format("cannot load CA file '{}': {}", options_.ca_file, ec.message())));
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    if (options_.cert_file.empty() != options_.key_file.empty()) {
      return absl::InvalidArgumentError("client cert_file and key_file go together");
    }
    if (!options_.cert_file.empty()) {
      ctx.use_certificate_chain_file(options_.cert_file, ec);
      if (!ec) ctx.use_private_key_file(options_.key_file, asio::ssl::context::pem, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            ToAbsl(fmt::format("cannot load client certificate: {}", ec.message())));
      }
      if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        return absl::InvalidArgumentError("client key does not match its certificate");
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ClientResponse> Do(std::string_view method, std::string_view target,
                                    const std::vector<Header>& headers, std::string_view body) {
    if (!IsToken(method)) return absl::InvalidArgumentError("bad HTTP method");
    if (!IsValidTarget(target)) return absl::InvalidArgumentError("bad request target");
    std::string prefixed;
    if (!url_.path_prefix.empty()) {
      if (target == "*") return absl::InvalidArgumentError("bad request target");
      prefixed = url_.path_prefix + std::string(target);
      target = prefixed;
    }
    bhttp::request<bhttp::string_body> request;
    request.method_string(beast::string_view(method.data(), method.size()));
    request.target(beast::string_view(target.data(), target.size()));
    request.version(11);
    bool has_host = false;
    for (const Header& h : headers) {
      if (!IsToken(h.name) || !IsValidHeaderValue(h.value)) {
        return absl::InvalidArgumentError(ToAbsl(fmt::format("bad header '{}'", h.name)));
      }
      if (EqualsIgnoreCase(h.name, "Content-Length") ||
          EqualsIgnoreCase(h.name, "Transfer-Encoding")) {
        continue;
      }
      has_host = has_host || EqualsIgnoreCase(h.name, "Host");
      request.insert(beast::string_view(h.name.data(), h.name.size()),
                     beast::string_view(h.value.data(), h.value.size()));
    }
    if (!has_host) request.set(bhttp::field::host, host_header_);
    request.body() = std::string(body);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      request.content_length(body.size());
    }

    const Clock::time_point deadline = Clock::now() + options_.timeout;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    for (int attempt = 0;; ++attempt) {
      const bool reused = connected_;
      if (!connected_) RETURN_IF_ERROR(Connect(deadline));
      parser.emplace();
      parser->header_limit(64 << 10);
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      if (method == "HEAD") parser->skip(true);
      error_code ec = WithStream([&](auto& stream) {
        beast::get_lowest_layer(stream).expires_at(deadline);
        error_code result =
            Run([&](auto handler) { bhttp::async_write(stream, request, std::move(handler)); });
        if (result) return result;
        return Run(
            [&](auto handler) { bhttp::async_read(stream, buffer_, *parser, std::move(handler)); });
      });
      if (!ec) break;
      Disconnect();
      if (reused && attempt == 0 && ClosedBeforeResponse(ec)) continue;
      return absl::UnavailableError(ToAbsl(
          fmt::format("{} {}{}: {}", method, host_header_, target,
                      ec == beast::error::timeout ? std::string("timed out") : ec.message())));
    }
    bhttp::response<bhttp::string_body>& message = parser->get();
    ClientResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.push_back(
          Header{std::string(ToStd(field.name_string())), std::string(ToStd(field.value()))});
    }
    response.body = std::move(message.body());
    if (!message.keep_alive()) Disconnect();
    return response;
  }

 private:
  template <typename F>
  error_code WithStream(F&& f) {
    if (tls_.has_value()) return f(*tls_);
    return f(*tcp_);
  }

  // Starts one asynchronous operation through `initiate` and runs the io_context until it
  // completes; the stream's expiry bounds it.
  template <typename Initiate>
  error_code Run(Initiate&& initiate) {
    error_code result = asio::error::would_block;
    initiate([&result](const error_code& ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  absl::Status Connect(Clock::time_point deadline) {
    tcp::resolver resolver(ioc_);
    error_code ec;
    auto endpoints = resolver.resolve(url_.host, std::to_string(url_.port), ec);
    if (ec) {
      return absl::UnavailableError(
          ToAbsl(fmt::format("cannot resolve {}: {}", url_.host, ec.message())));
    }
    beast::tcp_stream& tcp =
        ssl_ctx_.has_value() ? tls_.emplace(ioc_, *ssl_ctx_).next_layer() : tcp_.emplace(ioc_);
    tcp.expires_at(deadline);
    ec = Run([&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); });
    if (ec) {
      Disconnect();
      return absl::UnavailableError(ToAbsl(
          fmt::format("cannot connect to {}: {}", host_header_,
                      ec == beast::error::timeout ? std::string("timed out") : ec.message())));
    }
    tcp.socket().set_option(tcp::no_delay(true), ec);
    if (tls_.has_value()) {
      SSL* ssl = tls_->native_handle();
      error_code address_ec;
      asio::ip::make_address(url_.host, address_ec);
      if (!address_ec) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str());
      } else {
        SSL_set_tlsext_host_name(ssl, url_.host.c_str());
        SSL_set1_host(ssl, url_.host.c_str());
      }
      ec = Run([&](auto handler) {
        tls_->async_handshake(asio::ssl::stream_base::client, std::move(handler));
      });
      if (ec) {
        Disconnect();
        return absl::UnavailableError(ToAbsl(
            fmt::format("TLS handshake with {} failed: {}", host_header_,
                        ec == beast::error::timeout ? std::string("timed out") : ec.message())));
      }
    }
    connected_ = true;
    return absl::OkStatus();
  }

  void Disconnect() {
    error_code ec;
    if (tls_.has_value()) {
      beast::get_lowest_layer(*tls_).socket().close(ec);
      tls_.reset();
    }
    if (tcp_.has_value()) {
      tcp_->socket().close(ec);
      tcp_.reset();
    }
    buffer_.clear();
    connected_ = false;
  }

  const BaseUrl url_;
  const ClientOptions options_;
  std::string host_header_;
  std::optional<asio::ssl::context> ssl_ctx_;
  asio::io_context ioc_{1};
  std::optional<beast::tcp_stream> tcp_;
  std::optional<asio::ssl::stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

absl::StatusOr<std::unique_ptr<Client>> Client::Create(std::string_view base_url,
                                                       ClientOptions options) {
  ASSIGN_OR_RETURN(BaseUrl url, ParseBaseUrlWithPrefix(base_url));
  if (options.timeout.count() <= 0) return absl::InvalidArgumentError("timeout must be positive");
  auto impl = std::make_unique<Impl>(std::move(url), std::move(options));
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() = default;

absl::StatusOr<ClientResponse> Client::Do(std::string_view method, std::string_view target,
                                          const std::vector<Header>& headers,
                                          std::string_view body) {
  return impl_->Do(method, target, headers, body);
}

}  // namespace domicile::http
