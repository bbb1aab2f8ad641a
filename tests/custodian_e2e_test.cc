// The key custodian as its own process, with its keys on a SoftHSM2 token: a node that holds no
// KEK at all asks it for every data key over HTTP; the custodian releases them under its own
// rules, logs every decision in its own log, cosigns the node's checkpoints as a witness, and
// when it is down the node's reads and first writes fail closed with 503.
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "crypto/sha256.h"
#include "custodian/justification_json.h"
#include "e2e_fixture.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "keys/softhsm_token.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::testing {
namespace {

constexpr char kNodeToken[] = "us-node-token-for-the-custodian";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// "key: value" from a command's output.
std::string Field(const std::string& out, const std::string& name) {
  size_t at = out.find(name + ": ");
  if (at == std::string::npos) return "";
  size_t end = out.find('\n', at);
  return out.substr(at + name.size() + 2, end - at - name.size() - 2);
}

class CustodianProcessTest : public NodeTest {
 protected:
  void SetUp() override {
    absl::StatusOr<keys::SoftHsmToken> token = keys::OpenSoftHsmToken(dir_ / "hsm", "custodian");
    if (absl::IsUnavailable(token.status())) GTEST_SKIP() << token.status();
    ASSERT_TRUE(token.ok()) << token.status();
    custodian_env_ = {{"SOFTHSM2_CONF", (dir_ / "hsm" / "softhsm2.conf").string()},
                      {"CUSTODIAN_PIN", token->user_pin}};

    // The node's log key, made before the node first starts, so the custodian can trust it.
    const std::string text = ExampleConfigText();
    WriteFile(dir_ / "node-plain.toml", text);
    std::filesystem::create_directories(dir_ / "data");
    CommandResult log_key =
        RunCommand({"log", "key", "--config", (dir_ / "node-plain.toml").string(), "--data",
                    (dir_ / "data").string()});
    ASSERT_EQ(log_key.exit_code, 0) << log_key.err;
    node_log_key_ = Trim(log_key.out);

    // The custodian: the example's principals are its directory and approvers.
    const std::string principals = text.substr(text.find("[[principals]]"));
    const std::string token_hash = HexEncode(crypto::Sha256(AsBytes(kNodeToken)));
    custodian_config_ = (dir_ / "custodian.toml").string();
    WriteFile(custodian_config_, fmt::format(R"([node]
name = "custodian-us"
listen = "127.0.0.1:0"
data_dir = "{}"

[keys]
provider = "pkcs11"
module = "{}"
token_label = "custodian"
pin_env = "CUSTODIAN_PIN"

[grants]
quorum = 2

[custodian]
node_tokens_sha256 = ["{}"]
witness_for = ["{}"]

{})",
                                             (dir_ / "custodian").string(), keys::kSoftHsmModule,
                                             token_hash, node_log_key_, principals));
    CommandResult keys = RunCommand({"custodian", "--config", custodian_config_, "--print-keys"},
                                    "", custodian_env_);
    ASSERT_EQ(keys.exit_code, 0) << keys.err;
    witness_key_ = Field(keys.out, "witness key");
    custodian_log_key_ = Field(keys.out, "log key");
    ASSERT_FALSE(witness_key_.empty()) << keys.out;
    ASSERT_NO_FATAL_FAILURE(StartCustodian());

    config_ = (dir_ / "node.toml").string();
    WriteFile(config_, text + fmt::format(R"(
[custodian]
url = "{}"
token_env = "NODE_CUSTODIAN_TOKEN"
witness_key = "{}"
)",
                                          custodian_->url(), witness_key_));
    ASSERT_NO_FATAL_FAILURE(StartNodeWithToken(kNodeToken));
  }

  void StartCustodian() {
    auto c = NodeProcess::Start({"custodian", "--config", custodian_config_}, custodian_env_);
    ASSERT_TRUE(c.ok()) << c.status();
    custodian_ = std::move(*c);
  }

  void StartNodeWithToken(const std::string& token) {
    auto node = NodeProcess::Start({"serve", "--config", config_, "--listen", "127.0.0.1:0",
                                    "--data", (dir_ / "data").string()},
                                   {{"NODE_CUSTODIAN_TOKEN", token}});
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
  }

  static void WriteFile(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  void Write(const std::string& subject, const std::string& key, const std::string& value) {
    auto reg = Call("svc-app-token", "POST", "/v1/subjects",
                    nlohmann::json{{"id", subject}, {"jurisdiction", "US"}}.dump());
    ASSERT_TRUE(reg.status == 201 || reg.status == 200) << reg.body;
    auto put = Call("svc-app-token", "PUT",
                    "/v1/subjects/" + subject + "/records/" + key + "?class=protected", value);
    ASSERT_EQ(put.status, 201) << put.body;
  }

  // The custodian's own log, entry by entry.
  std::vector<nlohmann::json> CustodianEvents() {
    std::vector<nlohmann::json> out;
    auto client = http::Client::Create(custodian_->url());
    for (int i = 0;; ++i) {
      auto r = (*client)->Do("GET", "/v1/log/entries/" + std::to_string(i));
      if (!r.ok() || r->status != 200) break;
      out.push_back(nlohmann::json::parse(r->body));
    }
    return out;
  }

  std::map<std::string, std::string> custodian_env_;
  std::string custodian_config_, node_log_key_, witness_key_, custodian_log_key_;
  std::unique_ptr<NodeProcess> custodian_;
};

