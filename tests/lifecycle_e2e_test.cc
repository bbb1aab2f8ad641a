// Issue 6's story end to end, through the command line against a running node with the example
// deployment: US users' data imported into the legacy sites own-us-va and own-sg, migrated to
// oci-us-tx with matching roots, backed up in the US, the legacy sites shredded, a backup of
// own-sg taken before the shred restored and found undecryptable, and a subject erased.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "e2e_fixture.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "keys/envelope.h"
#include "keys/file_keyring.h"
#include "keys/master_key.h"
#include "store/rocksdb_store.h"
#include "util/encoding.h"
#include "util/file.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class LifecycleE2eTest : public NodeTest {
 protected:
  void SetUp() override {
    // The example, with its backup directories under the test's directory.
    std::string t = ExampleConfigText();
    for (const char* dir : {"us-archive", "sg-archive"}) {
      const std::string from = fmt::format("\"domicile-backups/{}\"", dir);
      const size_t at = t.find(from);
      ASSERT_NE(at, std::string::npos);
      t.replace(at, from.size(), fmt::format("\"{}\"", (dir_ / "backups" / dir).string()));
    }
    config_ = (dir_ / "domicile.toml").string();
    ASSERT_TRUE(WriteFileAtomically(config_, AsBytes(t)).ok());
    ASSERT_NO_FATAL_FAILURE(StartNode());
    // The legacy systems' dumps: 200 records of 40 US users in Virginia (one line broken),
    // 60 in Singapore.
    std::ofstream va(dir_ / "va.jsonl"), sg(dir_ / "sg.jsonl");
    for (int i = 0; i < 200; ++i) {
      if (i == 150) va << "{\"subject\": \"us1\", broken\n";
      va << Line(fmt::format("us{}", i % 40), fmt::format("va{}", i),
                 fmt::format("VA-PLAINTEXT-{}", i), i % 4 == 0 ? "public" : "protected");
    }
    for (int i = 0; i < 60; ++i) {
      sg << Line(fmt::format("us{}", i % 40), fmt::format("sg{}", i),
                 fmt::format("SG-PLAINTEXT-{}", i), "protected");
    }
  }

  static std::string Line(const std::string& subject, const std::string& key,
                          const std::string& value, const std::string& cls) {
    return nlohmann::json({{"subject", subject},
                           {"key", key},
                           {"class", cls},
                           {"value_b64", Base64Encode(AsBytes(value))}})
               .dump() +
           "\n";
  }

  CommandResult Run(std::vector<std::string> args, const std::string& token = "ops-token") {
    args.push_back("--url");
    args.push_back(node_->url());
    return RunCommand(args, "", {{"DOMICILE_TOKEN", token}});
  }

  // The site a read is served from.
  std::string SiteOf(const std::string& subject, const std::string& key) {
    http::ClientResponse r =
        Call("svc-app-token", "GET", fmt::format("/v1/subjects/{}/records/{}", subject, key));
    for (const http::Header& h : r.headers) {
      if (h.name == "Domicile-Site") return h.value;
    }
    return fmt::format("(HTTP {})", r.status);
  }

  static std::string LastLine(const std::string& out) {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s.substr(s.rfind('\n') + 1);
  }
};

