#include "reference/reference_model.hpp"

#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/network_algorithms.hpp>
#include <canopy/engine/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <immintrin.h>
#include <span>
#include <type_traits>

namespace canopy::models::reference {

namespace {

using engine::Network;
using engine::Purpose;

// Random-stream purposes of this model; distinct so no two uses share numbers.
constexpr Purpose NETWORK = 1;
constexpr Purpose INITIAL_STAGE = 2;
constexpr Purpose DECIDE = 3;
constexpr Purpose BIRTH_COUNT = 4;
constexpr Purpose ATTACH = ATTACH_PURPOSE;

// Initial stage fractions (REFERENCE.md); SME takes the remainder.
constexpr double INITIAL_INCUBATED = 0.375;
constexpr double INITIAL_HIGH_TECH = 0.300;
constexpr double INITIAL_LEADER = 0.001;

// Peak resident bytes per firm at the horizon: BYTES_PER_FIRM + BYTES_PER_TIE x edges_per_firm.
// The network holds each of a firm's m ties twice (a 4-byte entry in each end's list: 8 m), and
// while it is built the generator's endpoints (8 m more) live beside it: 16 m at set-up. A
// newborn's ties cost 12 m (its list, and an 8-byte overflow entry in each elder's), and the
// renumbering once newborns have doubled the firms copies the network into 8 m per firm more:
// up to 20 m. Peak RSS of `canopy run` of one replicate, 12 months (5 Dec 2026), bytes per firm
// at the horizon against this estimate: 1,000,000 firms with m = 1, 3, 16, 64: 61, 97, 297,
// 1,065 (estimate 68, 108, 368, 1,328); 4,000,000 with m = 3, 16: 77, 285; 2,000,000 with
// m = 64: 1,057; 1,000,000 and 1,200,000 newborns with m = 3, 64: 95, 1,191. The old 40 bytes
// whatever m said 40 MB where a million firms with 64 ties peaked at 1.04 GB. (Below a
// million firms the process's own 15 MB or so, not counted here, dominates.)
constexpr double BYTES_PER_FIRM = 48.0;
constexpr double BYTES_PER_TIE = 20.0;

engine::ModelInfo make_info() {
    using engine::ParameterRole;
    using engine::SeriesKind;
    engine::ModelInfo m;
    m.name = "reference";
    m.description = "The fixed benchmark model of bench/REFERENCE.md";
    m.parameters = {
        {"firms",
         "firms",
         "Initial number of firms N",
         40000.0,
         {1.0, 4.0e9},
         ParameterRole::baseline,
         true},
        {"births_per_month",
         "firms/month",
         "Mean of the Poisson number of newborns per step",
         300.0,
         {0.0, 1.0e9},
         ParameterRole::parameter,
         false},
        {"edges_per_firm",
         "edges",
         "Barabási–Albert m: edges each new firm makes",
         3.0,
         {1.0, 64.0},
         ParameterRole::parameter,
         true},
    };
    m.levers = {
        {"lever_incubated",
         "multiplier",
         "LEVER[0] on the incubated promotion probability",
         1.0,
         {0.0, 1000.0},
         "enterprise"},
        {"lever_sme",
         "multiplier",
         "LEVER[1] on the SME promotion probability",
         1.0,
         {0.0, 1000.0},
         "enterprise"},
        {"lever_high_tech",
         "multiplier",
         "LEVER[2] on the high-tech promotion probability",
         1.0,
         {0.0, 1000.0},
         "enterprise"},
    };
    m.series = {
        {"incubated", "firms", "Active incubated firms at the end of the step", SeriesKind::stock},
        {"sme", "firms", "Active SMEs at the end of the step", SeriesKind::stock},
        {"high_tech", "firms", "Active high-tech firms at the end of the step", SeriesKind::stock},
        {"leader", "firms", "Active leaders at the end of the step", SeriesKind::stock},
        {"exits", "firms", "Firms that exited during the step", SeriesKind::flow},
        {"births", "firms", "Firms born during the step", SeriesKind::flow},
        {"agent_steps", "firm-steps", "Firms active at the start of the step", SeriesKind::flow},
    };
    // Every default is bench/REFERENCE.md's rule: the model is a fixed benchmark, not a city.
    for (auto& p : m.parameters) {
        p.provenance = "bench/REFERENCE.md (the fixed benchmark model)";
    }
    for (auto& l : m.levers) {
        l.provenance = "bench/REFERENCE.md: LEVER = (1, 1, 1) by default";
    }
    // At the default ties per firm (Model::bytes_per_agent follows edges_per_firm); 199
    // million agent-steps/s on one thread at N = 400,000, taken down to 100 million for larger,
    // cache-unfriendly runs.
    m.bytes_per_agent =
        BYTES_PER_FIRM + BYTES_PER_TIE * m.parameters[P_EDGES_PER_FIRM].default_value;
    m.agent_steps_per_second = 100e6;
    // Set-up, which the rate above leaves out: building a replicate's firms and network took
    // 291 and 354 ns per firm (2,000 and 40,000 firms; one thread, the run's time at 12 and 120
    // months extrapolated to none, on 2 shared cores), about 300 ns per firm at the horizon.
    // Without it the reference scenario's runs were estimated at a third of their time.
    m.setup_seconds_per_agent = 300e-9;
    // REFERENCE.md states its rules per monthly step (a Poisson number of births a month, the
    // promotion and exit bounds of a month's draw) and its output contract is monthly; applied
    // every week they would run the benchmark about 4.35 times too fast.
    m.weekly_steps = false;
    m.monthly_reason = "bench/REFERENCE.md states its births, promotions and exits per month";
    return m;
}

std::size_t rounded_count(double fraction, std::size_t n) {
    return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n)));
}

// Newborns per chunk of the parallel choice of partners.
constexpr std::size_t BIRTH_CHUNK = 512;

// Draws of each newborn made ahead for its whole birth chunk: two Philox blocks (a 64-bit word
// per draw). Three draws suffice unless a pick is rejected (an exited firm or a repeat).
constexpr std::size_t PREDRAWN = 4;
static_assert(PREDRAWN % 2 == 0, "the draws after the predrawn ones go a Philox block at a time");

// Firms per inner block: 16 Philox blocks of 4 words, one word per firm.
constexpr std::size_t BLOCK = 64;

// Up to this many chunks (131,072 firms) the changed stages are written on the calling thread.
constexpr std::size_t SERIAL_APPLY_CHUNKS = 8;