TEST_F(CustodianProcessTest, ReleasesKeysOnlyUnderItsRulesAndLogsEveryDecision) {
  ASSERT_NO_FATAL_FAILURE(Write("u1", "email", "bob@example.com"));
  // bob without a grant: the node's policy refuses; the custodian is not even asked.
  EXPECT_EQ(Call("bob-token", "GET", "/v1/subjects/u1/records/email").status, 403);
  const std::string grant = ActiveGrant("bob-token", "subject:u1");
  auto read = Call("bob-token", "GET", "/v1/subjects/u1/records/email", "", Under(grant));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.body, "bob@example.com");

  bool released_to_bob = false;
  for (const nlohmann::json& e : CustodianEvents()) {
    if (e["kind"] != "custodian" || e["principal"]["id"] != "bob") continue;
    EXPECT_EQ(e["decision"], "allow");
    EXPECT_EQ(e["grant"]["id"], grant);
    EXPECT_EQ(e["grant"]["approvers"], nlohmann::json::array({"alice", "carol"}));
    EXPECT_EQ(e["node_log_index"].get<uint64_t>(),
              std::stoull(std::string(*read.GetHeader("Domicile-Log-Index"))));
    released_to_bob = true;
  }
  EXPECT_TRUE(released_to_bob);
  // Its log opens with its own start, naming its configuration.
  const std::vector<nlohmann::json> events = CustodianEvents();
  bool started = false;
  for (const nlohmann::json& e : events) {
    if (e["kind"] == "node" && e["operation"] == "start" && e["node"] == "custodian-us") {
      EXPECT_EQ(e["config_sha256"].get<std::string>().size(), 64u);
      started = true;
    }
  }
  EXPECT_TRUE(started);

  // The custodian answers no one without a node token.
  auto client = http::Client::Create(custodian_->url());
  auto anonymous = (*client)->Do("POST", "/v1/custodian/unwrap", {}, "{}");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 401);
}

TEST_F(CustodianProcessTest, BadRequestsGetAClearErrorAndReleaseNothing) {
  auto client = http::Client::Create(custodian_->url());
  const std::vector<http::Header> auth = {{"Authorization", std::string("Bearer ") + kNodeToken}};
  struct Case {
    std::string method, path, body;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/custodian/unwrap", "not json", 400, "JSON object"},
      {"POST", "/v1/custodian/unwrap", R"({"justification":{}})", 400, "'principal'"},
      {"POST", "/v1/custodian/data-keys", R"({"kek":"site/oci-us-tx/US"})", 400,
       "justification: must be an object"},
      {"POST", "/v1/custodian/keks", R"({"kek":7})", 400, "'kek'"},
      {"POST", "/v1/custodian/revocations", R"({"grant":""})", 400, "'grant'"},
      {"GET", "/v1/custodian/unwrap", "", 405, "method_not_allowed"},
      {"POST", "/v1/custodian/nothing", "{}", 404, "no such resource"},
  };
  for (const Case& c : cases) {
    auto r = (*client)->Do(c.method, c.path, auth, c.body);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, c.status) << c.path << " " << c.body << ": " << r->body;
    EXPECT_NE(r->body.find(c.says), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("data_key"), std::string::npos) << r->body;
  }
}

