// TreeReader: the log's RFC 6962 Merkle tree read back from its stored tiles. Any node the
// proofs need is one lookup in the tile (with interior nodes, see tile_nodes.h) that holds it,
// so a root, an inclusion proof or a consistency proof touches O(log n) tiles, never the leaves.
//
// A reader serves one request: it remembers the tiles it has fetched, and is not thread-safe.
// Every size it is asked about must be at most the integrated tree size whose tiles the fetcher
// sees; tiles only grow, so reading a later version of a tile is harmless.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tlog/merkle.h"

namespace domicile::tlog {

class TreeReader {
 public:
  // The stored value of tile (level, index); NotFound if absent.
  using TileFetcher =
      std::function<absl::StatusOr<std::shared_ptr<const std::string>>(int level, uint64_t index)>;

  explicit TreeReader(TileFetcher fetch) : fetch_(std::move(fetch)) {}

  // The root hash of the tree of the first `size` leaves.
  absl::StatusOr<Hash> Root(uint64_t size);

  // RFC 6962 PATH: the inclusion proof of leaf `index` in the tree of `size` leaves.
  // InvalidArgument if index >= size.
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size);

  // RFC 6962 PROOF: the consistency proof from `old_size` to `new_size` (empty when old_size is
  // 0 or equal to new_size). InvalidArgument if old_size > new_size.
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size);

 private:
  struct CachedTile {
    int level;
    uint64_t index;
    std::shared_ptr<const std::string> value;
  };

  // The hash of the subtree over leaves [begin, end), as RFC 6962 splits it: `begin` is a
  // multiple of the largest power of two below end - begin. REQUIRES: begin < end.
  absl::StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end);
  // The perfect subtree of height `height` over leaves [index << height, (index + 1) << height).
  absl::StatusOr<Hash> Node(int height, uint64_t index);
  absl::StatusOr<std::shared_ptr<const std::string>> Tile(int level, uint64_t index);
  absl::Status SubProof(uint64_t m, uint64_t begin, uint64_t end, bool complete,
                        std::vector<Hash>& out);

  TileFetcher fetch_;
  std::vector<CachedTile> tiles_;
};

}  // namespace domicile::tlog
