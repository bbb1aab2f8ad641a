#include "cli/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "cli/stores.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "http/client.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"
#include "toml++/toml.h"
#include "util/encoding.h"
#include "util/file.h"
#include "util/status_macros.h"
#include "util/toml_checker.h"
#include "vault/names.h"

namespace domicile::cli {
namespace {

using Checker = ::domicile::TomlChecker;

// A C2SP note key name: non-empty, no whitespace, no '+'.
absl::Status ValidateNoteName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 255) {
    return absl::InvalidArgumentError(fmt::format("{} must be 1..255 characters", what));
  }
  for (char c : name) {
    if (c <= 0x20 || c == 0x7f || c == '+') {
      return absl::InvalidArgumentError(
          fmt::format("{} must not contain spaces, control characters or '+'", what));
    }
  }
  return absl::OkStatus();
}

void ParseNode(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("node");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[node] must be a table");
  c.OnlyKeys(*t, "[node]",
             {"name", "listen", "data_dir", "threads", "jurisdiction", "state_backend"});
  if (c.String(*t, "name", config.name, false, "[node]")) {
    c.Check(t->get("name"), ValidateNoteName(config.name, "[node] name"));
  }
  if (c.String(*t, "jurisdiction", config.jurisdiction, false, "[node]")) {
    c.Check(t->get("jurisdiction"), vault::ValidateJurisdiction(config.jurisdiction));
  }
  if (c.String(*t, "state_backend", config.state_backend, false, "[node]")) {
    c.Check(t->get("state_backend"), ValidateBackend(config.state_backend));
  }
  if (c.String(*t, "listen", config.listen, false, "[node]")) {
    std::string host;
    uint16_t port;
    c.Check(t->get("listen"), SplitHostPort(config.listen, host, port));
  }
  std::string data_dir;
  if (c.String(*t, "data_dir", data_dir, false, "[node]")) {
    if (data_dir.empty()) c.Problem(t->get("data_dir"), "'data_dir' must not be empty");
    config.data_dir = data_dir;
  }
  int64_t threads;
  if (c.Integer(*t, "threads", 0, 256, threads, "[node]")) config.threads = int(threads);
}

void ParseLog(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("log");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[log] must be a table");
  c.OnlyKeys(*t, "[log]", {"origin", "checkpoint_interval", "max_pending", "backend"});
  if (c.String(*t, "backend", config.log.backend, false, "[log]")) {
    c.Check(t->get("backend"), ValidateBackend(config.log.backend));
  }
  if (c.String(*t, "origin", config.log.origin, false, "[log]")) {
    c.Check(t->get("origin"), ValidateNoteName(config.log.origin, "[log] origin"));
  }
  std::string interval;
  if (c.String(*t, "checkpoint_interval", interval, false, "[log]")) {
    absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(interval);
    if (!d.ok()) {
      c.Check(t->get("checkpoint_interval"), d.status());
    } else if (*d < std::chrono::milliseconds(10) || *d > std::chrono::hours(1)) {
      c.Problem(t->get("checkpoint_interval"),
                "[log] checkpoint_interval must be between 10ms and 1h");
    } else {
      config.log.checkpoint_interval = *d;
    }
  }
  int64_t v;
  if (c.Integer(*t, "max_pending", 1, 1 << 24, v, "[log]")) config.log.max_pending = v;
}

// A duration setting between `min` and `max`; true when set.
bool DurationIn(Checker& c, const toml::table& t, std::string_view key, std::string_view where,
                std::chrono::milliseconds min, std::chrono::milliseconds max,
                std::string_view range, std::chrono::seconds& out) {
  std::string text;
  if (!c.String(t, key, text, false, where)) return false;
  absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(text);
  if (!d.ok()) {
    c.Check(t.get(key), d.status());
    return false;
  }
  if (*d < min || *d > max) {
    c.Problem(t.get(key), fmt::format("{} {} must be between {}", where, key, range));
    return false;
  }
  out = std::chrono::duration_cast<std::chrono::seconds>(*d);
  return true;
}

