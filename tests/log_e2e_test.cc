// The transparency log end to end: every decided request's response names its event, the event
// says what was decided (and never the value), checkpoints verify with the key the node
// publishes, proofs verify against them, and the auditor verifies the node's log over HTTP and
// catches a changed byte in a mirror of it.
#include <filesystem>
#include <fstream>

#include "e2e_fixture.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "log_mirror.h"
#include "nlohmann/json.hpp"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

class LogTest : public NodeTest {
 protected:
  void SetUp() override {
    // Checkpoints often, so the tests wait little.
    config_ = (dir_ / "domicile.toml").string();
    std::ofstream(config_) << ExampleConfigText() << "\n[log]\ncheckpoint_interval = \"50ms\"\n";
    ASSERT_NO_FATAL_FAILURE(StartNode());
    auto key = tlog::ParseNoteVerifier(Trim(Call("", "GET", "/v1/log/key").body));
    ASSERT_TRUE(key.ok()) << key.status();
    verifier_ = *key;
  }

  static std::string Trim(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  static uint64_t LogIndex(const http::ClientResponse& r) {
    auto h = r.GetHeader("Domicile-Log-Index");
    EXPECT_TRUE(h.has_value()) << "no Domicile-Log-Index on a " << r.status << " response";
    return h.has_value() ? std::stoull(std::string(*h)) : ~uint64_t{0};
  }

  nlohmann::json Entry(uint64_t index) {
    http::ClientResponse r = Call("", "GET", fmt::format("/v1/log/entries/{}", index));
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  tlog::NoteVerifier verifier_;
};

TEST_F(LogTest, EveryDecidedResponseNamesItsEventAndTheEventSaysWhatWasDecided) {
  auto reg = Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})");
  ASSERT_EQ(reg.status, 201);
  auto put = Call("svc-app-token", "PUT", "/v1/subjects/u1/records/email", "u1-secret@example.com");
  ASSERT_EQ(put.status, 201);
  const std::string grant = ActiveGrant("bob-token", "subject:u1", {"read", "list"});
  auto read = Call("bob-token", "GET", "/v1/subjects/u1/records/email", "",
                   {{"Domicile-Purpose", "support"}, {"Domicile-Grant", grant}});
  ASSERT_EQ(read.status, 200);
  auto refused = Call("admin-token", "GET", "/v1/subjects/u1/records/email");
  ASSERT_EQ(refused.status, 403);
  auto abroad = Call("svc-app-token", "PUT", "/v1/subjects/u1/records/x?site=own-sg", "v");
  ASSERT_EQ(abroad.status, 422);
  auto list = Call("bob-token", "GET", "/v1/subjects/u1/records", "", Under(grant));
  ASSERT_EQ(list.status, 200);
  auto del = Call("svc-app-token", "DELETE", "/v1/subjects/u1/records/email");
  ASSERT_EQ(del.status, 204);

  std::vector<uint64_t> indices;
  for (const auto* r : {&reg, &put, &read, &refused, &abroad, &list, &del}) {
    indices.push_back(LogIndex(*r));
  }
  for (size_t i = 1; i < indices.size(); ++i) EXPECT_GT(indices[i], indices[i - 1]);

  nlohmann::json e = Entry(LogIndex(put));
  EXPECT_EQ(e["kind"], "access");
  EXPECT_EQ(e["action"], "write");
  EXPECT_EQ(e["decision"], "allow");
  EXPECT_EQ(e["effect"]["version"], 1);
  EXPECT_EQ(e["resource"]["site"], "oci-us-tx");

  e = Entry(LogIndex(read));
  EXPECT_EQ(e["action"], "read");
  EXPECT_EQ(e["decision"], "allow");
  EXPECT_EQ(e["principal"]["id"], "bob");
  EXPECT_EQ(e["purpose"], "support");
  EXPECT_EQ(e["grant"], grant);
  EXPECT_EQ(e["resource"]["jurisdiction"], "US");
  EXPECT_EQ(e["policy_sha256"].get<std::string>().size(), 64u);

