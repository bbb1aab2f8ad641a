// `domicile check-config FILE`: reports every problem of a configuration with its line.
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/policies.h"
#include "util/file.h"

namespace domicile::cli {
namespace {

int CheckConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    std::cerr << path << ": " << text.status().message() << "\n";
    return 1;
  }
  ParsedConfig parsed = ParseConfig(*text, path);
  for (const ConfigProblem& p : parsed.problems) std::cerr << p.ToString() << "\n";
  if (!parsed.problems.empty()) {
    std::cerr << path << ": " << parsed.problems.size() << " problem(s)\n";
    return 1;
  }
  absl::StatusOr<policy::PolicySet> policies = LoadPolicySet(parsed.config);
  if (!policies.ok()) {
    std::cerr << policies.status().message() << "\n";
    return 1;
  }
  if (absl::Status lint = LintPolicySet(*policies, parsed.config); !lint.ok()) {
    std::cerr << lint.message();
    return 1;
  }
  std::cout << path << ": ok (" << parsed.config.sites.size() << " sites, "
            << parsed.config.principals.size() << " principals, " << policies->size()
            << " policies)\n";
  return 0;
}

}  // namespace

void AddCheckConfigCommand(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("check-config", "Check a configuration file, reporting every problem");
  cmd->add_option("file", *path, "Configuration file (TOML)")->required();
  cmd->callback([path, &exit_code] { exit_code = CheckConfig(*path); });
}

}  // namespace domicile::cli
