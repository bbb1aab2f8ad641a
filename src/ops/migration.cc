#include "ops/migration.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ops/merkle_root.h"
#include "ops/site_keys.h"
#include "ops/sites.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::ops {
namespace {

constexpr size_t kBatchRecords = 1000;
constexpr size_t kBatchBytes = 4 << 20;
constexpr size_t kMaxHeldKeys = 4096;

std::string CursorKey(std::string_view from, std::string_view jurisdiction) {
  return fmt::format("mig/{}/{}", from, jurisdiction);
}
std::string MarkKey(std::string_view jurisdiction) {
  return fmt::format("migrated/{}", jurisdiction);
}

absl::Status Interrupted() {
  return absl::CancelledError(
      "interrupted; everything copied so far is kept: run it again to resume");
}

// The copy pass: every record of the jurisdiction at the source that the target lacks.
absl::Status Copy(vault::Vault& vault, vault::SiteStore& from, vault::SiteStore& to,
                  const std::string& jurisdiction, const vault::Justification& why,
                  Progress& progress, MigrationResult& result) {
  SiteKeys source_keys(vault.custodian(), from, why);
  SiteKeys target_keys(vault.custodian(), to, why);
  const std::string cursor_key = CursorKey(from.site().id, jurisdiction);
  std::string cursor;
  if (absl::StatusOr<std::string> saved = to.kv().Get(cursor_key); saved.ok()) {
    cursor = *saved;
  } else if (!absl::IsNotFound(saved.status())) {
    return saved.status();
  }

  store::WriteBatch batch;
  size_t batch_bytes = 0;
  std::vector<std::unique_lock<std::mutex>> writes;  // held while a batch is built and written
  auto flush = [&](std::string_view next) -> absl::Status {
    batch.Put(cursor_key, next);
    RETURN_IF_ERROR(to.kv().Write(batch));
    writes.clear();
    batch = store::WriteBatch();
    batch_bytes = 0;
    target_keys.MarkStored();
    if (source_keys.size() + target_keys.size() > kMaxHeldKeys) {
      source_keys.Forget();
      target_keys.Forget();
    }
    if (progress.cancel.load()) return Interrupted();
    return absl::OkStatus();
  };
  absl::Status copied = ForEachRecordOf(
      vault, from, jurisdiction, cursor,
      [&](std::string_view store_key, std::string_view subject, std::string_view key,
          vault::StoredRecord record) -> absl::Status {
        if (writes.empty()) writes = vault.LockAllSubjects();
        progress.records.fetch_add(1);
        progress.bytes.fetch_add(record.envelope.size());
        ASSIGN_OR_RETURN(std::optional<vault::StoredRecord> there, to.GetRecord(subject, key));
        if (!there.has_value()) {
          ASSIGN_OR_RETURN(SiteKeys::Key open, source_keys.Get(subject, record.key_class, false));
          keys::RecordBinding source_binding{from.site().id, subject, key,
                                             vault::ClassificationName(record.classification),
                                             record.version};
          ASSIGN_OR_RETURN(Bytes plain,
                           keys::OpenValue(open.key->view(), source_binding, record.envelope));
          ASSIGN_OR_RETURN(SiteKeys::Key seal,
                           target_keys.Get(subject, record.classification, true));
          if (seal.created.has_value()) {
            batch.Put(vault::DataKeyStoreKey(subject, record.classification),
                      AsChars(keys::EncodeWrappedDataKey(*seal.created)));
          }
          keys::RecordBinding target_binding = source_binding;
          target_binding.site = to.site().id;
          vault::StoredRecord moved = record;
          moved.key_class = record.classification;
          ASSIGN_OR_RETURN(moved.envelope,
                           keys::SealValue(seal.key->view(), target_binding, plain));
          std::string encoded = vault::EncodeStoredRecord(moved);
          batch_bytes += encoded.size();
          batch.Put(vault::RecordStoreKey(subject, key), std::move(encoded));
          ++result.copied;
        }
        if (batch.size() >= kBatchRecords || batch_bytes >= kBatchBytes) {
          // Resume after this record: the smallest key greater than it.
          return flush(std::string(store_key) + '\0');
        }
        return absl::OkStatus();
      });
  if (!copied.ok()) {
    target_keys.Forget();  // keys made for an unwritten batch are gone with it
    return copied;
  }
  if (!batch.empty()) RETURN_IF_ERROR(to.kv().Write(batch));
  return absl::OkStatus();
}

// The verify pass: both roots over the jurisdiction's records at the source.
absl::Status Verify(vault::Vault& vault, vault::SiteStore& from, vault::SiteStore& to,
                    const std::string& jurisdiction, const vault::Justification& why,
                    Progress& progress, MigrationResult& result) {
  SiteKeys source_keys(vault.custodian(), from, why);
  SiteKeys target_keys(vault.custodian(), to, why);
  MerkleRoot source_root, target_root;
  uint64_t missing = 0;
  RETURN_IF_ERROR(ForEachRecordOf(
      vault, from, jurisdiction, "",
      [&](std::string_view, std::string_view subject, std::string_view key,
          vault::StoredRecord record) -> absl::Status {
        progress.records.fetch_add(1);
        progress.bytes.fetch_add(record.envelope.size());
        if (progress.cancel.load()) return Interrupted();
        if (source_keys.size() + target_keys.size() > kMaxHeldKeys) {
          source_keys.Forget();
          target_keys.Forget();
        }
        ASSIGN_OR_RETURN(SiteKeys::Key open, source_keys.Get(subject, record.key_class, false));
        keys::RecordBinding binding{from.site().id, subject, key,
                                    vault::ClassificationName(record.classification),
                                    record.version};
        ASSIGN_OR_RETURN(Bytes plain, keys::OpenValue(open.key->view(), binding, record.envelope));
        source_root.Add(RecordLeaf(subject, key, record.version, plain));
        result.bytes += plain.size();
        ++result.records;
        ASSIGN_OR_RETURN(std::optional<vault::StoredRecord> there, to.GetRecord(subject, key));
        if (!there.has_value()) {
          ++missing;
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(SiteKeys::Key theirs, target_keys.Get(subject, there->key_class, false));
        keys::RecordBinding target_binding{to.site().id, subject, key,
                                           vault::ClassificationName(there->classification),
                                           there->version};
        ASSIGN_OR_RETURN(Bytes copy,
                         keys::OpenValue(theirs.key->view(), target_binding, there->envelope));
        target_root.Add(RecordLeaf(subject, key, there->version, copy));
        return absl::OkStatus();
      }));
  result.source_root = source_root.Root();
  result.target_root = target_root.Root();
  result.verified = missing == 0 && result.source_root == result.target_root;
  return absl::OkStatus();
}

uint64_t CountRecords(vault::Vault& vault, vault::SiteStore& site, const std::string& jurisdiction,
                      uint64_t& bytes) {
  uint64_t n = 0;
  bytes = 0;
  absl::Status counted = ForEachRecordOf(
      vault, site, jurisdiction, "",
      [&](std::string_view, std::string_view, std::string_view, vault::StoredRecord r) {
        ++n;
        bytes += r.envelope.size();
        return absl::OkStatus();
      });
  return counted.ok() ? n : 0;  // only an estimate for the progress bar
}

}  // namespace

absl::StatusOr<std::optional<nlohmann::json>> MigratedMark(vault::SiteStore& source,
                                                           std::string_view jurisdiction) {
  absl::StatusOr<std::string> raw = source.kv().Get(MarkKey(jurisdiction));
  if (absl::IsNotFound(raw.status())) return std::nullopt;
  RETURN_IF_ERROR(raw.status());
  nlohmann::json mark = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!mark.is_object()) {
    return absl::DataLossError(fmt::format("site '{}': the migration mark of {} is malformed",
                                           source.site().id, jurisdiction));
  }
  return mark;
}

