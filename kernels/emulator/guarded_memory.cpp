// Memory behind guard pages for the emulator (device allocations, shared arrays, fiber stacks),
// and the report of a fault in it: an access past an allocation, a shared array or a stack names
// what it hit and the CUDA thread that did it, instead of a bare segmentation fault.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "kernels/emulator/emulator_state.h"

namespace strata::emu {
namespace {

constexpr unsigned char kCanary = 0xA5;

struct Mapping {
  char* base;      // the lower guard page
  size_t total;    // guard + data pages + guard
  char* user;
  size_t bytes;
  Region kind;
  std::string what;
  bool released = false;
};

size_t page() {
  static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<const char*, Mapping>& registry() {  // by user pointer
  static std::map<const char*, Mapping> r;
  return r;
}

const Mapping* mapping_of(const char* addr) {
  auto& r = registry();
  auto it = r.upper_bound(addr);
  for (int back = 0; back < 2 && it != r.begin(); ++back) {  // the one below, or the one below that
    --it;
    const Mapping& m = it->second;
    if (addr >= m.base && addr < m.base + m.total) return &m;
  }
  if (it = r.upper_bound(addr); it != r.end() && addr >= it->second.base) return &it->second;
  return nullptr;
}

void on_fault(int sig, siginfo_t* info, void*) {
  const char* addr = static_cast<const char*>(info->si_addr);
  const Mapping* m = mapping_of(addr);
  char msg[1024];
  int n = 0;
  if (m) {
    const char* what = m->what.c_str();
    if (m->released) {
      n = std::snprintf(msg, sizeof msg, "CUDA emulator: access to %s after it was freed, at %p", what,
                        static_cast<const void*>(addr));
    } else if (m->kind == Region::stack) {
      n = std::snprintf(msg, sizeof msg, "CUDA emulator: stack overflow (%s)", what);
    } else if (addr >= m->user + m->bytes) {
      n = std::snprintf(msg, sizeof msg, "CUDA emulator: out-of-bounds access %zu bytes past the end of %s",
                        static_cast<size_t>(addr - (m->user + m->bytes)), what);
    } else {
      n = std::snprintf(msg, sizeof msg, "CUDA emulator: out-of-bounds access %zu bytes before the start of %s",
                        static_cast<size_t>(m->user - addr), what);
    }
  } else {
    n = std::snprintf(msg, sizeof msg, "CUDA emulator: invalid memory access at %p (not device memory, shared memory or a stack)",
                      static_cast<const void*>(addr));
  }
  if (n > 0 && static_cast<size_t>(n) < sizeof msg - 8) {
    msg[n++] = '\n';
    msg[n++] = ' ';
    msg[n++] = ' ';
    n += describe_current_thread(msg + n, sizeof msg - static_cast<size_t>(n) - 2);
    msg[n++] = '\n';
    (void)!write(2, msg, static_cast<size_t>(n));
  }
  signal(sig, SIG_DFL);  // returning re-runs the access, which now ends the process
}

}  // namespace

void install_fault_report() {
  thread_local bool have_stack = false;
  if (!have_stack) {
    stack_t ss{};
    ss.ss_size = 64 * 1024;
    ss.ss_sp = new char[ss.ss_size];
    sigaltstack(&ss, nullptr);
    have_stack = true;
  }
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

void* map_guarded(size_t bytes, size_t align, Region kind, std::string what) {
  const size_t p = page();
  const size_t data = (bytes + p - 1) / p * p + (bytes == 0 ? p : 0);
  const size_t total = data + 2 * p;
  void* base = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  char* b = static_cast<char*>(base);
  if (mprotect(b + p, data, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, total);
    return nullptr;
  }
  char* end = b + p + data;
  char* user = end - (bytes + align - 1) / align * align;
  if (kind == Region::stack) user = b + p;
  std::memset(b + p, kCanary, static_cast<size_t>(user - (b + p)));
  std::memset(user + bytes, kCanary, static_cast<size_t>(end - (user + bytes)));
  std::lock_guard lock(registry_mutex());
  registry()[user] = Mapping{b, total, user, bytes, kind, std::move(what)};
  return user;
}

bool release_guarded(void* user, std::string* report) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(static_cast<const char*>(user));
  if (it == registry().end() || it->second.released) {
    if (report) *report = "not the start of a live allocation";
    return false;
  }
  Mapping& m = it->second;
  const size_t p = page();
  bool intact = true;
  size_t first_bad = 0;
  for (char* c = m.base + p; c < m.user; ++c)
    if (static_cast<unsigned char>(*c) != kCanary) intact = false, first_bad = static_cast<size_t>(m.user - c);
  if (!intact && report)
    *report = "memory before the start of " + m.what + " was overwritten (" + std::to_string(first_bad) + " bytes before it)";
  for (char* c = m.user + m.bytes; c < m.base + m.total - p && intact; ++c)
    if (static_cast<unsigned char>(*c) != kCanary) {
      intact = false;
      if (report)
        *report = "memory past the end of " + m.what + " was overwritten (" +
                  std::to_string(static_cast<size_t>(c - (m.user + m.bytes))) + " bytes past it)";
    }
  // Kept mapped but inaccessible: a use after free faults with a report instead of reading reused memory.
  madvise(m.base, m.total, MADV_DONTNEED);
  mprotect(m.base, m.total, PROT_NONE);
  m.released = true;
  return intact;
}

bool find_device_range(const void* ptr, size_t bytes, std::string* problem) {
  std::lock_guard lock(registry_mutex());
  const char* p = static_cast<const char*>(ptr);
  const Mapping* m = mapping_of(p);
  if (!m || m->kind != Region::device) {
    *problem = "is not device memory";
    return false;
  }
  if (m->released) {
    *problem = "is in " + m->what + ", which was freed";
    return false;
  }
  if (p < m->user || p + bytes > m->user + m->bytes) {
    // Built by appending: g++ 12's -Wrestrict misfires on a chain of operator+ (GCC bug 105329).
    std::string text = "[";
    text += std::to_string(p - m->user);
    text += ", +";
    text += std::to_string(bytes);
    text += ") is outside ";
    text += m->what;
    *problem = text;
    return false;
  }
  return true;
}

}  // namespace strata::emu
