#include "vault/events.h"

#include <ctime>

#include "fmt/format.h"

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
  return out;
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
  nlohmann::json e = EventBase(source, "access", time);
  e["principal"] = PrincipalJson(principal);
  e["action"] = ActionName(action);
  e["resource"] = ResourceJson(resource);
  if (!context.purpose.empty()) e["purpose"] = context.purpose;
  if (!context.source_ip.empty()) e["source_ip"] = context.source_ip;
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
