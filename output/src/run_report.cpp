// Filling a Report from runs of the ensemble (run_report.hpp).
#include <canopy/engine/error.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/output/run_report.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

namespace canopy::output {

namespace {

std::string month_text(engine::YearMonth ym) {
    return fmt::format("{:04}-{:02}", ym.year, ym.month);
}

// The month at which a target on each indicator is judged (a row label): a change's is its
// input's; empty for a ratio (its two inputs may be read at different months). Chains of
// changes are followed once each, without recursion.
std::vector<std::string> judged_months(const std::vector<engine::IndicatorSpec>& specs) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        index.emplace(specs[i].id, i);
    }
    std::vector<std::string> out(specs.size());
    std::vector<char> known(specs.size(), 0);
    std::vector<std::size_t> path;
    for (std::size_t start = 0; start < specs.size(); ++start) {
        std::size_t i = start;
        std::string month;
        path.clear();
        while (known[i] == 0 && path.size() <= specs.size()) {
            const engine::IndicatorSpec& spec = specs[i];
            if (spec.kind != engine::IndicatorSpec::Kind::change) {
                month = spec.kind == engine::IndicatorSpec::Kind::flow    ? month_text(spec.to)
                        : spec.kind == engine::IndicatorSpec::Kind::ratio ? std::string()
                                                                          : month_text(spec.at);
                known[i] = 1;
                out[i] = month;
                break;
            }
            path.push_back(i);
            const auto of = index.find(spec.of);
            if (of == index.end()) {
                break;
            }
            i = of->second;
        }
        if (known[i] != 0) {
            month = out[i];
        }
        for (const std::size_t j : path) {
            out[j] = month;
            known[j] = 1;
        }
    }
    return out;
}

std::string with_unit(const std::string& value, const std::string& unit) {
    return unit.empty() ? value : value + " " + unit;
}

std::string uncertain_text(const engine::Uncertain& u, const std::string& unit) {
    using K = engine::Uncertain::Kind;
    const auto q = [](double x) { return format_quantity(x); };
    switch (u.kind) {
    case K::fixed:
        return with_unit(q(u.a), unit);
    case K::uniform:
        return with_unit("uniform(" + q(u.a) + ", " + q(u.b) + ")", unit);
    case K::normal:
        return with_unit("normal(mean " + q(u.a) + ", sd " + q(u.b) + ")", unit);
    case K::lognormal:
        return with_unit("lognormal(median " + q(u.a) + ", sigma " + q(u.b) + ")", unit);
    case K::beta:
        return "beta(" + q(u.a) + ", " + q(u.b) + ")";
    case K::gamma:
        return with_unit("gamma(shape " + q(u.a) + ", scale " + q(u.b) + ")", unit);
    case K::triangular:
        return with_unit("triangular(" + q(u.a) + ", " + q(u.c) + ", " + q(u.b) + ")", unit);
    }
    return {};
}

std::string schedule_text(const engine::Schedule& s, const std::string& unit) {
    using K = engine::Schedule::Kind;
    const auto q = [](double x) { return format_quantity(x); };
    if (s.kind() == K::constant) {
        return with_unit(q(s.initial()), unit);
    }
    const auto& points = s.points();
    std::string text = s.kind() == K::step   ? "step"
                       : s.kind() == K::ramp ? "ramp"
                                             : "piecewise linear";
    double lo = s.kind() == K::piecewise_linear ? points.front().value : s.initial();
    double hi = lo;
    for (const engine::SchedulePoint& p : points) {
        lo = std::min(lo, p.value);
        hi = std::max(hi, p.value);
    }
    const double first = s.kind() == K::piecewise_linear ? points.front().value : s.initial();
    text += " from " + q(first) + " to " + q(points.back().value);
    if (lo < std::min(first, points.back().value) || hi > std::max(first, points.back().value)) {
        text += " (between " + q(lo) + " and " + q(hi) + ")";
    }
    return with_unit(text, unit);
}

} // namespace

