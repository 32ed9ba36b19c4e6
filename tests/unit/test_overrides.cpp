// Overrides: names resolved with "did you mean", values checked against the model's ranges, and
// applied to a scenario (a lever held from the policy start on, history kept).
#include "registry.hpp"

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/joint_draws.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/overrides.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace canopy;
using experiments::OverrideMode;
using experiments::TargetKind;

namespace {

const engine::ModelInfo& reference_info() {
    return models::find_model("reference")->info();
}

// The reference model over 2023 with a stepped lever and a policy start in July.
engine::Scenario stepped_scenario(const std::string& policy_start_line) {
    const std::string text = R"([scenario]
name = "overrides"
model = "reference"
start = "2023-01"
end = "2023-12"
)" + policy_start_line + R"(
[baseline.firms]
value = 500
assumption = "small"

[levers.lever_sme]
schedule = "step"
initial = 1.0
steps = [{ at = "2023-03", value = 1.2 }, { at = "2023-10", value = 1.4 }]
assumption = "a test schedule"
)";
    engine::LoadResult loaded =
        engine::load_scenario_text(text, "overrides.toml", models::model_catalog());
    INFO(loaded.diagnostics.format());
    REQUIRE(loaded.scenario);
    return *loaded.scenario;
}

} // namespace

TEST_CASE("Names resolve to parameters, baselines and levers", "[unit][overrides]") {
    const auto& info = reference_info();
    engine::Diagnostics d;
    const experiments::InputPlace here{"sweep.toml", 4, 1, "factors.x"};
    const auto births = experiments::resolve_target("births_per_month", info, here, d);
    REQUIRE(births);
    CHECK(births->kind == TargetKind::parameter);
    CHECK(births->index == info.parameter_index("births_per_month"));
    const auto firms = experiments::resolve_target("firms", info, here, d);
    REQUIRE(firms);
    CHECK(firms->kind == TargetKind::baseline);
    const auto lever = experiments::resolve_target("lever_sme", info, here, d, OverrideMode::scale);
    REQUIRE(lever);
    CHECK(lever->kind == TargetKind::lever);
    CHECK(lever->mode == OverrideMode::scale);
    CHECK(d.empty());
}

TEST_CASE("An unknown name is an error at its place with 'did you mean'", "[unit][overrides]") {
    engine::Diagnostics d;
    const auto t = experiments::resolve_target("births_per_mnth", reference_info(),
                                               {"sweep.toml", 7, 3, "factors.births_per_mnth"}, d);
    CHECK_FALSE(t);
    REQUIRE(d.size() == 1);
    const std::string text = d.items()[0].format();
    CHECK(text.rfind("sweep.toml:7:3: error: factors.births_per_mnth: ", 0) == 0);
    CHECK(text.find("did you mean 'births_per_month'?") != std::string::npos);
}

TEST_CASE("Only a lever can be scaled", "[unit][overrides]") {
    engine::Diagnostics d;
    CHECK_FALSE(experiments::resolve_target("firms", reference_info(), {"", 0, 0, "--set"}, d,
                                            OverrideMode::scale));
    REQUIRE(d.size() == 1);
    CHECK(d.items()[0].message.find("only a lever's schedule can be scaled") != std::string::npos);
}

TEST_CASE("Values are checked against ranges and whole numbers", "[unit][overrides]") {
    const auto& info = reference_info();
    const experiments::InputPlace here{"", 0, 0, "--set"};
    engine::Diagnostics d;
    const auto edges = *experiments::resolve_target("edges_per_firm", info, here, d);
    const auto& spec = info.parameters[static_cast<std::size_t>(edges.index)];
    CHECK(experiments::check_value(edges, spec.range.min, info, here, d));
    CHECK(d.empty());
    CHECK_FALSE(experiments::check_value(edges, spec.range.max + 1, info, here, d));
    REQUIRE(d.size() == 1);
    CHECK(d.items()[0].message.find("outside the allowed range") != std::string::npos);
    CHECK_FALSE(d.items()[0].allowed.empty());
    CHECK_FALSE(experiments::check_value(edges, std::nan(""), info, here, d));
    CHECK(d.size() == 2);
    if (spec.integer) {
        CHECK_FALSE(experiments::check_value(edges, spec.range.min + 0.5, info, here, d));
        CHECK(d.items().back().message.find("whole numbers") != std::string::npos);
    }
}

