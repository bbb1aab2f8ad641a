#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "crypto/openssl_error.h"
#include "crypto/secret_bytes.h"
#include "fmt/format.h"

namespace domicile::crypto {
namespace {

constexpr size_t kMaxInput = INT_MAX;  // OpenSSL's EVP update functions take an int length.

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Fetched once: passing the legacy EVP_aes_256_gcm() would make OpenSSL 3 look the
// implementation up in the provider store on every initialisation.
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (fetched == nullptr) FatalOpenSslError("EVP_CIPHER_fetch(AES-256-GCM)");
    return fetched;
  }();
  return cipher;
}

// This thread's reusable contexts, two per direction. Allocating a context and its provider
// state costs more than sealing a small value, and keying one (the AES key schedule and GHASH's
// tables) costs about a third of sealing 1 KiB, so each thread keeps two contexts per direction
// keyed with the last two keys it used: a bulk operation that opens with one key and seals with
// another, record after record, then only sets each call's nonce. The contexts and the copies of
// their keys are wiped when the thread exits (EVP_CIPHER_CTX_free zeroizes the schedule).
class ThreadCipher {
 public:
  // Returns the context for `encrypt`, keyed with `key` and `nonce` and ready for AAD.
  static absl::StatusOr<EVP_CIPHER_CTX*> Keyed(bool encrypt, ByteView key, ByteView nonce) {
    Direction& d = Slots(encrypt);
    Slot* slot = nullptr;
    for (Slot& s : d.slots) {
      if (s.keyed && SameKey(s.key, key.data())) slot = &s;
    }
    const int enc = encrypt ? 1 : 0;
    if (slot != nullptr) {
      // Same key: a null key keeps its schedule; the nonce restarts GCM's state.
      if (EVP_CipherInit_ex(slot->ctx.get(), nullptr, nullptr, nullptr, nonce.data(), enc) == 1) {
        d.last = slot;
        return slot->ctx.get();
      }
      Discard(encrypt);
      return OpenSslError("AES-256-GCM nonce setup");
    }
    slot = d.last == &d.slots[0] ? &d.slots[1] : &d.slots[0];  // the one used less recently
    slot->Forget();
    if (slot->ctx == nullptr) {
      CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
      if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
      if (EVP_CipherInit_ex(ctx.get(), Aes256Gcm(), nullptr, nullptr, nullptr, enc) != 1) {
        return OpenSslError("AES-256-GCM init");
      }
      slot->ctx = std::move(ctx);
    }
    // A null cipher keeps the context's cipher and provider state; only key and IV change.
    if (EVP_CipherInit_ex(slot->ctx.get(), nullptr, nullptr, key.data(), nonce.data(), enc) != 1) {
      Discard(encrypt);
      return OpenSslError("AES-256-GCM key setup");
    }
    std::memcpy(slot->key, key.data(), kAes256KeySize);
    slot->keyed = true;
    d.last = slot;
    return slot->ctx.get();
  }

  // Drops the direction's contexts after an unexpected OpenSSL failure, so the next call starts
  // afresh.
  static void Discard(bool encrypt) {
    for (Slot& s : Slots(encrypt).slots) {
      s.Forget();
      s.ctx.reset();
    }
  }

 private:
  // Constant time, a word at a time (CRYPTO_memcmp goes a byte at a time, and this runs for
  // each slot on every call).
  static bool SameKey(const uint8_t* a, const uint8_t* b) {
    uint64_t diff = 0;
    for (size_t i = 0; i < kAes256KeySize; i += sizeof(uint64_t)) {
      uint64_t x, y;
      std::memcpy(&x, a + i, sizeof(x));
      std::memcpy(&y, b + i, sizeof(y));
      diff |= x ^ y;
    }
    return diff == 0;
  }
  struct Slot {
    CipherCtxPtr ctx;
    uint8_t key[kAes256KeySize] = {};  // what ctx is keyed with, when keyed
    bool keyed = false;
    void Forget() {
      OPENSSL_cleanse(key, sizeof(key));
      keyed = false;
    }
    ~Slot() { Forget(); }
  };
  struct Direction {
    Slot slots[2];
    const Slot* last = nullptr;
  };
  static Direction& Slots(bool encrypt) {
    thread_local Direction seal;
    thread_local Direction open;
    return encrypt ? seal : open;
  }
};

absl::Status CheckSizes(ByteView key, ByteView nonce, ByteView text, ByteView aad) {
  if (key.size() != kAes256KeySize) {
    return absl::InvalidArgumentError(
        fmt::format("AES-256-GCM key must be {} bytes, got {}", kAes256KeySize, key.size()));
  }
  if (nonce.size() != kGcmNonceSize) {
    return absl::InvalidArgumentError(
        fmt::format("AES-256-GCM nonce must be {} bytes, got {}", kGcmNonceSize, nonce.size()));
  }
  if (text.size() > kMaxInput || aad.size() > kMaxInput) {
    return absl::InvalidArgumentError("AES-256-GCM input too large");
  }
  return absl::OkStatus();
}