std::vector<ReportFan> report_fans(const EnsembleSummary& s, const engine::Ensemble& ensemble) {
    const engine::IndicatorSet& set = s.indicators;
    const auto n_rows = static_cast<std::size_t>(s.calendar.steps() + 1);
    const std::size_t n_reps = ensemble.runs.size();
    const auto& specs = set.specs();
    const std::vector<std::string> judged = judged_months(specs);
    std::vector<ReportFan> fans(specs.size());
    std::vector<std::string> labels(n_rows);
    for (std::size_t r = 0; r < n_rows; ++r) {
        labels[r] = row_label(s.calendar, static_cast<int>(r));
    }
    // Evaluation order, keeping a series only while a ratio still needs it (as hdf5.cpp does).
    std::vector<int> uses(specs.size(), 0);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        for (const int k : set.inputs(i)) {
            if (k >= 0) {
                ++uses[static_cast<std::size_t>(k)];
            }
        }
    }
    std::unordered_map<std::size_t, std::vector<double>> kept;
    std::vector<double> data(n_reps * n_rows);
    std::vector<double> column;
    column.reserve(n_reps);
    const std::array<double, 5> ps{0.05, 0.25, 0.5, 0.75, 0.95};
    std::array<double, 5> qs{};
    for (const std::size_t i : set.order()) {
        const std::array<int, 2> in = set.inputs(i);
        for (std::size_t r = 0; r < n_reps; ++r) {
            const auto part = [&](int k) -> std::span<const double> {
                return k < 0 ? std::span<const double>{}
                             : std::span<const double>(
                                   &kept.at(static_cast<std::size_t>(k))[r * n_rows], n_rows);
            };
            set.series(i, ensemble.runs[r], std::span<double>(&data[r * n_rows], n_rows),
                       part(in[0]), part(in[1]));
        }
        ReportFan& f = fans[i];
        f.id = specs[i].id;
        f.label = specs[i].id;
        f.unit = specs[i].unit;
        f.row_labels = labels;
        f.description = specs[i].description;
        if (const std::string& at = judged[i]; !at.empty() && at != labels.back()) {
            f.read_at = at;
        }
        for (std::vector<double>* v : {&f.q05, &f.q25, &f.median, &f.q75, &f.q95}) {
            v->assign(n_rows, std::nan(""));
        }
        for (std::size_t row = 0; row < n_rows; ++row) {
            column.clear();
            for (std::size_t r = 0; r < n_reps; ++r) {
                const double x = data[r * n_rows + row];
                if (std::isfinite(x)) {
                    column.push_back(x);
                }
            }
            if (column.empty()) {
                continue;
            }
            engine::quantiles(column, ps, qs);
            f.q05[row] = qs[0];
            f.q25[row] = qs[1];
            f.median[row] = qs[2];
            f.q75[row] = qs[3];
            f.q95[row] = qs[4];
        }
        for (const int k : in) {
            if (k >= 0 && --uses[static_cast<std::size_t>(k)] == 0) {
                kept.erase(static_cast<std::size_t>(k));
            }
        }
        if (uses[i] > 0) {
            kept.emplace(i, data);
        }
    }
    for (const TargetResult& t : s.targets) {
        if (t.indicator_index < fans.size()) {
            fans[t.indicator_index].targets.push_back(
                {std::string(engine::to_string(t.summary.comparison)), t.summary.threshold,
                 judged[t.indicator_index]});
        }
    }
    return fans;
}

