// Homophilous preferential attachment: draws proportional to degree units x affinity.
#include <canopy/engine/attachment.hpp>
#include <canopy/engine/error.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <vector>

using canopy::engine::AttachmentPool;
using canopy::engine::Network;
using canopy::engine::RandomKey;
using canopy::engine::Stream;

namespace {
AttachmentPool example() {
    // Category 0: vertex 0 x10, vertex 1 x20; category 1: vertex 2 x30; category 2: vertex 3 x40.
    AttachmentPool pool(3);
    for (int k = 0; k < 10; ++k) {
        pool.add(0, 0);
    }
    for (int k = 0; k < 20; ++k) {
        pool.add(1, 0);
    }
    for (int k = 0; k < 30; ++k) {
        pool.add(2, 1);
    }
    for (int k = 0; k < 40; ++k) {
        pool.add(3, 2);
    }
    return pool;
}
} // namespace

TEST_CASE("Draws are proportional to degree units times affinity", "[attachment]") {
    const AttachmentPool pool = example();
    const auto at = pool.snapshot();
    const std::array<double, 3> affinity = {1.0, 0.5, 0.0};
    // Weights: v0 10, v1 20, v2 30 * 0.5 = 15, v3 0; total 45.
    const std::array<double, 4> expected = {10.0 / 45, 20.0 / 45, 15.0 / 45, 0.0};
    constexpr int N = 90000;
    std::array<int, 4> count{};
    for (std::uint32_t i = 0; i < N; ++i) {
        Stream rng(RandomKey{11, 0}, i, 0, 1);
        ++count[pool.draw(at, affinity, rng)];
    }
    CHECK(count[3] == 0);
    for (std::size_t v = 0; v < 3; ++v) {
        // 5 binomial standard deviations.
        const double sd = std::sqrt(N * expected[v] * (1 - expected[v]));
        CHECK(std::abs(count[v] - N * expected[v]) < 5 * sd);
    }
}

TEST_CASE("A snapshot ignores units added after it", "[attachment]") {
    AttachmentPool pool = example();
    const auto at = pool.snapshot();
    for (int k = 0; k < 1000; ++k) {
        pool.add(9, 1);
    }
    const std::array<double, 3> affinity = {1.0, 1.0, 1.0};
    for (std::uint32_t i = 0; i < 2000; ++i) {
        Stream rng(RandomKey{3, 0}, i, 0, 1);
        CHECK(pool.draw(at, affinity, rng) != 9);
    }
}

TEST_CASE("Zero affinity everywhere falls back to degree; an empty pool gives NONE",
          "[attachment]") {
    const AttachmentPool pool = example();
    const std::array<double, 3> none = {0.0, 0.0, 0.0};
    Stream rng(RandomKey{5, 0}, 0, 0, 1);
    CHECK(pool.draw(pool.snapshot(), none, rng) <= 3);
    const AttachmentPool empty(2);
    const std::array<double, 2> one = {1.0, 1.0};
    CHECK(empty.draw(empty.snapshot(), one, rng) == Network::NONE);
    CHECK_THROWS_AS(AttachmentPool(0), canopy::Error);
    CHECK_THROWS_AS(AttachmentPool(AttachmentPool::MAX_CATEGORIES + 1), canopy::Error);
    CHECK(pool.bytes() == 100 * sizeof(Network::Vertex));
}

TEST_CASE("Weights computed once, and draws split into locate and unit, give the same draws",
          "[attachment]") {
    AttachmentPool pool = example();
    const auto at = pool.snapshot();
    pool.add(2, 1); // after the snapshot: never drawn
    const std::array<double, 3> affinity = {0.25, 1.0, 0.5};
    const AttachmentPool::Weights w = pool.weights(at, affinity);
    for (std::uint32_t i = 0; i < 500; ++i) {
        Stream a(RandomKey{8, 1}, i, 2, 3);
        Stream b = a;
        Stream c = a;
        const Network::Vertex direct = pool.draw(at, affinity, a);
        CHECK(pool.draw(at, w, b) == direct);
        const std::uint64_t first = c.next_u64();
        const AttachmentPool::Location where = pool.locate(at, w, first, c.next_u64());
        pool.prefetch(where);
        CHECK(pool.unit(where) == direct);
        CHECK(where.index < at.size[where.category]);
    }
}

TEST_CASE("A pool refilled after clear() keeps its categories", "[attachment]") {
    AttachmentPool pool = example();
    pool.clear();
    CHECK(pool.bytes() == 0);
    CHECK(pool.categories() == 3);
    pool.add(4, 2);
    const std::array<double, 3> affinity = {1.0, 1.0, 1.0};
    Stream rng(RandomKey{1, 0}, 0, 0, 1);
    CHECK(pool.draw(pool.snapshot(), affinity, rng) == 4);
}

