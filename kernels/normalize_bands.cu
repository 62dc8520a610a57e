// Band normalisation, uint16 DN -> float. Contract: nn::normalize_bands_reference.
// Memory-bound and trivially parallel: a 2-D grid, y over (sample, band) planes so each
// block reads its band's two constants once, x grid-striding over the plane's pixels.
#include <algorithm>

#include "kernels/cuda_check.h"
#include "kernels/ops.cuh"

namespace strata::cuda {
namespace {

template <nn::NormalizationMode Mode>
__device__ __forceinline__ float transfer(float v, float a, float b) {
  if constexpr (Mode == nn::NormalizationMode::standard) {
    return (v - a) / b;
  } else {
    const float z = (logf(v * 0.005f + 1.0f) - a) / b;
    return 1.0f / (1.0f + expf(-(5.0f * z - 1.0f)));
  }
}

template <nn::NormalizationMode Mode>
__global__ void normalize_bands_kernel(const uint16_t* __restrict__ dn, float* __restrict__ out,
                                       const float* __restrict__ params, int64_t bands, int64_t pixels) {
  const int64_t plane = blockIdx.y;
  const int64_t band = plane % bands;
  const float a = params[band], b = params[bands + band];
  const uint16_t* src = dn + plane * pixels;
  float* dst = out + plane * pixels;
  const int64_t stride = int64_t(blockDim.x) * gridDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < pixels; i += stride)
    dst[i] = src[i] == 0 ? 0.0f : transfer<Mode>(static_cast<float>(src[i]), a, b);  // 0 = no data
}

}  // namespace

void normalize_bands(const Launch& ctx, const uint16_t* dn, float* out, nn::NormalizationMode mode,
                     const float* params, int64_t batch, int64_t bands, int64_t pixels) {
  const cudaStream_t stream = ctx.stream;
  const int64_t planes = batch * bands;
  if (planes == 0 || pixels == 0) return;
  const int threads = 256;
  const int64_t blocks_x = std::min<int64_t>((pixels + threads - 1) / threads, 1024);
  // gridDim.y is at most 65535; chunks are whole samples so plane % bands stays the band.
  const int64_t chunk = std::max<int64_t>(65535 / bands, 1) * bands;
  for (int64_t first = 0; first < planes; first += chunk) {
    const dim3 grid(static_cast<unsigned>(blocks_x), static_cast<unsigned>(std::min(planes - first, chunk)));
    const uint16_t* src = dn + first * pixels;
    float* dst = out + first * pixels;
    if (mode == nn::NormalizationMode::standard)
      STRATA_LAUNCH(normalize_bands_kernel<nn::NormalizationMode::standard>, grid, threads, 0, stream,
                    src, dst, params, bands, pixels);
    else
      STRATA_LAUNCH(normalize_bands_kernel<nn::NormalizationMode::log_sigmoid>, grid, threads, 0, stream,
                    src, dst, params, bands, pixels);
    STRATA_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace strata::cuda