ReportMix report_mix(const EnsembleSummary& s, const engine::Ensemble& ensemble, bool fans) {
    ReportMix m;
    m.name = s.policy_mix;
    m.description = s.policy_mix_description;
    // Every cost is in the scenario's one currency (budget.hpp), so there is one total.
    if (s.costs.priced) {
        m.totals.push_back({"total", s.costs.total, s.costs.currency});
    }
    for (const LeverCostSummary& c : s.lever_costs) {
        if (!c.basis.empty()) { // priced levers only
            m.lever_costs.push_back({c.lever, c.cost, c.unit});
        }
    }
    m.over_budget = s.costs.over_cap;
    m.cap_per_year = s.costs.cap_per_year;
    m.cap_total = s.costs.cap_total;
    if (s.costs.q05 != s.costs.q95) { // as the terminal: a share only when costs vary
        m.p_over_budget = s.costs.p_over_cap;
    }
    if (s.costs.over_cap) {
        std::string why;
        for (std::size_t y = 0; y < s.costs.years.size() && y < s.costs.by_year.size(); ++y) {
            if (engine::Budget::over(s.costs.by_year[y], s.costs.cap_per_year)) {
                why += (why.empty() ? "" : "; ") + std::to_string(s.costs.years[y]) + ": " +
                       format_quantity(s.costs.by_year[y]) + " > cap " +
                       format_quantity(s.costs.cap_per_year) + " " + s.costs.currency;
            }
        }
        if (engine::Budget::over(s.costs.total, s.costs.cap_total)) {
            why += (why.empty() ? "" : "; ") + std::string("total ") +
                   format_quantity(s.costs.total) + " > cap " + format_quantity(s.costs.cap_total) +
                   " " + s.costs.currency;
        }
        m.budget_note = why;
    }
    for (const TargetResult& t : s.targets) {
        ReportTarget r;
        r.id = t.summary.id;
        r.label = t.description;
        r.unit = t.summary.unit;
        r.comparison = engine::to_string(t.summary.comparison);
        r.threshold = t.summary.threshold;
        r.median = t.summary.median;
        r.q05 = t.summary.q05;
        r.q95 = t.summary.q95;
        r.p_attain = t.summary.p_attain;
        r.p_lo = t.summary.p_attain_ci.lo;
        r.p_hi = t.summary.p_attain_ci.hi;
        if (t.verdict_ci) {
            r.verdict_ci = std::array<double, 2>{t.verdict_ci->lo, t.verdict_ci->hi};
            r.verdict_confidence = s.verdict_confidence;
        }
        r.set_by_inputs = t.determination.by_inputs;
        r.undefined = t.summary.undefined;
        r.source = t.source;
        r.assumption = t.assumption;
        r.replicates = t.summary.replicates;
        m.targets.push_back(std::move(r));
    }
    if (fans) {
        m.fans = report_fans(s, ensemble);
    }
    return m;
}

std::string posterior_file(const engine::JointDraws& draws) {
    const std::string& o = draws.origin();
    const std::string head = "posterior '";
    if (o.size() > head.size() + 1 && o.compare(0, head.size(), head) == 0 && o.back() == '\'') {
        return o.substr(head.size(), o.size() - head.size() - 1);
    }
    return o;
}

bool drawn_from_posterior(const engine::Scenario& scenario, std::size_t p) {
    if (!scenario.joint_draws) {
        return false;
    }
    for (const engine::JointDraws::Column& col : scenario.joint_draws->columns()) {
        if (col.kind == engine::JointDraws::Column::Kind::parameter &&
            static_cast<std::size_t>(col.index) == p) {
            return true;
        }
    }
    return false;
}

namespace {

// What a posterior column drew: the replicates' values when there are any, else the range of
// the posterior's particles (positive weight) that a replicate can draw.
std::string posterior_text(const engine::Scenario& scenario, std::size_t p,
                           const engine::Ensemble* ensemble, const std::string& unit) {
    const engine::JointDraws& j = *scenario.joint_draws;
    const auto q = [](double x) { return format_quantity(x); };
    const std::string file = posterior_file(j);
    if (ensemble != nullptr && !ensemble->parameters.empty()) {
        std::vector<double> drawn;
        for (const std::vector<double>& row : ensemble->parameters) {
            if (p < row.size()) {
                drawn.push_back(row[p]);
            }
        }
        if (!drawn.empty()) {
            const std::vector<double> ps{0.05, 0.5, 0.95};
            std::vector<double> qs(3);
            engine::quantiles(drawn, ps, qs);
            const auto [lo, hi] = std::minmax_element(drawn.begin(), drawn.end());
            return with_unit("posterior draws: median " + q(qs[1]) + ", 90 % " + q(qs[0]) + " to " +
                                 q(qs[2]) + ", range " + q(*lo) + " to " + q(*hi),
                             unit) +
                   " over " + std::to_string(drawn.size()) + " replicates, from " + file;
        }
    }
    std::size_t column = 0;
    for (std::size_t c = 0; c < j.columns().size(); ++c) {
        if (j.columns()[c].kind == engine::JointDraws::Column::Kind::parameter &&
            static_cast<std::size_t>(j.columns()[c].index) == p) {
            column = c;
        }
    }
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (std::size_t r = 0; r < j.rows(); ++r) {
        if (j.weights()[r] > 0.0) {
            lo = std::min(lo, j.value(r, column));
            hi = std::max(hi, j.value(r, column));
        }
    }
    return with_unit("posterior draws from " + q(lo) + " to " + q(hi), unit) + " (" +
           std::to_string(j.rows()) + " particles of " + file + ")";
}

} // namespace

