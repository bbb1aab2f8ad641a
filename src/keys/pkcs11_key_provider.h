// Pkcs11KeyProvider: a KeyProvider whose keys live on a PKCS#11 token (a hardware security
// module in production, SoftHSM2 in tests). Every key is generated on the token and its secret
// never leaves it:
//
//   KEK "<id>"          AES-256 secret key, label "domicile:kek:<id>", sensitive, never
//                       extractable; wraps data keys with CKM_AES_KEY_WRAP_PAD (RFC 5649)
//   signing key "<id>"  Ed25519 key pair (CKK_EC_EDWARDS), both halves labelled
//                       "domicile:sign:<id>"; the private half sensitive, never extractable
//
// A wrapped data key is the RFC 5649 output, 8 bytes longer than the data key.
// docs/configuration.md ("The PKCS#11 key provider") describes the token's layout and setup.
//
// The module (.so) is loaded and initialized once per process and path, shared by every
// provider opened on it, and finalized when the last one closes.
//
// Thread safety: every method may be called concurrently. Calls run on a pool of at most
// `max_sessions` sessions (opened on demand, all logged in through the application's one
// login); a call finding them all busy waits for one.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "keys/key_provider.h"

namespace domicile::keys {

struct Pkcs11Options {
  std::filesystem::path module;  // the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;       // the token's label, without its blank padding
  crypto::SecretBytes user_pin;  // the PIN of CKU_USER; zeroized once logged in
  int max_sessions = 4;          // 1..64
};

class Pkcs11KeyProvider final : public KeyProvider {
 public:
  // Loads the module, finds the token labelled `token_label` and logs in as the user.
  // Unavailable if the module cannot be loaded or initialized; NotFound if no token has that
  // label; Unauthenticated for a wrong PIN, PermissionDenied for a locked one;
  // InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<Pkcs11KeyProvider>> Open(Pkcs11Options options);
  ~Pkcs11KeyProvider() override;

  // The KeyProvider contract, with these PKCS#11 specifics: Unavailable when the token
  // cannot be reached (removed, out of sessions or memory, logged out), Internal for any other
  // error the module returns; both name the CKR_ code. Wrap takes data keys of 8..4096
  // bytes in whole 8-byte blocks (an AES key is 16, 24 or 32), InvalidArgument otherwise.
  absl::Status CreateKey(std::string_view id) override;
  bool HasKey(std::string_view id) const override;
  absl::StatusOr<Bytes> Wrap(std::string_view id, ByteView data_key) const override;
  absl::StatusOr<crypto::SecretBytes> Unwrap(std::string_view id, ByteView wrapped) const override;
  absl::Status DestroyKey(std::string_view id) override;
  std::vector<std::string> ListKeys() const override;
  absl::Status CreateSigningKey(std::string_view id) override;
  absl::StatusOr<Bytes> SigningPublicKey(std::string_view id) const override;
  absl::StatusOr<Bytes> Sign(std::string_view id, ByteView message) const override;

  // For tests only: what the token says about the secret half of a key, so a test can check
  // that it cannot leave the token. Never returns key material.
  enum class KeyKind { kKek, kSigning };
  struct SecretAttributes {
    bool sensitive = false;      // CKA_SENSITIVE
    bool extractable = false;    // CKA_EXTRACTABLE
    bool value_readable = true;  // whether C_GetAttributeValue(CKA_VALUE) succeeded
  };
  absl::StatusOr<SecretAttributes> SecretAttributesForTesting(KeyKind kind,
                                                              std::string_view id) const;

 private:
  struct Impl;
  explicit Pkcs11KeyProvider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace domicile::keys
