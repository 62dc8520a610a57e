#pragma once
// What the emulator's parts share (scheduler.cpp, runtime_api.cpp, guarded_memory.cpp); not for
// kernels or callers.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "kernels/emulator/runtime_api.h"

namespace strata::emu {

// One emulated device: launches, copies and allocations take this lock, so blocks of different
// host threads never interleave (the shared-memory regions are the device's, not a thread's).
std::recursive_mutex& device_mutex();

// The last error of this host thread, with the emulator's report for errors it diagnosed.
void set_error(cudaError_t err, std::string detail);
cudaError_t take_error();
cudaError_t peek_error();
const char* error_detail(cudaError_t err);

// Memory with an inaccessible page on each side: `bytes` usable from the returned pointer,
// which is `align`-aligned and ends as close to the upper guard page as the alignment allows.
// The bytes between the end and the guard are filled with a canary that release() checks.
enum class Region { device, shared, stack };
void* map_guarded(size_t bytes, size_t align, Region kind, std::string what);
// Checks the canaries (false with a report when they were overwritten), then makes the memory
// inaccessible (kept mapped, so a later use faults as a use after free).
bool release_guarded(void* user, std::string* report);
// The live guarded region holding [p, p + bytes), or false.
bool find_device_range(const void* p, size_t bytes, std::string* problem);
// Installs the SIGSEGV/SIGBUS report (once per process) and an alternate signal stack for this
// thread (so a fiber's stack overflow can be reported).
void install_fault_report();
// Writes "in kernel K ..., block (...), thread (...)" for the fault report, or nothing.
int describe_current_thread(char* out, size_t size);

}  // namespace strata::emu
