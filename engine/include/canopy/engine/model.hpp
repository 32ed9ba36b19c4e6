#pragma once
/// \file model.hpp
/// How to add a model to Canopy: the one extension point.
///
/// A model is a class that satisfies the `canopy::engine::Model` concept below. To add one:
///
///  1. Create `models/<name>/` with a class `canopy::models::<name>::Model`.
///  2. Give it a nested `State` type (the agents, as struct-of-arrays columns in an
///     engine::Population, and whatever aggregates the step needs) and the member functions the
///     concept lists. The engine calls them in this order each step (the coupling order is the
///     engine's, not the model's, so every model is coupled the same documented way):
///
///        levers   <- each lever's schedule sampled at the start of the step
///        agents   model.step_agents(state, ctx)      agents read levers and SD stocks as they
///                                                    were at the start of the step, act, and
///                                                    leave their aggregates in `state`
///        stocks   RK4 over dt of model.stock_rates(state, ctx, y, dydt), with the agents'
///                 aggregates held fixed over the step (operator splitting: ABM first, then SD)
///        observe  model.observe(state, ctx, row)     end-of-step values of every series
///
///  3. Describe it in `info()`: its parameters, levers, series and stocks, each by snake_case
///     name with unit and allowed range. Scenarios refer to these names; the engine resolves
///     names to indices once, so the step itself never looks anything up by name.
///  4. Register it in `models/registry.cpp` so scenarios can say `model = "<name>"`.
///
/// Required: `State`, `info()`, `init()`, `step_agents()`, `stock_rates()`, `observe()`.
/// A model without SD stocks declares none and leaves `stock_rates` empty. A model that
/// misses a required member fails to compile at the `static_assert(Model<...>)` in its
/// header with the concept's name in the message.

#include <canopy/engine/calendar.hpp>
#include <canopy/engine/random.hpp>

#include <Eigen/Core>

#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace canopy::engine {

/// An allowed interval for a number, inclusive.
struct Range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    [[nodiscard]] bool contains(double x) const noexcept { return x >= min && x <= max; }
};

/// Whether a number describes the initial state (a baseline figure) or behaviour (a parameter).
enum class ParameterRole { parameter, baseline };

/// A named number the model reads: a behavioural parameter or a baseline figure.
struct ParameterSpec {
    std::string name;
    std::string unit;
    std::string description;
    double default_value = 0.0;
    Range range;
    ParameterRole role = ParameterRole::parameter;
    bool integer = false; ///< only whole numbers are meaningful (counts of firms, say)
    /// Where the default comes from: a citation, or the reasoning behind it. Empty when the
    /// default has neither; `canopy validate --strict` then reports a scenario that relies on it.
    std::string provenance{};
};

/// A policy lever: an intensity the city controls, given a schedule by the scenario.
struct LeverSpec {
    std::string name;
    std::string unit;
    std::string description;
    double default_value = 0.0;
    Range range;
    std::string group; ///< "finance", "talent", "platform", "enterprise"
    /// Where the default comes from (as ParameterSpec::provenance); empty when unsourced.
    std::string provenance{};
};

/// Whether a series is a level at the end of each step or an amount accrued during the step.
enum class SeriesKind { stock, flow };

/// A quantity the model reports every step.
struct SeriesSpec {
    std::string name;
    std::string unit;
    std::string description;
    SeriesKind kind = SeriesKind::stock;
};

/// A system-dynamics stock integrated by the engine.
struct StockSpec {
    std::string name;
    std::string unit;
    std::string description;
};

/// What a model offers, by name. Index i of each list is the index the model uses internally.
struct ModelInfo {
    std::string name;
    std::string description;
    std::vector<ParameterSpec> parameters;
    std::vector<LeverSpec> levers;
    std::vector<SeriesSpec> series;
    std::vector<StockSpec> stocks;

    /// Index of a name in each list, or -1.
    [[nodiscard]] int parameter_index(const std::string& name) const;
    [[nodiscard]] int lever_index(const std::string& name) const;
    [[nodiscard]] int series_index(const std::string& name) const;
    [[nodiscard]] int stock_index(const std::string& name) const;
};

/// Hands a model's step its work across threads without exposing TBB (parallel.hpp).
class Executor;

/// Everything one step of one replicate may read. Built by the engine; the model never keeps it.
struct StepContext {
    int step = 0;                       ///< 0-based step index
    const Calendar* calendar = nullptr; ///< the run's clock
    RandomKey key;                      ///< (seed, replicate)
    std::span<const double> parameters; ///< this replicate's parameter values, ModelInfo order
    std::span<const double> levers;     ///< lever values at the start of this step, ModelInfo order
    const Eigen::VectorXd* stocks = nullptr; ///< SD stocks at the start of the step
    const Executor* executor = nullptr;      ///< where to run agent loops in parallel

    /// The random stream for one agent and purpose at this step.
    [[nodiscard]] Stream stream(std::uint32_t agent, Purpose purpose) const noexcept {
        return Stream(key, agent, static_cast<std::uint32_t>(step), purpose);
    }
    [[nodiscard]] double dt_months() const noexcept { return calendar->dt_months(); }
    [[nodiscard]] YearMonth month() const { return calendar->month_of_step(step); }
};

/// The context `init` receives: like a step's, at step 0 before anything has happened.
using InitContext = StepContext;

/// The extension point. See the file comment for how to add a model.
template <class M>
concept Model = requires(const M& model, typename M::State& state, const StepContext& ctx,
                         Eigen::VectorXd& stocks0, const Eigen::VectorXd& y, Eigen::VectorXd& dydt,
                         std::span<double> row) {
    typename M::State;
    /// Names, units and ranges of everything the model offers.
    { model.info() } -> std::convertible_to<const ModelInfo&>;
    /// Build the initial agents and SD stocks (sized by the engine) from parameters and
    /// baseline figures.
    { model.init(state, ctx, stocks0) } -> std::same_as<void>;
    /// The agent-based phase of one step.
    { model.step_agents(state, ctx) } -> std::same_as<void>;
    /// d(stocks)/dt in units per month, agents' aggregates held fixed (may be empty).
    { model.stock_rates(std::as_const(state), ctx, y, dydt) } -> std::same_as<void>;
    /// End-of-step values of every series, in ModelInfo::series order.
    { model.observe(std::as_const(state), ctx, row) } -> std::same_as<void>;
};

} // namespace canopy::engine
