# The CUDA backend's sources, one op per .cu file: compiled by nvcc for the device (kernels/) and
# again as host C++ against the CUDA emulator (kernels/emulator/).
set(STRATA_KERNEL_SOURCES
  cuda_backend.cu
  device_arena.cpp
  adam.cu
  batch_norm.cu
  concat.cu
  conv2d.cu
  conv_product.cu
  conv_tensor_core.cu
  conv_transpose2d.cu
  cross_entropy.cu
  depthwise_conv2d.cu
  elementwise.cu
  max_pool.cu
  mish.cu
  normalize_bands.cu
  relu.cu
  softmax.cu
  upsample.cu
  resize.cu
  l2_normalize.cu
  cloud_mask.cu
  composite.cu)
