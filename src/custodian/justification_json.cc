#include "custodian/justification_json.h"

#include <string>
#include <utility>

#include "fmt/format.h"
#include "util/encoding.h"
#include "util/status_macros.h"

namespace domicile::custodian {
namespace {

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("justification: '{}' {}", field, what));
}

absl::StatusOr<std::string> Str(const nlohmann::json& j, std::string_view field,
                                bool required = true) {
  auto it = j.find(field);
  if (it == j.end()) {
    if (required) return Bad(field, "is missing");
    return std::string();
  }
  if (!it->is_string()) return Bad(field, "must be a string");
  return it->get<std::string>();
}

absl::StatusOr<const nlohmann::json*> Obj(const nlohmann::json& j, std::string_view field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_object()) return Bad(field, "must be an object");
  return &*it;
}

absl::StatusOr<int64_t> Int(const nlohmann::json& j, std::string_view field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) return Bad(field, "must be an integer");
  return it->get<int64_t>();
}

absl::StatusOr<bool> Bool(const nlohmann::json& j, std::string_view field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_boolean()) return Bad(field, "must be true or false");
  return it->get<bool>();
}

absl::StatusOr<vault::Action> ActionOf(const nlohmann::json& j, std::string_view field) {
  ASSIGN_OR_RETURN(std::string name, Str(j, field));
  std::optional<vault::Action> a = vault::ParseAction(name);
  if (!a.has_value()) return Bad(field, fmt::format("names no action ('{}')", name));
  return *a;
}

absl::StatusOr<vault::Classification> ClassOf(const nlohmann::json& j, std::string_view field) {
  ASSIGN_OR_RETURN(std::string name, Str(j, field));
  std::optional<vault::Classification> c = vault::ParseClassification(name);
  if (!c.has_value()) return Bad(field, fmt::format("names no class ('{}')", name));
  return *c;
}

nlohmann::json GrantToJson(const vault::GrantFacts& g) {
  nlohmann::json actions = nlohmann::json::array();
  for (vault::Action a : g.actions) actions.push_back(vault::ActionName(a));
  nlohmann::json approvals = nlohmann::json::array();
  for (const auto& a : g.signed_approvals) {
    approvals.push_back({{"approver", a.approver}, {"note", a.signed_note}});
  }
  return {{"id", g.id},
          {"known", g.known},
          {"state", vault::GrantStateName(g.state)},
          {"requester", g.requester},
          {"scope_kind", g.scope_kind},
          {"scope_value", g.scope_value},
          {"jurisdiction", g.jurisdiction},
          {"class", vault::ClassificationName(g.classification)},
          {"actions", std::move(actions)},
          {"purpose", g.purpose},
          {"expires", g.expires},
          {"break_glass", g.break_glass},
          {"approvals", std::move(approvals)}};
}

absl::StatusOr<std::shared_ptr<const vault::GrantFacts>> GrantFromJson(const nlohmann::json& j) {
  auto g = std::make_shared<vault::GrantFacts>();
  ASSIGN_OR_RETURN(g->id, Str(j, "id"));
  ASSIGN_OR_RETURN(g->known, Bool(j, "known"));
  ASSIGN_OR_RETURN(std::string state, Str(j, "state"));
  bool state_known = false;
  for (auto s : {vault::GrantState::kPending, vault::GrantState::kActive,
                 vault::GrantState::kExpired, vault::GrantState::kRevoked}) {
    if (vault::GrantStateName(s) == state) {
      g->state = s;
      state_known = true;
    }
  }
  if (!state_known) return Bad("grant.state", fmt::format("names no state ('{}')", state));
  ASSIGN_OR_RETURN(g->requester, Str(j, "requester"));
  ASSIGN_OR_RETURN(g->scope_kind, Str(j, "scope_kind"));
  ASSIGN_OR_RETURN(g->scope_value, Str(j, "scope_value"));
  ASSIGN_OR_RETURN(g->jurisdiction, Str(j, "jurisdiction"));
  ASSIGN_OR_RETURN(g->classification, ClassOf(j, "class"));
  auto actions = j.find("actions");
  if (actions == j.end() || !actions->is_array()) return Bad("grant.actions", "must be an array");
  for (const nlohmann::json& a : *actions) {
    if (!a.is_string()) return Bad("grant.actions", "must hold strings");
    std::optional<vault::Action> action = vault::ParseAction(a.get<std::string>());
    if (!action.has_value()) return Bad("grant.actions", "names an unknown action");
    g->actions.push_back(*action);
  }
  ASSIGN_OR_RETURN(g->purpose, Str(j, "purpose"));
  ASSIGN_OR_RETURN(g->expires, Int(j, "expires"));
  ASSIGN_OR_RETURN(g->break_glass, Bool(j, "break_glass"));
  auto approvals = j.find("approvals");
  if (approvals == j.end() || !approvals->is_array()) {
    return Bad("grant.approvals", "must be an array");
  }
  for (const nlohmann::json& a : *approvals) {
    if (!a.is_object()) return Bad("grant.approvals", "must hold objects");
    vault::GrantFacts::SignedApproval sa;
    ASSIGN_OR_RETURN(sa.approver, Str(a, "approver"));
    ASSIGN_OR_RETURN(sa.signed_note, Str(a, "note"));
    g->signed_approvals.push_back(std::move(sa));
  }
  g->approvals = static_cast<int>(g->signed_approvals.size());
  return g;
}

}  // namespace

