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
    /// The ends of the prior's support: the bounds, narrowed to where the distribution has mass
    /// (a uniform's low and high, a lognormal's 0). The bounds default to the model's range, so
    /// a value between them can still lie where the prior has none: SMM's posterior drawn
    /// within the bounds alone put 58 % of its weight outside a uniform(14, 16) prior.
    [[nodiscard]] double support_lower() const noexcept { return support_lower_; }
    [[nodiscard]] double support_upper() const noexcept { return support_upper_; }
    /// Whether x lies in the prior's support (inside the bounds, where the distribution has
    /// mass).
    [[nodiscard]] bool contains(double x) const noexcept {
        return x >= support_lower_ && x <= support_upper_;
    }

private:
    engine::Uncertain distribution_;
    double lower_;
    double upper_;
    double support_lower_; ///< the bounds narrowed to the distribution's support
    double support_upper_;
    double cdf_lower_; ///< untruncated distribution function at the bounds
    double cdf_upper_;
    double mass_;
};

} // namespace canopy::experiments
