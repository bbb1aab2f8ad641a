// The node's configuration, read from TOML. Every problem found is reported with its file,
// line and column, all at once (so `domicile check-config` shows them all). The schema is in
// docs/configuration.md; examples/texas/domicile.toml is a complete example.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "util/config_problem.h"
#include "util/duration.h"
#include "vault/network_map.h"
#include "vault/principal.h"
#include "vault/residency_rules.h"
#include "vault/site.h"

namespace domicile::cli {

struct SiteConfig {
  vault::Site site;
  // "rocksdb" (under <data_dir>/sites/<id>) or a PostgreSQL URL "postgres://..." (table
  // kv_site_<id>); see cli/stores.h.
  std::string backend = "rocksdb";
};

// A node behind a router ([router]; docs/router.md).
struct RouterLinkConfig {
  // The router's addresses (CIDR): X-Forwarded-For is believed from these only.
  vault::NetworkMap proxies;
  // SHA-256 of the router's token for the subject directory (/v1/directory); unset: no
  // directory is served.
  std::optional<std::array<uint8_t, 32>> directory_token_sha256;
};

// A directory that holds backups ([[backup_dirs]]), and the jurisdiction it is in. The
// residency rules name it, like a backup site, where a jurisdiction's backups may go.
struct BackupDirConfig {
  std::string id;
  std::filesystem::path path;
  std::string jurisdiction;
};

struct PrincipalConfig {
  vault::Principal principal;
  std::array<uint8_t, 32> token_sha256{};
  // The verifier key of the principal's approval key (C2SP note verifier), if it approves.
  std::string approval_key;
};

struct GrantsConfig {
  int quorum = 2;  // distinct approvers that make a grant active
  std::chrono::seconds max_ttl = std::chrono::hours(8);
  std::chrono::seconds break_glass_max_ttl = std::chrono::hours(1);  // at most 1h
};

struct TlsConfig {
  std::string cert, key, client_ca;
};

struct LogConfig {
  std::string origin;  // the checkpoint origin and log key name; default "domicile/<node name>"
  // Where the log's entries and tiles live: "rocksdb" (<data_dir>/log) or a PostgreSQL URL
  // (table kv_log_<node name>): every node has a log of its own.
  std::string backend = "rocksdb";
  std::chrono::milliseconds checkpoint_interval{1000};
  uint64_t max_pending = 65536;  // appends waiting to become durable before 503 + Retry-After
};

// The PKCS#11 key provider ([keys] provider = "pkcs11"; docs/configuration.md).
struct Pkcs11Config {
  std::filesystem::path module;  // the PKCS#11 module (.so)
  std::string token_label;       // the token's label, 1..32 bytes
  std::string pin_env;           // the environment variable holding the user PIN (never the PIN)
};

// The key custodian ([custodian]; docs/access.md).
struct CustodianConfig {
  // A node's side: the URL of a custodian run as its own service (empty: in process), the
  // environment variable holding the node's token for it, and the CA of its certificate.
  std::string url;
  std::string token_env;
  std::string ca;
  std::string witness_key;  // its cosigner verifier key: it then cosigns the node's checkpoints
  // The custodian's side (domicile custodian --config): SHA-256 of each node token it answers,
  // and the verifier keys of the logs it cosigns as a witness.
  std::vector<std::array<uint8_t, 32>> node_tokens;
  std::vector<std::string> witness_for;
};

// What a configuration file configures: a node (domicile serve), or a key custodian (domicile
// custodian: no sites, policy or network; principals without tokens are its directory).
enum class ConfigKind { kNode, kCustodian };

struct Config {
  std::string name = "node";  // the node's name in log events
  std::string jurisdiction;   // where the node runs (metrics); "" if not said
  // Where the node group's shared state lives — subjects and grants: "rocksdb"
  // (<data_dir>/meta, <data_dir>/grants) or a PostgreSQL URL shared by the nodes of a
  // jurisdiction (tables kv_meta, kv_grants).
  std::string state_backend = "rocksdb";
  RouterLinkConfig router;
  std::string listen = "127.0.0.1:8080";  // HOST:PORT
  std::filesystem::path data_dir = "domicile-data";
  int threads = 0;  // 0 = one per core
  // Keys: where the KEKs and signing keys live, "file" (the default) or "pkcs11".
  std::string key_provider = "file";
  // The file keyring and its master key (DOMICILE_MASTER_KEY overrides the file).
  std::filesystem::path master_key_file;  // default <data_dir>/master.key
  std::filesystem::path keyring_file;     // default <data_dir>/keyring
  bool create_master_key = false;         // create the master key file if absent (demos)
  Pkcs11Config pkcs11;                    // set when key_provider is "pkcs11"
  // Limits.
  uint64_t max_body_bytes = 1 << 20;
  uint64_t max_header_bytes = 16 << 10;
  uint64_t read_timeout_ms = 30000;
  TlsConfig tls;
  std::vector<SiteConfig> sites;
  std::vector<BackupDirConfig> backup_dirs;
  vault::ResidencyRules residency;
  std::vector<PrincipalConfig> principals;
  // Policy files (Cedar), resolved against the configuration file's directory. A node needs
  // them; only the embedded default carries its policy inline instead.
  std::vector<std::filesystem::path> policy_files;
  std::string inline_policy;  // not settable from TOML
  // Per jurisdiction, the employers trusted with its protected data (checked by the lint).
  std::map<std::string, std::vector<std::string>> trusted_entities;
  // Where requests come from: CIDR block -> jurisdiction.
  vault::NetworkMap network;
  LogConfig log;
  GrantsConfig grants;
  CustodianConfig custodian;
  // Hex SHA-256 of the configuration file's bytes (set by ParseConfig); logged at start.
  std::string source_sha256;

  // The log's origin: log.origin, or "domicile/<name>".
  std::string LogOrigin() const { return log.origin.empty() ? "domicile/" + name : log.origin; }
};

using ::domicile::ParseDuration;  // util/duration.h

using ::domicile::ConfigProblem;  // util/config_problem.h

// Parses `text` (named `file` in problems). Returns the config only if there are no problems.
struct ParsedConfig {
  Config config;
  std::vector<ConfigProblem> problems;
};
ParsedConfig ParseConfig(std::string_view text, std::string_view file,
                         ConfigKind kind = ConfigKind::kNode);

// Reads and parses `path`. InvalidArgument listing every problem, one per line.
absl::StatusOr<Config> LoadConfig(const std::filesystem::path& path,
                                  ConfigKind kind = ConfigKind::kNode);

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). InvalidArgument if malformed.
absl::Status SplitHostPort(std::string_view listen, std::string& host, uint16_t& port);

}  // namespace domicile::cli
