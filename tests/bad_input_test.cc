// Every class of malformed input gets a clear error and changes nothing: paths, queries,
// headers, bodies, methods, raw HTTP, configuration files.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "e2e_fixture.h"
#include "gmock/gmock.h"
#include "util/file.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public NodeTest {
 protected:
  void SetUp() override {
    // The example deployment with a small body limit.
    std::string t = ExampleConfigText();
    size_t at = t.find("max_body_bytes = 1048576");
    ASSERT_NE(at, std::string::npos);
    t.replace(at, std::string("max_body_bytes = 1048576").size(), "max_body_bytes = 4096");
    config_ = (dir_ / "domicile.toml").string();
    ASSERT_TRUE(WriteFileAtomically(config_, AsBytes(t)).ok());
    ASSERT_NO_FATAL_FAILURE(StartNode());
    ASSERT_EQ(
        Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})").status,
        201);
    ASSERT_EQ(
        Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?class=protected", "v1").status,
        201);
  }

  // The state a bad request must leave unchanged.
  std::string State() {
    return Call("svc-app-token", "GET", "/v1/subjects/u1/records").body + "|" +
           Call("svc-app-token", "GET", "/v1/subjects/u1/records/k").body + "|" +
           Call("bob-token", "GET", "/v1/grants").body;
  }

  void ExpectError(const http::ClientResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(ErrorCode(r), code) << r.body;
    EXPECT_THAT(r.body, HasSubstr(R"("message":")"));
    EXPECT_EQ(r.GetHeader("Content-Type"), "application/json");
  }

  // Sends raw bytes over TCP and returns what comes back until the server closes.
  std::string Raw(const std::string& bytes) {
    std::string url = node_->url();
    int port = std::stoi(url.substr(url.rfind(':') + 1));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, size_t(n));
    close(fd);
    return got;
  }
};

