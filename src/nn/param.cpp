#include "nn/param.h"

#include <cmath>

#include "core/error.h"

namespace strata::nn {

Param::Param(Backend& be, std::string name_, Shape shape_, bool trainable_)
    : backend(be),
      name(std::move(name_)),
      shape(std::move(shape_)),
      trainable(trainable_),
      value(be, static_cast<size_t>(checked_mul(shape.numel(), sizeof(float)))) {
  if (trainable) grad = std::make_unique<DeviceBuffer>(be, value.bytes());
}

void Param::set(const std::vector<float>& host) {
  check(static_cast<int64_t>(host.size()) == numel(), "parameter '" + name + "': " + std::to_string(host.size()) +
                                                          " values for shape " + shape.str());
  backend.upload(value.as<void>(), host.data(), host.size() * sizeof(float));
}

std::vector<float> Param::get() const {
  std::vector<float> host(static_cast<size_t>(numel()));
  backend.download(host.data(), const_cast<DeviceBuffer&>(value).as<void>(), host.size() * sizeof(float));
  return host;
}

Param& ParamSet::add(const std::string& name, Shape shape, bool trainable, const std::vector<float>& init) {
  check(find(name) == nullptr, "duplicate parameter name '" + name + "'");
  check(static_cast<int64_t>(init.size()) == shape.numel(),
        "parameter '" + name + "': initial values do not match shape " + shape.str());
  auto p = std::make_unique<Param>(be_, name, std::move(shape), trainable);
  p->set(init);
  if (p->grad) be_.fill(p->grad_data(), 0.0f, p->numel());
  params_.push_back(std::move(p));
  return *params_.back();
}

std::vector<Param*> ParamSet::all() const {
  std::vector<Param*> out;
  for (const auto& p : params_) out.push_back(p.get());
  return out;
}

Param* ParamSet::find(const std::string& name) const {
  for (const auto& p : params_)
    if (p->name == name) return p.get();
  return nullptr;
}

int64_t ParamSet::trainable_count() const {
  int64_t n = 0;
  for (const auto& p : params_)
    if (p->trainable) n += p->numel();
  return n;
}

std::vector<float> uniform_init(int64_t count, int64_t fan_in, std::mt19937_64& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  std::uniform_real_distribution<float> dist(-bound, bound);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace strata::nn
