#include "vault/site_store.h"

#include "fmt/format.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::vault {
namespace {

// 0x01: sealed under the subject's protected data key whatever its class (before per-class
// keys); 0x02: sealed under the data key of its own class. Both are read; 0x02 is written.
constexpr uint8_t kRecordFormatSharedKey = 0x01;
constexpr uint8_t kRecordFormat = 0x02;

}  // namespace

std::string RecordStoreKey(std::string_view subject, std::string_view key) {
  return fmt::format("r/{}/{}", subject, key);
}
std::string DataKeyStoreKey(std::string_view subject, Classification key_class) {
  return fmt::format("{}/{}", key_class == Classification::kPublic ? "kp" : "k", subject);
}

bool ParseRecordStoreKey(std::string_view store_key, std::string_view& subject,
                         std::string_view& key) {
  if (!store_key.starts_with("r/")) return false;
  store_key.remove_prefix(2);
  const size_t slash = store_key.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == store_key.size()) return false;
  subject = store_key.substr(0, slash);
  key = store_key.substr(slash + 1);
  return true;
}

bool ParseDataKeyStoreKey(std::string_view store_key, std::string_view& subject) {
  if (store_key.starts_with("kp/")) {
    store_key.remove_prefix(3);
  } else if (store_key.starts_with("k/")) {
    store_key.remove_prefix(2);
  } else {
    return false;
  }
  if (store_key.empty() || store_key.find('/') != std::string_view::npos) return false;
  subject = store_key;
  return true;
}

std::array<char, kStoredRecordHeaderSize> StoredRecordHeader(Classification classification,
                                                             uint64_t version) {
  std::array<char, kStoredRecordHeaderSize> header;
  header[0] = static_cast<char>(kRecordFormat);
  header[1] = classification == Classification::kProtected ? 1 : 0;
  for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>(version >> (56 - 8 * i));
  return header;
}

std::string EncodeStoredRecord(const StoredRecord& r) {
  std::string out;
  out.reserve(kStoredRecordHeaderSize + r.envelope.size());
  const std::array<char, kStoredRecordHeaderSize> header =
      StoredRecordHeader(r.classification, r.version);
  out.append(header.data(), header.size());
  out.append(AsChars(r.envelope));
  return out;
}

absl::StatusOr<StoredRecordView> DecodeStoredRecordView(std::string_view bytes) {
  ByteReader reader(AsBytes(bytes));
  uint8_t format, cls;
  StoredRecordView r;
  if (!reader.ReadU8(format) || (format != kRecordFormat && format != kRecordFormatSharedKey) ||
      !reader.ReadU8(cls) || cls > 1 || !reader.ReadU64(r.version)) {
    return absl::DataLossError("stored record is malformed");
  }
  r.classification = cls == 1 ? Classification::kProtected : Classification::kPublic;
  r.key_class = format == kRecordFormatSharedKey ? Classification::kProtected : r.classification;
  r.envelope = reader.Rest();
  return r;
}

absl::StatusOr<StoredRecord> DecodeStoredRecord(std::string_view bytes) {
  ASSIGN_OR_RETURN(StoredRecordView view, DecodeStoredRecordView(bytes));
  return StoredRecord{view.classification, view.key_class, view.version,
                      Bytes(view.envelope.begin(), view.envelope.end())};
}

SiteStore::SiteStore(Site site, std::unique_ptr<store::KvStore> store)
    : site_(std::move(site)), store_(std::move(store)) {}

absl::StatusOr<std::optional<StoredRecord>> SiteStore::GetRecord(std::string_view subject,
                                                                 std::string_view key) const {
  absl::StatusOr<std::string> raw = store_->Get(RecordStoreKey(subject, key));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(StoredRecord record, DecodeStoredRecord(*raw));
  return record;
}

absl::StatusOr<std::optional<keys::WrappedDataKey>> SiteStore::GetDataKey(
    std::string_view subject, Classification key_class) const {
  absl::StatusOr<std::string> raw = store_->Get(DataKeyStoreKey(subject, key_class));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(keys::WrappedDataKey key, keys::DecodeWrappedDataKey(AsBytes(*raw)));
  return key;
}

absl::StatusOr<SiteStore::CurrentRecord> SiteStore::GetRecordForUpdate(std::string_view subject,
                                                                       std::string_view key) const {
  CurrentRecord current;
  absl::StatusOr<std::string> raw = store_->Get(RecordStoreKey(subject, key));
  if (absl::IsNotFound(raw.status())) return current;
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(current.record, DecodeStoredRecord(*raw));
  current.stored = *std::move(raw);
  return current;
}

absl::Status SiteStore::WriteRecord(std::string_view subject, std::string_view key,
                                    const StoredRecord& record,
                                    const keys::WrappedDataKey* new_data_key,
                                    const CurrentRecord& current) {
  store::WriteBatch batch;
  const std::string record_key = RecordStoreKey(subject, key);
  if (new_data_key != nullptr) {
    const std::string data_key_key = DataKeyStoreKey(subject, record.classification);
    batch.ExpectAbsent(data_key_key);
    batch.Put(data_key_key, AsChars(keys::EncodeWrappedDataKey(*new_data_key)));
  }
  if (current.stored.has_value()) {
    batch.Expect(record_key, *current.stored);
  } else {
    batch.ExpectAbsent(record_key);
  }
  batch.Put(record_key, EncodeStoredRecord(record));
  absl::Status written = store_->Write(batch);
  if (absl::IsAborted(written)) {
    return ConflictError(fmt::format(
        "record {}/{} at site {} was written concurrently by another node; nothing was written, "
        "retry",
        subject, key, site_.id));
  }
  return written;
}

absl::Status SiteStore::DeleteRecord(std::string_view subject, std::string_view key) {
  return store_->Delete(RecordStoreKey(subject, key));
}

absl::StatusOr<SiteStore::Erased> SiteStore::EraseSubject(std::string_view subject) {
  store::WriteBatch batch;
  Erased erased;
  const std::string prefix = fmt::format("r/{}/", subject);
  RETURN_IF_ERROR(store_->Scan(prefix, [&](std::string_view k, std::string_view) {
    batch.Delete(k);
    ++erased.records;
    return true;
  }));
  for (Classification c : {Classification::kProtected, Classification::kPublic}) {
    ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> key, GetDataKey(subject, c));
    if (!key.has_value()) continue;
    batch.Delete(DataKeyStoreKey(subject, c));
    ++erased.data_keys;
  }
  RETURN_IF_ERROR(store_->Write(batch));
  return erased;
}

absl::Status SiteStore::ListRecords(std::string_view subject, const RecordFn& fn) const {
  const std::string prefix = fmt::format("r/{}/", subject);
  absl::Status decode_error;
  RETURN_IF_ERROR(store_->Scan(prefix, [&](std::string_view k, std::string_view v) {
    absl::StatusOr<StoredRecord> record = DecodeStoredRecord(v);
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
