// The part of one tree's tile hierarchy that the auditor has checked while verifying a
// checkpoint: per level, some tiles (tile index -> its hashes). The level-l hash i is the Merkle
// Tree Hash of leaves [i * 256^l, (i + 1) * 256^l), as in C2SP tlog-tiles. From them it derives
// any node of the tree that lies in the kept tiles: the root, the compact range of a prefix,
// and RFC 6962 consistency proofs. Asking for a hash it does not hold is an Internal error
// (a bug in the caller, never a verdict on the log).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/compact_range.h"
#include "audit/tree_hasher.h"

namespace domicile::audit {

class TreeWindow {
 public:
  explicit TreeWindow(uint64_t size) : size_(size) {}

  // The tree size the hashes belong to.
  uint64_t size() const { return size_; }

  // Keeps the hashes of tile `tile` of `level` (1 to 256 of them). REQUIRES: level <= 7.
  void KeepTile(int level, uint64_t tile, std::vector<Hash> hashes);
  // The kept hashes of that tile, or nullptr.
  const std::vector<Hash>* Tile(int level, uint64_t tile) const;

  // The level-`level` hash `index`.
  absl::StatusOr<Hash> LevelHash(int level, uint64_t index) const;

  // The hash of a perfect subtree, from the 2^(height mod 8) hashes of level height / 8 under it.
  absl::StatusOr<Hash> SubtreeHash(const PerfectSubtree& subtree, TreeHasher& hasher) const;

  // The hash of the tree node [begin, end): the fold of PerfectSubtrees(begin, end).
  absl::StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end, TreeHasher& hasher) const;

  // The root of the tree of size() leaves.
  absl::StatusOr<Hash> Root(TreeHasher& hasher) const { return RangeHash(0, size_, hasher); }

  // RFC 6962 section 2.1.2 PROOF(old_size, D[size()]): empty when old_size is 0 or size().
  // REQUIRES: old_size <= size().
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, TreeHasher& hasher) const;

 private:
  absl::Status SubProof(uint64_t old_size, uint64_t lo, uint64_t hi, bool complete,
                        TreeHasher& hasher, std::vector<Hash>& out) const;

  uint64_t size_;
  std::vector<std::map<uint64_t, std::vector<Hash>>> levels_;
};

}  // namespace domicile::audit
