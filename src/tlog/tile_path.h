// C2SP tlog-tiles resource paths (relative to the log prefix) as pure functions: where a hash
// tile or an entry bundle lives, and the strict inverse, so a server and an auditor agree on
// names without sharing state. Index N is written in 3-digit groups, all but the last prefixed
// with 'x' (1234067 -> "x001/x234/067"); a partial tile of width W adds ".p/<W>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace domicile::tlog {

// Hashes (or entries) in a full tile or bundle.
inline constexpr uint64_t kTileWidth = 256;
// Levels allowed by the spec: 0..63.
inline constexpr int kMaxTileLevel = 63;

// "tile/<L>/<N>[.p/<W>]". partial_width 0 means a full tile.
// REQUIRES: 0 <= level <= kMaxTileLevel.
std::string TilePath(int level, uint64_t index, uint8_t partial_width);

// "tile/entries/<N>[.p/<W>]". partial_width 0 means a full bundle.
std::string EntriesPath(uint64_t index, uint8_t partial_width);

// A parsed tile or entry-bundle path.
struct TileRef {
  bool entries = false;  // true for tile/entries/..., then level is 0 and meaningless
  int level = 0;
  uint64_t index = 0;
  uint8_t partial_width = 0;  // 0 = full
  bool operator==(const TileRef&) const = default;
};

// Parses a path produced by TilePath or EntriesPath. InvalidArgument on anything else: a
// level outside 0..63, leading zeroes, a width outside 1..255, a non-canonical index
// ("x000/001"), an index past 2^64-1, stray characters or slashes.
absl::StatusOr<TileRef> ParseTilePath(std::string_view path);

}  // namespace domicile::tlog
