#include "http/server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/io_loop.h"
#include "http/status_mapping.h"
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
using Strand = asio::strand<asio::io_context::executor_type>;
constexpr Clock::time_point kNever = Clock::time_point::max();

// Past this many bytes discarded after an error response, the connection is simply closed.
constexpr size_t kMaxLingerBytes = 1 << 20;
// The flat_buffer is shrunk back when a large request left it bigger than this.
constexpr size_t kMaxIdleBufferBytes = 64 << 10;
// How long Stop() waits for connections it closes after the grace period.
constexpr std::chrono::milliseconds kForcedCloseWait{1000};

// Guards posting responses into the io_context: closed by Stop() before the I/O threads are
// joined, so a responder called late never touches a stopped or destroyed io_context.
struct Gate {
  std::mutex mu;
  bool open = true;
};

absl::Status ErrorWithMessage(absl::StatusCode code, std::string_view what, const error_code& ec) {
  return absl::Status(code, ToAbsl(fmt::format("{}: {}", what, ec.message())));
}

class ConnectionBase;

}  // namespace

// Owns the io_context, the acceptor, the I/O threads and the registry of live connections.
class Server::Impl {
 public:
  Impl(ServerOptions options, AsyncHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        iocs_(MakeContexts(options_.threads)),
        acceptor_(asio::make_strand(*iocs_[0])),
        accept_retry_(acceptor_.get_executor()) {}

  ~Impl() { Stop(); }

  absl::Status Init();
  void Run();
  void Stop();

  const ServerOptions& options() const { return options_; }
  const AsyncHandler& handler() const { return handler_; }
  const std::shared_ptr<Gate>& gate() const { return gate_; }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  std::string host() const { return endpoint_.address().to_string(); }
  uint16_t port() const { return endpoint_.port(); }
  IoLoop* CurrentLoop() const;

  // Drops the registry's reference to `c`. REQUIRES: the caller holds another reference.
  void Unregister(ConnectionBase* c);

 private:
  absl::Status InitTls();
  void DoAccept();
  void OnAccept(const error_code& ec, tcp::socket socket, Strand strand);

  // One io_context per I/O thread: a connection lives on one thread for its whole life, so
  // its reads, handler and writes never hand off between threads (no cross-thread wake-ups).
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < std::max(threads, 1); ++i) {
      out.push_back(std::make_unique<asio::io_context>(1));
    }
    return out;
  }

  const ServerOptions options_;
  const AsyncHandler handler_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::atomic<bool> stopping_{false};
  // Declared before the io_context: SSL streams destroyed with it still refer to the context.
  std::optional<asio::ssl::context> ssl_ctx_;
  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  std::vector<std::unique_ptr<IoLoop>> loops_;  // one per io_context, for CurrentLoop()
  size_t next_context_ = 0;  // round-robin for new connections; used on the acceptor's strand
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;  // backs off after accept errors such as EMFILE
  tcp::endpoint endpoint_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  std::mutex conns_mu_;
  std::condition_variable conns_cv_;  // signalled when the registry empties while stopping
  std::unordered_map<ConnectionBase*, std::shared_ptr<ConnectionBase>> conns_;

  std::mutex stop_mu_;
  bool stopped_ = false;
};

namespace {

std::atomic<uint64_t> g_next_connection_id{1};
// On an I/O thread: its server and event loop (CurrentLoop).
thread_local const Server::Impl* t_loop_server = nullptr;
thread_local IoLoop* t_loop = nullptr;
// The id of the connection whose handler runs on this thread right now (0 if none), so a
// responder called inline hands its response back without a post.
thread_local uint64_t t_invoking_connection = 0;

// One client connection; all of its members are used on its strand only.
class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  ConnectionBase(Server::Impl* server, Strand strand)
      : server_(server), strand_(std::move(strand)), id_(g_next_connection_id.fetch_add(1)) {}
  virtual ~ConnectionBase() = default;

  virtual void Start() = 0;
  // The server began stopping: close if idle, otherwise finish the current request.
  virtual void OnServerStopping() = 0;
  virtual void Close() = 0;
  virtual void OnResponse(Response response) = 0;

