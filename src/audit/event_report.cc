#include "audit/event_report.h"

#include <algorithm>

#include "audit/audit_state.h"
#include "audit/event_fields.h"
#include "audit/lifecycle_json.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "nlohmann/json.hpp"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::audit {
namespace {

using nlohmann::json;

constexpr char kNone[] = "(none)";

std::string OrNone(std::string s) { return s.empty() ? kNone : s; }

json CountsJson(const std::map<std::string, uint64_t>& counts) {
  json out = json::object();
  for (const auto& [k, v] : counts) out[k] = v;
  return out;
}

void AppendCounts(std::string& out, std::string_view title,
                  const std::map<std::string, uint64_t>& counts) {
  out += fmt::format("{}:\n", title);
  if (counts.empty()) out += "  (none)\n";
  size_t width = 0;
  for (const auto& [k, v] : counts) width = std::max(width, k.size());
  for (const auto& [k, v] : counts) out += fmt::format("  {:<{}}  {}\n", k, width, v);
}

}  // namespace

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) {
    return absl::InvalidArgumentError(fmt::format("\"{}\" is not an RFC 3339 time", text));
  }
  return t;
}

absl::StatusOr<EventReportBuilder> EventReportBuilder::Create(std::optional<std::string> since) {
  EventReportBuilder b;
  if (since) {
    ASSIGN_OR_RETURN(absl::Time t, ParseRfc3339(*since));
    b.since_ = t;
  }
  b.report_.since = std::move(since);
  return b;
}

void EventReportBuilder::Add(uint64_t index, ByteView entry) {
  EventReport& r = report_;
  ++r.entries;
  const json j = json::parse(AsChars(entry), nullptr, /*allow_exceptions=*/false);
  const json& v = Member(j, "v");
  const std::string kind = Str(j, "kind");
  if (!j.is_object() || !v.is_number_integer() || v.get<int64_t>() != 1 || kind.empty()) {
    ++r.unparsable;
    return;
  }
  const std::string time = Str(j, "time");
  absl::StatusOr<absl::Time> at = ParseRfc3339(time);
  if (since_ && (!at.ok() || *at < *since_)) {
    ++r.excluded_by_since;
    return;
  }
  ++r.events;
  ++r.by_kind[kind];
  const json& principal = Member(j, "principal");
  const std::string principal_id = Str(principal, "id");
  const std::string location = Str(principal, "location");
  if (principal.is_object()) {
    ++r.by_principal_entity[OrNone(Str(principal, "entity"))];
    ++r.by_principal_location[OrNone(location)];
  }
  if (kind == "access") {
    const std::string decision = Str(j, "decision");
    ++r.by_decision[OrNone(decision)];
    const json& resource = Member(j, "resource");
    if (decision == "allow" && Str(j, "action") == "read" &&
        Str(resource, "class") == "protected") {
      const std::string jurisdiction = Str(resource, "jurisdiction");
      if (location.empty() || jurisdiction.empty() || location != jurisdiction) {
        r.protected_reads_outside_jurisdiction.push_back(index);
      }
      if (Str(principal, "type") == "User" && Str(j, "grant").empty()) {
        r.protected_reads_by_people_without_grant.push_back(index);
      }
    }
    if (decision == "deny") {
      const std::string id = OrNone(principal_id);
      DeniedAttempts& d = r.denied[id];
      ++d.count;
      if (at.ok()) {
        Times& times = denied_times_[id];
        if (*at < times.first) {
          times.first = *at;
          d.first_time = time;
        }
        if (*at > times.last) {
          times.last = *at;
          d.last_time = time;
        }
      }
    }
  } else if (kind == "custodian") {
    const std::string decision = Str(j, "decision");
    ++r.custodian_decisions[OrNone(decision)];
    const json& resource = Member(j, "resource");
    if (decision == "deny") {
      r.custodian_refusals.push_back({index, time, OrNone(principal_id), Str(j, "reason")});
    } else if (decision == "allow" && Str(resource, "class") == "protected" &&
               (location.empty() || location != Str(resource, "jurisdiction"))) {
      r.keys_released_outside_jurisdiction.push_back(index);
    }
  } else if (kind == "grant") {
    const std::string step = Str(j, "step");
    ++r.grant_steps[OrNone(step)];
    const json& grant = Member(j, "grant");
    const json& flag = Member(grant, "break_glass");
    if (flag.is_boolean() && flag.get<bool>()) {
      const std::string id = Str(grant, "id");
      auto it = std::find_if(r.break_glass.begin(), r.break_glass.end(),
                             [&](const BreakGlass& b) { return b.id == id; });
      if (step == "activate" && it == r.break_glass.end()) {
        r.break_glass.push_back(
            {id, Str(grant, "requester"), Str(grant, "scope"), time, index, false});
        it = r.break_glass.end() - 1;
      }
      const json& reviewed = Member(grant, "reviewed");
      if (it != r.break_glass.end() && reviewed.is_boolean() && reviewed.get<bool>()) {
        it->reviewed = true;
      }
    }
  } else if (kind == "policy") {
    r.policy_changes.push_back(
        {index, time, principal_id, Str(j, "old_sha256"), Str(j, "new_sha256")});
  } else if (kind == "node") {
    NodeLifecycle n{index,
                    time,
                    Str(j, "node"),
                    Str(j, "operation"),
                    Str(j, "version"),
                    Str(j, "config_sha256"),
                    Str(j, "policy_sha256"),
                    std::nullopt};
    if (const json& size = Member(j, "log_size"); size.is_number_unsigned()) {
      n.log_size = size.get<uint64_t>();
    }
    r.node_events.push_back(std::move(n));
  }
  AddLifecycleEvent(index, kind, j, r.lifecycle, lifecycle_tally_);
}

