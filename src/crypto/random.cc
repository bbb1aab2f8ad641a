#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "crypto/openssl_error.h"

namespace domicile::crypto {
namespace {

// RAND_bytes and RAND_priv_bytes take an int length; larger requests are drawn in chunks.
template <typename Draw>
absl::Status FillWith(Draw draw, std::span<uint8_t> out) {
  while (!out.empty()) {
    const size_t n = std::min<size_t>(out.size(), INT_MAX);
    if (draw(out.data(), static_cast<int>(n)) != 1) {
      return OpenSslError("random generator failed");
    }
    out = out.subspan(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FillRandom(std::span<uint8_t> out) { return FillWith(RAND_bytes, out); }

absl::StatusOr<Bytes> RandomBytes(size_t n) {
  Bytes out(n);
  if (absl::Status s = FillRandom(out); !s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> RandomSecret(size_t n) {
  SecretBytes out(n);
  if (absl::Status s = FillWith(RAND_priv_bytes, std::span<uint8_t>(out.data(), out.size()));
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace domicile::crypto
