// `domicile route` as a process in front of fake nodes (src/router/fake_node.h): it checks its
// configuration, needs the directory token, routes, serves the CLI through a /j/ prefix, and
// stops cleanly on SIGTERM.
#include <fstream>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/client.h"
#include "node_process.h"
#include "router/fake_node.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::testing {
namespace {

using router::testing::FakeNode;
using ::testing::HasSubstr;

constexpr char kTokenEnv[] = "ROUTE_CLI_TEST_TOKEN";

std::string WriteConfig(const TempDir& dir, const std::string& text) {
  const std::string path = (dir / "router.toml").string();
  std::ofstream(path) << text;
  return path;
}

std::string GoodConfig(const std::string& us_url, const std::string& sg_url) {
  return fmt::format(R"([router]
listen = "127.0.0.1:0"
directory_token_env = "{}"
health_interval = "100ms"

[[nodes]]
id = "us-1"
jurisdiction = "US"
url = "{}"

[[nodes]]
id = "sg-1"
jurisdiction = "SG"
url = "{}"
)",
                     kTokenEnv, us_url, sg_url);
}

TEST(RouteCliTest, ChecksTheConfiguration) {
  TempDir dir;
  const std::string bad = WriteConfig(dir, "[router]\nthreads = \"two\"\n[[nodes]]\nid = \"a\"\n");
  CommandResult r = RunCommand({"route", "--config", bad, "--check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(bad + ":2:11: 'threads' in [router] must be an integer"));
  EXPECT_THAT(r.err, HasSubstr(bad + ":3:1: [[nodes]] needs 'jurisdiction'"));
  const std::string good = WriteConfig(dir, GoodConfig("http://127.0.0.1:1", "http://127.0.0.1:2"));
  r = RunCommand({"route", "--config", good, "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (2 nodes)"));
}

TEST(RouteCliTest, RefusesToStartWithoutTokenOrOnAPublicAddress) {
  TempDir dir;
  const std::string config =
      WriteConfig(dir, GoodConfig("http://127.0.0.1:1", "http://127.0.0.1:2"));
  const std::string data = (dir / "data").string();
  CommandResult r = RunCommand({"route", "--config", config, "--data", data});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(fmt::format("set {}", kTokenEnv)));
  r = RunCommand({"route", "--config", config, "--data", data, "--listen", "0.0.0.0:0"}, "",
                 {{kTokenEnv, "t"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("non-loopback"));
}

TEST(RouteCliTest, RoutesUntilTerminated) {
  TempDir dir;
  FakeNode us1("us-1", "US");
  FakeNode sg1("sg-1", "SG");
  sg1.AddSubject("bob", "SG");
  const std::string config = WriteConfig(dir, GoodConfig(us1.url(), sg1.url()));
  ASSERT_OK_AND_ASSIGN(
      auto router,
      NodeProcess::Start({"route", "--config", config, "--data", (dir / "data").string()},
                         {{kTokenEnv, router::testing::kDirectoryToken}}));
  ASSERT_OK_AND_ASSIGN(auto client, http::Client::Create(router->url()));
  ASSERT_OK_AND_ASSIGN(http::ClientResponse r, client->Do("GET", "/v1/subjects/bob/records/k"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.GetHeader("Domicile-Routed-To"), "sg-1");

  // The CLI through a jurisdiction prefix.
  CommandResult list =
      RunCommand({"grant", "list", "--url", router->url() + "/j/US", "--token", "any"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  ASSERT_FALSE(us1.DataRequests().empty());
  EXPECT_EQ(us1.DataRequests().back().target, "/v1/grants");
  EXPECT_EQ(us1.DataRequests().back().GetHeader("Authorization"), "Bearer any");
  EXPECT_TRUE(sg1.DataRequests().size() == 1);

  EXPECT_EQ(router->Terminate(), 0) << router->Stderr();
  EXPECT_THAT(router->Stderr(), HasSubstr("stopped"));
}

}  // namespace
}  // namespace domicile::testing