EventReport EventReportBuilder::Finish() && {
  report_.lifecycle.legacy = LegacyHoldings(lifecycle_tally_);
  return std::move(report_);
}

absl::StatusOr<EventReport> ReportFromState(const std::filesystem::path& state_dir,
                                            std::optional<std::string> since) {
  ASSIGN_OR_RETURN(EventReportBuilder builder, EventReportBuilder::Create(std::move(since)));
  ASSIGN_OR_RETURN(std::optional<AuditState> state, LoadAuditState(state_dir, nullptr));
  if (!state) {
    return absl::FailedPreconditionError(
        fmt::format("no verified state in {}: run `domicile audit verify ... --state {}` first",
                    state_dir.string(), state_dir.string()));
  }
  RETURN_IF_ERROR(
      ForEachMirroredEntry(state_dir, state->checkpoint.size, [&](uint64_t index, ByteView entry) {
        builder.Add(index, entry);
        return absl::OkStatus();
      }));
  EventReport report = std::move(builder).Finish();
  report.origin = state->checkpoint.origin;
  report.log_size = state->checkpoint.size;
  report.root = Base64Encode(state->checkpoint.root);
  return report;
}

std::string FormatReportText(const EventReport& r) {
  std::string out;
  out += fmt::format("audit report of {} at verified size {} (root {})\n", r.origin, r.log_size,
                     r.root);
  out += fmt::format("events{}: {}   unparsable entries: {}   excluded by --since: {}\n",
                     r.since ? " since " + *r.since : std::string(), r.events, r.unparsable,
                     r.excluded_by_since);
  out += "\n";
  const auto& outside = r.protected_reads_outside_jurisdiction;
  out += fmt::format("PROTECTED READS BY PRINCIPALS OUTSIDE THE DATA'S JURISDICTION: {}{}\n",
                     outside.size(), outside.empty() ? "" : "   <-- MUST BE 0");
  if (!outside.empty()) out += fmt::format("  at entries: {}\n", fmt::join(outside, ", "));
  const auto& no_grant = r.protected_reads_by_people_without_grant;
  out += fmt::format("PROTECTED READS BY PEOPLE WITHOUT A GRANT: {}{}\n", no_grant.size(),
                     no_grant.empty() ? "" : "   <-- standing access");
  if (!no_grant.empty()) out += fmt::format("  at entries: {}\n", fmt::join(no_grant, ", "));
  size_t unreviewed = 0;
  for (const BreakGlass& b : r.break_glass) unreviewed += !b.reviewed;
  out += fmt::format("UNREVIEWED BREAK-GLASS GRANTS: {}\n", unreviewed);
  for (const BreakGlass& b : r.break_glass) {
    if (b.reviewed) continue;
    out += fmt::format("  {}  {} on {}, active since {} (entry {})\n", b.id, OrNone(b.requester),
                       OrNone(b.scope), OrNone(b.activated_time), b.activated_index);
  }
  const auto& released = r.keys_released_outside_jurisdiction;
  out += fmt::format("PROTECTED DATA KEYS RELEASED OUTSIDE THE DATA'S JURISDICTION: {}{}\n",
                     released.size(), released.empty() ? "" : "   <-- MUST BE 0");
  if (!released.empty()) out += fmt::format("  at entries: {}\n", fmt::join(released, ", "));
  AppendLifecycleHeadlines(r.lifecycle, out);
  out += "\n";
  AppendCounts(out, "events by kind", r.by_kind);
  AppendCounts(out, "access decisions", r.by_decision);
  AppendCounts(out, "events by principal entity", r.by_principal_entity);
  AppendCounts(out, "events by principal location", r.by_principal_location);
  out += "denied attempts by principal:\n";
  if (r.denied.empty()) out += "  (none)\n";
  for (const auto& [id, d] : r.denied) {
    out += fmt::format("  {}  {} denied, first {}, last {}\n", id, d.count, OrNone(d.first_time),
                       OrNone(d.last_time));
  }
  AppendCounts(out, "grant steps", r.grant_steps);
  AppendCounts(out, "key custodian decisions", r.custodian_decisions);
  out += "key custodian refusals:\n";
  if (r.custodian_refusals.empty()) out += "  (none)\n";
  for (const CustodianRefusal& c : r.custodian_refusals) {
    out += fmt::format("  entry {}  {}  {}: {}\n", c.index, OrNone(c.time), c.principal, c.reason);
  }
  out += "policy changes:\n";
  if (r.policy_changes.empty()) out += "  (none)\n";
  for (const PolicyChange& p : r.policy_changes) {
    out += fmt::format("  {}  by {}: {} -> {}  (entry {})\n", OrNone(p.time), OrNone(p.principal),
                       OrNone(p.old_sha256), OrNone(p.new_sha256), p.index);
  }
  out += "node starts and stops:\n";
  if (r.node_events.empty()) out += "  (none)\n";
  for (const NodeLifecycle& n : r.node_events) {
    out += fmt::format("  {}  {} {}", OrNone(n.time), OrNone(n.node), OrNone(n.operation));
    if (n.operation == "start") {
      out += fmt::format(" config {} policy {}", OrNone(n.config_sha256), OrNone(n.policy_sha256));
    }
    out += fmt::format("  (entry {})\n", n.index);
  }
  AppendLifecycleSections(r.lifecycle, out);
  return out;
}

