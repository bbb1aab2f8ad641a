#include "keys/envelope.h"

#include <algorithm>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::keys {
namespace {

constexpr uint8_t kEnvelopeFormat = 0x01;
constexpr uint8_t kWrappedKeyFormat = 0x01;
constexpr std::string_view kAadLabel = "domicile.record.v1";

void AppendRecordAad(const RecordBinding& b, Bytes& aad) {
  aad.insert(aad.end(), kAadLabel.begin(), kAadLabel.end());
  aad.push_back(0);
  AppendLengthPrefixed16(aad, AsBytes(b.site));
  AppendLengthPrefixed16(aad, AsBytes(b.subject));
  AppendLengthPrefixed16(aad, AsBytes(b.key));
  AppendLengthPrefixed16(aad, AsBytes(b.classification));
  AppendU64(aad, b.version);
}

// This thread's associated data for `b`, in a buffer it reuses.
ByteView ThreadRecordAad(const RecordBinding& b) {
  thread_local Bytes aad;
  aad.clear();
  AppendRecordAad(b, aad);
  return aad;
}

}  // namespace

Bytes RecordAad(const RecordBinding& b) {
  Bytes aad;
  AppendRecordAad(b, aad);
  return aad;
}

absl::StatusOr<Bytes> SealValue(ByteView data_key, const RecordBinding& binding,
                                ByteView plaintext) {
  uint8_t nonce[crypto::kGcmNonceSize];
  RETURN_IF_ERROR(crypto::FillRandom(nonce));
  Bytes out(SealedValueSize(plaintext.size()));
  RETURN_IF_ERROR(SealValueTo(data_key, binding, nonce, plaintext, out));
  return out;
}

absl::Status SealValueTo(ByteView data_key, const RecordBinding& binding, ByteView nonce,
                         ByteView plaintext, std::span<uint8_t> out) {
  if (out.size() != SealedValueSize(plaintext.size())) {
    return absl::InvalidArgumentError(
        fmt::format("a sealed value of {} bytes takes {} bytes, not {}", plaintext.size(),
                    SealedValueSize(plaintext.size()), out.size()));
  }
  if (nonce.size() != crypto::kGcmNonceSize) {
    return absl::InvalidArgumentError("a record's nonce is 12 bytes");
  }
  out[0] = kEnvelopeFormat;
  std::copy(nonce.begin(), nonce.end(), out.begin() + 1);
  return crypto::Aes256GcmSealTo(data_key, nonce, plaintext, ThreadRecordAad(binding),
                                 out.subspan(1 + crypto::kGcmNonceSize));
}

absl::StatusOr<Bytes> OpenValue(ByteView data_key, const RecordBinding& binding,
                                ByteView envelope) {
  Bytes plain;
  RETURN_IF_ERROR(OpenValueTo(data_key, binding, envelope, plain));
  return plain;
}

absl::Status OpenValueTo(ByteView data_key, const RecordBinding& binding, ByteView envelope,
                         Bytes& plaintext) {
  if (envelope.size() < 1 + crypto::kGcmNonceSize + crypto::kGcmTagSize ||
      envelope[0] != kEnvelopeFormat) {
    plaintext.clear();
    return absl::DataLossError("record envelope is malformed");
  }
  // Only bytes beyond the current size are zeroed first: a buffer reused for values of one size
  // is not written twice.
  plaintext.resize(envelope.size() - 1 - crypto::kGcmNonceSize - crypto::kGcmTagSize);
  absl::Status opened = crypto::Aes256GcmOpenTo(
      data_key, envelope.subspan(1, crypto::kGcmNonceSize),
      envelope.subspan(1 + crypto::kGcmNonceSize), ThreadRecordAad(binding), plaintext);
  if (!opened.ok()) {
    plaintext.clear();  // zeroed by the open
    return absl::DataLossError("record does not open: altered or misplaced");
  }
  return absl::OkStatus();
}

std::string KekId(std::string_view site, std::string_view jurisdiction) {
  return fmt::format("site/{}/{}", site, jurisdiction);
}

std::string PublicKekId(std::string_view site, std::string_view jurisdiction) {
  return fmt::format("site/{}/{}/public", site, jurisdiction);
}

Bytes EncodeWrappedDataKey(const WrappedDataKey& key) {
  Bytes out;
  out.push_back(kWrappedKeyFormat);
  AppendLengthPrefixed16(out, AsBytes(key.kek_id));
  AppendLengthPrefixed16(out, key.wrapped);
  return out;
}

absl::StatusOr<WrappedDataKey> DecodeWrappedDataKey(ByteView bytes) {
  ByteReader reader(bytes);
  uint8_t format;
  ByteView kek_id, wrapped;
  if (!reader.ReadU8(format) || format != kWrappedKeyFormat ||
      !reader.ReadLengthPrefixed16(kek_id) || !reader.ReadLengthPrefixed16(wrapped) ||
      !reader.AtEnd()) {
    return absl::DataLossError("stored data key is malformed");
  }
  return WrappedDataKey{ToString(kek_id), Bytes(wrapped.begin(), wrapped.end())};
}

absl::StatusOr<NewDataKey> GenerateDataKey(const KeyProvider& provider, std::string_view kek_id) {
  ASSIGN_OR_RETURN(crypto::SecretBytes plaintext, crypto::RandomSecret(crypto::kAes256KeySize));
  ASSIGN_OR_RETURN(Bytes wrapped, provider.Wrap(kek_id, plaintext.view()));
  return NewDataKey{std::move(plaintext), WrappedDataKey{std::string(kek_id), std::move(wrapped)}};
}

absl::StatusOr<crypto::SecretBytes> UnwrapDataKey(const KeyProvider& provider,
                                                  const WrappedDataKey& key) {
  return provider.Unwrap(key.kek_id, key.wrapped);
}

}  // namespace domicile::keys
