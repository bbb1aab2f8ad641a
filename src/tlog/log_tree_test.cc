// The log's tree as served: entries and entry bundles, hash tiles, roots and proofs read from
// stored tiles, checked against merkle.h over the same leaves for sizes around tile boundaries.
#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlog/entry_bundle.h"
#include "tlog/log.h"
#include "tlog/log_test_fixture.h"
#include "tlog/merkle.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;

Bytes HashBytes(std::span<const Hash> hashes) {
  Bytes out;
  for (const Hash& h : hashes) out.insert(out.end(), h.begin(), h.end());
  return out;
}

// The hashes of the tree of `leaves` at height 8 * level (level 0: the leaves).
std::vector<Hash> LevelHashes(std::span<const Hash> leaves, int level) {
  const uint64_t span = uint64_t{1} << (8 * level);
  std::vector<Hash> out;
  for (uint64_t i = 0; (i + 1) * span <= leaves.size(); ++i) {
    out.push_back(RootFromLeafHashes(leaves.subspan(i * span, span)));
  }
  return out;
}

TEST_F(LogTest, EntriesAndBundlesRoundTrip) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  // One by one (one chunk per entry), then in groups (chunks of many entries).
  for (uint64_t i = 0; i < 20; ++i) ASSERT_THAT(log->AppendAndWait(EntryFor(i)), IsOk());
  GrowTo(*log, 600);
  ASSERT_OK(log->Flush());
  ASSERT_EQ(log->IntegratedSize(), 600u);
  const std::vector<Bytes> all = Entries(0, 600);
  for (uint64_t i = 0; i < 600; ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes entry, log->ReadEntry(i));
    ASSERT_EQ(entry, all[i]) << i;
  }
  EXPECT_THAT(log->ReadEntry(600), StatusIs(absl::StatusCode::kNotFound));

  auto bundle_of = [&](uint64_t begin, uint64_t end) {
    return FormatEntryBundle(std::vector<Bytes>(all.begin() + begin, all.begin() + end));
  };
  EXPECT_EQ(log->ReadEntryBundle(0, 0).value(), bundle_of(0, 256));
  EXPECT_EQ(log->ReadEntryBundle(1, 0).value(), bundle_of(256, 512));
  EXPECT_EQ(log->ReadEntryBundle(2, 88).value(), bundle_of(512, 600));
  EXPECT_EQ(log->ReadEntryBundle(2, 7).value(), bundle_of(512, 519));
  EXPECT_EQ(log->ReadEntryBundle(0, 13).value(), bundle_of(0, 13));  // prefix of a full bundle
  EXPECT_THAT(log->ReadEntryBundle(2, 0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log->ReadEntryBundle(2, 89), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log->ReadEntryBundle(3, 1), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::vector<Bytes> parsed,
                       ParseEntryBundle(log->ReadEntryBundle(1, 0).value()));
  EXPECT_EQ(parsed.size(), 256u);
}

