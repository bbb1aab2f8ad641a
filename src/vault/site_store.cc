#include "vault/site_store.h"

#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::vault {
namespace {

// 0x01: sealed under the subject's protected data key whatever its class (before per-class
// keys); 0x02: sealed under the data key of its own class. Both are read; 0x02 is written.
constexpr uint8_t kRecordFormatSharedKey = 0x01;
constexpr uint8_t kRecordFormat = 0x02;

std::string RecordKey(std::string_view subject, std::string_view key) {
  return fmt::format("r/{}/{}", subject, key);
}
std::string DataKeyKey(std::string_view subject, Classification key_class) {
  return fmt::format("{}/{}", key_class == Classification::kPublic ? "kp" : "k", subject);
}

std::string EncodeRecord(const StoredRecord& r) {
  Bytes out;
  out.reserve(10 + r.envelope.size());
  out.push_back(kRecordFormat);
  out.push_back(r.classification == Classification::kProtected ? 1 : 0);
  AppendU64(out, r.version);
  out.insert(out.end(), r.envelope.begin(), r.envelope.end());
  return ToString(out);
}

absl::StatusOr<StoredRecord> DecodeRecord(std::string_view bytes) {
  ByteReader reader(AsBytes(bytes));
  uint8_t format, cls;
  StoredRecord r;
  if (!reader.ReadU8(format) || (format != kRecordFormat && format != kRecordFormatSharedKey) ||
      !reader.ReadU8(cls) || cls > 1 || !reader.ReadU64(r.version)) {
    return absl::DataLossError("stored record is malformed");
  }
  r.classification = cls == 1 ? Classification::kProtected : Classification::kPublic;
  r.key_class = format == kRecordFormatSharedKey ? Classification::kProtected : r.classification;
  ByteView rest = reader.Rest();
  r.envelope.assign(rest.begin(), rest.end());
  return r;
}

}  // namespace

SiteStore::SiteStore(Site site, std::unique_ptr<store::KvStore> store)
    : site_(std::move(site)), store_(std::move(store)) {}

absl::StatusOr<std::optional<StoredRecord>> SiteStore::GetRecord(std::string_view subject,
                                                                 std::string_view key) const {
  absl::StatusOr<std::string> raw = store_->Get(RecordKey(subject, key));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(StoredRecord record, DecodeRecord(*raw));
  return record;
}

absl::StatusOr<std::optional<keys::WrappedDataKey>> SiteStore::GetDataKey(
    std::string_view subject, Classification key_class) const {
  absl::StatusOr<std::string> raw = store_->Get(DataKeyKey(subject, key_class));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(keys::WrappedDataKey key, keys::DecodeWrappedDataKey(AsBytes(*raw)));
  return key;
}

absl::Status SiteStore::WriteRecord(std::string_view subject, std::string_view key,
                                    const StoredRecord& record,
                                    const keys::WrappedDataKey* new_data_key) {
  store::WriteBatch batch;
  if (new_data_key != nullptr) {
    batch.Put(DataKeyKey(subject, record.classification),
              AsChars(keys::EncodeWrappedDataKey(*new_data_key)));
  }
  batch.Put(RecordKey(subject, key), EncodeRecord(record));
  return store_->Write(batch);
}

absl::Status SiteStore::DeleteRecord(std::string_view subject, std::string_view key) {
  return store_->Delete(RecordKey(subject, key));
}

absl::Status SiteStore::ListRecords(std::string_view subject, const RecordFn& fn) const {
  const std::string prefix = fmt::format("r/{}/", subject);
  absl::Status decode_error;
  RETURN_IF_ERROR(store_->Scan(prefix, [&](std::string_view k, std::string_view v) {
    absl::StatusOr<StoredRecord> record = DecodeRecord(v);
    if (!record.ok()) {
      decode_error = record.status();
      return false;
    }
    fn(k.substr(prefix.size()), *record);
    return true;
  }));
  return decode_error;
}

}  // namespace domicile::vault
