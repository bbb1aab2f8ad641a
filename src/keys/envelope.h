// Envelope encryption of record values. Each (subject, site) has its own random 256-bit data
// key, stored only wrapped under the KEK of (site, jurisdiction); each value is sealed under the
// data key with AES-256-GCM, a fresh random 96-bit nonce, and associated data that binds the
// ciphertext to its site, subject, key, classification and version, so a ciphertext moved to
// another record, site or version, or relabelled public, fails to open. Formats in
// docs/formats.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/aead.h"
#include "crypto/secret_bytes.h"
#include "keys/key_provider.h"
#include "util/bytes.h"

namespace domicile::keys {

// What a sealed value is bound to.
struct RecordBinding {
  std::string_view site;
  std::string_view subject;
  std::string_view key;
  std::string_view classification;  // "public" or "protected"
  uint64_t version = 0;
};

// The associated data for `binding` (exposed for docs and tests).
Bytes RecordAad(const RecordBinding& binding);

// Seals `plaintext` under `data_key`: format byte 0x01 | nonce (12) | ciphertext || tag (16).
absl::StatusOr<Bytes> SealValue(ByteView data_key, const RecordBinding& binding,
                                ByteView plaintext);

// Opens a SealValue result. DataLoss if the key or binding differ or the bytes were altered.
absl::StatusOr<Bytes> OpenValue(ByteView data_key, const RecordBinding& binding, ByteView envelope);

// The two for bulk work (a migration) that reuses its buffers and draws its nonces many at a
// time. SealValueTo writes SealValue's format into `out`, exactly SealedValueSize(plaintext)
// bytes, with the caller's `nonce`: kGcmNonceSize random bytes never used before under this
// key. OpenValueTo resizes `plaintext` to fit (reusing its capacity); on a failure it is left
// empty.
inline constexpr size_t SealedValueSize(size_t plaintext_size) {
  return 1 + crypto::kGcmNonceSize + plaintext_size + crypto::kGcmTagSize;
}
absl::Status SealValueTo(ByteView data_key, const RecordBinding& binding, ByteView nonce,
                         ByteView plaintext, std::span<uint8_t> out);
absl::Status OpenValueTo(ByteView data_key, const RecordBinding& binding, ByteView envelope,
                         Bytes& plaintext);

// The KEK id for the protected data of `jurisdiction` held at `site`: "site/<site>/<J>".
std::string KekId(std::string_view site, std::string_view jurisdiction);
// The KEK id for its public data: "site/<site>/<J>/public".
std::string PublicKekId(std::string_view site, std::string_view jurisdiction);

// A data key as stored: the id of its KEK and the wrapped bytes.
struct WrappedDataKey {
  std::string kek_id;
  Bytes wrapped;
};
Bytes EncodeWrappedDataKey(const WrappedDataKey& key);
absl::StatusOr<WrappedDataKey> DecodeWrappedDataKey(ByteView bytes);

// Makes a new random data key and wraps it under `kek_id`. Returns both.
struct NewDataKey {
  crypto::SecretBytes plaintext;
  WrappedDataKey wrapped;
};
absl::StatusOr<NewDataKey> GenerateDataKey(const KeyProvider& provider, std::string_view kek_id);

// Unwraps a stored data key with `provider`.
absl::StatusOr<crypto::SecretBytes> UnwrapDataKey(const KeyProvider& provider,
                                                  const WrappedDataKey& key);

}  // namespace domicile::keys
