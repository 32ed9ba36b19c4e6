// Design points: same bits at any thread count, common random numbers across points, and a point
// without overrides is exactly `canopy run`'s ensemble.
#include "registry.hpp"

#include <canopy/engine/parallel.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/output/summary.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace canopy;

namespace {

std::shared_ptr<const engine::Scenario> reference_scenario() {
    static const auto scenario = [] {
        engine::LoadResult loaded = engine::load_scenario(
            std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference.toml", models::model_catalog());
        REQUIRE(loaded.scenario);
        return std::make_shared<const engine::Scenario>(std::move(*loaded.scenario));
    }();
    return scenario;
}

// The reference scenario with two factors: a parameter and a lever (set from the start).
experiments::Experiment reference_experiment(int replicates) {
    experiments::Experiment e;
    e.scenario = reference_scenario();
    e.model = models::find_model("reference");
    engine::Diagnostics d;
    e.factors.push_back(*experiments::resolve_target("edges_per_firm", e.model->info(), {}, d));
    e.factors.push_back(*experiments::resolve_target("lever_high_tech", e.model->info(), {}, d));
    REQUIRE(d.empty());
    e.replicates = replicates;
    e.seed = 11;
    return e;
}

std::vector<experiments::Point> some_points() {
    return {{0, {3.0, 1.0}}, {1, {2.0, 1.5}}, {2, {4.0, 0.5}}, {3, {3.0, 2.0}}};
}

bool same(const experiments::PointResult& a, const experiments::PointResult& b) {
    return a.index == b.index && a.replicates == b.replicates && a.indicators == b.indicators &&
           a.rows == b.rows && a.finals == b.finals && a.mean_paths == b.mean_paths &&
           a.path_quantiles == b.path_quantiles;
}

std::vector<experiments::PointResult> evaluate_with(int threads, const experiments::Experiment& e) {
    const engine::ThreadLimit limit(threads);
    const auto points = some_points();
    return experiments::local_evaluator()->evaluate(e, points);
}

} // namespace

TEST_CASE("Design points are bit-identical at 1 and 2 threads", "[parallel][experiments]") {
    experiments::Experiment e = reference_experiment(4);
    e.outputs.mean_paths = true;
    e.outputs.path_quantiles = {0.05, 0.5, 0.95};
    const auto one = evaluate_with(1, e);
    const auto two = evaluate_with(2, e);
    REQUIRE(one.size() == 4);
    REQUIRE(two.size() == 4);
    for (std::size_t k = 0; k < one.size(); ++k) {
        CHECK(one[k].index == k);
        CHECK(same(one[k], two[k]));
        CHECK(same(one[k], experiments::evaluate_point(e, some_points()[k])));
        CHECK(one[k].rows == 13);
        CHECK(one[k].mean_paths.size() == one[k].indicators * 13);
        CHECK(one[k].path_quantiles.size() == one[k].indicators * 3 * 13);
    }
}

TEST_CASE("Points with one replicate run several at a time with the same bits",
          "[parallel][experiments]") {
    const experiments::Experiment e = reference_experiment(1);
    std::vector<std::size_t> order;
    std::vector<experiments::PointResult> together;
    {
        const engine::ThreadLimit limit(2);
        const auto points = some_points();
        together = experiments::local_evaluator()->evaluate(
            e, points, [&](const experiments::PointResult& r) { order.push_back(r.index); });
    }
    CHECK(std::set<std::size_t>(order.begin(), order.end()) == std::set<std::size_t>{0, 1, 2, 3});
    CHECK(order.size() == 4);
    const auto alone = evaluate_with(1, e);
    for (std::size_t k = 0; k < alone.size(); ++k) {
        CHECK(same(alone[k], together[k]));
    }
}

TEST_CASE("A point without overrides is canopy run's ensemble", "[parallel][experiments]") {
    experiments::Experiment e;
    e.scenario = reference_scenario();
    e.model = models::find_model("reference");
    e.replicates = 5;
    e.seed = 20230101;
    const experiments::PointResult r = experiments::evaluate_point(e, {0, {}});

    // What `canopy run` does: the scenario's ensemble, summarised.
    engine::EnsembleOptions options;
    options.replicates = 5;
    options.seed = 20230101;
    const engine::Ensemble ensemble = e.model->run(*e.scenario, options);
    const output::EnsembleSummary summary =
        output::summarise_ensemble(*e.scenario, e.model->info(), ensemble);
    REQUIRE(summary.finals.size() == r.indicators);
    for (std::size_t i = 0; i < summary.finals.size(); ++i) {
        for (std::size_t k = 0; k < 5; ++k) {
            const double a = summary.finals[i][k];
            const double b = r.final_value(i, k);
            CHECK((a == b || (std::isnan(a) && std::isnan(b))));
        }
    }
}

TEST_CASE("Points share replicate streams unless common random numbers are off",
          "[parallel][experiments]") {
    experiments::Experiment e = reference_experiment(3);
    // Two points with the same values but different indices.
    const experiments::Point a{5, {3.0, 1.0}};
    const experiments::Point b{9, {3.0, 1.0}};
    CHECK(experiments::evaluate_point(e, a).finals == experiments::evaluate_point(e, b).finals);
    CHECK(e.ensemble_seed(a) == e.seed);
    e.common_random_numbers = false;
    CHECK(e.ensemble_seed(a) == experiments::point_seed(e.seed, 5));
    CHECK(experiments::evaluate_point(e, a).finals != experiments::evaluate_point(e, b).finals);
}

TEST_CASE("Point seeds are distinct for distinct points", "[unit][experiments]") {
    std::set<std::uint64_t> seeds;
    for (std::uint64_t i = 0; i < 10000; ++i) {
        seeds.insert(experiments::point_seed(42, i));
    }
    CHECK(seeds.size() == 10000);
    CHECK(experiments::point_seed(42, 0) != experiments::point_seed(43, 0));
}

TEST_CASE("Fingerprints digest their parts with their lengths", "[unit][experiments]") {
    const std::vector<std::string> ab_c{"ab", "c"};
    const std::vector<std::string> a_bc{"a", "bc"};
    CHECK(experiments::make_fingerprint(ab_c) != experiments::make_fingerprint(a_bc));
    CHECK(experiments::make_fingerprint(ab_c) == experiments::make_fingerprint(ab_c));
    CHECK(experiments::make_fingerprint(ab_c).size() == 32);
}

TEST_CASE("A point's values must match the experiment's factors", "[unit][experiments]") {
    const experiments::Experiment e = reference_experiment(1);
    CHECK_THROWS_AS(experiments::evaluate_point(e, {0, {1.0}}), canopy::Error);
}