void ParseGrants(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("grants");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[grants] must be a table");
  c.OnlyKeys(*t, "[grants]", {"quorum", "max_ttl", "break_glass_max_ttl"});
  int64_t quorum;
  if (c.Integer(*t, "quorum", 1, 16, quorum, "[grants]")) config.grants.quorum = int(quorum);
  DurationIn(c, *t, "max_ttl", "[grants]", std::chrono::minutes(1), std::chrono::hours(24 * 7),
             "1m and 168h", config.grants.max_ttl);
  DurationIn(c, *t, "break_glass_max_ttl", "[grants]", std::chrono::minutes(1),
             std::chrono::hours(1), "1m and 1h", config.grants.break_glass_max_ttl);
}

bool IsEnvironmentName(std::string_view name);

void ParseCustodian(Checker& c, const toml::table& root, Config& config, ConfigKind kind) {
  const toml::node* node = root.get("custodian");
  if (node == nullptr) {
    if (kind == ConfigKind::kCustodian) {
      c.Problem(nullptr, "no [custodian]: node_tokens_sha256 must name the nodes it answers");
    }
    return;
  }
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[custodian] must be a table");
  constexpr std::string_view kWhere = "[custodian]";
  CustodianConfig& cc = config.custodian;
  if (kind == ConfigKind::kNode) {
    c.OnlyKeys(*t, kWhere, {"url", "token_env", "ca", "witness_key"});
    if (c.String(*t, "witness_key", cc.witness_key, false, kWhere)) {
      c.Check(t->get("witness_key"), tlog::ParseCosignerVerifier(cc.witness_key).status());
    }
    if (c.String(*t, "url", cc.url, false, kWhere)) {
      c.Check(t->get("url"), http::ParseBaseUrl(cc.url).status());
      if (c.String(*t, "token_env", cc.token_env, true, kWhere) &&
          !IsEnvironmentName(cc.token_env)) {
        c.Problem(t->get("token_env"), "'token_env' must name an environment variable");
      }
    }
    c.String(*t, "ca", cc.ca, false, kWhere);
    return;
  }
  c.OnlyKeys(*t, kWhere, {"node_tokens_sha256", "witness_for"});
  std::vector<std::string> hashes;
  if (c.StringArray(*t, "node_tokens_sha256", hashes, kWhere)) {
    if (hashes.empty()) c.Problem(t->get("node_tokens_sha256"), "name at least one node token");
    for (const std::string& h : hashes) {
      std::optional<Bytes> raw = HexDecode(h);
      if (!raw.has_value() || raw->size() != 32) {
        c.Problem(t->get("node_tokens_sha256"),
                  "each node token must be given as 64 hex digits: its SHA-256, never the token");
        continue;
      }
      std::array<uint8_t, 32> hash;
      std::copy(raw->begin(), raw->end(), hash.begin());
      cc.node_tokens.push_back(hash);
    }
  } else if (t->get("node_tokens_sha256") == nullptr) {
    c.Problem(node, "[custodian] needs node_tokens_sha256: the nodes it answers");
  }
  if (c.StringArray(*t, "witness_for", cc.witness_for, kWhere)) {
    for (const std::string& v : cc.witness_for) {
      c.Check(t->get("witness_for"), tlog::ParseNoteVerifier(v).status());
    }
  }
}

// An environment variable's name as POSIX shells take it: [A-Za-z_][A-Za-z0-9_]*.
bool IsEnvironmentName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  });
}

