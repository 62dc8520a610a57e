#pragma once
// `strata train`: data-parallel training from a prepared dataset. Every rank builds the same
// model from the seed, reads its slice of each global batch, and the gradients are all-reduced
// (weighted by each rank's share of the loss's denominator, so N ranks take exactly the step one
// rank would take on the whole global batch). Validation metrics every epoch; the latest and the
// best checkpoints are written atomically; --resume continues bit for bit; SIGTERM or SIGUSR1
// (what Slurm sends before a time limit or preemption) checkpoint and stop cleanly.
#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "pipeline/metrics.h"

namespace strata::pipeline {

struct TrainOptions {
  std::string data_dir, out_dir;
  std::string model = "sample-fcn";  // sample-fcn | unet-small | dynamic-world
  std::vector<int64_t> widths;       // empty: the architecture's default
  // A checkpoint to start from (fine-tuning): its architecture, weights, bands and normalisation
  // replace --model and --widths; the optimiser starts afresh.
  std::string init;
  int64_t epochs = 10;
  int64_t batch = 16;  // per rank; the global batch is batch x ranks
  // Adam's peak rate. 3e-3: sample-fcn on synth reaches in 4 epochs what 1e-3 reaches in 8 and
  // 3e-2 diverges; unet-small ends the same at 1e-3 and 3e-3 (docs/training.md).
  double lr = 3e-3, min_lr = 0.0;  // for a global batch of lr_batch; scaled linearly with the global batch
  int64_t lr_batch = 16;            // 0: no scaling
  int64_t warmup_steps = -1;  // -1: 5 % of the run
  double weight_decay = 0.0;
  bool adamw = false;
  double label_smoothing = 0.0;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string precision = "fp32";    // the convolutions' arithmetic: fp32 | tf32 | bf16 (tensor cores, cuda only)
  int threads = 1;
  bool resume = false;
  bool overwrite = false;
  int64_t checkpoint_every = 0;  // steps; 0: at the end of every epoch only
  int64_t max_steps = 0;         // stop (with a checkpoint) after this many steps in all; 0: no limit
  bool augment = true;
  // Radiometric augmentation of the training patches (store/radiometric_augment.h): per-band
  // gains, haze and noise, so that a model trained on synthetic scenes holds on real ones.
  bool radiometric = true;
};

struct TrainSummary {
  int64_t steps = 0;        // global steps taken, in all runs of this training
  int64_t epochs_done = 0;  // complete epochs
  double last_loss = 0;
  double best_mean_iou = 0;
  ConfusionMatrix last_validation;
  bool interrupted = false;  // stopped by a signal or --max-steps before the last epoch
};

TrainSummary run_train(const TrainOptions& options, dist::Communicator& comm);

}  // namespace strata::pipeline
