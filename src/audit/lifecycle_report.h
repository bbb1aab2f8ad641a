// What the auditor's report says about the lifecycle operations (docs/audit.md, "Lifecycle
// operations"): migrations and whether each verified, shred attestations and the migration each
// relied on, what legacy sites still hold by the log's account, and erasures of subjects. It is
// built from the log's "import", "migration" and "shred" events and the "access" events that
// erased a subject (docs/events.md) by lifecycle_json.h; this header is the plain result and its
// text form.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace domicile::audit {

// A "migration" event.
struct Migration {
  uint64_t index = 0;
  std::string time, principal, from, from_role, to, jurisdiction;
  uint64_t records = 0, copied = 0, bytes = 0;
  std::string source_root, target_root;  // hex, as logged
  bool verified = false;                 // as logged
  uint64_t decision_index = 0;

  bool RootsMatch() const { return !source_root.empty() && source_root == target_root; }
  // What the auditor accepts as a verified migration: logged as verified, with equal roots.
  bool Verified() const { return verified && RootsMatch(); }
};

// A "shred" event: the shred attestation.
struct ShredAttestation {
  uint64_t index = 0;
  std::string time, principal, site, site_role, jurisdiction;
  std::vector<std::string> keks_destroyed;
  uint64_t records_deleted = 0, data_keys_deleted = 0;
  bool forced = false;
  uint64_t decision_index = 0;
  // The migration the shred relied on, as the event records it (the source site's mark of its
  // verified migration); has_migration is false when the event's "migration" is null.
  bool has_migration = false;
  std::string migration_from, migration_to, migration_jurisdiction, migration_time;
  std::string migration_source_root, migration_target_root;
  uint64_t migration_records = 0;
  bool migration_verified = false;  // as recorded

  // Whether the recorded migration is a verified one of this site's data of this
  // jurisdiction (logged verified, equal roots, same site and jurisdiction).
  bool ReliedOnVerifiedMigration() const {
    return has_migration && migration_verified && !migration_source_root.empty() &&
           migration_source_root == migration_target_root && migration_from == site &&
           migration_jurisdiction == jurisdiction;
  }
};

// What one legacy site holds of one jurisdiction by the log's account: records created there by
// imports or brought back by restores, less those deleted by shreds and by erasures of subjects.
// Once a shred destroyed the site's keys of the jurisdiction, records restored there afterwards
// (a backup taken before the shred) open for nobody: they are counted apart, as unreadable, and
// later shreds and erasures at the site take from them first.
struct LegacyHolding {
  std::string site, jurisdiction;
  uint64_t imported = 0;        // the "created" of its import events
  uint64_t restored = 0;        // the "records_restored" of restores before any shred of it
  uint64_t shredded = 0;        // the "records_deleted" of its shred events (readable records)
  uint64_t erased = 0;          // the records erased at the site by erasures of subjects of it
  bool keys_destroyed = false;  // a shred of it was seen
  uint64_t unreadable = 0;      // restored after its keys were destroyed, and not deleted since

  // Negative when the log shows more deleted than imported (imports before --since, or records
  // that did not arrive by import).
  int64_t Held() const {
    return static_cast<int64_t>(imported) + static_cast<int64_t>(restored) -
           static_cast<int64_t>(shredded) - static_cast<int64_t>(erased);
  }
  // Deletes `n` records at the site: unreadable ones first once the keys are destroyed.
  void Delete(uint64_t n, uint64_t LegacyHolding::*readable_counter) {
    const uint64_t dead = keys_destroyed ? std::min(n, unreadable) : 0;
    unreadable -= dead;
    this->*readable_counter += n - dead;
  }
};

// What an erasure removed at one site.
struct ErasedAt {
  std::string site;
  uint64_t records = 0, data_keys = 0;
};

// An allowed "delete" of a subject whose effect is an erasure (the right to erasure).
struct Erasure {
  uint64_t index = 0;
  std::string time, principal, subject, jurisdiction;
  std::vector<ErasedAt> sites;  // as logged: what each site held before the erasure
};

// Running totals from which the legacy holdings are computed once the whole log is read: a
// site's role is learnt from its import, migration and shred events, which may come after the
// erasures that touched it.
struct LifecycleTally {
  using SiteJurisdiction = std::pair<std::string, std::string>;
  std::set<std::string> legacy_sites;
  std::map<SiteJurisdiction, LegacyHolding> holdings;  // every site, legacy or not
};

struct LifecycleReport {
  std::vector<Migration> migrations;     // in log order
  std::vector<ShredAttestation> shreds;  // in log order
  std::vector<LegacyHolding> legacy;     // sites seen as legacy, by (site, jurisdiction)
  std::vector<Erasure> erasures;         // in log order

  // Indices of shred events that did not rely on a verified migration (ReliedOnVerifiedMigration).
  std::vector<uint64_t> ShredsWithoutVerifiedMigration() const;
  // Indices of migration events that did not verify.
  std::vector<uint64_t> MigrationsNotVerified() const;
  // The sum of the positive Held() of `legacy`: 0 once every legacy copy is shredded.
  uint64_t RecordsAtLegacySites() const;
};

// The legacy holdings of `tally`, for the sites it saw as legacy, sorted by (site,
// jurisdiction).
std::vector<LegacyHolding> LegacyHoldings(const LifecycleTally& tally);

// The headline lines (capitals, as the report's other headlines) and the sections that follow
// the report's other lists.
void AppendLifecycleHeadlines(const LifecycleReport& report, std::string& out);
void AppendLifecycleSections(const LifecycleReport& report, std::string& out);

}  // namespace domicile::audit