// Grows one log through sizes around every tile boundary and checks, at each, that the stored
// tiles, roots and proofs are those merkle.h computes from all the leaves, and that partial
// tiles read earlier are prefixes of the later tiles.
TEST_F(LogTest, TilesRootsAndProofsMatchTheMerkleTreeOfTheLeaves) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  std::vector<Hash> leaves;
  std::map<std::pair<int, uint64_t>, Bytes> seen;  // (level, index) -> bytes read before
  const std::vector<uint64_t> sizes = {0,   1,   2,    3,     7,     8,     255,   256,   257,  511,
                                       512, 513, 1000, 65535, 65536, 65537, 65792, 65793, 66000};
  for (uint64_t size : sizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    GrowTo(*log, size);
    ASSERT_OK(log->Flush());
    ASSERT_EQ(log->IntegratedSize(), size);
    while (leaves.size() < size) leaves.push_back(LeafHash(EntryFor(leaves.size())));
    const std::span<const Hash> tree(leaves);

    ASSERT_OK_AND_ASSIGN(Hash root, log->RootAt(size));
    EXPECT_EQ(root, RootFromLeafHashes(tree));
    for (uint64_t earlier : sizes) {
      if (earlier > size) break;
      ASSERT_OK_AND_ASSIGN(Hash old_root, log->RootAt(earlier));
      EXPECT_EQ(old_root, RootFromLeafHashes(tree.first(earlier)));
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, log->ConsistencyProof(earlier, size));
      EXPECT_EQ(proof, ConsistencyProof(earlier, tree)) << "from " << earlier;
      EXPECT_TRUE(VerifyConsistency(earlier, size, proof, old_root, root)) << "from " << earlier;
    }
    for (uint64_t index : {uint64_t{0}, size / 3, size / 2, size - 1}) {
      if (index >= size) continue;
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, log->InclusionProof(index, size));
      EXPECT_EQ(proof, InclusionProof(index, tree)) << "index " << index;
      EXPECT_TRUE(VerifyInclusion(index, size, leaves[index], proof, root)) << "index " << index;
    }

    for (int level = 0; level < 3; ++level) {
      const std::vector<Hash> hashes = LevelHashes(tree, level);
      for (uint64_t index = 0; index * 256 < hashes.size(); ++index) {
        const uint64_t width = std::min<uint64_t>(256, hashes.size() - index * 256);
        const std::span<const Hash> expected = std::span(hashes).subspan(index * 256, width);
        ASSERT_OK_AND_ASSIGN(Bytes tile, log->ReadTile(level, index, width == 256 ? 0 : width));
        ASSERT_EQ(tile, HashBytes(expected)) << "tile " << level << "/" << index;
        if (auto it = seen.find({level, index}); it != seen.end()) {
          ASSERT_TRUE(std::equal(it->second.begin(), it->second.end(), tile.begin()))
              << "tile " << level << "/" << index << " changed";
        }
        seen[{level, index}] = tile;
        if (width < 256) {
          EXPECT_THAT(log->ReadTile(level, index, 0), StatusIs(absl::StatusCode::kNotFound));
          EXPECT_THAT(log->ReadTile(level, index, width + 1),
                      StatusIs(absl::StatusCode::kNotFound));
        }
      }
      EXPECT_THAT(log->ReadTile(level, (hashes.size() + 255) / 256, 1),
                  StatusIs(absl::StatusCode::kNotFound));
    }
  }
}

TEST_F(LogTest, EveryProofOfSmallTreesVerifies) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  std::vector<Hash> leaves;
  std::vector<Hash> roots = {EmptyRoot()};
  for (uint64_t size = 1; size <= 40; ++size) {
    ASSERT_OK_AND_ASSIGN(uint64_t index, log->AppendAndWait(EntryFor(size - 1)));
    ASSERT_EQ(index, size - 1);
    leaves.push_back(LeafHash(EntryFor(index)));
    ASSERT_OK(log->Flush());
    ASSERT_OK_AND_ASSIGN(Hash root, log->RootAt(size));
    ASSERT_EQ(root, RootFromLeafHashes(leaves));
    roots.push_back(root);
    for (uint64_t i = 0; i < size; ++i) {
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, log->InclusionProof(i, size));
      EXPECT_TRUE(VerifyInclusion(i, size, leaves[i], proof, root)) << i << " in " << size;
      EXPECT_FALSE(VerifyInclusion(i, size, leaves[(i + 1) % size], proof, root) && size > 1);
    }
    for (uint64_t m = 0; m <= size; ++m) {
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, log->ConsistencyProof(m, size));
      EXPECT_TRUE(VerifyConsistency(m, size, proof, roots[m], root)) << m << " to " << size;
    }
  }
}

TEST_F(LogTest, RejectsProofsBeyondTheIntegratedTree) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log, OpenLog());
  GrowTo(*log, 10);
  ASSERT_OK(log->Flush());
  EXPECT_THAT(log->InclusionProof(10, 10), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log->InclusionProof(0, 11), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log->ConsistencyProof(5, 4), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log->ConsistencyProof(5, 11), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log->RootAt(11), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log->ReadTile(64, 0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log->ReadTile(1, 0, 1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log->ReadTile(63, ~uint64_t{0}, 0), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace domicile::tlog
