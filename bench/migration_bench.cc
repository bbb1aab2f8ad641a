// Throughput of a verified migration (issue 6 asks for >= 200 MB/s of 1 KiB records, and at
// most 256 MiB resident whatever the site's size): a legacy site "sg" holding US data, imported
// through ops::Import (100,000 records of 1 KiB, 300 per subject, one in eight public), migrated
// to the primary "us-tx" by ops::Migrate, copy and verify, end to end. The vault is the real
// one: RocksDB sites with durable writes, the key custodian over a file keyring, its events
// going to an in-memory log that keeps nothing.
//
// The vault is made and filled once, closed and settled (its stores compacted, as a site at
// rest is), and copied afresh (untimed) for each iteration, so every migration starts from the
// same legacy site and an empty primary.
//   BM_Migrate        a whole migration: copy, then verify;
//   BM_MigrateAgain   a second run after a whole one (untimed): it copies nothing, so it
//                     measures the verify pass (and the copy pass's scan finding nothing new).
// Bytes are plaintext bytes verified; "peak_rss_mib" is the process's peak resident set
// (getrusage), which includes making the legacy site; "migration_rss_mib" the peak while a
// vault is opened and migrated (Linux's VmHWM, reset before each), and "rss_growth_mib" that
// peak less the resident set before the vault was opened.
//
// Run: build/bench/migration_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "custodian/custodian.h"
#include "fmt/format.h"
#include "keys/file_keyring.h"
#include "nlohmann/json.hpp"
#include "ops/import.h"
#include "ops/migration.h"
#include "store/rocksdb_store.h"
#include "util/clock.h"
#include "util/encoding.h"
#include "vault/memory_event_log.h"
#include "vault/vault.h"

namespace domicile::ops {
namespace {

constexpr int kRecords = 100'000;
constexpr int kRecordsPerSubject = 300;
constexpr size_t kValueBytes = 1024;
constexpr int kImportBatch = 10'000;  // lines per Import call

template <typename T>
T Check(absl::StatusOr<T> value) {
  if (!value.ok()) throw std::runtime_error(value.status().ToString());
  return std::move(value).value();
}

double PeakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
}

// Linux: starts the peak resident set (VmHWM) afresh from the current one, so that the peak
// of one migration is measured without the making of the legacy site before it.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// A field of /proc/self/status given in kB ("VmHWM", "VmRSS"), in MiB; 0 if unknown.
double StatusMib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::stod(line.substr(field.size() + 1)) / 1024.0;
    }
  }
  return 0;
}

// Allows everything: the benchmark measures the operation, not the policy.
class AllowAll final : public vault::Decider {
 public:
  vault::Decision Decide(const vault::Principal&, vault::Action, const vault::Resource&,
                         const vault::RequestContext&) const override {
    return vault::Decision{true, "bench allows", {"bench"}, {}, {}};
  }
};

// A vault over the stores in `dir` (made if absent), as src/ops/lifecycle_test.cc makes it.
class Node {
 public:
  explicit Node(const std::filesystem::path& dir) {
    log_.KeepEntries(false);
    std::vector<std::unique_ptr<vault::SiteStore>> sites;
    const std::vector<vault::Site> defs = {{"us-tx", "US", "oracle", vault::SiteRole::kPrimary},
                                           {"sg", "SG", "self", vault::SiteRole::kLegacy, {"US"}}};
    for (const vault::Site& s : defs) {
      sites.push_back(std::make_unique<vault::SiteStore>(
          s, Check(store::OpenRocksDbStore(dir / ("sites/" + s.id)))));
    }
    custodian::CustodianOptions options;
    options.log = &log_;
    auto custodian = Check(custodian::Custodian::Open(
        Check(keys::FileKeyring::Open(dir / "keyring", crypto::SecretBytes(32))),
        Check(store::OpenRocksDbStore(dir / "custodian")), &clock_, options));
    vault::ResidencyRules rules;
    rules.AllowPrimary("US", "us-tx");
    vault_ = Check(
        vault::Vault::Create(std::move(sites), Check(store::OpenRocksDbStore(dir / "meta")),
                             std::move(rules), std::move(custodian), std::make_unique<AllowAll>(),
                             &clock_, vault::VaultOptions{.log = &log_, .source = {"bench"}}));
    ops_.id = "ops";
    ops_.type = vault::PrincipalType::kUser;
    ops_.entity = "usds";
    ops_.location = "US";
  }

  vault::Vault& vault() { return *vault_; }
  vault::Caller Ops() { return vault::Caller{&ops_, {}}; }

