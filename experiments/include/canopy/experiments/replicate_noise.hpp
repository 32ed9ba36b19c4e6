#pragma once
/// \file replicate_noise.hpp
/// How much of a sweep output's spread over the design's points is Monte Carlo noise: each
/// point's P(attain), mean or median comes from a finite number of replicates, and that noise
/// is part of what a sensitivity analysis shares out among the factors.
///
/// For one output, `variance` is the mean over the points of the estimated variance of a
/// point's figure across its replicates' randomness (the square of its standard error):
///   P(attain)          p (1 - p) / (R - 1)                      (unbiased for p (1 - p) / R)
///   an indicator's mean, with the finals kept    s^2 / n        (s^2 the finals' sample variance)
///   its median, with the finals kept     ((x_(n-k+1) - x_(k)) / (2 z))^2: the pair of order
///                                        statistics whose distribution-free coverage of the
///                                        median, 1 - 2 P(Bin(n, 1/2) < k), is nearest 68.27 %,
///                                        z that coverage's normal quantile (McKean and
///                                        Schrader's idea with the exact coverage). Like every
///                                        estimate of a median's variance from a few values it
///                                        runs high: by 15 to 50 % at 10 to 25 normal or
///                                        exponential replicates (checked by simulation)
///   without the finals, from q05 and q95 assuming normal replicates, sigma = (q95 - q05) / the
///   expected q95 - q05 of R standard normals (type 7 over Blom's order statistics, 3.29 for
///   many): the mean sigma^2 / R, the median (pi / 2) sigma^2 / R (its asymptotic variance)
/// A target's median is its indicator's final median (a sweep summarises both from the same
/// finals), so it takes the noise of the indicator whose q50 it equals at every point.
///
/// Independent noise of variance v at every point adds exactly v / V to every total-order
/// index ST (Jansen's estimator) and scales every first-order S1 by (1 - v / V), V the output's
/// variance; under common random numbers the points' noise is correlated and adds at most that.
/// For Morris, a factor with no effect shows mu* = E|e1 - e0| / delta = 2 sqrt(v / pi) / delta
/// from independent noise alone.

#include <canopy/experiments/sweep_result.hpp>

#include <limits>
#include <span>
#include <string>

namespace canopy::experiments {

/// The replicate noise of one output (see the file comment).
struct ReplicateNoise {
    /// Mean over the points of the estimated variance of a point's figure; NaN when it cannot
    /// be estimated (then `reason` says why).
    double variance = std::numeric_limits<double>::quiet_NaN();
    std::string method; ///< how it was estimated, e.g. "p(1 - p) / (R - 1) at each point"
    std::string reason; ///< why it was not estimated, or empty
    std::string hint;   ///< how to estimate it better, or empty
};

/// Whether two columns hold the same values, point for point, NaN matching NaN.
bool same_values(std::span<const double> a, std::span<const double> b);

/// The estimated variance of one point's P(attain) `p` from `replicates` replicates:
/// p (1 - p) / (R - 1); NaN for fewer than 2 replicates or a p outside [0, 1].
double p_attain_noise(double p, int replicates);

/// The estimated variance of the mean of `finals` (NaN values left out): s^2 / n; NaN for
/// fewer than 2 finite values.
double mean_noise(std::span<const double> finals);

/// The estimated variance of the median of `finals` (NaN values left out) from two order
/// statistics (see the file comment; the mean's for two values); NaN for fewer than 2.
double median_noise(std::span<const double> finals);

/// The replicate noise of the sweep output named `name` ("targets/<id>/p_attain",
/// "targets/<id>/median", "indicators/<id>/mean", "indicators/<id>/q50"); for any other name,
/// or a result with fewer than 2 replicates a point, NaN with the reason.
ReplicateNoise replicate_noise(const SweepResult& result, const std::string& name);

} // namespace canopy::experiments
