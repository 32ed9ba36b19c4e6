// The reference model's memory layout (issue 8, "Locality"): firms in reverse Cuthill–McKee
// order by default, the order renewed as newborns accumulate, and births that still follow
// bench/REFERENCE.md's rules whatever the layout.
#include "reference/reference_model.hpp"

#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/network_algorithms.hpp>
#include <canopy/engine/simulation.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
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

// Every firm's counts, whichever width the model keeps them in.
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
        // The neighbour counts are exact after every step, renumbered or not.
        CHECK(recounted(s) == counts_of(s));
    }
    CHECK(renewals >= 1);
}

TEST_CASE("Reference neighbour counts: 16-bit, 32-bit and the switch between them give the same "
          "bits, and so does decide's AVX2 kernel",
          "[model][reference]") {
    // 2,000 firms and 150 newborns a month for 12 months, layout renewed twice on the way. 2,000
    // is not a multiple of the 64-firm blocks, so the last block of each step is a short one.
    const engine::RunInputs in = inputs(2000, 150.0, 12);
    struct Run {
        engine::SeriesTable table;
        std::vector<std::uint8_t> stages;
        std::vector<ref::NeighbourCounts> counts;
        std::size_t edges = 0;
        bool narrow = false; ///< 16-bit at the end
        std::int64_t counts_read = 0;
        std::int64_t firm_steps = 0; ///< firms (active or not) decided, over the steps
    };
    auto simulate = [&](std::uint32_t limit, bool avx2_kernel = true) {
        ref::Model model;
        model.reorder_tail = 0.5;
        model.narrow_count_limit = limit;
        model.avx2_kernel = avx2_kernel;
        engine::Simulation<ref::Model> sim(model, in, {7, 0}, engine::Executor(false));
        Run out;
        sim.run(out.table);
        const auto& s = sim.state();
        out.stages = s.firms[s.stage];
        out.counts = counts_of(s);
        out.edges = s.network.num_edges();
        out.narrow = !s.counts16.empty();
        out.counts_read = s.counts_read;
        double firms = in.parameters[ref::P_FIRMS]; // firms at each step's start
        for (int t = 1; t <= in.calendar.steps(); ++t) {
            out.firm_steps += static_cast<std::int64_t>(firms);
            firms += out.table.at(t, ref::S_BIRTHS);
        }
        CHECK(s.counts16.empty() != s.counts32.empty()); // exactly one width in use
        CHECK(recounted(s) == out.counts);
        return out;
    };
    const ref::Model default_model; // outlives the simulation, which keeps a reference to it
    engine::Simulation<ref::Model> at_start(default_model, in, {7, 0}, engine::Executor(false));
    at_start.init();
    const std::uint32_t initial_max_degree = at_start.state().network.max_degree();

    const Run narrow = simulate(engine::MAX_16_BIT_DEGREE);
    CHECK(narrow.narrow); // a small network's degrees fit in 16 bits
    const Run wide = simulate(0);
    CHECK(!wide.narrow); // 32-bit from the start
    // 16-bit at the start, widened in the first step (its newborns could pass the limit).
    const Run switched = simulate(initial_max_degree + 1);
    CHECK(!switched.narrow);
    // The portable decide loop on 16-bit counts (on a CPU with AVX2 the default runs the AVX2
    // kernel; elsewhere both runs take the portable loop).
    const Run portable = simulate(engine::MAX_16_BIT_DEGREE, false);
    CHECK(portable.narrow);
    for (const Run* r : {&wide, &switched, &portable}) {
        CHECK(r->table.values == narrow.table.values);
        CHECK(r->stages == narrow.stages);
        CHECK(r->counts == narrow.counts);
        CHECK(r->edges == narrow.edges);
    }
    // Which counts decide read (canopy-bench bandwidth's bytes): the portable loop reads every
    // firm's; the AVX2 kernel only the groups of four with a firm near the threshold.
    CHECK(portable.counts_read == portable.firm_steps);
    CHECK(wide.counts_read == wide.firm_steps);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v3")) {
        CHECK(narrow.counts_read > 0);
        CHECK(narrow.counts_read < portable.counts_read / 4);
    }
}

TEST_CASE("Reference neighbour counts widen to 32 bits in the step a count could pass 16 bits, "
          "and not before",
          "[model][reference]") {
    // A firm's counts add up to its counted (active) neighbours, which only births raise, and a
    // step's newborns add at most one edge each to any firm: in step t no count can pass
    // max(T_t, 3) + born_t (T_t the largest total before the births, 3 a newborn's edges), so
    // the counts must widen in the first step where that is above the limit, and not before. A
    // test limit stands in for 65,535: the largest of that bound over the first two steps of the
    // same run, so the counts widen in a later step (when degrees have grown).
    const engine::RunInputs in = inputs(2000, 150.0, 12);
    const auto largest_total = [](const ref::Model::State& s) {
        std::uint32_t most = 0;
        for (const ref::NeighbourCounts& c : counts_of(s)) {
            most = std::max(most, c[0] + c[1] + c[2] + c[3]);
        }
        return most;
    };
    auto bound = [](const ref::Model::State& s, std::uint32_t total_before) {
        return static_cast<std::int64_t>(std::max<std::uint32_t>(total_before, 3)) + s.births;
    };
    std::int64_t limit = 0;
    std::int64_t highest = 0;
    {
        const ref::Model default_model; // outlives the simulation, which keeps a reference
        engine::Simulation<ref::Model> first(default_model, in, {5, 0}, engine::Executor(false));
        first.init();
        engine::SeriesTable table;
        table.resize(13, ref::SERIES_COUNT);
        while (!first.done()) {
            const std::uint32_t total_before = largest_total(first.state());
            first.step(table.row(first.current_step() + 1));
            const std::int64_t b = bound(first.state(), total_before);
            if (first.current_step() <= 2) {
                limit = std::max(limit, b);
            }
            highest = std::max(highest, b);
        }
    }
    REQUIRE(highest > limit); // degrees grow enough for a later step to pass it

    ref::Model model;
    model.narrow_count_limit = static_cast<std::uint32_t>(limit);
    engine::Simulation<ref::Model> sim(model, in, {5, 0}, engine::Executor(false));
    sim.init();
    const auto& s = sim.state();
    REQUIRE(!s.counts16.empty());
    engine::SeriesTable table;
    table.resize(13, ref::SERIES_COUNT);
    int widened_at = 0;
    while (!sim.done()) {
        const bool narrow_before = !s.counts16.empty();
        // Births are the only growth of totals in a step.
        const std::uint32_t total_before = largest_total(s);
        sim.step(table.row(sim.current_step() + 1));
        INFO("step " << sim.current_step());
        const bool narrow_after = !s.counts16.empty();
        CHECK(s.counts16.empty() != s.counts32.empty());
        // 16-bit after the step exactly when it was before and no count could pass the limit.
        CHECK(narrow_after == (narrow_before && bound(s, total_before) <= limit));
        if (narrow_after) {
            CHECK(largest_total(s) <= limit); // every count fits (at most the total)
        }
        if (narrow_before && !narrow_after) {
            widened_at = sim.current_step();
        }
        CHECK(recounted(s) == counts_of(s));
    }
    CHECK(widened_at >= 3);
}
