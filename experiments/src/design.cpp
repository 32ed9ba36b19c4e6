// Designs in the unit hypercube (design.hpp). Every random choice is a Philox block addressed
// by what it decides (the factor, the point or trajectory, the purpose), never by a running
// generator state, so a design is a pure function of its arguments: the same bits on every
// machine, rank and shard.
#include "design_random.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/experiments/design.hpp>

#include <boost/random/sobol.hpp>
#include <fmt/format.h>

#include <limits>
#include <numeric>

namespace canopy::experiments {

namespace {

/// Boost.Random's Sobol' table (Joe & Kuo 2008, primitive polynomials below 2^16).
constexpr std::size_t SOBOL_MAX_DIMENSIONS = 1111;

/// points * factor, or SIZE_MAX when it overflows.
std::size_t saturating_product(std::size_t a, std::size_t b) noexcept {
    if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) {
        return std::numeric_limits<std::size_t>::max();
    }
    return a * b;
}

/// "<what> is <points> design points, more than the limit of ...".
std::string too_many(std::size_t points, const std::string& what) {
    const std::string count = points == std::numeric_limits<std::size_t>::max()
                                  ? std::string("more than 2^64")
                                  : fmt::format("{}", points);
    return fmt::format("{} is {} design points, more than the limit of {}", what, count,
                       MAX_DESIGN_POINTS);
}

void require_no_problem(DesignKind kind, std::size_t points, std::size_t dimensions,
                        std::size_t levels) {
    if (const std::string problem = design_problem(kind, points, dimensions, levels);
        !problem.empty()) {
        throw Error(std::string(to_string(kind)) + " design: " + problem);
    }
}

/// 64 random bits from word pair `pair` (0 or 1) of a design block.
std::uint64_t bits(const engine::Block& block, int pair) noexcept {
    const auto p = static_cast<std::size_t>(2 * pair);
    return (std::uint64_t{block[p]} << 32) | block[p + 1];
}

} // namespace

const char* to_string(DesignKind kind) noexcept {
    switch (kind) {
    case DesignKind::grid:
        return "grid";
    case DesignKind::lhs:
        return "lhs";
    case DesignKind::sobol:
        return "sobol";
    case DesignKind::saltelli:
        return "saltelli";
    case DesignKind::morris:
        return "morris";
    }
    return "unknown";
}

std::string design_problem(DesignKind kind, std::size_t points, std::size_t dimensions,
                           std::size_t levels) {
    if (dimensions == 0) {
        return "a design needs at least one factor";
    }
    switch (kind) {
    case DesignKind::grid:
        if (points == 0) {
            return "a grid needs at least one level per factor";
        }
        if (points > MAX_DESIGN_POINTS) {
            return too_many(points, "the grid (the product of the factors' levels)");
        }
        return {};
    case DesignKind::lhs:
        if (points == 0) {
            return "a Latin hypercube needs at least 1 point";
        }
        if (points > MAX_DESIGN_POINTS) {
            return fmt::format("{} points is more than the limit of {} design points", points,
                               MAX_DESIGN_POINTS);
        }
        return {};
    case DesignKind::sobol:
        if (points == 0) {
            return "a Sobol' design needs at least 1 point";
        }
        if (dimensions > SOBOL_MAX_DIMENSIONS) {
            return fmt::format("a Sobol' design has at most {} factors (Boost's direction "
                               "numbers), not {}",
                               SOBOL_MAX_DIMENSIONS, dimensions);
        }
        if (points > MAX_DESIGN_POINTS) {
            return fmt::format("{} points is more than the limit of {} design points", points,
                               MAX_DESIGN_POINTS);
        }
        return {};
    case DesignKind::saltelli: {
        if (points < 2) {
            return fmt::format("saltelli needs at least 2 base samples (points), not {}: the "
                               "indices and their bootstrap need a variance",
                               points);
        }
        if (dimensions > SOBOL_MAX_DIMENSIONS / 2) {
            return fmt::format("saltelli has at most {} factors (its Sobol' sequence has twice "
                               "as many dimensions, at most {}), not {}",
                               SOBOL_MAX_DIMENSIONS / 2, SOBOL_MAX_DIMENSIONS, dimensions);
        }
        const std::size_t total = saturating_product(points, dimensions + 2);
        if (total > MAX_DESIGN_POINTS) {
            return too_many(total,
                            fmt::format("{} base samples x ({} factors + 2)", points, dimensions));
        }
        return {};
    }
    case DesignKind::morris: {
        if (levels < 2 || levels % 2 != 0) {
            return fmt::format("morris needs an even number of levels, at least 2, not {}", levels);
        }
        if (points < 2) {
            return fmt::format("morris needs at least 2 trajectories (points), not {}: sigma "
                               "and the bootstrap need two elementary effects per factor",
                               points);
        }
        const std::size_t total = saturating_product(points, dimensions + 1);
        if (total > MAX_DESIGN_POINTS) {
            return too_many(total,
                            fmt::format("{} trajectories x ({} factors + 1)", points, dimensions));
        }
        return {};
    }
    }
    return "unknown design";
}

