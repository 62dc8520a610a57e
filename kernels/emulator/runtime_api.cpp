// The CUDA runtime subset of runtime_api.h on the host. One device; copies check that their
// device side lies inside one live allocation; errors are per host thread as CUDA's are.
#include "kernels/emulator/runtime_api.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "kernels/emulator/emulator_state.h"

namespace strata::emu {
namespace {

thread_local cudaError_t t_error = cudaSuccess;
thread_local cudaError_t t_detail_code = cudaSuccess;
thread_local std::string t_detail;
thread_local int t_device = 0;

struct Streams {
  std::set<const void*> streams, events;
};
Streams& handles() {
  static Streams s;
  return s;
}

std::atomic<int> g_failing_mallocs{0};

constexpr size_t kDeviceMemory = size_t{8} << 30;  // what the emulated device reports
constexpr int kMultiprocessors = 4;                 // small: split-K and reduction grids stay short

cudaError_t fail_with(cudaError_t err, std::string detail) {
  set_error(err, std::move(detail));
  return err;
}

bool known_stream(cudaStream_t s) { return s == nullptr || handles().streams.count(s) != 0; }

}  // namespace

void fail_next_cuda_mallocs(int count) { g_failing_mallocs = count; }

std::recursive_mutex& device_mutex() {
  static std::recursive_mutex m;
  return m;
}

void set_error(cudaError_t err, std::string detail) {
  t_error = err;
  t_detail_code = err;
  t_detail = std::move(detail);
}
cudaError_t take_error() {
  const cudaError_t e = t_error;
  t_error = cudaSuccess;
  return e;
}
cudaError_t peek_error() { return t_error; }
const char* error_detail(cudaError_t err) {
  return err == t_detail_code && !t_detail.empty() ? t_detail.c_str() : nullptr;
}

}  // namespace strata::emu

using namespace strata::emu;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  if (device != 0) return fail_with(cudaErrorInvalidDevice, "invalid device ordinal: the emulator has device 0 only");
  t_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (device != 0) return fail_with(cudaErrorInvalidDevice, "invalid device ordinal");
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "strata CUDA emulator (fibers on the host CPU)");
  p->totalGlobalMem = kDeviceMemory;
  p->sharedMemPerBlock = 48 * 1024;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxGridSize[0] = 2147483647;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = kMultiprocessors;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  cudaDeviceProp p;
  if (const cudaError_t e = cudaGetDeviceProperties(&p, device); e != cudaSuccess) return e;
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxGridDimX: *value = p.maxGridSize[0]; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(p.sharedMemPerBlock); break;
    case cudaDevAttrWarpSize: *value = 32; break;
    case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
    default: return fail_with(cudaErrorInvalidValue, "invalid argument: attribute not emulated");
  }
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() { return peek_error(); }
cudaError_t cudaGetLastError() { return take_error(); }
cudaError_t cudaPeekAtLastError() { return peek_error(); }

const char* cudaGetErrorName(cudaError_t err) {
  switch (err) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t err) {
  if (const char* d = error_detail(err)) return d;
  switch (err) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    default: return "unknown error";
  }
}

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  std::lock_guard lock(device_mutex());
  if (g_failing_mallocs > 0) {
    --g_failing_mallocs;
    *ptr = nullptr;
    return fail_with(cudaErrorMemoryAllocation, "out of memory: CUDA emulator: a failure fail_next_cuda_mallocs asked for");
  }
  // Fresh device memory is NaN (0xff bytes), so an element a kernel never writes shows.
  void* p = bytes > kDeviceMemory ? nullptr
                                  : map_guarded(bytes, 256, Region::device,
                                                "a device allocation of " + std::to_string(bytes) + " bytes");
  if (!p) {
    *ptr = nullptr;
    return fail_with(cudaErrorMemoryAllocation, "out of memory: CUDA emulator: cudaMalloc of " + std::to_string(bytes) + " bytes");
  }
  std::memset(p, 0xff, bytes);
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  std::lock_guard lock(device_mutex());
  std::string report;
  if (!release_guarded(ptr, &report)) {
    if (report == "not the start of a live allocation")
      return fail_with(cudaErrorInvalidValue, "invalid argument: CUDA emulator: cudaFree of a pointer that is " + report);
    // A kernel wrote past its allocation: as fatal as on a device, and worth the whole report.
    std::fprintf(stderr, "CUDA emulator: cudaFree: %s\n", report.c_str());
    return fail_with(cudaErrorIllegalAddress, "an illegal memory access was encountered: CUDA emulator: " + report);
  }
  return cudaSuccess;
}

namespace {
cudaError_t check_side(const void* p, size_t bytes, bool device, const char* side) {
  if (!device || bytes == 0) return cudaSuccess;
  std::string problem;
  if (find_device_range(p, bytes, &problem)) return cudaSuccess;
  return fail_with(cudaErrorInvalidValue,
                   std::string("invalid argument: CUDA emulator: copy ") + side + " " + problem);
}
}  // namespace

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  std::lock_guard lock(device_mutex());
  if (!known_stream(stream)) return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle: unknown stream");
  if (kind == cudaMemcpyDefault) {
    std::string ignored;
    const bool d_dst = find_device_range(dst, bytes, &ignored), d_src = find_device_range(src, bytes, &ignored);
    kind = d_dst ? (d_src ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                 : (d_src ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  }
  const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (const cudaError_t e = check_side(dst, bytes, dst_device, "destination"); e != cudaSuccess) return e;
  if (const cudaError_t e = check_side(src, bytes, src_device, "source"); e != cudaSuccess) return e;
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
  std::lock_guard lock(device_mutex());
  if (!known_stream(stream)) return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle: unknown stream");
  if (const cudaError_t e = check_side(dst, bytes, true, "destination of cudaMemset"); e != cudaSuccess) return e;
  std::memset(dst, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemset(void* dst, int value, size_t bytes) { return cudaMemsetAsync(dst, value, bytes, nullptr); }
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  *free_bytes = *total_bytes = kDeviceMemory;
  return cudaSuccess;
}

// Streams and events are handles only: work runs when it is queued, so every wait is satisfied.
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  std::lock_guard lock(device_mutex());
  *stream = reinterpret_cast<cudaStream_t>(new char);
  handles().streams.insert(*stream);
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  std::lock_guard lock(device_mutex());
  if (!handles().streams.erase(stream)) return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle: unknown stream");
  delete reinterpret_cast<char*>(stream);
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  std::lock_guard lock(device_mutex());
  if (!known_stream(stream)) return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle: unknown stream");
  return peek_error();
}
cudaError_t cudaEventCreate(cudaEvent_t* event) {
  std::lock_guard lock(device_mutex());
  *event = reinterpret_cast<cudaEvent_t>(new char);
  handles().events.insert(*event);
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  std::lock_guard lock(device_mutex());
  if (!handles().events.erase(event)) return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle: unknown event");
  delete reinterpret_cast<char*>(event);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  std::lock_guard lock(device_mutex());
  if (!handles().events.count(event) || !known_stream(stream))
    return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle");
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  std::lock_guard lock(device_mutex());
  if (!handles().events.count(event)) return fail_with(cudaErrorInvalidResourceHandle, "invalid resource handle");
  return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t, cudaEvent_t) {
  *ms = 0.0f;  // the emulator has no device time
  return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned) { return cudaSuccess; }
