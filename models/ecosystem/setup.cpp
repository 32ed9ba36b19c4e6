// Set-up: the initial firms, their collaboration network and the SD stocks at the start
// (README "Assumptions built into the code", "4. Networks", "6. SD stocks").
#include "ecosystem/detail.hpp"
#include "ecosystem/lanes4.hpp"

#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/count_width.hpp>
#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/philox_wide.hpp>
#include <canopy/engine/sd.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace canopy::models::ecosystem {

namespace detail {

std::array<double, SECTOR_COUNT> sector_cumulative(const StepContext& ctx) {
    const std::array<double, 5> shares = {
        par(ctx, param::share_optoelectronics), par(ctx, param::share_auto),
        par(ctx, param::share_health), par(ctx, param::share_equipment),
        par(ctx, param::share_beidou)};
    double sum = 0.0;
    for (const double x : shares) {
        sum += x;
    }
    const double scale = sum > 1.0 ? 1.0 / sum : 1.0;
    std::array<double, SECTOR_COUNT> cumulative{};
    double acc = 0.0;
    for (std::size_t k = 0; k < shares.size(); ++k) {
        acc += shares[k] * scale;
        cumulative[k] = acc;
    }
    cumulative[OTHER] = 1.0;
    return cumulative;
}

std::array<double, SECTOR_COUNT * SECTOR_COUNT> sector_affinity(const StepContext& ctx) {
    std::array<double, SECTOR_COUNT * SECTOR_COUNT> a{};
    const double other = 1.0 / par(ctx, param::sector_homophily);
    for (std::size_t i = 0; i < SECTOR_COUNT; ++i) {
        for (std::size_t j = 0; j < SECTOR_COUNT; ++j) {
            a[i * SECTOR_COUNT + j] = i == j ? 1.0 : other;
        }
    }
    return a;
}

// Building a table takes ~1,000 Beta quantiles, so tables are shared by every replicate.
const engine::QuantileTable& rd_intensity_table(double alpha, double beta) {
    static std::mutex mutex;
    static std::map<std::pair<double, double>, std::unique_ptr<engine::QuantileTable>> tables;
    const std::lock_guard<std::mutex> lock(mutex);
    auto& slot = tables[{alpha, beta}];
    if (!slot) {
        slot = std::make_unique<engine::QuantileTable>(engine::beta_table(alpha, beta));
    }
    return *slot;
}

namespace {

// Share of pilot-platform capacity in use at the start (model assumption, README "Platforms").
constexpr double INITIAL_PLATFORM_OCCUPANCY = 0.8;

// Philox blocks each initial firm reads from its INITIAL stream, by stage: sector and R&D
// intensity (3 words), the stage's own draws (incubated 3, SME 5, certified 7 words), loan and
// venture backing (4 words, SMEs and up), an R&D institution (2 words, certified firms).
constexpr std::array<std::uint16_t, 4> INITIAL_BLOCKS = {2, 3, 4, 4};
// Firms whose streams are filled together (their words take 16 KiB).
constexpr std::size_t ATTRIBUTE_BATCH = 256;

// The words of a batch of firms' INITIAL streams as philox_fill lays them out, block by block:
// word k of firm j is block[k / 4][4 * j + k % 4], the k-th word its Stream would give.
struct StreamWords {
    const std::uint32_t* block[4];

