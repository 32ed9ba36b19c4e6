#pragma once
/// \file smm.hpp
/// The simulated method of moments: the parameters that bring the simulated figures closest to
/// the published ones, with standard errors and the objective's profile around the optimum.
///
/// The method (docs/calibration.md explains it):
///  - Moments: each fitted figure's simulated value, averaged over `replicates` runs on common
///    random numbers (every evaluation uses the same replicate streams), so the objective is a
///    deterministic function of the parameters and differences between points are not noise.
///  - Objective: J(theta) = sum over fitted figures of ((m(theta) - y) / sd)^2, a lower bound
///    counting only when m(theta) falls short of it (the error model's sd as weights).
///  - Search: Nelder-Mead on the parameters' prior quantiles in (0, 1) (so the bounds hold and
///    scales are comparable), starting at the prior medians; each iteration evaluates the
///    reflection, expansion and both contractions as one batch (a shrink as another), so the
///    evaluator has several points at once.
///  - Standard errors: the sandwich (G'WG)^-1 G'W Omega W G (G'WG)^-1 with G the moments'
///    Jacobian by central differences (common random numbers), W = diag(1 / sd^2) and Omega =
///    diag(sd^2) + (1 + 1/R) Sigma_sim, Sigma_sim the covariance of one run's moments at the
///    estimate: the history is one run of the model measured with error, the estimate a mean
///    of R runs.
///  - Profile: J along each parameter over +-3 standard errors (or the prior's interquartile
///    range when a standard error is not finite), the others at the estimate.
///  - Projection and the posterior to carry forward: draws from the normal approximation
///    N(estimate, V) truncated to the bounds, one run each on fresh streams.

#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>

namespace canopy::experiments {

/// Runs the simulated method of moments for `calibration` on `evaluator`.
CalibrationResult run_smm(const Calibration& calibration, Evaluator& evaluator,
                          const CalibrationProgressCallback& progress = {});

} // namespace canopy::experiments
