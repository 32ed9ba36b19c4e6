#pragma once
/// \file lever_effects.hpp
/// Lever effects: which levers can move which targets within the horizon, and by how much.
///
/// For each lever, two design points set it at the two ends of its range (the rest of the
/// scenario as it is) and run the same replicates on common random numbers (experiment.hpp):
/// replicate r of the low end and replicate r of the high end draw the same numbers, so their
/// difference is the lever's effect in that replicate, not noise between two ensembles. For
/// each target the result is the change from the low end to the high end in the median of the
/// target's indicator and in the probability of attaining it: the median's with a paired
/// percentile bootstrap interval (replicates resampled together at both ends), P(attain)'s with
/// Newcombe's paired interval (paired.hpp), as `canopy compare` gives it. A lever "moves" a target
/// when either interval excludes zero.
///
/// Deterministic: the points' random streams come from the experiment's seed, the bootstrap's
/// from the same seed through the experiments layer's own key (design_random.hpp) and a stream
/// named by the lever and the target, so results are the same bits at any thread or rank count,
/// and a lever's row is the same whichever other levers and targets are in the run.

#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/experiment.hpp>
#include <canopy/experiments/overrides.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments {

/// A lever and the two ends of its range.
struct LeverRange {
    OverrideTarget lever; ///< a lever (mode set: its level from policy_start; scale: its schedule)
    double low = 0.0;
    double high = 0.0;
    std::string origin; ///< where the range comes from (a file's factor, or the default rule)
};

/// One lever's effect on one target, from the low end to the high end of the lever's range.
struct TargetEffect {
    double median_low = 0.0, median_high = 0.0; ///< the indicator's median at each end
    double delta_median = 0.0;                  ///< median_high - median_low
    engine::Interval delta_median_ci;           ///< paired bootstrap interval
    double p_low = 0.0, p_high = 0.0;           ///< P(attain) at each end
    double delta_p = 0.0;                       ///< p_high - p_low
    engine::Interval delta_p_ci;                ///< Newcombe's paired interval
    /// Either interval excludes zero: the lever moves the target distinguishably.
    [[nodiscard]] bool moves() const {
        return delta_median_ci.lo > 0.0 || delta_median_ci.hi < 0.0 || delta_p_ci.lo > 0.0 ||
               delta_p_ci.hi < 0.0;
    }
};

/// How to compute the effects.
struct LeverEffectOptions {
    std::size_t resamples = 1000; ///< bootstrap resamples (of the median's change)
    double confidence = 0.95;     ///< of the intervals, in (0, 1)
};

/// The table: effects[lever * targets.size() + target].
struct LeverEffects {
    std::vector<LeverRange> levers;
    std::vector<std::string> targets; ///< target ids, in scenario order
    std::vector<TargetEffect> effects;
    int replicates = 0;
    std::uint64_t seed = 0;
    double confidence = 0.95;

    [[nodiscard]] const TargetEffect& at(std::size_t lever, std::size_t target) const {
        return effects[lever * targets.size() + target];
    }
};

/// Called after each lever's two points are done: (levers done, levers in all).
using LeverProgress = std::function<void(std::size_t, std::size_t)>;

/// Runs both ends of every lever of `ranges` on `experiment` (its scenario, model, replicates and
/// seed; its factors are ignored) and summarises each target's change. Collective under MPI like
/// Evaluator::evaluate. Throws canopy::Error when a range's target is not a lever, when
/// `experiment.common_random_numbers` is off (the pairing needs it), or for options out of range.
LeverEffects lever_effects(const Experiment& experiment, std::span<const LeverRange> ranges,
                           Evaluator& evaluator, const LeverEffectOptions& options = {},
                           const LeverProgress& progress = {});

/// The paired summary of one target from the finals of its indicator at the two ends (replicate
/// order, NaN never attaining and left out of the medians), with `seed`'s bootstrap streams for
/// resample stream `stream` (lever_effects takes it from the lever's and the target's names).
/// Exposed for tests.
TargetEffect paired_effect(std::span<const double> low, std::span<const double> high,
                           engine::Comparison comparison, double threshold, std::uint64_t seed,
                           std::uint64_t stream, const LeverEffectOptions& options = {});

} // namespace canopy::experiments
