#pragma once
// Small ecosystem runs for the mechanism tests: a city a sixth of Wuhan's size, parameters and
// levers by name, direct access to the final agent state.
#include "ecosystem/ecosystem_model.hpp"

#include <canopy/engine/simulation.hpp>

#include <map>
#include <memory>
#include <string>

namespace canopy::test {

namespace eco = canopy::models::ecosystem;

/// Inputs of one small run: the model's defaults scaled down, then the given overrides.
struct EcoRun {
    std::map<std::string, double> parameters;
    std::map<std::string, engine::Schedule> levers;
    engine::YearMonth start{2022, 1};
    int steps = 24;
    engine::TimeUnit unit = engine::TimeUnit::month;
    std::uint64_t seed = 1;
    std::uint32_t replicate = 0;
};

inline const eco::Model& ecosystem_model() {
    static const eco::Model model;
    return model;
}

inline engine::RunInputs eco_inputs(const EcoRun& run) {
    const auto& info = ecosystem_model().info();
    engine::RunInputs in;
    in.calendar = engine::Calendar(run.start, run.steps, run.unit);
    for (const auto& p : info.parameters) {
        in.parameters.push_back(p.default_value);
    }
    for (const auto& l : info.levers) {
        in.levers.push_back(engine::Schedule::constant(l.default_value));
    }
    const std::map<std::string, double> small = {
        {"initial_incubating", 2000}, {"initial_smes", 2000},     {"initial_high_tech", 1500},
        {"initial_leaders", 20},      {"initial_incubators", 70}, {"startup_rate", 110},
        {"spinoff_rate", 7},          {"sme_entry_rate", 25},     {"seat_half_saturation", 50},
    };
    for (const auto& [name, value] : small) {
        in.parameters[static_cast<std::size_t>(info.parameter_index(name))] = value;
    }
    for (const auto& [name, value] : run.parameters) {
        const int k = info.parameter_index(name);
        if (k < 0) {
            throw Error("test: no parameter " + name);
        }
        in.parameters[static_cast<std::size_t>(k)] = value;
    }
    for (const auto& [name, schedule] : run.levers) {
        const int k = info.lever_index(name);
        if (k < 0) {
            throw Error("test: no lever " + name);
        }
        in.levers[static_cast<std::size_t>(k)] = schedule;
    }
    return in;
}

/// A finished run: the series table and the simulation (for its final state).
struct EcoResult {
    engine::SeriesTable table;
    std::unique_ptr<engine::Simulation<eco::Model>> sim;
    engine::RunInputs inputs;

    [[nodiscard]] double at(int row, eco::series::Id s) const { return table.at(row, s); }
    /// Sum of a flow series over rows [first, last].
    [[nodiscard]] double sum(eco::series::Id s, int first, int last) const {
        double total = 0.0;
        for (int r = first; r <= last; ++r) {
            total += table.at(r, s);
        }
        return total;
    }
    [[nodiscard]] const eco::Model::State& state() const { return sim->state(); }
};

inline EcoResult run_eco(const EcoRun& run, bool parallel = false) {
    EcoResult r;
    r.inputs = eco_inputs(run);
    r.sim = std::make_unique<engine::Simulation<eco::Model>>(
        ecosystem_model(), r.inputs, engine::RandomKey{run.seed, run.replicate},
        engine::Executor(parallel));
    r.sim->run(r.table);
    return r;
}

/// Runs step by step, calling inspect(step, simulation) after each step.
template <class F>
EcoResult run_eco_stepwise(const EcoRun& run, F&& inspect) {
    EcoResult r;
    r.inputs = eco_inputs(run);
    r.sim = std::make_unique<engine::Simulation<eco::Model>>(
        ecosystem_model(), r.inputs, engine::RandomKey{run.seed, run.replicate},
        engine::Executor(false));
    const auto& info = ecosystem_model().info();
    r.table.resize(run.steps + 1, static_cast<int>(info.series.size()));
    r.sim->init();
    r.sim->observe_initial(r.table.row(0));
    while (!r.sim->done()) {
        const int s = r.sim->current_step();
        r.sim->step(r.table.row(s + 1));
        inspect(s, *r.sim);
    }
    return r;
}

} // namespace canopy::test
