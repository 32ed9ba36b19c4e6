// Neighbour state counts kept exact by moving changed vertices, serially or concurrently.
#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/count_width.hpp>
#include <canopy/engine/neighbour_counts.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace canopy::engine;

namespace {
std::vector<StateCounts<3>> recount(const Network& g, const std::vector<std::uint8_t>& states) {
    std::vector<StateCounts<3>> counts(states.size());
    count_neighbour_states<3>(g, std::span<const std::uint8_t>(states),
                              std::span<StateCounts<3>>(counts), Executor(false));
    return counts;
}
} // namespace

TEST_CASE("Moving states keeps neighbour counts equal to a recount", "[neighbour_counts]") {
    const Network g = barabasi_albert({5000, 3, 0}, {3, 0}, 1);
    std::vector<std::uint8_t> states(5000);
    for (std::size_t v = 0; v < states.size(); ++v) {
        states[v] = static_cast<std::uint8_t>(v % 3);
    }
    auto counts = recount(g, states);
    for (const bool concurrent : {false, true}) {
        // Change a tenth of the vertices, some to the uncounted state 7.
        for (std::uint32_t v = 0; v < 5000; v += 10) {
            const std::uint8_t to = static_cast<std::uint8_t>((v / 10) % 4 == 3 ? 7 : (v / 10) % 3);
            if (to == states[v]) {
                continue;
            }
            move_neighbour_state<3>(g, std::span<StateCounts<3>>(counts), v, states[v], to,
                                    concurrent);
            states[v] = to;
        }
        CHECK(counts == recount(g, states));
    }
}

TEST_CASE("Uncounted states are ignored by the full scan", "[neighbour_counts]") {
    const Network g = Network::from_edges(3, std::vector<Network::Vertex>{0, 1, 0, 2});
    const std::vector<std::uint8_t> states = {0, 9, 2};
    const auto counts = recount(g, states);
    CHECK(counts[0] == StateCounts<3>{0, 0, 1}); // vertex 1's state 9 is not counted
    CHECK(counts[1] == StateCounts<3>{1, 0, 0});
}

TEST_CASE("16-bit counts move exactly like 32-bit ones, and widen to them", "[neighbour_counts]") {
    const Network g = barabasi_albert({3000, 3, 0}, {4, 0}, 1);
    REQUIRE(g.max_degree() <= MAX_16_BIT_DEGREE);
    std::vector<std::uint8_t> states(3000);
    for (std::size_t v = 0; v < states.size(); ++v) {
        states[v] = static_cast<std::uint8_t>(v % 3);
    }
    std::vector<StateCounts<3>> wide(states.size());
    std::vector<StateCounts<3, std::uint16_t>> narrow(states.size());
    count_neighbour_states<3>(g, std::span<const std::uint8_t>(states),
                              std::span<StateCounts<3>>(wide), Executor(false));
    count_neighbour_states<3>(g, std::span<const std::uint8_t>(states),
                              std::span<StateCounts<3, std::uint16_t>>(narrow), Executor(false));
    for (std::uint32_t v = 0; v < 3000; v += 7) {
        const std::uint8_t to = static_cast<std::uint8_t>((states[v] + 1) % 4);
        move_neighbour_state<3>(g, std::span<StateCounts<3>>(wide), v, states[v], to, true);
        move_neighbour_state<3>(g, std::span<StateCounts<3, std::uint16_t>>(narrow), v, states[v],
                                to, false);
        states[v] = to;
    }
    CHECK(widened<3>(std::span<const StateCounts<3, std::uint16_t>>(narrow)) == wide);
    CHECK(wide == recount(g, states));
}

TEST_CASE("16-bit counts keep a sound headroom from their totals and widen only when a count "
          "could pass the limit",
          "[neighbour_counts]") {
    struct State {
        std::vector<StateCounts<2, std::uint16_t>> counts16;
        std::vector<StateCounts<2, std::uint32_t>> counts32;
        std::uint64_t count_headroom = 0;
        std::uint32_t narrow_count_limit = 0;
    } s;
    start_counts<2>(s, 3, 0, 40, 100); // largest degree 40: 60 more edges fit under 100
    REQUIRE(s.counts16.size() == 3);
    CHECK(s.count_headroom == 60);
    s.counts16 = {{10, 20}, {5, 0}, {0, 0}}; // totals 30, 5, 0 (some neighbours uncounted)
    CHECK(largest_total<2>(std::span<const StateCounts<2, std::uint16_t>>(s.counts16)) == 30);

    keep_counts_fitting<2>(s, 50, 3); // within the headroom: nothing measured
    CHECK(s.count_headroom == 10);
    keep_counts_fitting<2>(s, 60, 3); // past it: measured again, 30 + 60 <= 100
    CHECK(s.count_headroom == 100 - 30 - 60);
    REQUIRE(!s.counts16.empty());

    // After links: vertex 1 reached 25. Vertex 0 (30) was not reached, so its bound stands.
    s.count_headroom = 0;
    note_linked_totals(s, 60, 25);
    CHECK(s.count_headroom == 60); // 100 - max(bound 40 before the links, 25)
    note_linked_totals(s, 0, 70);  // a link reached 70: that is the bound now
    CHECK(s.count_headroom == 30);

    keep_counts_fitting<2>(s, 71, 3); // 30 + 71 > 100: widened, counts kept
    REQUIRE(s.counts16.empty());
    CHECK(s.counts32 == std::vector<StateCounts<2, std::uint32_t>>{{10, 20}, {5, 0}, {0, 0}});
    note_linked_totals(s, 71, 200); // 32-bit counts have no headroom to keep
    CHECK(s.count_headroom == 0);
}

TEST_CASE("max_degree is the largest number of edge ends at a vertex", "[neighbour_counts]") {
    const Network star = Network::from_edges(4, std::vector<Network::Vertex>{0, 1, 0, 2, 0, 3});
    CHECK(star.max_degree() == 3);
    CHECK(Network().max_degree() == 0);
}
