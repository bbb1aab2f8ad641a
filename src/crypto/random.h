// Cryptographically secure random bytes from OpenSSL's CSPRNG, for keys, nonces and tokens.
// Never use <random> for anything an attacker could benefit from predicting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "util/bytes.h"

namespace domicile::crypto {

// Fills `out` with random bytes. Internal error if the generator cannot be seeded.
absl::Status FillRandom(std::span<uint8_t> out);

// `n` random bytes for public values (nonces, identifiers).
absl::StatusOr<Bytes> RandomBytes(size_t n);

// `n` random bytes for a secret (keys), drawn from OpenSSL's separate private generator.
absl::StatusOr<SecretBytes> RandomSecret(size_t n);

}  // namespace domicile::crypto
