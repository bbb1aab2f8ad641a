#include "cli/config.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/file.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kHash[] = "4e7b8e5e5bbf8dc8a4de03bbb1f5ab08c2fb18e0e6f0c0ee77e3ff6b4ac3e8a1";

std::string Minimal(std::string extra = "") {
  return std::string(R"([[sites]]
id = "us-1"
jurisdiction = "US"
operator = "oracle"
role = "primary"

[residency.US]
primary = ["us-1"]

[[principals]]
id = "svc"
type = "Service"
entity = "usds"
location = "US"
roles = ["writer"]
token_sha256 = ")") +
         kHash + "\"\n" + extra;
}

// The problem messages, as "line: message".
std::vector<std::string> Problems(const std::string& text) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : ParseConfig(text, "t.toml").problems) {
    out.push_back(std::to_string(p.line) + ": " + p.message);
  }
  return out;
}

TEST(Config, ExampleDeploymentIsValid) {
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(DOMICILE_SOURCE_DIR "/examples/texas/domicile.toml"));
  EXPECT_EQ(c.sites.size(), 4u);
  EXPECT_EQ(c.principals.size(), 7u);
  EXPECT_TRUE(c.residency.MayHoldPrimary("oci-us-tx", "US"));
  EXPECT_FALSE(c.residency.MayHoldPrimary("own-sg", "US"));
  EXPECT_TRUE(c.residency.MayHoldBackup("oci-us-backup", "US"));
  EXPECT_TRUE(c.residency.MayHoldBackup("us-archive", "US"));
  EXPECT_FALSE(c.residency.MayHoldBackup("sg-archive", "US"));
  ASSERT_EQ(c.backup_dirs.size(), 2u);
  EXPECT_EQ(c.backup_dirs[1].jurisdiction, "SG");
  EXPECT_EQ(c.sites[3].site.legacy_of, std::vector<std::string>{"US"});
}

TEST(Config, LegacySitesAndBackupDirectoriesAreChecked) {
  std::string text = Minimal(R"(
[[sites]]
id = "old"
jurisdiction = "SG"
operator = "self"
role = "legacy"
legacy_of = ["US", "usa"]

[[sites]]
id = "bk"
jurisdiction = "US"
operator = "oracle"
role = "backup"
legacy_of = ["US"]

[[backup_dirs]]
id = "us-1"
path = ""
jurisdiction = "United States"

[[backup_dirs]]
id = "arch"
path = "/tmp/arch"
jurisdiction = "US"
color = "blue"
)");
  std::vector<std::string> p = Problems(text);
  auto has = [&](std::string_view what) {
    return std::any_of(p.begin(), p.end(),
                       [&](const std::string& m) { return m.find(what) != std::string::npos; });
  };
  // "usa" in legacy_of, "United States" in [[backup_dirs]].
  EXPECT_EQ(std::count_if(p.begin(), p.end(),
                          [](const std::string& m) {
                            return m.find("ISO 3166-1 alpha-2") != std::string::npos;
                          }),
            2)
      << ::testing::PrintToString(p);
  EXPECT_TRUE(has("'legacy_of' is for sites whose role is \"legacy\""))
      << ::testing::PrintToString(p);
  EXPECT_TRUE(has("'us-1' already names a site")) << ::testing::PrintToString(p);
  EXPECT_TRUE(has("'path' must not be empty")) << ::testing::PrintToString(p);
  EXPECT_TRUE(has("color")) << ::testing::PrintToString(p);
  // A backup directory may be named in [residency] backup, never as a primary.
  ParsedConfig ok = ParseConfig(Minimal(R"(
[[backup_dirs]]
id = "arch"
path = "/tmp/arch"
jurisdiction = "US"
)") + "",
                                "t.toml");
  ASSERT_TRUE(ok.problems.empty()) << ok.problems[0].ToString();
  std::string both = Minimal(R"(
[[backup_dirs]]
id = "arch"
path = "/tmp/arch"
jurisdiction = "US"
)");
  both.replace(both.find("primary = [\"us-1\"]"), std::string("primary = [\"us-1\"]").size(),
               "primary = [\"us-1\", \"arch\"]\nbackup = [\"arch\"]");
  ParsedConfig parsed = ParseConfig(both, "t.toml");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_THAT(parsed.problems[0].message, HasSubstr("unknown site 'arch'"));
}

