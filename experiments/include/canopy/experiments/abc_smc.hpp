#pragma once
/// \file abc_smc.hpp
/// Approximate Bayesian computation by sequential Monte Carlo: a weighted sample from the
/// posterior of the fitted parameters given the fitted figures, under the file's error model.
///
/// The method (docs/calibration.md explains it with its references):
///  - The error model is the ABC kernel (Wilkinson 2013): a candidate theta whose run gives
///    simulated figures x counts with weight prior(theta) / proposal(theta) * L(x)^(1/T), L the
///    error model's likelihood of the fitted figures (observations.hpp). At temperature T = 1
///    the weighted candidates are a sample of the posterior under the error model — exact, not
///    an approximation that depends on a tolerance; a higher temperature widens every figure's
///    error by sqrt(T) (the tolerance). Weighting every run by its kernel value instead of
///    accepting it with that probability uses every run and needs no bound on L.
///  - Generation 0 draws candidates from the prior; generation t from a mixture of Gaussians
///    around `particles` centres resampled from generation t-1, with twice its weighted
///    covariance (Beaumont et al. 2009).
///  - Adaptive schedule (Del Moral, Doucet & Jasra 2012): each generation's temperature is the
///    lowest at which reweighting the previous generation keeps `ess_fraction` of its effective
///    sample size, but no higher than a geometric decay that reaches 1 at the last allowed
///    generation; never below 1.
///  - Each generation draws candidates until their effective sample size reaches `particles`.
///  - Stopping rule: the run ends after the first generation at T = 1. It ends earlier, keeping
///    the last complete generation and saying the result is not exact, when the simulation
///    budget runs out, or when a generation's runs count so little (effective sample per run
///    below `min_acceptance`, judged after 4, 8, 16, ... times `particles` candidates) that
///    cooling further would cost more than it is worth: the runs then vary more from one to
///    the next than the figures' errors allow, and the last tolerance is as far as the data
///    and the model's noise let the posterior sharpen at this cost.
///  - Determinism: candidate i of generation g is a pure function of (seed, g, i) and the
///    previous generation; its run is design point g * 2^32 + i with its own random streams
///    (common random numbers off); a generation is the shortest run of candidates, in index
///    order, whose effective sample size reaches the target, so neither batch sizes nor thread
///    counts nor the evaluator (local, MPI, journalled after a resume) change any bit.

#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>

namespace canopy::experiments {

/// Runs ABC-SMC for `calibration` on `evaluator` (collective under MPI). Throws
/// CalibrationSettingError when the budget or the stopping rule ends the first generation (there
/// is then no posterior to keep), canopy::Error on other failures.
CalibrationResult run_abc_smc(const Calibration& calibration, Evaluator& evaluator,
                              const CalibrationProgressCallback& progress = {});

/// The experiment whose points are ABC-SMC candidates (for journals and tests).
Experiment abc_smc_experiment(const Calibration& calibration);

} // namespace canopy::experiments
