#include "http/server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/client.h"
#include "http/status_mapping.h"
#include "util/errors.h"
#include "util/status_matchers.h"

namespace domicile::http {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

// Guards against a hang; never a pass/fail criterion.
constexpr int kSafetyTimeoutMs = 20000;

// A plain TCP connection for sending bytes that a well-behaved client never would.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (head plus Content-Length body); "" if the connection ends first.
  std::string ReadResponse() {
    for (;;) {
      size_t head_end = buffered_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        std::string head = buffered_.substr(0, head_end);
        size_t pos = ToLower(head).find("content-length:");
        if (pos != std::string::npos) length = std::stoul(head.substr(pos + 15));
        size_t total = head_end + 4 + length;
        if (buffered_.size() >= total) {
          std::string response = buffered_.substr(0, total);
          buffered_.erase(0, total);
          return response;
        }
      }
      if (!ReadSome()) return "";
    }
  }

  // True once the server has closed the connection (EOF or reset); reads what comes first.
  bool WaitForClose() {
    while (ReadSome()) {
    }
    return closed_;
  }

 private:
  static std::string ToLower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // False at EOF, error or the safety timeout.
  bool ReadSome() {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, kSafetyTimeoutMs) != 1) return false;
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffered_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffered_;
};

std::string BodyOf(const std::string& response) {
  size_t head_end = response.find("\r\n\r\n");
  return head_end == std::string::npos ? "" : response.substr(head_end + 4);
}

std::string ErrorCodeIn(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

// Echoes what the server parsed, as JSON.
Response Echo(const Request& request) {
  nlohmann::json j = {
      {"method", request.method}, {"target", request.target},
      {"path", request.path},     {"query", request.query},
      {"body", request.body},     {"remote_ip", request.remote_ip},
      {"tls", request.tls},       {"x_test", std::string(request.GetHeader("x-test").value_or(""))},
  };
  Response response = JsonResponse(200, j);
  response.headers.push_back({"X-Echo", "yes"});
  response.headers.push_back({"Bad\r\nInjected", "x"});
  response.headers.push_back({"X-Injected", "a\r\nEvil: 1"});
  return response;
}

std::string UrlOf(const Server& server) {
  return fmt::format("http://127.0.0.1:{}", server.port());
}

TEST(ServerTest, StartsOnAFreePortAndServesRequests) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->host(), "127.0.0.1");
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("POST", "/v1/items%2Fx?a=1&b=%20",
                                                           {{"X-Test", "hello"}}, "data"));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.GetHeader("server"), Optional(std::string_view("domicile")));
  EXPECT_THAT(response.GetHeader("content-type"), Optional(std::string_view("application/json")));
  EXPECT_THAT(response.GetHeader("x-echo"), Optional(std::string_view("yes")));
  EXPECT_EQ(response.GetHeader("x-injected"), std::nullopt);
  EXPECT_EQ(response.GetHeader("evil"), std::nullopt);
  nlohmann::json j = nlohmann::json::parse(response.body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["target"], "/v1/items%2Fx?a=1&b=%20");
  EXPECT_EQ(j["path"], "/v1/items%2Fx");
  EXPECT_EQ(j["query"], "a=1&b=%20");
  EXPECT_EQ(j["body"], "data");
  EXPECT_EQ(j["remote_ip"], "127.0.0.1");
  EXPECT_EQ(j["tls"], false);
  EXPECT_EQ(j["x_test"], "hello");
}

TEST(ServerTest, CurrentLoopIsTheCallingIoThreadsOwn) {
  std::atomic<Server*> self{nullptr}, other{nullptr};
  ServerOptions options;
  options.threads = 2;
  auto handler = [&](const Request&) {
    Server* s = self.load();
    const bool mine = s != nullptr && s->CurrentLoop() != nullptr;
    const bool theirs = other.load() != nullptr && other.load()->CurrentLoop() != nullptr;
    return JsonResponse(200, {{"mine", mine}, {"theirs", theirs}});
  };
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync(handler)));
  ASSERT_OK_AND_ASSIGN(auto second, Server::Start(ServerOptions{}, MakeAsync(handler)));
  self = server.get();
  other = second.get();
  EXPECT_EQ(server->CurrentLoop(), nullptr);  // not an I/O thread
  ASSERT_OK_AND_ASSIGN(auto client,
                       Client::Create(fmt::format("http://127.0.0.1:{}", server->port())));
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client->Do("GET", "/"));
  EXPECT_EQ(r.body, R"({"mine":true,"theirs":false})");
}

