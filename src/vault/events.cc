#include "vault/events.h"

#include <ctime>

#include "fmt/format.h"
#include "vault/fast_json.h"
#include "vault/grant_facts.h"

namespace domicile::vault {
namespace {

std::string_view ResourceTypeName(Resource::Kind kind) {
  switch (kind) {
    case Resource::Kind::kRecord:
      return "record";
    case Resource::Kind::kSubject:
      return "subject";
    case Resource::Kind::kPolicy:
      return "policy";
    case Resource::Kind::kGrant:
      return "grant";
    case Resource::Kind::kSite:
      return "site";
  }
  return "unknown";
}

nlohmann::json ResourceJson(const Resource& r) {
  nlohmann::json out = {{"type", ResourceTypeName(r.kind)}};
  if (!r.subject.empty()) out["subject"] = r.subject;
  if (!r.key.empty()) out["key"] = r.key;
  if (r.kind != Resource::Kind::kPolicy) {
    out["class"] = ClassificationName(r.classification);
    if (!r.jurisdiction.empty()) out["jurisdiction"] = r.jurisdiction;
  }
  if (!r.site.empty()) out["site"] = r.site;
  if (!r.grant_id.empty()) out["id"] = r.grant_id;
  if (!r.requester.empty()) out["requester"] = r.requester;
  if (!r.peer.empty()) out["peer"] = r.peer;
  return out;
}

// The fast path of AccessEvent, for the read path: writes the canonical form directly with
// FastJson (fast_json.h) instead of building a JSON tree. AccessEventsMatchTheCanonicalForm
// (vault_test) holds it to the same bytes as CanonicalJson.
bool FastAccessEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                     const Principal& p, Action action, const Resource& r,
                     const RequestContext& context, const Decision& d, std::string& out) {
  if (r.kind == Resource::Kind::kGrant || r.kind == Resource::Kind::kSite) {
    return false;  // rare: the general path
  }
  out.clear();
  out.reserve(640);
  FastJson j(out);
  bool ok = j.Field("action", ActionName(action)) &&
            j.Field("decision", d.allow ? "allow" : "deny") &&
            j.Strings("determining", d.determining);
  if (ok && context.grant != nullptr) ok = j.Field("grant", context.grant->id);
  ok = ok && j.Field("kind", "access") && j.Field("node", source.node);
  if (ok && !d.policy_sha256.empty()) ok = j.Field("policy_sha256", d.policy_sha256);
  // principal: entity, id, location, roles, team?, type
  ok = ok && j.Key("principal");
  j.Open();
  ok = ok && j.Field("entity", p.entity) && j.Field("id", p.id) &&
       j.Field("location", p.location) && j.Strings("roles", p.roles) &&
       (p.team.empty() || j.Field("team", p.team)) && j.Field("type", PrincipalTypeName(p.type));
  j.Close();
  if (ok && !context.purpose.empty()) ok = j.Field("purpose", context.purpose);
  ok = ok && j.Field("reason", d.reason);
  // resource: class?, jurisdiction?, key?, site?, subject?, type
  ok = ok && j.Key("resource");
  j.Open();
  const bool classified = r.kind != Resource::Kind::kPolicy;
  if (ok && classified) ok = j.Field("class", ClassificationName(r.classification));
  if (ok && classified && !r.jurisdiction.empty()) ok = j.Field("jurisdiction", r.jurisdiction);
  if (ok && !r.key.empty()) ok = j.Field("key", r.key);
  if (ok && !r.site.empty()) ok = j.Field("site", r.site);
  if (ok && !r.subject.empty()) ok = j.Field("subject", r.subject);
  ok = ok && j.Field("type", ResourceTypeName(r.kind));
  j.Close();
  if (ok && !context.source_ip.empty()) ok = j.Field("source_ip", context.source_ip);
  ok = ok && j.Field("time", FormatEventTime(time));
  j.Raw("v", std::to_string(kEventSchemaVersion));
  j.Close();
  return ok;
}

}  // namespace

