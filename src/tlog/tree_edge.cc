#include "tlog/tree_edge.h"

#include <optional>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tlog/log_layout.h"
#include "tlog/tile_path.h"

namespace domicile::tlog {
namespace {

constexpr int kBitsPerLevel = 8;

// Nodes at height 8 * level in a tree of `size` leaves.
uint64_t NodesAtLevel(uint64_t size, int level) {
  return level * kBitsPerLevel >= 64 ? 0 : size >> (level * kBitsPerLevel);
}

}  // namespace

absl::StatusOr<TreeEdge> TreeEdge::Load(uint64_t size, const TileFetcher& fetch) {
  TreeEdge edge;
  edge.size_ = size;
  for (int level = 0; NodesAtLevel(size, level) > 0; ++level) {
    const uint64_t nodes = NodesAtLevel(size, level);
    Level l;
    l.index = nodes / kTileWidth;
    const uint64_t width = nodes % kTileWidth;
    if (width > 0) {
      absl::StatusOr<std::string> value = fetch(level, l.index);
      if (!value.ok()) {
        return absl::DataLossError(fmt::format("tlog: partial tile {}/{} of tree size {}: {}",
                                               level, l.index, size, value.status().ToString()));
      }
      absl::StatusOr<TileNodes> tile = TileNodes::Decode(*value);
      if (!tile.ok()) return tile.status();
      if (tile->width() != width) {
        return absl::DataLossError(
            fmt::format("tlog: tile {}/{} has width {}, tree size {} needs {}", level, l.index,
                        tile->width(), size, width));
      }
      l.tile = *std::move(tile);
    }
    edge.levels_.push_back(std::move(l));
  }
  return edge;
}

void TreeEdge::Append(std::span<const Hash> leaf_hashes, store::WriteBatch& batch) {
  for (const Hash& leaf : leaf_hashes) Push(0, leaf, batch);
  size_ += leaf_hashes.size();
  for (size_t level = 0; level < levels_.size(); ++level) {
    Level& l = levels_[level];
    if (l.dirty && !l.tile.empty()) {
      batch.Put(layout::TileKey(static_cast<int>(level), l.index), l.tile.Encode());
    }
    l.dirty = false;
  }
}

void TreeEdge::Push(int level, const Hash& hash, store::WriteBatch& batch) {
  if (static_cast<size_t>(level) == levels_.size()) levels_.emplace_back();
  Level& l = levels_[level];
  l.tile.Push(hash);
  l.dirty = true;
  if (!l.tile.full()) return;
  batch.Put(layout::TileKey(level, l.index), l.tile.Encode());
  const Hash root = l.tile.Root();
  l.index++;
  l.tile = TileNodes();
  l.dirty = false;
  Push(level + 1, root, batch);  // `l` may dangle from here on
}

Hash TreeEdge::Root() const {
  // The tree is the sequence of perfect subtrees given by the bits of size(), largest on the
  // left; each is the last complete node at its height in the edge tile of its level.
  std::optional<Hash> acc;
  for (size_t level = 0; level < levels_.size(); ++level) {
    const TileNodes& tile = levels_[level].tile;
    const uint64_t width = tile.width();
    for (int r = 0; r < kTileHeights; ++r) {
      if (((width >> r) & 1) == 0) continue;
      const Hash piece = *tile.Node(r, (width >> r) - 1);
      acc = acc.has_value() ? NodeHash(piece, *acc) : piece;
    }
  }
  return acc.has_value() ? *acc : EmptyRoot();
}

}  // namespace domicile::tlog
