#include "tlog/merkle.h"

#include <bit>
#include <cassert>

#include "crypto/sha256.h"

namespace domicile::tlog {
namespace {

// The largest power of two strictly less than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// RFC 6962 SUBPROOF(m, D[n], b), appended to `out` in order.
void SubProof(uint64_t m, std::span<const Hash> leaves, bool complete, std::vector<Hash>& out) {
  const uint64_t n = leaves.size();
  if (m == n) {
    if (!complete) out.push_back(RootFromLeafHashes(leaves));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, leaves.first(k), complete, out);
    out.push_back(RootFromLeafHashes(leaves.subspan(k)));
  } else {
    SubProof(m - k, leaves.subspan(k), false, out);
    out.push_back(RootFromLeafHashes(leaves.first(k)));
  }
}

}  // namespace

Hash EmptyRoot() { return crypto::Sha256(ByteView()); }

Hash LeafHash(ByteView entry) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  return crypto::Sha256(ByteView(&kLeafPrefix, 1), entry);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  std::array<uint8_t, 65> buf;
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf.begin() + 1);
  std::copy(right.begin(), right.end(), buf.begin() + 33);
  return crypto::Sha256(buf);
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  const uint64_t n = leaf_hashes.size();
  if (n == 0) return EmptyRoot();
  if (n == 1) return leaf_hashes[0];
  const uint64_t k = SplitPoint(n);
  return NodeHash(RootFromLeafHashes(leaf_hashes.first(k)),
                  RootFromLeafHashes(leaf_hashes.subspan(k)));
}

bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                     const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t m, uint64_t n, std::span<const Hash> proof, const Hash& old_root,
                       const Hash& new_root) {
  if (m > n) return false;
  if (m == n) return proof.empty() && old_root == new_root;
  if (m == 0) return proof.empty() && old_root == EmptyRoot();
  if (proof.empty()) return false;
  // When m is a power of two the old root is itself a node of the new tree and the proof omits
  // it; start from it instead of proof[0].
  const bool old_is_node = std::has_single_bit(m);
  std::span<const Hash> rest = old_is_node ? proof : proof.subspan(1);
  const Hash& first = old_is_node ? old_root : proof[0];
  uint64_t fn = m - 1;
  uint64_t sn = n - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = first;
  Hash sr = first;
  for (const Hash& c : rest) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

std::vector<Hash> InclusionProof(uint64_t index, std::span<const Hash> leaf_hashes) {
  assert(index < leaf_hashes.size());
  // RFC 6962 PATH(m, D[n]), built from the leaf upwards.
  std::vector<Hash> out;
  std::vector<Hash> reversed;
  std::span<const Hash> leaves = leaf_hashes;
  uint64_t m = index;
  while (leaves.size() > 1) {
    const uint64_t k = SplitPoint(leaves.size());
    if (m < k) {
      reversed.push_back(RootFromLeafHashes(leaves.subspan(k)));
      leaves = leaves.first(k);
    } else {
      reversed.push_back(RootFromLeafHashes(leaves.first(k)));
      leaves = leaves.subspan(k);
      m -= k;
    }
  }
  out.assign(reversed.rbegin(), reversed.rend());
  return out;
}

std::vector<Hash> ConsistencyProof(uint64_t m, std::span<const Hash> leaf_hashes) {
  assert(m <= leaf_hashes.size());
  std::vector<Hash> out;
  if (m == 0 || m == leaf_hashes.size()) return out;
  SubProof(m, leaf_hashes, true, out);
  return out;
}

}  // namespace domicile::tlog
