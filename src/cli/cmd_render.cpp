#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "pipeline/render.h"

namespace strata::cli {

int cmd_render(int argc, char** argv) {
  Args args("render",
            "Renders maps: a Sentinel-2 scene in true colour (or --bands R,G,B) with a percentile stretch; a label\n"
            "raster or a prediction in its colour table (Dynamic World's palette when it has none) with a legend;\n"
            "with --confidence, a prediction's class colour darkened by its top-1 probability. Several inputs and\n"
            "--out FILE.gif: an animated timelapse, one frame per input in order, captioned with each file's date.",
            {{"input", "RASTER...", "scenes, label rasters or predictions (--input A B C or repeated)", "", true},
             {"out", "FILE.png|FILE.gif", "output image; .gif for an animation", "", true},
             {"bands", "R,G,B", "bands of a scene to show", "B4,B3,B2", false},
             {"max-size", "PX", "longest side of the map; larger inputs are downsampled", "1024", false},
             {"stretch", "LO,HI", "percentiles mapped to black and white", "2,98", false},
             {"confidence", "", "brightness = the prediction's top-1 probability", "", false},
             {"legend", "", "draw the legend of the 9 classes beside label maps (the default)", "", false},
             {"no-legend", "", "no legend", "", false},
             {"delay", "SECONDS", "GIF: how long each frame is shown", "1", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::RenderOptions o;
  o.inputs = args.get_all("input");
  o.inputs.insert(o.inputs.end(), args.positional().begin(), args.positional().end());
  o.output = args.get("out");
  o.rgb_bands = args.get_list("bands");
  if (o.rgb_bands.size() != 3) throw UsageError("strata render: --bands needs three bands, e.g. B4,B3,B2");
  o.max_size = args.get_int("max-size", 16, 65535);
  const auto stretch = split_list(args.get("stretch"));
  if (stretch.size() != 2) throw UsageError("strata render: --stretch needs two percentiles, e.g. 2,98");
  o.stretch_low = parse_number(stretch[0], "--stretch");
  o.stretch_high = parse_number(stretch[1], "--stretch");
  if (!(0 <= o.stretch_low && o.stretch_low < o.stretch_high && o.stretch_high <= 100))
    throw UsageError("strata render: --stretch percentiles must satisfy 0 <= LO < HI <= 100");
  o.confidence = args.flag("confidence");
  if (args.flag("legend") && args.flag("no-legend")) throw UsageError("strata render: --legend and --no-legend contradict");
  o.legend = !args.flag("no-legend");
  o.delay_s = args.get_double("delay");
  if (!(o.delay_s >= 0.01 && o.delay_s <= 655.35)) throw UsageError("strata render: --delay must be 0.01..655.35 seconds");
  const pipeline::RenderResult r = pipeline::render(o);
  log::info("wrote ", r.output, " (", r.width, "x", r.height, ", ", r.kind,
            r.frames > 1 ? ", " + std::to_string(r.frames) + " frames" : std::string(), ")");
  return 0;
}

}  // namespace strata::cli