    [[gnu::always_inline]] std::uint32_t word(std::size_t k, std::size_t j) const {
        return block[k / 4][4 * j + k % 4];
    }
    // engine::uniform01 of the stream at word k: the 64-bit word of words k (high) and k + 1.
    [[gnu::always_inline]] double uniform01(std::size_t k, std::size_t j) const {
        return engine::u01_open((std::uint64_t{word(k, j)} << 32) | word(k + 1, j));
    }
    // engine::uniform(a, b) at word k.
    [[gnu::always_inline]] double uniform(std::size_t k, std::size_t j, double a, double b) const {
        return a + (b - a) * uniform01(k, j);
    }
};

// What every initial firm's attributes are drawn with.
struct AttributeRules {
    std::array<double, SECTOR_COUNT> cumulative;
    const double* normal;   // knots of the standard normal's table
    const double* rd_table; // knots of the R&D intensities' Beta table
    double rd_premium;
    int start_year, start_month;
    double share_oldest, share_middle, batch1, batch2;
    std::array<int, 3> batch_months;
    int validity;
    double loan_share, vc_share, rnd_share;
    double incubation_max, newborn_mean, capability_sd, entrant_mean;
    double young_growth, rd_effect_per_year;
};

// The columns of a batch of consecutive firms, from the batch's first.
struct AttributeColumns {
    std::uint8_t* __restrict sector;
    std::uint8_t* __restrict flags;
    std::int16_t* __restrict born;
    std::int16_t* __restrict stage_since;
    std::int16_t* __restrict cert_expiry;
    float* __restrict capability;
    float* __restrict rd_intensity;
};

// Every firm's sector (words 0-1) and R&D intensity (word 2); returns the R&D intensity.
[[gnu::always_inline]] inline double sector_and_rd(const AttributeRules& p, const StreamWords& w,
                                                   const AttributeColumns& col, std::size_t j) {
    const unsigned k = sector_of(w.uniform01(0, j), p.cumulative);
    const double rd =
        sector_rd(table_draw(p.rd_table, w.word(2, j)), static_cast<std::uint8_t>(k), p.rd_premium);
    col.sector[j] = static_cast<std::uint8_t>(k);
    col.rd_intensity[j] = static_cast<float>(rd);
    return rd;
}

// The SoA loops below draw exactly what a per-firm Stream would, word by word, with the same
// arithmetic in the same order (so the same bits); each is one loop over a batch of one stage,
// without branches, so that it vectorises.

// Startups: uniformly far into a stay (words 3-4), grown as an incubated startup grows (word 5).
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
startup_attributes(const AttributeRules& rules, const StreamWords w, std::size_t count,
                   const AttributeColumns col) {
    const AttributeRules p = rules; // a copy: the byte columns' stores could alias it
    for (std::size_t j = 0; j < count; ++j) {
        const double rd = sector_and_rd(p, w, col, j);
        const double months_in = w.uniform(3, j, 0.0, p.incubation_max);
        const int age = static_cast<int>(months_in);
        const double c = p.newborn_mean + p.capability_sd * table_draw(p.normal, w.word(5, j)) +
                         months_in / 12.0 * (p.young_growth + p.rd_effect_per_year * rd);
        col.born[j] = static_cast<std::int16_t>(-age);
        col.stage_since[j] = static_cast<std::int16_t>(-age);
        col.capability[j] = static_cast<float>(at_least_001(c));
        col.flags[j] = 0;
    }
}

// SMEs: age (words 3-4), months in the stage (5-6), capability (7), loan (8-9), venture (10-11).
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
sme_attributes(const AttributeRules& rules, const StreamWords w, std::size_t count,
               const AttributeColumns col) {
    const AttributeRules p = rules; // a copy: the byte columns' stores could alias it
    for (std::size_t j = 0; j < count; ++j) {
        sector_and_rd(p, w, col, j);
        const int age = static_cast<int>(w.uniform(3, j, 12.0, 120.0));
        const int since = -static_cast<int>(w.uniform(5, j, 0.0, age));
        const double c =
            p.entrant_mean + 2.0 * p.capability_sd * table_draw(p.normal, w.word(7, j));
        col.born[j] = static_cast<std::int16_t>(-age);
        col.stage_since[j] = static_cast<std::int16_t>(since);
        col.capability[j] = static_cast<float>(at_least_001(c));
        col.flags[j] = static_cast<std::uint8_t>(
            pick(w.uniform01(8, j) < p.loan_share, std::uint32_t{HAS_LOAN}, 0U) |
            pick(w.uniform01(10, j) < p.vc_share, std::uint32_t{HAS_VC}, 0U));
    }
}

// Certified firms and leaders: issued in one of the three batch years before the start (words
// 3-6), age (7-8), capability (9) above the stage's bar, loan (10-11), venture (12-13), an R&D
// institution (14-15).
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
certified_attributes(const AttributeRules& rules, double bar, const StreamWords w,
                     std::size_t count, const AttributeColumns col) {
    const AttributeRules p = rules; // a copy: the byte columns' stores could alias it
    for (std::size_t j = 0; j < count; ++j) {
        sector_and_rd(p, w, col, j);
        const double u = w.uniform01(3, j);
        const int years_back = static_cast<int>(
            pick(u < p.share_oldest, 3U, pick(u < p.share_oldest + p.share_middle, 2U, 1U)));
        const double ub = w.uniform01(5, j);
        const int batch_month = static_cast<int>(
            pick(ub < p.batch1, static_cast<std::uint32_t>(p.batch_months[0]),
                 pick(ub < p.batch1 + p.batch2, static_cast<std::uint32_t>(p.batch_months[1]),
                      static_cast<std::uint32_t>(p.batch_months[2]))));
        const int issued =
            (p.start_year - years_back - p.start_year) * 12 + batch_month - p.start_month;
        const int age = static_cast<int>(w.uniform(7, j, 36.0, 240.0));
        const double c = bar + 0.5 * std::abs(table_draw(p.normal, w.word(9, j)));
        col.cert_expiry[j] = static_cast<std::int16_t>(issued + p.validity);
        col.born[j] = static_cast<std::int16_t>(-age);
        col.stage_since[j] = static_cast<std::int16_t>(issued);
        col.capability[j] = static_cast<float>(at_least_001(c));
        col.flags[j] = static_cast<std::uint8_t>(
            pick(w.uniform01(10, j) < p.loan_share, std::uint32_t{HAS_LOAN}, 0U) |
            pick(w.uniform01(12, j) < p.vc_share, std::uint32_t{HAS_VC}, 0U) |
            pick(w.uniform01(14, j) < p.rnd_share, std::uint32_t{RND_INSTITUTION}, 0U));
    }
}

// The same three loops for the AVX2 kernels (use_avx2_kernels()), four firms a vector with GCC's
// vector extensions, for batches of a multiple of four firms: GCC leaves the loops above scalar in
// their AVX2 clones (the bytes they write make it size its vectors for 32 firms, and it finds no
// vector form for the knots' gather at that width). The arithmetic is the loops' own, operation for
// operation (same bits: a test runs the model with each). Their words come from
// engine::philox_fill_wide: word k of firm j is wide[k / 4][k % 4][j].
struct WideWords {
    const std::uint64_t* const* block[4];

