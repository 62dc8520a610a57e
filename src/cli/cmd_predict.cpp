#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "geo/scene.h"
#include "pipeline/predict.h"

namespace strata::cli {

int cmd_predict(int argc, char** argv) {
  Args args("predict",
            "A checkpoint + scenes -> Dynamic-World-style maps: per scene (or of their composite) a COG per\n"
            "tile with 9 class-probability bands and a label band, and a VRT mosaic. Run under mpirun/srun to\n"
            "share the tiles; any number of ranks gives the same files. A rerun skips tiles already made by\n"
            "the same model from the same inputs, so it finishes a killed run or reclassifies after a new model.",
            {{"model", "CKPT.h5", "checkpoint from strata train (latest.h5 or best.h5)", "", true},
             {"scenes", "SPEC", "glob ('dir/*.tif'), list file (.txt), STAC ItemCollection (.json) or directory; repeatable", "", true},
             {"out", "DIR", "output directory", "", true},
             {"start", "YYYY-MM-DD", "first date of the window", "", false},
             {"end", "YYYY-MM-DD", "last date of the window", "", false},
             {"composite", "MODE", "none (a map per scene), median or pNN (one map of the composite)", "none", false},
             {"tile", "PX", "tile size in pixels (a multiple of 4 for unet-small)", "1024", false},
             {"halo", "auto|PX", "pixels of context around a tile; auto = the model's receptive radius", "auto", false},
             {"probabilities", "uint8|float32", "probability bands: uint8 (p*254, 255 no data) or float32", "uint8", false},
             {"device", "cpu|cuda", "where the network runs", "cpu", false},
             {"precision", "fp32|tf32|bf16", "the convolutions' arithmetic (tf32, bf16: tensor cores, cuda only)", "fp32", false},
             {"file-bands", "B2,B3,...", "band order of scene files that lack band descriptions", "", false},
             {"harmonize", "auto|yes|no", "remove the +1000 DN offset of processing baseline 04.00", "auto", false},
             {"dilate", "PX", "grow cloud masks by this many pixels", "0", false},
             {"cloud-mask", "auto|none", "auto: QA60, SCL or the spectral test; none: classify every observed pixel",
              "auto", false},
             {"force", "", "redo every tile, even those already made by this model", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::PredictOptions o;
  o.model = args.get("model");
  o.scenes = args.get_all("scenes");
  o.out_dir = args.get("out");
  o.start = args.get("start");
  o.end = args.get("end");
  o.composite = args.get("composite");
  o.tile = args.get_int("tile", 8, 1 << 16);
  o.halo = args.get("halo") == "auto" ? -1 : args.get_int("halo", 0, 4096);
  o.probabilities = args.get("probabilities");
  o.device = args.get("device");
  o.precision = args.get("precision");
  o.stack.scene.bands = args.get_list("file-bands");
  o.stack.scene.harmonize = geo::parse_harmonize(args.get("harmonize"));
  o.stack.mask.dilation_radius = static_cast<int>(args.get_int("dilate", 0, 100));
  const std::string cloud_mask = args.get("cloud-mask");
  if (cloud_mask != "auto" && cloud_mask != "none")
    throw UsageError("--cloud-mask must be auto or none, not '" + cloud_mask + "'");
  o.stack.cloud_mask = cloud_mask == "auto";
  o.force = args.flag("force");

  auto comm = dist::make_world();
  const pipeline::PredictSummary s = pipeline::run_predict(o, *comm);
  if (comm->is_root()) {
    const double px = static_cast<double>(s.valid_pixels + s.nodata_pixels);
    log::info("predict: ", s.computed, " tile(s) computed, ", s.skipped, " already current; ",
              s.computed ? px / s.seconds / 1e6 : 0.0, " Mpx/s end to end, ",
              s.network_seconds > 0 ? px / s.network_seconds / 1e6 : 0.0, " Mpx/s per rank in the network");
    for (const auto& p : s.products) std::printf("%s\n", p.c_str());
  }
  return 0;
}

}  // namespace strata::cli
