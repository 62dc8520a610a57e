// The emulator's execution model: a grid's blocks run one after another; a block's CUDA threads
// are fibers (Boost.Context) on the launching OS thread, resumed round by round in an order
// reshuffled every round from a seeded generator. A fiber runs until it blocks in
// __syncthreads or a warp collective, or returns. A round in which every live fiber was still
// blocked is a deadlock, reported with what each thread waits on. Warps are 32 consecutive
// threads; a collective completes when every lane of its mask has arrived, and the last lane to
// arrive performs it for all of them (so no lane can change its inputs while others read them).
#include <boost/context/fiber.hpp>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/emulator/cuda_emulator.h"
#include "kernels/emulator/emulator_state.h"
#include "kernels/emulator/warp_collective.h"

namespace strata::emu {

thread_local const ThreadContext* t_context = nullptr;

namespace {

namespace bc = boost::context;

constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kDefaultSharedLimit = 48 * 1024;

// Guarded stacks, reused across blocks and launches (mapping 256 stacks per block would cost
// more than running most kernels).
struct StackPool {
  std::vector<bc::stack_context> free;
  bc::stack_context allocate() {
    if (!free.empty()) {
      bc::stack_context sc = free.back();
      free.pop_back();
      return sc;
    }
    bc::stack_context sc;
    sc.size = kStackBytes;
    sc.sp = static_cast<char*>(map_guarded(kStackBytes, 4096, Region::stack, "the stack of a CUDA thread")) + kStackBytes;
    return sc;
  }
};
thread_local StackPool t_stacks;
struct PooledStack {
  bc::stack_context allocate() { return t_stacks.allocate(); }
  void deallocate(bc::stack_context& sc) noexcept { t_stacks.free.push_back(sc); }
};

std::string site_text(const Site& s) {
  const char* f = s.file_name();
  const char* slash = std::strrchr(f, '/');
  return std::string(slash ? slash + 1 : f) + ":" + std::to_string(s.line());
}
bool same_site(const Site& a, const Site& b) {
  return a.line() == b.line() && std::strcmp(a.file_name(), b.file_name()) == 0;
}
// Strings here are built by appending: g++ 12's -Wrestrict misfires on chains of operator+
// (GCC bug 105329).
std::string xyz(uint3 v) {
  std::string s = "(";
  s += std::to_string(v.x);
  s += ',';
  s += std::to_string(v.y);
  s += ',';
  s += std::to_string(v.z);
  s += ')';
  return s;
}
std::string hex(unsigned m) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", m);
  return b;
}
// "0-31, 64, 96-127"
std::string ranges(const std::vector<int>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ids[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(ids[j]);
    }
    i = j + 1;
  }
  return out;
}

struct SharedArray {
  SharedInfo info{};
  size_t bytes = 0;
  uint64_t block_serial = 0;  // the block that last poisoned it
};

struct LaunchState {
  const char* kernel;
  const char* file;
  int line;
  dim3 grid, block;
  size_t dynamic_bytes;
  size_t shared_limit;
  uint64_t seed, number;
  struct SharedArray* dynamic = nullptr;
};

struct Thread {
  ThreadContext ctx;
  int linear = 0, lane = 0, warp = 0;
  bc::fiber sink;
  bool done = false, still_waiting = false;
  bool at_barrier = false;
  Site barrier_site;
  Collective* in_collective = nullptr;
};

struct Warp {
  unsigned existing = 0, exited = 0;
  std::vector<Collective*> open;
};

struct Block {
  std::vector<Thread> threads;
  std::vector<Warp> warps;
  int barrier_arrived = 0;
  uint64_t barrier_generation = 0;
  uint32_t epoch = 1;  // the barrier interval, for the shared-memory race check
  Site barrier_site;
  int barrier_first = -1;
  size_t static_bytes = 0;
  uint64_t serial = 0;
  bool failed = false;
  std::string error;
};

