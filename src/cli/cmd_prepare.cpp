#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "geo/scene.h"
#include "pipeline/prepare.h"

namespace strata::cli {

int cmd_prepare(int argc, char** argv) {
  Args args("prepare",
            "Scenes + labels -> a class-balanced, shuffled dataset of HDF5 patch shards with a spatially\n"
            "disjoint train/validation split, and manifest.json. Run under mpirun/srun to share the work;\n"
            "any number of ranks gives the same dataset. Rerun after a kill to finish the job.",
            {{"scenes", "SPEC", "glob ('dir/*.tif'), list file (.txt), STAC ItemCollection (.json) or directory; repeatable", "", true},
             {"labels", "RASTER", "label raster (8-bit codes), warped onto the scenes' grid", "", true},
             {"label-scheme", "NAME|FILE.csv", "worldcover, identity or a CSV table", "worldcover", false},
             {"out", "DIR", "dataset directory", "", true},
             {"start", "YYYY-MM-DD", "first date of the window", "", false},
             {"end", "YYYY-MM-DD", "last date of the window", "", false},
             {"composite", "MODE", "median, pNN (a percentile) or none (each scene on its own)", "median", false},
             {"bands", "B2,B3,...|all", "bands of the dataset: default B2,B3,B4,B5,B6,B7,B8,B11,B12 (both levels have them); all: the first scene's", "", false},
             {"file-bands", "B2,B3,...", "band order of scene files that lack band descriptions", "", false},
             {"harmonize", "auto|yes|no", "remove the +1000 DN offset of processing baseline 04.00", "auto", false},
             {"patch", "PX", "patch size", "128", false},
             {"patches", "N", "patches in all (train + validation)", "1000", false},
             {"val-fraction", "F", "share of validation patches (by spatial blocks)", "0.1", false},
             {"seed", "S", "seed of the split, the sampling and the order", "0", false},
             {"shard-size", "N", "patches per shard", "256", false},
             {"min-labelled", "F", "share of a patch's pixels that must carry a label", "0.5", false},
             {"max-oversample", "F", "a rare class is repeated at most this many times", "2", false},
             {"dilate", "PX", "grow cloud masks by this many pixels", "0", false},
             {"threads", "N", "threads for compositing", "1", false},
             {"write-masks", "", "write DIR/masks/<scene>_mask.tif", "", false},
             {"keep-work", "", "keep DIR/.work (composite and labels on the grid)", "", false},
             {"overwrite", "", "replace an existing dataset in DIR", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::PrepareOptions o;
  o.scenes = args.get_all("scenes");
  o.labels = args.get("labels");
  o.label_scheme = args.get("label-scheme");
  o.out_dir = args.get("out");
  o.start = args.get("start");
  o.end = args.get("end");
  o.composite = args.get("composite");
  o.stack.bands = args.get_list("bands");
  o.stack.scene.bands = args.get_list("file-bands");
  o.stack.scene.harmonize = geo::parse_harmonize(args.get("harmonize"));
  o.stack.mask.dilation_radius = static_cast<int>(args.get_int("dilate", 0, 100));
  o.stack.threads = static_cast<int>(args.get_int("threads", 1, 256));
  o.sampling.patch = args.get_int("patch", 8, 4096);
  o.sampling.patches = args.get_int("patches", 1, int64_t{1} << 40);
  o.sampling.val_fraction = args.get_double("val-fraction");
  o.sampling.seed = static_cast<uint64_t>(args.get_int("seed", 0, INT64_MAX));
  o.sampling.min_labelled = args.get_double("min-labelled");
  o.sampling.max_oversample = args.get_double("max-oversample");
  o.shard_size = args.get_int("shard-size", 1, int64_t{1} << 30);
  o.write_masks = args.flag("write-masks");
  o.keep_work = args.flag("keep-work");
  o.overwrite = args.flag("overwrite");

  auto comm = dist::make_world();
  const pipeline::PrepareSummary s = pipeline::run_prepare(o, *comm);
  if (comm->is_root()) {
    std::fputs(pipeline::class_histogram_table(s).c_str(), stdout);
    log::info("wrote ", s.shards.size(), " shard(s) and ", s.manifest);
  }
  return 0;
}

}  // namespace strata::cli
