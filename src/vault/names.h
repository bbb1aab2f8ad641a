// Validation of the names that appear in paths, storage keys and configuration. Keeping them to
// a small alphabet means they never need escaping in a URL path or a storage key and can never
// contain the '/' separator.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace domicile::vault {

// Subject ids: 1..128 of [A-Za-z0-9._-], not "." or "..".
absl::Status ValidateSubjectId(std::string_view id);
// Record keys: 1..256 of [A-Za-z0-9._:@-], not "." or "..".
absl::Status ValidateRecordKey(std::string_view key);
// Site and principal ids: 1..64 of [A-Za-z0-9._-].
absl::Status ValidateId(std::string_view what, std::string_view id);
// Jurisdictions: two upper-case ASCII letters (ISO 3166-1 alpha-2).
absl::Status ValidateJurisdiction(std::string_view code);

}  // namespace domicile::vault
