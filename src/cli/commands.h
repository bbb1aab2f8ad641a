// The `domicile` command: one function per subcommand group, each adding its subcommands to
// the CLI11 application. RunDomicile parses the command line and runs the chosen one.
// Exit codes: 0 success, 1 the operation failed (the message says why), 2 bad usage.
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace domicile::cli {

int RunDomicile(int argc, char** argv);

// Each Add* registers subcommands whose callbacks store their exit code in `exit_code`.
void AddServeCommand(CLI::App& app, int& exit_code);
void AddCheckConfigCommand(CLI::App& app, int& exit_code);
void AddClientCommands(CLI::App& app, int& exit_code);
void AddBenchCommand(CLI::App& app, int& exit_code);
void AddPolicyCommands(CLI::App& app, int& exit_code);
void AddAuditCommands(CLI::App& app, int& exit_code);
void AddLogCommands(CLI::App& app, int& exit_code);
void AddGrantCommands(CLI::App& app, int& exit_code);
void AddCustodianCommand(CLI::App& app, int& exit_code);
void AddRouteCommand(CLI::App& app, int& exit_code);
void AddOpsCommands(CLI::App& app, int& exit_code);

}  // namespace domicile::cli
