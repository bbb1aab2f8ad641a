#include "http/load_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "http/client.h"
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

constexpr std::chrono::milliseconds kReconnectDelay{10};

// Parses a response keeping only its status; the body is discarded as it streams by.
class DiscardingParser final : public bhttp::basic_parser<false> {
 public:
  int status() const { return status_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(bhttp::field, beast::string_view, beast::string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  size_t on_body_impl(beast::string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  int status_ = 0;
};

// What every worker shares, read-only during the run.
struct Plan {
  tcp::endpoint endpoint;
  std::vector<std::string> requests;  // serialized, one per target
  Clock::time_point window_start;
  Clock::time_point window_end;
};

// The results of one worker thread.
struct Tally {
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::vector<uint64_t> latencies_ns;
  std::array<uint64_t, 1000> status_counts{};
};

class Worker;

// One closed-loop connection; runs on its worker's single thread.
class LoadConnection {
 public:
  LoadConnection(Worker& worker, size_t first_target);
  void Connect();
  void Stop();

 private:
  void Send();
  void OnWrite(const error_code& ec);
  void OnRead(const error_code& ec);
  void Fail();

  Worker& worker_;
  tcp::socket socket_;
  asio::steady_timer retry_;
  beast::flat_buffer buffer_;
  std::optional<DiscardingParser> parser_;
  size_t next_target_;
  Clock::time_point sent_at_;
};

class Worker {
 public:
  Worker(const Plan& plan, int connections, size_t first_target) : plan_(plan), end_(ioc_) {
    tally_.latencies_ns.reserve(1 << 16);
    for (int i = 0; i < connections; ++i) {
      connections_.push_back(std::make_unique<LoadConnection>(*this, first_target + i));
    }
  }

  // Runs until the window ends; call on the worker's own thread.
  void Run() {
    for (auto& c : connections_) c->Connect();
    end_.expires_at(plan_.window_end);
    end_.async_wait([this](const error_code&) {
      stopping_ = true;
      for (auto& c : connections_) c->Stop();
    });
    ioc_.run();
  }

  void RecordResponse(Clock::time_point sent, Clock::time_point received, int status) {
    if (sent < plan_.window_start || received > plan_.window_end) return;
    ++tally_.requests;
    tally_.latencies_ns.push_back(
        static_cast<uint64_t>(std::chrono::nanoseconds(received - sent).count()));
    ++tally_.status_counts[static_cast<size_t>(std::clamp(status, 0, 999))];
    if (status < 200 || status > 299) ++tally_.errors;
  }

  void RecordError(Clock::time_point at) {
    if (at >= plan_.window_start && at <= plan_.window_end) ++tally_.errors;
  }

  asio::io_context& ioc() { return ioc_; }
  const Plan& plan() const { return plan_; }
  bool stopping() const { return stopping_; }
  Tally& tally() { return tally_; }

 private:
  const Plan& plan_;
  asio::io_context ioc_{1};
  asio::steady_timer end_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<LoadConnection>> connections_;
  Tally tally_;
};

LoadConnection::LoadConnection(Worker& worker, size_t first_target)
    : worker_(worker),
      socket_(worker.ioc()),
      retry_(worker.ioc()),
      next_target_(first_target % worker.plan().requests.size()) {}

void LoadConnection::Connect() {
  if (worker_.stopping()) return;
  socket_.async_connect(worker_.plan().endpoint, [this](const error_code& ec) {
    if (worker_.stopping()) return;
    if (ec) {
      Fail();
      return;
    }
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    Send();
  });
}

void LoadConnection::Stop() {
  error_code ignored;
  socket_.close(ignored);
  retry_.cancel();
}

void LoadConnection::Send() {
  const std::string& request = worker_.plan().requests[next_target_];
  next_target_ = (next_target_ + 1) % worker_.plan().requests.size();
  sent_at_ = Clock::now();
  asio::async_write(socket_, asio::buffer(request),
                    [this](const error_code& ec, size_t) { OnWrite(ec); });
}

void LoadConnection::OnWrite(const error_code& ec) {
  if (worker_.stopping()) return;
  if (ec) {
    Fail();
    return;
  }
  parser_.emplace();
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  bhttp::async_read(socket_, buffer_, *parser_,
                    [this](const error_code& read_ec, size_t) { OnRead(read_ec); });
}

void LoadConnection::OnRead(const error_code& ec) {
  if (worker_.stopping()) return;
  if (ec) {
    Fail();
    return;
  }
  worker_.RecordResponse(sent_at_, Clock::now(), parser_->status());
  if (parser_->keep_alive()) {
    Send();
    return;
  }
  error_code ignored;
  socket_.close(ignored);
  buffer_.clear();
  Connect();
}

void LoadConnection::Fail() {
  worker_.RecordError(Clock::now());
  error_code ignored;
  socket_.close(ignored);
  buffer_.clear();
  retry_.expires_after(kReconnectDelay);
  retry_.async_wait([this](const error_code& ec) {
    if (!ec) Connect();
  });
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

bool HasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

absl::StatusOr<std::vector<std::string>> SerializeRequests(const LoadOptions& options,
                                                           const std::string& host_header) {
  if (!IsToken(options.method)) return absl::InvalidArgumentError("bad HTTP method");
  std::string fields = fmt::format("Host: {}\r\nUser-Agent: domicile-bench\r\n", host_header);
  for (const Header& h : options.headers) {
    if (!IsToken(h.name) || HasControlChars(h.value)) {
      return absl::InvalidArgumentError(ToAbsl(fmt::format("bad header '{}'", h.name)));
    }
    fields += fmt::format("{}: {}\r\n", h.name, h.value);
  }
  if (!options.body.empty() || options.method == "POST" || options.method == "PUT" ||
      options.method == "PATCH") {
    fields += fmt::format("Content-Length: {}\r\n", options.body.size());
  }
  std::vector<std::string> targets = options.targets;
  if (targets.empty()) targets.push_back("/");
  std::vector<std::string> requests;
  for (const std::string& target : targets) {
    if (target.empty() || target.front() != '/' || HasControlChars(target) ||
        target.find(' ') != std::string::npos) {
      return absl::InvalidArgumentError(ToAbsl(fmt::format("bad target '{}'", target)));
    }
    requests.push_back(
        fmt::format("{} {} HTTP/1.1\r\n{}\r\n{}", options.method, target, fields, options.body));
  }
  return requests;
}

double Percentile(std::vector<uint64_t>& sorted_or_not, double p) {
  if (sorted_or_not.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_or_not.size())));
  size_t index = std::clamp<size_t>(rank, 1, sorted_or_not.size()) - 1;
  std::nth_element(sorted_or_not.begin(), sorted_or_not.begin() + static_cast<ptrdiff_t>(index),
                   sorted_or_not.end());
  return static_cast<double>(sorted_or_not[index]) / 1000.0;
}

}  // namespace

absl::StatusOr<LoadReport> RunLoad(const LoadOptions& options) {
  ASSIGN_OR_RETURN(BaseUrl url, ParseBaseUrl(options.url));
  if (url.https) return absl::InvalidArgumentError("the load generator speaks plain HTTP only");
  if (options.connections < 1) return absl::InvalidArgumentError("connections must be >= 1");
  if (options.threads < 1) return absl::InvalidArgumentError("threads must be >= 1");
  if (options.duration.count() <= 0) return absl::InvalidArgumentError("duration must be > 0");
  if (options.warmup.count() < 0) return absl::InvalidArgumentError("warmup must be >= 0");

  Plan plan;
  std::string host_header = url.host.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", url.host, url.port)
                                : fmt::format("{}:{}", url.host, url.port);
  ASSIGN_OR_RETURN(plan.requests, SerializeRequests(options, host_header));

  {
    // Resolve once, and fail fast if nothing listens there.
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    error_code ec;
    auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec || endpoints.empty()) {
      return absl::UnavailableError(ToAbsl(fmt::format("cannot resolve {}", url.host)));
    }
    tcp::socket probe(ioc);
    plan.endpoint = asio::connect(probe, endpoints, ec);
    if (ec) {
      return absl::UnavailableError(
          ToAbsl(fmt::format("cannot connect to {}: {}", host_header, ec.message())));
    }
  }

