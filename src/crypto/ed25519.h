// Ed25519 signatures (RFC 8032): signing of checkpoints and records so anyone holding the
// public key can check they came from us. A private key is its 32-byte seed, kept in
// SecretBytes; the public key is derived from it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "util/bytes.h"

namespace domicile::crypto {

inline constexpr size_t kEd25519SeedSize = 32;

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

// A fresh random 32-byte private seed.
absl::StatusOr<SecretBytes> Ed25519GenerateSeed();

// The public key of `seed`. InvalidArgument if seed.size() != 32.
absl::StatusOr<Ed25519PublicKey> Ed25519PublicFromSeed(ByteView seed);

// The (deterministic) signature of `message` under `seed`. InvalidArgument if
// seed.size() != 32.
absl::StatusOr<Ed25519Signature> Ed25519Sign(ByteView seed, ByteView message);

// True iff `signature` is a valid signature of `message` under `public_key`. False for any
// malformed input (wrong sizes, a key that is not a curve point), never an error.
bool Ed25519Verify(ByteView public_key, ByteView message, ByteView signature);

}  // namespace domicile::crypto
