// TreeEdge: the right edge of the log's Merkle tree, held in memory by the integrator: at each
// tile level, the one tile that is not yet full (with its interior nodes). Appending leaf hashes
// completes tiles level by level; the edge alone yields the root of the whole tree, and
// everything left of it is immutable and already stored.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "tlog/merkle.h"
#include "tlog/tile_nodes.h"

namespace domicile::tlog {

class TreeEdge {
 public:
  // The stored value of tile (level, index); NotFound if absent.
  using TileFetcher = std::function<absl::StatusOr<std::string>(int level, uint64_t index)>;

  // The edge of the empty tree.
  TreeEdge() = default;

  // The edge of the tree of `size` leaves, read from its stored partial tiles. DataLoss if one
  // is missing, malformed or of the wrong width.
  static absl::StatusOr<TreeEdge> Load(uint64_t size, const TileFetcher& fetch);

  uint64_t size() const { return size_; }

  // Appends `leaf_hashes` and adds to `batch` every tile they change: each tile that became
  // full, and the partial tiles that grew (under layout::TileKey).
  void Append(std::span<const Hash> leaf_hashes, store::WriteBatch& batch);

  // The root of the tree of size() leaves.
  Hash Root() const;

 private:
  struct Level {
    uint64_t index = 0;  // of the tile being filled
    TileNodes tile;
    bool dirty = false;  // grown since the last Append wrote it
  };
  // Pushes `hash` into the tile of `level`, cascading full tiles upwards.
  void Push(int level, const Hash& hash, store::WriteBatch& batch);

  std::vector<Level> levels_;
  uint64_t size_ = 0;
};

}  // namespace domicile::tlog
