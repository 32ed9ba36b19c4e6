#pragma once
/// \file solve.hpp
/// Goal seeking: the smallest level of one lever, or the cheapest combination of several, that
/// attains a target with at least probability P (`canopy solve`).
///
/// Every candidate setting runs on common random numbers (replicate r of every candidate draws
/// from RandomKey{seed, r}), so two candidates differ by their levels, not by their luck, and
/// P(attain) moves smoothly with a lever instead of jumping with the draws.
///
/// One lever: bisection on the lever's range, with a sequential test at each level. A level is
/// judged with a first batch of replicates; while the Wilson interval of its P(attain) still
/// contains P, replicates are added (doubling, continuing the same streams) up to
/// `max_replicates`, where the estimate alone decides (or, `assured`, the interval's lower end
/// alone: SolveRequest::assured). Levels far from the answer are settled by
/// the first batch, so the replicates go where the answer is. Each level bisection tries is the
/// shortest decimal within an eighth of the bracket's width of its midpoint (1.5, not
/// 1.5125000000000002). Bisection stops when the bracket is narrower than `precision` times the
/// level found (or the lever's `tolerance`): then the answer is known to the requested precision
/// in the lever and, through the sample size, in the probability. The answer is the bracket's
/// upper end, a level judged to reach P; both ends of the bracket are rechecked on the full
/// `max_replicates` sample (the lower end judged short, or the range's top when nothing reached
/// P), since with common random numbers one unlucky or lucky first batch misjudges every level
/// near the answer alike. If the full sample overturns either verdict, the search goes on from
/// there, up or down, judging every level on full samples: the answer is the smallest level
/// whose full-sample estimate reaches P, to the precision asked.
///
/// Several levers: each lever alone first (the others at the scenario's levels); then a search
/// along the set of settings that just reach P, ordered by cost: from the cheapest setting
/// found, lower one lever by a step and let another make up for it (its smallest level that
/// reaches P, by the bisection above, judged by the sequential test: the end point alone is
/// rechecked on the full sample); keep the move when the mean cost falls beyond its Monte Carlo
/// error (the paired interval of the change in mean cost, on common random numbers, lies wholly
/// below 0: a saving another seed could reverse is not a reason to move); halve the steps
/// when no move helps, until they are below the levers' precision. The answer costs no more
/// than the cheapest single lever, by construction, and the result lists every single-lever
/// answer so that a reader can check. P(attain) is taken to rise with each lever (more of a
/// programme never hurts the target); where it does not, the search still returns a setting that
/// reaches P, not necessarily the cheapest.
///
/// With a budget cap (`within_budget_cap`) only a setting whose mean cost is within the caps can
/// be the answer. Out of reach within them, each searched lever's line is bisected, on full
/// samples, for the highest level the cap allows (the lever taken to cost more as it rises):
/// there, P(attain) rising with the lever, is the closest setting within the cap, which the
/// search for P alone need not have evaluated.

#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/experiment.hpp>
#include <canopy/experiments/paired.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace canopy::experiments {

/// A lever to search and where.
struct SolveLever {
    OverrideTarget target; ///< a lever, mode set (resolved and checked names)
    double low = 0.0;      ///< the search range, inside the lever's range
    double high = 0.0;
    /// Stop when the bracket is narrower than this (lever units); 0: only `precision` counts.
    double tolerance = 0.0;
};

/// What to solve for.
struct SolveRequest {
    std::size_t target = 0; ///< index into the scenario's targets
    double probability = 0.9;
    std::vector<SolveLever> levers;
    /// Only settings whose mean cost stays within the scenario's budget caps count.
    bool within_budget_cap = false;
    int max_replicates = 400; ///< per setting: where the estimate alone decides
    int first_replicates = 0; ///< the first batch; 0: max_replicates / 8, at least 20
    double confidence = 0.95; ///< of the sequential test and the reported interval
    /// Assured: a setting reaches P only when the lower end of its P(attain) interval (Wilson, at
    /// `confidence`) on all `max_replicates` is at least P, not its estimate alone. The answer is
    /// then one whose P(attain) is at least P with one-sided confidence (1 + confidence) / 2
    /// (97.5 % at 0.95): on common random numbers with P(attain) rising with the lever, a level
    /// whose true P(attain) is below P passes only when the level whose true P(attain) is P would
    /// pass too, which its own interval allows with that chance at most.
    bool assured = false;
    double precision = 0.01; ///< relative width of the final bracket of a lever
    int max_settings = 400;  ///< evaluated settings at most (a guard, not a method)
};

/// One evaluated setting.
struct SolveSetting {
    std::vector<double> levels; ///< one per SolveRequest::levers
    std::size_t replicates = 0;
    std::size_t attained = 0;
    double p_attain = 0.0;
    engine::Interval p_attain_ci;
    /// The target's indicator over the replicates: median and 90 % interval (NaNs left out).
    double median = 0.0;
    double q05 = 0.0;
    double q95 = 0.0;
    double cost = 0.0; ///< mean over replicates, in the scenario's currency
    /// Each lever's mean cost over replicates, the scenario's levers in the model's order (the
    /// searched ones and those held at the scenario's levels); they add up to `cost`.
    std::vector<double> lever_costs;
    bool over_cap = false; ///< the mean cost exceeds a cap (a year's or the total)
    bool reaches = false;  ///< judged to reach P by the sequential test (assured, when asked)
};

