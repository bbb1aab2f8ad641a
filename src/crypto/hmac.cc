#include "crypto/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>

#include "crypto/openssl_error.h"

namespace domicile::crypto {

Sha256Digest HmacSha256(ByteView key, ByteView data) {
  // OpenSSL takes the key length as an int; HMAC replaces a key longer than the block size by
  // its hash, so hashing an over-long key first gives the identical result.
  Sha256Digest long_key_digest;
  if (key.size() > static_cast<size_t>(INT_MAX)) {
    long_key_digest = Sha256(key);
    key = long_key_digest;
  }
  // OpenSSL treats a null key as "reuse the previous key"; give it a real pointer when empty.
  static constexpr uint8_t kEmpty = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  const uint8_t* data_ptr = data.empty() ? &kEmpty : data.data();
  Sha256Digest mac;
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data_ptr, data.size(), mac.data(),
           &mac_len) == nullptr ||
      mac_len != mac.size()) {
    FatalOpenSslError("HMAC-SHA-256");
  }
  return mac;
}

}  // namespace domicile::crypto
