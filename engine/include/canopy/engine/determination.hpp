#pragma once
/// \file determination.hpp
/// Which indicators an ensemble's inputs decide on their own: a check that no model has to
/// declare anything for.
///
/// A target's probability of attainment means something only when the simulated dynamics can
/// move the indicator it compares. When the final value is fixed by a lever or a parameter
/// (a quota always filled, a flow computed from an input alone), P(attain) is 0 % or 100 % by
/// construction, and the outputs must say so. The check, for an ensemble already run:
///
///  1. Dynamics. The first `probes` replicates are run again with their own inputs (the
///     parameter values the ensemble drew and the scenario's lever schedules) but every random
///     event re-keyed (seed PROBE_SEED_MIX ^ seed). A small ensemble is then extended, until
///     its replicates and the probes make `min_runs`, by new replicates (the ones a larger
///     ensemble would run next, with their own drawn inputs), each run as the ensemble would
///     and re-keyed. An indicator whose final value stays the same (within
///     `relative_tolerance`) in each pair of runs does not depend on the simulated events: its
///     inputs decide it. The new replicates count in step 3 too.
///  2. Which inputs. An indicator whose final value differs between the ensemble's replicates
///     can be the inputs' only through an input that differs between them (see 3), so replicate
///     0 is first run with all those inputs perturbed together; an indicator that run leaves
///     unchanged is the dynamics' (one run: the premise of the group tests below, that moving a
///     group moves whatever one of its inputs moves alone). For the rest, replicate 0 is run
///     with groups of inputs perturbed (each parameter or baseline figure moved by 10 % of its
///     value, or when it is zero by one unit of its own or 1 % of its range if that is less,
///     within its range; each lever's schedule scaled by 1.1, or shifted by one unit from zero)
///     and split in halves while a group moves the indicator (adaptive group
///     testing: about 2 d log2(n) runs for d deciding inputs among n). The inputs whose
///     perturbation alone moves the indicator decide it.
///  3. A check over the whole ensemble: when the deciding inputs have the same value in every
///     replicate (levers, fixed parameters), the final value must be the same in every replicate
///     too; otherwise the probes were lucky (a quota that binds in them but not everywhere) and
///     the dynamics decide after all.
///
/// Results are the same bits at any thread count: every run is keyed, never timed, and runs that
/// go in parallel (the probes, the two halves of a split group) are combined in a fixed order.

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/indicator.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/simulation.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace canopy::engine {

/// Runs one replicate of the scenario's model with explicit inputs and random key.
using RunReplicate = std::function<SeriesTable(const RunInputs& inputs, const RandomKey& key)>;

/// XORed into the ensemble's seed to re-key the probes' random events.
inline constexpr std::uint64_t PROBE_SEED_MIX = 0x9E3779B97F4A7C15ULL;

/// How to check.
struct DeterminationOptions {
    int probes = 2; ///< replicates re-run with re-keyed events (at most)
    /// The fewest runs of the first step's evidence, the ensemble's replicates and the probes
    /// together: a smaller ensemble is extended by new replicates, each run twice (as the
    /// ensemble would, and re-keyed), until there are this many. Two replicates and two probes
    /// agreed by luck where a quota binds in 87 % of runs (4 runs: 57 % of the time), and the
    /// outputs said "by construction"; with 20 the same luck is about 6 %. The new replicates
    /// draw their own inputs: rounds that re-ran the same four posterior draws with new events
    /// agreed where all four drew a quota that binds whatever happens.
    int min_runs = 20;
    double relative_tolerance = 1e-9; ///< |a - b| <= tol * max(1, |a|) counts as unchanged
    int rk4_substeps = 4;             ///< as the ensemble ran
    /// Inputs likely to decide (say, those found for the base of a policy comparison): each is
    /// tested alone first and the rest as one group, which is searched only if it moves an
    /// indicator — d + 1 runs instead of about 2 d log2(n) when the hints are right. Names the
    /// model does not have are ignored. The answer does not depend on the hints.
    std::vector<std::string> hints;
};

/// What decides one indicator's final value.
struct Determination {
    bool by_inputs = false;          ///< true: the inputs alone fix it (not the dynamics)
    std::vector<std::string> inputs; ///< the deciding parameters and levers, model order
    /// Inputs whose perturbed run failed on its own (a value the model refuses, memory), each
    /// as "name (why)", model order: whether they decide too is unknown. Empty when every
    /// input could be probed.
    std::vector<std::string> not_probed;
};

/// Checks the indicators at positions `which` of `indicators` (resolved for `scenario` and
/// `model`) in `ensemble` (a run of `scenario`, at least one replicate), running the probes
/// with `run`. Returns one Determination per entry of `which`. Throws canopy::Error when the
/// ensemble is empty or its runs do not fit the indicators; a probe run that throws
/// (a perturbation the model rejects) counts as not moving anything, and an input whose run
/// throws on its own is named, with the exception's message, in Determination::not_probed.
std::vector<Determination> determine_by_inputs(const Scenario& scenario, const ModelInfo& model,
                                               const IndicatorSet& indicators,
                                               std::span<const std::size_t> which,
                                               const Ensemble& ensemble, const RunReplicate& run,
                                               const DeterminationOptions& options = {});

} // namespace canopy::engine
