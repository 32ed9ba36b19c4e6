// `canopy compare`'s table and JSON from hand-made runs: every final known in advance, so what
// the comparison says about undefined finals can be checked exactly.
#include "output_fixture.hpp"

#include <canopy/output/compare.hpp>
#include <canopy/output/json.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

using namespace canopy;
using nlohmann::json;

namespace {

constexpr double NAN_ = std::numeric_limits<double>::quiet_NaN();

// The synthetic runs with stock_a's final (a_end, row 12) undefined in the replicates given.
output::EnsembleSummary run(const std::string& mix, const std::vector<int>& undefined) {
    auto ensemble = test::synthetic_ensemble(10);
    for (const int r : undefined) {
        ensemble.runs[static_cast<std::size_t>(r)].row(12)[0] = NAN_;
    }
    output::SummaryOptions options;
    options.policy_mix = mix;
    return output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(), ensemble,
                                      options);
}

} // namespace

TEST_CASE("A comparison says in how many replicates of each mix a target was undefined",
          "[output][compare]") {
    // a_end is r + 1 in replicate r: undefined in replicate 3 under the base, 3, 8 and 9 under
    // the mix.
    const std::vector<output::EnsembleSummary> runs{run("", {3}), run("more_l0", {3, 8, 9})};
    const output::Comparison c = output::compare_runs(runs);
    // Each side's median is over its own numbers: 1..10 without 4 (median 6) under the base,
    // without 4, 9 and 10 (median 5) under the mix, though replicates 8 and 9 have a number
    // under the base. P(attain >= 8), undefined as a miss: 3 of 10 and 1 of 10.
    CHECK(c.mixes[1].targets[0].delta_median == -1.0);
    CHECK(c.mixes[1].targets[0].delta_p == Approx(-0.2));

    const std::string table = output::format_comparison(c);
    CHECK(table.find("  a_end undefined in 1 of 10 replicates under base\n") != std::string::npos);
    CHECK(table.find("  a_end undefined in 3 of 10 replicates under more_l0\n") !=
          std::string::npos);
    CHECK(table.find("b_total undefined") == std::string::npos);
    CHECK(table.find("count as not attained") != std::string::npos);
    // The notes belong to a_end's block, before b_low's.
    CHECK(table.find("replicates under more_l0") < table.find("b_low"));

    const json j = json::parse(output::comparison_json(c));
    CHECK(j["mixes"][0]["targets"][0]["undefined"] == 1);
    CHECK(j["mixes"][1]["targets"][0]["undefined"] == 3);
    CHECK_FALSE(j["mixes"][1]["targets"][1].contains("undefined"));

    // Nothing undefined: no note and no field.
    const std::vector<output::EnsembleSummary> clean{run("", {}), run("more_l0", {})};
    const output::Comparison d = output::compare_runs(clean);
    CHECK(output::format_comparison(d).find("undefined") == std::string::npos);
    CHECK(output::comparison_json(d).find("undefined") == std::string::npos);
}

TEST_CASE("A target's median interval does not depend on the other targets of the comparison",
          "[output][compare]") {
    // The bootstrap's stream comes from the target's id. It used to be the target's position, so
    // a scenario that added, removed or reordered targets before one moved its interval. The
    // first target (on a_end, whose sides differ) is moved to the end, and its interval holds.
    std::vector<output::EnsembleSummary> runs{run("", {}), run("more_l0", {3, 8, 9})};
    const output::Comparison first = output::compare_runs(runs);
    REQUIRE(first.targets.size() >= 2);
    const std::string moved = first.mixes[1].targets[0].id;
    for (output::EnsembleSummary& r : runs) {
        std::rotate(r.targets.begin(), r.targets.begin() + 1, r.targets.end());
    }
    const output::Comparison last = output::compare_runs(runs);
    const auto& before = first.mixes[1].targets.front();
    const auto& after = last.mixes[1].targets.back();
    REQUIRE(after.id == moved);
    // A real interval: the two sides differ, so the resamples spread.
    CHECK(before.delta_median_ci.lo < before.delta_median_ci.hi);
    CHECK(after.delta_median == before.delta_median);
    CHECK(after.delta_median_ci.lo == before.delta_median_ci.lo);
    CHECK(after.delta_median_ci.hi == before.delta_median_ci.hi);
}