// The custodian keeps revocations itself: after `revoke`, a node that still presented the grant
// as active — a compromised one — gets nothing.
TEST_F(CustodianProcessTest, RefusesARevokedGrantToANodeThatIgnoresTheRevocation) {
  ASSERT_NO_FATAL_FAILURE(Write("u1", "email", "x"));
  const std::string id = ActiveGrant("bob-token", "subject:u1");
  auto shown = Call("bob-token", "GET", "/v1/grants/" + id);
  ASSERT_OK_AND_ASSIGN(access::Grant grant,
                       access::GrantFromJson(nlohmann::json::parse(shown.body)));
  vault::Justification why;
  why.principal.id = "bob";
  why.principal.type = vault::PrincipalType::kUser;
  why.principal.entity = "usds";
  why.principal.location = "US";
  why.principal.roles = {"engineer"};
  why.principal.team = "feed";
  why.subject = "u1";
  why.key = "email";
  why.jurisdiction = "US";
  why.site = "oci-us-tx";
  why.log_index = 1;
  why.grant = grant.Facts();
  // Wrapped bytes that are no data key: the rules pass, then the unwrap itself fails.
  const nlohmann::json body = {
      {"justification", custodian::JustificationToJson(why)},
      {"wrapped",
       {{"kek", "site/oci-us-tx/US"}, {"wrapped", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}};
  auto client = http::Client::Create(custodian_->url());
  const std::vector<http::Header> auth = {{"Authorization", std::string("Bearer ") + kNodeToken}};
  auto before = (*client)->Do("POST", "/v1/custodian/unwrap", auth, body.dump());
  ASSERT_TRUE(before.ok());
  EXPECT_NE(before->status, 403) << before->body;  // the rules let it through

  ASSERT_EQ(Call("bob-token", "POST", "/v1/grants/" + id + "/revoke").status, 200);
  auto after = (*client)->Do("POST", "/v1/custodian/unwrap", auth, body.dump());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 403) << after->body;
  EXPECT_NE(after->body.find("custodian_refused"), std::string::npos) << after->body;
  EXPECT_NE(after->body.find("revoked"), std::string::npos) << after->body;

  // And a made-up approval gets nothing either.
  vault::GrantFacts forged = *why.grant;
  forged.id = "g-00000000000000ff";
  forged.signed_approvals[1].signed_note = forged.signed_approvals[0].signed_note;
  forged.signed_approvals[1].approver = "carol";
  why.grant = std::make_shared<vault::GrantFacts>(forged);
  nlohmann::json forged_body = body;
  forged_body["justification"] = custodian::JustificationToJson(why);
  auto refused = (*client)->Do("POST", "/v1/custodian/unwrap", auth, forged_body.dump());
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 403) << refused->body;
}

TEST_F(CustodianProcessTest, CosignsTheNodesCheckpointsAsAWitness) {
  ASSERT_NO_FATAL_FAILURE(Write("u1", "email", "x"));
  // Checkpoints come at most every second; wait for one that includes the write, cosigned.
  CommandResult verified;
  for (int attempt = 0; attempt < 50; ++attempt) {
    verified = RunCommand({"audit", "verify", "--url", node_->url(), "--key", node_log_key_,
                           "--witness", witness_key_});
    if (verified.exit_code == 0 && verified.out.find("cosigned by") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("cosigned by domicile/custodian-us/witness"), std::string::npos)
      << verified.out;
  // And its own log verifies with its own key.
  CommandResult own =
      RunCommand({"audit", "verify", "--url", custodian_->url(), "--key", custodian_log_key_});
  EXPECT_EQ(own.exit_code, 0) << own.out << own.err;
}

TEST_F(CustodianProcessTest, ReadsAndFirstWritesFailClosedWhileItIsDown) {
  ASSERT_NO_FATAL_FAILURE(Write("u1", "email", "one"));
  ASSERT_NO_FATAL_FAILURE(Write("u2", "email", "two"));
  ASSERT_EQ(Call("svc-app-token", "GET", "/v1/subjects/u1/records/email").status, 200);
  custodian_->Kill();
  // u2's key was never released to this node: without the custodian there is no way to it.
  auto read = Call("svc-app-token", "GET", "/v1/subjects/u2/records/email");
  EXPECT_EQ(read.status, 503) << read.body;
  EXPECT_EQ(ErrorCode(read), "unavailable");
  EXPECT_EQ(read.body.find("two"), std::string::npos);
  auto reg = Call("svc-app-token", "POST", "/v1/subjects",
                  nlohmann::json{{"id", "u3"}, {"jurisdiction", "US"}}.dump());
  ASSERT_EQ(reg.status, 201) << reg.body;
  auto put = Call("svc-app-token", "PUT", "/v1/subjects/u3/records/k?class=protected", "v");
  EXPECT_EQ(put.status, 503) << put.body;
  // Back up: everything works again.
  ASSERT_NO_FATAL_FAILURE(StartCustodian());
  // The node was configured with the old port; restart it pointing at the new one.
  node_->Terminate();
  const std::string text = ExampleConfigText();
  WriteFile(config_, text + fmt::format("\n[custodian]\nurl = \"{}\"\ntoken_env = "
                                        "\"NODE_CUSTODIAN_TOKEN\"\nwitness_key = \"{}\"\n",
                                        custodian_->url(), witness_key_));
  ASSERT_NO_FATAL_FAILURE(StartNodeWithToken(kNodeToken));
  auto again = Call("svc-app-token", "GET", "/v1/subjects/u2/records/email");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body, "two");
}

