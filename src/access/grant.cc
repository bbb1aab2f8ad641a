#include "access/grant.h"

#include <algorithm>
#include <ctime>

#include "fmt/format.h"
#include "util/status_macros.h"
#include "vault/names.h"

namespace domicile::access {
namespace {

using vault::Action;
using vault::GrantState;

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

std::optional<GrantState> ParseState(std::string_view name) {
  for (GrantState s :
       {GrantState::kPending, GrantState::kActive, GrantState::kExpired, GrantState::kRevoked}) {
    if (vault::GrantStateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace

bool Grant::ApprovedBy(std::string_view principal) const {
  return std::any_of(approvals.begin(), approvals.end(),
                     [&](const Approval& a) { return a.approver == principal; });
}

std::shared_ptr<const vault::GrantFacts> Grant::Facts() const {
  auto f = std::make_shared<vault::GrantFacts>();
  f->id = id;
  f->known = true;
  f->state = state;
  f->requester = requester;
  f->scope_kind = scope_kind;
  f->scope_value = scope_value;
  f->jurisdiction = jurisdiction;
  f->classification = classification;
  f->actions = actions;
  f->purpose = purpose;
  f->expires = expires;
  f->approvals = static_cast<int>(approvals.size());
  f->break_glass = break_glass;
  for (const Approval& a : approvals) f->signed_approvals.push_back({a.approver, a.signed_note});
  return f;
}

bool GrantableAction(Action action) { return action == Action::kRead || action == Action::kList; }

absl::Status ParseScope(std::string_view scope, std::string& kind, std::string& value) {
  const size_t colon = scope.find(':');
  if (colon == std::string_view::npos) {
    return Invalid(
        fmt::format("scope '{}' must be \"subject:<id>\" or \"jurisdiction:<code>\"", scope));
  }
  const std::string_view k = scope.substr(0, colon);
  const std::string_view v = scope.substr(colon + 1);
  if (k == "subject") {
    RETURN_IF_ERROR(vault::ValidateSubjectId(v));
  } else if (k == "jurisdiction") {
    RETURN_IF_ERROR(vault::ValidateJurisdiction(v));
  } else {
    return Invalid(
        fmt::format("scope '{}' must be \"subject:<id>\" or \"jurisdiction:<code>\"", scope));
  }
  kind = std::string(k);
  value = std::string(v);
  return absl::OkStatus();
}

absl::Status ValidateText(std::string_view what, std::string_view text, size_t max) {
  if (text.empty()) return Invalid(fmt::format("{} is required", what));
  if (text.size() > max) return Invalid(fmt::format("{} is longer than {} bytes", what, max));
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return Invalid(fmt::format("{} must be printable ASCII", what));
  }
  return absl::OkStatus();
}

absl::StatusOr<GrantRequest> ParseGrantRequest(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Invalid(
        "body must be a JSON object {\"scope\", \"class\", \"actions\", \"purpose\", "
        "\"reason\", \"ttl\"}");
  }
  GrantRequest r;
  for (const auto& [name, value] : j.items()) {
    if (name == "actions") {
      if (!value.is_array()) return Invalid("field 'actions' must be an array of strings");
      for (const nlohmann::json& a : value) {
        if (!a.is_string()) return Invalid("field 'actions' must be an array of strings");
        r.actions.push_back(a.get<std::string>());
      }
    } else if (name == "break_glass") {
      if (!value.is_boolean()) return Invalid("field 'break_glass' must be true or false");
      r.break_glass = value.get<bool>();
    } else if (name == "scope" || name == "class" || name == "purpose" || name == "reason" ||
               name == "ttl") {
      if (!value.is_string()) return Invalid(fmt::format("field '{}' must be a string", name));
      std::string s = value.get<std::string>();
      if (name == "scope") r.scope = std::move(s);
      if (name == "class") r.classification = std::move(s);
      if (name == "purpose") r.purpose = std::move(s);
      if (name == "reason") r.reason = std::move(s);
      if (name == "ttl") r.ttl = std::move(s);
    } else {
      return Invalid(fmt::format("unknown field '{}'", name));
    }
  }
  for (const char* required : {"scope", "actions", "purpose", "reason", "ttl"}) {
    if (!j.contains(required)) return Invalid(fmt::format("field '{}' is required", required));
  }
  return r;
}

nlohmann::json GrantToJson(const Grant& g) {
  nlohmann::json actions = nlohmann::json::array();
  for (Action a : g.actions) actions.push_back(vault::ActionName(a));
  nlohmann::json approvals = nlohmann::json::array();
  for (const Approval& a : g.approvals) {
    approvals.push_back(
        {{"approver", a.approver}, {"time", FormatTime(a.time)}, {"signed_note", a.signed_note}});
  }
  nlohmann::json out = {{"id", g.id},
                        {"requester", g.requester},
                        {"scope", g.Scope()},
                        {"jurisdiction", g.jurisdiction},
                        {"class", vault::ClassificationName(g.classification)},
                        {"actions", std::move(actions)},
                        {"purpose", g.purpose},
                        {"reason", g.reason},
                        {"created", FormatTime(g.created)},
                        {"expires", FormatTime(g.expires)},
                        {"state", vault::GrantStateName(g.state)},
                        {"break_glass", g.break_glass},
                        {"approvals", std::move(approvals)}};
  if (!g.requester_team.empty()) out["requester_team"] = g.requester_team;
  if (g.break_glass) out["reviewed"] = g.reviewed;
  if (g.activated != 0) out["activated"] = FormatTime(g.activated);
  if (g.ended != 0) out["ended"] = FormatTime(g.ended);
  if (!g.revoked_by.empty()) out["revoked_by"] = g.revoked_by;
  // Unix seconds too, so that machines need not parse the times.
  out["created_unix"] = g.created;
  out["expires_unix"] = g.expires;
  if (g.activated != 0) out["activated_unix"] = g.activated;
  if (g.ended != 0) out["ended_unix"] = g.ended;
  for (size_t i = 0; i < g.approvals.size(); ++i) {
    out["approvals"][i]["time_unix"] = g.approvals[i].time;
  }
  return out;
}

absl::StatusOr<Grant> GrantFromJson(const nlohmann::json& j) {
  try {
    Grant g;
    g.id = j.at("id").get<std::string>();
    g.requester = j.at("requester").get<std::string>();
    if (j.contains("requester_team")) g.requester_team = j.at("requester_team").get<std::string>();
    RETURN_IF_ERROR(ParseScope(j.at("scope").get<std::string>(), g.scope_kind, g.scope_value));
    g.jurisdiction = j.at("jurisdiction").get<std::string>();
    std::optional<vault::Classification> c =
        vault::ParseClassification(j.at("class").get<std::string>());
    if (!c.has_value()) return absl::DataLossError("grant: bad class");
    g.classification = *c;
    for (const nlohmann::json& a : j.at("actions")) {
      std::optional<Action> action = vault::ParseAction(a.get<std::string>());
      if (!action.has_value()) return absl::DataLossError("grant: bad action");
      g.actions.push_back(*action);
    }
    g.purpose = j.at("purpose").get<std::string>();
    g.reason = j.at("reason").get<std::string>();
    g.created = j.at("created_unix").get<int64_t>();
    g.expires = j.at("expires_unix").get<int64_t>();
    std::optional<GrantState> state = ParseState(j.at("state").get<std::string>());
    if (!state.has_value()) return absl::DataLossError("grant: bad state");
    g.state = *state;
    g.break_glass = j.at("break_glass").get<bool>();
    if (j.contains("reviewed")) g.reviewed = j.at("reviewed").get<bool>();
    for (const nlohmann::json& a : j.at("approvals")) {
      g.approvals.push_back({a.at("approver").get<std::string>(), a.at("time_unix").get<int64_t>(),
                             a.at("signed_note").get<std::string>()});
    }
    if (j.contains("activated_unix")) g.activated = j.at("activated_unix").get<int64_t>();
    if (j.contains("ended_unix")) g.ended = j.at("ended_unix").get<int64_t>();
    if (j.contains("revoked_by")) g.revoked_by = j.at("revoked_by").get<std::string>();
    return g;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(fmt::format("grant: malformed record: {}", e.what()));
  }
}

std::string FormatTime(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace domicile::access
