#pragma once
/// \file scenario.hpp
/// A scenario: the declarative TOML file a planner writes, validated once into an immutable
/// object that runners, ensembles and sweeps are handed.
///
/// The file format is documented in docs/scenario-format.md. In short:
///
///     extends = "base.toml"              # optional: start from another scenario file
///     [scenario]   name, title, description, model, start, end, time_step, seed, replicates,
///                  precision, posterior, posterior_parameters, policy_start
///     [baseline.<name>]    value | distribution + its fields, unit, source | assumption
///                          (initial state figures; a prior for one never published)
///     [parameters.<name>]  value | distribution + its fields, source | assumption
///     [levers.<name>]      schedule + its fields, cost_per_unit_year, cost_per_unit_added,
///                          cost_per_outcome + cost_outcome, cost_unit, source | assumption
///     [budget]             currency, conversions, cap_per_year, cap_total, source | assumption
///     [indicators.<id>]    kind, series, at, from, to, numerator, denominator, scale, unit
///     [targets.<id>]       indicator, comparison, threshold, unit, description, source
///     [policy_mixes.<name>] description, [policy_mixes.<name>.levers.<lever>] (scale, or a
///                          whole schedule), [policy_mixes.<name>.parameters.<name>]
///
/// Every number a planner supplies carries a `source` or an `assumption` (its reasoning).

#include <canopy/engine/budget.hpp>
#include <canopy/engine/calendar.hpp>
#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/indicator.hpp>
#include <canopy/engine/joint_draws.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/schedule.hpp>
#include <canopy/engine/target.hpp>
#include <canopy/engine/uncertain.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canopy::engine {

/// Where a number comes from: a citation, or an assumption with its reasoning.
struct Provenance {
    std::string source;
    std::string assumption;
    bool from_scenario = false; ///< false: the model's documented default was used
};

/// A baseline figure or parameter as the scenario sets it.
struct ParameterSetting {
    Uncertain value;
    Provenance provenance;
};

/// A lever's schedule, cost and provenance.
struct LeverSetting {
    Schedule schedule = Schedule::constant(0.0);
    LeverCost cost;
    Provenance provenance;
};

/// A named alternative to the base: some levers and parameters replaced.
struct PolicyMix {
    std::string name;
    std::string description;
    std::vector<std::pair<int, LeverSetting>> levers;         ///< (lever index, setting)
    std::vector<std::pair<int, ParameterSetting>> parameters; ///< (parameter index, setting)
};

/// A calibration posterior a scenario names (`[scenario] posterior`). The loader checks that the
/// file exists and that the names are the model's; reading it and attaching its draws
/// (Scenario::joint_draws) is the experiments layer's (experiments/posterior.hpp).
struct PosteriorReference {
    std::filesystem::path path;          ///< resolved against the naming file's directory
    std::vector<std::string> parameters; ///< `posterior_parameters`: the columns to use; empty: all
    std::string file;                    ///< where the key is written, for diagnostics
    int line = 0;
    int column = 0;
    /// Where each of `parameters` is written (a scenario that extends another may choose the
    /// columns of the posterior its parent names), for diagnostics.
    struct Place {
        std::string file;
        int line = 0;
        int column = 0;
    };
    std::vector<Place> parameter_places;
};

/// A validated scenario. Immutable once loaded.
struct Scenario {
    std::string name;
    std::string title;
    std::string description;
    std::string model;
    std::filesystem::path path;
    std::string text; ///< the full text of the file and of every file it extends, in order
    /// Every file read to load it: the scenario itself, then each file it extends, in the order
    /// read (as named in diagnostics). An output must not overwrite any of them.
    std::vector<std::filesystem::path> files;
    Calendar calendar{YearMonth{2023, 1}, 12};
    /// The first month planners decide (`policy_start`, default the run's start): a lever set
    /// by an experiment keeps its schedule before this month and takes its new level from it.
    YearMonth policy_start{2023, 1};
    std::uint64_t seed = 1;
    int replicates = 100;
    /// `precision`: stop once every target's P(attain) is settled to this half-width, with
    /// `replicates` the most (experiments/precision.hpp); 0 runs every replicate.
    double precision = 0.0;
    std::vector<ParameterSetting> parameters; ///< one per ModelInfo::parameters
    std::vector<LeverSetting> levers;         ///< one per ModelInfo::levers
    std::vector<IndicatorSpec> indicators;
    std::vector<TargetSpec> targets;
    std::vector<PolicyMix> policy_mixes;
    Budget budget; ///< the currency of every cost, conversions, caps (budget.hpp)
    /// The posterior named by the file, if any (not yet read).
    std::optional<PosteriorReference> posterior;
    /// Parameter rows drawn jointly per replicate (ensemble.hpp): a posterior once attached.
    std::shared_ptr<const JointDraws> joint_draws;