TEST(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn.Send(fmt::format("GET /n/{} HTTP/1.1\r\nHost: x\r\n\r\n", i)));
    std::string response = conn.ReadResponse();
    ASSERT_THAT(response, HasSubstr("HTTP/1.1 200 OK\r\n"));
    EXPECT_THAT(response, ::testing::Not(HasSubstr("Connection: close")));
    EXPECT_EQ(nlohmann::json::parse(BodyOf(response))["path"], fmt::format("/n/{}", i));
  }
  // Pipelined requests are answered in order.
  ASSERT_TRUE(conn.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(nlohmann::json::parse(BodyOf(conn.ReadResponse()))["path"], "/a");
  EXPECT_EQ(nlohmann::json::parse(BodyOf(conn.ReadResponse()))["path"], "/b");
}

TEST(ServerTest, ClientReusesItsConnection) {
  std::atomic<int> calls{0};
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync([&](const Request& r) {
                                                    ++calls;
                                                    return Echo(r);
                                                  })));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("GET", fmt::format("/k/{}", i)));
    EXPECT_EQ(response.status, 200);
  }
  EXPECT_EQ(calls.load(), 5);
}

TEST(ServerTest, HonoursConnectionCloseAndHttp10) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  {
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.Send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    EXPECT_THAT(conn.ReadResponse(), HasSubstr("Connection: close\r\n"));
    EXPECT_TRUE(conn.WaitForClose());
  }
  {
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.Send("GET / HTTP/1.0\r\n\r\n"));
    EXPECT_THAT(conn.ReadResponse(), HasSubstr("200 OK"));
    EXPECT_TRUE(conn.WaitForClose());
  }
  {
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.Send("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    EXPECT_THAT(conn.ReadResponse(), HasSubstr("Connection: keep-alive\r\n"));
    ASSERT_TRUE(conn.Send("GET /2 HTTP/1.0\r\n\r\n"));
    EXPECT_THAT(conn.ReadResponse(), HasSubstr("200 OK"));
    EXPECT_TRUE(conn.WaitForClose());
  }
}

TEST(ServerTest, HeadResponseHasLengthButNoBody) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  ASSERT_OK_AND_ASSIGN(ClientResponse head, client->Do("HEAD", "/h"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_NE(head.GetHeader("content-length"), std::nullopt);
  // The connection is still usable: no stray body bytes were sent.
  ASSERT_OK_AND_ASSIGN(ClientResponse get, client->Do("GET", "/h"));
  EXPECT_EQ(get.status, 200);
}

TEST(ServerTest, HeaderOverLimitIs431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync(Echo)));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  ASSERT_OK_AND_ASSIGN(ClientResponse response,
                       client->Do("GET", "/", {{"X-Big", std::string(4000, 'a')}}));
  EXPECT_EQ(response.status, 431);
  EXPECT_EQ(ErrorCodeIn(response.body), "too_large");
  EXPECT_THAT(response.GetHeader("connection"), Optional(std::string_view("close")));
}

TEST(ServerTest, BodyOverLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync(Echo)));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  ASSERT_OK_AND_ASSIGN(ClientResponse ok, client->Do("POST", "/", {}, std::string(1024, 'x')));
  EXPECT_EQ(ok.status, 200);
  ASSERT_OK_AND_ASSIGN(ClientResponse response,
                       client->Do("POST", "/", {}, std::string(4096, 'x')));
  EXPECT_EQ(response.status, 413);
  nlohmann::json j = nlohmann::json::parse(response.body);
  EXPECT_EQ(j["error"]["code"], "too_large");
  EXPECT_TRUE(j["error"]["message"].is_string());
}

TEST(ServerTest, DeclaredLengthOverLimitIs413BeforeTheBody) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync(Echo)));
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  std::string response = conn.ReadResponse();
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 413 "));
  EXPECT_EQ(ErrorCodeIn(BodyOf(response)), "too_large");
  EXPECT_TRUE(conn.WaitForClose());
}

