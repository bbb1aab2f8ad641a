// The wire form of what the node sends a remote custodian (remote_custodian.h,
// custodian_service.h): a justification, a wrapped data key, and back. Every field is checked
// on the way in; a justification that does not parse is refused before any rule runs.
#pragma once

#include "absl/status/statusor.h"
#include "keys/envelope.h"
#include "nlohmann/json.hpp"
#include "vault/key_custodian.h"

namespace domicile::custodian {

nlohmann::json JustificationToJson(const vault::Justification& why);
// InvalidArgument naming the field for anything missing, mistyped or out of range.
absl::StatusOr<vault::Justification> JustificationFromJson(const nlohmann::json& json);

nlohmann::json WrappedKeyToJson(const keys::WrappedDataKey& key);
absl::StatusOr<keys::WrappedDataKey> WrappedKeyFromJson(const nlohmann::json& json);

}  // namespace domicile::custodian
