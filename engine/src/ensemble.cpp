#include <canopy/engine/ensemble.hpp>

namespace canopy::engine {

RunInputs replicate_inputs(const Scenario& scenario, const RandomKey& key, int rk4_substeps) {
    RunInputs in;
    in.calendar = scenario.calendar;
    in.rk4_substeps = rk4_substeps;
    in.parameters.reserve(scenario.parameters.size());
    for (std::size_t i = 0; i < scenario.parameters.size(); ++i) {
        in.parameters.push_back(
            scenario.parameters[i].value.draw(key, static_cast<std::uint32_t>(i)));
    }
    in.levers.reserve(scenario.levers.size());
    for (const LeverSetting& lever : scenario.levers) {
        in.levers.push_back(lever.schedule);
    }
    return in;
}

} // namespace canopy::engine
