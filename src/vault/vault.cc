#include "vault/vault.h"

#include <functional>
#include <map>

#include "fmt/format.h"
#include "keys/envelope.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/names.h"

namespace domicile::vault {

absl::StatusOr<std::unique_ptr<Vault>> Vault::Create(std::vector<std::unique_ptr<SiteStore>> sites,
                                                     std::unique_ptr<store::KvStore> meta,
                                                     ResidencyRules rules,
                                                     std::unique_ptr<keys::KeyProvider> keys,
                                                     std::unique_ptr<Decider> decider,
                                                     const Clock* clock, VaultOptions options) {
  std::unique_ptr<Vault> vault(new Vault(std::move(sites), std::move(meta), std::move(rules),
                                         std::move(keys), std::move(decider), clock, options));
  for (const std::string& j : vault->rules_.Jurisdictions()) {
    for (const std::string& site_id : vault->rules_.PrimarySites(j)) {
      if (vault->FindSite(site_id) == nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("residency rule for {} names unknown site '{}'", j, site_id));
      }
      RETURN_IF_ERROR(vault->keys_->CreateKey(keys::KekId(site_id, j)));
    }
  }
  return vault;
}

Vault::Vault(std::vector<std::unique_ptr<SiteStore>> sites, std::unique_ptr<store::KvStore> meta,
             ResidencyRules rules, std::unique_ptr<keys::KeyProvider> keys,
             std::unique_ptr<Decider> decider, const Clock* clock, VaultOptions options)
    : sites_(std::move(sites)),
      subjects_(std::move(meta), clock),
      rules_(std::move(rules)),
      keys_(std::move(keys)),
      decider_(std::move(decider)),
      clock_(clock),
      options_(options) {}

std::vector<Site> Vault::sites() const {
  std::vector<Site> out;
  for (const auto& s : sites_) out.push_back(s->site());
  return out;
}

SiteStore* Vault::FindSite(std::string_view id) const {
  for (const auto& s : sites_) {
    if (s->site().id == id) return s.get();
  }
  return nullptr;
}

std::vector<SiteStore*> Vault::ReadableSites(std::string_view jurisdiction) const {
  std::vector<SiteStore*> out;
  for (const std::string& id : rules_.PrimarySites(jurisdiction)) {
    SiteStore* s = FindSite(id);
    if (s != nullptr && s->site().role == SiteRole::kPrimary) out.push_back(s);
  }
  for (const auto& s : sites_) {
    if (s->site().role == SiteRole::kLegacy) out.push_back(s.get());
  }
  return out;
}

std::mutex& Vault::StripeFor(std::string_view subject) const {
  return stripes_[std::hash<std::string_view>{}(subject) % stripes_.size()];
}

absl::Status Vault::Authorize(const Caller& caller, Action action, const Resource& resource) const {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  Decision d = decider_->Decide(*caller.principal, action, resource, caller.context);
  if (!d.allow) return DeniedError(d.reason);
  return absl::OkStatus();
}

absl::StatusOr<SiteStore*> Vault::TargetSite(std::string_view requested, std::string_view subject,
                                             std::string_view key,
                                             std::string_view jurisdiction) const {
  // Where the record lives now, among the primaries.
  SiteStore* current = nullptr;
  for (const std::string& id : rules_.PrimarySites(jurisdiction)) {
    SiteStore* s = FindSite(id);
    if (s == nullptr || s->site().role != SiteRole::kPrimary) continue;
    ASSIGN_OR_RETURN(std::optional<StoredRecord> existing, s->GetRecord(subject, key));
    if (existing.has_value()) {
      current = s;
      break;
    }
  }
  if (requested.empty()) {
    if (current != nullptr) return current;
    for (const std::string& id : rules_.PrimarySites(jurisdiction)) {
      SiteStore* s = FindSite(id);
      if (s != nullptr && s->site().role == SiteRole::kPrimary) return s;
    }
    return ResidencyViolationError(
        fmt::format("no primary site is allowed to hold data of jurisdiction {}", jurisdiction));
  }
  SiteStore* target = FindSite(requested);
  if (target == nullptr) {
    return absl::InvalidArgumentError(fmt::format("unknown site '{}'", requested));
  }
  const Site& site = target->site();
  if (site.role == SiteRole::kLegacy) {
    return ResidencyViolationError(
        fmt::format("site '{}' is a legacy site and accepts no new writes", site.id));
  }
  if (site.role == SiteRole::kBackup) {
    return ResidencyViolationError(
        fmt::format("site '{}' is a backup site and holds only backups", site.id));
  }
  if (!rules_.MayHoldPrimary(site.id, jurisdiction)) {
    return ResidencyViolationError(
        fmt::format("site '{}' ({}) may not hold data of jurisdiction {}", site.id,
                    site.jurisdiction, jurisdiction));
  }
  if (current != nullptr && current != target) {
    return ConflictError(fmt::format("record '{}' of subject '{}' lives at site '{}'", key, subject,
                                     current->site().id));
  }
  return target;
}

