#include "vault/vault.h"

#include <functional>
#include <future>
#include <map>
#include <memory>

#include "crypto/sha256.h"
#include "fmt/format.h"
#include "keys/envelope.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "vault/names.h"

namespace domicile::vault {

absl::StatusOr<std::unique_ptr<Vault>> Vault::Create(std::vector<std::unique_ptr<SiteStore>> sites,
                                                     std::unique_ptr<store::KvStore> meta,
                                                     ResidencyRules rules,
                                                     std::unique_ptr<KeyCustodian> custodian,
                                                     std::unique_ptr<Decider> decider,
                                                     const Clock* clock, VaultOptions options) {
  if (options.log == nullptr) {
    return absl::InvalidArgumentError("a vault needs an event log: every decision is logged");
  }
  if (custodian == nullptr) return absl::InvalidArgumentError("a vault needs a key custodian");
  std::unique_ptr<Vault> vault(new Vault(std::move(sites), std::move(meta), std::move(rules),
                                         std::move(custodian), std::move(decider), clock, options));
  for (const std::string& j : vault->rules_.Jurisdictions()) {
    for (const std::string& site_id : vault->rules_.PrimarySites(j)) {
      if (vault->FindSite(site_id) == nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("residency rule for {} names unknown site '{}'", j, site_id));
      }
      RETURN_IF_ERROR(vault->custodian_->EnsureKek(keys::KekId(site_id, j)));
      RETURN_IF_ERROR(vault->custodian_->EnsureKek(keys::PublicKekId(site_id, j)));
    }
  }
  return vault;
}

Vault::Vault(std::vector<std::unique_ptr<SiteStore>> sites, std::unique_ptr<store::KvStore> meta,
             ResidencyRules rules, std::unique_ptr<KeyCustodian> custodian,
             std::unique_ptr<Decider> decider, const Clock* clock, VaultOptions options)
    : sites_(std::move(sites)),
      subjects_(std::move(meta), clock),
      rules_(std::move(rules)),
      decider_(std::move(decider)),
      clock_(clock),
      options_(options),
      data_keys_(options.data_key_cache),
      custodian_(std::move(custodian)) {}

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

namespace {

// The error a request gets when its decision could not be logged: nothing happened.
absl::Status LogUnavailable(const absl::Status& cause) {
  return WithErrorCode(
      absl::UnavailableError(
          fmt::format("refused: the decision could not be written to the transparency log ({})",
                      std::string(cause.message()))),
      error_code::kUnavailable);
}

}  // namespace

absl::StatusOr<uint64_t> Vault::LogEvent(std::string event) {
  absl::StatusOr<uint64_t> index = options_.log->AppendAndWait(std::move(event));
  if (!index.ok()) return LogUnavailable(index.status());
  return index;
}

absl::StatusOr<uint64_t> Vault::LogDecision(const Caller& caller, Action action,
                                            const Resource& resource, const Decision& decision,
                                            const nlohmann::json& effect) {
  ASSIGN_OR_RETURN(uint64_t index,
                   LogEvent(AccessEvent(options_.source, clock_->Now(), *caller.principal, action,
                                        resource, caller.context, decision, effect)));
  if (!decision.allow) return WithLogIndex(DeniedError(decision.reason), index);
  return index;
}

absl::Status Vault::LogRefusal(const Caller& caller, Action action, const Resource& resource,
                               const Decision& allowed, absl::Status refusal) {
  Decision deny = allowed;
  deny.allow = false;
  deny.reason = std::string(refusal.message());
  deny.determining = {std::string(ErrorCodeOf(refusal))};
  absl::StatusOr<uint64_t> index = LogEvent(AccessEvent(
      options_.source, clock_->Now(), *caller.principal, action, resource, caller.context, deny));
  if (!index.ok()) return index.status();
  return WithLogIndex(std::move(refusal), *index);
}

struct Vault::PendingRead {
  absl::Status outcome;  // the error to return instead of the value, if any
  keys::WrappedDataKey wrapped;
  StoredRecord record;
  Justification why;
  ReadDone done;
};

absl::Status Vault::GrantRevoked(std::string_view id) {
  data_keys_.DropGrant(id);
  return custodian_->GrantRevoked(id);
}

