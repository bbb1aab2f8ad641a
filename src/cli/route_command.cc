// `domicile route --config F`: runs the router (src/router) until SIGINT or SIGTERM: the front
// door that sends each request to a node of its subject's home jurisdiction (docs/router.md).
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "http/signals.h"
#include "router/router.h"
#include "router/router_config.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace domicile::cli {
namespace {

struct RouteArgs {
  std::string config;
  std::string listen;
  std::string data;
  int threads = -1;
  bool insecure = false;
  bool check = false;
};

int Route(const RouteArgs& args) {
  absl::StatusOr<router::RouterConfig> loaded = router::LoadRouterConfig(args.config);
  if (!loaded.ok()) {
    std::cerr << "domicile route: configuration has problems:\n"
              << loaded.status().message() << "\n";
    return 1;
  }
  router::RouterConfig config = std::move(*loaded);
  if (args.check) {
    std::printf("%s: ok (%zu nodes)\n", args.config.c_str(), config.nodes.size());
    return 0;
  }
  if (!args.listen.empty()) config.listen = args.listen;
  if (!args.data.empty()) config.data_dir = args.data;
  if (args.threads >= 0) config.threads = args.threads;
  std::string host;
  uint16_t port;
  if (absl::Status s = router::SplitListenAddress(config.listen, host, port); !s.ok()) {
    std::cerr << "domicile route: " << s.message() << "\n";
    return 1;
  }
  const bool loopback = host == "localhost" || host == "::1" || host.starts_with("127.");
  if (!loopback && !args.insecure) {
    std::cerr << "domicile route: refusing to listen on non-loopback address " << host
              << " over plain HTTP (bearer tokens cross this connection): put it behind a TLS "
                 "terminator or start with --insecure\n";
    return 1;
  }
  const char* token = std::getenv(config.directory_token_env.c_str());
  if (token == nullptr || *token == '\0') {
    std::cerr << "domicile route: set " << config.directory_token_env
              << " to the token the nodes accept at /v1/directory\n";
    return 1;
  }

  spdlog::set_default_logger(spdlog::stderr_color_mt("route"));
  if (!loopback) spdlog::warn("listening on {} over plain HTTP (--insecure)", host);
  absl::StatusOr<std::unique_ptr<router::Router>> r = router::Router::Start(config, token);
  if (!r.ok()) {
    std::cerr << "domicile route: " << r.status().message() << "\n";
    return 1;
  }
  std::printf("listening on %s\n", (*r)->url().c_str());
  std::fflush(stdout);
  spdlog::info("routing to {} node(s); directory in {}", config.nodes.size(),
               config.data_dir.string());
  int sig = http::WaitForTerminationSignal();
  spdlog::info("signal {}: stopping (finishing in-flight requests)", sig);
  (*r)->Stop();
  r->reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

void AddRouteCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RouteArgs>();
  CLI::App* cmd = app.add_subcommand(
      "route", "Run the router: send each request to a node of its subject's jurisdiction");
  cmd->add_option("--config", args->config, "Router configuration file (TOML)")->required();
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on; port 0 picks a free port");
  cmd->add_option("--data", args->data, "Directory where the subject directory is kept");
  cmd->add_option("--threads", args->threads, "I/O threads (0 = one per core)");
  cmd->add_flag("--insecure", args->insecure,
                "Allow plain HTTP on a non-loopback address (prints a warning)");
  cmd->add_flag("--check", args->check, "Only check the configuration, print problems, exit");
  cmd->callback([args, &exit_code] { exit_code = Route(*args); });
}

}  // namespace domicile::cli
