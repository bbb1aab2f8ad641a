#include "cli/stores.h"

#include <string>

#include "store/postgres/postgres_store.h"
#include "store/rocksdb_store.h"
#include "util/status_macros.h"

namespace domicile::cli {
namespace {

bool IsPostgresUrl(std::string_view backend) {
  return backend.substr(0, 11) == "postgres://" || backend.substr(0, 13) == "postgresql://";
}

}  // namespace

absl::Status ValidateBackend(std::string_view backend) {
  if (backend == kRocksDbBackend || IsPostgresUrl(backend)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "a backend is \"rocksdb\" or a PostgreSQL URL \"postgres://[user@]host[:port]/database\"");
}

std::string StoreName(std::string_view prefix, std::string_view id) {
  return store::PostgresStoreNameFor(std::string(prefix) + std::string(id));
}

absl::StatusOr<std::unique_ptr<store::KvStore>> OpenStore(std::string_view backend,
                                                          const std::filesystem::path& local_dir,
                                                          std::string_view name) {
  RETURN_IF_ERROR(ValidateBackend(backend));
  if (backend == kRocksDbBackend) return store::OpenRocksDbStore(local_dir);
  return store::OpenPostgresStore(backend, name);
}

}  // namespace domicile::cli
