// `canopy solve`: the smallest level of a lever, or the cheapest combination of several, that
// attains a target with at least probability P (experiments/solve.hpp). Every flag is checked
// before anything runs; a bad one is exit 2 with nothing written.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/solve.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/report.hpp>
#include <canopy/output/run_report.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

struct SolveArgs {
    std::string scenario = DEFAULT_SCENARIO;
    std::string target;
    double probability = 0.0;
    std::vector<std::string> levers; ///< NAME or NAME=LO:HI
    bool budget_cap = false;
    bool assured = false; ///< --assured: the interval's lower end, not the estimate, reaches P
    int replicates = 0;   ///< the most per setting; 0: the scenario's
    bool replicates_set = false;
    std::uint64_t seed = 0;
    bool seed_set = false;
    double precision = 0.01;
    int threads = 0;
    std::string json;
    std::string report; ///< --report FILE.html
    bool quiet = false;
    std::string posterior;
    std::string max_memory; ///< --max-memory: empty for the memory available
};

// The fewest replicates a setting may have: as few as ten give a P(attain) interval wider than
// any probability a planner would ask for (the --replicates flag's own minimum).
constexpr int MIN_REPLICATES = 10;
// The most --replicates takes.
constexpr int MAX_REPLICATES = 1'000'000;

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out;
}

// A whole decimal number (finite) into `out`; false when `text` is anything else.
bool number(const std::string& text, double& out) {
    return decimal_problem(text, out).empty();
}

// --lever NAME or NAME=LO:HI, checked against the model (a lever; the range inside its own).
std::optional<experiments::SolveLever> parse_lever(const std::string& text,
                                                   const engine::Scenario& scenario,
                                                   const engine::ModelInfo& model,
                                                   engine::Diagnostics& diagnostics) {
    const std::size_t eq = text.find('=');
    const std::string name = text.substr(0, eq);
    const experiments::InputPlace where{"", 0, 0, "--lever"};
    std::vector<std::string> levers;
    for (const engine::LeverSpec& l : model.levers) {
        levers.push_back(l.name);
    }
    if (model.lever_index(name) < 0 && model.parameter_index(name) < 0) {
        // solve searches levers only: the names it takes, not every name of the model.
        engine::Diagnostic d;
        d.key = "--lever";
        d.message = "'" + name + "' is not a lever of model '" + model.name + "'";
        d.allowed = joined(levers);
        d.hint = engine::did_you_mean(name, levers);
        diagnostics.add(std::move(d));
        return std::nullopt;
    }
    const auto target = experiments::resolve_target(name, model, where, diagnostics);
    if (!target) {
        return std::nullopt;
    }
    if (target->kind != experiments::TargetKind::lever) {
        engine::Diagnostic d;
        d.key = "--lever";
        d.message =
            "'" + name + "' is a " +
            (target->kind == experiments::TargetKind::parameter ? "parameter" : "baseline figure") +
            ", not a lever: solve searches policy levers";
        d.allowed = "one of " + joined(levers);
        diagnostics.add(std::move(d));
        return std::nullopt;
    }
    const engine::LeverSpec& spec = model.levers.at(static_cast<std::size_t>(target->index));
    experiments::SolveLever lever{*target, spec.range.min, spec.range.max, 0.0};
    if (eq != std::string::npos) {
        const std::string range = text.substr(eq + 1);
        const std::size_t colon = range.find(':');
        double lo = 0.0;
        double hi = 0.0;
        if (colon == std::string::npos || !number(range.substr(0, colon), lo) ||
            !number(range.substr(colon + 1), hi) || !(lo < hi)) {
            engine::Diagnostic d;
            d.key = "--lever";
            d.message = "'" + text + "': the search range must be LOW:HIGH with LOW < HIGH";
            d.allowed = "NAME, or NAME=LOW:HIGH inside " +
                        range_text(spec.range.min, spec.range.max) + " " + spec.unit;
            diagnostics.add(std::move(d));
            return std::nullopt;
        }
        if (!experiments::check_value(*target, lo, model, where, diagnostics, &scenario) ||
            !experiments::check_value(*target, hi, model, where, diagnostics, &scenario)) {
            return std::nullopt;
        }
        lever.low = lo;
        lever.high = hi;
    } else if (!std::isfinite(spec.range.min) || !std::isfinite(spec.range.max)) {
        engine::Diagnostic d;
        d.key = "--lever";
        d.message = "lever '" + name + "' has the open range " +
                    range_text(spec.range.min, spec.range.max) + "; give the range to search";
        d.allowed = name + "=LOW:HIGH";
        diagnostics.add(std::move(d));
        return std::nullopt;
    }
    return lever;
}

std::string levels_text(const experiments::SolveRequest& request, const std::vector<double>& levels,
                        const engine::ModelInfo& model) {
    std::string out;
    for (std::size_t i = 0; i < request.levers.size(); ++i) {
        const auto& spec =
            model.levers.at(static_cast<std::size_t>(request.levers[i].target.index));
        out += (out.empty() ? "" : ", ") + request.levers[i].target.name + " = " +
               output::format_level(levels.at(i)) + (spec.unit.empty() ? "" : " " + spec.unit);
    }
    return out;
}

std::string p_text(const experiments::SolveSetting& s) {
    return fmt::format("{} {} over {} replicates", output::format_percent(s.p_attain),
                       output::percent_interval_text(s.p_attain_ci), s.replicates);
}

// The probability asked for, as a planner reads it ("90.0 %"), or as given when one decimal of a
// percentage would misstate it (1e-300 read "0.0 %", 0.9999999999999999 "100.0 %").
std::string probability_text(double p) {
    // One decimal of a percentage is a whole number of permille: said so only when that is p
    // exactly (0.9 is 900 / 1000 to the last bit; 1e-300 and 0.9999999999999999 are not).
    if (std::round(1000.0 * p) / 1000.0 == p) {
        return output::format_percent(p);
    }
    return fmt::format("{}", p);
}

// What a setting must do to reach P, as the header, the report and the summary say it: "80.0 %",
// or with --assured "80.0 % assured (the lower end of its 95 % interval)".
std::string wanted_text(const experiments::SolveRequest& request) {
    return probability_text(request.probability) +
           (request.assured ? fmt::format(" assured (the lower end of its {:g} % interval)",
                                          100.0 * request.confidence)
                            : std::string());
}

nlohmann::ordered_json number_json(double x) {
    if (!std::isfinite(x)) {
        return nullptr;
    }
    return x;
}