  const int threads = std::min(options.threads, options.connections);
  plan.window_start = Clock::now() + options.warmup;
  plan.window_end = plan.window_start + options.duration;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    int share = options.connections / threads + (t < options.connections % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(plan, share, static_cast<size_t>(t)));
  }
  std::vector<std::thread> runners;
  for (size_t t = 1; t < workers.size(); ++t) {
    runners.emplace_back([&worker = *workers[t]] { worker.Run(); });
  }
  workers[0]->Run();
  for (std::thread& r : runners) r.join();

  LoadReport report;
  std::vector<uint64_t> latencies;
  for (auto& worker : workers) {
    Tally& tally = worker->tally();
    report.requests += tally.requests;
    report.errors += tally.errors;
    latencies.insert(latencies.end(), tally.latencies_ns.begin(), tally.latencies_ns.end());
    for (size_t status = 0; status < tally.status_counts.size(); ++status) {
      if (tally.status_counts[status] > 0) {
        report.status_counts[static_cast<int>(status)] += tally.status_counts[status];
      }
    }
  }
  report.seconds = std::chrono::duration<double>(options.duration).count();
  report.requests_per_second = static_cast<double>(report.requests) / report.seconds;
  report.p50_us = Percentile(latencies, 0.50);
  report.p90_us = Percentile(latencies, 0.90);
  report.p99_us = Percentile(latencies, 0.99);
  if (!latencies.empty()) {
    report.max_us =
        static_cast<double>(*std::max_element(latencies.begin(), latencies.end())) / 1000.0;
  }
  return report;
}

}  // namespace domicile::http
