#include "vault/policy_model.h"

#include <algorithm>
#include <tuple>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace domicile::vault {

using policy::EntityUid;
using policy::Value;

policy::EntityUid PrincipalUid(const Principal& principal) {
  return EntityUid{std::string(PrincipalTypeName(principal.type)), principal.id};
}

policy::Entity PrincipalEntity(const Principal& principal) {
  policy::Entity e;
  e.uid = PrincipalUid(principal);
  std::vector<Value> roles;
  for (const std::string& r : principal.roles) roles.push_back(Value::String(r));
  e.attrs = {{"entity", Value::String(principal.entity)},
             {"location", Value::String(principal.location)},
             {"roles", Value::Set(std::move(roles))},
             {"team", Value::String(principal.team)}};
  if (!principal.team.empty()) e.parents.push_back(EntityUid{"Team", principal.team});
  return e;
}

policy::EntityUid ActionUid(Action action) {
  return EntityUid{"Action", std::string(ActionName(action))};
}

policy::Entity ResourceEntity(const Resource& r) {
  policy::Entity e;
  switch (r.kind) {
    case Resource::Kind::kRecord:
      e.uid = EntityUid{"Record", fmt::format("{}/{}", r.subject, r.key)};
      e.attrs = {{"jurisdiction", Value::String(std::string(r.jurisdiction))},
                 {"class", Value::String(std::string(ClassificationName(r.classification)))},
                 {"site", Value::String(std::string(r.site))},
                 {"subject", Value::String(std::string(r.subject))},
                 {"key", Value::String(std::string(r.key))}};
      break;
    case Resource::Kind::kSubject:
      e.uid = EntityUid{"Subject", std::string(r.subject)};
      e.attrs = {{"jurisdiction", Value::String(std::string(r.jurisdiction))},
                 {"subject", Value::String(std::string(r.subject))}};
      break;
    case Resource::Kind::kPolicy:
      e.uid = EntityUid{"Policy", "current"};
      break;
    case Resource::Kind::kGrant:
      e.uid = EntityUid{"Grant", std::string(r.grant_id)};
      e.attrs = {{"jurisdiction", Value::String(std::string(r.jurisdiction))},
                 {"class", Value::String(std::string(ClassificationName(r.classification)))},
                 {"subject", Value::String(std::string(r.subject))},
                 {"requester", Value::Entity(EntityUid{"User", std::string(r.requester)})}};
      break;
    case Resource::Kind::kSite: {
      e.uid = EntityUid{"Site", std::string(r.site)};
      const Site* s = r.site_info;
      e.attrs = {
          {"jurisdiction", Value::String(std::string(r.jurisdiction))},
          {"site", Value::String(std::string(r.site))},
          {"site_jurisdiction", Value::String(s != nullptr ? s->jurisdiction : std::string())},
          {"role", Value::String(std::string(s != nullptr ? SiteRoleName(s->role) : ""))},
          {"operator", Value::String(s != nullptr ? s->operator_name : std::string())},
          {"peer", Value::String(std::string(r.peer))}};
      break;
    }
  }
  return e;
}

policy::Value GrantValue(const GrantFacts* grant, bool valid) {
  if (grant == nullptr || !grant->known) {
    return Value::Record({{"valid", Value::Bool(false)},
                          {"id", Value::String(grant == nullptr ? "" : grant->id)},
                          {"scope", Value::String("")},
                          {"actions", Value::Set({})},
                          {"purpose", Value::String("")},
                          {"approvals", Value::Long(0)},
                          {"break_glass", Value::Bool(false)}});
  }
  std::vector<Value> actions;
  for (Action a : grant->actions) actions.push_back(Value::String(std::string(ActionName(a))));
  return Value::Record({{"valid", Value::Bool(valid)},
                        {"id", Value::String(grant->id)},
                        {"scope", Value::String(grant->Scope())},
                        {"actions", Value::Set(std::move(actions))},
                        {"purpose", Value::String(grant->purpose)},
                        {"approvals", Value::Long(grant->approvals)},
                        {"break_glass", Value::Bool(grant->break_glass)}});
}

policy::Value ContextValue(const RequestContext& context, std::string_view source_jurisdiction,
                           const Principal& principal, Action action, const Resource& resource) {
  const GrantFacts* grant = context.grant.get();
  const bool valid =
      grant != nullptr && GrantCovers(*grant, principal, action, resource, context.time);
  return Value::Record({{"purpose", Value::String(std::string(context.purpose))},
                        {"source_jurisdiction", Value::String(std::string(source_jurisdiction))},
                        {"time", Value::Long(context.time)},
                        {"grant", GrantValue(grant, valid)}});
}

std::vector<std::string> ValidateAgainstModel(const policy::PolicySet& policies) {
  static const std::vector<std::string> kPrincipalTypes = {"User", "Service", "Team"};
  static const std::vector<std::string> kResourceTypes = {"Record", "Subject", "Site", "Grant",
                                                          "Policy"};
  auto known = [](const std::vector<std::string>& types, const std::string& t) {
    return std::find(types.begin(), types.end(), t) != types.end();
  };
  std::vector<std::string> problems;
  for (const policy::Policy& p : policies.policies()) {
    auto problem = [&](const std::string& what) {
      problems.push_back(fmt::format("{}:{}:{}: policy '{}': {}", p.location.file, p.location.line,
                                     p.location.column, p.id, what));
    };
    for (const auto& [scope, types, names] :
         {std::tuple{&p.principal, &kPrincipalTypes, "principal"},
          std::tuple{&p.resource, &kResourceTypes, "resource"}}) {
      std::vector<std::string> seen;
      if (!scope->type.empty()) seen.push_back(scope->type);
      for (const EntityUid& uid : scope->uids) seen.push_back(uid.type);
      for (const std::string& t : seen) {
        if (!known(*types, t)) {
          problem(fmt::format("{} type '{}' is not in the model ({})", names, t,
                              fmt::join(*types, ", ")));
        }
      }
    }
    for (const EntityUid& uid : p.action.uids) {
      bool declared =
          uid.type == "Action" && std::any_of(std::begin(kAllActions), std::end(kAllActions),
                                              [&](Action a) { return ActionName(a) == uid.id; });
      if (!declared) {
        std::vector<std::string_view> names;
        for (Action a : kAllActions) names.push_back(ActionName(a));
        problem(
            fmt::format("action {} is not declared ({})", uid.ToString(), fmt::join(names, ", ")));
      }
    }
  }
  return problems;
}

}  // namespace domicile::vault