std::string FormatReportJson(const EventReport& r) {
  json denied = json::array();
  for (const auto& [id, d] : r.denied) {
    denied.push_back(
        {{"principal", id}, {"count", d.count}, {"first", d.first_time}, {"last", d.last_time}});
  }
  json policy = json::array();
  for (const PolicyChange& p : r.policy_changes) {
    policy.push_back({{"index", p.index},
                      {"time", p.time},
                      {"principal", p.principal},
                      {"old_sha256", p.old_sha256},
                      {"new_sha256", p.new_sha256}});
  }
  json nodes = json::array();
  for (const NodeLifecycle& n : r.node_events) {
    json e = {{"index", n.index},
              {"time", n.time},
              {"node", n.node},
              {"operation", n.operation},
              {"version", n.version},
              {"config_sha256", n.config_sha256},
              {"policy_sha256", n.policy_sha256},
              {"log_size", nullptr}};
    if (n.log_size) e["log_size"] = *n.log_size;
    nodes.push_back(std::move(e));
  }
  json refusals = json::array();
  for (const CustodianRefusal& c : r.custodian_refusals) {
    refusals.push_back(
        {{"index", c.index}, {"time", c.time}, {"principal", c.principal}, {"reason", c.reason}});
  }
  json break_glass = json::array();
  for (const BreakGlass& b : r.break_glass) {
    break_glass.push_back({{"id", b.id},
                           {"requester", b.requester},
                           {"scope", b.scope},
                           {"activated", b.activated_time},
                           {"activated_index", b.activated_index},
                           {"reviewed", b.reviewed}});
  }
  json out = {
      {"log", {{"origin", r.origin}, {"size", r.log_size}, {"root", r.root}}},
      {"since", r.since ? json(*r.since) : json(nullptr)},
      {"entries", r.entries},
      {"events", r.events},
      {"unparsable", r.unparsable},
      {"excluded_by_since", r.excluded_by_since},
      {"protected_reads_outside_jurisdiction",
       {{"count", r.protected_reads_outside_jurisdiction.size()},
        {"indices", r.protected_reads_outside_jurisdiction}}},
      {"by_kind", CountsJson(r.by_kind)},
      {"by_decision", CountsJson(r.by_decision)},
      {"by_principal_entity", CountsJson(r.by_principal_entity)},
      {"by_principal_location", CountsJson(r.by_principal_location)},
      {"denied", denied},
      {"policy_changes", policy},
      {"node_events", nodes},
      {"protected_reads_by_people_without_grant",
       {{"count", r.protected_reads_by_people_without_grant.size()},
        {"indices", r.protected_reads_by_people_without_grant}}},
      {"grant_steps", CountsJson(r.grant_steps)},
      {"break_glass", break_glass},
      {"custodian_decisions", CountsJson(r.custodian_decisions)},
      {"custodian_refusals", refusals},
      {"keys_released_outside_jurisdiction",
       {{"count", r.keys_released_outside_jurisdiction.size()},
        {"indices", r.keys_released_outside_jurisdiction}}},
  };
  AddLifecycleJson(r.lifecycle, out);
  return out.dump() + "\n";
}

}  // namespace domicile::audit