TEST(Config, MinimalIsValidWithDefaults) {
  ParsedConfig parsed = ParseConfig(Minimal(), "t.toml");
  ASSERT_TRUE(parsed.problems.empty()) << parsed.problems[0].ToString();
  EXPECT_EQ(parsed.config.listen, "127.0.0.1:8080");
  EXPECT_EQ(parsed.config.max_body_bytes, 1u << 20);
  EXPECT_EQ(parsed.config.principals[0].principal.roles, std::vector<std::string>{"writer"});
}

TEST(Config, SyntaxErrorHasItsLine) {
  std::vector<std::string> p = Problems("[node]\nlisten = \"x\"\nthreads = = 3\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0], ::testing::StartsWith("3: "));
}

TEST(Config, EveryProblemIsReportedWithItsLine) {
  std::string text = R"([node]
listen = "nohost"
threads = -1
colour = "blue"

[[sites]]
id = "us 1"
jurisdiction = "usa"
operator = "oracle"
role = "main"

[[sites]]
id = "legacy"
jurisdiction = "US"
operator = "self"
role = "legacy"

[residency.US]
primary = ["legacy", "nowhere"]

[[principals]]
id = "svc"
type = "Robot"
entity = "usds"
location = "US"
token_sha256 = "svc-token"
)";
  std::vector<std::string> p = Problems(text);
  EXPECT_THAT(p, ::testing::IsSupersetOf(std::vector<::testing::Matcher<std::string>>{
                     ::testing::StartsWith("2: listen address 'nohost'"),
                     ::testing::StartsWith("3: 'threads'"),
                     ::testing::StartsWith("4: unknown key 'colour'"),
                     ::testing::StartsWith("7: site id"),
                     ::testing::StartsWith("8: jurisdiction"),
                     ::testing::StartsWith("10: 'role'"),
                     ::testing::AllOf(::testing::StartsWith("19: "), HasSubstr("role is legacy")),
                     ::testing::AllOf(::testing::StartsWith("19: "), HasSubstr("unknown site")),
                     ::testing::StartsWith("23: 'type'"),
                     ::testing::AllOf(::testing::StartsWith("26: "), HasSubstr("SHA-256")),
                 }));
}

TEST(Config, DuplicatesAreRefused) {
  std::string text = Minimal() + R"(
[[principals]]
id = "svc"
type = "User"
entity = "usds"
location = "US"
token_sha256 = ")" + kHash +
                     "\"\n";
  std::vector<std::string> p = Problems(text);
  EXPECT_THAT(p, ::testing::Contains(HasSubstr("defined twice")));
  EXPECT_THAT(p, ::testing::Contains(HasSubstr("shares its token")));
}

TEST(Config, MissingSectionsAreReported) {
  std::vector<std::string> p = Problems("");
  EXPECT_THAT(p, ::testing::Contains(HasSubstr("no [[sites]]")));
  EXPECT_THAT(p, ::testing::Contains(HasSubstr("no [residency")));
  EXPECT_THAT(p, ::testing::Contains(HasSubstr("no [[principals]]")));
}

TEST(Config, TlsFilesMustExist) {
  std::vector<std::string> p = Problems(
      Minimal("[tls]\ncert = \"/nonexistent/cert.pem\"\nkey = \"/nonexistent/key.pem\"\n"));
  EXPECT_THAT(p, ::testing::Contains(HasSubstr("does not exist")));
}

