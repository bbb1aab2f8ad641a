#include "audit/tree_window.h"

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "tlog/merkle.h"
#include "util/status_matchers.h"

namespace domicile::audit {
namespace {

using ::domicile::testing::StatusIs;

// A window of size n keeping every tile of every level, computed with the tlog primitives.
TreeWindow FullWindow(std::span<const Hash> leaves) {
  TreeWindow window(leaves.size());
  std::vector<Hash> level(leaves.begin(), leaves.end());
  for (int l = 0; !level.empty(); ++l) {
    std::vector<Hash> up;
    for (size_t t = 0; t * 256 < level.size(); ++t) {
      const size_t width = std::min<size_t>(256, level.size() - t * 256);
      std::span<const Hash> tile = std::span(level).subspan(t * 256, width);
      window.KeepTile(l, t, std::vector<Hash>(tile.begin(), tile.end()));
      if (width == 256) up.push_back(tlog::RootFromLeafHashes(tile));
    }
    level = std::move(up);
  }
  return window;
}

std::vector<Hash> Leaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(tlog::LeafHash(AsBytes(fmt::format("e{}", i))));
  return out;
}

TEST(TreeWindow, RootsAndProofsAgreeWithTheTlogPrimitives) {
  const std::vector<Hash> leaves = Leaves(66'000);
  TreeHasher hasher;
  for (uint64_t n : {0, 1, 2, 3, 255, 256, 257, 511, 512, 65'535, 65'536, 65'537, 66'000}) {
    const std::span<const Hash> prefix = std::span(leaves).first(n);
    const TreeWindow window = FullWindow(prefix);
    ASSERT_OK_AND_ASSIGN(Hash root, window.Root(hasher));
    EXPECT_EQ(root, tlog::RootFromLeafHashes(prefix)) << n;
    for (uint64_t m : {0, 1, 2, 7, 200, 256, 300, 4096, 65'535, 65'536}) {
      if (m > n) continue;
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, window.ConsistencyProof(m, hasher));
      EXPECT_EQ(proof, tlog::ConsistencyProof(m, prefix)) << m << " -> " << n;
      EXPECT_TRUE(
          tlog::VerifyConsistency(m, n, proof, tlog::RootFromLeafHashes(prefix.first(m)), root))
          << m << " -> " << n;
    }
  }
}

TEST(TreeWindow, AHashItDoesNotHoldIsAnInternalError) {
  TreeWindow window(1000);
  TreeHasher hasher;
  EXPECT_THAT(window.LevelHash(0, 5), StatusIs(absl::StatusCode::kInternal));
  window.KeepTile(0, 0, Leaves(256));
  EXPECT_OK(window.LevelHash(0, 5));
  EXPECT_THAT(window.SubtreeHash({8, 256}, hasher), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(window.Root(hasher), StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace domicile::audit