namespace {

// What the custodian is told about a request: owned copies, as it may outlive the call.
Justification Justify(const Caller& caller, Action action, const Resource& resource) {
  Justification why;
  why.principal = *caller.principal;
  why.action = action;
  why.kind = resource.kind;
  why.subject = std::string(resource.subject);
  why.key = std::string(resource.key);
  why.jurisdiction = std::string(resource.jurisdiction);
  why.site = std::string(resource.site);
  why.classification = resource.classification;
  why.grant = caller.context.grant;
  return why;
}

// What the custodian checked for a released key, naming the cache entry: the grant (when the
// request named a known one), else the principal; with the action and class in both cases, so
// that a key released for a public read never serves a protected one.
std::string Holder(const Justification& why) {
  const std::string_view cls = ClassificationName(why.classification);
  if (why.grant != nullptr && why.grant->known) {
    return fmt::format("g/{}/{}/{}", why.grant->id, ActionName(why.action), cls);
  }
  return fmt::format("p/{}/{}/{}", why.principal.id, ActionName(why.action), cls);
}

}  // namespace

void Vault::DataKey(const Justification& why, const keys::WrappedDataKey& wrapped, KeyDone done) {
  const int64_t now = clock_->NowUnixSeconds();
  std::string entry = DataKeyCache::EntryKey(Holder(why), why.site, why.subject);
  if (std::shared_ptr<const crypto::SecretBytes> key = data_keys_.Get(entry, now)) {
    return done(std::move(key));
  }
  const bool by_grant = why.grant != nullptr && why.grant->known;
  std::string grant_id = by_grant ? why.grant->id : std::string();
  const int64_t expires = by_grant ? why.grant->expires : now + options_.data_key_ttl_seconds;
  custodian_->Unwrap(why, wrapped,
                     [this, entry = std::move(entry), grant_id = std::move(grant_id), expires,
                      done = std::move(done)](absl::StatusOr<crypto::SecretBytes> key) mutable {
                       if (!key.ok()) return done(key.status());
                       auto shared = std::make_shared<const crypto::SecretBytes>(std::move(*key));
                       data_keys_.Put(std::move(entry), std::move(grant_id), shared, expires);
                       done(std::move(shared));
                     });
}

absl::StatusOr<std::shared_ptr<const crypto::SecretBytes>> Vault::DataKeyNow(
    const Justification& why, const keys::WrappedDataKey& wrapped) {
  std::promise<absl::StatusOr<std::shared_ptr<const crypto::SecretBytes>>> promise;
  auto future = promise.get_future();
  DataKey(why, wrapped, [&promise](auto key) { promise.set_value(std::move(key)); });
  return future.get();
}

Decision Vault::Decide(const Caller& caller, Action action, const Resource& resource) const {
  if (caller.principal == nullptr) return Decision{false, "no principal", {}, {}, {}};
  return decider_->Decide(*caller.principal, action, resource, caller.context);
}

std::vector<std::unique_lock<std::mutex>> Vault::LockAllSubjects() const {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stripes_.size());
  for (std::mutex& m : stripes_) locks.emplace_back(m);  // always in the same order
  return locks;
}

absl::StatusOr<uint64_t> Vault::Authorize(const Caller& caller, Action action,
                                          const Resource& resource) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  Decision d = decider_->Decide(*caller.principal, action, resource, caller.context);
  return LogDecision(caller, action, resource, d);
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

