// Where a node keeps each of its stores, chosen in this one place from the configuration: the
// embedded RocksDB under the data directory, or a table of a PostgreSQL database that the nodes
// of one jurisdiction share (docs/deployment.md).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/kv_store.h"

namespace domicile::cli {

inline constexpr std::string_view kRocksDbBackend = "rocksdb";

// OK for "rocksdb" and for a PostgreSQL URL ("postgres://..." or "postgresql://..."); an
// InvalidArgument naming the forms otherwise. Never repeats a URL (it may hold a password).
absl::Status ValidateBackend(std::string_view backend);

// Opens the store named `name` ([a-z0-9_]+): for "rocksdb" the RocksDB database in
// `local_dir`, for a PostgreSQL URL the table kv_<name> in that database (created if absent).
absl::StatusOr<std::unique_ptr<store::KvStore>> OpenStore(std::string_view backend,
                                                          const std::filesystem::path& local_dir,
                                                          std::string_view name);

// The store name of `prefix` + `id`, the same on every node (store::PostgresStoreNameFor:
// "site_us_east_<8 hex digits>" for the site "us-east"; distinct ids never share a name).
std::string StoreName(std::string_view prefix, std::string_view id);

}  // namespace domicile::cli