// Firm v's active neighbours at each stage, counted from its list (with multiplicity, as the
// network lists them) and the stages as they are.
NeighbourCounts count_neighbours(const Network& g, const std::uint8_t* stage, Network::Vertex v) {
    NeighbourCounts c{};
    g.for_each_neighbour(v, [&](Network::Vertex w) {
        const std::uint8_t s = stage[w];
        if (s <= LEADER) {
            ++c[s];
        }
    });
    return c;
}

// The per-stage numbers of one step's decisions as the decision loops compare them. With
// E = u32_threshold(EXIT[k]) and x = up_scale[k] * (1 + SPILLOVER * share), REFERENCE.md's rule is:
// exit if u < E, move up if u < E + trunc(x). Everything is compared as doubles or 32-bit integers,
// since AVX2 has no conversion between doubles and 64-bit integers (with them, its loop stayed
// scalar): a = u - E is an integer of magnitude below 2^32, exact as a double; u < E is a < 0,
// and, x being >= 0, a < trunc(x) = floor(x) exactly when a + 1 <= x. The word u enters as the
// int32 u - 2^31 (which AVX2 converts) and the thresholds as E - 2^31, so a comes out exact.
//
// The share matters only between two bounds: x = up_scale * (1 + SPILLOVER * share) lies between
// up_scale (share 0) and up_high = up_scale * (1 + SPILLOVER * 1) (share 1, the same operations),
// since share is at most 1 and rounding is monotone. So a + 1 <= up_scale moves up whatever the
// neighbours, a + 1 > up_high does not, and only a firm in between (about 1 % at REFERENCE.md's
// rates) needs its share, hence its list. (Exited firms and leaders have up_scale = up_high = 0:
// never in between.)
//
// Since a + 1 is an integer, a + 1 <= y (y >= 0) exactly when u <= E - 1 + floor(y): each
// of the three tests is a 32-bit word against a per-stage limit (last_word_at_most), which is how
// the AVX2 kernel's first pass compares them, eight firms a vector, with no conversion to double.
struct DecideConstants {
    std::array<double, 4> exit_below{}; // E - 2^31
    std::array<double, 4> up_scale{};   // up_scale[k], 0 for leaders
    std::array<double, 4> up_high{};    // up_scale[k] * (1 + SPILLOVER * 1): x at share 1
    // The three limits, u <= limit: exits (a < 0), moves up whatever the share (a + 1 <=
    // up_scale), and not above the bounds (a + 1 <= up_high). As the AVX2 kernel reads them:
    // biased by 2^31 (it compares signed integers), stages 0-3 in lanes 0-3 and again in lanes
    // 4-7, so that vpermd, which reads an index's low three bits, gives an exited firm (0xFF) the
    // leader's limits, as stage & 3 does.
    alignas(32) std::array<std::uint32_t, 8> exit_lanes{};
    alignas(32) std::array<std::uint32_t, 8> move_lanes{};
    alignas(32) std::array<std::uint32_t, 8> high_lanes{};
};

// The constants of a step with levers `lever` (of each stage below leader; each 0 or more, which
// step_agents checks, so that up_scale and up_high are too: the limits need y >= 0).
DecideConstants decide_constants(const std::array<double, 3>& lever) {
    static_assert(EXIT[0] > 0.0 && EXIT[1] > 0.0 && EXIT[2] > 0.0 && EXIT[3] > 0.0,
                  "every E is at least 1: the limits need E >= 1");
    DecideConstants c;
    for (std::size_t k = 0; k < 4; ++k) {
        const auto e = static_cast<std::int64_t>(engine::u32_threshold(EXIT[k]));
        c.exit_below[k] = static_cast<double>(e) - 0x1.0p31;
        c.up_scale[k] = k < 3 ? (1.0 - EXIT[k]) * BASE[k] * lever[k] * 0x1.0p32 : 0.0;
        c.up_high[k] = c.up_scale[k] * (1.0 + SPILLOVER * 1.0);
        for (const std::size_t lane : {k, k + 4}) {
            c.exit_lanes[lane] = last_word_at_most(e, 0.0) ^ 0x80000000U; // a + 1 <= 0: a < 0
            c.move_lanes[lane] = last_word_at_most(e, c.up_scale[k]) ^ 0x80000000U;
            c.high_lanes[lane] = last_word_at_most(e, c.up_high[k]) ^ 0x80000000U;
        }
    }
    return c;
}

// The decisions of one block of firms: bit j for firm i0 + j.
struct BlockDecisions {
    std::uint64_t events = 0;                      // active firms that exit or move up
    std::uint64_t exits = 0;                       // of those, the ones that exit
    std::int64_t active = 0;                       // firms active at the start of the step
    std::uint64_t active_mask = ~std::uint64_t{0}; // decide_block_avx2: still to apply
};

// a + 1 of firm j of a block, as both decision loops compute it.
[[gnu::always_inline]] inline double a_plus_one(std::uint32_t u, double exit_below) {
    return static_cast<double>(static_cast<std::int32_t>(u ^ 0x80000000U)) - exit_below + 1.0;
}

// The decisions of `len` <= BLOCK firms from their uniform words u and their counts (read only
// for the firms between the bounds), written so that the compiler vectorises the loop: masks and
// selects instead of branches, per-stage constants picked by selects (an index by each firm's
// stage becomes scalar gathers).
[[gnu::always_inline]] inline BlockDecisions decide_block(const std::uint8_t* stage,
                                                          const NeighbourCounts* counts,
                                                          const std::uint32_t* u, std::size_t len,
                                                          const DecideConstants& d) {
    const double e0 = d.exit_below[0];
    const double e1 = d.exit_below[1];
    const double e2 = d.exit_below[2];
    const double e3 = d.exit_below[3];
    const double s0 = d.up_scale[0];
    const double s1 = d.up_scale[1];
    const double s2 = d.up_scale[2];
    alignas(64) std::uint8_t decision[BLOCK]{}; // past a short block: masked off below
    BlockDecisions out;
    for (std::size_t j = 0; j < len; ++j) {
        const std::uint8_t st = stage[j];
        const auto k = static_cast<std::uint32_t>(st & 3U);
        const NeighbourCounts& c = counts[j];
        const std::uint32_t total = c[0] + c[1] + c[2] + c[3];
        const std::uint32_t higher = (c[1] & (0U - static_cast<std::uint32_t>(k < 1))) +
                                     (c[2] & (0U - static_cast<std::uint32_t>(k < 2))) +
                                     (c[3] & (0U - static_cast<std::uint32_t>(k < 3)));
        const double share = static_cast<double>(higher) /
                             static_cast<double>(total | static_cast<std::uint32_t>(total == 0));
        const double exit_below = k == 0 ? e0 : k == 1 ? e1 : k == 2 ? e2 : e3;
        const double up_scale = k == 0 ? s0 : k == 1 ? s1 : k == 2 ? s2 : 0.0;
        const double x = up_scale * (1.0 + SPILLOVER * share);
        const double a =
            static_cast<double>(static_cast<std::int32_t>(u[j] ^ 0x80000000U)) - exit_below;
        const auto is_active = static_cast<std::uint8_t>(st <= LEADER);
        out.active += is_active;
        decision[j] =
            static_cast<std::uint8_t>(is_active * (static_cast<std::uint8_t>(a + 1.0 <= x) +
                                                   static_cast<std::uint8_t>(a < 0.0)));
    }
    // The few firms with an event (about 3 %) as the set bits of a mask rather than a branch
    // per firm.
    for (std::size_t j = 0; j < BLOCK; ++j) {
        out.events |= static_cast<std::uint64_t>(decision[j] != 0) << j;
        out.exits |= static_cast<std::uint64_t>(decision[j] == 2) << j;
    }
    if (len < BLOCK) {
        const std::uint64_t in_block = (std::uint64_t{1} << len) - 1;
        out.events &= in_block;
        out.exits &= in_block;
    }
    return out;
}