std::string CanonicalJson(const nlohmann::json& value) {
  // nlohmann::json keeps objects in a std::map<std::string>: keys come out sorted bytewise.
  return value.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string FormatEventTime(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const int64_t ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
  const int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<int>(ms - secs * 1000));
}

nlohmann::json EventBase(const EventSource& source, std::string_view kind,
                         std::chrono::system_clock::time_point time) {
  return {{"v", kEventSchemaVersion},
          {"kind", kind},
          {"time", FormatEventTime(time)},
          {"node", source.node}};
}

std::string LifecycleEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                           std::string_view kind, const Principal& principal,
                           const nlohmann::json& details) {
  nlohmann::json e = EventBase(source, kind, time);
  e["principal"] = PrincipalJson(principal);
  for (const auto& [name, value] : details.items()) e[name] = value;
  return CanonicalJson(e);
}

nlohmann::json PrincipalJson(const Principal& p) {
  nlohmann::json out = {{"id", p.id},
                        {"type", PrincipalTypeName(p.type)},
                        {"entity", p.entity},
                        {"location", p.location},
                        {"roles", p.roles}};
  if (!p.team.empty()) out["team"] = p.team;
  return out;
}

std::string AccessEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                        const Principal& principal, Action action, const Resource& resource,
                        const RequestContext& context, const Decision& decision,
                        const nlohmann::json& effect) {
  if (!(decision.allow && effect.is_object())) {
    std::string out;
    if (FastAccessEvent(source, time, principal, action, resource, context, decision, out)) {
      return out;
    }
  }
  nlohmann::json e = EventBase(source, "access", time);
  e["principal"] = PrincipalJson(principal);
  e["action"] = ActionName(action);
  e["resource"] = ResourceJson(resource);
  if (!context.purpose.empty()) e["purpose"] = context.purpose;
  if (!context.source_ip.empty()) e["source_ip"] = context.source_ip;
  if (context.grant != nullptr) e["grant"] = context.grant->id;
  e["decision"] = decision.allow ? "allow" : "deny";
  e["reason"] = decision.reason;
  e["determining"] = decision.determining;
  if (!decision.policy_sha256.empty()) e["policy_sha256"] = decision.policy_sha256;
  if (decision.allow && effect.is_object()) e["effect"] = effect;
  return CanonicalJson(e);
}

std::string PolicyEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                        const Principal& principal, std::string_view old_sha256,
                        std::string_view new_sha256, size_t policies) {
  nlohmann::json e = EventBase(source, "policy", time);
  e["principal"] = PrincipalJson(principal);
  e["old_sha256"] = old_sha256;
  e["new_sha256"] = new_sha256;
  e["policies"] = policies;
  return CanonicalJson(e);
}

std::string KeyEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                     KeyOperation operation, std::string_view key_id, KeyType type) {
  nlohmann::json e = EventBase(source, "key", time);
  e["operation"] = operation == KeyOperation::kCreate ? "create" : "destroy";
  e["key_id"] = key_id;
  e["key_type"] = type == KeyType::kKek ? "kek" : "signing";
  return CanonicalJson(e);
}

std::string NodeStartEvent(const EventSource& source, std::chrono::system_clock::time_point time,
                           const NodeStart& start) {
  nlohmann::json e = EventBase(source, "node", time);
  e["operation"] = "start";
  e["version"] = start.version;
  e["config_sha256"] = start.config_sha256;
  e["policy_sha256"] = start.policy_sha256;
  e["log_size"] = start.log_size;
  return CanonicalJson(e);
}

std::string NodeStopEvent(const EventSource& source, std::chrono::system_clock::time_point time) {
  nlohmann::json e = EventBase(source, "node", time);
  e["operation"] = "stop";
  return CanonicalJson(e);
}

}  // namespace domicile::vault
