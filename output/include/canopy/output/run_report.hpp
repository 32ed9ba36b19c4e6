#pragma once
/// \file run_report.hpp
/// Filling a Report (report.hpp) from runs of the ensemble: what `canopy run --report` shows,
/// and the pieces `compare` and `solve` reuse (a mix's outcomes and fan charts, the scenario's
/// inputs, its calibration).

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/lever_effects.hpp>
#include <canopy/output/report.hpp>
#include <canopy/output/summary.hpp>

#include <span>
#include <string>
#include <utility>
#include <vector>

namespace canopy::output {

/// Every indicator's spread over time in `ensemble` (the run `summary` summarises): per table
/// row the 5, 25, 50, 75 and 95 % quantiles over the replicates (type 7; NaN values left out),
/// with each target on the indicator as a line. Scenario order.
std::vector<ReportFan> report_fans(const EnsembleSummary& summary,
                                   const engine::Ensemble& ensemble);

/// One run as a report's mix: its name, description, targets and costs; with its fan charts
/// when `fans` is true.
ReportMix report_mix(const EnsembleSummary& summary, const engine::Ensemble& ensemble, bool fans);

/// The inputs the scenario sets itself (baseline figures, parameters, levers), model order, each
/// with its value as a planner reads it and its source or assumption. Inputs left at the model's
/// default are not listed. A parameter drawn per replicate from a calibration posterior is
/// described by its draws, not by the prior the posterior replaced: the median, 90 % interval
/// and range of the values `ensemble`'s replicates drew, or, without an ensemble, the range of
/// the posterior's particles.
std::vector<ReportInput> report_inputs(const engine::Scenario& scenario,
                                       const engine::ModelInfo& model,
                                       const engine::Ensemble* ensemble = nullptr);

/// The file of a posterior attached to a scenario (engine::JointDraws::origin() without its
/// "posterior '...'" wrapper), for outputs that name it.
std::string posterior_file(const engine::JointDraws& draws);

/// Whether model parameter `p` is drawn per replicate from the scenario's posterior.
bool drawn_from_posterior(const engine::Scenario& scenario, std::size_t p);

/// Whether the scenario draws parameters from a calibration posterior, and which.
ReportCalibration report_calibration(const engine::Scenario& scenario,
                                     const engine::ModelInfo& model);

/// One run of `canopy run`: the scenario as run (mix and --set applied), its ensemble and summary.
struct ReportRun {
    const engine::Scenario& scenario;
    const engine::Ensemble& ensemble;
    const EnsembleSummary& summary;
};

/// The report of `canopy run`: the first run's targets, fan charts and inputs; with several
/// runs (--all-mixes) attainment and cost per mix. `runs` must not be empty.
Report run_report(std::span<const ReportRun> runs, const engine::ModelInfo& model);

/// The effects `experiments::lever_effects` measured, as the report's lever effects: per target
/// and lever the change from the low end to the high end of the lever's range ("2 -> 6 units",
/// "x0.5 -> x1.5") in the median (with the target's unit from `summary`) and in P(attain), their
/// paired intervals and whether either excludes zero; with a note saying how they were measured
/// and which levers `skipped` (lever, reason) left out.
void add_lever_effects(Report& report, const experiments::LeverEffects& effects,
                       const engine::ModelInfo& model,
                       std::span<const std::pair<std::string, std::string>> skipped = {});

} // namespace canopy::output