nlohmann::ordered_json result_json(const experiments::SolveRequest& request,
                                   const experiments::SolveResult& r,
                                   const engine::Scenario* scenario = nullptr) {
    nlohmann::ordered_json j;
    j["schema_version"] = 1; // raised when a field changes meaning or disappears
    j["status"] = r.reached ? "reached" : r.not_monotone ? "not_monotone" : "out_of_reach";
    nlohmann::ordered_json levers = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < request.levers.size(); ++i) {
        levers[request.levers[i].target.name] = number_json(r.best.levels.at(i));
    }
    j["levers"] = std::move(levers);
    j["cost"] = number_json(r.best.cost);
    j["over_cap"] = r.best.over_cap; // the mean cost exceeds a budget cap (a year's or the total)
    j["p_attain"] = number_json(r.best.p_attain);
    j["p_attain_ci"] = {number_json(r.best.p_attain_ci.lo), number_json(r.best.p_attain_ci.hi)};
    if (!r.other_targets.empty() && scenario != nullptr) {
        nlohmann::ordered_json others = nlohmann::ordered_json::array();
        for (const experiments::SolveOtherTarget& o : r.other_targets) {
            others.push_back(
                {{"target", scenario->targets.at(o.target).id},
                 {"p_attain", number_json(o.p_attain)},
                 {"own_p_attain", number_json(o.own_p_attain)},
                 {"delta_p", number_json(o.delta.estimate)},
                 {"delta_p_ci", {number_json(o.delta.ci.lo), number_json(o.delta.ci.hi)}},
                 {"falls", o.falls()}});
        }
        j["other_targets"] = std::move(others);
    }
    if (request.within_budget_cap && !r.reached) {
        // What the cap says of an answer out of reach within it (cap_lines).
        j["none_within_cap"] = r.none_within_cap;
        nlohmann::ordered_json over = nullptr;
        if (r.over_cap_answer) {
            const experiments::SolveSetting& a = *r.over_cap_answer;
            over = nlohmann::ordered_json::object();
            nlohmann::ordered_json levels = nlohmann::ordered_json::object();
            for (std::size_t i = 0; i < request.levers.size(); ++i) {
                levels[request.levers[i].target.name] = number_json(a.levels.at(i));
            }
            over["levers"] = std::move(levels);
            over["cost"] = number_json(a.cost);
            over["p_attain"] = number_json(a.p_attain);
            over["p_attain_ci"] = {number_json(a.p_attain_ci.lo), number_json(a.p_attain_ci.hi)};
        }
        j["over_cap_answer"] = std::move(over);
    }
    if (r.not_monotone) {
        // The two settings that show P(attain) falling as the lever rises.
        const experiments::SolveNotMonotone& m = *r.not_monotone;
        const auto at = [&](const experiments::SolveSetting& s) {
            nlohmann::ordered_json o{
                {"level", number_json(s.levels.at(m.lever))},
                {"p_attain", number_json(s.p_attain)},
                {"p_attain_ci", {number_json(s.p_attain_ci.lo), number_json(s.p_attain_ci.hi)}},
                {"replicates", s.replicates}};
            if (request.levers.size() > 1) { // every lever's level: the setting compared
                nlohmann::ordered_json levels = nlohmann::ordered_json::object();
                for (std::size_t i = 0; i < request.levers.size(); ++i) {
                    levels[request.levers[i].target.name] = number_json(s.levels.at(i));
                }
                o["levers"] = std::move(levels);
            }
            return o;
        };
        j["not_monotone"] = {{"lever", request.levers.at(m.lever).target.name},
                             {"lower", at(m.lower)},
                             {"higher", at(m.higher)}};
    }
    return j;
}

// What a lever alone that does not reach P comes to: out of reach, or no answer when P(attain)
// fell as it rose along its own line (as a one-lever solve of it would say).
std::string single_verdict(const experiments::SolveResult& s, std::size_t lever) {
    if (!s.not_monotone || s.not_monotone->lever != lever) {
        return "out of reach";
    }
    const experiments::SolveNotMonotone& m = *s.not_monotone;
    return fmt::format(
        "no answer, P(attain) falls as it rises: {} at {}, {} at {}",
        output::format_percent(m.lower.p_attain), output::format_level(m.lower.levels.at(lever)),
        output::format_percent(m.higher.p_attain), output::format_level(m.higher.levels.at(lever)));
}

// What the answer's P(attain) assures: reached, with --assured that its interval's lower end is
// at least P (with several levers, for this setting: the search chose it among many on the same
// replicates); without, when the lower end is below P, that the estimate alone reaches it (the
// true P(attain) there may be below P) and how to ask for more. Out of reach under --assured,
// why an estimate at or above P is not an answer. Empty otherwise.
std::string assurance_line(const experiments::SolveRequest& request,
                           const experiments::SolveResult& r) {
    const std::string lower = output::format_percent(r.best.p_attain_ci.lo);
    const std::string p = probability_text(request.probability);
    if (!r.reached) {
        if (request.assured && r.best.p_attain >= request.probability &&
            r.best.p_attain_ci.lo < request.probability) {
            return fmt::format("not assured: the estimate reaches {}, the interval's lower end "
                               "({}) does not",
                               p, lower);
        }
        return {};
    }
    if (request.assured) {
        return fmt::format(
            "assured: the interval's lower end, {}, is at least {}{}", lower, p,
            request.levers.size() > 1
                ? " (for this setting; the search chose it among many on the same replicates, "
                  "so confirm it on another seed)"
                : "");
    }
    if (r.best.p_attain_ci.lo < request.probability) {
        return fmt::format("the estimate reaches {}, the interval's lower end ({}) does not: the "
                           "true P(attain) here may be below it; --assured asks for the lower end",
                           p, lower);
    }
    return {};
}

// A cost in the scenario's currency, as the answer's lines print it.
// The other targets at the answer against the scenario's own setting: those the answer lowers
// by more than the paired interval's noise, named; the rest counted.
std::string other_targets_text(const engine::Scenario& scenario,
                               const experiments::SolveResult& r) {
    if (r.other_targets.empty()) {
        return {};
    }
    std::string falls;
    std::size_t held = 0;
    for (const experiments::SolveOtherTarget& o : r.other_targets) {
        if (!o.falls()) {
            ++held;
            continue;
        }
        falls += fmt::format("    {}: P {:.1f} % against {:.1f} %, {:+.1f} points [{:+.1f}, "
                             "{:+.1f}]\n",
                             scenario.targets.at(o.target).id, 100.0 * o.p_attain,
                             100.0 * o.own_p_attain, 100.0 * o.delta.estimate,
                             100.0 * o.delta.ci.lo, 100.0 * o.delta.ci.hi);
    }
    const std::string others = fmt::format("{} other target{}", r.other_targets.size(),
                                           r.other_targets.size() == 1 ? "" : "s");
    if (falls.empty()) {
        return "  " + others +
               ": none falls below its P(attain) in the scenario as written "
               "(paired 95 % intervals on the same replicates)\n";
    }
    return "  this setting LOWERS " +
           (held == 0 ? std::string("every other target")
                      : fmt::format("{} of the {}", r.other_targets.size() - held, others)) +
           " against the scenario as written (same replicates, paired 95 % interval of the "
           "change):\n" +
           falls;
}

