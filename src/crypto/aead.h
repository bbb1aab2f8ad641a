// AES-256-GCM authenticated encryption with associated data: the cipher that protects every
// stored value. Seal encrypts and authenticates; Open decrypts only if the ciphertext, nonce,
// associated data and key are exactly those that were sealed.
//
// A (key, nonce) pair must never be used to seal two different messages: doing so reveals
// their XOR and lets an attacker forge tags. Draw a fresh random nonce (crypto/random.h) per
// Seal, and rotate the key long before 2^32 messages.
//
// Thread-safe. Each thread keeps its own reusable OpenSSL cipher contexts (for speed); they
// hold the expanded form of the most recently used key until the thread exits, when they are
// zeroized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "util/bytes.h"

namespace domicile::crypto {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

// Returns ciphertext || 16-byte tag (plaintext.size() + kGcmTagSize bytes). `aad` is
// authenticated but not encrypted, and may be empty. InvalidArgument if the key is not
// kAes256KeySize bytes, the nonce not kGcmNonceSize bytes, or an input exceeds INT_MAX bytes.
absl::StatusOr<Bytes> Aes256GcmSeal(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad);

// Input is ciphertext || tag as returned by Aes256GcmSeal; returns the plaintext.
// DataLoss("authentication failed") if the tag does not verify: wrong key, nonce or aad, or
// tampered bytes; no plaintext is released then. InvalidArgument for a wrong key or nonce
// size, input shorter than the tag, or an input exceeding INT_MAX bytes.
absl::StatusOr<Bytes> Aes256GcmOpen(ByteView key, ByteView nonce, ByteView ciphertext_and_tag,
                                    ByteView aad);

// The same two, writing into the caller's memory: for bulk work (a migration) that seals or
// opens many values into buffers it reuses. `out` must be exactly plaintext.size() +
// kGcmTagSize bytes for a seal, ciphertext_and_tag.size() - kGcmTagSize for an open
// (InvalidArgument otherwise). On a failed open, `out` is zeroed.
absl::Status Aes256GcmSealTo(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad,
                             std::span<uint8_t> out);
absl::Status Aes256GcmOpenTo(ByteView key, ByteView nonce, ByteView ciphertext_and_tag,
                             ByteView aad, std::span<uint8_t> out);

}  // namespace domicile::crypto