thread_local LaunchState* t_launch = nullptr;
thread_local Block* t_block = nullptr;
thread_local Thread* t_thread = nullptr;
uint64_t g_block_serial = 0;
uint64_t g_launches = 0;
std::map<const void*, SharedArray> g_shared;       // by declaration
std::map<size_t, SharedArray> g_dynamic;            // dynamic shared memory by size
std::map<std::string, int> g_max_dynamic_shared;   // cudaFuncSetAttribute, by kernel name

uint64_t base_seed() {
  static const uint64_t seed = [] {
    const char* s = std::getenv("STRATA_CUDA_EMULATOR_SEED");
    return s ? std::strtoull(s, nullptr, 10) : uint64_t{1};
  }();
  return seed;
}

void yield(bool still_waiting) {
  Thread& t = *t_thread;
  t.still_waiting = still_waiting;
  t.sink = std::move(t.sink).resume();
}

std::string where() {
  std::string s = "kernel " + std::string(t_launch->kernel) + " (launched at " + t_launch->file + ":" +
                  std::to_string(t_launch->line) + "), block " + xyz(t_context->block_idx);
  if (t_thread) s += ", thread " + xyz(t_thread->ctx.thread_idx);
  return s + " [STRATA_CUDA_EMULATOR_SEED=" + std::to_string(t_launch->seed) + ", launch " +
         std::to_string(t_launch->number) + "]";
}

}  // namespace

// Ends the block with a report; never returns to the kernel (the fiber is unwound).
[[noreturn]] void fail(const std::string& what) {
  Block& b = *t_block;
  if (!b.failed) {
    b.failed = true;
    b.error = "CUDA emulator: " + what + "\n  in " + where();
  }
  for (;;) yield(true);
}

int describe_current_thread(char* out, size_t size) {
  if (!t_launch || !t_context) return 0;
  return std::snprintf(out, size, "in kernel %s (launched at %s:%d), block (%u,%u,%u), thread (%u,%u,%u)", t_launch->kernel,
                       t_launch->file, t_launch->line, t_context->block_idx.x, t_context->block_idx.y,
                       t_context->block_idx.z, t_context->thread_idx.x, t_context->thread_idx.y, t_context->thread_idx.z);
}

void syncthreads(Site site) {
  Block& b = *t_block;
  Thread& t = *t_thread;
  if (b.barrier_arrived > 0 && !same_site(site, b.barrier_site))
    fail("divergent __syncthreads: thread " + xyz(t.ctx.thread_idx) + " reached the barrier at " + site_text(site) +
         " while thread " + xyz(b.threads[b.barrier_first].ctx.thread_idx) + " waits at " + site_text(b.barrier_site));
  if (b.barrier_arrived == 0) {
    b.barrier_site = site;
    b.barrier_first = t.linear;
  }
  if (++b.barrier_arrived == static_cast<int>(b.threads.size())) {
    b.barrier_arrived = 0;
    ++b.barrier_generation;
    ++b.epoch;
    return;
  }
  const uint64_t generation = b.barrier_generation;
  t.at_barrier = true;
  t.barrier_site = site;
  bool first = true;
  while (b.barrier_generation == generation) {
    yield(!first);
    first = false;
  }
  t.at_barrier = false;
}

unsigned active_mask() {
  // Lanes of this warp that have not exited (the emulator does not track finer divergence).
  const Warp& w = t_block->warps[t_thread->warp];
  return w.existing & ~w.exited;
}

