#pragma once
// Row-major single-precision GEMM, C = alpha * op(A) * op(B) + beta * C, through OpenBLAS
// where it was built and a plain triple loop otherwise (so src/nn builds without BLAS).
#include <cstdint>

namespace strata::nn::fast {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Threads the BLAS may use for one call (OpenBLAS's global setting; no-op without it).
void set_blas_threads(int threads);

}  // namespace strata::nn::fast
