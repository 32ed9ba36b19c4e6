// The JSON summary. nlohmann::ordered_json keeps keys in insertion order, which is the order
// docs/output-format.md lists them in; its number output is the shortest round-trip form.
#include <canopy/output/compare.hpp>
#include <canopy/output/json.hpp>
#include <canopy/output/table.hpp>

#include <nlohmann/json.hpp>

#include <cmath>

namespace canopy::output {

namespace {

using Json = nlohmann::ordered_json;

// JSON has no NaN or infinity; null says "no number" without breaking parsers.
Json number(double x) {
    if (!std::isfinite(x)) {
        return nullptr;
    }
    return x;
}

Json targets_json(const EnsembleSummary& s) {
    Json out = Json::array();
    for (const TargetResult& t : s.targets) {
        const engine::TargetSummary& ts = t.summary;
        Json j;
        j["id"] = ts.id;
        j["indicator"] = t.indicator;
        j["description"] = t.description;
        j["unit"] = ts.unit;
        j["comparison"] = engine::to_string(ts.comparison);
        j["threshold"] = number(ts.threshold);
        j["replicates"] = ts.replicates;
        j["attained"] = ts.attained;
        if (ts.undefined > 0) {
            j["undefined"] = ts.undefined; // only when some final is undefined (counted as missed)
        }
        j["p_attain"] = number(ts.p_attain);
        j["p_attain_ci"] = Json::array({number(ts.p_attain_ci.lo), number(ts.p_attain_ci.hi)});
        // As the table says it: on p_attain_ci, or under a precision rule that looks more than
        // once on the looks' interval (precision.verdict_confidence), which p_attain_ci is not.
        j["verdict"] = to_string(target_verdict(t));
        j["mean"] = number(ts.mean);
        j["median"] = number(ts.median);
        j["q05"] = number(ts.q05);
        j["q95"] = number(ts.q95);
        j["source"] = t.source;
        j["assumption"] = t.assumption;
        // null: the simulated dynamics move the final value; a list: the inputs fix it, and
        // these parameters and levers decide it (empty when no single one could be isolated).
        if (t.determination.by_inputs) {
            j["determined_by"] = t.determination.inputs;
            if (!t.determination.not_probed.empty()) {
                j["not_probed"] = t.determination.not_probed;
            }
        } else {
            j["determined_by"] = nullptr;
        }
        out.push_back(std::move(j));
    }
    return out;
}

Json indicators_json(const EnsembleSummary& s) {
    Json out = Json::array();
    for (const IndicatorSummary& is : s.indicator_stats) {
        Json j;
        j["id"] = is.id;
        j["kind"] = engine::to_string(is.kind);
        j["unit"] = is.unit;
        j["description"] = is.description;
        j["mean"] = number(is.mean);
        j["median"] = number(is.median);
        j["q05"] = number(is.q05);
        j["q95"] = number(is.q95);
        if (is.numbers < s.replicates) {
            j["undefined"] = s.replicates - is.numbers; // replicates whose final is NaN
        }
        out.push_back(std::move(j));
    }
    return out;
}

Json costs_json(const EnsembleSummary& s) {
    Json out = Json::array();
    for (const LeverCostSummary& c : s.lever_costs) {
        Json by_year = Json::array();
        for (std::size_t y = 0; y < c.by_year.size() && y < s.costs.years.size(); ++y) {
            by_year.push_back(Json{{"year", s.costs.years[y]}, {"cost", number(c.by_year[y])}});
        }
        out.push_back(Json{{"lever", c.lever},
                           {"cost", number(c.cost)},
                           {"cost_q05", number(c.q05)},
                           {"cost_q95", number(c.q95)},
                           {"unit", c.unit},
                           {"outcome", c.outcome},
                           {"basis", c.basis},
                           {"by_year", std::move(by_year)}});
    }
    return out;
}

Json budget_json(const EnsembleSummary& s) {
    const CostSummary& c = s.costs;
    Json by_year = Json::array();
    for (std::size_t y = 0; y < c.years.size(); ++y) {
        by_year.push_back(Json{{"year", c.years[y]}, {"cost", number(c.by_year[y])}});
    }
    return Json{{"currency", c.currency},
                {"total", number(c.total)},
                {"total_q05", number(c.q05)},
                {"total_q95", number(c.q95)},
                {"by_year", std::move(by_year)},
                {"cap_per_year", number(c.cap_per_year)},
                {"cap_total", number(c.cap_total)},
                {"over_cap", c.over_cap},
                {"p_over_cap", number(c.p_over_cap)}};
}

// The part of a run that differs between policy mixes.
void add_outcomes(Json& j, const EnsembleSummary& s) {
    j["targets"] = targets_json(s);
    j["indicators"] = indicators_json(s);
    j["lever_costs"] = costs_json(s);
    j["budget"] = budget_json(s);
}

} // namespace

std::string summary_json(const EnsembleSummary& s, std::span<const EnsembleSummary> mixes) {
    Json j;
    j["schema_version"] = JSON_SCHEMA_VERSION;
    j["scenario"] = s.scenario;
    j["title"] = s.title;
    j["model"] = s.model;
    j["seed"] = s.seed;
    j["replicates"] = s.replicates;
    j["first_replicate"] = s.first_replicate;
    j["policy_mix"] = s.policy_mix;
    if (!s.overrides.empty()) {
        j["overrides"] = s.overrides; // --set, as written, applied after the mix
    }
    j["engine_version"] = CANOPY_VERSION;
    j["horizon"] = Json{{"start", s.calendar.start().str()},
                        {"end", s.calendar.end().str()},
                        {"steps", s.calendar.steps()},
                        {"time_step", time_step_name(s.calendar.unit())}};
    j["interval"] = Json{{"method", interval_name(s.interval)}, {"confidence", s.confidence}};
    if (s.precision > 0.0) {
        j["precision"] = Json{{"half_width", s.precision},
                              {"max_replicates", s.max_replicates},
                              {"replicates", s.replicates},
                              {"settled", s.precision_settled},
                              {"verdict_confidence",
                               s.verdict_confidence > 0.0 ? s.verdict_confidence : s.confidence}};
    }
    add_outcomes(j, s);
    if (!mixes.empty()) {
        Json list = Json::array();
        for (const EnsembleSummary& m : mixes) {
            Json entry;
            entry["policy_mix"] = m.policy_mix;
            entry["description"] = m.policy_mix_description;
            add_outcomes(entry, m);
            list.push_back(std::move(entry));
        }
        j["policy_mixes"] = std::move(list);
    }
    // Invalid UTF-8 (which the scenario loader already rejects) is replaced, never thrown on.
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string comparison_json(const Comparison& c) {
    const auto interval = [](const engine::Interval& ci) {
        return Json::array({number(ci.lo), number(ci.hi)});
    };
    Json j;
    j["schema_version"] = JSON_SCHEMA_VERSION;
    j["scenario"] = c.scenario;
    j["seed"] = c.seed;
    j["replicates"] = c.replicates;
    j["confidence"] = c.confidence;
    j["common_random_numbers"] = c.common_random_numbers;
    j["currency"] = c.currency;
    j["cap_per_year"] = number(c.cap_per_year);
    j["cap_total"] = number(c.cap_total);
    Json mixes = Json::array();
    for (const MixComparison& m : c.mixes) {
        Json mix;
        mix["name"] = m.name;
        mix["cost"] = number(m.cost);
        mix["over_budget"] = m.over_budget;
        Json targets = Json::array();
        for (const TargetComparison& t : m.targets) {
            Json tj;
            tj["id"] = t.id;
            tj["median"] = number(t.median);
            tj["p_attain"] = number(t.p_attain);
            tj["p_attain_ci"] = interval(t.p_attain_ci);
            if (t.undefined > 0) {
                tj["undefined"] = t.undefined; // as in a run's targets: only when there are some
            }
            tj["delta_median"] = number(t.delta_median);
            tj["delta_median_ci"] = interval(t.delta_median_ci);
            tj["delta_p"] = number(t.delta_p);
            tj["delta_p_ci"] = interval(t.delta_p_ci);
            targets.push_back(std::move(tj));
        }
        mix["targets"] = std::move(targets);
        mixes.push_back(std::move(mix));
    }
    j["mixes"] = std::move(mixes);
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} // namespace canopy::output