  MigrationResult Migrate() {
    Progress progress;
    return Check(ops::Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, progress));
  }

 private:
  FakeClock clock_;
  vault::MemoryEventLog log_;
  vault::Principal ops_;
  std::unique_ptr<vault::Vault> vault_;
};

// The legacy site, filled once in a template directory; each iteration copies it.
class Fixture {
 public:
  Fixture() {
    std::string tmpl = "/tmp/domicile-migration-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    auto node = std::make_unique<Node>(dir_ / "template");
    // Values vary, so that no two records share a plaintext.
    std::string value(kValueBytes, 'v');
    std::string body;
    for (int i = 0; i < kRecords; ++i) {
      const std::string n = fmt::format("{:08d}", i);
      value.replace(0, n.size(), n);
      body += nlohmann::json({{"subject", fmt::format("user{:05d}", i / kRecordsPerSubject)},
                              {"key", fmt::format("field{:03d}", i % kRecordsPerSubject)},
                              {"class", i % 8 == 0 ? "public" : "protected"},
                              {"value_b64", Base64Encode(AsBytes(value))}})
                  .dump();
      body += '\n';
      if ((i + 1) % kImportBatch == 0) {
        ImportRequest request{"sg", "US", "bench", static_cast<uint64_t>(i + 2 - kImportBatch),
                              body, false};
        const ImportResult imported = Check(Import(node->vault(), node->Ops(), request));
        if (imported.imported != static_cast<uint64_t>(kImportBatch)) {
          throw std::runtime_error("short import");
        }
        body.clear();
      }
    }
    // Settled, as a legacy site at rest is: otherwise every copy would open with the import's
    // write-ahead log to flush and its level-0 files to compact while it is migrated.
    node.reset();
    for (const char* store : {"sites/sg", "sites/us-tx", "meta", "custodian"}) {
      const absl::Status compacted = store::CompactRocksDbStore(dir_ / "template" / store);
      if (!compacted.ok()) throw std::runtime_error(compacted.ToString());
    }
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static Fixture& Get() {
    static Fixture* const fixture = [] {
      auto* f = new Fixture();
      std::atexit([] { delete fixture; });
      return f;
    }();
    return *fixture;
  }

  // A fresh copy of the template.
  std::filesystem::path Copy() {
    const std::filesystem::path dir = dir_ / fmt::format("run-{}", round_++);
    std::filesystem::copy(dir_ / "template", dir, std::filesystem::copy_options::recursive);
    return dir;
  }

 private:
  std::filesystem::path dir_;
  int round_ = 0;
};

void Report(benchmark::State& state, uint64_t bytes, uint64_t records, double migration_rss,
            double growth) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.counters["peak_rss_mib"] = PeakRssMib();
  state.counters["migration_rss_mib"] = migration_rss;
  state.counters["rss_growth_mib"] = growth;
}

void BM_Migrate(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  uint64_t bytes = 0, records = 0;
  double migration_rss = 0, growth = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::filesystem::path dir = f.Copy();
    ResetPeakRss();
    const double before = StatusMib("VmRSS");
    auto node = std::make_unique<Node>(dir);
    state.ResumeTiming();
    const MigrationResult m = node->Migrate();
    state.PauseTiming();
    migration_rss = std::max(migration_rss, StatusMib("VmHWM"));
    growth = std::max(growth, StatusMib("VmHWM") - before);
    if (!m.verified || m.copied != kRecords) throw std::runtime_error("migration incomplete");
    bytes += m.bytes;
    records += m.records;
    node.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  Report(state, bytes, records, migration_rss, growth);
}
BENCHMARK(BM_Migrate)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_MigrateAgain(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  uint64_t bytes = 0, records = 0;
  double migration_rss = 0, growth = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::filesystem::path dir = f.Copy();
    ResetPeakRss();
    const double before = StatusMib("VmRSS");
    auto node = std::make_unique<Node>(dir);
    node->Migrate();
    state.ResumeTiming();
    const MigrationResult m = node->Migrate();
    state.PauseTiming();
    migration_rss = std::max(migration_rss, StatusMib("VmHWM"));
    growth = std::max(growth, StatusMib("VmHWM") - before);
    if (!m.verified || m.copied != 0) throw std::runtime_error("second run copied");
    bytes += m.bytes;
    records += m.records;
    node.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  Report(state, bytes, records, migration_rss, growth);
}
BENCHMARK(BM_MigrateAgain)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace domicile::ops
