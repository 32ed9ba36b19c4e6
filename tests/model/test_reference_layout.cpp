// The reference model's memory layout (issue 8, "Locality"): firms in reverse Cuthill–McKee
// order by default, the order renewed as newborns accumulate, and births that still follow
// bench/REFERENCE.md's rules whatever the layout.
#include "reference/reference_model.hpp"

#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/network_algorithms.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/simulation.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace canopy;
namespace ref = canopy::models::reference;

namespace {

engine::RunInputs inputs(std::size_t n, double births, int steps) {
    engine::RunInputs in;
    in.calendar = engine::Calendar({2023, 1}, steps);
    in.parameters = {static_cast<double>(n), births, 3.0};
    in.levers.assign(3, engine::Schedule::constant(1.0));
    return in;
}

// Every firm's counts, as the model counts them (from its list).
std::vector<ref::NeighbourCounts> counts_of(const ref::Model::State& s) {
    std::vector<ref::NeighbourCounts> out(s.firms.size());
    for (std::size_t v = 0; v < out.size(); ++v) {
        out[v] = s.neighbour_counts(v);
    }
    return out;
}

// The counts of a full recount of the network as it is now.
std::vector<ref::NeighbourCounts> recounted(const ref::Model::State& s) {
    std::vector<ref::NeighbourCounts> recount(s.firms.size());
    engine::count_neighbour_states<4>(s.network, std::span<const std::uint8_t>(s.firms[s.stage]),
                                      std::span<ref::NeighbourCounts>(recount),
                                      engine::Executor(false));
    return recount;
}

// Sum over edges of |u - v|: how far apart in memory collaborators sit.
std::uint64_t spread(const engine::Network& g) {
    std::uint64_t total = 0;
    for (std::size_t v = 0; v < g.num_vertices(); ++v) {
        g.for_each_neighbour(static_cast<engine::Network::Vertex>(v),
                             [&](engine::Network::Vertex u) { total += u > v ? u - v : v - u; });
    }
    return total;
}

} // namespace

TEST_CASE("The reference model numbers firms in reverse Cuthill-McKee order by default",
          "[model][reference]") {
    ref::Model natural_model;
    natural_model.order = ref::Model::Order::natural;
    const ref::Model default_model;
    CHECK(default_model.order == ref::Model::Order::rcm);

    const engine::RunInputs in = inputs(5000, 40.0, 12);
    engine::Simulation<ref::Model> natural(natural_model, in, {11, 0}, engine::Executor(false));
    engine::Simulation<ref::Model> ordered(default_model, in, {11, 0}, engine::Executor(false));
    natural.init();
    ordered.init();
    // The default layout is exactly the natural network renumbered by the engine's
    // breadth-first reverse Cuthill–McKee ordering (same seed, same network before that).
    const engine::Network& g = natural.state().network;
    const engine::Network expected = engine::permuted(g, engine::breadth_first_rcm_order(g));
    const engine::Network& got = ordered.state().network;
    CHECK(ordered.state().orderings == 1);
    CHECK(natural.state().orderings == 0);
    REQUIRE(got.num_vertices() == expected.num_vertices());
    CHECK(std::equal(got.offsets().begin(), got.offsets().end(), expected.offsets().begin()));
    CHECK(std::equal(got.targets().begin(), got.targets().end(), expected.targets().begin()));
    CHECK(got.overflow_entries() == 0);
    // ...which puts collaborators nearer each other than the build order does.
    CHECK(spread(got) < spread(g));
    // The initial stage counts are those of the rules in either layout.
    for (std::size_t k = 0; k < 4; ++k) {
        CHECK(ordered.state().active[k] == natural.state().active[k]);
    }
}

