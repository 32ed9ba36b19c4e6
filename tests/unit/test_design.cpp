// Designs in the unit cube: grids, Latin hypercubes, Sobol' points (Boost's sequence with a
// digital shift), Saltelli's blocks and Morris trajectories, and the messages for designs that
// cannot be made.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/design.hpp>

#include <boost/random/sobol.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

using namespace canopy::experiments;

namespace {

// Whether floor(u * n) over the points of factor d is a permutation of 0 .. n - 1: exactly one
// point in each of n equal strata.
bool stratified(const UnitDesign& design, std::size_t d) {
    const std::size_t n = design.points();
    std::vector<int> seen(n, 0);
    for (std::size_t p = 0; p < n; ++p) {
        const double u = design.at(p, d);
        if (!(u > 0.0 && u < 1.0)) {
            return false;
        }
        ++seen[static_cast<std::size_t>(u * static_cast<double>(n))];
    }
    return std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; });
}

std::vector<double> column(const UnitDesign& design, std::size_t d) {
    std::vector<double> c;
    for (std::size_t p = 0; p < design.points(); ++p) {
        c.push_back(design.at(p, d));
    }
    return c;
}

} // namespace

TEST_CASE("design kinds have their file names", "[design]") {
    CHECK(std::string(to_string(DesignKind::grid)) == "grid");
    CHECK(std::string(to_string(DesignKind::lhs)) == "lhs");
    CHECK(std::string(to_string(DesignKind::sobol)) == "sobol");
    CHECK(std::string(to_string(DesignKind::saltelli)) == "saltelli");
    CHECK(std::string(to_string(DesignKind::morris)) == "morris");
}

TEST_CASE("a grid is full factorial with the last factor fastest", "[design]") {
    const std::vector<std::size_t> levels{3, 2, 1};
    const UnitDesign g = grid_design(levels);
    REQUIRE(g.kind == DesignKind::grid);
    REQUIRE(g.dimensions == 3);
    REQUIRE(g.points() == 6);
    CHECK(g.base_samples == 6);
    const std::vector<std::vector<double>> expected{{0.0, 0.0, 0.5}, {0.0, 1.0, 0.5},
                                                    {0.5, 0.0, 0.5}, {0.5, 1.0, 0.5},
                                                    {1.0, 0.0, 0.5}, {1.0, 1.0, 0.5}};
    for (std::size_t p = 0; p < 6; ++p) {
        for (std::size_t d = 0; d < 3; ++d) {
            CHECK(g.at(p, d) == expected[p][d]);
        }
    }
    // Level k of a list of L values sits exactly at k / (L - 1).
    const std::vector<std::size_t> five{5};
    const UnitDesign l = grid_design(five);
    for (std::size_t k = 0; k < 5; ++k) {
        CHECK(l.at(k, 0) == static_cast<double>(k) / 4.0);
    }
    const std::vector<std::size_t> zero{3, 0};
    CHECK_THROWS_AS(grid_design(zero), canopy::Error);
    CHECK_THROWS_AS(grid_design(std::vector<std::size_t>{}), canopy::Error);
}

TEST_CASE("a Latin hypercube has one point in each stratum of every factor", "[design]") {
    for (const std::size_t n : {1u, 2u, 7u, 100u, 1000u}) {
        const UnitDesign h = lhs_design(n, 5, 42);
        REQUIRE(h.kind == DesignKind::lhs);
        REQUIRE(h.points() == n);
        for (std::size_t d = 0; d < 5; ++d) {
            CHECK(stratified(h, d));
        }
    }
    // Strata are paired at random across factors: no two factors share their order, and the
    // same seed gives the same bits while another seed moves every point.
    const UnitDesign a = lhs_design(200, 4, 7);
    std::set<std::vector<std::size_t>> orders;
    for (std::size_t d = 0; d < 4; ++d) {
        std::vector<std::size_t> strata;
        for (const double u : column(a, d)) {
            strata.push_back(static_cast<std::size_t>(u * 200));
        }
        orders.insert(strata);
    }
    CHECK(orders.size() == 4);
    CHECK(lhs_design(200, 4, 7).u == a.u);
    const UnitDesign b = lhs_design(200, 4, 8);
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.u.size(); ++i) {
        same += a.u[i] == b.u[i] ? 1u : 0u;
    }
    CHECK(same == 0);
    // Within its stratum a point is uniform: the mean offset over many points is near 1/2
    // (standard error sqrt(1/12 / 4000) = 0.0046; 5 standard errors).
    const UnitDesign big = lhs_design(1000, 4, 3);
    double offset = 0.0;
    for (const double u : big.u) {
        offset += u * 1000 - std::floor(u * 1000);
    }
    CHECK(offset / 4000.0 == Approx(0.5).margin(5 * std::sqrt(1.0 / 12.0 / 4000.0)));
}

