// Overrides: names resolved against a model, values checked against its ranges, and applied to a
// scenario (a lever set from the policy start on, scaled, or a parameter fixed).
#include "text.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/joint_draws.hpp>
#include <canopy/experiments/overrides.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>

namespace canopy::experiments {

namespace {

using detail::number_text;
using detail::range_text;

void add_error(engine::Diagnostics& diagnostics, const InputPlace& where, std::string message,
               std::string allowed = {}, std::string hint = {}) {
    diagnostics.add(detail::error_at(where.file, where.line, where.column, where.key,
                                     std::move(message), std::move(allowed), std::move(hint)));
}

std::vector<std::string> every_name(const engine::ModelInfo& model) {
    std::vector<std::string> names;
    for (const engine::ParameterSpec& p : model.parameters) {
        names.push_back(p.name);
    }
    for (const engine::LeverSpec& l : model.levers) {
        names.push_back(l.name);
    }
    return names;
}

const char* kind_name(TargetKind kind) {
    switch (kind) {
    case TargetKind::parameter:
        return "parameter";
    case TargetKind::baseline:
        return "baseline figure";
    case TargetKind::lever:
        return "lever";
    }
    return "name";
}

// Every value a schedule takes: its initial value and each point's.
std::vector<double> schedule_values(const engine::Schedule& s) {
    std::vector<double> values{s.initial()};
    for (const engine::SchedulePoint& p : s.points()) {
        values.push_back(p.value);
    }
    return values;
}

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

// The lever's schedule as sampled by every step that starts before the policy start, then
// `level` from the policy start on. The sampled values are copied exactly, so the steps before
// the policy start see the same bits as they did.
engine::Schedule held_from_policy_start(const engine::Schedule& schedule, double level,
                                        const engine::Calendar& calendar,
                                        engine::YearMonth policy_start) {
    const double t_start = calendar.months_until(policy_start);
    if (!(t_start > 0.0)) {
        return engine::Schedule::constant(level);
    }
    std::vector<engine::SchedulePoint> points;
    for (int s = 0; s < calendar.steps(); ++s) {
        const double t = calendar.months_at_start(s);
        if (!(t < t_start)) {
            break;
        }
        points.push_back({t, schedule.at(t)});
    }
    points.push_back({t_start, level});
    const double initial = points.front().value;
    return engine::Schedule::step(initial, std::move(points));
}

// Whether the lever, set or scaled as `target` says, still costs a finite amount over the
// horizon in the scenario's currency (what the outputs add up): a level in range times a cost
// rate and a conversion can overflow, as the loader checks for the file's own levels.
bool lever_cost_ok(const OverrideTarget& target, double value, const InputPlace& where,
                   engine::Diagnostics& diagnostics, const engine::Scenario* scenario) {
    const auto i = static_cast<std::size_t>(target.index);
    if (scenario == nullptr || i >= scenario->levers.size()) {
        return true;
    }
    engine::LeverSetting lever = scenario->levers[i];
    if (!lever.cost.priced()) {
        return true;
    }
    lever.schedule = target.mode == OverrideMode::scale
                         ? lever.schedule.scaled(value)
                         : held_from_policy_start(lever.schedule, value, scenario->calendar,
                                                  scenario->policy_start);
    const std::string what =
        (target.mode == OverrideMode::scale ? "scaling lever '" + target.name + "' by "
                                            : "setting lever '" + target.name + "' to ") +
        number_text(value);
    const std::string& currency = scenario->budget.currency;
    const double raw = engine::lever_cost(lever, scenario->calendar);
    const double cost = engine::lever_cost_in_currency(lever, scenario->calendar);
    if (!std::isfinite(raw) || !std::isfinite(cost)) {
        const std::string unit = lever.cost.unit.empty() ? currency : lever.cost.unit;
        // A sum of monthly costs: six digits say how large it is, all 17 only add noise.
        char digits[32];
        const auto end =
            std::to_chars(digits, digits + sizeof digits, raw, std::chars_format::general, 6);
        add_error(diagnostics, where,
                  what + " makes its cost over the horizon " +
                      (std::isfinite(raw) ? std::string(digits, end.ptr) + " " + unit +
                                                ", which is " + number_text(cost) + " " + currency +
                                                " at the scenario's conversion of " +
                                                number_text(lever.cost.to_currency) + " " +
                                                currency + " per " + unit
                                          : number_text(raw)) +
                      ": the cost overflows",
                  "a level whose cost in " + (currency.empty() ? "the currency" : currency) +
                      " is a finite number");
        return false;
    }
    if (lever.cost.outcome_price == engine::OutcomePrice::level) {
        double highest = std::abs(lever.schedule.initial());
        for (const engine::SchedulePoint& p : lever.schedule.points()) {
            highest = std::max(highest, std::abs(p.value));
        }
        if (!std::isfinite(highest * lever.cost.level_to_currency)) {
            add_error(diagnostics, where,
                      what + " makes the price of one '" + lever.cost.outcome + "' " +
                          number_text(highest * lever.cost.level_to_currency) + " " + currency +
                          ": the conversion of the lever's level overflows",
                      "a level whose price in " + currency + " is a finite number");
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<OverrideTarget>
resolve_target(const std::string& name, const engine::ModelInfo& model, const InputPlace& where,
               engine::Diagnostics& diagnostics, OverrideMode mode, const std::string& set_how) {
    OverrideTarget target;
    target.name = name;
    target.mode = mode;
    if (const int p = model.parameter_index(name); p >= 0) {
        const engine::ParameterSpec& spec = model.parameters[static_cast<std::size_t>(p)];
        target.kind = spec.role == engine::ParameterRole::baseline ? TargetKind::baseline
                                                                   : TargetKind::parameter;
        target.index = p;
        if (mode == OverrideMode::scale) {
            add_error(diagnostics, where,
                      "'" + name + "' is a " + kind_name(target.kind) + " of model '" + model.name +
                          "'; only a lever's schedule can be scaled",
                      set_how.empty() ? "'" + name + "=VALUE' to set it" : set_how);
            return std::nullopt;
        }
        return target;
    }
    if (const int l = model.lever_index(name); l >= 0) {
        target.kind = TargetKind::lever;
        target.index = l;
        return target;
    }
    add_error(
        diagnostics, where,
        "'" + name + "' is not a parameter, baseline figure or lever of model '" + model.name + "'",
        "a name from 'canopy models' (" + std::to_string(model.parameters.size()) +
            " parameters and baseline figures, " + std::to_string(model.levers.size()) + " levers)",
        engine::did_you_mean(name, every_name(model)));
    return std::nullopt;
}

bool check_value(const OverrideTarget& target, double value, const engine::ModelInfo& model,
                 const InputPlace& where, engine::Diagnostics& diagnostics,
                 const engine::Scenario* scenario) {
    const bool is_lever = target.kind == TargetKind::lever;
    const std::size_t size = is_lever ? model.levers.size() : model.parameters.size();
    if (target.index < 0 || static_cast<std::size_t>(target.index) >= size) {
        add_error(diagnostics, where,
                  "'" + target.name + "' does not name a " + kind_name(target.kind) +
                      " of model '" + model.name + "'");
        return false;
    }
    const auto i = static_cast<std::size_t>(target.index);
    if (!std::isfinite(value)) {
        add_error(diagnostics, where,
                  "'" + target.name + "' needs a finite number, got " + number_text(value));
        return false;
    }
    if (is_lever && target.mode == OverrideMode::scale) {
        const engine::LeverSpec& spec = model.levers[i];
        if (value < 0.0) {
            add_error(diagnostics, where,
                      "a lever's schedule cannot be scaled by a negative factor, got " +
                          number_text(value),
                      "a factor >= 0");
            return false;
        }
        if (scenario != nullptr && i < scenario->levers.size()) {
            for (const double v : schedule_values(scenario->levers[i].schedule)) {
                const double scaled = v * value;
                if (!std::isfinite(scaled) || !spec.range.contains(scaled)) {
                    add_error(diagnostics, where,
                              "scaling by " + number_text(value) + " takes lever '" + spec.name +
                                  "' from " + number_text(v) + " to " + number_text(scaled) +
                                  ", outside its allowed range " + range_text(spec.range),
                              "levels in " + range_text(spec.range));
                    return false;
                }
            }
        }
        return lever_cost_ok(target, value, where, diagnostics, scenario);
    }
    const engine::Range range = is_lever ? model.levers[i].range : model.parameters[i].range;
    const std::string& unit = is_lever ? model.levers[i].unit : model.parameters[i].unit;
    const std::string in_unit = unit.empty() ? std::string() : " " + unit;
    if (!range.contains(value)) {
        add_error(diagnostics, where,
                  number_text(value) + " is outside the allowed range " + range_text(range) +
                      in_unit + " of " + kind_name(target.kind) + " '" + target.name + "'",
                  range_text(range));
        return false;
    }
    if (!is_lever && model.parameters[i].integer && std::floor(value) != value) {
        add_error(diagnostics, where,
                  "'" + target.name + "' takes whole numbers only, got " + number_text(value),
                  "a whole number in " + range_text(range));
        return false;
    }
    return !is_lever || lever_cost_ok(target, value, where, diagnostics, scenario);
}

std::optional<Override> parse_set(const std::string& text, const engine::ModelInfo& model,
                                  engine::Diagnostics& diagnostics,
                                  const engine::Scenario* scenario) {
    const InputPlace where{"", 0, 0, "--set"};
    const auto eq = text.find('=');
    if (eq == std::string::npos) {
        add_error(diagnostics, where, "'" + text + "' is not NAME=VALUE",
                  "NAME=VALUE, or LEVER*=FACTOR to scale a lever's schedule");
        return std::nullopt;
    }
    const bool scale = eq > 0 && text[eq - 1] == '*';
    const std::string name = trimmed(text.substr(0, scale ? eq - 1 : eq));
    const std::string value_text = trimmed(text.substr(eq + 1));
    if (name.empty()) {
        add_error(diagnostics, where, "'" + text + "' names nothing before '='",
                  "NAME=VALUE, or LEVER*=FACTOR to scale a lever's schedule");
        return std::nullopt;
    }
    double value = 0.0;
    const char* begin = value_text.data();
    const char* end = begin + value_text.size();
    const auto parsed = std::from_chars(begin, end, value);
    if (!value_text.empty() && parsed.ec == std::errc::result_out_of_range && parsed.ptr == end) {
        // 1e400 and 1e-400 are numbers, only not ones a double holds.
        add_error(
            diagnostics, where,
            "'" + value_text + "' (the value of '" + name + "') is too " +
                (value_text.find_first_of("eE") != std::string::npos &&
                         value_text.find('-', value_text.find_first_of("eE")) != std::string::npos
                     ? "small for a number: it would read as 0"
                     : "large for a number"),
            "a decimal number such as 0.8, 120 or 1.5e3");
        return std::nullopt;
    }
    if (value_text.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
        add_error(diagnostics, where,
                  "'" + value_text + "' (the value of '" + name + "') is not a number",
                  "a decimal number such as 0.8, 120 or 1.5e3");
        return std::nullopt;
    }
    const auto target = resolve_target(name, model, where, diagnostics,
                                       scale ? OverrideMode::scale : OverrideMode::set);
    if (!target || !check_value(*target, value, model, where, diagnostics, scenario)) {
        return std::nullopt;
    }
    return Override{*target, value};
}

engine::Scenario apply_overrides(const engine::Scenario& scenario,
                                 std::span<const Override> overrides) {
    engine::Scenario out = scenario;
    if (overrides.empty()) {
        return out;
    }
    std::string listing = "# ---- overrides\n";
    for (std::size_t k = 0; k < overrides.size(); ++k) {
        const Override& o = overrides[k];
        const OverrideTarget& t = o.target;
        // Later overrides of the same target win: skip this one if a later one replaces it.
        const bool replaced = std::any_of(overrides.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                                          overrides.end(), [&](const Override& later) {
                                              return (later.target.kind == TargetKind::lever) ==
                                                         (t.kind == TargetKind::lever) &&
                                                     later.target.index == t.index;
                                          });
        if (replaced) {
            continue;
        }
        const auto i = static_cast<std::size_t>(t.index);
        if (t.kind == TargetKind::lever) {
            if (t.index < 0 || i >= out.levers.size()) {
                throw Error("override of '" + t.name + "': scenario '" + scenario.name +
                            "' has no lever " + std::to_string(t.index));
            }
            const auto apply = [&](engine::LeverSetting& lever) {
                lever.schedule = t.mode == OverrideMode::scale
                                     ? lever.schedule.scaled(o.value)
                                     : held_from_policy_start(lever.schedule, o.value, out.calendar,
                                                              out.policy_start);
                lever.provenance = engine::Provenance{"override", "", true};
            };
            apply(out.levers[i]);
            // A mix that sets this lever gets the override too, so that applying a mix to the
            // overridden scenario gives what the run used (the mix, then --set): the outputs
            // describe a mix's settings from with_policy_mix.
            for (engine::PolicyMix& mix : out.policy_mixes) {
                for (auto& [index, setting] : mix.levers) {
                    if (index == t.index) {
                        apply(setting);
                    }
                }
            }
            if (t.mode == OverrideMode::scale) {
                listing += "# " + t.name + " *= " + number_text(o.value) + "\n";
            } else {
                listing += "# " + t.name + " = " + number_text(o.value) + " from " +
                           out.policy_start.str() + "\n";
            }
        } else {
            if (t.index < 0 || i >= out.parameters.size()) {
                throw Error("override of '" + t.name + "': scenario '" + scenario.name +
                            "' has no parameter " + std::to_string(t.index));
            }
            out.parameters[i] = engine::ParameterSetting{engine::Uncertain::fixed(o.value),
                                                         engine::Provenance{"override", "", true}};
            // The override wins over a mix that sets the same parameter (as above).
            for (engine::PolicyMix& mix : out.policy_mixes) {
                for (auto& [index, setting] : mix.parameters) {
                    if (index == t.index) {
                        setting = out.parameters[i];
                    }
                }
            }
            listing += "# " + t.name + " = " + number_text(o.value) + "\n";
        }
    }
    out.text += listing;
    if (out.joint_draws) {
        // An override fixes what it names: a posterior column drawing the same parameter (or
        // scaling the same lever) would undo it, so that column goes.
        const auto& columns = out.joint_draws->columns();
        std::vector<bool> keep(columns.size(), true);
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const bool lever = columns[c].kind == engine::JointDraws::Column::Kind::lever_scale;
            for (const Override& o : overrides) {
                if ((o.target.kind == TargetKind::lever) == lever &&
                    o.target.index == columns[c].index) {
                    keep[c] = false;
                }
            }
        }
        if (std::find(keep.begin(), keep.end(), true) == keep.end()) {
            out.joint_draws.reset();
        } else if (std::find(keep.begin(), keep.end(), false) != keep.end()) {
            out.joint_draws =
                std::make_shared<const engine::JointDraws>(out.joint_draws->without(keep));
        }
    }
    return out;
}

std::vector<std::string> override_texts(std::span<const Override> overrides) {
    std::vector<std::string> out;
    for (const Override& o : overrides) {
        // {} is the shortest text that reads back as the same double.
        out.push_back(o.target.name + (o.target.mode == OverrideMode::scale ? "*=" : "=") +
                      fmt::format("{}", o.value));
    }
    return out;
}

std::vector<RangeBreach> rules_broken_over(const engine::ModelInfo& model,
                                           std::vector<engine::ParameterSetting> settings,
                                           const std::vector<ParameterRange>& ranges) {
    std::vector<std::string> described(settings.size());
    std::vector<std::size_t> range_of(settings.size(), ranges.size());
    for (std::size_t k = 0; k < ranges.size(); ++k) {
        const ParameterRange& r = ranges[k];
        if (r.parameter >= settings.size()) {
            continue;
        }
        settings[r.parameter].value =
            r.lo == r.hi ? engine::Uncertain::fixed(r.lo)
                         : engine::Uncertain{engine::Uncertain::Kind::uniform, r.lo, r.hi, 0.0};
        described[r.parameter] =
            (r.lo == r.hi ? number_text(r.lo)
                          : "from " + number_text(r.lo) + " to " + number_text(r.hi)) +
            " (" + r.label + ")";
        range_of[r.parameter] = k;
    }
    std::vector<RangeBreach> out;
    for (engine::ConstraintBreach& b : engine::constraint_breaches(model, settings, described)) {
        std::size_t latest = ranges.size();
        for (const std::string& name : model.constraints[b.rule].parameters) {
            const int i = model.parameter_index(name);
            const std::size_t k = i < 0 ? ranges.size() : range_of[static_cast<std::size_t>(i)];
            if (k < ranges.size() && (latest == ranges.size() || k > latest)) {
                latest = k;
            }
        }
        if (latest < ranges.size()) {
            out.push_back({std::move(b), latest});
        }
    }
    return out;
}

} // namespace canopy::experiments