std::string cost_text(double cost, const std::string& currency) {
    return output::format_quantity(cost) + (currency.empty() ? "" : " " + currency);
}

// A setting's verdict in the search's log: the sequential test's, and whether its mean cost (on
// the replicates run so far) is over a budget cap. Under --budget-cap a setting over the cap
// cannot be the answer whatever its P(attain): "reaches" alone read as if it could.
std::string log_verdict(const experiments::SolveSetting& s) {
    return std::string(s.reaches ? "reaches" : "short") + (s.over_cap ? ", over the cap" : "");
}

// What the budget cap says of a result out of reach within it (--budget-cap), one sentence a
// line: that no setting searched is within the cap (the scenario's own already costs more),
// and that the cap alone rules P out (a setting reaches P over the cap). Without those, a
// closest setting at a P above the one asked for read as if the levers could not reach it.
std::vector<std::string> cap_lines(const experiments::SolveRequest& request,
                                   const experiments::SolveResult& r,
                                   const engine::ModelInfo& model, const std::string& currency) {
    std::vector<std::string> out;
    if (!request.within_budget_cap || r.reached) {
        return out;
    }
    if (r.none_within_cap) {
        out.push_back("no setting searched is within the budget cap" +
                      (r.own ? fmt::format(": {}, {}, already costs {}",
                                           r.own_clamped ? "the setting searched nearest the "
                                                           "scenario's own (outside the ranges)"
                                                         : "the scenario's own setting",
                                           levels_text(request, r.own->levels, model),
                                           cost_text(r.own->cost, currency))
                             : std::string()));
    }
    if (r.over_cap_answer) {
        const experiments::SolveSetting& a = *r.over_cap_answer;
        out.push_back(fmt::format(
            "only the budget cap rules P out: {} reaches it, P {}, at cost {}, over the cap",
            levels_text(request, a.levels, model), p_text(a), cost_text(a.cost, currency)));
    }
    return out;
}

// A lever alone that does not reach P, in its line of "Each lever alone": its verdict, its
// closest setting, and with --budget-cap what the cap says (cap_lines, for the lever's level).
std::string single_text(const experiments::SolveRequest& request, const experiments::SolveResult& s,
                        std::size_t lever, const std::string& currency) {
    const bool falls = s.not_monotone && s.not_monotone->lever == lever;
    const bool cap = request.within_budget_cap;
    std::string where;
    if (cap && s.none_within_cap) {
        where = ", over the cap: no level searched is within it" +
                (s.own ? fmt::format(", {} costs {} already",
                                     s.own_clamped ? "the level searched nearest the scenario's "
                                                     "own (outside the range)"
                                                   : "the scenario's own setting",
                                     cost_text(s.own->cost, currency))
                       : std::string());
    } else if (cap) {
        where = " within the cap";
    }
    std::string text = fmt::format("{}{} (best P {} at {}{})", single_verdict(s, lever),
                                   cap && !falls ? " within the budget cap" : "",
                                   output::format_percent(s.best.p_attain),
                                   output::format_level(s.best.levels.at(lever)), where);
    if (cap && s.over_cap_answer) {
        const experiments::SolveSetting& a = *s.over_cap_answer;
        text += fmt::format("; only the cap rules P out: {} reaches it, P {}, at cost {}",
                            output::format_level(a.levels.at(lever)),
                            output::format_percent(a.p_attain), cost_text(a.cost, currency));
    }
    return text;
}

// Why a search with P(attain) falling as a lever rises gives no answer, and what to do.
std::string not_monotone_text(const experiments::SolveRequest& request,
                              const experiments::SolveResult& r, const std::string& target,
                              const std::string& scenario_word) {
    const experiments::SolveNotMonotone& m = *r.not_monotone;
    const experiments::SolveLever& l = request.levers.at(m.lever);
    const std::string name = l.target.name;
    const double a = m.lower.levels.at(m.lever);
    const double b = m.higher.levels.at(m.lever);
    // With several levers, the others' levels, equal in both settings (a tester could not tell
    // which two settings were compared).
    std::string others;
    for (std::size_t i = 0; i < request.levers.size(); ++i) {
        if (i != m.lever) {
            others += (others.empty() ? " (with " : ", ") + request.levers[i].target.name + " = " +
                      output::format_level(m.lower.levels.at(i));
        }
    }
    others += others.empty() ? "" : ")";
    const std::string next =
        a > l.low ? fmt::format("Search the range below the fall (--lever {}={}:{}), or ", name,
                                output::format_level(l.low), output::format_level(a))
                  : std::string("Search another lever, or ");
    // A reached answer stands: its own replicates reach P. What the fall puts in doubt is that
    // it is the smallest or cheapest (a tester read "cannot say whether P is reachable" under
    // REACHED).
    // Every lever at the floor of its range: nothing searched is smaller (a reviewer's answer of
    // 0 and 0 at cost 0 was told a cheaper setting might exist).
    bool floor = true;
    for (std::size_t i = 0; i < request.levers.size() && i < r.best.levels.size(); ++i) {
        floor = floor && r.best.levels[i] <= request.levers[i].low;
    }
    const std::string meaning =
        !r.reached ? "So the levels searched cannot say whether P is reachable. "
        : floor    ? "The answer, every lever at the floor of its range, stands (its own "
                     "replicates reach P). "
                   : "The answer stands (its own replicates reach P), but a smaller or cheaper "
                     "setting than those searched may reach P too. ";
    return fmt::format(
        "solve assumes that more of a lever never lowers P(attain), and that does not hold for "
        "target {} and lever {}: P(attain) fell from {} at {} to {} at {}{}, more than the "
        "intervals allow. {}{}compare levels directly with canopy run {} --set {}=LEVEL.",
        target, name, p_text(m.lower), output::format_level(a), p_text(m.higher),
        output::format_level(b), others, meaning, next, scenario_word, name);
}

// A searched lever's unit (empty for an index or a multiplier without one).
const std::string& lever_unit(const engine::ModelInfo& info, const experiments::SolveLever& l) {
    return info.levers.at(static_cast<std::size_t>(l.target.index)).unit;
}