TEST(ServerTest, ChunkedBodyOverLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync(Echo)));
  RawConnection conn(server->port());
  std::string chunk(600, 'y');
  ASSERT_TRUE(conn.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_TRUE(conn.Send(fmt::format("258\r\n{}\r\n258\r\n{}\r\n0\r\n\r\n", chunk, chunk)));
  std::string response = conn.ReadResponse();
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 413 "));
  EXPECT_EQ(ErrorCodeIn(BodyOf(response)), "too_large");
  EXPECT_TRUE(conn.WaitForClose());
}

TEST(ServerTest, ChunkedBodyWithinLimitIsDelivered) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  RawConnection conn(server->port());
  ASSERT_TRUE(
      conn.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(nlohmann::json::parse(BodyOf(conn.ReadResponse()))["body"], "abcde");
}

TEST(ServerTest, ExpectContinueGetsAnInterimResponse) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  RawConnection conn(server->port());
  ASSERT_TRUE(
      conn.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_THAT(conn.ReadResponse(), HasSubstr("HTTP/1.1 100 Continue\r\n"));
  ASSERT_TRUE(conn.Send("hello"));
  EXPECT_EQ(nlohmann::json::parse(BodyOf(conn.ReadResponse()))["body"], "hello");
}

TEST(ServerTest, MalformedRequestIs400) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  for (std::string_view raw :
       {std::string_view("GARBAGE\r\n\r\n"), std::string_view("GET / HTTP/9.9\r\n\r\n"),
        std::string_view("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string_view("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
        std::string_view("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
                         "Content-Length: 2\r\n\r\nab"),
        std::string_view("POST / HTTP/1.1\r\nContent-Length: 4\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        std::string_view("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")}) {
    SCOPED_TRACE(raw);
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.Send(raw));
    std::string response = conn.ReadResponse();
    EXPECT_THAT(response, HasSubstr("HTTP/1.1 400 "));
    EXPECT_EQ(ErrorCodeIn(BodyOf(response)), "invalid_argument");
    EXPECT_TRUE(conn.WaitForClose());
  }
}

TEST(ServerTest, IdleConnectionIsClosedAfterReadTimeout) {
  ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync(Echo)));
  {
    RawConnection idle(server->port());
    ASSERT_TRUE(idle.connected());
    EXPECT_TRUE(idle.WaitForClose());
  }
  {
    // Also after a request, and with a request left half-sent.
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_THAT(conn.ReadResponse(), HasSubstr("200 OK"));
    ASSERT_TRUE(conn.Send("GET / HTTP/1.1\r\nHo"));
    EXPECT_TRUE(conn.WaitForClose());
  }
}

TEST(ServerTest, HandlerExceptionIs500) {
  ASSERT_OK_AND_ASSIGN(auto server,
                       Server::Start(ServerOptions{}, MakeAsync([](const Request&) -> Response {
                                       throw std::runtime_error("boom: secret detail");
                                     })));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("GET", "/"));
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(ErrorCodeIn(response.body), "internal");
    EXPECT_THAT(response.body, ::testing::Not(HasSubstr("secret")));
  }
}

TEST(ServerTest, DroppedResponderIs500) {
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(ServerOptions{}, [](Request, Responder) {}));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("GET", "/"));
  EXPECT_EQ(response.status, 500);
}

