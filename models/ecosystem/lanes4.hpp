#pragma once
// Four 64-bit lanes of AVX2, for the ecosystem model's kernels written with GCC's vector
// extensions (decide's pass 1, the initial attributes): types, loads and stores between the
// model's narrow columns and the lanes, and the scalar code's helpers (small_to_double,
// positive_part, pick, table_draw, u01_open) lane by lane, with the same arithmetic so that a
// kernel gives the bits of the scalar loop it stands for.
//
// Every function is always inlined into a function compiled for AVX2; include this header only
// from translation units that call them from such functions (and check the CPU first).
#include "ecosystem/detail.hpp"

#include <canopy/engine/one_hot.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <immintrin.h>

namespace canopy::models::ecosystem::detail {

namespace x4 {

// The helpers below take and return 32-byte vectors; they are always inlined into the AVX2
// kernel, so no call ever passes one (GCC warns of the ABI such a call would have without AVX).
#pragma GCC diagnostic ignored "-Wpsabi"

using D = double __attribute__((vector_size(32)));
using I = std::int64_t __attribute__((vector_size(32)));

// Loads and stores by intrinsics: GCC's conversions between these vector types go lane by lane
// through general registers.
[[gnu::always_inline, gnu::target("avx2")]] inline I bytes(const std::uint8_t* p) {
    std::int32_t b;
    std::memcpy(&b, p, sizeof b);
    return std::bit_cast<I>(_mm256_cvtepu8_epi64(_mm_cvtsi32_si128(b)));
}
[[gnu::always_inline, gnu::target("avx2")]] inline I shorts(const std::int16_t* p) {
    std::int64_t s;
    std::memcpy(&s, p, sizeof s);
    return std::bit_cast<I>(_mm256_cvtepi16_epi64(_mm_cvtsi64_si128(s)));
}
[[gnu::always_inline, gnu::target("avx2")]] inline D floats(const float* p) {
    return std::bit_cast<D>(_mm256_cvtps_pd(_mm_loadu_ps(p)));
}
[[gnu::always_inline, gnu::target("avx2")]] inline I words(const std::uint64_t* p) {
    return std::bit_cast<I>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
// The low 32 bits of each lane, as four consecutive 32-bit values.
[[gnu::always_inline, gnu::target("avx2")]] inline __m128i low_halves(I v) {
    return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
        std::bit_cast<__m256i>(v), _mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0)));
}
[[gnu::always_inline, gnu::target("avx2")]] inline void put(std::uint32_t* p, I v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), low_halves(v));
}
// Lanes holding values below 256, stored as four bytes.
[[gnu::always_inline, gnu::target("avx2")]] inline void put_bytes(std::uint8_t* p, I v) {
    const __m128i w = low_halves(v);
    const std::int32_t b = _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packus_epi32(w, w), w));
    std::memcpy(p, &b, sizeof b);
}
[[gnu::always_inline, gnu::target("avx2")]] inline I shift_left(I v, I n) {
    return std::bit_cast<I>(
        _mm256_sllv_epi64(std::bit_cast<__m256i>(v), std::bit_cast<__m256i>(n)));
}
[[gnu::always_inline, gnu::target("avx2")]] inline I shift_right(I v, int n) {
    return std::bit_cast<I>(_mm256_srli_epi64(std::bit_cast<__m256i>(v), n));
}
// The four 16-bit fields of each lane, each times the field of `weights` in its place (0 or 1),
// summed: one multiply-add of the fields in pairs, then the two pairs' sums. The multiply-add
// reads the fields as signed: exact for fields below 2^15 (MADD_COUNT_LIMIT). Three operations
// fewer than masking the lane and adding its fields with shifts, and on the multiplier pipes
// rather than the shifters, which the capability loop keeps busiest.
[[gnu::always_inline, gnu::target("avx2")]] inline I weighted_field_sum(I w, I weights) {
    const I pairs = std::bit_cast<I>(
        _mm256_madd_epi16(std::bit_cast<__m256i>(w), std::bit_cast<__m256i>(weights)));
    return (pairs & 0xFFFFFFFFLL) + shift_right(pairs, 32);
}
// small_to_double, positive_part and pick of the scalar loop, lane by lane.
[[gnu::always_inline, gnu::target("avx2")]] inline D to_double(I x) {
    return std::bit_cast<D>(x | 0x4330000000000000LL) - 0x1.0p52;
}
[[gnu::always_inline, gnu::target("avx2")]] inline D positive(D x) {
    return std::bit_cast<D>(std::bit_cast<I>(x) & (x > 0.0));
}
[[gnu::always_inline, gnu::target("avx2")]] inline D pick(I cond, D a, D b) {
    return std::bit_cast<D>((std::bit_cast<I>(a) & cond) | (std::bit_cast<I>(b) & ~cond));
}
[[gnu::always_inline, gnu::target("avx2")]] inline I pick(I cond, I a, I b) {
    return (a & cond) | (b & ~cond);
}

