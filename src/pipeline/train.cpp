#include "pipeline/train.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "core/classes.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/device_allreduce.h"
#include "geo/sentinel2.h"
#include "nn/backend_registry.h"
#include "nn/model.h"
#include "nn/model_state.h"
#include "nn/trainer.h"
#include "pipeline/progress.h"
#include "pipeline/step_times.h"
#include "store/checkpoint.h"
#include "store/patch_loader.h"

namespace strata::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Set by SIGTERM/SIGUSR1; read at step boundaries, where every rank agrees to stop.
std::atomic<int> g_stop_signal{0};
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

struct Dataset {
  std::vector<std::string> train, val;
  std::vector<std::string> bands;
  std::vector<float> mean, std;
  int64_t patch = 0;
};

Dataset read_manifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  std::ifstream in(path);
  if (!in) throw Error(path + ": no manifest (is " + dir + " a finished `strata prepare` dataset?)");
  json m;
  try {
    m = json::parse(in);
    Dataset d;
    for (const auto& s : m.at("shards")) {
      const std::string file = dir + "/" + s.at("file").get<std::string>();
      if (!fs::exists(file)) throw Error(file + ": shard listed in " + path + " is missing");
      (s.at("split") == "train" ? d.train : d.val).push_back(file);
    }
    d.bands = m.at("bands").get<std::vector<std::string>>();
    for (double v : m.at("normalization").at("mean")) d.mean.push_back(static_cast<float>(v));
    for (double v : m.at("normalization").at("std")) d.std.push_back(static_cast<float>(v));
    d.patch = m.at("patch_size").get<int64_t>();
    if (d.train.empty()) throw Error(path + ": the dataset has no training shards");
    return d;
  } catch (const json::exception& e) {
    throw Error(path + ": malformed manifest: " + e.what());
  }
}

void validate(const TrainOptions& o) {
  if (o.data_dir.empty()) throw UsageError("strata train: --data is required");
  if (o.out_dir.empty()) throw UsageError("strata train: --out is required");
  if (o.model != "sample-fcn" && o.model != "unet-small" && o.model != "dynamic-world")
    throw UsageError("--model must be sample-fcn, unet-small or dynamic-world, not '" + o.model + "'");
  if (o.model == "dynamic-world" && !o.widths.empty()) throw UsageError("--widths does not apply to dynamic-world");
  if (o.epochs < 1 || o.batch < 1) throw UsageError("--epochs and --batch must be at least 1");
  if (!(o.lr > 0) || o.min_lr < 0 || o.min_lr > o.lr) throw UsageError("--lr must be > 0 and --min-lr in [0, lr]");
  if (o.label_smoothing < 0 || o.label_smoothing >= 1) throw UsageError("--label-smoothing must be in [0, 1)");
  nn::parse_device(o.device);
  nn::check_device_precision(o.device, o.precision);
}

// Gradients of all trained parameters, scaled by this rank's share and summed over ranks: on a
// CUDA backend with NCCL, in place in device memory; otherwise one MPI all-reduce of all
// gradients packed into one host buffer (one call a step, not one per tensor).
class GradientReducer {
 public:
  GradientReducer(nn::Model& m, dist::Communicator& comm, int gpu) {
    for (nn::Param* p : m.params().all())
      if (p->trainable) params_.push_back(p), total_ += p->numel();
    if (comm.size() > 1 && m.backend().device() == nn::Device::cuda) {
      if (dist::have_nccl()) {
        device_ = dist::make_nccl_allreduce(comm, gpu);
        for (nn::Param* p : params_) device_buffers_.push_back({p->grad_data(), p->numel()});
      } else if (comm.is_root()) {
        log::warn("this strata has no NCCL: gradients of the CUDA backend go through host memory and MPI");
      }
    }
    if (!device_) flat_.resize(static_cast<size_t>(total_));
  }
  std::string describe(const dist::Communicator& comm) const {
    if (comm.size() == 1) return "no all-reduce (1 rank)";
    const int64_t bytes = total_ * static_cast<int64_t>(sizeof(float));
    return (device_ ? device_->name() : comm.name()) + ", " + std::to_string(bytes) + " bytes a step";
  }
  void allreduce(dist::Communicator& comm, float scale) {
    if (device_) {
      device_->scaled_sum(device_buffers_, scale);
      return;
    }
    int64_t at = 0;
    for (nn::Param* p : params_) {
      p->backend.download(flat_.data() + at, p->grad_data(), static_cast<size_t>(p->numel()) * sizeof(float));
      at += p->numel();
    }
    for (float& g : flat_) g *= scale;
    comm.allreduce_sum(flat_.data(), total_);
    at = 0;
    for (nn::Param* p : params_) {
      p->backend.upload(p->grad_data(), flat_.data() + at, static_cast<size_t>(p->numel()) * sizeof(float));
      at += p->numel();
    }
  }