// " unit", or nothing for no unit.
std::string unit_suffix(const std::string& unit) {
    return unit.empty() ? std::string() : " " + unit;
}

// Every setting the search evaluated, in order, as the terminal's log lists them: the answer
// (or closest setting) marked, and with one lever the level below the answer that fell short,
// the other end of the final bracket (docs/what-if.md).
output::ReportTable search_table(const experiments::SolveRequest& request,
                                 const experiments::SolveResult& result,
                                 const std::vector<experiments::SolveSetting>& log,
                                 const engine::ModelInfo& info) {
    output::ReportTable t;
    t.id = "search";
    t.title = "The search";
    t.caption = "Every setting evaluated, in the order the search ran them (the terminal's log): "
                "P(attain) with its 95 % Wilson interval over the replicates run, and whether the "
                "sequential test judged it to reach " +
                wanted_text(request) +
                ("; \"over the cap\": its mean cost over those replicates exceeds a budget cap.");
    t.columns.push_back("#");
    t.numeric.push_back(true);
    for (const experiments::SolveLever& l : request.levers) {
        const std::string& unit = lever_unit(info, l);
        t.columns.push_back(l.target.name + (unit.empty() ? "" : " (" + unit + ")"));
        t.numeric.push_back(true);
    }
    for (const char* c : {"P(attain)", "95 % CI", "replicates"}) {
        t.columns.push_back(c);
        t.numeric.push_back(true);
    }
    t.columns.push_back("verdict");
    t.numeric.push_back(false);
    t.columns.push_back("");
    t.numeric.push_back(false);
    std::size_t answer = log.size();
    std::size_t below = log.size();
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (log[i].levels == result.best.levels) {
            answer = i; // the last evaluation: a setting rechecked appears again
        }
    }
    if (result.reached && request.levers.size() == 1 && !result.best.levels.empty()) {
        for (std::size_t i = 0; i < log.size(); ++i) {
            const double level = log[i].levels.at(0);
            if (!log[i].reaches && level < result.best.levels[0] &&
                (below == log.size() || level >= log[below].levels.at(0))) {
                below = i;
            }
        }
    }
    for (std::size_t i = 0; i < log.size(); ++i) {
        const experiments::SolveSetting& s = log[i];
        std::vector<std::string> row{std::to_string(i + 1)};
        for (const double level : s.levels) {
            row.push_back(output::format_level(level));
        }
        row.push_back(output::format_percent(s.p_attain));
        row.push_back(output::percent_interval_text(s.p_attain_ci));
        row.push_back(std::to_string(s.replicates));
        row.push_back(log_verdict(s));
        row.push_back(i == answer  ? (result.reached ? "the answer" : "the closest setting")
                      : i == below ? "the level below the answer"
                                   : "");
        t.rows.push_back(std::move(row));
        t.emphasised.push_back(i == answer || i == below);
    }
    t.notes.push_back(fmt::format(
        "{} settings, {} replicates. Both ends of the final bracket are rechecked on all "
        "replicates, so a setting can appear twice: the answer, and the level below it (or, "
        "when none reached P, the range's top), which must still fall short (docs/what-if.md).",
        result.settings, result.replicates));
    return t;
}

