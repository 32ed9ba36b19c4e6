#pragma once
/// \file philox_avx512.hpp
/// Eight Philox4x32-10 blocks at once in AVX-512 registers, for kernels that use the words where
/// they are made instead of storing them first (philox_fill is built on it), and the part of
/// the first three rounds that a fill's blocks share, worked out once per fill.
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

/// A Philox round: p0 = x0 M0, p1 = x2 M1 (32 x 32 -> 64 bits); x0 = hi(p1) ^ x1 ^ k0,
/// x1 = lo(p1), x2 = hi(p0) ^ x3 ^ k1, x3 = lo(p0). In one fill every block's counter words but
/// the first (step, purpose and block index, replicate) are the same, and so are parts of the
/// first three rounds: round 1's x2 M1 (so the x0 and x1 it leaves), round 2's x0 M0 (so the x3 it
/// leaves), round 3's x3. Worked out once per fill (here, in scalar code), they leave 3 + 4 + 7
/// vector operations for those rounds instead of 3 x 8 (3 x 6 with AVX-512's three-way exclusive
/// or): the same arithmetic, exclusive ors of constants done first, so the same words.
struct PhiloxHeadWords {
    std::uint32_t round1_x2; ///< round 1's x2 after the product: x3 ^ k1
    std::uint32_t round2_x0; ///< round 2's x0 after the product: (x1 after round 1) ^ k0
    std::uint32_t round2_x2; ///< round 2's x2 after x3: hi(x0 M0) ^ k1, x0 after round 1 constant
    std::uint32_t round3_x2; ///< round 3's x2 after the product: (x3 after round 2) ^ k1
    std::uint32_t k0[10];
    std::uint32_t k1[10];
};

/// The shared part of a fill whose blocks' counters are (x0, x1, x2, x3), x0 varying, under the
/// key (k0, k1).
[[nodiscard]] inline PhiloxHeadWords philox_head_words(std::uint32_t x1, std::uint32_t x2,
                                                       std::uint32_t x3, std::uint32_t k0,
                                                       std::uint32_t k1) noexcept {
    PhiloxHeadWords h; // NOLINT(cppcoreguidelines-pro-type-member-init): every member set below
    for (int round = 0; round < 10; ++round) {
        h.k0[round] = k0;
        h.k1[round] = k1;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    const std::uint64_t p1 = std::uint64_t{x2} * PHILOX_M1; // round 1
    const std::uint32_t x0_after_1 = static_cast<std::uint32_t>(p1 >> 32) ^ x1 ^ h.k0[0];
    const auto x1_after_1 = static_cast<std::uint32_t>(p1);
    const std::uint64_t q0 = std::uint64_t{x0_after_1} * PHILOX_M0; // round 2
    h.round1_x2 = x3 ^ h.k1[0];
    h.round2_x0 = x1_after_1 ^ h.k0[1];
    h.round2_x2 = static_cast<std::uint32_t>(q0 >> 32) ^ h.k1[1];
    h.round3_x2 = static_cast<std::uint32_t>(q0) ^ h.k1[2];
    return h;
}

/// Philox4x32-10 of eight blocks whose first counter words are x0 (low halves of the lanes) and
/// whose other counter words and key gave h: rounds 1-3 from h (see PhiloxHeadWords), then
/// rounds 4-10. The words of RandomKey::block.
[[gnu::always_inline, gnu::target("avx512f")]] inline Philox8
philox8_from_head(__m512i x0, const PhiloxHeadWords& h) noexcept {
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi64(PHILOX_M1);
    const __m512i r1 = _mm512_mul_epu32(x0, m0); // round 1: x3 = r1
    const __m512i x2 = _mm512_xor_si512(_mm512_srli_epi64(r1, 32), _mm512_set1_epi64(h.round1_x2));
    const __m512i r2 = _mm512_mul_epu32(x2, m1); // round 2: x1 = r2
    const __m512i y0 = _mm512_xor_si512(_mm512_srli_epi64(r2, 32), _mm512_set1_epi64(h.round2_x0));
    const __m512i y2 = _mm512_xor_si512(r1, _mm512_set1_epi64(h.round2_x2));
    const __m512i p0 = _mm512_mul_epu32(y0, m0); // round 3
    const __m512i p1 = _mm512_mul_epu32(y2, m1);
    __m512i w0 =
        _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), r2, _mm512_set1_epi64(h.k0[2]), 0x96);
    __m512i w1 = p1;
    __m512i w2 = _mm512_xor_si512(_mm512_srli_epi64(p0, 32), _mm512_set1_epi64(h.round3_x2));
    __m512i w3 = p0;
    for (int round = 3; round < 10; ++round) {
        const __m512i q0 = _mm512_mul_epu32(w0, m0);
        const __m512i q1 = _mm512_mul_epu32(w2, m1);
        w0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(q1, 32), w1,
                                       _mm512_set1_epi64(h.k0[round]), 0x96);
        w2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(q0, 32), w3,
                                       _mm512_set1_epi64(h.k1[round]), 0x96);
        w1 = q1;
        w3 = q0;
    }
    return {w0, w1, w2, w3};
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
