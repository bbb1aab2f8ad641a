// Benchmarks of the auditor (src/audit). Target: verifying a log of ~400-byte entries from a
// directory at >= 1,000,000 entries/s (BM_VerifyFromDirectory, items_per_second; the reported
// figure is the median of the repetitions). The log (2^20 entries, ~420 MB) is generated once
// per run with the tlog primitives in a temporary directory under /tmp, removed afterwards.
// AUDIT_BENCH_ENTRIES overrides its size.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

#include "audit/directory_log_source.h"
#include "audit/log_verifier.h"
#include "audit/test_log_writer.h"
#include "audit/tree_hasher.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace domicile::audit {
namespace {

constexpr size_t kEntryBytes = 400;
constexpr int kRepetitions = 5;

std::filesystem::path MakeTempDir(const char* name) {
  std::string tmpl = std::string("/tmp/") + name + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

// ~400 bytes of JSON-like text, different for every index.
Bytes Entry(uint64_t i, std::mt19937_64& rng) {
  std::string s = "{\"action\":\"read\",\"decision\":\"allow\",\"i\":" + std::to_string(i) +
                  ",\"kind\":\"access\",\"pad\":\"";
  while (s.size() < kEntryBytes - 2) s.push_back(static_cast<char>('a' + rng() % 26));
  s += "\"}";
  return ToBytes(s);
}

// The generated log, shared by every benchmark of this run.
class BenchLog {
 public:
  static BenchLog& Get() {
    static BenchLog log;
    return log;
  }
  ~BenchLog() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& dir() const { return dir_; }
  const tlog::NoteVerifier& key() const { return key_; }
  uint64_t size() const { return size_; }

 private:
  BenchLog() : dir_(MakeTempDir("domicile-audit-bench")) {
    size_ = uint64_t{1} << 20;
    if (const char* env = std::getenv("AUDIT_BENCH_ENTRIES")) size_ = std::stoull(env);
    auto writer = testing::TestLogWriter::Create(dir_ / "log", "bench.example/log", Bytes(32, 9));
    if (!writer.ok()) throw std::runtime_error(writer.status().ToString());
    std::mt19937_64 rng(1);
    for (uint64_t i = 0; i < size_; ++i) writer->Append(Entry(i, rng));
    if (!writer->Publish().ok()) throw std::runtime_error("cannot publish the bench log");
    auto key = tlog::ParseNoteVerifier(writer->verifier_key());
    if (!key.ok()) throw std::runtime_error(key.status().ToString());
    key_ = *key;
  }

  std::filesystem::path dir_;
  tlog::NoteVerifier key_;
  uint64_t size_ = 0;
};

// Everything from scratch, no state: every entry re-hashed, every tile and the root checked.
void BM_VerifyFromDirectory(benchmark::State& state) {
  BenchLog& log = BenchLog::Get();
  for (auto _ : state) {
    DirectoryLogSource source(log.dir() / "log");
    absl::StatusOr<VerifyResult> r = VerifyLog(source, log.key());
    if (!r.ok() || r->entries_verified != log.size()) std::abort();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * log.size()));
}
BENCHMARK(BM_VerifyFromDirectory)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// The same with a fresh --state: also writes the verified mirror (one fsync per bundle file).
void BM_VerifyIntoNewState(benchmark::State& state) {
  BenchLog& log = BenchLog::Get();
  const std::filesystem::path states = MakeTempDir("domicile-audit-bench-state");
  int run = 0;
  for (auto _ : state) {
    const std::filesystem::path dir = states / std::to_string(run++);
    DirectoryLogSource source(log.dir() / "log");
    absl::StatusOr<VerifyResult> r = VerifyLog(source, log.key(), dir);
    if (!r.ok() || r->entries_verified != log.size()) std::abort();
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  std::filesystem::remove_all(states);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * log.size()));
}
BENCHMARK(BM_VerifyIntoNewState)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// The leaf hash of one 400-byte entry: the auditor's reusable hasher, and tlog::LeafHash.
void BM_LeafHash400B_TreeHasher(benchmark::State& state) {
  std::mt19937_64 rng(2);
  const Bytes entry = Entry(0, rng);
  TreeHasher hasher;
  for (auto _ : state) benchmark::DoNotOptimize(hasher.Leaf(entry));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeafHash400B_TreeHasher);

void BM_LeafHash400B_Tlog(benchmark::State& state) {
  std::mt19937_64 rng(2);
  const Bytes entry = Entry(0, rng);
  for (auto _ : state) benchmark::DoNotOptimize(tlog::LeafHash(entry));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeafHash400B_Tlog);

}  // namespace
}  // namespace domicile::audit
