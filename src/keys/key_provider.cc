#include "keys/key_provider.h"

#include "fmt/format.h"

namespace domicile::keys {

absl::Status ValidateKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdSize) {
    return absl::InvalidArgumentError(fmt::format("key id must be 1..{} bytes", kMaxKeyIdSize));
  }
  return absl::OkStatus();
}

}  // namespace domicile::keys
