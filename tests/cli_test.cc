// The client subcommands against a running node, and the embedded default.
#include <fstream>

#include "e2e_fixture.h"
#include "gmock/gmock.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

class CliTest : public NodeTest {
 protected:
  CommandResult Run(std::vector<std::string> args, const std::string& token,
                    const std::string& input = "") {
    args.push_back("--url");
    args.push_back(node_->url());
    return RunCommand(args, input, {{"DOMICILE_TOKEN", token}});
  }
};

TEST_F(CliTest, ClientCommandsWorkAsAUserTypesThem) {
  CommandResult add = Run({"subject", "add", "u1", "--jurisdiction", "US"}, "svc-app-token");
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_THAT(add.out, HasSubstr("registered"));

  CommandResult put = Run({"put", "u1", "email", "u1@example.com"}, "svc-app-token");
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_THAT(put.out, HasSubstr("u1/email: version 1 at oci-us-tx"));
  CommandResult from_stdin =
      Run({"put", "u1", "bio", "--class", "public"}, "svc-app-token", "line one\nline two\n");
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;

  // bob has no standing access; he asks for a grant, alice and carol approve it with their
  // keys, and he reads under it.
  CommandResult no_grant = Run({"get", "u1", "email"}, "bob-token");
  EXPECT_EQ(no_grant.exit_code, 1);
  EXPECT_THAT(no_grant.err, HasSubstr("HTTP 403"));
  CommandResult asked = Run({"grant", "request", "--scope", "subject:u1", "--actions", "read,list",
                             "--purpose", "support", "--reason", "ticket 123", "--ttl", "1h"},
                            "bob-token");
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const std::string grant = asked.out.substr(0, asked.out.find('\n'));
  EXPECT_THAT(grant, ::testing::MatchesRegex("g-[0-9a-f]{16}"));
  EXPECT_THAT(asked.err, HasSubstr("pending"));
  const std::string keys = DOMICILE_SOURCE_DIR "/examples/texas/keys/";
  CommandResult self = Run({"grant", "approve", grant, "--key", keys + "alice.key"}, "bob-token");
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_THAT(self.err, HasSubstr("cannot approve it"));
  CommandResult forged =
      Run({"grant", "approve", grant, "--key", keys + "alice.key"}, "carol-token");
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_THAT(forged.err, HasSubstr("not signed by carol"));
  CommandResult one = Run({"grant", "approve", grant, "--key", keys + "alice.key"}, "alice-token");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("pending"));
  CommandResult two = Run({"grant", "approve", grant, "--key", keys + "carol.key"}, "carol-token");
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_THAT(two.out, HasSubstr("active"));
  CommandResult listed = Run({"grant", "list"}, "bob-token");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(grant + "  active"));
  CommandResult shown = Run({"grant", "show", grant}, "bob-token");
  EXPECT_THAT(shown.out, HasSubstr(R"("state": "active")"));

  CommandResult get = Run({"get", "u1", "email", "--grant", grant}, "bob-token");
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "u1@example.com");
  EXPECT_EQ(Run({"get", "u1", "bio"}, "li-token").out, "line one\nline two\n");

  CommandResult refused = Run({"get", "u1", "email"}, "li-token");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("denied"));
  EXPECT_THAT(refused.err, HasSubstr("HTTP 403"));
  EXPECT_EQ(refused.out, "");

  CommandResult residency = Run({"put", "u1", "x", "v", "--site", "own-sg"}, "svc-app-token");
  EXPECT_EQ(residency.exit_code, 1);
  EXPECT_THAT(residency.err, HasSubstr("residency_violation"));

  CommandResult ls = Run({"ls", "u1", "--grant", grant}, "bob-token");
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_THAT(ls.out, HasSubstr("email"));
  EXPECT_THAT(ls.out, HasSubstr("protected"));
  EXPECT_THAT(ls.out, HasSubstr("bio"));

  EXPECT_EQ(Run({"rm", "u1", "bio"}, "svc-app-token").exit_code, 0);
  EXPECT_EQ(Run({"get", "u1", "bio", "--grant", grant}, "bob-token").exit_code, 1);
  // Revoked: refused again.
  EXPECT_EQ(Run({"grant", "revoke", grant}, "bob-token").exit_code, 0);
  EXPECT_EQ(Run({"get", "u1", "email", "--grant", grant}, "bob-token").exit_code, 1);
  CommandResult keygen =
      RunCommand({"keygen", "--name", "dana", "--out", (dir_ / "dana.key").string()});
  EXPECT_EQ(keygen.exit_code, 0) << keygen.err;
  EXPECT_THAT(keygen.out, ::testing::MatchesRegex("approval_key = \"dana\\+[0-9a-f]{8}\\+.*\"\n"));
  EXPECT_EQ(
      RunCommand({"keygen", "--name", "dana", "--out", (dir_ / "dana.key").string()}).exit_code, 1)
      << "never overwrites a key";

  CommandResult no_token = RunCommand({"get", "u1", "email", "--url", node_->url()});
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_THAT(no_token.err, HasSubstr("DOMICILE_TOKEN"));
  CommandResult usage = RunCommand({"put"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST(EmbeddedDefault, ServesWithAPrintedDemoToken) {
  TempDir dir;
  auto node =
      NodeProcess::Start({"serve", "--listen", "127.0.0.1:0", "--data", (dir / "data").string()});
  ASSERT_TRUE(node.ok()) << node.status();
  // The token comes after the address line.
  std::string out;
  for (int i = 0; i < 500 && out.find("demo writer token") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    out = (*node)->Stdout();
  }
  size_t at = out.find("demo writer token");
  ASSERT_NE(at, std::string::npos) << out;
  size_t start = out.find("demo-", at + 17);
  std::string token = out.substr(start, out.find('\n', start) - start);
  auto client = http::Client::Create((*node)->url());
  ASSERT_TRUE(client.ok());
  std::vector<http::Header> auth = {{"Authorization", "Bearer " + token}};
  auto reg = (*client)->Do("POST", "/v1/subjects", auth, R"({"id":"u1","jurisdiction":"US"})");
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->status, 201);
  auto put = (*client)->Do("PUT", "/v1/subjects/u1/records/k?class=protected", auth, "hello");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->status, 201) << put->body;
  EXPECT_THAT(put->body, HasSubstr("local-us"));
  auto get = (*client)->Do("GET", "/v1/subjects/u1/records/k", auth);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->body, "hello");
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "master.key"));
  EXPECT_EQ((*node)->Terminate(), 0);
}

