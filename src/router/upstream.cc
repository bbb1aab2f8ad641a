#include "router/upstream.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "fmt/format.h"
#include "http/client.h"
#include "http/io_loop.h"
#include "http/server.h"
#include "util/errors.h"

namespace domicile::router {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

using Clock = std::chrono::steady_clock;

// An idle connection older than this is closed rather than reused: the node (30 s by default)
// would close it soon, and a request sent as it does fails.
constexpr std::chrono::seconds kMaxIdle{15};
// A connection idle for less than this is reused without asking the kernel whether the node
// closed it (one syscall saved per request under load; a node closes idle connections only
// after its read timeout, or when it stops).
constexpr std::chrono::milliseconds kCheckAfterIdle{10};
constexpr uint32_t kMaxResponseHeaderBytes = 64 << 10;

// Each thread that sends is paired with one loop, so a server I/O thread keeps its requests on
// the same loop (and its connections warm).
std::atomic<uint64_t> g_next_affinity{0};
thread_local uint64_t t_affinity = g_next_affinity.fetch_add(1);
// Set on loop threads: the Impl and loop they run.
thread_local const void* t_loop_owner = nullptr;
thread_local size_t t_loop_index = 0;

std::string_view ToStd(beast::string_view s) { return std::string_view(s.data(), s.size()); }

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
    if (!ok) return false;
  }
  return true;
}

bool IsFieldValue(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Where a node is, parsed once.
struct Target {
  http::BaseUrl url;
  std::string host_header;  // "host:port"
  std::string port;
  std::optional<asio::ip::address> address;  // set when the host is an IP literal
};

// One request on its way to a node.
struct Job {
  size_t node = 0;
  std::shared_ptr<const UpstreamRequest> request;  // owns the body `message` points into
  UpstreamCallback done;
  Clock::time_point deadline;
  bhttp::request<bhttp::span_body<const char>> message;
  bool retried = false;                                // sent once more after a stale connection
  std::unique_ptr<asio::steady_timer> queue_deadline;  // set while waiting in a pool's queue
};

UpstreamResult Failure(UpstreamStage stage, bool reused, const error_code& ec,
                       std::string_view what, const Target& target) {
  UpstreamResult r;
  r.stage = stage;
  r.reused = reused;
  if (ec == beast::error::timeout) {
    r.status = absl::DeadlineExceededError(
        ToAbsl(fmt::format("{} {}: timed out", what, target.host_header)));
  } else {
    r.status = absl::UnavailableError(
        ToAbsl(fmt::format("{} {}: {}", what, target.host_header, ec.message())));
  }
  return r;
}

}  // namespace

class Connection;

// One event loop (an own thread's, or a server I/O thread's) and its connections to every
// node. Used only on that loop's thread.
struct Loop {
  struct Pool {
    std::vector<std::shared_ptr<Connection>> idle;  // most recently used last
    size_t open = 0;  // counted against the per-loop limit: connecting, busy or idle
    std::deque<std::shared_ptr<Job>> waiting;
  };
  std::unique_ptr<asio::io_context> own;  // the client's own loops only
  asio::io_context* ioc = nullptr;        // own.get(), or a server I/O thread's
  std::vector<Pool> pools;  // per node; declared after `own`, so connections close before it
  std::thread thread;       // the client's own loops only
};

class Upstreams::Impl {
 public:
  Impl(std::vector<Target> targets, UpstreamOptions options)
      : options_(std::move(options)), targets_(std::move(targets)), open_(targets_.size()) {
    const size_t loops = static_cast<size_t>(std::max(options_.loops, 1));
    const size_t spread = static_cast<size_t>(std::max(options_.request_loops, 1));
    per_loop_limit_ =
        std::max<size_t>(1, (options_.max_connections_per_node + spread - 1) / spread);
    for (size_t i = 0; i < loops; ++i) {
      auto loop = std::make_unique<Loop>();
      loop->own = std::make_unique<asio::io_context>(1);
      loop->ioc = loop->own.get();
      loop->pools.resize(targets_.size());
      loops_.push_back(std::move(loop));
    }
  }
  ~Impl() { Stop(); }

