// The lifecycle part of the auditor's report (lifecycle_report.h) read from the log's events
// and written as JSON. Internal to the report: event_report.cc hands it every event it counts.
#pragma once

#include <cstdint>
#include <string>

#include "audit/lifecycle_report.h"
#include "nlohmann/json.hpp"

namespace domicile::audit {

// Takes what the lifecycle report needs from one event of kind `kind` (already known to be an
// event, and kept by --since): "import", "migration" and "shred" events, and allowed "access"
// deletes of a subject whose effect is an erasure. Ignores everything else, including kinds it
// does not know (such as "backup" and "restore").
void AddLifecycleEvent(uint64_t index, const std::string& kind, const nlohmann::json& event,
                       LifecycleReport& report, LifecycleTally& tally);

// Adds the report's lifecycle members (docs/audit.md) to `out`: "migrations",
// "migrations_not_verified", "shreds", "shreds_without_verified_migration", "legacy_holdings",
// "records_at_legacy_sites", "erasures".
void AddLifecycleJson(const LifecycleReport& report, nlohmann::json& out);

}  // namespace domicile::audit
