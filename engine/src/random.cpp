#include <canopy/engine/compiler.hpp>
#include <canopy/engine/philox_avx512.hpp>
#include <canopy/engine/philox_paths.hpp>
#include <canopy/engine/philox_wide.hpp>
#include <canopy/engine/random.hpp>

#ifdef CANOPY_PHILOX_AVX512
// GCC 12 warns that the intrinsics' own "undefined" pass-through vectors may be used
// uninitialised (they are not: the operations write every lane).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace canopy::engine {

namespace {

// One independent Philox block per iteration: the loop the compiler vectorises across
// iterations where it can (the portable path). Agent j is first_agent + j, or agents[j] when
// agents is not null.
void philox_fill_portable(const RandomKey& key, std::uint32_t first_agent,
                          const std::uint32_t* agents, std::uint32_t step, std::uint32_t c2,
                          std::size_t count, std::uint32_t* out) noexcept {
    const r123::Philox4x32 gen;
    const r123::Philox4x32::key_type k = {
        {static_cast<std::uint32_t>(key.seed), static_cast<std::uint32_t>(key.seed >> 32)}};
    for (std::size_t j = 0; j < count; ++j) {
        const std::uint32_t agent =
            agents != nullptr ? agents[j] : first_agent + static_cast<std::uint32_t>(j);
        const r123::Philox4x32::ctr_type c = {{agent, step, c2, key.replicate}};
        const auto r = gen(c, k);
        out[4 * j + 0] = r[0];
        out[4 * j + 1] = r[1];
        out[4 * j + 2] = r[2];
        out[4 * j + 3] = r[3];
    }
}

#ifdef CANOPY_PHILOX_AVX512
// The same blocks, eight at a time, written with AVX-512 intrinsics: each 64-bit lane holds one
// block's 32-bit word in its low half. The compiler's own vectorisation of the loop above
// multiplies in full 64-bit lanes (vpmullq) after zero-extending; Philox only needs the
// 32 x 32 -> 64-bit products vpmuludq gives, which also ignores the high halves, so they are
// never cleared: every word that feeds a product or the output is read in its low 32 bits only.
// About 2.5 times faster than the compiler's clone; the same bits (Philox4x32-10 as Random123).
// The first three rounds' shared part is worked out once per fill (PhiloxHeadWords: the fill at
// 0.87-0.90 of its time, in-process A/B on Zen 4).
// The blocks of agents [0, count) (agents[j], or first_agent + j), eight at a time, each group
// handed to store(p, j0, in_range, left): in_range masks the group's blocks below count, left is
// count - j0.
template <class Store>
[[gnu::always_inline, gnu::target("avx512f,avx512vl")]] inline void
philox_groups_avx512(const RandomKey& key, std::uint32_t first_agent, const std::uint32_t* agents,
                     std::uint32_t step, std::uint32_t c2, std::size_t count,
                     const Store& store) noexcept {
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const PhiloxHeadWords head =
        philox_head_words(step, c2, key.replicate, static_cast<std::uint32_t>(key.seed),
                          static_cast<std::uint32_t>(key.seed >> 32));
    for (std::size_t j0 = 0; j0 < count; j0 += 8) {
        const std::size_t left = count - j0;
        const auto in_range =
            static_cast<__mmask8>(left >= 8 ? 0xFFU : (1U << static_cast<unsigned>(left)) - 1U);
        const __m512i x0 =
            agents != nullptr
                ? _mm512_cvtepu32_epi64(_mm256_maskz_loadu_epi32(in_range, agents + j0))
                : _mm512_add_epi64(_mm512_set1_epi64(first_agent + static_cast<std::uint32_t>(j0)),
                                   lane);
        store(philox8_from_head(x0, head), j0, in_range, left);
    }
}

// Stores eight blocks' words in block order at out[4 j0 ..], the ragged last group under masks.
struct StoreInterleaved8 {
    std::uint32_t* out;
    [[gnu::always_inline, gnu::target("avx512f,avx512vl")]] void
    operator()(const Philox8& p, std::size_t j0, __mmask8, std::size_t left) const noexcept {
        const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
        // Blocks 0-3 then 4-7 of the eight, each block's words 0-3 consecutive.
        const __m512i first_half = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
        const __m512i second_half = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
        // Words 0 and 1, and 2 and 3, of each block packed into 64 bits, then interleaved.
        const __m512i w01 =
            _mm512_or_si512(_mm512_and_si512(p.w0, low), _mm512_slli_epi64(p.w1, 32));
        const __m512i w23 =
            _mm512_or_si512(_mm512_and_si512(p.w2, low), _mm512_slli_epi64(p.w3, 32));
        const __m512i even = _mm512_unpacklo_epi64(w01, w23); // blocks 0, 2, 4, 6
        const __m512i odd = _mm512_unpackhi_epi64(w01, w23);  // blocks 1, 3, 5, 7
        const __m512i lo = _mm512_permutex2var_epi64(even, first_half, odd);
        const __m512i hi = _mm512_permutex2var_epi64(even, second_half, odd);
        if (left >= 8) {
            _mm512_storeu_si512(out + 4 * j0, lo);
            _mm512_storeu_si512(out + 4 * j0 + 16, hi);
        } else {
            const auto words = static_cast<unsigned>(4 * left);
            const auto lo_mask = static_cast<__mmask16>(words >= 16 ? 0xFFFFU : (1U << words) - 1U);
            const auto hi_mask =
                static_cast<__mmask16>(words > 16 ? (1U << (words - 16)) - 1U : 0U);
            _mm512_mask_storeu_epi32(out + 4 * j0, lo_mask, lo);
            _mm512_mask_storeu_epi32(out + 4 * j0 + 16, hi_mask, hi);
        }
    }
};

__attribute__((target("avx512f,avx512vl"))) void
philox_fill_avx512(const RandomKey& key, std::uint32_t first_agent, const std::uint32_t* agents,
                   std::uint32_t step, std::uint32_t c2, std::size_t count,
                   std::uint32_t* out) noexcept {
    philox_groups_avx512(key, first_agent, agents, step, c2, count, StoreInterleaved8{out});
}

#endif

#ifdef CANOPY_PHILOX_AVX512
// Four Philox blocks in the 64-bit lanes of AVX2 registers, as philox8_from_head does eight: word w
// of block j in the low half of lane j of x[w] (the high halves of x1 and x3 are garbage).
struct Philox4 {
    __m256i w0, w1, w2, w3;
};

// PhiloxHeadWords with its four words broadcast (the fill_wide AVX2 path at 0.94-0.95 of its
// time with them, in-process A/B on Zen 3).
struct PhiloxHead {
    PhiloxHeadWords words; ///< the round keys k0[round], k1[round] are read from here
    __m256i round1_x2, round2_x0, round2_x2, round3_x2;
};

[[gnu::always_inline, gnu::target("avx2")]] inline PhiloxHead
philox_head(std::uint32_t x1, std::uint32_t x2, std::uint32_t x3, std::uint32_t k0,
            std::uint32_t k1) noexcept {
    const PhiloxHeadWords w = philox_head_words(x1, x2, x3, k0, k1);
    return {w, _mm256_set1_epi64x(w.round1_x2), _mm256_set1_epi64x(w.round2_x0),
            _mm256_set1_epi64x(w.round2_x2), _mm256_set1_epi64x(w.round3_x2)};
}

// Rounds 1-3 of four blocks with first counter words x0; rounds 4-10 follow in the caller.
[[gnu::always_inline, gnu::target("avx2")]] inline Philox4
philox_first_rounds(__m256i x0, const PhiloxHead& h) noexcept {
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi64x(PHILOX_M1);
    const __m256i r1 = _mm256_mul_epu32(x0, m0); // round 1: x3 = r1
    const __m256i x2 = _mm256_xor_si256(_mm256_srli_epi64(r1, 32), h.round1_x2);
    const __m256i r2 = _mm256_mul_epu32(x2, m1); // round 2: x1 = r2
    const __m256i y0 = _mm256_xor_si256(_mm256_srli_epi64(r2, 32), h.round2_x0);
    const __m256i y2 = _mm256_xor_si256(r1, h.round2_x2);
    const __m256i p0 = _mm256_mul_epu32(y0, m0); // round 3
    const __m256i p1 = _mm256_mul_epu32(y2, m1);
    return {_mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), r2),
                             _mm256_set1_epi64x(h.words.k0[2])),
            p1, _mm256_xor_si256(_mm256_srli_epi64(p0, 32), h.round3_x2), p0};
}