absl::StatusOr<bool> Vault::RegisterSubject(const Caller& caller, std::string_view id,
                                            std::string_view jurisdiction) {
  RETURN_IF_ERROR(ValidateSubjectId(id));
  RETURN_IF_ERROR(ValidateJurisdiction(jurisdiction));
  // An existing subject is decided on as it is, in its home jurisdiction; a new one in the
  // jurisdiction asked for.
  absl::StatusOr<std::string> existing = subjects_.Jurisdiction(id);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  std::string_view home = existing.ok() ? std::string_view(*existing) : jurisdiction;
  Resource resource{Resource::Kind::kSubject, id, "", home, Classification::kProtected, ""};
  RETURN_IF_ERROR(Authorize(caller, Action::kWrite, resource));
  // A subject's home jurisdiction never changes: say so before anything else.
  if (existing.ok() && *existing != jurisdiction) {
    return subjects_.Register(id, jurisdiction);  // reports the conflict
  }
  if (rules_.PrimarySites(jurisdiction).empty()) {
    return ResidencyViolationError(
        fmt::format("no site is allowed to hold data of jurisdiction {}", jurisdiction));
  }
  return subjects_.Register(id, jurisdiction);
}

absl::StatusOr<WriteResult> Vault::Put(const Caller& caller, const PutRequest& request) {
  RETURN_IF_ERROR(ValidateSubjectId(request.subject));
  RETURN_IF_ERROR(ValidateRecordKey(request.key));
  if (request.value.size() > options_.max_value_bytes) {
    return TooLargeError(fmt::format("value is {} bytes; the limit is {}", request.value.size(),
                                     options_.max_value_bytes));
  }
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(request.subject));
  Resource resource{Resource::Kind::kRecord, request.subject, request.key, jurisdiction,
                    request.classification,  request.site};
  RETURN_IF_ERROR(Authorize(caller, Action::kWrite, resource));

  std::lock_guard lock(StripeFor(request.subject));
  ASSIGN_OR_RETURN(SiteStore * site,
                   TargetSite(request.site, request.subject, request.key, jurisdiction));
  ASSIGN_OR_RETURN(std::optional<StoredRecord> existing,
                   site->GetRecord(request.subject, request.key));
  ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> wrapped, site->GetDataKey(request.subject));

  crypto::SecretBytes data_key;
  std::optional<keys::WrappedDataKey> new_wrapped;
  if (wrapped.has_value()) {
    ASSIGN_OR_RETURN(data_key, keys::UnwrapDataKey(*keys_, *wrapped));
  } else {
    std::string kek = keys::KekId(site->site().id, jurisdiction);
    RETURN_IF_ERROR(keys_->CreateKey(kek));
    ASSIGN_OR_RETURN(keys::NewDataKey fresh, keys::GenerateDataKey(*keys_, kek));
    data_key = std::move(fresh.plaintext);
    new_wrapped = std::move(fresh.wrapped);
  }

  StoredRecord record;
  record.classification = request.classification;
  record.version = existing.has_value() ? existing->version + 1 : 1;
  keys::RecordBinding binding{site->site().id, request.subject, request.key,
                              ClassificationName(request.classification), record.version};
  ASSIGN_OR_RETURN(record.envelope,
                   keys::SealValue(data_key.view(), binding, AsBytes(request.value)));
  RETURN_IF_ERROR(site->WriteRecord(request.subject, request.key, record,
                                    new_wrapped.has_value() ? &*new_wrapped : nullptr));
  return WriteResult{site->site().id, record.version, !existing.has_value()};
}