  const Strand& strand() const { return strand_; }
  uint64_t id() const { return id_; }

  // A response delivered inline while the handler was running.
  std::optional<Response> inline_response_;

 protected:
  Server::Impl* const server_;
  const Strand strand_;
  const uint64_t id_;
};

// The state behind one Responder: delivers the response once, or a 500 if never called.
class Pending {
 public:
  Pending(const std::shared_ptr<ConnectionBase>& conn, std::shared_ptr<Gate> gate)
      : conn_(conn), raw_(conn.get()), id_(conn->id()), gate_(std::move(gate)) {}
  ~Pending() {
    if (!done_.load(std::memory_order_acquire)) {
      Deliver(ErrorResponse(absl::InternalError("the handler did not respond")));
    }
  }
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;

  void Deliver(Response response) {
    if (done_.exchange(true, std::memory_order_acq_rel)) return;
    if (t_invoking_connection == id_) {
      raw_->inline_response_ = std::move(response);
      return;
    }
    std::lock_guard<std::mutex> lock(gate_->mu);
    if (!gate_->open) return;
    std::shared_ptr<ConnectionBase> conn = conn_.lock();
    if (conn == nullptr) return;
    const Strand& strand = conn->strand();
    asio::post(strand, [conn = std::move(conn), response = std::move(response)]() mutable {
      conn->OnResponse(std::move(response));
    });
  }

 private:
  const std::weak_ptr<ConnectionBase> conn_;
  ConnectionBase* const raw_;  // dereferenced only while its handler runs on this thread
  const uint64_t id_;
  const std::shared_ptr<Gate> gate_;
  std::atomic<bool> done_{false};
};

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsValidHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsValidHeaderValue(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// Headers the server owns; a handler's copies are dropped.
bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Server");
}

void AppendNumber(std::string& out, uint64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  out.append(digits, end);
}

std::string_view ToStd(beast::string_view s) { return std::string_view(s.data(), s.size()); }

