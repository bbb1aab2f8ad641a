#include "http/client.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "http/status_mapping.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::http {
namespace {

using ::domicile::testing::StatusIs;
using ::domicile::testing::TempDir;

TEST(ParseBaseUrlTest, AcceptsHostAndPort) {
  ASSERT_OK_AND_ASSIGN(BaseUrl a, ParseBaseUrl("http://127.0.0.1:8080"));
  EXPECT_FALSE(a.https);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  ASSERT_OK_AND_ASSIGN(BaseUrl b, ParseBaseUrl("https://vault.example.eu/"));
  EXPECT_TRUE(b.https);
  EXPECT_EQ(b.host, "vault.example.eu");
  EXPECT_EQ(b.port, 443);
  ASSERT_OK_AND_ASSIGN(BaseUrl c, ParseBaseUrl("http://[::1]:9000"));
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 9000);
}

TEST(ParseBaseUrlTest, RejectsOthers) {
  for (std::string_view url : {"", "ftp://host", "http://", "http://:80", "http://host:0",
                               "http://host:99999", "http://host:", "http://user@host",
                               "http://ho st", "host:80", "http://[::1", "http://[::1]x"}) {
    SCOPED_TRACE(url);
    EXPECT_THAT(ParseBaseUrl(url), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Client::Create(url), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  // A path is no base URL, but the client takes it as a prefix (ClientTest.PathPrefix).
  EXPECT_THAT(ParseBaseUrl("http://host/path"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseBaseUrlTest, WithPrefix) {
  ASSERT_OK_AND_ASSIGN(BaseUrl a, ParseBaseUrlWithPrefix("http://127.0.0.1:8440/j/US/"));
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8440);
  EXPECT_EQ(a.path_prefix, "/j/US");
  ASSERT_OK_AND_ASSIGN(BaseUrl b, ParseBaseUrlWithPrefix("https://[::1]/n/us-1"));
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.path_prefix, "/n/us-1");
  ASSERT_OK_AND_ASSIGN(BaseUrl c, ParseBaseUrlWithPrefix("http://h:1/"));
  EXPECT_EQ(c.path_prefix, "");
  for (std::string_view url : {"http://h/a?b", "http://h/a#b", "http://h/a b", "http://h/a//b",
                               "http://h:x/a", "ftp://h/a", "http:///a"}) {
    SCOPED_TRACE(url);
    EXPECT_THAT(ParseBaseUrlWithPrefix(url), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(ClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t port;
  {
    ASSERT_OK_AND_ASSIGN(
        auto server,
        Server::Start(ServerOptions{}, MakeAsync([](const Request&) { return Response{}; })));
    port = server->port();
  }
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(fmt::format("http://127.0.0.1:{}", port)));
  EXPECT_THAT(client->Do("GET", "/"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ClientTest, RejectsBadRequests) {
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create("http://127.0.0.1:1"));
  EXPECT_THAT(client->Do("G ET", "/"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Do("GET", "no-slash"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Do("GET", "/a b"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Do("GET", "/", {{"X", "a\r\nB: c"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ClientTest, ReconnectsWhenTheServerClosedTheConnection) {
  ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(options, MakeAsync([](const Request&) {
                                                    return JsonResponse(200, {{"ok", true}});
                                                  })));
  ASSERT_OK_AND_ASSIGN(auto client,
                       Client::Create(fmt::format("http://127.0.0.1:{}", server->port())));
  ASSERT_OK_AND_ASSIGN(ClientResponse first, client->Do("GET", "/"));
  EXPECT_EQ(first.status, 200);
  // The server drops the idle connection after its read timeout; the client notices on reuse.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_OK_AND_ASSIGN(ClientResponse second, client->Do("GET", "/"));
  EXPECT_EQ(second.status, 200);
}

TEST(ClientTest, PathPrefix) {
  ASSERT_OK_AND_ASSIGN(auto server,
                       Server::Start(ServerOptions{}, MakeAsync([](const Request& r) {
                                       return JsonResponse(200, {{"target", r.target}});
                                     })));
  ASSERT_OK_AND_ASSIGN(auto client,
                       Client::Create(fmt::format("http://127.0.0.1:{}/j/US/", server->port())));
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client->Do("GET", "/v1/grants?x=1"));
  EXPECT_EQ(r.body, R"({"target":"/j/US/v1/grants?x=1"})");
  EXPECT_THAT(client->Do("OPTIONS", "*"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with the
// openssl command-line tool.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = dir_.path().string();
    std::string script = fmt::format(R"(set -e
cd '{0}'
exec >openssl.log 2>&1
key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
openssl req -x509 $key -keyout ca.key -out ca.crt -days 2 -subj /CN=domicile-test-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
for who in server client; do
  openssl req $key -keyout $who.key -out $who.csr -subj /CN=$who
done
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for who in server client; do
  openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile $who.ext -out $who.crt
done
)",
                                     dir);
    int rc = std::system(script.c_str());
    ASSERT_EQ(rc, 0) << "openssl failed; see the log in " << dir;
  }

  std::string File(const std::string& name) { return (dir_ / name).string(); }

  absl::StatusOr<std::unique_ptr<Server>> StartTlsServer(bool mutual) {
    ServerOptions options;
    options.tls.cert_file = File("server.crt");
    options.tls.key_file = File("server.key");
    if (mutual) options.tls.client_ca_file = File("ca.crt");
    return Server::Start(options, MakeAsync([](const Request& r) {
                           return JsonResponse(200, {{"tls", r.tls}});
                         }));
  }

  TempDir dir_;
};

TEST_F(TlsTest, ClientTrustingTheCaSucceeds) {
  ASSERT_OK_AND_ASSIGN(auto server, StartTlsServer(/*mutual=*/false));
  ClientOptions options;
  options.ca_file = File("ca.crt");
  for (std::string host : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(host);
    ASSERT_OK_AND_ASSIGN(
        auto client, Client::Create(fmt::format("https://{}:{}", host, server->port()), options));
    for (int i = 0; i < 2; ++i) {
      ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("GET", "/"));
      EXPECT_EQ(response.status, 200);
      EXPECT_EQ(response.body, R"({"tls":true})");
    }
  }
}

TEST_F(TlsTest, ClientWithoutTheCaFails) {
  ASSERT_OK_AND_ASSIGN(auto server, StartTlsServer(/*mutual=*/false));
  ASSERT_OK_AND_ASSIGN(auto client,
                       Client::Create(fmt::format("https://127.0.0.1:{}", server->port())));
  EXPECT_THAT(client->Do("GET", "/"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TlsTest, PlainClientGetsNoAnswer) {
  ASSERT_OK_AND_ASSIGN(auto server, StartTlsServer(/*mutual=*/false));
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(2000);
  ASSERT_OK_AND_ASSIGN(auto client,
                       Client::Create(fmt::format("http://127.0.0.1:{}", server->port()), options));
  EXPECT_FALSE(client->Do("GET", "/").ok());
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificate) {
  ASSERT_OK_AND_ASSIGN(auto server, StartTlsServer(/*mutual=*/true));
  std::string url = fmt::format("https://127.0.0.1:{}", server->port());
  ClientOptions anonymous;
  anonymous.ca_file = File("ca.crt");
  ASSERT_OK_AND_ASSIGN(auto without_cert, Client::Create(url, anonymous));
  EXPECT_THAT(without_cert->Do("GET", "/"), StatusIs(absl::StatusCode::kUnavailable));

  ClientOptions with_cert = anonymous;
  with_cert.cert_file = File("client.crt");
  with_cert.key_file = File("client.key");
  ASSERT_OK_AND_ASSIGN(auto client, Client::Create(url, with_cert));
  ASSERT_OK_AND_ASSIGN(ClientResponse response, client->Do("GET", "/"));
  EXPECT_EQ(response.status, 200);
}

TEST_F(TlsTest, UnreadableFilesAreInvalidArgument) {
  ClientOptions options;
  options.ca_file = File("missing.crt");
  EXPECT_THAT(Client::Create("https://127.0.0.1:1", options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ServerOptions server_options;
  server_options.tls.cert_file = File("server.crt");
  server_options.tls.key_file = File("client.key");  // does not match
  EXPECT_THAT(Server::Start(server_options, MakeAsync([](const Request&) { return Response{}; })),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::http