absl::StatusOr<RegisterResult> Vault::RegisterSubject(const Caller& caller, std::string_view id,
                                                      std::string_view jurisdiction) {
  RETURN_IF_ERROR(ValidateSubjectId(id));
  RETURN_IF_ERROR(ValidateJurisdiction(jurisdiction));
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  // An existing subject is decided on as it is, in its home jurisdiction; a new one in the
  // jurisdiction asked for.
  absl::StatusOr<std::string> existing = subjects_.Jurisdiction(id);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  std::string_view home = existing.ok() ? std::string_view(*existing) : jurisdiction;
  Resource resource{Resource::Kind::kSubject, id, "", home, Classification::kProtected, ""};
  Decision d = decider_->Decide(*caller.principal, Action::kWrite, resource, caller.context);
  if (!d.allow) return LogDecision(caller, Action::kWrite, resource, d).status();
  // A subject's home jurisdiction never changes.
  if (existing.ok() && *existing != jurisdiction) {
    return LogRefusal(caller, Action::kWrite, resource, d,
                      ConflictError(fmt::format("subject '{}' is registered in {}, not {}", id,
                                                *existing, jurisdiction)));
  }
  if (rules_.PrimarySites(jurisdiction).empty()) {
    return LogRefusal(caller, Action::kWrite, resource, d,
                      ResidencyViolationError(fmt::format(
                          "no site is allowed to hold data of jurisdiction {}", jurisdiction)));
  }
  ASSIGN_OR_RETURN(uint64_t index, LogDecision(caller, Action::kWrite, resource, d));
  absl::StatusOr<bool> created = subjects_.Register(id, jurisdiction);
  if (!created.ok()) return WithLogIndex(created.status(), index);
  return RegisterResult{*created, index};
}

absl::StatusOr<WriteResult> Vault::Put(const Caller& caller, const PutRequest& request) {
  RETURN_IF_ERROR(ValidateSubjectId(request.subject));
  RETURN_IF_ERROR(ValidateRecordKey(request.key));
  if (request.value.size() > options_.max_value_bytes) {
    return TooLargeError(fmt::format("value is {} bytes; the limit is {}", request.value.size(),
                                     options_.max_value_bytes));
  }
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(request.subject));
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  Resource resource{Resource::Kind::kRecord, request.subject, request.key, jurisdiction,
                    request.classification,  request.site};
  Decision d = decider_->Decide(*caller.principal, Action::kWrite, resource, caller.context);
  if (!d.allow) return LogDecision(caller, Action::kWrite, resource, d).status();

  std::lock_guard lock(StripeFor(request.subject));
  absl::StatusOr<SiteStore*> target =
      TargetSite(request.site, request.subject, request.key, jurisdiction);
  if (!target.ok()) {
    const std::string code = ErrorCodeOf(target.status());
    if (code == error_code::kResidencyViolation || code == error_code::kConflict) {
      return LogRefusal(caller, Action::kWrite, resource, d, target.status());
    }
    return target.status();
  }
  SiteStore* site = *target;
  resource.site = site->site().id;
  ASSIGN_OR_RETURN(SiteStore::CurrentRecord current,
                   site->GetRecordForUpdate(request.subject, request.key));
  const std::optional<StoredRecord>& existing = current.record;
  ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> wrapped,
                   site->GetDataKey(request.subject, request.classification));

  // The write's event is logged once the value is sealed (it records the ciphertext's hash),
  // so the custodian is asked before there is a log index to give it.
  const Justification why = Justify(caller, Action::kWrite, resource);
  std::shared_ptr<const crypto::SecretBytes> data_key;
  std::optional<keys::WrappedDataKey> new_wrapped;
  if (wrapped.has_value()) {
    ASSIGN_OR_RETURN(data_key, DataKeyNow(why, *wrapped));
  } else {
    std::string kek = request.classification == Classification::kPublic
                          ? keys::PublicKekId(site->site().id, jurisdiction)
                          : keys::KekId(site->site().id, jurisdiction);
    RETURN_IF_ERROR(custodian_->EnsureKek(kek));
    ASSIGN_OR_RETURN(keys::NewDataKey fresh, custodian_->NewDataKey(why, kek));
    data_key = std::make_shared<const crypto::SecretBytes>(std::move(fresh.plaintext));
    new_wrapped = std::move(fresh.wrapped);
  }

  StoredRecord record;
  record.classification = request.classification;
  record.version = existing.has_value() ? existing->version + 1 : 1;
  keys::RecordBinding binding{site->site().id, request.subject, request.key,
                              ClassificationName(request.classification), record.version};
  ASSIGN_OR_RETURN(record.envelope,
                   keys::SealValue(data_key->view(), binding, AsBytes(request.value)));
  nlohmann::json effect = {{"version", record.version},
                           {"created", !existing.has_value()},
                           {"ciphertext_sha256", HexEncode(crypto::Sha256(record.envelope))}};
  ASSIGN_OR_RETURN(uint64_t index, LogDecision(caller, Action::kWrite, resource, d, effect));
  absl::Status written =
      site->WriteRecord(request.subject, request.key, record,
                        new_wrapped.has_value() ? &*new_wrapped : nullptr, current);
  if (!written.ok()) return WithLogIndex(written, index);
  return WriteResult{site->site().id, record.version, !existing.has_value(), index};
}

