#pragma once
// __nv_bfloat16 for the host emulator: the bits of a bf16 and the conversions the kernels use,
// rounding as NVIDIA's cuda_bf16.h does (round to nearest even, NaN kept quiet).
#include <cstdint>
#include <cstring>

struct __nv_bfloat16 {
  unsigned short __x = 0;
  __nv_bfloat16() = default;
  explicit __nv_bfloat16(float f);
  operator float() const {
    const uint32_t bits = static_cast<uint32_t>(__x) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
};

inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  __nv_bfloat16 h;
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    h.__x = static_cast<unsigned short>((bits >> 16) | 0x40u);  // NaN stays NaN
  } else {
    bits += 0x7fffu + ((bits >> 16) & 1u);  // to nearest, ties to even
    h.__x = static_cast<unsigned short>(bits >> 16);
  }
  return h;
}
inline __nv_bfloat16::__nv_bfloat16(float f) : __x(__float2bfloat16_rn(f).__x) {}
inline float __bfloat162float(__nv_bfloat16 h) { return static_cast<float>(h); }
