#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "pipeline/evaluate.h"

namespace strata::cli {

int cmd_evaluate(int argc, char** argv) {
  Args args("evaluate",
            "Scores predictions against a label raster: pixel and balanced accuracy, per-class precision, recall\n"
            "and IoU, mean IoU and the confusion matrix. The labels are read onto each prediction's grid (nearest,\n"
            "reprojected when the CRS differs) and mapped through the label scheme; pixels without a prediction or\n"
            "a label are left out. --pred DIR scores every *.vrt in a predict output folder, and their sum.",
            {{"pred", "DIR|RASTER", "a predict output folder, a prediction or a label raster", "", true},
             {"labels", "RASTER", "reference labels", "", true},
             {"label-scheme", "NAME|FILE.csv", "how the reference's codes map to the 9 classes: identity, worldcover or a CSV table", "identity", false},
             {"json", "FILE", "also write the scores as JSON", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  if (!args.positional().empty()) throw UsageError("strata evaluate: unexpected argument '" + args.positional()[0] + "'");
  const auto r = pipeline::evaluate({args.get("pred"), args.get("labels"), args.get("label-scheme"), args.get("json")});
  for (const auto& p : r.products) {
    std::printf("%s: %lld pixels compared (%lld labelled without a prediction, %lld predicted without a label)\n%s\n",
                p.prediction.c_str(), static_cast<long long>(p.matrix.total()), static_cast<long long>(p.no_prediction),
                static_cast<long long>(p.no_label), p.matrix.table().c_str());
  }
  if (r.products.size() > 1)
    std::printf("all %zu products: %lld pixels compared\n%s\n", r.products.size(), static_cast<long long>(r.total.total()),
                r.total.table().c_str());
  if (r.total.total() == 0) log::warn("evaluate: no pixel has both a prediction and a label");
  if (args.has("json")) log::info("wrote ", args.get("json"));
  return 0;
}

}  // namespace strata::cli