std::vector<ReportInput> report_inputs(const engine::Scenario& scenario,
                                       const engine::ModelInfo& model,
                                       const engine::Ensemble* ensemble) {
    std::vector<ReportInput> out;
    for (std::size_t p = 0; p < model.parameters.size() && p < scenario.parameters.size(); ++p) {
        const engine::ParameterSetting& set = scenario.parameters[p];
        const bool posterior = drawn_from_posterior(scenario, p);
        if (!set.provenance.from_scenario && !posterior) {
            continue;
        }
        const engine::ParameterSpec& spec = model.parameters[p];
        // A posterior column's prior is not what ran: each replicate drew a row of the
        // posterior instead.
        out.push_back({spec.name,
                       spec.role == engine::ParameterRole::baseline ? "baseline" : "parameter",
                       posterior ? posterior_text(scenario, p, ensemble, spec.unit)
                                 : uncertain_text(set.value, spec.unit),
                       set.provenance.source, posterior ? "" : set.provenance.assumption});
    }
    for (std::size_t l = 0; l < model.levers.size() && l < scenario.levers.size(); ++l) {
        const engine::LeverSetting& set = scenario.levers[l];
        if (!set.provenance.from_scenario) {
            continue;
        }
        const engine::LeverSpec& spec = model.levers[l];
        out.push_back({spec.name, "lever", schedule_text(set.schedule, spec.unit),
                       set.provenance.source, set.provenance.assumption});
    }
    return out;
}

ReportCalibration report_calibration(const engine::Scenario& scenario,
                                     const engine::ModelInfo& model) {
    ReportCalibration c;
    if (!scenario.joint_draws) {
        return c;
    }
    const engine::JointDraws& j = *scenario.joint_draws;
    c.calibrated = true;
    c.origin = posterior_file(j);
    c.particles = j.rows();
    for (const engine::JointDraws::Column& col : j.columns()) {
        const auto k = static_cast<std::size_t>(col.index);
        if (col.kind == engine::JointDraws::Column::Kind::parameter &&
            k < model.parameters.size()) {
            c.parameters.push_back(model.parameters[k].name);
        } else if (k < model.levers.size()) {
            c.parameters.push_back(model.levers[k].name + " (scale)");
        }
    }
    return c;
}

Report run_report(std::span<const ReportRun> runs, const engine::ModelInfo& model) {
    if (runs.empty()) {
        throw Error("a report needs at least one run");
    }
    const ReportRun& first = runs.front();
    const EnsembleSummary& s = first.summary;
    Report r;
    r.title = s.title.empty() ? s.scenario : s.title;
    r.subtitle = "Scenario " + s.scenario + ": " + std::to_string(s.replicates) +
                 (s.replicates == 1 ? " replicate" : " replicates") + ", seed " +
                 std::to_string(s.seed);
    r.facts.push_back({"Model", s.model});
    r.facts.push_back({"Horizon", month_text(s.calendar.start()) + " to " +
                                      month_text(s.calendar.month_of_step(s.calendar.steps() - 1)) +
                                      ", " + std::to_string(s.calendar.steps()) + " " +
                                      time_step_name(s.calendar.unit()) + "ly steps"});
    r.facts.push_back({"Policy mix", runs.size() > 1
                                         ? "base and " + std::to_string(runs.size() - 1) +
                                               " mixes on common random numbers"
                                         : s.policy_mix});
    if (!s.overrides.empty()) {
        // --set is applied after the mix: what ran is the mix changed by these (as the terminal).
        std::string text;
        for (const std::string& o : s.overrides) {
            text += (text.empty() ? "" : ", ") + o;
        }
        r.facts.push_back({"Overrides", text + " (--set, applied after the policy mix)"});
    }
    if (s.precision > 0.0) {
        // As the terminal's header: the rule may stop before the most replicates it may use.
        r.facts.push_back({"Precision", precision_text(s)});
    }
    r.facts.push_back({"Interval", std::string(interval_name(s.interval)) + ", " +
                                       fmt::format("{:g}", 100 * s.confidence) +
                                       " % on P(attain)"});
    for (const ReportRun& run : runs) {
        r.mixes.push_back(report_mix(run.summary, run.ensemble, &run == &runs.front()));
    }
    r.inputs = report_inputs(first.scenario, model, &first.ensemble);
    r.budget_source = first.scenario.budget.source;
    r.budget_assumption = first.scenario.budget.assumption;
    r.calibration = report_calibration(first.scenario, model);
    return r;
}

