// `domicile custodian --config F`: the key custodian as its own service, run by the trusted
// partner (custodian/custodian_service.h). It holds the KEKs in its key provider (an HSM through
// PKCS#11 in a real deployment), answers only the nodes whose tokens it knows, logs every
// decision in a transparency log of its own (served at /log/...), and cosigns the nodes'
// checkpoints as a C2SP witness (POST /add-checkpoint).
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/process_setup.h"
#include "custodian/custodian.h"
#include "custodian/custodian_service.h"
#include "fmt/format.h"
#include "http/log_routes.h"
#include "http/server.h"
#include "http/signals.h"
#include "http/witness_routes.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "store/rocksdb_store.h"
#include "tlog/cosignature.h"
#include "tlog/witness.h"
#include "util/status_macros.h"
#include "util/version.h"
#include "vault/events.h"

namespace domicile::cli {
namespace {

struct CustodianArgs {
  std::string config;
  std::string listen;
  std::string data;
  bool insecure = false;
  bool print_keys = false;
};

// Everything the custodian process holds, in the order it must be torn down (reverse).
struct CustodianProcess {
  RealClock clock;
  std::unique_ptr<keys::KeyProvider> signing_keys;  // the log's and the witness's keys
  std::unique_ptr<tlog::Log> log;
  std::unique_ptr<TlogEventLog> event_log;
  std::unique_ptr<custodian::Custodian> custodian;
  std::unique_ptr<store::KvStore> witness_store;
  std::unique_ptr<tlog::Witness> witness;
  std::unique_ptr<http::LogRoutes> log_routes;
  std::unique_ptr<http::WitnessRoutes> witness_routes;
  std::unique_ptr<custodian::CustodianService> service;
  std::unique_ptr<http::Server> server;
  std::string log_key, witness_key;
};

std::string WitnessName(const Config& config) { return config.LogOrigin() + "/witness"; }

absl::Status OpenProcess(const Config& config, CustodianProcess& p) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        fmt::format("cannot create data directory {}: {}", config.data_dir.string(), ec.message()));
  }
  ASSIGN_OR_RETURN(p.signing_keys, OpenKeyring(config));
  ASSIGN_OR_RETURN(tlog::NoteVerifier log_verifier, EnsureLogKey(config, *p.signing_keys, nullptr));
  p.log_key = tlog::FormatNoteVerifier(log_verifier);
  const std::string witness_key_id = "witness/" + WitnessName(config);
  ASSIGN_OR_RETURN(Bytes witness_pub, EnsureSigningKey(*p.signing_keys, witness_key_id, nullptr));
  ASSIGN_OR_RETURN(tlog::CosignerVerifier witness_verifier,
                   tlog::MakeCosignerVerifier(WitnessName(config), witness_pub));
  p.witness_key = tlog::FormatCosignerVerifier(witness_verifier);

  // Its own log: every decision it makes.
  keys::KeyProvider* keys = p.signing_keys.get();
  const std::string log_key_id = LogKeyId(config);
  const Bytes log_public(log_verifier.public_key.begin(), log_verifier.public_key.end());
  tlog::LogOptions log_options;
  log_options.origin = config.LogOrigin();
  log_options.checkpoint_interval = config.log.checkpoint_interval;
  log_options.max_pending = config.log.max_pending;
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> log_store,
                   store::OpenRocksDbStore(config.data_dir / "log"));
  ASSIGN_OR_RETURN(
      p.log, tlog::Log::Open(
                 std::move(log_store), log_options,
                 [keys, log_key_id, log_public, origin = log_options.origin](std::string_view t) {
                   return tlog::SignNoteWith(t, origin, log_public, [&](ByteView message) {
                     return keys->Sign(log_key_id, message);
                   });
                 },
                 &p.clock));
  p.event_log = std::make_unique<TlogEventLog>(p.log.get());

  // The rules, over the KEKs in its key provider.
  ASSIGN_OR_RETURN(custodian::CustodianOptions options,
                   CustodianOptionsFrom(config, p.event_log.get()));
  ASSIGN_OR_RETURN(std::unique_ptr<keys::KeyProvider> keks, OpenKeyring(config));
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> state,
                   store::OpenRocksDbStore(config.data_dir / "state"));
  ASSIGN_OR_RETURN(p.custodian, custodian::Custodian::Open(std::move(keks), std::move(state),
                                                           &p.clock, std::move(options)));

  // The witness, for the logs it was told to cosign.
  custodian::CustodianServiceOptions service;
  service.custodian = p.custodian.get();
  service.node_tokens = config.custodian.node_tokens;
  if (!config.custodian.witness_for.empty()) {
    std::vector<tlog::NoteVerifier> logs;
    for (const std::string& v : config.custodian.witness_for) {
      ASSIGN_OR_RETURN(logs.emplace_back(), tlog::ParseNoteVerifier(v));
    }
    ASSIGN_OR_RETURN(p.witness_store, store::OpenRocksDbStore(config.data_dir / "witness"));
    ASSIGN_OR_RETURN(
        p.witness, tlog::Witness::Create(
                       WitnessName(config), witness_pub,
                       [keys, witness_key_id](ByteView m) { return keys->Sign(witness_key_id, m); },
                       std::move(logs), p.witness_store.get(), &p.clock));
    p.witness_routes = std::make_unique<http::WitnessRoutes>(p.witness.get());
    service.witness_routes = p.witness_routes.get();
  }
  p.log_routes = std::make_unique<http::LogRoutes>(p.log.get(), p.log_key);
  service.log_routes = p.log_routes.get();
  p.service = std::make_unique<custodian::CustodianService>(std::move(service));
  return absl::OkStatus();
}

