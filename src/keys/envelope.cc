#include "keys/envelope.h"

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

}  // namespace

Bytes RecordAad(const RecordBinding& b) {
  Bytes aad = ToBytes(kAadLabel);
  aad.push_back(0);
  AppendLengthPrefixed16(aad, AsBytes(b.site));
  AppendLengthPrefixed16(aad, AsBytes(b.subject));
  AppendLengthPrefixed16(aad, AsBytes(b.key));
  AppendLengthPrefixed16(aad, AsBytes(b.classification));
  AppendU64(aad, b.version);
  return aad;
}

absl::StatusOr<Bytes> SealValue(ByteView data_key, const RecordBinding& binding,
                                ByteView plaintext) {
  Bytes out;
  out.reserve(1 + crypto::kGcmNonceSize + plaintext.size() + crypto::kGcmTagSize);
  out.push_back(kEnvelopeFormat);
  out.resize(1 + crypto::kGcmNonceSize);
  RETURN_IF_ERROR(crypto::FillRandom(std::span<uint8_t>(out.data() + 1, crypto::kGcmNonceSize)));
  ASSIGN_OR_RETURN(Bytes sealed,
                   crypto::Aes256GcmSeal(data_key, ByteView(out.data() + 1, crypto::kGcmNonceSize),
                                         plaintext, RecordAad(binding)));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

absl::StatusOr<Bytes> OpenValue(ByteView data_key, const RecordBinding& binding,
                                ByteView envelope) {
  if (envelope.size() < 1 + crypto::kGcmNonceSize + crypto::kGcmTagSize ||
      envelope[0] != kEnvelopeFormat) {
    return absl::DataLossError("record envelope is malformed");
  }
  absl::StatusOr<Bytes> plain =
      crypto::Aes256GcmOpen(data_key, envelope.subspan(1, crypto::kGcmNonceSize),
                            envelope.subspan(1 + crypto::kGcmNonceSize), RecordAad(binding));
  if (!plain.ok()) return absl::DataLossError("record does not open: altered or misplaced");
  return plain;
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
