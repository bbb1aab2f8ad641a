#include "tlog/entry_bundle.h"

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;

TEST(EntryBundleTest, RoundTrips) {
  const std::vector<Bytes> entries = {{}, {0x41}, Bytes(300, 0x7), Bytes(65535, 0xff)};
  const Bytes bundle = FormatEntryBundle(entries);
  EXPECT_EQ(bundle.size(), 8u + 1 + 300 + 65535);
  EXPECT_EQ(bundle[2], 0x00);
  EXPECT_EQ(bundle[3], 0x01);  // big-endian length 1
  ASSERT_OK_AND_ASSIGN(std::vector<Bytes> parsed, ParseEntryBundle(bundle));
  EXPECT_EQ(parsed, entries);
  ASSERT_OK_AND_ASSIGN(parsed, ParseEntryBundle({}));
  EXPECT_TRUE(parsed.empty());
}

TEST(EntryBundleTest, RejectsTruncation) {
  const Bytes bundle = FormatEntryBundle({{1, 2, 3}, {4, 5}});
  for (size_t cut = 1; cut < bundle.size(); ++cut) {
    if (cut == 5) continue;  // a whole first entry
    EXPECT_THAT(ParseEntryBundle(ByteView(bundle).first(cut)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << cut;
  }
}

}  // namespace
}  // namespace domicile::tlog