int RunCustodian(const CustodianArgs& args) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("custodian"));
  absl::StatusOr<Config> loaded = LoadConfig(args.config, ConfigKind::kCustodian);
  if (!loaded.ok()) {
    std::cerr << "domicile custodian: configuration has problems:\n"
              << loaded.status().message() << "\n";
    return 1;
  }
  Config config = std::move(*loaded);
  if (!args.listen.empty()) config.listen = args.listen;
  if (!args.data.empty()) config.data_dir = args.data;
  std::string host;
  uint16_t port;
  if (absl::Status s = SplitHostPort(config.listen, host, port); !s.ok()) {
    std::cerr << "domicile custodian: " << s.message() << "\n";
    return 1;
  }
  const bool tls = !config.tls.cert.empty();
  const bool loopback = host == "localhost" || host == "::1" || host.starts_with("127.");
  if (!loopback && !tls && !args.insecure) {
    std::cerr << "domicile custodian: refusing to listen on non-loopback address " << host
              << " without TLS (data keys cross this connection): configure [tls] or start "
                 "with --insecure\n";
    return 1;
  }
  CustodianProcess p;
  if (absl::Status s = OpenProcess(config, p); !s.ok()) {
    std::cerr << "domicile custodian: " << s.message() << "\n";
    return 1;
  }
  if (args.print_keys) {
    std::printf("log key: %s\nwitness key: %s\n", p.log_key.c_str(), p.witness_key.c_str());
    p.log->Close();
    return 0;
  }
  http::ServerOptions server_options = ServerOptionsFrom(config, host, port);
  const custodian::CustodianService* service = p.service.get();
  absl::StatusOr<std::unique_ptr<http::Server>> server = http::Server::Start(
      server_options, [service](http::Request request, http::Responder respond) {
        service->Handle(std::move(request), std::move(respond));
      });
  if (!server.ok()) {
    std::cerr << "domicile custodian: " << server.status().message() << "\n";
    p.log->Close();
    return 1;
  }
  p.server = std::move(*server);
  // Its start, with the hash of its configuration, opens each run in its own log.
  const vault::NodeStart start{std::string(kDomicileVersion), config.source_sha256, "",
                               p.log->DurableSize()};
  if (absl::StatusOr<uint64_t> logged =
          p.event_log->AppendAndWait(vault::NodeStartEvent({config.name}, p.clock.Now(), start));
      !logged.ok()) {
    std::cerr << "domicile custodian: cannot log its start: " << logged.status().message() << "\n";
    p.server->Stop();
    p.log->Close();
    return 1;
  }
  std::printf("listening on %s://%s:%u\nlog key: %s\nwitness key: %s\n", tls ? "https" : "http",
              host.c_str(), p.server->port(), p.log_key.c_str(), p.witness_key.c_str());
  std::fflush(stdout);
  int sig = http::WaitForTerminationSignal();
  spdlog::info("signal {}: stopping", sig);
  p.server->Stop();
  if (absl::StatusOr<uint64_t> logged =
          p.event_log->AppendAndWait(vault::NodeStopEvent({config.name}, p.clock.Now()));
      !logged.ok()) {
    spdlog::warn("could not log the custodian's stop: {}", logged.status().ToString());
  }
  p.log->Close();
  return 0;
}

}  // namespace

void AddCustodianCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CustodianArgs>();
  CLI::App* cmd = app.add_subcommand(
      "custodian", "Run the key custodian as its own service (keys in its key provider/HSM)");
  cmd->add_option("--config", args->config, "The custodian's configuration (TOML)")->required();
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (overrides [node] listen)");
  cmd->add_option("--data", args->data, "Data directory (overrides [node] data_dir)");
  cmd->add_flag("--insecure", args->insecure,
                "Allow a non-loopback address without TLS (data keys travel in the clear)");
  cmd->add_flag("--print-keys", args->print_keys,
                "Print the custodian's log key and witness key, and exit");
  cmd->callback([args, &exit_code] { exit_code = RunCustodian(*args); });
}

}  // namespace domicile::cli
