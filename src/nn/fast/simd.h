#pragma once
// Hot loops are compiled for AVX-512, AVX2 and baseline x86-64, picked at load time
// (GCC function multiversioning), so one binary runs fast on every node of a cluster
// without -march=native.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define STRATA_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STRATA_SIMD_CLONES
#endif