void ParseKeys(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("keys");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[keys] must be a table");
  if (t->get("pin") != nullptr) {
    c.Problem(t->get("pin"),
              "[keys] must not hold a PIN: set pin_env to the name of an environment variable "
              "that holds it");
  }
  static constexpr std::array<std::string_view, 3> kFileKeys = {"master_key_file", "keyring",
                                                                "create_master_key"};
  static constexpr std::array<std::string_view, 3> kPkcs11Keys = {"module", "token_label",
                                                                  "pin_env"};
  for (const auto& [key, value] : *t) {
    std::string_view k = key.str();
    if (k != "provider" && k != "pin" &&
        std::find(kFileKeys.begin(), kFileKeys.end(), k) == kFileKeys.end() &&
        std::find(kPkcs11Keys.begin(), kPkcs11Keys.end(), k) == kPkcs11Keys.end()) {
      c.Problem(&value, fmt::format("unknown key '{}' in [keys]", std::string(k)));
    }
  }
  if (c.String(*t, "provider", config.key_provider, false, "[keys]") &&
      config.key_provider != "file" && config.key_provider != "pkcs11") {
    c.Problem(t->get("provider"), "[keys] provider must be \"file\" or \"pkcs11\"");
    return;
  }
  const bool pkcs11 = config.key_provider == "pkcs11";
  // Settings of the other provider would be silently ignored: refuse them.
  for (std::string_view key : pkcs11 ? kFileKeys : kPkcs11Keys) {
    if (t->get(key) != nullptr) {
      c.Problem(t->get(key), fmt::format("'{}' in [keys] applies only to provider = \"{}\"", key,
                                         pkcs11 ? "file" : "pkcs11"));
    }
  }
  if (!pkcs11) {
    std::string path;
    if (c.String(*t, "master_key_file", path, false, "[keys]")) config.master_key_file = path;
    if (c.String(*t, "keyring", path, false, "[keys]")) config.keyring_file = path;
    c.Bool(*t, "create_master_key", config.create_master_key, "[keys]");
    return;
  }
  constexpr std::string_view kWhere = "[keys] provider = \"pkcs11\"";
  std::string module;
  if (c.String(*t, "module", module, true, kWhere)) {
    std::error_code ec;
    if (module.empty() || !std::filesystem::is_regular_file(module, ec)) {
      c.Problem(t->get("module"), fmt::format("[keys] module '{}' does not exist", module));
    }
    config.pkcs11.module = module;
  }
  if (c.String(*t, "token_label", config.pkcs11.token_label, true, kWhere) &&
      (config.pkcs11.token_label.empty() || config.pkcs11.token_label.size() > 32)) {
    c.Problem(t->get("token_label"), "[keys] token_label must be 1..32 bytes");
  }
  if (c.String(*t, "pin_env", config.pkcs11.pin_env, true, kWhere) &&
      !IsEnvironmentName(config.pkcs11.pin_env)) {
    c.Problem(t->get("pin_env"),
              "[keys] pin_env must name an environment variable (letters, digits, '_'), such as "
              "\"DOMICILE_PKCS11_PIN\"");
  }
}

void ParseLimits(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("limits");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[limits] must be a table");
  c.OnlyKeys(*t, "[limits]", {"max_body_bytes", "max_header_bytes", "read_timeout_ms"});
  int64_t v;
  if (c.Integer(*t, "max_body_bytes", 1, int64_t(64) << 20, v, "[limits]"))
    config.max_body_bytes = v;
  if (c.Integer(*t, "max_header_bytes", 1024, 1 << 20, v, "[limits]")) config.max_header_bytes = v;
  if (c.Integer(*t, "read_timeout_ms", 10, 3'600'000, v, "[limits]")) config.read_timeout_ms = v;
}

void ParseTls(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("tls");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[tls] must be a table");
  c.OnlyKeys(*t, "[tls]", {"cert", "key", "client_ca"});
  bool cert = c.String(*t, "cert", config.tls.cert, true, "[tls]");
  bool key = c.String(*t, "key", config.tls.key, true, "[tls]");
  c.String(*t, "client_ca", config.tls.client_ca, false, "[tls]");
  for (auto [name, path, present] :
       {std::tuple{"cert", &config.tls.cert, cert}, std::tuple{"key", &config.tls.key, key},
        std::tuple{"client_ca", &config.tls.client_ca, !config.tls.client_ca.empty()}}) {
    std::error_code ec;
    if (present && !std::filesystem::exists(*path, ec)) {
      c.Problem(t->get(name), fmt::format("[tls] {} file '{}' does not exist", name, *path));
    }
  }
}

