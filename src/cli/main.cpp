// strata: the one binary. Errors are caught here, once, and printed as "strata: error: ...";
// exit 1 for a runtime error, 2 for a usage error.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/communicator.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"change", strata::cli::cmd_change, "what became what between two land-cover maps: change raster, transitions in km2"},
    {"evaluate", strata::cli::cmd_evaluate, "accuracy, IoU and confusion matrix of predictions against a label raster"},
    {"import-model", strata::cli::cmd_import_model, "Dynamic World's TensorFlow SavedModel -> a strata checkpoint (no TensorFlow)"},
    {"info", strata::cli::cmd_info, "what was built and found: version, backends, devices, library versions"},
    {"labels", strata::cli::cmd_labels, "map a label raster (WorldCover, ...) to Dynamic World's 9 classes"},
    {"predict", strata::cli::cmd_predict, "checkpoint + scenes -> tiled probability/label COGs and a VRT (MPI, incremental)"},
    {"prepare", strata::cli::cmd_prepare, "scenes + labels -> balanced, split HDF5 patch shards (MPI-parallel)"},
    {"render", strata::cli::cmd_render, "PNG maps with a legend (labels, confidence, true colour) and GIF timelapses"},
    {"serve", strata::cli::cmd_serve, "HTTP map tiles, point time series, areas and change over predict outputs, and a web viewer"},
    {"stats", strata::cli::cmd_stats, "area per class (km2) of land-cover maps, per date"},
    {"train", strata::cli::cmd_train, "data-parallel training from a prepared dataset (MPI), checkpoints, resume"},
    {"synth", strata::cli::cmd_synth, "realistic synthetic Sentinel-2 time series with labels, clouds and events"},
};

void print_usage(std::FILE* to) {
  std::fprintf(to, "usage: strata <command> [options]   (strata <command> --help for its options)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(to, "  %-12s %s\n", c.name, c.summary);
}

}  // namespace

namespace strata::cli {
bool parse_command_line(Args& args, int argc, char** argv) {
  if (!args.parse(argc, argv, 2)) {
    std::fputs(args.usage().c_str(), stdout);
    return false;
  }
  if (args.flag("verbose")) log::set_level(log::Level::debug);
  if (args.flag("quiet")) log::set_level(log::Level::warn);
  return true;
}
}  // namespace strata::cli

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    print_usage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("strata %s (%s)\n", strata::build::version().c_str(), strata::build::git_revision().c_str());
    return 0;
  }
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(argc, argv);
    } catch (const strata::UsageError& e) {
      std::fprintf(stderr, "strata: error: %s\n", e.what());
      strata::dist::abort_job(2);
      return 2;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "strata: error: out of memory\n");
      strata::dist::abort_job(1);
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "strata: error: %s\n", e.what());
      // The other ranks may be waiting in a collective: end the job rather than let it hang.
      strata::dist::abort_job(1);
      return 1;
    }
  }
  std::fprintf(stderr, "strata: error: unknown command '%s'\n", name.c_str());
  print_usage(stderr);
  return 2;
}
