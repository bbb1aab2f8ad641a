#include "ops/shred.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ops/migration.h"
#include "ops/site_keys.h"
#include "ops/sites.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::ops {
namespace {

constexpr size_t kBatch = 1000;

std::string BegunKey(std::string_view j) { return fmt::format("shredding/{}", j); }
std::string ShreddedKey(std::string_view j) { return fmt::format("shredded/{}", j); }

// The begun mark: the decision, and what earlier runs deleted (so that a resumed shred attests
// the whole).
std::string BegunMark(uint64_t decided, bool forced, const ShredResult& r) {
  return nlohmann::json({{"decision_index", decided},
                         {"forced", forced},
                         {"records_deleted", r.records},
                         {"data_keys_deleted", r.data_keys}})
      .dump();
}

// Deletes the jurisdiction's records, then its subjects' wrapped data keys, in batches, each
// with the running counts in the begun mark.
absl::Status DeleteData(vault::Vault& vault, vault::SiteStore& site, const std::string& j,
                        uint64_t decided, Progress& progress, ShredResult& result) {
  store::WriteBatch batch;
  RETURN_IF_ERROR(
      ForEachRecordOf(vault, site, j, "",
                      [&](std::string_view store_key, std::string_view, std::string_view,
                          vault::StoredRecord record) -> absl::Status {
                        batch.Delete(store_key);
                        ++result.records;
                        progress.records.fetch_add(1);
                        progress.bytes.fetch_add(record.envelope.size());
                        if (batch.size() < kBatch) return absl::OkStatus();
                        batch.Put(BegunKey(j), BegunMark(decided, result.forced, result));
                        RETURN_IF_ERROR(site.kv().Write(batch));
                        batch = store::WriteBatch();
                        return absl::OkStatus();
                      }));
  absl::Status lookup;
  for (std::string_view prefix : {"k/", "kp/"}) {
    RETURN_IF_ERROR(site.kv().Scan(prefix, [&](std::string_view store_key, std::string_view) {
      std::string_view subject;
      if (!vault::ParseDataKeyStoreKey(store_key, subject)) return true;
      absl::StatusOr<std::string> home = vault.SubjectJurisdiction(subject);
      if (!home.ok() && !absl::IsNotFound(home.status())) {
        lookup = home.status();
        return false;
      }
      if (home.ok() && *home == j) {
        batch.Delete(store_key);
        ++result.data_keys;
      }
      return true;
    }));
    RETURN_IF_ERROR(lookup);
  }
  batch.Put(BegunKey(j), BegunMark(decided, result.forced, result));
  return site.kv().Write(batch);
}

}  // namespace

