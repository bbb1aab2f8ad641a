#include "tlog/tile_nodes.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "absl/status/status.h"
#include "tlog/tile_path.h"

namespace domicile::tlog {
namespace {

constexpr size_t kHeaderSize = 2;
constexpr size_t kHashSize = sizeof(Hash);

// Bytes before the first node of `height` in the encoding of a tile of `width`.
size_t HeightOffset(uint64_t width, int height) {
  size_t nodes = 0;
  for (int r = 0; r < height; ++r) nodes += width >> r;
  return kHeaderSize + nodes * kHashSize;
}

size_t EncodedSize(uint64_t width) { return HeightOffset(width, kTileHeights); }

bool ValidPosition(uint64_t width, int height, uint64_t index) {
  return height >= 0 && height < kTileHeights && index < (width >> height);
}

}  // namespace

bool TileNodes::full() const { return width() == kTileWidth; }

void TileNodes::Push(const Hash& hash) {
  assert(!full());
  nodes_[0].push_back(hash);
  for (int r = 0; r + 1 < kTileHeights && nodes_[r].size() % 2 == 0; ++r) {
    const std::vector<Hash>& row = nodes_[r];
    nodes_[r + 1].push_back(NodeHash(row[row.size() - 2], row[row.size() - 1]));
  }
}

Hash TileNodes::Root() const {
  assert(full());
  const std::vector<Hash>& top = nodes_[kTileHeights - 1];
  return NodeHash(top[0], top[1]);
}

std::optional<Hash> TileNodes::Node(int height, uint64_t index) const {
  if (!ValidPosition(width(), height, index)) return std::nullopt;
  return nodes_[height][index];
}

std::string TileNodes::Encode() const {
  const uint64_t w = width();
  std::string out;
  out.reserve(EncodedSize(w));
  out.push_back(static_cast<char>(w >> 8));
  out.push_back(static_cast<char>(w & 0xff));
  for (const std::vector<Hash>& row : nodes_) {
    for (const Hash& h : row) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  }
  return out;
}

absl::StatusOr<TileNodes> TileNodes::Decode(std::string_view value) {
  absl::StatusOr<StoredTile> stored = StoredTile::Parse(value);
  if (!stored.ok()) return stored.status();
  // Rebuild the interior from the tile's own hashes and insist that it matches what was stored:
  // a tile read back at recovery is extended, so a corrupt node must not be built upon.
  TileNodes tile;
  for (uint64_t i = 0; i < stored->width(); ++i) tile.Push(*stored->Node(0, i));
  if (tile.Encode() != value) return absl::DataLossError("tlog: stored tile fails its hashes");
  return tile;
}

absl::StatusOr<StoredTile> StoredTile::Parse(std::string_view value) {
  if (value.size() < kHeaderSize) return absl::DataLossError("tlog: truncated stored tile");
  const uint64_t width =
      (uint64_t{static_cast<uint8_t>(value[0])} << 8) | static_cast<uint8_t>(value[1]);
  if (width == 0 || width > kTileWidth || value.size() != EncodedSize(width)) {
    return absl::DataLossError("tlog: malformed stored tile");
  }
  return StoredTile(value, width);
}

std::optional<Hash> StoredTile::Node(int height, uint64_t index) const {
  if (!ValidPosition(width_, height, index)) return std::nullopt;
  Hash h;
  std::memcpy(h.data(), value_.data() + HeightOffset(width_, height) + index * kHashSize,
              kHashSize);
  return h;
}

Bytes StoredTile::HashTile(uint64_t width) const {
  assert(width <= width_);
  const auto* begin = reinterpret_cast<const uint8_t*>(value_.data()) + kHeaderSize;
  return Bytes(begin, begin + width * kHashSize);
}

}  // namespace domicile::tlog
