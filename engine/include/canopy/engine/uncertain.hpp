#pragma once
/// \file uncertain.hpp
/// A parameter's value: a fixed number or a distribution drawn once per replicate.
///
/// This is the parameter-uncertainty layer of DESIGN.md section 1: stochastic events vary within
/// a run, uncertain parameters vary between replicates. Each replicate draws every uncertain
/// parameter from the stream (seed, replicate, agent = parameter index, step = 0,
/// purpose = PARAMETER_DRAW), so the draw does not depend on which thread runs the replicate.

#include <canopy/engine/random.hpp>

#include <string>

namespace canopy::engine {

/// The purpose under which per-replicate parameter values are drawn.
inline constexpr Purpose PARAMETER_DRAW = 0xFFF0;

/// A value, or a distribution of values, for one parameter.
struct Uncertain {
    enum class Kind {
        fixed,      ///< a = the value
        uniform,    ///< a = low, b = high
        normal,     ///< a = mean, b = standard deviation
        lognormal,  ///< a = median, b = sigma of log (the geometric standard deviation's log)
        beta,       ///< a = alpha, b = beta (on [0, 1])
        gamma,      ///< a = shape, b = scale
        triangular, ///< a = low, b = high, c = mode
    };
    Kind kind = Kind::fixed;
    double a = 0.0;
    double b = 0.0;
    double c = 0.0;

    /// A fixed value.
    static Uncertain fixed(double value) { return {Kind::fixed, value, 0.0, 0.0}; }

    /// Why a, b, c lie outside this kind's domain (e.g. "uniform needs low <= high"), or
    /// nullptr when they are valid. The scenario validator turns this into a diagnostic.
    [[nodiscard]] const char* domain_error() const noexcept;
    /// The value for one replicate (the fixed value, or one draw from the distribution); a pure
    /// function of (key, parameter_index). Throws canopy::Error when domain_error() is set.
    [[nodiscard]] double draw(const RandomKey& key, std::uint32_t parameter_index) const;
    /// The distribution's mean (used for reporting and as a deterministic default).
    [[nodiscard]] double mean() const;
    /// The smallest and largest values the distribution can produce, as infimum and supremum
    /// (infinite when unbounded; an open end such as lognormal's 0 is returned as the bound).
    [[nodiscard]] double support_min() const;
    [[nodiscard]] double support_max() const;
    /// The smallest and largest values draw() can return: the support where it is bounded,
    /// and where it is not, the bound the sampler's own arithmetic sets (a standard normal
    /// never exceeds STANDARD_NORMAL_MAX, distributions.hpp). Always finite for finite
    /// parameters, so constraints across parameters can be checked for every draw.
    [[nodiscard]] double draw_min() const;
    [[nodiscard]] double draw_max() const;
};

/// "fixed", "uniform", "normal", "lognormal", "beta", "gamma", "triangular".
const char* to_string(Uncertain::Kind kind) noexcept;

} // namespace canopy::engine
