#include "util/duration.h"

#include <cstdint>

#include "fmt/format.h"

namespace domicile {

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = text.substr(digits);
  if (digits == 0 || digits > 9) {
    return absl::InvalidArgumentError(
        fmt::format("'{}' is not a duration like \"1s\", \"500ms\", \"2m\" or \"1h\"", text));
  }
  int64_t n = 0;
  for (size_t i = 0; i < digits; ++i) n = n * 10 + (text[i] - '0');
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  if (unit == "h") return std::chrono::milliseconds(n * 3'600'000);
  return absl::InvalidArgumentError(
      fmt::format("'{}' is not a duration like \"1s\", \"500ms\", \"2m\" or \"1h\"", text));
}

}  // namespace domicile
