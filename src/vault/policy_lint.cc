#include "vault/policy_lint.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "policy/authorizer.h"
#include "vault/policy_model.h"

namespace domicile::vault {
namespace {

std::vector<std::string> WithEmpty(std::set<std::string> values) {
  values.insert("");
  return std::vector<std::string>(values.begin(), values.end());
}

std::string Quoted(const std::string& s) { return s.empty() ? "(none)" : "\"" + s + "\""; }

// The principals to try: every configured one as itself, then every combination of attribute
// values seen in the configuration, each also absent.
std::vector<Principal> Principals(const LintModel& model) {
  std::vector<Principal> out = model.principals;
  std::set<std::string> entities, locations, roles, teams;
  for (const Principal& p : model.principals) {
    entities.insert(p.entity);
    locations.insert(p.location);
    teams.insert(p.team);
    roles.insert(p.roles.begin(), p.roles.end());
  }
  for (const std::string& j : model.jurisdictions) locations.insert(j);
  std::vector<std::vector<std::string>> role_sets = {{}};
  for (const std::string& r : roles) role_sets.push_back({r});
  if (roles.size() > 1) role_sets.push_back(std::vector<std::string>(roles.begin(), roles.end()));
  int n = 0;
  for (PrincipalType type : {PrincipalType::kUser, PrincipalType::kService}) {
    for (const std::string& entity : WithEmpty(entities)) {
      for (const std::string& location : WithEmpty(locations)) {
        for (const std::string& team : WithEmpty(teams)) {
          for (const auto& role_set : role_sets) {
            Principal p;
            p.id = fmt::format("lint-{}", n++);
            p.type = type;
            p.entity = entity;
            p.location = location;
            p.team = team;
            p.roles = role_set;
            out.push_back(std::move(p));
          }
        }
      }
    }
  }
  return out;
}

}  // namespace

std::string Counterexample::ToString() const {
  std::string roles;
  for (const std::string& r : principal.roles) roles += (roles.empty() ? "" : ", ") + Quoted(r);
  std::string action_names;
  for (Action a : actions) {
    action_names += (action_names.empty() ? "" : ", ") + std::string(ActionName(a));
  }
  return fmt::format(
      "{}: {}::\"{}\" {{entity: {}, location: {}, roles: [{}], team: {}}} may {} a protected "
      "record of {} at site {} (request from {}, {}), permitted by {}",
      rule, PrincipalTypeName(principal.type), principal.id, Quoted(principal.entity),
      Quoted(principal.location), roles, Quoted(principal.team), action_names, jurisdiction,
      Quoted(site), Quoted(source_jurisdiction),
      with_grant ? "with a valid grant" : "without a grant", fmt::join(permitted_by, ", "));
}

std::string LintResult::Report(size_t limit) const {
  std::string out;
  for (size_t i = 0; i < counterexamples.size() && i < limit; ++i) {
    out += counterexamples[i].ToString() + "\n";
  }
  if (counterexamples.size() > limit) {
    out += fmt::format("... and {} more\n", counterexamples.size() - limit);
  }
  return out;
}

LintResult LintPolicies(const policy::PolicySet& policies, const LintModel& model) {
  LintResult result;
  std::vector<Principal> principals = Principals(model);
  std::vector<std::string> sites = model.sites;
  sites.push_back("");
  std::vector<std::string> sources =
      WithEmpty({model.jurisdictions.begin(), model.jurisdictions.end()});
  for (const Principal& p : model.principals) {
    if (std::find(sources.begin(), sources.end(), p.location) == sources.end()) {
      sources.push_back(p.location);
    }
  }
  // One counterexample per (rule, principal attributes, permitting policies).
  std::map<std::tuple<std::string, std::string, std::vector<std::string>>, size_t> seen;
  for (const Principal& principal : principals) {
    policy::Entity principal_entity = PrincipalEntity(principal);
    const bool user = principal.type == PrincipalType::kUser;
    for (const std::string& j : model.jurisdictions) {
      auto trusted_it = model.trusted_entities.find(j);
      const bool trusted = trusted_it != model.trusted_entities.end() &&
                           std::find(trusted_it->second.begin(), trusted_it->second.end(),
                                     principal.entity) != trusted_it->second.end();
      const bool abroad = principal.location != j;
      // Rules 1 and 2 hold with or without a grant; rule 3 asks about Users without one.
      const bool check_border = abroad || !trusted;
      if (!check_border && !user) continue;  // nothing this principal may do here is a violation
      // A grant of the principal's own that covers everything of this jurisdiction.
      auto grant = std::make_shared<GrantFacts>();
      grant->id = "lint-grant";
      grant->known = true;
      grant->state = GrantState::kActive;
      grant->requester = principal.id;
      grant->scope_kind = "jurisdiction";
      grant->scope_value = j;
      grant->jurisdiction = j;
      grant->actions.assign(std::begin(kAllActions), std::end(kAllActions));
      grant->expires = std::numeric_limits<int64_t>::max();
      grant->approvals = 2;
      for (const std::string& site : sites) {
        Resource resource{Resource::Kind::kRecord,
                          "lint-subject",
                          "lint-key",
                          j,
                          Classification::kProtected,
                          site};
        policy::Entity resource_entity = ResourceEntity(resource);
        absl::StatusOr<policy::Entities> entities =
            policy::Entities::Create({principal_entity, resource_entity});
        if (!entities.ok()) continue;
        for (Action action : kAllActions) {
          if (!check_border && action != Action::kRead) continue;
          for (const std::string& source : sources) {
            for (bool with_grant : {false, true}) {
              if (!check_border && with_grant) continue;
              RequestContext context{"", "", 0, with_grant ? grant : nullptr};
              policy::Request request{PrincipalUid(principal), ActionUid(action),
                                      resource_entity.uid,
                                      ContextValue(context, source, principal, action, resource)};
              policy::Response response = policy::IsAuthorized(policies, *entities, request);
              ++result.evaluations;
              if (!response.allow) continue;
              std::string attrs =
                  fmt::format("{}|{}|{}|{}|{}", PrincipalTypeName(principal.type), principal.entity,
                              principal.location, fmt::join(principal.roles, ","), principal.team);
              for (const char* rule : {"cross-border", "untrusted-entity", "no-grant"}) {
                const std::string_view r = rule;
                const bool violated = r == "cross-border" ? abroad
                                      : r == "untrusted-entity"
                                          ? !trusted
                                          : user && action == Action::kRead && !with_grant;
                if (!violated) continue;
                auto [it, inserted] = seen.try_emplace({rule, attrs, response.determining},
                                                       result.counterexamples.size());
                if (inserted) {
                  result.counterexamples.push_back(Counterexample{rule,
                                                                  principal,
                                                                  {action},
                                                                  j,
                                                                  site,
                                                                  source,
                                                                  response.determining,
                                                                  with_grant});
                  continue;
                }
                std::vector<Action>& actions = result.counterexamples[it->second].actions;
                if (std::find(actions.begin(), actions.end(), action) == actions.end()) {
                  actions.push_back(action);
                }
              }
            }
          }
        }
      }
    }
  }
  return result;
}

}  // namespace domicile::vault