  e = Entry(LogIndex(refused));
  EXPECT_EQ(e["decision"], "deny");
  EXPECT_EQ(e["principal"]["id"], "admin");
  EXPECT_EQ(e["principal"]["location"], "CN");
  EXPECT_THAT(e["reason"].get<std::string>(), HasSubstr("forbidden"));

  e = Entry(LogIndex(abroad));
  EXPECT_EQ(e["decision"], "deny");
  EXPECT_EQ(e["determining"], nlohmann::json::array({"residency_violation"}));

  e = Entry(LogIndex(del));
  EXPECT_EQ(e["action"], "delete");
  EXPECT_EQ(e["effect"]["sites"], nlohmann::json::array({"oci-us-tx"}));

  // The node's own start is logged, with its configuration's hash.
  e = Entry(0);
  bool started = false;
  for (uint64_t i = 0; i < indices[0]; ++i) {
    nlohmann::json x = Entry(i);
    if (x["kind"] == "node" && x["operation"] == "start") {
      started = true;
      EXPECT_EQ(x["config_sha256"].get<std::string>().size(), 64u);
    }
  }
  EXPECT_TRUE(started);

  // No value ever reaches the log.
  LogMirror mirror(node_->url());
  ASSERT_OK_AND_ASSIGN(uint64_t size, mirror.WaitForSize(verifier_, indices.back() + 1));
  for (uint64_t i = 0; i < size; ++i) {
    EXPECT_EQ(Call("", "GET", fmt::format("/v1/log/entries/{}", i)).body.find("u1-secret"),
              std::string::npos);
  }
}

TEST_F(LogTest, CheckpointsAndProofsVerifyWithThePublishedKey) {
  ASSERT_EQ(
      Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})").status,
      201);
  LogMirror mirror(node_->url());
  ASSERT_OK_AND_ASSIGN(uint64_t first_size, mirror.WaitForSize(verifier_, 1));
  ASSERT_OK_AND_ASSIGN(tlog::Checkpoint first, mirror.Checkpoint(verifier_));
  uint64_t last = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = Call("svc-app-token", "GET", "/v1/subjects/u1/records/none");
    ASSERT_EQ(r.status, 404);
    last = LogIndex(r);
  }
  ASSERT_OK_AND_ASSIGN(uint64_t size, mirror.WaitForSize(verifier_, last + 1));
  ASSERT_OK_AND_ASSIGN(tlog::Checkpoint now, mirror.Checkpoint(verifier_));
  ASSERT_EQ(now.size, size);
  ASSERT_GE(first_size, 1u);

  auto proof_of = [](const std::string& body, const char* field) {
    std::vector<tlog::Hash> out;
    nlohmann::json j = nlohmann::json::parse(body);
    for (const auto& h : j[field]) {
      std::optional<Bytes> b = Base64Decode(h.get<std::string>());
      tlog::Hash hash{};
      if (b.has_value() && b->size() == 32) std::copy(b->begin(), b->end(), hash.begin());
      out.push_back(hash);
    }
    return out;
  };
  http::ClientResponse entry = Call("", "GET", fmt::format("/v1/log/entries/{}", last));
  http::ClientResponse inclusion =
      Call("", "GET", fmt::format("/v1/log/proof/inclusion?index={}&size={}", last, now.size));
  ASSERT_EQ(inclusion.status, 200) << inclusion.body;
  EXPECT_TRUE(tlog::VerifyInclusion(last, now.size, tlog::LeafHash(AsBytes(entry.body)),
                                    proof_of(inclusion.body, "hashes"), now.root));
  // The same proof does not prove another entry.
  EXPECT_FALSE(tlog::VerifyInclusion(last, now.size, tlog::LeafHash(AsBytes(entry.body + " ")),
                                     proof_of(inclusion.body, "hashes"), now.root));

  http::ClientResponse consistency =
      Call("", "GET", fmt::format("/v1/log/proof/consistency?old={}&new={}", first.size, now.size));
  ASSERT_EQ(consistency.status, 200) << consistency.body;
  EXPECT_TRUE(tlog::VerifyConsistency(first.size, now.size, proof_of(consistency.body, "hashes"),
                                      first.root, now.root));

  // Bad proof requests are clear errors.
  EXPECT_EQ(Call("", "GET", "/v1/log/proof/inclusion?index=5").status, 400);
  EXPECT_EQ(
      Call("", "GET", fmt::format("/v1/log/proof/inclusion?index={}&size={}", now.size, now.size))
          .status,
      400);
  EXPECT_EQ(Call("", "GET", "/v1/log/proof/consistency?old=01&new=2").status, 400);
  EXPECT_EQ(Call("", "GET", "/v1/log/entries/99999999").status, 404);
  EXPECT_EQ(Call("", "GET", "/log/tile/0/x001").status, 404);
  EXPECT_EQ(Call("", "POST", "/log/checkpoint").status, 405);
}