void collective(Collective& c_in, Site site) {
  Block& b = *t_block;
  Thread& t = *t_thread;
  Warp& w = b.warps[t.warp];
  const unsigned bit = 1u << t.lane, mask = c_in.mask;
  const std::string op = c_in.name;
  if (!(mask & bit))
    fail(op + " at " + site_text(site) + ": mask " + hex(mask) + " does not include the calling lane " +
         std::to_string(t.lane) + " (warp " + std::to_string(t.warp) + ")");
  if (mask & ~w.existing)
    fail(op + " at " + site_text(site) + ": mask " + hex(mask) + " names lanes that do not exist (warp " +
         std::to_string(t.warp) + " has lanes " + hex(w.existing) + ", blockDim " + xyz(uint3{t.ctx.block_dim.x, t.ctx.block_dim.y, t.ctx.block_dim.z}) + ")");
  if (mask & w.exited)
    fail(op + " at " + site_text(site) + ": mask " + hex(mask) + " names lanes that have exited (" + hex(mask & w.exited) +
         ")");
  Collective* c = nullptr;
  for (Collective* o : w.open) {
    if (o->mask == mask) {
      c = o;
    } else if (o->mask & mask) {
      fail(op + " at " + site_text(site) + " with mask " + hex(mask) + " meets " + o->name + " at " +
           site_text(o->site) + " with mask " + hex(o->mask) + ": the masks of one warp's lanes disagree");
    }
  }
  if (c && (c->kind != c_in.kind || std::strcmp(c->name, c_in.name) != 0))
    fail("lanes of warp " + std::to_string(t.warp) + " meet at different warp operations: " + op + " at " +
         site_text(site) + " and " + c->name + " at " + site_text(c->site));
  if (!c) {
    c = new Collective(c_in);
    c->site = site;
    c->arrived = 0;
    c->done = false;
    c->departed = 0;
    w.open.push_back(c);
  }
  c->payload[t.lane] = c_in.payload[0];
  c->arrived |= bit;
  if (c->arrived == mask) {
    w.open.erase(std::find(w.open.begin(), w.open.end(), c));
    if (c->complete) c->complete(*c);
    c->done = true;
  } else {
    t.in_collective = c;
    bool first = true;
    while (!c->done) {
      yield(!first);
      first = false;
    }
    t.in_collective = nullptr;
  }
  if (++c->departed == std::popcount(mask)) delete c;
}

void syncwarp(unsigned mask, Site site) {
  Collective c{};
  c.kind = kSync;
  c.name = "__syncwarp";
  c.mask = mask;
  collective(c, site);
}

namespace {

struct ShufflePayload {
  uint64_t in, out;
  int op, arg, width, lane;
};

void complete_shuffle(Collective& c) {
  for (int l = 0; l < 32; ++l) {
    if (!(c.mask >> l & 1u)) continue;
    auto* p = static_cast<ShufflePayload*>(c.payload[l]);
    const int w = p->width;
    if (w < 1 || w > 32 || (w & (w - 1)))
      fail(std::string(c.name) + " at " + site_text(c.site) + ": width " + std::to_string(w) +
           " is not a power of 2 up to 32");
    const int base = l & ~(w - 1);
    int src = l;
    switch (p->op) {
      case shfl_idx: src = base + (p->arg & (w - 1)); break;
      case shfl_up: src = l - p->arg >= base ? l - p->arg : l; break;
      case shfl_down: src = l + p->arg < base + w ? l + p->arg : l; break;
      case shfl_xor: src = (l ^ p->arg) < base + w && (l ^ p->arg) >= base ? (l ^ p->arg) : l; break;
    }
    if (!(c.mask >> src & 1u))
      fail(std::string(c.name) + " at " + site_text(c.site) + ": lane " + std::to_string(l) + " reads lane " +
           std::to_string(src) + ", which is not in the mask " + hex(c.mask));
    p->out = static_cast<ShufflePayload*>(c.payload[src])->in;
  }
}

struct VotePayload {
  bool predicate;
  unsigned out;
};

void complete_vote(Collective& c) {
  unsigned ballot = 0;
  for (int l = 0; l < 32; ++l)
    if ((c.mask >> l & 1u) && static_cast<VotePayload*>(c.payload[l])->predicate) ballot |= 1u << l;
  const unsigned any = ballot != 0, all = ballot == c.mask;
  for (int l = 0; l < 32; ++l) {
    if (!(c.mask >> l & 1u)) continue;
    auto* p = static_cast<VotePayload*>(c.payload[l]);
    const int op = c.kind - kVote;  // the VoteOp
    p->out = op == vote_ballot ? ballot : op == vote_any ? any : all;
  }
}

}  // namespace

