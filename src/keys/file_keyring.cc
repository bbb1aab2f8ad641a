#include "keys/file_keyring.h"

#include <system_error>

#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/file.h"
#include "util/status_macros.h"

namespace domicile::keys {
namespace {

// File: magic "DKR1" | nonce (12) | AES-256-GCM(master key, plaintext, aad = magic) || tag.
// Plaintext: u32 count, then per KEK: u16 id length, id, u16 key length, key bytes; then,
// optionally (absent in keyrings written before signing keys existed), the same for the
// Ed25519 signing keys' 32-byte seeds.
constexpr std::string_view kMagic = "DKR1";
// AAD of a wrapped data key: a label and the KEK id, so a wrapped key only unwraps under the
// KEK it was made for.
constexpr std::string_view kWrapLabel = "domicile.kek-wrap.v1";

Bytes WrapAad(std::string_view id) {
  Bytes aad = ToBytes(kWrapLabel);
  aad.push_back(0);
  aad.insert(aad.end(), id.begin(), id.end());
  return aad;
}

}  // namespace

FileKeyring::FileKeyring(std::filesystem::path path, crypto::SecretBytes master_key)
    : path_(std::move(path)), master_key_(std::move(master_key)) {}

absl::StatusOr<std::unique_ptr<FileKeyring>> FileKeyring::Open(std::filesystem::path path,
                                                               crypto::SecretBytes master_key) {
  if (master_key.size() != crypto::kAes256KeySize) {
    return absl::InvalidArgumentError("master key must be 32 bytes");
  }
  std::unique_ptr<FileKeyring> ring(new FileKeyring(std::move(path), std::move(master_key)));
  RETURN_IF_ERROR(ring->Load());
  return ring;
}

absl::Status FileKeyring::Load() {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) {
    std::unique_lock lock(mu_);
    return Persist();
  }
  ASSIGN_OR_RETURN(std::string file, ReadFileToString(path_));
  const std::string corrupt = fmt::format("keyring {} is corrupt", path_.string());
  if (file.size() < kMagic.size() + crypto::kGcmNonceSize + crypto::kGcmTagSize ||
      file.compare(0, kMagic.size(), kMagic) != 0) {
    return absl::DataLossError(corrupt);
  }
  ByteView all = AsBytes(file);
  ByteView nonce = all.subspan(kMagic.size(), crypto::kGcmNonceSize);
  ByteView sealed = all.subspan(kMagic.size() + crypto::kGcmNonceSize);
  absl::StatusOr<Bytes> plain =
      crypto::Aes256GcmOpen(master_key_.view(), nonce, sealed, AsBytes(kMagic));
  if (!plain.ok()) {
    return absl::DataLossError(fmt::format(
        "keyring {} does not open with this master key (wrong key, or the file was altered)",
        path_.string()));
  }
  ByteReader reader(*plain);
  using KeyMap = std::map<std::string, crypto::SecretBytes, std::less<>>;
  auto read_keys = [&reader](KeyMap& into) {
    uint8_t b0, b1, b2, b3;
    if (!(reader.ReadU8(b0) && reader.ReadU8(b1) && reader.ReadU8(b2) && reader.ReadU8(b3))) {
      return false;
    }
    uint32_t count = uint32_t(b0) << 24 | uint32_t(b1) << 16 | uint32_t(b2) << 8 | b3;
    for (uint32_t i = 0; i < count; ++i) {
      ByteView id, key;
      if (!(reader.ReadLengthPrefixed16(id) && reader.ReadLengthPrefixed16(key) &&
            key.size() == crypto::kAes256KeySize)) {
        return false;
      }
      into.emplace(ToString(id), crypto::SecretBytes(key));
    }
    return true;
  };
  KeyMap keys, signing_keys;
  bool ok = read_keys(keys) && (reader.AtEnd() || read_keys(signing_keys));
  ok = ok && reader.AtEnd();
  crypto::Cleanse(*plain);
  if (!ok) return absl::DataLossError(corrupt);
  std::unique_lock lock(mu_);
  keys_ = std::move(keys);
  signing_keys_ = std::move(signing_keys);
  return absl::OkStatus();
}

absl::Status FileKeyring::Persist() const {
  Bytes plain;
  for (const auto* keys : {&keys_, &signing_keys_}) {
    AppendU32(plain, static_cast<uint32_t>(keys->size()));
    for (const auto& [id, key] : *keys) {
      AppendLengthPrefixed16(plain, AsBytes(id));
      AppendLengthPrefixed16(plain, key.view());
    }
  }
  ASSIGN_OR_RETURN(Bytes nonce, crypto::RandomBytes(crypto::kGcmNonceSize));
  absl::StatusOr<Bytes> sealed =
      crypto::Aes256GcmSeal(master_key_.view(), nonce, plain, AsBytes(kMagic));
  crypto::Cleanse(plain);
  RETURN_IF_ERROR(sealed.status());
  Bytes file = ToBytes(kMagic);
  file.insert(file.end(), nonce.begin(), nonce.end());
  file.insert(file.end(), sealed->begin(), sealed->end());
  return WriteFileAtomically(path_, file, 0600);
}