TEST_CASE("Reference births follow the rules in the default layout, across renumberings",
          "[model][reference]") {
    // 2,000 firms and 150 newborns a month, renewed at a tail of a quarter: the tail of newborns
    // passes it within four months, so the layout is renewed during the run (checked below).
    constexpr std::size_t N = 2000;
    ref::Model model;
    model.reorder_tail = 0.25;
    engine::Simulation<ref::Model> sim(model, inputs(N, 150.0, 12), {3, 0},
                                       engine::Executor(false));
    sim.init();
    engine::SeriesTable table;
    table.resize(13, ref::SERIES_COUNT);
    int renewals = 0;
    while (!sim.done()) {
        const auto& s = sim.state();
        const std::size_t before = s.firms.size();
        const bool due = static_cast<double>(before - s.ordered_firms) >
                         model.reorder_tail * static_cast<double>(s.ordered_firms);
        const int orderings = s.orderings;
        sim.step(table.row(sim.current_step() + 1));
        // Renewed exactly when the tail had grown past reorder_tail.
        CHECK(s.orderings == orderings + (due ? 1 : 0));
        renewals += s.orderings - orderings;
        const auto& stage = s.firms[s.stage];
        const std::size_t after = s.firms.size();
        CHECK(after - before == static_cast<std::size_t>(s.births));
        // Each newborn of this step: incubated, linked to 3 distinct firms that existed before
        // the births and are active after this step's exits.
        for (std::size_t id = before; id < after; ++id) {
            INFO("step " << sim.current_step() << ", newborn " << id);
            CHECK(stage[id] == ref::INCUBATED);
            std::vector<engine::Network::Vertex> partners;
            s.network.for_each_neighbour(static_cast<engine::Network::Vertex>(id),
                                         [&](engine::Network::Vertex u) { partners.push_back(u); });
            REQUIRE(partners.size() == 3);
            std::sort(partners.begin(), partners.end());
            CHECK(std::adjacent_find(partners.begin(), partners.end()) == partners.end());
            for (const auto u : partners) {
                CHECK(u < before);
                CHECK(stage[u] <= ref::LEADER);
            }
        }
    }
    CHECK(renewals >= 1);
}

TEST_CASE("Reference newborns' partners are the first active firms their own streams draw",
          "[model][reference]") {
    // 20,000 firms and 1,500 newborns a month (three birth chunks, chosen in parallel), in the
    // build order so that the network's entries keep their indices. Exited firms' edge ends are
    // drawn and rejected more often as the months go by, so some newborns draw past the four
    // draws the model makes ahead for every newborn, and a few past six (checked below).
    ref::Model model;
    model.order = ref::Model::Order::natural;
    const engine::RandomKey key{9, 0};
    engine::Simulation<ref::Model> sim(model, inputs(20000, 1500.0, 12), key,
                                       engine::Executor(true));
    sim.init();
    engine::SeriesTable table;
    table.resize(13, ref::SERIES_COUNT);
    std::size_t newborns = 0;
    std::size_t past_four = 0;
    std::size_t past_six = 0;
    while (!sim.done()) {
        const auto& s = sim.state();
        const engine::Network::Snapshot before_births = s.network.snapshot();
        const std::size_t before = s.firms.size();
        const auto step = static_cast<std::uint32_t>(sim.current_step());
        sim.step(table.row(sim.current_step() + 1));
        // Births change no older firm's stage: the stages now are those the newborns chose by.
        const auto& stage = s.firms[s.stage];
        for (std::size_t id = before; id < s.firms.size(); ++id) {
            // The rule, one draw at a time: entries of the network as it was before the births,
            // an exited firm or a repeat drawn again.
            engine::Stream draws(key, static_cast<std::uint32_t>(id), step, ref::ATTACH_PURPOSE);
            std::vector<engine::Network::Vertex> expected;
            int drawn = 0;
            while (expected.size() < 3 && drawn < ref::MAX_ATTACH_DRAWS) {
                const engine::Network::Vertex u = s.network.entry(
                    before_births, engine::index_below(draws.next_u64(), before_births.size()));
                ++drawn;
                if (stage[u] <= ref::LEADER && std::ranges::find(expected, u) == expected.end()) {
                    expected.push_back(u);
                }
            }
            // A newborn's own list, in the order it chose its partners.
            const auto offsets = s.network.offsets();
            const std::vector<engine::Network::Vertex> chosen(
                s.network.targets().begin() + offsets[id],
                s.network.targets().begin() + offsets[id + 1]);
            INFO("step " << step << ", newborn " << id << ", " << drawn << " draws");
            CHECK(chosen == expected);
            ++newborns;
            past_four += static_cast<std::size_t>(drawn > 4);
            past_six += static_cast<std::size_t>(drawn > 6);
        }
    }
    INFO(newborns << " newborns, " << past_four << " drew past 4, " << past_six << " past 6");
    CHECK(past_four >= 20);
    CHECK(past_six >= 2);
}

