// Verification and restore: what a restore refuses (and that it then leaves the target as it
// was), how it resumes, and how it treats erased subjects and newer data at the target.
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "ops/backup.h"
#include "ops/backup_test_util.h"
#include "ops/merkle_root.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::ops {
namespace {

using backup_testing::BackupTest;
using backup_testing::Contents;
using backup_testing::Data;
using backup_testing::Listed;
using backup_testing::OpenStore;
using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using vault::Classification;

class RestoreTest : public BackupTest {
 protected:
  void SetUp() override {
    BackupTest::SetUp();
    Populate(4, 10);
    ASSERT_OK_AND_ASSIGN(manifest_, TakeBackup(site_->kv(), dest_, Params()));
    ASSERT_GT(manifest_.chunks.size(), 3u);
    target_ = OpenStore(dir_ / "target");
  }

  std::filesystem::path BackupDir() const { return dir_ / "backups" / manifest_.id; }

  // Restores, expecting a refusal matching `matcher` that leaves the target untouched.
  template <typename Matcher>
  void ExpectRefused(Matcher matcher, const RestoreParams& params = ToSite()) {
    ASSERT_OK(target_->Put("r/other/x", "already there"));
    const auto before = Contents(*target_);
    EXPECT_THAT(Restore(dest_, manifest_.id, *target_, params), matcher);
    EXPECT_EQ(Contents(*target_), before);
  }

  void EditManifest(const std::function<void(nlohmann::json&)>& edit) {
    ASSERT_OK_AND_ASSIGN(std::string text, dest_.ReadManifest(manifest_.id));
    nlohmann::json j = nlohmann::json::parse(text);
    edit(j);
    ASSERT_OK(dest_.WriteManifest(manifest_.id, j.dump()));
  }

  DirectoryBackupStore dest_{dir_ / "backups", /*chunk_bytes=*/1024};
  BackupManifest manifest_;
  std::unique_ptr<store::KvStore> target_;
};

TEST_F(RestoreTest, RefusesAFlippedByteNamingTheChunk) {
  ASSERT_OK_AND_ASSIGN(std::string chunk, dest_.ReadChunk(manifest_.id, 2));
  chunk[chunk.size() / 2] ^= 0x01;
  ASSERT_OK(dest_.WriteChunk(manifest_.id, 2, chunk));
  EXPECT_THAT(
      VerifyBackup(dest_, manifest_.id),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("chunk-00002"), HasSubstr("sha256"))));
  ExpectRefused(StatusIs(absl::StatusCode::kDataLoss, HasSubstr("chunk-00002")));
}

// A forger who also fixes the chunk's sha256 in the manifest is caught by the Merkle root.
TEST_F(RestoreTest, RefusesAConsistentlyForgedChunkByItsRoot) {
  ASSERT_OK_AND_ASSIGN(std::string chunk, dest_.ReadChunk(manifest_.id, 1));
  chunk[chunk.size() - 1] ^= 0x01;  // inside the last value: still well-formed
  ASSERT_OK(dest_.WriteChunk(manifest_.id, 1, chunk));
  EditManifest([&](nlohmann::json& j) {
    j["chunks"][1]["sha256"] = HexEncode(crypto::Sha256(AsBytes(chunk)));
  });
  ExpectRefused(StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"root\"")));
}

TEST_F(RestoreTest, RefusesARemovedChunk) {
  ASSERT_TRUE(std::filesystem::remove(BackupDir() / "chunk-00003.bin"));
  ExpectRefused(StatusIs(absl::StatusCode::kDataLoss, HasSubstr("chunk-00003 is missing")));
}

TEST_F(RestoreTest, RefusesAnEditedManifestRoot) {
  EditManifest([](nlohmann::json& j) { j["root"] = std::string(64, '0'); });
  ExpectRefused(StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"root\"")));
}

TEST_F(RestoreTest, RefusesAnEditedCount) {
  EditManifest([](nlohmann::json& j) {
    j["records"] = j["records"].get<uint64_t>() + 1;
    j["data_keys"] = j["data_keys"].get<uint64_t>() - 1;
  });
  ExpectRefused(StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"records\"")));
}

TEST_F(RestoreTest, RefusesABackupWithoutManifest) {
  ASSERT_TRUE(std::filesystem::remove(BackupDir() / "manifest.json"));
  EXPECT_THAT(Listed(dest_), ::testing::IsEmpty());
  ExpectRefused(StatusIs(absl::StatusCode::kNotFound, HasSubstr("manifest.json")));
}

TEST_F(RestoreTest, RefusesAnotherSiteBeforeWritingAnything) {
  ExpectRefused(
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("site us-tx, not us-va"), HasSubstr("bound to their site"))),
      ToSite("us-va"));
}

