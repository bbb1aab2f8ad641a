// Writes the workloads of policy_bench (policy_workload.h) as JSON, one file per workload, for
// bench/cedar_wasm_bench.mjs:
//   policy_workload_dump OUT_DIR    -> OUT_DIR/example.json, OUT_DIR/thousand.json
// Each file: {"name", "policies" (Cedar text), "policy_count", "entities" (Cedar entity JSON),
// "requests": [{"principal", "action", "resource", "context"}], "decisions": our engine's
// "allow"/"deny" per request, so the other side can check that it decides the same}.
#include <cstdio>
#include <fstream>
#include <string>

#include "nlohmann/json.hpp"
#include "policy/authorizer.h"
#include "policy/parser.h"
#include "policy_workload.h"

namespace domicile::policy::bench {
namespace {

nlohmann::json UidJson(const EntityUid& uid) { return {{"type", uid.type}, {"id", uid.id}}; }

nlohmann::json EntityJson(const Entity& e) {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [name, value] : e.attrs) attrs[name] = ValueToJson(value);
  nlohmann::json parents = nlohmann::json::array();
  for (const EntityUid& p : e.parents) parents.push_back(UidJson(p));
  return {{"uid", UidJson(e.uid)}, {"attrs", std::move(attrs)}, {"parents", std::move(parents)}};
}

bool Dump(const Workload& w, const std::string& dir) {
  auto set = ParsePolicies(w.policies);
  auto entities = Entities::Create(w.entities);
  if (!set.ok() || !entities.ok()) {
    std::fprintf(
        stderr, "policy_workload_dump: %s: %s\n", w.name.c_str(),
        std::string(set.ok() ? entities.status().message() : set.status().message()).c_str());
    return false;
  }
  nlohmann::json out;
  out["name"] = w.name;
  out["policies"] = w.policies;
  out["policy_count"] = set->size();
  out["entities"] = nlohmann::json::array();
  for (const Entity& e : w.entities) out["entities"].push_back(EntityJson(e));
  out["requests"] = nlohmann::json::array();
  out["decisions"] = nlohmann::json::array();
  for (const Request& r : w.requests) {
    out["requests"].push_back({{"principal", UidJson(r.principal)},
                               {"action", UidJson(r.action)},
                               {"resource", UidJson(r.resource)},
                               {"context", ValueToJson(r.context)}});
    out["decisions"].push_back(IsAuthorized(*set, *entities, r).allow ? "allow" : "deny");
  }
  std::string path = dir + "/" + w.name + ".json";
  std::ofstream file(path);
  file << out.dump() << "\n";
  if (!file.good()) {
    std::fprintf(stderr, "policy_workload_dump: cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("%s: %zu policies, %zu entities, %zu requests -> %s\n", w.name.c_str(), set->size(),
              w.entities.size(), w.requests.size(), path.c_str());
  return true;
}

}  // namespace
}  // namespace domicile::policy::bench

int main(int argc, char** argv) {
  using namespace domicile::policy::bench;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  bool ok = Dump(ExampleWorkload(), argv[1]);
  ok = Dump(ThousandWorkload(), argv[1]) && ok;
  return ok ? 0 : 1;
}
