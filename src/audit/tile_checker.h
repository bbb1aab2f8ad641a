// The auditor's hot loop: fetches the entry bundles and hash tiles that a new checkpoint size
// needs beyond a size already verified, re-hashes every entry into its leaf hash, and requires
// every level-0 tile to hold exactly those hashes and every higher tile to hold exactly the
// roots of the full tiles below it. What it checked is returned as a TreeWindow, from which
// the verifier computes the root, the consistency proof and the compact range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "audit/log_source.h"
#include "audit/tree_window.h"

namespace domicile::audit {

// An entry bundle as fetched: tile/entries/<index>[.p/<width>] (width 0 = full).
struct FetchedBundle {
  uint64_t index = 0;
  uint8_t width = 0;
  std::string bytes;
};

struct TileCheck {
  explicit TileCheck(uint64_t size) : window(size) {}
  // At each level: the tile holding the first hash past the old size (old_size >> 8*level),
  // every later tile, and for level 0 only that first tile and the rightmost partial one.
  TreeWindow window;
  // The bundles fetched, in order, when asked to keep them.
  std::vector<FetchedBundle> bundles;
  // Entries re-hashed (including old entries that share a bundle with new ones).
  uint64_t entries_hashed = 0;
};

// Checks the tiles and bundles of the tree of `new_size` from the tile holding entry `old_size`
// on. At level l >= 1 the hashes before old_size >> 8l in that first tile cannot be recomputed
// from what is fetched; they are taken from the tile as served and vouched for later by the
// root (and, by the caller, by the consistency proof). Errors name the resource and index:
//   DataLoss  "entry 1234 does not match tile/0/004 ..." (an entry or a level-0 hash changed),
//             "tile/1/000 hash 3 does not match tile/0/003 recomputed from its entries",
//             "tile/entries/004 is truncated: ...", "tile/0/004 is 8160 bytes, want 8192 ..."
//   NotFound  "missing tile/1/000.p/17 (...)"
//   anything else the source returned, with the resource named.
// A partial tile or bundle that the log no longer serves is read from the full one that
// replaced it (C2SP tlog-tiles allows deleting partial tiles), using only its first W items.
// REQUIRES: old_size <= new_size.
absl::StatusOr<TileCheck> CheckTiles(LogSource& source, uint64_t old_size, uint64_t new_size,
                                     bool keep_bundles);

}  // namespace domicile::audit
