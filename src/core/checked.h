#pragma once
// Sizes of global rasters pass 2^31 elements: all sizes are int64 and every product that
// makes a size is checked, so an overflow is an error, never a wrapped allocation.
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/error.h"

namespace strata {

inline int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
    throw Error("size overflow: " + std::to_string(a) + " x " + std::to_string(b));
  return r;
}

inline int64_t checked_product(std::initializer_list<int64_t> factors) {
  int64_t r = 1;
  for (int64_t f : factors) r = checked_mul(r, f);
  return r;
}

}  // namespace strata
