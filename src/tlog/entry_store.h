// Entry storage: the log's entries kept in its KvStore as chunks of C2SP entry bundles. Each
// durable append batch writes, per bundle it touches, one chunk: the batch's entries of that
// bundle in bundle format (u16 length, bytes), keyed by bundle and first offset (log_layout.h).
// A bundle is then the concatenation of its chunks, so serving tile/entries/<N> re-encodes
// nothing, and entries are written exactly once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "util/bytes.h"

namespace domicile::tlog {

// Adds to `batch` the chunks that store `entries` at indices first, first + 1, ...
// REQUIRES: every entry is at most layout::kMaxEntrySize bytes.
void PutEntryChunks(uint64_t first, std::span<const ByteView> entries, store::WriteBatch& batch);

// The first `width` (1..256) entries of bundle `bundle`, in bundle format. NotFound if fewer are
// stored; DataLoss if the chunks are malformed or leave a gap.
absl::StatusOr<Bytes> ReadEntryBundle(const store::KvStore& store, uint64_t bundle, uint64_t width);

// The entries with indices [begin, end). NotFound if any is not stored.
absl::StatusOr<std::vector<Bytes>> ReadEntries(const store::KvStore& store, uint64_t begin,
                                               uint64_t end);

}  // namespace domicile::tlog