  absl::Status InitTls();
  void Run();
  void Stop();
  void Send(size_t node, std::shared_ptr<const UpstreamRequest> request, UpstreamCallback done);
  void After(std::chrono::milliseconds delay, std::function<void()> fn);
  size_t OpenConnections(size_t node) const { return open_[node].load(); }
  void BorrowLoopsOf(const http::Server* server) { server_.store(server); }

  // Used by connections, on their loop's thread.
  void Submit(Loop& loop, std::shared_ptr<Job> job);
  void OnExchangeDone(Loop& loop, std::shared_ptr<Connection> conn, std::shared_ptr<Job> job,
                      UpstreamResult result, bool keep);
  const Target& target(size_t node) const { return targets_[node]; }
  asio::ssl::context* ssl_context() { return ssl_ctx_ ? &*ssl_ctx_ : nullptr; }
  const UpstreamOptions& options() const { return options_; }

 private:
  // The loop a request sent from this thread goes to: this loop thread's own, this server I/O
  // thread's, or an own loop paired with this thread.
  Loop& LoopForCaller();
  void StartNewConnection(Loop& loop, std::shared_ptr<Job> job, bool counted);
  void ServeWaiters(Loop& loop, size_t node);

  const UpstreamOptions options_;
  const std::vector<Target> targets_;
  size_t per_loop_limit_ = 1;
  std::optional<asio::ssl::context> ssl_ctx_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::atomic<size_t>> open_;             // per node, over all loops
  std::atomic<const http::Server*> server_{nullptr};  // whose I/O threads' loops are borrowed
  std::mutex borrowed_mu_;
  std::unordered_map<http::IoLoop*, std::unique_ptr<Loop>> borrowed_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;
  bool stopped_ = false;
};

