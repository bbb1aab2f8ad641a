// HMAC-SHA-256 (RFC 2104): message authentication and key derivation from a shared secret.
// Compare MACs with ConstantTimeEquals (crypto/constant_time.h), never with ==.
#pragma once

#include "crypto/sha256.h"
#include "util/bytes.h"

namespace domicile::crypto {

// HMAC-SHA-256 of `data` under `key` (any length, including empty).
Sha256Digest HmacSha256(ByteView key, ByteView data);

}  // namespace domicile::crypto
