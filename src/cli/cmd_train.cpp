#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "pipeline/train.h"

namespace strata::cli {

int cmd_train(int argc, char** argv) {
  Args args("train",
            "Trains a network on a `strata prepare` dataset, data-parallel under mpirun/srun: the global batch is\n"
            "--batch x ranks. Writes RUN_DIR/latest.h5, best.h5 (by validation mean IoU) and metrics.jsonl.\n"
            "SIGTERM/SIGUSR1 checkpoint and stop; --resume continues where the last run stopped.",
            {{"data", "DIR", "dataset directory (manifest.json + shards)", "", true},
             {"out", "RUN_DIR", "run directory", "", true},
             {"model", "ARCH", "sample-fcn, unet-small or dynamic-world", "sample-fcn", false},
             {"init", "CKPT", "start from this checkpoint's architecture, weights, bands and normalisation (fine-tune)", "",
              false},
             {"widths", "W1,W2,...", "layer widths (sample-fcn: 2, unet-small: one per stage)", "", false},
             {"epochs", "N", "epochs", "10", false},
             {"batch", "B", "patches per rank and step", "16", false},
             {"lr", "LR", "peak learning rate (Adam) for a global batch of --lr-batch patches", "0.003", false},
             {"lr-batch", "N", "the rate is scaled by (batch x ranks) / N; 0: not scaled", "16", false},
             {"min-lr", "LR", "learning rate at the end of the cosine", "0", false},
             {"warmup", "STEPS", "linear warm-up steps (default 5% of the run)", "-1", false},
             {"weight-decay", "W", "weight decay", "0", false},
             {"adamw", "", "decoupled weight decay (AdamW)", "", false},
             {"label-smoothing", "E", "label smoothing", "0", false},
             {"seed", "S", "seed of the weights, the order and the augmentation", "0", false},
             {"device", "cpu|cuda", "backend", "cpu", false},
             {"precision", "fp32|tf32|bf16", "the convolutions' arithmetic (tf32, bf16: tensor cores, cuda only)", "fp32", false},
             {"threads", "N", "CPU threads per rank", "1", false},
             {"checkpoint-every", "STEPS", "also checkpoint every N steps", "0", false},
             {"max-steps", "N", "stop with a checkpoint after N steps in all", "0", false},
             {"no-augment", "", "no flips or rotations", "", false},
             {"no-radiometric", "", "no radiometric augmentation (per-band gains, haze, noise)", "", false},
             {"resume", "", "continue from RUN_DIR/latest.h5", "", false},
             {"overwrite", "", "start again in a RUN_DIR that holds a run", "", false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  pipeline::TrainOptions o;
  o.data_dir = args.get("data");
  o.out_dir = args.get("out");
  o.model = args.get("model");
  o.init = args.get("init");
  for (const auto& w : args.get_list("widths")) o.widths.push_back(static_cast<int64_t>(parse_number(w, "--widths")));
  o.epochs = args.get_int("epochs", 1, 1000000);
  o.batch = args.get_int("batch", 1, 1 << 20);
  o.lr = args.get_double("lr");
  o.min_lr = args.get_double("min-lr");
  o.lr_batch = args.get_int("lr-batch", 0, int64_t{1} << 30);
  o.warmup_steps = args.get_int("warmup", -1, INT64_MAX);
  o.weight_decay = args.get_double("weight-decay");
  o.adamw = args.flag("adamw");
  o.label_smoothing = args.get_double("label-smoothing");
  o.seed = static_cast<uint64_t>(args.get_int("seed", 0, INT64_MAX));
  o.device = args.get("device");
  o.precision = args.get("precision");
  o.threads = static_cast<int>(args.get_int("threads", 1, 256));
  o.checkpoint_every = args.get_int("checkpoint-every", 0, INT64_MAX);
  o.max_steps = args.get_int("max-steps", 0, INT64_MAX);
  o.augment = !args.flag("no-augment");
  o.radiometric = !args.flag("no-radiometric");
  o.resume = args.flag("resume");
  o.overwrite = args.flag("overwrite");
  auto comm = dist::make_world();
  const pipeline::TrainSummary s = pipeline::run_train(o, *comm);
  if (comm->is_root() && s.last_validation.total() > 0 && !s.interrupted)
    std::fputs(s.last_validation.table().c_str(), stdout);
  return 0;
}

}  // namespace strata::cli
