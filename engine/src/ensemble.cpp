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

RunInputs replicate_inputs(const Scenario& scenario, const RandomKey& key, int rk4_substeps) {
    RunInputs in;
    in.calendar = scenario.calendar;
    in.rk4_substeps = rk4_substeps;
    in.parameters.reserve(scenario.parameters.size());
    for (std::size_t i = 0; i < scenario.parameters.size(); ++i) {
        in.parameters.push_back(
            scenario.parameters[i].value.draw(key, static_cast<std::uint32_t>(i)));
    }
    in.levers = replicate_levers(scenario, key);
    if (scenario.joint_draws) {
        // A posterior's row replaces the independent draws of its parameter columns.
        const JointDraws& joint = *scenario.joint_draws;
        const std::size_t row = joint.pick(key);
        for (std::size_t c = 0; c < joint.columns().size(); ++c) {
            const JointDraws::Column& column = joint.columns()[c];
            if (column.kind == JointDraws::Column::Kind::parameter) {
                in.parameters.at(static_cast<std::size_t>(column.index)) = joint.value(row, c);
            }
        }
    }
    return in;
}

std::vector<Schedule> replicate_levers(const Scenario& scenario, const RandomKey& key) {
    std::vector<Schedule> levers;
    levers.reserve(scenario.levers.size());
    for (const LeverSetting& lever : scenario.levers) {
        levers.push_back(lever.schedule);
    }
    if (scenario.joint_draws) {
        // A posterior's lever column multiplies that lever's whole schedule.
        const JointDraws& joint = *scenario.joint_draws;
        const std::size_t row = joint.pick(key);
        for (std::size_t c = 0; c < joint.columns().size(); ++c) {
            const JointDraws::Column& column = joint.columns()[c];
            if (column.kind != JointDraws::Column::Kind::parameter) {
                auto& schedule = levers.at(static_cast<std::size_t>(column.index));
                schedule = schedule.scaled(joint.value(row, c));
            }
        }
    }
    return levers;
}

} // namespace canopy::engine