// The HTML report of a solve: the answer (or the closest setting) and, with several levers,
// each lever's own answer, as the report's mixes, judged against the probability asked for;
// every setting the search evaluated; the scenario's inputs and calibration.
output::Report solve_report(const engine::Scenario& scenario, const engine::ModelInfo& info,
                            const experiments::SolveRequest& request,
                            const experiments::SolveResult& result,
                            const std::vector<experiments::SolveSetting>& log, std::uint64_t seed,
                            const std::string& scenario_word) {
    const engine::TargetSpec& target = scenario.targets[request.target];
    const std::string currency = scenario.budget.currency;
    std::string unit = target.unit;
    for (const engine::IndicatorSpec& i : scenario.indicators) {
        if (unit.empty() && i.id == target.indicator) {
            unit = i.unit;
        }
    }
    const auto mix = [&](const std::string& name, const std::string& description,
                         const experiments::SolveSetting& s, bool reached) {
        output::ReportMix m;
        m.name = name;
        m.description = description;
        m.totals.push_back({"total", s.cost, currency});
        // Each priced lever's cost, as the run report lists them (the levers held at the
        // scenario's levels too: the total is every lever's).
        for (std::size_t l = 0; l < s.lever_costs.size() && l < scenario.levers.size(); ++l) {
            if (scenario.levers[l].cost.priced()) {
                m.lever_costs.push_back({info.levers.at(l).name, s.lever_costs[l], currency});
            }
        }
        m.over_budget = s.over_cap;
        m.cap_per_year = scenario.budget.cap_per_year;
        m.cap_total = scenario.budget.cap_total;
        output::ReportTarget t;
        t.id = target.id;
        t.label = target.description;
        t.unit = unit;
        t.comparison = engine::to_string(target.comparison);
        t.threshold = target.threshold;
        t.median = s.median;
        t.q05 = s.q05;
        t.q95 = s.q95;
        t.p_attain = s.p_attain;
        t.p_lo = s.p_attain_ci.lo;
        t.p_hi = s.p_attain_ci.hi;
        t.reaches = reached; // the search's verdict, not the interval's against one half
        t.source = target.source;
        t.assumption = target.assumption;
        m.targets.push_back(std::move(t));
        return m;
    };
    output::Report page;
    page.title = scenario.title.empty() ? scenario.name : scenario.title;
    page.subtitle = "canopy solve: " +
                    std::string(request.levers.size() > 1
                                    ? "the cheapest combination of levers"
                                    : "the smallest level of " + request.levers[0].target.name) +
                    " that attains " + target.id + " with P(attain) ≥ " +
                    probability_text(request.probability) + (request.assured ? " assured" : "");
    page.probability_wanted = request.probability;
    page.probability_assured = request.assured;
    std::string searched;
    for (const experiments::SolveLever& l : request.levers) {
        searched += (searched.empty() ? "" : "; ") + l.target.name + " in " +
                    range_text(l.low, l.high) + unit_suffix(lever_unit(info, l));
    }
    page.facts.push_back({"Scenario", scenario.name});
    page.facts.push_back(
        {"Target",
         target.id + " " + output::comparison_symbol(engine::to_string(target.comparison)) + " " +
             output::format_quantity(target.threshold) + (unit.empty() ? "" : " " + unit)});
    page.facts.push_back({"Probability wanted", wanted_text(request)});
    page.facts.push_back({"Levers searched", searched});
    const bool no_answer = !result.reached && result.not_monotone;
    page.facts.push_back(
        {"Answer", (result.reached ? "reached: "
                    : no_answer    ? "no answer (P(attain) falls as a lever rises); closest: "
                    : request.within_budget_cap
                        ? (result.none_within_cap
                               ? "out of reach within the budget cap; closest (none within it): "
                               : "out of reach within the budget cap; closest within it: ")
                        : "out of reach; closest: ") +
                       levels_text(request, result.best.levels, info)});
    for (std::size_t i = 0; i < result.single.size(); ++i) {
        // Each lever's own verdict: the mixes below show its figures, not whether it reached.
        const experiments::SolveResult& s = result.single[i];
        page.facts.push_back({request.levers[i].target.name + " alone",
                              (s.reached ? "reaches P: " : single_verdict(s, i) + "; closest: ") +
                                  levels_text(request, s.best.levels, info)});
    }
    page.facts.push_back(
        {"Search", fmt::format("{} settings, {} replicates, seed {}, common "
                               "random numbers, up to {} replicates a setting",
                               result.settings, result.replicates, seed, request.max_replicates)});
    page.mixes.push_back(mix(result.reached ? "answer" : "closest setting",
                             levels_text(request, result.best.levels, info), result.best,
                             result.reached));
    for (std::size_t i = 0; i < result.single.size(); ++i) {
        const experiments::SolveResult& s = result.single[i];
        page.mixes.push_back(
            mix(request.levers[i].target.name + " alone",
                (s.reached ? "reaches P: " : single_verdict(s, i) + "; closest: ") +
                    levels_text(request, s.best.levels, info),
                s.best, s.reached));
    }
    page.tables.push_back(search_table(request, result, log, info));
    if (!result.other_targets.empty()) {
        // The search looks at one target: what its setting does to the others.
        output::ReportTable t;
        t.id = "other-targets";
        t.title = "Other targets at this setting";
        t.caption = "Each other target's P(attain) at the setting above against the scenario "
                    "as written, on the same replicates; the change with its paired 95 % "
                    "interval (Newcombe). A change whose interval lies below 0 is shown in bold: "
                    "the setting lowers that target.";
        t.columns = {"target", "P(attain) here", "in the scenario as written", "change (points)"};
        t.numeric = {false, true, true, true};
        for (const experiments::SolveOtherTarget& o : result.other_targets) {
            t.rows.push_back({scenario.targets.at(o.target).id,
                              fmt::format("{:.1f} %", 100.0 * o.p_attain),
                              fmt::format("{:.1f} %", 100.0 * o.own_p_attain),
                              fmt::format("{:+.1f} [{:+.1f}, {:+.1f}]", 100.0 * o.delta.estimate,
                                          100.0 * o.delta.ci.lo, 100.0 * o.delta.ci.hi)});
            t.emphasised.push_back(o.falls());
        }
        page.tables.push_back(std::move(t));
    }
    page.inputs = output::report_inputs(scenario, info);
    page.budget_source = scenario.budget.source;
    page.budget_assumption = scenario.budget.assumption;
    // The searched levers are the solve's, not the scenario's: say so where the inputs list
    // them at the scenario's level.
    const std::string kept = result.reached ? "the answer" : "the closest setting";
    for (std::size_t i = 0; i < request.levers.size(); ++i) {
        const experiments::SolveLever& l = request.levers[i];
        const std::string in_unit = unit_suffix(lever_unit(info, l));
        const std::string level = output::format_level(result.best.levels.at(i)) + in_unit;
        for (output::ReportInput& in : page.inputs) {
            if (in.role == "lever" && in.name == l.target.name) {
                in.value += " (the scenario's level; overridden by the search: " + kept + " sets " +
                            level + ")";
            }
        }
        page.input_notes.push_back("solve overrides " + l.target.name + ": it searched " +
                                   range_text(l.low, l.high) + in_unit + ", and " + kept +
                                   " sets it to " + level +
                                   "; every other input is the scenario's, as listed.");
    }
    page.calibration = output::report_calibration(scenario, info);
    for (const std::string& line : cap_lines(request, result, info, currency)) {
        page.notes.push_back("Budget cap: " + line + ".");
    }
    for (std::size_t i = 0; i < result.single.size(); ++i) {
        for (const std::string& line : cap_lines(request, result.single[i], info, currency)) {
            page.notes.push_back(request.levers[i].target.name + " alone, budget cap: " + line +
                                 ".");
        }
    }
    if (result.not_monotone) {
        page.notes.push_back((no_answer ? "No answer. " : "Warning: ") +
                             not_monotone_text(request, result, target.id, scenario_word));
    }
    if (const std::string line = assurance_line(request, result); !line.empty()) {
        page.notes.push_back(std::string(1, static_cast<char>(std::toupper(line[0]))) +
                             line.substr(1) + ".");
    }
    page.notes.push_back(
        "Every setting ran on common random numbers; a level is judged by a sequential test on "
        "its P(attain) (Wilson interval against the probability wanted" +
        std::string(request.assured ? "; on all its replicates, the interval's lower end decides"
                                    : "; on all its replicates, the estimate decides") +
        "), and the answer is " +
        std::string(request.levers.size() > 1
                        ? "the cheapest combination, by the scenario's costs, of the levers' "
                          "levels judged to reach it"
                        : "the smallest level judged to reach it") +
        " (docs/what-if.md). " + (result.reached ? "Confirm it" : "Check the closest setting") +
        " on other random numbers with: canopy run " + scenario_word + " --seed <another> " + [&] {
            std::string sets;
            for (std::size_t i = 0; i < request.levers.size(); ++i) {
                sets += (sets.empty() ? "" : " ") + std::string("--set ") +
                        request.levers[i].target.name + "=" +
                        output::format_level(result.best.levels.at(i));
            }
            return sets;
        }());
    return page;
}

