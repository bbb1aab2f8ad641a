// `domicile audit ...`: the independent auditor. `verify` checks a log (a directory or a URL)
// with nothing but its verifier key (and, with --witness, its witnesses' keys, whose
// cosignatures it then requires) and keeps a verified state; `report` summarises the events
// of the verified entries. docs/audit.md describes both and every refusal.
#include <iostream>
#include <memory>
#include <vector>

#include "CLI/CLI.hpp"
#include "audit/directory_log_source.h"
#include "audit/event_report.h"
#include "audit/http_log_source.h"
#include "audit/log_verifier.h"
#include "cli/commands.h"
#include "tlog/cosignature.h"
#include "util/file.h"

namespace domicile::cli {
namespace {

// The default state directory of `audit report`.
constexpr const char* kDefaultStateDir = "domicile-audit";

struct VerifyArgs {
  std::string url, dir, key, state, ca;
  std::vector<std::string> witnesses;
};

// The vkey string, or the contents of FILE for "@FILE", trimmed.
absl::StatusOr<std::string> ReadKeyText(const std::string& arg) {
  std::string text = arg;
  if (!arg.empty() && arg[0] == '@') {
    absl::StatusOr<std::string> file = ReadFileToString(arg.substr(1));
    if (!file.ok()) return file.status();
    text = std::move(*file);
  }
  const size_t begin = text.find_first_not_of(" \t\r\n");
  const size_t end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

absl::StatusOr<tlog::NoteVerifier> ReadKey(const std::string& arg) {
  absl::StatusOr<std::string> text = ReadKeyText(arg);
  if (!text.ok()) return text.status();
  return tlog::ParseNoteVerifier(*text);
}

absl::StatusOr<tlog::CosignerVerifier> ReadWitnessKey(const std::string& arg) {
  absl::StatusOr<std::string> text = ReadKeyText(arg);
  if (!text.ok()) return text.status();
  return tlog::ParseCosignerVerifier(*text);
}

int Verify(const VerifyArgs& a) {
  if (a.url.empty() == a.dir.empty()) {
    std::cerr << "domicile audit verify: give exactly one of --url and --dir\n";
    return 2;
  }
  absl::StatusOr<tlog::NoteVerifier> key = ReadKey(a.key);
  if (!key.ok()) {
    std::cerr << "domicile audit verify: --key: " << key.status().message() << "\n";
    return 2;
  }
  std::vector<tlog::CosignerVerifier> witnesses;
  for (const std::string& arg : a.witnesses) {
    absl::StatusOr<tlog::CosignerVerifier> witness = ReadWitnessKey(arg);
    if (!witness.ok()) {
      std::cerr << "domicile audit verify: --witness " << arg << ": " << witness.status().message()
                << "\n";
      return 2;
    }
    witnesses.push_back(*std::move(witness));
  }
  std::unique_ptr<audit::LogSource> source;
  if (!a.dir.empty()) {
    source = std::make_unique<audit::DirectoryLogSource>(a.dir);
  } else {
    http::ClientOptions options;
    options.ca_file = a.ca;
    auto http = audit::HttpLogSource::Create(a.url, options);
    if (!http.ok()) {
      std::cerr << "domicile audit verify: --url: " << http.status().message() << "\n";
      return 2;
    }
    source = std::move(*http);
  }
  absl::StatusOr<audit::VerifyResult> result = audit::VerifyLog(*source, *key, a.state, witnesses);
  if (!result.ok()) {
    std::cerr << "domicile audit verify: REFUSED: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << audit::FormatVerifySummary(*result) << "\n";
  return 0;
}

struct ReportArgs {
  std::string state = kDefaultStateDir, since, format = "text";
};

int Report(const ReportArgs& a) {
  std::optional<std::string> since;
  if (!a.since.empty()) {
    if (absl::StatusOr<absl::Time> t = audit::ParseRfc3339(a.since); !t.ok()) {
      std::cerr << "domicile audit report: --since: " << t.status().message() << "\n";
      return 2;
    }
    since = a.since;
  }
  absl::StatusOr<audit::EventReport> report = audit::ReportFromState(a.state, since);
  if (!report.ok()) {
    std::cerr << "domicile audit report: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << (a.format == "json" ? audit::FormatReportJson(*report)
                                   : audit::FormatReportText(*report));
  return 0;
}

}  // namespace

void AddAuditCommands(CLI::App& app, int& exit_code) {
  CLI::App* audit = app.add_subcommand(
      "audit", "Verify a transparency log with only its key, and report on its events");
  audit->require_subcommand(1);
  {
    auto a = std::make_shared<VerifyArgs>();
    CLI::App* verify = audit->add_subcommand(
        "verify",
        "Verify the log's checkpoint, every entry and tile, and consistency with --state");
    auto* url = verify->add_option(
        "--url", a->url,
        "The log's URL prefix (http://host:port/log); a node URL without a path gets /log");
    auto* dir = verify->add_option("--dir", a->dir, "A tlog-tiles log on disk");
    url->excludes(dir);
    verify->add_option("--key", a->key, "The log's verifier key (origin+hexid+base64), or @FILE")
        ->required();
    verify->add_option("--state", a->state,
                       "State directory: verify only what is new since the last run, prove "
                       "consistency with it, and keep a verified mirror of the entries");
    verify->add_option("--ca", a->ca, "CA certificate to verify an https log");
    verify->add_option("--witness", a->witnesses,
                       "Require a valid cosignature on the checkpoint by this witness: its "
                       "cosigner key (name+hexid+base64, type 0x04), or @FILE; repeatable");
    verify->callback([a, &exit_code] { exit_code = Verify(*a); });
  }
  {
    auto a = std::make_shared<ReportArgs>();
    CLI::App* report =
        audit->add_subcommand("report", "Report on the events of the verified entries in --state");
    report->add_option("--state", a->state, "State directory written by `audit verify`")
        ->capture_default_str();
    report->add_option("--since", a->since, "Only events at or after this RFC 3339 time");
    report->add_option("--format", a->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    report->callback([a, &exit_code] { exit_code = Report(*a); });
  }
}

}  // namespace domicile::cli
