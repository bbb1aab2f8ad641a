// RFC 6962 / RFC 9162 Merkle tree hashing and proofs over SHA-256: the math under the
// transparency log, so anyone holding only a root hash can check that an entry is in the log
// (inclusion) and that a later tree extends an earlier one without rewriting it (consistency).
// Pure functions; the verifiers return false (never an error) on any malformed input.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "util/bytes.h"

namespace domicile::tlog {

using Hash = std::array<uint8_t, 32>;

// The hash of the empty tree: SHA-256 of the empty string.
Hash EmptyRoot();

// SHA-256(0x00 || entry): the hash of a leaf holding `entry`.
Hash LeafHash(ByteView entry);

// SHA-256(0x01 || left || right): the hash of an interior node.
Hash NodeHash(const Hash& left, const Hash& right);

// The Merkle Tree Hash (RFC 6962 section 2.1) of the tree whose leaves have these hashes;
// EmptyRoot() for no leaves.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// True iff `proof` proves that the leaf with hash `leaf` is at `index` in the tree of `size`
// leaves whose root is `root` (RFC 9162 section 2.1.3.2).
bool VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                     const Hash& root);

// True iff `proof` proves that the tree of size `m` with root `old_root` is a prefix of the tree
// of size `n` with root `new_root` (RFC 9162 section 2.1.4.2). m == n needs an empty proof and
// equal roots; m == 0 needs an empty proof and old_root == EmptyRoot().
bool VerifyConsistency(uint64_t m, uint64_t n, std::span<const Hash> proof, const Hash& old_root,
                       const Hash& new_root);

// The inclusion proof (RFC 6962 section 2.1.1 PATH) of leaf `index` in the tree of all
// `leaf_hashes`. REQUIRES: index < leaf_hashes.size().
std::vector<Hash> InclusionProof(uint64_t index, std::span<const Hash> leaf_hashes);

// The consistency proof (RFC 6962 section 2.1.2 PROOF) from the first `m` leaves to the tree of
// all `leaf_hashes`; empty when m == 0 or m == leaf_hashes.size().
// REQUIRES: m <= leaf_hashes.size().
std::vector<Hash> ConsistencyProof(uint64_t m, std::span<const Hash> leaf_hashes);

}  // namespace domicile::tlog
