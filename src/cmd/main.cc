// The `domicile` binary: see src/cli/commands.h.
#include "cli/commands.h"

int main(int argc, char** argv) { return domicile::cli::RunDomicile(argc, argv); }
