#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "pipeline/render.h"

namespace strata::cli {

int cmd_render(int argc, char** argv) {
  Args args("render",
            "Renders a quick-look PNG: a Sentinel-2 scene in true colour (or --bands R,G,B) with a percentile\n"
            "stretch, or a label raster in its colour table (Dynamic World's palette when it has none).",
            {{"input", "RASTER", "scene or label raster", "", true},
             {"out", "FILE.png", "output PNG", "", true},
             {"bands", "R,G,B", "bands of a scene to show", "B4,B3,B2", false},
             {"max-size", "PX", "longest side of the PNG; larger inputs are downsampled", "1024", false},
             {"stretch", "LO,HI", "percentiles mapped to black and white", "2,98", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::RenderOptions o;
  o.input = args.get("input");
  o.output = args.get("out");
  o.rgb_bands = args.get_list("bands");
  if (o.rgb_bands.size() != 3) throw UsageError("strata render: --bands needs three bands, e.g. B4,B3,B2");
  o.max_size = args.get_int("max-size", 16, 65536);
  const auto stretch = split_list(args.get("stretch"));
  if (stretch.size() != 2) throw UsageError("strata render: --stretch needs two percentiles, e.g. 2,98");
  o.stretch_low = parse_number(stretch[0], "--stretch");
  o.stretch_high = parse_number(stretch[1], "--stretch");
  if (!(0 <= o.stretch_low && o.stretch_low < o.stretch_high && o.stretch_high <= 100))
    throw UsageError("strata render: --stretch percentiles must satisfy 0 <= LO < HI <= 100");
  const pipeline::RenderResult r = pipeline::render_quicklook(o);
  log::info("wrote ", r.output, " (", r.width, "x", r.height, ", ", r.kind, ")");
  return 0;
}

}  // namespace strata::cli
