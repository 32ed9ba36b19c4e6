#pragma once
/// \file sweep_sensitivity.hpp
/// Sensitivity analysis of a whole sweep result: which of its outputs are analysed, under which
/// names, and the Sobol or Morris indices of each (what `canopy sensitivity` prints).
///
/// Output names are the result file's HDF5 paths without the leading slash, so a name says
/// where its numbers came from:
///   targets/<id>/p_attain, targets/<id>/median       every target
///   indicators/<id>/mean, indicators/<id>/q50        every indicator
///   outputs/<name>                                   every output another program added
///   indicators/<id>/mean_path                        time-resolved: one analysis per row of
///                                                    /time, when the sweep kept mean paths
/// A saltelli design gives Sobol S1/ST, a morris design Morris mu*, mu, sigma; other designs
/// cannot be analysed (sensitivity_problem says so).

#include <canopy/experiments/replicate_noise.hpp>
#include <canopy/experiments/sensitivity.hpp>
#include <canopy/experiments/sweep_result.hpp>

#include <limits>
#include <string>
#include <vector>

namespace canopy::experiments {

/// The indices of one scalar output.
struct OutputSensitivity {
    std::string name;
    /// Why the indices are undefined or say nothing ("NaN at 3 of 40 points", "zero variance:
    /// every point gave 1"), or empty. Sobol indices of such an output are NaN; Morris effects
    /// are NaN for the factors a NaN output enters and 0 for a constant output. Reported, never
    /// dropped.
    std::string note;
    SobolIndices sobol;   ///< saltelli designs
    MorrisIndices morris; ///< morris designs
    /// The replicate noise in the output (replicate_noise.hpp); scalar outputs only, not the
    /// rows of a path.
    ReplicateNoise noise;
    /// The intervals resampled each point's replicates too (common random numbers, and the
    /// sweep kept the finals that give this output).
    bool replicates_resampled = false;
    /// The intervals include the replicate noise: resampled so, or, without common random
    /// numbers, carried by each row of the design, which the bootstrap resamples.
    bool noise_in_intervals = false;
    /// Sobol: noise.variance / sobol.variance, what the noise adds to every ST at most (exactly,
    /// without common random numbers). Morris: the mu* a factor with no effect shows from the
    /// noise alone, 2 sqrt(noise.variance / pi) times the mean 1 / |delta| of the design's
    /// steps. NaN when the noise or the indices are undefined.
    double noise_share = std::numeric_limits<double>::quiet_NaN();
    double noise_mu_star = std::numeric_limits<double>::quiet_NaN();
};

/// Time-resolved indices of one indicator path: one analysis per row of the result's /time.
struct PathSensitivity {
    std::string name;                    ///< "indicators/<id>/mean_path"
    std::vector<OutputSensitivity> rows; ///< one per time label; names are the labels
};

/// The analysis of a sweep result.
struct SweepSensitivity {
    DesignKind design = DesignKind::saltelli; ///< saltelli (Sobol) or morris
    std::vector<std::string> factors;         ///< design order
    std::size_t points = 0;
    std::size_t base_samples = 0;      ///< N (saltelli) or trajectories r (morris)
    int replicates = 0;                ///< per point
    bool common_random_numbers = true; ///< the points share their replicates' streams
    BootstrapOptions bootstrap;
    std::vector<OutputSensitivity> outputs;
    std::vector<std::string> time_labels;
    std::vector<PathSensitivity> paths;
};

/// What to analyse and how.
struct SweepSensitivityOptions {
    /// Names to analyse (scalar outputs or paths, see the file comment); empty: all of them.
    std::vector<std::string> outputs;
    BootstrapOptions bootstrap;
};

/// The analysis of the output named `name` in `s`; throws canopy::Error when it has none.
const OutputSensitivity& output_named(const SweepSensitivity& s, const std::string& name);

/// Why `result` cannot be analysed (not a saltelli or morris design, a design whose size does
/// not match, nothing to analyse), or empty when it can.
std::string sensitivity_problem(const SweepResult& result);

/// The names `result` offers, scalar outputs first (targets, indicators, outputs in file
/// order), then indicator paths.
std::vector<std::string> sensitivity_names(const SweepResult& result);

/// The indices of the requested outputs. Throws canopy::Error when sensitivity_problem is not
/// empty or a requested name is not among sensitivity_names (with "did you mean").
SweepSensitivity analyse_sweep(const SweepResult& result, const SweepSensitivityOptions& options);

} // namespace canopy::experiments
