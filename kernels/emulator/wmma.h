#pragma once
// nvcuda::wmma for the host emulator: the two shapes the kernels use, TF32 m16n16k8 and bf16
// m16n16k16, with fp32 accumulators. A fragment holds num_elements values per lane as on the
// device; which matrix element each one is, is the emulator's choice (fragment_layout): row-major
// by default, a seeded permutation with STRATA_CUDA_EMULATOR_SCRAMBLE_WMMA=1, so code that relies
// on an undocumented layout fails. load, store and mma are warp collectives over all 32 lanes;
// mma reads TF32 inputs with their low 13 mantissa bits dropped, as the tensor cores do.
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/emulator/bf16.h"
#include "kernels/emulator/shared_memory.h"
#include "kernels/emulator/warp_collective.h"

namespace strata::emu {
// position (row * cols + col) of element t of lane l: layout[l * num_elements + t]
const int* fragment_layout(int rows, int cols);
void set_wmma_scramble(bool on);
}  // namespace strata::emu

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
namespace precision {
struct tf32 {};
}  // namespace precision

// To the nearest TF32 (10 mantissa bits), ties away from zero, as __float_to_tf32 does; the
// result is a float whose low 13 bits are 0.
inline float __float_to_tf32(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7f800000u) != 0x7f800000u) bits = (bits + 0x1000u) & 0xffffe000u;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

namespace detail {
template <class T>
struct element {
  using type = T;
};
template <>
struct element<precision::tf32> {
  using type = float;
};
template <class Use, int M, int N, int K>
struct dims {
  static constexpr int rows = std::is_same_v<Use, matrix_b> ? K : M;
  static constexpr int cols = std::is_same_v<Use, matrix_a> ? K : N;
};
}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
class fragment {
 public:
  static_assert((M == 16 && N == 16 && K == 8 && (std::is_same_v<T, precision::tf32> || std::is_same_v<T, float>)) ||
                    (M == 16 && N == 16 && K == 16 && (std::is_same_v<T, __nv_bfloat16> || std::is_same_v<T, float>)),
                "the emulator has wmma m16n16k8 (tf32) and m16n16k16 (bf16) only");
  using element_type = typename detail::element<T>::type;
  static constexpr int rows = detail::dims<Use, M, N, K>::rows, cols = detail::dims<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols / 32;
  using use = Use;
  using layout = Layout;
  element_type x[num_elements];
};

namespace detail {

inline void converge(const char* name, strata::emu::Site site) {
  strata::emu::Collective c{};
  c.kind = strata::emu::kWmma;
  c.name = name;
  c.mask = 0xffffffffu;
  strata::emu::collective(c, site);
}

// Fragments load from and store to global memory (plain pointers) or shared memory (checked).
template <class E>
uintptr_t address_of(const E* p) {
  return reinterpret_cast<uintptr_t>(p);
}
template <class E>
uintptr_t address_of(const strata::emu::SharedPtr<E>& p) {
  return p.address();
}
template <class E>
E read_at(const E* p, size_t i) {
  return p[i];
}
template <class E>
E read_at(const strata::emu::SharedPtr<E>& p, size_t i) {
  return p.read(static_cast<long long>(i));
}
template <class E>
void write_at(E* p, size_t i, E v) {
  p[i] = v;
}
template <class E>
void write_at(const strata::emu::SharedPtr<E>& p, size_t i, E v) {
  p.write(static_cast<long long>(i), v);
}

template <class E>
void check_access(const char* name, uintptr_t p, unsigned ldm, strata::emu::Site site) {
  if (p % 32 != 0)
    strata::emu::fail(std::string(name) + " at " + site.file_name() + ":" + std::to_string(site.line()) +
                      ": the pointer is not 256-bit aligned");
  if ((ldm * sizeof(E)) % 16 != 0)
    strata::emu::fail(std::string(name) + " at " + site.file_name() + ":" + std::to_string(site.line()) +
                      ": ldm " + std::to_string(ldm) + " is not a multiple of 16 bytes");
}

template <class E, class F, class Src>
void load(F& f, const Src& p, unsigned ldm, bool row_major, strata::emu::Site site) {
  check_access<E>("wmma::load_matrix_sync", address_of(p), ldm, site);
  const int* map = strata::emu::fragment_layout(F::rows, F::cols);
  const int lane = strata::emu::current_lane();
  for (int t = 0; t < F::num_elements; ++t) {
    const int pos = map[lane * F::num_elements + t], r = pos / F::cols, c = pos % F::cols;
    f.x[t] = read_at(p, row_major ? size_t(r) * ldm + c : size_t(c) * ldm + r);
  }
  converge("wmma::load_matrix_sync", site);
}

struct MmaOperands {
  void* d;
  const void* a;
  const void* b;
  const void* c;
};

template <class E>
float mma_input(E v) {
  if constexpr (std::is_same_v<E, float>) {
    uint32_t bits;  // TF32: the tensor core reads 10 mantissa bits and drops the rest
    std::memcpy(&bits, &v, sizeof bits);
    bits &= 0xffffe000u;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  } else {
    return static_cast<float>(v);
  }
}

template <class D, class A, class B, class C>
void complete_mma(strata::emu::Collective& col) {
  constexpr int M = D::rows, N = D::cols, K = A::cols;
  float a[M * K], b[K * N], c[M * N], d[M * N];
  const int* ma = strata::emu::fragment_layout(M, K);
  const int* mb = strata::emu::fragment_layout(K, N);
  const int* mc = strata::emu::fragment_layout(M, N);
  for (int l = 0; l < 32; ++l) {
    const auto* op = static_cast<const MmaOperands*>(col.payload[l]);
    const auto& fa = *static_cast<const A*>(op->a);
    const auto& fb = *static_cast<const B*>(op->b);
    const auto& fc = *static_cast<const C*>(op->c);
    for (int t = 0; t < A::num_elements; ++t) a[ma[l * A::num_elements + t]] = mma_input(fa.x[t]);
    for (int t = 0; t < B::num_elements; ++t) b[mb[l * B::num_elements + t]] = mma_input(fb.x[t]);
    for (int t = 0; t < C::num_elements; ++t) c[mc[l * C::num_elements + t]] = fc.x[t];
  }
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float acc = c[i * N + j];
      for (int k = 0; k < K; ++k) acc += a[i * K + k] * b[k * N + j];  // products exact in float
      d[i * N + j] = acc;
    }
  for (int l = 0; l < 32; ++l) {
    auto& fd = *static_cast<D*>(static_cast<const MmaOperands*>(col.payload[l])->d);
    for (int t = 0; t < D::num_elements; ++t) fd.x[t] = d[mc[l * D::num_elements + t]];
  }
}

}  // namespace detail

