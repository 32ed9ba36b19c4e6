#pragma once
/// \file calibration_result.hpp
/// What `canopy calibrate` writes: the posterior (a weighted sample of parameter vectors), how
/// it was reached, and how well it reproduces every figure — as plain data, read and written as
/// HDF5 without exposing HDF5 here.
///
/// Layout (docs/calibration.md is the contract; h5py and xarray read it with a `particle`
/// dimension):
///   /                       attributes: kind = "calibration", method, name, model, scenario,
///                           scenario_start ("2013-01"), calibration_text, scenario_text,
///                           data_file, data_sha256, engine_version, build_id (the build
///                           that computed it: build_id.hpp; none before it was recorded),
///                           fingerprint, seed,
///                           fit_until (0: none), exact (0/1), final_temperature, ess,
///                           simulations, wall_seconds, simulate_seconds,
///                           simulations_per_second, notes
///   /particle               [particle] 0 .. n - 1 (dimension scale)
///   /weights                [particle] normalised to sum to 1
///   /parameters/<name>      [particle] the sample; attributes kind (parameter, baseline,
///                           lever_scale), unit, prior, lower, upper, mean, median, q05, q25,
///                           q75, q95
///   /generations/<column>   [generation] generation, temperature, tolerance, candidates,
///                           simulations, acceptance_rate, ess, seconds
///   /figures/<column>       [figure] observation, series, year, value, unit, kind, measure,
///                           sd, fitted, median, q05, q25, q75, q95, inside50, inside90,
///                           edge90, line
///   /smm/...                (method smm) estimate, standard_error [parameter], objective,
///                           iterations, evaluations, converged; profile_values and
///                           profile_objective [parameter, point]

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace canopy::experiments {

/// One ABC-SMC generation.
struct GenerationRecord {
    int generation = 0;
    double temperature = 0.0; ///< the error model's variances are multiplied by it; 1: exact
    double tolerance = 0.0;   ///< sqrt(temperature): errors allowed, in units of each figure's sd
    std::int64_t candidates = 0;  ///< candidates the generation is made of
    std::int64_t simulations = 0; ///< runs made for this generation (including any not needed)
    double acceptance_rate = 0.0; ///< ess / candidates: the share of runs that count
    double ess = 0.0;             ///< effective sample size of the weights
    double seconds = 0.0;
};

/// How the calibrated model reproduces one figure: the posterior predictive distribution of
/// the simulated figure (no measurement error added), and whether the figure fell inside.
struct FigureFit {
    std::string observation; ///< the observation id, e.g. "high_tech_2018"
    std::string series;      ///< the data's series
    int year = 0;
    double value = 0.0; ///< the published figure
    std::string unit;
    std::string kind;    ///< "exact", "lower bound", "approximate", "forecast", ...
    std::string measure; ///< "stock", "flow", "change", "growth"
    double sd = 0.0;
    bool fitted = true; ///< false: held back (fit_until) and projected
    double median = 0.0, q05 = 0.0, q25 = 0.0, q75 = 0.0, q95 = 0.0;
    /// Inside the 50 % (q25..q75) and 90 % (q05..q95) intervals; a lower bound is inside when
    /// the interval reaches it (its upper end is at or above the bound).
    bool inside50 = false, inside90 = false;
    /// The published figure lies within the Monte Carlo error of an end of the 90 % interval:
    /// between that end's quantile at p - z se and p + z se (se = sqrt(p (1 - p) / ess), z for
    /// 95 %, ess the runs' effective sample size), so more draws could turn inside90 either way.
    bool edge90 = false;
    int line = 0; ///< the row's line in the data file
};

/// The simulated method of moments' estimate (smm.hpp).
struct SmmReport {
    std::vector<double> estimate;       ///< [parameter]
    std::vector<double> standard_error; ///< [parameter]; NaN when not identified
    double objective = 0.0;             ///< J at the estimate
    int iterations = 0;
    std::int64_t evaluations = 0; ///< points evaluated (each `replicates` runs)
    bool converged = false;
    int replicates = 0;
    /// J along each parameter with the others at the estimate: [parameter][point].
    std::vector<std::vector<double>> profile_values, profile_objective;
};

/// A weighted summary of one parameter's posterior.
struct ParameterSummary {
    double mean = 0.0, median = 0.0, q05 = 0.0, q25 = 0.0, q75 = 0.0, q95 = 0.0;
};

/// Everything in a calibration result file.
struct CalibrationResult {
    std::string method; ///< "abc-smc" or "smm"
    std::string name, model, scenario, scenario_start;
    std::string calibration_text, scenario_text, data_file, data_sha256, engine_version,
        fingerprint;
    std::string build_id; ///< the build that computed it (build_id.hpp); empty before recorded
    std::uint64_t seed = 0;
    int fit_until = 0;                        ///< 0: every figure fitted
    std::vector<std::string> parameters;      ///< names, in the calibration file's order
    std::vector<std::string> parameter_kinds; ///< "parameter", "baseline", "lever_scale"
    std::vector<std::string> parameter_units;
    std::vector<std::string> priors;         ///< e.g. "uniform(low 5, high 40)"
    std::vector<double> lower, upper;        ///< the bounds
    std::vector<double> particles;           ///< [particle * parameters + j]
    std::vector<double> weights;             ///< [particle], summing to 1
    std::vector<ParameterSummary> summaries; ///< [parameter]
    double ess = 0.0;
    bool exact = false; ///< the last generation ran at temperature 1 (ABC-SMC)
    double final_temperature = 0.0;
    std::vector<GenerationRecord> generations;
    std::vector<FigureFit> figures;
    std::optional<SmmReport> smm;
    std::int64_t simulations = 0;
    double wall_seconds = 0.0, simulate_seconds = 0.0, simulations_per_second = 0.0;
    std::vector<std::string> notes; ///< what a reader should know (a budget that ran out, ...)
    /// ABC-SMC: the simulation budget ended the run, so a raised budget would go on from its
    /// runs (`canopy calibrate` keeps their journals for --resume). Not stored in the file.
    bool budget_ran_out = false;

    [[nodiscard]] std::size_t particle_count() const noexcept { return weights.size(); }
    [[nodiscard]] double particle(std::size_t k, std::size_t j) const {
        return particles[k * parameters.size() + j];
    }
    /// Fills `summaries` and `ess` from the particles and weights.
    void summarise();
};

/// Reads a calibration result. Throws canopy::Error naming the file and what is missing or
/// malformed (not a calibration file, a dataset of the wrong length, ...).
CalibrationResult read_calibration_result(const std::filesystem::path& path);

/// Writes `result` via a temporary name and a rename (the file appears only when complete).
/// Throws canopy::Error on failure, leaving any previous file intact.
void write_calibration_result(const std::filesystem::path& path, const CalibrationResult& result);

/// The weighted quantile q of values (the smallest value whose cumulative weight reaches q of
/// the total, to within 10^-12 of the total, so that equal weights' rounding cannot pass over
/// the value that reaches it); NaN values are left out, NaN when none is left.
double weighted_quantile(std::vector<std::pair<double, double>> value_weight, double q);

/// Whether `value` lies within the Monte Carlo error of the p quantile of weighted runs: between
/// their quantiles at p - z se and p + z se, se = sqrt(p (1 - p) / ess), z the 95 % normal
/// quantile, ess Kish's effective sample size (sum w)^2 / sum w^2 of the runs with a number.
/// False when no run has a number.
bool near_quantile(const std::vector<std::pair<double, double>>& value_weight, double p,
                   double value);

} // namespace canopy::experiments