TEST_F(LogTest, LogKeyCommandPrintsTheKeyTheNodeServes) {
  CommandResult local =
      RunCommand({"log", "key", "--config", config_, "--data", (dir_ / "data").string()});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(Trim(local.out), tlog::FormatNoteVerifier(verifier_));
  CommandResult remote = RunCommand({"log", "key", "--url", node_->url()});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(remote.out, local.out);
  EXPECT_EQ(RunCommand({"log", "key"}).exit_code, 2);
  EXPECT_EQ(RunCommand({"log", "key", "--config", config_, "--url", node_->url()}).exit_code, 2);

  // A configuration with a problem is named with its line; nothing is created.
  const std::string bad = (dir_ / "bad.toml").string();
  std::ofstream(bad) << "[node]\nname = \"a b\"\n";
  CommandResult refused = RunCommand({"log", "key", "--config", bad});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("bad.toml:2"));
  // A node that is not there.
  CommandResult unreachable = RunCommand({"log", "key", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_THAT(unreachable.err, HasSubstr("log key:"));
}

TEST_F(LogTest, TheAuditorVerifiesTheNodeAndCatchesEveryChangedByte) {
  ASSERT_EQ(
      Call("svc-app-token", "POST", "/v1/subjects", R"({"id":"u1","jurisdiction":"US"})").status,
      201);
  uint64_t last = 0;
  for (int i = 0; i < 600; ++i) {  // past one full entry bundle and level-0 tile
    auto r = Call(i % 2 ? "bob-token" : "li-token", "GET", "/v1/subjects/u1/records/none");
    last = LogIndex(r);
  }
  LogMirror mirror(node_->url());
  ASSERT_OK_AND_ASSIGN(uint64_t size, mirror.WaitForSize(verifier_, last + 1));
  const std::string vkey = tlog::FormatNoteVerifier(verifier_);
  const std::string state = (dir_ / "audit-state").string();

  CommandResult ok =
      RunCommand({"audit", "verify", "--url", node_->url(), "--key", vkey, "--state", state});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, HasSubstr(std::to_string(size)));
  CommandResult report = RunCommand({"audit", "report", "--state", state, "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr("li"));  // li's refused reads are counted

  // A mirror of the node's tiles, then one changed byte at a time.
  const std::filesystem::path copy = dir_ / "mirror";
  ASSERT_OK(mirror.WriteTo(copy, size));
  CommandResult clean = RunCommand({"audit", "verify", "--dir", copy.string(), "--key", vkey});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  for (const std::string& path :
       {std::string("tile/entries/000"), std::string("tile/0/000"), std::string("checkpoint")}) {
    std::filesystem::path file = copy / path;
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    std::string bytes = Slurp(file);
    std::string changed = bytes;
    // In the checkpoint, a byte of the log's own signature: the line after the blank one (the
    // custodian's cosignature follows it, and alone would not matter without --witness).
    const size_t log_signature_end = changed.find('\n', changed.find("\n\n") + 2);
    changed[path == "checkpoint" ? log_signature_end - 10 : 100] ^= 0x01;
    Overwrite(file, changed);
    CommandResult bad = RunCommand({"audit", "verify", "--dir", copy.string(), "--key", vkey});
    EXPECT_EQ(bad.exit_code, 1) << path << ": " << bad.out;
    EXPECT_FALSE(bad.err.empty()) << path;
    Overwrite(file, bytes);
  }
  EXPECT_EQ(RunCommand({"audit", "verify", "--dir", copy.string(), "--key", vkey}).exit_code, 0);
}

}  // namespace
}  // namespace domicile::testing