    [[gnu::always_inline, gnu::target("avx2")]] const std::uint64_t* at(std::size_t k,
                                                                        std::size_t j) const {
        return block[k / 4][k % 4] + j;
    }
    [[gnu::always_inline, gnu::target("avx2")]] x4::I word(std::size_t k, std::size_t j) const {
        return x4::words(at(k, j));
    }
    [[gnu::always_inline, gnu::target("avx2")]] x4::D uniform01(std::size_t k,
                                                                std::size_t j) const {
        return x4::u01_open(word(k, j), word(k + 1, j));
    }
    [[gnu::always_inline, gnu::target("avx2")]] x4::D uniform(std::size_t k, std::size_t j,
                                                              double a, double b) const {
        return a + (b - a) * uniform01(k, j);
    }
};

// sector_and_rd, four firms.
[[gnu::always_inline, gnu::target("avx2")]] inline x4::D sector_and_rd4(const AttributeRules& p,
                                                                        const WideWords& w,
                                                                        const AttributeColumns& col,
                                                                        std::size_t j) {
    const x4::I k = x4::sector_of(w.uniform01(0, j), p.cumulative);
    const x4::D rd = x4::sector_rd(x4::table_draw(p.rd_table, w.at(2, j)), k, p.rd_premium);
    x4::put_bytes(col.sector + j, k);
    x4::put_floats(col.rd_intensity + j, rd);
    return rd;
}

[[gnu::target("avx2")]] void startup_attributes(const AttributeRules& p, const WideWords& w,
                                                std::size_t count, const AttributeColumns& col) {
    for (std::size_t j = 0; j < count; j += 4) {
        const x4::D rd = sector_and_rd4(p, w, col, j);
        const x4::D months_in = w.uniform(3, j, 0.0, p.incubation_max);
        const x4::I age = x4::truncated(months_in);
        const x4::D c = p.newborn_mean + p.capability_sd * x4::table_draw(p.normal, w.at(5, j)) +
                        months_in / 12.0 * (p.young_growth + p.rd_effect_per_year * rd);
        x4::put_shorts(col.born + j, -age);
        x4::put_shorts(col.stage_since + j, -age);
        x4::put_floats(col.capability + j, x4::at_least_001(c));
        std::memset(col.flags + j, 0, 4);
    }
}

[[gnu::target("avx2")]] void sme_attributes(const AttributeRules& p, const WideWords& w,
                                            std::size_t count, const AttributeColumns& col) {
    const x4::I loan = x4::I{} + x4::q::HAS_LOAN;
    const x4::I vc = x4::I{} + x4::q::HAS_VC;
    for (std::size_t j = 0; j < count; j += 4) {
        sector_and_rd4(p, w, col, j);
        const x4::I age = x4::truncated(w.uniform(3, j, 12.0, 120.0));
        const x4::I since = -x4::truncated(0.0 + (x4::from_int(age) - 0.0) * w.uniform01(5, j));
        const x4::D c =
            p.entrant_mean + 2.0 * p.capability_sd * x4::table_draw(p.normal, w.at(7, j));
        x4::put_shorts(col.born + j, -age);
        x4::put_shorts(col.stage_since + j, since);
        x4::put_floats(col.capability + j, x4::at_least_001(c));
        x4::put_bytes(col.flags + j, ((w.uniform01(8, j) < p.loan_share) & loan) |
                                         ((w.uniform01(10, j) < p.vc_share) & vc));
    }
}

[[gnu::target("avx2")]] void certified_attributes(const AttributeRules& p, double bar,
                                                  const WideWords& w, std::size_t count,
                                                  const AttributeColumns& col) {
    const x4::I loan = x4::I{} + x4::q::HAS_LOAN;
    const x4::I vc = x4::I{} + x4::q::HAS_VC;
    const x4::I rnd = x4::I{} + x4::q::RND_INSTITUTION;
    const x4::I month0 = x4::I{} + p.batch_months[0], month1 = x4::I{} + p.batch_months[1],
                month2 = x4::I{} + p.batch_months[2];
    for (std::size_t j = 0; j < count; j += 4) {
        sector_and_rd4(p, w, col, j);
        const x4::D u = w.uniform01(3, j);
        const x4::I years_back =
            x4::pick(u < p.share_oldest, x4::I{} + 3,
                     x4::pick(u < p.share_oldest + p.share_middle, x4::I{} + 2, x4::I{} + 1));
        const x4::D ub = w.uniform01(5, j);
        const x4::I batch_month =
            x4::pick(ub < p.batch1, month0, x4::pick(ub < p.batch1 + p.batch2, month1, month2));
        const x4::I issued =
            (p.start_year - years_back - p.start_year) * 12 + batch_month - p.start_month;
        const x4::I age = x4::truncated(w.uniform(7, j, 36.0, 240.0));
        const x4::D z = x4::table_draw(p.normal, w.at(9, j));
        const x4::D c = bar + 0.5 * std::bit_cast<x4::D>(std::bit_cast<x4::I>(z) &
                                                         std::numeric_limits<std::int64_t>::max());
        x4::put_shorts(col.cert_expiry + j, issued + p.validity);
        x4::put_shorts(col.born + j, -age);
        x4::put_shorts(col.stage_since + j, issued);
        x4::put_floats(col.capability + j, x4::at_least_001(c));
        x4::put_bytes(col.flags + j, ((w.uniform01(10, j) < p.loan_share) & loan) |
                                         ((w.uniform01(12, j) < p.vc_share) & vc) |
                                         ((w.uniform01(14, j) < p.rnd_share) & rnd));
    }
}

// The firms' initial attributes. Firms are laid down oldest rung first (leaders, certified,
// SMEs, startups: preferential attachment then makes established firms the hubs), so each stage
// is a block of consecutive ids whose firms all read the same words of their streams: a batch
// of one stage has its streams computed by the vectorised Philox fill and its attributes drawn
// by one loop over the batch.
void initial_attributes(State& s, const StepContext& ctx, const std::array<std::size_t, 4>& ends) {
    const engine::YearMonth start = ctx.calendar->start();
    AttributeRules p{};
    p.cumulative = sector_cumulative(ctx);
    p.normal = engine::NormalTable::instance().knots().data();
    p.rd_table =
        rd_intensity_table(par(ctx, param::rd_intensity_alpha), par(ctx, param::rd_intensity_beta))
            .knots()
            .data();
    p.rd_premium = par(ctx, param::digital_rd_premium);
    p.start_year = start.year;
    p.start_month = start.month;
    p.share_oldest = par(ctx, param::initial_cohort_share_oldest);
    p.share_middle = par(ctx, param::initial_cohort_share_middle);
    p.batch1 = par(ctx, param::hte_batch1_share);
    p.batch2 = par(ctx, param::hte_batch2_share);
    p.batch_months = {static_cast<int>(par(ctx, param::hte_batch1_month)),
                      static_cast<int>(par(ctx, param::hte_batch2_month)),
                      static_cast<int>(par(ctx, param::hte_batch3_month))};
    p.validity = static_cast<int>(par(ctx, param::cert_validity_months));
    p.loan_share = par(ctx, param::initial_loan_share);
    p.vc_share = par(ctx, param::initial_vc_share);
    p.rnd_share = par(ctx, param::initial_rnd_institution_share);
    p.incubation_max = par(ctx, param::incubation_max_months);
    p.newborn_mean = par(ctx, param::newborn_capability_mean);
    p.capability_sd = par(ctx, param::newborn_capability_sd);
    p.entrant_mean = par(ctx, param::sme_entry_capability_mean);
    p.young_growth = par(ctx, param::capability_drift) + par(ctx, param::platform_effect);
    p.rd_effect_per_year = par(ctx, param::rd_effect);
    const double hte_bar = par(ctx, param::hte_capability_threshold);
    const double leader_bar = par(ctx, param::leader_capability_bar);

    // ends = {leaders, certified, SMEs, startups}: the end of each stage's block of ids.
    const std::array<std::uint8_t, 4> block_stage = {LEADER, HIGH_TECH, SME, INCUBATING};
    auto& stage = s.firms[s.stage];
    for (std::size_t k = 0; k < 4; ++k) {
        std::fill(stage.begin() + static_cast<std::ptrdiff_t>(k == 0 ? 0 : ends[k - 1]),
                  stage.begin() + static_cast<std::ptrdiff_t>(ends[k]), block_stage[k]);
    }
    const bool avx2 = use_avx2_kernels();
    ctx.executor->for_chunks(ends[3], Model::CHUNK, [&](std::size_t, std::size_t b, std::size_t e) {
        alignas(64) std::uint32_t words[4][4 * ATTRIBUTE_BATCH];
        const StreamWords w{{words[0], words[1], words[2], words[3]}};
        alignas(64) std::uint64_t wide[4][4][ATTRIBUTE_BATCH];
        std::uint64_t* wide_words[4][4];
        for (std::size_t blk = 0; blk < 4; ++blk) {
            for (std::size_t k = 0; k < 4; ++k) {
                wide_words[blk][k] = wide[blk][k];
            }
        }
        const WideWords ww{{wide_words[0], wide_words[1], wide_words[2], wide_words[3]}};
        for (std::size_t from = b; from < e;) {
            std::size_t k = 0;
            while (ends[k] <= from) {
                ++k;
            }
            const std::uint8_t st = block_stage[k];
            const std::size_t to = std::min({e, ends[k], from + ATTRIBUTE_BATCH});
            const std::size_t count = to - from;
            const AttributeColumns col{
                s.firms[s.sector].data() + from,      s.firms[s.flags].data() + from,
                s.firms[s.born].data() + from,        s.firms[s.stage_since].data() + from,
                s.firms[s.cert_expiry].data() + from, s.firms[s.capability].data() + from,
                s.firms[s.rd_intensity].data() + from};
            // The same switch for both kinds of loops: the AVX2 ones take WideWords.
            const auto draw = [&](const auto& stream_words) {
                switch (st) {
                case INCUBATING:
                    startup_attributes(p, stream_words, count, col);
                    break;
                case SME:
                    sme_attributes(p, stream_words, count, col);
                    break;
                default:
                    certified_attributes(p, st == LEADER ? leader_bar : hte_bar, stream_words,
                                         count, col);
                    break;
                }
            };
            if (avx2 && count % 4 == 0) {
                for (std::uint16_t blk = 0; blk < INITIAL_BLOCKS[st]; ++blk) {
                    engine::philox_fill_wide(ctx.key, static_cast<std::uint32_t>(from), 0, INITIAL,
                                             count, wide_words[blk], blk);
                }
                draw(ww);
            } else {
                for (std::uint16_t blk = 0; blk < INITIAL_BLOCKS[st]; ++blk) {
                    engine::philox_fill(ctx.key, static_cast<std::uint32_t>(from), 0, INITIAL,
                                        count, words[blk], blk);
                }
                draw(w);
            }
            from = to;
        }
    });
}

// collaboration_network's scan with 16-bit counts, with the AVX2 kernels (use_avx2_kernels): the
// same units in the same places, the same counts, each sector's next place a lane of a vector
// (x4::SectorPlaces). 0.84-0.88 of the scalar scan's time (in-process A/B, Zen 3).
template <class Unit>
[[gnu::target("avx2")]] void
pool_and_counts_avx2(std::size_t n, const std::uint32_t* offsets, const Network::Vertex* targets,
                     const std::uint8_t* sector, const std::uint8_t* stage, Unit* const* out,
                     NeighbourCounts16* counts) {
    x4::SectorPlaces places;
    std::uint32_t i = offsets[0];
    for (std::size_t v = 0; v < n; ++v) {
        const std::uint32_t end = offsets[v + 1];
        std::uint64_t own = 0; // packed_count
        for (; i < end; ++i) {
            const Network::Vertex u = targets[i];
            const std::uint8_t c = sector[u];
            out[c][places.take(c)] = static_cast<Unit>(u);
            own += packed_count(stage[u]);
        }
        counts[v] = unpacked_counts(own);
    }
}

// The attachment pool's units in network order (every firm once per tie, firm by firm), each
// sector's written straight into its list, by the scan that counts each firm's collaborators.
template <class Unit>
void pool_and_counts(State& s, std::size_t n, std::span<const std::uint32_t> offsets,
                     std::span<const Network::Vertex> targets,
                     const std::array<std::size_t, SECTOR_COUNT>& units, std::size_t room) {
    const auto& stage = s.firms[s.stage];
    const auto& sector = s.firms[s.sector];
    std::array<Unit*, SECTOR_COUNT> out{};
    for (std::size_t c = 0; c < SECTOR_COUNT; ++c) {
        out[c] = s.attachment.extend<Unit>(c, units[c], room / SECTOR_COUNT);
    }
    if (!s.counts16.empty() && use_avx2_kernels()) {
        pool_and_counts_avx2(n, offsets.data(), targets.data(), sector.data(), stage.data(),
                             out.data(), s.counts16.data());
        return;
    }
    if (!s.counts16.empty()) {
        for (std::size_t v = 0; v < n; ++v) {
            std::uint64_t own = 0; // packed_count
            for (std::uint32_t i = offsets[v]; i < offsets[v + 1]; ++i) {
                const Network::Vertex u = targets[i];
                *out[sector[u]]++ = static_cast<Unit>(u);
                own += packed_count(stage[u]);
            }
            s.counts16[v] = unpacked_counts(own);
        }
        return;
    }
    for (std::size_t v = 0; v < n; ++v) {
        NeighbourCounts own{};
        for (std::uint32_t i = offsets[v]; i < offsets[v + 1]; ++i) {
            const Network::Vertex u = targets[i];
            *out[sector[u]]++ = static_cast<Unit>(u);
            ++own[stage[u]];
        }
        s.counts32[v] = own;
    }
}

// The collaboration network (preferential attachment with sector homophily), the attachment
// pool newcomers draw partners from, and each firm's collaborators by stage. Firm ids in the
// network and the pool are 16-bit while the city has at most narrow_firms firms.
void collaboration_network(State& s, const StepContext& ctx, std::size_t n, std::size_t room,
                           std::uint32_t narrow_limit, std::size_t narrow_firms) {
    const auto& sector = s.firms[s.sector];
    const auto affinity = sector_affinity(ctx);
    engine::BarabasiAlbertOptions options;
    options.vertices = n;
    options.edges_per_vertex = static_cast<unsigned>(par(ctx, param::collaboration_edges));
    options.reserve_vertices = room;
    options.category = sector;
    options.affinity = affinity;
    engine::Network network = engine::barabasi_albert(options, ctx.key, NETWORK);
    // A new network is pure CSR (no overflow entries): each firm's collaborators are its slice.
    const std::span<const std::uint32_t> offsets = network.offsets();
    const std::span<const Network::Vertex> targets = network.targets();

    // The largest degree, and each sector's units in the pool: its firms' degrees.
    std::uint32_t max_degree = 0;
    std::array<std::size_t, SECTOR_COUNT> units{};
    for (std::size_t v = 0; v < n; ++v) {
        const std::uint32_t degree = offsets[v + 1] - offsets[v];
        max_degree = std::max(max_degree, degree);
        units[sector[v]] += degree;
    }
    // Counts are 16-bit while every degree fits; newcomers check the headroom as ties grow.
    engine::start_counts<4>(s, n, room, max_degree, narrow_limit);

    // Room in the pool for the newcomers' ties, two units each.
    const std::size_t tie_room = room * options.edges_per_vertex;
    // One decision for both: the ties and the pool hold the same firm ids.
    static_assert(Ties::NARROW_FIRMS == engine::AttachmentPool::NARROW_VERTICES);
    s.narrow_firm_limit = std::min(narrow_firms, Ties::NARROW_FIRMS);
    const bool narrow = n <= s.narrow_firm_limit;
    s.attachment = engine::AttachmentPool(SECTOR_COUNT, narrow);
    if (narrow) {
        pool_and_counts<engine::AttachmentPool::Narrow>(s, n, offsets, targets, units,
                                                        2 * tie_room);
    } else {
        pool_and_counts<Network::Vertex>(s, n, offsets, targets, units, 2 * tie_room);
    }
    s.collaboration = Ties(std::move(network), tie_room, narrow);
    s.moved.reserve(n + room);
    s.moved.assign(n, 0);
}

// The starting tallies the first step's rates read, and the pilot-platform ties, which fill
// most of the capacity at the start (one word from each SME's and certified firm's stream of
// step 1, computed in one vectorised fill). Also what the derived rates need: each stage's mean
// exit multiplier (README "Exit"), the capability of firms without venture backing (the deal
// hazard's base), and this year's value-added panel (the firms certified now).
struct InitialSums {
    double loans = 0.0;
    double capability_without_vc = 0.0;
};

InitialSums initial_tallies(State& s, const StepContext& ctx, std::size_t certified_and_smes) {
    const std::size_t n = s.firms.size();
    const auto& stage = s.firms[s.stage];
    const auto& sector = s.firms[s.sector];
    auto& flags = s.firms[s.flags];
    const auto& capability = s.firms[s.capability];
    const auto& rd_intensity = s.firms[s.rd_intensity];
    const double slots =
        par(ctx, param::initial_pilot_platforms) * par(ctx, param::firms_per_pilot_platform);
    const auto eligible = static_cast<double>(certified_and_smes);
    const double tie_share =
        eligible > 0.0 ? std::min(1.0, INITIAL_PLATFORM_OCCUPANCY * slots / eligible) : 0.0;
    const double loan_sizes[4] = {0.0, par(ctx, param::loan_size_sme),
                                  par(ctx, param::loan_size_high_tech),
                                  par(ctx, param::loan_size_leader)};
    const double va_per_capability = va_factor(ctx, 0.0);
    const double loan_exit = par(ctx, param::loan_exit_factor);
    const double vc_exit = par(ctx, param::vc_exit_factor);
    const double exit_slope = par(ctx, param::capability_exit_slope);
    auto& batch = s.firms[s.batch];
    engine::StreamBatch ties;
    ties.fill(ctx.key, 0, 1, INITIAL, certified_and_smes, 1);
    InitialSums out;
    std::array<double, 4> multiplier_sum{};
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t st = stage[i];
        ++s.active[st];
        if (st >= SME) {
            engine::PrefilledStream rng = ties.stream(i);
            if (engine::uniform01(rng) < tie_share) {
                flags[i] |= PLATFORM_TIE;
                ++s.tied;
            }
        }
        const bool loan = (flags[i] & HAS_LOAN) != 0;
        const bool vc = (flags[i] & HAS_VC) != 0;
        if (loan) {
            out.loans += loan_sizes[st];
        }
        if ((flags[i] & RND_INSTITUTION) != 0) {
            ++s.with_rnd_institution;
        }
        const auto c = static_cast<double>(capability[i]);
        s.capability_sum += c;
        multiplier_sum[st] +=
            (loan ? loan_exit : 1.0) * (vc ? vc_exit : 1.0) / (1.0 + exit_slope * c);
        out.capability_without_vc += vc ? 0.0 : c;
        const double va = va_per_capability * c;
        s.va_total += va;
        s.va_digital += is_digital(sector[i]) ? va : 0.0;
        if (st >= HIGH_TECH) {
            s.va_certified += va;
            s.rd_spending += static_cast<double>(rd_intensity[i]) * c;
            batch[i] = IN_PANEL;
            s.panel_base_capability += c;
        }
    }
    for (std::size_t k = 0; k < 4; ++k) {
        s.exit_norm[k] =
            multiplier_sum[k] > 0.0 ? static_cast<double>(s.active[k]) / multiplier_sum[k] : 1.0;
    }
    s.panel_capability = s.panel_base_capability;
    s.panel_base_va_factor = va_per_capability;
    s.va_factor_now = va_per_capability;
    s.months_now = 0.0;
    s.capability_initial = s.capability_sum;
    return out;
}

// Rates derived so that the initial stocks are the steady state of their flows (README "SD
// stocks").
void derived_rates(State& s, const StepContext& ctx, double capability_without_vc) {
    // Loans start on their balanced-growth path (README "D4"): the balance B0 (the borrowers'
    // average outstanding loans) grew by initial_loan_growth over the year before, at r a month,
    // so the loans originated in the first month are k B0, k = (e^r - e^(-1/term)) / (term
    // (1 - e^(-1/term))) (about 1/term + r; the balance's exact step then grows it by e^r), not
    // the B0/term of a balance at rest. Of r, credit_deepening (d a month) is loan size and
    // n = r - d the number of loans. A holder repays with probability 1 - e^(-1/term) a month,
    // so for the holders to grow by e^n a month, the loans taken per month are holders
    // (e^n - e^(-1/term)) (about 1/term + n): a non-holder borrows with monthly probability
    // x = s0 (e^n - e^(-1/term))/(1 - s0), as a hazard -ln(1 - x) so that a month's draws give x
    // (the exact steady state of the month's draws when r = d = 0; x with 1/term for the
    // repayment's probability lent 1.4-4 % more than repaid at terms of 36-12 months, until
    // 7 December 2026). Loans still outstanding were made over the past term, when loans were
    // smaller and fewer, so a new loan at the start is larger than the average outstanding (the
    // stated sizes) by the vintage factor v = k/(e^n - e^(-1/term)), about
    // (1/term + r)/(1/term + n), which keeps the originations at k B0. The application hazard
    // follows from the approvals under the policies in force at the start (risk compensation index
    // 1, the lever's definition), so a lever above 1 lends more.
    const double loan_share = par(ctx, param::initial_loan_share);
    const double term = par(ctx, param::loan_term_months);
    const double approval0 = std::min(1.0, par(ctx, param::loan_approval));
    const double r = std::log1p(par(ctx, param::initial_loan_growth)) / 12.0;
    const double d = std::log1p(par(ctx, param::credit_deepening)) / 12.0;
    const double k_loan =
        std::max(0.0, std::expm1(r) - std::expm1(-1.0 / term)) / (-term * std::expm1(-1.0 / term));
    // A growth far below the deepening (fewer new loans than repaid ones) at most halves the
    // rate loans are made at; the vintage factor then still keeps the originations at k B0.
    const double n = std::max(r - d, -0.5 / term);
    const double loans_per_holder = std::exp(n) - std::exp(-1.0 / term);
    s.loan_vintage = k_loan / loans_per_holder;
    const double x =
        loan_share < 1.0 ? std::min(1.0, loan_share * loans_per_holder / (1.0 - loan_share)) : 1.0;
    const double a = x < 1.0 ? -std::log1p(-x) : 1.0;
    s.loan_demand = approval0 > 0.0 ? a / approval0 : 0.0;
    // Venture capital: deals at the start invest initial_vc_invested a year; fundraising keeps the
    // dry powder where it is (raised = invested + what leaves unused).
    const double vc_invested = par(ctx, param::initial_vc_invested);
    const double deals_per_month = vc_invested / 12.0 / par(ctx, param::vc_deal_size);
    s.vc_deal_rate = capability_without_vc > 0.0 && std::isfinite(deals_per_month)
                         ? deals_per_month / capability_without_vc
                         : 0.0;
    s.vc_fundraising = vc_invested + 12.0 * par(ctx, param::initial_vc_stock) /
                                         par(ctx, param::vc_fund_life_months);
    // Brokers and liaisons leave at the rate that keeps the initial stock with the initial hiring
    // (none leave when none are hired).
    s.staff_attrition =
        lev(ctx, lever::new_transfer_staff) / 12.0 / par(ctx, param::initial_transfer_staff);
    // Contract turnover: the twelve months before the start had total T, growing at g, spread
    // over the months by the seasonal shares; the rate at the start is the one that reproduces T.
    const engine::YearMonth start = ctx.calendar->start();
    const double g = par(ctx, param::initial_turnover_growth);
    double weight = 0.0;
    for (int k = 1; k <= 12; ++k) {
        const int month_of_year = (start.month - 1 - k + 24) % 12 + 1;
        weight += contract_month_share(ctx, month_of_year) * std::pow(1.0 + g, -k / 12.0);
    }
    s.turnover_rate0 = weight > 0.0 ? par(ctx, param::initial_turnover_rate) / weight : 0.0;
    // Insurance: premiums per insured certified firm at the start.
    const double insured0 = s.certified_initial * par(ctx, param::initial_insured_share);
    s.premium_per_firm = insured0 > 0.0 ? par(ctx, param::initial_insurance) / insured0 : 0.0;
}

// SD stocks at the start; the delay pipelines hold what the initial lever flows would have in
// transit at equilibrium.
void initial_stocks(const StepContext& ctx, double loans, Eigen::VectorXd& y) {
    y.setZero();
    sd(y, stock::talent) = par(ctx, param::initial_talent);
    sd(y, stock::loan_balance) = loans;
    sd(y, stock::vc_available) = par(ctx, param::initial_vc_stock);
    sd(y, stock::vc_invested_12m) = par(ctx, param::initial_vc_invested);
    sd(y, stock::insured_share) = par(ctx, param::initial_insured_share);
    sd(y, stock::innovation_space) = par(ctx, param::initial_innovation_space);
    sd(y, stock::incubators) = par(ctx, param::initial_incubators);
    sd(y, stock::pilot_platforms) = par(ctx, param::initial_pilot_platforms);
    sd(y, stock::transfer_staff) = par(ctx, param::initial_transfer_staff);
    sd(y, stock::transfer_centres) = par(ctx, param::initial_transfer_centres);
    sd(y, stock::labs) = par(ctx, param::initial_labs);
    sd(y, stock::knowledge) = 1.0;
    engine::Delay3{stock::space_pipeline_1}.initialise(
        y, lev(ctx, lever::innovation_space_construction) / 12.0,
        par(ctx, param::space_delivery_months));
    engine::Delay3{stock::incubator_pipeline_1}.initialise(
        y, lev(ctx, lever::new_incubators) / 12.0, par(ctx, param::incubator_setup_months));
    engine::Delay3{stock::pilot_pipeline_1}.initialise(
        y, lev(ctx, lever::new_pilot_platforms) / 12.0, par(ctx, param::pilot_setup_months));
    engine::Delay3{stock::centre_pipeline_1}.initialise(
        y, lev(ctx, lever::new_transfer_centres) / 12.0, par(ctx, param::centre_setup_months));
    engine::Delay3{stock::lab_pipeline_1}.initialise(y, lev(ctx, lever::new_labs) / 12.0,
                                                     par(ctx, param::lab_setup_months));
}

} // namespace
} // namespace detail

