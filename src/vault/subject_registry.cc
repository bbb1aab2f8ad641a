#include "vault/subject_registry.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::vault {
namespace {

std::string SubjectKey(std::string_view id) { return fmt::format("s/{}", id); }
std::string ErasedKey(std::string_view id) { return fmt::format("e/{}", id); }

}  // namespace

SubjectRegistry::SubjectRegistry(std::unique_ptr<store::KvStore> meta, const Clock* clock)
    : meta_(std::move(meta)), clock_(clock) {}

absl::StatusOr<bool> SubjectRegistry::Register(std::string_view id, std::string_view jurisdiction) {
  std::lock_guard lock(register_mu_);
  absl::StatusOr<std::string> existing = Jurisdiction(id);
  if (existing.ok()) {
    if (*existing == jurisdiction) return false;
    return ConflictError(
        fmt::format("subject '{}' is registered in {}; a subject's home jurisdiction cannot change",
                    id, *existing));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  nlohmann::json doc = {{"jurisdiction", jurisdiction},
                        {"registered_at", clock_->NowUnixSeconds()}};
  // Nodes sharing the metadata store may register the same id at once: one wins.
  store::WriteBatch batch;
  batch.ExpectAbsent(SubjectKey(id));
  batch.Put(SubjectKey(id), doc.dump());
  absl::Status written = meta_->Write(batch);
  if (absl::IsAborted(written)) {
    absl::StatusOr<std::string> now = Jurisdiction(id);  // not cached: it was absent
    if (!now.ok()) return now.status();
    if (*now == jurisdiction) return false;
    return ConflictError(fmt::format(
        "subject '{}' is registered in {}; a subject's home jurisdiction cannot change", id, *now));
  }
  RETURN_IF_ERROR(written);
  Remember(id, jurisdiction);
  return true;
}

void SubjectRegistry::Remember(std::string_view id, std::string_view jurisdiction) const {
  std::unique_lock lock(cache_mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_.emplace(std::string(id), std::string(jurisdiction));
}

absl::StatusOr<std::string> SubjectRegistry::Jurisdiction(std::string_view id) const {
  {
    std::shared_lock lock(cache_mu_);
    if (auto it = cache_.find(id); it != cache_.end()) return it->second;
  }
  absl::StatusOr<std::string> raw = meta_->Get(SubjectKey(id));
  if (absl::IsNotFound(raw.status())) {
    return absl::NotFoundError(fmt::format("subject '{}' is not registered", id));
  }
  RETURN_IF_ERROR(raw.status());
  nlohmann::json doc = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("jurisdiction") || !doc["jurisdiction"].is_string()) {
    return absl::DataLossError(fmt::format("registration of subject '{}' is malformed", id));
  }
  std::string jurisdiction = doc["jurisdiction"].get<std::string>();
  Remember(id, jurisdiction);
  return jurisdiction;
}

absl::StatusOr<std::vector<SubjectRegistry::Listed>> SubjectRegistry::List(
    std::string_view after, size_t limit, std::string* next) const {
  std::vector<Listed> out;
  next->clear();
  absl::Status parsed;
  // The first key after "s/<after>" is "s/<after>\0": ids never hold NUL.
  const std::string start = after.empty() ? "s/" : SubjectKey(after) + std::string(1, '\0');
  RETURN_IF_ERROR(meta_->ScanFrom("s/", start, [&](std::string_view key, std::string_view value) {
    if (out.size() == limit) {
      *next = out.back().id;
      return false;
    }
    nlohmann::json doc = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("jurisdiction") || !doc["jurisdiction"].is_string()) {
      parsed = absl::DataLossError(fmt::format("registration '{}' is malformed", key));
      return false;
    }
    out.push_back({std::string(key.substr(2)), doc["jurisdiction"].get<std::string>()});
    return true;
  }));
  RETURN_IF_ERROR(parsed);
  return out;
}

absl::Status SubjectRegistry::Erase(std::string_view id) {
  std::lock_guard lock(register_mu_);
  store::WriteBatch batch;
  batch.Delete(SubjectKey(id));
  batch.Put(ErasedKey(id), nlohmann::json({{"erased_at", clock_->NowUnixSeconds()}}).dump());
  RETURN_IF_ERROR(meta_->Write(batch));
  std::unique_lock cache_lock(cache_mu_);
  cache_.erase(std::string(id));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> SubjectRegistry::ErasedAt(std::string_view id) const {
  absl::StatusOr<std::string> raw = meta_->Get(ErasedKey(id));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  nlohmann::json doc = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("erased_at") || !doc["erased_at"].is_number_integer()) {
    return absl::DataLossError(fmt::format("erasure record of subject '{}' is malformed", id));
  }
  return doc["erased_at"].get<int64_t>();
}

}  // namespace domicile::vault
