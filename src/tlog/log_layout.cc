#include "tlog/log_layout.h"

#include "absl/status/status.h"

namespace domicile::tlog::layout {
namespace {

constexpr char kEntryTag = 'e';
constexpr char kTileTag = 't';

void AppendBigEndian(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

uint64_t ReadBigEndian(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace

std::string EntryBundlePrefix(uint64_t bundle) {
  std::string key(1, kEntryTag);
  AppendBigEndian(key, bundle);
  return key;
}

std::string EntryChunkKey(uint64_t bundle, uint8_t offset) {
  std::string key = EntryBundlePrefix(bundle);
  key.push_back(static_cast<char>(offset));
  return key;
}

absl::StatusOr<uint8_t> EntryChunkOffset(std::string_view key) {
  if (key.size() != 10 || key[0] != kEntryTag) {
    return absl::InvalidArgumentError("tlog: not an entry chunk key");
  }
  return static_cast<uint8_t>(key[9]);
}

std::string TileKey(int level, uint64_t index) {
  std::string key(1, kTileTag);
  key.push_back(static_cast<char>(level));
  AppendBigEndian(key, index);
  return key;
}

std::string EncodeSize(uint64_t size) {
  std::string out;
  AppendBigEndian(out, size);
  return out;
}

absl::StatusOr<uint64_t> DecodeSize(std::string_view value) {
  if (value.size() != 8) return absl::DataLossError("tlog: stored size is not 8 bytes");
  return ReadBigEndian(value);
}

absl::StatusOr<uint64_t> ReadSize(const store::KvStore& store, std::string_view key) {
  absl::StatusOr<std::string> value = store.Get(key);
  if (absl::IsNotFound(value.status())) return 0;
  if (!value.ok()) return value.status();
  return DecodeSize(*value);
}

}  // namespace domicile::tlog::layout