[[gnu::always_inline, gnu::target("avx2")]] inline Philox4
philox4_avx2(__m256i counters, const PhiloxHead& h) noexcept {
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi64x(PHILOX_M1);
    const Philox4 first = philox_first_rounds(counters, h);
    __m256i x0 = first.w0, x1 = first.w1, x2 = first.w2, x3 = first.w3;
    for (int round = 3; round < 10; ++round) {
        const __m256i p0 = _mm256_mul_epu32(x0, m0);
        const __m256i p1 = _mm256_mul_epu32(x2, m1);
        x0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1),
                              _mm256_set1_epi64x(h.words.k0[round]));
        x2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3),
                              _mm256_set1_epi64x(h.words.k1[round]));
        x1 = p1;
        x3 = p0;
    }
    return {x0, x1, x2, x3};
}

// Twelve blocks: three groups of four with their rounds interleaved. A round's chain (multiply,
// shift, two exclusive ors) takes about six cycles, so one group leaves the multipliers idle and
// two still wait; three keep them busy in sixteen registers (four would spill).
[[gnu::always_inline, gnu::target("avx2")]] inline void
philox12_avx2(__m256i a, __m256i b, __m256i c, const PhiloxHead& h, Philox4* out) noexcept {
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi64x(PHILOX_M1);
    const Philox4 fa = philox_first_rounds(a, h);
    const Philox4 fb = philox_first_rounds(b, h);
    const Philox4 fc = philox_first_rounds(c, h);
    __m256i w0[3] = {fa.w0, fb.w0, fc.w0};
    __m256i w1[3] = {fa.w1, fb.w1, fc.w1};
    __m256i w2[3] = {fa.w2, fb.w2, fc.w2};
    __m256i w3[3] = {fa.w3, fb.w3, fc.w3};
    for (int round = 3; round < 10; ++round) {
        const __m256i key0 = _mm256_set1_epi64x(h.words.k0[round]);
        const __m256i key1 = _mm256_set1_epi64x(h.words.k1[round]);
        for (int g = 0; g < 3; ++g) {
            const __m256i p0 = _mm256_mul_epu32(w0[g], m0);
            const __m256i p1 = _mm256_mul_epu32(w2[g], m1);
            w0[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), w1[g]), key0);
            w2[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), w3[g]), key1);
            w1[g] = p1;
            w3[g] = p0;
        }
    }
    for (int g = 0; g < 3; ++g) {
        out[g] = {w0[g], w1[g], w2[g], w3[g]};
    }
}