/// Evidence against the search's assumption that more of a lever never lowers P(attain): two
/// evaluated settings that differ in one lever only, the higher level's P(attain) interval
/// wholly below the lower level's (a fall that Monte-Carlo noise does not explain).
struct SolveNotMonotone {
    std::size_t lever = 0; ///< index into SolveRequest::levers
    SolveSetting lower;    ///< the setting at the lower level (the higher P(attain))
    SolveSetting higher;   ///< the setting at the higher level (the lower P(attain))
};

/// Another target of the scenario at the answer, against the scenario as written (every lever
/// on its own schedule) on the same replicates: the search
/// looks at one target only, and a setting that reaches it may cost another. An outside tester's
/// two-lever answer cut a lever to a quarter for a saving of 0.005 % of the cost and took a
/// second target from 99 % to 0 %, without a word.
struct SolveOtherTarget {
    std::size_t target = 0;    ///< index into the scenario's targets
    double p_attain = 0.0;     ///< at the answer (SolveResult::best)
    double own_p_attain = 0.0; ///< at the scenario's own setting
    PairedDifference delta;    ///< p_attain - own_p_attain, Newcombe's paired interval
    /// The interval lies wholly below 0: the answer lowers this target's P(attain).
    [[nodiscard]] bool falls() const { return delta.ci.hi < 0.0; }
};

/// The outcome of a solve.
struct SolveResult {
    bool reached = false; ///< false: out of reach within the levers' ranges (and the cap)
    /// The answer, or, out of reach, the closest setting: of the settings evaluated (within the
    /// cap when asked and any is), the highest P(attain) counted up to P (of settings whose
    /// estimates reach P, the cheapest), then the lowest cost, compared on the
    /// same replicates (common random numbers) and reported on all of them. With a cap, the
    /// highest levels the cap allows along a lever's line are among them.
    SolveSetting best;
    /// Multi-lever: each lever's own answer, in SolveRequest::levers order (others at the
    /// scenario's levels); reached false where it cannot reach P alone. Each is read off every
    /// setting evaluated on the lever's line (the others at the scenario's levels, the
    /// scenario's own setting included), whichever part of the search evaluated it: its closest
    /// setting and its `not_monotone` (a fall along that line) do not depend on the order of
    /// the levers. Its `settings` and `replicates` are 0 (the search's are counted once, here).
    std::vector<SolveResult> single;
    /// The largest fall of P(attain) with a rising lever among the settings evaluated, if any
    /// (SolveNotMonotone). Out of reach with such a fall, "out of reach" is not an answer: the
    /// search's assumption does not hold, and a level below those it tried may reach P.
    std::optional<SolveNotMonotone> not_monotone;
    /// With `within_budget_cap`, out of reach within the cap: the cheapest setting evaluated
    /// whose estimate on all the replicates reaches P but whose mean cost is over a cap, if any
    /// (on the lever's line, for a lever alone). The cap alone rules it out.
    std::optional<SolveSetting> over_cap_answer;
    /// With `within_budget_cap`: no setting evaluated (on the lever's line, for a lever alone) is
    /// within the cap, so `best` is the closest setting of all, over the cap, and `own` says
    /// what the scenario's own setting costs.
    bool none_within_cap = false;
    /// The scenario's own setting (every lever at its `policy_start` level), on all the
    /// replicates, when `none_within_cap`.
    std::optional<SolveSetting> own;
    /// `own` is not the scenario's own setting but the one nearest it within the ranges searched:
    /// a lever's level when planners take over lies outside its range.
    bool own_clamped = false;
    /// Every other target of the scenario at `best` against the scenario as written, on
    /// `best`'s replicates (SolveOtherTarget); empty for the lever-alone results in `single`.
    std::vector<SolveOtherTarget> other_targets;
    /// Several levers: the trades (a lever lowered, another raised to make up for it) whose
    /// mean cost was lower on all the replicates, but not beyond the Monte Carlo error (the
    /// paired interval of the cost's change at `confidence` reaches 0), so were not taken.
    std::size_t trades_within_noise = 0;
    std::size_t settings = 0;   ///< settings evaluated
    std::size_t replicates = 0; ///< replicates simulated
};

/// Progress: called after each evaluated setting.
using SolveProgress = std::function<void(const SolveSetting&)>;

/// The smallest share of a lever's level above its floor by which a trade of several levers
/// lowers it (the halvings 1, 1/2, 1/4, ... stop at the last one at least max(4 precision,
/// 1/64)): how well a lever lowered in a trade is known, where bisection knows a level to
/// `precision`.
double trade_resolution(double precision);

/// The fewest replicates on which an assured verdict (SolveRequest::assured) can reach
/// `probability` at all: the smallest n whose Wilson interval at `confidence` with every one of
/// n replicates attaining has its lower end, n / (n + z^2), at least `probability`. Fewer, and
/// every setting would fall short whatever its true P(attain). Throws canopy::Error for a
/// probability outside (0, 1) or a confidence outside (0, 1), or when that n exceeds 2^31 - 1.
int assured_replicates_needed(double probability, double confidence);

/// Solves `request` on `experiment` (its scenario, model, seed; its factors, replicates and
/// outputs are set here) with `evaluator`. Throws canopy::Error for a request that names no
/// lever, a target out of range, a probability outside (0, 1), an empty range, or an assured
/// request with fewer than assured_replicates_needed() replicates.
SolveResult solve(const Experiment& experiment, Evaluator& evaluator, const SolveRequest& request,
                  const SolveProgress& progress = {});

} // namespace canopy::experiments
