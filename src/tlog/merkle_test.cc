#include "tlog/merkle.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "util/encoding.h"

namespace domicile::tlog {
namespace {

// The RFC 6962 test leaves used by Certificate Transparency implementations.
std::vector<Hash> TestLeafHashes() {
  const char* hex[] = {"",
                       "00",
                       "10",
                       "2021",
                       "3031",
                       "40414243",
                       "5051525354555657",
                       "606162636465666768696a6b6c6d6e6f"};
  std::vector<Hash> out;
  for (const char* h : hex) out.push_back(LeafHash(*HexDecode(h)));
  return out;
}

std::vector<Hash> SyntheticLeaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  return out;
}

TEST(MerkleTest, EmptyTreeIsSha256OfEmptyString) {
  EXPECT_EQ(HexEncode(RootFromLeafHashes({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleTest, Rfc6962KnownRoots) {
  const std::vector<Hash> leaves = TestLeafHashes();
  const char* roots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  for (size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(HexEncode(RootFromLeafHashes(std::span(leaves).first(n))), roots[n - 1])
        << "size " << n;
  }
}

TEST(MerkleTest, LeafAndNodeHashesAreDomainSeparated) {
  const Hash a = LeafHash(AsBytes("a"));
  EXPECT_NE(LeafHash(a), NodeHash(a, a));
  EXPECT_EQ(RootFromLeafHashes(std::vector<Hash>{a}), a);
  EXPECT_EQ(RootFromLeafHashes(std::vector<Hash>{a, a}), NodeHash(a, a));
}

TEST(MerkleTest, InclusionProofsRoundTripAndRejectTampering) {
  const std::vector<Hash> all = SyntheticLeaves(17);
  for (size_t n = 1; n <= all.size(); ++n) {
    const std::span<const Hash> leaves = std::span(all).first(n);
    const Hash root = RootFromLeafHashes(leaves);
    for (size_t i = 0; i < n; ++i) {
      std::vector<Hash> proof = InclusionProof(i, leaves);
      EXPECT_TRUE(VerifyInclusion(i, n, leaves[i], proof, root)) << i << " in " << n;
      EXPECT_FALSE(VerifyInclusion(n, n, leaves[i], proof, root));
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion((i + 1) % n, n, leaves[i], proof, root));
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[(i + 1) % n], proof, root));
        std::vector<Hash> bad = proof;
        bad[0][0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], bad, root));
        bad = proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], bad, root));
      }
      proof.push_back(root);
      EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], proof, root));
    }
  }
}

TEST(MerkleTest, ConsistencyProofsRoundTripAndRejectTampering) {
  const std::vector<Hash> all = SyntheticLeaves(17);
  for (size_t n = 1; n <= all.size(); ++n) {
    const std::span<const Hash> leaves = std::span(all).first(n);
    const Hash new_root = RootFromLeafHashes(leaves);
    for (size_t m = 0; m <= n; ++m) {
      const Hash old_root = RootFromLeafHashes(leaves.first(m));
      std::vector<Hash> proof = ConsistencyProof(m, leaves);
      EXPECT_TRUE(VerifyConsistency(m, n, proof, old_root, new_root)) << m << " -> " << n;
      Hash bad_old = old_root;
      bad_old[31] ^= 1;
      EXPECT_FALSE(VerifyConsistency(m, n, proof, bad_old, new_root));
      Hash bad_new = new_root;
      bad_new[0] ^= 1;
      if (m > 0) {
        EXPECT_FALSE(VerifyConsistency(m, n, proof, old_root, bad_new));
      }
      if (m > 0 && m < n) {
        EXPECT_FALSE(VerifyConsistency(m, n, {}, old_root, new_root));
        for (size_t k = 0; k < proof.size(); ++k) {
          std::vector<Hash> bad = proof;
          bad[k][5] ^= 0x80;
          EXPECT_FALSE(VerifyConsistency(m, n, bad, old_root, new_root)) << m << " " << n;
        }
      }
    }
  }
  const Hash r = RootFromLeafHashes(all);
  EXPECT_FALSE(VerifyConsistency(5, 4, {}, r, r));
}

}  // namespace
}  // namespace domicile::tlog
