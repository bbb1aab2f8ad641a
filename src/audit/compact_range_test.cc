#include "audit/compact_range.h"

#include <random>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/merkle.h"
#include "util/status_matchers.h"

namespace domicile::audit {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;

std::vector<Hash> Leaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(tlog::LeafHash(AsBytes(fmt::format("e{}", i))));
  return out;
}

TEST(TreeHasher, AgreesWithTheTlogPrimitives) {
  TreeHasher hasher;
  const std::vector<Hash> leaves = Leaves(256);
  for (const std::string& e : {std::string(), std::string("x"), std::string(1000, 'a')}) {
    EXPECT_EQ(hasher.Leaf(AsBytes(e)), tlog::LeafHash(AsBytes(e)));
  }
  EXPECT_EQ(hasher.Node(leaves[0], leaves[1]), tlog::NodeHash(leaves[0], leaves[1]));
  for (size_t n : {1, 2, 4, 8, 128, 256}) {
    std::span<const Hash> first(leaves.data(), n);
    EXPECT_EQ(hasher.PerfectRoot(first), tlog::RootFromLeafHashes(first)) << n;
  }
  EXPECT_EQ(hasher.Fold({}), tlog::EmptyRoot());
}

TEST(PerfectSubtrees, CoverTheRangeWithAlignedPowersOfTwo) {
  EXPECT_THAT(PerfectSubtrees(0, 13),
              ElementsAre(PerfectSubtree{3, 0}, PerfectSubtree{2, 8}, PerfectSubtree{0, 12}));
  EXPECT_THAT(PerfectSubtrees(5, 13), ElementsAre(PerfectSubtree{0, 5}, PerfectSubtree{1, 6},
                                                  PerfectSubtree{2, 8}, PerfectSubtree{0, 12}));
  EXPECT_TRUE(PerfectSubtrees(7, 7).empty());
  EXPECT_THAT(PerfectSubtrees(0, uint64_t{1} << 63), ElementsAre(PerfectSubtree{63, 0}));
}

TEST(CompactRange, GrowsLeafByLeafToEveryRoot) {
  const std::vector<Hash> leaves = Leaves(600);
  TreeHasher hasher;
  CompactRange range;
  EXPECT_EQ(range.Root(hasher), tlog::EmptyRoot());
  for (size_t n = 1; n <= leaves.size(); ++n) {
    ASSERT_OK(range.Append(0, leaves[n - 1], hasher));
    ASSERT_EQ(range.size(), n);
    ASSERT_EQ(range.hashes().size(), static_cast<size_t>(std::popcount(n)));
    ASSERT_EQ(range.Root(hasher), tlog::RootFromLeafHashes(std::span(leaves).first(n))) << n;
  }
}

TEST(CompactRange, ExtendsByTheSubtreesOfTheNewRange) {
  const std::vector<Hash> leaves = Leaves(1100);
  const std::span<const Hash> all(leaves);
  TreeHasher hasher;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    uint64_t m = rng() % all.size(), n = rng() % (all.size() + 1);
    if (m > n) std::swap(m, n);
    CompactRange range;
    for (const PerfectSubtree& s : PerfectSubtrees(0, m)) {
      ASSERT_OK(range.Append(
          s.height, tlog::RootFromLeafHashes(all.subspan(s.start, 1u << s.height)), hasher));
    }
    ASSERT_EQ(range.Root(hasher), tlog::RootFromLeafHashes(all.first(m)));
    for (const PerfectSubtree& s : PerfectSubtrees(m, n)) {
      ASSERT_OK(range.Append(
          s.height, tlog::RootFromLeafHashes(all.subspan(s.start, 1u << s.height)), hasher));
    }
    EXPECT_EQ(range.Root(hasher), tlog::RootFromLeafHashes(all.first(n))) << m << " -> " << n;
  }
}

TEST(CompactRange, RefusesMisfits) {
  TreeHasher hasher;
  EXPECT_THAT(CompactRange::FromHashes(3, Leaves(1)), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(CompactRange range, CompactRange::FromHashes(3, Leaves(2)));
  EXPECT_THAT(range.Append(1, Leaves(1)[0], hasher), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(range.Append(64, Leaves(1)[0], hasher), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(range.Append(0, Leaves(1)[0], hasher));
  EXPECT_EQ(range.size(), 4u);
  EXPECT_EQ(range.hashes().size(), 1u);
}

}  // namespace
}  // namespace domicile::audit
