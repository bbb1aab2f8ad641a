// SHA-256, the project's one hash: content digests, Merkle leaves and key derivation inputs.
// Hashing cannot fail for a caller (OpenSSL fails only when out of memory, which aborts).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "util/bytes.h"

namespace domicile::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// The SHA-256 digest of `data`.
Sha256Digest Sha256(ByteView data);
// The SHA-256 digest of `first` followed by `second`, without joining them (and without the
// setup of a Sha256Hasher).
Sha256Digest Sha256(ByteView first, ByteView second);

// Incremental SHA-256 for input that arrives in pieces: Update any number of times, then
// Finish. Finish returns the digest of everything since construction (or since the previous
// Finish) and resets the hasher, so it can be reused. Not thread-safe; movable, not copyable.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  // REQUIRES: *this has not been moved from.
  void Update(ByteView data);
  // REQUIRES: *this has not been moved from.
  Sha256Digest Finish();

 private:
  struct Impl;  // Holds the OpenSSL digest context.
  std::unique_ptr<Impl> impl_;
};

}  // namespace domicile::crypto
