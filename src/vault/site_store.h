// SiteStore: the data one site holds, laid out on that site's own KvStore. Per subject, one
// wrapped data key; per record, its classification, version and sealed value. The layout:
//   k/<subject>          -> wrapped data key (keys/envelope.h format)
//   r/<subject>/<key>    -> record: format 0x01 | class (0 public, 1 protected) | u64 version |
//                           envelope
// Subject ids and record keys never contain '/', so the layout is unambiguous. See
// docs/formats.md.
#pragma once

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
  uint64_t version = 0;
  Bytes envelope;
};

class SiteStore {
 public:
  SiteStore(Site site, std::unique_ptr<store::KvStore> store);

  const Site& site() const { return site_; }
  store::KvStore& kv() { return *store_; }

  // The record, or nullopt if this site does not hold it. DataLoss if it is malformed.
  absl::StatusOr<std::optional<StoredRecord>> GetRecord(std::string_view subject,
                                                        std::string_view key) const;
  // The subject's wrapped data key at this site, or nullopt if none was made yet.
  absl::StatusOr<std::optional<keys::WrappedDataKey>> GetDataKey(std::string_view subject) const;

  // Writes the record and, if given, the subject's new data key, atomically and durably.
  absl::Status WriteRecord(std::string_view subject, std::string_view key,
                           const StoredRecord& record, const keys::WrappedDataKey* new_data_key);
  absl::Status DeleteRecord(std::string_view subject, std::string_view key);

  // Visits the subject's records in key order.
  using RecordFn = std::function<void(std::string_view key, const StoredRecord& record)>;
  absl::Status ListRecords(std::string_view subject, const RecordFn& fn) const;

 private:
  Site site_;
  std::unique_ptr<store::KvStore> store_;
};

}  // namespace domicile::vault