void Vault::GetAsync(const Caller& caller, std::string_view subject, std::string_view key,
                     ReadDone done) {
  auto fail = [&done](absl::Status status) { done(std::move(status)); };
  if (absl::Status st = ValidateSubjectId(subject); !st.ok()) return fail(st);
  if (absl::Status st = ValidateRecordKey(key); !st.ok()) return fail(st);
  if (caller.principal == nullptr) return fail(absl::UnauthenticatedError("no principal"));
  absl::StatusOr<std::string> jurisdiction = subjects_.Jurisdiction(subject);
  if (!jurisdiction.ok()) return fail(jurisdiction.status());
  SiteStore* site = nullptr;
  std::optional<StoredRecord> record;
  for (SiteStore* s : ReadableSites(*jurisdiction)) {
    absl::StatusOr<std::optional<StoredRecord>> found = s->GetRecord(subject, key);
    if (!found.ok()) return fail(found.status());
    if (found->has_value()) {
      site = s;
      record = std::move(*found);
      break;
    }
  }
  // Whether a record exists is itself protected: an absent record is decided on as protected.
  Resource resource{Resource::Kind::kRecord,
                    subject,
                    key,
                    *jurisdiction,
                    site != nullptr ? record->classification : Classification::kProtected,
                    site != nullptr ? std::string_view(site->site().id) : std::string_view()};
  Decision d = decider_->Decide(*caller.principal, Action::kRead, resource, caller.context);
  std::string event = AccessEvent(options_.source, clock_->Now(), *caller.principal, Action::kRead,
                                  resource, caller.context, d);

  // What the value needs once the event is durable: the wrapped data key, the envelope, and
  // what to tell the custodian.
  auto pending = std::make_shared<PendingRead>();
  pending->done = std::move(done);
  if (!d.allow) {
    pending->outcome = DeniedError(d.reason);
  } else if (site == nullptr) {
    pending->outcome =
        absl::NotFoundError(fmt::format("subject '{}' has no record '{}'", subject, key));
  } else if (absl::StatusOr<std::optional<keys::WrappedDataKey>> wrapped =
                 site->GetDataKey(subject, record->key_class);
             !wrapped.ok()) {
    pending->outcome = wrapped.status();
  } else if (!wrapped->has_value()) {
    pending->outcome = absl::DataLossError(
        fmt::format("site '{}' holds a record of '{}' but no data key", site->site().id, subject));
  } else {
    pending->wrapped = std::move(**wrapped);
    pending->record = std::move(*record);
    pending->why = Justify(caller, Action::kRead, resource);
    // The key asked for is the one that seals the record (a format-0x01 public record's is the
    // protected one, and the custodian applies the protected rules to it).
    pending->why.classification = pending->record.key_class;
  }
  options_.log->Append(std::move(event), [this, pending](absl::StatusOr<uint64_t> index) {
    if (!index.ok()) return pending->done(LogUnavailable(index.status()));
    if (!pending->outcome.ok()) return pending->done(WithLogIndex(pending->outcome, *index));
    pending->why.log_index = *index;
    DataKey(
        pending->why, pending->wrapped,
        [pending](absl::StatusOr<std::shared_ptr<const crypto::SecretBytes>> data_key) {
          const uint64_t index = pending->why.log_index;
          if (!data_key.ok()) return pending->done(WithLogIndex(data_key.status(), index));
          const StoredRecord& r = pending->record;
          const Justification& why = pending->why;
          keys::RecordBinding binding{why.site, why.subject, why.key,
                                      ClassificationName(r.classification), r.version};
          absl::StatusOr<Bytes> plain = keys::OpenValue((*data_key)->view(), binding, r.envelope);
          if (!plain.ok()) return pending->done(WithLogIndex(plain.status(), index));
          pending->done(ReadResult{ToString(*plain), why.site, r.version, r.classification, index});
        });
  });
}