bool IsMalformedRequest(const error_code& ec) {
  static const error_code kHttpError = bhttp::error::bad_method;
  return ec.category() == kHttpError.category() && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

template <bool kTls>
class Connection final : public ConnectionBase {
 public:
  using Stream = std::conditional_t<kTls, asio::ssl::stream<tcp::socket>, tcp::socket>;

  template <typename... StreamArgs>
  Connection(Server::Impl* server, Strand strand, StreamArgs&&... stream_args)
      : ConnectionBase(server, strand),
        stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(strand),
        read_timeout_(server->options().read_timeout) {}

  void Start() override {
    error_code ec;
    tcp::socket& socket = Socket();
    socket.set_option(tcp::no_delay(true), ec);
    tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) {
      Close();
      return;
    }
    remote_ip_ = peer.address().to_string();
    if constexpr (kTls) {
      state_ = State::kHandshake;
      SetDeadline(Clock::now() + read_timeout_);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](const error_code& ec) {
                                if (self->state_ == State::kClosed) return;
                                if (ec) {
                                  self->Close();
                                } else {
                                  self->StartRead();
                                }
                              });
    } else {
      StartRead();
    }
  }

  void OnServerStopping() override {
    if (state_ == State::kHandshake) {
      Close();
    } else if (state_ == State::kReading && buffer_.size() == 0 &&
               (!parser_.has_value() || !parser_->got_some())) {
      Close();
    }
  }

  void Close() override {
    if (state_ == State::kClosed) return;
    std::shared_ptr<ConnectionBase> keep_alive = shared_from_this();
    state_ = State::kClosed;
    error_code ec;
    Socket().shutdown(tcp::socket::shutdown_both, ec);
    Socket().close(ec);
    timer_.cancel();
    server_->Unregister(this);
  }

  void OnResponse(Response response) override {
    if (state_ != State::kHandling) return;
    if (response.status < 200 || response.status > 599) {
      response = ErrorResponse(absl::InternalError("the handler returned an invalid status"));
    }
    StartWrite(std::move(response));
  }

 private:
  enum class State { kHandshake, kReading, kHandling, kWriting, kLingering, kClosed };

  std::shared_ptr<Connection> Self() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }

  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // The timer is armed lazily: a deadline is a plain store, and the timer re-arms itself when
  // it fires early, so a request costs no timer operations in the common case.
  void SetDeadline(Clock::time_point deadline) {
    deadline_ = deadline;
    if (!timer_armed_ && deadline_ != kNever) ArmTimer();
  }

  void ArmTimer() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);
    timer_.async_wait([self = Self()](const error_code&) { self->OnTimer(); });
  }

  void OnTimer() {
    timer_armed_ = false;
    if (state_ == State::kClosed || deadline_ == kNever) return;
    if (Clock::now() >= deadline_) {
      Close();
    } else {
      ArmTimer();
    }
  }

  void StartRead() {
    if (server_->stopping()) {
      Close();
      return;
    }
    state_ = State::kReading;
    SetDeadline(Clock::now() + read_timeout_);
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    parser_->body_limit(static_cast<uint64_t>(server_->options().max_body_bytes));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = Self()](const error_code& ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(const error_code& ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      OnReadError(ec);
      return;
    }
    if (auto length = parser_->content_length();
        length.has_value() && *length > server_->options().max_body_bytes) {
      SendError(413, TooLargeError("request body too large"));
      return;
    }
    const auto& header = parser_->get();
    if (header.count(bhttp::field::transfer_encoding) > 0 && !parser_->chunked()) {
      // RFC 9112 6.1: a request whose final coding is not chunked has no knowable length.
      SendError(400, absl::InvalidArgumentError("unsupported Transfer-Encoding"));
      return;
    }
    if (parser_->is_done()) {
      OnRequest();
      return;
    }
    if (header.version() >= 11 &&
        EqualsIgnoreCase(ToStd(header[bhttp::field::expect]), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](const error_code& ec, size_t) {
                          if (self->state_ == State::kClosed) return;
                          if (ec) {
                            self->Close();
                          } else {
                            self->ReadBody();
                          }
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_, [self = Self()](const error_code& ec, size_t) {
      if (self->state_ == State::kClosed) return;
      if (ec) {
        self->OnReadError(ec);
      } else {
        self->OnRequest();
      }
    });
  }

  void OnReadError(const error_code& ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      SendError(431, TooLargeError("request header too large"));
    } else if (ec == bhttp::error::body_limit) {
      SendError(413, TooLargeError("request body too large"));
    } else if (IsMalformedRequest(ec)) {
      SendError(400, absl::InvalidArgumentError("malformed HTTP request"));
    } else {
      Close();  // end of stream, reset, timeout
    }
  }

  void OnRequest() {
    auto& message = parser_->get();
    Request request;
    request.method = std::string(ToStd(message.method_string()));
    request.target = std::string(ToStd(message.target()));
    std::string_view target = request.target;
    size_t question = target.find('?');
    if (question == std::string_view::npos) {
      request.path = request.target;
    } else {
      request.path = std::string(target.substr(0, question));
      request.query = std::string(target.substr(question + 1));
    }
    for (const auto& field : message) {
      request.headers.push_back(
          Header{std::string(ToStd(field.name_string())), std::string(ToStd(field.value()))});
    }
    request.body = std::move(message.body());
    request.remote_ip = remote_ip_;
    request.tls = kTls;
    request_keep_alive_ = message.keep_alive();
    http10_ = message.version() < 11;
    head_ = message.method() == bhttp::verb::head;
    parser_.reset();
    if (buffer_.size() == 0 && buffer_.capacity() > kMaxIdleBufferBytes) buffer_.shrink_to_fit();
    Dispatch(std::move(request));
  }

  void Dispatch(Request request) {
    state_ = State::kHandling;
    deadline_ = kNever;
    const uint64_t saved = t_invoking_connection;
    t_invoking_connection = id_;
    auto pending = std::make_shared<Pending>(shared_from_this(), server_->gate());
    try {
      server_->handler()(std::move(request),
                         [pending](Response response) { pending->Deliver(std::move(response)); });
    } catch (...) {
      pending->Deliver(ErrorResponse(absl::InternalError("internal error")));
    }
    pending.reset();  // a responder dropped unanswered yields its 500 inline
    t_invoking_connection = saved;
    if (inline_response_.has_value()) {
      Response response = std::move(*inline_response_);
      inline_response_.reset();
      OnResponse(std::move(response));
    }
  }

  // Answers with the JSON error for `status` under `http_status` and closes the connection.
  void SendError(int http_status, const absl::Status& status) {
    Response response = ErrorResponse(status);
    response.status = http_status;
    request_keep_alive_ = false;
    linger_ = true;
    head_ = false;
    http10_ = false;
    StartWrite(std::move(response));
  }

  void SerializeHead(const Response& response) {
    keep_alive_ = request_keep_alive_ && !server_->stopping();
    const int status = response.status;
    const bool no_body = status == 204 || status == 304;
    send_body_ = !no_body && !head_;
    head_buffer_.clear();
    head_buffer_.append("HTTP/1.1 ");
    AppendNumber(head_buffer_, static_cast<uint64_t>(status));
    head_buffer_.push_back(' ');
    std::string_view reason = ToStd(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
    head_buffer_.append(reason.empty() || reason.front() == '<' ? "Unknown" : reason);
    head_buffer_.append("\r\nServer: domicile\r\n");
    if (!response.content_type.empty() && IsValidHeaderValue(response.content_type)) {
      head_buffer_.append("Content-Type: ").append(response.content_type).append("\r\n");
    }
    for (const Header& h : response.headers) {
      if (!IsValidHeaderName(h.name) || !IsValidHeaderValue(h.value) || IsFramingHeader(h.name) ||
          EqualsIgnoreCase(h.name, "Content-Type")) {
        continue;
      }
      head_buffer_.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    if (!no_body) {
      head_buffer_.append("Content-Length: ");
      AppendNumber(head_buffer_, response.body.size());
      head_buffer_.append("\r\n");
    }
    if (!keep_alive_) {
      head_buffer_.append("Connection: close\r\n");
    } else if (http10_) {
      head_buffer_.append("Connection: keep-alive\r\n");
    }
    head_buffer_.append("\r\n");
  }

  void StartWrite(Response response) {
    response_ = std::move(response);
    SerializeHead(response_);
    state_ = State::kWriting;
    SetDeadline(Clock::now() + read_timeout_);
    std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head_buffer_),
        send_body_ ? asio::buffer(response_.body) : asio::const_buffer()};
    asio::async_write(stream_, buffers,
                      [self = Self()](const error_code& ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(const error_code& ec) {
    if (state_ == State::kClosed) return;
    if (ec) {
      Close();
      return;
    }
    response_.body.clear();
    response_.headers.clear();
    if (!keep_alive_) {
      if (linger_) {
        Linger();
      } else {
        Close();
      }
      return;
    }
    StartRead();
  }

  // After an error response the client may still be sending the request we refused; closing
  // with unread data would reset the connection and could destroy the response before the
  // client reads it. So stop sending, and discard input for a while before closing.
  void Linger() {
    if constexpr (kTls) {
      Close();
    } else {
      state_ = State::kLingering;
      error_code ec;
      Socket().shutdown(tcp::socket::shutdown_send, ec);
      SetDeadline(Clock::now() + read_timeout_);
      lingered_bytes_ = 0;
      buffer_.clear();
      LingerSome();
    }
  }

  void LingerSome() {
    if constexpr (!kTls) {
      stream_.async_read_some(buffer_.prepare(16 << 10),
                              [self = Self()](const error_code& ec, size_t n) {
                                if (self->state_ == State::kClosed) return;
                                self->lingered_bytes_ += n;
                                if (ec || self->lingered_bytes_ > kMaxLingerBytes) {
                                  self->Close();
                                } else {
                                  self->LingerSome();
                                }
                              });
    }
  }

  Stream stream_;
  asio::steady_timer timer_;
  const std::chrono::milliseconds read_timeout_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  State state_ = State::kReading;
  Clock::time_point deadline_ = kNever;
  bool timer_armed_ = false;
  std::string remote_ip_;
  bool request_keep_alive_ = true;
  bool http10_ = false;
  bool head_ = false;
  bool keep_alive_ = true;
  bool send_body_ = true;
  bool linger_ = false;
  size_t lingered_bytes_ = 0;
  std::string head_buffer_;
  Response response_;
};

}  // namespace

absl::Status Server::Impl::InitTls() {
  const TlsOptions& tls = options_.tls;
  if (tls.key_file.empty()) return absl::InvalidArgumentError("TLS key_file is not set");
  ssl_ctx_.emplace(asio::ssl::context::tls_server);
  asio::ssl::context& ctx = *ssl_ctx_;
  error_code ec;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                  ec);
  if (ec) return ErrorWithMessage(absl::StatusCode::kInternal, "TLS options", ec);
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    return absl::InternalError("cannot require TLS 1.2");
  }
  ctx.use_certificate_chain_file(tls.cert_file, ec);
  if (ec) {
    return ErrorWithMessage(absl::StatusCode::kInvalidArgument,
                            fmt::format("cannot load TLS certificate {}", tls.cert_file), ec);
  }
  ctx.use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return ErrorWithMessage(absl::StatusCode::kInvalidArgument,
                            fmt::format("cannot load TLS key {}", tls.key_file), ec);
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return absl::InvalidArgumentError("TLS key does not match the certificate");
  }
  if (!tls.client_ca_file.empty()) {
    ctx.load_verify_file(tls.client_ca_file, ec);
    if (ec) {
      return ErrorWithMessage(absl::StatusCode::kInvalidArgument,
                              fmt::format("cannot load client CA {}", tls.client_ca_file), ec);
    }
    ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    // Advertise the acceptable CAs so that clients pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
    }
    // Session resumption with client verification requires a session id context.
    static constexpr unsigned char kSessionContext[] = "domicile";
    SSL_CTX_set_session_id_context(ctx.native_handle(), kSessionContext,
                                   sizeof(kSessionContext) - 1);
  }
  return absl::OkStatus();
}

