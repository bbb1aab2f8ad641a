#include "cli/node.h"

#include <sys/stat.h>

#include <cstdlib>
#include <thread>

#include "access/grants.h"
#include "cli/policies.h"
#include "cli/process_setup.h"
#include "cli/stores.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "custodian/custodian.h"
#include "custodian/remote_custodian.h"
#include "fmt/format.h"
#include "http/api.h"
#include "http/authenticator.h"
#include "http/log_routes.h"
#include "http/node_front.h"
#include "http/server.h"
#include "http/witness_client.h"
#include "keys/file_keyring.h"
#include "keys/master_key.h"
#include "keys/pkcs11_key_provider.h"
#include "ops/backups.h"
#include "ops/operations.h"
#include "spdlog/spdlog.h"
#include "store/rocksdb_store.h"
#include "tlog/checkpoint_witness.h"
#include "tlog/log.h"
#include "tlog/note.h"
#include "tlog/witness.h"
#include "tlog/witness_session.h"
#include "util/encoding.h"
#include "util/status_macros.h"
#include "util/version.h"
#include "vault/policy_admin.h"
#include "vault/policy_decider.h"
#include "vault/vault.h"

namespace domicile::cli {
absl::StatusOr<std::string> LogVerifierKey(const Config& config) {
  ASSIGN_OR_RETURN(std::unique_ptr<keys::KeyProvider> keyring, OpenKeyring(config));
  ASSIGN_OR_RETURN(tlog::NoteVerifier verifier, EnsureLogKey(config, *keyring, nullptr));
  return tlog::FormatNoteVerifier(verifier);
}

// The grants service on its own store, with the approvers' keys from the configuration.
absl::StatusOr<std::unique_ptr<access::Grants>> OpenGrants(const Config& config,
                                                           vault::Vault* vault) {
  access::GrantsOptions options;
  options.quorum = config.grants.quorum;
  options.max_ttl = config.grants.max_ttl;
  options.break_glass_max_ttl = config.grants.break_glass_max_ttl;
  for (const PrincipalConfig& p : config.principals) {
    if (p.approval_key.empty()) continue;
    ASSIGN_OR_RETURN(options.approval_keys[p.principal.id],
                     tlog::ParseNoteVerifier(p.approval_key));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> store,
                   OpenStore(config.state_backend, config.data_dir / "grants", "grants"));
  return access::Grants::Open(vault, std::move(store), std::move(options));
}

// The key custodian: in process over the node's own key provider (the embedded default), its
// decisions in the node's log; it knows the configured principals and approvers.
absl::StatusOr<std::unique_ptr<vault::KeyCustodian>> OpenCustodian(
    const Config& config, std::unique_ptr<keys::KeyProvider> keyring, vault::EventLog* log,
    const Clock* clock) {
  if (!config.custodian.url.empty()) {
    const char* token = std::getenv(config.custodian.token_env.c_str());
    if (token == nullptr || *token == '\0') {
      return absl::FailedPreconditionError(
          fmt::format("[custodian] token_env: environment variable {} (the node's token for the "
                      "key custodian) is not set",
                      config.custodian.token_env));
    }
    custodian::RemoteCustodianOptions remote;
    remote.url = config.custodian.url;
    remote.token = token;
    remote.client.ca_file = config.custodian.ca;
    remote.client.timeout = std::chrono::seconds(5);
    ASSIGN_OR_RETURN(std::unique_ptr<custodian::RemoteCustodian> c,
                     custodian::RemoteCustodian::Create(std::move(remote)));
    spdlog::info("key custodian at {}", config.custodian.url);
    return std::unique_ptr<vault::KeyCustodian>(std::move(c));
  }
  ASSIGN_OR_RETURN(custodian::CustodianOptions options, CustodianOptionsFrom(config, log));
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> state,
                   store::OpenRocksDbStore(config.data_dir / "custodian"));
  ASSIGN_OR_RETURN(
      std::unique_ptr<custodian::Custodian> c,
      custodian::Custodian::Open(std::move(keyring), std::move(state), clock, std::move(options)));
  return std::unique_ptr<vault::KeyCustodian>(std::move(c));
}