TEST(NonLoopback, RefusedWithoutTlsUnlessInsecure) {
  TempDir dir;
  CommandResult refused = RunCommand({"serve", "--config", ExampleConfig(), "--listen", "0.0.0.0:0",
                                      "--data", (dir / "data").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("without TLS"));
  auto node = NodeProcess::Start({"serve", "--config", ExampleConfig(), "--listen", "0.0.0.0:0",
                                  "--data", (dir / "data").string(), "--insecure"});
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ((*node)->Terminate(), 0);
  EXPECT_THAT((*node)->Stderr(), HasSubstr("--insecure"));
}

}  // namespace
}  // namespace domicile::testing

namespace domicile::testing {
namespace {

TEST(PolicyCli, CheckAuthorizeAndPush) {
  TempDir dir;
  const std::string texas = DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar";
  CommandResult ok = RunCommand({"policy", "check", texas, "--config", ExampleConfig()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, ::testing::HasSubstr("the lint passed"));

  std::string admin = (dir / "admin.cedar").string();
  std::ofstream(admin) << "@id(\"master-admin\")\npermit (principal, action, resource) when { "
                          "principal.roles.contains(\"admin\") };\n";
  CommandResult refused =
      RunCommand({"policy", "check", texas, admin, "--config", ExampleConfig()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, ::testing::HasSubstr("permitted by master-admin"));

  std::string bad = (dir / "bad.cedar").string();
  std::ofstream(bad) << "permit (principal is Usr, action == Action::\"reed\", resource);\n";
  CommandResult model = RunCommand({"policy", "check", bad});
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_THAT(model.err,
              ::testing::HasSubstr(bad + ":1:1: policy 'policy0': principal type 'Usr'"));
  EXPECT_THAT(model.err, ::testing::HasSubstr("Action::\"reed\" is not declared"));

  std::string entities = (dir / "entities.json").string();
  std::ofstream(entities)
      << R"([{"uid":{"type":"User","id":"li"},"attrs":{"entity":"parent","location":"CN",)"
      << R"("roles":["admin"],"team":""},"parents":[]},)"
      << R"({"uid":{"type":"Record","id":"u1/email"},"attrs":{"jurisdiction":"US",)"
      << R"("class":"protected","site":"oci-us-tx","subject":"u1","key":"email"},"parents":[]}])";
  CommandResult deny = RunCommand({"policy", "authorize", "--policies", texas, "--entities",
                                   entities, "--principal", "User::\"li\"", "--action",
                                   "Action::\"read\"", "--resource", "Record::\"u1/email\""});
  EXPECT_EQ(deny.exit_code, 0) << deny.err;
  EXPECT_EQ(deny.out.substr(0, deny.out.find('\n')), "DENY");
  EXPECT_THAT(deny.out, ::testing::HasSubstr("no-parent-on-protected"));
  CommandResult bad_uid =
      RunCommand({"policy", "authorize", "--policies", texas, "--principal", "li", "--action",
                  "Action::\"read\"", "--resource", "Record::\"u1/email\""});
  EXPECT_EQ(bad_uid.exit_code, 2);
  EXPECT_THAT(bad_uid.err, ::testing::HasSubstr("--principal"));
}

}  // namespace
}  // namespace domicile::testing
