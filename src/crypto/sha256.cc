#include "crypto/sha256.h"

#include <openssl/evp.h>

#include "crypto/openssl_error.h"

namespace domicile::crypto {
namespace {

// Fetched once: passing the legacy EVP_sha256() would make OpenSSL 3 look the implementation
// up in the provider store on every initialisation.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) FatalOpenSslError("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

// OpenSSL may not accept a null pointer even for zero bytes; an empty span's data() can be null.
const uint8_t* NonNull(ByteView data) {
  static constexpr uint8_t kEmpty = 0;
  return data.data() != nullptr ? data.data() : &kEmpty;
}

}  // namespace

Sha256Digest Sha256(ByteView data) { return Sha256(data, ByteView()); }

Sha256Digest Sha256(ByteView first, ByteView second) {
  // This thread's context, reused: making and freeing one per call (as EVP_Digest does) costs
  // more than hashing a Merkle node.
  struct ThreadContext {
    ThreadContext() : ctx(EVP_MD_CTX_new()) {
      if (ctx == nullptr) FatalOpenSslError("EVP_MD_CTX_new");
    }
    ~ThreadContext() { EVP_MD_CTX_free(ctx); }
    EVP_MD_CTX* ctx;
  };
  thread_local ThreadContext thread;
  Sha256Digest digest;
  if (EVP_DigestInit_ex2(thread.ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(thread.ctx, NonNull(first), first.size()) != 1 ||
      (!second.empty() && EVP_DigestUpdate(thread.ctx, second.data(), second.size()) != 1) ||
      EVP_DigestFinal_ex(thread.ctx, digest.data(), nullptr) != 1) {
    FatalOpenSslError("SHA-256");
  }
  return digest;
}

struct Sha256Hasher::Impl {
  Impl() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr) FatalOpenSslError("EVP_MD_CTX_new");
    Reset();
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Reset() {
    if (EVP_DigestInit_ex(ctx, Sha256Md(), nullptr) != 1) {
      FatalOpenSslError("SHA-256 init");
    }
  }

  EVP_MD_CTX* ctx;
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::Update(ByteView data) {
  if (EVP_DigestUpdate(impl_->ctx, NonNull(data), data.size()) != 1) {
    FatalOpenSslError("SHA-256 update");
  }
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest digest;
  if (EVP_DigestFinal_ex(impl_->ctx, digest.data(), nullptr) != 1) {
    FatalOpenSslError("SHA-256 final");
  }
  impl_->Reset();
  return digest;
}

}  // namespace domicile::crypto