int solve_command(const FlagProblems& flagged, const SolveArgs& args) {
    const fs::path scenario_path = resolve_scenario(args.scenario);
    engine::LoadResult loaded = engine::load_scenario(scenario_path, models::model_catalog());
    std::vector<std::string> problems = flagged;
    for (std::string& p : output_flag_problems(args.json, "", args.report)) {
        problems.push_back(std::move(p));
    }
    if (std::string p =
            quiet_problem(args.quiet, {{"--json", args.json}, {"--report", args.report}});
        !p.empty()) {
        problems.push_back(std::move(p));
    }
    std::vector<output::NamedPath> outputs;
    if (!args.json.empty() && args.json != "-") {
        outputs.push_back({"--json", args.json});
    }
    if (!args.report.empty()) {
        outputs.push_back({"--report", args.report});
    }
    for (std::string& p :
         output::path_clashes(outputs, scenario_inputs(scenario_path, loaded, args.posterior))) {
        problems.push_back(std::move(p));
    }
    // (CLI11's range check lets NaN through.)
    if (!(args.precision >= 1e-6 && args.precision <= 0.5)) {
        problems.push_back(
            fmt::format("--precision: {} is not a relative precision from 1e-6 to 0.5 (e.g. 0.01)",
                        args.precision));
    }
    if (!(args.probability > 0.0 && args.probability < 1.0)) {
        problems.push_back(fmt::format(
            "--probability: {} is not a probability strictly between 0 and 1 (e.g. 0.9)",
            args.probability));
    }
    const bool scenario_bad = report(loaded.diagnostics);
    experiments::SolveRequest request;
    const models::ModelHandle* model = nullptr;
    bool levers_read = false; // every --lever parsed
    if (!scenario_bad && loaded.scenario) {
        const engine::Scenario& s = *loaded.scenario;
        model = models::find_model(s.model);
        if (model == nullptr) {
            throw Error("model '" + s.model + "' validated but is not registered");
        }
        std::vector<std::string> ids;
        bool found = false;
        for (std::size_t t = 0; t < s.targets.size(); ++t) {
            ids.push_back(s.targets[t].id);
            if (s.targets[t].id == args.target) {
                request.target = t;
                found = true;
            }
        }
        if (found) {
            // A target read before policy_start measures the history: no lever set from then can
            // move it, so every setting gives one answer and the search said "out of reach".
            const engine::TargetSpec& target = s.targets[request.target];
            const engine::YearMonth read = last_month_read(s.indicators, target.indicator);
            if (read < s.policy_start) {
                problems.push_back(
                    "--target: " + quoted(target.id) + " is read at the end of " + read.str() +
                    ", before the scenario's policy_start " + s.policy_start.str() +
                    ": the levers are set from policy_start on, so none can move it (choose a "
                    "target read from " +
                    s.policy_start.str() + " on, or move its indicator's months into the plan)");
            }
        }
        if (!found) {
            std::string message = "--target: scenario " + quoted(s.name) + " has no target " +
                                  quoted(args.target) +
                                  (ids.empty() ? " (it has no targets: add one under [targets])"
                                               : " (allowed: " + joined(ids) + ")");
            const bool indicator =
                std::any_of(s.indicators.begin(), s.indicators.end(),
                            [&](const engine::IndicatorSpec& i) { return i.id == args.target; });
            if (indicator) {
                // An outside tester's indicator without a target was offered another quantity's
                // target as "did you mean".
                message += "; " + quoted(args.target) +
                           " is an indicator with no target on it: solve needs a goal to reach "
                           "(add [targets." +
                           args.target +
                           "] with a comparison, a threshold and a source or assumption; its "
                           "indicator is the one of the same name)";
            } else if (const std::string hint = did_you_mean_id(args.target, ids); !hint.empty()) {
                message += " " + hint;
            }
            problems.push_back(message);
        }
        // --lever's problems, each one line of this command's errors (they have no place in a
        // file to give).
        engine::Diagnostics diagnostics;
        for (const std::string& text : args.levers) {
            if (auto lever = parse_lever(text, s, model->info(), diagnostics)) {
                for (const experiments::SolveLever& l : request.levers) {
                    if (l.target.index == lever->target.index) {
                        problems.push_back("--lever: '" + lever->target.name +
                                           "' is named twice; name each lever once");
                    }
                }
                request.levers.push_back(*lever);
            }
        }
        for (engine::Diagnostic d : diagnostics) {
            // Diagnostic::format's words without a place (there is none) or its severity, which
            // this command's own prefix says.
            d.file.clear();
            d.line = 0;
            const std::string said = d.format();
            const std::string line = output::printable(said.substr(said.find(": ") + 2));
            if (d.severity == engine::Diagnostic::Severity::error) {
                problems.push_back(line);
            } else {
                std::cerr << "canopy solve: warning: " << line << "\n";
            }
        }
        levers_read = !diagnostics.has_errors();
        if (!args.replicates_set && s.replicates < MIN_REPLICATES) {
            problems.push_back(fmt::format(
                "scenario {} runs {} replicate{} ([scenario] replicates), too few to judge a "
                "probability; give --replicates {} or more",
                quoted(s.name), s.replicates, s.replicates == 1 ? "" : "s", MIN_REPLICATES));
        }
        // As many as --replicates allows (MAX_REPLICATES): a P nearer 1 than that can assure is
        // refused as such.
        const auto need_for = [&]() -> std::optional<int> {
            try {
                const int n =
                    experiments::assured_replicates_needed(args.probability, request.confidence);
                return n <= MAX_REPLICATES ? std::optional<int>(n) : std::nullopt;
            } catch (const Error&) {
                return std::nullopt;
            }
        };
        if (args.assured && (args.probability > 0.0 && args.probability < 1.0) && !need_for()) {
            problems.push_back(fmt::format(
                "--assured: no number of replicates --replicates allows (at most {}) can assure "
                "P(attain) >= {}: even with every replicate attaining, the lower end of the {:g} "
                "% interval stays below it; ask for a lower --probability",
                MAX_REPLICATES, probability_text(args.probability), 100.0 * request.confidence));
        } else if (args.assured && (args.probability > 0.0 && args.probability < 1.0)) {
            const int have = args.replicates_set ? args.replicates : s.replicates;
            const int need = *need_for();
            if (have < need) {
                problems.push_back(fmt::format(
                    "--assured: {} replicates a setting ({}) cannot assure P(attain) >= {}: even "
                    "with every replicate attaining, the lower end of the {:g} % interval is {}; "
                    "give --replicates {} or more",
                    have, args.replicates_set ? "--replicates" : "[scenario] replicates",
                    probability_text(args.probability), 100.0 * request.confidence,
                    output::format_percent(
                        engine::wilson_interval(static_cast<std::size_t>(std::max(have, 1)),
                                                static_cast<std::size_t>(std::max(have, 1)),
                                                request.confidence)
                            .lo),
                    need));
            }
        }
        if (args.budget_cap && !s.budget.has_caps()) {
            problems.push_back("--budget-cap: scenario " + quoted(s.name) +
                               " sets no budget cap ([budget] cap_per_year or cap_total)");
        }
    }
    for (const std::string& p : problems) {
        std::cerr << "canopy solve: error: " << p << "\n";
    }
    if (scenario_bad || !loaded.scenario) {
        std::cerr << "canopy solve: nothing was run or written\n";
        return EXIT_BAD_INPUT;
    }
    // The posterior is checked even when a flag is already wrong: one attempt shows every mistake.
    // So is what the search would need, when every --lever was read: every lever at the top of
    // its search range is the largest run the search can make.
    const engine::ThreadLimit threads(args.threads);
    const auto resources = [&](const ScenarioToRun& to_run) {
        if (!levers_read) {
            return ResourceCheck{};
        }
        std::vector<experiments::Override> top;
        for (const experiments::SolveLever& l : request.levers) {
            top.push_back({l.target, l.high});
        }
        return check_resources(*model, {experiments::apply_overrides(to_run.scenario, top)},
                               args.replicates_set ? args.replicates : to_run.scenario.replicates,
                               threads.threads(), args.max_memory,
                               "a setting at the top of the levers' ranges",
                               "use a smaller city, narrower lever ranges or fewer replicates");
    };
    const std::optional<ScenarioToRun> checked =
        scenario_to_run(*loaded.scenario, model->info(), args.posterior, {}, {}, !problems.empty(),
                        "canopy solve", resources);
    if (!checked) {
        return EXIT_BAD_INPUT;
    }
    auto scenario = std::make_shared<const engine::Scenario>(checked->scenario);

    request.probability = args.probability;
    request.within_budget_cap = args.budget_cap;
    request.assured = args.assured;
    request.max_replicates = args.replicates_set ? args.replicates : scenario->replicates;
    request.precision = args.precision;
    experiments::Experiment experiment;
    experiment.scenario = scenario;
    experiment.model = model;
    experiment.seed = args.seed_set ? args.seed : scenario->seed;

    std::unique_ptr<experiments::Evaluator> evaluator = experiments::default_evaluator();
    const bool root = evaluator->is_root();
    if (root && !args.quiet && scenario->precision > 0.0) {
        // solve's own sequential test decides how many replicates a setting needs; its
        // --precision is the lever's, not this half-width of P(attain).
        std::cerr << fmt::format(
            "canopy solve: note: the scenario's precision ({}) is not applied: each setting "
            "runs up to {} replicates by solve's own sequential test (solve's --precision is "
            "the precision of a lever's level)\n",
            scenario->precision, request.max_replicates);
    }
    const bool talk = root && !args.quiet && args.json != "-";
    const engine::ModelInfo& info = model->info();
    const engine::TargetSpec& target = scenario->targets[request.target];
    const std::string currency = scenario->budget.currency;
    // The scenario as the user named it, for commands printed to paste back.
    const std::string scenario_word = shell_word(args.scenario);
    if (talk) {
        std::cout << fmt::format(
            "Solving for target {} ({} {}{}) with P(attain) >= {}: seed {}, common random "
            "numbers, up to {} replicates per setting\n",
            target.id, engine::to_string(target.comparison),
            output::format_quantity(target.threshold), target.unit.empty() ? "" : " " + target.unit,
            wanted_text(request), experiment.seed, request.max_replicates);
        std::cout.flush();
    }
    std::size_t count = 0;
    std::vector<experiments::SolveSetting> log; // for the report's table of the search
    const experiments::SolveProgress progress = [&](const experiments::SolveSetting& s) {
        ++count;
        log.push_back(s);
        if (talk) {
            std::cerr << fmt::format("  {:>3}  {}  ->  P {}  {}\n", count,
                                     levels_text(request, s.levels, info), p_text(s),
                                     log_verdict(s));
        }
    };
    // Under mpirun every rank runs this alike: its own failure is said once (ClientEvaluator).
    experiments::ClientEvaluator client(*evaluator);
    const experiments::SolveResult result = client.run([&](experiments::Evaluator& e) {
        return experiments::solve(experiment, e, request, progress);
    });
    if (!root) {
        return EXIT_OK;
    }

    if (talk) {
        std::string out = "\n";
        if (request.levers.size() > 1) {
            out += "Each lever alone (the others at their level when planners take over):\n";
            for (std::size_t i = 0; i < result.single.size(); ++i) {
                const experiments::SolveResult& s = result.single[i];
                out += "  " + request.levers[i].target.name + ": " +
                       (s.reached ? fmt::format("{} at cost {}, P {}",
                                                output::format_level(s.best.levels[i]),
                                                cost_text(s.best.cost, currency), p_text(s.best))
                                  : single_text(request, s, i, currency)) +
                       "\n";
            }
            out += "\n";
        }
        if (result.reached) {
            out += "REACHED: " + levels_text(request, result.best.levels, info) + "\n";
        } else if (result.not_monotone) {
            out += "NO ANSWER: " + not_monotone_text(request, result, target.id, scenario_word) +
                   "\nThe setting with the highest P(attain) evaluated: " +
                   levels_text(request, result.best.levels, info) + "\n";
        } else {
            out += "OUT OF REACH within the levers' ranges" +
                   std::string(request.within_budget_cap ? " and the budget cap" : "") +
                   ". The closest setting" +
                   (!request.within_budget_cap ? ""
                    : result.none_within_cap   ? " (none searched is within the cap)"
                                               : " within the cap") +
                   ": " + levels_text(request, result.best.levels, info) + "\n";
        }
        out += "  P(attain) " + p_text(result.best) + " (" +
               fmt::format("{:g} %", 100.0 * request.confidence) + " Wilson CI)\n";
        if (const std::string line = assurance_line(request, result); !line.empty()) {
            out += "  " + line + "\n";
        }
        out += "  cost " + cost_text(result.best.cost, currency) +
               " (mean over replicates, every lever)" +
               (result.best.over_cap ? ", OVER the budget cap" : "") + "\n";
        for (const std::string& line : cap_lines(request, result, info, currency)) {
            out += "  " + line + "\n";
        }
        out += other_targets_text(*scenario, result);
        out += fmt::format("  {} settings evaluated, {} replicates simulated; levels known to "
                           "{:g} % of their value",
                           result.settings, result.replicates, 100.0 * request.precision);
        if (request.levers.size() > 1 && result.reached) {
            // A trade lowers a lever by halves of its distance above its floor, and bisects
            // only the lever that makes up for it.
            out += fmt::format(" where bisected; a lever lowered in a trade, to {:g} % of its "
                               "level above its floor",
                               100.0 * experiments::trade_resolution(request.precision));
            // The same in each lever's units at the answer: a floor of 0 makes the share of a
            // high level a wide step, which another range would land elsewhere in.
            // A lever at its floor is known exactly there, and left out.
            std::string steps;
            for (std::size_t i = 0; i < request.levers.size(); ++i) {
                const experiments::SolveLever& l = request.levers[i];
                const double step = experiments::trade_resolution(request.precision) *
                                    (result.best.levels.at(i) - l.low);
                if (step > 0.0) {
                    steps += (steps.empty() ? "" : ", ") + l.target.name + " " +
                             output::format_quantity(step) + unit_suffix(lever_unit(info, l));
                }
            }
            if (!steps.empty()) {
                out += " (at this answer: " + steps + ")";
            }
        }
        out += "\n";
        if (result.trades_within_noise > 0) {
            out +=
                fmt::format("  {} trade{} cheaper on the mean by less than its Monte Carlo "
                            "error (the {:g} % paired interval of the saving reaches 0) not "
                            "taken\n",
                            result.trades_within_noise, result.trades_within_noise == 1 ? "" : "s",
                            100.0 * request.confidence);
        }
        if (result.reached && result.not_monotone) {
            out +=
                "  warning: " + not_monotone_text(request, result, target.id, scenario_word) + "\n";
        }
        std::cout << out;
        std::cout.flush();
    } else if (root && !args.quiet && result.not_monotone) {
        // stdout carries the JSON only: the reason goes to stderr.
        std::cerr << "canopy solve: " << (result.reached ? "warning: " : "no answer: ")
                  << not_monotone_text(request, result, target.id, scenario_word) << "\n";
    }
    std::vector<output::TemporaryFile> finished;
    if (!args.report.empty()) {
        finished.push_back(output::write_report_temporary(
            args.report,
            solve_report(*scenario, info, request, result, log, experiment.seed, scenario_word)));
    }
    if (!args.json.empty()) {
        nlohmann::ordered_json j = result_json(request, result, scenario.get());
        j["target"] = target.id;
        j["probability"] = request.probability;
        j["assured"] = request.assured;
        j["currency"] = currency;
        if (request.levers.size() > 1) {
            nlohmann::ordered_json singles = nlohmann::ordered_json::array();
            for (std::size_t i = 0; i < result.single.size(); ++i) {
                // Which lever this answer is of (with every lever out of reach, the entries
                // differed only in their order), first; the document's schema_version not
                // repeated in each answer.
                nlohmann::ordered_json answer = result_json(request, result.single[i]);
                answer.erase("schema_version");
                if (answer.contains("not_monotone")) {
                    // Along its own line the others are at their policy_start levels: its entry
                    // reads as a one-lever solve of it would.
                    answer["not_monotone"]["lower"].erase("levers");
                    answer["not_monotone"]["higher"].erase("levers");
                }
                nlohmann::ordered_json single = nlohmann::ordered_json::object();
                single["lever"] = i < request.levers.size() ? request.levers[i].target.name : "";
                single.update(answer);
                singles.push_back(std::move(single));
            }
            j["single_levers"] = std::move(singles);
            j["trades_within_noise"] = result.trades_within_noise;
        }
        const std::string text = j.dump(2) + "\n";
        if (args.json == "-") {
            std::cout << text;
            require_stdout();
        } else {
            finished.push_back(output::write_temporary(args.json, text));
        }
    }
    std::vector<output::TemporaryFile*> to_commit;
    for (output::TemporaryFile& f : finished) {
        to_commit.push_back(&f);
    }
    commit_after_stdout(to_commit);
    return !result.reached && result.not_monotone ? EXIT_NO_ANSWER : EXIT_OK;
}

} // namespace

