#include "tlog/tile_nodes.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tlog/merkle.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;

std::vector<Hash> Leaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  return out;
}

TEST(TileNodesTest, InteriorNodesAreTheSubtreeRoots) {
  const std::vector<Hash> leaves = Leaves(256);
  const std::span<const Hash> all(leaves);
  TileNodes tile;
  for (size_t w = 0; w < 256; ++w) {
    tile.Push(leaves[w]);
    ASSERT_EQ(tile.width(), w + 1);
  }
  ASSERT_TRUE(tile.full());
  EXPECT_EQ(tile.Root(), RootFromLeafHashes(all));
  for (int height = 0; height < kTileHeights; ++height) {
    const uint64_t span = uint64_t{1} << height;
    for (uint64_t i = 0; i < 256 / span; ++i) {
      EXPECT_EQ(tile.Node(height, i), RootFromLeafHashes(all.subspan(i * span, span)))
          << "height " << height << " index " << i;
    }
    EXPECT_EQ(tile.Node(height, 256 / span), std::nullopt);
  }
}

TEST(TileNodesTest, PartialTileHasOnlyCompleteNodesAndEncodesAsPrefix) {
  const std::vector<Hash> leaves = Leaves(256);
  TileNodes small;
  TileNodes large;
  for (size_t i = 0; i < 5; ++i) small.Push(leaves[i]);
  for (size_t i = 0; i < 200; ++i) large.Push(leaves[i]);
  EXPECT_TRUE(small.Node(2, 0).has_value());   // leaves 0..3
  EXPECT_FALSE(small.Node(2, 1).has_value());  // leaves 4..7 incomplete
  EXPECT_FALSE(small.Node(3, 0).has_value());

  const std::string small_value = small.Encode();
  const std::string large_value = large.Encode();
  ASSERT_OK_AND_ASSIGN(StoredTile small_stored, StoredTile::Parse(small_value));
  ASSERT_OK_AND_ASSIGN(StoredTile large_stored, StoredTile::Parse(large_value));
  EXPECT_EQ(small_stored.width(), 5u);
  EXPECT_EQ(large_stored.width(), 200u);
  // The C2SP tile of width 5 is the same whichever version of the tile serves it.
  EXPECT_EQ(small_stored.HashTile(5), large_stored.HashTile(5));
  ASSERT_EQ(small_stored.HashTile(5).size(), 5u * 32);
  EXPECT_TRUE(
      std::equal(leaves[4].begin(), leaves[4].end(), small_stored.HashTile(5).begin() + 4 * 32));
  for (int height = 0; height < kTileHeights; ++height) {
    for (uint64_t i = 0; i < (200u >> height); ++i) {
      EXPECT_EQ(large_stored.Node(height, i), large.Node(height, i));
    }
    EXPECT_EQ(large_stored.Node(height, 200u >> height), std::nullopt);
  }

  ASSERT_OK_AND_ASSIGN(TileNodes decoded, TileNodes::Decode(large_value));
  EXPECT_EQ(decoded.Encode(), large_value);
  decoded.Push(leaves[200]);
  EXPECT_EQ(decoded.width(), 201u);
}

TEST(TileNodesTest, DecodeRejectsMalformedAndTamperedTiles) {
  TileNodes tile;
  for (const Hash& h : Leaves(8)) tile.Push(h);
  const std::string value = tile.Encode();
  EXPECT_THAT(TileNodes::Decode(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(TileNodes::Decode(value.substr(0, value.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string zero_width = value;
  zero_width[1] = 0;
  EXPECT_THAT(TileNodes::Decode(zero_width), StatusIs(absl::StatusCode::kDataLoss));
  std::string interior = value;
  interior[interior.size() - 1] ^= 1;  // the height-3 node
  EXPECT_THAT(TileNodes::Decode(interior), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(StoredTile::Parse(value + "x"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace domicile::tlog