 private:
  std::vector<nn::Param*> params_;
  int64_t total_ = 0;
  std::vector<float> flat_;
  std::unique_ptr<dist::DeviceAllreduce> device_;
  std::vector<dist::DeviceFloats> device_buffers_;
};

// The training run's position, kept in the checkpoint's metadata.
struct Position {
  int64_t epoch = 0, step_in_epoch = 0, global_step = 0;
  double best_miou = -1;
};

// The model's input bands out of the dataset's, by name: the identity for a model trained on the
// dataset's bands, a selection for one that takes fewer (Dynamic World's nine of thirteen).
class BandSelection {
 public:
  BandSelection(const Dataset& d, const std::vector<std::string>& model_bands, const std::string& data_dir) {
    for (const std::string& name : model_bands) {
      const auto it = std::find(d.bands.begin(), d.bands.end(), name);
      if (it == d.bands.end()) {
        std::string have;
        for (const std::string& b : d.bands) have += (have.empty() ? "" : ",") + b;
        throw Error(data_dir + "/manifest.json: the dataset has no band " + name + " (it has " + have +
                    "); the model needs it");
      }
      index_.push_back(it - d.bands.begin());
    }
    dataset_bands_ = static_cast<int64_t>(d.bands.size());
    identity_ = dataset_bands_ == static_cast<int64_t>(index_.size());
    for (size_t i = 0; i < index_.size() && identity_; ++i) identity_ = index_[i] == static_cast<int64_t>(i);
  }
  int64_t count() const { return static_cast<int64_t>(index_.size()); }
  // A batch's DN [n, model bands, pixels].
  const std::vector<uint16_t>& select(const store::Batch& b, int64_t pixels) {
    if (identity_) return b.inputs;
    picked_.resize(static_cast<size_t>(b.size * count() * pixels));
    for (int64_t n = 0; n < b.size; ++n)
      for (int64_t k = 0; k < count(); ++k)
        std::copy_n(b.inputs.begin() + (n * dataset_bands_ + index_[static_cast<size_t>(k)]) * pixels, pixels,
                    picked_.begin() + (n * count() + k) * pixels);
    return picked_;
  }

 private:
  std::vector<int64_t> index_;
  int64_t dataset_bands_ = 0;
  bool identity_ = true;
  std::vector<uint16_t> picked_;
};

// What a run's checkpoints carry beyond the model: where its first weights came from.
using Provenance = std::map<std::string, std::string>;

void save(const std::string& path, const nn::Model& model, const nn::Adam& adam, const nn::ModelInfo& info,
          const Position& pos, const TrainOptions& o, const Provenance& provenance) {
  nn::ModelState st = nn::capture_state(model, &adam, info, nullptr);
  for (const auto& [key, value] : provenance) st.metadata[key] = value;
  st.metadata["train.epoch"] = std::to_string(pos.epoch);
  st.metadata["train.step_in_epoch"] = std::to_string(pos.step_in_epoch);
  st.metadata["train.global_step"] = std::to_string(pos.global_step);
  st.metadata["train.best_mean_iou"] = std::to_string(pos.best_miou);
  st.metadata["train.seed"] = std::to_string(o.seed);
  st.metadata["train.data"] = o.data_dir;
  store::write_checkpoint(path, st);
}

