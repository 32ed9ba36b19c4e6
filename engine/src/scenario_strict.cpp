// The strict check: every number a scenario runs with has an owner — the scenario's source or
// assumption, or the model's documented basis for its default.
#include <canopy/engine/scenario.hpp>

#include <cmath>
#include <sstream>

namespace canopy::engine {

namespace {

std::string number(double x) {
    std::ostringstream out;
    out << x;
    return out.str();
}

} // namespace

Diagnostics unsourced_defaults(const Scenario& scenario, const ModelInfo& model) {
    Diagnostics out;
    const std::string file = scenario.path.empty() ? scenario.name : scenario.path.string();
    const auto add = [&](const std::string& key, const std::string& what, const std::string& name,
                         double value, const std::string& unit, const std::string& section) {
        Diagnostic d;
        d.file = file;
        // A key the file does not have: reported at its start (docs/scenario-format.md).
        d.line = 1;
        d.column = 1;
        d.key = key;
        d.message = what + " '" + name + "' is not set and falls back to the model's default (" +
                    number(value) + (unit.empty() ? "" : " " + unit) +
                    "), which has no source or reasoning";
        d.allowed = "[" + section + "." + name + "] with " +
                    (section == "levers" ? "a value or schedule" : "a value or distribution") +
                    " and its source or assumption";
        out.add(std::move(d));
    };
    for (std::size_t i = 0; i < scenario.parameters.size() && i < model.parameters.size(); ++i) {
        const ParameterSpec& spec = model.parameters[i];
        if (!scenario.parameters[i].provenance.from_scenario && spec.provenance.empty()) {
            const bool baseline = spec.role == ParameterRole::baseline;
            add((baseline ? "baseline." : "parameters.") + spec.name,
                baseline ? "baseline figure" : "parameter", spec.name, spec.default_value,
                spec.unit, baseline ? "baseline" : "parameters");
        }
    }
    for (std::size_t i = 0; i < scenario.levers.size() && i < model.levers.size(); ++i) {
        const LeverSpec& spec = model.levers[i];
        if (!scenario.levers[i].provenance.from_scenario && spec.provenance.empty()) {
            add("levers." + spec.name, "lever", spec.name, spec.default_value, spec.unit, "levers");
        }
    }
    return out;
}

} // namespace canopy::engine
