// FileKeyring: a KeyProvider that keeps its KEKs in one file, encrypted at rest with the master
// key (AES-256-GCM). The embedded default; a PKCS#11 HSM replaces it in production. Every
// change rewrites the file atomically (temporary, fsync, rename), so a crash leaves the old or
// the new keyring, never a torn one. The file format is in docs/formats.md.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "keys/key_provider.h"

namespace domicile::keys {

class FileKeyring final : public KeyProvider {
 public:
  // Opens the keyring at `path`, creating an empty one if the file does not exist.
  // DataLoss if the file is corrupt or was encrypted under another master key.
  static absl::StatusOr<std::unique_ptr<FileKeyring>> Open(std::filesystem::path path,
                                                           crypto::SecretBytes master_key);

  absl::Status CreateKey(std::string_view id) override;
  bool HasKey(std::string_view id) const override;
  absl::StatusOr<Bytes> Wrap(std::string_view id, ByteView data_key) const override;
  absl::StatusOr<crypto::SecretBytes> Unwrap(std::string_view id, ByteView wrapped) const override;
  absl::Status DestroyKey(std::string_view id) override;
  std::vector<std::string> ListKeys() const override;
  absl::Status CreateSigningKey(std::string_view id) override;
  absl::StatusOr<Bytes> SigningPublicKey(std::string_view id) const override;
  absl::StatusOr<Bytes> Sign(std::string_view id, ByteView message) const override;

 private:
  FileKeyring(std::filesystem::path path, crypto::SecretBytes master_key);
  absl::Status Load();
  // Writes every key to the file. REQUIRES: mu_ held exclusively.
  absl::Status Persist() const;

  const std::filesystem::path path_;
  const crypto::SecretBytes master_key_;
  mutable std::shared_mutex mu_;
  std::map<std::string, crypto::SecretBytes, std::less<>> keys_;          // KEKs; guarded by mu_
  std::map<std::string, crypto::SecretBytes, std::less<>> signing_keys_;  // Ed25519 seeds; mu_
};

}  // namespace domicile::keys