void ParseSites(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("sites");
  if (node == nullptr) return c.Problem(nullptr, "no [[sites]]: at least one site is needed");
  const toml::array* sites = node->as_array();
  if (sites == nullptr) return c.Problem(node, "'sites' must be an array of tables [[sites]]");
  std::set<std::string> ids;
  for (const toml::node& item : *sites) {
    const toml::table* t = item.as_table();
    if (t == nullptr) {
      c.Problem(&item, "each [[sites]] entry must be a table");
      continue;
    }
    c.OnlyKeys(*t, "[[sites]]", {"id", "jurisdiction", "operator", "role", "backend", "legacy_of"});
    SiteConfig s;
    if (c.String(*t, "id", s.site.id, true, "[[sites]]")) {
      c.Check(t->get("id"), vault::ValidateId("site id", s.site.id));
      if (!ids.insert(s.site.id).second) {
        c.Problem(t->get("id"), fmt::format("site '{}' is defined twice", s.site.id));
      }
    }
    if (c.String(*t, "jurisdiction", s.site.jurisdiction, true, "[[sites]]")) {
      c.Check(t->get("jurisdiction"), vault::ValidateJurisdiction(s.site.jurisdiction));
    }
    if (c.String(*t, "operator", s.site.operator_name, true, "[[sites]]") &&
        s.site.operator_name.empty()) {
      c.Problem(t->get("operator"), "'operator' must not be empty");
    }
    std::string role;
    if (c.String(*t, "role", role, true, "[[sites]]")) {
      std::optional<vault::SiteRole> r = vault::ParseSiteRole(role);
      if (!r.has_value()) {
        c.Problem(t->get("role"), "'role' must be \"primary\", \"backup\" or \"legacy\"");
      } else {
        s.site.role = *r;
      }
    }
    if (c.String(*t, "backend", s.backend, false, "[[sites]]")) {
      c.Check(t->get("backend"), ValidateBackend(s.backend));
    }
    if (t->get("legacy_of") != nullptr) {
      c.StringArray(*t, "legacy_of", s.site.legacy_of, "[[sites]]");
      if (s.site.role != vault::SiteRole::kLegacy) {
        c.Problem(t->get("legacy_of"), "'legacy_of' is for sites whose role is \"legacy\"");
      }
      for (const std::string& j : s.site.legacy_of) {
        c.Check(t->get("legacy_of"), vault::ValidateJurisdiction(j));
      }
    }
    config.sites.push_back(std::move(s));
  }
}

void ParseBackupDirs(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("backup_dirs");
  if (node == nullptr) return;
  const toml::array* dirs = node->as_array();
  if (dirs == nullptr)
    return c.Problem(node, "'backup_dirs' must be an array of tables [[backup_dirs]]");
  for (const toml::node& item : *dirs) {
    const toml::table* t = item.as_table();
    if (t == nullptr) {
      c.Problem(&item, "each [[backup_dirs]] entry must be a table");
      continue;
    }
    c.OnlyKeys(*t, "[[backup_dirs]]", {"id", "path", "jurisdiction"});
    BackupDirConfig d;
    if (c.String(*t, "id", d.id, true, "[[backup_dirs]]")) {
      c.Check(t->get("id"), vault::ValidateId("backup directory id", d.id));
      bool taken = std::any_of(config.sites.begin(), config.sites.end(),
                               [&](const SiteConfig& s) { return s.site.id == d.id; }) ||
                   std::any_of(config.backup_dirs.begin(), config.backup_dirs.end(),
                               [&](const BackupDirConfig& o) { return o.id == d.id; });
      if (taken)
        c.Problem(t->get("id"), fmt::format("'{}' already names a site or backup directory", d.id));
    }
    std::string path;
    if (c.String(*t, "path", path, true, "[[backup_dirs]]")) {
      if (path.empty()) c.Problem(t->get("path"), "'path' must not be empty");
      d.path = path;
    }
    if (c.String(*t, "jurisdiction", d.jurisdiction, true, "[[backup_dirs]]")) {
      c.Check(t->get("jurisdiction"), vault::ValidateJurisdiction(d.jurisdiction));
    }
    config.backup_dirs.push_back(std::move(d));
  }
}

