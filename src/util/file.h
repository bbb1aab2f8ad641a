// Whole-file reads and crash-safe whole-file writes (write a temporary, fsync, rename over the
// target, fsync the directory): after a crash the target holds either the old or the new
// contents, never a mix.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"
#include "util/bytes.h"

namespace domicile {

absl::StatusOr<std::string> ReadFileToString(const std::filesystem::path& path);

// Writes `data` to `path` atomically with the given permission bits (for example 0600).
absl::Status WriteFileAtomically(const std::filesystem::path& path, ByteView data,
                                 unsigned mode = 0600);

// The file's permission bits (st_mode & 0777).
absl::StatusOr<unsigned> FileMode(const std::filesystem::path& path);

}  // namespace domicile
