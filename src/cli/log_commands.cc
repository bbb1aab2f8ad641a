// `domicile log key`: the verifier key of a node's log checkpoints, the one thing an auditor
// needs to trust. From the node's configuration (reading the key provider; the key is created
// there if the node has never started) or from a running node (GET /v1/log/key).
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/node.h"
#include "http/client.h"
#include "tlog/note.h"

namespace domicile::cli {
namespace {

struct LogKeyArgs {
  std::string config;
  std::string data;  // overrides the configuration's data directory, as for serve
  std::string url;
};

int LogKey(const LogKeyArgs& a) {
  if (a.config.empty() == a.url.empty()) {
    std::cerr << "log key: give exactly one of --config FILE or --url URL\n";
    return 2;
  }
  std::string vkey;
  if (!a.config.empty()) {
    absl::StatusOr<Config> config = LoadConfig(a.config);
    if (!config.ok()) {
      std::cerr << config.status().message() << "\n";
      return 1;
    }
    if (!a.data.empty()) config->data_dir = a.data;
    absl::StatusOr<std::string> key = LogVerifierKey(*config);
    if (!key.ok()) {
      std::cerr << "log key: " << key.status().message() << "\n";
      return 1;
    }
    vkey = *key;
  } else {
    absl::StatusOr<std::unique_ptr<http::Client>> client = http::Client::Create(a.url);
    if (!client.ok()) {
      std::cerr << "log key: " << client.status().message() << "\n";
      return 1;
    }
    absl::StatusOr<http::ClientResponse> r = (*client)->Do("GET", "/v1/log/key");
    if (!r.ok()) {
      std::cerr << "log key: " << r.status().message() << "\n";
      return 1;
    }
    if (r->status != 200) {
      std::cerr << "log key: " << a.url << " answered " << r->status << ": " << r->body << "\n";
      return 1;
    }
    vkey = r->body;
    while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
    if (absl::StatusOr<tlog::NoteVerifier> v = tlog::ParseNoteVerifier(vkey); !v.ok()) {
      std::cerr << "log key: " << a.url << " served a malformed key: " << v.status().message()
                << "\n";
      return 1;
    }
  }
  std::cout << vkey << "\n";
  return 0;
}

}  // namespace

void AddLogCommands(CLI::App& app, int& exit_code) {
  CLI::App* log = app.add_subcommand("log", "The node's transparency log");
  log->require_subcommand(1);
  auto args = std::make_shared<LogKeyArgs>();
  CLI::App* key = log->add_subcommand(
      "key", "Print the log's checkpoint verifier key (give it to auditors: audit verify --key)");
  key->add_option("--config", args->config, "The node's configuration file");
  key->add_option("--data", args->data, "Data directory (as given to serve --data)");
  key->add_option("--url", args->url, "A running node's URL, e.g. http://127.0.0.1:8700");
  key->callback([args, &exit_code] { exit_code = LogKey(*args); });
}

}  // namespace domicile::cli