TEST_CASE("Sobol' points are Boost's sequence, shifted digitally by the seed", "[design]") {
    const std::size_t n = 64;
    const std::size_t d = 6;
    const UnitDesign plain = sobol_design(n, d, 0);
    REQUIRE(plain.kind == DesignKind::sobol);
    REQUIRE(plain.points() == n);
    boost::random::sobol gen(d);
    for (std::size_t p = 0; p < n; ++p) {
        for (std::size_t k = 0; k < d; ++k) {
            CHECK(plain.at(p, k) == static_cast<double>(gen()) * 0x1.0p-64);
        }
    }
    // The sequence's all-zero first point is not in the design: it starts at (1/2, ..., 1/2).
    for (std::size_t k = 0; k < d; ++k) {
        CHECK(plain.at(0, k) == 0.5);
    }

    const UnitDesign shifted = sobol_design(n, d, 2023);
    CHECK(shifted.u != plain.u);
    CHECK(sobol_design(n, d, 2023).u == shifted.u);
    const auto bits52 = [](double u) { return static_cast<std::uint64_t>(std::ldexp(u, 52)); };
    const auto strata = [](const UnitDesign& design, std::size_t k) {
        std::vector<int> count(design.points(), 0);
        for (std::size_t p = 0; p < design.points(); ++p) {
            ++count[static_cast<std::size_t>(design.at(p, k) * static_cast<double>(count.size()))];
        }
        std::sort(count.begin(), count.end());
        return count;
    };
    for (std::size_t k = 0; k < d; ++k) {
        // A digital shift XORs one word into every point of a dimension, so the XOR of two
        // points is the same with and without it ...
        for (std::size_t p = 1; p < n; ++p) {
            CHECK((bits52(shifted.at(p, k)) ^ bits52(shifted.at(0, k))) ==
                  (bits52(plain.at(p, k)) ^ bits52(plain.at(0, k))));
            CHECK(shifted.at(p, k) > 0.0);
            CHECK(shifted.at(p, k) < 1.0);
        }
        // ... and it permutes the 2^m strata of each factor, so their occupancy is the same.
        // (Skipping the all-zero point makes the first 2^m points one point short of a perfect
        // net: point 2^m lands in a stratum already taken.)
        CHECK(strata(shifted, k) == strata(plain, k));
        CHECK(strata(plain, k).back() <= 2);
    }
}

TEST_CASE("a Saltelli design is A, A with column i from B for each i, then B", "[design]") {
    const std::size_t n = 16;
    const std::size_t d = 3;
    const UnitDesign s = saltelli_design(n, d, 11);
    REQUIRE(s.kind == DesignKind::saltelli);
    REQUIRE(s.dimensions == d);
    REQUIRE(s.base_samples == n);
    REQUIRE(s.points() == n * (d + 2));
    const UnitDesign base = sobol_design(n, 2 * d, 11);
    for (std::size_t j = 0; j < n; ++j) {
        const std::size_t first = j * (d + 2);
        for (std::size_t k = 0; k < d; ++k) {
            const double a = base.at(j, k);
            const double b = base.at(j, d + k);
            REQUIRE(a != b);
            CHECK(s.at(first, k) == a);         // A_j
            CHECK(s.at(first + d + 1, k) == b); // B_j
            for (std::size_t i = 0; i < d; ++i) {
                CHECK(s.at(first + 1 + i, k) == (k == i ? b : a)); // AB_j^(i)
            }
        }
    }
}

