// `domicile serve`: runs a vault node until SIGINT or SIGTERM.
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/node.h"
#include "http/signals.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace domicile::cli {
namespace {

struct ServeArgs {
  std::string config;
  std::string listen;
  std::string data;
  int threads = -1;
  bool insecure = false;
};

int Serve(const ServeArgs& args) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("domicile"));
  Config config;
  std::string demo_token;
  if (args.config.empty()) {
    config = EmbeddedDefaultConfig(demo_token);
  } else {
    absl::StatusOr<Config> loaded = LoadConfig(args.config);
    if (!loaded.ok()) {
      std::cerr << "domicile serve: configuration has problems:\n"
                << loaded.status().message() << "\n";
      return 1;
    }
    config = std::move(*loaded);
  }
  if (!args.listen.empty()) config.listen = args.listen;
  if (!args.data.empty()) config.data_dir = args.data;
  if (args.threads >= 0) config.threads = args.threads;

  absl::StatusOr<std::unique_ptr<Node>> node = Node::Start(config, {args.insecure});
  if (!node.ok()) {
    std::cerr << "domicile serve: " << node.status().message() << "\n";
    return 1;
  }
  const std::string url = (*node)->url();
  std::printf("listening on %s\n", url.c_str());
  if (!demo_token.empty()) {
    std::printf(
        "embedded default: site local-us (US, primary), data in %s\n"
        "demo writer token (printed once, valid until the node stops): %s\n"
        "try:\n"
        "  export DOMICILE_TOKEN=%s\n"
        "  curl -s -H \"Authorization: Bearer $DOMICILE_TOKEN\" -d "
        "'{\"id\":\"u1\",\"jurisdiction\":\"US\"}' %s/v1/subjects\n"
        "  curl -s -H \"Authorization: Bearer $DOMICILE_TOKEN\" -X PUT --data-binary 'hello' "
        "'%s/v1/subjects/u1/records/greeting?class=protected'\n"
        "  curl -s -H \"Authorization: Bearer $DOMICILE_TOKEN\" "
        "%s/v1/subjects/u1/records/greeting\n",
        config.data_dir.c_str(), demo_token.c_str(), demo_token.c_str(), url.c_str(), url.c_str(),
        url.c_str());
  }
  std::fflush(stdout);
  spdlog::info("node serving {} site(s) from {}", config.sites.size(), config.data_dir.string());
  int sig = http::WaitForTerminationSignal();
  spdlog::info("signal {}: stopping (finishing in-flight requests)", sig);
  (*node)->Stop();
  node->reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd =
      app.add_subcommand("serve", "Run a vault node (embedded default without --config)");
  cmd->add_option("--config", args->config, "Configuration file (TOML)");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on; port 0 picks a free port");
  cmd->add_option("--data", args->data, "Data directory");
  cmd->add_option("--threads", args->threads, "I/O threads (0 = one per core)");
  cmd->add_flag("--insecure", args->insecure,
                "Allow plain HTTP on a non-loopback address (prints a warning)");
  cmd->callback([args, &exit_code] { exit_code = Serve(*args); });
}

}  // namespace domicile::cli
