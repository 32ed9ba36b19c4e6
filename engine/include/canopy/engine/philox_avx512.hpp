#pragma once
/// \file philox_avx512.hpp
/// Eight Philox4x32-10 blocks at once in AVX-512 registers, for kernels that use the words where
/// they are made instead of storing them first (philox_fill is built on it).
///
/// Each 64-bit lane holds one block: word w of the block is in the low 32 bits of lane j of
/// result w (the high halves are garbage: mask them before using a word as a number). The bits
/// are those of RandomKey::block. Compiled only for x86-64 with GCC or Clang; a caller tests
/// CANOPY_PHILOX_AVX512 and chooses the function at run time (have_avx512()).

#if defined(__x86_64__) && defined(__GNUC__)
#include <cstdint>
#include <immintrin.h>

#define CANOPY_PHILOX_AVX512 1

namespace canopy::engine {

/// Philox4x32's round multipliers and the Weyl increments of its round keys (Random123's), for
/// the vector paths here and in random.cpp.
inline constexpr std::uint32_t PHILOX_M0 = 0xD2511F53;
inline constexpr std::uint32_t PHILOX_M1 = 0xCD9E8D57;
inline constexpr std::uint32_t PHILOX_W0 = 0x9E3779B9;
inline constexpr std::uint32_t PHILOX_W1 = 0xBB67AE85;

/// The four words of eight Philox blocks (see the file comment).
struct Philox8 {
    __m512i w0, w1, w2, w3;
};

/// Philox4x32-10 of the counters (x0, x1, x2, x3) (each lane one block, counters in the low
/// 32 bits) under the key (k0, k1). vpmuludq multiplies the low halves only, so the high halves
/// of the counters are never cleared.
[[gnu::always_inline, gnu::target("avx512f")]] inline Philox8
philox8_avx512(__m512i x0, __m512i x1, __m512i x2, __m512i x3, std::uint32_t k0,
               std::uint32_t k1) noexcept {
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi64(PHILOX_M1);
    for (int round = 0; round < 10; ++round) {
        const __m512i p0 = _mm512_mul_epu32(x0, m0);
        const __m512i p1 = _mm512_mul_epu32(x2, m1);
        x0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), x1, _mm512_set1_epi64(k0), 0x96);
        x2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), x3, _mm512_set1_epi64(k1), 0x96);
        x1 = p1;
        x3 = p0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    return {x0, x1, x2, x3};
}

/// Whether this CPU runs AVX2.
[[nodiscard]] inline bool have_avx2() noexcept {
    static const bool yes = __builtin_cpu_supports("avx2") != 0;
    return yes;
}

/// Whether this CPU runs AVX-512 F, VL, BW and DQ (what the kernels built on this header use).
[[nodiscard]] inline bool have_avx512() noexcept {
    static const bool yes =
        __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512vl") != 0 &&
        __builtin_cpu_supports("avx512bw") != 0 && __builtin_cpu_supports("avx512dq") != 0;
    return yes;
}

} // namespace canopy::engine
#endif