TEST_CASE("A scale keeps every level of the schedule in range", "[unit][overrides]") {
    const auto& info = reference_info();
    const engine::Scenario scenario = stepped_scenario("");
    const experiments::InputPlace here{"", 0, 0, "--set"};
    engine::Diagnostics d;
    const auto sme = *experiments::resolve_target("lever_sme", info, here, d, OverrideMode::scale);
    const auto& range = info.levers[static_cast<std::size_t>(sme.index)].range;
    CHECK(experiments::check_value(sme, 2.0, info, here, d, &scenario));
    CHECK_FALSE(experiments::check_value(sme, -1.0, info, here, d, &scenario));
    if (std::isfinite(range.max)) {
        // 1.4 is the largest level: a factor taking it past the maximum is refused.
        CHECK_FALSE(
            experiments::check_value(sme, range.max / 1.4 * 1.01, info, here, d, &scenario));
        CHECK(d.items().back().message.find("outside its allowed range") != std::string::npos);
    }
}

TEST_CASE("Set options (NAME=VALUE) are parsed, resolved and checked", "[unit][overrides]") {
    const auto& info = reference_info();
    engine::Diagnostics d;
    const auto set = experiments::parse_set("births_per_month=14.5", info, d);
    REQUIRE(set);
    CHECK(set->value == 14.5);
    CHECK(set->target.mode == OverrideMode::set);
    const auto scale = experiments::parse_set("lever_high_tech *= 2", info, d);
    REQUIRE(scale);
    CHECK(scale->target.mode == OverrideMode::scale);
    CHECK(scale->value == 2.0);
    CHECK(d.empty());

    for (const char* bad : {"births_per_month", "=3", "births_per_month=abc", "births_per_month=",
                            "births_per_month=1e999", "birth_per_month=3", "firms*=2"}) {
        engine::Diagnostics e;
        CHECK_FALSE(experiments::parse_set(bad, info, e));
        REQUIRE(e.has_errors());
        CHECK(e.items()[0].key == "--set");
    }
}

TEST_CASE("A lever set from the policy start keeps its history", "[unit][overrides]") {
    const auto& info = reference_info();
    const engine::Scenario scenario = stepped_scenario("policy_start = \"2023-07\"");
    CHECK(scenario.policy_start == engine::YearMonth{2023, 7});
    engine::Diagnostics d;
    const auto sme = *experiments::resolve_target("lever_sme", info, {}, d);
    const std::vector<experiments::Override> o{{sme, 2.5}};
    const engine::Scenario changed = experiments::apply_overrides(scenario, o);
    const auto i = static_cast<std::size_t>(sme.index);
    const engine::Schedule& before = scenario.levers[i].schedule;
    const engine::Schedule& after = changed.levers[i].schedule;
    for (int s = 0; s < scenario.calendar.steps(); ++s) {
        const double t = scenario.calendar.months_at_start(s);
        if (s < 6) {
            CHECK(after.at(t) == before.at(t)); // January to June: as the file says
        } else {
            CHECK(after.at(t) == 2.5);
        }
    }
    CHECK(changed.levers[i].provenance.source == "override");
    CHECK(changed.text.size() > scenario.text.size());
    CHECK(changed.text.find("# lever_sme = 2.5 from 2023-07") != std::string::npos);
    // Every other lever and parameter is untouched.
    for (std::size_t l = 0; l < changed.levers.size(); ++l) {
        if (l != i) {
            CHECK(changed.levers[l].schedule.at(3.0) == scenario.levers[l].schedule.at(3.0));
        }
    }
}

TEST_CASE("Without a policy start a lever is set from the first step", "[unit][overrides]") {
    const engine::Scenario scenario = stepped_scenario("");
    CHECK(scenario.policy_start == scenario.calendar.start());
    engine::Diagnostics d;
    const auto sme = *experiments::resolve_target("lever_sme", reference_info(), {}, d);
    const std::vector<experiments::Override> o{{sme, 0.5}};
    const engine::Scenario changed = experiments::apply_overrides(scenario, o);
    const auto& after = changed.levers[static_cast<std::size_t>(sme.index)].schedule;
    for (int s = 0; s < scenario.calendar.steps(); ++s) {
        CHECK(after.at(scenario.calendar.months_at_start(s)) == 0.5);
    }
}

