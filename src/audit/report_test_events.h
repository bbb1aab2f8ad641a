// Helpers shared by the report's tests only: events as the node writes them, and a report
// built from a list of entries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event_report.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/bytes.h"

namespace domicile::audit::testing {

// Canonical events (docs/events.md): keys sorted, no whitespace.
inline std::string Access(std::string_view time, std::string_view principal,
                          std::string_view entity, std::string_view location,
                          std::string_view action, std::string_view cls,
                          std::string_view jurisdiction, std::string_view decision) {
  nlohmann::json j = {
      {"v", 1},
      {"kind", "access"},
      {"time", time},
      {"node", "us-1"},
      {"principal",
       {{"id", principal},
        {"type", "User"},
        {"entity", entity},
        {"location", location},
        {"roles", nlohmann::json::array({"support"})}}},
      {"action", action},
      {"resource",
       {{"type", "record"},
        {"subject", "u1"},
        {"key", "email"},
        {"class", cls},
        {"site", "oci-us-tx"},
        {"jurisdiction", jurisdiction}}},
      {"decision", decision},
      {"reason", "because"},
      {"determining", nlohmann::json::array({"p"})},
      {"policy_sha256", "aa"},
  };
  return j.dump();
}

// The report over `entries`, entry i at index i.
inline EventReport Build(const std::vector<std::string>& entries,
                         std::optional<std::string> since = {}) {
  absl::StatusOr<EventReportBuilder> b = EventReportBuilder::Create(std::move(since));
  EXPECT_TRUE(b.ok()) << b.status();
  for (size_t i = 0; i < entries.size(); ++i) b->Add(i, AsBytes(entries[i]));
  return std::move(*b).Finish();
}

}  // namespace domicile::audit::testing