// The counts decide_block reads for block i0: those of the firms between the bounds, counted
// from their lists (appended to `listed`), zero for the others (whose decisions do not depend on
// them).
inline void count_between_bounds(const Network& g, const std::uint8_t* stage, std::size_t i0,
                                 const std::uint32_t* u, std::size_t len, const DecideConstants& d,
                                 NeighbourCounts* counts, std::vector<Network::Vertex>& listed) {
    for (std::size_t j = 0; j < len; ++j) {
        counts[j] = {};
        const std::uint8_t st = stage[i0 + j];
        if (st > LEADER) {
            continue;
        }
        const double a1 = a_plus_one(u[j], d.exit_below[st]);
        if (a1 > d.up_scale[st] && a1 <= d.up_high[st]) {
            const auto v = static_cast<Network::Vertex>(i0 + j);
            counts[j] = count_neighbours(g, stage, v);
            listed.push_back(v);
        }
    }
}

// Each 64-bit lane (below 2^52) as a double, exactly: its bits under the exponent of 2^52.
[[gnu::target("arch=x86-64-v3"), gnu::always_inline]] inline __m256d to_double(__m256i v) {
    return _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(v, _mm256_set1_epi64x(0x4330000000000000LL))),
        _mm256_set1_pd(0x1.0p52));
}

// Lane index of a 4-entry table of doubles for each of four firms' stages (stage & 3): the
// pairs of 32-bit halves 2k, 2k + 1, for vpermps.
[[gnu::target("arch=x86-64-v3"), gnu::always_inline]] inline __m256i
stage_index(const std::uint8_t* stage) {
    std::int32_t four_stages = 0;
    std::memcpy(&four_stages, stage, sizeof four_stages);
    const __m256i k = _mm256_and_si256(_mm256_cvtepu8_epi64(_mm_cvtsi32_si128(four_stages)),
                                       _mm256_set1_epi64x(3));
    const __m256i k2 = _mm256_slli_epi64(k, 1);
    return _mm256_or_si256(k2, _mm256_slli_epi64(_mm256_add_epi64(k2, _mm256_set1_epi64x(1)), 32));
}

// Entries `index` of a 4-entry table of doubles.
[[gnu::target("arch=x86-64-v3"), gnu::always_inline]] inline __m256d lookup(__m256d table,
                                                                            __m256i index) {
    return _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(table), index));
}

// A group of four firms with a firm between the bounds, for the second pass of the AVX2 kernel:
// the first firm's index, its block within the window, which of the four are between the bounds
// (bit j: firm + j), and a + 1 of each of the four.
struct Undecided {
    std::uint32_t firm;
    std::uint32_t block;
    std::uint32_t between;
    double a_plus_one[4];
};

// Bit i: biased word i of w above the limit of lane index[i] & 7 of `limits`.
[[gnu::target("arch=x86-64-v3"), gnu::always_inline]] inline std::uint64_t
words_above(__m256i w, __m256i limits, __m256i index) {
    return static_cast<std::uint32_t>(_mm256_movemask_ps(
        _mm256_castsi256_ps(_mm256_cmpgt_epi32(w, _mm256_permutevar8x32_epi32(limits, index)))));
}

// decide_block for a whole block in AVX2 intrinsics, eight firms a vector, without any counts
// and without a conversion to double: each firm's word against its stage's three limits
// (DecideConstants: the same tests as decide_block's, so the same bits). It decides every firm
// not between the bounds, appends the groups of four with a firm in between to `pending` (firm
// index first_firm + j) and asks for where those firms' lists are (their offsets and heads, a
// miss each on a network larger than the caches: they lie about a hundred firms apart, too far
// for the hardware to see a stream); settle_undecided counts their neighbours later. `events`
// comes back with the sure moves only, and `active_mask` unapplied.
[[gnu::target("arch=x86-64-v3")]] BlockDecisions
decide_block_avx2(const Network& g, const std::uint8_t* stage, const std::uint32_t* u,
                  const DecideConstants& c, std::uint32_t first_firm, std::uint32_t block,
                  Undecided* pending, std::size_t& pending_count) {
    // u <= limit is not (u > limit), both biased by 2^31 (AVX2 compares signed integers only).
    const __m256i exit_table = _mm256_load_si256(reinterpret_cast<const __m256i*>(&c.exit_lanes));
    const __m256i move_table = _mm256_load_si256(reinterpret_cast<const __m256i*>(&c.move_lanes));
    const __m256i high_table = _mm256_load_si256(reinterpret_cast<const __m256i*>(&c.high_lanes));
    const __m256i bias = _mm256_set1_epi32(static_cast<int>(0x80000000U));
    std::uint64_t above_exit = 0; // bit j: u > exit limit
    std::uint64_t above_move = 0;
    std::uint64_t above_high = 0;
    for (std::size_t j = 0; j < BLOCK; j += 8) {
        std::int64_t eight_stages = 0;
        std::memcpy(&eight_stages, stage + j, sizeof eight_stages);
        const __m256i index = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(eight_stages));
        const __m256i w =
            _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(u + j)), bias);
        above_exit |= words_above(w, exit_table, index) << j;
        above_move |= words_above(w, move_table, index) << j;
        above_high |= words_above(w, high_table, index) << j;
    }
    BlockDecisions out;
    out.events = ~above_move;
    out.exits = ~above_exit;
    std::uint64_t undecided = above_move & ~above_high; // firms whose x is needed
    std::size_t count = pending_count;
    while (undecided != 0) {
        const std::size_t j =
            static_cast<std::size_t>(std::countr_zero(undecided)) & ~std::size_t{3};
        Undecided& p = pending[count++];
        p.firm = first_firm + static_cast<std::uint32_t>(j);
        p.block = block;
        p.between = static_cast<std::uint32_t>((undecided >> j) & 15U);
        undecided &= ~(std::uint64_t{15} << j);
        for (std::uint32_t b = p.between; b != 0; b &= b - 1) {
            g.prefetch_vertex(p.firm + static_cast<std::uint32_t>(std::countr_zero(b)));
        }
        for (std::size_t f = 0; f < 4; ++f) {
            p.a_plus_one[f] = a_plus_one(u[j + f], c.exit_below[stage[j + f] & 3U]);
        }
    }
    pending_count = count;
    // Active: stage <= LEADER, that is no bit set above the lowest two.
    const __m256i above = _mm256_set1_epi8(static_cast<char>(0xFC));
    std::uint64_t active = 0;
    for (std::size_t h = 0; h < 2; ++h) {
        __m256i st{};
        std::memcpy(&st, stage + 32 * h, sizeof st);
        const auto bits = static_cast<std::uint32_t>(_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_and_si256(st, above), _mm256_setzero_si256())));
        active |= std::uint64_t{bits} << (32 * h);
    }
    out.active_mask = active;
    out.active = std::popcount(active);
    return out;
}

