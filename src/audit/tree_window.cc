#include "audit/tree_window.h"

#include <bit>
#include <cassert>

#include "fmt/format.h"
#include "util/status_macros.h"

namespace domicile::audit {

void TreeWindow::KeepTile(int level, uint64_t tile, std::vector<Hash> hashes) {
  assert(level >= 0 && level <= 7);
  if (levels_.size() <= static_cast<size_t>(level)) levels_.resize(level + 1);
  levels_[level][tile] = std::move(hashes);
}

const std::vector<Hash>* TreeWindow::Tile(int level, uint64_t tile) const {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size()) return nullptr;
  auto it = levels_[level].find(tile);
  return it == levels_[level].end() ? nullptr : &it->second;
}

absl::StatusOr<Hash> TreeWindow::LevelHash(int level, uint64_t index) const {
  const std::vector<Hash>* tile = Tile(level, index / 256);
  if (tile == nullptr || index % 256 >= tile->size()) {
    return absl::InternalError(
        fmt::format("auditor bug: level {} hash {} of size {} was not kept", level, index, size_));
  }
  return (*tile)[index % 256];
}

absl::StatusOr<Hash> TreeWindow::SubtreeHash(const PerfectSubtree& subtree,
                                             TreeHasher& hasher) const {
  const int level = subtree.height / 8;
  const uint64_t count = uint64_t{1} << (subtree.height % 8);
  const uint64_t first = subtree.start >> (8 * level);
  const std::vector<Hash>* tile = Tile(level, first / 256);
  if (tile == nullptr || first % 256 + count > tile->size()) {
    return absl::InternalError(
        fmt::format("auditor bug: subtree [{}, +2^{}) of size {} is not in the kept tiles",
                    subtree.start, subtree.height, size_));
  }
  return hasher.PerfectRoot(std::span<const Hash>(*tile).subspan(first % 256, count));
}

absl::StatusOr<Hash> TreeWindow::RangeHash(uint64_t begin, uint64_t end, TreeHasher& hasher) const {
  std::vector<Hash> hashes;
  for (const PerfectSubtree& s : PerfectSubtrees(begin, end)) {
    ASSIGN_OR_RETURN(Hash h, SubtreeHash(s, hasher));
    hashes.push_back(h);
  }
  return hasher.Fold(hashes);
}

absl::Status TreeWindow::SubProof(uint64_t old_size, uint64_t lo, uint64_t hi, bool complete,
                                  TreeHasher& hasher, std::vector<Hash>& out) const {
  if (old_size == hi) {
    if (!complete) {
      ASSIGN_OR_RETURN(Hash h, RangeHash(lo, hi, hasher));
      out.push_back(h);
    }
    return absl::OkStatus();
  }
  const uint64_t k = std::bit_floor(hi - lo - 1);
  if (old_size <= lo + k) {
    RETURN_IF_ERROR(SubProof(old_size, lo, lo + k, complete, hasher, out));
    ASSIGN_OR_RETURN(Hash h, RangeHash(lo + k, hi, hasher));
    out.push_back(h);
  } else {
    RETURN_IF_ERROR(SubProof(old_size, lo + k, hi, false, hasher, out));
    ASSIGN_OR_RETURN(Hash h, RangeHash(lo, lo + k, hasher));
    out.push_back(h);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Hash>> TreeWindow::ConsistencyProof(uint64_t old_size,
                                                               TreeHasher& hasher) const {
  assert(old_size <= size_);
  std::vector<Hash> out;
  if (old_size == 0 || old_size == size_) return out;
  RETURN_IF_ERROR(SubProof(old_size, 0, size_, true, hasher, out));
  return out;
}

}  // namespace domicile::audit