// Writes a backup by hand from `entries` (key, value), with a manifest consistent with them.
BackupManifest HandMadeBackup(BackupStore& dest,
                              const std::vector<std::pair<std::string, std::string>>& entries) {
  BackupManifest m;
  m.id = "us-tx-20231114T221320Z-00000000";
  m.site = "us-tx";
  m.site_jurisdiction = "US";
  m.created = "2023-11-14T22:13:20Z";
  std::string chunk;
  MerkleRoot root;
  for (const auto& [key, value] : entries) {
    const size_t start = chunk.size();
    AppendBackupEntry(chunk, key, value);
    root.Add(AsBytes(std::string_view(chunk).substr(start)));
    (key.starts_with("r/") ? m.records : m.data_keys) += 1;
  }
  m.entries = entries.size();
  m.bytes = chunk.size();
  m.root = HexEncode(root.Root());
  m.chunks = {{"chunk-00000", m.entries, m.bytes, HexEncode(crypto::Sha256(AsBytes(chunk)))}};
  EXPECT_OK(dest.WriteChunk(m.id, 0, chunk));
  EXPECT_OK(dest.WriteManifest(m.id, EncodeManifest(m)));
  return m;
}

// Checks beyond the hashes: a backup whose manifest matches its entries is still refused if
// they are out of order, outside the data prefixes, or malformed.
TEST_F(RestoreTest, RefusesEntriesOutOfOrderOrOutsideTheDataOrMalformed) {
  const std::string record = Contents(site_->kv(), "r/s000/r0000").begin()->second;
  const std::string data_key = Contents(site_->kv(), "k/s000").begin()->second;
  DirectoryBackupStore dest(dir_ / "hand-made");
  const BackupManifest m =
      HandMadeBackup(dest, {{"r/s000/r0001", record}, {"r/s000/r0000", record}});
  EXPECT_THAT(VerifyBackup(dest, m.id),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("chunk-00000 entry 1"), HasSubstr("ascending"))));
  HandMadeBackup(dest, {{"k/s000", data_key}, {"meta/x", "y"}});
  EXPECT_THAT(VerifyBackup(dest, m.id),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not a record or data key")));
  HandMadeBackup(dest, {{"k/s000", "garbage"}});
  EXPECT_THAT(VerifyBackup(dest, m.id),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("\"k/s000\""), HasSubstr("wrapped data key"))));
  HandMadeBackup(dest, {{"r/s000/r0000", "\x07"}});
  EXPECT_THAT(VerifyBackup(dest, m.id),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("malformed record")));
  HandMadeBackup(dest, {{"k/s000", data_key}, {"r/s000/r0000", record}});
  EXPECT_THAT(VerifyBackup(dest, m.id), IsOk());
}

TEST_F(RestoreTest, ResumesAfterAnInterruption) {
  std::atomic<bool> cancel{false};
  int batches = 0;
  auto stop_after_first_batch = [&](uint64_t, uint64_t) {
    ++batches;
    cancel = true;
  };
  EXPECT_THAT(Restore(dest_, manifest_.id, *target_, ToSite(), stop_after_first_batch, &cancel),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(Data(*target_).size(), 10u);  // one batch
  EXPECT_THAT(target_->Get(RestoreProgressKey(manifest_.id)), IsOk());

  std::vector<uint64_t> done;
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest_, manifest_.id, *target_, ToSite(),
                                                [&](uint64_t e, uint64_t) { done.push_back(e); }));
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(done.front(), 20u);  // resumed after the first batch
  EXPECT_EQ(done.back(), manifest_.entries);
  EXPECT_EQ(r.records_restored, manifest_.records);
  EXPECT_EQ(r.data_keys_restored, manifest_.data_keys);
  EXPECT_EQ(Contents(*target_), Data(site_->kv()));

  // Once finished, the progress is gone; restoring again starts afresh and changes nothing.
  EXPECT_THAT(target_->Get(RestoreProgressKey(manifest_.id)),
              StatusIs(absl::StatusCode::kNotFound));
  const auto after = Contents(*target_);
  ASSERT_OK_AND_ASSIGN(RestoreResult again, Restore(dest_, manifest_.id, *target_, ToSite()));
  EXPECT_EQ(again.records_restored, r.records_restored);
  EXPECT_EQ(again.data_keys_restored, r.data_keys_restored);
  EXPECT_EQ(Contents(*target_), after);
}

// Forwards to a store, but refuses the `fail_at`-th write of a restore's progress: as if the node
// stopped after a batch was loaded and before its progress was recorded.
class ProgressWriteFails final : public store::KvStore {
 public:
  ProgressWriteFails(store::KvStore& inner, int fail_at) : inner_(inner), fail_at_(fail_at) {}
  absl::StatusOr<std::string> Get(std::string_view key) const override { return inner_.Get(key); }
  absl::Status Put(std::string_view key, std::string_view value) override {
    if (key.starts_with("restore/") && ++progress_writes_ == fail_at_) {
      return absl::UnavailableError("the node stopped");
    }
    return inner_.Put(key, value);
  }
  absl::Status Delete(std::string_view key) override { return inner_.Delete(key); }
  absl::Status Write(const store::WriteBatch& batch) override { return inner_.Write(batch); }
  absl::Status WriteBulk(const store::WriteBatch& batch) override {
    return inner_.WriteBulk(batch);
  }
  absl::Status Scan(std::string_view prefix, const store::ScanFn& fn) const override {
    return inner_.Scan(prefix, fn);
  }
  absl::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const store::ScanFn& fn) const override {
    return inner_.ScanFrom(prefix, start, fn);
  }
  absl::StatusOr<std::unique_ptr<store::Snapshot>> GetSnapshot() const override {
    return inner_.GetSnapshot();
  }

 private:
  store::KvStore& inner_;
  const int fail_at_;
  int progress_writes_ = 0;
};

