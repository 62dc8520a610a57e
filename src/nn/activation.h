#pragma once
// Activations between layers: an NCHW view of backend memory, and the growable buffer that
// owns it. A buffer reallocates only when a larger batch or patch arrives, so after the first
// step of a given shape a training or inference step allocates nothing.
#include <cstdint>
#include <memory>

#include "core/checked.h"
#include "nn/backend.h"

namespace strata::nn {

struct Act {
  float* data = nullptr;
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t hw() const { return checked_mul(h, w); }
  int64_t numel() const { return checked_product({n, c, h, w}); }
};

class ActBuffer {
 public:
  // A view of [n, c, h, w] backed by this buffer, grown when needed.
  Act shape(Backend& be, int64_t n, int64_t c, int64_t h, int64_t w) {
    const int64_t count = checked_product({n, c, h, w});
    if (!buf_ || buf_->bytes() < static_cast<size_t>(count) * sizeof(float))
      buf_ = std::make_unique<DeviceBuffer>(be, static_cast<size_t>(checked_mul(count, sizeof(float))));
    return {buf_->as<float>(), n, c, h, w};
  }
  size_t bytes() const { return buf_ ? buf_->bytes() : 0; }

 private:
  std::unique_ptr<DeviceBuffer> buf_;
};

}  // namespace strata::nn
