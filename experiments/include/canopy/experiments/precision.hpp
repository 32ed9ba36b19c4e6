#pragma once
/// \file precision.hpp
/// Answers that stop when they are sure (`canopy run --precision H`, the scenario's
/// `precision` key): replicates run in deterministic blocks until every target's P(attain) is
/// settled, up to a most.
///
/// The rule, for a half-width H and at most M replicates:
///   - The run looks at fixed replicate counts: 100, 200, 400, ... (doubling), then M
///     (precision_looks). The counts depend on M alone, never on the thread count or on timing,
///     and replicate r is always RandomKey{seed, r}: the replicates used are a prefix of the
///     M-replicate run, so the result is the same bits as `--replicates n` for the n it stops at.
///   - At each look, a target is settled when its P(attain) interval is narrower than ±H, or
///     lies wholly on one side of 0.5 (its verdict, likely or unlikely, is decided).
///   - The run stops at the first look where every target (of every policy mix run together,
///     which keep common random numbers) is settled, or at M.
///   - Looking several times at a growing sample and stopping at the first good look would make
///     an interval's stated confidence a promise it cannot keep. So each look tests an interval at
///     the confidence 1 - (1 - c) / L, with c the run's confidence and L the number of looks
///     the rule may take (Bonferroni over the looks): over all looks together, the chance that a
///     decided verdict is wrong stays below 1 - c. So the verdicts are taken on that interval
///     wherever the run stops, the last look included: there, too, a verdict is one of the L
///     chances the rule took (read on the ordinary interval at the last look, a run that looked
///     five times decided a true one half wrongly 7.4 % of the time, not 5 %). The reported
///     interval is the ordinary one at confidence c, which is narrower, so a target reported
///     settled also satisfies the rule at c. A rule that looks once (M <= 100) is the fixed run.
///   - A run with no target has nothing to settle: it runs all M (settled false).

#include <canopy/engine/statistics.hpp>

#include <cstddef>
#include <functional>
#include <vector>

namespace canopy::experiments {

/// The first look's replicate count (or M, when smaller).
inline constexpr std::size_t PRECISION_FIRST_LOOK = 100;

/// The largest half-width --precision and `precision` accept (exclusive): every interval is
/// narrower than ±0.5.
inline constexpr double PRECISION_MAX = 0.5;

/// How to stop.
struct PrecisionRule {
    double half_width = 0.0;        ///< H, a probability in (0, 0.5)
    std::size_t max_replicates = 0; ///< M >= 1
    engine::IntervalMethod interval = engine::IntervalMethod::wilson;
    double confidence = 0.95; ///< c, of the reported intervals
};

/// The replicate counts at which the rule looks: 100, 200, 400, ... below M, then M.
std::vector<std::size_t> precision_looks(std::size_t max_replicates);

/// The confidence each look tests at: 1 - (1 - c) / (number of looks).
double look_confidence(const PrecisionRule& rule);

/// Whether a target with `attained` of `replicates` is settled under `rule` (at
/// look_confidence(rule), the confidence its verdict is taken at too).
bool target_settled(std::size_t attained, std::size_t replicates, const PrecisionRule& rule);

/// What a target looks like at a look: attained of replicates.
struct TargetCount {
    std::size_t attained = 0;
    std::size_t replicates = 0;
};

/// Where a run stopped.
struct PrecisionOutcome {
    std::size_t replicates = 0; ///< replicates used (a look's count)
    bool settled = false;       ///< every target settled (false: the rule ran out at M)
    std::size_t looks = 0;      ///< looks taken
};

/// Runs blocks until the rule is met. `extend(first, count)` runs replicates first ..
/// first + count - 1 (appending them to whatever it keeps) and returns every target's count
/// over all replicates so far. Throws canopy::Error for a rule out of range.
PrecisionOutcome run_until_settled(
    const PrecisionRule& rule,
    const std::function<std::vector<TargetCount>(std::size_t first, std::size_t count)>& extend);

/// A problem with a half-width, or empty: "must be a probability above 0 and below 0.5".
std::string precision_problem(double half_width);

} // namespace canopy::experiments