absl::Status Server::Impl::Init() {
  if (options_.max_header_bytes == 0 || options_.max_header_bytes > UINT32_MAX) {
    return absl::InvalidArgumentError("max_header_bytes out of range");
  }
  if (options_.read_timeout.count() <= 0) {
    return absl::InvalidArgumentError("read_timeout must be positive");
  }
  if (options_.tls.enabled()) RETURN_IF_ERROR(InitTls());

  error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    tcp::resolver resolver(*iocs_[0]);
    auto results = resolver.resolve(options_.host, "", ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(ToAbsl(fmt::format("bad host '{}'", options_.host)));
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return ErrorWithMessage(absl::StatusCode::kUnavailable, "cannot open socket", ec);
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    return ErrorWithMessage(absl::StatusCode::kUnavailable,
                            fmt::format("cannot bind {}:{}", options_.host, options_.port), ec);
  }
  if (ec == boost::system::errc::address_not_available) {
    return ErrorWithMessage(absl::StatusCode::kInvalidArgument,
                            fmt::format("cannot bind {}:{}", options_.host, options_.port), ec);
  }
  if (ec) {
    return ErrorWithMessage(absl::StatusCode::kUnavailable,
                            fmt::format("cannot bind {}:{}", options_.host, options_.port), ec);
  }
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ErrorWithMessage(absl::StatusCode::kUnavailable, "cannot listen", ec);
  endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) return ErrorWithMessage(absl::StatusCode::kUnavailable, "cannot read local address", ec);
  return absl::OkStatus();
}

