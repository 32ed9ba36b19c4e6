// From an ensemble's raw series to what a planner reads: finals, spreads and attainment.
#include <canopy/engine/error.hpp>
#include <canopy/output/summary.hpp>

#include <algorithm>
#include <array>
#include <cmath>

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

    for (std::size_t l = 0; l < scenario.levers.size(); ++l) {
        LeverCostSummary c;
        c.lever = model.levers[l].name;
        c.cost = scenario.lever_cost(l);
        c.unit = scenario.levers[l].cost.unit;
        // A lever with neither a cost nor a cost unit costs nothing and has no currency to be
        // added up in; it still appears in lever_costs so every lever is listed.
        if (!(c.cost == 0.0 && c.unit.empty())) {
            auto total = std::find_if(s.total_cost.begin(), s.total_cost.end(),
                                      [&](const CostTotal& t) { return t.unit == c.unit; });
            if (total == s.total_cost.end()) {
                s.total_cost.push_back(CostTotal{0.0, c.unit});
                total = s.total_cost.end() - 1;
            }
            total->cost += c.cost; // lever order: a fixed summation order
        }
        s.lever_costs.push_back(std::move(c));
    }
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
