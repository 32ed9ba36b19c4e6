// Lever effects (experiments/lever_effects.hpp): the paired summary of one target, and both ends
// of each lever run on common random numbers.
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/lever_effects.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

using namespace canopy;

TEST_CASE("A paired effect: no change gives zero; a shift gives the shift",
          "[unit][lever_effects]") {
    const std::vector<double> low = {10, 12, 9, 15, 11, 13, 8, 14, 10, 12};
    const experiments::TargetEffect same =
        experiments::paired_effect(low, low, engine::Comparison::greater_equal, 12.0, 1, 0);
    CHECK(same.delta_median == 0.0);
    CHECK(same.delta_median_ci.lo == 0.0);
    CHECK(same.delta_median_ci.hi == 0.0);
    CHECK(same.delta_p == 0.0);
    CHECK_FALSE(same.moves());
    CHECK(same.p_low == Approx(0.5)); // 12, 15, 13, 14, 12 of ten reach 12

    // Every replicate 3 higher: the median moves by exactly 3 in every resample (paired), and
    // P(attain) rises by the replicates pushed over the threshold (10, 9, 11, 10 reach 12 now).
    std::vector<double> high = low;
    for (double& x : high) {
        x += 3.0;
    }
    const experiments::TargetEffect up =
        experiments::paired_effect(low, high, engine::Comparison::greater_equal, 12.0, 1, 0);
    CHECK(up.delta_median == Approx(3.0));
    CHECK(up.delta_median_ci.lo == Approx(3.0));
    CHECK(up.delta_median_ci.hi == Approx(3.0));
    CHECK(up.p_high == Approx(0.9)); // only 8 + 3 = 11 stays below
    CHECK(up.delta_p == Approx(0.4));
    // Four pairs of ten changed, all upwards, do not settle P(attain)'s change (exact McNemar
    // p = 0.125): its interval holds 0. The median's shift does, so the lever moves the target.
    CHECK(up.delta_p_ci.lo < 0.0);
    CHECK(up.delta_p_ci.hi > 0.4);
    CHECK(up.moves());
    // NaN finals never attain and are left out of the medians.
    std::vector<double> gaps = high;
    gaps[0] = std::numeric_limits<double>::quiet_NaN();
    const experiments::TargetEffect g =
        experiments::paired_effect(low, gaps, engine::Comparison::greater_equal, 12.0, 1, 0);
    CHECK(g.p_high == Approx(0.8));
    CHECK(std::isfinite(g.median_high));
    CHECK_THROWS(experiments::paired_effect(low, std::vector<double>(3, 1.0),
                                            engine::Comparison::greater, 0.0, 1, 0));
}

TEST_CASE("A paired change in P(attain) has Newcombe's interval, as compare's",
          "[unit][lever_effects]") {
    // An outside probe: the paired bootstrap gave [+100, +100] when all 100 pairs changed, and
    // "moves" on 4 changed pairs of 100 (exact McNemar p = 0.125); it covered 65 % and 86 % of
    // such cases where it claimed 95 %. Newcombe's paired interval (method 10) is what compare
    // gives for the same quantity: [+94.8, +100] and one that holds 0.
    std::vector<double> low(100, 0.0);
    std::vector<double> high(100, 1.0);
    const experiments::TargetEffect all =
        experiments::paired_effect(low, high, engine::Comparison::greater_equal, 1.0, 1, 0);
    CHECK(all.delta_p == 1.0);
    CHECK(all.delta_p_ci.hi == Approx(1.0));
    CHECK(all.delta_p_ci.lo == Approx(0.948).margin(0.001));

    // 40 pairs attain at both ends, 4 at the high end only, 56 at neither: both medians are 0.
    std::vector<double> lo(100, 0.0);
    std::vector<double> hi(100, 0.0);
    for (std::size_t r = 0; r < 40; ++r) {
        lo[r] = hi[r] = 1.0;
    }
    for (std::size_t r = 40; r < 44; ++r) {
        hi[r] = 1.0;
    }
    const experiments::TargetEffect few =
        experiments::paired_effect(lo, hi, engine::Comparison::greater_equal, 1.0, 1, 0);
    CHECK(few.delta_p == Approx(0.04));
    CHECK(few.delta_p_ci.lo < 0.0);
    CHECK(few.delta_p_ci.hi > few.delta_p);
    CHECK(few.delta_p_ci.hi < 0.1);
    CHECK(few.delta_median == 0.0);
    CHECK_FALSE(few.moves());
}

