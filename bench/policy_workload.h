// The workloads of bench/policy_bench.cc, built here so that bench/policy_workload_dump can write
// exactly the same policies, entities and requests as JSON for other authorizers (cedar-wasm, in
// bench/cedar_wasm_bench.mjs):
//   - ExampleWorkload(): the Texas example set (a handful of policies), 5 entities, 4 requests.
//   - ThousandWorkload(): 1,000 generated policies (per-team and per-user permits plus a few
//     forbids), 2,000 entities, 64 requests.
// Requests rotate in order, one decision per benchmark iteration.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "policy/authorizer.h"
#include "policy/entities.h"

namespace domicile::policy::bench {

inline constexpr std::string_view kExampleSet = R"(
@id("protected-in-jurisdiction")
permit (principal, action == Action::"read", resource is Record)
when {
  resource.class == "protected" &&
  principal.entity == "usds" &&
  principal.location == resource.jurisdiction
};
@id("public-read")
permit (principal, action == Action::"read", resource is Record)
when { resource.class == "public" };
@id("list")
permit (principal, action == Action::"list", resource)
when { principal.entity == "usds" };
@id("writers")
permit (principal is Service, action in [Action::"write", Action::"delete"], resource is Record)
when {
  principal.roles.contains("writer") &&
  principal.entity == "usds" &&
  principal.location == resource.jurisdiction
};
@id("no-parent-on-protected")
forbid (principal, action, resource is Record)
when { principal.entity == "parent" && resource.class == "protected" };
@id("no-foreign-source")
forbid (principal, action, resource is Record)
when {
  resource.class == "protected" &&
  context has source_jurisdiction &&
  context.source_jurisdiction != resource.jurisdiction
};
)";

struct Workload {
  std::string name;
  std::string policies;           // Cedar text
  std::vector<Entity> entities;   // for Entities::Create
  std::vector<Request> requests;  // decided in this order, round robin
};

inline Entity Person(std::string type, std::string id, std::string entity, std::string location,
                     std::string role, std::vector<EntityUid> parents = {}) {
  return Entity{{std::move(type), std::move(id)},
                {{"entity", Value::String(std::move(entity))},
                 {"location", Value::String(std::move(location))},
                 {"roles", Value::Set({Value::String(std::move(role))})}},
                std::move(parents)};
}

inline Entity Record(std::string id, std::string jurisdiction, std::string cls,
                     std::vector<EntityUid> parents = {}) {
  return Entity{{"Record", std::move(id)},
                {{"jurisdiction", Value::String(std::move(jurisdiction))},
                 {"class", Value::String(std::move(cls))}},
                std::move(parents)};
}

inline Workload ExampleWorkload() {
  Workload w;
  w.name = "example";
  w.policies = std::string(kExampleSet);
  w.entities = {
      Person("User", "bob", "usds", "US", "engineer"),
      Person("User", "li", "parent", "CN", "engineer"),
      Person("Service", "svc-app", "usds", "US", "writer"),
      Record("u1/email", "US", "protected"),
      Record("u1/name", "US", "public"),
  };
  Value context = Value::Record({{"purpose", Value::String("support")},
                                 {"source_jurisdiction", Value::String("US")},
                                 {"time", Value::Long(1700000000)}});
  w.requests = {
      {{"User", "bob"}, {"Action", "read"}, {"Record", "u1/email"}, context},
      {{"User", "li"}, {"Action", "read"}, {"Record", "u1/email"}, context},
      {{"User", "li"}, {"Action", "read"}, {"Record", "u1/name"}, context},
      {{"Service", "svc-app"}, {"Action", "write"}, {"Record", "u1/email"}, context},
  };
  return w;
}

inline Workload ThousandWorkload() {
  constexpr int kTeams = 100;
  constexpr int kUsers = 445;  // two permits each
  Workload w;
  w.name = "thousand";
  std::string& text = w.policies;
  for (int t = 0; t < kTeams; ++t) {
    text += fmt::format(
        "permit (principal in Team::\"t{0}\", action == Action::\"read\", resource in "
        "Folder::\"f{0}\") when {{ principal.location == resource.jurisdiction }};\n",
        t);
  }
  for (int u = 0; u < kUsers; ++u) {
    text += fmt::format(
        "permit (principal == User::\"u{0}\", action in [Action::\"read\", Action::\"list\"], "
        "resource) when {{ resource.class == \"public\" || principal.location == "
        "resource.jurisdiction }};\n"
        "permit (principal == User::\"u{0}\", action == Action::\"write\", resource is Record) "
        "when {{ principal.roles.contains(\"writer\") && resource.jurisdiction == \"US\" }};\n",
        u);
  }
  for (int f = 0; f < 10; ++f) {
    text += fmt::format(
        "forbid (principal, action, resource) when {{ principal.entity == \"parent{}\" && "
        "resource has class && resource.class == \"protected\" }};\n",
        f);
  }

  for (int u = 0; u < 1000; ++u) {
    w.entities.push_back(Person("User", fmt::format("u{}", u), u % 10 == 0 ? "parent0" : "usds",
                                u % 7 == 0 ? "CN" : "US", u % 3 == 0 ? "writer" : "engineer",
                                {{"Team", fmt::format("t{}", u % kTeams)}}));
  }
  for (int r = 0; r < 1000; ++r) {
    w.entities.push_back(Record(fmt::format("r{}", r), r % 5 == 0 ? "SG" : "US",
                                r % 2 == 0 ? "protected" : "public",
                                {{"Folder", fmt::format("f{}", r % kTeams)}}));
  }
  const char* actions[] = {"read", "list", "write", "delete"};
  for (int k = 0; k < 64; ++k) {
    w.requests.push_back({{"User", fmt::format("u{}", (k * 37) % 1000)},
                          {"Action", actions[k % 4]},
                          {"Record", fmt::format("r{}", (k * 91) % 1000)}});
  }
  return w;
}

}  // namespace domicile::policy::bench
