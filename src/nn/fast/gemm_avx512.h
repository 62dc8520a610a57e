#pragma once
// An AVX-512 GEMM for the convolution's shape: C[m, n] = A[m, k] * B[k, n] (+ bias[i] or
// + C), row-major, A small (the weights) and B a cache-resident band of the column matrix.
// A register tile of 8 rows x 32 columns (16 zmm accumulators) is swept over C, one packed
// 32-column panel of B at a time. `panel` is caller-owned scratch of k * 32 floats
// (gemm_panel_floats). The rows beyond the last multiple of 8 take a tile of that many rows over
// the same panel (any m, no BLAS). Returns false (and does nothing) where the CPU lacks AVX-512
// (or STRATA_NO_AVX512 is set), so callers fall back to OpenBLAS.
#include <cstdint>

namespace strata::nn::fast {

bool have_avx512();

bool gemm_avx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                 int64_t ldc, const float* bias, bool accumulate, float* panel);
inline int64_t gemm_panel_floats(int64_t k) { return k * 32; }

// dst[c * rows + r] = src[r * ld + c] for r < rows, c < cols; false (nothing done) without AVX-512.
bool transpose_avx512(const float* src, int64_t rows, int64_t cols, int64_t ld, float* dst);

}  // namespace strata::nn::fast
