#pragma once
// What the hand-written AVX-512 code (GEMM, Winograd, softmax) shares: the intrinsics, the
// target attribute (AVX-512 code in a binary built for baseline x86-64, entered only where
// have_avx512() says so) and the mask of a vector's lanes that lie inside a row.
// STRATA_HAVE_AVX512_CODE is defined where the compiler can build it.
#if defined(__x86_64__) && defined(__GNUC__)
#include <algorithm>
#include <cstdint>
// GCC 12's AVX-512 headers pass _mm512_undefined_ps() as the unused source of unmasked
// operations and then warn of it (GCC bug 105593); the warning is at the header's lines.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define STRATA_AVX512 __attribute__((target("avx512f,fma")))
#define STRATA_HAVE_AVX512_CODE 1

namespace strata::nn::fast {

// Lanes l of a 16-float vector at `start` with 0 <= start + l < n (integer work: no target).
inline __mmask16 lanes_in(int64_t start, int64_t n) {
  const int64_t lo = std::clamp<int64_t>(-start, 0, 16), hi = std::clamp<int64_t>(n - start, 0, 16);
  return hi <= lo ? 0 : static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

}  // namespace strata::nn::fast
#endif