void add_lever_effects(Report& report, const experiments::LeverEffects& effects,
                       const engine::ModelInfo& model,
                       std::span<const std::pair<std::string, std::string>> skipped) {
    const auto finite = [](double x) {
        return std::isfinite(x) ? std::optional<double>(x) : std::nullopt;
    };
    for (std::size_t k = 0; k < effects.levers.size(); ++k) {
        const experiments::LeverRange& range = effects.levers[k];
        std::string change;
        if (range.lever.mode == experiments::OverrideMode::scale) {
            change = "x" + format_quantity(range.low) + " → x" + format_quantity(range.high);
        } else {
            std::string unit;
            if (range.lever.index >= 0 &&
                static_cast<std::size_t>(range.lever.index) < model.levers.size()) {
                unit = model.levers[static_cast<std::size_t>(range.lever.index)].unit;
            }
            change =
                with_unit(format_quantity(range.low) + " → " + format_quantity(range.high), unit);
        }
        for (std::size_t t = 0; t < effects.targets.size(); ++t) {
            const experiments::TargetEffect& x = effects.at(k, t);
            ReportLeverEffect e;
            e.lever = range.lever.name;
            e.change = change;
            e.target = effects.targets[t];
            e.delta_p = x.delta_p;
            e.delta_p_ci = std::array<double, 2>{x.delta_p_ci.lo, x.delta_p_ci.hi};
            e.delta_median = finite(x.delta_median);
            if (std::isfinite(x.delta_median_ci.lo) && std::isfinite(x.delta_median_ci.hi)) {
                e.delta_median_ci =
                    std::array<double, 2>{x.delta_median_ci.lo, x.delta_median_ci.hi};
            }
            e.median_before = finite(x.median_low);
            e.p_before = x.p_low;
            e.moves = x.moves();
            report.lever_effects.push_back(std::move(e));
        }
    }
    report.lever_effect_notes.push_back(fmt::format(
        "Each lever from the low end to the high end of its range, the rest of the scenario as it "
        "ran: {} paired replicates at each end on common random numbers (seed {}), {:g} % paired "
        "intervals (the median's a bootstrap, P(attain)'s Newcombe's). A lever moves a target when "
        "either interval excludes zero. The "
        "same table as canopy levers.",
        effects.replicates, effects.seed, 100.0 * effects.confidence));
    // Where the ranges come from, each origin once with the levers it gave.
    std::vector<std::pair<std::string, std::string>> origins; // (origin, levers)
    for (const experiments::LeverRange& r : effects.levers) {
        auto it = std::find_if(origins.begin(), origins.end(),
                               [&](const auto& o) { return o.first == r.origin; });
        if (it == origins.end()) {
            origins.emplace_back(r.origin, r.lever.name);
        } else {
            it->second += ", " + r.lever.name;
        }
    }
    std::string text;
    for (const auto& [origin, levers] : origins) {
        text += (text.empty() ? "" : "; ") + origin + " (" + levers + ")";
    }
    if (!text.empty()) {
        report.lever_effect_notes.push_back("Ranges: " + text + ".");
    }
    if (!skipped.empty()) {
        text.clear();
        for (const auto& [name, why] : skipped) {
            text += (text.empty() ? "" : "; ") + name + " (" + why + ")";
        }
        report.lever_effect_notes.push_back("Left out: " + text + ".");
    }
}

} // namespace canopy::output
