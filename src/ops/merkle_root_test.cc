#include "ops/merkle_root.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace domicile::ops {
namespace {

using ::domicile::testing::StatusIs;

TEST(MerkleRootTest, MatchesTheRootOfAllLeavesAtEverySize) {
  MerkleRoot streaming;
  std::vector<Hash> leaves;
  EXPECT_EQ(streaming.Root(), tlog::EmptyRoot());
  for (int i = 0; i < 70; ++i) {
    std::string entry = "entry " + std::to_string(i);
    streaming.Add(AsBytes(entry));
    leaves.push_back(tlog::LeafHash(AsBytes(entry)));
    ASSERT_EQ(streaming.size(), leaves.size());
    ASSERT_EQ(streaming.Root(), tlog::RootFromLeafHashes(leaves)) << "size " << leaves.size();
  }
}

TEST(MerkleRootTest, ResumesFromItsSavedState) {
  MerkleRoot whole, first;
  for (int i = 0; i < 37; ++i) {
    std::string entry = "e" + std::to_string(i);
    whole.Add(AsBytes(entry));
    if (i < 21) first.Add(AsBytes(entry));
  }
  ASSERT_OK_AND_ASSIGN(MerkleRoot resumed, MerkleRoot::Load(first.Save()));
  for (int i = 21; i < 37; ++i) resumed.Add(AsBytes("e" + std::to_string(i)));
  EXPECT_EQ(resumed.Root(), whole.Root());
  EXPECT_EQ(resumed.size(), 37u);
}

TEST(MerkleRootTest, RefusesAMalformedState) {
  MerkleRoot r;
  r.Add(AsBytes(std::string("a")));
  r.Add(AsBytes(std::string("b")));
  r.Add(AsBytes(std::string("c")));
  std::string state = r.Save();
  EXPECT_THAT(MerkleRoot::Load(state.substr(0, state.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(MerkleRoot::Load("abc"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace domicile::ops