TEST_CASE("Parameters become fixed; a scale multiplies; the last override wins",
          "[unit][overrides]") {
    const auto& info = reference_info();
    const engine::Scenario scenario = stepped_scenario("");
    engine::Diagnostics d;
    const auto births = *experiments::resolve_target("births_per_month", info, {}, d);
    const auto sme = *experiments::resolve_target("lever_sme", info, {}, d, OverrideMode::scale);
    const std::vector<experiments::Override> o{{births, 3.0}, {births, 9.0}, {sme, 2.0}};
    const engine::Scenario changed = experiments::apply_overrides(scenario, o);
    const auto& p = changed.parameters[static_cast<std::size_t>(births.index)];
    CHECK(p.value.kind == engine::Uncertain::Kind::fixed);
    CHECK(p.value.a == 9.0);
    CHECK(p.provenance.source == "override");
    const auto& lever = changed.levers[static_cast<std::size_t>(sme.index)].schedule;
    CHECK(lever.at(0.0) == 2.0);
    CHECK(lever.at(11.0) == 2.8);
    CHECK(changed.text.find("# births_per_month = 3\n") == std::string::npos);
    CHECK(changed.text.find("# births_per_month = 9\n") != std::string::npos);
    CHECK(changed.text.find("# lever_sme *= 2\n") != std::string::npos);
}

TEST_CASE("policy_start outside the run is a diagnostic", "[unit][overrides][scenario]") {
    const std::string text = R"([scenario]
name = "bad_policy_start"
model = "reference"
start = "2023-01"
end = "2023-12"
policy_start = "2024-01"

[baseline.firms]
value = 500
assumption = "small"
)";
    const engine::LoadResult loaded =
        engine::load_scenario_text(text, "bad.toml", models::model_catalog());
    CHECK_FALSE(loaded.scenario);
    REQUIRE(loaded.diagnostics.size() == 1);
    const auto& diag = loaded.diagnostics.items()[0];
    CHECK(diag.key == "scenario.policy_start");
    CHECK(diag.line == 6);
    CHECK(diag.allowed == "2023-01 .. 2023-12");
}

TEST_CASE("An override removes the posterior column that would undo it", "[unit][overrides]") {
    const auto& info = reference_info();
    engine::Scenario scenario = stepped_scenario("");
    const int births_index = info.parameter_index("births_per_month");
    const int sme_index = info.lever_index("lever_sme");
    using Column = engine::JointDraws::Column;
    const std::vector<Column> columns = {
        {Column::Kind::parameter, births_index, "births_per_month"},
        {Column::Kind::lever_scale, sme_index, "lever_sme"}};
    scenario.joint_draws = std::make_shared<const engine::JointDraws>(
        columns, std::vector<double>{10, 1.5, 20, 0.5}, std::vector<double>{1, 1}, "test");
    engine::Diagnostics d;
    const auto births = *experiments::resolve_target("births_per_month", info, {}, d);
    const auto sme = *experiments::resolve_target("lever_sme", info, {}, d);

    const std::vector<experiments::Override> fix_births{{births, 14.0}};
    const engine::Scenario a = experiments::apply_overrides(scenario, fix_births);
    REQUIRE(a.joint_draws);
    REQUIRE(a.joint_draws->columns().size() == 1);
    CHECK(a.joint_draws->columns()[0].name == "lever_sme");
    // Every replicate now runs with the fixed value, whatever row it picks.
    for (std::uint32_t r = 0; r < 8; ++r) {
        const engine::RunInputs in = engine::replicate_inputs(a, {3, r});
        CHECK(in.parameters[static_cast<std::size_t>(births_index)] == 14.0);
    }

    const std::vector<experiments::Override> both{{births, 14.0}, {sme, 1.0}};
    CHECK_FALSE(experiments::apply_overrides(scenario, both).joint_draws);
    CHECK(scenario.joint_draws->columns().size() == 2); // the base is untouched
}