// Stores four blocks' words in block order (out[4 j + w] = word w of block j).
[[gnu::always_inline, gnu::target("avx2")]] inline void store4_avx2(const Philox4& p,
                                                                    std::uint32_t* out) noexcept {
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFF);
    const __m256i w01 = _mm256_or_si256(_mm256_and_si256(p.w0, low), _mm256_slli_epi64(p.w1, 32));
    const __m256i w23 = _mm256_or_si256(_mm256_and_si256(p.w2, low), _mm256_slli_epi64(p.w3, 32));
    const __m256i even = _mm256_unpacklo_epi64(w01, w23); // blocks 0 and 2
    const __m256i odd = _mm256_unpackhi_epi64(w01, w23);  // blocks 1 and 3
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                        _mm256_permute2x128_si256(even, odd, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8),
                        _mm256_permute2x128_si256(even, odd, 0x31));
}

// The counters (first words) of blocks j0 .. j0 + 3: agents[j], or first_agent + j.
[[gnu::always_inline, gnu::target("avx2")]] inline __m256i
counters4_avx2(std::uint32_t first_agent, const std::uint32_t* agents, std::size_t j0) noexcept {
    if (agents != nullptr) {
        return _mm256_cvtepu32_epi64(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(agents + j0)));
    }
    return _mm256_add_epi64(_mm256_set1_epi64x(first_agent + static_cast<std::uint32_t>(j0)),
                            _mm256_set_epi64x(3, 2, 1, 0));
}