void Server::Impl::Run() {
  for (auto& ioc : iocs_) work_.push_back(asio::make_work_guard(*ioc));
  asio::post(acceptor_.get_executor(), [this] { DoAccept(); });
  for (size_t i = 0; i < iocs_.size(); ++i) {
    loops_.push_back(std::make_unique<IoLoop>(*iocs_[i]));
    threads_.emplace_back([this, ioc = iocs_[i].get(), loop = loops_[i].get()] {
      t_loop_server = this;
      t_loop = loop;
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (...) {
          // Our handlers do not throw; keep serving rather than terminate if one does.
        }
      }
    });
  }
}

IoLoop* Server::Impl::CurrentLoop() const { return t_loop_server == this ? t_loop : nullptr; }

void Server::Impl::DoAccept() {
  Strand strand = asio::make_strand(*iocs_[next_context_++ % iocs_.size()]);
  acceptor_.async_accept(strand, [this, strand](const error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket), strand);
  });
}

void Server::Impl::OnAccept(const error_code& ec, tcp::socket socket, Strand strand) {
  if (stopping()) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec && !stopping()) DoAccept();
    });
    return;
  }
  std::shared_ptr<ConnectionBase> conn;
  if (ssl_ctx_.has_value()) {
    conn = std::make_shared<Connection<true>>(this, strand, std::move(socket), *ssl_ctx_);
  } else {
    conn = std::make_shared<Connection<false>>(this, strand, std::move(socket));
  }
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    if (stopping()) return;
    conns_.emplace(conn.get(), conn);
  }
  asio::post(strand, [conn] { conn->Start(); });
  DoAccept();
}

