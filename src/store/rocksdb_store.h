// RocksDbStore: the embedded KvStore backend, one RocksDB database per directory. It is the
// default backend of a single node: no server to run, crash-safe through RocksDB's write-ahead
// log, and tuned for domicile's workload (values of about 1 KiB of incompressible ciphertext,
// point reads dominating). Only rocksdb_store.cc knows RocksDB; callers see a KvStore.
//
// Memory: each open store holds at most two 32 MiB memtables plus its block cache (which also
// carries the index and filter blocks), so its resident memory is bounded regardless of how
// many records it stores (about 80 MiB measured with 1 million 1 KiB records).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "store/kv_store.h"

namespace domicile::store {

struct RocksDbOptions {
  // Capacity of the LRU block cache owned by this store; data, index and filter blocks share it.
  size_t block_cache_bytes = 32 << 20;
  // Fsync the write-ahead log on every write, so that an acknowledged write survives a power
  // loss. When false, an acknowledged write survives a process crash but not a power loss.
  bool sync_writes = true;
  // Create an empty database when `dir` holds none.
  bool create_if_missing = true;
};

// Opens the RocksDB database in `dir`, creating the directory and an empty database if absent
// and `options.create_if_missing` is set. The returned store keeps `dir` locked until it is
// destroyed; every Snapshot it hands out must be destroyed before it.
//
// Errors:
//   NotFound          `dir` holds no database and !options.create_if_missing.
//   Unavailable       the database is locked by another open store (this or another process).
//   DataLoss          the database is corrupt.
//   ResourceExhausted the disk is full.
//   Internal          any other I/O failure (permissions, ...).
// Thread safety: may be called concurrently for different directories.
absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbStore(const std::filesystem::path& dir,
                                                          const RocksDbOptions& options = {});

// Settles the closed database in `dir`: flushes what its write-ahead log holds and compacts
// everything into its last level, as a store left running long enough ends up. For tools and
// benchmarks that copy a database and want none of the copies to inherit compaction work.
//
// Errors: as OpenRocksDbStore without creation (NotFound when `dir` holds no database,
// Unavailable when it is open), and Internal when the compaction fails.
absl::Status CompactRocksDbStore(const std::filesystem::path& dir,
                                 const RocksDbOptions& options = {});

}  // namespace domicile::store