struct Node::Parts {
  RealClock clock;
  std::unique_ptr<keys::KeyProvider> log_keys;  // signs checkpoints; outlives the log
  // The custodian's witness: in process (its state in its own store) or over HTTP.
  std::unique_ptr<store::KvStore> witness_store;
  std::unique_ptr<tlog::Witness> witness;
  std::unique_ptr<tlog::CheckpointWitness> checkpoint_witness;
  std::string witness_key;  // its cosigner verifier key, if any
  // The log, for the witness's consistency proofs; set once it is open.
  std::shared_ptr<std::atomic<const tlog::Log*>> log_for_proofs =
      std::make_shared<std::atomic<const tlog::Log*>>(nullptr);
  std::unique_ptr<tlog::Log> log;
  std::unique_ptr<TlogEventLog> event_log;
  std::unique_ptr<vault::Vault> vault;
  std::unique_ptr<http::Authenticator> authenticator;
  std::unique_ptr<vault::PolicyAdmin> policy_admin;
  std::unique_ptr<access::Grants> grants;
  // Where backups go; lifecycle operations in flight (gone, their threads joined, before the
  // vault and the backup stores).
  std::unique_ptr<ops::BackupDestinations> backups;
  std::unique_ptr<ops::Operations> operations;
  std::unique_ptr<http::LogRoutes> log_routes;
  std::unique_ptr<http::Api> api;
  vault::NetworkMap router_proxies;  // before `front` and `server`, which use it
  std::unique_ptr<http::NodeFront> front;
  std::unique_ptr<http::Server> server;
  std::string scheme;
  std::string verifier_key;
  bool stopped = false;
};

