// Decision time of the policy engine: the Texas example set (a handful of policies) and a
// generated set of 1,000 policies (per-team and per-user permits plus a few forbids), for a
// rotating mix of requests. Targets: median <= 1 us and <= 10 us respectively. The workloads are
// built in policy_workload.h; policy_workload_dump writes them as JSON for cedar_wasm_bench.mjs
// (scripts/bench-policy runs both).
#include <vector>

#include "benchmark/benchmark.h"
#include "policy/authorizer.h"
#include "policy/parser.h"
#include "policy_workload.h"

namespace domicile::policy {
namespace {

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
  bench::Workload w = bench::ExampleWorkload();
  PolicySet set = ParsePolicies(w.policies).value();
  Entities entities = Entities::Create(std::move(w.entities)).value();
  Run(state, set, entities, w.requests);
}
BENCHMARK(BM_ExampleSet);

void BM_Thousand(benchmark::State& state) {
  bench::Workload w = bench::ThousandWorkload();
  PolicySet set = ParsePolicies(w.policies).value();
  if (set.size() != 1000) state.SkipWithError("expected 1,000 policies");
  Entities store = Entities::Create(std::move(w.entities)).value();
  Run(state, set, store, w.requests);
}
BENCHMARK(BM_Thousand);

void BM_ParseExampleSet(benchmark::State& state) {
  for (auto _ : state) {
    auto set = ParsePolicies(bench::kExampleSet);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_ParseExampleSet);

}  // namespace
}  // namespace domicile::policy
