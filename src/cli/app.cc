#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "http/signals.h"

namespace domicile::cli {

int RunDomicile(int argc, char** argv) {
  // Before any thread exists, so that SIGINT/SIGTERM reach only `serve`'s sigwait.
  http::BlockTerminationSignals();
  CLI::App app{"domicile: keeps each person's data at home, and proves it", "domicile"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "domicile 0.1.0");
  int exit_code = 0;
  AddServeCommand(app, exit_code);
  AddCheckConfigCommand(app, exit_code);
  AddClientCommands(app, exit_code);
  AddBenchCommand(app, exit_code);
  AddPolicyCommands(app, exit_code);
  AddAuditCommands(app, exit_code);
  AddLogCommands(app, exit_code);
  AddGrantCommands(app, exit_code);
  AddOpsCommands(app, exit_code);
  AddCustodianCommand(app, exit_code);
  AddRouteCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace domicile::cli
