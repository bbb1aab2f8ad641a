#include "audit/tile_checker.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "fmt/format.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::audit {
namespace {

constexpr size_t kHashSize = 32;

std::string Short(const uint8_t* hash) { return HexEncode(ByteView(hash, 8)); }

// A tile or bundle as fetched: its path and bytes, and whether the full one stood in for a
// partial one that is gone.
struct Resource {
  std::string path;
  std::string bytes;
  bool full_for_partial = false;
};

absl::Status FetchError(const std::string& path, const absl::Status& status) {
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(fmt::format("missing {} ({})", path, std::string(status.message())));
  }
  return absl::Status(status.code(),
                      fmt::format("cannot fetch {}: {}", path, std::string(status.message())));
}

// Fetches the tile (or, with `entries`, the bundle) `index` of `level` whose width is `width`.
// A log may delete a partial tile once the full one exists (C2SP tlog-tiles), so a missing
// partial one is fetched as the full one, of which only the first `width` items count.
absl::StatusOr<Resource> FetchTile(LogSource& source, bool entries, int level, uint64_t index,
                                   uint64_t width) {
  const auto partial = static_cast<uint8_t>(width == 256 ? 0 : width);
  Resource r;
  r.path = entries ? tlog::EntriesPath(index, partial) : tlog::TilePath(level, index, partial);
  absl::StatusOr<std::string> data = source.Fetch(r.path);
  if (data.ok()) {
    r.bytes = std::move(*data);
    return r;
  }
  if (partial == 0 || !absl::IsNotFound(data.status())) return FetchError(r.path, data.status());
  const std::string full = entries ? tlog::EntriesPath(index, 0) : tlog::TilePath(level, index, 0);
  absl::StatusOr<std::string> full_data = source.Fetch(full);
  if (!full_data.ok()) {
    return FetchError(fmt::format("{} (and {})", r.path, full), data.status());
  }
  r.path = full;
  r.bytes = std::move(*full_data);
  r.full_for_partial = true;
  return r;
}

// Leaf-hashes the first `width` entries of bundle `index` into `out`; returns the bytes they
// take. Bytes after them are an error unless `allow_more` (a full bundle read for a partial).
absl::StatusOr<size_t> HashBundle(const Resource& bundle, uint64_t index, uint64_t width,
                                  bool allow_more, TreeHasher& hasher, std::vector<Hash>& out) {
  const auto* begin = reinterpret_cast<const uint8_t*>(bundle.bytes.data());
  const uint8_t* p = begin;
  size_t left = bundle.bytes.size();
  for (uint64_t i = 0; i < width; ++i) {
    const uint64_t entry = index * 256 + i;
    if (left < 2) {
      return absl::DataLossError(
          fmt::format("{} is truncated: it holds {} of its {} entries (entry {} is missing)",
                      bundle.path, i, width, entry));
    }
    const size_t length = ReadU16(p);
    if (left - 2 < length) {
      return absl::DataLossError(fmt::format("{} is truncated: entry {} needs {} bytes, {} remain",
                                             bundle.path, entry, length, left - 2));
    }
    out[i] = hasher.Leaf(ByteView(p + 2, length));
    p += 2 + length;
    left -= 2 + length;
  }
  if (left != 0 && !allow_more) {
    return absl::DataLossError(
        fmt::format("{} has {} bytes after its {} entries", bundle.path, left, width));
  }
  return static_cast<size_t>(p - begin);
}

}  // namespace

absl::StatusOr<TileCheck> CheckTiles(LogSource& source, uint64_t old_size, uint64_t new_size,
                                     bool keep_bundles) {
  assert(old_size <= new_size);
  TileCheck result(new_size);
  TreeHasher hasher;
  // The level-l hashes recomputed from level l-1: indices [old_size >> 8l, new_size >> 8l).
  std::vector<Hash> computed;
  for (int level = 0; level <= tlog::kMaxTileLevel / 8; ++level) {
    const int shift = 8 * level;
    const uint64_t end = new_size >> shift;
    if (end == 0) break;
    const uint64_t first_new = old_size >> shift;
    if (level > 0 && computed.size() != end - first_new) {
      return absl::InternalError(fmt::format("auditor bug: level {} has {} hashes, want {}", level,
                                             computed.size(), end - first_new));
    }
    const uint64_t first_tile = first_new / 256;
    const uint64_t last_tile = (end - 1) / 256;
    std::vector<Hash> next;
    next.reserve(last_tile - first_tile + 1);
    for (uint64_t t = first_tile; t <= last_tile; ++t) {
      const uint64_t width = std::min<uint64_t>(256, end - t * 256);
      ASSIGN_OR_RETURN(Resource tile, FetchTile(source, /*entries=*/false, level, t, width));
      const size_t want_bytes = (tile.full_for_partial ? 256 : width) * kHashSize;
      if (tile.bytes.size() != want_bytes) {
        return absl::DataLossError(fmt::format("{} is {} bytes, want {} ({} hashes)", tile.path,
                                               tile.bytes.size(), want_bytes,
                                               want_bytes / kHashSize));
      }
      const auto* tile_bytes = reinterpret_cast<const uint8_t*>(tile.bytes.data());
      std::vector<Hash> hashes(width);
      if (level == 0) {
        ASSIGN_OR_RETURN(Resource bundle, FetchTile(source, /*entries=*/true, 0, t, width));
        ASSIGN_OR_RETURN(size_t used,
                         HashBundle(bundle, t, width, bundle.full_for_partial, hasher, hashes));
        result.entries_hashed += width;
        for (uint64_t i = 0; i < width; ++i) {
          const uint8_t* want = tile_bytes + i * kHashSize;
          if (std::memcmp(hashes[i].data(), want, kHashSize) != 0) {
            return absl::DataLossError(fmt::format(
                "entry {} does not match {}: its leaf hash is {}..., the tile has {}...",
                t * 256 + i, tile.path, Short(hashes[i].data()), Short(want)));
          }
        }
        if (keep_bundles) {
          bundle.bytes.resize(used);  // exactly the bundle of this width
          result.bundles.push_back(
              {t, static_cast<uint8_t>(width == 256 ? 0 : width), std::move(bundle.bytes)});
        }
      } else {
        for (uint64_t i = 0; i < width; ++i) {
          const uint64_t j = t * 256 + i;
          const uint8_t* have = tile_bytes + i * kHashSize;
          if (j < first_new) {  // before the old size: vouched for by the root
            std::memcpy(hashes[i].data(), have, kHashSize);
            continue;
          }
          hashes[i] = computed[j - first_new];
          if (std::memcmp(hashes[i].data(), have, kHashSize) != 0) {
            return absl::DataLossError(fmt::format(
                "{} hash {} does not match {} recomputed from {}: the tile has {}..., the "
                "recomputed hash is {}...",
                tile.path, i, tlog::TilePath(level - 1, j, 0),
                level == 1 ? "its entries" : "the level below", Short(have),
                Short(hashes[i].data())));
          }
        }
      }
      if (width == 256) next.push_back(hasher.PerfectRoot(hashes));
      if (level > 0 || t == first_tile || width < 256) {
        result.window.KeepTile(level, t, std::move(hashes));
      }
    }
    computed = std::move(next);
  }
  return result;
}

}  // namespace domicile::audit
