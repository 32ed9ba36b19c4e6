#pragma once
/// \file experiment.hpp
/// An experiment: one scenario, a list of factors, and design points that set them; and what
/// evaluating one point yields.
///
/// Randomness (DESIGN.md section 5). Replicate r of every point of an experiment with seed S
/// draws from RandomKey{S, r}: every point shares the same replicate streams (common random
/// numbers), so the difference between two points is the effect of their settings, not noise,
/// and a point without overrides reproduces `canopy run --seed S` bit for bit. With
/// `common_random_numbers = false` point i draws from RandomKey{point_seed(S, i), r} instead.
/// Either way a point's numbers depend only on (S, the point's index, its values) — never on the
/// thread, rank or shard that computed it — so results are the same bits however they are run.

#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/overrides.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace canopy::models {
class ModelHandle;
}

namespace canopy::experiments {

/// What to keep of each point's ensemble besides the indicators' final values.
struct OutputRequest {
    /// Per indicator and table row, the mean over replicates of the indicator's time series
    /// (NaNs left out): time-resolved sensitivity, calibration paths.
    bool mean_paths = false;
    /// Per indicator and row, these quantiles (type 7) over replicates, e.g. {0.05, 0.25, 0.5,
    /// 0.75, 0.95} for fan charts. Empty: none.
    std::vector<double> path_quantiles;
    /// Per replicate and calendar year, what the levers cost (engine/budget.hpp, in the
    /// scenario's currency): per-outcome prices make a setting's cost differ between replicates.
    bool costs = false;
};

/// A design point: one value per factor of its experiment, and its index in the experiment.
struct Point {
    std::uint64_t index = 0;
    std::vector<double> values; ///< one per Experiment::factors, in that order
};

/// What evaluating one point yields. Plain numbers only, so it can cross MPI and be journalled.
struct PointResult {
    std::uint64_t index = 0; ///< the point's index
    std::uint32_t replicates = 0;
    std::uint32_t indicators = 0; ///< the scenario's indicators, in scenario order
    std::uint32_t rows = 0;       ///< table rows of each path (steps + 1); 0 without paths
    /// Final value of indicator i in replicate r at [i * replicates + r].
    std::vector<double> finals;
    /// OutputRequest::mean_paths: [i * rows + row]; else empty.
    std::vector<double> mean_paths;
    /// OutputRequest::path_quantiles: [(i * quantiles + q) * rows + row]; else empty.
    std::vector<double> path_quantiles;
    /// OutputRequest::costs: calendar years of the run (engine::budget_years); else 0.
    std::uint32_t cost_years = 0;
    /// OutputRequest::costs: every lever's cost together in replicate r and year y at
    /// [r * cost_years + y], in the scenario's currency; else empty.
    std::vector<double> costs;
    /// OutputRequest::costs: lever l's cost over every year in replicate r at [r * L + l], L the
    /// scenario's levers in the model's order (what a report lists per lever); else empty.
    std::vector<double> lever_costs;
    double simulate_seconds = 0.0; ///< wall time spent in the simulations themselves

    [[nodiscard]] double final_value(std::size_t indicator, std::size_t replicate) const {
        return finals[indicator * replicates + replicate];
    }
};

/// One scenario, its factors, and how each point is run.
struct Experiment {
    /// The base scenario (any policy mix already applied), validated against `model`.
    std::shared_ptr<const engine::Scenario> scenario;
    const models::ModelHandle* model = nullptr;
    /// What a point's values set, in order (resolved and checked names).
    std::vector<OverrideTarget> factors;
    int replicates = 100; ///< per point
    /// Replicate numbers start here: point p's replicate r draws from RandomKey{seed,
    /// first_replicate + r}, so a sequential test adds replicates to a point without redrawing
    /// the ones it has (`solve`).
    std::uint32_t first_replicate = 0;
    std::uint64_t seed = 1;
    bool common_random_numbers = true;
    OutputRequest outputs;
    /// Identifies the experiment's inputs (the defining file's text, the scenario's text, seed,
    /// replicates, engine version): journals, shards and merges refuse a different fingerprint.
    std::string fingerprint;

    /// The overrides point `p` stands for.
    [[nodiscard]] std::vector<Override> overrides(const Point& p) const;
    /// The scenario of point `p` (apply_overrides of the base).
    [[nodiscard]] engine::Scenario scenario_at(const Point& p) const;
    /// The seed whose replicate streams point `p` uses.
    [[nodiscard]] std::uint64_t ensemble_seed(const Point& p) const;
};

/// The seed of point `index` when common random numbers are off: a bijective mix of (seed,
/// index), so distinct points never share streams.
std::uint64_t point_seed(std::uint64_t seed, std::uint64_t index) noexcept;

/// A fingerprint of an experiment's inputs: 32 hex digits digesting `parts` (each with its length,
/// so ("ab", "c") and ("a", "bc") differ). The same parts give the same text on every machine.
/// Experiment::fingerprint is built with it.
std::string make_fingerprint(std::span<const std::string> parts);

/// Evaluates one point on the calling process (the engine's TBB ensemble; all its threads).
/// Every evaluator ends up here for the actual simulations.
PointResult evaluate_point(const Experiment& experiment, const Point& point);

} // namespace canopy::experiments