// Ranks on one node share its GPUs round-robin by their local rank.
int local_gpu() {
  int gpus = 0;
  for (const nn::DeviceInfo& d : nn::available_devices()) gpus += d.device == nn::Device::cuda;
  return gpus > 0 ? dist::local_rank() % gpus : 0;
}

int64_t meta_int(const nn::ModelState& s, const std::string& key) { return std::stoll(s.meta(key)); }

ConfusionMatrix validate_epoch(nn::Model& model, nn::Backend& be, const Dataset& d, BandSelection& bands,
                               const nn::BandNormalization& norm, const TrainOptions& o, dist::Communicator& comm) {
  ConfusionMatrix cm;
  if (d.val.empty()) return cm;
  store::LoaderOptions lo;
  lo.shards = d.val;
  lo.batch = o.batch;
  lo.rank = comm.rank();
  lo.world = comm.size();
  lo.shuffle = lo.augment = lo.wrap = false;
  store::PatchLoader loader(lo);
  loader.start_epoch(0);
  const int64_t P = d.patch, nb = bands.count(), C = kNumClasses;
  nn::DeviceBuffer d_dn(be, static_cast<size_t>(o.batch * nb * P * P) * sizeof(uint16_t));
  nn::DeviceBuffer d_x(be, static_cast<size_t>(o.batch * nb * P * P) * sizeof(float));
  std::vector<float> logits;
  std::vector<uint8_t> pred;
  store::Batch b;
  while (loader.next(b)) {
    if (b.size == 0) continue;
    const std::vector<uint16_t>& dn = bands.select(b, P * P);
    be.upload(d_dn.as<void>(), dn.data(), dn.size() * sizeof(uint16_t));
    be.normalize_bands(d_dn.as<uint16_t>(), d_x.as<float>(), norm, b.size, P * P);
    const nn::Act y = model.forward(d_x.as<float>(), b.size, P, P, false);
    logits.resize(static_cast<size_t>(y.numel()));
    be.download(logits.data(), y.data, logits.size() * sizeof(float));
    pred.resize(static_cast<size_t>(b.size * P * P));
    for (int64_t n = 0; n < b.size; ++n)
      for (int64_t i = 0; i < P * P; ++i) {
        int best = 0;
        for (int c = 1; c < C; ++c)
          if (logits[static_cast<size_t>((n * C + c) * P * P + i)] > logits[static_cast<size_t>((n * C + best) * P * P + i)]) best = c;
        pred[static_cast<size_t>(n * P * P + i)] = static_cast<uint8_t>(best);
      }
    cm.add(b.labels.data(), pred.data(), b.size * P * P);
  }
  comm.allreduce_sum(cm.data(), kNumClasses * kNumClasses);
  return cm;
}

}  // namespace

