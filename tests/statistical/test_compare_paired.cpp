// canopy compare's reason to exist: a mix run on the base's random streams (common random
// numbers) measures its effect with intervals several times tighter than the same mix run on
// streams of its own.
#include "registry.hpp"

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/output/compare.hpp>
#include <canopy/output/summary.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <vector>

using namespace canopy;

namespace {

output::EnsembleSummary run(const models::ModelHandle& model, const engine::Scenario& base,
                            const std::string& mix, std::uint64_t seed, int replicates) {
    const engine::Scenario s = base.with_policy_mix(mix);
    engine::EnsembleOptions options;
    options.replicates = replicates;
    options.seed = seed;
    const engine::Ensemble e = model.run(s, options);
    output::SummaryOptions so;
    so.policy_mix = mix.empty() ? output::BASE_MIX : mix;
    return output::summarise_ensemble(s, model.info(), e, so);
}

} // namespace

TEST_CASE("Paired intervals on common random numbers are several times tighter than "
          "independent ones",
          "[statistical][compare]") {
    // The Wuhan scenario, whose replicates draw parameters and initial pools: the uncertainty a
    // mix shares with the base, which pairing removes from the difference. (On the reference
    // scenario, whose only randomness is the firms' own draws, the pairing narrows the interval
    // of a median difference by 1.5-2.5 times: a lever that changes who is promoted changes the
    // later draws' meaning.)
    const auto path = std::filesystem::path(CANOPY_SOURCE_DIR) / "scenarios" / "wuhan-2023.toml";
    engine::LoadResult loaded = engine::load_scenario(path, models::model_catalog());
    REQUIRE(loaded.scenario);
    const engine::Scenario& scenario = *loaded.scenario;
    const models::ModelHandle* model = models::find_model(scenario.model);
    REQUIRE(model != nullptr);
    constexpr int N = 40;
    constexpr std::uint64_t SEED = 41;
    const std::string mix = "certification_push";
    const output::EnsembleSummary base = run(*model, scenario, "", SEED, N);
    const output::EnsembleSummary paired = run(*model, scenario, mix, SEED, N);
    const output::EnsembleSummary alone = run(*model, scenario, mix, SEED + 1, N);
    const std::vector<output::EnsembleSummary> with_crn{base, paired};
    const std::vector<output::EnsembleSummary> without{base, alone};
    const output::Comparison crn = output::compare_runs(with_crn, true);
    const output::Comparison independent = output::compare_runs(without, false);

    const auto width = [](const engine::Interval& ci) { return ci.hi - ci.lo; };
    std::vector<double> ratios; // independent width / paired width, per target
    for (std::size_t t = 0; t < crn.targets.size(); ++t) {
        const output::TargetComparison& c = crn.mixes.at(1).targets.at(t);
        const output::TargetComparison& i = independent.mixes.at(1).targets.at(t);
        INFO(crn.targets[t].id << ": paired median difference " << c.delta_median << " ["
                               << c.delta_median_ci.lo << ", " << c.delta_median_ci.hi
                               << "], independent " << i.delta_median << " ["
                               << i.delta_median_ci.lo << ", " << i.delta_median_ci.hi << "]");
        // Both estimate the same effect: the intervals overlap.
        CHECK(c.delta_median_ci.lo <= i.delta_median_ci.hi);
        CHECK(i.delta_median_ci.lo <= c.delta_median_ci.hi);
        // Pairing never makes an interval wider than the noise of two independent runs (up to
        // the bootstrap's own resolution at 40 replicates).
        CHECK(width(c.delta_median_ci) <= 1.25 * width(i.delta_median_ci));
        if (width(i.delta_median_ci) > 0.0) {
            ratios.push_back(width(c.delta_median_ci) > 0.0
                                 ? width(i.delta_median_ci) / width(c.delta_median_ci)
                                 : std::numeric_limits<double>::infinity());
        }
    }
    // "Several times": over the targets, the typical paired interval is at least three times
    // narrower.
    REQUIRE(ratios.size() >= 6);
    std::sort(ratios.begin(), ratios.end());
    INFO("median ratio " << ratios[ratios.size() / 2]);
    CHECK(ratios[ratios.size() / 2] >= 3.0);
    // The base against itself is exactly nothing.
    for (const output::TargetComparison& t : crn.mixes.front().targets) {
        CHECK(t.delta_median == 0.0);
        CHECK(t.delta_p == 0.0);
        CHECK(t.delta_p_ci.lo == 0.0);
        CHECK(t.delta_p_ci.hi == 0.0);
    }
}