// The second pass for one group of four: which of them move up, from x computed exactly from the
// counts of the firms between the bounds (the others' come out the same whatever their counts,
// so they are taken as none). The totals and the counts above each firm's stage are below 2^52
// and become doubles exactly by the 2^52 trick.
[[gnu::target("arch=x86-64-v3"), gnu::always_inline]] inline std::uint64_t
settle_undecided(const Network& g, const std::uint8_t* stage, const Undecided& p,
                 const DecideConstants& c, std::vector<Network::Vertex>& listed) {
    alignas(32) std::uint64_t total[4]{};
    alignas(32) std::uint64_t higher[4]{};
    for (std::uint32_t b = p.between; b != 0; b &= b - 1) {
        const auto j = static_cast<std::uint32_t>(std::countr_zero(b));
        const Network::Vertex v = p.firm + j;
        const NeighbourCounts n = count_neighbours(g, stage, v);
        const std::uint8_t k = stage[v];
        total[j] = std::uint64_t{n[0]} + n[1] + n[2] + n[3];
        for (std::size_t s = k + 1U; s < 4; ++s) {
            higher[j] += n[s];
        }
        listed.push_back(v);
    }
    const __m256d scale_table = _mm256_loadu_pd(c.up_scale.data());
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256i one_i = _mm256_set1_epi64x(1);
    const __m256i index = stage_index(stage + p.firm);
    const __m256i t = _mm256_load_si256(reinterpret_cast<const __m256i*>(total));
    const __m256i h = _mm256_load_si256(reinterpret_cast<const __m256i*>(higher));
    const __m256i denominator =
        _mm256_or_si256(t, _mm256_and_si256(_mm256_cmpeq_epi64(t, _mm256_setzero_si256()), one_i));
    const __m256d share = _mm256_div_pd(to_double(h), to_double(denominator));
    const __m256d x =
        _mm256_mul_pd(lookup(scale_table, index),
                      _mm256_add_pd(one, _mm256_mul_pd(_mm256_set1_pd(SPILLOVER), share)));
    return static_cast<std::uint64_t>(
        _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(p.a_plus_one), x, _CMP_LE_OQ)));
}

// Appends the changes of block i0's decisions b to `out`, in firm order.
inline void append_changes(const std::uint8_t* stage, std::size_t i0, BlockDecisions b,
                           std::vector<Model::Change>& out) {
    while (b.events != 0) {
        const auto j = static_cast<std::size_t>(std::countr_zero(b.events));
        b.events &= b.events - 1;
        const std::uint8_t from = stage[i0 + j];
        const bool exits = ((b.exits >> j) & 1U) != 0;
        out.push_back({static_cast<std::uint32_t>(i0 + j), from,
                       static_cast<std::uint8_t>(exits ? EXITED : from + 1)});
    }
}

// The DECIDE words of FILL_BLOCKS blocks of firms at a time: one word per firm, a Philox block
// per four firms, so 64 Philox blocks a fill, which the vectorised fill makes faster per block
// than 16 (the same words: block k of the fill is firm (first + 4k)'s).
constexpr std::size_t FILL_BLOCKS = 4;

// A short block (the last of a step, on any CPU) or every block of the portable loop.
[[gnu::always_inline]] inline BlockDecisions
decide_block_portable(const Network& g, const std::uint8_t* stage, std::size_t i0,
                      const std::uint32_t* u, std::size_t len, const DecideConstants& d,
                      std::vector<Network::Vertex>& listed) {
    alignas(64) std::array<NeighbourCounts, BLOCK> counts;
    count_between_bounds(g, stage, i0, u, len, d, counts.data(), listed);
    return decide_block(stage + i0, counts.data(), u, len, d);
}

// The decisions of firms [begin, end) (begin a multiple of BLOCK): appends each change to `out`
// in firm order, and the firms whose lists it read to `listed`; returns what deciding saw.
// Every way gives the same bits (integer Philox, the same IEEE double operations without
// contraction, exact conversions).
// The portable loop in clones for AVX-512, AVX2 and older CPUs (the loader picks the best the
// CPU runs), and the AVX2 kernel; decide_chunk picks.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] Model::Decided
decide_chunk_portable(const Network& g, const std::uint8_t* stage, std::size_t begin,
                      std::size_t end, const engine::RandomKey& key, std::uint32_t step,
                      const DecideConstants& d, std::vector<Model::Change>& out,
                      std::vector<Network::Vertex>& listed) {
    Model::Decided decided;
    alignas(64) std::uint32_t words[FILL_BLOCKS * BLOCK];
    const std::uint32_t* u = words;
    for (std::size_t i0 = begin; i0 < end; i0 += BLOCK) {
        const std::size_t len = std::min(BLOCK, end - i0);
        if ((i0 - begin) % (FILL_BLOCKS * BLOCK) == 0) {
            const std::size_t blocks = std::min(FILL_BLOCKS, (end - i0 + BLOCK - 1) / BLOCK);
            engine::philox_fill(key, static_cast<std::uint32_t>(i0 >> 2), step, DECIDE,
                                blocks * BLOCK / 4, words);
            u = words;
        } else {
            u += BLOCK;
        }
        const BlockDecisions b = decide_block_portable(g, stage, i0, u, len, d, listed);
        decided.active += b.active;
        append_changes(stage, i0, b, out);
    }
    return decided;
}