TEST(Config, LoadConfigJoinsProblems) {
  absl::StatusOr<Config> c = LoadConfig("/nonexistent/domicile.toml");
  EXPECT_THAT(c, testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Config, SplitHostPort) {
  std::string host;
  uint16_t port;
  ASSERT_OK(SplitHostPort("127.0.0.1:0", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  ASSERT_OK(SplitHostPort("[::1]:8080", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("host:99999", host, port).ok());
  EXPECT_FALSE(SplitHostPort(":80", host, port).ok());
  EXPECT_FALSE(SplitHostPort("host:", host, port).ok());
}

}  // namespace
}  // namespace domicile::cli

namespace domicile::cli {
namespace {

TEST(Config, PolicyJurisdictionsAndNetworkAreChecked) {
  std::vector<std::string> p = Problems(Minimal(R"(
[policy]
files = ["/nonexistent/policy.cedar"]

[jurisdictions.usa]
entities = ["usds"]

[network]
"10.0.0.0/33" = "US"
"10.1.0.0/16" = "United States"
)"));
  EXPECT_THAT(p, ::testing::Contains(
                     ::testing::AllOf(::testing::StartsWith("19: "), HasSubstr("does not exist"))));
  EXPECT_THAT(p, ::testing::Contains(::testing::StartsWith("21: jurisdiction")));
  EXPECT_THAT(
      p, ::testing::Contains(::testing::AllOf(::testing::StartsWith("25: "), HasSubstr("CIDR"))));
  EXPECT_THAT(p, ::testing::Contains(::testing::StartsWith("26: jurisdiction")));
}

TEST(Config, ExampleHasPolicyTrustAndNetwork) {
  ASSERT_OK_AND_ASSIGN(Config c, LoadConfig(DOMICILE_SOURCE_DIR "/examples/texas/domicile.toml"));
  ASSERT_EQ(c.policy_files.size(), 1u);
  EXPECT_EQ(c.policy_files[0],
            std::filesystem::path(DOMICILE_SOURCE_DIR "/examples/texas") / "policy.cedar");
  EXPECT_EQ(c.trusted_entities["US"], std::vector<std::string>{"usds"});
  EXPECT_EQ(c.network.Lookup("127.0.0.1"), "US");
}

TEST(Config, NodeNameAndLogSettings) {
  ParsedConfig defaults = ParseConfig(Minimal(), "t.toml");
  ASSERT_TRUE(defaults.problems.empty());
  EXPECT_EQ(defaults.config.LogOrigin(), "domicile/node");
  EXPECT_EQ(defaults.config.log.checkpoint_interval, std::chrono::seconds(1));
  EXPECT_EQ(defaults.config.source_sha256.size(), 64u);

  ParsedConfig set = ParseConfig("[node]\nname = \"us-1\"\n" + Minimal(R"(
[log]
checkpoint_interval = "250ms"
max_pending = 1000
)"),
                                 "t.toml");
  ASSERT_TRUE(set.problems.empty()) << set.problems[0].ToString();
  EXPECT_EQ(set.config.LogOrigin(), "domicile/us-1");
  EXPECT_EQ(set.config.log.checkpoint_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(set.config.log.max_pending, 1000u);
  EXPECT_NE(set.config.source_sha256, defaults.config.source_sha256);

  EXPECT_THAT(Problems(Minimal("[log]\norigin = \"a b\"\n")),
              ::testing::ElementsAre(HasSubstr("must not contain spaces")));
  EXPECT_THAT(Problems(Minimal("[log]\norigin = \"a+b\"\n")),
              ::testing::ElementsAre(HasSubstr("'+'")));
  EXPECT_THAT(Problems(Minimal("[log]\ncheckpoint_interval = \"soon\"\n")),
              ::testing::ElementsAre(HasSubstr("not a duration")));
  EXPECT_THAT(Problems(Minimal("[log]\ncheckpoint_interval = \"2h\"\n")),
              ::testing::ElementsAre(HasSubstr("between 10ms and 1h")));
  EXPECT_THAT(Problems(Minimal("[log]\nunknown = 1\n")),
              ::testing::ElementsAre(HasSubstr("unknown key 'unknown' in [log]")));
}

TEST(Config, BackendsAndTheRouterLink) {
  ParsedConfig defaults = ParseConfig(Minimal(), "t.toml");
  ASSERT_TRUE(defaults.problems.empty());
  EXPECT_EQ(defaults.config.state_backend, "rocksdb");
  EXPECT_EQ(defaults.config.log.backend, "rocksdb");
  EXPECT_EQ(defaults.config.sites[0].backend, "rocksdb");
  EXPECT_FALSE(defaults.config.router.directory_token_sha256.has_value());

  const std::string pg = "postgres://domicile@10.0.0.5:5432/us";
  std::string text =
      Minimal("[log]\nbackend = \"" + pg + "\"\n[router]\nproxies = [\"10.0.0.1/32\"]\n" +
              "directory_token_sha256 = \"" + kHash + "\"\n");
  text.replace(text.find("role = \"primary\""), std::string("role = \"primary\"").size(),
               "role = \"primary\"\nbackend = \"postgresql://db/us\"");
  ParsedConfig set = ParseConfig(
      "[node]\nname = \"us-1\"\njurisdiction = \"US\"\n"
      "state_backend = \"" +
          pg + "\"\n" + text,
      "t.toml");
  ASSERT_TRUE(set.problems.empty()) << set.problems[0].ToString();
  EXPECT_EQ(set.config.jurisdiction, "US");
  EXPECT_EQ(set.config.state_backend, pg);
  EXPECT_EQ(set.config.log.backend, pg);
  EXPECT_EQ(set.config.sites[0].backend, "postgresql://db/us");
  EXPECT_EQ(set.config.router.proxies.Lookup("10.0.0.1"), "router");
  EXPECT_EQ(set.config.router.proxies.Lookup("10.0.0.2"), "");
  ASSERT_TRUE(set.config.router.directory_token_sha256.has_value());

  EXPECT_THAT(Problems("[node]\nstate_backend = \"mysql://x\"\n" + Minimal()),
              ::testing::ElementsAre(HasSubstr("2: a backend is \"rocksdb\" or a PostgreSQL URL")));
  EXPECT_THAT(Problems("[node]\njurisdiction = \"usa\"\n" + Minimal()),
              ::testing::ElementsAre(HasSubstr("2: ")));
  EXPECT_THAT(Problems(Minimal("[log]\nbackend = \"leveldb\"\n")),
              ::testing::ElementsAre(HasSubstr("a backend is")));
  EXPECT_THAT(Problems(Minimal("[router]\nproxies = [\"not-an-address\"]\n")),
              ::testing::SizeIs(1));
  EXPECT_THAT(Problems(Minimal("[router]\ndirectory_token_sha256 = \"abc\"\n")),
              ::testing::ElementsAre(HasSubstr("64 hex digits")));
  EXPECT_THAT(Problems(Minimal("[router]\ntoken = \"x\"\n")),
              ::testing::ElementsAre(HasSubstr("unknown key 'token' in [router]")));
}

TEST(Config, GrantsAndApprovalKeys) {
  ParsedConfig defaults = ParseConfig(Minimal(), "t.toml");
  ASSERT_TRUE(defaults.problems.empty());
  EXPECT_EQ(defaults.config.grants.quorum, 2);
  EXPECT_EQ(defaults.config.grants.max_ttl, std::chrono::hours(8));
  EXPECT_EQ(defaults.config.grants.break_glass_max_ttl, std::chrono::hours(1));

  ParsedConfig set = ParseConfig(
      Minimal(R"(approval_key = "alice+67112a0b+ARqbgVPYODJ2MGivZEE9huufIrwpj62Z9ZTW0yrMPadY"
[grants]
quorum = 3
max_ttl = "2h"
break_glass_max_ttl = "30m"
)"),
      "t.toml");
  ASSERT_TRUE(set.problems.empty()) << set.problems[0].ToString();
  EXPECT_EQ(set.config.grants.quorum, 3);
  EXPECT_EQ(set.config.grants.max_ttl, std::chrono::hours(2));
  EXPECT_EQ(set.config.grants.break_glass_max_ttl, std::chrono::minutes(30));
  EXPECT_EQ(set.config.principals[0].approval_key,
            "alice+67112a0b+ARqbgVPYODJ2MGivZEE9huufIrwpj62Z9ZTW0yrMPadY");

  EXPECT_THAT(Problems(Minimal("[grants]\nquorum = 0\n")),
              ::testing::ElementsAre(HasSubstr("quorum")));
  EXPECT_THAT(Problems(Minimal("[grants]\nbreak_glass_max_ttl = \"2h\"\n")),
              ::testing::ElementsAre(
                  HasSubstr("18: [grants] break_glass_max_ttl must be between 1m and 1h")));
  EXPECT_THAT(Problems(Minimal("[grants]\nmax_ttl = \"soon\"\n")),
              ::testing::ElementsAre(HasSubstr("not a duration")));
  EXPECT_THAT(Problems(Minimal("[grants]\nwho = 1\n")),
              ::testing::ElementsAre(HasSubstr("unknown key 'who' in [grants]")));
  // A key id that does not match its key, and a private key pasted by mistake.
  EXPECT_THAT(
      Problems(Minimal(
          "approval_key = \"alice+00000000+ARqbgVPYODJ2MGivZEE9huufIrwpj62Z9ZTW0yrMPadY\"\n")),
      ::testing::ElementsAre(HasSubstr("17: 'approval_key' must be a verifier key")));
  EXPECT_THAT(Problems(Minimal("approval_key = \"PRIVATE+KEY+alice+67112a0b+AAAA\"\n")),
              ::testing::ElementsAre(HasSubstr("'approval_key' must be a verifier key")));
}

TEST(Config, KeysDefaultToTheFileKeyring) {
  ParsedConfig defaults = ParseConfig(Minimal(), "t.toml");
  ASSERT_TRUE(defaults.problems.empty());
  EXPECT_EQ(defaults.config.key_provider, "file");

  ParsedConfig file = ParseConfig(Minimal(R"([keys]
provider = "file"
keyring = "/var/lib/domicile/keyring"
create_master_key = true
)"),
                                  "t.toml");
  ASSERT_TRUE(file.problems.empty()) << file.problems[0].ToString();
  EXPECT_EQ(file.config.key_provider, "file");
  EXPECT_EQ(file.config.keyring_file, "/var/lib/domicile/keyring");
  EXPECT_TRUE(file.config.create_master_key);
}

TEST(Config, Pkcs11KeyProvider) {
  testing::TempDir dir;
  const std::string module = (dir / "libpkcs11.so").string();
  ASSERT_OK(WriteFileAtomically(module, AsBytes("not really a module")));
  ParsedConfig parsed = ParseConfig(Minimal(R"([keys]
provider = "pkcs11"
module = ")" + module + R"("
token_label = "domicile-us-1"
pin_env = "DOMICILE_PKCS11_PIN"
)"),
                                    "t.toml");
  ASSERT_TRUE(parsed.problems.empty()) << parsed.problems[0].ToString();
  EXPECT_EQ(parsed.config.key_provider, "pkcs11");
  EXPECT_EQ(parsed.config.pkcs11.module, module);
  EXPECT_EQ(parsed.config.pkcs11.token_label, "domicile-us-1");
  EXPECT_EQ(parsed.config.pkcs11.pin_env, "DOMICILE_PKCS11_PIN");
}

TEST(Config, Pkcs11KeyProviderProblemsHaveTheirLines) {
  // Minimal() is 16 lines; [keys] is line 17.
  EXPECT_THAT(Problems(Minimal("[keys]\nprovider = \"hsm\"\n")),
              ::testing::ElementsAre("18: [keys] provider must be \"file\" or \"pkcs11\""));
  EXPECT_THAT(
      Problems(Minimal("[keys]\nprovider = \"pkcs11\"\n")),
      ::testing::UnorderedElementsAre("17: [keys] provider = \"pkcs11\" needs 'module'",
                                      "17: [keys] provider = \"pkcs11\" needs 'token_label'",
                                      "17: [keys] provider = \"pkcs11\" needs 'pin_env'"));
  EXPECT_THAT(Problems(Minimal(R"([keys]
provider = "pkcs11"
module = "/nonexistent/libpkcs11.so"
token_label = "a label that is longer than thirty-two bytes"
pin_env = "1234"
pin = "1234"
keyring = "keyring"
)")),
              ::testing::UnorderedElementsAre(
                  HasSubstr("22: [keys] must not hold a PIN"),
                  "23: 'keyring' in [keys] applies only to provider = \"file\"",
                  "19: [keys] module '/nonexistent/libpkcs11.so' does not exist",
                  "20: [keys] token_label must be 1..32 bytes",
                  HasSubstr("21: [keys] pin_env must name an environment variable")));
  // PKCS#11 settings without the PKCS#11 provider would be ignored: refused instead.
  EXPECT_THAT(Problems(Minimal("[keys]\ntoken_label = \"t\"\n")),
              ::testing::ElementsAre("18: 'token_label' in [keys] applies only to provider = "
                                     "\"pkcs11\""));
  EXPECT_THAT(Problems(Minimal("[keys]\nslot = 0\n")),
              ::testing::ElementsAre("18: unknown key 'slot' in [keys]"));
}

TEST(Config, Durations) {
  EXPECT_THAT(ParseDuration("1500ms"), ::domicile::testing::IsOk());
  EXPECT_EQ(*ParseDuration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*ParseDuration("1h"), std::chrono::hours(1));
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("ms").ok());
  EXPECT_FALSE(ParseDuration("1d").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
}

}  // namespace
}  // namespace domicile::cli

namespace domicile::cli {
namespace {

TEST(Config, ANodeCanNameARemoteCustodian) {
  ParsedConfig ok = ParseConfig(Minimal(R"(
[custodian]
url = "http://127.0.0.1:8701"
token_env = "CUSTODIAN_TOKEN"
)"),
                                "t.toml");
  ASSERT_TRUE(ok.problems.empty()) << ok.problems[0].ToString();
  EXPECT_EQ(ok.config.custodian.url, "http://127.0.0.1:8701");
  EXPECT_EQ(ok.config.custodian.token_env, "CUSTODIAN_TOKEN");

  EXPECT_THAT(Problems(Minimal("[custodian]\nurl = \"ftp://x\"\ntoken_env = \"T\"\n")),
              ::testing::Contains(::testing::HasSubstr("http")));
  EXPECT_THAT(Problems(Minimal("[custodian]\nurl = \"http://x:1\"\n")),
              ::testing::Contains(::testing::HasSubstr("token_env")));
  EXPECT_THAT(Problems(Minimal("[custodian]\nurl = \"http://x:1\"\ntoken_env = \"T\"\n"
                               "witness_key = \"nope\"\n")),
              ::testing::Contains(::testing::HasSubstr("malformed verifier key")));
  // A node does not take the custodian's own keys.
  EXPECT_THAT(Problems(Minimal("[custodian]\nnode_tokens_sha256 = []\n")),
              ::testing::Contains(::testing::HasSubstr("node_tokens_sha256")));
}

TEST(Config, ACustodianNeedsItsNodesAndNoSites) {
  const std::string custodian = std::string(R"([node]
name = "custodian-us"

[[principals]]
id = "alice"
type = "User"
entity = "usds"
location = "US"

[custodian]
node_tokens_sha256 = [")") + kHash +
                                "\"]\n";
  ParsedConfig ok = ParseConfig(custodian, "c.toml", ConfigKind::kCustodian);
  ASSERT_TRUE(ok.problems.empty()) << ok.problems[0].ToString();
  ASSERT_EQ(ok.config.custodian.node_tokens.size(), 1u);
  EXPECT_EQ(ok.config.principals.size(), 1u);  // no token needed in its directory

  ParsedConfig no_nodes = ParseConfig(
      "[node]\nname = \"c\"\n[[principals]]\nid = \"a\"\ntype = \"User\"\n"
      "entity = \"e\"\nlocation = \"US\"\n",
      "c.toml", ConfigKind::kCustodian);
  ASSERT_FALSE(no_nodes.problems.empty());
  EXPECT_THAT(no_nodes.problems[0].message, ::testing::HasSubstr("[custodian]"));
  ParsedConfig sites = ParseConfig(custodian + Minimal(), "c.toml", ConfigKind::kCustodian);
  EXPECT_FALSE(sites.problems.empty());  // sites and residency are not the custodian's business
  ParsedConfig bad_hash = ParseConfig(
      "[custodian]\nnode_tokens_sha256 = [\"abc\"]\n[[principals]]\nid = \"a\"\n"
      "type = \"User\"\nentity = \"e\"\nlocation = \"US\"\n",
      "c.toml", ConfigKind::kCustodian);
  ASSERT_FALSE(bad_hash.problems.empty());
  EXPECT_THAT(bad_hash.problems[0].message, ::testing::HasSubstr("64 hex digits"));
}

}  // namespace
}  // namespace domicile::cli