TEST_CASE("Reference newborns in a network without edges link to nobody", "[model][reference]") {
    // One firm has no tie, so there is no entry to draw: every newborn is born without partners
    // (and none is drawn from memory that holds no draw).
    ref::Model model;
    engine::Simulation<ref::Model> sim(model, inputs(1, 20.0, 3), {4, 0}, engine::Executor(true));
    sim.init();
    engine::SeriesTable table;
    table.resize(4, ref::SERIES_COUNT);
    std::int64_t born = 0;
    while (!sim.done()) {
        sim.step(table.row(sim.current_step() + 1));
        born += sim.state().births;
    }
    const auto& s = sim.state();
    CHECK(born > 0);
    CHECK(s.firms.size() == static_cast<std::size_t>(1 + born));
    CHECK(s.network.num_edges() == 0);
}

TEST_CASE("Reference decisions: the AVX2 kernel and the portable loop give the same bits and "
          "read the same neighbour lists, those of the firms whose draw falls between the bounds",
          "[model][reference]") {
    // 2,000 firms and 150 newborns a month for 12 months, layout renewed twice on the way. 2,000
    // is not a multiple of the 64-firm blocks, so the last block of each step is a short one.
    const engine::RunInputs in = inputs(2000, 150.0, 12);
    struct Run {
        engine::SeriesTable table;
        std::vector<std::uint8_t> stages;
        std::size_t edges = 0;
        std::vector<std::vector<engine::Network::Vertex>> listed; ///< per step, all chunks
        std::vector<double> expected_listed;                      ///< per step: the mean
        std::vector<double> listed_variance;                      ///< per step
        std::int64_t lists_read = 0;
    };
    int steps_checked = 0;
    auto simulate = [&](bool avx2_kernel) {
        ref::Model model;
        model.reorder_tail = 0.5;
        model.avx2_kernel = avx2_kernel;
        engine::Simulation<ref::Model> sim(model, in, {7, 0}, engine::Executor(false));
        sim.init();
        Run out;
        out.table.resize(13, ref::SERIES_COUNT);
        const auto& s = sim.state();
        while (!sim.done()) {
            // A firm at stage k < 3 has its list read when its word falls between the bounds:
            // with probability (1 - EXIT[k]) * BASE[k] * LEVER[k] * SPILLOVER (LEVER = 1).
            double mean = 0.0;
            double variance = 0.0;
            for (std::size_t k = 0; k < 3; ++k) {
                const double p = (1.0 - ref::EXIT[k]) * ref::BASE[k] * ref::SPILLOVER;
                mean += static_cast<double>(s.active[k]) * p;
                variance += static_cast<double>(s.active[k]) * p * (1.0 - p);
            }
            const std::vector<std::uint8_t> start_stages = s.firms[s.stage];
            const int orderings = s.orderings;
            sim.step(out.table.row(sim.current_step() + 1));
            std::vector<engine::Network::Vertex> listed;
            for (const auto& chunk : s.listed) {
                listed.insert(listed.end(), chunk.begin(), chunk.end());
            }
            // In firm order, each once, and only active firms below leader at the step's start
            // (known here unless the step began by renumbering the firms).
            CHECK(std::is_sorted(listed.begin(), listed.end()));
            CHECK(std::adjacent_find(listed.begin(), listed.end()) == listed.end());
            if (s.orderings == orderings) {
                ++steps_checked;
                for (const auto v : listed) {
                    CHECK(int{start_stages[v]} < int{ref::LEADER});
                }
            }
            out.listed.push_back(std::move(listed));
            out.expected_listed.push_back(mean);
            out.listed_variance.push_back(variance);
        }
        out.stages = s.firms[s.stage];
        out.edges = s.network.num_edges();
        out.lists_read = s.lists_read;
        return out;
    };
    const Run avx2 = simulate(true); // the portable loop too on a CPU without AVX2
    const Run portable = simulate(false);
    CHECK(steps_checked >= 18); // of 24: the layout is renewed twice in each run
    CHECK(portable.table.values == avx2.table.values);
    CHECK(portable.stages == avx2.stages);
    CHECK(portable.edges == avx2.edges);
    CHECK(portable.listed == avx2.listed);
    CHECK(portable.lists_read == avx2.lists_read);
    // The number of lists read is that of the rule: binomial, within 5 standard deviations each
    // step (about 35 a step here), and summed over the run.
    double mean = 0.0;
    double variance = 0.0;
    std::size_t total = 0;
    for (std::size_t t = 0; t < avx2.listed.size(); ++t) {
        INFO("step " << t + 1);
        const auto got = static_cast<double>(avx2.listed[t].size());
        CHECK(std::abs(got - avx2.expected_listed[t]) <= 5.0 * std::sqrt(avx2.listed_variance[t]));
        mean += avx2.expected_listed[t];
        variance += avx2.listed_variance[t];
        total += avx2.listed[t].size();
    }
    CHECK(static_cast<std::int64_t>(total) == avx2.lists_read);
    CHECK(std::abs(static_cast<double>(total) - mean) <= 5.0 * std::sqrt(variance));
}

