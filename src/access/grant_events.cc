#include "access/grant_events.h"

namespace domicile::access {

std::string GrantEvent(const vault::EventSource& source, std::chrono::system_clock::time_point time,
                       std::string_view step, const Grant& grant, const vault::Principal* actor,
                       std::string_view detail) {
  nlohmann::json e = vault::EventBase(source, "grant", time);
  e["step"] = step;
  nlohmann::json actions = nlohmann::json::array();
  for (vault::Action a : grant.actions) actions.push_back(vault::ActionName(a));
  nlohmann::json approvers = nlohmann::json::array();
  for (const Approval& a : grant.approvals) approvers.push_back(a.approver);
  e["grant"] = {{"id", grant.id},
                {"requester", grant.requester},
                {"scope", grant.Scope()},
                {"jurisdiction", grant.jurisdiction},
                {"class", vault::ClassificationName(grant.classification)},
                {"actions", std::move(actions)},
                {"purpose", grant.purpose},
                {"reason", grant.reason},
                {"expires", FormatTime(grant.expires)},
                {"state", vault::GrantStateName(grant.state)},
                {"break_glass", grant.break_glass},
                {"approvers", std::move(approvers)}};
  if (grant.break_glass) e["grant"]["reviewed"] = grant.reviewed;
  if (actor != nullptr) e["principal"] = vault::PrincipalJson(*actor);
  if (!detail.empty()) e["detail"] = detail;
  return vault::CanonicalJson(e);
}

}  // namespace domicile::access
