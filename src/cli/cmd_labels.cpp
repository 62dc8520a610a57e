#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/log.h"
#include "pipeline/labels.h"

namespace strata::cli {

int cmd_labels(int argc, char** argv) {
  Args args("labels",
            "Maps a label raster (ESA WorldCover, ...) through a label scheme into Dynamic World's 9 classes\n"
            "(255 = ignore) and writes it as a COG with the Dynamic World palette. Prints the class histogram.",
            {{"input", "RASTER", "label raster with 8-bit codes", "", true},
             {"out", "FILE.tif", "output COG", "", true},
             {"label-scheme", "NAME|FILE.csv", "worldcover, identity or a CSV table (see data/label-schemes)", "worldcover", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  const auto r = pipeline::convert_labels({args.get("input"), args.get("out"), args.get("label-scheme")});
  int64_t total = r.ignored_pixels;
  for (int64_t n : r.class_pixels) total += n;
  std::printf("%-20s %14s %8s\n", "class", "pixels", "%");
  for (int c = 0; c < kNumClasses; ++c)
    std::printf("%-20s %14lld %8.2f\n", class_names()[static_cast<size_t>(c)], static_cast<long long>(r.class_pixels[static_cast<size_t>(c)]),
                total ? 100.0 * static_cast<double>(r.class_pixels[static_cast<size_t>(c)]) / static_cast<double>(total) : 0.0);
  std::printf("%-20s %14lld %8.2f\n", "ignore (255)", static_cast<long long>(r.ignored_pixels),
              total ? 100.0 * static_cast<double>(r.ignored_pixels) / static_cast<double>(total) : 0.0);
  log::info("wrote ", args.get("out"));
  return 0;
}

}  // namespace strata::cli