// Feeds `aad` to a keyed context; a no-op when empty.
bool AddAad(EVP_CIPHER_CTX* ctx, ByteView aad) {
  if (aad.empty()) return true;
  int len = 0;
  return EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1;
}

}  // namespace

absl::Status Aes256GcmSealTo(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad,
                             std::span<uint8_t> out) {
  if (absl::Status s = CheckSizes(key, nonce, plaintext, aad); !s.ok()) return s;
  if (out.size() != plaintext.size() + kGcmTagSize) {
    return absl::InvalidArgumentError(
        fmt::format("AES-256-GCM seal of {} bytes needs {} bytes of output, got {}",
                    plaintext.size(), plaintext.size() + kGcmTagSize, out.size()));
  }
  absl::StatusOr<EVP_CIPHER_CTX*> keyed = ThreadCipher::Keyed(true, key, nonce);
  if (!keyed.ok()) return keyed.status();
  EVP_CIPHER_CTX* ctx = *keyed;

  int len = 0;
  int final_len = 0;
  if (!AddAad(ctx, aad) ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx, out.data() + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kGcmTagSize, out.data() + plaintext.size()) !=
          1) {
    ThreadCipher::Discard(true);
    return OpenSslError("AES-256-GCM seal");
  }
  return absl::OkStatus();
}

absl::Status Aes256GcmOpenTo(ByteView key, ByteView nonce, ByteView ciphertext_and_tag,
                             ByteView aad, std::span<uint8_t> out) {
  if (absl::Status s = CheckSizes(key, nonce, ciphertext_and_tag, aad); !s.ok()) return s;
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return absl::InvalidArgumentError(
        fmt::format("AES-256-GCM input must hold a {}-byte tag, got {} bytes", kGcmTagSize,
                    ciphertext_and_tag.size()));
  }
  const ByteView ciphertext = ciphertext_and_tag.first(ciphertext_and_tag.size() - kGcmTagSize);
  const ByteView tag = ciphertext_and_tag.last(kGcmTagSize);
  if (out.size() != ciphertext.size()) {
    return absl::InvalidArgumentError(
        fmt::format("AES-256-GCM open of {} bytes needs {} bytes of output, got {}",
                    ciphertext_and_tag.size(), ciphertext.size(), out.size()));
  }

  absl::StatusOr<EVP_CIPHER_CTX*> keyed = ThreadCipher::Keyed(false, key, nonce);
  if (!keyed.ok()) return keyed.status();
  EVP_CIPHER_CTX* ctx = *keyed;

  int len = 0;
  // The tag buffer is only read; OpenSSL's ctrl signature is not const-correct.
  if (!AddAad(ctx, aad) ||
      (!ciphertext.empty() && EVP_DecryptUpdate(ctx, out.data(), &len, ciphertext.data(),
                                                static_cast<int>(ciphertext.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kGcmTagSize,
                          const_cast<uint8_t*>(tag.data())) != 1) {
    Cleanse(out);
    ThreadCipher::Discard(false);
    return OpenSslError("AES-256-GCM open");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx, out.data() + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != ciphertext.size()) {
    // The expected outcome for forged or corrupted input: not an OpenSSL fault to report.
    ClearOpenSslErrors();
    Cleanse(out);
    return absl::DataLossError("authentication failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<Bytes> Aes256GcmSeal(ByteView key, ByteView nonce, ByteView plaintext,
                                    ByteView aad) {
  if (absl::Status s = CheckSizes(key, nonce, plaintext, aad); !s.ok()) return s;
  Bytes out(plaintext.size() + kGcmTagSize);
  if (absl::Status s = Aes256GcmSealTo(key, nonce, plaintext, aad, out); !s.ok()) return s;
  return out;
}

absl::StatusOr<Bytes> Aes256GcmOpen(ByteView key, ByteView nonce, ByteView ciphertext_and_tag,
                                    ByteView aad) {
  if (absl::Status s = CheckSizes(key, nonce, ciphertext_and_tag, aad); !s.ok()) return s;
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return absl::InvalidArgumentError(
        fmt::format("AES-256-GCM input must hold a {}-byte tag, got {} bytes", kGcmTagSize,
                    ciphertext_and_tag.size()));
  }
  Bytes out(ciphertext_and_tag.size() - kGcmTagSize);
  if (absl::Status s = Aes256GcmOpenTo(key, nonce, ciphertext_and_tag, aad, out); !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace domicile::crypto