// The AVX2 kernel, by windows of WINDOW blocks: the first pass over a whole window (asking for
// where the lists of the firms between the bounds are, as it finds them), then those firms'
// counts, then the window's changes in firm order. A window's first pass takes microseconds,
// longer than a fetch from memory, so the offsets and heads have arrived when the second pass
// reads them; it fetches each group's lists SETTLE_AHEAD groups before the group is counted and
// the stages its CSR slice names STAGE_AHEAD groups before. (Those stages are mostly far from the
// firm: its neighbours are mostly hubs. Reading them cost 15 % of the step loop at 4 M firms;
// fetched ahead, the loop ran 3-4 % faster at 4 M and 2 % at 400,000 firms, 2 % slower in cache.)
// A short last block takes the portable loop, after the window's other firms.
[[gnu::target("arch=x86-64-v3")]] Model::Decided
decide_chunk_avx2(const Network& g, const std::uint8_t* stage, std::size_t begin, std::size_t end,
                  const engine::RandomKey& key, std::uint32_t step, const DecideConstants& d,
                  std::vector<Model::Change>& out, std::vector<Network::Vertex>& listed) {
    constexpr std::size_t WINDOW = 64;
    constexpr std::size_t SETTLE_AHEAD = 16;
    constexpr std::size_t STAGE_AHEAD = 8;
    Model::Decided decided;
    alignas(64) std::uint32_t words[FILL_BLOCKS * BLOCK];
    std::array<BlockDecisions, WINDOW> window;
    std::array<Undecided, WINDOW * BLOCK / 4> pending; // at most every group of the window
    for (std::size_t w0 = begin; w0 < end; w0 += WINDOW * BLOCK) {
        const std::size_t w_end = std::min(end, w0 + WINDOW * BLOCK);
        std::size_t pending_count = 0;
        std::size_t blocks = 0;
        const std::uint32_t* short_words = nullptr;
        for (std::size_t i0 = w0; i0 < w_end; i0 += BLOCK, ++blocks) {
            const std::size_t fill_block = (i0 - begin) / BLOCK % FILL_BLOCKS;
            if (fill_block == 0) {
                const std::size_t fill = std::min(FILL_BLOCKS, (end - i0 + BLOCK - 1) / BLOCK);
                engine::philox_fill(key, static_cast<std::uint32_t>(i0 >> 2), step, DECIDE,
                                    fill * BLOCK / 4, words);
            }
            const std::uint32_t* u = words + fill_block * BLOCK;
            const std::size_t len = std::min(BLOCK, w_end - i0);
            if (len == BLOCK) {
                window[blocks] = decide_block_avx2(
                    g, stage + i0, u, d, static_cast<std::uint32_t>(i0),
                    static_cast<std::uint32_t>(blocks), pending.data(), pending_count);
            } else {
                short_words = u; // the chunk's last block: decided after the others
            }
        }
        const std::span<const std::uint32_t> offsets = g.offsets();
        const std::span<const Network::Vertex> targets = g.targets();
        const auto fetch_lists = [&](const Undecided& ahead) {
            for (std::uint32_t b = ahead.between; b != 0; b &= b - 1) {
                g.prefetch_neighbours(ahead.firm + static_cast<std::uint32_t>(std::countr_zero(b)));
            }
        };
        for (std::size_t q = 0; q < std::min(SETTLE_AHEAD, pending_count); ++q) {
            fetch_lists(pending[q]);
        }
        for (std::size_t q = 0; q < pending_count; ++q) {
            if (q + SETTLE_AHEAD < pending_count) {
                fetch_lists(pending[q + SETTLE_AHEAD]);
            }
            if (q + STAGE_AHEAD < pending_count) {
                const Undecided& ahead = pending[q + STAGE_AHEAD];
                for (std::uint32_t b = ahead.between; b != 0; b &= b - 1) {
                    const Network::Vertex v =
                        ahead.firm + static_cast<std::uint32_t>(std::countr_zero(b));
                    for (std::uint32_t i = offsets[v]; i != offsets[v + 1]; ++i) {
                        __builtin_prefetch(stage + targets[i]);
                    }
                }
            }
            const Undecided& p = pending[q];
            BlockDecisions& b = window[p.block];
            const std::size_t j = p.firm - (w0 + BLOCK * p.block);
            b.events = (b.events & ~(std::uint64_t{15} << j)) |
                       (settle_undecided(g, stage, p, d, listed) << j);
        }
        if (short_words != nullptr) { // after the window's other lists, so `listed` stays in order
            const std::size_t i0 = w0 + BLOCK * (blocks - 1);
            window[blocks - 1] =
                decide_block_portable(g, stage, i0, short_words, w_end - i0, d, listed);
        }
        for (std::size_t b = 0; b < blocks; ++b) {
            BlockDecisions& bd = window[b];
            bd.events &= bd.active_mask;
            bd.exits &= bd.active_mask;
            decided.active += bd.active;
            append_changes(stage, w0 + BLOCK * b, bd, out);
        }
    }
    return decided;
}

// The AVX2 kernel runs on every CPU with AVX2, AVX-512 ones too: it decides most firms eight at a
// time without a branch (by integer limits) and gathers the few between the bounds. On Zen 4 the
// step loop at N = 400,000 ran 1.20-1.35x faster with it than with the portable loop's AVX-512
// clone when both read neighbour counts and the kernel still compared doubles four at a time
// (4 Dec 2026). Model::avx2_kernel can turn it off (tests).
bool avx2_kernel_available() {
    static const bool available = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("x86-64-v3") != 0;
    }();
    return available;
}

Model::Decided decide_chunk(const Model& model, const Network& g, const std::uint8_t* stage,
                            std::size_t begin, std::size_t end, const engine::RandomKey& key,
                            std::uint32_t step, const DecideConstants& d,
                            std::vector<Model::Change>& out, std::vector<Network::Vertex>& listed) {
    if (model.avx2_kernel && avx2_kernel_available()) {
        return decide_chunk_avx2(g, stage, begin, end, key, step, d, out, listed);
    }
    return decide_chunk_portable(g, stage, begin, end, key, step, d, out, listed);
}

