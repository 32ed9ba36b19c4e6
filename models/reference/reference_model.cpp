#include "reference/reference_model.hpp"

#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/network_algorithms.hpp>
#include <canopy/engine/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

namespace canopy::models::reference {

namespace {

using engine::Network;
using engine::Purpose;

// Random-stream purposes of this model; distinct so no two uses share numbers.
constexpr Purpose NETWORK = 1;
constexpr Purpose INITIAL_STAGE = 2;
constexpr Purpose DECIDE = 3;
constexpr Purpose BIRTH_COUNT = 4;
constexpr Purpose ATTACH = 5;

// Initial stage fractions (REFERENCE.md); SME takes the remainder.
constexpr double INITIAL_INCUBATED = 0.375;
constexpr double INITIAL_HIGH_TECH = 0.300;
constexpr double INITIAL_LEADER = 0.001;

// A newborn whose targets keep being rejected gives up after this many draws and links to the
// firms it has (only possible when almost no firm is active; documented in the README).
constexpr int MAX_ATTACH_DRAWS = 1 << 16;

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
    // README, "Speed": 50 bytes per firm for state and network; 199 million agent-steps/s on
    // one thread at N = 400,000, taken down to 100 million for larger, cache-unfriendly runs.
    m.bytes_per_agent = 50.0;
    m.agent_steps_per_second = 100e6;
    return m;
}

std::size_t rounded_count(double fraction, std::size_t n) {
    return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n)));
}

// The per-stage numbers one step's decisions need.
struct DecideTables {
    std::array<std::int64_t, 4> exit_at{}; // u < exit_at[s]: exit
    std::array<double, 4> up_scale{};      // (1 - EXIT[s]) * BASE[s] * LEVER[s] * 2^32
};

// Newborns per chunk of the parallel choice of partners.
constexpr std::size_t BIRTH_CHUNK = 512;

// Firms per inner block: 16 Philox blocks of 4 words, one word per firm.
constexpr std::size_t BLOCK = 64;

// The decisions of firms [begin, end) (begin a multiple of 4): appends each change to `out`,
// returns the number of firms active at the start of the step. The inner loops are branch-free
// so that the compiler vectorises them; target_clones builds an AVX-512 version next to the
// portable one and the loader picks the best the CPU runs. Both give the same bits (integer
// Philox, IEEE double arithmetic without contraction).
[[gnu::target_clones("arch=x86-64-v4", "default")]] std::int64_t
decide_chunk(const std::uint8_t* stage, const NeighbourCounts* counts, std::size_t begin,
             std::size_t end, const engine::RandomKey& key, std::uint32_t step,
             const DecideTables& t, std::vector<Model::Change>& out) {
    std::int64_t active = 0;
    alignas(64) std::uint32_t u[BLOCK];
    alignas(64) std::uint8_t decision[BLOCK];
    for (std::size_t i0 = begin; i0 < end; i0 += BLOCK) {
        const std::size_t len = std::min(BLOCK, end - i0);
        engine::philox_fill(key, static_cast<std::uint32_t>(i0 >> 2), step, DECIDE, BLOCK / 4, u);
        for (std::size_t j = 0; j < len; ++j) {
            // Masks instead of branches so the loop vectorises.
            const std::uint8_t st = stage[i0 + j];
            const std::uint32_t k = st & 3U;
            const NeighbourCounts& c = counts[i0 + j];
            const std::uint32_t total = c[0] + c[1] + c[2] + c[3];
            const std::uint32_t higher = (c[1] & (0U - static_cast<std::uint32_t>(k < 1))) +
                                         (c[2] & (0U - static_cast<std::uint32_t>(k < 2))) +
                                         (c[3] & (0U - static_cast<std::uint32_t>(k < 3)));
            const double share =
                static_cast<double>(higher) /
                static_cast<double>(total | static_cast<std::uint32_t>(total == 0));
            const std::int64_t exit_below = t.exit_at[k];
            const std::int64_t up_below =
                exit_below + static_cast<std::int64_t>(t.up_scale[k] * (1.0 + SPILLOVER * share));
            const std::int64_t uj = u[j];
            const auto is_active = static_cast<std::uint8_t>(st <= LEADER);
            active += is_active;
            decision[j] =
                static_cast<std::uint8_t>(is_active * (static_cast<std::uint8_t>(uj < up_below) +
                                                       static_cast<std::uint8_t>(uj < exit_below)));
        }
        for (std::size_t j = 0; j < len; ++j) {
            if (decision[j] != 0) {
                out.push_back(
                    {static_cast<std::uint32_t>(i0 + j),
                     static_cast<std::uint8_t>(decision[j] == 2 ? EXITED : stage[i0 + j] + 1)});
            }
        }
    }
    return active;
}

} // namespace

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
    if (rcm_order) {
        s.network = engine::permuted(s.network, engine::reverse_cuthill_mckee_order(s.network));
        s.network.reserve(n + room, s.network.num_edges() + room * m);
    }
    s.firms = engine::Population();
    s.firms.reserve(n + room);
    s.stage = s.firms.add_column<std::uint8_t>("stage", INCUBATED);
    s.neighbours = s.firms.add_column<NeighbourCounts>("neighbour_counts", NeighbourCounts{});
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

    // Each firm's active neighbours by stage: the one full scan of the network.
    engine::count_neighbour_states<4>(s.network, std::span<const std::uint8_t>(stage),
                                      std::span<NeighbourCounts>(s.firms[s.neighbours]),
                                      *ctx.executor, CHUNK);
    s.exits = s.births = s.agent_steps = 0;
    s.phase_seconds = {};
    s.changes.clear();
    s.edges_per_firm = m;
    s.picks.clear();
}