// The blocks of agents [0, count) (agents[j], or first_agent + j) on CPUs with AVX2 but not
// AVX-512 (most laptops), four blocks per vector, three vectors per iteration (then two) so that
// one's multiplications overlap the others', each group of four handed to store(p, j0); returns
// how many blocks it made (count rounded down to a multiple of 4: the caller makes the rest on
// the portable path). The same bits as philox_fill_avx512.
template <class Store>
[[gnu::always_inline, gnu::target("avx2")]] inline std::size_t
philox_groups_avx2(const RandomKey& key, std::uint32_t first_agent, const std::uint32_t* agents,
                   std::uint32_t step, std::uint32_t c2, std::size_t count,
                   const Store& store) noexcept {
    const PhiloxHead head =
        philox_head(step, c2, key.replicate, static_cast<std::uint32_t>(key.seed),
                    static_cast<std::uint32_t>(key.seed >> 32));
    std::size_t j0 = 0;
    for (; j0 + 12 <= count; j0 += 12) {
        Philox4 p[3];
        philox12_avx2(counters4_avx2(first_agent, agents, j0),
                      counters4_avx2(first_agent, agents, j0 + 4),
                      counters4_avx2(first_agent, agents, j0 + 8), head, p);
        store(p[0], j0);
        store(p[1], j0 + 4);
        store(p[2], j0 + 8);
    }
    for (; j0 + 8 <= count; j0 += 8) {
        const Philox4 a = philox4_avx2(counters4_avx2(first_agent, agents, j0), head);
        const Philox4 b = philox4_avx2(counters4_avx2(first_agent, agents, j0 + 4), head);
        store(a, j0);
        store(b, j0 + 4);
    }
    if (j0 + 4 <= count) {
        store(philox4_avx2(counters4_avx2(first_agent, agents, j0), head), j0);
        j0 += 4;
    }
    return j0;
}

// Stores four blocks' words in block order at out[4 j0 ..] (philox_fill's layout).
struct StoreInterleaved {
    std::uint32_t* out;
    [[gnu::always_inline, gnu::target("avx2")]] void operator()(const Philox4& p,
                                                                std::size_t j0) const noexcept {
        store4_avx2(p, out + 4 * j0);
    }
};

[[gnu::target("avx2")]] CANOPY_SCHEDULE_FOR_PRESSURE void
philox_fill_avx2(const RandomKey& key, std::uint32_t first_agent, const std::uint32_t* agents,
                 std::uint32_t step, std::uint32_t c2, std::size_t count,
                 std::uint32_t* out) noexcept {
    const std::size_t j0 =
        philox_groups_avx2(key, first_agent, agents, step, c2, count, StoreInterleaved{out});
    philox_fill_portable(key, first_agent + static_cast<std::uint32_t>(j0),
                         agents != nullptr ? agents + j0 : nullptr, step, c2, count - j0,
                         out + 4 * j0);
}
#endif

// philox_fill_wide's layout (words[w][j]), one Random123 call per block.
void philox_fill_wide_portable(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                               std::uint32_t c2, std::size_t count,
                               std::uint64_t* const words[4]) noexcept {
    const r123::Philox4x32 gen;
    const r123::Philox4x32::key_type k = {
        {static_cast<std::uint32_t>(key.seed), static_cast<std::uint32_t>(key.seed >> 32)}};
    for (std::size_t j = 0; j < count; ++j) {
        const r123::Philox4x32::ctr_type c = {
            {first_agent + static_cast<std::uint32_t>(j), step, c2, key.replicate}};
        const auto r = gen(c, k);
        for (std::size_t w = 0; w < 4; ++w) {
            words[w][j] = r[w];
        }
    }
}

#ifdef CANOPY_PHILOX_AVX512
// Stores four blocks' words, each zero-extended, at words[w][j0 ..].
[[gnu::always_inline, gnu::target("avx2")]] inline void
store4_wide_avx2(const Philox4& p, std::uint64_t* const words[4], std::size_t j0) noexcept {
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFF);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[0] + j0), _mm256_and_si256(p.w0, low));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[1] + j0), _mm256_and_si256(p.w1, low));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[2] + j0), _mm256_and_si256(p.w2, low));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[3] + j0), _mm256_and_si256(p.w3, low));
}

// Stores four blocks' words, each zero-extended, at words[w][j0 ..] (philox_fill_wide's layout).
struct StoreWide {
    std::uint64_t* const* words;
    [[gnu::always_inline, gnu::target("avx2")]] void operator()(const Philox4& p,
                                                                std::size_t j0) const noexcept {
        store4_wide_avx2(p, words, j0);
    }
};

// The same, four blocks per vector: each word is already in the low half of a 64-bit lane.
[[gnu::target("avx2")]] CANOPY_SCHEDULE_FOR_PRESSURE void
philox_fill_wide_avx2(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                      std::uint32_t c2, std::size_t count, std::uint64_t* const words[4]) noexcept {
    const std::size_t j0 =
        philox_groups_avx2(key, first_agent, nullptr, step, c2, count, StoreWide{words});
    std::uint64_t* const rest[4] = {words[0] + j0, words[1] + j0, words[2] + j0, words[3] + j0};
    philox_fill_wide_portable(key, first_agent + static_cast<std::uint32_t>(j0), step, c2,
                              count - j0, rest);
}

