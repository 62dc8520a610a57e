#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "geo/synth/calendar.h"
#include "pipeline/synth.h"

namespace strata::cli {

int cmd_synth(int argc, char** argv) {
  Args args("synth",
            "Writes a synthetic Sentinel-2 time series: per date an L1C (13 bands, top of atmosphere) or L2A (12 bands,\n"
            "surface reflectance) uint16 GeoTIFF (UTM, 10 m) with its QA60 (L2A: and SCL) layers, the true 9-class labels\n"
            "and WorldCover-coded labels, plus synth.json. Deterministic by seed; streams strips, so --size 10980 (a\n"
            "full tile) runs in bounded memory.",
            {{"out", "DIR", "output directory (created; must be empty unless --overwrite)", "", true},
             {"size", "N", "scene width and height in 10 m pixels (>= 64)", "512", false},
             {"dates", "K", "number of dates, spread over one year", "6", false},
             {"seed", "S", "random seed", "42", false},
             {"events", "LIST", "fire,flood | fire | flood | none", "fire,flood", false},
             {"start", "YYYY-MM-DD", "first date", "2021-01-15", false},
             {"level", "L1C|L2A", "product level: top of atmosphere or surface reflectance", "L1C", false},
             {"epsg", "CODE", "UTM CRS (326xx / 327xx); default: a zone chosen from the seed", "", false},
             {"spectra", "FILE", "class spectra table", "data/spectra/s2_class_spectra.csv", false},
             {"threads", "N", "threads computing the scene; 0 = all cores", "0", false},
             {"overwrite", "", "replace files in a non-empty --out", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::SynthOptions o;
  o.out_dir = args.get("out");
  o.size = args.get_int("size", 64, 1 << 20);
  o.dates = static_cast<int>(args.get_int("dates", 1, 366));
  o.seed = static_cast<uint64_t>(args.get_int("seed", 0, INT64_MAX));
  o.fire = o.flood = false;
  for (const auto& e : args.get_list("events")) {
    if (e == "fire") o.fire = true;
    else if (e == "flood") o.flood = true;
    else if (e != "none") throw UsageError("strata synth: --events takes fire, flood or none, not '" + e + "'");
  }
  o.start = args.get("start");
  try {
    geo::synth::parse_date(o.start);
  } catch (const Error& e) {
    throw UsageError(std::string("strata synth: --start: ") + e.what());
  }
  const std::string level = args.get("level");
  if (level == "L1C" || level == "l1c") o.level = geo::s2::Level::l1c;
  else if (level == "L2A" || level == "l2a") o.level = geo::s2::Level::l2a;
  else throw UsageError("strata synth: --level takes L1C or L2A, not '" + level + "'");
  if (args.has("epsg")) {
    o.epsg = static_cast<int>(args.get_int("epsg", 32601, 32760));
    if (o.epsg > 32660 && o.epsg < 32701) throw UsageError("strata synth: --epsg must be a WGS 84 / UTM code (32601-32660, 32701-32760)");
  }
  if (args.has("spectra")) o.spectra = args.get("spectra");
  o.overwrite = args.flag("overwrite");
  o.threads = static_cast<int>(args.get_int("threads", 0, 1024));
  const pipeline::SynthResult r = pipeline::run_synth(o);
  const double mpx = static_cast<double>(r.pixels) / 1e6;
  log::info("synth: ", o.dates, " dates of ", o.size, "x", o.size, " px (EPSG:", r.epsg, ") in ", o.out_dir, "; ",
            mpx / r.render_seconds, " Mpx/s computing (", r.threads, " threads), ", mpx / r.total_seconds, " Mpx/s with writing");
  std::printf("%s\n", (o.out_dir + "/synth.json").c_str());
  return 0;
}

}  // namespace strata::cli