void Server::Impl::Unregister(ConnectionBase* c) {
  std::shared_ptr<ConnectionBase> dropped;
  std::lock_guard<std::mutex> lock(conns_mu_);
  auto it = conns_.find(c);
  if (it == conns_.end()) return;
  dropped = std::move(it->second);
  conns_.erase(it);
  if (conns_.empty() && stopping()) conns_cv_.notify_all();
}

void Server::Impl::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (threads_.empty()) return;  // Init failed; nothing runs

  std::vector<std::shared_ptr<ConnectionBase>> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    stopping_.store(true);
    for (auto& [raw, conn] : conns_) conns.push_back(conn);
  }
  asio::post(acceptor_.get_executor(), [this] {
    error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
  });
  for (auto& conn : conns) {
    asio::post(conn->strand(), [conn] { conn->OnServerStopping(); });
  }
  conns.clear();
  {
    std::unique_lock<std::mutex> lock(conns_mu_);
    conns_cv_.wait_for(lock, options_.shutdown_grace, [this] { return conns_.empty(); });
    for (auto& [raw, conn] : conns_) conns.push_back(conn);
  }
  for (auto& conn : conns) {
    asio::post(conn->strand(), [conn] { conn->Close(); });
  }
  if (!conns.empty()) {
    conns.clear();
    // The closes run on the I/O threads; a handler blocking one of them must not hang Stop().
    std::unique_lock<std::mutex> lock(conns_mu_);
    conns_cv_.wait_for(lock, kForcedCloseWait, [this] { return conns_.empty(); });
  }
  {
    std::lock_guard<std::mutex> lock(gate_->mu);
    gate_->open = false;
  }
  work_.clear();
  for (auto& ioc : iocs_) ioc->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  error_code ec;
  acceptor_.close(ec);  // in case the posted close did not run before the io_context stopped
  std::unordered_map<ConnectionBase*, std::shared_ptr<ConnectionBase>> remaining;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    remaining.swap(conns_);
  }
}

AsyncHandler MakeAsync(Handler h) {
  return [h = std::move(h)](Request request, Responder respond) { respond(h(request)); };
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, AsyncHandler handler) {
  if (!handler) return absl::InvalidArgumentError("no handler");
  if (options.threads < 0) return absl::InvalidArgumentError("threads must not be negative");
  if (options.threads == 0) {
    options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  RETURN_IF_ERROR(impl->Init());
  impl->Run();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

std::string Server::host() const { return impl_->host(); }

uint16_t Server::port() const { return impl_->port(); }

IoLoop* Server::CurrentLoop() const { return impl_->CurrentLoop(); }

void Server::Stop() { impl_->Stop(); }

}  // namespace domicile::http
