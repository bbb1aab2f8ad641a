// The BackupStore contract, run against every implementation.
#include "ops/backup_store.h"

#include <functional>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/rocksdb_store.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::ops {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<BackupStore>(const std::filesystem::path& dir,
                                             std::unique_ptr<store::KvStore>& kv)>
      make;
};

class BackupStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { store_ = GetParam().make(dir_.path(), kv_); }

  std::vector<std::string> Ids() {
    absl::StatusOr<std::vector<std::string>> ids = store_->List();
    EXPECT_THAT(ids, IsOk());
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  std::string Chunk(std::string_view id, uint32_t index) {
    absl::StatusOr<std::string> chunk = store_->ReadChunk(id, index);
    EXPECT_THAT(chunk, IsOk());
    return chunk.ok() ? *chunk : "";
  }
  std::string Manifest(std::string_view id) {
    absl::StatusOr<std::string> manifest = store_->ReadManifest(id);
    EXPECT_THAT(manifest, IsOk());
    return manifest.ok() ? *manifest : "";
  }

  domicile::testing::TempDir dir_;
  std::unique_ptr<store::KvStore> kv_;
  std::unique_ptr<BackupStore> store_;
};

TEST_P(BackupStoreTest, ReadsBackWhatItWrote) {
  const std::string binary("\0\x01\xff chunk", 9);
  ASSERT_OK(store_->WriteChunk("b1", 0, binary));
  ASSERT_OK(store_->WriteChunk("b1", 1, "second"));
  ASSERT_OK(store_->WriteManifest("b1", "{}"));
  EXPECT_EQ(Chunk("b1", 0), binary);
  EXPECT_EQ(Chunk("b1", 1), "second");
  EXPECT_EQ(Manifest("b1"), "{}");
  // A retried chunk replaces the old one.
  ASSERT_OK(store_->WriteChunk("b1", 1, "retried"));
  EXPECT_EQ(Chunk("b1", 1), "retried");
}

TEST_P(BackupStoreTest, AbsentChunksAndManifestsAreNotFound) {
  EXPECT_THAT(store_->ReadManifest("b1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ReadChunk("b1", 0), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store_->WriteChunk("b1", 0, "x"));
  EXPECT_THAT(store_->ReadChunk("b1", 1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ReadManifest("b1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(BackupStoreTest, ListsOnlyCompleteBackupsSorted) {
  EXPECT_THAT(Ids(), IsEmpty());
  ASSERT_OK(store_->WriteChunk("b2", 0, "x"));
  ASSERT_OK(store_->WriteManifest("b2", "{}"));
  ASSERT_OK(store_->WriteChunk("b3", 0, "incomplete: no manifest"));
  ASSERT_OK(store_->WriteManifest("b1", "{}"));  // an empty backup has no chunk
  EXPECT_THAT(Ids(), ElementsAre("b1", "b2"));
}

TEST_P(BackupStoreTest, RefusesIdsThatAreNotSafeNames) {
  for (std::string_view id : {"", "..", "../escape", "a/b"}) {
    EXPECT_THAT(store_->WriteChunk(id, 0, "x"), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store_->WriteManifest(id, "{}"), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store_->ReadChunk(id, 0), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(store_->ReadManifest(id), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(Ids(), IsEmpty());
}

TEST_P(BackupStoreTest, SurvivesReopening) {
  ASSERT_OK(store_->WriteChunk("b1", 0, "x"));
  ASSERT_OK(store_->WriteManifest("b1", "{}"));
  store_.reset();
  kv_.reset();
  store_ = GetParam().make(dir_.path(), kv_);
  EXPECT_THAT(Ids(), ElementsAre("b1"));
  EXPECT_EQ(Chunk("b1", 0), "x");
}

INSTANTIATE_TEST_SUITE_P(
    Stores, BackupStoreTest,
    ::testing::Values(
        StoreKind{"Directory",
                  [](const std::filesystem::path& dir, std::unique_ptr<store::KvStore>&) {
                    return std::unique_ptr<BackupStore>(
                        std::make_unique<DirectoryBackupStore>(dir / "backups", 16));
                  }},
        StoreKind{"KvStore",
                  [](const std::filesystem::path& dir, std::unique_ptr<store::KvStore>& kv) {
                    auto opened = store::OpenRocksDbStore(dir / "backup-site");
                    EXPECT_THAT(opened, IsOk());
                    kv = std::move(*opened);
                    return std::unique_ptr<BackupStore>(
                        std::make_unique<KvBackupStore>(kv.get(), 16));
                  }}),
    [](const ::testing::TestParamInfo<StoreKind>& info) { return info.param.name; });

}  // namespace
}  // namespace domicile::ops
