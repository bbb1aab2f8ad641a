// RFC 6962 leaf and node hashing for the auditor's hot loop: the same hashes as tlog/merkle.h
// (LeafHash, NodeHash, RootFromLeafHashes), computed with one reusable SHA-256 context so that
// re-hashing millions of entries allocates nothing per hash. Not thread-safe: one per thread.
#pragma once

#include <span>
#include <vector>

#include "crypto/sha256.h"
#include "tlog/merkle.h"
#include "util/bytes.h"

namespace domicile::audit {

using tlog::Hash;

class TreeHasher {
 public:
  // SHA-256(0x00 || entry).
  Hash Leaf(ByteView entry);
  // SHA-256(0x01 || left || right).
  Hash Node(const Hash& left, const Hash& right);
  // The Merkle Tree Hash of a perfect subtree whose 2^k bottom hashes are `hashes`.
  // REQUIRES: hashes.size() is a power of two.
  Hash PerfectRoot(std::span<const Hash> hashes);
  // Folds a compact range (perfect subtree hashes of strictly decreasing sizes, left to
  // right) into the hash of the whole range: right to left, Node(left, acc).
  // EmptyRoot() for none.
  Hash Fold(std::span<const Hash> hashes);

 private:
  crypto::Sha256Hasher sha_;
  std::vector<Hash> scratch_;
};

}  // namespace domicile::audit
