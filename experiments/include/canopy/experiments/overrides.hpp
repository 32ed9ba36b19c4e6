#pragma once
/// \file overrides.hpp
/// Overrides: a scenario's parameter, baseline or lever set to another value by name.
///
/// This is the vocabulary every experiment speaks (DESIGN.md section 5): a design point is a
/// list of overrides of one scenario; `canopy run --set NAME=VALUE` is one override given on the
/// command line; a calibration particle and a `solve` candidate are overrides too. Names are the
/// scenario's names (the model's ModelInfo names), resolved once into indices.
///
/// What an override does:
///   parameter or baseline   the value becomes fixed (no longer drawn per replicate), with
///                           provenance "override" so outputs can tell it from the file's value
///   lever, mode set         the lever's level from the scenario's policy start on (the month
///                           from which planners decide; [scenario] policy_start, default the
///                           run's start). The schedule before it is kept: history stays history.
///   lever, mode scale       the lever's whole schedule multiplied by the value (a policy mix's
///                           `scale`)

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/scenario.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments {

/// What a name refers to.
enum class TargetKind { parameter, baseline, lever };

/// How a lever override acts (parameters and baselines are always set).
enum class OverrideMode { set, scale };

/// A resolved name: which list of the model it indexes, and where.
struct OverrideTarget {
    std::string name;
    TargetKind kind = TargetKind::parameter;
    int index = -1; ///< into ModelInfo::parameters (parameter, baseline) or ModelInfo::levers
    OverrideMode mode = OverrideMode::set;
};

/// One override.
struct Override {
    OverrideTarget target;
    double value = 0.0;
};

/// Where a name or value was given, for diagnostics: a file position with its dotted key
/// (a sweep file's `factors.x`), or a flag (`--set`) with `file` empty and `key` the flag.
struct InputPlace {
    std::string file;
    int line = 0;
    int column = 0;
    std::string key;
};

/// Resolves `name` against the model. On failure adds an error naming the place, the allowed
/// names and "did you mean ..." and returns nullopt. A parameter asked to be scaled is refused
/// with `set_how` as what is allowed: how to set it where the name was written (a --set flag's
/// 'NAME=VALUE' when empty; a sweep file's override key, Python's overrides entry).
std::optional<OverrideTarget>
resolve_target(const std::string& name, const engine::ModelInfo& model, const InputPlace& where,
               engine::Diagnostics& diagnostics, OverrideMode mode = OverrideMode::set,
               const std::string& set_how = {});

/// Checks a value for a target: finite, inside the parameter's or lever's range (for a scale,
/// non-negative and such that the scaled schedule stays finite and in range), whole where the
/// parameter is an integer. On failure adds an error with the allowed range and returns false.
/// The scaled schedule is checked only when `scenario` (the scenario the override will be applied
/// to) is given; without it a scale is checked for being finite and non-negative.
bool check_value(const OverrideTarget& target, double value, const engine::ModelInfo& model,
                 const InputPlace& where, engine::Diagnostics& diagnostics,
                 const engine::Scenario* scenario = nullptr);

/// Parses one `--set NAME=VALUE` (VALUE a decimal number; `NAME*=FACTOR` scales a lever) and
/// checks it (against `scenario` too when given, see check_value); nullopt with diagnostics
/// (key "--set") when it is malformed or invalid.
std::optional<Override> parse_set(const std::string& text, const engine::ModelInfo& model,
                                  engine::Diagnostics& diagnostics,
                                  const engine::Scenario* scenario = nullptr);

/// The scenario with the overrides applied (later overrides of the same target win). The
/// overrides must have been resolved and checked against this scenario's model. Never throws
/// for checked overrides. The result's `text` ends with a comment block listing the overrides
/// ("# ---- overrides", one "# name = value" line each), so outputs that record the scenario's
/// text record what was changed. A policy mix's own setting of an overridden lever or parameter
/// is overridden too, so that applying a mix afterwards gives what a run of the mix with the
/// overrides uses: `apply_overrides(s, o).with_policy_mix(m)` has the levers and parameters of
/// `apply_overrides(s.with_policy_mix(m), o)`.
engine::Scenario apply_overrides(const engine::Scenario& scenario,
                                 std::span<const Override> overrides);

/// The overrides as `--set` takes them: `NAME=VALUE` or `LEVER*=FACTOR`, each value the shortest
/// text that reads back as the same double. What outputs record (the JSON's `overrides`), so a
/// reader can paste them back after `--set`, from the CLI and from Python alike.
std::vector<std::string> override_texts(std::span<const Override> overrides);

/// A parameter an experiment sets anywhere in [lo, hi]: a sweep's factor or a calibration's
/// prior. `label` says what sets it, e.g. "factor share_auto".
struct ParameterRange {
    std::size_t parameter = 0; ///< index into ModelInfo::parameters
    double lo = 0.0;
    double hi = 0.0;
    std::string label;
};

/// A rule across parameters broken over the ranges, with the index in `ranges` of the latest
/// range the rule involves (where to say it).
struct RangeBreach {
    engine::ConstraintBreach breach;
    std::size_t range = 0;
};

/// The model's rules across parameters (ModelInfo::constraints) that `settings` (one per model
/// parameter: the scenario's) break once each of `ranges` may take any value in its range, each
/// with the range to blame and every range said as "from lo to hi (label)". Rules the ranges do
/// not touch are left out: the scenario's loader checked those.
std::vector<RangeBreach> rules_broken_over(const engine::ModelInfo& model,
                                           std::vector<engine::ParameterSetting> settings,
                                           const std::vector<ParameterRange>& ranges);

} // namespace canopy::experiments
