#pragma once
/// \file target.hpp
/// Targets: an indicator, a comparison and a threshold; and their probability of attainment.

#include <canopy/engine/statistics.hpp>

#include <span>
#include <string>

namespace canopy::engine {

/// How an indicator is compared with its threshold.
enum class Comparison { greater, greater_equal, less, less_equal };

/// ">", ">=", "<", "<=".
const char* to_string(Comparison c) noexcept;
/// Parses ">", ">=", "<", "<="; returns false on anything else.
bool parse_comparison(const std::string& text, Comparison& out);
/// Whether value meets threshold under c (NaN never does).
bool attained(Comparison c, double value, double threshold) noexcept;

/// A target as a scenario declares it.
struct TargetSpec {
    std::string id;
    std::string indicator; ///< an indicator id
    Comparison comparison = Comparison::greater_equal;
    double threshold = 0.0;
    std::string unit;
    std::string description;
    std::string source;
    std::string assumption; ///< the reasoning behind a figure with no source (a masked figure)
};

/// A target's outcome over an ensemble.
struct TargetSummary {
    std::string id;
    std::string unit;
    Comparison comparison = Comparison::greater_equal;
    double threshold = 0.0;
    std::size_t replicates = 0;
    std::size_t attained = 0;
    /// Replicates whose final is undefined (NaN: a growth from a zero base, a ratio over zero);
    /// they count as not attained.
    std::size_t undefined = 0;
    double p_attain = 0.0;
    Interval p_attain_ci;
    double mean = 0.0;
    double median = 0.0;
    double q05 = 0.0;
    double q95 = 0.0;
};

/// Summarises the final indicator values (replicate order) against a target. p_attain is
/// attained / replicates (NaN when there are none) with its interval by `method`. A NaN final
/// (undefined) counts as a replicate that did not attain, is counted in `undefined`, and is
/// left out of mean, median, q05 and q95 (which are NaN when no final is a number). Throws
/// canopy::Error for a confidence outside (0, 1).
TargetSummary summarise(const TargetSpec& target, std::span<const double> finals,
                        IntervalMethod method = IntervalMethod::wilson, double confidence = 0.95);

} // namespace canopy::engine
