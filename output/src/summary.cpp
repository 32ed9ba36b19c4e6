// From an ensemble's raw series to what a planner reads: finals, spreads and attainment.
#include <canopy/engine/budget.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/output/summary.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace canopy::output {

namespace {

void check_shapes(const engine::Scenario& scenario, const engine::ModelInfo& model,
                  const engine::Ensemble& ensemble) {
    if (ensemble.replicates() == 0) {
        throw Error("cannot summarise scenario '" + scenario.name + "': the ensemble is empty");
    }
    if (scenario.parameters.size() != model.parameters.size() ||
        scenario.levers.size() != model.levers.size()) {
        throw Error("scenario '" + scenario.name + "' does not match model '" + model.name + "'");
    }
    if (ensemble.parameters.size() != ensemble.runs.size()) {
        throw Error("ensemble of scenario '" + scenario.name + "' has " +
                    std::to_string(ensemble.runs.size()) + " runs but " +
                    std::to_string(ensemble.parameters.size()) + " parameter rows");
    }
    const int rows = scenario.calendar.steps() + 1;
    const auto series = static_cast<int>(model.series.size());
    for (std::size_t r = 0; r < ensemble.runs.size(); ++r) {
        const engine::SeriesTable& run = ensemble.runs[r];
        if (run.rows != rows || run.series != series ||
            run.values.size() !=
                static_cast<std::size_t>(rows) * static_cast<std::size_t>(series)) {
            throw Error("replicate " + std::to_string(ensemble.first_replicate + r) + " of '" +
                        scenario.name + "' has a " + std::to_string(run.rows) + " x " +
                        std::to_string(run.series) + " table; the calendar and model '" +
                        model.name + "' need " + std::to_string(rows) + " x " +
                        std::to_string(series));
        }
        if (ensemble.parameters[r].size() != model.parameters.size()) {
            throw Error("replicate " + std::to_string(ensemble.first_replicate + r) + " of '" +
                        scenario.name + "' has " + std::to_string(ensemble.parameters[r].size()) +
                        " parameter values; model '" + model.name + "' has " +
                        std::to_string(model.parameters.size()));
        }
    }
}

// Mean and quantiles of the values that are numbers, in replicate order.
void spread(const std::vector<double>& finals, IndicatorSummary& out) {
    std::vector<double> numbers;
    numbers.reserve(finals.size());
    for (const double v : finals) {
        if (!std::isnan(v)) {
            numbers.push_back(v);
        }
    }
    out.numbers = numbers.size();
    out.mean = engine::mean(numbers);
    const std::array<double, 3> ps{0.5, 0.05, 0.95};
    std::array<double, 3> qs{};
    engine::quantiles(numbers, ps, qs);
    out.median = qs[0];
    out.q05 = qs[1];
    out.q95 = qs[2];
}

// Mean, 5 % and 95 % quantiles of values in replicate order.
struct Spread {
    double mean = 0.0;
    double q05 = 0.0;
    double q95 = 0.0;
};

// The mean of costs, summed with Neumaier's compensation and kept within the values' range:
// the plain sum of 200 replicates each costing 0.47 gave a mean of 0.46999999999999914, below
// its own q05 of 0.47 (an outside tester's dashboard checked q05 <= mean <= q95). A sum that
// overflows goes to RunningMean's wide sum, as engine::mean does.
class CostMean {
public:
    void add(double x) noexcept {
        running_.add(x);
        const double t = sum_ + x;
        compensation_ += std::fabs(sum_) >= std::fabs(x) ? (sum_ - t) + x : (x - t) + sum_;
        sum_ = t;
        lowest_ = std::min(lowest_, x);
        highest_ = std::max(highest_, x);
        ++count_;
    }
    [[nodiscard]] double mean() const noexcept {
        const double total = sum_ + compensation_;
        if (count_ == 0 || !std::isfinite(total)) {
            return running_.mean();
        }
        return std::clamp(total / static_cast<double>(count_), lowest_, highest_);
    }

private:
    engine::RunningMean running_;
    double sum_ = 0.0;
    double compensation_ = 0.0;
    double lowest_ = std::numeric_limits<double>::infinity();
    double highest_ = -std::numeric_limits<double>::infinity();
    std::size_t count_ = 0;
};

Spread spread_of(const std::vector<double>& values) {
    const std::array<double, 2> ps{0.05, 0.95};
    std::array<double, 2> qs{};
    engine::quantiles(values, ps, qs);
    CostMean m;
    for (const double x : values) {
        m.add(x);
    }
    return Spread{m.mean(), qs[0], qs[1]};
}

std::string cost_basis(const engine::LeverCost& c) {
    std::string out;
    const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : " + ") + part; };
    if (c.per_unit_year != 0.0) {
        add("per unit-year");
    }
    if (c.per_unit_added != 0.0) {
        add("per unit added");
    }
    if (c.outcome_price == engine::OutcomePrice::fixed) {
        add("per " + c.outcome);
    } else if (c.outcome_price == engine::OutcomePrice::level) {
        add("per " + c.outcome + " at the lever's level");
    }
    return out;
}

