// The ranges at whose ends `canopy levers` and `canopy run --report-levers` run each lever
// (cli.hpp): a sweep file's lever factors, else the default rule.
#include "cli.hpp"

#include <canopy/experiments/sweep.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace canopy::cli {

namespace {

// The default range of lever k: half and one and a half times the level its schedule reaches by
// the end of the run, set from policy_start.
std::optional<experiments::LeverRange> default_range(const engine::Scenario& scenario,
                                                     const engine::ModelInfo& model, std::size_t k,
                                                     std::string& why_not) {
    const engine::LeverSpec& spec = model.levers[k];
    const double end_months = scenario.calendar.months_at_start(scenario.calendar.steps());
    const double level = scenario.levers[k].schedule.at(std::max(0.0, end_months - 1.0));
    if (!(level > 0.0)) {
        why_not = "its level is 0; give it a range as a lever factor of a sweep file";
        return std::nullopt;
    }
    experiments::LeverRange r;
    r.lever = {spec.name, experiments::TargetKind::lever, static_cast<int>(k),
               experiments::OverrideMode::set};
    r.low = std::max(spec.range.min, 0.5 * level);
    r.high = std::min(spec.range.max, 1.5 * level);
    r.origin = "default: 0.5x and 1.5x its level at the end, from policy_start";
    // An end the lever's allowed range cuts is said, with the end it would have had.
    if (r.low != 0.5 * level) {
        r.origin += fmt::format("; low held at the lever's minimum {} (0.5x is {})", spec.range.min,
                                0.5 * level);
    }
    if (r.high != 1.5 * level) {
        r.origin += fmt::format("; high held at the lever's maximum {} (1.5x is {})",
                                spec.range.max, 1.5 * level);
    }
    return r;
}

} // namespace

LeverRangeChoice choose_lever_ranges(const engine::Scenario& scenario,
                                     const engine::ModelInfo& model,
                                     const experiments::Sweep* ranges,
                                     const std::string& ranges_name,
                                     const std::vector<std::string>& only) {
    LeverRangeChoice out;
    for (std::size_t k = 0; k < model.levers.size(); ++k) {
        const std::string& name = model.levers[k].name;
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) {
            continue;
        }
        std::optional<experiments::LeverRange> r;
        if (ranges != nullptr) {
            for (const experiments::Factor& f : ranges->factors) {
                if (f.target.kind == experiments::TargetKind::lever && f.target.name == name &&
                    f.kind == experiments::Factor::Kind::range) {
                    r = experiments::LeverRange{f.target, f.min, f.max,
                                                "factors." + name + " of " + ranges_name};
                }
            }
        }
        std::string why;
        if (!r) {
            r = default_range(scenario, model, k, why);
        }
        if (r) {
            out.chosen.push_back(*r);
        } else {
            out.skipped.emplace_back(name, why);
        }
    }
    return out;
}

std::string lever_ranges_problem(const engine::Scenario& scenario, const experiments::Sweep& ranges,
                                 const std::string& flag, const std::string& name) {
    if (ranges.scenario->model != scenario.model) {
        return flag + ": " + quoted(name) + " is a sweep of model " +
               quoted(ranges.scenario->model) + " (its scenario " +
               quoted(ranges.scenario_file.string()) + "); the scenario runs model " +
               quoted(scenario.model) + ", so none of its factors can give a lever's range";
    }
    const bool any =
        std::any_of(ranges.factors.begin(), ranges.factors.end(), [](const experiments::Factor& f) {
            return f.target.kind == experiments::TargetKind::lever &&
                   f.kind == experiments::Factor::Kind::range;
        });
    if (!any) {
        return flag + ": " + quoted(name) +
               " has no lever factor with min and max, so every lever would take the default "
               "range; give a sweep file with lever factors, or leave " +
               flag + " out";
    }
    return {};
}

} // namespace canopy::cli
