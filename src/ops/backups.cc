#include "ops/backups.h"

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "ops/backup.h"
#include "ops/sites.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::ops {
namespace {

// Decides `action` on `site` for each jurisdiction, logging each decision; returns the index of
// the last one. Denied (logged) at the first refusal.
absl::StatusOr<uint64_t> DecideEach(vault::Vault& vault, const vault::Caller& caller,
                                    vault::Action action, const vault::Site& site,
                                    const std::vector<std::string>& jurisdictions,
                                    std::string_view peer,
                                    const std::function<absl::Status(const std::string&)>& rule,
                                    std::string_view rule_name) {
  if (jurisdictions.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("site '{}' holds the data of no jurisdiction", site.id));
  }
  // Every decision before anything is logged as allowed: a refusal for one jurisdiction
  // refuses the operation.
  std::vector<vault::Decision> decisions;
  for (const std::string& j : jurisdictions) {
    const vault::Resource resource = SiteResource(site, j, peer);
    vault::Decision d = vault.Decide(caller, action, resource);
    if (!d.allow) return vault.LogDecision(caller, action, resource, d).status();
    if (absl::Status broken = rule(j); !broken.ok()) {
      return LogRefusal(vault, caller, action, resource, d, broken, std::string(rule_name));
    }
    decisions.push_back(std::move(d));
  }
  uint64_t index = 0;
  for (size_t i = 0; i < jurisdictions.size(); ++i) {
    ASSIGN_OR_RETURN(index,
                     vault.LogDecision(caller, action, SiteResource(site, jurisdictions[i], peer),
                                       decisions[i]));
  }
  return index;
}

}  // namespace

BackupDestinations::BackupDestinations(vault::Vault& vault) {
  for (const vault::Site& site : vault.sites()) {
    if (site.role != vault::SiteRole::kBackup) continue;
    stores_.push_back(std::make_unique<KvBackupStore>(&vault.FindSite(site.id)->kv()));
    destinations_[site.id] = {site.id, site.jurisdiction, "site", stores_.back().get()};
  }
}

void BackupDestinations::AddDirectory(std::string id, std::string jurisdiction,
                                      std::filesystem::path path) {
  stores_.push_back(std::make_unique<DirectoryBackupStore>(std::move(path)));
  destinations_[id] = {id, std::move(jurisdiction), "directory", stores_.back().get()};
}

absl::StatusOr<BackupDestination> BackupDestinations::Find(std::string_view id) const {
  auto it = destinations_.find(id);
  if (it == destinations_.end()) {
    return absl::InvalidArgumentError(fmt::format(
        "unknown backup destination '{}': name a backup site or a [[backup_dirs]] entry", id));
  }
  return it->second;
}

absl::StatusOr<nlohmann::json> RunBackup(vault::Vault& vault, const vault::Caller& caller,
                                         const BackupDestinations& destinations,
                                         const CheckpointFn& checkpoint,
                                         const BackupRequest& request, Progress& progress) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(vault::SiteStore * site, SiteNamed(vault, request.site));
  ASSIGN_OR_RETURN(BackupDestination dest, destinations.Find(request.to));
  if (site->site().role == vault::SiteRole::kBackup) {
    return absl::InvalidArgumentError(fmt::format(
        "site '{}' is a backup site: it holds backups, not data to back up", request.site));
  }
  const std::vector<std::string> held = JurisdictionsOf(vault, site->site());
  ASSIGN_OR_RETURN(
      uint64_t decided,
      DecideEach(
          vault, caller, vault::Action::kBackup, site->site(), held, request.to,
          [&](const std::string& j) -> absl::Status {
            if (vault.rules().MayHoldBackup(dest.id, j)) return absl::OkStatus();
            return ResidencyViolationError(fmt::format(
                "the residency rules do not allow backups of {} data at '{}' ({}, in {})", j,
                dest.id, dest.kind, dest.jurisdiction));
          },
          error_code::kResidencyViolation));
  progress.started.store(true);
  BackupParams params;
  params.site = site->site().id;
  params.site_jurisdiction = site->site().jurisdiction;
  params.jurisdictions = held;
  ASSIGN_OR_RETURN(params.checkpoint, checkpoint());
  params.clock = vault.clock();
  progress.Phase("backing up", 0, 0);
  ASSIGN_OR_RETURN(BackupManifest m, TakeBackup(
                                         site->kv(), *dest.store, params,
                                         [&](uint64_t entries, uint64_t bytes) {
                                           progress.records.store(entries);
                                           progress.bytes.store(bytes);
                                         },
                                         &progress.cancel));
  nlohmann::json details = {{"site", request.site},
                            {"destination", dest.id},
                            {"destination_kind", dest.kind},
                            {"destination_jurisdiction", dest.jurisdiction},
                            {"jurisdictions", held},
                            {"backup", m.id},
                            {"records", m.records},
                            {"data_keys", m.data_keys},
                            {"entries", m.entries},
                            {"bytes", m.bytes},
                            {"root", m.root},
                            {"decision_index", decided}};
  ASSIGN_OR_RETURN(uint64_t index,
                   vault.LogEvent(vault::LifecycleEvent(vault.event_source(), vault.clock()->Now(),
                                                        "backup", *caller.principal, details)));
  details["log_index"] = index;
  details["id"] = m.id;
  return details;
}

