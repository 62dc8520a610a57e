#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/log.h"
#include "pipeline/stats.h"

namespace strata::cli {

int cmd_stats(int argc, char** argv) {
  Args args("stats",
            "Area per class in km2 of land-cover maps (predictions or label rasters), one column per input, dated\n"
            "from a YYYY-MM-DD in its file name, and the area without data. Takes several inputs:\n"
            "--input A B C or --input A --input B.",
            {{"input", "RASTER...", "maps to measure", "", true},
             {"csv", "FILE", "write the table as CSV (input,date,water,...,snow_and_ice,nodata)", "", false},
             {"json", "FILE", "write the table as JSON (km2 and pixels)", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::StatsOptions o{args.get_all("input"), args.get("csv"), args.get("json")};
  o.inputs.insert(o.inputs.end(), args.positional().begin(), args.positional().end());
  const auto areas = pipeline::class_areas(o);

  std::printf("%-20s", "km2");
  for (const auto& a : areas)
    std::printf(" %14s", (a.date.empty() ? std::filesystem::path(a.input).stem().string() : a.date).substr(0, 14).c_str());
  std::printf("\n");
  auto row = [&](const char* name, auto value) {
    std::printf("%-20s", name);
    for (const auto& a : areas) std::printf(" %14.4f", value(a));
    std::printf("\n");
  };
  for (size_t c = 0; c < kNumClasses; ++c) row(class_names()[c], [c](const pipeline::ClassAreas& a) { return a.km2[c]; });
  row("no data", [](const pipeline::ClassAreas& a) { return a.nodata_km2; });
  for (const char* out : {"csv", "json"})
    if (args.has(out)) log::info("wrote ", args.get(out));
  return 0;
}

}  // namespace strata::cli
