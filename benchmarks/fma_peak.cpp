// The machine's single-core fp32 peak as the FMA units deliver it: 12 independent chains of
// 512-bit (and 256-bit) fused multiply-adds, so latency is hidden and only throughput counts.
// docs/performance.md states convolution GFLOP/s as a fraction of this figure.
#include <immintrin.h>

#include <time.h>

#include <cstdio>

constexpr long kIters = 100'000'000;

// Thread CPU time: the machine is shared, and wall time would count other processes' turns.
inline double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Twelve accumulators (enough to cover FMA latency x 2 units, few enough for AVX2's 16 registers).
#define STRATA_PEAK_BODY(V, SET1, FMA, LANES)                                                         \
  V a0 = SET1(0.999f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0; \
  V a10 = a0, a11 = a0;                                                                                \
  const V m = SET1(0.9999f), c = SET1(1e-6f);                                                          \
  const double t0 = cpu_seconds();                                                                     \
  for (long i = 0; i < kIters; ++i) {                                                                  \
    a0 = FMA(a0, m, c), a1 = FMA(a1, m, c), a2 = FMA(a2, m, c), a3 = FMA(a3, m, c);                    \
    a4 = FMA(a4, m, c), a5 = FMA(a5, m, c), a6 = FMA(a6, m, c), a7 = FMA(a7, m, c);                    \
    a8 = FMA(a8, m, c), a9 = FMA(a9, m, c), a10 = FMA(a10, m, c), a11 = FMA(a11, m, c);                \
    asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7)); \
    asm volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));                                      \
  }                                                                                                    \
  const double s = cpu_seconds() - t0;                                                                 \
  return 12.0 * 2.0 * (LANES) * static_cast<double>(kIters) / s * 1e-9;

__attribute__((target("avx512f,fma"))) double peak512() {
  STRATA_PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}
__attribute__((target("avx2,fma"))) double peak256() {
  STRATA_PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}

int main() {
  std::printf("fp32 FMA peak, one core: AVX2 %.1f GFLOP/s", peak256());
  if (__builtin_cpu_supports("avx512f")) std::printf(", AVX-512 %.1f GFLOP/s", peak512());
  std::printf("\n");
}