TEST_CASE("Lever effects run both ends on common random numbers", "[unit][lever_effects]") {
    const engine::LoadResult loaded = engine::load_scenario(
        std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference.toml", models::model_catalog());
    REQUIRE(loaded.scenario);
    experiments::Experiment x;
    x.scenario = std::make_shared<const engine::Scenario>(*loaded.scenario);
    x.model = models::find_model("reference");
    x.replicates = 20;
    x.seed = 3;
    const auto lever = [&](const std::string& name) {
        const auto& levers = x.model->info().levers;
        for (std::size_t k = 0; k < levers.size(); ++k) {
            if (levers[k].name == name) {
                return experiments::OverrideTarget{name, experiments::TargetKind::lever,
                                                   static_cast<int>(k),
                                                   experiments::OverrideMode::set};
            }
        }
        FAIL("no lever " << name);
        return experiments::OverrideTarget{};
    };
    const std::vector<experiments::LeverRange> ranges = {
        {lever("lever_high_tech"), 0.5, 3.0, "test"},
        {lever("lever_sme"), 1.0, 1.0, "test: both ends the same"}};
    std::unique_ptr<experiments::Evaluator> evaluator = experiments::local_evaluator();
    const experiments::LeverEffects e = experiments::lever_effects(x, ranges, *evaluator);
    REQUIRE(e.targets.size() == loaded.scenario->targets.size());
    REQUIRE(e.effects.size() == 2 * e.targets.size());
    const auto target = [&](const std::string& id) {
        return static_cast<std::size_t>(std::find(e.targets.begin(), e.targets.end(), id) -
                                        e.targets.begin());
    };
    // Six times the promotion of high-tech firms to leaders: more leaders, and fewer firms left
    // at the high-tech rung to grow, each distinguishably.
    const experiments::TargetEffect& leaders = e.at(0, target("leaders_2023"));
    INFO("leaders " << leaders.median_low << " -> " << leaders.median_high);
    CHECK(leaders.delta_median_ci.lo > 0.0);
    CHECK(leaders.moves());
    const experiments::TargetEffect& growth = e.at(0, target("high_tech_growth"));
    INFO("high-tech growth " << growth.median_low << " -> " << growth.median_high);
    CHECK(growth.delta_median_ci.hi < 0.0);
    // The same value at both ends is the same runs: exactly no change, for every target.
    for (std::size_t t = 0; t < e.targets.size(); ++t) {
        CHECK(e.at(1, t).delta_median == 0.0);
        CHECK(e.at(1, t).delta_p == 0.0);
        CHECK_FALSE(e.at(1, t).moves());
    }
    // Deterministic: the same inputs, the same bits.
    const experiments::LeverEffects again = experiments::lever_effects(x, ranges, *evaluator);
    CHECK(again.at(0, target("high_tech_growth")).delta_median_ci.lo == growth.delta_median_ci.lo);
    // A lever's row does not depend on the other levers in the run, nor on their order: an outside
    // probe ran `canopy levers --lever matchmaking_events` alone and got another interval than
    // the full table's (the bootstrap's stream was the row's position).
    const std::vector<experiments::LeverRange> swapped = {ranges[1], ranges[0]};
    const experiments::LeverEffects other = experiments::lever_effects(x, swapped, *evaluator);
    for (std::size_t t = 0; t < e.targets.size(); ++t) {
        INFO(e.targets[t]);
        CHECK(other.at(1, t).delta_median_ci.lo == e.at(0, t).delta_median_ci.lo);
        CHECK(other.at(1, t).delta_median_ci.hi == e.at(0, t).delta_median_ci.hi);
    }

    experiments::Experiment independent = x;
    independent.common_random_numbers = false;
    CHECK_THROWS(experiments::lever_effects(independent, ranges, *evaluator));
}