absl::StatusOr<ShredResult> Shred(vault::Vault& vault, const vault::Caller& caller,
                                  const ShredRequest& request, Progress& progress) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(vault::SiteStore * site, SiteNamed(vault, request.site));
  ShredResult result;
  result.forced = request.force;
  result.jurisdiction = request.jurisdiction;
  if (result.jurisdiction.empty()) {
    std::vector<std::string> held = JurisdictionsOf(vault, site->site());
    if (held.size() != 1) {
      return absl::InvalidArgumentError(
          fmt::format("site '{}' holds data of {} jurisdictions: name one with --jurisdiction",
                      request.site, held.size()));
    }
    result.jurisdiction = held[0];
  }
  const std::string& j = result.jurisdiction;
  const vault::Action action = request.force ? vault::Action::kShredForce : vault::Action::kShred;
  const vault::Resource resource = SiteResource(site->site(), j);
  const vault::Decision d = vault.Decide(caller, action, resource);
  if (!d.allow) return vault.LogDecision(caller, action, resource, d).status();

  // Safe only after a verified migration that still covers every record, or a shred begun.
  ASSIGN_OR_RETURN(std::optional<nlohmann::json> migrated, MigratedMark(*site, j));
  // A shred begun earlier: resumed, counting what that run deleted.
  std::optional<nlohmann::json> begun;
  if (absl::StatusOr<std::string> raw = site->kv().Get(BegunKey(j)); raw.ok()) {
    begun = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
    if (!begun->is_object()) return absl::DataLossError("the shred's begun mark is malformed");
    result.records = begun->value("records_deleted", uint64_t{0});
    result.data_keys = begun->value("data_keys_deleted", uint64_t{0});
  } else if (!absl::IsNotFound(raw.status())) {
    return raw.status();
  }
  // Shredded before: its keys are gone, so what is left (restored from a backup) opens for
  // nobody and may go without a migration; when nothing is left there is nothing to do.
  const bool shredded_before = site->kv().Get(ShreddedKey(j)).ok();
  uint64_t records_now = 0;
  RETURN_IF_ERROR(ForEachRecordOf(
      vault, *site, j, "",
      [&](std::string_view, std::string_view, std::string_view, vault::StoredRecord) {
        ++records_now;
        return absl::OkStatus();
      }));
  absl::Status refusal;
  if (shredded_before && !begun.has_value() && records_now == 0) {
    refusal = absl::FailedPreconditionError(fmt::format(
        "{} data at site '{}' was already shredded and nothing of it is left", j, request.site));
  } else if (!request.force && !begun.has_value() && !shredded_before) {
    if (!migrated.has_value()) {
      refusal = absl::FailedPreconditionError(fmt::format(
          "no verified migration of {} data from site '{}': migrate it first (or --force, which "
          "needs its own permission and is recorded as forced)",
          j, request.site));
    } else if (migrated->value("records", uint64_t{0}) != records_now) {
      refusal = absl::FailedPreconditionError(fmt::format(
          "site '{}' holds {} records of {} but its verified migration covered {}: migrate again",
          request.site, records_now, j, migrated->value("records", uint64_t{0})));
    }
  }
  if (!refusal.ok()) {
    return LogRefusal(vault, caller, action, resource, d, refusal,
                      shredded_before ? "already_shredded" : "no_verified_migration");
  }
  ASSIGN_OR_RETURN(uint64_t decided, vault.LogDecision(caller, action, resource, d));
  progress.started.store(true);
  RETURN_IF_ERROR(site->kv().Put(BegunKey(j), BegunMark(decided, request.force, result)));

  // The keys first: from this moment nothing of this data can be read, anywhere.
  progress.phase.store("destroying keys");
  vault::Justification why;
  why.principal = *caller.principal;
  why.action = action;
  why.kind = vault::Resource::Kind::kSite;
  why.site = request.site;
  why.jurisdiction = j;
  why.log_index = decided;
  for (vault::Classification cls :
       {vault::Classification::kProtected, vault::Classification::kPublic}) {
    const std::string kek = KekFor(request.site, j, cls);
    RETURN_IF_ERROR(vault.custodian().DestroyKek(why, kek));
    result.keks_destroyed.push_back(kek);
  }
  vault.ForgetDataKeys();

  progress.Phase("deleting", records_now, 0);
  RETURN_IF_ERROR(DeleteData(vault, *site, j, decided, progress, result));
  nlohmann::json details = {{"site", request.site},
                            {"site_role", vault::SiteRoleName(site->site().role)},
                            {"jurisdiction", j},
                            {"keks_destroyed", result.keks_destroyed},
                            {"records_deleted", result.records},
                            {"data_keys_deleted", result.data_keys},
                            {"forced", request.force},
                            {"migration", migrated.has_value() ? *migrated : nlohmann::json()},
                            {"decision_index", decided}};
  store::WriteBatch done;
  done.Put(ShreddedKey(j), details.dump());
  done.Delete(BegunKey(j));
  RETURN_IF_ERROR(site->kv().Write(done));
  ASSIGN_OR_RETURN(result.log_index,
                   vault.LogEvent(vault::LifecycleEvent(vault.event_source(), vault.clock()->Now(),
                                                        "shred", *caller.principal, details)));
  return result;
}

}  // namespace domicile::ops
