#include "util/file.h"

#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile {
namespace {

using ::domicile::testing::StatusIs;

TEST(File, AtomicWriteReplacesContentsWithMode) {
  testing::TempDir dir;
  auto path = dir / "f";
  ASSERT_OK(WriteFileAtomically(path, AsBytes("one"), 0600));
  ASSERT_OK(WriteFileAtomically(path, AsBytes("two"), 0600));
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(path));
  EXPECT_EQ(got, "two");
  ASSERT_OK_AND_ASSIGN(unsigned mode, FileMode(path));
  EXPECT_EQ(mode, 0600u);
  // No temporary is left beside the target.
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(File, MissingFileIsNotFound) {
  testing::TempDir dir;
  EXPECT_THAT(ReadFileToString(dir / "absent"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace domicile