TEST_CASE("Reference neighbour counts are those of the network and the stages as they are",
          "[model][reference]") {
    const ref::Model model;
    engine::Simulation<ref::Model> sim(model, inputs(3000, 100.0, 6), {5, 0},
                                       engine::Executor(false));
    engine::SeriesTable table;
    sim.run(table);
    CHECK(recounted(sim.state()) == counts_of(sim.state()));
}

TEST_CASE("Reference decisions over several chunks in parallel are the rule's, from the stages and "
          "neighbours at the step's start",
          "[model][reference]") {
    // 40,000 firms: three chunks of Model::CHUNK, decided on 2 threads. Every firm's decision in
    // the first step is worked out here from REFERENCE.md's rule alone: its word, the stages at
    // the step's start and a full recount of its neighbours (engine::count_neighbour_states). A
    // model that let one chunk see another's new stages, or counted a list wrongly, differs.
    // The word is the model's: RandomKey::block(firm / 4, step, DECIDE)[firm % 4], DECIDE = 3.
    constexpr std::size_t N = 40000;
    constexpr engine::Purpose DECIDE = 3;
    const engine::ThreadLimit threads(2);
    const std::array<double, 3> lever = {2.0, 0.5, 3.0};
    engine::RunInputs in = inputs(N, 300.0, 1);
    for (std::size_t k = 0; k < 3; ++k) {
        in.levers[k] = engine::Schedule::constant(lever[k]);
    }
    for (const bool avx2_kernel : {true, false}) {
        INFO("AVX2 kernel " << avx2_kernel);
        ref::Model model;
        model.avx2_kernel = avx2_kernel;
        const engine::RandomKey key{13, 0};
        engine::Simulation<ref::Model> sim(model, in, key, engine::Executor(true));
        sim.init();
        const auto& s = sim.state();
        const std::vector<std::uint8_t> start = s.firms[s.stage];
        const std::vector<ref::NeighbourCounts> counts = recounted(s);

        std::vector<std::uint8_t> expected(start);
        std::size_t between = 0; // firms whose decision the share settles
        for (std::size_t i = 0; i < N; ++i) {
            const std::uint8_t st = start[i];
            if (st > ref::LEADER) {
                continue;
            }
            const std::uint32_t u = key.block(static_cast<std::uint32_t>(i / 4), 0, DECIDE)[i % 4];
            const double a =
                static_cast<double>(u) - static_cast<double>(engine::u32_threshold(ref::EXIT[st]));
            if (a < 0.0) {
                expected[i] = ref::EXITED;
                continue;
            }
            if (st == ref::LEADER) {
                continue;
            }
            const ref::NeighbourCounts& c = counts[i];
            const std::uint32_t total = c[0] + c[1] + c[2] + c[3];
            std::uint32_t higher = 0;
            for (std::size_t k = st + 1U; k < 4; ++k) {
                higher += c[k];
            }
            const double share =
                static_cast<double>(higher) / static_cast<double>(total == 0 ? 1 : total);
            const double up_scale = (1.0 - ref::EXIT[st]) * ref::BASE[st] * lever[st] * 0x1.0p32;
            const double x = up_scale * (1.0 + ref::SPILLOVER * share);
            between += a + 1.0 > up_scale && a + 1.0 <= up_scale * (1.0 + ref::SPILLOVER) ? 1U : 0U;
            if (a + 1.0 <= x) {
                expected[i] = static_cast<std::uint8_t>(st + 1);
            }
        }

        engine::SeriesTable table;
        table.resize(2, ref::SERIES_COUNT);
        sim.step(table.row(1));
        REQUIRE(s.firms.size() > N); // newborns appended after the decided firms
        const std::vector<std::uint8_t> after(s.firms[s.stage].begin(),
                                              s.firms[s.stage].begin() + N);
        std::size_t wrong = 0;
        std::size_t changed = 0;
        for (std::size_t i = 0; i < N; ++i) {
            wrong += after[i] != expected[i] ? 1U : 0U;
            changed += after[i] != start[i] ? 1U : 0U;
        }
        CHECK(wrong == 0);
        CHECK(changed > 1000); // about 3 % of 40,000 firms exit or move up
        CHECK(between > 100);  // and the share decides about 1 %
        CHECK(static_cast<std::size_t>(s.lists_read) == between);
    }
}

