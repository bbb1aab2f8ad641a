// KeyProvider: where key-encryption keys (KEKs) live. A KEK is named by an id and never leaves
// its provider: callers hand in a data key to wrap, or a wrapped data key to unwrap. Backends:
// the file keyring (embedded default) and a PKCS#11 token (an HSM); src/cli/node.cc picks one
// from the configuration. Destroying a KEK makes every data key wrapped under it, and so every
// value sealed under those, unrecoverable: this is how data is crypto-shredded. The contract
// below is also stated executably by key_provider_conformance.h, which every backend passes.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "util/bytes.h"

namespace domicile::keys {

// The longest key id (of a KEK or a signing key), in bytes.
inline constexpr size_t kMaxKeyIdSize = 255;

// OK for an id every backend accepts: 1..kMaxKeyIdSize bytes. InvalidArgument otherwise.
absl::Status ValidateKeyId(std::string_view id);

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  // Creates a fresh random KEK named `id` unless one exists. OK in both cases; durable on OK.
  // InvalidArgument for an empty or over-long id.
  virtual absl::Status CreateKey(std::string_view id) = 0;

  // Whether a KEK named `id` exists.
  virtual bool HasKey(std::string_view id) const = 0;

  // Wraps `data_key` under KEK `id`. NotFound if there is no such KEK.
  virtual absl::StatusOr<Bytes> Wrap(std::string_view id, ByteView data_key) const = 0;

  // Unwraps a data key that Wrap(id, ...) produced. NotFound if the KEK does not exist (for
  // example it was destroyed); DataLoss if `wrapped` was not produced under this KEK or was
  // altered.
  virtual absl::StatusOr<crypto::SecretBytes> Unwrap(std::string_view id,
                                                     ByteView wrapped) const = 0;

  // Destroys KEK `id` for good; durable on OK. NotFound if absent.
  virtual absl::Status DestroyKey(std::string_view id) = 0;

  // The ids of all KEKs, sorted.
  virtual std::vector<std::string> ListKeys() const = 0;

  // Ed25519 signing keys (the log's checkpoint key; later the custodian's) live beside the KEKs
  // in their own namespace: generated inside the provider, only public keys and signatures
  // leave it.
  //
  // Creates a fresh signing key named `id` unless one exists. OK in both cases; durable on OK.
  virtual absl::Status CreateSigningKey(std::string_view id) = 0;
  // The 32-byte Ed25519 public key of signing key `id`. NotFound if absent.
  virtual absl::StatusOr<Bytes> SigningPublicKey(std::string_view id) const = 0;
  // The 64-byte Ed25519 signature of `message` by key `id`. NotFound if absent.
  virtual absl::StatusOr<Bytes> Sign(std::string_view id, ByteView message) const = 0;
};

}  // namespace domicile::keys