TEST_CASE("Overrides apply to a mix's own settings, so a mix applied after them is what ran",
          "[unit][overrides]") {
    // Issue 11, item 6: the HDF5 writer describes a mix's parameters from
    // with_policy_mix(the overridden scenario); a mix that set the overridden parameter or lever
    // itself used to win there, although the run applied --set after the mix.
    const auto& info = reference_info();
    const std::string text = R"([scenario]
name = "overrides"
model = "reference"
start = "2023-01"
end = "2023-12"
policy_start = "2023-07"

[baseline.firms]
value = 500
assumption = "small"

[levers.lever_sme]
schedule = "step"
initial = 1.0
steps = [{ at = "2023-03", value = 1.2 }]
assumption = "a test schedule"

[policy_mixes.push]
levers.lever_sme.scale = 1.5
[policy_mixes.push.parameters.births_per_month]
distribution = "uniform"
low = 10
high = 20
assumption = "the mix's prior"
)";
    engine::LoadResult loaded =
        engine::load_scenario_text(text, "overrides.toml", models::model_catalog());
    INFO(loaded.diagnostics.format());
    REQUIRE(loaded.scenario);
    const engine::Scenario& base = *loaded.scenario;
    engine::Diagnostics d;
    const auto births = *experiments::resolve_target("births_per_month", info, {}, d);
    const auto sme = *experiments::resolve_target("lever_sme", info, {}, d);
    const auto sme_scale =
        *experiments::resolve_target("lever_sme", info, {}, d, OverrideMode::scale);
    for (const std::vector<experiments::Override>& o :
         {std::vector<experiments::Override>{{births, 7.0}, {sme, 3.0}},
          std::vector<experiments::Override>{{births, 7.0}, {sme_scale, 2.0}}}) {
        const engine::Scenario ran = experiments::apply_overrides(base.with_policy_mix("push"), o);
        const engine::Scenario described =
            experiments::apply_overrides(base, o).with_policy_mix("push");
        const auto p = static_cast<std::size_t>(births.index);
        CHECK(described.parameters[p].value.kind == engine::Uncertain::Kind::fixed);
        CHECK(described.parameters[p].value.a == 7.0);
        CHECK(described.parameters[p].provenance.source == "override");
        const auto l = static_cast<std::size_t>(sme.index);
        for (const double month : {0.0, 3.0, 6.0, 11.0}) {
            CHECK(described.levers[l].schedule.at(month) == ran.levers[l].schedule.at(month));
        }
    }
}

TEST_CASE("A mix's own parameter replaces the posterior column for that mix", "[unit][overrides]") {
    // A mix's `parameters.X` used to be overwritten in every replicate by the posterior's
    // column for X, silently: the mix ran as the base did. It now drops the column for its own
    // runs, as --set of X drops it for the whole run; the base keeps drawing X.
    const auto& info = reference_info();
    const std::string text = R"([scenario]
name = "mix_posterior"
model = "reference"
start = "2023-01"
end = "2023-12"

[baseline.firms]
value = 500
assumption = "small"

[policy_mixes.fixed_births.parameters.births_per_month]
value = 14
assumption = "the mix's own figure"

[policy_mixes.lever_only]
levers.lever_sme.scale = 1.5
)";
    engine::LoadResult loaded =
        engine::load_scenario_text(text, "mix_posterior.toml", models::model_catalog());
    INFO(loaded.diagnostics.format());
    REQUIRE(loaded.scenario);
    engine::Scenario scenario = *loaded.scenario;
    const int births = info.parameter_index("births_per_month");
    const int edges = info.parameter_index("edges_per_firm");
    using Column = engine::JointDraws::Column;
    scenario.joint_draws = std::make_shared<const engine::JointDraws>(
        std::vector<Column>{{Column::Kind::parameter, births, "births_per_month"},
                            {Column::Kind::parameter, edges, "edges_per_firm"}},
        std::vector<double>{10, 2, 20, 4}, std::vector<double>{1, 1}, "test");

    const engine::Scenario mixed = scenario.with_policy_mix("fixed_births");
    REQUIRE(mixed.joint_draws);
    REQUIRE(mixed.joint_draws->columns().size() == 1);
    CHECK(mixed.joint_draws->columns()[0].name == "edges_per_firm");
    for (std::uint32_t r = 0; r < 8; ++r) {
        const engine::RandomKey key{3, r};
        const engine::RunInputs in = engine::replicate_inputs(mixed, key);
        CHECK(in.parameters[static_cast<std::size_t>(births)] == 14.0);
        // The column kept takes the same row as in the base: the runs stay paired.
        const engine::RunInputs base = engine::replicate_inputs(scenario, key);
        CHECK(in.parameters[static_cast<std::size_t>(edges)] ==
              base.parameters[static_cast<std::size_t>(edges)]);
        CHECK(mixed.joint_draws->pick(key) == scenario.joint_draws->pick(key));
    }
    // A mix that sets no parameter keeps every column; the base is untouched.
    CHECK(scenario.with_policy_mix("lever_only").joint_draws->columns().size() == 2);
    CHECK(scenario.joint_draws->columns().size() == 2);
}
