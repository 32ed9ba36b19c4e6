#pragma once
/// \file sensitivity.hpp
/// Global sensitivity analysis of any scalar output over a design: Sobol first- and total-order
/// indices with bootstrap confidence intervals (on a Saltelli design), and Morris elementary
/// effects mu*, mu, sigma (on a Morris design).
///
/// Estimators (Saltelli et al. 2010, Table 2): with f_A, f_B, f_ABi the outputs of the blocks
/// of saltelli_design and V the variance of the outputs over A and B together,
///   S1_i = mean(f_B * (f_ABi - f_A)) / V                  (Saltelli 2010)
///   ST_i = mean((f_A - f_ABi)^2) / 2 / V                  (Jansen 1999)
/// Confidence intervals: percentile bootstrap over the N base samples (resampled with
/// replacement, the same resamples for every index), with a seeded generator, so the intervals
/// are reproducible. Resamples whose index is undefined are counted (Estimate::undefined), not
/// dropped unseen. Outputs are whatever the caller measured: a target's P(attain) or final
/// median, an indicator's mean, a value at one time (time-resolved indices), or an
/// `/outputs/<name>` computed by another program.

#include <canopy/experiments/design.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments {

/// An estimate with its confidence interval.
struct Estimate {
    double value = 0.0;
    double lo = 0.0; ///< NaN when the interval cannot be placed (see `undefined`)
    double hi = 0.0;
    /// Bootstrap resamples whose statistic was undefined (e.g. a resample of the base samples
    /// with zero variance). They are left out of the percentiles; when they are more than a
    /// share (1 - confidence) / 2 of the resamples, they could have held either end of the
    /// interval, so there is none (lo and hi NaN; interval_unplaced says so).
    std::size_t undefined = 0;
};

/// True when `e` has a value but no interval because more than a share (1 - confidence) / 2 of
/// its `resamples` bootstrap resamples were undefined.
bool interval_unplaced(const Estimate& e, std::size_t resamples, double confidence);

/// Sobol indices of one output, one entry per factor.
struct SobolIndices {
    std::vector<Estimate> s1;
    std::vector<Estimate> st;
    double variance = 0.0; ///< of the output over A and B
};

/// Morris statistics of one output, one entry per factor (effects per unit of the factor's
/// [0, 1] scale).
struct MorrisIndices {
    std::vector<Estimate> mu_star; ///< mean |elementary effect|, with a bootstrap interval
    std::vector<double> mu;        ///< mean elementary effect
    std::vector<double> sigma;     ///< standard deviation of the elementary effects
};

/// How to bootstrap.
struct BootstrapOptions {
    std::size_t resamples = 1000;
    double confidence = 0.95;
    std::uint64_t seed = 1;
};

/// The outputs of every design point recomputed from bootstrap resample b of each point's
/// replicates. Given to sobol_indices and morris_indices, every bootstrap resample also measures
/// how far the indices move when the replicates are resampled (all rows kept), and adds that
/// move, centred and times `spread`, to the rows' resample: the intervals then include the
/// replicates' Monte Carlo noise. Without `fill` the replicates are held fixed.
struct ReplicateResample {
    /// Fills y (one value per point, in design order) from resample b of the replicates.
    std::function<void(std::size_t b, std::vector<double>& y)> fill;
    /// sqrt(R / (R - 1)) for R replicates: a resample of R values with replacement spreads
    /// their mean by (R - 1) / R of the variance a fresh set of R would.
    double spread = 1.0;
    explicit operator bool() const noexcept { return static_cast<bool>(fill); }
};

/// The points of a Saltelli design of `base_samples` N over `dimensions` d, N (d + 2), or nullopt
/// when that does not fit a std::size_t (an edited file's attribute, not a design).
std::optional<std::size_t> saltelli_points(std::size_t base_samples, std::size_t dimensions);

/// The points of a Morris design of `trajectories` r over `dimensions` d, r (d + 1), or nullopt
/// when that does not fit a std::size_t.
std::optional<std::size_t> morris_points(std::size_t trajectories, std::size_t dimensions);

/// Why `design` is not a Morris design (its base_samples trajectories of d + 1 points, each
/// point moving exactly one factor from the one before, every factor once per trajectory): the
/// first point or trajectory that breaks this, or empty.
std::string morris_design_problem(const UnitDesign& design);

/// Sobol indices from the outputs `y` of a Saltelli design (y[k] the output of design point k,
/// in saltelli_design's order). Throws canopy::Error when y's size is not N * (d + 2). When any
/// y is NaN, or the variance is zero, every index is NaN (said so, not hidden).
SobolIndices sobol_indices(std::span<const double> y, std::size_t base_samples,
                           std::size_t dimensions, const BootstrapOptions& bootstrap = {},
                           const ReplicateResample& replicates = {});

/// Morris statistics from the outputs `y` of `design` (a morris_design). Throws canopy::Error
/// when sizes disagree or the design is not a Morris design. NaN outputs give NaN statistics.
MorrisIndices morris_indices(const UnitDesign& design, std::span<const double> y,
                             const BootstrapOptions& bootstrap = {},
                             const ReplicateResample& replicates = {});

/// Resample b of `n` replicates for bootstrap seed `seed`: picks[j] the j-th replicate drawn
/// (with replacement), the same for every point (common random numbers).
void replicate_picks(std::uint64_t seed, std::size_t b, std::size_t n,
                     std::vector<std::size_t>& picks);

} // namespace canopy::experiments