// One connection to one node, used by one exchange at a time, on its loop's thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Upstreams::Impl& impl, Loop& loop, size_t node)
      : impl_(impl), loop_(loop), node_(node), target_(impl.target(node)), resolver_(*loop.ioc) {}

  Clock::time_point idle_since;

  // Connects, then runs the exchange.
  void Open(std::shared_ptr<Job> job) {
    job_ = std::move(job);
    reused_ = false;
    beast::tcp_stream& tcp = impl_.ssl_context() != nullptr && target_.url.https
                                 ? tls_.emplace(*loop_.ioc, *impl_.ssl_context()).next_layer()
                                 : tcp_.emplace(*loop_.ioc);
    tcp.expires_at(std::min(job_->deadline, Clock::now() + impl_.options().connect_timeout));
    if (target_.address.has_value()) {
      tcp.async_connect(tcp::endpoint(*target_.address, target_.url.port),
                        [self = shared_from_this()](const error_code& ec) { self->OnConnect(ec); });
      return;
    }
    resolver_.async_resolve(
        target_.url.host, target_.port,
        [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
          if (ec)
            return self->Finish(
                Failure(UpstreamStage::kConnect, false, ec, "resolve", self->target_));
          self->Lowest().async_connect(
              results, [self](const error_code& ec, const tcp::endpoint&) { self->OnConnect(ec); });
        });
  }

  // Runs the exchange on this already open connection.
  void Reuse(std::shared_ptr<Job> job) {
    job_ = std::move(job);
    reused_ = true;
    Write();
  }

  // False if the node closed the idle connection (or sent something unasked).
  bool Alive() {
    const Clock::duration idle = Clock::now() - idle_since;
    if (idle > kMaxIdle) return false;
    if (idle < kCheckAfterIdle) return true;
    char byte;
    const ssize_t n = ::recv(Socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void Close() {
    error_code ec;
    Socket().shutdown(tcp::socket::shutdown_both, ec);
    Socket().close(ec);
  }

 private:
  beast::tcp_stream& Lowest() { return tls_.has_value() ? tls_->next_layer() : *tcp_; }
  tcp::socket& Socket() { return Lowest().socket(); }
  // Either stream, for calls that are the same on both.
  template <typename F>
  auto WithStream(F&& f) {
    if (tls_.has_value()) return f(*tls_);
    return f(*tcp_);
  }

  void OnConnect(const error_code& ec) {
    if (ec) return Finish(Failure(UpstreamStage::kConnect, false, ec, "connect to", target_));
    error_code ignored;
    Socket().set_option(tcp::no_delay(true), ignored);
    if (!tls_.has_value()) return Write();
    SSL* ssl = tls_->native_handle();
    if (target_.address.has_value()) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target_.url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, target_.url.host.c_str());
      SSL_set1_host(ssl, target_.url.host.c_str());
    }
    tls_->async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](const error_code& ec) {
          if (ec) {
            return self->Finish(
                Failure(UpstreamStage::kConnect, false, ec, "TLS handshake with", self->target_));
          }
          self->Write();
        });
  }

  void Write() {
    Lowest().expires_at(job_->deadline);
    parser_.emplace();
    parser_->header_limit(kMaxResponseHeaderBytes);
    parser_->body_limit(impl_.options().max_response_bytes);
    if (job_->request->method == "HEAD") parser_->skip(true);
    WithStream([&](auto& stream) {
      bhttp::async_write(
          stream, job_->message, [self = shared_from_this()](const error_code& ec, size_t) {
            if (ec) {
              return self->Finish(
                  Failure(UpstreamStage::kSent, self->reused_, ec, "send to", self->target_));
            }
            self->Read();
          });
    });
  }

  void Read() {
    WithStream([&](auto& stream) {
      bhttp::async_read(
          stream, buffer_, *parser_,
          [self = shared_from_this()](const error_code& ec, size_t) { self->OnRead(ec); });
    });
  }

  void OnRead(const error_code& ec) {
    if (ec) {
      const bool some = parser_->got_some() || buffer_.size() > 0;
      return Finish(Failure(some ? UpstreamStage::kReceived : UpstreamStage::kSent, reused_, ec,
                            "answer from", target_));
    }
    bhttp::response<bhttp::string_body>& message = parser_->get();
    UpstreamResult result;
    result.http_status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      result.headers.push_back(
          {std::string(ToStd(field.name_string())), std::string(ToStd(field.value()))});
    }
    result.body = std::move(message.body());
    const bool keep = message.keep_alive() && buffer_.size() == 0;
    parser_.reset();
    Finish(std::move(result), keep);
  }

  void Finish(UpstreamResult result, bool keep = false) {
    if (!keep) Close();
    idle_since = Clock::now();
    std::shared_ptr<Job> job = std::move(job_);
    impl_.OnExchangeDone(loop_, shared_from_this(), std::move(job), std::move(result), keep);
  }

  Upstreams::Impl& impl_;
  Loop& loop_;
  const size_t node_;
  const Target& target_;
  tcp::resolver resolver_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<asio::ssl::stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Job> job_;
  bool reused_ = false;
};

absl::Status Upstreams::Impl::InitTls() {
  bool any =
      std::any_of(targets_.begin(), targets_.end(), [](const Target& t) { return t.url.https; });
  if (!any) return absl::OkStatus();
  ssl_ctx_.emplace(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ssl_ctx_->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (options_.ca_file.empty()) {
    ssl_ctx_->set_default_verify_paths(ec);
  } else {
    ssl_ctx_->load_verify_file(options_.ca_file, ec);
  }
  if (ec) {
    return absl::InvalidArgumentError(
        ToAbsl(fmt::format("cannot load CA file '{}': {}", options_.ca_file, ec.message())));
  }
  ssl_ctx_->set_verify_mode(asio::ssl::verify_peer);
  return absl::OkStatus();
}

void Upstreams::Impl::Run() {
  for (size_t i = 0; i < loops_.size(); ++i) {
    Loop* loop = loops_[i].get();
    loop->thread = std::thread([this, loop, i] {
      t_loop_owner = this;
      t_loop_index = i;
      auto work = asio::make_work_guard(*loop->ioc);
      for (;;) {
        try {
          loop->ioc->run();
          return;
        } catch (...) {
          // A callback threw (it should not): keep the loop, and every other request, alive.
        }
      }
    });
  }
}

void Upstreams::Impl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  for (auto& loop : loops_) loop->ioc->stop();
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  auto close = [](Loop& loop) {
    for (Loop::Pool& pool : loop.pools) {
      for (auto& conn : pool.idle) conn->Close();
      pool.idle.clear();
      pool.waiting.clear();
    }
  };
  for (auto& loop : loops_) close(*loop);
  std::lock_guard<std::mutex> borrowed_lock(borrowed_mu_);
  for (auto& [io, loop] : borrowed_) close(*loop);  // their server has stopped (REQUIRES)
}