// Every lever's cost in every replicate, by calendar year, in the scenario's currency; then
// means and spreads in replicate order, and the caps.
void summarise_costs(const engine::Scenario& scenario, const engine::ModelInfo& model,
                     const engine::Ensemble& ensemble, EnsembleSummary& s) {
    const engine::Budget& budget = scenario.budget;
    CostSummary& c = s.costs;
    c.currency = budget.currency;
    c.years = engine::budget_years(scenario.calendar);
    c.cap_per_year = budget.cap_per_year;
    c.cap_total = budget.cap_total;
    const std::size_t n_levers = scenario.levers.size();
    const std::size_t n_years = c.years.size();
    const std::size_t n = ensemble.replicates();
    // [lever][replicate] totals, and [lever][year] and [year] means over replicates, kept as the
    // replicates stream past (CostMean: compensated, within the values' range; an overflowing sum
    // of finite costs still has a finite mean).
    std::vector<std::vector<double>> lever_totals(n_levers, std::vector<double>(n, 0.0));
    std::vector<CostMean> lever_year_mean(n_levers * n_years);
    std::vector<CostMean> year_mean(n_years);
    c.totals.assign(n, 0.0);
    std::size_t over = 0;
    for (std::size_t r = 0; r < n; ++r) {
        // Each replicate's levers as it ran them: a posterior may scale a lever per replicate.
        const engine::RandomKey key{ensemble.seed,
                                    ensemble.first_replicate + static_cast<std::uint32_t>(r)};
        const std::vector<double> cost =
            engine::replicate_lever_costs_by_year(scenario, key, &ensemble.runs[r]);
        bool over_here = false;
        for (std::size_t y = 0; y < n_years; ++y) {
            double year_total = 0.0;
            for (std::size_t l = 0; l < n_levers; ++l) {
                const double x = cost[l * n_years + y];
                lever_totals[l][r] += x;
                lever_year_mean[l * n_years + y].add(x);
                year_total += x;
            }
            year_mean[y].add(year_total);
            c.totals[r] += year_total;
            over_here = over_here || engine::Budget::over(year_total, budget.cap_per_year);
        }
        over_here = over_here || engine::Budget::over(c.totals[r], budget.cap_total);
        over += over_here ? 1 : 0;
    }
    const auto n_double = static_cast<double>(n);
    for (std::size_t l = 0; l < n_levers; ++l) {
        const engine::LeverCost& lc = scenario.levers[l].cost;
        LeverCostSummary ls;
        ls.lever = model.levers[l].name;
        const Spread spread = spread_of(lever_totals[l]);
        ls.cost = spread.mean;
        ls.q05 = spread.q05;
        ls.q95 = spread.q95;
        ls.unit = budget.currency;
        ls.outcome = lc.outcome_price == engine::OutcomePrice::none ? "" : lc.outcome;
        ls.basis = cost_basis(lc);
        for (std::size_t y = 0; y < n_years; ++y) {
            ls.by_year.push_back(lever_year_mean[l * n_years + y].mean());
        }
        c.priced = c.priced || lc.priced();
        s.lever_costs.push_back(std::move(ls));
    }
    const Spread total = spread_of(c.totals);
    c.total = total.mean;
    c.q05 = total.q05;
    c.q95 = total.q95;
    for (std::size_t y = 0; y < n_years; ++y) {
        c.by_year.push_back(year_mean[y].mean());
        c.over_cap = c.over_cap || engine::Budget::over(c.by_year[y], c.cap_per_year);
    }
    c.over_cap = c.over_cap || engine::Budget::over(c.total, c.cap_total);
    c.p_over_cap = static_cast<double>(over) / n_double;
}

} // namespace