void ParsePolicy(Checker& c, const toml::table& root, const std::filesystem::path& base,
                 Config& config) {
  const toml::node* node = root.get("policy");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[policy] must be a table");
  c.OnlyKeys(*t, "[policy]", {"files"});
  std::vector<std::string> files;
  if (!c.StringArray(*t, "files", files, "[policy]")) {
    if (t->get("files") == nullptr) c.Problem(node, "[policy] needs 'files'");
    return;
  }
  if (files.empty()) c.Problem(t->get("files"), "[policy] files must name at least one file");
  for (size_t i = 0; i < files.size(); ++i) {
    std::filesystem::path path = files[i];
    if (path.is_relative()) path = base / path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      c.Problem(t->get("files")->as_array()->get(i),
                fmt::format("policy file '{}' does not exist", path.string()));
    }
    config.policy_files.push_back(std::move(path));
  }
}

void ParseJurisdictions(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("jurisdictions");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[jurisdictions] must be a table of jurisdictions");
  for (const auto& [key, j_node] : *t) {
    std::string j(key.str());
    std::string where = fmt::format("[jurisdictions.{}]", j);
    c.Check(&j_node, vault::ValidateJurisdiction(j));
    const toml::table* jt = j_node.as_table();
    if (jt == nullptr) {
      c.Problem(&j_node, fmt::format("{} must be a table", where));
      continue;
    }
    c.OnlyKeys(*jt, where, {"entities"});
    std::vector<std::string> entities;
    c.StringArray(*jt, "entities", entities, where);
    config.trusted_entities[j] = std::move(entities);
  }
}

void ParseNetwork(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("network");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) {
    return c.Problem(node, "[network] must map CIDR blocks to jurisdictions");
  }
  for (const auto& [key, value] : *t) {
    if (!value.is_string()) {
      c.Problem(&value, fmt::format("[network] \"{}\" must map to a jurisdiction such as \"US\"",
                                    std::string(key.str())));
      continue;
    }
    std::string j = value.as_string()->get();
    c.Check(&value, vault::ValidateJurisdiction(j));
    c.Check(&value, config.network.Add(key.str(), j));
  }
}

void ParseRouterLink(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("router");
  if (node == nullptr) return;
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[router] must be a table");
  c.OnlyKeys(*t, "[router]", {"proxies", "directory_token_sha256"});
  std::vector<std::string> proxies;
  if (c.StringArray(*t, "proxies", proxies, "[router]")) {
    for (const std::string& cidr : proxies) {
      c.Check(t->get("proxies"), config.router.proxies.Add(cidr, "router"));
    }
  }
  std::string hex;
  if (c.String(*t, "directory_token_sha256", hex, false, "[router]")) {
    std::optional<Bytes> digest = HexDecode(hex);
    if (!digest.has_value() || digest->size() != 32) {
      c.Problem(t->get("directory_token_sha256"),
                "[router] directory_token_sha256 must be 64 hex digits (SHA-256 of the token)");
    } else {
      std::array<uint8_t, 32> d;
      std::copy(digest->begin(), digest->end(), d.begin());
      config.router.directory_token_sha256 = d;
    }
  }
}

const SiteConfig* FindSite(const Config& config, std::string_view id) {
  for (const SiteConfig& s : config.sites) {
    if (s.site.id == id) return &s;
  }
  return nullptr;
}

