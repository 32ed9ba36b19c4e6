#pragma once
/// \file posterior.hpp
/// A calibration posterior carried forward: a scenario whose replicates draw their parameters
/// jointly from the posterior's weighted sample (engine/joint_draws.hpp), so that P(attain)
/// integrates over what the calibration left uncertain.
///
/// What is refused, each with a canopy::Error that names the posterior file and says why:
///  - a posterior of another model;
///  - a column the model does not have (renamed or removed since), or one of another kind (a
///    lever scale where the model now has a parameter of that name);
///  - a value outside the model's range (or, for a lever scale, one that takes the scenario's
///    schedule out of the lever's range);
///  - a baseline column when the scenario starts in another month than the calibration's run
///    (a starting figure of 2013 is not one of 2022): usable_columns() lists the others;
///  - a lever scale fitted under a policy mix (the calibration's `policy_mix`): it multiplies
///    that mix's schedule, and a posterior's columns scale whatever schedule a run has;
///  - a column asked for that the posterior does not have.

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/calibration_result.hpp>

#include <optional>
#include <string>
#include <vector>

namespace canopy::experiments {

/// The scenario with `posterior`'s columns (all, or those named in `columns`) drawn jointly per
/// replicate; `origin` names the posterior (its file) in messages and provenance. Parameters
/// drawn from it get provenance "calibration posterior <origin>".
engine::Scenario with_posterior(const engine::Scenario& scenario, const engine::ModelInfo& model,
                                const CalibrationResult& posterior, const std::string& origin,
                                const std::vector<std::string>& columns = {});

/// The policy mix the calibration applied before fitting (`[calibration] policy_mix`, read from
/// the calibration's text the result keeps), or empty.
std::string calibration_policy_mix(const CalibrationResult& posterior);

/// What with_posterior throws when one column is at fault (not in the posterior or the model, of
/// another kind, out of range, a baseline of another start): `column()` names it.
class PosteriorColumnError : public Error {
public:
    PosteriorColumnError(std::string column, const std::string& what)
        : Error(what)
        , column_(std::move(column)) {}
    [[nodiscard]] const std::string& column() const noexcept { return column_; }

private:
    std::string column_;
};

/// The columns of `posterior` that `scenario` can draw on, each on its own (with_posterior
/// accepts it alone), in the posterior's order: what to suggest when a column is refused.
std::vector<std::string> usable_columns(const engine::Scenario& scenario,
                                        const engine::ModelInfo& model,
                                        const CalibrationResult& posterior);

/// `names` as a TOML array of strings, `["a", "b"]`, for advice on posterior_parameters.
std::string columns_list(const std::vector<std::string>& names);

/// The scenario with the posterior its `posterior` key names attached (with_posterior, its
/// `posterior_parameters` columns), as `canopy run`, `sweep`, and Python's load_scenario attach
/// it; the scenario unchanged when it names none.
struct AttachedPosterior {
    std::optional<engine::Scenario> scenario; ///< empty when the posterior cannot be used
    /// Why not: placed at the `posterior_parameters` entry of the column at fault when one is
    /// (which may be in a file that extends the one naming the posterior), else at `posterior`.
    engine::Diagnostic problem;
};
AttachedPosterior attach_posterior(const engine::Scenario& scenario,
                                   const engine::ModelInfo& model);

} // namespace canopy::experiments
