#pragma once
/// \file budget.hpp
/// What a policy costs, in one currency: a lever's cost rates, the scenario's budget (its
/// currency, explicit conversions into it, caps per calendar year and in total), and the cost of
/// one run step by step.
///
/// A lever can cost
///   per unit held      level x step length in years x cost_per_unit_year
///   per unit added     each increase of the level during the run x cost_per_unit_added
///   per outcome        the step's count of a flow series the model reports (certificates
///                      granted, firms registered, loans originated) x a price: a fixed
///                      cost_per_outcome, or the lever's own level (a reward per certificate)
/// Every lever's cost is converted into the scenario's currency before anything is added up:
/// a cost unit other than the currency needs an explicit conversion in [budget], so a total is
/// never "30 100m yuan + 47 m yuan". Per-outcome costs depend on the run, so a policy's cost is
/// a distribution over replicates like any outcome.

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace canopy::engine {

struct Scenario;
struct SeriesTable;
struct RandomKey;
class Calendar;
class Schedule;

/// How a lever's cost per outcome is priced.
enum class OutcomePrice {
    none,  ///< no per-outcome cost
    fixed, ///< cost_per_outcome (in the cost unit) per unit of the outcome series
    level, ///< the lever's level at that step (in the lever's unit) per unit of the outcome
};

/// What a lever costs. Rates are in `unit`; the loader resolves the conversions.
struct LeverCost {
    double per_unit_year = 0.0;
    double per_unit_added = 0.0;
    std::string unit; ///< currency unit of the rates, e.g. "100m yuan"; empty: the scenario's
    OutcomePrice outcome_price = OutcomePrice::none;
    double per_outcome = 0.0; ///< OutcomePrice::fixed: cost unit per unit of the outcome
    std::string outcome;      ///< the flow series counted (a model series name)
    int outcome_series = -1;  ///< its index in ModelInfo::series (resolved by the loader)
    double to_currency = 1.0; ///< currency per cost unit
    /// OutcomePrice::level: currency per unit of the lever's level (its unit converted).
    double level_to_currency = 1.0;

    /// Whether the lever costs anything at all.
    [[nodiscard]] bool priced() const noexcept {
        return per_unit_year != 0.0 || per_unit_added != 0.0 || outcome_price != OutcomePrice::none;
    }
};

/// The scenario's budget ([budget] in the file): one currency, conversions into it, caps.
struct Budget {
    static constexpr double NONE = std::numeric_limits<double>::quiet_NaN();

    /// What every cost is reported in. Empty when nothing is priced or no unit was named.
    std::string currency;
    /// (unit, currency per unit) for every other unit a cost or a priced level is written in.
    std::vector<std::pair<std::string, double>> conversions;
    double cap_per_year = NONE; ///< in currency per calendar year; NaN: no cap
    double cap_total = NONE;    ///< in currency over the budget's period; NaN: no cap
    std::string source;         ///< of the caps
    std::string assumption;

    [[nodiscard]] bool has_caps() const noexcept {
        return cap_per_year == cap_per_year || cap_total == cap_total; // not NaN
    }
    /// Currency per `unit`: 1 for the currency itself, the conversion if there is one, NaN
    /// otherwise.
    [[nodiscard]] double factor(const std::string& unit) const noexcept;

    /// Whether `cost` is over `cap` (cap_per_year or cap_total; never when it is NaN: no cap).
    /// A cost within one part in 10^9 of the cap is within it: a cost is a sum over steps,
    /// converted between currencies, and that rounding must not decide the verdict (a plan of
    /// exactly 0.5 bn yuan came to 500.00000000000006 against a cap of 500 m yuan).
    [[nodiscard]] static bool over(double cost, double cap) noexcept {
        return cost > cap + CAP_TOLERANCE * (cap < 0.0 ? -cap : cap);
    }
    static constexpr double CAP_TOLERANCE = 1e-9;
};

/// The calendar years the run's steps start in, in order (2022, 2023 for a run over both), and
/// the year after when the last step is a week that runs into January.
std::vector<int> budget_years(const Calendar& calendar);

/// The cost of lever `lever` during each step of one run, in the scenario's currency; `out`
/// has one entry per step. `schedule` is the lever's level as the run had it (RunInputs::levers:
/// the scenario's schedule, scaled when a posterior fits the lever). `run` is the replicate's
/// series table (rows = steps + 1); it may be null only when the lever has no per-outcome price.
/// Throws canopy::Error when the lever index or the table's shape is wrong.
void lever_step_costs(const Scenario& scenario, std::size_t lever, const Schedule& schedule,
                      const SeriesTable* run, std::span<double> out);

/// Every lever's cost in one run by calendar year, in the scenario's currency:
/// [lever * years + y] with y indexing budget_years(scenario.calendar). `levers` are the
/// schedules the run had, one per scenario lever. Steps are summed in order, so the result is
/// the same bits however the replicates were scheduled. A week that straddles New Year is
/// charged to both years by its days (Calendar::share_in_start_year).
std::vector<double> lever_costs_by_year(const Scenario& scenario, std::span<const Schedule> levers,
                                        const SeriesTable* run);

/// The same for replicate `key` of an ensemble of `scenario`: its levers as that replicate ran
/// them (replicate_levers in ensemble.hpp), so a lever a posterior fits is priced at the level
/// each replicate drew, not at the scenario's.
std::vector<double> replicate_lever_costs_by_year(const Scenario& scenario, const RandomKey& key,
                                                  const SeriesTable* run);

} // namespace canopy::engine
