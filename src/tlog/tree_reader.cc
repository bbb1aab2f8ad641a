#include "tlog/tree_reader.h"

#include <algorithm>
#include <bit>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tlog/tile_nodes.h"
#include "tlog/tile_path.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

constexpr int kBitsPerLevel = 8;

// The largest power of two strictly less than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

absl::StatusOr<Hash> TreeReader::Root(uint64_t size) {
  if (size == 0) return EmptyRoot();
  return RangeHash(0, size);
}

absl::StatusOr<std::vector<Hash>> TreeReader::InclusionProof(uint64_t index, uint64_t size) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        fmt::format("tlog: inclusion proof of index {} in a tree of size {}", index, size));
  }
  std::vector<Hash> proof;
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (index < mid) {
      ASSIGN_OR_RETURN(Hash h, RangeHash(mid, end));
      proof.push_back(h);
      end = mid;
    } else {
      ASSIGN_OR_RETURN(Hash h, RangeHash(begin, mid));
      proof.push_back(h);
      begin = mid;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::StatusOr<std::vector<Hash>> TreeReader::ConsistencyProof(uint64_t old_size,
                                                               uint64_t new_size) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError(
        fmt::format("tlog: consistency proof from size {} to smaller size {}", old_size, new_size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  RETURN_IF_ERROR(SubProof(old_size, 0, new_size, true, proof));
  return proof;
}

absl::Status TreeReader::SubProof(uint64_t m, uint64_t begin, uint64_t end, bool complete,
                                  std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!complete) {
      ASSIGN_OR_RETURN(Hash h, RangeHash(begin, end));
      out.push_back(h);
    }
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    RETURN_IF_ERROR(SubProof(m, begin, begin + k, complete, out));
    ASSIGN_OR_RETURN(Hash h, RangeHash(begin + k, end));
    out.push_back(h);
  } else {
    RETURN_IF_ERROR(SubProof(m - k, begin + k, end, false, out));
    ASSIGN_OR_RETURN(Hash h, RangeHash(begin, begin + k));
    out.push_back(h);
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> TreeReader::RangeHash(uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n)) return Node(std::countr_zero(n), begin >> std::countr_zero(n));
  // A subtree on the right edge: its perfect left part, then the rest.
  const uint64_t k = SplitPoint(n);
  ASSIGN_OR_RETURN(Hash left, Node(std::countr_zero(k), begin >> std::countr_zero(k)));
  ASSIGN_OR_RETURN(Hash right, RangeHash(begin + k, end));
  return NodeHash(left, right);
}

absl::StatusOr<Hash> TreeReader::Node(int height, uint64_t index) {
  const int level = height / kBitsPerLevel;
  const int r = height % kBitsPerLevel;
  // Position of the node's leftmost descendant among the hashes of its tile level.
  const uint64_t position = index << r;
  const uint64_t tile_index = position / kTileWidth;
  ASSIGN_OR_RETURN(std::shared_ptr<const std::string> value, Tile(level, tile_index));
  ASSIGN_OR_RETURN(StoredTile tile, StoredTile::Parse(*value));
  std::optional<Hash> node = tile.Node(r, (position % kTileWidth) >> r);
  if (!node.has_value()) {
    return absl::DataLossError(
        fmt::format("tlog: tile {}/{} of width {} lacks the node at height {}, position {}", level,
                    tile_index, tile.width(), height, index));
  }
  return *node;
}

absl::StatusOr<std::shared_ptr<const std::string>> TreeReader::Tile(int level, uint64_t index) {
  for (const CachedTile& t : tiles_) {
    if (t.level == level && t.index == index) return t.value;
  }
  absl::StatusOr<std::shared_ptr<const std::string>> value = fetch_(level, index);
  if (absl::IsNotFound(value.status())) {
    return absl::DataLossError(fmt::format("tlog: tile {}/{} is missing", level, index));
  }
  if (!value.ok()) return value.status();
  tiles_.push_back({level, index, *value});
  return *value;
}

}  // namespace domicile::tlog
