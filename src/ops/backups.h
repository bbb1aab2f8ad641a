// Backups as node operations: where backups may go (the backup sites of the configuration,
// and backup directories declared with their jurisdiction), and the backup and restore
// operations with their decisions, residency checks and log events (docs/operations.md). The
// format and the streaming work are in backup.h.
//
//   backup:  the policy action "backup" on the site (peer: the destination), for each
//            jurisdiction whose data the site holds; refused before anything is written when the
//            residency rules do not allow that jurisdiction's backups at the destination; the
//            manifest carries the log's checkpoint at backup time; a "backup" event records
//            the id, counts and root.
//   restore: the policy action "restore" on the site (peer: the source), for each jurisdiction
//            of the backup, which the site must be able to hold; the whole backup is verified
//            before anything is written; subjects erased since are skipped; a "restore" event
//            records the counts.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "ops/backup_store.h"
#include "ops/progress.h"
#include "vault/vault.h"

namespace domicile::ops {

// A place backups go.
struct BackupDestination {
  std::string id;
  std::string jurisdiction;  // where it is
  std::string kind;          // "site" or "directory"
  BackupStore* store = nullptr;
};

class BackupDestinations {
 public:
  // The backup sites of `vault` (their stores), with no directory yet.
  explicit BackupDestinations(vault::Vault& vault);
  // Adds a backup directory.
  void AddDirectory(std::string id, std::string jurisdiction, std::filesystem::path path);
  // InvalidArgument naming `id` when there is no such destination.
  absl::StatusOr<BackupDestination> Find(std::string_view id) const;

 private:
  std::map<std::string, BackupDestination, std::less<>> destinations_;
  std::vector<std::unique_ptr<BackupStore>> stores_;
};

struct BackupRequest {
  std::string site, to;
};
struct RestoreRequest {
  std::string from, backup, site;
};

// The log's signed checkpoint now (kept in each manifest).
using CheckpointFn = std::function<absl::StatusOr<std::string>()>;

// Run a backup / a restore; the JSON result holds the backup id (backup) and the counts.
absl::StatusOr<nlohmann::json> RunBackup(vault::Vault& vault, const vault::Caller& caller,
                                         const BackupDestinations& destinations,
                                         const CheckpointFn& checkpoint,
                                         const BackupRequest& request, Progress& progress);
absl::StatusOr<nlohmann::json> RunRestore(vault::Vault& vault, const vault::Caller& caller,
                                          const BackupDestinations& destinations,
                                          const RestoreRequest& request, Progress& progress);

}  // namespace domicile::ops
