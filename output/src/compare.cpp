// Policy mixes compared on common random numbers: medians, P(attain), paired differences, costs.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/paired.hpp>
#include <canopy/output/compare.hpp>
#include <canopy/output/report.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace canopy::output {

namespace {

std::vector<std::uint8_t> attained(const TargetResult& t, const std::vector<double>& finals) {
    std::vector<std::uint8_t> out(finals.size());
    for (std::size_t r = 0; r < finals.size(); ++r) {
        // A NaN final does not attain (engine/target.hpp), so it counts as a miss here too.
        out[r] = !std::isnan(finals[r]) &&
                         engine::attained(t.summary.comparison, finals[r], t.summary.threshold)
                     ? 1U
                     : 0U;
    }
    return out;
}

} // namespace

Comparison compare_runs(std::span<const EnsembleSummary> runs, bool common_random_numbers) {
    if (runs.empty()) {
        throw Error("nothing to compare: no runs");
    }
    const EnsembleSummary& base = runs.front();
    Comparison c;
    c.scenario = base.scenario;
    c.title = base.title;
    c.seed = base.seed;
    c.replicates = base.replicates;
    c.confidence = base.confidence;
    c.common_random_numbers = common_random_numbers;
    c.currency = base.costs.currency;
    c.years = base.costs.years;
    c.cap_per_year = base.costs.cap_per_year;
    c.cap_total = base.costs.cap_total;
    for (const TargetResult& t : base.targets) {
        c.targets.push_back(TargetGoal{t.summary.id, t.indicator, t.summary.comparison,
                                       t.summary.threshold, t.summary.unit, t.description});
    }
    for (const EnsembleSummary& run : runs) {
        if (run.replicates != base.replicates || run.targets.size() != base.targets.size() ||
            run.finals.size() != base.finals.size()) {
            throw Error("cannot compare policy mix '" + run.policy_mix + "' with '" +
                        base.policy_mix + "': they differ in replicates or targets");
        }
        MixComparison m;
        m.name = run.policy_mix;
        m.description = run.policy_mix_description;
        m.cost = run.costs.priced ? run.costs.total : 0.0;
        m.cost_q05 = run.costs.priced ? run.costs.q05 : 0.0;
        m.cost_q95 = run.costs.priced ? run.costs.q95 : 0.0;
        m.cost_by_year = run.costs.by_year;
        m.over_budget = run.costs.over_cap;
        m.p_over_budget = run.costs.p_over_cap;
        for (std::size_t t = 0; t < run.targets.size(); ++t) {
            const TargetResult& mine = run.targets[t];
            const TargetResult& theirs = base.targets[t];
            if (mine.summary.id != theirs.summary.id) {
                throw Error("cannot compare policy mix '" + run.policy_mix + "': its target " +
                            std::to_string(t) + " is '" + mine.summary.id + "', the base's '" +
                            theirs.summary.id + "'");
            }
            const std::vector<double>& x = base.finals.at(theirs.indicator_index);
            const std::vector<double>& y = run.finals.at(mine.indicator_index);
            TargetComparison tc;
            tc.id = mine.summary.id;
            tc.median = mine.summary.median;
            tc.p_attain = mine.summary.p_attain;
            tc.p_attain_ci = mine.summary.p_attain_ci;
            tc.undefined = mine.summary.undefined;
            tc.by_inputs = mine.determination.by_inputs;
            // The bootstrap's stream comes from the target's id, as `canopy levers`' rows do
            // from their names: the same comparison gives the same bits, and a target's interval
            // does not move when a scenario adds, removes or reorders other targets.
            const experiments::PairedDifference dm = experiments::paired_median_difference(
                x, y, c.confidence, 2000, experiments::bootstrap_stream({mine.summary.id}));
            const experiments::PairedDifference dp = experiments::paired_proportion_difference(
                attained(theirs, x), attained(mine, y), c.confidence);
            if (&run != &base) { // the base against itself: 0, exactly
                tc.delta_median = dm.estimate;
                tc.delta_median_ci = dm.ci;
                tc.delta_p = dp.estimate;
                tc.delta_p_ci = dp.ci;
            }
            m.targets.push_back(std::move(tc));
        }
        c.mixes.push_back(std::move(m));
    }
    return c;
}

void add_comparison(Report& report, const Comparison& c) {
    report.subtitle = "canopy compare: " + std::to_string(c.mixes.size()) + " settings of " +
                      c.scenario + " on common random numbers, " + std::to_string(c.replicates) +
                      " replicates each, seed " + std::to_string(c.seed) +
                      "; differences from the base are paired replicate by replicate";
    for (ReportMix& mix : report.mixes) {
        const auto m = std::find_if(c.mixes.begin(), c.mixes.end(),
                                    [&](const MixComparison& x) { return x.name == mix.name; });
        if (m == c.mixes.end() || m == c.mixes.begin()) {
            continue; // the base: no difference from itself
        }
        for (ReportTarget& t : mix.targets) {
            for (const TargetComparison& tc : m->targets) {
                if (tc.id == t.id) {
                    t.delta_median = tc.delta_median;
                    t.delta_median_ci =
                        std::array<double, 2>{tc.delta_median_ci.lo, tc.delta_median_ci.hi};
                    t.delta_p = tc.delta_p;
                    t.delta_p_ci = std::array<double, 2>{tc.delta_p_ci.lo, tc.delta_p_ci.hi};
                }
            }
        }
    }
    report.effects_are_mixes = true;
    for (std::size_t k = 1; k < c.mixes.size(); ++k) {
        const MixComparison& m = c.mixes[k];
        for (const TargetComparison& tc : m.targets) {
            ReportLeverEffect e;
            e.lever = m.name;
            // The bar's label is the mix's name alone: "NAME policy mix NAME instead of the
            // base" said it twice, and long names then read alike (the note says what a bar is).
            e.change.clear();
            e.target = tc.id;
            e.delta_p = tc.delta_p;
            e.delta_p_ci = std::array<double, 2>{tc.delta_p_ci.lo, tc.delta_p_ci.hi};
            e.delta_median = tc.delta_median;
            report.lever_effects.push_back(std::move(e));
        }
    }
}

} // namespace canopy::output