nlohmann::json JustificationToJson(const vault::Justification& why) {
  const vault::Principal& p = why.principal;
  nlohmann::json out = {{"principal",
                         {{"id", p.id},
                          {"type", vault::PrincipalTypeName(p.type)},
                          {"entity", p.entity},
                          {"location", p.location},
                          {"roles", p.roles},
                          {"team", p.team}}},
                        {"action", vault::ActionName(why.action)},
                        {"kind", why.kind == vault::Resource::Kind::kSubject ? "subject"
                                 : why.kind == vault::Resource::Kind::kSite  ? "site"
                                                                             : "record"},
                        {"subject", why.subject},
                        {"key", why.key},
                        {"jurisdiction", why.jurisdiction},
                        {"site", why.site},
                        {"class", vault::ClassificationName(why.classification)},
                        {"log_index", why.log_index}};
  if (why.grant != nullptr) out["grant"] = GrantToJson(*why.grant);
  return out;
}

absl::StatusOr<vault::Justification> JustificationFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("justification: must be an object");
  vault::Justification why;
  ASSIGN_OR_RETURN(const nlohmann::json* p, Obj(j, "principal"));
  ASSIGN_OR_RETURN(why.principal.id, Str(*p, "id"));
  ASSIGN_OR_RETURN(std::string type, Str(*p, "type"));
  std::optional<vault::PrincipalType> t = vault::ParsePrincipalType(type);
  if (!t.has_value()) return Bad("principal.type", fmt::format("names no type ('{}')", type));
  why.principal.type = *t;
  ASSIGN_OR_RETURN(why.principal.entity, Str(*p, "entity"));
  ASSIGN_OR_RETURN(why.principal.location, Str(*p, "location"));
  ASSIGN_OR_RETURN(why.principal.team, Str(*p, "team", /*required=*/false));
  auto roles = p->find("roles");
  if (roles == p->end() || !roles->is_array()) return Bad("principal.roles", "must be an array");
  for (const nlohmann::json& r : *roles) {
    if (!r.is_string()) return Bad("principal.roles", "must hold strings");
    why.principal.roles.push_back(r.get<std::string>());
  }
  ASSIGN_OR_RETURN(why.action, ActionOf(j, "action"));
  ASSIGN_OR_RETURN(std::string kind, Str(j, "kind"));
  if (kind == "record") {
    why.kind = vault::Resource::Kind::kRecord;
  } else if (kind == "subject") {
    why.kind = vault::Resource::Kind::kSubject;
  } else if (kind == "site") {
    why.kind = vault::Resource::Kind::kSite;
  } else {
    return Bad("kind", "must be \"record\", \"subject\" or \"site\"");
  }
  ASSIGN_OR_RETURN(why.subject, Str(j, "subject", why.kind != vault::Resource::Kind::kSite));
  ASSIGN_OR_RETURN(why.key, Str(j, "key", /*required=*/false));
  ASSIGN_OR_RETURN(why.jurisdiction, Str(j, "jurisdiction"));
  ASSIGN_OR_RETURN(why.site, Str(j, "site"));
  ASSIGN_OR_RETURN(why.classification, ClassOf(j, "class"));
  auto index = j.find("log_index");
  if (index == j.end() || !index->is_number_unsigned()) {
    return Bad("log_index", "must be a non-negative integer");
  }
  why.log_index = index->get<uint64_t>();
  if (auto grant = j.find("grant"); grant != j.end()) {
    if (!grant->is_object()) return Bad("grant", "must be an object");
    ASSIGN_OR_RETURN(why.grant, GrantFromJson(*grant));
  }
  return why;
}

nlohmann::json WrappedKeyToJson(const keys::WrappedDataKey& key) {
  return {{"kek", key.kek_id}, {"wrapped", Base64Encode(key.wrapped)}};
}

absl::StatusOr<keys::WrappedDataKey> WrappedKeyFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("wrapped key: must be an object");
  keys::WrappedDataKey key;
  ASSIGN_OR_RETURN(key.kek_id, Str(j, "kek"));
  ASSIGN_OR_RETURN(std::string wrapped, Str(j, "wrapped"));
  std::optional<Bytes> bytes = Base64Decode(wrapped);
  if (!bytes.has_value()) return Bad("wrapped", "is not base64");
  key.wrapped = std::move(*bytes);
  return key;
}

}  // namespace domicile::custodian
