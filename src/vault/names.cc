#include "vault/names.h"

#include "fmt/format.h"
#include "util/errors.h"

namespace domicile::vault {
namespace {

bool IsNameChar(char c, std::string_view extra) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         extra.find(c) != std::string_view::npos;
}

absl::Status Check(std::string_view what, std::string_view name, size_t max,
                   std::string_view extra) {
  if (name.empty() || name.size() > max) {
    return absl::InvalidArgumentError(fmt::format("{} must be 1 to {} characters", what, max));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(fmt::format("{} may not be '{}'", what, name));
  }
  for (char c : name) {
    if (!IsNameChar(c, extra)) {
      return absl::InvalidArgumentError(
          fmt::format("{} may contain only letters, digits and '{}'", what, extra));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSubjectId(std::string_view id) { return Check("subject id", id, 128, "._-"); }

absl::Status ValidateRecordKey(std::string_view key) {
  return Check("record key", key, 256, "._:@-");
}

absl::Status ValidateId(std::string_view what, std::string_view id) {
  return Check(what, id, 64, "._-");
}

absl::Status ValidateJurisdiction(std::string_view code) {
  if (code.size() != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z') {
    return absl::InvalidArgumentError(
        "jurisdiction must be an ISO 3166-1 alpha-2 code such as \"US\"");
  }
  return absl::OkStatus();
}

}  // namespace domicile::vault