TEST_CASE("Reference decisions: a word against its stage's limit is the rule's test in doubles, "
          "at the limit and beside it",
          "[model][reference]") {
    // decide_block's test: a = (u - 2^31) - (E - 2^31) in doubles, then a + 1 <= y. The AVX2
    // kernel's: u <= last_word_at_most(E, y). Checked at the limit and next to it (where an
    // off-by-one would show; random words land there once in 2^32 draws), and at both ends.
    const auto rule = [](std::uint32_t u, std::int64_t e, double y) {
        const double a = static_cast<double>(static_cast<std::int32_t>(u ^ 0x80000000U)) -
                         (static_cast<double>(e) - 0x1.0p31);
        return a + 1.0 <= y;
    };
    std::vector<std::int64_t> exits = {
        1, 2, 4294967, std::int64_t{1} << 31, (std::int64_t{1} << 32) - 1, std::int64_t{1} << 32};
    for (const double p : ref::EXIT) {
        exits.push_back(static_cast<std::int64_t>(engine::u32_threshold(p)));
    }
    std::vector<double> bounds = {0.0,
                                  0.25,
                                  0.999999,
                                  1.0,
                                  1.5,
                                  2.0,
                                  1e6 + 0.5,
                                  0x1.0p31,
                                  0x1.0p32 - 1.5,
                                  0x1.0p32 - 1.0,
                                  0x1.0p32,
                                  0x1.0p33,
                                  1e300,
                                  std::numeric_limits<double>::infinity()};
    for (std::size_t k = 0; k < 3; ++k) {
        for (const double lever : {0.0, 0.5, 1.0, 3.0, 1000.0}) {
            const double up_scale = (1.0 - ref::EXIT[k]) * ref::BASE[k] * lever * 0x1.0p32;
            bounds.push_back(up_scale);
            bounds.push_back(up_scale * (1.0 + ref::SPILLOVER * 1.0));
            bounds.push_back(std::nextafter(up_scale, 0.0));
        }
    }
    int checked = 0;
    for (const std::int64_t e : exits) {
        for (const double y : bounds) {
            INFO("E " << e << ", y " << y);
            const std::uint32_t limit = ref::last_word_at_most(e, y);
            std::vector<std::int64_t> words = {0, 1, 0xFFFFFFFF, 0xFFFFFFFE};
            for (std::int64_t d = -2; d <= 2; ++d) {
                words.push_back(std::int64_t{limit} + d);
                words.push_back(e + d);
            }
            for (const std::int64_t w : words) {
                if (w < 0 || w > 0xFFFFFFFF) {
                    continue;
                }
                const auto u = static_cast<std::uint32_t>(w);
                INFO("u " << u);
                CHECK((u <= limit) == rule(u, e, y));
                ++checked;
            }
        }
    }
    CHECK(checked > 1000);
}

