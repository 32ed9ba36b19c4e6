#pragma once
/// \file compare.hpp
/// Policy mixes side by side, as `canopy compare` shows them: per target and mix the median and
/// P(attain), and the paired difference from the base (median difference and difference of
/// P(attain), with confidence intervals from the paired replicates); per mix its cost and
/// whether it breaks the budget's caps.
///
/// Every mix runs on common random numbers (replicate r of every mix draws from the same
/// streams), so a difference measures the mix, not the luck of its draws, and its interval is
/// several times tighter than two independent runs would give (experiments/paired.hpp says how
/// the intervals are computed).

#include <canopy/engine/statistics.hpp>
#include <canopy/engine/target.hpp>
#include <canopy/output/summary.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace canopy::output {

/// One target under one mix, and its paired difference from the base (0 for the base itself).
struct TargetComparison {
    std::string id;
    double median = 0.0;
    double p_attain = 0.0;
    engine::Interval p_attain_ci;
    /// Replicates whose final is undefined under the mix (NaN: a growth from a zero base, a ratio
    /// over zero); they count as not attained and are left out of the median.
    std::size_t undefined = 0;
    double delta_median = 0.0; ///< median under the mix - median under the base, target's unit
    engine::Interval delta_median_ci;
    double delta_p = 0.0; ///< P(attain) under the mix - under the base, as a fraction
    engine::Interval delta_p_ci;
    bool by_inputs = false; ///< the inputs fix the final value (summary.hpp, determination)
};

/// One policy mix (or the base) in a comparison.
struct MixComparison {
    std::string name; ///< BASE_MIX for the scenario's own levers
    std::string description;
    double cost = 0.0;     ///< mean total cost over replicates, in Comparison::currency
    double cost_q05 = 0.0; ///< 90 % interval over replicates (per-outcome prices vary)
    double cost_q95 = 0.0;
    std::vector<double> cost_by_year;      ///< mean cost in each of Comparison::years
    bool over_budget = false;              ///< the mean cost exceeds a cap (a year's or the total)
    double p_over_budget = 0.0;            ///< share of replicates over a cap
    std::vector<TargetComparison> targets; ///< Comparison::targets' order
};

/// What each target asks, for the headings.
struct TargetGoal {
    std::string id;
    std::string indicator; ///< the indicator it compares
    engine::Comparison comparison = engine::Comparison::greater_equal;
    double threshold = 0.0;
    std::string unit;
    std::string description;
};

/// Mixes compared on the same replicates.
struct Comparison {
    std::string scenario;
    std::string title;
    std::uint64_t seed = 0;
    std::size_t replicates = 0; ///< per mix
    double confidence = 0.95;   ///< of every interval
    /// Whether the mixes shared their replicates' random streams (the intervals are paired); a
    /// comparison of independently seeded runs (the test's foil) says false.
    bool common_random_numbers = true;
    std::string currency; ///< of every cost; empty when nothing is priced
    std::vector<int> years;
    double cap_per_year = engine::Budget::NONE;
    double cap_total = engine::Budget::NONE;
    std::vector<TargetGoal> targets;
    std::vector<MixComparison> mixes; ///< the base first
};

/// Compares summaries of one scenario under several mixes, `runs[0]` the base. Replicate r of
/// every run must have drawn from the same streams for the differences to be paired (`canopy
/// compare` runs them so); with `common_random_numbers` false the intervals are computed the
/// same way and come out as wide as unpaired ones. Throws canopy::Error when `runs` is empty or
/// the runs differ in replicates or targets.
Comparison compare_runs(std::span<const EnsembleSummary> runs, bool common_random_numbers = true);

/// The terminal view: what was compared, the budget block (cost per mix, by year, against the
/// caps), then one block per target with the mixes as rows, so a dozen mixes stay readable.
std::string format_comparison(const Comparison& comparison, bool colour = false);

/// The JSON document (docs/what-if.md):
/// {"schema_version", "scenario", "seed", "replicates", "confidence", "common_random_numbers",
///  "currency", "cap_per_year", "cap_total",
///  "mixes": [{"name", "cost", "over_budget", "targets": [{"id", "median", "p_attain",
///  "p_attain_ci", "undefined", "delta_median", "delta_median_ci", "delta_p", "delta_p_ci"}, ...]},
///  ...]}
/// with the base first and its deltas 0; "undefined" only when some replicate's final is; numbers
/// in shortest round-trip form, NaN and infinities as null.
std::string comparison_json(const Comparison& comparison);

struct Report;

/// Adds the comparison to the report of its runs (run_report.hpp, the base first): each mix's
/// paired differences beside its targets, every mix's effect on every target as a lever
/// effect, and a subtitle saying how the mixes were compared.
void add_comparison(Report& report, const Comparison& comparison);

} // namespace canopy::output
