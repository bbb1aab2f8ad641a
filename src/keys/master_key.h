// The master key that encrypts the file keyring at rest: 32 bytes, written as 64 hex digits,
// read from the environment variable DOMICILE_MASTER_KEY or from a file that only its owner
// may read (mode 0600 or stricter; anything looser is refused).
#pragma once

#include <filesystem>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"

namespace domicile::keys {

inline constexpr std::string_view kMasterKeyEnv = "DOMICILE_MASTER_KEY";

// Parses 64 hex digits (surrounding whitespace ignored). InvalidArgument otherwise; the error
// never repeats the input.
absl::StatusOr<crypto::SecretBytes> ParseMasterKey(std::string_view text);

// Loads the master key: from DOMICILE_MASTER_KEY when set, else from `file`. Errors:
// NotFound (no file), PermissionDenied (file readable by group or others), InvalidArgument.
absl::StatusOr<crypto::SecretBytes> LoadMasterKey(const std::filesystem::path& file);

// Loads the master key as LoadMasterKey does, but when neither the variable nor the file
// exists, creates `file` (mode 0600) holding a new random key. For the embedded default.
absl::StatusOr<crypto::SecretBytes> LoadOrCreateMasterKey(const std::filesystem::path& file);

}  // namespace domicile::keys