absl::StatusOr<ReadResult> Vault::Get(const Caller& caller, std::string_view subject,
                                      std::string_view key) {
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  RETURN_IF_ERROR(ValidateRecordKey(key));
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(subject));
  SiteStore* site = nullptr;
  std::optional<StoredRecord> record;
  for (SiteStore* s : ReadableSites(jurisdiction)) {
    ASSIGN_OR_RETURN(record, s->GetRecord(subject, key));
    if (record.has_value()) {
      site = s;
      break;
    }
  }
  if (site == nullptr) {
    // Whether a record exists is itself protected: decide as for protected data first.
    Resource absent{Resource::Kind::kRecord,    subject, key, jurisdiction,
                    Classification::kProtected, ""};
    RETURN_IF_ERROR(Authorize(caller, Action::kRead, absent));
    return absl::NotFoundError(fmt::format("subject '{}' has no record '{}'", subject, key));
  }
  Resource resource{Resource::Kind::kRecord, subject,        key, jurisdiction,
                    record->classification,  site->site().id};
  RETURN_IF_ERROR(Authorize(caller, Action::kRead, resource));

  ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> wrapped, site->GetDataKey(subject));
  if (!wrapped.has_value()) {
    return absl::DataLossError(
        fmt::format("site '{}' holds a record of '{}' but no data key", site->site().id, subject));
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes data_key, keys::UnwrapDataKey(*keys_, *wrapped));
  keys::RecordBinding binding{site->site().id, subject, key,
                              ClassificationName(record->classification), record->version};
  ASSIGN_OR_RETURN(Bytes plain, keys::OpenValue(data_key.view(), binding, record->envelope));
  return ReadResult{ToString(plain), site->site().id, record->version, record->classification};
}

absl::Status Vault::Delete(const Caller& caller, std::string_view subject, std::string_view key) {
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  RETURN_IF_ERROR(ValidateRecordKey(key));
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(subject));
  std::lock_guard lock(StripeFor(subject));
  std::vector<SiteStore*> holders;
  Classification classification = Classification::kProtected;
  for (SiteStore* s : ReadableSites(jurisdiction)) {
    ASSIGN_OR_RETURN(std::optional<StoredRecord> record, s->GetRecord(subject, key));
    if (!record.has_value()) continue;
    if (holders.empty()) classification = record->classification;
    holders.push_back(s);
  }
  Resource resource{Resource::Kind::kRecord,
                    subject,
                    key,
                    jurisdiction,
                    classification,
                    holders.empty() ? std::string_view() : holders[0]->site().id};
  RETURN_IF_ERROR(Authorize(caller, Action::kDelete, resource));
  if (holders.empty()) {
    return absl::NotFoundError(fmt::format("subject '{}' has no record '{}'", subject, key));
  }
  for (SiteStore* s : holders) RETURN_IF_ERROR(s->DeleteRecord(subject, key));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RecordInfo>> Vault::List(const Caller& caller,
                                                    std::string_view subject) {
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(subject));
  Resource resource{Resource::Kind::kSubject,   subject, "", jurisdiction,
                    Classification::kProtected, ""};
  RETURN_IF_ERROR(Authorize(caller, Action::kList, resource));
  std::map<std::string, RecordInfo> merged;  // the first site in lookup order wins
  for (SiteStore* s : ReadableSites(jurisdiction)) {
    RETURN_IF_ERROR(s->ListRecords(subject, [&](std::string_view key, const StoredRecord& r) {
      merged.try_emplace(std::string(key),
                         RecordInfo{std::string(key), s->site().id, r.version, r.classification});
    }));
  }
  std::vector<RecordInfo> out;
  out.reserve(merged.size());
  for (auto& [k, info] : merged) out.push_back(std::move(info));
  return out;
}

}  // namespace domicile::vault