TEST_F(BadInputTest, Paths) {
  std::string before = State();
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/a%2Fb?class=public", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/%zz?class=public", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k%00?class=public", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects//records/k?class=public", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k/?class=public", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/..?class=public", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "GET", "/v2/anything"), 404, "not_found");
  ExpectError(Call("svc-app-token", "GET", "/v1/subjects/u1/files/k"), 404, "not_found");
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, Queries) {
  std::string before = State();
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?class=secret", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?klass=public", "x"), 400,
              "invalid_argument");
  ExpectError(
      Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?class=public&class=protected", "x"),
      400, "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?site=%G1", "x"), 400,
              "invalid_argument");
  ExpectError(Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?site=mars", "x"), 400,
              "invalid_argument");
  ExpectError(Call("bob-token", "GET", "/v1/subjects/u1/records/k?x=1"), 400, "invalid_argument");
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, Headers) {
  std::string before = State();
  ExpectError(Call("", "GET", "/v1/subjects/u1/records/k", "", {{"Authorization", "Basic Ym9i"}}),
              401, "unauthenticated");
  ExpectError(Call("", "GET", "/v1/subjects/u1/records/k", "", {{"Authorization", "Bearer"}}), 401,
              "unauthenticated");
  ExpectError(Call("bob-token", "GET", "/v1/subjects/u1/records/k", "",
                   {{"Domicile-Purpose", std::string(300, 'p')}}),
              400, "invalid_argument");
  for (const std::string& grant : {std::string(), std::string(65, 'g'), std::string("G-1"),
                                   std::string("g 1"), std::string("g-1/../x")}) {
    ExpectError(
        Call("bob-token", "GET", "/v1/subjects/u1/records/k", "", {{"Domicile-Grant", grant}}), 400,
        "invalid_argument");
  }
  auto huge = Call("bob-token", "GET", "/v1/subjects/u1/records/k", "",
                   {{"X-Filler", std::string(20 * 1024, 'f')}});
  EXPECT_EQ(huge.status, 431) << huge.body;
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, Bodies) {
  std::string before = State();
  for (const char* body :
       {"", "not json", "[]", R"({"id":"u2"})", R"({"id":5,"jurisdiction":"US"})",
        R"({"id":"u2","jurisdiction":"US","extra":1})", R"({"id":"u2","jurisdiction":"usa"})",
        R"({"id":"a/b","jurisdiction":"US"})"}) {
    ExpectError(Call("svc-app-token", "POST", "/v1/subjects", body), 400, "invalid_argument");
  }
  auto big = Call("svc-app-token", "PUT", "/v1/subjects/u1/records/k?class=protected",
                  std::string(4097, 'x'));
  ExpectError(big, 413, "too_large");
  EXPECT_EQ(Call("bob-token", "GET", "/v1/subjects/u2/records").status, 404);
  // Grant requests: each bad field named, nothing created.
  for (
      const char* body :
      {"", "[]", R"({"scope":"subject:u1"})",
       R"({"scope":"u1","actions":["read"],"purpose":"p","reason":"r","ttl":"1h"})",
       R"({"scope":"subject:u1","actions":["write"],"purpose":"p","reason":"r","ttl":"1h"})",
       R"({"scope":"subject:u1","actions":["read"],"purpose":"","reason":"r","ttl":"1h"})",
       R"({"scope":"subject:u1","actions":["read"],"purpose":"p","reason":"r","ttl":"9h"})",
       R"({"scope":"subject:u1","actions":["read"],"purpose":"p","reason":"r","ttl":"1d"})",
       R"({"scope":"subject:u1","actions":["read"],"purpose":"p","reason":"r","ttl":"1h","x":1})"}) {
    ExpectError(Call("bob-token", "POST", "/v1/grants", body), 400, "invalid_argument");
  }
  EXPECT_EQ(
      Call("bob-token", "POST", "/v1/grants",
           R"({"scope":"subject:nobody","actions":["read"],"purpose":"p","reason":"r","ttl":"1h"})")
          .status,
      404);
  ExpectError(Call("alice-token", "POST", "/v1/grants/g-0000000000000000/approvals", "x"), 404,
              "not_found");
  ExpectError(Call("bob-token", "PUT", "/v1/grants"), 405, "method_not_allowed");
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, Methods) {
  std::string before = State();
  ExpectError(Call("svc-app-token", "POST", "/v1/subjects/u1/records/k", "x"), 405,
              "method_not_allowed");
  ExpectError(Call("svc-app-token", "GET", "/v1/subjects"), 405, "method_not_allowed");
  ExpectError(Call("svc-app-token", "DELETE", "/v1/subjects/u1/records"), 405,
              "method_not_allowed");
  EXPECT_EQ(State(), before);
}

TEST_F(BadInputTest, RawMalformedHttp) {
  std::string before = State();
  std::string got = Raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_THAT(got, HasSubstr("400"));
  EXPECT_THAT(got, HasSubstr("invalid_argument"));
  got = Raw("PUT /v1/subjects/u1/records/k HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
  EXPECT_THAT(got, HasSubstr("400"));
  EXPECT_EQ(State(), before);
}

TEST(ConfigFiles, CheckConfigNamesFileAndLine) {
  TempDir dir;
  std::string path = (dir / "bad.toml").string();
  std::ofstream(path) << "[node]\nlisten = \"127.0.0.1:8700\"\nthreads = \"many\"\n";
  CommandResult r = RunCommand({"check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(path + ":3:"));
  EXPECT_THAT(r.err, HasSubstr("'threads'"));
  // serve refuses the same file and starts nothing.
  CommandResult s = RunCommand({"serve", "--config", path, "--data", (dir / "d").string()});
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_THAT(s.err, HasSubstr(path + ":3:"));
  EXPECT_FALSE(std::filesystem::exists(dir / "d"));
  CommandResult ok = RunCommand({"check-config", ExampleConfig()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("ok (4 sites, 7 principals, 15 policies)"));
}

}  // namespace
}  // namespace domicile::testing