// The network of the test hooks' block: 64 firms and no ties.
const Network& isolated_block() {
    static const Network g = Network::from_edges(BLOCK, {});
    return g;
}

// Renumbers every firm in the (breadth-first) reverse Cuthill–McKee order of the network as it is
// now: the network and the stages move together.
void order_layout(Model::State& s, const engine::Executor& executor) {
    const std::vector<std::uint32_t> perm = engine::breadth_first_rcm_order(s.network);
    s.network = engine::permuted(s.network, perm, executor);
    s.network.reserve(std::max(s.vertex_room, s.network.num_vertices()),
                      std::max(s.edge_room, s.network.num_edges()));
    s.network.prefer_huge_pages();
    s.network.make_room_resident();
    auto& stage = s.firms[s.stage];
    const std::vector<std::uint8_t> old_stage(stage.begin(), stage.end());
    for (std::size_t v = 0; v < perm.size(); ++v) {
        stage[perm[v]] = old_stage[v];
    }
    s.ordered_firms = perm.size();
    ++s.orderings;
}

} // namespace

std::uint32_t last_word_at_most(std::int64_t e, double y) {
    // floor(y) and the sum are exact: y is capped at 2^32 first.
    const auto whole = static_cast<std::int64_t>(std::floor(std::min(y, 0x1.0p32)));
    return static_cast<std::uint32_t>(std::min<std::int64_t>(e - 1 + whole, 0xFFFFFFFF));
}

namespace detail {

static_assert(BLOCK == 64, "FirstPass holds a bit per firm of a block");

FirstPass first_pass_avx2(const std::array<std::uint8_t, 64>& stage,
                          const std::array<std::uint32_t, 64>& u,
                          const std::array<double, 3>& lever) {
    const DecideConstants d = decide_constants(lever);
    std::array<Undecided, BLOCK / 4> pending{};
    std::size_t count = 0;
    const BlockDecisions b =
        decide_block_avx2(isolated_block(), stage.data(), u.data(), d, 0, 0, pending.data(), count);
    FirstPass out;
    out.events = b.events & b.active_mask;
    out.exits = b.exits & b.active_mask;
    for (std::size_t q = 0; q < count; ++q) {
        for (std::uint32_t bits = pending[q].between; bits != 0; bits &= bits - 1) {
            const auto f = static_cast<std::size_t>(std::countr_zero(bits));
            const std::size_t j = pending[q].firm + f;
            out.between |= std::uint64_t{1} << j;
            out.a_plus_one[j] = pending[q].a_plus_one[f];
        }
    }
    return out;
}

FirstPass first_pass_doubles(const std::array<std::uint8_t, 64>& stage,
                             const std::array<std::uint32_t, 64>& u,
                             const std::array<double, 3>& lever) {
    const DecideConstants d = decide_constants(lever);
    std::vector<Network::Vertex> listed;
    const BlockDecisions b =
        decide_block_portable(isolated_block(), stage.data(), 0, u.data(), BLOCK, d, listed);
    FirstPass out;
    out.events = b.events;
    out.exits = b.exits;
    for (const Network::Vertex j : listed) {
        out.between |= std::uint64_t{1} << j;
        out.a_plus_one[j] = a_plus_one(u[j], d.exit_below[stage[j]]);
    }
    return out;
}

bool first_pass_avx2_available() {
    return avx2_kernel_available();
}

} // namespace detail

const engine::ModelInfo& Model::info() const {
    static const engine::ModelInfo info = make_info();
    return info;
}

void Model::init(State& s, const engine::StepContext& ctx, Eigen::VectorXd&) const {
    const auto n = static_cast<std::size_t>(ctx.parameters[P_FIRMS]);
    const auto m = static_cast<unsigned>(ctx.parameters[P_EDGES_PER_FIRM]);
    const double births = ctx.parameters[P_BIRTHS_PER_MONTH];
    const int steps = ctx.calendar->steps();
    // Room for the births of the whole run (mean + 8 sd); reserved pages that are never
    // written are never resident, so over-reserving costs nothing.
    const double expected = births * steps;
    const auto room = static_cast<std::size_t>(expected + 8.0 * std::sqrt(expected) + 64.0);

    s.network = engine::barabasi_albert({n, m, room}, ctx.key, NETWORK);
    s.vertex_room = n + room;
    s.edge_room = s.network.num_edges() + room * m;
    s.ordered_firms = 0;
    s.orderings = 0;
    if (order == Order::rcm) {
        // Before the stages are drawn: the permutation of stages then runs over positions in
        // the new order, exactly as it runs over build positions in the natural order.
        s.network =
            engine::permuted(s.network, engine::breadth_first_rcm_order(s.network), *ctx.executor);
        s.network.reserve(s.vertex_room, s.edge_room);
        s.ordered_firms = n;
        s.orderings = 1;
    }
    // The room for the run's newborns is written during the steps, on the births' critical path:
    // mapped here in one call per array, not faulted in a page at a time then (4 million firms:
    // about 4,000 faults in 12 steps, a tenth or more of the step loop on this VM).
    s.network.prefer_huge_pages();
    s.network.make_room_resident();
    s.firms = engine::Population();
    s.firms.reserve(n + room);
    s.stage = s.firms.add_column<std::uint8_t>("stage", INCUBATED);
    s.firms.add(n);

    // Initial stages: a block of each stage, then a seeded Fisher–Yates shuffle (each swap's
    // index from the stream of the position being filled).
    auto& stage = s.firms[s.stage];
    const std::size_t incubated = rounded_count(INITIAL_INCUBATED, n);
    const std::size_t high_tech = rounded_count(INITIAL_HIGH_TECH, n);
    const std::size_t leader = rounded_count(INITIAL_LEADER, n);
    if (incubated + high_tech + leader > n) {
        throw Error("reference model: too few firms for the initial stage fractions");
    }
    std::fill_n(stage.begin(), incubated, INCUBATED);
    std::fill_n(stage.begin() + static_cast<std::ptrdiff_t>(incubated), high_tech, HIGH_TECH);
    std::fill_n(stage.begin() + static_cast<std::ptrdiff_t>(incubated + high_tech), leader, LEADER);
    std::fill(stage.begin() + static_cast<std::ptrdiff_t>(incubated + high_tech + leader),
              stage.end(), SME);
    for (std::size_t i = n; i-- > 1;) {
        const engine::Block b = ctx.key.block(static_cast<std::uint32_t>(i), 0, INITIAL_STAGE);
        const std::uint64_t bits = (std::uint64_t{b[0]} << 32) | b[1];
        std::swap(stage[i], stage[engine::index_below(bits, i + 1)]);
    }
    s.active = {static_cast<std::int64_t>(incubated),
                static_cast<std::int64_t>(n - incubated - high_tech - leader),
                static_cast<std::int64_t>(high_tech), static_cast<std::int64_t>(leader)};

    s.exits = s.births = s.agent_steps = s.lists_read = 0;
    s.phase_seconds = {};
    s.changes.clear();
    s.edges_per_firm = m;
    s.picks.clear();
}

