// The auditor's report over the verified entries of a log (docs/events.md, docs/audit.md):
// events by kind, decision, principal entity and location; protected reads by principals
// outside the data's jurisdiction (the number that must be 0); denied attempts per principal;
// policy changes; node starts and stops; grant steps, people reading protected data without a
// grant, and break-glass grants not yet reviewed; the key custodian's decisions; and the
// lifecycle operations (lifecycle_report.h): migrations, shred attestations, what legacy sites
// still hold, erasures. Entries that are not events (not JSON objects
// with "v": 1 and a string "kind") are counted as unparsable, never an error: a log may hold
// arbitrary entries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "audit/lifecycle_report.h"
#include "util/bytes.h"

namespace domicile::audit {

struct DeniedAttempts {
  uint64_t count = 0;
  std::string first_time, last_time;  // as written in the events ("" if none had a time)
};

struct PolicyChange {
  uint64_t index = 0;
  std::string time, principal, old_sha256, new_sha256;
};

struct NodeLifecycle {
  uint64_t index = 0;
  std::string time, node, operation, version, config_sha256, policy_sha256;
  std::optional<uint64_t> log_size;
};

// A break-glass grant seen active in the log, and whether a full quorum has reviewed it since.
struct BreakGlass {
  std::string id, requester, scope, activated_time;
  uint64_t activated_index = 0;
  bool reviewed = false;
};

// A key the custodian refused to release (a "custodian" event with decision "deny").
struct CustodianRefusal {
  uint64_t index = 0;
  std::string time, principal, reason;
};

struct EventReport {
  // The verified checkpoint the report covers.
  std::string origin;
  uint64_t log_size = 0;
  std::string root;  // base64, as in the checkpoint
  std::optional<std::string> since;

  uint64_t entries = 0;            // entries read
  uint64_t events = 0;             // events counted (at or after --since)
  uint64_t unparsable = 0;         // entries that are not events
  uint64_t excluded_by_since = 0;  // events before --since, or without a valid time
  std::map<std::string, uint64_t> by_kind;
  std::map<std::string, uint64_t> by_decision;  // access events
  std::map<std::string, uint64_t> by_principal_entity;
  std::map<std::string, uint64_t> by_principal_location;
  // Indices of access events that allowed a read of protected data to a principal whose
  // location is not the data's jurisdiction (or either is missing). Must be empty.
  std::vector<uint64_t> protected_reads_outside_jurisdiction;
  std::map<std::string, DeniedAttempts> denied;  // by principal id
  std::vector<PolicyChange> policy_changes;
  std::vector<NodeLifecycle> node_events;
  // Allowed reads of protected data by a User (a person) that named no grant. With a policy
  // that passes the lint this is 0.
  std::vector<uint64_t> protected_reads_by_people_without_grant;
  std::map<std::string, uint64_t> grant_steps;  // grant events by step
  std::vector<BreakGlass> break_glass;          // in order of activation
  // The key custodian's decisions (custodian events) by decision, its refusals, and the
  // indices of protected data keys it released to a principal located outside the data's
  // jurisdiction (must be empty).
  std::map<std::string, uint64_t> custodian_decisions;
  std::vector<CustodianRefusal> custodian_refusals;
  std::vector<uint64_t> keys_released_outside_jurisdiction;
  // Migrations, shred attestations, what legacy sites still hold, erasures.
  LifecycleReport lifecycle;
};

// Parses an RFC 3339 time ("2026-11-22T10:00:00Z", "...00.123+01:00").
absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text);

// Accumulates a report entry by entry.
class EventReportBuilder {
 public:
  // `since` (RFC 3339) keeps only events whose "time" is at or after it. InvalidArgument if
  // it does not parse.
  static absl::StatusOr<EventReportBuilder> Create(std::optional<std::string> since);

  void Add(uint64_t index, ByteView entry);
  EventReport Finish() &&;

 private:
  EventReportBuilder() = default;
  struct Times {
    absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  };

  std::optional<absl::Time> since_;
  EventReport report_;
  std::map<std::string, Times> denied_times_;
  LifecycleTally lifecycle_tally_;
};

// The report over the verified mirror in `state_dir` (audit_state.h). FailedPrecondition if
// the directory holds no verified state.
absl::StatusOr<EventReport> ReportFromState(const std::filesystem::path& state_dir,
                                            std::optional<std::string> since);

// Human-readable, with the outside-jurisdiction count on its own prominent line.
std::string FormatReportText(const EventReport& report);
// The stable JSON object documented in docs/audit.md, one line, ending in a newline.
std::string FormatReportJson(const EventReport& report);

}  // namespace domicile::audit
