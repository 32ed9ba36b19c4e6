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
        std::vector<ref::NeighbourCounts> recount(after);
        engine::count_neighbour_states<4>(s.network, std::span<const std::uint8_t>(stage),
                                          std::span<ref::NeighbourCounts>(recount),
                                          engine::Executor(false));
        CHECK(recount == s.firms[s.neighbours]);
    }
    CHECK(renewals >= 1);
}