void ParseResidency(Checker& c, const toml::table& root, Config& config) {
  const toml::node* node = root.get("residency");
  if (node == nullptr) {
    return c.Problem(nullptr, "no [residency.<jurisdiction>] rules: data could go nowhere");
  }
  const toml::table* t = node->as_table();
  if (t == nullptr) return c.Problem(node, "[residency] must be a table of jurisdictions");
  for (const auto& [key, rule_node] : *t) {
    std::string j(key.str());
    std::string where = fmt::format("[residency.{}]", j);
    c.Check(&rule_node, vault::ValidateJurisdiction(j));
    const toml::table* rule = rule_node.as_table();
    if (rule == nullptr) {
      c.Problem(&rule_node, fmt::format("{} must be a table", where));
      continue;
    }
    c.OnlyKeys(*rule, where, {"primary", "backup"});
    for (bool primary : {true, false}) {
      std::string_view field = primary ? "primary" : "backup";
      std::vector<std::string> ids;
      c.StringArray(*rule, field, ids, where);
      const toml::array* array = rule->get(field) ? rule->get(field)->as_array() : nullptr;
      for (size_t i = 0; i < ids.size(); ++i) {
        const toml::node* at = array != nullptr && i < array->size() ? array->get(i) : &rule_node;
        const bool backup_dir =
            !primary && std::any_of(config.backup_dirs.begin(), config.backup_dirs.end(),
                                    [&](const BackupDirConfig& d) { return d.id == ids[i]; });
        if (backup_dir) {
          config.residency.AllowBackup(j, ids[i]);
          continue;
        }
        const SiteConfig* site = FindSite(config, ids[i]);
        if (site == nullptr) {
          c.Problem(at, fmt::format("{} names unknown site '{}'", where, ids[i]));
          continue;
        }
        vault::SiteRole want = primary ? vault::SiteRole::kPrimary : vault::SiteRole::kBackup;
        if (site->site.role != want) {
          c.Problem(at, fmt::format("{} lists '{}' as {} but that site's role is {}", where, ids[i],
                                    field, vault::SiteRoleName(site->site.role)));
          continue;
        }
        if (primary) {
          config.residency.AllowPrimary(j, ids[i]);
        } else {
          config.residency.AllowBackup(j, ids[i]);
        }
      }
    }
  }
}

void ParsePrincipals(Checker& c, const toml::table& root, Config& config, ConfigKind kind) {
  const toml::node* node = root.get("principals");
  if (node == nullptr) return c.Problem(nullptr, "no [[principals]]: nobody could authenticate");
  const toml::array* principals = node->as_array();
  if (principals == nullptr) {
    return c.Problem(node, "'principals' must be an array of tables [[principals]]");
  }
  std::set<std::string> ids;
  std::set<std::string> hashes;
  constexpr std::string_view kWhere = "[[principals]]";
  for (const toml::node& item : *principals) {
    const toml::table* t = item.as_table();
    if (t == nullptr) {
      c.Problem(&item, "each [[principals]] entry must be a table");
      continue;
    }
    c.OnlyKeys(
        *t, kWhere,
        {"id", "type", "entity", "location", "roles", "team", "token_sha256", "approval_key"});
    PrincipalConfig p;
    vault::Principal& pr = p.principal;
    if (c.String(*t, "id", pr.id, true, kWhere)) {
      c.Check(t->get("id"), vault::ValidateId("principal id", pr.id));
      if (!ids.insert(pr.id).second) {
        c.Problem(t->get("id"), fmt::format("principal '{}' is defined twice", pr.id));
      }
    }
    std::string type;
    if (c.String(*t, "type", type, true, kWhere)) {
      std::optional<vault::PrincipalType> ty = vault::ParsePrincipalType(type);
      if (!ty.has_value()) {
        c.Problem(t->get("type"), "'type' must be \"User\" or \"Service\"");
      } else {
        pr.type = *ty;
      }
    }
    c.String(*t, "entity", pr.entity, true, kWhere);
    if (c.String(*t, "location", pr.location, true, kWhere)) {
      c.Check(t->get("location"), vault::ValidateJurisdiction(pr.location));
    }
    c.StringArray(*t, "roles", pr.roles, kWhere);
    c.String(*t, "team", pr.team, false, kWhere);
    std::string hash;
    if (c.String(*t, "token_sha256", hash, kind == ConfigKind::kNode, kWhere)) {
      std::optional<Bytes> raw = HexDecode(hash);
      if (!raw.has_value() || raw->size() != 32) {
        c.Problem(t->get("token_sha256"),
                  "'token_sha256' must be 64 hex digits: the SHA-256 of the token, never the "
                  "token itself (printf %s TOKEN | sha256sum)");
      } else {
        std::copy(raw->begin(), raw->end(), p.token_sha256.begin());
        if (!hashes.insert(HexEncode(*raw)).second) {
          c.Problem(t->get("token_sha256"),
                    fmt::format("principal '{}' shares its token with another principal", pr.id));
        }
      }
    }
    if (c.String(*t, "approval_key", p.approval_key, false, kWhere)) {
      absl::StatusOr<tlog::NoteVerifier> key = tlog::ParseNoteVerifier(p.approval_key);
      if (!key.ok()) {
        c.Problem(t->get("approval_key"),
                  fmt::format("'approval_key' must be a verifier key as printed by domicile "
                              "keygen (name+id+key): {}",
                              std::string(key.status().message())));
      }
    }
    config.principals.push_back(std::move(p));
  }
}

}  // namespace