Command add_solve(CLI::App& app) {
    auto args = std::make_shared<SolveArgs>();
    auto seed_text = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "solve", "Find the smallest lever level, or the cheapest combination of levers, that "
                 "attains a target with at least a given probability");
    cmd->add_option("scenario", args->scenario,
                    "Scenario file (looked up here, then in the source tree)")
        ->capture_default_str()
        ->check(NON_EMPTY);
    cmd->add_option("--target", args->target, "The target to attain (its id)")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--probability,-P", args->probability,
                    "The probability of attainment wanted, between 0 and 1 (e.g. 0.9)")
        ->required()
        ->check(number_check("a probability above 0 and below 1, e.g. 0.9"));
    cmd->add_option("--lever,-l", args->levers,
                    "A lever to search, NAME or NAME=LOW:HIGH (default range: the lever's); "
                    "repeat it to find the cheapest combination")
        ->required()
        ->take_all()
        ->allow_extra_args(false) // one value a flag: `--lever x scenario.toml` keeps the scenario
        ->check(NON_EMPTY);
    cmd->add_flag("--budget-cap", args->budget_cap,
                  "Only settings whose mean cost stays within the scenario's budget caps count");
    cmd->add_flag("--assured", args->assured,
                  "A setting reaches P only when the lower end of its 95 % interval does (not "
                  "its estimate alone): along one lever, P(attain) >= P with about 97.5 % "
                  "confidence");
    CLI::Option* replicates =
        cmd->add_option("--replicates,-n", args->replicates,
                        "The most replicates per setting (default: the scenario's)")
            ->check(CLI::Range(MIN_REPLICATES, MAX_REPLICATES));
    CLI::Option* seed =
        add_seed_option(*cmd, *seed_text, "Seed, 0 to 2^64 - 1 (default: the scenario's)");
    cmd->add_option("--precision", args->precision,
                    "Relative precision of each lever's level (default 0.01: within 1 %)")
        ->check(number_check("a number from 1e-6 to 0.5"))
        ->check(CLI::Range(1e-6, 0.5));
    cmd->add_option("--threads,-t", args->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--json", args->json,
                    "Write the answer as JSON to PATH ('-' for stdout, which then carries only "
                    "the JSON)")
        ->check(NON_EMPTY);
    cmd->add_option("--report", args->report,
                    "Write a self-contained HTML report of the answer to FILE.html")
        ->check(NON_EMPTY);
    cmd->add_flag("--quiet,-q", args->quiet, "No progress and no summary");
    cmd->add_option("--posterior", args->posterior,
                    "Draw each replicate's parameters from a calibration posterior (FILE.h5 from "
                    "`canopy calibrate`)")
        ->check(NON_EMPTY);
    add_max_memory_option(*cmd, args->max_memory);
    return Command{cmd, [args, seed_text, replicates, seed](const FlagProblems& flagged) {
                       args->replicates_set = replicates->count() > 0;
                       args->seed_set = seed->count() > 0;
                       if (args->seed_set) {
                           parse_seed(*seed_text, args->seed);
                       }
                       return solve_command(flagged, *args);
                   }};
}

} // namespace canopy::cli
