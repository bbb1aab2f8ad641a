#include "store/postgres/pg_batch.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace domicile::store::postgres {

absl::StatusOr<EncodedBatch> EncodeBatch(const WriteBatch& batch, size_t chunk_bytes) {
  const std::vector<WriteBatch::Op>& ops = batch.ops();
  for (const WriteBatch::Op& op : ops) {
    if (op.key.empty()) return absl::InvalidArgumentError("store: empty key");
  }
  EncodedBatch out;
  for (const WriteBatch::Expectation& e : batch.expectations()) {
    if (e.key.empty()) return absl::InvalidArgumentError("store: empty key");
    out.expected_keys.Add(e.key);
    out.expected_values.AddOptional(e.value);
  }
  // Operations by key, in batch order within a key: the last of each run is the one that wins.
  std::vector<size_t> order(ops.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ops[a].key < ops[b].key; });
  size_t total_keys = 0, total_values = 0;
  for (const WriteBatch::Op& op : ops) {
    total_keys += op.key.size();
    total_values += op.value.size();
  }
  // Room for a chunk's arrays at once: a bulk batch is megabytes, copied once.
  auto new_chunk = [&] {
    BatchChunk& chunk = out.chunks.emplace_back();
    chunk.put_keys.Reserve(ops.size(), std::min(total_keys, chunk_bytes));
    chunk.put_values.Reserve(ops.size(), std::min(total_values, chunk_bytes));
  };
  new_chunk();
  size_t bytes = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const WriteBatch::Op& op = ops[order[i]];
    if (i + 1 < order.size() && ops[order[i + 1]].key == op.key) continue;
    if (bytes > 0 && bytes + op.key.size() + op.value.size() > chunk_bytes) {
      new_chunk();
      bytes = 0;
    }
    BatchChunk& chunk = out.chunks.back();
    if (op.type == WriteBatch::OpType::kPut) {
      chunk.put_keys.Add(op.key);
      chunk.put_values.Add(op.value);
    } else {
      chunk.delete_keys.Add(op.key);
    }
    bytes += op.key.size() + op.value.size();
  }
  return out;
}

}  // namespace domicile::store::postgres
