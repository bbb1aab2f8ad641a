#include "ops/backup_format.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/clock.h"
#include "util/status_matchers.h"

namespace domicile::ops {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

BackupManifest SampleManifest() {
  BackupManifest m;
  m.id = "us-tx-20231114T221320Z-0a1b2c3d";
  m.site = "us-tx";
  m.site_jurisdiction = "US";
  m.jurisdictions = {"US"};
  m.created = "2023-11-14T22:13:20Z";
  m.records = 3;
  m.data_keys = 2;
  m.entries = 5;
  m.bytes = 300;
  m.root = std::string(64, 'a');
  m.chunks = {{"chunk-00000", 4, 200, std::string(64, 'b')},
              {"chunk-00001", 1, 100, std::string(64, 'c')}};
  m.checkpoint = "example.com/log\n5\nAAAA\n\n— example.com/log sig\n";
  return m;
}

TEST(BackupFormatTest, ManifestRoundTripsAsCanonicalJson) {
  const BackupManifest m = SampleManifest();
  const std::string text = EncodeManifest(m);
  EXPECT_TRUE(text.starts_with(R"({"bytes":300,"checkpoint":)")) << text;
  ASSERT_OK_AND_ASSIGN(BackupManifest parsed, ParseManifest(text));
  EXPECT_EQ(EncodeManifest(parsed), text);
  EXPECT_EQ(parsed.id, m.id);
  EXPECT_EQ(parsed.jurisdictions, m.jurisdictions);
  ASSERT_EQ(parsed.chunks.size(), 2u);
  EXPECT_EQ(parsed.chunks[1].sha256, m.chunks[1].sha256);
  EXPECT_EQ(parsed.checkpoint, m.checkpoint);
}

// Each edit of a valid manifest is refused with DataLoss naming the field.
TEST(BackupFormatTest, ManifestParsingNamesTheBadField) {
  const nlohmann::json valid = nlohmann::json::parse(EncodeManifest(SampleManifest()));
  struct Case {
    std::string field;
    std::function<void(nlohmann::json&)> edit;
  };
  const std::vector<Case> cases = {
      {"\"format\"", [](nlohmann::json& j) { j["format"] = 2; }},
      {"\"id\"", [](nlohmann::json& j) { j["id"] = "../etc"; }},
      {"\"site\"", [](nlohmann::json& j) { j["site"] = "a/b"; }},
      {"\"site_jurisdiction\"", [](nlohmann::json& j) { j["site_jurisdiction"] = "usa"; }},
      {"\"jurisdictions\"",
       [](nlohmann::json& j) {
         j["jurisdictions"] = {"US", "US"};
       }},
      {"\"created\"", [](nlohmann::json& j) { j["created"] = "yesterday"; }},
      {"\"records\"", [](nlohmann::json& j) { j["records"] = -1; }},
      {"\"entries\"", [](nlohmann::json& j) { j["entries"] = 6; }},
      {"\"bytes\"", [](nlohmann::json& j) { j["bytes"] = 301; }},
      {"\"root\"", [](nlohmann::json& j) { j["root"] = std::string(64, 'A'); }},
      {"\"chunks[1].name\"", [](nlohmann::json& j) { j["chunks"][1]["name"] = "../x"; }},
      {"\"chunks[0].sha256\"", [](nlohmann::json& j) { j["chunks"][0]["sha256"] = "00"; }},
      {"\"checkpoint\" is missing", [](nlohmann::json& j) { j.erase("checkpoint"); }},
      {"unknown field \"extra\"", [](nlohmann::json& j) { j["extra"] = true; }},
  };
  for (const Case& c : cases) {
    nlohmann::json edited = valid;
    c.edit(edited);
    EXPECT_THAT(ParseManifest(edited.dump()),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c.field)))
        << c.field;
  }
  EXPECT_THAT(ParseManifest("{not json"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(BackupFormatTest, ChunkReaderReturnsEntriesInOrder) {
  std::string chunk;
  AppendBackupEntry(chunk, "k/alice", "key");
  AppendBackupEntry(chunk, "r/alice/email", std::string(300, 'x'));
  EXPECT_EQ(chunk.size(), (4 + 7 + 4 + 3) + (4 + 13 + 4 + 300));
  ChunkReader reader(chunk);
  ChunkReader::Entry entry;
  ASSERT_OK_AND_ASSIGN(bool more, reader.Next(entry));
  ASSERT_TRUE(more);
  EXPECT_EQ(entry.key, "k/alice");
  EXPECT_EQ(entry.value, "key");
  EXPECT_EQ(entry.encoded, std::string_view(chunk).substr(0, 18));
  ASSERT_OK_AND_ASSIGN(more, reader.Next(entry));
  ASSERT_TRUE(more);
  EXPECT_EQ(entry.key, "r/alice/email");
  EXPECT_EQ(entry.value.size(), 300u);
  ASSERT_OK_AND_ASSIGN(more, reader.Next(entry));
  EXPECT_FALSE(more);
}

TEST(BackupFormatTest, ChunkReaderRefusesATruncatedChunk) {
  std::string chunk;
  AppendBackupEntry(chunk, "k/alice", "key");
  for (size_t cut = 1; cut < chunk.size(); ++cut) {
    ChunkReader reader(std::string_view(chunk).substr(0, cut));
    ChunkReader::Entry entry;
    EXPECT_THAT(reader.Next(entry), StatusIs(absl::StatusCode::kDataLoss)) << cut;
  }
}

TEST(BackupFormatTest, EntriesAreCheckedForShape) {
  std::string record = {0x02, 0x01};
  record += std::string(8, '\0') + "envelope";
  ASSERT_OK_AND_ASSIGN(BackupEntryKey key, CheckBackupEntry("r/alice/email", record));
  EXPECT_TRUE(key.is_record);
  EXPECT_EQ(key.subject, "alice");
  EXPECT_THAT(CheckBackupEntry("r/alice", record), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(CheckBackupEntry("x/alice", record), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_FALSE(CheckBackupEntry("r/al ice/email", record).ok());
  record[0] = 0x03;
  EXPECT_THAT(CheckBackupEntry("r/alice/email", record), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(CheckBackupEntry("k/alice", "not a wrapped key"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("wrapped data key")));
  // A record without an envelope is malformed.
  EXPECT_THAT(CheckBackupEntry("r/alice/email", std::string("\x02\x01", 2) + std::string(8, '\0')),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(BackupFormatTest, BackupIdsNameTheSiteAndTimeAndAreSafeAsFileNames) {
  FakeClock clock(1'700'000'000);
  ASSERT_OK_AND_ASSIGN(std::string id, MakeBackupId("us-tx", clock.Now()));
  EXPECT_THAT(id, MatchesRegex("us-tx-20231114T221320Z-[0-9a-f]{8}"));
  EXPECT_THAT(ValidateBackupId(id), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string other, MakeBackupId("us-tx", clock.Now()));
  EXPECT_NE(id, other);
  EXPECT_EQ(FormatBackupTime(clock.Now()), "2023-11-14T22:13:20Z");
  const std::string_view bad_ids[] = {"", ".", "..", "a/b", "a b", std::string_view("a\0b", 3)};
  for (std::string_view bad : bad_ids) {
    EXPECT_THAT(ValidateBackupId(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(MakeBackupId("../x", clock.Now()), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::ops
