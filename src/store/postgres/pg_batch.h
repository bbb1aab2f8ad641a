// A WriteBatch as the write statements (pg_statements.h) take it: the batch's last operation on
// each key (so a later put or delete wins over an earlier one, as the contract says), keys in
// ascending order (concurrent batches lock rows in one order, which avoids most deadlocks), cut
// into chunks of a bounded size (an array parameter is limited to 1 GiB).
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "store/postgres/bytea_array.h"

namespace domicile::store::postgres {

// One statement's worth of the batch.
struct BatchChunk {
  ByteaArray delete_keys;
  ByteaArray put_keys;
  ByteaArray put_values;
};

struct EncodedBatch {
  ByteaArray expected_keys;
  ByteaArray expected_values;      // NULL where the key is expected absent
  std::vector<BatchChunk> chunks;  // at least one (empty for a batch without operations)
};

// Encodes `batch`, starting a new chunk once one holds `chunk_bytes` of keys and values.
// InvalidArgument when a key (of an operation or an expectation) is empty.
absl::StatusOr<EncodedBatch> EncodeBatch(const WriteBatch& batch, size_t chunk_bytes);

}  // namespace domicile::store::postgres
