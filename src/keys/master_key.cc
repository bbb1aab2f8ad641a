#include "keys/master_key.h"

#include <cstdlib>
#include <string>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::keys {

absl::StatusOr<crypto::SecretBytes> ParseMasterKey(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() != 2 * crypto::kAes256KeySize) {
    return absl::InvalidArgumentError("master key must be 64 hex digits (32 bytes)");
  }
  std::optional<Bytes> raw = HexDecode(text);
  if (!raw.has_value()) return absl::InvalidArgumentError("master key is not valid hex");
  crypto::SecretBytes key(*raw);
  crypto::Cleanse(*raw);
  return key;
}

absl::StatusOr<crypto::SecretBytes> LoadMasterKey(const std::filesystem::path& file) {
  if (const char* env = std::getenv(std::string(kMasterKeyEnv).c_str()); env != nullptr) {
    absl::StatusOr<crypto::SecretBytes> key = ParseMasterKey(env);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: {}", kMasterKeyEnv, std::string(key.status().message())));
    }
    return key;
  }
  ASSIGN_OR_RETURN(unsigned mode, FileMode(file));
  if ((mode & 077) != 0) {
    return absl::PermissionDeniedError(fmt::format(
        "master key file {} has mode {:o}; it must be readable by its owner only (chmod 600)",
        file.string(), mode));
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  absl::StatusOr<crypto::SecretBytes> key = ParseMasterKey(text);
  crypto::Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", file.string(), std::string(key.status().message())));
  }
  return key;
}

absl::StatusOr<crypto::SecretBytes> LoadOrCreateMasterKey(const std::filesystem::path& file) {
  absl::StatusOr<crypto::SecretBytes> key = LoadMasterKey(file);
  if (key.ok() || key.status().code() != absl::StatusCode::kNotFound) return key;
  ASSIGN_OR_RETURN(crypto::SecretBytes fresh, crypto::RandomSecret(crypto::kAes256KeySize));
  std::string hex = HexEncode(fresh.view()) + "\n";
  absl::Status written = WriteFileAtomically(file, AsBytes(hex), 0600);
  crypto::Cleanse(std::span<uint8_t>(reinterpret_cast<uint8_t*>(hex.data()), hex.size()));
  RETURN_IF_ERROR(written);
  return fresh;
}

}  // namespace domicile::keys