// Sign masks: a condition held in the sign bit of each lane only (its other bits are anything),
// which is all AVX2's blends read. A flag bit shifted up to the sign is one instruction with an
// immediate, where a full mask of the flag is an AND and a comparison with a constant from
// memory. Sign masks combine with & | ~ (and full masks) bit for bit, select with pick_sign, and
// never feed pick or an AND with a value, which need full masks.
template <std::int64_t BIT>
[[gnu::always_inline, gnu::target("avx2")]] inline I flag_sign(I flags) {
    static_assert(std::has_single_bit(static_cast<std::uint64_t>(BIT)));
    return std::bit_cast<I>(_mm256_slli_epi64(
        std::bit_cast<__m256i>(flags), 63 - std::countr_zero(static_cast<std::uint64_t>(BIT))));
}
// The flag bit BIT of each lane moved to bit TO, every other bit clear (to count flags).
template <std::int64_t BIT, int TO>
[[gnu::always_inline, gnu::target("avx2")]] inline I flag_to(I flags) {
    constexpr int from = std::countr_zero(static_cast<std::uint64_t>(BIT));
    static_assert(std::has_single_bit(static_cast<std::uint64_t>(BIT)) && from <= TO && TO < 63);
    return std::bit_cast<I>(_mm256_slli_epi64(std::bit_cast<__m256i>(flags), TO - from)) &
           (std::int64_t{1} << TO);
}
[[gnu::always_inline, gnu::target("avx2")]] inline D pick_sign(I sign, D a, D b) {
    return std::bit_cast<D>(_mm256_blendv_pd(std::bit_cast<__m256d>(b), std::bit_cast<__m256d>(a),
                                             std::bit_cast<__m256d>(sign)));
}
[[gnu::always_inline, gnu::target("avx2")]] inline I pick_sign(I sign, I a, I b) {
    return std::bit_cast<I>(pick_sign(sign, std::bit_cast<D>(a), std::bit_cast<D>(b)));
}

// The rest of the scalar helpers, for the attribute draws.
// Lanes holding values that fit 16 bits, stored as four shorts.
[[gnu::always_inline, gnu::target("avx2")]] inline void put_shorts(std::int16_t* p, I v) {
    const __m128i w = low_halves(v);
    const std::int64_t b = _mm_cvtsi128_si64(_mm_packs_epi32(w, w));
    std::memcpy(p, &b, sizeof b);
}
// static_cast<float> of each lane, stored.
[[gnu::always_inline, gnu::target("avx2")]] inline void put_floats(float* p, D v) {
    _mm_storeu_ps(p, _mm256_cvtpd_ps(std::bit_cast<__m256d>(v)));
}
// static_cast<int> of each lane (truncation), widened to 64 bits.
[[gnu::always_inline, gnu::target("avx2")]] inline I truncated(D v) {
    return std::bit_cast<I>(_mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(std::bit_cast<__m256d>(v))));
}
// static_cast<double> of lanes holding 32-bit signed integers.
[[gnu::always_inline, gnu::target("avx2")]] inline D from_int(I v) {
    return std::bit_cast<D>(_mm256_cvtepi32_pd(low_halves(v)));
}
// detail::table_draw of the four words at w (each below 2^32). A draw's two knots are adjacent,
// so one 16-byte load fetches both, at a cell worked out in a general register from the word in
// memory: AVX2's gathers are microcoded on AMD's cores, and two of them were a third of the
// capability loop's time on Zen 3 (the loads and shifts use ports the kernels leave idle).
[[gnu::always_inline, gnu::target("avx2")]] inline D table_draw(const double* knots,
                                                                const std::uint64_t* w) {
    const auto pair = [knots, w](int i) {
        return _mm_loadu_pd(knots + (static_cast<std::uint32_t>(w[i]) >> 22));
    };
    const __m256d a = _mm256_insertf128_pd(_mm256_castpd128_pd256(pair(0)), pair(2), 1);
    const __m256d b = _mm256_insertf128_pd(_mm256_castpd128_pd256(pair(1)), pair(3), 1);
    const D low = std::bit_cast<D>(_mm256_unpacklo_pd(a, b));
    const D high = std::bit_cast<D>(_mm256_unpackhi_pd(a, b));
    const D frac = to_double(words(w) & 0x3FFFFF) * 0x1.0p-22;
    return low + (high - low) * frac;
}
// detail::u01 of words below 2^32.
[[gnu::always_inline, gnu::target("avx2")]] inline D u01(I word) {
    return (to_double(word) + 0.5) * 0x1.0p-32;
}
// engine::u01_open of the 64-bit word (high << 32) | low, for words below 2^32: its top 52 bits
// are below 2^52, so to_double is exact.
[[gnu::always_inline, gnu::target("avx2")]] inline D u01_open(I high, I low) {
    const I bits = std::bit_cast<I>(_mm256_slli_epi64(std::bit_cast<__m256i>(high), 32)) | low;
    return (to_double(shift_right(bits, 12)) + 0.5) * 0x1.0p-52;
}
// detail::at_least_001.
[[gnu::always_inline, gnu::target("avx2")]] inline D at_least_001(D c) {
    return pick(0.01 < c, c, D{} + 0.01);
}