UnitDesign grid_design(std::span<const std::size_t> levels) {
    std::size_t total = levels.empty() ? 0 : 1;
    for (const std::size_t l : levels) {
        if (l == 0) {
            throw Error("grid design: every factor needs at least one level");
        }
        total = saturating_product(total, l);
    }
    require_no_problem(DesignKind::grid, total, levels.size(), 0);

    UnitDesign design;
    design.kind = DesignKind::grid;
    design.dimensions = levels.size();
    design.base_samples = total;
    design.u.resize(total * levels.size());
    // Mixed-radix counting, the last factor the fastest digit.
    std::vector<std::size_t> digit(levels.size(), 0);
    for (std::size_t p = 0; p < total; ++p) {
        for (std::size_t d = 0; d < levels.size(); ++d) {
            design.u[p * levels.size() + d] =
                levels[d] == 1 ? 0.5
                               : static_cast<double>(digit[d]) / static_cast<double>(levels[d] - 1);
        }
        for (std::size_t d = levels.size(); d-- > 0;) {
            if (++digit[d] < levels[d]) {
                break;
            }
            digit[d] = 0;
        }
    }
    return design;
}

UnitDesign lhs_design(std::size_t points, std::size_t dimensions, std::uint64_t seed) {
    require_no_problem(DesignKind::lhs, points, dimensions, 0);
    const engine::RandomKey key = design_key(seed);
    UnitDesign design;
    design.kind = DesignKind::lhs;
    design.dimensions = dimensions;
    design.base_samples = points;
    design.u.resize(points * dimensions);
    std::vector<std::uint32_t> stratum(points);
    const double width = 1.0 / static_cast<double>(points);
    for (std::size_t d = 0; d < dimensions; ++d) {
        // Block (point i, factor d): its first 64 bits pick the Fisher-Yates swap at position
        // i, the other 64 place point i inside its stratum.
        std::iota(stratum.begin(), stratum.end(), std::uint32_t{0});
        for (std::size_t i = points; i-- > 1;) {
            const engine::Block b = key.block(static_cast<std::uint32_t>(i),
                                              static_cast<std::uint32_t>(d), PURPOSE_LHS);
            std::swap(stratum[i], stratum[engine::index_below(bits(b, 0), i + 1)]);
        }
        for (std::size_t i = 0; i < points; ++i) {
            const engine::Block b = key.block(static_cast<std::uint32_t>(i),
                                              static_cast<std::uint32_t>(d), PURPOSE_LHS);
            const double within = engine::u01_open(bits(b, 1));
            design.u[i * dimensions + d] = (static_cast<double>(stratum[i]) + within) * width;
        }
    }
    return design;
}

