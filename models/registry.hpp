#pragma once
/// \file registry.hpp
/// The models a scenario can name, behind one type-erased handle each.
///
/// To add a model: write it (see engine/include/canopy/engine/model.hpp), then add one line to
/// the table in registry.cpp. Nothing in the engine changes.

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/engine/scenario.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace canopy::models {

/// A model as the command line sees it: its description and a way to run an ensemble.
class ModelHandle {
public:
    virtual ~ModelHandle() = default;
    [[nodiscard]] virtual const engine::ModelInfo& info() const = 0;
    /// Runs an ensemble of the scenario (validated against this model).
    [[nodiscard]] virtual engine::Ensemble run(const engine::Scenario& scenario,
                                               const engine::EnsembleOptions& options) const = 0;
    /// Runs one replicate with explicit inputs and random key (probes such as
    /// engine::determine_by_inputs), its agents spread over the threads.
    [[nodiscard]] virtual engine::SeriesTable run_replicate(const engine::RunInputs& inputs,
                                                            const engine::RandomKey& key) const = 0;
    /// The model's estimate of its agents at the end of a run of the scenario (from each
    /// parameter's mean), or a negative number when the model makes none (resources.hpp).
    [[nodiscard]] virtual double agents_at_horizon(const engine::Scenario& scenario) const = 0;
    /// Resident bytes per agent for a run of the scenario (from each parameter's mean): the
    /// model's bytes_per_agent(parameters) where it has one (engine::ProvidesBytesPerAgent),
    /// else ModelInfo::bytes_per_agent. For engine::RunShape::bytes_per_agent.
    [[nodiscard]] virtual double bytes_per_agent(const engine::Scenario& /*scenario*/) const {
        return info().bytes_per_agent;
    }
};

/// Wraps any engine::Model.
template <engine::Model M>
class ModelAdapter final : public ModelHandle {
public:
    [[nodiscard]] const engine::ModelInfo& info() const override { return model_.info(); }
    [[nodiscard]] engine::Ensemble run(const engine::Scenario& scenario,
                                       const engine::EnsembleOptions& options) const override {
        return engine::run_ensemble(model_, scenario, options);
    }
    [[nodiscard]] engine::SeriesTable run_replicate(const engine::RunInputs& inputs,
                                                    const engine::RandomKey& key) const override {
        engine::Simulation<M> sim(model_, inputs, key, engine::Executor(true));
        engine::SeriesTable table;
        sim.run(table);
        return table;
    }
    [[nodiscard]] double agents_at_horizon(const engine::Scenario& scenario) const override {
        if constexpr (engine::ProvidesLeverAgentEstimate<M>) {
            std::vector<double> levers;
            levers.reserve(scenario.levers.size());
            for (const engine::LeverSetting& l : scenario.levers) {
                levers.push_back(l.schedule.largest());
            }
            return static_cast<double>(
                model_.agents_at_horizon(means(scenario), levers, scenario.calendar));
        } else if constexpr (engine::ProvidesAgentEstimate<M>) {
            return static_cast<double>(
                model_.agents_at_horizon(means(scenario), scenario.calendar));
        } else {
            return -1.0;
        }
    }
    [[nodiscard]] double bytes_per_agent(const engine::Scenario& scenario) const override {
        if constexpr (engine::ProvidesBytesPerAgent<M>) {
            return static_cast<double>(model_.bytes_per_agent(means(scenario)));
        } else {
            return model_.info().bytes_per_agent;
        }
    }

private:
    static std::vector<double> means(const engine::Scenario& scenario) {
        std::vector<double> out;
        out.reserve(scenario.parameters.size());
        for (const engine::ParameterSetting& p : scenario.parameters) {
            out.push_back(p.value.mean());
        }
        return out;
    }

    M model_;
};

/// The model registered under `name`, or nullptr.
const ModelHandle* find_model(const std::string& name);

/// Every registered model's name.
std::vector<std::string> model_names();

/// The shape of `replicates` replicates of each of `runs` (the base and each policy mix, kept
/// together) on `threads` threads, for engine::estimate_resources: the most indicators, agents
/// at the horizon and bytes per agent over the runs, as `model` estimates them.
engine::RunShape run_shape(const ModelHandle& model, std::span<const engine::Scenario> runs,
                           int replicates, int threads);

/// The catalog the scenario loader validates against.
engine::ModelCatalog model_catalog();

} // namespace canopy::models
