#include "nn/trainer.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace strata::nn {

void check_finite_input(Backend& be, const float* x, int64_t count, const char* what) {
  const int64_t bad = be.count_nonfinite(x, count);
  if (bad > 0)
    throw Error(std::string(what) + ": input has " + std::to_string(bad) + " NaN or infinite value(s) of " +
                std::to_string(count) + "; normalise and mask no-data before the network");
}

Trainer::Trainer(Model& model, AdamConfig adam, LrSchedule schedule, LossConfig loss)
    : model_(model), adam_(model.params(), adam), schedule_(schedule), loss_(std::move(loss)) {
  schedule_.validate();
  const int64_t classes = model.config().classes;
  if (!loss_.class_weights.empty()) {
    check(static_cast<int64_t>(loss_.class_weights.size()) == classes,
          "loss: " + std::to_string(loss_.class_weights.size()) + " class weights for " + std::to_string(classes) +
              " classes");
    for (float w : loss_.class_weights) check(w >= 0.0f && std::isfinite(w), "loss: class weights must be finite and >= 0");
    class_weights_ = std::make_unique<DeviceBuffer>(model.backend(), loss_.class_weights.size() * sizeof(float));
    model.backend().upload(class_weights_->as<void>(), loss_.class_weights.data(), class_weights_->bytes());
  }
}

float Trainer::loss_and_gradients(const float* x, const uint8_t* labels, int64_t n, int64_t h, int64_t w) {
  Backend& be = model_.backend();
  check_finite_input(be, x, checked_product({n, model_.config().in_bands, h, w}), "train");
  const Act logits = model_.forward(x, n, h, w, true);
  Act d = dlogits_.shape(be, logits.n, logits.c, logits.h, logits.w);
  const CrossEntropyShape s{logits.n, logits.c, logits.hw(), loss_.label_smoothing};
  const float loss = be.cross_entropy(s, logits.data, labels, class_weights_ ? class_weights_->as<float>() : nullptr,
                                      d.data);
  model_.backward(d.data);
  return loss;
}

float Trainer::step(const float* x, const uint8_t* labels, int64_t n, int64_t h, int64_t w) {
  const float loss = loss_and_gradients(x, labels, n, h, w);
  adam_.step(schedule_.at(adam_.steps_taken()));
  return loss;
}

Act Predictor::probabilities(const float* x, int64_t n, int64_t h, int64_t w) {
  Backend& be = model_.backend();
  check_finite_input(be, x, checked_product({n, model_.config().in_bands, h, w}), "predict");
  const Act logits = model_.forward(x, n, h, w, false);
  Act p = probs_.shape(be, logits.n, logits.c, logits.h, logits.w);
  be.softmax_channels(logits.data, p.data, logits.n, logits.c, logits.hw());
  return p;
}

}  // namespace strata::nn
