#pragma once
/// \file summary.hpp
/// What an ensemble means to a planner: every indicator's final values and their spread, every
/// target's probability of attainment with its confidence interval, and what the levers cost.
///
/// Everything is computed in replicate order, never in thread-completion order, so the same
/// ensemble gives the same summary bits at any thread count (and so the same JSON bytes).

#include <canopy/engine/budget.hpp>
#include <canopy/engine/calendar.hpp>
#include <canopy/engine/determination.hpp>
#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/indicator.hpp>
#include <canopy/engine/limits.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/engine/target.hpp>
#include <canopy/experiments/precision.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace canopy::output {

/// The name under which the scenario's own levers and parameters (no policy mix) are reported.
inline constexpr const char* BASE_MIX = engine::BASE_POLICY_MIX;

/// The spread of one indicator's final values over the replicates. NaN finals (a ratio over
/// zero, say) are left out; a statistic is NaN when no final is a number.
struct IndicatorSummary {
    std::string id;
    std::string unit;
    std::string description;
    engine::IndicatorSpec::Kind kind = engine::IndicatorSpec::Kind::stock;
    std::size_t numbers = 0; ///< finals that are numbers (not NaN)
    double mean = 0.0;
    double median = 0.0;
    double q05 = 0.0; ///< 5 % quantile (type 7, numpy's and R's default)
    double q95 = 0.0; ///< 95 % quantile
};

/// A target's outcome and where it came from.
struct TargetResult {
    engine::TargetSummary summary; ///< unit falls back to the indicator's when the target has none
    std::string indicator;         ///< the indicator id it compares
    std::size_t indicator_index = 0;
    std::string description;
    std::string source;
    std::string assumption;
    /// Whether the inputs alone decide the final value (by_inputs, with the deciding parameters
    /// and levers) rather than the simulated dynamics; filled by mark_determined_targets, and
    /// left at "the dynamics" otherwise.
    engine::Determination determination;
    /// The interval the verdict is taken on when it is not summary.p_attain_ci: a run under a
    /// precision rule that could look more than once decides on the stricter interval its looks
    /// test, wherever it stopped (docs/scenario-format.md). Empty otherwise.
    std::optional<engine::Interval> verdict_ci;
};

/// What one lever costs over the horizon, in the scenario's currency. Per-outcome costs differ
/// between replicates, so a cost is a mean with a 90 % interval like any outcome.
struct LeverCostSummary {
    std::string lever;
    double cost = 0.0;   ///< mean over replicates
    double q05 = 0.0;    ///< 5 % quantile over replicates
    double q95 = 0.0;    ///< 95 % quantile
    std::string unit;    ///< the scenario's currency (Budget::currency), possibly empty
    std::string outcome; ///< the flow series priced per outcome, or empty
    /// How it is priced, for readers: "per unit-year", "per unit added", "per
    /// hte_new_certificates at the lever's level", joined with " + "; empty when unpriced.
    std::string basis;
    std::vector<double> by_year; ///< mean cost in each of CostSummary::years
};

/// A policy's total cost in the scenario's currency, by calendar year, against its caps.
struct CostSummary {
    std::string currency;        ///< empty when no unit was named (or nothing is priced)
    std::vector<int> years;      ///< the calendar years the run's steps start in
    double total = 0.0;          ///< mean over replicates of the cost over the horizon
    double q05 = 0.0;            ///< 5 % quantile of the total over replicates
    double q95 = 0.0;            ///< 95 % quantile
    std::vector<double> by_year; ///< mean cost in each year
    std::vector<double> totals;  ///< [replicate] each replicate's total, replicate order
    double cap_per_year = engine::Budget::NONE; ///< from the scenario; NaN: none
    double cap_total = engine::Budget::NONE;    ///< NaN: none
    /// The mean cost exceeds a cap (the total, or some year's).
    bool over_cap = false;
    /// Share of replicates whose cost exceeds a cap (0 or 1 when nothing is priced per outcome).
    double p_over_cap = 0.0;
    /// Whether any lever is priced at all.
    bool priced = false;
};