template <class Use, int M, int N, int K, class T, class L, class E>
void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const E* p, unsigned ldm,
                      strata::emu::Site site = strata::emu::Site::current()) {
  static_assert(!std::is_same_v<Use, accumulator>, "an accumulator load takes a layout_t");
  detail::load<E>(f, p, ldm, std::is_same_v<L, row_major>, site);
}
template <class Use, int M, int N, int K, class T, class L, class E>
void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const strata::emu::SharedPtr<E>& p, unsigned ldm,
                      strata::emu::Site site = strata::emu::Site::current()) {
  static_assert(!std::is_same_v<Use, accumulator>, "an accumulator load takes a layout_t");
  detail::load<E>(f, p, ldm, std::is_same_v<L, row_major>, site);
}
template <int M, int N, int K, class Src>
void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, const Src& p, unsigned ldm, layout_t layout,
                      strata::emu::Site site = strata::emu::Site::current()) {
  detail::load<float>(f, p, ldm, layout == mem_row_major, site);
}

template <int M, int N, int K, class Dst>
void store_matrix_sync(const Dst& p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout,
                       strata::emu::Site site = strata::emu::Site::current()) {
  using F = fragment<accumulator, M, N, K, float>;
  detail::check_access<float>("wmma::store_matrix_sync", detail::address_of(p), ldm, site);
  const int* map = strata::emu::fragment_layout(F::rows, F::cols);
  const int lane = strata::emu::current_lane();
  for (int t = 0; t < F::num_elements; ++t) {
    const int pos = map[lane * F::num_elements + t], r = pos / F::cols, c = pos % F::cols;
    detail::write_at(p, layout == mem_row_major ? size_t(r) * ldm + c : size_t(c) * ldm + r, f.x[t]);
  }
  detail::converge("wmma::store_matrix_sync", site);
}

template <class Use, int M, int N, int K, class T, class L, class V>
void fill_fragment(fragment<Use, M, N, K, T, L>& f, const V& v) {
  for (auto& e : f.x) e = static_cast<typename fragment<Use, M, N, K, T, L>::element_type>(v);
}

template <int M, int N, int K, class T, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LA>& a,
              const fragment<matrix_b, M, N, K, T, LB>& b, const fragment<accumulator, M, N, K, float>& c,
              strata::emu::Site site = strata::emu::Site::current()) {
  using D = fragment<accumulator, M, N, K, float>;
  using A = fragment<matrix_a, M, N, K, T, LA>;
  using B = fragment<matrix_b, M, N, K, T, LB>;
  static_assert(std::is_same_v<LA, row_major> && std::is_same_v<LB, row_major>,
                "the emulator's mma reads row-major fragments (as the kernels load them)");
  detail::MmaOperands op{&d, &a, &b, &c};
  strata::emu::Collective col{};
  col.kind = strata::emu::kWmma;
  col.name = "wmma::mma_sync";
  col.mask = 0xffffffffu;
  col.payload[0] = &op;
  col.complete = detail::complete_mma<D, A, B, D>;
  strata::emu::collective(col, site);
}

}  // namespace nvcuda::wmma
