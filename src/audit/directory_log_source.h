// A tlog-tiles log laid out on disk exactly as it is served (DIR/checkpoint, DIR/tile/...), for
// example a copy of a log, a Tessera POSIX log, or the test log in tests/testdata/tessera-log.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "audit/log_source.h"

namespace domicile::audit {

class DirectoryLogSource final : public LogSource {
 public:
  explicit DirectoryLogSource(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Reads DIR/<path>. Only "checkpoint" and valid tile paths are read (so that no path can
  // leave DIR); NotFound if the file does not exist.
  absl::StatusOr<std::string> Fetch(std::string_view path) override;
  std::string Describe(std::string_view path) const override;

 private:
  std::filesystem::path dir_;
};

// InvalidArgument unless `path` is "checkpoint" or a path ParseTilePath accepts.
absl::Status CheckLogPath(std::string_view path);

}  // namespace domicile::audit