void Upstreams::Impl::Send(size_t node, std::shared_ptr<const UpstreamRequest> request,
                           UpstreamCallback done) {
  if (stopping_.load() || node >= targets_.size()) {
    UpstreamResult r;
    r.status = absl::UnavailableError("the router is stopping");
    return done(std::move(r));
  }
  auto job = std::make_shared<Job>();
  job->node = node;
  job->deadline = Clock::now() + request->timeout;
  bhttp::request<bhttp::span_body<const char>>& m = job->message;
  m.method_string(beast::string_view(request->method.data(), request->method.size()));
  m.target(beast::string_view(request->target.data(), request->target.size()));
  m.version(11);
  for (const http::Header& h : request->headers) {
    if (!IsToken(h.name) || !IsFieldValue(h.value) || http::EqualsIgnoreCase(h.name, "Host") ||
        http::EqualsIgnoreCase(h.name, "Content-Length") ||
        http::EqualsIgnoreCase(h.name, "Transfer-Encoding")) {
      continue;
    }
    m.insert(beast::string_view(h.name.data(), h.name.size()),
             beast::string_view(h.value.data(), h.value.size()));
  }
  m.set(bhttp::field::host, targets_[node].host_header);
  if (request->dedicated) m.keep_alive(false);
  if (!request->body.empty() || request->method == "POST" || request->method == "PUT" ||
      request->method == "PATCH") {
    m.content_length(request->body.size());
  }
  m.body() = beast::span<const char>(request->body.data(), request->body.size());
  job->request = std::move(request);
  job->done = std::move(done);
  Loop& loop = LoopForCaller();
  asio::post(*loop.ioc,
             [this, &loop, job = std::move(job)]() mutable { Submit(loop, std::move(job)); });
}

void Upstreams::Impl::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (stopping_.load()) return;
  Loop& loop = *loops_[0];
  asio::post(*loop.ioc, [this, &loop, delay, fn = std::move(fn)]() mutable {
    auto timer = std::make_shared<asio::steady_timer>(*loop.ioc, delay);
    timer->async_wait([this, timer, fn = std::move(fn)](const error_code& ec) {
      if (!ec && !stopping_.load()) fn();
    });
  });
}

Loop& Upstreams::Impl::LoopForCaller() {
  if (t_loop_owner == this) return *loops_[t_loop_index];
  const http::Server* server = server_.load(std::memory_order_acquire);
  http::IoLoop* io = server != nullptr ? server->CurrentLoop() : nullptr;
  if (io == nullptr) return *loops_[t_affinity % loops_.size()];
  // One server I/O thread keeps finding its loop without the lock.
  thread_local struct {
    const Impl* owner = nullptr;
    http::IoLoop* io = nullptr;
    Loop* loop = nullptr;
  } cache;
  if (cache.owner == this && cache.io == io) return *cache.loop;
  std::lock_guard<std::mutex> lock(borrowed_mu_);
  std::unique_ptr<Loop>& loop = borrowed_[io];
  if (loop == nullptr) {
    loop = std::make_unique<Loop>();
    loop->ioc = &io->context();
    loop->pools.resize(targets_.size());
  }
  cache = {this, io, loop.get()};
  return *loop;
}

void Upstreams::Impl::Submit(Loop& loop, std::shared_ptr<Job> job) {
  if (job->request->dedicated) return StartNewConnection(loop, std::move(job), false);
  Loop::Pool& pool = loop.pools[job->node];
  while (!pool.idle.empty()) {
    std::shared_ptr<Connection> conn = std::move(pool.idle.back());
    pool.idle.pop_back();
    if (conn->Alive()) return conn->Reuse(std::move(job));
    conn->Close();
    --pool.open;
    --open_[job->node];
  }
  if (pool.open < per_loop_limit_) return StartNewConnection(loop, std::move(job), true);
  // Every connection is busy: wait for one, but not past the request's deadline.
  job->queue_deadline = std::make_unique<asio::steady_timer>(*loop.ioc, job->deadline);
  job->queue_deadline->async_wait(
      [this, &loop, weak = std::weak_ptr<Job>(job)](const error_code& ec) {
        std::shared_ptr<Job> job = weak.lock();
        if (ec || job == nullptr) return;
        auto& waiting = loop.pools[job->node].waiting;
        auto it = std::find(waiting.begin(), waiting.end(), job);
        if (it == waiting.end()) return;
        waiting.erase(it);
        UpstreamResult r;
        r.status = absl::DeadlineExceededError(ToAbsl(fmt::format(
            "no free connection to {} before the deadline", targets_[job->node].host_header)));
        job->done(std::move(r));
      });
  pool.waiting.push_back(std::move(job));
}

