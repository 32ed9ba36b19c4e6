// canopy compare's reason to exist: a mix run on the base's random streams (common random
// numbers) measures its effect with intervals several times tighter than the same mix run on
// streams of its own.
#include "registry.hpp"

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/output/compare.hpp>
#include <canopy/output/summary.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
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
    const auto path = std::filesystem::path(CANOPY_SOURCE_DIR) / "scenarios" / "reference.toml";
    engine::LoadResult loaded = engine::load_scenario(path, models::model_catalog());
    REQUIRE(loaded.scenario);
    const engine::Scenario& scenario = *loaded.scenario;
    const models::ModelHandle* model = models::find_model(scenario.model);
    REQUIRE(model != nullptr);
    constexpr int N = 120;
    constexpr std::uint64_t SEED = 41;
    const output::EnsembleSummary base = run(*model, scenario, "", SEED, N);
    const output::EnsembleSummary paired = run(*model, scenario, "high_tech_push", SEED, N);
    const output::EnsembleSummary alone = run(*model, scenario, "high_tech_push", SEED + 1, N);
    const std::vector<output::EnsembleSummary> with_crn{base, paired};
    const std::vector<output::EnsembleSummary> without{base, alone};
    const output::Comparison crn = output::compare_runs(with_crn, true);
    const output::Comparison independent = output::compare_runs(without, false);

    const auto width = [](const engine::Interval& ci) { return ci.hi - ci.lo; };
    // The targets on stocks the push moves: the high-tech stock's growth and the leaders.
    for (const std::string id : {"high_tech_growth", "leaders_2023"}) {
        std::size_t t = 0;
        while (crn.targets.at(t).id != id) {
            ++t;
        }
        const output::TargetComparison& c = crn.mixes.at(1).targets.at(t);
        const output::TargetComparison& i = independent.mixes.at(1).targets.at(t);
        INFO(id << ": paired median difference " << c.delta_median << " [" << c.delta_median_ci.lo
                << ", " << c.delta_median_ci.hi << "], independent " << i.delta_median << " ["
                << i.delta_median_ci.lo << ", " << i.delta_median_ci.hi << "]");
        // Both estimate the same effect; the paired interval lies inside the noise of the other.
        CHECK(c.delta_median_ci.lo <= i.delta_median_ci.hi);
        CHECK(i.delta_median_ci.lo <= c.delta_median_ci.hi);
        // "Several times": at least three times narrower.
        CHECK(3.0 * width(c.delta_median_ci) < width(i.delta_median_ci));
    }
    // The base against itself is exactly nothing.
    for (const output::TargetComparison& t : crn.mixes.front().targets) {
        CHECK(t.delta_median == 0.0);
        CHECK(t.delta_p == 0.0);
        CHECK(t.delta_p_ci.lo == 0.0);
        CHECK(t.delta_p_ci.hi == 0.0);
    }
}
