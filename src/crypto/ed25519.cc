#include "crypto/ed25519.h"

#include <openssl/evp.h>

#include <memory>

#include "crypto/openssl_error.h"
#include "crypto/random.h"
#include "fmt/format.h"

namespace domicile::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// An empty span's data() may be null, which OpenSSL rejects even for zero bytes.
const uint8_t* NonNull(ByteView data) {
  static constexpr uint8_t kEmpty = 0;
  return data.data() != nullptr ? data.data() : &kEmpty;
}

absl::StatusOr<PkeyPtr> PrivateKey(ByteView seed) {
  if (seed.size() != kEd25519SeedSize) {
    return absl::InvalidArgumentError(
        fmt::format("Ed25519 seed must be {} bytes, got {}", kEd25519SeedSize, seed.size()));
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (key == nullptr) return OpenSslError("Ed25519 private key");
  return key;
}

}  // namespace

absl::StatusOr<SecretBytes> Ed25519GenerateSeed() { return RandomSecret(kEd25519SeedSize); }

absl::StatusOr<Ed25519PublicKey> Ed25519PublicFromSeed(ByteView seed) {
  absl::StatusOr<PkeyPtr> key = PrivateKey(seed);
  if (!key.ok()) return key.status();
  Ed25519PublicKey public_key;
  size_t len = public_key.size();
  if (EVP_PKEY_get_raw_public_key(key->get(), public_key.data(), &len) != 1 ||
      len != public_key.size()) {
    return OpenSslError("Ed25519 public key");
  }
  return public_key;
}

absl::StatusOr<Ed25519Signature> Ed25519Sign(ByteView seed, ByteView message) {
  absl::StatusOr<PkeyPtr> key = PrivateKey(seed);
  if (!key.ok()) return key.status();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  Ed25519Signature signature;
  size_t len = signature.size();
  // Ed25519 hashes internally: no digest is given, and the message goes in one shot.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature.data(), &len, NonNull(message), message.size()) != 1 ||
      len != signature.size()) {
    return OpenSslError("Ed25519 sign");
  }
  return signature;
}

bool Ed25519Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != Ed25519PublicKey().size() ||
      signature.size() != Ed25519Signature().size()) {
    return false;
  }
  PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool valid = key != nullptr && ctx != nullptr &&
                     EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
                     EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                      NonNull(message), message.size()) == 1;
  // A rejected signature is an answer, not an error: leave no trace in the error queue.
  if (!valid) ClearOpenSslErrors();
  return valid;
}

}  // namespace domicile::crypto
