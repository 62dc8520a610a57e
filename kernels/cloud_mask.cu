// Cloud masks: QA60, SCL, the spectral test, and dilation. Contract: geo::cloud_mask_*_reference
// and geo::dilate_mask; the per-pixel rules are core/mask_rules.h, shared with those references.
// All memory-bound, one thread per pixel. Dilation is a gather (each clear pixel looks for the
// strongest code within reach), which equals the reference's scatter because both structuring
// elements are symmetric; it reads (2r + 1)^2 bytes per clear pixel, cached, no atomics.
#include <string>

#include "core/checked.h"
#include "kernels/cuda_check.h"
#include "kernels/geo_kernels.h"
#include "kernels/launch.cuh"

namespace strata::cuda {
namespace {

__global__ void qa60_kernel(const uint16_t* qa60, int64_t n, uint8_t* out) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) out[i] = qa60_code(qa60[i]);
}

__global__ void scl_kernel(const uint8_t* scl, int64_t n, uint8_t* out) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) out[i] = scl_code(scl[i]);
}

__global__ void spectral_kernel(SpectralBands b, int64_t n, SpectralParams p, uint8_t* out) {
  for (int64_t i = first_index(); i < n; i += grid_stride())
    out[i] = spectral_code(b.b2[i], b.b3[i], b.b4[i], b.b8[i], b.b11[i], b.b10 != nullptr, b.b10 ? b.b10[i] : 0, p);
}

__global__ void dilate_kernel(const uint8_t* in, int64_t width, int64_t height, int radius, DilationShape shape,
                              uint8_t* out) {
  for (int64_t i = first_index(); i < width * height; i += grid_stride()) {
    const uint8_t m = in[i];
    if (!is_clear(m)) {
      out[i] = m;
      continue;
    }
    const int64_t y = i / width, x = i % width;
    int rank = 0;
    for (int dy = -radius; dy <= radius; ++dy) {
      if (y + dy < 0 || y + dy >= height) continue;
      for (int dx = -radius; dx <= radius; ++dx)
        if (x + dx >= 0 && x + dx < width && in_dilation(dx, dy, radius, shape))
          rank = max(rank, dilation_rank(in[(y + dy) * width + x + dx]));
    }
    out[i] = rank > 0 ? code_of_rank(rank) : m;
  }
}

}  // namespace

void cloud_mask_qa60(const uint16_t* qa60, int64_t n, uint8_t* out, cudaStream_t stream) {
  if (n <= 0) return;
  STRATA_LAUNCH(qa60_kernel, grid_for(n), kThreads, 0, stream, qa60, n, out);
  STRATA_CUDA_CHECK_LAUNCH();
}

void cloud_mask_scl(const uint8_t* scl, int64_t n, uint8_t* out, cudaStream_t stream) {
  if (n <= 0) return;
  STRATA_LAUNCH(scl_kernel, grid_for(n), kThreads, 0, stream, scl, n, out);
  STRATA_CUDA_CHECK_LAUNCH();
}

void cloud_mask_spectral(const SpectralBands& bands, int64_t width, int64_t height, const SpectralParams& params,
                         uint8_t* out, cudaStream_t stream) {
  check(bands.b2 && bands.b3 && bands.b4 && bands.b8 && bands.b11,
        "spectral cloud mask: needs bands B2, B3, B4, B8 and B11");
  const int64_t n = checked_mul(width, height);
  if (n <= 0) return;
  STRATA_LAUNCH(spectral_kernel, grid_for(n), kThreads, 0, stream, bands, n, params, out);
  STRATA_CUDA_CHECK_LAUNCH();
}

void dilate_mask(const uint8_t* in, int64_t width, int64_t height, int radius, DilationShape shape, uint8_t* out,
                 cudaStream_t stream) {
  check(radius >= 0, "dilate_mask: negative radius " + std::to_string(radius));
  const int64_t n = checked_mul(width, height);
  if (n <= 0) return;
  STRATA_LAUNCH(dilate_kernel, grid_for(n), kThreads, 0, stream, in, width, height, radius, shape, out);
  STRATA_CUDA_CHECK_LAUNCH();
}

}  // namespace strata::cuda
