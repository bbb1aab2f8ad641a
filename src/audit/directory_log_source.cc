#include "audit/directory_log_source.h"

#include "fmt/format.h"
#include "tlog/tile_path.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::audit {

absl::Status CheckLogPath(std::string_view path) {
  if (path == "checkpoint") return absl::OkStatus();
  return tlog::ParseTilePath(path).status();
}

absl::StatusOr<std::string> DirectoryLogSource::Fetch(std::string_view path) {
  RETURN_IF_ERROR(CheckLogPath(path));
  return ReadFileToString(dir_ / std::filesystem::path(path));
}

std::string DirectoryLogSource::Describe(std::string_view path) const {
  return (dir_ / std::filesystem::path(path)).string();
}

}  // namespace domicile::audit
