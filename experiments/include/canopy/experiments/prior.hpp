#pragma once
/// \file prior.hpp
/// A calibration prior: one of the scenario format's distributions truncated to bounds.
///
/// A fitted parameter's prior says what was believed before the data; its bounds say where the
/// model is meaningful (by default the model's range). The prior used is the distribution
/// restricted to the bounds and renormalised, so its density integrates to one over them.
/// Sampling uses the inverse of the truncated distribution function, so a uniform number in
/// (0, 1) maps to exactly one value and every sample lies inside the bounds.

#include <canopy/engine/uncertain.hpp>

namespace canopy::experiments {

/// A distribution truncated to [lower, upper].
class Prior {
public:
    /// Throws canopy::Error when the distribution is fixed or outside its domain, the bounds are
    /// NaN or not increasing, or the distribution has (numerically) no mass between them
    /// (mass() below MIN_MASS): load_calibration checks all of this first and reports it.
    Prior(engine::Uncertain distribution, double lower, double upper);

    /// Below this much probability between the bounds, a prior is refused as having none.
    static constexpr double MIN_MASS = 1e-9;

    /// Probability the untruncated distribution puts between the bounds (no check).
    [[nodiscard]] static double mass_between(const engine::Uncertain& distribution, double lower,
                                             double upper);

    [[nodiscard]] const engine::Uncertain& distribution() const noexcept { return distribution_; }
    [[nodiscard]] double lower() const noexcept { return lower_; }
    [[nodiscard]] double upper() const noexcept { return upper_; }
    /// Probability the untruncated distribution puts between the bounds.
    [[nodiscard]] double mass() const noexcept { return mass_; }

    /// Log density of the truncated prior; -infinity outside the bounds.
    [[nodiscard]] double log_density(double x) const;
    /// The truncated distribution function at x (0 below the bounds, 1 above).
    [[nodiscard]] double cdf(double x) const;
    /// The value whose truncated distribution function is u, for u in (0, 1); always inside the
    /// bounds.
    [[nodiscard]] double quantile(double u) const;
    /// Whether x lies inside the bounds.
    [[nodiscard]] bool contains(double x) const noexcept { return x >= lower_ && x <= upper_; }

private:
    engine::Uncertain distribution_;
    double lower_;
    double upper_;
    double cdf_lower_; ///< untruncated distribution function at the bounds
    double cdf_upper_;
    double mass_;
};

} // namespace canopy::experiments
