// Decision time of the policy engine: the Texas example set (a handful of policies) and a
// generated set of 1,000 policies (per-team and per-user permits plus a few forbids), for a
// rotating mix of requests. Targets: median <= 1 us and <= 10 us respectively.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "fmt/format.h"
#include "policy/authorizer.h"
#include "policy/parser.h"

namespace domicile::policy {
namespace {

constexpr std::string_view kExampleSet = R"(
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

Entity Person(std::string type, std::string id, std::string entity, std::string location,
              std::string role, std::vector<EntityUid> parents = {}) {
  return Entity{{std::move(type), std::move(id)},
                {{"entity", Value::String(std::move(entity))},
                 {"location", Value::String(std::move(location))},
                 {"roles", Value::Set({Value::String(std::move(role))})}},
                std::move(parents)};
}

Entity Record(std::string id, std::string jurisdiction, std::string cls,
              std::vector<EntityUid> parents = {}) {
  return Entity{{"Record", std::move(id)},
                {{"jurisdiction", Value::String(std::move(jurisdiction))},
                 {"class", Value::String(std::move(cls))}},
                std::move(parents)};
}

void Run(benchmark::State& state, const PolicySet& set, const Entities& entities,
         const std::vector<Request>& requests) {
  size_t i = 0;
  size_t allowed = 0;
  for (auto _ : state) {
    Response r = IsAuthorized(set, entities, requests[i]);
    allowed += r.allow;
    benchmark::DoNotOptimize(r);
    if (++i == requests.size()) i = 0;
  }
  state.counters["allow_ratio"] =
      static_cast<double>(allowed) / static_cast<double>(state.iterations());
}

void BM_ExampleSet(benchmark::State& state) {
  PolicySet set = ParsePolicies(kExampleSet).value();
  Entities entities = Entities::Create({
                                           Person("User", "bob", "usds", "US", "engineer"),
                                           Person("User", "li", "parent", "CN", "engineer"),
                                           Person("Service", "svc-app", "usds", "US", "writer"),
                                           Record("u1/email", "US", "protected"),
                                           Record("u1/name", "US", "public"),
                                       })
                          .value();
  Value context = Value::Record({{"purpose", Value::String("support")},
                                 {"source_jurisdiction", Value::String("US")},
                                 {"time", Value::Long(1700000000)}});
  std::vector<Request> requests = {
      {{"User", "bob"}, {"Action", "read"}, {"Record", "u1/email"}, context},
      {{"User", "li"}, {"Action", "read"}, {"Record", "u1/email"}, context},
      {{"User", "li"}, {"Action", "read"}, {"Record", "u1/name"}, context},
      {{"Service", "svc-app"}, {"Action", "write"}, {"Record", "u1/email"}, context},
  };
  Run(state, set, entities, requests);
}
BENCHMARK(BM_ExampleSet);

void BM_Thousand(benchmark::State& state) {
  constexpr int kTeams = 100;
  constexpr int kUsers = 445;  // two permits each
  std::string text;
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
  PolicySet set = ParsePolicies(text).value();
  if (set.size() != 1000) state.SkipWithError("expected 1,000 policies");

  std::vector<Entity> entities;
  for (int u = 0; u < 1000; ++u) {
    entities.push_back(Person("User", fmt::format("u{}", u), u % 10 == 0 ? "parent0" : "usds",
                              u % 7 == 0 ? "CN" : "US", u % 3 == 0 ? "writer" : "engineer",
                              {{"Team", fmt::format("t{}", u % kTeams)}}));
  }
  for (int r = 0; r < 1000; ++r) {
    entities.push_back(Record(fmt::format("r{}", r), r % 5 == 0 ? "SG" : "US",
                              r % 2 == 0 ? "protected" : "public",
                              {{"Folder", fmt::format("f{}", r % kTeams)}}));
  }
  Entities store = Entities::Create(std::move(entities)).value();
  std::vector<Request> requests;
  const char* actions[] = {"read", "list", "write", "delete"};
  for (int k = 0; k < 64; ++k) {
    requests.push_back({{"User", fmt::format("u{}", (k * 37) % 1000)},
                        {"Action", actions[k % 4]},
                        {"Record", fmt::format("r{}", (k * 91) % 1000)}});
  }
  Run(state, set, store, requests);
}
BENCHMARK(BM_Thousand);

void BM_ParseExampleSet(benchmark::State& state) {
  for (auto _ : state) {
    auto set = ParsePolicies(kExampleSet);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_ParseExampleSet);

}  // namespace
}  // namespace domicile::policy
