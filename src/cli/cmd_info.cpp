#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "pipeline/info.h"

namespace strata::cli {

int cmd_info(int argc, char** argv) {
  Args args("info", "Prints the version, the build, the backends built, the devices found and the library versions.",
            {{"json", "", "print JSON instead of a table", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  const pipeline::BuildReport r = pipeline::collect_build_report();
  std::fputs((args.flag("json") ? pipeline::to_json(r) : pipeline::to_text(r)).c_str(), stdout);
  return 0;
}

}  // namespace strata::cli