TEST_CASE("Morris trajectories move one factor at a time by delta", "[design]") {
    const std::size_t r = 200;
    const std::size_t d = 5;
    for (const std::size_t p : {2u, 4u, 6u}) {
        const UnitDesign m = morris_design(r, d, p, 5);
        REQUIRE(m.kind == DesignKind::morris);
        REQUIRE(m.base_samples == r);
        REQUIRE(m.levels == p);
        REQUIRE(m.points() == r * (d + 1));
        const double delta = static_cast<double>(p) / (2.0 * static_cast<double>(p - 1));
        std::set<long> levels_seen;
        int up = 0;
        int down = 0;
        for (std::size_t t = 0; t < r; ++t) {
            std::vector<int> moved(d, 0);
            for (std::size_t step = 0; step <= d; ++step) {
                const std::size_t row = t * (d + 1) + step;
                for (std::size_t k = 0; k < d; ++k) {
                    const double u = m.at(row, k);
                    const double level = u * static_cast<double>(p - 1);
                    REQUIRE(std::abs(level - std::round(level)) < 1e-12); // on the p-level grid
                    levels_seen.insert(std::lround(level));
                }
                if (step == 0) {
                    continue;
                }
                std::size_t changes = 0;
                for (std::size_t k = 0; k < d; ++k) {
                    const double diff = m.at(row, k) - m.at(row - 1, k);
                    if (diff != 0.0) {
                        ++changes;
                        ++moved[k];
                        CHECK(std::abs(std::abs(diff) - delta) < 1e-12);
                        (diff > 0 ? up : down) += 1;
                    }
                }
                REQUIRE(changes == 1);
            }
            CHECK(std::all_of(moved.begin(), moved.end(), [](int c) { return c == 1; }));
        }
        CHECK(levels_seen.size() == p); // every level is visited
        // Directions are fair coins: 1000 moves, 5 standard deviations of a binomial.
        CHECK(std::abs(up - down) < 5 * std::sqrt(static_cast<double>(r * d)));
    }
    CHECK(morris_design(20, 4, 4, 9).u == morris_design(20, 4, 4, 9).u);
    CHECK(morris_design(20, 4, 4, 9).u != morris_design(20, 4, 4, 10).u);
}

TEST_CASE("design_problem says why a design cannot be made", "[design]") {
    CHECK(design_problem(DesignKind::lhs, 10, 3).empty());
    CHECK(design_problem(DesignKind::saltelli, 512, 8).empty());
    CHECK(design_problem(DesignKind::morris, 10, 8, 4).empty());
    CHECK(design_problem(DesignKind::sobol, 1024, 1111).empty());

    CHECK(design_problem(DesignKind::lhs, 10, 0) == "a design needs at least one factor");
    CHECK(design_problem(DesignKind::lhs, 0, 2) == "a Latin hypercube needs at least 1 point");
    CHECK(design_problem(DesignKind::saltelli, 1, 3) ==
          "saltelli needs at least 2 base samples (points), not 1: the indices and their "
          "bootstrap need a variance");
    CHECK(design_problem(DesignKind::saltelli, 4, 556) ==
          "saltelli has at most 555 factors (its Sobol' sequence has twice as many dimensions, "
          "at most 1111), not 556");
    CHECK(design_problem(DesignKind::saltelli, 1'000'000, 12) ==
          "1000000 base samples x (12 factors + 2) is 14000000 design points, more than the "
          "limit of 10000000");
    CHECK(design_problem(DesignKind::sobol, 8, 1112) ==
          "a Sobol' design has at most 1111 factors (Boost's direction numbers), not 1112");
    CHECK(design_problem(DesignKind::morris, 10, 3, 5) ==
          "morris needs an even number of levels, at least 2, not 5");
    CHECK(design_problem(DesignKind::morris, 1, 3, 4) ==
          "morris needs at least 2 trajectories (points), not 1: sigma and the bootstrap need "
          "two elementary effects per factor");
    CHECK(design_problem(DesignKind::grid, 1'000'000'000, 3) ==
          "the grid (the product of the factors' levels) is 1000000000 design points, more than "
          "the limit of 10000000");
    CHECK(design_problem(DesignKind::lhs, 20'000'000, 3) ==
          "20000000 points is more than the limit of 10000000 design points");

    // The generators refuse the same arguments with the same message.
    try {
        (void)morris_design(10, 3, 3, 1);
        FAIL("morris_design accepted 3 levels");
    } catch (const canopy::Error& e) {
        CHECK(std::string(e.what()) ==
              "morris design: morris needs an even number of levels, at least 2, not 3");
    }
    CHECK_THROWS_AS(saltelli_design(1, 2, 1), canopy::Error);
    const std::vector<std::size_t> huge{100'000, 100'000, 100'000, 100'000, 100'000};
    CHECK_THROWS_AS(grid_design(huge), canopy::Error); // 10^25 points: overflow is caught
}
