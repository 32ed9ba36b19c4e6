#pragma once
/// \file calibration.hpp
/// A calibration file: which scenario, which parameters to fit with their priors and bounds,
/// which observed figures, how each is compared, and how to search — validated once into an
/// immutable Calibration that the methods (abc_smc.hpp, smm.hpp) run on an Evaluator.
///
/// The format is documented in docs/calibration.md. In short:
///
///     [calibration]  name, scenario, policy_mix, data, method, seed, fit_until
///     [error]        relative_sd, approximation_factor, forecast_factor
///     [abc_smc]      particles, replicates_per_particle, max_generations, ess_fraction,
///                    min_acceptance, max_simulations
///     [smm]          replicates, max_iterations, tolerance, profile_points, posterior_draws
///     [parameters.<name>]    prior + its fields, lower, upper, source | assumption
///     [observations.<id>]    series, model_series, measure, scale, relative_sd, sd, years,
///                            [[observations.<id>.rows]] year, at, from, to, bound, approximate,
///                            forecast, use, reason
///
/// Every problem in the file, the data or the scenario is a diagnostic with the file, line,
/// column and key (the data's problems name the CSV's line and column); nothing runs then.

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/observations.hpp>
#include <canopy/experiments/overrides.hpp>
#include <canopy/experiments/prior.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace canopy::models {
class ModelHandle;
}

namespace canopy::experiments {

/// How the parameters are estimated.
enum class CalibrationMethod {
    abc_smc, ///< a posterior sample by approximate Bayesian computation (abc_smc.hpp)
    smm      ///< the simulated method of moments (smm.hpp)
};

/// "abc-smc" or "smm" (the --method words).
const char* to_string(CalibrationMethod method) noexcept;

/// One parameter to fit: a model parameter, baseline figure, or a lever's whole schedule
/// scaled (OverrideMode::scale), with its truncated prior.
struct FittedParameter {
    OverrideTarget target;
    Prior prior;
    std::string unit;
    std::string source; ///< or
    std::string assumption;
};

/// The error model's defaults (docs/calibration.md says why each is where it is).
struct ErrorModel {
    double relative_sd = 0.05;         ///< sd of a figure, relative to it
    double approximation_factor = 2.0; ///< sd multiplier for 约 / 左右
    double forecast_factor = 3.0;      ///< sd multiplier for 预计
};

/// ABC-SMC settings (abc_smc.hpp).
struct AbcSmcOptions {
    int particles = 200;             ///< the effective sample size each generation reaches
    int replicates_per_particle = 1; ///< runs per candidate (their likelihoods are averaged)
    int max_generations = 12;        ///< the last is always at temperature 1
    double ess_fraction = 0.5;       ///< each cooling step keeps this share of the effective sample
    /// Stopping rule: a generation in which fewer than this share of runs count is abandoned.
    double min_acceptance = 0.01;
    /// The budget of runs; past it the last complete generation is kept.
    std::int64_t max_simulations = 200'000;
};

/// Simulated-method-of-moments settings (smm.hpp).
struct SmmOptions {
    int replicates = 50;       ///< per evaluation, on common random numbers
    int max_iterations = 200;  ///< Nelder-Mead iterations
    double tolerance = 1e-3;   ///< stop when the simplex's objective values differ by less
    int profile_points = 9;    ///< per parameter, around the optimum
    int posterior_draws = 400; ///< from the normal approximation, for projections and runs
};

/// A validated calibration. Immutable once loaded.
struct Calibration {
    std::string name;
    std::filesystem::path path;
    std::string text; ///< the calibration file's text
    /// The scenario (its policy mix applied) with one extra indicator per observed quantity
    /// appended after its own (Observation::indicators index them).
    std::shared_ptr<const engine::Scenario> scenario;
    const models::ModelHandle* model = nullptr;
    std::string policy_mix;
    std::size_t scenario_indicators = 0; ///< the scenario's own indicators, before the extras
    CalibrationMethod method = CalibrationMethod::abc_smc;
    std::uint64_t seed = 1;
    std::optional<int> fit_until; ///< figures of later years are held back
    DataFile data;
    std::vector<FittedParameter> parameters;
    ErrorModel errors;
    std::vector<Observation> observations;  ///< every used row, in mapping then CSV order
    std::vector<std::string> unused_series; ///< CSV series no mapping uses (reported, not errors)
    AbcSmcOptions abc;
    SmmOptions smm;

    /// The fitted observations' indices (those with fitted = true).
    [[nodiscard]] std::vector<std::size_t> fitted() const;
    /// The names of the fitted parameters, in file order.
    [[nodiscard]] std::vector<std::string> parameter_names() const;
    /// What identifies this calibration's inputs (the result's `fingerprint`): the file's and
    /// the scenario's text, the data's hash, the method, seed, fit_until and the engine version.
    [[nodiscard]] std::string fingerprint() const;
    /// What identifies the runs the calibration makes (its journals' fingerprint): as
    /// fingerprint(), but of the file's settings rather than its text (comments and layout do
    /// not count), and without the stopping rules abc_smc.max_simulations and min_acceptance,
    /// which change how many runs are made, never what any run is. So a calibration stopped by
    /// either resumes from its journal once the setting is changed.
    [[nodiscard]] std::string journal_fingerprint() const;
};

/// A calibration stopped by a setting of its file before it had a result: the budget
/// abc_smc.max_simulations ran out, or the stopping rule abc_smc.min_acceptance ended the first
/// generation. Bad input that only running could find, so the CLI exits 2 as for any other.
/// The diagnostic names the file, the key's line and column, how far the calibration got and
/// what would be enough; the runs made are journalled and reused by --resume once the setting
/// is changed (journal_fingerprint() leaves it out).
class CalibrationSettingError : public Error {
public:
    CalibrationSettingError(engine::Diagnostic diagnostic, std::int64_t runs);
    [[nodiscard]] const engine::Diagnostic& diagnostic() const noexcept { return diagnostic_; }
    /// Model runs made before the calibration stopped.
    [[nodiscard]] std::int64_t runs() const noexcept { return runs_; }

private:
    engine::Diagnostic diagnostic_;
    std::int64_t runs_ = 0;
};

/// What a method reports as it goes (abc_smc.hpp, smm.hpp), on the root, after each batch.
struct CalibrationProgress {
    std::string stage; ///< "generation 3", "simplex", "standard errors", "profile", ...
    int generation = 0;
    double tolerance = std::numeric_limits<double>::quiet_NaN();
    /// ABC-SMC: effective sample gained per run (the share of runs that count)
    double acceptance_rate = std::numeric_limits<double>::quiet_NaN();
    std::int64_t done = 0;        ///< effective sample reached, or iterations done
    std::int64_t wanted = 0;      ///< effective sample wanted, or the most iterations
    std::int64_t simulations = 0; ///< model runs so far
    double seconds_left = std::numeric_limits<double>::quiet_NaN(); ///< of this stage
};

/// Called with progress reports; may be empty.
using CalibrationProgressCallback = std::function<void(const CalibrationProgress&)>;

/// What the command line may override.
struct CalibrationFlags {
    std::optional<CalibrationMethod> method;
    std::optional<int> fit_until;
    std::optional<std::uint64_t> seed;
};

/// The outcome of loading: a calibration when there were no errors, and every diagnostic.
struct CalibrationLoad {
    std::optional<Calibration> calibration;
    engine::Diagnostics diagnostics;
};

/// Loads and validates a calibration file, its scenario and its data. Never throws for bad
/// input.
CalibrationLoad load_calibration(const std::filesystem::path& file,
                                 const CalibrationFlags& flags = {});

} // namespace canopy::experiments
