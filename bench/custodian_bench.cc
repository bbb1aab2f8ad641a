// The key custodian's unwraps per second, in process: its rules, its event (to an in-memory
// log here; the node's log in a deployment), and the unwrap by the key provider. Three
// justifications: a service (rules 1-4), a person under a grant with two approvals (rule 5; the
// approvers' signatures are verified once and remembered), and the same on SoftHSM2.
//   build/bench/custodian_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <memory>

#include "access/approval.h"
#include "benchmark/benchmark.h"
#include "custodian/custodian.h"
#include "keys/file_keyring.h"
#include "keys/pkcs11_key_provider.h"
#include "keys/softhsm_token.h"
#include "store/rocksdb_store.h"
#include "util/temp_dir.h"
#include "vault/memory_event_log.h"

namespace domicile::custodian {
namespace {

constexpr int64_t kNow = 1'800'000'000;

struct Setup {
  testing::TempDir dir;
  FakeClock clock{kNow};
  vault::MemoryEventLog log;
  std::unique_ptr<Custodian> custodian;
  keys::WrappedDataKey wrapped;
  vault::Justification service, person;

  explicit Setup(std::unique_ptr<keys::KeyProvider> keys) {
    log.KeepEntries(false);
    CustodianOptions o;
    o.log = &log;
    access::ApproverKey alice = access::GenerateApproverKey("alice").value();
    access::ApproverKey carol = access::GenerateApproverKey("carol").value();
    o.approvers["alice"] = {"alice", "US", alice.verifier};
    o.approvers["carol"] = {"carol", "US", carol.verifier};
    custodian =
        Custodian::Open(std::move(keys), store::OpenRocksDbStore(dir / "s").value(), &clock, o)
            .value();
    const std::string kek = keys::KekId("us-tx", "US");
    (void)custodian->EnsureKek(kek);
    wrapped = keys::GenerateDataKey(custodian->keys(), kek).value().wrapped;

    service.principal.id = "svc-app";
    service.principal.type = vault::PrincipalType::kService;
    service.principal.entity = "usds";
    service.principal.location = "US";
    service.subject = "u1";
    service.key = "email";
    service.jurisdiction = "US";
    service.site = "us-tx";
    service.log_index = 7;
    person = service;
    person.principal.id = "bob";
    person.principal.type = vault::PrincipalType::kUser;
    access::Grant g;
    g.id = "g-00000000000000a1";
    g.requester = "bob";
    g.scope_kind = "subject";
    g.scope_value = "u1";
    g.jurisdiction = "US";
    g.actions = {vault::Action::kRead};
    g.purpose = "support";
    g.expires = kNow + 3600;
    g.state = vault::GrantState::kActive;
    for (const access::ApproverKey* k : {&alice, &carol}) {
      g.approvals.push_back({k->name, kNow, access::SignApproval(g, *k).value()});
    }
    person.grant = g.Facts();
  }

  void Run(benchmark::State& state, const vault::Justification& why) {
    for (auto _ : state) {
      bool ok = false;
      custodian->Unwrap(why, wrapped, [&](absl::StatusOr<crypto::SecretBytes> k) { ok = k.ok(); });
      if (!ok) {
        state.SkipWithError("unwrap refused");
        return;
      }
    }
    state.SetItemsProcessed(state.iterations());
  }
};

std::unique_ptr<keys::KeyProvider> FileKeys(const testing::TempDir& dir) {
  return keys::FileKeyring::Open(dir / "ring", crypto::SecretBytes(32)).value();
}

void BM_CustodianUnwrapFileService(benchmark::State& state) {
  testing::TempDir keys_dir;
  Setup s(FileKeys(keys_dir));
  s.Run(state, s.service);
}
BENCHMARK(BM_CustodianUnwrapFileService);

void BM_CustodianUnwrapFilePersonUnderGrant(benchmark::State& state) {
  testing::TempDir keys_dir;
  Setup s(FileKeys(keys_dir));
  s.Run(state, s.person);
}
BENCHMARK(BM_CustodianUnwrapFilePersonUnderGrant);

void BM_CustodianUnwrapSoftHsmPersonUnderGrant(benchmark::State& state) {
  static testing::TempDir hsm_dir;
  static absl::StatusOr<keys::SoftHsmToken> token =
      keys::OpenSoftHsmToken(hsm_dir / "softhsm", "bench");
  if (!token.ok()) {
    state.SkipWithError("no SoftHSM2");
    return;
  }
  Setup s(keys::Pkcs11KeyProvider::Open(token->Options()).value());
  s.Run(state, s.person);
}
BENCHMARK(BM_CustodianUnwrapSoftHsmPersonUnderGrant);

}  // namespace
}  // namespace domicile::custodian
