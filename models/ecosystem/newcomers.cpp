// Newcomers: startups into incubators and SME entrants, their attributes, and their
// collaboration ties by preferential attachment with sector homophily (README "5. Newcomers",
// "4. Networks").
#include "ecosystem/detail.hpp"
#include "ecosystem/lanes4.hpp"

#include <canopy/engine/count_width.hpp>
#include <canopy/engine/normal_table.hpp>

#include <algorithm>
#include <type_traits>

namespace canopy::models::ecosystem::detail {

namespace {

// A newcomer whose candidate partners keep being rejected stops after this many draws.
constexpr int MAX_ATTACH_DRAWS = 4096;
// Newcomers per chunk of the parallel choice of partners.
constexpr std::size_t NEWCOMER_CHUNK = 256;

// How many newcomers enter this step: startups (seekers thinned by the chance of a seat, capped
// by the free seats) and SME entrants.
std::pair<std::uint64_t, std::uint64_t> entrants(const State& s, const StepContext& ctx,
                                                 const StepRates& r) {
    const Eigen::VectorXd& y = *ctx.stocks;
    const double seats = sd(y, stock::incubators) * par(ctx, param::seats_per_incubator) +
                         sd(y, stock::innovation_space) * par(ctx, param::seats_per_10k_m2);
    const double free_seats = std::max(0.0, seats - static_cast<double>(s.active[INCUBATING]));
    const double talent_index = sd(y, stock::talent) / par(ctx, param::initial_talent);
    const double seekers =
        (par(ctx, param::startup_rate) *
             std::pow(talent_index, par(ctx, param::talent_birth_elasticity)) +
         par(ctx, param::spinoff_rate) * transfer_index(y, ctx) * sd(y, stock::knowledge)) *
        r.dt;
    const double seat_share = free_seats / (free_seats + par(ctx, param::seat_half_saturation));
    engine::Stream count_rng = ctx.stream(0, BIRTH_COUNT);
    const auto startups = std::min<std::uint64_t>(engine::poisson(count_rng, seekers * seat_share),
                                                  static_cast<std::uint64_t>(free_seats));
    // SME entrants: spin-outs and upgrades, plus the firms talent-programme recruits found.
    const double founders =
        lev(ctx, lever::talent_programme_recruits) / 12.0 * par(ctx, param::recruit_founder_share);
    const std::uint64_t sme_entrants =
        engine::poisson(count_rng, (par(ctx, param::sme_entry_rate) + founders) * r.dt);
    return {startups, sme_entrants};
}

// What newcomers' attributes are drawn with, and the columns they go to (from the step's
// first newcomer).
struct NewcomerRules {
    std::array<double, SECTOR_COUNT> cumulative;
    const double* normal;   // knots of the standard normal's table
    const double* rd_table; // knots of the R&D intensities' Beta table
    double rd_premium, newborn_mean, entrant_mean, capability_sd;
    std::size_t startups; // newcomers before this are startups, the rest SME entrants
    std::int16_t month;
    std::uint8_t* stage;
    std::uint8_t* sector;
    std::int16_t* born;
    std::int16_t* stage_since;
    float* capability;
    float* rd_intensity;
};

// Newcomers [b0, b1)'s attributes from their NEWCOMER block (words: sector 0-1, capability 2,
// R&D intensity 3), in one branch-free loop that vectorises: the words a PrefilledStream would
// give, with the same arithmetic (the same bits).
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
newcomer_attributes(const NewcomerRules& rules, const std::uint32_t* __restrict words,
                    std::size_t b0, std::size_t b1) {
    const NewcomerRules p = rules; // a copy: the byte columns' stores could alias it
    std::uint8_t* __restrict stage = p.stage;
    std::uint8_t* __restrict sector = p.sector;
    std::int16_t* __restrict born = p.born;
    std::int16_t* __restrict stage_since = p.stage_since;
    float* __restrict capability = p.capability;
    float* __restrict rd_intensity = p.rd_intensity;
    for (std::size_t b = b0; b < b1; ++b) {
        const std::uint32_t* w = words + 4 * b;
        const bool startup = b < p.startups;
        const unsigned k =
            sector_of(engine::u01_open((std::uint64_t{w[0]} << 32) | w[1]), p.cumulative);
        stage[b] =
            static_cast<std::uint8_t>(pick(startup, std::uint32_t{INCUBATING}, std::uint32_t{SME}));
        sector[b] = static_cast<std::uint8_t>(k);
        born[b] = p.month;
        stage_since[b] = p.month;
        capability[b] =
            static_cast<float>(at_least_001(pick(startup, p.newborn_mean, p.entrant_mean) +
                                            p.capability_sd * table_draw(p.normal, w[2])));
        rd_intensity[b] = static_cast<float>(
            sector_rd(table_draw(p.rd_table, w[3]), static_cast<std::uint8_t>(k), p.rd_premium));
    }
}

} // namespace

std::array<double, SECTOR_COUNT> newcomer_cumulative(const StepContext& ctx) {
    const std::array<double, SECTOR_COUNT> cum = sector_cumulative(ctx);
    std::array<double, SECTOR_COUNT> w{};
    double prev = 0.0;
    for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
        w[k] = cum[k] - prev;
        prev = cum[k];
    }
    const double tilt = 1.0 + par(ctx, param::digital_entry_tilt);
    w[OPTOELECTRONICS] *= tilt;
    w[BEIDOU] *= tilt;
    double total = 0.0;
    for (const double x : w) {
        total += x;
    }
    std::array<double, SECTOR_COUNT> out{};
    double acc = 0.0;
    for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
        acc += total > 0.0 ? w[k] / total : 0.0;
        out[k] = acc;
    }
    out[OTHER] = 1.0;
    return out;
}

