#pragma once
// Internals the calibration methods share (abc_smc.cpp, smm.cpp): the experiment a method's
// points belong to, a point's simulated figures and log-likelihood, and the parts of a result
// that describe the calibration rather than its method.
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/experiment.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace canopy::experiments::detail {

/// The experiment of one method's points: the calibration's scenario, its fitted parameters as
/// factors, `replicates` runs per point, common random numbers on or off. `tag` tells the
/// method's experiments apart in fingerprints (journals).
Experiment calibration_experiment(const Calibration& c, int replicates, bool common_random_numbers,
                                  const std::string& tag);

/// One point's simulated figures, every observation: [replicate][observation].
std::vector<std::vector<double>> simulated_figures(const Calibration& c, const PointResult& r);

/// Sum of the error model's log-likelihoods (observations.hpp) of the fitted figures.
double fitted_log_likelihood(const Calibration& c, const std::vector<double>& figures);

/// A result with everything that describes the calibration itself filled in.
CalibrationResult describe(const Calibration& c);

/// The fit of every figure from weighted samples of simulated figures ([sample][observation]).
std::vector<FigureFit> figure_fits(const Calibration& c,
                                   const std::vector<std::vector<double>>& samples,
                                   const std::vector<double>& weights);

/// A diagnostic naming the calibration file and `table`.`key` at the key's value (or at the
/// table's header when the key is not written, or at no line when neither is), for
/// CalibrationSettingError; the message and what is allowed are left to the caller.
engine::Diagnostic setting_diagnostic(const Calibration& c, const std::string& table,
                                      const std::string& key);

/// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

} // namespace canopy::experiments::detail