absl::Status FileKeyring::CreateKey(std::string_view id) {
  RETURN_IF_ERROR(ValidateKeyId(id));
  std::unique_lock lock(mu_);
  if (keys_.find(id) != keys_.end()) return absl::OkStatus();
  ASSIGN_OR_RETURN(crypto::SecretBytes key, crypto::RandomSecret(crypto::kAes256KeySize));
  auto [it, inserted] = keys_.emplace(std::string(id), std::move(key));
  absl::Status st = Persist();
  if (!st.ok()) keys_.erase(it);  // Not durable: as if never created.
  return st;
}

bool FileKeyring::HasKey(std::string_view id) const {
  std::shared_lock lock(mu_);
  return keys_.find(id) != keys_.end();
}

absl::StatusOr<Bytes> FileKeyring::Wrap(std::string_view id, ByteView data_key) const {
  ASSIGN_OR_RETURN(Bytes nonce, crypto::RandomBytes(crypto::kGcmNonceSize));
  absl::StatusOr<Bytes> sealed;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return absl::NotFoundError(fmt::format("no key '{}'", id));
    sealed = crypto::Aes256GcmSeal(it->second.view(), nonce, data_key, WrapAad(id));
  }
  RETURN_IF_ERROR(sealed.status());
  nonce.insert(nonce.end(), sealed->begin(), sealed->end());
  return nonce;
}

absl::StatusOr<crypto::SecretBytes> FileKeyring::Unwrap(std::string_view id,
                                                        ByteView wrapped) const {
  if (wrapped.size() < crypto::kGcmNonceSize + crypto::kGcmTagSize) {
    return absl::DataLossError(fmt::format("wrapped key under '{}' is truncated", id));
  }
  absl::StatusOr<Bytes> plain;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return absl::NotFoundError(fmt::format("no key '{}'", id));
    plain = crypto::Aes256GcmOpen(it->second.view(), wrapped.first(crypto::kGcmNonceSize),
                                  wrapped.subspan(crypto::kGcmNonceSize), WrapAad(id));
  }
  if (!plain.ok()) {
    return absl::DataLossError(fmt::format("wrapped key does not unwrap under '{}'", id));
  }
  crypto::SecretBytes key(*plain);
  crypto::Cleanse(*plain);
  return key;
}

absl::Status FileKeyring::DestroyKey(std::string_view id) {
  std::unique_lock lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return absl::NotFoundError(fmt::format("no key '{}'", id));
  crypto::SecretBytes removed = std::move(it->second);
  keys_.erase(it);
  absl::Status st = Persist();
  if (!st.ok()) keys_.emplace(std::string(id), std::move(removed));  // Still there on disk.
  return st;
}

std::vector<std::string> FileKeyring::ListKeys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> ids;
  ids.reserve(keys_.size());
  for (const auto& [id, key] : keys_) ids.push_back(id);
  return ids;
}

absl::Status FileKeyring::CreateSigningKey(std::string_view id) {
  RETURN_IF_ERROR(ValidateKeyId(id));
  std::unique_lock lock(mu_);
  if (signing_keys_.find(id) != signing_keys_.end()) return absl::OkStatus();
  ASSIGN_OR_RETURN(crypto::SecretBytes seed, crypto::Ed25519GenerateSeed());
  auto [it, inserted] = signing_keys_.emplace(std::string(id), std::move(seed));
  absl::Status st = Persist();
  if (!st.ok()) signing_keys_.erase(it);  // Not durable: as if never created.
  return st;
}

absl::StatusOr<Bytes> FileKeyring::SigningPublicKey(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = signing_keys_.find(id);
  if (it == signing_keys_.end()) {
    return absl::NotFoundError(fmt::format("no signing key '{}'", id));
  }
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey pub, crypto::Ed25519PublicFromSeed(it->second.view()));
  return Bytes(pub.begin(), pub.end());
}

absl::StatusOr<Bytes> FileKeyring::Sign(std::string_view id, ByteView message) const {
  std::shared_lock lock(mu_);
  auto it = signing_keys_.find(id);
  if (it == signing_keys_.end()) {
    return absl::NotFoundError(fmt::format("no signing key '{}'", id));
  }
  ASSIGN_OR_RETURN(crypto::Ed25519Signature sig, crypto::Ed25519Sign(it->second.view(), message));
  return Bytes(sig.begin(), sig.end());
}

}  // namespace domicile::keys