// The attachment pool's units for this step's ties, with the AVX2 kernels (use_avx2_kernels): in
// the order linking the newcomers in adds them (for each newcomer, each partner's unit then its
// own), each sector's list grown once and its places kept in the lanes of a vector
// (x4::SectorPlaces) instead of a push_back per unit, whose list end went through memory.
template <class Unit>
[[gnu::target("avx2")]] void
add_units_avx2(engine::AttachmentPool& pool, const std::uint8_t* sector, std::size_t first,
               std::size_t born, std::size_t m, const Network::Vertex* picks,
               const std::uint32_t* pick_counts) {
    x4::SectorPlaces count;
    for (std::size_t b = 0; b < born; ++b) {
        const std::uint8_t own = sector[first + b];
        const Network::Vertex* partners = picks + b * m;
        for (std::uint32_t j = 0; j < pick_counts[b]; ++j) {
            count.take(sector[partners[j]]);
            count.take(own);
        }
    }
    const std::array<std::uint32_t, 8> units = count.all();
    std::array<Unit*, SECTOR_COUNT> out{};
    for (std::size_t c = 0; c < SECTOR_COUNT; ++c) {
        out[c] = pool.extend<Unit>(c, units[c]);
    }
    x4::SectorPlaces places;
    for (std::size_t b = 0; b < born; ++b) {
        const auto id = static_cast<Network::Vertex>(first + b);
        const std::uint8_t own = sector[id];
        const Network::Vertex* partners = picks + b * m;
        for (std::uint32_t j = 0; j < pick_counts[b]; ++j) {
            const Network::Vertex v = partners[j];
            const std::uint8_t c = sector[v];
            out[c][places.take(c)] = static_cast<Unit>(v);
            out[own][places.take(own)] = static_cast<Unit>(id);
        }
    }
}

