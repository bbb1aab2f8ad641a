// The vault's read and write paths without HTTP: decide, unwrap the data key, open the value.
// Run: build/bench/vault_bench
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "benchmark/benchmark.h"
#include "keys/file_keyring.h"
#include "policy/parser.h"
#include "store/rocksdb_store.h"
#include "vault/memory_event_log.h"
#include "vault/policy_decider.h"
#include "vault/residency_guard.h"
#include "vault/vault.h"

namespace domicile::vault {
namespace {

struct Fixture {
  std::filesystem::path dir;
  FakeClock clock;
  MemoryEventLog log;  // events are built and appended; durability is bench/tlog_bench's part
  std::unique_ptr<Vault> vault;
  Principal writer, reader;

  explicit Fixture(int subjects, int records) {
    dir = std::filesystem::temp_directory_path() /
          ("domicile-vault-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    log.KeepEntries(false);
    std::vector<std::unique_ptr<SiteStore>> sites;
    sites.push_back(
        std::make_unique<SiteStore>(Site{"us-tx", "US", "oracle", SiteRole::kPrimary},
                                    std::move(*store::OpenRocksDbStore(dir / "sites/us-tx"))));
    ResidencyRules rules;
    rules.AllowPrimary("US", "us-tx");
    vault = std::move(*Vault::Create(
        std::move(sites), std::move(*store::OpenRocksDbStore(dir / "meta")), rules,
        std::make_unique<UncheckedCustodian>(
            std::move(*keys::FileKeyring::Open(dir / "keyring", crypto::SecretBytes(32)))),
        std::make_unique<ResidencyGuard>(), &clock,
        VaultOptions{.log = &log, .source = {"bench"}}));
    writer.id = "svc";
    writer.location = "US";
    writer.roles = {"writer"};
    reader.id = "bob";
    reader.location = "US";
    std::string value(1024, 'v');
    for (int s = 0; s < subjects; ++s) {
      std::string id = "u" + std::to_string(s);
      (void)vault->RegisterSubject({&writer, {}}, id, "US");
      for (int r = 0; r < records; ++r) {
        std::string key = "k" + std::to_string(r);
        (void)vault->Put({&writer, {}}, {id, key, Classification::kProtected, "", value});
      }
    }
  }
  ~Fixture() {
    vault.reset();
    std::filesystem::remove_all(dir);
  }
};

void BM_VaultGetProtected1KiB(benchmark::State& state) {
  static Fixture f(100, 10);
  std::mt19937 rng(42);
  std::vector<std::pair<std::string, std::string>> targets;
  for (int s = 0; s < 100; ++s) {
    for (int r = 0; r < 10; ++r)
      targets.emplace_back("u" + std::to_string(s), "k" + std::to_string(r));
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [subject, key] = targets[i++ % targets.size()];
    auto r = f.vault->Get({&f.reader, {}}, subject, key);
    if (!r.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_VaultGetProtected1KiB)->ThreadRange(1, 2)->UseRealTime();

// One decision with the example deployment's policy (examples/texas/policy.cedar), as the node
// makes it: entities built from the principal and the resource, then the engine.
void BM_PolicyDeciderTexas(benchmark::State& state) {
  std::ifstream in(DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto set = policy::ParsePolicies(text, "policy.cedar");
  if (!set.ok()) {
    state.SkipWithError("policy does not parse");
    return;
  }
  PolicyDecider decider(*set, NetworkMap());
  Principal bob;
  bob.id = "bob";
  bob.entity = "usds";
  bob.location = "US";
  bob.roles = {"engineer"};
  bob.team = "feed";
  Resource record{Resource::Kind::kRecord,    "u1",       "email", "US",
                  Classification::kProtected, "oci-us-tx"};
  RequestContext context{"support", "127.0.0.1", 1'700'000'000};
  for (auto _ : state) {
    Decision d = decider.Decide(bob, Action::kRead, record, context);
    if (!d.allow) state.SkipWithError("denied");
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_PolicyDeciderTexas);

}  // namespace
}  // namespace domicile::vault
