#include "tlog/entry_store.h"

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tlog/log_layout.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::tlog {
namespace {

// Called with each stored entry of a bundle, in order, with its offset in the bundle; returns
// false to stop. `entry` is valid only during the call.
using EntryFn = std::function<bool(uint64_t offset, ByteView entry)>;

// Visits the stored entries of `bundle` in order. DataLoss on malformed or non-contiguous chunks.
absl::Status ScanBundle(const store::KvStore& store, uint64_t bundle, const EntryFn& fn) {
  absl::Status error;
  uint64_t next = 0;  // offset of the next entry expected
  RETURN_IF_ERROR(store.Scan(layout::EntryBundlePrefix(bundle), [&](std::string_view key,
                                                                    std::string_view value) {
    absl::StatusOr<uint8_t> offset = layout::EntryChunkOffset(key);
    if (!offset.ok() || *offset != next) {
      error = absl::DataLossError(fmt::format(
          "tlog: entry chunk of bundle {} out of place (expected offset {})", bundle, next));
      return false;
    }
    const ByteView chunk = AsBytes(value);
    ByteReader reader(chunk);
    while (!reader.AtEnd()) {
      ByteView entry;
      if (!reader.ReadLengthPrefixed16(entry) || next >= kTileWidth) {
        error =
            absl::DataLossError(fmt::format("tlog: malformed entry chunk {}/{}", bundle, *offset));
        return false;
      }
      if (!fn(next, entry)) return false;
      ++next;
    }
    return true;
  }));
  return error;
}

}  // namespace

void PutEntryChunks(uint64_t first, std::span<const ByteView> entries, store::WriteBatch& batch) {
  size_t i = 0;
  while (i < entries.size()) {
    const uint64_t index = first + i;
    const uint64_t bundle = index / kTileWidth;
    const uint64_t offset = index % kTileWidth;
    const size_t n = std::min<size_t>(entries.size() - i, kTileWidth - offset);
    Bytes chunk;
    size_t bytes = 0;
    for (size_t j = i; j < i + n; ++j) bytes += 2 + entries[j].size();
    chunk.reserve(bytes);
    for (size_t j = i; j < i + n; ++j) AppendLengthPrefixed16(chunk, entries[j]);
    batch.Put(layout::EntryChunkKey(bundle, static_cast<uint8_t>(offset)), AsChars(chunk));
    i += n;
  }
}

absl::StatusOr<Bytes> ReadEntryBundle(const store::KvStore& store, uint64_t bundle,
                                      uint64_t width) {
  Bytes out;
  uint64_t count = 0;
  RETURN_IF_ERROR(ScanBundle(store, bundle, [&](uint64_t, ByteView entry) {
    AppendLengthPrefixed16(out, entry);
    return ++count < width;
  }));
  if (count < width) {
    return absl::NotFoundError(
        fmt::format("tlog: entry bundle {} has {} entries, not {}", bundle, count, width));
  }
  return out;
}

absl::StatusOr<std::vector<Bytes>> ReadEntries(const store::KvStore& store, uint64_t begin,
                                               uint64_t end) {
  std::vector<Bytes> out;
  if (begin >= end) return out;
  out.reserve(end - begin);
  for (uint64_t bundle = begin / kTileWidth; bundle <= (end - 1) / kTileWidth; ++bundle) {
    const uint64_t base = bundle * kTileWidth;
    RETURN_IF_ERROR(ScanBundle(store, bundle, [&](uint64_t offset, ByteView entry) {
      const uint64_t index = base + offset;
      if (index >= end) return false;
      if (index >= begin) out.emplace_back(entry.begin(), entry.end());
      return true;
    }));
  }
  if (out.size() != end - begin) {
    return absl::NotFoundError(
        fmt::format("tlog: entries [{}, {}) are not all stored; {} found", begin, end, out.size()));
  }
  return out;
}

}  // namespace domicile::tlog
