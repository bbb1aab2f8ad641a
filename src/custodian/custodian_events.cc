// The "custodian" event (docs/events.md): one per decision of the key custodian.
#include "custodian/custodian.h"
#include "util/errors.h"

namespace domicile::custodian {

std::string CustodianEvent(const vault::EventSource& source,
                           std::chrono::system_clock::time_point time, std::string_view operation,
                           const vault::Justification& why, std::string_view kek_id,
                           const absl::Status& outcome) {
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
