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
///     names to indices once, so the step itself never looks anything up by name. Where a
///     range alone cannot say what is allowed, add `constraints` across parameters (shares
///     that must sum to at most 1, a window's first month before its last, values whose
///     product must stay finite), and set `max_horizon_months` if the model's types hold a
///     longer (or only a shorter) horizon than DEFAULT_MAX_HORIZON_MONTHS (limits.hpp). The
///     scenario loader checks both, for the base scenario and every policy mix.
///  4. Register it in `models/registry.cpp` so scenarios can say `model = "<name>"`.
///
/// Required: `State`, `info()`, `init()`, `step_agents()`, `stock_rates()`, `observe()`.
/// Optional: `agents_at_horizon(parameters, calendar)` (see `ProvidesAgentEstimate` below), or
/// `agents_at_horizon(parameters, levers, calendar)`: an estimate of the agents alive at the end
/// of a run, from which the command line estimates a
/// run's memory before starting it (resources.hpp). Without it only the series are counted.
/// Optional: `bytes_per_agent(parameters)` (see `ProvidesBytesPerAgent` below), for a model
/// whose memory per agent depends on its parameters (ties per firm); without it
/// ModelInfo::bytes_per_agent is used whatever the parameters.
/// A model without SD stocks declares none and leaves `stock_rates` empty. A model that
/// misses a required member fails to compile at the `static_assert(Model<...>)` in its
/// header with the concept's name in the message.

#include <canopy/engine/calendar.hpp>
#include <canopy/engine/limits.hpp>
#include <canopy/engine/random.hpp>

#include <Eigen/Core>

#include <concepts>
#include <cstdint>
#include <functional>
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
    /// Whether the series can take values below 0 (a growth rate): calibration refuses a
    /// negative figure for the level or the flow of one that cannot (a count of firms).
    bool can_be_negative = false;
};

/// A system-dynamics stock integrated by the engine.
struct StockSpec {
    std::string name;
    std::string unit;
    std::string description;
};

/// A rule across parameters that their ranges alone cannot state.
///
/// The scenario loader checks each one for the base scenario and for every policy mix, over
/// every value the parameters can take: a parameter given as a distribution is checked at the
/// smallest and largest value its sampler can draw (Uncertain::draw_min, draw_max), so no
/// replicate can break the rule. A broken rule is one diagnostic naming every parameter
/// involved with the file and line that set it (or "the model's default").
struct ParameterConstraint {
    enum class Kind {
        sum_at_most,     ///< parameters[0] + ... <= bound (shares of one whole)
        sum_equals,      ///< parameters[0] + ... == bound within tolerance, for every draw
        ordered,         ///< parameters[0] <= parameters[1] <= ... (a window's first and last)
        product_at_most, ///< |parameters[0] * ...| <= bound: what the model multiplies stays
                         ///< finite (and meaningful); one parameter bounds its draws
        positive,        ///< margin(parameters) > 0, a rule no sum or order states; checked at
                         ///< every corner of the draws' box, so margin must be monotone in each
                         ///< parameter (at most MAX_POSITIVE_TERMS of them)
    };
    static constexpr std::size_t MAX_POSITIVE_TERMS = 12;
    Kind kind = Kind::sum_at_most;
    std::vector<std::string> parameters; ///< names in ModelInfo::parameters
    double bound = 1.0;                  ///< sum_at_most, sum_equals, product_at_most
    double tolerance = 1e-9;             ///< sum_at_most, sum_equals: rounding allowed
    std::string what;   ///< how a planner calls the quantity, e.g. "the sector shares"
    std::string reason; ///< why the rule holds, shown with the diagnostic
    /// positive: the values of `parameters`, in order, to a number that must exceed 0, and the
    /// rule as a planner reads it (the diagnostic's "allowed"), e.g. "initial_loan_growth >
    /// e^(-12 / loan_term_months) - 1".
    std::function<double(std::span<const double>)> margin;
    std::string condition;

    static ParameterConstraint sum_at_most(std::vector<std::string> names, double bound,
                                           std::string what, std::string reason);
    static ParameterConstraint sum_equals(std::vector<std::string> names, double bound,
                                          std::string what, std::string reason);
    static ParameterConstraint ordered(std::vector<std::string> names, std::string what,
                                       std::string reason);
    static ParameterConstraint product_at_most(std::vector<std::string> names, double bound,
                                               std::string what, std::string reason);
    static ParameterConstraint positive(std::vector<std::string> names,
                                        std::function<double(std::span<const double>)> margin,
                                        std::string condition, std::string what,
                                        std::string reason);
};

