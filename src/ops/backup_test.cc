#include "ops/backup.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/backup_test_util.h"
#include "util/status_matchers.h"

namespace domicile::ops {
namespace {

using backup_testing::BackupTest;
using backup_testing::Contents;
using backup_testing::Data;
using backup_testing::kCanary;
using backup_testing::Listed;
using backup_testing::OpenStore;
using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;

TEST_F(BackupTest, DirectoryRoundTripRestoresIdenticalEntries) {
  Populate(5, 20);
  DirectoryBackupStore dest(dir_ / "backups", /*chunk_bytes=*/2048);
  ASSERT_OK_AND_ASSIGN(BackupManifest m, TakeBackup(site_->kv(), dest, Params()));
  EXPECT_EQ(m.site, "us-tx");
  EXPECT_EQ(m.records, 5u * 21);
  EXPECT_EQ(m.data_keys, 5u * 2);
  EXPECT_EQ(m.entries, m.records + m.data_keys);
  EXPECT_GT(m.chunks.size(), 5u);
  EXPECT_EQ(m.created, "2023-11-14T22:13:20Z");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "backups" / m.id / "chunk-00000.bin"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "backups" / m.id / "manifest.json"));
  EXPECT_THAT(Listed(dest), ElementsAre(m.id));
  ASSERT_OK_AND_ASSIGN(BackupManifest verified, VerifyBackup(dest, m.id));
  EXPECT_EQ(EncodeManifest(verified), EncodeManifest(m));

  auto target = OpenStore(dir_ / "restored");
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest, m.id, *target, ToSite()));
  EXPECT_EQ(r.records_restored, m.records);
  EXPECT_EQ(r.data_keys_restored, m.data_keys);
  EXPECT_EQ(r.skipped_erased + r.conflicts + r.kept_newer, 0u);
  EXPECT_EQ(Data(*target), Data(site_->kv()));
}

TEST_F(BackupTest, KvStoreRoundTripRestoresIdenticalEntries) {
  Populate(4, 10);
  auto backup_site = OpenStore(dir_ / "backup-site");
  KvBackupStore dest(backup_site.get(), /*chunk_bytes=*/1024);
  ASSERT_OK_AND_ASSIGN(BackupManifest m, TakeBackup(site_->kv(), dest, Params()));
  EXPECT_GT(m.chunks.size(), 3u);
  EXPECT_THAT(Listed(dest), ElementsAre(m.id));
  EXPECT_THAT(backup_site->Get(fmt::format("b/{}/chunk/00000", m.id)), IsOk());
  EXPECT_THAT(backup_site->Get(fmt::format("b/{}/manifest", m.id)), IsOk());

  auto target = OpenStore(dir_ / "restored");
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest, m.id, *target, ToSite()));
  EXPECT_EQ(r.records_restored + r.data_keys_restored, m.entries);
  EXPECT_EQ(Data(*target), Data(site_->kv()));
}

// The backup is consistent: writes after its snapshot are not in it.
TEST_F(BackupTest, BackupIsTheSnapshotAndOnlyTheDataPrefixes) {
  Populate(2, 3);
  ASSERT_OK(site_->kv().Put("meta/other", "not site data"));
  DirectoryBackupStore dest(dir_ / "backups", 256);
  const auto before = Data(site_->kv());
  bool wrote = false;
  ASSERT_OK_AND_ASSIGN(BackupManifest m,
                       TakeBackup(site_->kv(), dest, Params(), [&](uint64_t, uint64_t) {
                         if (!wrote) Write(*site_, "zz", "late", "written during the backup");
                         wrote = true;
                       }));
  ASSERT_TRUE(wrote);
  auto target = OpenStore(dir_ / "restored");
  ASSERT_OK(Restore(dest, m.id, *target, ToSite()).status());
  EXPECT_EQ(Data(*target), before);
  EXPECT_THAT(target->Get("meta/other"), StatusIs(absl::StatusCode::kNotFound));
}

// A BackupStore that records what was written, in order, around a DirectoryBackupStore.
class RecordingStore final : public BackupStore {
 public:
  explicit RecordingStore(BackupStore& inner) : inner_(inner) {}
  size_t chunk_bytes() const override { return inner_.chunk_bytes(); }
  absl::Status WriteChunk(std::string_view id, uint32_t index, std::string_view data) override {
    if (manifest_written_) ++writes_after_manifest_;
    max_chunk_ = std::max(max_chunk_, data.size());
    ++chunks_;
    return inner_.WriteChunk(id, index, data);
  }
  absl::Status WriteManifest(std::string_view id, std::string_view manifest) override {
    manifest_written_ = true;
    return inner_.WriteManifest(id, manifest);
  }
  absl::StatusOr<std::string> ReadChunk(std::string_view id, uint32_t index) const override {
    return inner_.ReadChunk(id, index);
  }
  absl::StatusOr<std::string> ReadManifest(std::string_view id) const override {
    return inner_.ReadManifest(id);
  }
  absl::StatusOr<std::vector<std::string>> List() const override { return inner_.List(); }

