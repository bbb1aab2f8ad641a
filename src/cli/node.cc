#include "cli/node.h"

#include <sys/stat.h>

#include <thread>

#include "cli/policies.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "http/api.h"
#include "http/authenticator.h"
#include "http/server.h"
#include "keys/file_keyring.h"
#include "keys/master_key.h"
#include "spdlog/spdlog.h"
#include "store/rocksdb_store.h"
#include "util/encoding.h"
#include "util/status_macros.h"
#include "vault/policy_admin.h"
#include "vault/policy_decider.h"
#include "vault/vault.h"

namespace domicile::cli {

struct Node::Parts {
  RealClock clock;
  std::unique_ptr<vault::Vault> vault;
  std::unique_ptr<http::Authenticator> authenticator;
  std::unique_ptr<vault::PolicyAdmin> policy_admin;
  std::unique_ptr<http::Api> api;
  std::unique_ptr<http::Server> server;
  std::string scheme;
};

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

void Node::Stop() {
  if (parts_ && parts_->server) parts_->server->Stop();
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

  std::filesystem::path master_file =
      config.master_key_file.empty() ? config.data_dir / "master.key" : config.master_key_file;
  std::filesystem::path keyring_file =
      config.keyring_file.empty() ? config.data_dir / "keyring" : config.keyring_file;
  absl::StatusOr<crypto::SecretBytes> master = config.create_master_key
                                                   ? keys::LoadOrCreateMasterKey(master_file)
                                                   : keys::LoadMasterKey(master_file);
  if (!master.ok()) {
    return absl::Status(master.status().code(),
                        fmt::format("master key: {}", std::string(master.status().message())));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<keys::FileKeyring> keyring,
                   keys::FileKeyring::Open(keyring_file, std::move(*master)));

  std::vector<std::unique_ptr<vault::SiteStore>> sites;
  for (const SiteConfig& s : config.sites) {
    absl::StatusOr<std::unique_ptr<store::KvStore>> kv =
        store::OpenRocksDbStore(config.data_dir / "sites" / s.site.id);
    if (!kv.ok()) {
      return absl::Status(kv.status().code(), fmt::format("site {}: {}", s.site.id,
                                                          std::string(kv.status().message())));
    }
    sites.push_back(std::make_unique<vault::SiteStore>(s.site, std::move(*kv)));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> meta,
                   store::OpenRocksDbStore(config.data_dir / "meta"));

  vault::PolicyDecider* decider_ptr = decider.get();
  auto parts = std::make_unique<Parts>();
  parts->scheme = tls ? "https" : "http";
  vault::VaultOptions vault_options;
  vault_options.max_value_bytes = config.max_body_bytes;
  ASSIGN_OR_RETURN(
      parts->vault,
      vault::Vault::Create(std::move(sites), std::move(meta), config.residency, std::move(keyring),
                           std::move(decider), &parts->clock, vault_options));
  std::vector<http::Credential> credentials;
  for (const PrincipalConfig& p : config.principals) {
    credentials.push_back({p.token_sha256, p.principal});
  }
  parts->authenticator = std::make_unique<http::Authenticator>(std::move(credentials));
  parts->policy_admin =
      std::make_unique<vault::PolicyAdmin>(parts->vault.get(), decider_ptr, LintModelFor(config));
  parts->api = std::make_unique<http::Api>(parts->vault.get(), parts->authenticator.get(),
                                           &parts->clock, parts->policy_admin.get());

  http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.threads = config.threads;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.max_header_bytes = config.max_header_bytes;
  server_options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  server_options.tls.cert_file = config.tls.cert;
  server_options.tls.key_file = config.tls.key;
  server_options.tls.client_ca_file = config.tls.client_ca;
  const http::Api* api = parts->api.get();
  ASSIGN_OR_RETURN(parts->server,
                   http::Server::Start(
                       server_options,
                       http::MakeAsync([api](const http::Request& r) { return api->Handle(r); })));
  return std::unique_ptr<Node>(new Node(std::move(parts)));
}

}  // namespace domicile::cli
