// The models' memory estimates, which the command line compares with the memory available
// before a run starts: they follow the ties per firm, and are never below what a run holds.
#include "ecosystem/ecosystem_model.hpp"
#include "reference/reference_model.hpp"
#include "registry.hpp"

#include <canopy/engine/parallel.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/engine/simulation.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace canopy;
namespace ref = canopy::models::reference;
namespace eco = canopy::models::ecosystem;

TEST_CASE("The reference model's memory estimate grows with edges_per_firm and bounds its network",
          "[model][reference][resources]") {
    const ref::Model model;
    const engine::Calendar calendar({2023, 1}, 12);
    const std::vector<double> three{1e6, 300.0, 3.0};
    const std::vector<double> many{1e6, 300.0, 64.0};
    // 64 ties a firm hold about 20 times the bytes of 3 (1.04 GB against 96 MB measured at a
    // million firms); a figure that ignored them said 40 MB for both.
    CHECK(ref::Model::bytes_per_agent(many) > 10.0 * ref::Model::bytes_per_agent(three));
    CHECK(model.info().bytes_per_agent == ref::Model::bytes_per_agent(three));

    for (const double m : {1.0, 3.0, 16.0, 64.0}) {
        const std::size_t n = 20'000;
        engine::RunInputs in;
        in.calendar = calendar;
        in.parameters = {static_cast<double>(n), 300.0, m};
        in.levers.assign(3, engine::Schedule::constant(1.0));
        engine::Simulation<ref::Model> sim(model, in, engine::RandomKey{5, 0},
                                           engine::Executor(false));
        engine::SeriesTable table;
        sim.run(table);
        // The network and stages at the end, and at set-up the generator's 2 m n endpoints
        // (4 bytes each) beside the network it builds from them.
        const double held = static_cast<double>(ref::Model::state_bytes(sim.state()));
        const double builder = 8.0 * m * static_cast<double>(n);
        const double estimate = ref::Model::agents_at_horizon(in.parameters, calendar) *
                                ref::Model::bytes_per_agent(in.parameters);
        INFO("edges_per_firm " << m << ": estimate " << estimate << ", held " << held);
        CHECK(estimate >= held + builder);
        CHECK(estimate <= 4.0 * (held + builder)); // an upper bound, not a refusal of everything
    }
}

TEST_CASE("The model handle gives the estimate the parameters' means call for",
          "[model][resources]") {
    const models::ModelHandle* reference = models::find_model("reference");
    REQUIRE(reference != nullptr);
    engine::Scenario s;
    s.calendar = engine::Calendar({2023, 1}, 12);
    for (const double v : {1e6, 300.0, 64.0}) {
        engine::ParameterSetting p;
        p.value = engine::Uncertain::fixed(v);
        s.parameters.push_back(p);
    }
    CHECK(reference->bytes_per_agent(s) ==
          ref::Model::bytes_per_agent(std::vector{1e6, 300.0, 64.0}));
    // What the memory check compares: a million firms with 64 ties each need over a gigabyte
    // in one replicate (1.04 GB measured), not the 40 MB a fixed figure per firm gave.
    engine::RunShape shape;
    shape.agents_at_horizon = reference->agents_at_horizon(s);
    shape.bytes_per_agent = reference->bytes_per_agent(s);
    CHECK(engine::estimate_resources(reference->info(), s.calendar, shape).agent_bytes > 1.04e9);

    const models::ModelHandle* ecosystem = models::find_model("ecosystem");
    REQUIRE(ecosystem != nullptr);
    std::vector<double> p;
    for (const engine::ParameterSpec& spec : ecosystem->info().parameters) {
        p.push_back(spec.default_value);
    }
    const auto ties =
        static_cast<std::size_t>(ecosystem->info().parameter_index("collaboration_edges"));
    CHECK(eco::Model::bytes_per_agent(p) == ecosystem->info().bytes_per_agent);
    p[ties] = 32.0;
    CHECK(eco::Model::bytes_per_agent(p) > 4.0 * ecosystem->info().bytes_per_agent);
}
