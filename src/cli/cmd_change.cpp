#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "pipeline/change.h"

namespace strata::cli {

int cmd_change(int argc, char** argv) {
  Args args("change",
            "What became what between two land-cover maps (predictions or label rasters; --to is read onto --from's\n"
            "grid). Writes DIR/change.tif (code 10 * from + to, 255 = no data in either), DIR/transitions.csv and\n"
            "DIR/transitions.json (the 9 x 9 matrix in km2) and prints the changes, largest first.",
            {{"from", "RASTER", "the earlier map", "", true},
             {"to", "RASTER", "the later map", "", true},
             {"out", "DIR", "output folder (created)", "", true},
             {"min-area-ha", "HA", "leave transitions smaller than this out of the summary", "0", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  if (!args.positional().empty()) throw UsageError("strata change: unexpected argument '" + args.positional()[0] + "'");
  pipeline::ChangeOptions o{args.get("from"), args.get("to"), args.get("out"), args.get_double("min-area-ha")};
  if (!(o.min_area_ha >= 0)) throw UsageError("strata change: --min-area-ha must be >= 0");
  const auto r = pipeline::detect_change(o);
  for (const auto& t : r.changes)
    std::printf("%s -> %s: %.1f ha\n", class_names()[static_cast<size_t>(t.from)], class_names()[static_cast<size_t>(t.to)],
                t.km2 * 100);
  const double valid = r.changed_km2 + r.unchanged_km2;
  std::printf("changed: %.1f ha of %.1f ha (%.2f %%); no data in either map: %.1f ha\n", r.changed_km2 * 100, valid * 100,
              valid > 0 ? 100 * r.changed_km2 / valid : 0.0, r.nodata_km2 * 100);
  log::info("wrote ", r.raster, ", ", r.csv, ", ", r.json);
  return 0;
}

}  // namespace strata::cli
