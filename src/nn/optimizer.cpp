#include "nn/optimizer.h"

namespace strata::nn {

Adam::Adam(ParamSet& params, AdamConfig config) : config_(config), moments_(params.backend()) {
  for (Param* p : params.all()) {
    if (!p->trainable) continue;
    const std::vector<float> zeros(static_cast<size_t>(p->numel()), 0.0f);
    Param& m = moments_.add("adam.m." + p->name, p->shape, false, zeros);
    Param& v = moments_.add("adam.v." + p->name, p->shape, false, zeros);
    slots_.push_back({p, &m, &v});
  }
}

void Adam::step(float lr) {
  ++steps_;
  const AdamHyper h{lr, config_.beta1, config_.beta2, config_.eps, config_.weight_decay, config_.decoupled, steps_};
  for (const Slot& s : slots_)
    moments_.backend().adam_step(h, s.param->data(), s.param->grad_data(), s.m->data(), s.v->data(), s.param->numel());
}

}  // namespace strata::nn