TEST_F(CustodianProcessTest, ANodeWithAWrongTokenDoesNotStart) {
  node_->Terminate();
  auto node = NodeProcess::Start(
      {"serve", "--config", config_, "--listen", "127.0.0.1:0", "--data", (dir_ / "data").string()},
      {{"NODE_CUSTODIAN_TOKEN", "not-the-token"}});
  ASSERT_FALSE(node.ok());
  EXPECT_NE(std::string(node.status().message()).find("key custodian"), std::string::npos)
      << node.status();
}

TEST_F(CustodianProcessTest, AShredDestroysTheLegacyKeksOnTheCustodiansToken) {
  // Legacy data in own-sg, migrated home: each key through the custodian on its token.
  std::string dump;
  for (int i = 0; i < 12; ++i) {
    dump += nlohmann::json({{"subject", fmt::format("us{}", i % 4)},
                            {"key", fmt::format("k{}", i)},
                            {"class", "protected"},
                            {"value_b64", Base64Encode(AsBytes(fmt::format("value {}", i)))}})
                .dump() +
            "\n";
  }
  ASSERT_EQ(
      Call("ops-token", "POST", "/v1/import?site=own-sg&jurisdiction=US&import=t1", dump).status,
      200);
  // Runs an operation to its end and returns its final state.
  auto run = [&](const std::string& path, const nlohmann::json& body) {
    http::ClientResponse started = Call("ops-token", "POST", path, body.dump());
    EXPECT_EQ(started.status, 202) << started.body;
    nlohmann::json state = nlohmann::json::parse(started.body, nullptr, false);
    while (state.is_object() && (state["state"] == "running" || state["state"] == "stopping")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      state = nlohmann::json::parse(
          Call("ops-token", "GET", "/v1/operations/" + state["id"].get<std::string>()).body,
          nullptr, false);
    }
    return state;
  };
  nlohmann::json migrated = run("/v1/migrations", {{"from", "own-sg"}, {"to", "oci-us-tx"}});
  ASSERT_EQ(migrated["state"], "succeeded") << migrated.dump();
  EXPECT_EQ(migrated["result"]["verified"], true);
  nlohmann::json shredded = run("/v1/shreds", {{"site", "own-sg"}});
  ASSERT_EQ(shredded["state"], "succeeded") << shredded.dump();

  // The custodian destroyed both KEKs (C_DestroyObject on its token) and logged it.
  std::set<std::string> destroyed;
  for (const nlohmann::json& e : CustodianEvents()) {
    if (e.value("operation", "") == "destroy_kek" && e.value("decision", "") == "allow") {
      destroyed.insert(e["kek"].get<std::string>());
    }
  }
  EXPECT_EQ(destroyed, (std::set<std::string>{"site/own-sg/US", "site/own-sg/US/public"}));
  // It never makes them again: nothing more goes into own-sg, and the live copies still read.
  http::ClientResponse again =
      Call("ops-token", "POST", "/v1/import?site=own-sg&jurisdiction=US&import=t2", dump);
  EXPECT_NE(again.status, 200);
  EXPECT_THAT(again.body, ::testing::HasSubstr("destroyed"));
  EXPECT_EQ(Call("svc-app-token", "GET", "/v1/subjects/us1/records/k5").body, "value 5");
}

}  // namespace
}  // namespace domicile::testing
