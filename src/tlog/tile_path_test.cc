#include "tlog/tile_path.h"

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;

TEST(TilePathTest, SpecExamples) {
  EXPECT_EQ(TilePath(0, 1234067, 0), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath(1, 0, 0), "tile/1/000");
  EXPECT_EQ(TilePath(2, 0, 1), "tile/2/000.p/1");
  EXPECT_EQ(TilePath(0, 273, 112), "tile/0/273.p/112");
  EXPECT_EQ(TilePath(0, 1000, 0), "tile/0/x001/000");
  EXPECT_EQ(TilePath(63, 999, 255), "tile/63/999.p/255");
  EXPECT_EQ(EntriesPath(0, 15), "tile/entries/000.p/15");
  EXPECT_EQ(EntriesPath(1234067, 0), "tile/entries/x001/x234/067");
  EXPECT_EQ(EntriesPath(UINT64_MAX, 0), "tile/entries/x018/x446/x744/x073/x709/x551/615");
}

TEST(TilePathTest, ParseRoundTrips) {
  for (uint64_t index :
       {uint64_t{0}, uint64_t{7}, uint64_t{999}, uint64_t{1000}, uint64_t{1234067}, UINT64_MAX}) {
    for (uint8_t w : {0, 1, 255}) {
      ASSERT_OK_AND_ASSIGN(TileRef t, ParseTilePath(TilePath(5, index, w)));
      EXPECT_EQ(t, (TileRef{false, 5, index, w}));
      ASSERT_OK_AND_ASSIGN(TileRef e, ParseTilePath(EntriesPath(index, w)));
      EXPECT_EQ(e, (TileRef{true, 0, index, w}));
    }
  }
}

TEST(TilePathTest, RejectsMalformed) {
  for (const char* bad : {
           "",
           "tile",
           "tile/0",
           "tile/0/",
           "tiles/0/000",
           "/tile/0/000",
           "tile/0/000/",
           "tile/64/000",
           "tile/01/000",
           "tile/-1/000",
           "tile/x/000",
           "tile/0/00",
           "tile/0/0000",
           "tile/0/1",
           "tile/0/x000/001",
           "tile/0/001/002",
           "tile/0/x1/002",
           "tile/0/x001",
           "tile/0/000.p/0",
           "tile/0/000.p/256",
           "tile/0/000.p/01",
           "tile/0/000.p/",
           "tile/0/000.p",
           "tile/0/000.q/1",
           "tile/0/x000.p/1/000",
           "tile/entries/000.p/1/2",
           "tile/entries/",
           "tile/0/x018/x446/x744/x073/x709/x551/616",
           "tile/0/x001/x018/x446/x744/x073/x709/x551/615",
           "tile/0/0a0",
           "tile/0/+12",
       }) {
    EXPECT_THAT(ParseTilePath(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace domicile::tlog
