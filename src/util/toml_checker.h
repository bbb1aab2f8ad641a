// TomlChecker: reads typed values out of a parsed TOML table and collects every problem found,
// each at its file, line and column, so a configuration with several mistakes reports them all
// at once. Shared by the node's configuration (cli/config) and the router's (router/config).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "toml++/toml.h"
#include "util/config_problem.h"

namespace domicile {

class TomlChecker {
 public:
  explicit TomlChecker(std::string_view file) : file_(file) {}

  // Records `message` at `node` (no place when null).
  void Problem(const toml::node* node, std::string message);

  // Reports `status` (a validation error) at `node`; nothing when OK.
  void Check(const toml::node* node, const absl::Status& status);

  // Reports keys of `table` that are not in `known`. `where` names the table ("[node]").
  void OnlyKeys(const toml::table& table, std::string_view where,
                std::initializer_list<std::string_view> known);

  // Each sets `out` and returns true when `key` holds a valid value; false when it is absent
  // (a problem if `required`) or invalid (a problem).
  bool String(const toml::table& table, std::string_view key, std::string& out, bool required,
              std::string_view where);
  bool Integer(const toml::table& table, std::string_view key, int64_t min, int64_t max,
               int64_t& out, std::string_view where);
  bool Bool(const toml::table& table, std::string_view key, bool& out, std::string_view where);
  bool StringArray(const toml::table& table, std::string_view key, std::vector<std::string>& out,
                   std::string_view where);
  // A duration such as "1s" (util/duration.h) within [min, max].
  bool Duration(const toml::table& table, std::string_view key, std::chrono::milliseconds min,
                std::chrono::milliseconds max, std::chrono::milliseconds& out,
                std::string_view where);

  std::vector<ConfigProblem> TakeProblems() { return std::move(problems_); }

 private:
  std::string file_;
  std::vector<ConfigProblem> problems_;
};

}  // namespace domicile