TEST_CASE("Reference decisions: the AVX2 kernel's first pass and the portable loop's doubles agree "
          "at every limit and beside it",
          "[model][reference]") {
    // Random words reach a limit once in 2^32 draws, so the runs above cannot tell an off-by-one
    // in how the kernel uses a limit (exits at E rather than E - 1, a bound one word too high or
    // low, a wrong a + 1 for the firms between the bounds). Here every stage (and an exited firm)
    // meets the words at each of its limits and one either side, at the ends and at random.
    if (!ref::detail::first_pass_avx2_available()) {
        WARN("no AVX2 on this CPU: the portable loop runs either way, nothing to compare");
        return;
    }
    const std::array<std::uint8_t, 5> stages = {ref::INCUBATED, ref::SME, ref::HIGH_TECH,
                                                ref::LEADER, ref::EXITED};
    std::mt19937_64 random(17);
    int blocks = 0;
    std::uint64_t events_seen = 0;
    std::uint64_t between_seen = 0;
    for (const std::array<double, 3> lever :
         {std::array<double, 3>{1.0, 1.0, 1.0}, std::array<double, 3>{0.0, 0.0, 0.0},
          std::array<double, 3>{2.5, 0.37, 1000.0}, std::array<double, 3>{1e-9, 7.0, 0.001},
          std::array<double, 3>{-0.0, 33.3, 1.0}}) {
        // The words to try: for each stage's E and bounds, the limit and its neighbours.
        std::vector<std::uint32_t> words = {0,           1,          2,         0x7FFFFFFF,
                                            0x80000000U, 0xFFFFFFFE, 0xFFFFFFFF};
        for (std::size_t k = 0; k < 4; ++k) {
            const auto e = static_cast<std::int64_t>(engine::u32_threshold(ref::EXIT[k]));
            const double up_scale =
                k < 3 ? (1.0 - ref::EXIT[k]) * ref::BASE[k] * lever[k] * 0x1.0p32 : 0.0;
            for (const double y : {0.0, up_scale, up_scale * (1.0 + ref::SPILLOVER * 1.0)}) {
                const std::int64_t limit = ref::last_word_at_most(e, y);
                for (std::int64_t d = -2; d <= 2; ++d) {
                    for (const std::int64_t w : {limit + d, e + d}) {
                        if (w >= 0 && w <= 0xFFFFFFFF) {
                            words.push_back(static_cast<std::uint32_t>(w));
                        }
                    }
                }
            }
        }
        for (int r = 0; r < 64; ++r) {
            words.push_back(static_cast<std::uint32_t>(random()));
        }
        // Every (stage, word) pair, 64 to a block, in several arrangements.
        std::vector<std::pair<std::uint8_t, std::uint32_t>> pairs;
        for (const std::uint8_t st : stages) {
            for (const std::uint32_t w : words) {
                pairs.emplace_back(st, w);
            }
        }
        for (int shuffle = 0; shuffle < 3; ++shuffle) {
            std::shuffle(pairs.begin(), pairs.end(), random);
            for (std::size_t first = 0; first < pairs.size(); first += 64) {
                std::array<std::uint8_t, 64> stage{};
                std::array<std::uint32_t, 64> u{};
                for (std::size_t j = 0; j < 64; ++j) {
                    const auto& [st, w] = pairs[(first + j) % pairs.size()];
                    stage[j] = st;
                    u[j] = w;
                }
                const ref::detail::FirstPass kernel = ref::detail::first_pass_avx2(stage, u, lever);
                const ref::detail::FirstPass doubles =
                    ref::detail::first_pass_doubles(stage, u, lever);
                INFO("levers " << lever[0] << ", " << lever[1] << ", " << lever[2] << "; block at "
                               << first);
                CHECK(kernel.events == doubles.events);
                CHECK(kernel.exits == doubles.exits);
                CHECK(kernel.between == doubles.between);
                CHECK(kernel.a_plus_one == doubles.a_plus_one);
                events_seen |= doubles.events;
                between_seen |= doubles.between;
                ++blocks;
            }
        }
    }
    CHECK(blocks > 100);
    CHECK(events_seen != 0);
    CHECK(between_seen != 0);
}

