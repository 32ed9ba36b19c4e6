// Carrying a calibration posterior into a scenario (posterior.hpp).
#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/toml_document.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/posterior.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

namespace canopy::experiments {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) {
        out += (out.empty() ? "" : ", ") + s;
    }
    return out;
}

} // namespace

std::string calibration_policy_mix(const CalibrationResult& posterior) {
    engine::Diagnostics ignored;
    const std::optional<engine::TomlValue> root =
        engine::parse_toml_text(posterior.calibration_text, "calibration_text", ignored);
    if (!root) {
        return {};
    }
    const engine::TomlValue* table = root->find("calibration");
    const engine::TomlValue* mix = table != nullptr ? table->find("policy_mix") : nullptr;
    return mix != nullptr && mix->type == engine::TomlValue::Type::string ? mix->string
                                                                          : std::string();
}

engine::Scenario with_posterior(const engine::Scenario& scenario, const engine::ModelInfo& model,
                                const CalibrationResult& posterior, const std::string& origin,
                                const std::vector<std::string>& columns) {
    const std::string where = "posterior '" + origin + "'";
    if (posterior.model != model.name) {
        throw Error(where + " was fitted to model '" + posterior.model + "', not to model '" +
                    model.name + "' of scenario '" + scenario.name + "'");
    }
    for (const std::string& name : columns) {
        if (std::find(posterior.parameters.begin(), posterior.parameters.end(), name) ==
            posterior.parameters.end()) {
            throw PosteriorColumnError(name, where + " has no column '" + name + "' (it has " +
                                                 join(posterior.parameters) + ")");
        }
    }
    const std::size_t d = posterior.parameters.size();
    const std::string fitted_mix = calibration_policy_mix(posterior);
    const std::size_t n = posterior.particle_count();
    std::vector<engine::JointDraws::Column> chosen;
    std::vector<std::size_t> source;
    engine::Scenario out = scenario;
    for (std::size_t j = 0; j < d; ++j) {
        const std::string& name = posterior.parameters[j];
        if (!columns.empty() && std::find(columns.begin(), columns.end(), name) == columns.end()) {
            continue;
        }
        const std::string& kind = posterior.parameter_kinds[j];
        engine::JointDraws::Column column;
        column.name = name;
        if (kind == "lever_scale") {
            const int l = model.lever_index(name);
            if (l < 0) {
                throw PosteriorColumnError(name, where + " scales lever '" + name +
                                                     "', which model '" + model.name +
                                                     "' does not have");
            }
            // Does the calibration's mix set or scale this lever? Judged by the scenario's mix
            // of that name (a reviewer's mix that moved another lever only was refused); one the
            // scenario does not have cannot be judged, and is taken to.
            const auto mix =
                std::find_if(scenario.policy_mixes.begin(), scenario.policy_mixes.end(),
                             [&](const engine::PolicyMix& m) { return m.name == fitted_mix; });
            const bool moves = mix == scenario.policy_mixes.end() ||
                               std::any_of(mix->levers.begin(), mix->levers.end(),
                                           [&](const auto& setting) { return setting.first == l; });
            if (!fitted_mix.empty() && moves) {
                // An outside tester fitted lever_high_tech as 0.81 of policy mix high_tech_push's
                // doubled schedule; carried into a run of the scenario's own schedule it scaled
                // that instead, and 384 leaders became 215, exit 0. A posterior's columns apply
                // to the scenario's own schedule and to every mix's alike.
                throw PosteriorColumnError(
                    name, where + " fits lever '" + name +
                              "' as a multiple of its schedule under policy mix '" + fitted_mix +
                              "' (the calibration's policy_mix), but a posterior's columns "
                              "scale the schedule of whatever a run runs, the scenario's own "
                              "or another mix's: a multiple of one schedule does not carry "
                              "over to another");
            }
            column.kind = engine::JointDraws::Column::Kind::lever_scale;
            column.index = l;
            const engine::LeverSpec& spec = model.levers[static_cast<std::size_t>(l)];
            const engine::Schedule& s = scenario.levers[static_cast<std::size_t>(l)].schedule;
            std::vector<double> values = {s.initial()};
            for (const engine::SchedulePoint& p : s.points()) {
                values.push_back(p.value);
            }
            if (s.kind() == engine::Schedule::Kind::constant) {
                values = {s.at(0.0)};
            }
            for (std::size_t k = 0; k < n; ++k) {
                for (const double v : values) {
                    const double x = v * posterior.particle(k, j);
                    if (!spec.range.contains(x)) {
                        throw PosteriorColumnError(
                            name, where + ": particle " + std::to_string(k) + " scales lever '" +
                                      name + "' by " + std::to_string(posterior.particle(k, j)) +
                                      ", taking its schedule to " + std::to_string(x) +
                                      ", outside its range");
                    }
                }
            }
        } else {
            const int p = model.parameter_index(name);
            if (p < 0) {
                throw PosteriorColumnError(
                    name, where + " fits '" + name + "', which model '" + model.name +
                              "' does not have (renamed or removed since the calibration?)");
            }
            const engine::ParameterSpec& spec = model.parameters[static_cast<std::size_t>(p)];
            const bool baseline = spec.role == engine::ParameterRole::baseline;
            if (kind != (baseline ? "baseline" : "parameter")) {
                throw PosteriorColumnError(name, where + " fits '" + name + "' as a " + kind +
                                                     ", but model '" + model.name +
                                                     "' has it as a " +
                                                     (baseline ? "baseline" : "parameter"));
            }
            if (baseline && posterior.scenario_start != scenario.calendar.start().str()) {
                throw PosteriorColumnError(
                    name, where + " fits the baseline figure '" + name + "' of a run starting " +
                              posterior.scenario_start + "; scenario '" + scenario.name +
                              "' starts " + scenario.calendar.start().str() +
                              ": a starting figure does not carry over to another start");
            }
            for (std::size_t k = 0; k < n; ++k) {
                if (!spec.range.contains(posterior.particle(k, j))) {
                    throw PosteriorColumnError(
                        name, where + ": particle " + std::to_string(k) + " has '" + name +
                                  "' = " + std::to_string(posterior.particle(k, j)) +
                                  ", outside the model's range");
                }
            }
            column.kind = engine::JointDraws::Column::Kind::parameter;
            column.index = p;
            engine::ParameterSetting& setting = out.parameters.at(static_cast<std::size_t>(p));
            setting.provenance.source = "calibration posterior " + origin;
            setting.provenance.assumption.clear();
        }
        chosen.push_back(column);
        source.push_back(j);
    }
    if (chosen.empty()) {
        throw Error(where + ": no column chosen");
    }
    std::vector<double> values;
    values.reserve(n * chosen.size());
    for (std::size_t k = 0; k < n; ++k) {
        for (const std::size_t j : source) {
            values.push_back(posterior.particle(k, j));
        }
    }
    out.joint_draws = std::make_shared<const engine::JointDraws>(
        std::move(chosen), std::move(values), posterior.weights, where);
    return out;
}