// Each newcomer gets a sector, capability and R&D intensity, and collaboration ties to active
// firms that existed before this step's entries. Their random words come in two vectorised
// fills (NEWCOMER: one block each; ATTACH: one block per tie drawn); choosing partners only reads
// the network, so it runs in parallel; linking them in appends to the network, in order.
void add_newcomers(State& s, const StepContext& ctx, const StepRates& r) {
    const PhaseTimer timer(s.phases.newcomers);
    const auto [startups, sme_entrants] = entrants(s, ctx, r);
    s.births = static_cast<std::int64_t>(startups);
    s.sme_entries = static_cast<std::int64_t>(sme_entrants);
    const std::size_t born = startups + sme_entrants;
    if (born == 0) {
        return;
    }
    const auto m = static_cast<std::size_t>(par(ctx, param::collaboration_edges));
    engine::keep_counts_fitting<4>(s, born, m);

    // Partners are drawn against the pool as it is now: this step's newcomers cannot be drawn.
    // The category weights depend only on the snapshot and the newcomer's sector: once per step.
    const std::size_t first = s.firms.size();
    const engine::AttachmentPool::Snapshot snapshot = s.attachment.snapshot();
    const auto affinity = sector_affinity(ctx);
    std::array<engine::AttachmentPool::Weights, SECTOR_COUNT> weights;
    for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
        weights[k] = s.attachment.weights(
            snapshot, std::span<const double>(affinity.data() + k * SECTOR_COUNT, SECTOR_COUNT));
    }

    // Every column grows once.
    s.firms.add(born);
    with_counts(s, [&](auto& counts) { counts.resize(first + born); });
    auto& stage = s.firms[s.stage];
    auto& sector = s.firms[s.sector];
    NewcomerRules rules{};
    rules.cumulative = newcomer_cumulative(ctx);
    rules.normal = engine::NormalTable::instance().knots().data();
    rules.rd_table =
        rd_intensity_table(par(ctx, param::rd_intensity_alpha), par(ctx, param::rd_intensity_beta))
            .knots()
            .data();
    rules.rd_premium = par(ctx, param::digital_rd_premium);
    rules.newborn_mean = par(ctx, param::newborn_capability_mean);
    rules.entrant_mean = par(ctx, param::sme_entry_capability_mean);
    rules.capability_sd = par(ctx, param::newborn_capability_sd);
    rules.startups = startups;
    rules.month = static_cast<std::int16_t>(r.month);
    rules.stage = stage.data() + first;
    rules.sector = sector.data() + first;
    rules.born = s.firms[s.born].data() + first;
    rules.stage_since = s.firms[s.stage_since].data() + first;
    rules.capability = s.firms[s.capability].data() + first;
    rules.rd_intensity = s.firms[s.rd_intensity].data() + first;
    const auto step = static_cast<std::uint32_t>(ctx.step);
    const auto first_id = static_cast<std::uint32_t>(first);
    // A newcomer's first draws of partners read its ATTACH blocks 0 .. located - 1 (one block a
    // draw); a newcomer whose candidates are rejected reads on from block `located`.
    const auto located = static_cast<std::uint16_t>(std::min<std::size_t>(m, 8));
    s.newcomer_words.fill(ctx.key, first_id, step, NEWCOMER, born, 1);
    s.attach_words.fill(ctx.key, first_id, step, ATTACH, born, located);
    s.picks.resize(born * m);
    s.pick_counts.resize(born);
    s.locations.resize(born * located);
    // Where a newcomer's first draws land: located AHEAD newcomers before its partners are
    // chosen, and their units prefetched (the pool is larger than the caches, and its units are
    // read at random), so that the misses overlap without flooding the cache with a chunk's.
    constexpr std::size_t AHEAD = 16;
    // Where the draw of one Philox block (four words, as a Stream reads them) lands.
    const auto locate_block = [&](const engine::AttachmentPool::Weights& w,
                                  const std::uint32_t* word) {
        return engine::AttachmentPool::locate_in<SECTOR_COUNT>(
            SECTOR_COUNT, snapshot, w, (std::uint64_t{word[0]} << 32) | word[1],
            (std::uint64_t{word[2]} << 32) | word[3]);
    };
    // A drawn firm becomes a partner if it is active and not already picked.
    const auto take = [&](Network::Vertex v, Network::Vertex* picks, std::size_t& got) {
        if (stage[v] <= LEADER && std::find(picks, picks + got, v) == picks + got) {
            picks[got++] = v;
        }
    };
    const auto locate = [&](std::size_t b) {
        const engine::AttachmentPool::Weights& w = weights[sector[first + b]];
        if (w.units == 0) {
            return;
        }
        engine::AttachmentPool::Location* at = s.locations.data() + b * located;
        for (std::uint16_t d = 0; d < located; ++d) {
            at[d] = locate_block(w, s.attach_words.block(d) + 4 * b);
            s.attachment.prefetch(at[d]);
        }
    };
    // Partners in two stages, PICK_AHEAD newcomers apart. The first reads a newcomer's located
    // units (arrived by then) and their stages and keeps the acceptable ones; if that leaves it
    // short (a unit of a firm that has exited, or a partner drawn twice: one newcomer in six in
    // the default scenario), it locates the draws that follow and prefetches their units, which
    // the second stage then reads (before, each was a cache miss on the critical path). Draw d
    // of a newcomer is its ATTACH block d whether located early or read from a Stream, so the
    // picks are the same as drawing one by one.
    constexpr std::size_t PICK_AHEAD = 8;
    const auto first_picks = [&](std::size_t b) {
        const std::size_t id = first + b;
        Network::Vertex* picks = s.picks.data() + b * m;
        const engine::AttachmentPool::Weights& w = weights[sector[id]];
        std::size_t got = 0;
        if (w.units != 0) {
            engine::AttachmentPool::Location* at = s.locations.data() + b * located;
            for (std::size_t d = 0; d < located && got < m; ++d) {
                take(s.attachment.unit(at[d]), picks, got);
            }
            // The next draws, one for each partner still missing (at most `located`: the
            // locations' room), in the places the first draws leave free.
            const std::size_t extra = std::min<std::size_t>(m - got, located);
            for (std::size_t e = 0; e < extra; ++e) {
                const engine::Block word =
                    ctx.key.block(static_cast<std::uint32_t>(id), step, ATTACH,
                                  static_cast<std::uint16_t>(located + e));
                at[e] = locate_block(w, word.data());
                s.attachment.prefetch(at[e]);
            }
        }
        s.pick_counts[b] = static_cast<std::uint32_t>(got);
    };
    const auto last_picks = [&](std::size_t b) {
        const std::size_t id = first + b;
        const engine::AttachmentPool::Weights& w = weights[sector[id]];
        std::size_t got = s.pick_counts[b];
        if (w.units == 0 || got == m) {
            return;
        }
        Network::Vertex* picks = s.picks.data() + b * m;
        const std::size_t extra = std::min<std::size_t>(m - got, located);
        const engine::AttachmentPool::Location* at = s.locations.data() + b * located;
        engine::Stream more(ctx.key, static_cast<std::uint32_t>(id), step, ATTACH,
                            static_cast<std::uint16_t>(located + extra));
        for (std::size_t d = located; got < m && d < MAX_ATTACH_DRAWS; ++d) {
            take(d < located + extra ? s.attachment.unit(at[d - located])
                                     : s.attachment.draw(snapshot, w, more),
                 picks, got);
        }
        s.pick_counts[b] = static_cast<std::uint32_t>(got);
    };
    const auto choose = [&](std::size_t b0, std::size_t b1) {
        newcomer_attributes(rules, s.newcomer_words.block(0), b0, b1);
        for (std::size_t b = b0; b < std::min(b1, b0 + AHEAD); ++b) {
            locate(b);
        }
        for (std::size_t b = b0; b < std::min(b1, b0 + PICK_AHEAD); ++b) {
            first_picks(b);
        }
        for (std::size_t b = b0; b < b1; ++b) {
            if (b + AHEAD < b1) {
                locate(b + AHEAD);
            }
            if (b + PICK_AHEAD < b1) {
                first_picks(b + PICK_AHEAD);
            }
            last_picks(b);
        }
    };
    ctx.executor->for_chunks(born, NEWCOMER_CHUNK,
                             [&](std::size_t, std::size_t b0, std::size_t b1) { choose(b0, b1); });
    // Firm ids stay 16-bit in the ties and the pool while the city has at most
    // Model::narrow_firm_limit firms.
    if (first + born > s.narrow_firm_limit) {
        s.collaboration.widen();
        s.attachment.widen();
    }
    // Linking a newcomer in updates its partners' counts, at random places: fetched for writing
    // LINK_AHEAD newcomers early, so that the misses overlap.
    constexpr std::size_t LINK_AHEAD = 8;
    const bool avx2 = use_avx2_kernels();
    with_counts(s, [&](auto& counts) {
        for (std::size_t b = 0; b < born; ++b) {
            if (b + LINK_AHEAD < born) {
                const Network::Vertex* later = s.picks.data() + (b + LINK_AHEAD) * m;
                for (std::uint32_t j = 0; j < s.pick_counts[b + LINK_AHEAD]; ++j) {
                    __builtin_prefetch(counts.data() + later[j], 1);
                }
            }
            const std::span<const Network::Vertex> picks(s.picks.data() + b * m, s.pick_counts[b]);
            const Network::Vertex id = s.collaboration.add(picks);
            s.most_newcomer_ties = std::max(s.most_newcomer_ties, s.pick_counts[b]);
            using Counts = typename std::remove_reference_t<decltype(counts)>::value_type;
            constexpr bool narrow = std::is_same_v<Counts, NeighbourCounts16>;
            std::uint64_t own16 = 0; // the newcomer's own 16-bit counts, packed (packed_count)
            Counts own{};
            for (const Network::Vertex v : picks) {
                if constexpr (narrow) {
                    own16 += packed_count(stage[v]);
                } else {
                    ++own[stage[v]];
                }
                ++counts[v][stage[id]];
                if (!avx2) {
                    s.attachment.add(v, sector[v]);
                    s.attachment.add(id, sector[id]);
                }
            }
            if constexpr (narrow) {
                own = unpacked_counts(own16);
            }
            counts[id] = own;
            ++s.active[stage[id]];
        }
    });
    if (avx2 && s.attachment.narrow()) {
        add_units_avx2<engine::AttachmentPool::Narrow>(s.attachment, sector.data(), first, born, m,
                                                       s.picks.data(), s.pick_counts.data());
    } else if (avx2) {
        add_units_avx2<Network::Vertex>(s.attachment, sector.data(), first, born, m, s.picks.data(),
                                        s.pick_counts.data());
    }
}

} // namespace canopy::models::ecosystem::detail
