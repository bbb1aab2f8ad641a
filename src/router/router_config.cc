#include "router/router_config.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "fmt/format.h"
#include "http/client.h"
#include "toml++/toml.h"
#include "util/duration.h"
#include "util/file.h"
#include "util/toml_checker.h"

namespace domicile::router {
namespace {

using Checker = ::domicile::TomlChecker;

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void ParseRouterTable(Checker& c, const toml::table& root, RouterConfig& config) {
  constexpr std::string_view kWhere = "[router]";
  const toml::node* node = root.get("router");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[router] must be a table");
  c.OnlyKeys(
      *t, kWhere,
      {"listen", "data_dir", "threads", "health_interval", "connect_timeout", "request_timeout",
       "directory_token_env", "max_body_bytes", "max_connections_per_node", "node_ca"});
  if (c.String(*t, "listen", config.listen, false, kWhere)) {
    std::string host;
    uint16_t port;
    if (absl::Status s = SplitListenAddress(config.listen, host, port); !s.ok()) {
      c.Problem(t->get("listen"), std::string(s.message()));
    }
  }
  std::string data_dir;
  if (c.String(*t, "data_dir", data_dir, false, kWhere)) {
    if (data_dir.empty()) c.Problem(t->get("data_dir"), "'data_dir' must not be empty");
    config.data_dir = data_dir;
  }
  int64_t v;
  if (c.Integer(*t, "threads", 0, 256, v, kWhere)) config.threads = static_cast<int>(v);
  if (c.Integer(*t, "max_body_bytes", 1, int64_t{1} << 30, v, kWhere)) {
    config.max_body_bytes = static_cast<uint64_t>(v);
  }
  if (c.Integer(*t, "max_connections_per_node", 1, 65536, v, kWhere)) {
    config.max_connections_per_node = static_cast<uint32_t>(v);
  }
  using std::chrono::milliseconds;
  c.Duration(*t, "health_interval", milliseconds(10), std::chrono::hours(1), config.health_interval,
             kWhere);
  c.Duration(*t, "connect_timeout", milliseconds(10), std::chrono::minutes(1),
             config.connect_timeout, kWhere);
  c.Duration(*t, "request_timeout", milliseconds(10), std::chrono::hours(1), config.request_timeout,
             kWhere);
  if (c.String(*t, "directory_token_env", config.directory_token_env, false, kWhere) &&
      !IsEnvName(config.directory_token_env)) {
    c.Problem(t->get("directory_token_env"),
              "'directory_token_env' must name an environment variable (letters, digits, _)");
  }
  c.String(*t, "node_ca", config.node_ca, false, kWhere);
}

void ParseNodes(Checker& c, const toml::table& root, RouterConfig& config) {
  const toml::node* node = root.get("nodes");
  if (node == nullptr) return c.Problem(nullptr, "at least one [[nodes]] is needed");
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return c.Problem(node, "'nodes' must be an array of tables ([[nodes]])");
  }
  if (array->empty()) return c.Problem(node, "at least one [[nodes]] is needed");
  std::set<std::string> ids, urls;
  for (const toml::node& item : *array) {
    const toml::table& t = *item.as_table();
    constexpr std::string_view kWhere = "[[nodes]]";
    c.OnlyKeys(t, kWhere, {"id", "jurisdiction", "url"});
    NodeConfig n;
    if (c.String(t, "id", n.id, true, kWhere)) {
      if (!IsNodeId(n.id)) {
        c.Problem(t.get("id"),
                  fmt::format("node id '{}' must be 1..64 of A-Z a-z 0-9 . _ -", n.id));
      } else if (!ids.insert(n.id).second) {
        c.Problem(t.get("id"), fmt::format("node id '{}' is used twice", n.id));
      }
    }
    if (c.String(t, "jurisdiction", n.jurisdiction, true, kWhere) &&
        !IsJurisdictionCode(n.jurisdiction)) {
      c.Problem(t.get("jurisdiction"),
                fmt::format("jurisdiction '{}' must be two upper-case letters (ISO 3166-1 "
                            "alpha-2, e.g. \"US\")",
                            n.jurisdiction));
    }
    if (c.String(t, "url", n.url, true, kWhere)) {
      if (absl::Status s = http::ParseBaseUrl(n.url).status(); !s.ok()) {
        c.Problem(t.get("url"), std::string(s.message()));
      } else if (!urls.insert(n.url).second) {
        c.Problem(t.get("url"), fmt::format("url '{}' is given for two nodes", n.url));
      }
    }
    config.nodes.push_back(std::move(n));
  }
}

}  // namespace

bool IsJurisdictionCode(std::string_view code) {
  return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

bool IsNodeId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

absl::Status SplitListenAddress(std::string_view listen, std::string& host, uint16_t& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(
        fmt::format("listen address '{}' must be HOST:PORT, e.g. 127.0.0.1:8440", listen));
  }
  std::string_view h = listen.substr(0, colon);
  const std::string_view p = listen.substr(colon + 1);
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) {
      return absl::InvalidArgumentError(fmt::format("listen address '{}' is malformed", listen));
    }
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("listen address '{}': write an IPv6 host in brackets, [::1]:8440", listen));
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535) {
    return absl::InvalidArgumentError(
        fmt::format("port in listen address '{}' must be 0..65535", listen));
  }
  host = std::string(h);
  port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

ParsedRouterConfig ParseRouterConfig(std::string_view text, std::string_view file) {
  ParsedRouterConfig out;
  Checker c(file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& err) {
    out.problems.push_back({std::string(file), static_cast<int>(err.source().begin.line),
                            static_cast<int>(err.source().begin.column),
                            std::string(err.description())});
    return out;
  }
  c.OnlyKeys(root, "the router's configuration", {"router", "nodes"});
  ParseRouterTable(c, root, out.config);
  ParseNodes(c, root, out.config);
  out.problems = c.TakeProblems();
  return out;
}

absl::StatusOr<RouterConfig> LoadRouterConfig(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("cannot read configuration: {}", std::string(text.status().message())));
  }
  ParsedRouterConfig parsed = ParseRouterConfig(*text, path.string());
  if (!parsed.problems.empty()) {
    std::string all;
    for (const RouterConfigProblem& p : parsed.problems) {
      if (!all.empty()) all += "\n";
      all += p.ToString();
    }
    return absl::InvalidArgumentError(all);
  }
  return std::move(parsed.config);
}

}  // namespace domicile::router
