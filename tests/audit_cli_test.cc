// `domicile audit verify` and `domicile audit report` as an auditor types them: the real
// binary against the Tessera test log on disk and over HTTP, a generated log of events, and
// the refusals (exit 1 with the reason) and usage errors (exit 2).
#include <filesystem>
#include <fstream>

#include "audit/directory_log_source.h"
#include "audit/test_log_writer.h"
#include "crypto/ed25519.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "nlohmann/json.hpp"
#include "node_process.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"
#include "util/file.h"
#include "util/temp_dir.h"

namespace domicile::testing {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kTesseraLog = DOMICILE_SOURCE_DIR "/tests/testdata/tessera-log";

std::string Slurp(const std::filesystem::path& p) {
  absl::StatusOr<std::string> s = ReadFileToString(p);
  EXPECT_TRUE(s.ok()) << p;
  return s.ok() ? *s : "";
}

void Put(const std::filesystem::path& p, const std::string& data) {
  std::filesystem::remove(p);
  std::ofstream(p, std::ios::binary) << data;
}

// A writable copy of the Tessera log whose current checkpoint is checkpoint.N.
class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    log_ = dir_ / "log";
    fs::copy(kTesseraLog, log_, fs::copy_options::recursive);
    fs::permissions(log_, fs::perms::owner_all, fs::perm_options::add);
    for (const auto& e : fs::recursive_directory_iterator(log_)) {
      fs::permissions(e.path(), e.is_directory() ? fs::perms::owner_all : fs::perms::owner_write,
                      fs::perm_options::add);
    }
  }
  void UseCheckpoint(int n) {
    Put(log_ / "checkpoint", Slurp(log_ / fmt::format("checkpoint.{}", n)));
  }
  CommandResult Verify(std::vector<std::string> extra) {
    std::vector<std::string> args = {"audit", "verify", "--key",
                                     "@" + (kTesseraLog / "VKEY").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCommand(args);
  }

  TempDir dir_;
  std::filesystem::path log_;
};

TEST_F(AuditCliTest, VerifiesADirectoryIncrementallyAndRefusesARollback) {
  const std::string state = (dir_ / "state").string();
  UseCheckpoint(8);
  CommandResult first = Verify({"--dir", log_.string(), "--state", state});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("verified example.com/log/testdata at size 8, root "));
  EXPECT_THAT(first.out, HasSubstr("8 entries verified, no previous state"));

  UseCheckpoint(15);
  CommandResult second = Verify({"--dir", log_.string(), "--state", state});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out,
            "verified example.com/log/testdata at size 15, root "
            "rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=: 7 entries verified, consistent with "
            "previous size 8\n");

  UseCheckpoint(8);
  CommandResult rollback = Verify({"--dir", log_.string(), "--state", state});
  EXPECT_EQ(rollback.exit_code, 1);
  EXPECT_THAT(rollback.err, HasSubstr("rollback: the log's checkpoint has size 8"));
  EXPECT_EQ(rollback.out, "");

  // The key as a string works as well as @FILE.
  UseCheckpoint(15);
  CommandResult inline_key = RunCommand(
      {"audit", "verify", "--dir", log_.string(), "--key",
       "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"});
  EXPECT_EQ(inline_key.exit_code, 0) << inline_key.err;
}

TEST_F(AuditCliTest, WitnessesMustHaveCosignedTheCheckpoint) {
  // The Tessera log's checkpoint of size 15, cosigned by w1 and by a witness nobody asks about.
  const std::string note = Slurp(log_ / "checkpoint.15");
  const std::string text = tlog::ParseNote(note)->text;
  auto witness = [](std::string_view name, uint8_t seed) {
    return *tlog::MakeCosignerVerifier(name, *crypto::Ed25519PublicFromSeed(Bytes(32, seed)));
  };
  const std::string w1 = tlog::FormatCosignerVerifier(witness("witness.example/w1", 1));
  const std::string w2 = tlog::FormatCosignerVerifier(witness("witness.example/w2", 2));
  Put(log_ / "checkpoint",
      note + *tlog::MakeCosignatureWithSeed(text, "witness.example/w1", Bytes(32, 1), 1700000000) +
          *tlog::MakeCosignatureWithSeed(text, "other.example/w9", Bytes(32, 9), 1700000000));
  Put(dir_ / "w1.vkey", w1 + "\n");

  CommandResult ok =
      Verify({"--dir", log_.string(), "--witness", "@" + (dir_ / "w1.vkey").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("cosigned by witness.example/w1 at 2023-11-14T22:13:20Z"));
  CommandResult unasked = Verify({"--dir", log_.string()});  // cosignatures need no --witness
  EXPECT_EQ(unasked.exit_code, 0) << unasked.err;

  // A witness that did not cosign: refused, loudly, naming it.
  CommandResult missing = Verify({"--dir", log_.string(), "--witness", w1, "--witness", w2});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("REFUSED"));
  EXPECT_THAT(missing.err, HasSubstr("no cosignature by witness witness.example/w2+"));
  EXPECT_EQ(missing.out, "");

  // A cosignature by w1 of another checkpoint does not count.
  const std::string other_text = tlog::ParseNote(Slurp(log_ / "checkpoint.14"))->text;
  Put(log_ / "checkpoint",
      note + *tlog::MakeCosignatureWithSeed(other_text, "witness.example/w1", Bytes(32, 1), 1));
  CommandResult bad = Verify({"--dir", log_.string(), "--witness", w1});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("cosignature by witness witness.example/w1+"));
  EXPECT_THAT(bad.err, HasSubstr("does not verify"));

  // A log key is no witness key: a usage error.
  CommandResult log_key =
      Verify({"--dir", log_.string(), "--witness", "@" + (kTesseraLog / "VKEY").string()});
  EXPECT_EQ(log_key.exit_code, 2);
  EXPECT_THAT(log_key.err, HasSubstr("--witness"));
}

