// The ensemble runner: per-replicate parameter draws and thread-independent results.
#include "reference/reference_model.hpp"
#include "registry.hpp"

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace canopy;

namespace {
engine::Scenario reference_scenario() {
    const auto loaded = engine::load_scenario(
        std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference.toml", models::model_catalog());
    REQUIRE(loaded.scenario);
    engine::Scenario s = *loaded.scenario;
    // An uncertain parameter, so that replicates differ in their draws too.
    const int births = models::find_model("reference")->info().parameter_index("births_per_month");
    s.parameters[static_cast<std::size_t>(births)].value = {engine::Uncertain::Kind::uniform, 50.0,
                                                            150.0, 0.0};
    return s;
}
} // namespace

TEST_CASE("Replicates draw their own parameters, reproducibly", "[parallel][ensemble]") {
    const engine::Scenario s = reference_scenario();
    const models::reference::Model model;
    engine::EnsembleOptions o;
    o.replicates = 6;
    o.seed = 99;
    const engine::Ensemble a = engine::run_ensemble(model, s, o);
    const engine::Ensemble b = engine::run_ensemble(model, s, o);
    std::set<double> draws;
    for (std::size_t r = 0; r < a.replicates(); ++r) {
        draws.insert(a.parameters[r][models::reference::P_BIRTHS_PER_MONTH]);
        CHECK(a.parameters[r] == b.parameters[r]);
        CHECK(a.runs[r].values == b.runs[r].values);
    }
    CHECK(draws.size() == 6);
    // A shard that starts at replicate 3 reproduces replicates 3..5 exactly.
    o.first_replicate = 3;
    o.replicates = 3;
    const engine::Ensemble shard = engine::run_ensemble(model, s, o);
    for (std::size_t r = 0; r < 3; ++r) {
        CHECK(shard.runs[r].values == a.runs[r + 3].values);
    }
}

TEST_CASE("An ensemble is the same at 1, 2, 4 and 8 threads, and serial", "[parallel][ensemble]") {
    const engine::Scenario s = reference_scenario();
    const models::reference::Model model;
    engine::EnsembleOptions o;
    o.replicates = 5;
    o.parallel = false;
    const engine::Ensemble serial = engine::run_ensemble(model, s, o);
    o.parallel = true;
    for (const int threads : {1, 2, 4, 8}) {
        const engine::ThreadLimit limit(threads);
        std::size_t calls = 0;
        o.progress = [&](std::size_t done, std::size_t total) {
            ++calls;
            CHECK(done <= total);
        };
        const engine::Ensemble e = engine::run_ensemble(model, s, o);
        CHECK(calls == 5);
        for (std::size_t r = 0; r < 5; ++r) {
            CHECK(e.runs[r].values == serial.runs[r].values);
        }
    }
}
