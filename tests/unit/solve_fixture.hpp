#pragma once
// The reference scenario as solve's tests use it: its target leaders_2023 (an indicator of 100
// when a replicate attains, 0 if not, as the tests' evaluators write it), and requests and levers
// for it. Shared by tests/unit/test_solve.cpp and tests/statistical/test_solve_assured.cpp.
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/solve.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace canopy::test {

// Point p's result on e's replicates: the target's indicator (index `indicator` of `indicators`)
// is 100 in replicate r where attains(r) holds and 0 elsewhere, the other indicators 0.
template <class Attains>
experiments::PointResult attain_result(const experiments::Experiment& e,
                                       const experiments::Point& p, std::size_t indicator,
                                       std::size_t indicators, const Attains& attains) {
    experiments::PointResult r;
    r.index = p.index;
    r.replicates = static_cast<std::uint32_t>(e.replicates);
    r.indicators = static_cast<std::uint32_t>(indicators);
    r.finals.assign(indicators * r.replicates, 0.0);
    for (std::uint32_t k = 0; k < r.replicates; ++k) {
        r.finals[indicator * r.replicates + k] = attains(e.first_replicate + k) ? 100.0 : 0.0;
    }
    return r;
}

// The reference scenario, and the indices of its target leaders_2023 (an indicator of 100 when
// a replicate attains, 0 if not: what the tests' evaluators write), of that target's indicator
// and of the model's levers by name.
struct Reference {
    engine::Scenario scenario;
    std::size_t target = 0;
    std::size_t indicator = 0;

    static Reference load() {
        const engine::LoadResult loaded = engine::load_scenario(
            std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference.toml", models::model_catalog());
        REQUIRE(loaded.scenario);
        Reference out{*loaded.scenario};
        const engine::Scenario& s = out.scenario;
        out.target = s.targets.size();
        for (std::size_t t = 0; t < s.targets.size(); ++t) {
            if (s.targets[t].id == "leaders_2023") {
                out.target = t;
            }
        }
        REQUIRE(out.target < s.targets.size());
        out.indicator = s.indicators.size();
        for (std::size_t i = 0; i < s.indicators.size(); ++i) {
            if (s.indicators[i].id == s.targets[out.target].indicator) {
                out.indicator = i;
            }
        }
        REQUIRE(out.indicator < s.indicators.size());
        return out;
    }

    [[nodiscard]] experiments::Experiment experiment() const {
        experiments::Experiment x;
        x.scenario = std::make_shared<const engine::Scenario>(scenario);
        x.model = models::find_model("reference");
        x.seed = 5;
        return x;
    }

    // A request for its target: P(attain) >= `probability` by `levers`, judged on `first`
    // replicates first and at most `max_replicates`, levels found to `precision`.
    [[nodiscard]] experiments::SolveRequest request(std::vector<experiments::SolveLever> levers,
                                                    double probability, int max_replicates,
                                                    int first, double precision) const {
        experiments::SolveRequest r;
        r.target = target;
        r.probability = probability;
        r.levers = std::move(levers);
        r.max_replicates = max_replicates;
        r.first_replicates = first;
        r.precision = precision;
        return r;
    }

    // The lever `name` searched over [low, high].
    [[nodiscard]] static experiments::SolveLever lever(const std::string& name, double low,
                                                       double high) {
        const auto& levers = models::find_model("reference")->info().levers;
        int index = -1;
        for (std::size_t k = 0; k < levers.size(); ++k) {
            if (levers[k].name == name) {
                index = static_cast<int>(k);
            }
        }
        REQUIRE(index >= 0);
        return {{name, experiments::TargetKind::lever, index, experiments::OverrideMode::set},
                low,
                high,
                0.0};
    }
};

} // namespace canopy::test
