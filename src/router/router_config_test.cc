#include "router/router_config.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::router {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGood[] = R"([router]
listen = "127.0.0.1:8440"
data_dir = "router-data"
threads = 2
health_interval = "250ms"
directory_token_env = "ROUTER_TOKEN"

[[nodes]]
id = "us-1"
jurisdiction = "US"
url = "http://127.0.0.2:8701"

[[nodes]]
id = "sg-1"
jurisdiction = "SG"
url = "https://sg.example:8443"
)";

std::vector<std::string> Problems(std::string_view text) {
  std::vector<std::string> out;
  for (const RouterConfigProblem& p : ParseRouterConfig(text, "router.toml").problems) {
    out.push_back(p.ToString());
  }
  return out;
}

TEST(RouterConfigTest, ParsesAGoodConfiguration) {
  ParsedRouterConfig parsed = ParseRouterConfig(kGood, "router.toml");
  ASSERT_THAT(parsed.problems, ::testing::IsEmpty());
  const RouterConfig& c = parsed.config;
  EXPECT_EQ(c.listen, "127.0.0.1:8440");
  EXPECT_EQ(c.data_dir, "router-data");
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.health_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.directory_token_env, "ROUTER_TOKEN");
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[0].id, "us-1");
  EXPECT_EQ(c.nodes[0].jurisdiction, "US");
  EXPECT_EQ(c.nodes[0].url, "http://127.0.0.2:8701");
  EXPECT_EQ(c.nodes[1].url, "https://sg.example:8443");
}

TEST(RouterConfigTest, DefaultsWithOnlyNodes) {
  ParsedRouterConfig parsed = ParseRouterConfig(
      "[[nodes]]\nid = \"a\"\njurisdiction = \"US\"\nurl = \"http://h:1\"\n", "f");
  ASSERT_THAT(parsed.problems, ::testing::IsEmpty());
  EXPECT_EQ(parsed.config.listen, "127.0.0.1:8440");
  EXPECT_EQ(parsed.config.directory_token_env, "DOMICILE_ROUTER_TOKEN");
  EXPECT_EQ(parsed.config.health_interval, std::chrono::seconds(1));
}

TEST(RouterConfigTest, ReportsEveryProblemWithItsLineAndColumn) {
  constexpr char kBad[] = R"([router]
listen = "nowhere"
health_interval = "soon"
colour = "blue"

[[nodes]]
id = "us-1"
jurisdiction = "us"
url = "ftp://127.0.0.2:8701"

[[nodes]]
id = "us-1"
jurisdiction = "US"
url = "http://127.0.0.3:8701"

[[nodes]]
id = "bad id"
url = "http://127.0.0.4:8701"
)";
  EXPECT_THAT(
      Problems(kBad),
      ElementsAre(HasSubstr("router.toml:4:10: unknown key 'colour' in [router]"),
                  HasSubstr("router.toml:2:10: listen address 'nowhere' must be HOST:PORT"),
                  HasSubstr("router.toml:3:19: 'health_interval' in [router]"),
                  HasSubstr("router.toml:8:16: jurisdiction 'us' must be two upper-case letters"),
                  HasSubstr("router.toml:9:7: URL 'ftp://127.0.0.2:8701' is not http:// or"),
                  HasSubstr("router.toml:12:6: node id 'us-1' is used twice"),
                  HasSubstr("router.toml:17:6: node id 'bad id' must be 1..64 of"),
                  HasSubstr("router.toml:16:1: [[nodes]] needs 'jurisdiction'")));
}

TEST(RouterConfigTest, NeedsAtLeastOneNode) {
  EXPECT_THAT(Problems("[router]\nthreads = 1\n"),
              ElementsAre("router.toml: at least one [[nodes]] is needed"));
  EXPECT_THAT(Problems("nodes = []\n"),
              ElementsAre(HasSubstr("router.toml:1:9: 'nodes' must be an array of tables")));
}

TEST(RouterConfigTest, ReportsTomlSyntaxErrorsWithTheirPlace) {
  EXPECT_THAT(Problems("[router\nlisten = 1\n"), ElementsAre(HasSubstr("router.toml:1:")));
}

TEST(RouterConfigTest, RejectsOutOfRangeValues) {
  constexpr char kBad[] = R"([router]
threads = -1
health_interval = "1ms"
max_connections_per_node = 0
directory_token_env = "NOT A NAME"
[[nodes]]
id = "a"
jurisdiction = "USA"
url = "http://h/path"
)";
  EXPECT_THAT(Problems(kBad),
              ElementsAre(HasSubstr("2:11: 'threads' in [router] must be between 0 and 256"),
                          HasSubstr("4:28: 'max_connections_per_node'"),
                          HasSubstr("3:19: 'health_interval' in [router] must be between"),
                          HasSubstr("5:23: 'directory_token_env' must name"),
                          HasSubstr("8:16: jurisdiction 'USA'"), HasSubstr("9:7: URL")));
}

TEST(RouterConfigTest, LoadNamesTheFile) {
  testing::TempDir dir;
  EXPECT_THAT(LoadRouterConfig(dir / "missing.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
  const auto path = dir / "router.toml";
  std::ofstream(path) << "[[nodes]]\nid = \"a\"\njurisdiction = \"US\"\n";
  EXPECT_THAT(LoadRouterConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(path.string() + ":1:1: [[nodes]] needs 'url'")));
  std::ofstream(path) << kGood;
  ASSERT_OK_AND_ASSIGN(RouterConfig c, LoadRouterConfig(path));
  EXPECT_EQ(c.nodes.size(), 2u);
}

TEST(RouterConfigTest, SplitsListenAddresses) {
  std::string host;
  uint16_t port = 0;
  ASSERT_OK(SplitListenAddress("[::1]:8440", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8440);
  EXPECT_THAT(SplitListenAddress("::1:8440", host, port),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitListenAddress("h:70000", host, port),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::router