    /// The scenario with policy mix `name` applied (levers and parameters replaced); throws
    /// canopy::Error if there is no such mix. An empty name returns the base. A parameter the
    /// mix sets is no longer drawn from `joint_draws`: its column is dropped (the others keep
    /// their rows), so the mix's own value or distribution is what every replicate runs.
    [[nodiscard]] Scenario with_policy_mix(const std::string& name) const;

    /// Cost of lever `lever` over the horizon from its schedule alone (per unit held and per
    /// unit added), in its cost unit. Per-outcome costs need a run: budget.hpp.
    [[nodiscard]] double lever_cost(std::size_t lever) const;
};

/// What a lever setting costs over a calendar's horizon, in its cost unit
/// (docs/scenario-format.md, "Lever cost").
[[nodiscard]] double lever_cost(const LeverSetting& lever, const Calendar& calendar);

/// The same cost converted into the scenario's currency (LeverCost::to_currency), step by step
/// as budget.hpp converts and sums it: what the outputs report for these two terms. Infinite
/// when the conversion overflows, which the loader and --set refuse.
[[nodiscard]] double lever_cost_in_currency(const LeverSetting& lever, const Calendar& calendar);

/// The model's rules across parameters (ModelInfo::constraints) that `parameters` (one per
/// model parameter) break, one message each with what is allowed. The loader checks files
/// itself, with places; this is for settings that come from elsewhere (--set, design points).
[[nodiscard]] std::vector<std::string>
constraint_violations(const ModelInfo& model, const std::vector<ParameterSetting>& parameters);

/// The model's relations kept at the parameters' means (ModelInfo::advisories) that
/// `parameters` break there, one note each: the relation, each parameter's mean and what the run
/// does. Empty when every one holds.
[[nodiscard]] std::vector<std::string>
advisory_notes(const ModelInfo& model, const std::vector<ParameterSetting>& parameters);

/// The same for a scenario as it runs: a parameter its posterior draws (joint_draws) at the
/// weighted mean of its column, the others at their settings' means.
[[nodiscard]] std::vector<std::string> advisory_notes(const ModelInfo& model,
                                                      const Scenario& scenario);

/// One rule `parameters` break, for a caller that says where: the rule's index in
/// ModelInfo::constraints (its parameters name the settings to blame), the message and what is
/// allowed. `described[k]`, when given and not empty, is said for parameter k instead of its
/// setting, e.g. "0.1 to 0.95 (factor share_auto)" for a sweep that sets it over that range
/// (the setting passed for it then spans the range, e.g. Uncertain::uniform(0.1, 0.95)).
struct ConstraintBreach {
    std::size_t rule = 0;
    std::string message;
    std::string allowed;
};
[[nodiscard]] std::vector<ConstraintBreach>
constraint_breaches(const ModelInfo& model, const std::vector<ParameterSetting>& parameters,
                    const std::vector<std::string>& described = {});

/// The models a scenario may name: a lookup by name, and the names (for "did you mean").
struct ModelCatalog {
    std::function<const ModelInfo*(const std::string&)> find;
    std::vector<std::string> names;
};

/// The outcome of loading: a scenario when there were no errors, and every diagnostic.
struct LoadResult {
    std::optional<Scenario> scenario;
    Diagnostics diagnostics;
};

/// Loads and validates a scenario file. Never throws for bad input (a missing or unreadable
/// file, invalid UTF-8, malformed TOML, unknown or missing keys, wrong types, out-of-range
/// values all become diagnostics).
LoadResult load_scenario(const std::filesystem::path& file, const ModelCatalog& catalog);

/// The strict check (`canopy validate --strict`): one error for every parameter and lever the
/// scenario leaves at the model's default when the model gives that default no provenance
/// (ModelInfo's ParameterSpec::provenance, LeverSpec::provenance). Baseline figures are always
/// the scenario's own (the loader requires them). Empty when every number has an owner.
Diagnostics unsourced_defaults(const Scenario& scenario, const ModelInfo& model);

/// Scenario::text without the paths of its "# ---- file: <path>" lines (each becomes
/// "# ---- file"): what identifies a run's inputs. The paths are spelled as the user gave them,
/// so the same files named from another directory (or as ./x.toml) have the same content.
/// Fingerprints and merge's comparisons use this; outputs still record the text with its paths.
[[nodiscard]] std::string scenario_content(std::string_view text);

/// Loads from text (the fuzz target and the tests use this); `file` names it in diagnostics
/// and in Scenario::text, and an `extends` in the text is resolved relative to its directory.
/// Never throws for bad input.
LoadResult load_scenario_text(std::string_view text, const std::string& file,
                              const ModelCatalog& catalog);

} // namespace canopy::engine
