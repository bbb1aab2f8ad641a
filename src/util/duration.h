// Durations as people write them in configuration and on the command line: "500ms", "1s",
// "2m", "1h".
#pragma once

#include <chrono>
#include <string_view>

#include "absl/status/statusor.h"

namespace domicile {

// Parses a duration like "1s", "500ms", "2m", "1h". InvalidArgument otherwise.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace domicile
