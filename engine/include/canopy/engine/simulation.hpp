#pragma once
/// \file simulation.hpp
/// One run of one model: the engine's step loop, which owns the coupling order.
///
/// Each step (see model.hpp): sample levers -> agents -> stocks (RK4 over the step, agents'
/// aggregates fixed) -> observe. The series of a run are a [step][series] table.

#include <canopy/engine/calendar.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/schedule.hpp>
#include <canopy/engine/sd.hpp>

#include <span>
#include <vector>

namespace canopy::engine {

/// What one run needs besides the model: its clock, parameter values and lever schedules.
struct RunInputs {
    Calendar calendar{YearMonth{2023, 1}, 12};
    std::vector<double> parameters; ///< one per ModelInfo::parameters, this replicate's values
    std::vector<Schedule> levers;   ///< one per ModelInfo::levers
    int rk4_substeps = 4;           ///< RK4 steps per model step
};

/// The series of one run: row 0 is the state after init (flows are zero there), row s + 1
/// the end of step s. Row-major [row][series].
struct SeriesTable {
    int rows = 0;
    int series = 0;
    std::vector<double> values;

    void resize(int n_rows, int n_series) {
        rows = n_rows;
        series = n_series;
        values.assign(static_cast<std::size_t>(n_rows) * static_cast<std::size_t>(n_series), 0.0);
    }
    [[nodiscard]] std::span<double> row(int r) {
        return {values.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(series),
                static_cast<std::size_t>(series)};
    }
    [[nodiscard]] double at(int r, int k) const {
        return values[static_cast<std::size_t>(r) * static_cast<std::size_t>(series) +
                      static_cast<std::size_t>(k)];
    }
};

/// Drives one replicate of model M. Set up with init(), then step() until done().
template <Model M>
class Simulation {
public:
    /// Throws canopy::Error if the inputs do not match the model's description.
    Simulation(const M& model, const RunInputs& inputs, RandomKey key, Executor executor)
        : model_(model)
        , inputs_(inputs)
        , executor_(executor) {
        const ModelInfo& info = model_.info();
        if (inputs_.parameters.size() != info.parameters.size()) {
            throw Error("model '" + info.name + "' expects " +
                        std::to_string(info.parameters.size()) + " parameter values, got " +
                        std::to_string(inputs_.parameters.size()));
        }
        if (inputs_.levers.size() != info.levers.size()) {
            throw Error("model '" + info.name + "' expects " + std::to_string(info.levers.size()) +
                        " lever schedules, got " + std::to_string(inputs_.levers.size()));
        }
        if (inputs_.rk4_substeps < 1) {
            throw Error("rk4_substeps must be at least 1");
        }
        const auto n_stocks = static_cast<Eigen::Index>(info.stocks.size());
        stocks_.setZero(n_stocks);
        start_stocks_.setZero(n_stocks);
        rk4_.resize(n_stocks);
        lever_values_.assign(info.levers.size(), 0.0);
        ctx_.calendar = &inputs_.calendar;
        ctx_.key = key;
        ctx_.parameters = inputs_.parameters;
        ctx_.levers = lever_values_;
        ctx_.stocks = &start_stocks_;
        ctx_.executor = &executor_;
    }

    Simulation(const Simulation&) = delete; // ctx_ points into this object
    Simulation& operator=(const Simulation&) = delete;

    /// Builds the initial state (agents, networks, stocks).
    void init() {
        ctx_.step = 0;
        sample_levers(0);
        model_.init(state_, ctx_, stocks_);
        if (stocks_.size() != static_cast<Eigen::Index>(model_.info().stocks.size())) {
            throw Error("model '" + model_.info().name + "' resized its stock vector in init");
        }
        initialised_ = true;
    }

    /// Advances one step and writes that step's series into row.
    void step(std::span<double> row) {
        const int s = step_;
        ctx_.step = s;
        sample_levers(s);
        start_stocks_ = stocks_;
        model_.step_agents(state_, ctx_);
        if (stocks_.size() > 0) {
            const double h = inputs_.calendar.dt_months() / inputs_.rk4_substeps;
            rk4_.integrate(stocks_, inputs_.calendar.months_at_start(s), h, inputs_.rk4_substeps,
                           [&](double, const Eigen::VectorXd& y, Eigen::VectorXd& dydt) {
                               model_.stock_rates(state_, ctx_, y, dydt);
                           });
        }
        start_stocks_ = stocks_; // observe sees the end-of-step stocks
        model_.observe(state_, ctx_, row);
        ++step_;
    }

    /// Writes the series of the state after init (row 0 of a table): flows are zero.
    void observe_initial(std::span<double> row) {
        ctx_.step = 0;
        start_stocks_ = stocks_;
        model_.observe(state_, ctx_, row);
    }

    /// Runs init() and every step into table (steps + 1 rows).
    void run(SeriesTable& table) {
        const auto& info = model_.info();
        table.resize(inputs_.calendar.steps() + 1, static_cast<int>(info.series.size()));
        if (!initialised_) {
            init();
        }
        observe_initial(table.row(0));
        while (!done()) {
            step(table.row(step_ + 1));
        }
    }

    [[nodiscard]] bool done() const noexcept { return step_ >= inputs_.calendar.steps(); }
    [[nodiscard]] int current_step() const noexcept { return step_; }
    [[nodiscard]] const typename M::State& state() const noexcept { return state_; }
    [[nodiscard]] const Eigen::VectorXd& stocks() const noexcept { return stocks_; }

private:
    void sample_levers(int s) {
        const double t = inputs_.calendar.months_at_start(s);
        for (std::size_t i = 0; i < lever_values_.size(); ++i) {
            lever_values_[i] = inputs_.levers[i].at(t);
        }
    }

    const M& model_;
    RunInputs inputs_;
    Executor executor_;
    typename M::State state_{};
    Eigen::VectorXd stocks_;
    Eigen::VectorXd start_stocks_;
    Rk4 rk4_;
    std::vector<double> lever_values_;
    StepContext ctx_;
    int step_ = 0;
    bool initialised_ = false;
};

} // namespace canopy::engine
