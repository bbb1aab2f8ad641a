// The router's configuration (`domicile route --config F`), read from TOML. Like the node's
// (src/cli/config.h), every problem is reported with its file, line and column, all at once.
// The schema is in docs/router.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "util/config_problem.h"

namespace domicile::router {

// One node behind the router ([[nodes]]).
struct NodeConfig {
  std::string id;            // unique; 1..64 of A-Z a-z 0-9 . _ - (it appears in /n/{id}/)
  std::string jurisdiction;  // ISO 3166-1 alpha-2, upper case ("US")
  std::string url;           // "http(s)://host[:port]"
};

struct RouterConfig {
  std::string listen = "127.0.0.1:8440";  // HOST:PORT
  // Where the subject and grant directory is persisted. Relative paths are taken from the
  // working directory, as the node's data_dir is.
  std::filesystem::path data_dir = "router-data";
  int threads = 0;  // I/O threads, each also forwarding its requests; 0 = one per core
  std::chrono::milliseconds health_interval{1000};   // GET /healthz on every node this often
  std::chrono::milliseconds connect_timeout{1000};   // a node that does not accept is down
  std::chrono::milliseconds request_timeout{30000};  // one forwarded request, end to end
  // The environment variable holding the token nodes accept at /v1/directory (never the token).
  std::string directory_token_env = "DOMICILE_ROUTER_TOKEN";
  uint64_t max_body_bytes = 1 << 20;        // request bodies, as the node's [limits]
  uint32_t max_connections_per_node = 256;  // open connections to one node, at most
  std::string node_ca;                      // PEM CA for https:// nodes; empty: the system's store
  std::vector<NodeConfig> nodes;
};

using RouterConfigProblem = ::domicile::ConfigProblem;  // util/config_problem.h

struct ParsedRouterConfig {
  RouterConfig config;
  std::vector<RouterConfigProblem> problems;
};

// Parses `text` (named `file` in problems). The config is usable only without problems.
ParsedRouterConfig ParseRouterConfig(std::string_view text, std::string_view file);

// Reads and parses `path`. InvalidArgument listing every problem, one per line.
absl::StatusOr<RouterConfig> LoadRouterConfig(const std::filesystem::path& path);

// Splits "HOST:PORT" ("[::1]:8440" for IPv6). InvalidArgument if malformed.
absl::Status SplitListenAddress(std::string_view listen, std::string& host, uint16_t& port);

// Checks a jurisdiction code: two upper-case ASCII letters.
bool IsJurisdictionCode(std::string_view code);

// Checks a node id: 1..64 of A-Z a-z 0-9 . _ -.
bool IsNodeId(std::string_view id);

}  // namespace domicile::router