void Model::init(State& s, const engine::StepContext& ctx, Eigen::VectorXd& y) const {
    using namespace detail;
    const auto n_incubating = static_cast<std::size_t>(par(ctx, param::initial_incubating));
    const auto n_sme = static_cast<std::size_t>(par(ctx, param::initial_smes));
    const auto n_high_tech = static_cast<std::size_t>(par(ctx, param::initial_high_tech));
    const auto n_leader = static_cast<std::size_t>(par(ctx, param::initial_leaders));
    const std::size_t n = n_incubating + n_sme + n_high_tech + n_leader;
    const int steps = ctx.calendar->steps();
    // Room for the entrants of the whole run; untouched reserved pages are never resident.
    const double dt = ctx.dt_months();
    const double expected = (par(ctx, param::startup_rate) + par(ctx, param::spinoff_rate) * 4.0 +
                             par(ctx, param::sme_entry_rate)) *
                            dt * steps * 2.0;
    const auto room = static_cast<std::size_t>(expected + 1024.0);

    s = State{};
    for (PhaseClock* phase :
         {&s.phases.network, &s.phases.attributes, &s.phases.decide, &s.phases.apply,
          &s.phases.calendar, &s.phases.newcomers, &s.phases.tallies}) {
        phase->timed = time_phases;
    }
    s.stage = s.firms.add_column<std::uint8_t>("stage", EXITED);
    s.sector = s.firms.add_column<std::uint8_t>("sector", OTHER);
    s.flags = s.firms.add_column<std::uint8_t>("flags", 0);
    s.batch = s.firms.add_column<std::uint8_t>("batch", 0);
    s.born = s.firms.add_column<std::int16_t>("born", 0);
    s.stage_since = s.firms.add_column<std::int16_t>("stage_since", 0);
    s.cert_expiry = s.firms.add_column<std::int16_t>("cert_expiry", 0);
    s.capability = s.firms.add_column<float>("capability", 0.0F);
    s.rd_intensity = s.firms.add_column<float>("rd_intensity", 0.0F);
    s.firms.reserve(n + room);
    s.firms.add(n);

    const std::size_t leaders_end = n_leader;
    const std::size_t high_tech_end = leaders_end + n_high_tech;
    const std::size_t sme_end = high_tech_end + n_sme;
    {
        const PhaseTimer timer(s.phases.attributes);
        initial_attributes(s, ctx, {leaders_end, high_tech_end, sme_end, n});
    }
    {
        const PhaseTimer timer(s.phases.network);
        collaboration_network(s, ctx, n, room, narrow_count_limit, narrow_firm_limit);
    }
    const PhaseTimer timer(s.phases.attributes);
    const InitialSums sums = initial_tallies(s, ctx, sme_end);
    s.rd_spending_initial = s.rd_spending;
    s.certified_initial = static_cast<double>(n_high_tech + n_leader);
    derived_rates(s, ctx, sums.capability_without_vc);
    s.knowledge_inputs_initial =
        par(ctx, param::initial_labs) +
        par(ctx, param::projects_per_lab) * lev(ctx, lever::major_projects);
    s.changes.resize(engine::Executor::chunk_count(n + room, CHUNK));
    s.tallies.resize(s.changes.size());
    initial_stocks(ctx, sums.loans, y);
}

} // namespace canopy::models::ecosystem