TEST_CASE("Reference decisions: the AVX2 kernel and the portable loop agree at extreme levers",
          "[model][reference]") {
    // Lever 0 (no firm moves up), 1000 (every active firm below leader that does not exit moves
    // up: the limits are capped at 2^32 - 1) and a mix.
    for (const std::array<double, 3> lever :
         {std::array<double, 3>{0.0, 0.0, 0.0}, std::array<double, 3>{1000.0, 1000.0, 1000.0},
          std::array<double, 3>{0.37, 250.0, 0.0}}) {
        INFO("levers " << lever[0] << ", " << lever[1] << ", " << lever[2]);
        engine::RunInputs in = inputs(3001, 120.0, 6);
        for (std::size_t k = 0; k < 3; ++k) {
            in.levers[k] = engine::Schedule::constant(lever[k]);
        }
        std::vector<std::vector<std::uint8_t>> stages;
        std::vector<std::vector<double>> tables;
        for (const bool avx2_kernel : {true, false}) {
            ref::Model model;
            model.avx2_kernel = avx2_kernel;
            engine::Simulation<ref::Model> sim(model, in, {11, 0}, engine::Executor(false));
            engine::SeriesTable table;
            sim.run(table);
            stages.push_back(sim.state().firms[sim.state().stage]);
            tables.push_back(table.values);
        }
        CHECK(stages[0] == stages[1]);
        CHECK(tables[0] == tables[1]);
    }
}

TEST_CASE("Reference model: a lever below 0 is an error naming it, not a result",
          "[model][reference]") {
    // Scenarios and canopy-bench keep levers in range; a program calling the model directly
    // with a negative multiplier (which REFERENCE.md's rule has no meaning for) is told which.
    // (Schedules refuse numbers that are not finite.)
    for (const double bad : {-0.5, -1e-300}) {
        engine::RunInputs in = inputs(1000, 50.0, 3);
        in.levers[1] = engine::Schedule::constant(1.0);
        in.levers[2] = engine::Schedule::constant(bad);
        const ref::Model model;
        engine::Simulation<ref::Model> sim(model, in, {3, 0}, engine::Executor(false));
        engine::SeriesTable table;
        try {
            sim.run(table);
            FAIL("a run with lever_high_tech = " << bad << " did not stop");
        } catch (const Error& e) {
            const std::string what = e.what();
            CHECK(what.find("lever_high_tech") != std::string::npos);
            CHECK(what.find("0 or more") != std::string::npos);
        }
    }
}