absl::StatusOr<nlohmann::json> RunRestore(vault::Vault& vault, const vault::Caller& caller,
                                          const BackupDestinations& destinations,
                                          const RestoreRequest& request, Progress& progress) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(vault::SiteStore * site, SiteNamed(vault, request.site));
  ASSIGN_OR_RETURN(BackupDestination source, destinations.Find(request.from));
  RETURN_IF_ERROR(ValidateBackupId(request.backup));
  absl::StatusOr<std::string> raw = source.store->ReadManifest(request.backup);
  if (absl::IsNotFound(raw.status())) {
    return absl::NotFoundError(
        fmt::format("'{}' holds no complete backup '{}'", request.from, request.backup));
  }
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(BackupManifest manifest, ParseManifest(*raw));
  ASSIGN_OR_RETURN(uint64_t decided, DecideEach(
                                         vault, caller, vault::Action::kRestore, site->site(),
                                         manifest.jurisdictions, request.from,
                                         [&](const std::string& j) {
                                           return MayHoldLiveData(vault, site->site(), j);
                                         },
                                         error_code::kResidencyViolation));
  progress.started.store(true);
  RestoreParams params;
  params.site = request.site;
  params.skip_subject = [&vault](std::string_view subject) {
    absl::StatusOr<std::optional<int64_t>> erased = vault.subjects().ErasedAt(subject);
    return !erased.ok() || erased->has_value();  // in doubt, nothing comes back
  };
  progress.Phase("restoring", manifest.entries, manifest.bytes);
  // Live writes to a primary wait while its data comes back (a legacy site takes none).
  std::vector<std::unique_lock<std::mutex>> writes;
  if (site->site().role == vault::SiteRole::kPrimary) writes = vault.LockAllSubjects();
  ASSIGN_OR_RETURN(RestoreResult r, Restore(
                                        *source.store, request.backup, site->kv(), params,
                                        [&](uint64_t entries, uint64_t bytes) {
                                          progress.records.store(entries);
                                          progress.bytes.store(bytes);
                                        },
                                        &progress.cancel));
  writes.clear();
  vault.ForgetDataKeys();
  nlohmann::json details = {{"site", request.site},
                            {"site_role", vault::SiteRoleName(site->site().role)},
                            {"source", source.id},
                            {"backup", request.backup},
                            {"jurisdictions", manifest.jurisdictions},
                            {"records_restored", r.records_restored},
                            {"data_keys_restored", r.data_keys_restored},
                            {"skipped_erased", r.skipped_erased},
                            {"conflicts", r.conflicts},
                            {"kept_newer", r.kept_newer},
                            {"root", manifest.root},
                            {"decision_index", decided}};
  ASSIGN_OR_RETURN(uint64_t index,
                   vault.LogEvent(vault::LifecycleEvent(vault.event_source(), vault.clock()->Now(),
                                                        "restore", *caller.principal, details)));
  details["log_index"] = index;
  return details;
}

}  // namespace domicile::ops