TrainSummary run_train(const TrainOptions& o, dist::Communicator& comm) {
  validate(o);
  const Dataset d = read_manifest(o.data_dir);
  const std::string latest = o.out_dir + "/latest.h5", best = o.out_dir + "/best.h5",
                    metrics_path = o.out_dir + "/metrics.jsonl";
  if (comm.is_root()) {
    fs::create_directories(o.out_dir);
    if (fs::exists(latest) && !o.resume && !o.overwrite)
      throw Error(o.out_dir + ": already holds a run (latest.h5); --resume to continue it or --overwrite to start again");
    if (o.overwrite && !o.resume)
      for (const std::string& f : {latest, best, metrics_path}) fs::remove(f);
  }
  comm.barrier();

  const nn::Device device = nn::parse_device(o.device);
  const int gpu = device == nn::Device::cuda ? local_gpu() : 0;
  auto backend = device == nn::Device::cpu ? nn::make_cpu_backend(o.threads)
                                           : nn::make_backend(device, gpu, nn::parse_precision(o.precision));
  nn::Backend& be = *backend;
  // The architecture, its bands and normalisation: from --init's checkpoint, Dynamic World's
  // own, or the dataset's bands with its statistics.
  nn::ModelConfig cfg;
  nn::ModelInfo info;
  Provenance provenance;
  std::unique_ptr<nn::ModelState> init;
  if (!o.init.empty()) {
    init = std::make_unique<nn::ModelState>(store::read_checkpoint(o.init));
    cfg = nn::config_from_state(*init);
    info = nn::info_from_state(*init);
    if (cfg.classes != kNumClasses)
      throw Error(o.init + ": the model has " + std::to_string(cfg.classes) + " outputs; train needs the " +
                  std::to_string(kNumClasses) + " classes");
    provenance["train.init"] = o.init;
    for (const auto& [key, value] : init->metadata)
      if (key.rfind("source.", 0) == 0 || key == "role") provenance[key] = value;
  } else if (o.model == "dynamic-world") {
    cfg = nn::dynamic_world_config();
    info.normalization = nn::dynamic_world_normalization();
    info.band_names = nn::dynamic_world_bands();
  } else {
    cfg = nn::config_for_model_name(o.model);
    cfg.in_bands = static_cast<int64_t>(d.bands.size());
    if (!o.widths.empty()) cfg.widths = o.widths;
    info.normalization = {nn::NormalizationMode::standard, d.mean, d.std};
    info.band_names = d.bands;
  }
  if (info.class_names.empty())
    for (const char* c : class_names()) info.class_names.emplace_back(c);
  auto model = nn::make_model(be, cfg, o.seed);  // the same seed on every rank: the same weights
  if (init) nn::load_weights(*model, *init);
  BandSelection bands(d, info.band_names, o.data_dir);

  store::LoaderOptions lo;
  lo.shards = d.train;
  lo.batch = o.batch;
  lo.rank = comm.rank();
  lo.world = comm.size();
  lo.seed = o.seed;
  lo.augment = o.augment;
  lo.radiometric.enabled = o.radiometric;
  for (const std::string& b : d.bands)  // the haze falls with wavelength as an aerosol's path radiance
    lo.radiometric.haze_weight.push_back(static_cast<float>(std::pow(geo::s2::band(b).wavelength_nm / 490.0, -2.0)));
  store::PatchLoader loader(lo);
  const int64_t steps_per_epoch = loader.steps_per_epoch(), total_steps = steps_per_epoch * o.epochs;

  // The rate follows the global batch (linear scaling, with the warm-up below): --lr is the rate
  // for a global batch of --lr-batch patches.
  const double lr_scale = o.lr_batch > 0 ? static_cast<double>(o.batch * comm.size()) / static_cast<double>(o.lr_batch) : 1.0;
  nn::LrSchedule sched;
  sched.base_lr = static_cast<float>(o.lr * lr_scale);
  sched.min_lr = static_cast<float>(o.min_lr * lr_scale);
  sched.total_steps = total_steps;
  sched.warmup_steps = std::min(total_steps, o.warmup_steps >= 0 ? o.warmup_steps : total_steps / 20);
  if (o.warmup_steps > total_steps && comm.is_root())
    log::warn("--warmup ", o.warmup_steps, " is longer than the run (", total_steps, " steps); warming up over the whole run");
  nn::AdamConfig ac;
  ac.weight_decay = static_cast<float>(o.weight_decay);
  ac.decoupled = o.adamw;
  nn::LossConfig loss_cfg;
  loss_cfg.label_smoothing = static_cast<float>(o.label_smoothing);
  nn::Trainer trainer(*model, ac, sched, loss_cfg);

  Position pos;
  if (o.resume && fs::exists(latest)) {
    const nn::ModelState st = store::read_checkpoint(latest);
    if (nn::config_from_state(st).describe() != cfg.describe())
      throw Error(latest + ": a checkpoint of " + nn::config_from_state(st).describe() + ", not " + cfg.describe());
    nn::load_weights(*model, st);
    nn::load_optimizer(trainer.optimizer(), st);
    pos.epoch = meta_int(st, "train.epoch");
    pos.step_in_epoch = meta_int(st, "train.step_in_epoch");
    pos.global_step = meta_int(st, "train.global_step");
    pos.best_miou = std::stod(st.meta("train.best_mean_iou"));
    if (comm.is_root()) log::info("resuming ", latest, " at epoch ", pos.epoch + 1, ", step ", pos.step_in_epoch);
  } else if (o.resume && comm.is_root()) {
    log::info(latest, ": nothing to resume; starting a new run");
  }
  GradientReducer reducer(*model, comm, gpu);
  if (comm.is_root())
    log::info("train: ", cfg.describe(), ", ", model->params().trainable_count(), " parameters, ", loader.patches(),
              " training patches, global batch ", o.batch * comm.size(), " on ", comm.size(), " rank(s) (peak lr ",
              sched.base_lr, "), ",
              steps_per_epoch, " steps per epoch, ", be.name(), "; gradients: ", reducer.describe(comm));

  g_stop_signal = 0;
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);

  const int64_t P = d.patch, nb = bands.count();
  nn::DeviceBuffer d_dn(be, static_cast<size_t>(o.batch * nb * P * P) * sizeof(uint16_t));
  nn::DeviceBuffer d_x(be, static_cast<size_t>(o.batch * nb * P * P) * sizeof(float));
  nn::DeviceBuffer d_lab(be, static_cast<size_t>(o.batch * P * P));
  TrainSummary summary;
  const double px_per_step = static_cast<double>(o.batch * comm.size() * P * P);
  // Rank 0 draws a bar on a terminal; elsewhere (a file, a pipe, Slurm) it logs a few lines an epoch.
  ProgressBar bar(o.epochs, steps_per_epoch, total_steps - pos.global_step,
                  comm.is_root() && log::level() <= log::Level::info ? stderr : nullptr);
  StepTimes run_times;

  for (; pos.epoch < o.epochs; ++pos.epoch, pos.step_in_epoch = 0) {
    const auto t0 = std::chrono::steady_clock::now();
    loader.start_epoch(pos.epoch, pos.step_in_epoch);
    bar.start_epoch(pos.epoch, pos.step_in_epoch);
    double loss_sum = 0;
    int64_t loss_n = 0;
    StepTimes times;
    PhaseClock clock(times);
    store::Batch b;
    while (loader.next(b)) {
      const std::vector<uint16_t>& dn = bands.select(b, P * P);
      be.upload(d_dn.as<void>(), dn.data(), dn.size() * sizeof(uint16_t));
      be.normalize_bands(d_dn.as<uint16_t>(), d_x.as<float>(), info.normalization, b.size, P * P);
      be.upload(d_lab.as<void>(), b.labels.data(), b.labels.size());
      be.synchronize();
      clock.lap(StepPhase::data);
      float loss = trainer.loss_and_gradients(d_x.as<float>(), d_lab.as<uint8_t>(), b.size, P, P);
      be.synchronize();
      clock.lap(StepPhase::compute);
      if (comm.size() > 1) {
        // The loss is a mean over this rank's labelled pixels; weighting each rank's gradient by
        // its share of all labelled pixels makes the sum the gradient of the global mean.
        const double mine = static_cast<double>(
            std::count_if(b.labels.begin(), b.labels.end(), [](uint8_t c) { return c != kIgnoreLabel; }));
        double w[2] = {mine, mine * loss};  // summed: all labelled pixels, and the loss times them
        comm.allreduce_sum(w, 2);
        clock.lap(StepPhase::wait);  // the first collective after the compute: mostly waiting for the slowest rank
        reducer.allreduce(comm, w[0] > 0 ? static_cast<float>(mine / w[0]) : 0.0f);
        loss = w[0] > 0 ? static_cast<float>(w[1] / w[0]) : 0.0f;
      }
      clock.lap(StepPhase::allreduce);
      trainer.optimizer().step(sched.at(trainer.optimizer().steps_taken()));
      be.synchronize();
      clock.lap(StepPhase::optimizer);
      ++times.steps;
      ++pos.global_step;
      ++pos.step_in_epoch;
      loss_sum += loss;
      ++loss_n;
      summary.last_loss = loss;
      if (bar.enabled()) {
        bar.step(loss, px_per_step);
      } else if (comm.is_root() && (pos.step_in_epoch % std::max<int64_t>(1, steps_per_epoch / 5) == 0)) {
        log::info("epoch ", pos.epoch + 1, "/", o.epochs, " step ", pos.step_in_epoch, "/", steps_per_epoch, " loss ", loss,
                  " lr ", sched.at(trainer.optimizer().steps_taken()));
      }
      clock.skip();

      int64_t stop = g_stop_signal.load() != 0 || (o.max_steps > 0 && pos.global_step >= o.max_steps);
      if (comm.size() > 1) comm.allreduce_sum(&stop, 1);  // every rank stops at the same step
      clock.lap(StepPhase::wait);
      const bool periodic = o.checkpoint_every > 0 && pos.global_step % o.checkpoint_every == 0;
      if (stop || periodic) {
        if (comm.is_root()) save(latest, *model, trainer.optimizer(), info, pos, o, provenance);
        comm.barrier();
        clock.skip();
      }
      if (stop) {
        bar.clear();
        if (comm.is_root())
          log::info(g_stop_signal ? "signal received" : "--max-steps reached", ": stopped at step ", pos.global_step,
                    "; ", latest, " holds the run (continue with --resume)");
        summary.steps = pos.global_step;
        summary.interrupted = true;
        summary.epochs_done = pos.epoch;
        std::signal(SIGTERM, SIG_DFL);
        std::signal(SIGUSR1, SIG_DFL);
        return summary;
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run_times += times;
    bar.clear();
    const ConfusionMatrix cm = validate_epoch(*model, be, d, bands, info.normalization, o, comm);
    summary.last_validation = cm;
    Position next = pos;
    next.epoch += 1;
    next.step_in_epoch = 0;
    const double miou = cm.total() > 0 ? cm.mean_iou() : 0.0;
    const bool improved = miou > pos.best_miou;
    if (improved) next.best_miou = miou;
    if (comm.is_root()) {
      save(latest, *model, trainer.optimizer(), info, next, o, provenance);
      if (improved) save(best, *model, trainer.optimizer(), info, next, o, provenance);
      json line = {{"epoch", pos.epoch + 1},
                   {"step", pos.global_step},
                   {"train_loss", loss_n ? loss_sum / static_cast<double>(loss_n) : 0.0},
                   {"lr", sched.at(trainer.optimizer().steps_taken())},
                   {"seconds", seconds},
                   {"train_px_per_s", static_cast<double>(loss_n) * px_per_step / seconds},
                   {"ranks", comm.size()},
                   {"step_time", times.to_json()},
                   {"val", json::parse(cm.json())}};
      std::ofstream(metrics_path, std::ios::app) << line.dump() << "\n";
      log::info("epoch ", pos.epoch + 1, "/", o.epochs, ": train loss ", loss_n ? loss_sum / static_cast<double>(loss_n) : 0.0,
                ", validation pixel accuracy ", cm.accuracy(), ", mean IoU ", miou, improved ? " (best)" : "");
    }
    comm.barrier();
    pos.best_miou = next.best_miou;
    summary.epochs_done = pos.epoch + 1;
  }
  if (comm.is_root() && run_times.steps > 0)
    log::info("train: ", run_times.steps, " steps in ", run_times.total(), " s, ",
              run_times.total() > 0 ? static_cast<double>(run_times.steps) * px_per_step / run_times.total() : 0.0,
              " px/s; time per step (rank 0): ", run_times.describe());
  summary.steps = pos.global_step;
  summary.best_mean_iou = pos.best_miou;
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGUSR1, SIG_DFL);
  return summary;
}

}  // namespace strata::pipeline
