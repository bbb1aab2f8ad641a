// The transparency log's layout in its KvStore: every key and value format of the durable log in
// one place (docs/log.md, "Storage and write path", writes the same down for operators).
//
//   "m/format"             "1": the layout version, written when the log is created.
//   "m/durable"            u64: entries [0, durable) are stored (written with every append batch).
//   "m/integrated"         u64: the tree of that many leaves is stored as tiles (written with
//                          the tiles, in the same batch).
//   "m/checkpoint"         the latest published signed checkpoint note.
//   "e" u64(N) u8(O)       an entry chunk: entries N*256+O, N*256+O+1, ... of bundle N, each
//                          prefixed by its u16 length (the entry-bundle format), so that bundle N
//                          is the concatenation of its chunks in key order.
//   "t" u8(L) u64(N)       hash tile L/N with its interior nodes (see tile_nodes.h).
//
// All integers are big-endian, so keys sort in index order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/kv_store.h"

namespace domicile::tlog::layout {

inline constexpr std::string_view kFormatKey = "m/format";
inline constexpr std::string_view kFormatVersion = "1";
inline constexpr std::string_view kDurableSizeKey = "m/durable";
inline constexpr std::string_view kIntegratedSizeKey = "m/integrated";
inline constexpr std::string_view kCheckpointKey = "m/checkpoint";

// The largest entry the log accepts: its length must fit the bundle's u16 prefix.
inline constexpr size_t kMaxEntrySize = 65535;

// "e" u64(bundle): the prefix of every chunk of entry bundle `bundle`.
std::string EntryBundlePrefix(uint64_t bundle);
// "e" u64(bundle) u8(offset): the chunk of bundle `bundle` starting at entry `offset`.
std::string EntryChunkKey(uint64_t bundle, uint8_t offset);
// The offset of a chunk key of bundle `bundle`. InvalidArgument if `key` is not one.
absl::StatusOr<uint8_t> EntryChunkOffset(std::string_view key);

// "t" u8(level) u64(index).
std::string TileKey(int level, uint64_t index);

// A u64 value as 8 big-endian bytes, and back (DataLoss if not 8 bytes).
std::string EncodeSize(uint64_t size);
absl::StatusOr<uint64_t> DecodeSize(std::string_view value);
// The size stored under `key`, 0 if absent.
absl::StatusOr<uint64_t> ReadSize(const store::KvStore& store, std::string_view key);

}  // namespace domicile::tlog::layout