absl::StatusOr<MigrationResult> Migrate(vault::Vault& vault, const vault::Caller& caller,
                                        const MigrationRequest& request, Progress& progress) {
  if (caller.principal == nullptr) return absl::UnauthenticatedError("no principal");
  ASSIGN_OR_RETURN(vault::SiteStore * from, SiteNamed(vault, request.from));
  ASSIGN_OR_RETURN(vault::SiteStore * to, SiteNamed(vault, request.to));
  MigrationResult result;
  result.jurisdiction = request.jurisdiction;
  if (result.jurisdiction.empty()) {
    if (from->site().legacy_of.size() != 1) {
      return absl::InvalidArgumentError(
          fmt::format("site '{}' holds data of {} jurisdictions: name one with --jurisdiction",
                      request.from, from->site().legacy_of.size()));
    }
    result.jurisdiction = from->site().legacy_of[0];
  }
  const std::string& j = result.jurisdiction;
  const vault::Resource resource = SiteResource(from->site(), j, to->site().id);
  const vault::Decision d = vault.Decide(caller, vault::Action::kMigrate, resource);
  if (!d.allow) return vault.LogDecision(caller, vault::Action::kMigrate, resource, d).status();
  absl::Status refusal;
  if (from == to) {
    refusal = absl::InvalidArgumentError("a site cannot be migrated to itself");
  } else if (from->site().role == vault::SiteRole::kBackup) {
    refusal = absl::InvalidArgumentError(
        fmt::format("site '{}' is a backup site: restore its backups instead", request.from));
  } else if (to->site().role != vault::SiteRole::kPrimary) {
    refusal = ResidencyViolationError(
        fmt::format("site '{}' is not a primary site: data is migrated to a primary", request.to));
  } else if (from->kv().Get(fmt::format("shredded/{}", j)).ok()) {
    refusal = absl::FailedPreconditionError(fmt::format(
        "{} data at site '{}' was shredded: its keys are destroyed and nothing of it can be "
        "migrated",
        j, request.from));
  } else {
    refusal = MayHoldLiveData(vault, to->site(), j);
  }
  if (!refusal.ok()) {
    return LogRefusal(vault, caller, vault::Action::kMigrate, resource, d, refusal,
                      ErrorCodeOf(refusal));
  }
  ASSIGN_OR_RETURN(uint64_t decided,
                   vault.LogDecision(caller, vault::Action::kMigrate, resource, d));
  progress.started.store(true);

  vault::Justification why;
  why.principal = *caller.principal;
  why.action = vault::Action::kMigrate;
  why.jurisdiction = j;
  why.log_index = decided;
  uint64_t total_bytes = 0;
  progress.phase.store("counting");
  const uint64_t total = CountRecords(vault, *from, j, total_bytes);
  progress.Phase("copying", total, total_bytes);
  RETURN_IF_ERROR(Copy(vault, *from, *to, j, why, progress, result));
  progress.Phase("verifying", total, total_bytes);
  RETURN_IF_ERROR(Verify(vault, *from, *to, j, why, progress, result));

  nlohmann::json details = {{"from", request.from},
                            {"from_role", vault::SiteRoleName(from->site().role)},
                            {"to", request.to},
                            {"jurisdiction", j},
                            {"records", result.records},
                            {"copied", result.copied},
                            {"bytes", result.bytes},
                            {"source_root", HexEncode(result.source_root)},
                            {"target_root", HexEncode(result.target_root)},
                            {"verified", result.verified},
                            {"decision_index", decided}};
  if (result.verified) {
    // The mark first, then the event: a crash between them leaves a verified mark whose event
    // a second run writes (it copies nothing and verifies again).
    nlohmann::json mark = details;
    mark["time"] = vault::FormatEventTime(vault.clock()->Now());
    store::WriteBatch done;
    done.Put(MarkKey(j), mark.dump());
    RETURN_IF_ERROR(from->kv().Write(done));
    RETURN_IF_ERROR(to->kv().Delete(CursorKey(request.from, j)));
  } else {
    RETURN_IF_ERROR(from->kv().Delete(MarkKey(j)));  // an earlier verification no longer holds
  }
  ASSIGN_OR_RETURN(result.log_index,
                   vault.LogEvent(vault::LifecycleEvent(vault.event_source(), vault.clock()->Now(),
                                                        "migration", *caller.principal, details)));
  if (!result.verified) {
    return vault::WithLogIndex(
        absl::FailedPreconditionError(fmt::format(
            "migration of {} data from '{}' to '{}' did not verify: source root {} over {} "
            "records, target root {}; the source is not marked migrated",
            j, request.from, request.to, HexEncode(result.source_root), result.records,
            HexEncode(result.target_root))),
        result.log_index);
  }
  return result;
}

}  // namespace domicile::ops
