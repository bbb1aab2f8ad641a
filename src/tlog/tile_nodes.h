// TileNodes: one C2SP hash tile together with the interior nodes of the subtrees it spans. A
// tile at level L holds up to 256 hashes of nodes at height 8L; the interior nodes are the nodes
// at heights 8L+1 .. 8L+7 above them. Storing them beside the tile lets a proof read any node of
// the tree with one tile lookup instead of rehashing up to 255 nodes.
//
// Stored encoding: u16 width W (1..256, big-endian), then the W hashes of height 0 (exactly the
// tile's C2SP bytes), then the W>>1 complete nodes of height 1, ..., the W>>7 of height 7. A tile
// only grows, and every node in it is final once present, so a smaller width is a prefix.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/merkle.h"
#include "util/bytes.h"

namespace domicile::tlog {

// Heights of nodes kept in a tile, relative to its level: 0 (the tile's own hashes) to 7.
inline constexpr int kTileHeights = 8;

// A tile being built: appended to hash by hash, encoded for the store.
class TileNodes {
 public:
  uint64_t width() const { return nodes_[0].size(); }
  bool full() const;
  bool empty() const { return nodes_[0].empty(); }

  // Adds the next hash at height 0 and every interior node it completes. REQUIRES: !full().
  void Push(const Hash& hash);

  // The hash of the whole tile: the node at height 8 above it. REQUIRES: full().
  Hash Root() const;

  // The complete node at `height` (0..7) and position `index` within the tile, if present.
  std::optional<Hash> Node(int height, uint64_t index) const;

  std::string Encode() const;
  // DataLoss if `value` is not an encoding made by Encode().
  static absl::StatusOr<TileNodes> Decode(std::string_view value);

 private:
  std::array<std::vector<Hash>, kTileHeights> nodes_;
};

// A read-only view of an encoded tile, read without copying. Does not own `value`.
class StoredTile {
 public:
  // DataLoss if `value` is not an encoding made by TileNodes::Encode().
  static absl::StatusOr<StoredTile> Parse(std::string_view value);

  uint64_t width() const { return width_; }
  // As TileNodes::Node.
  std::optional<Hash> Node(int height, uint64_t index) const;
  // The C2SP hash tile of width `width`: the first `width` hashes. REQUIRES: width <= width().
  Bytes HashTile(uint64_t width) const;

 private:
  StoredTile(std::string_view value, uint64_t width) : value_(value), width_(width) {}
  std::string_view value_;
  uint64_t width_;
};

}  // namespace domicile::tlog