UnitDesign sobol_design(std::size_t points, std::size_t dimensions, std::uint64_t seed) {
    require_no_problem(DesignKind::sobol, points, dimensions, 0);
    UnitDesign design;
    design.kind = DesignKind::sobol;
    design.dimensions = dimensions;
    design.base_samples = points;
    design.u.resize(points * dimensions);

    // The digital shift: one random 64-bit word per dimension XORed into every point's
    // coordinate (a random translation in base 2 that keeps the net's stratification).
    std::vector<std::uint64_t> shift(dimensions, 0);
    if (seed != 0) {
        const engine::RandomKey key = design_key(seed);
        for (std::size_t d = 0; d < dimensions; ++d) {
            shift[d] = bits(key.block(static_cast<std::uint32_t>(d), 0, PURPOSE_SOBOL_SHIFT), 0);
        }
    }
    // Boost starts at the sequence's second point (its seed() skips the all-zero first one).
    boost::random::sobol gen(dimensions);
    for (std::size_t p = 0; p < points; ++p) {
        for (std::size_t d = 0; d < dimensions; ++d) {
            const std::uint64_t x = gen();
            // Unshifted, x has at most 24 significant bits for any point count allowed here, so
            // x / 2^64 is exact (Boost's own values). Shifted, the 64-bit word is rounded to the
            // middle of its 2^-52 cell (u01_open): inside (0, 1), never 0 or 1.
            design.u[p * dimensions + d] =
                seed == 0 ? static_cast<double>(x) * 0x1.0p-64 : engine::u01_open(x ^ shift[d]);
        }
    }
    return design;
}

UnitDesign saltelli_design(std::size_t base_samples, std::size_t dimensions, std::uint64_t seed) {
    require_no_problem(DesignKind::saltelli, base_samples, dimensions, 0);
    const UnitDesign base = sobol_design(base_samples, 2 * dimensions, seed);
    const std::size_t d = dimensions;
    const std::size_t block = d + 2;
    UnitDesign design;
    design.kind = DesignKind::saltelli;
    design.dimensions = d;
    design.base_samples = base_samples;
    design.u.resize(base_samples * block * d);
    for (std::size_t j = 0; j < base_samples; ++j) {
        const double* a = &base.u[j * 2 * d];
        const double* b = a + d;
        double* out = &design.u[j * block * d];
        for (std::size_t row = 0; row < block; ++row) {
            for (std::size_t k = 0; k < d; ++k) {
                // Row 0 is A_j, row d + 1 is B_j, row 1 + i is A_j with column i from B_j.
                const bool from_b = row == d + 1 || row == k + 1;
                out[row * d + k] = from_b ? b[k] : a[k];
            }
        }
    }
    return design;
}

UnitDesign morris_design(std::size_t trajectories, std::size_t dimensions, std::size_t levels,
                         std::uint64_t seed) {
    require_no_problem(DesignKind::morris, trajectories, dimensions, levels);
    const engine::RandomKey key = design_key(seed);
    const std::size_t d = dimensions;
    const std::size_t half = levels / 2;
    const auto grid = static_cast<double>(levels - 1);
    UnitDesign design;
    design.kind = DesignKind::morris;
    design.dimensions = d;
    design.base_samples = trajectories;
    design.levels = levels;
    design.u.resize(trajectories * (d + 1) * d);

    std::vector<std::size_t> order(d);
    std::vector<std::size_t> low(d); // the lower of the two levels factor k visits
    std::vector<bool> upward(d);     // whether factor k moves up (else down)
    for (std::size_t t = 0; t < trajectories; ++t) {
        // Block (trajectory t, factor k): bits 0 pick k's lower level among the first p/2 (so
        // the level delta above it is on the grid), bits 1 its direction and the Fisher-Yates
        // swap at position k of the order in which factors move.
        std::iota(order.begin(), order.end(), std::size_t{0});
        for (std::size_t k = d; k-- > 0;) {
            const engine::Block b = key.block(static_cast<std::uint32_t>(t),
                                              static_cast<std::uint32_t>(k), PURPOSE_MORRIS);
            low[k] = engine::index_below(bits(b, 0), half);
            const std::uint64_t r = bits(b, 1);
            upward[k] = (r >> 63) != 0;
            if (k > 0) {
                std::swap(order[k], order[engine::index_below(r << 1, k + 1)]);
            }
        }
        // Levels as integers; coordinates level / (p - 1), so every point is on the grid.
        std::vector<std::size_t> level(d);
        for (std::size_t k = 0; k < d; ++k) {
            level[k] = upward[k] ? low[k] : low[k] + half;
        }
        double* out = &design.u[t * (d + 1) * d];
        for (std::size_t step = 0; step <= d; ++step) {
            if (step > 0) {
                const std::size_t k = order[step - 1];
                level[k] = upward[k] ? level[k] + half : level[k] - half;
            }
            for (std::size_t k = 0; k < d; ++k) {
                out[step * d + k] = static_cast<double>(level[k]) / grid;
            }
        }
    }
    return design;
}

} // namespace canopy::experiments