void Upstreams::Impl::StartNewConnection(Loop& loop, std::shared_ptr<Job> job, bool counted) {
  if (counted) {
    ++loop.pools[job->node].open;
    ++open_[job->node];
  }
  auto conn = std::make_shared<Connection>(*this, loop, job->node);
  conn->Open(std::move(job));
}

void Upstreams::Impl::ServeWaiters(Loop& loop, size_t node) {
  Loop::Pool& pool = loop.pools[node];
  while (!pool.waiting.empty() && (!pool.idle.empty() || pool.open < per_loop_limit_)) {
    std::shared_ptr<Job> job = std::move(pool.waiting.front());
    pool.waiting.pop_front();
    job->queue_deadline.reset();
    Submit(loop, std::move(job));
  }
}

void Upstreams::Impl::OnExchangeDone(Loop& loop, std::shared_ptr<Connection> conn,
                                     std::shared_ptr<Job> job, UpstreamResult result, bool keep) {
  const size_t node = job->node;
  if (!job->request->dedicated) {
    Loop::Pool& pool = loop.pools[node];
    if (keep && !stopping_.load()) {
      pool.idle.push_back(std::move(conn));
    } else {
      --pool.open;
      --open_[node];
    }
  }
  // A kept-alive connection the node had closed while idle: the request never reached it.
  const bool stale = !result.status.ok() && result.reused && result.stage == UpstreamStage::kSent &&
                     job->request->idempotent && !job->retried;
  if (stale) {
    job->retried = true;
    Submit(loop, std::move(job));
  } else {
    UpstreamCallback done = std::move(job->done);
    job.reset();
    done(std::move(result));
  }
  ServeWaiters(loop, node);
}

absl::StatusOr<std::unique_ptr<Upstreams>> Upstreams::Start(const std::vector<std::string>& urls,
                                                            UpstreamOptions options) {
  std::vector<Target> targets;
  for (const std::string& url : urls) {
    Target t;
    absl::StatusOr<http::BaseUrl> parsed = http::ParseBaseUrl(url);
    if (!parsed.ok()) return parsed.status();
    t.url = *std::move(parsed);
    t.port = std::to_string(t.url.port);
    const bool ipv6 = t.url.host.find(':') != std::string::npos;
    t.host_header = ipv6 ? fmt::format("[{}]:{}", t.url.host, t.url.port)
                         : fmt::format("{}:{}", t.url.host, t.url.port);
    error_code ec;
    asio::ip::address address = asio::ip::make_address(t.url.host, ec);
    if (!ec) t.address = address;
    targets.push_back(std::move(t));
  }
  auto impl = std::make_unique<Impl>(std::move(targets), std::move(options));
  absl::Status tls = impl->InitTls();
  if (!tls.ok()) return tls;
  impl->Run();
  return std::unique_ptr<Upstreams>(new Upstreams(std::move(impl)));
}

Upstreams::Upstreams(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Upstreams::~Upstreams() { Stop(); }

void Upstreams::Send(size_t node, std::shared_ptr<const UpstreamRequest> request,
                     UpstreamCallback done) {
  impl_->Send(node, std::move(request), std::move(done));
}

void Upstreams::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  impl_->After(delay, std::move(fn));
}

size_t Upstreams::OpenConnections(size_t node) const { return impl_->OpenConnections(node); }

void Upstreams::BorrowLoopsOf(const http::Server* server) { impl_->BorrowLoopsOf(server); }

void Upstreams::Stop() { impl_->Stop(); }

}  // namespace domicile::router
