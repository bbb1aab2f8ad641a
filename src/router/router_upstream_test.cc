// The router's connections to nodes: which failures are retried (and where), kept-alive
// connections, nodes that close idle connections, misbehaving answers, and nodes over TLS.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/client.h"
#include "nlohmann/json.hpp"
#include "router/fake_node.h"
#include "router/router.h"
#include "router/router_test_util.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::router {
namespace {

using testing::FakeNode;
using ::testing::HasSubstr;

// A node that answers GET /healthz (and an empty directory) but reads every other request and
// closes the connection without a byte of answer (a crash while handling it).
class DroppingNode {
 public:
  DroppingNode() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~DroppingNode() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  int dropped() const { return dropped_.load(); }

 private:
  void Run() {
    for (;;) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      if (in.starts_with("GET /healthz ")) {
        constexpr std::string_view kOk =
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
        (void)!::write(c, kOk.data(), kOk.size());
      } else if (in.starts_with("GET /v1/directory?")) {
        constexpr std::string_view kEmpty =
            "HTTP/1.1 200 OK\r\nContent-Length: 27\r\nConnection: close\r\n\r\n"
            "{\"subjects\":[],\"next\":null}";
        (void)!::write(c, kEmpty.data(), kEmpty.size());
      } else if (end != std::string::npos) {
        ++dropped_;
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> dropped_{0};
  std::thread thread_;
};

class RouterUpstreamTest : public ::testing::Test {
 protected:
  void Start(std::vector<NodeConfig> nodes, std::chrono::milliseconds health,
             std::string node_ca = "") {
    RouterConfig c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir_ / "router";
    c.threads = 2;
    c.health_interval = health;
    c.node_ca = std::move(node_ca);
    c.nodes = std::move(nodes);
    ASSERT_OK_AND_ASSIGN(router_, Router::Start(c, testing::kDirectoryToken));
    ASSERT_OK_AND_ASSIGN(client_, http::Client::Create(router_->url()));
  }
  http::ClientResponse Do(std::string_view method, std::string_view target,
                          std::string_view body = "x") {
    absl::StatusOr<http::ClientResponse> r = client_->Do(method, target, {}, body);
    EXPECT_OK(r);
    return r.ok() ? *std::move(r) : http::ClientResponse{};
  }
  double Metric(const std::string& series) { return Metrics(router_->MetricsText()).Get(series); }
  static std::string RoutedTo(const http::ClientResponse& r) {
    return std::string(r.GetHeader("Domicile-Routed-To").value_or(""));
  }
  static int Posts(const FakeNode& node) {
    int n = 0;
    for (const http::Request& r : node.DataRequests()) n += r.method == "POST";
    return n;
  }

  ::domicile::testing::TempDir dir_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(RouterUpstreamTest, SentRequestsAreRetriedOnlyIfIdempotent) {
  DroppingNode dropping;
  FakeNode us2("us-2", "US");
  Start({{"us-1", "US", dropping.url()}, {"us-2", "US", us2.url()}}, std::chrono::milliseconds(20));
  const std::string up = R"(domicile_router_node_up{node="us-1",jurisdiction="US"})";
  // A PUT that us-1 dropped is sent to us-2: whichever node is picked, the answer is us-2's.
  while (dropping.dropped() == 0) {
    ASSERT_TRUE(WaitFor([&] { return Metric(up) == 1; }));
    http::ClientResponse r = Do("PUT", "/j/US/v1/subjects/alice/records/k");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(RoutedTo(r), "us-2");
  }
  EXPECT_GE(Metric(R"(domicile_router_failovers_total{jurisdiction="US"})"), 1);
  // A POST that us-1 dropped may have been applied: it is not sent again.
  const int dropped = dropping.dropped();
  bool refused = false;
  while (!refused) {
    ASSERT_TRUE(WaitFor([&] { return Metric(up) == 1; }));
    const int posts = Posts(us2);
    http::ClientResponse r = Do("POST", "/j/US/v1/grants/g-1/revoke");
    if (r.status == 200) {
      EXPECT_EQ(RoutedTo(r), "us-2");
      continue;
    }
    refused = true;
    EXPECT_EQ(r.status, 503);
    EXPECT_THAT(r.body, HasSubstr("may have been applied"));
    EXPECT_EQ(dropping.dropped(), dropped + 1);
    EXPECT_EQ(Posts(us2), posts);  // not sent again
  }
}

TEST_F(RouterUpstreamTest, KeepsConnectionsAliveAndSurvivesNodesClosingIdleOnes) {
  http::ServerOptions quick;
  quick.read_timeout = std::chrono::milliseconds(50);  // closes idle connections quickly
  FakeNode us1("us-1", "US", quick);
  Start({{"us-1", "US", us1.url()}}, std::chrono::hours(1));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Do("GET", "/j/US/v1/policy").status, 200);
  // One client connection, so one I/O thread, so one connection to the node (and perhaps
  // one more on the loop that pulled the node's directory): none per request.
  EXPECT_LE(Metric(R"(domicile_router_node_connections{node="us-1"})"), 2);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the node closes it
    // Even a POST goes through: a closed idle connection is noticed before it is used.
    EXPECT_EQ(Do("POST", "/j/US/v1/policy").status, 200);
  }
  EXPECT_EQ(Metric(R"(domicile_router_node_up{node="us-1",jurisdiction="US"})"), 1);
  EXPECT_EQ(Metric(R"(domicile_router_refused_total{status="503"})"), -1);  // none
}

TEST_F(RouterUpstreamTest, MisbehavingDirectoryAnswersAreIgnored) {
  FakeNode us1("us-1", "US");
  FakeNode sg1("sg-1", "SG");
  us1.SetDirectoryAnswer(R"({"subjects":[{"id":5,"jurisdiction":["US"]}],"next":7})");
  sg1.SetDirectoryAnswer(R"({"id":{"x":1},"jurisdiction":"SG"})");
  Start({{"us-1", "US", us1.url()}, {"sg-1", "SG", sg1.url()}}, std::chrono::hours(1));
  ASSERT_TRUE(WaitFor([&] { return us1.Pulls() >= 1 && sg1.Pulls() >= 1; }));
  // Answers that say nothing: the router cannot tell where alice lives.
  http::ClientResponse r = Do("GET", "/v1/subjects/alice/records/k");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("cannot tell where subject alice lives"));
  EXPECT_EQ(router_->directory().subjects(), 0u);
  EXPECT_EQ(Do("GET", "/healthz").status, 200);  // still serving
}

TEST_F(RouterUpstreamTest, NodesOverTls) {
  const std::string d = dir_.path().string();
  const std::string script = fmt::format(R"(set -e
cd '{0}'
exec >openssl.log 2>&1
key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
openssl req -x509 $key -keyout ca.key -out ca.crt -days 2 -subj /CN=router-test-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req $key -keyout node.key -out node.csr -subj /CN=node
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > node.ext
openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile node.ext -out node.crt
)",
                                         d);
  ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed; see " << d << "/openssl.log";
  http::ServerOptions tls;
  tls.tls.cert_file = d + "/node.crt";
  tls.tls.key_file = d + "/node.key";
  FakeNode us1("us-1", "US", tls);
  ASSERT_THAT(us1.url(), ::testing::StartsWith("https://"));
  Start({{"us-1", "US", us1.url()}}, std::chrono::hours(1), d + "/ca.crt");
  for (int i = 0; i < 3; ++i) {
    http::ClientResponse r = Do("GET", "/j/US/v1/policy");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(RoutedTo(r), "us-1");
  }
  // Without the CA the node's certificate is not trusted: it is down, nothing is sent.
  router_.reset();
  Start({{"us-1", "US", us1.url()}}, std::chrono::hours(1));
  const size_t before = us1.DataRequests().size();
  EXPECT_EQ(Do("GET", "/j/US/v1/policy").status, 503);
  EXPECT_EQ(us1.DataRequests().size(), before);
}

}  // namespace
}  // namespace domicile::router
