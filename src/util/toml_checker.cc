#include "util/toml_checker.h"

#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "util/duration.h"

namespace domicile {

std::string ConfigProblem::ToString() const {
  if (line == 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

void TomlChecker::Problem(const toml::node* node, std::string message) {
  ConfigProblem p{file_, 0, 0, std::move(message)};
  if (node != nullptr) {
    p.line = static_cast<int>(node->source().begin.line);
    p.column = static_cast<int>(node->source().begin.column);
  }
  problems_.push_back(std::move(p));
}

void TomlChecker::Check(const toml::node* node, const absl::Status& status) {
  if (!status.ok()) Problem(node, std::string(status.message()));
}

void TomlChecker::OnlyKeys(const toml::table& table, std::string_view where,
                           std::initializer_list<std::string_view> known) {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      Problem(&node, fmt::format("unknown key '{}' in {}", std::string(key.str()), where));
    }
  }
}

bool TomlChecker::String(const toml::table& table, std::string_view key, std::string& out,
                         bool required, std::string_view where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (required) Problem(&table, fmt::format("{} needs '{}'", where, key));
    return false;
  }
  if (!node->is_string()) {
    Problem(node, fmt::format("'{}' in {} must be a string", key, where));
    return false;
  }
  out = node->as_string()->get();
  return true;
}

bool TomlChecker::Integer(const toml::table& table, std::string_view key, int64_t min, int64_t max,
                          int64_t& out, std::string_view where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  if (!node->is_integer()) {
    Problem(node, fmt::format("'{}' in {} must be an integer", key, where));
    return false;
  }
  const int64_t v = node->as_integer()->get();
  if (v < min || v > max) {
    Problem(node, fmt::format("'{}' in {} must be between {} and {}", key, where, min, max));
    return false;
  }
  out = v;
  return true;
}

bool TomlChecker::Bool(const toml::table& table, std::string_view key, bool& out,
                       std::string_view where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  if (!node->is_boolean()) {
    Problem(node, fmt::format("'{}' in {} must be true or false", key, where));
    return false;
  }
  out = node->as_boolean()->get();
  return true;
}

bool TomlChecker::StringArray(const toml::table& table, std::string_view key,
                              std::vector<std::string>& out, std::string_view where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    Problem(node, fmt::format("'{}' in {} must be an array of strings", key, where));
    return false;
  }
  bool ok = true;
  for (const toml::node& item : *array) {
    if (!item.is_string()) {
      Problem(&item, fmt::format("'{}' in {} must contain only strings", key, where));
      ok = false;
      continue;
    }
    out.push_back(item.as_string()->get());
  }
  return ok;
}

bool TomlChecker::Duration(const toml::table& table, std::string_view key,
                           std::chrono::milliseconds min, std::chrono::milliseconds max,
                           std::chrono::milliseconds& out, std::string_view where) {
  std::string text;
  if (!String(table, key, text, false, where)) return false;
  absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(text);
  if (!d.ok()) {
    Problem(table.get(key),
            fmt::format("'{}' in {}: {}", key, where, std::string(d.status().message())));
    return false;
  }
  if (*d < min || *d > max) {
    Problem(table.get(key), fmt::format("'{}' in {} must be between {}ms and {}ms", key, where,
                                        min.count(), max.count()));
    return false;
  }
  out = *d;
  return true;
}

}  // namespace domicile