EnsembleSummary summarise_ensemble(const engine::Scenario& scenario, const engine::ModelInfo& model,
                                   const engine::Ensemble& ensemble,
                                   const SummaryOptions& options) {
    check_shapes(scenario, model, ensemble);
    EnsembleSummary s(engine::IndicatorSet(scenario.indicators, model, scenario.calendar));
    s.scenario = scenario.name;
    s.title = scenario.title;
    s.model = model.name;
    s.policy_mix = options.policy_mix.empty() ? BASE_MIX : options.policy_mix;
    s.policy_mix_description = options.policy_mix_description;
    s.overrides = options.overrides;
    s.seed = ensemble.seed;
    s.first_replicate = ensemble.first_replicate;
    s.replicates = ensemble.replicates();
    s.calendar = scenario.calendar;
    s.interval = options.interval;
    s.confidence = options.confidence;

    const std::size_t n_indicators = s.indicators.size();
    s.finals.assign(n_indicators, std::vector<double>(s.replicates));
    std::vector<double> row(n_indicators);
    for (std::size_t r = 0; r < s.replicates; ++r) {
        s.indicators.finals(ensemble.runs[r], row);
        for (std::size_t i = 0; i < n_indicators; ++i) {
            s.finals[i][r] = row[i];
        }
    }

    const auto& specs = s.indicators.specs();
    s.indicator_stats.resize(n_indicators);
    for (std::size_t i = 0; i < n_indicators; ++i) {
        IndicatorSummary& is = s.indicator_stats[i];
        is.id = specs[i].id;
        is.unit = specs[i].unit;
        is.description = specs[i].description;
        is.kind = specs[i].kind;
        spread(s.finals[i], is);
    }

    for (const engine::TargetSpec& spec : scenario.targets) {
        const int index = s.indicators.index(spec.indicator);
        if (index < 0) {
            throw Error("target '" + spec.id + "' of scenario '" + scenario.name +
                        "' compares indicator '" + spec.indicator + "', which it does not define");
        }
        const auto i = static_cast<std::size_t>(index);
        TargetResult t;
        t.summary = engine::summarise(spec, s.finals[i], options.interval, options.confidence);
        if (t.summary.unit.empty()) {
            t.summary.unit = specs[i].unit;
        }
        t.indicator = spec.indicator;
        t.indicator_index = i;
        t.description = spec.description;
        t.source = spec.source;
        t.assumption = spec.assumption;
        s.targets.push_back(std::move(t));
    }

    summarise_costs(scenario, model, ensemble, s);
    return s;
}

void mark_determined_targets(EnsembleSummary& summary, const engine::Scenario& scenario,
                             const engine::ModelInfo& model, const engine::Ensemble& ensemble,
                             const engine::RunReplicate& run,
                             const std::vector<std::string>& hints) {
    if (summary.targets.empty()) {
        return;
    }
    std::vector<std::size_t> which;
    which.reserve(summary.targets.size());
    for (const TargetResult& t : summary.targets) {
        which.push_back(t.indicator_index);
    }
    engine::DeterminationOptions options;
    options.hints = hints;
    const std::vector<engine::Determination> found = engine::determine_by_inputs(
        scenario, model, summary.indicators, which, ensemble, run, options);
    for (std::size_t k = 0; k < summary.targets.size(); ++k) {
        summary.targets[k].determination = found[k];
        // No replicate gave a number: an undefined final never moves, but nothing was decided
        // by the inputs either; the verdict is n/a (docs/output-format.md).
        const engine::TargetSummary& ts = summary.targets[k].summary;
        if (ts.replicates > 0 && ts.undefined == ts.replicates) {
            summary.targets[k].determination = engine::Determination{};
        }
    }
}

void record_precision(EnsembleSummary& summary, const experiments::PrecisionRule& rule,
                      const experiments::PrecisionOutcome& outcome) {
    summary.precision = rule.half_width;
    summary.max_replicates = rule.max_replicates;
    summary.precision_settled = outcome.settled;
    summary.verdict_confidence = 0.0;
    const double at = experiments::look_confidence(rule);
    if (!(at != rule.confidence) || summary.targets.empty()) {
        return; // one look: the fixed run's intervals and verdicts; or no verdict to take
    }
    summary.verdict_confidence = at;
    for (TargetResult& t : summary.targets) {
        t.verdict_ci =
            engine::binomial_interval(rule.interval, t.summary.attained, t.summary.replicates, at);
    }
}

const char* interval_name(engine::IntervalMethod method) noexcept {
    switch (method) {
    case engine::IntervalMethod::wilson:
        return "wilson";
    case engine::IntervalMethod::jeffreys:
        return "jeffreys";
    }
    return "?";
}

const char* time_step_name(engine::TimeUnit unit) noexcept {
    switch (unit) {
    case engine::TimeUnit::month:
        return "month";
    case engine::TimeUnit::week:
        return "week";
    }
    return "?";
}

std::string row_label(const engine::Calendar& calendar, int row) {
    if (row <= 0) {
        engine::YearMonth before = calendar.start();
        before.month -= 1;
        if (before.month < 1) {
            before.month = 12;
            before.year -= 1;
        }
        return before.str();
    }
    return calendar.label(row - 1);
}

} // namespace canopy::output
