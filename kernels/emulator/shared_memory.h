#pragma once
// Shared memory as the emulated kernels see it: STRATA_SHARED (kernels/launch.cuh) gives a view
// of the block's array whose every element access is bounds-checked and race-checked. Each
// element has a shadow recording who wrote and who read it since the last __syncthreads; a read
// of an element another thread wrote, or a write of one another thread read or wrote, within
// one barrier interval is a data race (what compute-sanitizer's racecheck reports on a device),
// reported with both threads. A read of an element no thread of the block has written is
// reported too (initcheck's report on a device). The arrays are poisoned (0xff: NaN) before each block and sit
// before a guard page (scheduler.cpp, guarded_memory.cpp).
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace strata::emu {

struct Shadow {
  uint32_t write_epoch;
  int32_t writer;
  uint32_t read_epoch;
  int32_t reader;  // -2: several threads
};

struct SharedInfo {
  const char* name;
  const char* file;
  unsigned line;
  size_t elements;  // scalars
  Shadow* shadow;
  void* data;
};

// The running CUDA thread's linear id in its block, and the block's barrier interval.
extern thread_local int t_linear;
extern thread_local const uint32_t* t_epoch;

[[noreturn]] void shared_race(const SharedInfo& s, size_t index, bool writing, int other, bool other_wrote);
[[noreturn]] void shared_out_of_bounds(const SharedInfo& s, long long index, size_t extent);

[[noreturn]] void shared_uninitialised(const SharedInfo& s, size_t index);

inline void shared_read(const SharedInfo& s, size_t i) {
  Shadow& sh = s.shadow[i];
  const uint32_t e = *t_epoch;
  const int t = t_linear;
  if (sh.write_epoch == 0) shared_uninitialised(s, i);
  if (sh.write_epoch == e && sh.writer != t) shared_race(s, i, false, sh.writer, true);
  if (sh.read_epoch != e) {
    sh.read_epoch = e;
    sh.reader = t;
  } else if (sh.reader != t) {
    sh.reader = -2;
  }
}

inline void shared_write(const SharedInfo& s, size_t i) {
  Shadow& sh = s.shadow[i];
  const uint32_t e = *t_epoch;
  const int t = t_linear;
  if (sh.write_epoch == e && sh.writer != t) shared_race(s, i, true, sh.writer, true);
  if (sh.read_epoch == e && sh.reader != t) shared_race(s, i, true, sh.reader, false);
  sh.write_epoch = e;
  sh.writer = t;
}

template <class T>
class SharedRef {
 public:
  SharedRef(T* p, const SharedInfo* s, size_t i) : p_(p), s_(s), i_(i) {}
  operator T() const {
    shared_read(*s_, i_);
    return *p_;
  }
  SharedRef& operator=(const T& v) {
    shared_write(*s_, i_);
    *p_ = v;
    return *this;
  }
  SharedRef& operator=(const SharedRef& o) { return *this = static_cast<T>(o); }
  template <class V>
  SharedRef& operator+=(const V& v) {
    return *this = static_cast<T>(static_cast<T>(*this) + v);
  }
  template <class V>
  SharedRef& operator-=(const V& v) {
    return *this = static_cast<T>(static_cast<T>(*this) - v);
  }
  template <class V>
  SharedRef& operator*=(const V& v) {
    return *this = static_cast<T>(static_cast<T>(*this) * v);
  }

 private:
  T* p_;
  const SharedInfo* s_;
  size_t i_;
};

// A pointer into a shared array (what a 1-D array decays to): arithmetic, and checked access.
template <class T>
class SharedPtr {
 public:
  SharedPtr(T* base, const SharedInfo* s, long long index) : base_(base), s_(s), i_(index) {}
  SharedPtr operator+(long long d) const { return {base_, s_, i_ + d}; }
  SharedPtr operator-(long long d) const { return {base_, s_, i_ - d}; }
  SharedRef<T> operator[](long long d) const { return at(i_ + d); }
  SharedRef<T> operator*() const { return at(i_); }
  // For the emulator's wmma: element d from here, checked, as a read or a write.
  T read(long long d) const {
    const size_t i = checked(i_ + d);
    shared_read(*s_, i);
    return base_[i];
  }
  void write(long long d, const T& v) const {
    const size_t i = checked(i_ + d);
    shared_write(*s_, i);
    base_[i] = v;
  }
  uintptr_t address() const { return reinterpret_cast<uintptr_t>(base_ + i_); }

 private:
  size_t checked(long long i) const {
    if (i < 0 || static_cast<size_t>(i) >= s_->elements) shared_out_of_bounds(*s_, i, s_->elements);
    return static_cast<size_t>(i);
  }
  SharedRef<T> at(long long i) const {
    const size_t k = checked(i);
    return {base_ + k, s_, k};
  }
  T* base_;
  const SharedInfo* s_;
  long long i_;
};

template <class A>
class SharedView;

// A (sub-)array T[N] of a shared declaration, `offset` scalars from its start.
template <class T, size_t N>
class SharedView<T[N]> {
  using Scalar = std::remove_all_extents_t<T>;
  static constexpr size_t kInner = sizeof(T) / sizeof(Scalar);

 public:
  SharedView(Scalar* base, const SharedInfo* s, size_t offset) : base_(base), s_(s), offset_(offset) {}
  auto operator[](long long i) const {
    if (i < 0 || static_cast<size_t>(i) >= N) shared_out_of_bounds(*s_, i, N);
    const size_t at = offset_ + static_cast<size_t>(i) * kInner;
    if constexpr (std::is_array_v<T>) {
      return SharedView<T>(base_, s_, at);
    } else {
      return SharedRef<T>(base_ + at, s_, at);
    }
  }
  SharedPtr<T> operator+(long long d) const
    requires(!std::is_array_v<T>)
  {
    return {base_, s_, static_cast<long long>(offset_) + d};
  }
  operator SharedPtr<T>() const
    requires(!std::is_array_v<T>)
  {
    return {base_, s_, static_cast<long long>(offset_)};
  }

 private:
  Scalar* base_;
  const SharedInfo* s_;
  size_t offset_;
};

const SharedInfo& static_shared(const void* key, size_t bytes, size_t align, size_t elements, const char* name,
                                const char* file, unsigned line);
const SharedInfo& dynamic_shared(size_t element_bytes, const char* name, const char* file, unsigned line);

template <class A>
SharedView<A> shared_view(const SharedInfo& s) {
  return {static_cast<std::remove_all_extents_t<A>*>(s.data), &s, 0};
}
template <class T>
SharedPtr<T> dynamic_view(const SharedInfo& s) {
  return {static_cast<T*>(s.data), &s, 0};
}

}  // namespace strata::emu