absl::Status SplitHostPort(std::string_view listen, std::string& host, uint16_t& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(
        fmt::format("listen address '{}' must be HOST:PORT, e.g. 127.0.0.1:8080", listen));
  }
  std::string_view h = listen.substr(0, colon);
  std::string_view p = listen.substr(colon + 1);
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) {
      return absl::InvalidArgumentError(fmt::format("listen address '{}' is malformed", listen));
    }
    h = h.substr(1, h.size() - 2);
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

ParsedConfig ParseConfig(std::string_view text, std::string_view file, ConfigKind kind) {
  const std::filesystem::path base = std::filesystem::path(file).parent_path();
  ParsedConfig out;
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
  if (kind == ConfigKind::kNode) {
    c.OnlyKeys(root, "the configuration",
               {"node", "keys", "limits", "tls", "sites", "backup_dirs", "residency", "principals",
                "policy", "jurisdictions", "network", "log", "grants", "custodian", "router"});
  } else {
    c.OnlyKeys(root, "the custodian's configuration",
               {"node", "keys", "limits", "tls", "principals", "log", "grants", "custodian"});
  }
  out.config.source_sha256 = HexEncode(crypto::Sha256(AsBytes(text)));
  ParseNode(c, root, out.config);
  ParseLog(c, root, out.config);
  ParseGrants(c, root, out.config);
  ParseKeys(c, root, out.config);
  ParseLimits(c, root, out.config);
  ParseTls(c, root, out.config);
  ParseCustodian(c, root, out.config, kind);
  ParsePrincipals(c, root, out.config, kind);
  if (kind == ConfigKind::kNode) {
    ParseSites(c, root, out.config);
    ParseBackupDirs(c, root, out.config);
    ParseResidency(c, root, out.config);
    ParsePolicy(c, root, base, out.config);
    ParseJurisdictions(c, root, out.config);
    ParseNetwork(c, root, out.config);
    ParseRouterLink(c, root, out.config);
  }
  out.problems = c.TakeProblems();
  return out;
}

absl::StatusOr<Config> LoadConfig(const std::filesystem::path& path, ConfigKind kind) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("cannot read configuration: {}", std::string(text.status().message())));
  }
  ParsedConfig parsed = ParseConfig(*text, path.string(), kind);
  if (!parsed.problems.empty()) {
    std::string all;
    for (const ConfigProblem& p : parsed.problems) {
      if (!all.empty()) all += "\n";
      all += p.ToString();
    }
    return absl::InvalidArgumentError(all);
  }
  return std::move(parsed.config);
}

}  // namespace domicile::cli
