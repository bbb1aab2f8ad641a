// Client subcommands for the lifecycle operations (docs/operations.md): import, migrate, shred,
// backup, restore, erase. Each talks to a node; the long ones follow the node's operation with a
// progress display, and Ctrl-C stops them cleanly (the node keeps what is done; run again to
// resume).
#include <fstream>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "cli/client_call.h"
#include "cli/commands.h"
#include "cli/progress_display.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "http/signals.h"
#include "nlohmann/json.hpp"
#include "util/encoding.h"

namespace domicile::cli {
namespace {

constexpr size_t kBatchBytes = 512 << 10;  // well under the node's default body limit
constexpr size_t kBatchLines = 2000;

// Follows operation `state` (the 202 answer) until it ends; prints its result. Returns the exit
// code: 0 succeeded, 1 failed, 130 stopped by Ctrl-C.
int FollowOperation(const std::string& name, const Common& common, nlohmann::json state,
                    nlohmann::json* result) {
  const std::string id = state.value("id", "");
  ProgressDisplay display(name);
  bool stopping = false;
  while (state.value("state", "") == "running" || state.value("state", "") == "stopping") {
    display.Update(state.value("phase", ""), state.value("records", uint64_t{0}),
                   state.value("records_total", uint64_t{0}), state.value("bytes", uint64_t{0}),
                   state.value("totals_estimated", false));
    if (!stopping && TerminationRequested()) {
      stopping = true;
      std::cerr << "\ndomicile " << name << ": stopping at the next batch boundary...\n";
      Call(name, common, "DELETE", "/v1/operations/" + id);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto r = Call(name, common, "GET", "/v1/operations/" + id);
    if (!r) return 1;
    state = nlohmann::json::parse(r->body, nullptr, false);
    if (!state.is_object()) {
      std::cerr << "domicile " << name << ": unexpected answer from the node\n";
      return 1;
    }
  }
  display.Finish();
  const std::string end = state.value("state", "");
  if (end == "succeeded") {
    std::cout << state["result"].dump(2) << "\n";
    if (result != nullptr) *result = state["result"];
    return 0;
  }
  const nlohmann::json error = state.value("error", nlohmann::json::object());
  std::cerr << fmt::format("domicile {}: {}: {}\n", name, error.value("code", end),
                           error.value("message", ""));
  if (end == "cancelled") {
    std::cerr << "domicile " << name << ": stopped; run the same command again to resume\n";
    return 130;
  }
  return 1;
}

// Starts an operation and follows it.
int RunOperation(const std::string& name, const Common& common, const std::string& path,
                 const nlohmann::json& body, nlohmann::json* result = nullptr) {
  http::BlockTerminationSignals();
  auto r = Call(name, common, "POST", path, body.dump());
  if (!r) return 1;
  nlohmann::json state = nlohmann::json::parse(r->body, nullptr, false);
  if (!state.is_object()) return 1;
  std::cerr << "domicile " << name << ": operation " << state.value("id", "") << "\n";
  return FollowOperation(name, common, std::move(state), result);
}

struct ImportArgs {
  Common common;
  std::string site, jurisdiction, file, on_error = "abort", id;
};

// The import's id: given, or derived from what is imported where, so that the same command
// run again resumes the same import.
absl::StatusOr<std::string> ImportId(const ImportArgs& a) {
  if (!a.id.empty()) return a.id;
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot open", a.file));
  crypto::Sha256Hasher h;
  h.Update(AsBytes(a.site + "\n" + a.jurisdiction + "\n"));
  std::string buffer(1 << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    h.Update(AsBytes(std::string_view(buffer.data(), static_cast<size_t>(in.gcount()))));
  }
  const crypto::Sha256Digest d = h.Finish();
  return "imp-" + HexEncode(ByteView(d.data(), 8));
}

int RunImport(const ImportArgs& a) {
  http::BlockTerminationSignals();
  absl::StatusOr<std::string> id = ImportId(a);
  if (!id.ok()) {
    std::cerr << "domicile import: " << id.status().message() << "\n";
    return 1;
  }
  auto progress = Call("import", a.common, "GET",
                       fmt::format("/v1/import/{}?site={}", *id, PercentEncode(a.site)));
  if (!progress) return 1;
  const uint64_t start =
      nlohmann::json::parse(progress->body, nullptr, false).value("next_line", uint64_t{1});
  if (start > 1) std::cerr << "domicile import: " << *id << " resumes at line " << start << "\n";
  std::ifstream in(a.file, std::ios::binary);
  if (!in) {
    std::cerr << "domicile import: " << a.file << ": cannot open\n";
    return 1;
  }
  ProgressDisplay display("import");
  uint64_t line_no = 0, imported = 0, skipped = 0, already = 0, registered = 0, bytes = 0;
  std::string batch, text;
  uint64_t batch_first = 0, batch_lines = 0;
  auto send = [&]() -> bool {
    if (batch_lines == 0) return true;
    std::string target = fmt::format(
        "/v1/import?site={}&jurisdiction={}&import={}&first_line={}&on_error={}",
        PercentEncode(a.site), PercentEncode(a.jurisdiction), *id, batch_first, a.on_error);
    auto r = Call("import", a.common, "POST", target, batch);
    if (!r) {
      display.Finish();
      std::cerr << fmt::format("domicile import: {}: the batch of lines {}..{} was not imported\n",
                               a.file, batch_first, batch_first + batch_lines - 1);
      return false;
    }
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    imported += j.value("imported", uint64_t{0});
    skipped += j.value("skipped", uint64_t{0});
    already += j.value("already", uint64_t{0});
    registered += j.value("registered", uint64_t{0});
    for (const auto& e : j.value("errors", nlohmann::json::array())) {
      display.Finish();
      std::cerr << fmt::format("{}:{}: skipped: {}\n", a.file, e.value("line", uint64_t{0}),
                               e.value("message", ""));
    }
    batch.clear();
    batch_lines = 0;
    display.Update("importing", line_no, 0, bytes);
    return true;
  };
  while (std::getline(in, text)) {
    ++line_no;
    bytes += text.size() + 1;
    if (line_no < start) continue;
    if (batch_lines == 0) batch_first = line_no;
    batch += text;
    batch += '\n';
    ++batch_lines;
    if (batch.size() >= kBatchBytes || batch_lines >= kBatchLines) {
      if (!send()) return 1;
      if (TerminationRequested()) {
        display.Finish();
        std::cerr << fmt::format(
            "domicile import: stopped after line {}; run the same command "
            "again to resume\n",
            line_no);
        return 130;
      }
    }
  }
  if (!send()) return 1;
  display.Finish();
  std::cout << fmt::format(
      "import {}: {} records imported into {}, {} subjects registered, "
      "{} lines skipped, {} already imported\n",
      *id, imported, a.site, registered, skipped, already);
  return 0;
}

}  // namespace

void AddOpsCommands(CLI::App& app, int& exit_code) {
  {
    auto a = std::make_shared<ImportArgs>();
    CLI::App* cmd = app.add_subcommand(
        "import",
        "Load records from a legacy system's JSON-lines dump into a site (docs/import.md)");
    cmd->add_option("file", a->file,
                    "The dump: one {\"subject\",\"key\",\"class\",\"value_b64\"} per line")
        ->required();
    cmd->add_option("--site", a->site, "The site to load into (legacy or primary)")->required();
    cmd->add_option("--jurisdiction,-j", a->jurisdiction, "Whose data it is, e.g. US")->required();
    cmd->add_option("--on-error", a->on_error, "A bad line aborts its batch (abort) or is skipped")
        ->check(CLI::IsMember({"skip", "abort"}));
    cmd->add_option("--id", a->id, "Names the import (default: from the file's contents)");
    AddCommon(cmd, a->common);
    cmd->callback([a, &exit_code] { exit_code = RunImport(*a); });
  }
  {
    struct Args {
      Common common;
      std::string from, to, jurisdiction;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "migrate", "Move a jurisdiction's records from a legacy site to a primary site, verified");
    cmd->add_option("--from", a->from, "The legacy site")->required();
    cmd->add_option("--to", a->to, "The primary site")->required();
    cmd->add_option("--jurisdiction,-j", a->jurisdiction,
                    "Whose data (default: the source's only one)");
    AddCommon(cmd, a->common);
    cmd->callback([a, &exit_code] {
      nlohmann::json body = {{"from", a->from}, {"to", a->to}};
      if (!a->jurisdiction.empty()) body["jurisdiction"] = a->jurisdiction;
      exit_code = RunOperation("migrate", a->common, "/v1/migrations", body);
    });
  }
  {
    struct Args {
      Common common;
      std::string site, jurisdiction;
      bool force = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "shred", "Crypto-shred a jurisdiction's data at a site (after a verified migration)");
    cmd->add_option("--site", a->site, "The site")->required();
    cmd->add_option("--jurisdiction,-j", a->jurisdiction,
                    "Whose data (default: the site's only one)");
    cmd->add_flag("--force", a->force,
                  "Shred without a verified migration (needs the shred.force permission; logged)");
    AddCommon(cmd, a->common);
    cmd->callback([a, &exit_code] {
      nlohmann::json body = {{"site", a->site}, {"force", a->force}};
      if (!a->jurisdiction.empty()) body["jurisdiction"] = a->jurisdiction;
      exit_code = RunOperation("shred", a->common, "/v1/shreds", body);
    });
  }
  {
    struct Args {
      Common common;
      std::string site, to;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "backup", "Back up a site's ciphertext and wrapped data keys; prints the backup's id last");
    cmd->add_option("--site", a->site, "The site to back up")->required();
    cmd->add_option("--to", a->to, "A backup site, or a [[backup_dirs]] id of the configuration")
        ->required();
    AddCommon(cmd, a->common);
    cmd->callback([a, &exit_code] {
      nlohmann::json result;
      exit_code = RunOperation("backup", a->common, "/v1/backups",
                               {{"site", a->site}, {"to", a->to}}, &result);
      if (exit_code == 0) std::cout << result.value("id", "") << "\n";
    });
  }
  {
    struct Args {
      Common common;
      std::string from, backup, site;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "restore", "Verify a backup whole, then restore it into its site (resumable)");
    cmd->add_option("--from", a->from, "Where the backup is: a backup site or [[backup_dirs]] id")
        ->required();
    cmd->add_option("--backup", a->backup, "The backup's id (as domicile backup printed it)")
        ->required();
    cmd->add_option("--site", a->site, "The site to restore (the backup's own)")->required();
    AddCommon(cmd, a->common);
    cmd->callback([a, &exit_code] {
      exit_code = RunOperation("restore", a->common, "/v1/restores",
                               {{"from", a->from}, {"backup", a->backup}, {"site", a->site}});
    });
  }
  {
    struct Args {
      Common common;
      std::string subject;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "erase", "Right to erasure: destroy a subject's data keys and records at every site");
    cmd->add_option("subject", a->subject, "Subject id")->required();
    AddCommon(cmd, a->common);
    cmd->callback([a, &exit_code] {
      auto r = Call("erase", a->common, "DELETE", "/v1/subjects/" + PercentEncode(a->subject));
      if (!r) {
        exit_code = 1;
        return;
      }
      nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
      std::cout << fmt::format("subject {} erased: {} records and {} data keys at {}\n", a->subject,
                               j.value("records", 0), j.value("data_keys", 0),
                               j.value("sites", nlohmann::json::array()).dump());
    });
  }
}

}  // namespace domicile::cli