/// How to summarise.
struct SummaryOptions {
    std::string policy_mix;             ///< the mix applied to the scenario; empty: the base
    std::string policy_mix_description; ///< shown beside its name
    /// The command line's overrides (`--set`), as written: `NAME=VALUE` or `LEVER*=FACTOR`,
    /// applied after the mix; empty: none.
    std::vector<std::string> overrides;
    engine::IntervalMethod interval = engine::IntervalMethod::wilson;
    double confidence = 0.95; ///< of the interval around P(attain)
};

/// An ensemble, summarised.
struct EnsembleSummary {
    /// Takes the resolved indicators; summarise_ensemble fills in the rest.
    explicit EnsembleSummary(engine::IndicatorSet set)
        : indicators(std::move(set)) {}

    engine::IndicatorSet indicators; ///< resolved against the model and the scenario's calendar
    std::string scenario;            ///< the scenario's name
    std::string title;
    std::string model;
    std::string policy_mix = BASE_MIX;
    std::string policy_mix_description;
    std::vector<std::string> overrides; ///< `--set`, as SummaryOptions::overrides
    std::uint64_t seed = 0;
    std::uint32_t first_replicate = 0;
    std::size_t replicates = 0;
    engine::Calendar calendar{engine::YearMonth{2023, 1}, 12};
    engine::IntervalMethod interval = engine::IntervalMethod::wilson;
    double confidence = 0.95;
    /// With a precision rule (`--precision`, experiments/precision.hpp): the half-width asked
    /// for (0: none, every replicate ran), the most replicates the rule could use, and whether
    /// every target settled (false: it stopped at the most). Set by the caller.
    double precision = 0.0;
    std::size_t max_replicates = 0;
    bool precision_settled = false;
    /// Above 0 when a precision rule could look more than once (record_precision): the
    /// confidence of the intervals the verdicts are taken on (TargetResult::verdict_ci),
    /// wherever the rule stopped.
    double verdict_confidence = 0.0;
    std::vector<std::vector<double>> finals;       ///< [indicator][replicate]
    std::vector<IndicatorSummary> indicator_stats; ///< one per indicator, scenario order
    std::vector<TargetResult> targets;             ///< one per target, scenario order
    std::vector<LeverCostSummary> lever_costs;     ///< one per lever, model order
    CostSummary costs;                             ///< the total, by year, against the caps
};

/// Summarises an ensemble of `scenario` (with its policy mix, if any, already applied) run with
/// `model`. Throws canopy::Error if the ensemble is empty, the scenario does not match the
/// model, a run's table does not have the calendar's rows and the model's series, or a target
/// names an indicator the scenario does not have.
EnsembleSummary summarise_ensemble(const engine::Scenario& scenario, const engine::ModelInfo& model,
                                   const engine::Ensemble& ensemble,
                                   const SummaryOptions& options = {});

/// Marks the targets of `summary` whose final values the inputs decide rather than the simulated
/// dynamics (engine::determine_by_inputs on `ensemble`, the run `summary` summarises, probing
/// with `run`), so the table, JSON and HDF5 can say that their P(attain) holds by construction.
/// `hints` (inputs found deciding another run, e.g. the base of a mix comparison) only make the
/// search cheaper (engine::DeterminationOptions::hints).
void mark_determined_targets(EnsembleSummary& summary, const engine::Scenario& scenario,
                             const engine::ModelInfo& model, const engine::Ensemble& ensemble,
                             const engine::RunReplicate& run,
                             const std::vector<std::string>& hints = {});

/// "wilson" or "jeffreys" (the --interval flag's words).
const char* interval_name(engine::IntervalMethod method) noexcept;

/// Records where a precision rule stopped (`--precision`, experiments/precision.hpp): the
/// half-width, the most replicates, whether every target settled and, when the rule could look
/// more than once, each target's verdict interval at the looks' confidence (verdict_ci,
/// verdict_confidence), wherever it stopped. `canopy run` and the Python module both call it.
void record_precision(EnsembleSummary& summary, const experiments::PrecisionRule& rule,
                      const experiments::PrecisionOutcome& outcome);

/// "month" or "week" (the scenario's `time_step` words).
const char* time_step_name(engine::TimeUnit unit) noexcept;

/// The label of table row r (0 .. steps): the month whose end the row is. Row 0, the initial
/// state, is the end of the month before the start ("2022-12"); row s + 1 is the end of step s
/// (Calendar::label: "2023-04", or "2023-04-w2" for weekly steps).
std::string row_label(const engine::Calendar& calendar, int row);

} // namespace canopy::output
