// `domicile bench`: loads a node with subjects and 1 KiB protected records through its API,
// then measures authorized protected GETs with N keep-alive connections and reports requests/s
// and latency percentiles. See docs/PERFORMANCE.md for the figures and the commands.
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "crypto/random.h"
#include "fmt/format.h"
#include "http/client.h"
#include "http/load_generator.h"

namespace domicile::cli {
namespace {

struct BenchArgs {
  std::string url = "http://127.0.0.1:8700";
  std::string token;
  int subjects = 100;
  int records = 10;  // per subject
  int value_size = 1024;
  int connections = 32;
  int threads = 1;
  int writers = 8;
  double seconds = 10;
  bool skip_setup = false;
  std::string prefix = "bench";
  std::string read_token;  // who reads (default: token)
  std::string grant;       // Domicile-Grant on every read
};

std::string Target(const BenchArgs& a, int s, int r) {
  return fmt::format("/v1/subjects/{}-{}/records/k{}", a.prefix, s, r);
}

int Setup(const BenchArgs& a, const std::vector<http::Header>& headers) {
  absl::StatusOr<Bytes> value = crypto::RandomBytes(size_t(a.value_size));
  if (!value.ok()) return 1;
  const std::string body = ToString(*value);
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  const int total = a.subjects * a.records;
  auto worker = [&] {
    absl::StatusOr<std::unique_ptr<http::Client>> client = http::Client::Create(a.url);
    if (!client.ok()) {
      failed = true;
      return;
    }
    for (int i = next++; i < total && !failed; i = next++) {
      // Consecutive writes go to different subjects: writes to one subject are serialised.
      int s = i % a.subjects, r = i / a.subjects;
      auto resp = (*client)->Do("PUT", Target(a, s, r) + "?class=protected", headers, body);
      if (!resp.ok() || resp->status >= 300) {
        std::cerr << "bench: write failed: "
                  << (resp.ok() ? resp->body : std::string(resp.status().message())) << "\n";
        failed = true;
        return;
      }
    }
  };
  // Subjects first, then their records from several writers.
  {
    auto client = http::Client::Create(a.url);
    if (!client.ok()) {
      std::cerr << "bench: " << client.status().message() << "\n";
      return 1;
    }
    for (int s = 0; s < a.subjects; ++s) {
      std::string reg = fmt::format(R"({{"id":"{}-{}","jurisdiction":"US"}})", a.prefix, s);
      auto resp = (*client)->Do("POST", "/v1/subjects", headers, reg);
      if (!resp.ok() || resp->status >= 300) {
        std::cerr << "bench: registering subjects failed: "
                  << (resp.ok() ? resp->body : std::string(resp.status().message())) << "\n";
        return 1;
      }
    }
  }
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < a.writers; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (failed) return 1;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format("setup: {} records of {} bytes in {:.1f} s ({:.0f} writes/s)\n", total,
                           a.value_size, secs, total / secs);
  return 0;
}

int Bench(const BenchArgs& a) {
  std::string token = a.token;
  if (token.empty() && std::getenv("DOMICILE_TOKEN")) token = std::getenv("DOMICILE_TOKEN");
  if (token.empty()) {
    std::cerr << "domicile bench: no token: pass --token or set DOMICILE_TOKEN\n";
    return 2;
  }
  std::vector<http::Header> headers = {{"Authorization", "Bearer " + token}};
  if (!a.skip_setup && Setup(a, headers) != 0) return 1;

  http::LoadOptions load;
  load.url = a.url;
  load.connections = a.connections;
  load.threads = a.threads;
  load.duration = std::chrono::milliseconds(int64_t(a.seconds * 1000));
  load.headers = headers;
  if (!a.read_token.empty()) load.headers = {{"Authorization", "Bearer " + a.read_token}};
  if (!a.grant.empty()) load.headers.push_back({"Domicile-Grant", a.grant});
  const int total = a.subjects * a.records;
  const int step = std::max(1, total / 100000);  // at most ~100k distinct targets
  for (int i = 0; i < total; i += step) {
    load.targets.push_back(Target(a, i / a.records, i % a.records));
  }
  absl::StatusOr<http::LoadReport> report = http::RunLoad(load);
  if (!report.ok()) {
    std::cerr << "domicile bench: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << fmt::format(
      "protected GET {} B: {} connections, {:.1f} s: {:.0f} requests/s, p50 {:.0f} us, "
      "p90 {:.0f} us, p99 {:.0f} us, max {:.0f} us, errors {}\n",
      a.value_size, a.connections, report->seconds, report->requests_per_second, report->p50_us,
      report->p90_us, report->p99_us, report->max_us, report->errors);
  for (const auto& [status, count] : report->status_counts) {
    std::cout << fmt::format("  HTTP {}: {}\n", status, count);
  }
  return report->errors == 0 ? 0 : 1;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Load a node with protected records, then measure protected GETs");
  cmd->add_option("--url", a->url, "Node URL (http only)");
  cmd->add_option("--token", a->token, "Bearer token of a US writer (default $DOMICILE_TOKEN)");
  cmd->add_option("--subjects", a->subjects, "Subjects to create (US)");
  cmd->add_option("--records", a->records, "Records per subject");
  cmd->add_option("--value-size", a->value_size, "Bytes per value");
  cmd->add_option("--connections,-c", a->connections, "Keep-alive connections");
  cmd->add_option("--threads", a->threads, "Load-generator threads");
  cmd->add_option("--writers", a->writers, "Concurrent writers during setup");
  cmd->add_option("--seconds,-d", a->seconds, "Measurement duration");
  cmd->add_option("--prefix", a->prefix, "Subject id prefix");
  cmd->add_option("--read-token", a->read_token,
                  "Bearer token of the reader during the load (default: --token)");
  cmd->add_option("--grant", a->grant, "Grant the reads are made under (Domicile-Grant)");
  cmd->add_flag("--skip-setup", a->skip_setup, "Reuse records written by an earlier run");
  cmd->callback([a, &exit_code] { exit_code = Bench(*a); });
}

}  // namespace domicile::cli