absl::StatusOr<ReadResult> Vault::Get(const Caller& caller, std::string_view subject,
                                      std::string_view key) {
  std::promise<absl::StatusOr<ReadResult>> promise;
  std::future<absl::StatusOr<ReadResult>> future = promise.get_future();
  GetAsync(caller, subject, key,
           [&promise](absl::StatusOr<ReadResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

absl::StatusOr<uint64_t> Vault::Delete(const Caller& caller, std::string_view subject,
                                       std::string_view key) {
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
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  Decision d = decider_->Decide(*caller.principal, Action::kDelete, resource, caller.context);
  nlohmann::json effect = nullptr;
  if (!holders.empty()) {
    effect = {{"sites", nlohmann::json::array()}};
    for (SiteStore* s : holders) effect["sites"].push_back(s->site().id);
  }
  ASSIGN_OR_RETURN(uint64_t index, LogDecision(caller, Action::kDelete, resource, d, effect));
  if (holders.empty()) {
    return WithLogIndex(
        absl::NotFoundError(fmt::format("subject '{}' has no record '{}'", subject, key)), index);
  }
  for (SiteStore* s : holders) {
    if (absl::Status st = s->DeleteRecord(subject, key); !st.ok()) return WithLogIndex(st, index);
  }
  return index;
}

absl::StatusOr<ListResult> Vault::List(const Caller& caller, std::string_view subject) {
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(subject));
  Resource resource{Resource::Kind::kSubject,   subject, "", jurisdiction,
                    Classification::kProtected, ""};
  ASSIGN_OR_RETURN(uint64_t index, Authorize(caller, Action::kList, resource));
  std::map<std::string, RecordInfo> merged;  // the first site in lookup order wins
  for (SiteStore* s : ReadableSites(jurisdiction)) {
    absl::Status st = s->ListRecords(subject, [&](std::string_view key, const StoredRecord& r) {
      merged.try_emplace(std::string(key),
                         RecordInfo{std::string(key), s->site().id, r.version, r.classification});
    });
    if (!st.ok()) return WithLogIndex(st, index);
  }
  ListResult out;
  out.log_index = index;
  out.records.reserve(merged.size());
  for (auto& [k, info] : merged) out.records.push_back(std::move(info));
  return out;
}

absl::StatusOr<EraseResult> Vault::EraseSubject(const Caller& caller, std::string_view subject) {
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(std::string jurisdiction, subjects_.Jurisdiction(subject));
  Resource resource{Resource::Kind::kSubject,   subject, "", jurisdiction,
                    Classification::kProtected, ""};
  Decision d = decider_->Decide(*caller.principal, Action::kDelete, resource, caller.context);
  if (!d.allow) return LogDecision(caller, Action::kDelete, resource, d).status();
  std::lock_guard lock(StripeFor(subject));
  // What each site holds, for the event; then the keys and records go, site by site.
  EraseResult result;
  nlohmann::json held = nlohmann::json::array();
  for (const auto& s : sites_) {
    uint64_t records = 0;
    RETURN_IF_ERROR(
        s->ListRecords(subject, [&](std::string_view, const StoredRecord&) { ++records; }));
    uint64_t data_keys = 0;
    for (Classification c : {Classification::kProtected, Classification::kPublic}) {
      ASSIGN_OR_RETURN(std::optional<keys::WrappedDataKey> key, s->GetDataKey(subject, c));
      if (key.has_value()) ++data_keys;
    }
    if (records == 0 && data_keys == 0) continue;
    held.push_back({{"site", s->site().id}, {"records", records}, {"data_keys", data_keys}});
  }
  nlohmann::json effect = {{"erasure", true}, {"erased", held}};
  ASSIGN_OR_RETURN(result.log_index, LogDecision(caller, Action::kDelete, resource, d, effect));
  for (const auto& s : sites_) {
    absl::StatusOr<SiteStore::Erased> erased = s->EraseSubject(subject);
    if (!erased.ok()) return WithLogIndex(erased.status(), result.log_index);
    if (erased->records == 0 && erased->data_keys == 0) continue;
    result.sites.push_back(s->site().id);
    result.records += erased->records;
    result.data_keys += erased->data_keys;
  }
  data_keys_.Clear();
  if (absl::Status st = subjects_.Erase(subject); !st.ok()) {
    return WithLogIndex(st, result.log_index);
  }
  return result;
}

}  // namespace domicile::vault