// A batch loaded whose progress was never recorded is loaded again by the next call, and counted
// once.
TEST_F(RestoreTest, ABatchLoadedButNotRecordedIsLoadedAgain) {
  RestoreParams params = ToSite();
  params.batch_entries = 10;
  ProgressWriteFails failing(*target_, /*fail_at=*/2);
  EXPECT_THAT(Restore(dest_, manifest_.id, failing, params),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Data(*target_).size(), 20u);  // two batches loaded, the first one recorded
  std::vector<uint64_t> done;
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest_, manifest_.id, *target_, params,
                                                [&](uint64_t e, uint64_t) { done.push_back(e); }));
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(done.front(), 20u);  // the second batch again
  EXPECT_EQ(r.records_restored, manifest_.records);
  EXPECT_EQ(r.data_keys_restored, manifest_.data_keys);
  EXPECT_EQ(r.records_restored + r.data_keys_restored, manifest_.entries);
  EXPECT_EQ(Contents(*target_), Data(site_->kv()));
  EXPECT_THAT(target_->Get(RestoreProgressKey(manifest_.id)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RestoreTest, SkipsErasedSubjects) {
  RestoreParams params = ToSite();
  params.skip_subject = [](std::string_view subject) { return subject == "s001"; };
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest_, manifest_.id, *target_, params));
  EXPECT_EQ(r.skipped_erased, 2u + 11u);  // two data keys, eleven records
  EXPECT_EQ(r.records_restored + r.data_keys_restored + r.skipped_erased, manifest_.entries);
  const auto restored = Data(*target_);
  for (const auto& [key, value] : Data(site_->kv())) {
    EXPECT_EQ(restored.contains(key), key.find("s001") == std::string::npos) << key;
  }
}

// The counts of a resumed restore cover its earlier calls too.
TEST_F(RestoreTest, ResumedRestoreCountsFromTheStart) {
  RestoreParams params = ToSite();
  params.skip_subject = [](std::string_view subject) { return subject == "s000"; };
  std::atomic<bool> cancel{false};
  EXPECT_THAT(Restore(
                  dest_, manifest_.id, *target_, params, [&](uint64_t, uint64_t) { cancel = true; },
                  &cancel),
              StatusIs(absl::StatusCode::kCancelled));
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest_, manifest_.id, *target_, params));
  EXPECT_EQ(r.skipped_erased, 2u + 11u);
  EXPECT_EQ(r.records_restored + r.data_keys_restored + r.skipped_erased, manifest_.entries);
}

// The target made a new data key for s002 after the backup and sealed newer data under it:
// the backup's entries for s002 would mix keys, so none of them is restored.
TEST_F(RestoreTest, SkipsSubjectsWhoseDataKeyChanged) {
  auto target_site = MakeSite("target-site");
  Write(*target_site, "s002", "r0000", "newer", Classification::kProtected, 7);
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest_, manifest_.id, target_site->kv(), ToSite()));
  EXPECT_EQ(r.conflicts, 2u + 11u);
  EXPECT_EQ(r.records_restored, manifest_.records - 11);
  ASSERT_OK_AND_ASSIGN(auto record, target_site->GetRecord("s002", "r0000"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->version, 7u);
  ASSERT_OK_AND_ASSIGN(auto other, target_site->GetRecord("s002", "r0001"));
  EXPECT_FALSE(other.has_value());
  ASSERT_OK_AND_ASSIGN(auto s003, target_site->GetRecord("s003", "r0001"));
  EXPECT_TRUE(s003.has_value());
}

// Same data key, newer record at the target: the target's record stays.
TEST_F(RestoreTest, KeepsNewerRecordsAtTheTarget) {
  auto target_site = MakeSite("target-site");
  const std::string key = Contents(site_->kv(), "k/s003").begin()->second;
  ASSERT_OK(target_site->kv().Put("k/s003", key));
  ASSERT_OK(
      target_site->kv().Put("r/s003/r0004", Contents(site_->kv(), "r/s003/r0004")
                                                .begin()
                                                ->second.replace(2, 8, "\0\0\0\0\0\0\0\x09", 8)));
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest_, manifest_.id, target_site->kv(), ToSite()));
  EXPECT_EQ(r.kept_newer, 1u);
  EXPECT_EQ(r.conflicts, 0u);
  EXPECT_EQ(r.records_restored, manifest_.records - 1);
  ASSERT_OK_AND_ASSIGN(auto record, target_site->GetRecord("s003", "r0004"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->version, 9u);
}

}  // namespace
}  // namespace domicile::ops