  BackupStore& inner_;
  bool manifest_written_ = false;
  int writes_after_manifest_ = 0;
  size_t max_chunk_ = 0;
  int chunks_ = 0;
};

// Many entries stream through small chunks: no chunk grows past its size by more than one
// entry, and the manifest comes last.
TEST_F(BackupTest, StreamsThroughBoundedChunksAndWritesTheManifestLast) {
  Populate(10, 200, /*value_size=*/200);
  DirectoryBackupStore dir(dir_ / "backups", /*chunk_bytes=*/4096);
  RecordingStore dest(dir);
  std::vector<uint64_t> progress;
  ASSERT_OK_AND_ASSIGN(BackupManifest m,
                       TakeBackup(site_->kv(), dest, Params(),
                                  [&](uint64_t e, uint64_t) { progress.push_back(e); }));
  EXPECT_EQ(m.entries, 10u * 201 + 20);
  EXPECT_GT(dest.chunks_, 100);
  EXPECT_EQ(static_cast<size_t>(dest.chunks_), m.chunks.size());
  EXPECT_LT(dest.max_chunk_, 4096u + 400);
  EXPECT_TRUE(dest.manifest_written_);
  EXPECT_EQ(dest.writes_after_manifest_, 0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), m.entries);
  auto target = OpenStore(dir_ / "restored");
  ASSERT_OK(Restore(dir, m.id, *target, ToSite()).status());
  EXPECT_EQ(Data(*target), Data(site_->kv()));
}

TEST_F(BackupTest, BackupFilesHoldNoPlaintext) {
  Populate(3, 5);
  ASSERT_FALSE(Contents(site_->kv()).empty());
  DirectoryBackupStore dest(dir_ / "backups", 1024);
  ASSERT_OK_AND_ASSIGN(BackupManifest m, TakeBackup(site_->kv(), dest, Params()));
  int files = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(dir_ / "backups")) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(kCanary), std::string::npos) << file.path();
    EXPECT_EQ(bytes.find("s001 0"), std::string::npos) << file.path();
    ++files;
  }
  EXPECT_EQ(files, static_cast<int>(m.chunks.size()) + 1);
  // The same for a backup site's store, read back through the store.
  auto backup_site = OpenStore(dir_ / "backup-site");
  KvBackupStore kv_dest(backup_site.get(), 1024);
  ASSERT_OK_AND_ASSIGN(BackupManifest kv_m, TakeBackup(site_->kv(), kv_dest, Params()));
  for (const auto& [key, value] : Contents(*backup_site)) {
    EXPECT_EQ(value.find(kCanary), std::string::npos) << key;
  }
}

TEST_F(BackupTest, CancelledBackupIsIncompleteAndNeverListed) {
  Populate(3, 10);
  DirectoryBackupStore dest(dir_ / "backups", 512);
  std::atomic<bool> cancel{false};
  EXPECT_THAT(TakeBackup(
                  site_->kv(), dest, Params(), [&](uint64_t, uint64_t) { cancel = true; }, &cancel),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(Listed(dest), ::testing::IsEmpty());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_ / "backups"), {}), 1);
}

TEST_F(BackupTest, RefusesMalformedParametersBeforeWriting) {
  DirectoryBackupStore dest(dir_ / "backups");
  BackupParams p = Params();
  p.site_jurisdiction = "usa";
  EXPECT_THAT(TakeBackup(site_->kv(), dest, p), StatusIs(absl::StatusCode::kInvalidArgument));
  p = Params();
  p.site = "../x";
  EXPECT_THAT(TakeBackup(site_->kv(), dest, p), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "backups"));
}

TEST_F(BackupTest, EmptySiteBacksUpAndRestores) {
  DirectoryBackupStore dest(dir_ / "backups");
  ASSERT_OK_AND_ASSIGN(BackupManifest m, TakeBackup(site_->kv(), dest, Params()));
  EXPECT_EQ(m.entries, 0u);
  EXPECT_TRUE(m.chunks.empty());
  auto target = OpenStore(dir_ / "restored");
  ASSERT_OK_AND_ASSIGN(RestoreResult r, Restore(dest, m.id, *target, ToSite()));
  EXPECT_EQ(r.records_restored + r.data_keys_restored, 0u);
  EXPECT_TRUE(Data(*target).empty());
}

}  // namespace
}  // namespace domicile::ops
