// The format of one backup: a consistent snapshot of one site's data, as ciphertext, packed into
// chunks and sealed by a manifest. A backup holds exactly the site's data prefixes (see
// vault/site_store.h): the wrapped data keys `k/` and `kp/` and the records `r/`, in ascending
// key order. Nothing in it is ever decrypted: without the KEKs, which stay with the key
// provider, a backup is useless to whoever holds it.
//
// An entry is `u32 BE key length | key | u32 BE value length | value`. Chunks are entries laid
// end to end; a chunk ends with the first entry that brings it to the store's chunk size or
// past it, so an entry is never split. The manifest is canonical JSON (vault::CanonicalJson),
// written last, so a backup without one is incomplete:
//   format             1
//   id                 "<site>-<yyyymmddThhmmssZ>-<8 hex>"
//   site               the site whose data it is; records are bound to it (keys/envelope.h)
//   site_jurisdiction  where that site is
//   jurisdictions      whose data it holds, as the caller declared
//   created            RFC 3339 UTC, to the second
//   records, data_keys, entries, bytes   counts; bytes is the sum of the encoded entries
//   root               hex of the RFC 6962 Merkle root over the encoded entries, in order
//   chunks             [{name: "chunk-00000", entries, bytes, sha256 (hex)}], in order
//   checkpoint         the transparency log's signed checkpoint at backup time (may be empty)
// See docs/formats.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace domicile::ops {

inline constexpr int kBackupFormat = 1;

// The key prefixes a backup holds, in key order ("k/" < "kp/" < "r/").
inline constexpr std::string_view kBackupPrefixes[] = {"k/", "kp/", "r/"};

// Whether `key` lies under one of kBackupPrefixes.
bool IsBackupKey(std::string_view key);

// What an entry's key names: one of `subject`'s data keys (k/<subject>, kp/<subject>) or one
// of its records (r/<subject>/<key>). `subject` points into the key.
struct BackupEntryKey {
  bool is_record = false;
  std::string_view subject;
};

// Parses a record's or data key's key (vault/site_store.h), with a valid subject id and record
// key. DataLoss or InvalidArgument otherwise.
absl::StatusOr<BackupEntryKey> ParseBackupKey(std::string_view key);

// Checks that an entry is well formed: its key parses, and its value is a stored record
// (vault::DecodeStoredRecord, with a non-empty envelope) or a wrapped data key
// (keys::DecodeWrappedDataKey). Returns what the key names.
absl::StatusOr<BackupEntryKey> CheckBackupEntry(std::string_view key, std::string_view value);

// Appends one encoded entry to `out`. REQUIRES: key and value shorter than 4 GiB.
void AppendBackupEntry(std::string& out, std::string_view key, std::string_view value);

// The size of an encoded entry, and the encoding itself written at `out` (which must have room
// for that many bytes); returns the end of what was written.
inline size_t BackupEntrySize(std::string_view key, std::string_view value) {
  return 8 + key.size() + value.size();
}
char* EncodeBackupEntry(char* out, std::string_view key, std::string_view value);

// Reads the entries of one chunk front to back.
class ChunkReader {
 public:
  explicit ChunkReader(std::string_view chunk) : rest_(chunk) {}

  struct Entry {
    std::string_view key;
    std::string_view value;
    std::string_view encoded;  // the whole entry as stored: the Merkle leaf
  };
  // Sets `entry` to the next entry and returns true, or returns false at the end of the chunk.
  // DataLoss if the chunk ends inside an entry.
  absl::StatusOr<bool> Next(Entry& entry);

 private:
  std::string_view rest_;
};

struct BackupChunk {
  std::string name;  // ChunkName(its index)
  uint64_t entries = 0;
  uint64_t bytes = 0;
  std::string sha256;  // lower-case hex
};

struct BackupManifest {
  int format = kBackupFormat;
  std::string id;
  std::string site;
  std::string site_jurisdiction;
  std::vector<std::string> jurisdictions;
  std::string created;
  uint64_t records = 0;
  uint64_t data_keys = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;
  std::string root;  // lower-case hex
  std::vector<BackupChunk> chunks;
  std::string checkpoint;
};

// The manifest as canonical JSON.
std::string EncodeManifest(const BackupManifest& manifest);

// Parses and validates a manifest: every field present, of its type and well-formed, no unknown
// field, chunk names in sequence, and the counts consistent (records + data_keys = entries =
// the chunks' entries; bytes = the chunks' bytes). DataLoss naming the field otherwise.
absl::StatusOr<BackupManifest> ParseManifest(std::string_view json);

// "chunk-00000" for index 0. The stores derive their file or key names from it.
std::string ChunkName(uint32_t index);

// A fresh backup id for `site` at `time`: "<site>-<yyyymmddThhmmssZ>-<8 random hex>".
absl::StatusOr<std::string> MakeBackupId(std::string_view site,
                                         std::chrono::system_clock::time_point time);

// Backup ids: 1..128 of [A-Za-z0-9._-], not "." or "..", so an id is safe as a file name and a
// storage key. InvalidArgument otherwise.
absl::Status ValidateBackupId(std::string_view id);

// "2026-11-22T10:00:00Z".
std::string FormatBackupTime(std::chrono::system_clock::time_point time);

}  // namespace domicile::ops
