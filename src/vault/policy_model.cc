#include "vault/policy_model.h"

#include "fmt/format.h"

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
  }
  return e;
}

policy::Value ContextValue(const RequestContext& context, std::string_view source_jurisdiction) {
  return Value::Record({{"purpose", Value::String(std::string(context.purpose))},
                        {"source_jurisdiction", Value::String(std::string(source_jurisdiction))},
                        {"time", Value::Long(context.time)}});
}

}  // namespace domicile::vault