/// A relation between parameters that a scenario should keep at their means but may break in
/// some draws (independent priors of a stock and its capacity overlap): broken at the means, the
/// model still runs, but not as the scenario means it to, so `canopy validate` and `canopy run`
/// say so in a note (advisory_notes), never an error.
struct ParameterAdvisory {
    std::vector<std::string> parameters; ///< names in ModelInfo::parameters
    /// The values of `parameters` (each parameter's mean), in order, to a number that exceeds 0
    /// where the relation holds.
    std::function<double(std::span<const double>)> margin;
    std::string condition;   ///< the relation as a planner reads it, "seats > initial_incubating"
    std::string consequence; ///< what the run does when it is broken, and where it is explained
};

/// What a model offers, by name. Index i of each list is the index the model uses internally.
struct ModelInfo {
    std::string name;
    std::string description;
    std::vector<ParameterSpec> parameters;
    std::vector<LeverSpec> levers;
    std::vector<SeriesSpec> series;
    std::vector<StockSpec> stocks;
    /// Rules across parameters (see ParameterConstraint); checked by the scenario loader.
    std::vector<ParameterConstraint> constraints;
    /// Relations kept at the parameters' means (see ParameterAdvisory); said in notes.
    std::vector<ParameterAdvisory> advisories;
    /// The longest horizon the model's types and equations hold, in months from the first
    /// month to the last inclusive; at most MAX_HORIZON_MONTHS. A scenario asking for more is
    /// refused at validation with `horizon_reason`.
    int max_horizon_months = DEFAULT_MAX_HORIZON_MONTHS;
    /// Why the horizon is bounded where it is, for the diagnostic.
    std::string horizon_reason = "models are checked over a century at most unless they "
                                 "declare a longer horizon";
    /// Whether the model's rates follow the step's length (StepContext::dt_months), so that it
    /// can run weekly steps. A model whose rules are stated per monthly step leaves this false
    /// and says why in `monthly_reason`: a weekly scenario is then refused at validation,
    /// instead of applying monthly rates every week.
    bool weekly_steps = true;
    std::string monthly_reason;
    /// Resident bytes per agent (state columns and network ties), for the memory estimate of
    /// a model that provides agents_at_horizon; 0 when unknown. A model whose figure depends on
    /// its parameters also provides bytes_per_agent(parameters) (ProvidesBytesPerAgent), and
    /// this is its figure at the defaults.
    double bytes_per_agent = 0.0;
    /// Agent-steps per second on one thread, as measured (canopy-bench), for the time
    /// estimate of a run (resources.hpp); 0 when unknown.
    double agent_steps_per_second = 0.0;
    /// Seconds on one thread to set up one agent of a replicate (its initial population and
    /// network), which the step rate leaves out, for the same estimate; 0 when unknown or
    /// already folded into agent_steps_per_second. Counted per agent at the horizon.
    double setup_seconds_per_agent = 0.0;

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

/// The optional estimate of a model's agents alive at the end of a run, from parameter values
/// (ModelInfo order; each parameter's mean) and the run's calendar. Used only to estimate a
/// run's memory before it starts (with ModelInfo::bytes_per_agent); it need not be exact, but
/// should not be low by more than a small factor.
template <class M>
concept ProvidesAgentEstimate = requires(const M& model, std::span<const double> parameters,
                                         const Calendar& calendar) {
    { model.agents_at_horizon(parameters, calendar) } -> std::convertible_to<double>;
};

/// The same estimate for a model whose arrivals follow its levers as well (a programme that
/// founds firms): `levers` holds each lever's largest level over the run (ModelInfo::levers
/// order, Schedule::largest). Preferred to ProvidesAgentEstimate when a model has both.
template <class M>
concept ProvidesLeverAgentEstimate = requires(const M& model, std::span<const double> parameters,
                                              std::span<const double> levers,
                                              const Calendar& calendar) {
    { model.agents_at_horizon(parameters, levers, calendar) } -> std::convertible_to<double>;
};

/// The optional estimate of a model's peak resident bytes per agent at the horizon, from
/// parameter values (ModelInfo order; each parameter's mean), for a model whose memory per
/// agent depends on them (a network's ties per firm, say). Used instead of
/// ModelInfo::bytes_per_agent; like agents_at_horizon it need not be exact, but should not be
/// low, nor high by more than a small factor.
template <class M>
concept ProvidesBytesPerAgent = requires(const M& model, std::span<const double> parameters) {
    { model.bytes_per_agent(parameters) } -> std::convertible_to<double>;
};

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