void Model::step_agents(State& s, const engine::StepContext& ctx) const {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    // Keep the layout: once the newborns appended since the last ordering make a tail longer
    // than reorder_tail of the firms ordered then, renumber everyone (counted with births).
    if (order == Order::rcm && static_cast<double>(s.firms.size() - s.ordered_firms) >
                                   reorder_tail * static_cast<double>(s.ordered_firms)) {
        order_layout(s, *ctx.executor);
        s.phase_seconds[2] += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    const auto t_decide = Clock::now();

    auto& stage = s.firms[s.stage];
    const std::size_t n = s.firms.size();
    const auto step = static_cast<std::uint32_t>(ctx.step);

    // Per-stage constants of this step. One uniform word u decides: exit if u < E[s];
    // promote if E[s] <= u < E[s] + (1 - EXIT[s]) * p_up * 2^32 (DecideConstants).
    // A promotion multiplier below 0 (or not a number) has no meaning in REFERENCE.md's rule, and
    // the decision kernels' limits assume none. Scenarios and canopy-bench keep every lever in
    // its range; a program calling the model with one outside is told here.
    for (std::size_t k = 0; k < 3; ++k) {
        if (!(ctx.levers[k] >= 0.0)) {
            throw Error("reference model: lever " + info().levers[k].name + " is " +
                        std::to_string(ctx.levers[k]) + " at step " + std::to_string(ctx.step) +
                        "; a promotion multiplier must be 0 or more");
        }
    }
    const DecideConstants constants =
        decide_constants({ctx.levers[0], ctx.levers[1], ctx.levers[2]});

    const std::size_t chunks = engine::Executor::chunk_count(n, CHUNK);
    if (s.changes.size() < chunks) {
        s.changes.resize(chunks);
        s.listed.resize(chunks);
        s.started.resize(chunks);
    }
    s.tallies.resize(chunks);
    // Decide every chunk: deciding reads the stages (of the chunk's firms and of the listed
    // firms' neighbours anywhere) and writes none, so every decision sees the step's start.
    ctx.executor->for_chunks(chunks, 1, [&](std::size_t chunk, std::size_t, std::size_t) {
        const std::size_t begin = chunk * CHUNK;
        const std::size_t end = std::min(n, begin + CHUNK);
        auto& out = s.changes[chunk];
        out.clear();
        s.listed[chunk].clear();
        s.started[chunk] = decide_chunk(*this, s.network, stage.data(), begin, end, ctx.key, step,
                                        constants, out, s.listed[chunk]);
        Tally& tally = s.tallies[chunk];
        tally = {};
        for (const Change& ch : out) {
            --tally.active[ch.from];
            if (ch.to == EXITED) {
                ++tally.exits;
            } else {
                ++tally.active[ch.to];
            }
        }
    });

    const auto t1 = Clock::now();
    s.phase_seconds[0] += std::chrono::duration<double>(t1 - t_decide).count();

    // Apply the decisions: the changed stages, once every firm has decided. A chunk's changes are
    // its own firms', so the chunks write in parallel; a network of a few chunks on this thread,
    // where the writes take microseconds (handing them out gained nothing measurable there: 40,000
    // and 131,072 firms on 2 threads, 10 and 6 rounds, medians 437 and 662 M agent-steps/s on
    // this thread against 428 and 653 M in parallel).
    s.agent_steps = 0;
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        s.agent_steps += s.started[chunk].active;
        s.lists_read += static_cast<std::int64_t>(s.listed[chunk].size());
    }
    const auto write_stages = [&](std::size_t chunk, std::size_t, std::size_t) {
        for (const Change& ch : s.changes[chunk]) {
            stage[ch.firm] = ch.to;
        }
    };
    if (chunks <= SERIAL_APPLY_CHUNKS) {
        for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
            write_stages(chunk, 0, 0);
        }
    } else {
        ctx.executor->for_chunks(chunks, 1, write_stages);
    }
    s.exits = 0;
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        s.exits += s.tallies[chunk].exits;
        for (std::size_t k = 0; k < 4; ++k) {
            s.active[k] += s.tallies[chunk].active[k];
        }
    }

    const auto t2 = Clock::now();
    s.phase_seconds[1] += std::chrono::duration<double>(t2 - t1).count();
    struct BirthTimer {
        double& total;
        Clock::time_point start;
        ~BirthTimer() { total += std::chrono::duration<double>(Clock::now() - start).count(); }
    } birth_timer{s.phase_seconds[2], t2};

    // Births: newborns link to active firms that existed before the births, proportionally to
    // total degree as it was before the births (a snapshot of the stored edge ends). Choosing
    // only reads the network and the stages, so newborns choose in parallel; a large batch is
    // linked in parallel too (Network::add_vertices, by parts of the older firms), a small one
    // in one pass.
    engine::Stream count_stream = ctx.stream(0, BIRTH_COUNT);
    const auto born =
        static_cast<std::size_t>(engine::poisson(count_stream, ctx.parameters[P_BIRTHS_PER_MONTH]));
    s.births = static_cast<std::int64_t>(born);
    if (born == 0) {
        return;
    }
    const Network::Snapshot snapshot = s.network.snapshot();
    const std::size_t m = s.edges_per_firm;
    const auto first = static_cast<engine::AgentId>(n);
    s.picks.resize(born * m);
    s.pick_counts.resize(born);
    const std::size_t birth_chunks = engine::Executor::chunk_count(born, BIRTH_CHUNK);
    if (s.attach_batches.size() < birth_chunks) {
        s.attach_batches.resize(birth_chunks);
    }
    ctx.executor->for_chunks(
        born, BIRTH_CHUNK, [&](std::size_t chunk, std::size_t b0, std::size_t b1) {
            // A network without edges has nothing to draw: no newborn gets a partner.
            if (snapshot.size() == 0) {
                std::fill(s.pick_counts.begin() + static_cast<std::ptrdiff_t>(b0),
                          s.pick_counts.begin() + static_cast<std::ptrdiff_t>(b1), 0U);
                return;
            }
            // Each newborn's first PREDRAWN draws are made for the whole chunk at once (the Philox
            // blocks in one vectorised fill); the choice below reads them in the stream's order
            // and draws on from the stream only after a rejection. Same draws, same bits.
            engine::StreamBatch& batch = s.attach_batches[chunk];
            batch.fill(ctx.key, first + static_cast<std::uint32_t>(b0), step, ATTACH, b1 - b0,
                       PREDRAWN / 2);
            // A draw's two 32-bit words (high first) pick an entry of the snapshot.
            const auto entry_of = [&](std::uint32_t high, std::uint32_t low) {
                return engine::index_below((std::uint64_t{high} << 32) | low, snapshot.size());
            };
            // Draws read the network's entries at random places, and a drawn firm's stage at
            // another: the entries of a whole set of draws are fetched first, then read, each
            // read fetching the stage it names, so that the cache misses of many draws overlap
            // instead of each draw waiting on two in turn. `at` holds the draws' entry indices,
            // then the firms they name.
            std::array<std::uint64_t, BIRTH_CHUNK * PREDRAWN> at;
            const auto read_entries = [&](std::size_t count) {
                for (std::size_t k = 0; k < count; ++k) {
                    s.network.prefetch_entry(snapshot, at[k]);
                }
                for (std::size_t k = 0; k < count; ++k) {
                    const Network::Vertex v = s.network.entry(snapshot, at[k]);
                    at[k] = v;
                    __builtin_prefetch(stage.data() + v);
                }
            };
            for (std::size_t j = 0; j < b1 - b0; ++j) {
                for (std::size_t d = 0; d < PREDRAWN; ++d) {
                    const auto block = static_cast<std::uint16_t>(d / 2);
                    at[j * PREDRAWN + d] = entry_of(batch.word(j, block, 2 * (d % 2)),
                                                    batch.word(j, block, 2 * (d % 2) + 1));
                }
            }
            read_entries((b1 - b0) * PREDRAWN);
            // A pick is an active firm not picked before.
            const auto take = [&](std::size_t b, std::uint64_t v) {
                Network::Vertex* picks = s.picks.data() + b * m;
                const std::uint32_t got = s.pick_counts[b];
                if (stage[v] <= LEADER && std::find(picks, picks + got, v) == picks + got) {
                    picks[got] = static_cast<Network::Vertex>(v);
                    s.pick_counts[b] = got + 1;
                }
            };
            // The newborns (chunk-relative) still short of m partners.
            std::array<std::uint16_t, BIRTH_CHUNK> short_of;
            std::size_t shorts = 0;
            for (std::size_t b = b0; b < b1; ++b) {
                s.pick_counts[b] = 0;
                for (std::size_t d = 0; d < PREDRAWN && s.pick_counts[b] < m; ++d) {
                    take(b, at[(b - b0) * PREDRAWN + d]);
                }
                if (s.pick_counts[b] < m) {
                    short_of[shorts++] = static_cast<std::uint16_t>(b - b0);
                }
            }
            // They draw on (a pick was rejected: an exited firm or a repeat), a Philox block (two
            // draws) a round for all of them together, read as above. Each newborn still reads
            // its stream's draws in order and stops at m partners: the same picks as drawing
            // one at a time.
            static_assert(BIRTH_CHUNK * PREDRAWN >= 2 * BIRTH_CHUNK);
            for (auto block = static_cast<std::uint16_t>(PREDRAWN / 2);
                 shorts > 0 && 2 * int{block} < MAX_ATTACH_DRAWS; ++block) {
                for (std::size_t k = 0; k < shorts; ++k) {
                    const engine::Block w = ctx.key.block(
                        first + static_cast<std::uint32_t>(b0 + short_of[k]), step, ATTACH, block);
                    at[2 * k] = entry_of(w[0], w[1]);
                    at[2 * k + 1] = entry_of(w[2], w[3]);
                }
                read_entries(2 * shorts);
                std::size_t still = 0;
                for (std::size_t k = 0; k < shorts; ++k) {
                    const std::size_t b = b0 + short_of[k];
                    for (std::size_t d = 0; d < 2 && s.pick_counts[b] < m; ++d) {
                        take(b, at[2 * k + d]);
                    }
                    if (s.pick_counts[b] < m) {
                        short_of[still++] = short_of[k];
                    }
                }
                shorts = still;
            }
        });
    s.firms.add(born);
    // Linked by Network::add_vertices: a large batch in parallel, by parts of the older firms, a
    // small one in one pass on this thread.
    s.network.add_vertices(
        s.picks, m, s.pick_counts, *ctx.executor, [](std::size_t, Network::Vertex) {},
        [](Network::Vertex) {});
    s.active[INCUBATED] += static_cast<std::int64_t>(born);
}

