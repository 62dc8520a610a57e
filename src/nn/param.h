#pragma once
// A model's named state arrays on a backend: trained parameters (with a gradient) and
// buffers such as batch-norm running statistics (without). Names are stable and match
// the PyTorch modules of scripts/make_golden.py ("enc0.conv1.weight"), so checkpoints and
// golden files address tensors by name.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nn/backend.h"

namespace strata::nn {

struct Param {
  Param(Backend& be, std::string name, Shape shape, bool trainable);
  Backend& backend;
  std::string name;
  Shape shape;
  bool trainable;
  DeviceBuffer value;
  std::unique_ptr<DeviceBuffer> grad;  // null when not trainable
  float* data() { return value.as<float>(); }
  float* grad_data() { return grad ? grad->as<float>() : nullptr; }
  int64_t numel() const { return shape.numel(); }
  void set(const std::vector<float>& host);  // sizes must match
  std::vector<float> get() const;
};

class ParamSet {
 public:
  explicit ParamSet(Backend& be) : be_(be) {}
  // Adds a parameter filled with `init` (uploaded to the backend); returns it.
  Param& add(const std::string& name, Shape shape, bool trainable, const std::vector<float>& init);
  std::vector<Param*> all() const;
  Param* find(const std::string& name) const;  // null when absent
  int64_t trainable_count() const;             // number of trained scalars
  Backend& backend() const { return be_; }

 private:
  Backend& be_;
  std::vector<std::unique_ptr<Param>> params_;
};

// PyTorch's default initialisation of conv weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
std::vector<float> uniform_init(int64_t count, int64_t fan_in, std::mt19937_64& rng);

}  // namespace strata::nn
