// A compact range: the state that lets an auditor extend a verified tree without keeping it.
// For a tree of `size` leaves it holds one hash per set bit of `size`: the roots of the perfect
// subtrees that cover [0, size), largest (leftmost) first. Folding them gives the tree's root;
// appending the perfect subtrees that cover [size, new_size) gives the compact range, and so the
// root, of the larger tree: if the log's new root equals that, the new tree extends the old.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/tree_hasher.h"

namespace domicile::audit {

// The perfect subtree [start, start + 2^height); start is a multiple of 2^height.
struct PerfectSubtree {
  int height = 0;
  uint64_t start = 0;
  bool operator==(const PerfectSubtree&) const = default;
};

// The largest aligned perfect subtrees that cover [begin, end), left to right. For begin == 0
// they are the subtrees of a compact range; for any Merkle tree node [begin, end) of a tree
// their folded hashes give the node's hash. REQUIRES: begin <= end.
std::vector<PerfectSubtree> PerfectSubtrees(uint64_t begin, uint64_t end);

class CompactRange {
 public:
  CompactRange() = default;  // the empty tree

  // InvalidArgument unless there is exactly one hash per set bit of `size`.
  static absl::StatusOr<CompactRange> FromHashes(uint64_t size, std::vector<Hash> hashes);

  uint64_t size() const { return size_; }
  const std::vector<Hash>& hashes() const { return hashes_; }

  // Extends the range by the perfect subtree [size(), size() + 2^height) whose hash is `hash`.
  // InvalidArgument unless size() is a multiple of 2^height and the size does not overflow.
  absl::Status Append(int height, const Hash& hash, TreeHasher& hasher);

  // The root of the tree of size() leaves (EmptyRoot() when empty).
  Hash Root(TreeHasher& hasher) const { return hasher.Fold(hashes_); }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

}  // namespace domicile::audit
