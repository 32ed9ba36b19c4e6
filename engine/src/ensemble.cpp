#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/error.hpp>

#include <iterator>
#include <string>

namespace canopy::engine {

void append_replicates(Ensemble& into, Ensemble&& block) {
    if (into.runs.empty()) {
        into = std::move(block);
        return;
    }
    const std::size_t next = into.first_replicate + into.replicates();
    if (block.seed != into.seed || block.first_replicate != next) {
        throw Error("replicates from " + std::to_string(block.first_replicate) + " (seed " +
                    std::to_string(block.seed) + ") do not follow replicates " +
                    std::to_string(into.first_replicate) + " .. " + std::to_string(next - 1) +
                    " (seed " + std::to_string(into.seed) + ")");
    }
    into.runs.insert(into.runs.end(), std::make_move_iterator(block.runs.begin()),
                     std::make_move_iterator(block.runs.end()));
    into.parameters.insert(into.parameters.end(), std::make_move_iterator(block.parameters.begin()),
                           std::make_move_iterator(block.parameters.end()));
}

namespace {

// The replicate's row of the scenario's joint draws (a posterior), picked once: it replaces the
// parameter columns' draws in `parameters` (when given) and multiplies each lever column's
// whole schedule in `levers`.
void apply_joint_row(const Scenario& scenario, const RandomKey& key,
                     std::vector<double>* parameters, std::vector<Schedule>& levers) {
    if (!scenario.joint_draws) {
        return;
    }
    const JointDraws& joint = *scenario.joint_draws;
    const std::size_t row = joint.pick(key);
    for (std::size_t c = 0; c < joint.columns().size(); ++c) {
        const JointDraws::Column& column = joint.columns()[c];
        const auto i = static_cast<std::size_t>(column.index);
        if (column.kind != JointDraws::Column::Kind::parameter) {
            levers.at(i) = levers.at(i).scaled(joint.value(row, c));
        } else if (parameters != nullptr) {
            parameters->at(i) = joint.value(row, c);
        }
    }
}

std::vector<Schedule> scenario_levers(const Scenario& scenario) {
    std::vector<Schedule> levers;
    levers.reserve(scenario.levers.size());
    for (const LeverSetting& lever : scenario.levers) {
        levers.push_back(lever.schedule);
    }
    return levers;
}

} // namespace

RunInputs replicate_inputs(const Scenario& scenario, const RandomKey& key, int rk4_substeps) {
    RunInputs in;
    in.calendar = scenario.calendar;
    in.rk4_substeps = rk4_substeps;
    in.parameters.reserve(scenario.parameters.size());
    for (std::size_t i = 0; i < scenario.parameters.size(); ++i) {
        in.parameters.push_back(
            scenario.parameters[i].value.draw(key, static_cast<std::uint32_t>(i)));
    }
    in.levers = scenario_levers(scenario);
    apply_joint_row(scenario, key, &in.parameters, in.levers);
    return in;
}

std::vector<Schedule> replicate_levers(const Scenario& scenario, const RandomKey& key) {
    std::vector<Schedule> levers = scenario_levers(scenario);
    apply_joint_row(scenario, key, nullptr, levers);
    return levers;
}

} // namespace canopy::engine