uint64_t shuffle(int op, unsigned mask, uint64_t bits, int lane_arg, int width, Site site) {
  static const char* const names[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync"};
  ShufflePayload p{bits, 0, op, lane_arg, width, t_thread->lane};
  Collective c{};
  c.kind = kShuffle;
  c.name = names[op];
  c.mask = mask;
  c.payload[0] = &p;
  c.complete = complete_shuffle;
  collective(c, site);
  return p.out;
}

unsigned vote(int op, unsigned mask, bool predicate, Site site) {
  static const char* const names[] = {"__ballot_sync", "__any_sync", "__all_sync"};
  VotePayload p{predicate, 0};
  Collective c{};
  c.kind = kVote + op;
  c.name = names[op];
  c.mask = mask;
  c.payload[0] = &p;
  c.complete = complete_vote;
  collective(c, site);
  return p.out;
}

int current_lane() { return t_thread->lane; }

namespace {
// A shared declaration's memory and shadow, poisoned and cleared once per block.
SharedInfo& prepare(SharedArray& a, Block& b) {
  if (a.block_serial != b.serial) {
    std::memset(a.info.data, 0xff, a.bytes);  // poison: a float read before any write is NaN
    std::memset(a.info.shadow, 0, a.info.elements * sizeof(Shadow));
    a.block_serial = b.serial;
  }
  return a.info;
}
std::string element_text(const SharedInfo& s, long long index) {
  const char* slash = std::strrchr(s.file, '/');
  return "`" + std::string(s.name) + "`[" + std::to_string(index) + "] (declared at " + (slash ? slash + 1 : s.file) +
         ":" + std::to_string(s.line) + ")";
}
}  // namespace

thread_local int t_linear = 0;
thread_local const uint32_t* t_epoch = nullptr;

const SharedInfo& static_shared(const void* key, size_t bytes, size_t align, size_t elements, const char* name,
                                const char* file, unsigned line) {
  Block& b = *t_block;
  SharedArray& a = g_shared[key];
  if (!a.info.data) {
    const char* slash = std::strrchr(file, '/');
    a.info = {name, file, line, elements, new Shadow[elements],
              map_guarded(bytes, std::max<size_t>(align, 16), Region::shared,
                          "shared array `" + std::string(name) + "` (" + (slash ? slash + 1 : file) + ":" +
                              std::to_string(line) + ", " + std::to_string(bytes) + " bytes)")};
    a.bytes = bytes;
  }
  if (a.block_serial != b.serial) {
    b.static_bytes += bytes;
    if (b.static_bytes + t_launch->dynamic_bytes > t_launch->shared_limit)
      fail("shared memory: " + std::to_string(b.static_bytes) + " bytes static (up to `" + name + "` at " +
           file + ":" + std::to_string(line) + ") + " + std::to_string(t_launch->dynamic_bytes) +
           " dynamic exceed the limit of " + std::to_string(t_launch->shared_limit) + " bytes per block");
  }
  return prepare(a, b);
}

const SharedInfo& dynamic_shared(size_t element_bytes, const char* name, const char* file, unsigned line) {
  if (t_launch->dynamic_bytes == 0)
    fail(std::string("extern shared memory used at ") + file + ":" + std::to_string(line) +
         " but the launch asked for 0 dynamic bytes");
  SharedArray& a = *t_launch->dynamic;
  a.info.elements = t_launch->dynamic_bytes / element_bytes;
  a.info.name = name;
  a.info.file = file;
  a.info.line = line;
  return prepare(a, *t_block);
}

void shared_race(const SharedInfo& s, size_t index, bool writing, int other, bool other_wrote) {
  const Block& b = *t_block;
  const std::string them = other == -2 ? std::string("other threads") : "thread " + xyz(b.threads[other].ctx.thread_idx);
  fail("data race on shared memory: thread " + xyz(t_thread->ctx.thread_idx) + (writing ? " writes " : " reads ") +
       element_text(s, static_cast<long long>(index)) + ", which " + them + (other_wrote ? " wrote" : " read") +
       " since the last __syncthreads");
}

void shared_uninitialised(const SharedInfo& s, size_t index) {
  fail("uninitialised shared memory: thread " + xyz(t_thread->ctx.thread_idx) + " reads " +
       element_text(s, static_cast<long long>(index)) + ", which no thread of this block has written");
}

void shared_out_of_bounds(const SharedInfo& s, long long index, size_t extent) {
  fail("out-of-bounds shared memory access: thread " + xyz(t_thread->ctx.thread_idx) + " indexes " +
       element_text(s, index) + ", whose extent is " + std::to_string(extent));
}

void set_max_dynamic_shared(const char* kernel, int bytes) {
  std::lock_guard lock(device_mutex());
  g_max_dynamic_shared[kernel] = bytes;
}

namespace {

std::string deadlock_report(const Block& b) {
  std::vector<int> exited, at_barrier;
  std::map<const Collective*, std::vector<int>> in_collective;
  for (const Thread& t : b.threads) {
    if (t.done) exited.push_back(t.linear);
    else if (t.at_barrier) at_barrier.push_back(t.linear);
    else if (t.in_collective) in_collective[t.in_collective].push_back(t.linear);
  }
  std::string s;
  if (!at_barrier.empty()) {
    s = (exited.empty() ? "deadlock: " : "divergent __syncthreads: ") + std::to_string(at_barrier.size()) +
        " threads (" + ranges(at_barrier) + ") wait at __syncthreads at " + site_text(b.barrier_site);
  } else {
    s = "deadlock:";
  }
  for (const auto& [c, ids] : in_collective) {
    unsigned missing = c->mask & ~c->arrived;
    s += "; threads " + ranges(ids) + " wait in " + c->name + " at " + site_text(c->site) + " (mask " + hex(c->mask) +
         ") for lanes " + hex(missing) + " that never arrive";
  }
  if (!exited.empty()) s += "; threads " + ranges(exited) + " have exited";
  return s;
}

void thread_exit(Thread& t) {
  Block& b = *t_block;
  Warp& w = b.warps[t.warp];
  const unsigned bit = 1u << t.lane;
  for (const Collective* c : w.open)
    if ((c->mask & bit) && !(c->arrived & bit))
      fail("lane " + std::to_string(t.lane) + " of warp " + std::to_string(t.warp) + " exited while lanes " +
           hex(c->arrived) + " wait for it in " + c->name + " at " + site_text(c->site) + " (mask " + hex(c->mask) + ")");
  if (b.barrier_arrived > 0)
    fail("divergent __syncthreads: thread " + xyz(t.ctx.thread_idx) + " exited while " +
         std::to_string(b.barrier_arrived) + " threads wait at __syncthreads at " + site_text(b.barrier_site));
  w.exited |= bit;
  t.done = true;
}

void run_block(LaunchState& L, uint3 block_idx, const std::function<void()>& body, std::mt19937_64& rng,
               std::string* error) {
  Block b;
  b.serial = ++g_block_serial;
  const unsigned n = L.block.x * L.block.y * L.block.z;
  b.threads.resize(n);
  b.warps.resize((n + 31) / 32);
  for (unsigned i = 0; i < n; ++i) {
    Thread& t = b.threads[i];
    t.linear = static_cast<int>(i);
    t.lane = static_cast<int>(i % 32);
    t.warp = static_cast<int>(i / 32);
    t.ctx = {{i % L.block.x, i / L.block.x % L.block.y, i / (L.block.x * L.block.y)}, block_idx, L.block, L.grid};
    b.warps[t.warp].existing |= 1u << t.lane;
  }
  t_block = &b;
  t_epoch = &b.epoch;
  {
    std::vector<bc::fiber> fibers(n);
    for (unsigned i = 0; i < n; ++i)
      fibers[i] = bc::fiber(std::allocator_arg, PooledStack{}, [&b, i, &body](bc::fiber&& sink) {
        Thread& t = b.threads[i];
        t.sink = std::move(sink);
        body();
        thread_exit(t);
        return std::move(t.sink);
      });
    std::vector<unsigned> order(n);
    for (unsigned i = 0; i < n; ++i) order[i] = i;
    unsigned live = n;
    while (live > 0 && !b.failed) {
      std::shuffle(order.begin(), order.end(), rng);
      bool progress = false;
      for (unsigned i : order) {
        Thread& t = b.threads[i];
        if (t.done) continue;
        t_thread = &t;
        t_context = &t.ctx;
        t_linear = t.linear;
        fibers[i] = std::move(fibers[i]).resume();
        if (b.failed) break;
        if (t.done) {
          --live;
          progress = true;
        } else if (!t.still_waiting) {
          progress = true;
        }
      }
      if (!b.failed && !progress) {
        t_thread = nullptr;
        b.failed = true;
        b.error = "CUDA emulator: " + deadlock_report(b) + "\n  in " + where();
      }
    }
    // Fibers still suspended (after a failure) are unwound as `fibers` goes out of scope.
  }
  for (Warp& w : b.warps)
    for (Collective* c : w.open) delete c;
  t_thread = nullptr;
  t_block = nullptr;
  if (b.failed) *error = b.error;
}

}  // namespace

void launch(const char* kernel, const char* file, int line, dim3 grid, dim3 block, size_t dynamic_bytes,
            cudaStream_t stream, std::function<void()> body) {
  (void)stream;
  std::lock_guard lock(device_mutex());
  install_fault_report();
  const char* slash = std::strrchr(file, '/');
  LaunchState L{kernel, slash ? slash + 1 : file, line, grid, block, dynamic_bytes, kDefaultSharedLimit,
                base_seed(), ++g_launches};
  if (auto it = g_max_dynamic_shared.find(kernel); it != g_max_dynamic_shared.end())
    L.shared_limit = std::max<size_t>(L.shared_limit, static_cast<size_t>(it->second));
  const std::string at = std::string(kernel) + " launched at " + L.file + ":" + std::to_string(line);
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64 || grid.x == 0 ||
      grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
    set_error(cudaErrorInvalidConfiguration,
              "invalid configuration argument: CUDA emulator: grid (" + std::to_string(grid.x) + "," +
                  std::to_string(grid.y) + "," + std::to_string(grid.z) + ") x block (" + std::to_string(block.x) +
                  "," + std::to_string(block.y) + "," + std::to_string(block.z) +
                  ") is beyond CUDA's limits (1024 threads a block, z <= 64; grid y, z <= 65535) for " + at);
    return;
  }
  if (dynamic_bytes > L.shared_limit) {
    set_error(cudaErrorInvalidValue, "invalid argument: CUDA emulator: " + std::to_string(dynamic_bytes) +
                                         " bytes of dynamic shared memory exceed the limit of " +
                                         std::to_string(L.shared_limit) + " (cudaFuncSetAttribute raises it) for " + at);
    return;
  }
  if (dynamic_bytes) {
    SharedArray& d = g_dynamic[dynamic_bytes];
    if (!d.info.data) {
      d.info = {"extern shared", kernel, 0, dynamic_bytes, new Shadow[dynamic_bytes],
                map_guarded(dynamic_bytes, 16, Region::shared,
                            "dynamic shared memory (" + std::to_string(dynamic_bytes) + " bytes)")};
      d.bytes = dynamic_bytes;
    }
    L.dynamic = &d;
  }
  std::mt19937_64 rng(L.seed * 0x9E3779B97F4A7C15ull + L.number);
  LaunchState* const outer = t_launch;
  t_launch = &L;
  // Blocks in a random order too: a kernel whose blocks depend on each other's order fails here.
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  std::vector<uint64_t> order(blocks);
  for (uint64_t i = 0; i < blocks; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::string error;
  for (uint64_t i = 0; i < blocks && error.empty(); ++i) {
    const uint64_t b = order[i];
    run_block(L, {static_cast<unsigned>(b % grid.x), static_cast<unsigned>(b / grid.x % grid.y),
                  static_cast<unsigned>(b / (uint64_t{grid.x} * grid.y))},
              body, rng, &error);
  }
  t_launch = outer;
  t_context = nullptr;
  if (!error.empty()) set_error(cudaErrorLaunchFailure, "unspecified launch failure: " + error);
}

}  // namespace strata::emu