void Model::observe(const State& s, const engine::StepContext&, std::span<double> row) const {
    row[S_INCUBATED] = static_cast<double>(s.active[INCUBATED]);
    row[S_SME] = static_cast<double>(s.active[SME]);
    row[S_HIGH_TECH] = static_cast<double>(s.active[HIGH_TECH]);
    row[S_LEADER] = static_cast<double>(s.active[LEADER]);
    row[S_EXITS] = static_cast<double>(s.exits);
    row[S_BIRTHS] = static_cast<double>(s.births);
    row[S_AGENT_STEPS] = static_cast<double>(s.agent_steps);
}

double Model::bytes_per_agent(std::span<const double> p) {
    return BYTES_PER_FIRM + BYTES_PER_TIE * p[P_EDGES_PER_FIRM];
}

double Model::agents_at_horizon(std::span<const double> p, const engine::Calendar& calendar) {
    // The firms at the start and every newborn (no exits): the population the run reserves.
    return p[P_FIRMS] + p[P_BIRTHS_PER_MONTH] * calendar.steps() * calendar.dt_months();
}

std::size_t Model::state_bytes(const State& s) {
    return s.firms.bytes() + s.network.bytes();
}

NeighbourCounts Model::State::neighbour_counts(std::size_t i) const {
    return count_neighbours(network, firms[stage].data(), static_cast<Network::Vertex>(i));
}

} // namespace canopy::models::reference