TEST_CASE("Draws with the number of categories fixed at compile time, and a pool written in bulk, "
          "are the same draws",
          "[attachment]") {
    const AttachmentPool pool = example();
    // The same units, each list written at once through extend().
    AttachmentPool bulk(3);
    const std::array<std::pair<Network::Vertex, std::size_t>, 3> first_lists = {
        {{0, 10}, {2, 30}, {3, 40}}};
    for (std::size_t c = 0; c < 3; ++c) {
        Network::Vertex* out = bulk.extend(c, first_lists[c].second + (c == 0 ? 20 : 0), 5);
        for (std::size_t i = 0; i < first_lists[c].second; ++i) {
            *out++ = first_lists[c].first;
        }
        for (std::size_t i = 0; c == 0 && i < 20; ++i) {
            *out++ = 1;
        }
    }
    CHECK(bulk.bytes() == pool.bytes());
    const auto at = pool.snapshot();
    for (const std::array<double, 3>& affinity :
         {std::array<double, 3>{0.25, 1.0, 0.5}, std::array<double, 3>{0.0, 0.0, 0.0}}) {
        const AttachmentPool::Weights w = pool.weights(at, affinity);
        const AttachmentPool::Weights fixed = AttachmentPool::weights_of<3>(3, at, affinity);
        CHECK(fixed.total == w.total);
        CHECK(fixed.units == w.units);
        for (std::size_t c = 0; c < 3; ++c) {
            CHECK(fixed.weight[c] == w.weight[c]);
        }
        for (std::uint32_t i = 0; i < 500; ++i) {
            Stream rng(RandomKey{4, 2}, i, 1, 7);
            const std::uint64_t first = rng.next_u64();
            const std::uint64_t second = rng.next_u64();
            const AttachmentPool::Location l = pool.locate(at, w, first, second);
            const AttachmentPool::Location l3 =
                AttachmentPool::locate_in<3>(3, at, fixed, first, second);
            CHECK(l3.category == l.category);
            CHECK(l3.index == l.index);
            CHECK(bulk.unit(l3) == pool.unit(l));
        }
    }
}

TEST_CASE("16-bit units give the same draws, widen in place, and widen before a vertex past them",
          "[attachment]") {
    // The same pool in both widths: units of vertices below 2^16, in the same order.
    AttachmentPool wide(3);
    AttachmentPool narrow(3, true);
    REQUIRE(narrow.narrow());
    REQUIRE(!wide.narrow());
    for (std::uint32_t k = 0; k < 300; ++k) {
        const std::uint32_t v = (k * 7919U) % 65536U; // up to the largest narrow vertex
        const auto c = static_cast<std::uint8_t>(k % 3);
        wide.add(v, c);
        narrow.add(v, c);
    }
    CHECK(narrow.bytes() * 2 == wide.bytes());
    const std::array<double, 3> affinity = {1.0, 0.5, 0.25};
    const auto draws = [&](const AttachmentPool& pool) {
        std::vector<Network::Vertex> out;
        const auto at = pool.snapshot();
        for (std::uint32_t i = 0; i < 500; ++i) {
            Stream rng(RandomKey{17, 0}, i, 0, 1);
            out.push_back(pool.draw(at, affinity, rng));
        }
        return out;
    };
    const std::vector<Network::Vertex> expected = draws(wide);
    CHECK(draws(narrow) == expected);

    // Widened when asked: the same units.
    AttachmentPool widened = narrow;
    widened.widen();
    CHECK(!widened.narrow());
    CHECK(widened.bytes() == wide.bytes());
    CHECK(draws(widened) == expected);

    // A vertex past 16 bits widens the pool first, and is kept whole.
    narrow.add(65536, 2);
    wide.add(65536, 2);
    CHECK(!narrow.narrow());
    CHECK(draws(narrow) == draws(wide));
    const auto at = narrow.snapshot();
    CHECK(narrow.unit({2, at.size[2] - 1}) == 65536);

    // Units written in bulk must be written at the pool's width.
    AttachmentPool bulk(2, true);
    CHECK_THROWS_AS(bulk.extend(0, 4), canopy::Error);
    AttachmentPool::Narrow* units = bulk.extend<AttachmentPool::Narrow>(1, 2);
    units[0] = 5;
    units[1] = 65535;
    CHECK(bulk.unit({1, 1}) == 65535);
    CHECK_THROWS_AS(wide.extend<AttachmentPool::Narrow>(0, 1), canopy::Error);
}
