// SharedKvStore: one more handle on a KvStore that others hold too. Components that each take
// ownership of a store (a SiteStore, a SubjectRegistry, Grants) can so be given the same one —
// which is how tests stand two nodes sharing one database on one store.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "store/kv_store.h"

namespace domicile::store {

class SharedKvStore final : public KvStore {
 public:
  explicit SharedKvStore(std::shared_ptr<KvStore> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<std::string> Get(std::string_view key) const override { return inner_->Get(key); }
  absl::Status Put(std::string_view key, std::string_view value) override {
    return inner_->Put(key, value);
  }
  absl::Status Delete(std::string_view key) override { return inner_->Delete(key); }
  absl::Status Write(const WriteBatch& batch) override { return inner_->Write(batch); }
  absl::Status WriteBulk(const WriteBatch& batch) override { return inner_->WriteBulk(batch); }
  absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() override {
    return inner_->StartBulkLoad();
  }
  absl::Status Scan(std::string_view prefix, const ScanFn& fn) const override {
    return inner_->Scan(prefix, fn);
  }
  absl::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) const override {
    return inner_->ScanFrom(prefix, start, fn);
  }
  absl::Status ScanOnce(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) const override {
    return inner_->ScanOnce(prefix, start, fn);
  }
  absl::StatusOr<Estimate> EstimatePrefix(std::string_view prefix) const override {
    return inner_->EstimatePrefix(prefix);
  }
  absl::StatusOr<std::unique_ptr<Snapshot>> GetSnapshot() const override {
    return inner_->GetSnapshot();
  }

 private:
  std::shared_ptr<KvStore> inner_;
};

}  // namespace domicile::store