TEST_F(LifecycleE2eTest, TheStoryFromLegacyCopiesToShreddedOnes) {
  const std::string va = (dir_ / "va.jsonl").string(), sg = (dir_ / "sg.jsonl").string();

  // Import: a bad line aborts its batch and is named; skipping it imports the rest.
  CommandResult aborted = Run({"import", va, "--site", "own-us-va", "-j", "US"});
  EXPECT_NE(aborted.exit_code, 0);
  EXPECT_THAT(aborted.err, HasSubstr("line 151"));
  CommandResult va_import =
      Run({"import", va, "--site", "own-us-va", "-j", "US", "--on-error", "skip"});
  ASSERT_EQ(va_import.exit_code, 0) << va_import.err;
  EXPECT_THAT(va_import.err, HasSubstr("va.jsonl:151: skipped"));
  EXPECT_THAT(va_import.out, HasSubstr("200 records imported into own-us-va"));
  ASSERT_EQ(Run({"import", sg, "--site", "own-sg", "-j", "US"}).exit_code, 0);
  // own-sg holds US data only (legacy_of), and nobody but an operator imports.
  EXPECT_NE(Run({"import", sg, "--site", "own-sg", "-j", "SG", "--id", "sg-as-sg"}).exit_code, 0);
  EXPECT_NE(Run({"import", sg, "--site", "own-sg", "-j", "US", "--id", "x"}, "li-token").exit_code,
            0);
  EXPECT_EQ(SiteOf("us3", "va3"), "own-us-va");

  // Nothing is shredded before it is migrated and verified.
  CommandResult early = Run({"shred", "--site", "own-sg"});
  EXPECT_NE(early.exit_code, 0);
  EXPECT_THAT(early.err, HasSubstr("no verified migration"));

  // Migration, verified by matching roots.
  for (const char* from : {"own-us-va", "own-sg"}) {
    CommandResult m = Run({"migrate", "--from", from, "--to", "oci-us-tx"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    nlohmann::json result = nlohmann::json::parse(m.out);
    EXPECT_EQ(result["verified"], true) << from;
    EXPECT_EQ(result["source_root"], result["target_root"]) << from;
  }
  EXPECT_EQ(SiteOf("us3", "va3"), "oci-us-tx");
  EXPECT_EQ(SiteOf("us7", "sg7"), "oci-us-tx");

  // Backups in the US; none abroad, refused before anything is written.
  CommandResult abroad = Run({"backup", "--site", "oci-us-tx", "--to", "sg-archive"});
  EXPECT_NE(abroad.exit_code, 0);
  EXPECT_THAT(abroad.err, HasSubstr("residency_violation"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "backups" / "sg-archive"));
  CommandResult archive = Run({"backup", "--site", "oci-us-tx", "--to", "us-archive"});
  ASSERT_EQ(archive.exit_code, 0) << archive.err;
  const std::string archive_id = LastLine(archive.out);
  EXPECT_THAT(archive_id, HasSubstr("oci-us-tx-"));
  ASSERT_EQ(Run({"backup", "--site", "oci-us-tx", "--to", "oci-us-backup"}).exit_code, 0);
  CommandResult pre_shred = Run({"backup", "--site", "own-sg", "--to", "us-archive"});
  ASSERT_EQ(pre_shred.exit_code, 0) << pre_shred.err;
  const std::string sg_backup = LastLine(pre_shred.out);
  // Backups hold ciphertext only.
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_ / "backups")) {
    if (!f.is_regular_file()) continue;
    const std::string bytes = Slurp(f.path());
    EXPECT_EQ(bytes.find("PLAINTEXT"), std::string::npos) << f.path();
  }

  // Shredding the legacy copies.
  for (const char* site : {"own-us-va", "own-sg"}) {
    CommandResult s = Run({"shred", "--site", site});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    nlohmann::json attestation = nlohmann::json::parse(s.out);
    EXPECT_EQ(attestation["forced"], false);
    EXPECT_EQ(attestation["keks_destroyed"].size(), 2u);
  }
  EXPECT_EQ(SiteOf("us3", "va3"), "oci-us-tx");  // the live copy is untouched

  // The pre-shred backup of own-sg verifies and comes back, and nobody can open it.
  CommandResult restored =
      Run({"restore", "--from", "us-archive", "--backup", sg_backup, "--site", "own-sg"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(nlohmann::json::parse(restored.out)["records_restored"], 60);

  // Right to erasure.
  EXPECT_EQ(Call("li-token", "DELETE", "/v1/subjects/us5").status, 403);
  http::ClientResponse erased = Call("svc-app-token", "DELETE", "/v1/subjects/us5");
  EXPECT_EQ(erased.status, 200);
  EXPECT_EQ(Call("svc-app-token", "GET", "/v1/subjects/us5/records/va5").status, 404);

  // The auditor, with the log's key alone, sees it all: once a checkpoint covers the erasure.
  uint64_t last = 0;
  for (const http::Header& h : erased.headers) {
    if (h.name == "Domicile-Log-Index") last = std::stoull(h.value);
  }
  for (int i = 0; i < 100; ++i) {
    const std::string checkpoint = Call("", "GET", "/log/checkpoint").body;
    const size_t first = checkpoint.find('\n');
    if (first != std::string::npos && std::stoull(checkpoint.substr(first + 1)) > last) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CommandResult key = RunCommand({"log", "key", "--url", node_->url()});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  std::string vkey = key.out;
  while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
  CommandResult verified = RunCommand({"audit", "verify", "--url", node_->url(), "--key", vkey,
                                       "--state", (dir_ / "audit").string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  CommandResult report =
      RunCommand({"audit", "report", "--state", (dir_ / "audit").string(), "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  nlohmann::json audit = nlohmann::json::parse(report.out);
  ASSERT_EQ(audit["migrations"].size(), 2u);
  for (const nlohmann::json& m : audit["migrations"]) EXPECT_EQ(m["roots_match"], true);
  EXPECT_EQ(audit["migrations_not_verified"]["count"], 0);
  EXPECT_EQ(audit["shreds"].size(), 2u);
  EXPECT_EQ(audit["shreds_without_verified_migration"]["count"], 0);
  EXPECT_EQ(audit["records_at_legacy_sites"], 0);  // every legacy copy is gone
  uint64_t unreadable = 0;
  for (const nlohmann::json& h : audit["legacy_holdings"])
    unreadable += h["unreadable"].get<uint64_t>();
  EXPECT_GT(unreadable, 0u);  // the restored pre-shred backup, which opens for nobody
  EXPECT_EQ(audit["erasures"].size(), 1u);
  EXPECT_EQ(audit["protected_reads_outside_jurisdiction"]["count"], 0);

  // The restored own-sg holds data keys wrapped under a KEK that no longer exists.
  ASSERT_EQ(node_->Terminate(), 0);
  // No value is anywhere on disk in the clear: not in any site (the backup site's store
  // included), the log, or the node's other stores.
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_ / "data")) {
    if (!f.is_regular_file()) continue;
    EXPECT_EQ(Slurp(f.path()).find("PLAINTEXT"), std::string::npos) << f.path();
  }
  auto master = keys::LoadMasterKey(dir_ / "data" / "master.key");
  ASSERT_TRUE(master.ok()) << master.status();
  auto ring = keys::FileKeyring::Open(dir_ / "data" / "keyring", std::move(*master));
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_FALSE((*ring)->HasKey("site/own-sg/US"));
  EXPECT_TRUE((*ring)->HasKey("site/oci-us-tx/US"));
  auto own_sg = store::OpenRocksDbStore(dir_ / "data" / "sites" / "own-sg");
  ASSERT_TRUE(own_sg.ok()) << own_sg.status();
  int wrapped_keys = 0;
  ASSERT_TRUE((*own_sg)
                  ->Scan("k/",
                         [&](std::string_view, std::string_view value) {
                           auto key = keys::DecodeWrappedDataKey(AsBytes(value));
                           EXPECT_TRUE(key.ok());
                           if (key.ok()) {
                             EXPECT_EQ(key->kek_id, "site/own-sg/US");
                             EXPECT_FALSE(keys::UnwrapDataKey(**ring, *key).ok());
                           }
                           ++wrapped_keys;
                           return true;
                         })
                  .ok());
  EXPECT_GT(wrapped_keys, 0);
}

TEST_F(LifecycleE2eTest, BadRequestsGetAClearErrorAndChangeNothing) {
  struct Case {
    std::string method, target, body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/migrations", "{not json", 400, "invalid_argument"},
      {"POST", "/v1/migrations", R"({"from":"own-sg"})", 400, "invalid_argument"},
      {"POST", "/v1/migrations", R"({"from":"own-sg","to":"oci-us-tx","x":1})", 400,
       "invalid_argument"},
      {"POST", "/v1/migrations", R"({"from":"nowhere","to":"oci-us-tx"})", 400, "invalid_argument"},
      {"POST", "/v1/migrations", R"({"from":"own-sg","to":"oci-us-backup"})", 422,
       "residency_violation"},
      {"POST", "/v1/shreds", R"({"site":"own-sg","force":"yes"})", 400, "invalid_argument"},
      {"POST", "/v1/backups", R"({"site":"oci-us-tx","to":"mars"})", 400, "invalid_argument"},
      {"POST", "/v1/restores", R"({"from":"us-archive","backup":"../../etc","site":"own-sg"})", 400,
       "invalid_argument"},
      {"POST", "/v1/restores",
       R"({"from":"us-archive","backup":"own-sg-20260101T000000Z-00000000","site":"own-sg"})", 404,
       "not_found"},
      {"POST", "/v1/import?site=own-sg&jurisdiction=US", "", 400, "invalid_argument"},
      {"POST", "/v1/import?site=own-sg&jurisdiction=US&import=Bad_Id", "", 400, "invalid_argument"},
      {"POST", "/v1/import?site=own-sg&jurisdiction=US&import=a&first_line=0", "", 400,
       "invalid_argument"},
      {"POST", "/v1/import?site=own-sg&jurisdiction=US&import=a&on_error=maybe", "", 400,
       "invalid_argument"},
      {"POST", "/v1/import?site=oci-us-backup&jurisdiction=US&import=a",
       Line("u1", "k", "v", "protected"), 422, "residency_violation"},
      {"GET", "/v1/operations/migrate-0000000000000000", "", 404, "not_found"},
      {"PUT", "/v1/operations/migrate-0000000000000000", "", 405, "method_not_allowed"},
      {"GET", "/v1/migrations", "", 405, "method_not_allowed"},
      {"DELETE", "/v1/subjects/nobody", "", 404, "not_found"},
  };
  for (const Case& c : cases) {
    http::ClientResponse r = Call("ops-token", c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), c.code) << c.method << " " << c.target << " " << c.body;
  }
  // Nothing was imported, migrated or backed up by any of them.
  EXPECT_EQ(Call("svc-app-token", "GET", "/v1/subjects/u1/records").status, 404);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "backups"));
  // The command line names a file it cannot read, and a bad value, and changes nothing.
  CommandResult missing =
      Run({"import", (dir_ / "absent.jsonl").string(), "--site", "own-sg", "-j", "US"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("absent.jsonl: cannot open"));
  CommandResult bad_flag = Run({"import", (dir_ / "sg.jsonl").string(), "--site", "own-sg", "-j",
                                "US", "--on-error", "ignore"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  CommandResult bad_backup =
      Run({"restore", "--from", "us-archive", "--backup", "no such id", "--site", "own-sg"});
  EXPECT_EQ(bad_backup.exit_code, 1);
  EXPECT_THAT(bad_backup.err, HasSubstr("invalid_argument"));
  EXPECT_EQ(Call("svc-app-token", "GET", "/v1/subjects/us1/records").status, 404);
  // Without a token, nothing at all.
  EXPECT_EQ(Call("", "POST", "/v1/migrations", R"({"from":"own-sg","to":"oci-us-tx"})").status,
            401);
}

}  // namespace
}  // namespace domicile::testing
