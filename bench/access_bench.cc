// The cost of grants on the read path: a decision by the example policy for a person reading
// under a valid grant, against the same decision for a service reading without one (the grant
// check is the difference: building context.grant and checking that the grant covers the
// request); and the lookup of a grant's facts by id, which the HTTP layer does per request
// (Grants::Facts). Target: the grant check adds <= 1 us to a decision.
#include <fstream>
#include <iterator>

#include "access/grants.h"
#include "benchmark/benchmark.h"
#include "keys/file_keyring.h"
#include "policy/parser.h"
#include "store/rocksdb_store.h"
#include "util/temp_dir.h"
#include "vault/memory_event_log.h"
#include "vault/policy_decider.h"

namespace domicile::access {
namespace {

using vault::Action;
using vault::Principal;

Principal P(std::string id, vault::PrincipalType type, std::vector<std::string> roles,
            std::string team) {
  Principal p;
  p.id = std::move(id);
  p.type = type;
  p.entity = "usds";
  p.location = "US";
  p.roles = std::move(roles);
  p.team = std::move(team);
  return p;
}

std::unique_ptr<vault::PolicyDecider> TexasDecider() {
  std::ifstream in(DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  vault::NetworkMap network;
  (void)network.Add("127.0.0.0/8", "US");
  return std::make_unique<vault::PolicyDecider>(policy::ParsePolicies(text, "policy.cedar").value(),
                                                std::move(network));
}

const vault::Resource kRecord(vault::Resource::Kind::kRecord, "u1", "email", "US",
                              vault::Classification::kProtected, "oci-us-tx");

void BM_DecideServiceWithoutGrant(benchmark::State& state) {
  std::unique_ptr<vault::PolicyDecider> decider = TexasDecider();
  Principal svc = P("svc-app", vault::PrincipalType::kService, {"writer"}, "");
  vault::RequestContext context("", "127.0.0.1", 1'700'000'000);
  for (auto _ : state) {
    vault::Decision d = decider->Decide(svc, Action::kRead, kRecord, context);
    if (!d.allow) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideServiceWithoutGrant);

void BM_DecidePersonUnderGrant(benchmark::State& state) {
  std::unique_ptr<vault::PolicyDecider> decider = TexasDecider();
  Principal bob = P("bob", vault::PrincipalType::kUser, {"engineer"}, "feed");
  auto grant = std::make_shared<vault::GrantFacts>();
  grant->id = "g-0011223344556677";
  grant->known = true;
  grant->state = vault::GrantState::kActive;
  grant->requester = "bob";
  grant->scope_kind = "subject";
  grant->scope_value = "u1";
  grant->jurisdiction = "US";
  grant->actions = {Action::kList, Action::kRead};
  grant->purpose = "support";
  grant->expires = 1'700'003'600;
  grant->approvals = 2;
  vault::RequestContext context("", "127.0.0.1", 1'700'000'000, grant);
  for (auto _ : state) {
    vault::Decision d = decider->Decide(bob, Action::kRead, kRecord, context);
    if (!d.allow) state.SkipWithError("expected allow");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecidePersonUnderGrant);

// Grants::Facts among state.range(0) grants.
void BM_GrantFactsLookup(benchmark::State& state) {
  testing::TempDir dir;
  FakeClock clock;
  vault::MemoryEventLog log;
  log.KeepEntries(false);
  std::vector<std::unique_ptr<vault::SiteStore>> sites;
  sites.push_back(
      std::make_unique<vault::SiteStore>(vault::Site{"us", "US", "o", vault::SiteRole::kPrimary},
                                         store::OpenRocksDbStore(dir / "site").value()));
  vault::ResidencyRules rules;
  rules.AllowPrimary("US", "us");
  auto v = vault::Vault::Create(
               std::move(sites), store::OpenRocksDbStore(dir / "meta").value(), std::move(rules),
               std::make_unique<vault::UncheckedCustodian>(
                   keys::FileKeyring::Open(dir / "ring", crypto::SecretBytes(32)).value()),
               TexasDecider(), &clock, vault::VaultOptions{.log = &log, .source = {"b"}})
               .value();
  auto grants = Grants::Open(v.get(), store::OpenRocksDbStore(dir / "grants").value(), {}).value();
  Principal bob = P("bob", vault::PrincipalType::kUser, {"engineer"}, "feed");
  std::vector<std::string> ids;
  GrantRequest r{"jurisdiction:US", "protected", {"read"}, "support", "ticket", "1h", false};
  for (int64_t i = 0; i < state.range(0); ++i) {
    ids.push_back(grants->Request(vault::Caller{&bob, {}}, r).value().grant.id);
  }
  size_t i = 0;
  for (auto _ : state) {
    auto facts = grants->Facts(ids[i]);
    benchmark::DoNotOptimize(facts);
    if (++i == ids.size()) i = 0;
  }
}
BENCHMARK(BM_GrantFactsLookup)->Arg(1)->Arg(1000);

}  // namespace
}  // namespace domicile::access