TEST(ServerTest, ErrorResponsesKeepTheirHeaders) {
  ASSERT_OK_AND_ASSIGN(auto server,
                       Server::Start(ServerOptions{}, MakeAsync([](const Request& r) {
                                       if (r.path == "/busy") {
                                         return ErrorResponse(absl::UnavailableError("busy"));
                                       }
                                       return ErrorResponse(absl::UnauthenticatedError("who?"));
                                     })));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  ASSERT_OK_AND_ASSIGN(ClientResponse busy, client->Do("GET", "/busy"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_THAT(busy.GetHeader("retry-after"), Optional(std::string_view("1")));
  ASSERT_OK_AND_ASSIGN(ClientResponse who, client->Do("GET", "/who"));
  EXPECT_EQ(who.status, 401);
  EXPECT_THAT(who.GetHeader("www-authenticate"), Optional(std::string_view("Bearer")));
}

TEST(ServerTest, ResponderMayBeCalledFromAnotherThread) {
  std::mutex mu;
  std::vector<std::thread> workers;
  ASSERT_OK_AND_ASSIGN(
      auto server, Server::Start(ServerOptions{}, [&](Request request, Responder respond) {
        std::lock_guard<std::mutex> lock(mu);
        workers.emplace_back([request = std::move(request), respond = std::move(respond)] {
          respond(Echo(request));
          respond(JsonResponse(200, {{"second", true}}));  // ignored
        });
      }));
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(UrlOf(*server)));
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("GET", fmt::format("/t/{}", i)));
    EXPECT_EQ(nlohmann::json::parse(response.body)["path"], fmt::format("/t/{}", i));
  }
  server->Stop();
  for (std::thread& t : workers) t.join();
}

TEST(ServerTest, StopWaitsForAnInFlightRequest) {
  std::mutex mu;
  std::vector<std::thread> workers;
  std::promise<void> entered;
  ServerOptions options;
  options.shutdown_grace = std::chrono::milliseconds(60000);
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, [&](Request, Responder respond) {
                         std::lock_guard<std::mutex> lock(mu);
                         workers.emplace_back([respond = std::move(respond)] {
                           std::this_thread::sleep_for(std::chrono::milliseconds(300));
                           respond(JsonResponse(200, {{"done", true}}));
                         });
                         entered.set_value();
                       }));
  // An idle keep-alive connection must not hold Stop() up.
  RawConnection idle(server->port());
  ASSERT_TRUE(idle.connected());
  std::string url = UrlOf(*server);
  auto result = std::async(std::launch::async, [url]() -> absl::StatusOr<ClientResponse> {
    ASSIGN_OR_RETURN(auto client, Client::Create(url));
    return client->Do("GET", "/slow");
  });
  entered.get_future().wait();
  server->Stop();
  EXPECT_TRUE(idle.WaitForClose());
  absl::StatusOr<ClientResponse> response = result.get();
  ASSERT_OK(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"done":true})");
  EXPECT_THAT(response->GetHeader("connection"), Optional(std::string_view("close")));
  server->Stop();  // idempotent
  for (std::thread& t : workers) t.join();
  // No longer accepting.
  RawConnection late(server->port());
  EXPECT_FALSE(late.connected());
}

TEST(ServerTest, ResponderCalledAfterStopIsIgnored) {
  Responder kept;
  std::promise<void> entered;
  ServerOptions options;
  options.shutdown_grace = std::chrono::milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, [&](Request, Responder respond) {
                         kept = std::move(respond);
                         entered.set_value();
                       }));
  std::string url = UrlOf(*server);
  auto result = std::async(std::launch::async, [url]() -> absl::StatusOr<ClientResponse> {
    ASSIGN_OR_RETURN(auto client, Client::Create(url));
    return client->Do("GET", "/never");
  });
  entered.get_future().wait();
  server->Stop();  // gives up after the grace period
  EXPECT_THAT(result.get(), StatusIs(absl::StatusCode::kUnavailable));
  kept(JsonResponse(200, {}));  // after Stop: ignored, no crash
  server.reset();
  kept = nullptr;  // destroying it after the server is gone is safe too
}

TEST(ServerTest, StartErrors) {
  ServerOptions bad_host;
  bad_host.host = "not a host!";
  EXPECT_THAT(Server::Start(bad_host, MakeAsync(Echo)),
              StatusIs(absl::StatusCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(auto first, Server::Start(ServerOptions{}, MakeAsync(Echo)));
  ServerOptions same_port;
  same_port.port = first->port();
  EXPECT_THAT(Server::Start(same_port, MakeAsync(Echo)), StatusIs(absl::StatusCode::kUnavailable));

  ServerOptions missing_tls;
  missing_tls.tls.cert_file = "/nonexistent/cert.pem";
  missing_tls.tls.key_file = "/nonexistent/key.pem";
  EXPECT_THAT(Server::Start(missing_tls, MakeAsync(Echo)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::http
