#pragma once
/// \file design.hpp
/// Designs of experiments in the unit hypercube: full-factorial grids, Latin hypercubes, Sobol'
/// quasi-random sequences, Saltelli's design for Sobol indices, and Morris trajectories.
///
/// A design here knows nothing of scenarios: point p is a vector in [0, 1]^d. A sweep maps each
/// coordinate to its factor's value (a range, a list of values, or a distribution's quantile;
/// see sweep.hpp). Every generator is a pure function of its arguments (and seed): the same
/// call gives the same bits on every machine, rank and shard.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments {

/// The most design points `canopy sweep` runs, and so the most a sweep result can hold. Each
/// point is a whole ensemble of simulations, so ten million is far beyond any sweep that could
/// run; the limit catches a mistyped `points`, a grid whose levels multiply past memory, and a
/// result file whose counts were damaged, before anything is allocated.
inline constexpr std::size_t MAX_DESIGN_POINTS = 10'000'000;

/// The designs `canopy sweep` offers.
enum class DesignKind { grid, lhs, sobol, saltelli, morris };

/// "grid", "lhs", "sobol", "saltelli", "morris".
const char* to_string(DesignKind kind) noexcept;

/// Points in [0, 1]^dimensions, row-major.
struct UnitDesign {
    DesignKind kind = DesignKind::grid;
    std::size_t dimensions = 0;
    std::vector<double> u; ///< [point * dimensions + d]
    /// saltelli: the base samples N (points = N * (dimensions + 2));
    /// morris: the trajectories r (points = r * (dimensions + 1)); else equal to points().
    std::size_t base_samples = 0;
    std::size_t levels = 0; ///< morris: the grid levels p; else 0

    [[nodiscard]] std::size_t points() const noexcept {
        return dimensions == 0 ? 0 : u.size() / dimensions;
    }
    [[nodiscard]] double at(std::size_t point, std::size_t d) const {
        return u[point * dimensions + d];
    }
};

/// Full factorial: factor d takes levels[d] values spread evenly over [0, 1] (both ends
/// included; a single level is 0.5); the last factor varies fastest. A factor with a list of
/// values uses level k / (levels - 1) to pick value k.
UnitDesign grid_design(std::span<const std::size_t> levels);

/// Latin hypercube: each factor's range cut into `points` equal strata, one point per stratum,
/// placed uniformly inside it, strata paired at random across factors.
UnitDesign lhs_design(std::size_t points, std::size_t dimensions, std::uint64_t seed);

/// Sobol' low-discrepancy points (Boost.Random's sobol, Joe-Kuo direction numbers), the
/// all-zero first point skipped, scrambled by a random digital shift drawn from `seed` (seed 0:
/// no shift). At most 1,111 dimensions (Boost's table).
UnitDesign sobol_design(std::size_t points, std::size_t dimensions, std::uint64_t seed);

/// Saltelli's design for first- and total-order Sobol indices: N base samples from a Sobol'
/// sequence in 2d dimensions split into matrices A (first d) and B (last d); for each base
/// sample j the block A_j, AB_j^(1) .. AB_j^(d), B_j, where AB^(i) is A with column i taken
/// from B. N * (d + 2) points in that order (SALib's order without second-order terms).
UnitDesign saltelli_design(std::size_t base_samples, std::size_t dimensions, std::uint64_t seed);

/// Morris elementary-effects design: r trajectories of d + 1 points on a p-level grid
/// (p even; step delta = p / (2 (p - 1))), each moving one factor at a time in a random order
/// and direction (Morris 1991; Campolongo et al. 2007 without trajectory optimisation).
UnitDesign morris_design(std::size_t trajectories, std::size_t dimensions, std::size_t levels,
                         std::uint64_t seed);

/// Why the arguments cannot give a design (e.g. "saltelli needs at least 2 base samples", "a
/// grid of 10^9 points exceeds the limit of ..."), or empty when they can. Sweep files report
/// this as a diagnostic on their `design`/`points` key before anything is generated.
std::string design_problem(DesignKind kind, std::size_t points, std::size_t dimensions,
                           std::size_t levels = 4);

} // namespace canopy::experiments