// Stores eight blocks' words, each zero-extended, at words[w][j0 ..], the ragged last group
// under a mask.
struct StoreWide8 {
    std::uint64_t* const* words;
    [[gnu::always_inline, gnu::target("avx512f,avx512vl")]] void
    operator()(const Philox8& p, std::size_t j0, __mmask8 in_range, std::size_t) const noexcept {
        const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
        _mm512_mask_storeu_epi64(words[0] + j0, in_range, _mm512_and_si512(p.w0, low));
        _mm512_mask_storeu_epi64(words[1] + j0, in_range, _mm512_and_si512(p.w1, low));
        _mm512_mask_storeu_epi64(words[2] + j0, in_range, _mm512_and_si512(p.w2, low));
        _mm512_mask_storeu_epi64(words[3] + j0, in_range, _mm512_and_si512(p.w3, low));
    }
};

// The same, eight blocks per vector.
__attribute__((target("avx512f,avx512vl"))) void
philox_fill_wide_avx512(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                        std::uint32_t c2, std::size_t count,
                        std::uint64_t* const words[4]) noexcept {
    philox_groups_avx512(key, first_agent, nullptr, step, c2, count, StoreWide8{words});
}
#endif

} // namespace

namespace detail {

bool philox_path_available(PhiloxPath path) noexcept {
    switch (path) {
    case PhiloxPath::portable:
        return true;
#ifdef CANOPY_PHILOX_AVX512
    case PhiloxPath::avx2:
        return have_avx2();
    case PhiloxPath::avx512:
        return have_avx512();
#endif
    default:
        return false;
    }
}

PhiloxPath philox_best_path() noexcept {
#ifdef CANOPY_PHILOX_AVX512
    if (have_avx512()) {
        return PhiloxPath::avx512;
    }
    if (have_avx2()) {
        return PhiloxPath::avx2;
    }
#endif
    return PhiloxPath::portable;
}

void philox_fill_path(PhiloxPath path, const RandomKey& key, std::uint32_t first_agent,
                      const std::uint32_t* agents, std::uint32_t step, std::uint32_t c2,
                      std::size_t count, std::uint32_t* out) noexcept {
    switch (path) {
#ifdef CANOPY_PHILOX_AVX512
    case PhiloxPath::avx512:
        philox_fill_avx512(key, first_agent, agents, step, c2, count, out);
        return;
    case PhiloxPath::avx2:
        philox_fill_avx2(key, first_agent, agents, step, c2, count, out);
        return;
#endif
    default:
        philox_fill_portable(key, first_agent, agents, step, c2, count, out);
        return;
    }
}

void philox_fill_wide_path(PhiloxPath path, const RandomKey& key, std::uint32_t first_agent,
                           std::uint32_t step, std::uint32_t c2, std::size_t count,
                           std::uint64_t* const words[4]) noexcept {
    switch (path) {
#ifdef CANOPY_PHILOX_AVX512
    case PhiloxPath::avx512:
        philox_fill_wide_avx512(key, first_agent, step, c2, count, words);
        return;
    case PhiloxPath::avx2:
        philox_fill_wide_avx2(key, first_agent, step, c2, count, words);
        return;
#endif
    default:
        philox_fill_wide_portable(key, first_agent, step, c2, count, words);
        return;
    }
}

} // namespace detail

void philox_fill(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                 Purpose purpose, std::size_t count, std::uint32_t* out,
                 std::uint16_t block) noexcept {
    const std::uint32_t c2 = (std::uint32_t{purpose} << 16) | block;
    static const detail::PhiloxPath path = detail::philox_best_path();
    detail::philox_fill_path(path, key, first_agent, nullptr, step, c2, count, out);
}

void philox_fill_agents(const RandomKey& key, const std::uint32_t* agents, std::uint32_t step,
                        Purpose purpose, std::size_t count, std::uint32_t* out,
                        std::uint16_t block) noexcept {
    const std::uint32_t c2 = (std::uint32_t{purpose} << 16) | block;
    static const detail::PhiloxPath path = detail::philox_best_path();
    detail::philox_fill_path(path, key, 0, agents, step, c2, count, out);
}

void philox_fill_wide(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                      Purpose purpose, std::size_t count, std::uint64_t* const words[4],
                      std::uint16_t block) noexcept {
    const std::uint32_t c2 = (std::uint32_t{purpose} << 16) | block;
    static const detail::PhiloxPath path = detail::philox_best_path();
    detail::philox_fill_wide_path(path, key, first_agent, step, c2, count, words);
}

} // namespace canopy::engine
