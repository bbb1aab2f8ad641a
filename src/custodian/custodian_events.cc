// The "custodian" event (docs/events.md): one per decision of the key custodian.
#include "custodian/custodian.h"
#include "util/errors.h"
#include "vault/fast_json.h"

namespace domicile::custodian {

namespace {

// The canonical form written directly (vault/fast_json.h); false when a string needs escaping.
bool FastCustodianEvent(const vault::EventSource& source,
                        std::chrono::system_clock::time_point time, std::string_view operation,
                        const vault::Justification& why, std::string_view kek_id,
                        const absl::Status& outcome, std::string& out) {
  out.reserve(768);
  vault::FastJson j(out);
  bool ok = j.Field("action", vault::ActionName(why.action)) &&
            j.Field("decision", outcome.ok() ? "allow" : "deny");
  if (ok && why.grant != nullptr) {
    std::vector<std::string> approvers;
    for (const auto& a : why.grant->signed_approvals) approvers.push_back(a.approver);
    ok = j.Key("grant");
    j.Open();
    ok = ok && j.Strings("approvers", approvers) && j.Bool("break_glass", why.grant->break_glass) &&
         j.Field("id", why.grant->id);
    j.Close();
  }
  ok = ok && j.Field("kek", kek_id) && j.Field("kind", "custodian") &&
       j.Field("node", source.node) && j.Number("node_log_index", why.log_index) &&
       j.Field("operation", operation) && j.Key("principal");
  const vault::Principal& p = why.principal;
  j.Open();
  ok = ok && j.Field("entity", p.entity) && j.Field("id", p.id) &&
       j.Field("location", p.location) && j.Strings("roles", p.roles) &&
       (p.team.empty() || j.Field("team", p.team)) &&
       j.Field("type", vault::PrincipalTypeName(p.type));
  j.Close();
  if (ok && !outcome.ok()) ok = j.Field("reason", std::string(outcome.message()));
  ok = ok && j.Key("resource");
  j.Open();
  ok = ok && j.Field("class", vault::ClassificationName(why.classification)) &&
       j.Field("jurisdiction", why.jurisdiction) && (why.key.empty() || j.Field("key", why.key)) &&
       j.Field("site", why.site) && j.Field("subject", why.subject);
  j.Close();
  ok = ok && j.Field("time", vault::FormatEventTime(time));
  j.Raw("v", std::to_string(vault::kEventSchemaVersion));
  j.Close();
  return ok;
}

}  // namespace

std::string CustodianEvent(const vault::EventSource& source,
                           std::chrono::system_clock::time_point time, std::string_view operation,
                           const vault::Justification& why, std::string_view kek_id,
                           const absl::Status& outcome) {
  std::string fast;
  if (FastCustodianEvent(source, time, operation, why, kek_id, outcome, fast)) return fast;
  return SlowCustodianEvent(source, time, operation, why, kek_id, outcome);
}

std::string SlowCustodianEvent(const vault::EventSource& source,
                               std::chrono::system_clock::time_point time,
                               std::string_view operation, const vault::Justification& why,
                               std::string_view kek_id, const absl::Status& outcome) {
  nlohmann::json e = vault::EventBase(source, "custodian", time);
  e["operation"] = operation;
  e["decision"] = outcome.ok() ? "allow" : "deny";
  if (!outcome.ok()) e["reason"] = std::string(outcome.message());
  e["principal"] = vault::PrincipalJson(why.principal);
  e["action"] = vault::ActionName(why.action);
  nlohmann::json resource = {{"subject", why.subject},
                             {"jurisdiction", why.jurisdiction},
                             {"site", why.site},
                             {"class", vault::ClassificationName(why.classification)}};
  if (!why.key.empty()) resource["key"] = why.key;
  e["resource"] = std::move(resource);
  e["kek"] = kek_id;
  // 0 for a write: the node logs a write's decision after sealing, with the ciphertext's hash.
  e["node_log_index"] = why.log_index;
  if (why.grant != nullptr) {
    nlohmann::json approvers = nlohmann::json::array();
    for (const auto& a : why.grant->signed_approvals) approvers.push_back(a.approver);
    e["grant"] = {{"id", why.grant->id},
                  {"break_glass", why.grant->break_glass},
                  {"approvers", std::move(approvers)}};
  }
  return vault::CanonicalJson(e);
}

}  // namespace domicile::custodian