std::vector<std::string> usable_columns(const engine::Scenario& scenario,
                                        const engine::ModelInfo& model,
                                        const CalibrationResult& posterior) {
    std::vector<std::string> out;
    for (const std::string& name : posterior.parameters) {
        try {
            (void)with_posterior(scenario, model, posterior, "", {name});
            out.push_back(name);
        } catch (const Error&) {
            // refused on its own: not one to suggest
        }
    }
    return out;
}

std::string columns_list(const std::vector<std::string>& names) {
    std::string out = "[";
    for (const std::string& n : names) {
        out += (out.size() > 1 ? ", \"" : "\"") + n + "\"";
    }
    return out + "]";
}

AttachedPosterior attach_posterior(const engine::Scenario& scenario,
                                   const engine::ModelInfo& model) {
    AttachedPosterior out;
    if (!scenario.posterior) {
        out.scenario = scenario;
        return out;
    }
    const engine::PosteriorReference& ref = *scenario.posterior;
    engine::Diagnostic& d = out.problem;
    d.file = ref.file;
    d.line = ref.line;
    d.column = ref.column;
    d.key = "scenario.posterior";
    std::optional<CalibrationResult> posterior;
    try {
        posterior = read_calibration_result(ref.path);
        out.scenario =
            with_posterior(scenario, model, *posterior, ref.path.generic_string(), ref.parameters);
    } catch (const PosteriorColumnError& e) {
        d.message = e.what();
        d.hint = "- choose the columns it can use with posterior_parameters = " +
                 columns_list(usable_columns(scenario, model, *posterior));
        // The column was chosen by posterior_parameters: point there, the key the user edits.
        const auto chosen = std::find(ref.parameters.begin(), ref.parameters.end(), e.column());
        const auto i = static_cast<std::size_t>(chosen - ref.parameters.begin());
        if (chosen != ref.parameters.end() && i < ref.parameter_places.size()) {
            const engine::PosteriorReference::Place& place = ref.parameter_places[i];
            d.file = place.file;
            d.line = place.line;
            d.column = place.column;
            d.key = "scenario.posterior_parameters[" + std::to_string(i) + "]";
        }
    } catch (const Error& e) {
        d.message = e.what();
    }
    return out;
}

} // namespace canopy::experiments