// The model's stage, flag and sector codes as 64-bit lanes compare them.
namespace q {
constexpr std::int64_t INCUBATING = ecosystem::INCUBATING, SME = ecosystem::SME,
                       HIGH_TECH = ecosystem::HIGH_TECH, LEADER = ecosystem::LEADER,
                       EXITED = ecosystem::EXITED;
constexpr std::int64_t HAS_LOAN = ecosystem::HAS_LOAN, HAS_VC = ecosystem::HAS_VC,
                       REGISTERED = ecosystem::REGISTERED,
                       RND_INSTITUTION = ecosystem::RND_INSTITUTION,
                       PLATFORM_TIE = ecosystem::PLATFORM_TIE,
                       APPLIED_RENEWAL = ecosystem::APPLIED_RENEWAL;
constexpr std::int64_t OPTOELECTRONICS = ecosystem::OPTOELECTRONICS, BEIDOU = ecosystem::BEIDOU;
} // namespace q

// detail::sector_of and detail::sector_rd.
[[gnu::always_inline, gnu::target("avx2")]] inline I
sector_of(D u, const std::array<double, SECTOR_COUNT>& cumulative) {
    I k{};
    for (std::size_t m = 0; m < OTHER; ++m) {
        k -= u >= cumulative[m]; // a true comparison is -1
    }
    return k;
}
[[gnu::always_inline, gnu::target("avx2")]] inline I is_digital(I sector) {
    return (sector == q::OPTOELECTRONICS) | (sector == q::BEIDOU);
}
[[gnu::always_inline, gnu::target("avx2")]] inline D sector_rd(D rd, I sector,
                                                               double digital_premium) {
    const D digital = rd * (1.0 + digital_premium);
    return pick(is_digital(sector), pick(digital < 1.0, digital, D{} + 1.0), rd);
}

// Running places by sector, for loops that append units to per-sector lists in an order they
// must keep (the attachment pool): sector c's next place is lane c of one vector. Kept in memory,
// a place was read back by the next unit of the same sector just after the last had stored it
// (a store-to-load chain; and the CPU, issuing such a load before a store whose sector it did not
// yet know, often had to issue it again). take(c) returns sector c's place and moves it on.
class SectorPlaces {
public:
    static_assert(SECTOR_COUNT <= 8, "a sector's place is a lane of eight");
    [[gnu::always_inline, gnu::target("avx2")]] std::uint32_t take(std::uint8_t c) {
        const auto place = static_cast<std::uint32_t>(
            _mm256_cvtsi256_si32(_mm256_permutevar8x32_epi32(at_, _mm256_set1_epi32(c))));
        at_ = _mm256_add_epi32(
            at_, _mm256_load_si256(reinterpret_cast<const __m256i*>(engine::ONE_HOT_LANES[c])));
        return place;
    }
    /// Every sector's place (the units appended so far).
    [[gnu::always_inline, gnu::target("avx2")]] std::array<std::uint32_t, 8> all() const {
        std::array<std::uint32_t, 8> out{};
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.data()), at_);
        return out;
    }

private:
    __m256i at_{};
};

} // namespace x4

} // namespace canopy::models::ecosystem::detail
