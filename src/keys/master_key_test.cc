#include "keys/master_key.h"

#include <sys/stat.h>

#include <cstdlib>

#include "gtest/gtest.h"
#include "util/file.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::keys {
namespace {

using ::domicile::testing::StatusIs;

class MasterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("DOMICILE_MASTER_KEY"); }
  void TearDown() override { unsetenv("DOMICILE_MASTER_KEY"); }
};

TEST_F(MasterKeyTest, CreatedOnceWithOwnerOnlyMode) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes first, LoadOrCreateMasterKey(dir / "master.key"));
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes again, LoadOrCreateMasterKey(dir / "master.key"));
  EXPECT_EQ(Bytes(first.view().begin(), first.view().end()),
            Bytes(again.view().begin(), again.view().end()));
  ASSERT_OK_AND_ASSIGN(unsigned mode, FileMode(dir / "master.key"));
  EXPECT_EQ(mode, 0600u);
}

TEST_F(MasterKeyTest, LooseFileModeIsRefused) {
  testing::TempDir dir;
  ASSERT_OK(LoadOrCreateMasterKey(dir / "master.key").status());
  ::chmod((dir / "master.key").c_str(), 0644);
  EXPECT_THAT(LoadMasterKey(dir / "master.key"), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(MasterKeyTest, EnvironmentWinsAndIsValidated) {
  testing::TempDir dir;
  setenv("DOMICILE_MASTER_KEY", std::string(64, 'a').c_str(), 1);
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes key, LoadMasterKey(dir / "absent"));
  EXPECT_EQ(key.view()[0], 0xaa);
  setenv("DOMICILE_MASTER_KEY", "not-hex", 1);
  absl::StatusOr<crypto::SecretBytes> bad = LoadMasterKey(dir / "absent");
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(std::string(bad.status().message()).find("not-hex"), std::string::npos);
}

TEST_F(MasterKeyTest, MalformedFileIsInvalid) {
  testing::TempDir dir;
  ASSERT_OK(WriteFileAtomically(dir / "master.key", AsBytes("1234"), 0600));
  EXPECT_THAT(LoadMasterKey(dir / "master.key"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace domicile::keys
