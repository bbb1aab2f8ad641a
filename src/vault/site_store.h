// SiteStore: the data one site holds, laid out on that site's own KvStore. Per subject, one
// wrapped data key per class (so that a key released for public records opens no protected
// one); per record, its classification, version and sealed value. The layout:
//   k/<subject>          -> the protected data key, wrapped (keys/envelope.h format)
//   kp/<subject>         -> the public data key, wrapped under the site's public KEK
//   r/<subject>/<key>    -> record: format 0x02 | class (0 public, 1 protected) | u64 version |
//                           envelope, sealed under its class's data key (format 0x01, read
//                           only: sealed under the protected data key whatever its class)
// Subject ids and record keys never contain '/', so the layout is unambiguous. See
// docs/formats.md.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "keys/envelope.h"
#include "store/kv_store.h"
#include "util/bytes.h"
#include "vault/classification.h"
#include "vault/site.h"

namespace domicile::vault {

struct StoredRecord {
  Classification classification = Classification::kProtected;
  // Whose data key seals it: its own class's, or protected for a format-0x01 record. Set when
  // read; a record written is always sealed under its own class's key.
  Classification key_class = Classification::kProtected;
  uint64_t version = 0;
  Bytes envelope;
};

// The layout's keys and the record format, for code that reads or writes a site's store in
// bulk (src/ops: import, migration, shredding, backups).
std::string RecordStoreKey(std::string_view subject, std::string_view key);
std::string DataKeyStoreKey(std::string_view subject, Classification key_class);
std::string EncodeStoredRecord(const StoredRecord& record);
// DataLoss if malformed.
absl::StatusOr<StoredRecord> DecodeStoredRecord(std::string_view bytes);
// The same without copying: the envelope is a view into `bytes`. For bulk passes.
struct StoredRecordView {
  Classification classification = Classification::kProtected;
  Classification key_class = Classification::kProtected;
  uint64_t version = 0;
  ByteView envelope;
};
absl::StatusOr<StoredRecordView> DecodeStoredRecordView(std::string_view bytes);
// A record as stored is this header, then its envelope: for bulk passes that seal straight
// into the stored form.
inline constexpr size_t kStoredRecordHeaderSize = 10;
std::array<char, kStoredRecordHeaderSize> StoredRecordHeader(Classification classification,
                                                             uint64_t version);
// Splits a record's store key "r/<subject>/<key>"; false if it is not one.
bool ParseRecordStoreKey(std::string_view store_key, std::string_view& subject,
                         std::string_view& key);
// Splits a data key's store key "k/<subject>" or "kp/<subject>"; false if it is not one.
bool ParseDataKeyStoreKey(std::string_view store_key, std::string_view& subject);

class SiteStore {
 public:
  SiteStore(Site site, std::unique_ptr<store::KvStore> store);

  const Site& site() const { return site_; }
  store::KvStore& kv() const { return *store_; }

  // The record, or nullopt if this site does not hold it. DataLoss if it is malformed.
  absl::StatusOr<std::optional<StoredRecord>> GetRecord(std::string_view subject,
                                                        std::string_view key) const;
  // The subject's wrapped data key of `key_class` at this site, or nullopt if none was made yet.
  absl::StatusOr<std::optional<keys::WrappedDataKey>> GetDataKey(std::string_view subject,
                                                                 Classification key_class) const;

  // A record read to be replaced: its decoded form and its bytes as stored (nullopt: absent).
  struct CurrentRecord {
    std::optional<StoredRecord> record;
    std::optional<std::string> stored;
  };
  absl::StatusOr<CurrentRecord> GetRecordForUpdate(std::string_view subject,
                                                   std::string_view key) const;

  // Writes the record and, if given, the subject's new data key for the record's class,
  // atomically and durably — only if the record still is `current` and the new data key's
  // place still empty. Otherwise (another node sharing the store wrote first) Aborted, error
  // code "conflict", and nothing is written.
  absl::Status WriteRecord(std::string_view subject, std::string_view key,
                           const StoredRecord& record, const keys::WrappedDataKey* new_data_key,
                           const CurrentRecord& current);
  absl::Status DeleteRecord(std::string_view subject, std::string_view key);

  // Deletes every record and data key of the subject at this site, atomically. Returns how
  // many of each were deleted.
  struct Erased {
    uint64_t records = 0;
    uint64_t data_keys = 0;
  };
  absl::StatusOr<Erased> EraseSubject(std::string_view subject);

  // Visits the subject's records in key order.
  using RecordFn = std::function<void(std::string_view key, const StoredRecord& record)>;
  absl::Status ListRecords(std::string_view subject, const RecordFn& fn) const;

 private:
  Site site_;
  std::unique_ptr<store::KvStore> store_;
};

}  // namespace domicile::vault