TEST_F(AuditCliTest, TamperingFailsWithTheReason) {
  std::string bundle = Slurp(log_ / "tile/entries/000.p/15");
  bundle[2] ^= 1;
  Put(log_ / "tile/entries/000.p/15", bundle);
  CommandResult r = Verify({"--dir", log_.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("entry 0 does not match tile/0/000.p/15"));
}

TEST_F(AuditCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCommand({"audit", "verify", "--dir", log_.string()}).exit_code, 2);  // no --key
  EXPECT_EQ(Verify({}).exit_code, 2);                                               // no source
  EXPECT_EQ(Verify({"--dir", log_.string(), "--url", "http://127.0.0.1:1"}).exit_code, 2);
  CommandResult bad_key =
      RunCommand({"audit", "verify", "--dir", log_.string(), "--key", "not-a-key"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_THAT(bad_key.err, HasSubstr("--key"));
  EXPECT_EQ(RunCommand({"audit", "report", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(RunCommand({"audit", "report", "--since", "last week"}).exit_code, 2);
  EXPECT_EQ(RunCommand({"audit"}).exit_code, 2);
}

TEST_F(AuditCliTest, VerifiesOverHttpWithAPrefixOrANodeUrl) {
  http::ServerOptions options;
  options.threads = 1;
  auto server = http::Server::Start(
      options, http::MakeAsync([this](const http::Request& request) -> http::Response {
        if (!request.path.starts_with("/log/")) return {404, "text/plain", {}, ""};
        audit::DirectoryLogSource files(log_);
        absl::StatusOr<std::string> data = files.Fetch(request.path.substr(5));
        if (!data.ok()) return {404, "text/plain", {}, ""};
        return {200, "application/octet-stream", {}, *data};
      }));
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url = fmt::format("http://127.0.0.1:{}", (*server)->port());
  CommandResult with_prefix = Verify({"--url", url + "/log"});
  EXPECT_EQ(with_prefix.exit_code, 0) << with_prefix.err;
  EXPECT_THAT(with_prefix.out, HasSubstr("at size 15"));
  CommandResult node_url = Verify({"--url", url, "--state", (dir_ / "state").string()});
  EXPECT_EQ(node_url.exit_code, 0) << node_url.err;
  CommandResult wrong_prefix = Verify({"--url", url + "/elsewhere"});
  EXPECT_EQ(wrong_prefix.exit_code, 1);
  EXPECT_THAT(wrong_prefix.err, HasSubstr("checkpoint"));
}

TEST(AuditReportCli, ReportsTheVerifiedEvents) {
  TempDir dir;
  auto writer = audit::testing::TestLogWriter::Create(dir / "log", "events.test/log", Bytes(32, 3));
  ASSERT_TRUE(writer.ok());
  auto access = [](const char* time, const char* who, const char* where, const char* decision) {
    return fmt::format(
        R"({{"action":"read","decision":"{}","determining":[],"kind":"access","node":"us-1",)"
        R"("policy_sha256":"aa","principal":{{"entity":"e","id":"{}","location":"{}",)"
        R"("roles":[],"type":"User"}},"reason":"r","resource":{{"class":"protected",)"
        R"("jurisdiction":"US","key":"k","site":"s","subject":"u1","type":"record"}},)"
        R"("time":"{}","v":1}})",
        decision, who, where, time);
  };
  for (const std::string& e :
       {access("2026-11-22T10:00:00.000Z", "bob", "US", "allow"),
        access("2026-11-22T10:05:00.000Z", "li", "CN", "allow"),
        access("2026-11-22T10:06:00.000Z", "li", "CN", "deny"), std::string("not an event")}) {
    writer->Append(ToBytes(e));
  }
  ASSERT_TRUE(writer->Publish().ok());
  const std::string state = (dir / "state").string();
  CommandResult missing = RunCommand({"audit", "report", "--state", state});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no verified state"));

  CommandResult verify = RunCommand({"audit", "verify", "--dir", (dir / "log").string(), "--key",
                                     writer->verifier_key(), "--state", state});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;

  CommandResult text = RunCommand({"audit", "report", "--state", state});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out,
              HasSubstr("PROTECTED READS BY PRINCIPALS OUTSIDE THE DATA'S JURISDICTION: 1"));
  EXPECT_THAT(text.out, HasSubstr("at entries: 1\n"));

  CommandResult json = RunCommand({"audit", "report", "--state", state, "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json.out;
  EXPECT_EQ(j["protected_reads_outside_jurisdiction"]["count"], 1);
  EXPECT_EQ(j["unparsable"], 1);
  EXPECT_EQ(j["denied"][0]["principal"], "li");
  EXPECT_EQ(j["log"]["size"], 4);

  CommandResult since = RunCommand(
      {"audit", "report", "--state", state, "--format", "json", "--since", "2026-11-22T10:05:30Z"});
  EXPECT_EQ(since.exit_code, 0) << since.err;
  const nlohmann::json s = nlohmann::json::parse(since.out, nullptr, false);
  EXPECT_EQ(s["protected_reads_outside_jurisdiction"]["count"], 0);
  EXPECT_EQ(s["events"], 1);
  EXPECT_EQ(s["since"], "2026-11-22T10:05:30Z");
}

}  // namespace
}  // namespace domicile::testing