void Model::step_agents(State& s, const engine::StepContext& ctx) const {
    auto& stage = s.firms[s.stage];
    auto& counts = s.firms[s.neighbours];
    const std::size_t n = s.firms.size();
    const auto step = static_cast<std::uint32_t>(ctx.step);

    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    // Per-stage constants of this step. One uniform word u decides: exit if u < exit_at[s];
    // promote if exit_at[s] <= u < exit_at[s] + (1 - EXIT[s]) * p_up * 2^32.
    DecideTables t{};
    for (std::size_t k = 0; k < 4; ++k) {
        t.exit_at[k] = static_cast<std::int64_t>(engine::u32_threshold(EXIT[k]));
        t.up_scale[k] = k < 3 ? (1.0 - EXIT[k]) * BASE[k] * ctx.levers[k] * 0x1.0p32 : 0.0;
    }

    const std::size_t chunks = engine::Executor::chunk_count(n, CHUNK);
    if (s.changes.size() < chunks) {
        s.changes.resize(chunks);
        s.started.resize(chunks);
    }
    auto& started = s.started;
    ctx.executor->for_chunks(n, CHUNK, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
        s.changes[chunk].clear();
        started[chunk] = decide_chunk(stage.data(), counts.data(), begin, end, ctx.key, step, t,
                                      s.changes[chunk]);
    });

    const auto t1 = Clock::now();
    s.phase_seconds[0] += std::chrono::duration<double>(t1 - t0).count();

    // Apply the decisions: stages and neighbour counts change only now, so every decision above
    // saw the stages at the start of the step. Each firm changes at most once, so its stage is
    // written by one thread. Neighbour counts are integer additions, the same in any order: on a
    // network larger than the caches they are updated in memory order (each change's moves are
    // recorded by the block of firms they touch, then each block's counts are updated by one
    // thread), on a smaller one in place, atomically when threads share them.
    s.agent_steps = 0;
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        s.agent_steps += started[chunk];
    }
    s.tallies.resize(chunks);
    const bool blocked = s.moves.start(chunks, n);
    const bool shared = ctx.executor->parallel();
    ctx.executor->for_each(chunks, [&](std::size_t chunk) {
        Tally& tally = s.tallies[chunk];
        tally = {};
        for (const Change& ch : s.changes[chunk]) {
            const std::uint8_t from = stage[ch.firm];
            stage[ch.firm] = ch.to;
            --tally.active[from];
            if (ch.to == EXITED) {
                ++tally.exits;
            } else {
                ++tally.active[ch.to];
            }
            if (blocked) {
                s.moves.record(chunk, s.network, ch.firm, from, ch.to);
            } else {
                engine::move_neighbour_state(s.network, std::span<NeighbourCounts>(counts), ch.firm,
                                             from, ch.to, shared);
            }
        }
    });
    if (blocked) {
        s.moves.apply(std::span<NeighbourCounts>(counts), *ctx.executor);
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
    // only reads the network and the stages, so newborns choose in parallel; linking them in is
    // sequential (it appends to the network).
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
    ctx.executor->for_chunks(born, BIRTH_CHUNK, [&](std::size_t, std::size_t b0, std::size_t b1) {
        for (std::size_t b = b0; b < b1; ++b) {
            Network::Vertex* picks = s.picks.data() + b * m;
            engine::Stream rng = ctx.stream(static_cast<engine::AgentId>(first + b), ATTACH);
            std::size_t got = 0;
            for (int draw = 0; got < m && draw < MAX_ATTACH_DRAWS && snapshot.size() > 0; ++draw) {
                const Network::Vertex v =
                    s.network.entry(snapshot, engine::index_below(rng.next_u64(), snapshot.size()));
                if (stage[v] <= LEADER && std::find(picks, picks + got, v) == picks + got) {
                    picks[got++] = v;
                }
            }
            s.pick_counts[b] = static_cast<std::uint32_t>(got);
        }
    });
    s.firms.add(born);
    auto& counts_after = s.firms[s.neighbours]; // add() may have moved the columns
    auto& stage_after = s.firms[s.stage];
    for (std::size_t b = 0; b < born; ++b) {
        const std::span<const Network::Vertex> picks(s.picks.data() + b * m, s.pick_counts[b]);
        const Network::Vertex id = s.network.add_vertex(picks);
        NeighbourCounts own{};
        for (const Network::Vertex v : picks) {
            ++own[stage_after[v]];
            ++counts_after[v][INCUBATED];
        }
        counts_after[id] = own;
    }
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

double Model::agents_at_horizon(std::span<const double> p, const engine::Calendar& calendar) {
    // The firms at the start and every newborn (no exits): the population the run reserves.
    return p[P_FIRMS] + p[P_BIRTHS_PER_MONTH] * calendar.steps() * calendar.dt_months();
}

std::size_t Model::state_bytes(const State& s) {
    return s.firms.bytes() + s.network.bytes();
}

} // namespace canopy::models::reference