// The witness that cosigns the log's checkpoints: the remote custodian's when the configuration
// names its key, else one in process whose key lives in the node's key provider.
absl::Status SetUpWitness(const Config& config, const tlog::NoteVerifier& log_key,
                          Node::Parts& parts) {
  if (!config.custodian.url.empty()) {
    if (config.custodian.witness_key.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(tlog::CosignerVerifier key,
                     tlog::ParseCosignerVerifier(config.custodian.witness_key));
    http::ClientOptions options;
    options.ca_file = config.custodian.ca;
    options.timeout = std::chrono::seconds(5);
    ASSIGN_OR_RETURN(parts.checkpoint_witness,
                     http::WitnessClient::Create(config.custodian.url, key, options));
    parts.witness_key = config.custodian.witness_key;
    return absl::OkStatus();
  }
  const std::string name = config.LogOrigin() + "/custodian";
  const std::string key_id = "witness/" + name;
  ASSIGN_OR_RETURN(Bytes pub, EnsureSigningKey(*parts.log_keys, key_id, nullptr));
  ASSIGN_OR_RETURN(parts.witness_store, store::OpenRocksDbStore(config.data_dir / "witness"));
  keys::KeyProvider* keys = parts.log_keys.get();
  ASSIGN_OR_RETURN(
      parts.witness,
      tlog::Witness::Create(
          name, pub, [keys, key_id](ByteView message) { return keys->Sign(key_id, message); },
          {log_key}, parts.witness_store.get(), &parts.clock));
  parts.checkpoint_witness = tlog::MakeLocalWitness(parts.witness.get());
  parts.witness_key = tlog::FormatCosignerVerifier(parts.witness->verifier());
  return absl::OkStatus();
}

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Config EmbeddedDefaultConfig(std::string& demo_token) {
  Config config;
  SiteConfig site;
  site.site = {"local-us", "US", "self", vault::SiteRole::kPrimary};
  config.sites.push_back(site);
  config.residency.AllowPrimary("US", "local-us");
  config.create_master_key = true;
  config.inline_policy = std::string(kEmbeddedDefaultPolicy);
  config.trusted_entities["US"] = {"local"};
  absl::StatusOr<Bytes> random = crypto::RandomBytes(24);
  demo_token = "demo-" + HexEncode(random.ok() ? *random : Bytes(24, 0));
  PrincipalConfig demo;
  demo.principal.id = "demo";
  demo.principal.type = vault::PrincipalType::kService;
  demo.principal.entity = "local";
  demo.principal.location = "US";
  demo.principal.roles = {"writer"};
  demo.token_sha256 = crypto::Sha256(AsBytes(demo_token));
  config.principals.push_back(std::move(demo));
  return config;
}

Node::Node(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Node::~Node() { Stop(); }

std::string Node::url() const {
  std::string host = parts_->server->host();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", parts_->scheme, host, parts_->server->port());
}

std::string Node::log_verifier_key() const { return parts_->verifier_key; }

std::string Node::witness_key() const { return parts_->witness_key; }

void Node::Stop() {
  if (!parts_ || parts_->stopped) return;
  parts_->stopped = true;
  if (parts_->server) parts_->server->Stop();
  parts_->operations.reset();  // stops them at a batch boundary; a later run resumes
  if (parts_->grants) parts_->grants->StopExpirer();
  if (parts_->log) {
    if (parts_->vault) {
      absl::StatusOr<uint64_t> stop = parts_->vault->LogEvent(
          vault::NodeStopEvent(parts_->vault->event_source(), parts_->clock.Now()));
      if (!stop.ok()) spdlog::warn("could not log the node's stop: {}", stop.status().ToString());
    }
    parts_->log->Close();  // publishes a last checkpoint
  }
}

absl::StatusOr<std::unique_ptr<Node>> Node::Start(Config config, NodeOptions options) {
  std::string host;
  uint16_t port;
  RETURN_IF_ERROR(SplitHostPort(config.listen, host, port));
  const bool tls = !config.tls.cert.empty();
  if (!IsLoopback(host) && !tls) {
    if (!options.insecure) {
      return absl::FailedPreconditionError(fmt::format(
          "refusing to listen on non-loopback address {} without TLS: configure [tls] or "
          "start with --insecure",
          host));
    }
    spdlog::warn(
        "--insecure: serving plain HTTP on non-loopback address {}; bearer tokens and "
        "data cross the network unencrypted",
        host);
  }

  // The policy first: a set that does not parse or pass the lint changes nothing on disk.
  absl::StatusOr<policy::PolicySet> policies = LoadPolicySet(config);
  if (!policies.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("policy: {}", std::string(policies.status().message())));
  }
  RETURN_IF_ERROR(LintPolicySet(*policies, config));
  auto decider = std::make_unique<vault::PolicyDecider>(std::move(*policies), config.network);
  spdlog::info("policy set {} ({} policies)", decider->policy_sha256(), decider->policies().size());

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir / "sites", ec);
  if (ec) {
    return absl::PermissionDeniedError(
        fmt::format("cannot create data directory {}: {}", config.data_dir.string(), ec.message()));
  }
  ::chmod(config.data_dir.c_str(), 0700);

  ASSIGN_OR_RETURN(std::unique_ptr<keys::KeyProvider> keyring, OpenKeyring(config));

  // The transparency log, signed by its key in the key provider.
  auto parts = std::make_unique<Parts>();
  bool log_key_created = false;
  ASSIGN_OR_RETURN(tlog::NoteVerifier verifier, EnsureLogKey(config, *keyring, &log_key_created));
  parts->verifier_key = tlog::FormatNoteVerifier(verifier);
  ASSIGN_OR_RETURN(
      std::unique_ptr<store::KvStore> log_store,
      OpenStore(config.log.backend, config.data_dir / "log", StoreName("log_", config.name)));
  tlog::LogOptions log_options;
  log_options.origin = config.LogOrigin();
  log_options.checkpoint_interval = config.log.checkpoint_interval;
  log_options.max_pending = config.log.max_pending;
  // The signer gets its own handle on the key provider, so that it lives as long as the log
  // whatever becomes of the vault's.
  ASSIGN_OR_RETURN(parts->log_keys, OpenKeyring(config));
  keys::KeyProvider* key_provider = parts->log_keys.get();
  const std::string log_key_id = LogKeyId(config);
  const Bytes log_public(verifier.public_key.begin(), verifier.public_key.end());
  tlog::CheckpointSigner signer = [key_provider, log_key_id, log_public,
                                   origin = log_options.origin](std::string_view text) {
    return tlog::SignNoteWith(text, origin, log_public, [&](ByteView message) {
      return key_provider->Sign(log_key_id, message);
    });
  };
  // The custodian cosigns every checkpoint as a witness (C2SP tlog-witness), after checking it
  // is consistent with the last one it cosigned.
  RETURN_IF_ERROR(SetUpWitness(config, verifier, *parts));
  if (parts->checkpoint_witness != nullptr) {
    std::shared_ptr<std::atomic<const tlog::Log*>> log_ptr = parts->log_for_proofs;
    tlog::ConsistencyProofFn proofs =
        [log_ptr](uint64_t old_size, uint64_t new_size) -> absl::StatusOr<std::vector<tlog::Hash>> {
      const tlog::Log* log = log_ptr->load();
      if (log == nullptr) return absl::UnavailableError("the log is not open yet");
      return log->ConsistencyProof(old_size, new_size);
    };
    signer = tlog::WithWitnesses(std::move(signer), {parts->checkpoint_witness.get()},
                                 std::move(proofs));
  }
  absl::StatusOr<std::unique_ptr<tlog::Log>> log =
      tlog::Log::Open(std::move(log_store), log_options, std::move(signer), &parts->clock);
  if (!log.ok()) {
    return absl::Status(log.status().code(),
                        fmt::format("log: {}", std::string(log.status().message())));
  }
  parts->log = std::move(*log);
  parts->log_for_proofs->store(parts->log.get());
  parts->event_log = std::make_unique<TlogEventLog>(parts->log.get());
  spdlog::info("log {} at size {}; verifier key {}", log_options.origin, parts->log->DurableSize(),
               parts->verifier_key);
  if (!parts->witness_key.empty()) spdlog::info("witness (custodian) key {}", parts->witness_key);

  std::vector<std::unique_ptr<vault::SiteStore>> sites;
  for (const SiteConfig& s : config.sites) {
    absl::StatusOr<std::unique_ptr<store::KvStore>> kv =
        OpenStore(s.backend, config.data_dir / "sites" / s.site.id, StoreName("site_", s.site.id));
    if (!kv.ok()) {
      return absl::Status(kv.status().code(), fmt::format("site {}: {}", s.site.id,
                                                          std::string(kv.status().message())));
    }
    sites.push_back(std::make_unique<vault::SiteStore>(s.site, std::move(*kv)));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> meta,
                   OpenStore(config.state_backend, config.data_dir / "meta", "meta"));

  vault::PolicyDecider* decider_ptr = decider.get();
  parts->scheme = tls ? "https" : "http";
  vault::VaultOptions vault_options;
  vault_options.max_value_bytes = config.max_body_bytes;
  vault_options.log = parts->event_log.get();
  vault_options.source.node = config.name;
  const uint64_t log_size_at_start = parts->log->DurableSize();
  const std::string policy_sha256 = decider->policy_sha256();
  ASSIGN_OR_RETURN(
      std::unique_ptr<vault::KeyCustodian> custodian,
      OpenCustodian(config, std::move(keyring), parts->event_log.get(), &parts->clock));
  absl::StatusOr<std::unique_ptr<vault::Vault>> vault =
      vault::Vault::Create(std::move(sites), std::move(meta), config.residency,
                           std::move(custodian), std::move(decider), &parts->clock, vault_options);
  RETURN_IF_ERROR(vault.status());
  parts->vault = std::move(*vault);
  const vault::EventSource& source = parts->vault->event_source();
  if (log_key_created) {
    RETURN_IF_ERROR(
        parts->vault
            ->LogEvent(vault::KeyEvent(source, parts->clock.Now(), vault::KeyOperation::kCreate,
                                       log_key_id, vault::KeyType::kSigning))
            .status());
  }
  vault::NodeStart start{std::string(kDomicileVersion), config.source_sha256, policy_sha256,
                         log_size_at_start};
  RETURN_IF_ERROR(
      parts->vault->LogEvent(vault::NodeStartEvent(source, parts->clock.Now(), start)).status());
  std::vector<http::Credential> credentials;
  for (const PrincipalConfig& p : config.principals) {
    credentials.push_back({p.token_sha256, p.principal});
  }
  parts->authenticator = std::make_unique<http::Authenticator>(std::move(credentials));
  parts->policy_admin =
      std::make_unique<vault::PolicyAdmin>(parts->vault.get(), decider_ptr, LintModelFor(config));
  parts->log_routes = std::make_unique<http::LogRoutes>(parts->log.get(), parts->verifier_key);
  ASSIGN_OR_RETURN(parts->grants, OpenGrants(config, parts->vault.get()));
  parts->grants->StartExpirer(std::chrono::seconds(1));
  http::ApiOptions api_options;
  api_options.vault = parts->vault.get();
  api_options.authenticator = parts->authenticator.get();
  api_options.clock = &parts->clock;
  api_options.policy_admin = parts->policy_admin.get();
  api_options.log_routes = parts->log_routes.get();
  api_options.grants = parts->grants.get();
  parts->backups = std::make_unique<ops::BackupDestinations>(*parts->vault);
  for (const BackupDirConfig& d : config.backup_dirs) {
    parts->backups->AddDirectory(d.id, d.jurisdiction, d.path);
  }
  parts->operations = std::make_unique<ops::Operations>();
  api_options.operations = parts->operations.get();
  api_options.backups = parts->backups.get();
  const tlog::Log* log_ptr = parts->log.get();
  api_options.checkpoint = [log_ptr] { return log_ptr->LatestCheckpoint(); };
  api_options.reads_wait_for_store =
      std::any_of(config.sites.begin(), config.sites.end(),
                  [](const SiteConfig& s) { return s.backend != kRocksDbBackend; }) ||
      config.state_backend != kRocksDbBackend;
  parts->api = std::make_unique<http::Api>(api_options);

  parts->router_proxies = config.router.proxies;
  http::NodeFrontOptions front_options;
  front_options.node_name = config.name;
  front_options.jurisdiction = config.jurisdiction;
  front_options.proxies = &parts->router_proxies;
  front_options.directory_token_sha256 = config.router.directory_token_sha256;
  front_options.subjects = &parts->vault->subjects();
  front_options.api = parts->api.get();
  parts->front = std::make_unique<http::NodeFront>(std::move(front_options));

  http::ServerOptions server_options = ServerOptionsFrom(config, host, port);
  const http::NodeFront* front = parts->front.get();
  absl::StatusOr<std::unique_ptr<http::Server>> server =
      http::Server::Start(server_options, [front](http::Request request, http::Responder respond) {
        front->Handle(std::move(request), std::move(respond));
      });
  std::unique_ptr<Node> node(new Node(std::move(parts)));
  if (!server.ok()) return server.status();  // ~Node logs the stop and closes the log
  node->parts_->server = std::move(*server);
  return node;
}

}  // namespace domicile::cli
