// `extends` that can replace: a child writes the new form of an entry (a distribution for a
// value, an assumption for a source, a constant for a schedule) and the parent's old form goes;
// `replace = true` replaces an entry whole; `remove` drops inherited entries; errors name both
// files.
#include "fake_catalog.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace canopy::engine;
using canopy::test::MINIMAL;

namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
    const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "scenario-test-files" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// MINIMAL plus a parameter, a lever, an indicator, two targets and two mixes.
const std::string PARENT = std::string(MINIMAL) + R"(
[parameters.exit_rate]
value = 0.05
source = "panel study"

[parameters.loan_multiplier]
distribution = "uniform"
low = 1
high = 3
assumption = "fund reports"

[levers.tech_loans]
schedule = "step"
initial = 10
steps = [{ at = "2023-06", value = 20 }]
cost_per_unit_year = 0.5
cost_unit = "bn yuan"
note = "the parent's note"
source = "plan"

[indicators.firms_end]
kind = "stock"
series = "firms"
at = "2023-12"

[targets.firms_end]
threshold = 1100
source = "plan"

[targets.firms_low]
indicator = "firms_end"
comparison = "<"
threshold = 5000
source = "plan"

[policy_mixes.more_loans]
description = "more loans"
levers.tech_loans.scale = 2

[policy_mixes.talent]
description = "talent"
[policy_mixes.talent.levers.talent_subsidy]
value = 50
)";

struct Files {
    fs::path dir;
    fs::path parent;
    fs::path child;
};

Files files(const std::string& name, const std::string& child) {
    Files f{scratch(name), {}, {}};
    f.parent = f.dir / "parent.toml";
    f.child = f.dir / "child.toml";
    write(f.parent, PARENT);
    write(f.child, "extends = \"parent.toml\"\n" + child);
    return f;
}

LoadResult load_child(const Files& f) {
    return load_scenario(f.child, canopy::test::toy_catalog());
}

// The scenario `file` loads to, the test stopping with its diagnostics when it does not.
Scenario loads(const fs::path& file) {
    const LoadResult r = load_scenario(file, canopy::test::toy_catalog());
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    return *r.scenario;
}

} // namespace

TEST_CASE("a child writes a new form and the parent's old form goes", "[scenario][extends]") {
    const Files f = files("extends_forms", R"(
[parameters.exit_rate]
distribution = "beta"
alpha = 2
beta = 30
assumption = "the child's prior"

[parameters.loan_multiplier]
value = 2.5
source = "the child's figure"

[levers.tech_loans]
value = 15
source = "the child's plan"

[policy_mixes.more_loans.levers.tech_loans]
schedule = "constant"
value = 40
)");
    const LoadResult r = load_child(f);
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    // value -> distribution, source -> assumption
    CHECK(s.parameters[2].value.kind == Uncertain::Kind::beta);
    CHECK(s.parameters[2].provenance.assumption == "the child's prior");
    CHECK(s.parameters[2].provenance.source.empty());
    // distribution -> value, assumption -> source
    CHECK(s.parameters[5].value.kind == Uncertain::Kind::fixed);
    CHECK(s.parameters[5].value.a == 2.5);
    CHECK(s.parameters[5].provenance.source == "the child's figure");
    CHECK(s.parameters[5].provenance.assumption.empty());
    // a step schedule -> a constant; the cost stays (another key), the source is the child's
    CHECK(s.levers[0].schedule.kind() == Schedule::Kind::constant);
    CHECK(s.levers[0].schedule.initial() == 15.0);
    CHECK(s.levers[0].cost.per_unit_year == 0.5);
    CHECK(s.levers[0].provenance.source == "the child's plan");
    // a mix's scale -> a schedule
    REQUIRE(s.policy_mixes.size() == 2);
    CHECK(s.policy_mixes[0].levers.at(0).second.schedule.initial() == 40.0);
}

TEST_CASE("replace = true replaces an inherited entry whole", "[scenario][extends]") {
    const Files f = files("extends_replace", R"(
[levers.tech_loans]
replace = true
value = 12
assumption = "the child's own lever, without the parent's cost"

[targets.firms_end]
replace = true
threshold = 1200
assumption = "the child's threshold"

[policy_mixes.talent]
replace = true
description = "the child's talent mix"
[policy_mixes.talent.levers.tech_loans]
value = 30
)");
    const LoadResult r = load_child(f);
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    CHECK(s.levers[0].schedule.initial() == 12.0);
    CHECK(s.levers[0].cost.per_unit_year == 0.0); // the parent's cost went with the entry
    CHECK(s.levers[0].provenance.assumption == "the child's own lever, without the parent's cost");
    CHECK(s.targets[0].threshold == 1200.0);
    CHECK(s.targets[0].source.empty());
    REQUIRE(s.policy_mixes.size() == 2);
    CHECK(s.policy_mixes[1].description == "the child's talent mix");
    REQUIRE(s.policy_mixes[1].levers.size() == 1);
    CHECK(s.policy_mixes[1].levers[0].first == 0); // tech_loans, not the parent's talent_subsidy
}

TEST_CASE("remove drops inherited policy mixes and targets", "[scenario][extends]") {
    const Files f =
        files("extends_remove", "remove = [\"policy_mixes.more_loans\", \"targets.firms_low\"]\n");
    const LoadResult r = load_child(f);
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    REQUIRE(r.scenario->policy_mixes.size() == 1);
    CHECK(r.scenario->policy_mixes[0].name == "talent");
    REQUIRE(r.scenario->targets.size() == 1);
    CHECK(r.scenario->targets[0].id == "firms_end");

    // Removed, then defined anew by the child: the child's entry.
    const Files again = files("extends_remove_again", R"(remove = ["policy_mixes.more_loans"]
[policy_mixes.more_loans]
description = "the child's"
levers.talent_subsidy.scale = 2
)");
    const LoadResult r2 = load_child(again);
    INFO(r2.diagnostics.format());
    REQUIRE(r2.scenario.has_value());
    const PolicyMix& mix = r2.scenario->policy_mixes.back();
    CHECK(mix.description == "the child's");
    REQUIRE(mix.levers.size() == 1);
    CHECK(mix.levers[0].first == 1);
}

TEST_CASE("extends errors name both files", "[scenario][extends]") {
    SECTION("removing what the parent does not have") {
        const Files f = files("extends_remove_missing", "remove = [\"policy_mixes.more_loan\"]\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].file == f.child.generic_string());
        CHECK(errors[0].line == 2);
        CHECK(errors[0].column == 11);
        CHECK(errors[0].key == "remove[0]");
        CHECK(errors[0].message == "'policy_mixes.more_loan' is not in " +
                                       f.parent.generic_string() + ", which " +
                                       f.child.generic_string() + " extends");
        CHECK(errors[0].allowed == "policy_mixes.more_loans, policy_mixes.talent");
        CHECK(errors[0].hint == "did you mean 'policy_mixes.more_loans'?");
    }
    SECTION("an entry listed twice in remove is a duplicate, not a missing entry") {
        // It used to read "'targets.firms_low' is not in parent.toml": the first removal had
        // taken it.
        const Files f = files("extends_remove_twice",
                              "remove = [\"targets.firms_low\", \"targets.firms_low\"]\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].file == f.child.generic_string());
        CHECK(errors[0].line == 2);
        CHECK(errors[0].column == 32);
        CHECK(errors[0].key == "remove[1]");
        CHECK(errors[0].message ==
              "'targets.firms_low' is listed twice in 'remove' (first as remove[0])");
        CHECK(errors[0].allowed == "each entry once");
    }
    SECTION("removing an indicator the parent's targets still read is said at the remove") {
        // The errors were only at the parent's lines, naming neither the child nor its remove.
        const Files f = files("extends_remove_read", "remove = [\"indicators.firms_end\"]\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() >= 2);
        CHECK(errors[0].file == f.child.generic_string());
        CHECK(errors[0].line == 2);
        CHECK(errors[0].key == "remove");
        CHECK(errors[0].message ==
              "'indicators.firms_end' is removed, but " + f.parent.generic_string() + ":" +
                  std::to_string(errors[1].line) +
                  " (targets.firms_end, on the indicator of "
                  "its name), " +
                  f.parent.generic_string() + ":" + std::to_string(errors[2].line) +
                  " (targets.firms_low.indicator) still read it");
        CHECK(errors[0].allowed == "remove what reads it too (\"targets.firms_end\", "
                                   "\"targets.firms_low\"), or keep the indicator");
        // Removing the readers too is accepted.
        const Files g = files("extends_remove_all",
                              "remove = [\"indicators.firms_end\", \"targets.firms_end\", "
                              "\"targets.firms_low\"]\n");
        CHECK(canopy::test::errors(load_child(g)).empty());
    }
    SECTION("a parent's month outside the run the child set says where the run was set") {
        // A child of wuhan-2023.toml that ends in 2023-03 got 18 errors at the parent's lines,
        // none naming the child's end.
        const Files f = files("extends_short_run", "[scenario]\nend = \"2023-06\"\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE_FALSE(errors.empty());
        CHECK(errors[0].file == f.parent.generic_string());
        CHECK(errors[0].key == "indicators.firms_end.at");
        CHECK(errors[0].message == "2023-12 is outside the run (2023-01 .. 2023-06)");
        CHECK(errors[0].hint ==
              "the run's end is set at " + f.child.generic_string() + ":3 (scenario.end)");
        // A month before the start names the start, though the child set the end too (the
        // hint used to name whichever bound a child set first, the end).
        const Files late =
            files("extends_late_start", "[scenario]\nstart = \"2024-02\"\nend = \"2024-12\"\n");
        const auto before = canopy::test::errors(load_child(late));
        REQUIRE_FALSE(before.empty());
        CHECK(before[0].file == late.parent.generic_string());
        CHECK(before[0].key == "indicators.firms_end.at");
        CHECK(before[0].message == "2023-12 is outside the run (2024-02 .. 2024-12)");
        CHECK(before[0].hint ==
              "the run's start is set at " + late.child.generic_string() + ":3 (scenario.start)");
    }
    SECTION("a new kind drops the parent's series, and the error says which would do") {
        const Files f = files("extends_new_kind",
                              "[indicators.firms_end]\nkind = \"flow\"\nfrom = \"2023-01\"\n"
                              "to = \"2023-12\"\n");
        const auto errors = canopy::test::errors(load_child(f));
        const auto missing = std::find_if(errors.begin(), errors.end(), [](const Diagnostic& d) {
            return d.key == "indicators.firms_end.series";
        });
        REQUIRE(missing != errors.end());
        CHECK(missing->message == "missing required key 'series'");
        CHECK_FALSE(missing->allowed.empty()); // the model's flow series; it said nothing
    }
    SECTION("only the scenario keys remove takes are offered for it") {
        // "allowed: scenario.name, scenario.title, ..., did you mean 'scenario.start'?": keys
        // that remove refuses.
        const Files f = files("extends_remove_scenario", "remove = [\"scenario.posterior\"]\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].allowed == "scenario.posterior or scenario.posterior_parameters where the "
                                   "parent names them; " +
                                       f.parent.generic_string() + " names neither");
        CHECK(errors[0].hint.empty());
    }
    SECTION("a baseline figure cannot be removed") {
        const Files f = files("extends_remove_baseline", "remove = [\"baseline.firms_initial\"]\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message.find("every baseline figure is required") != std::string::npos);
    }
    SECTION("replacing what the parent does not have") {
        const Files f =
            files("extends_replace_missing", "[levers.talent_subsidy]\nreplace = true\nvalue = 3\n"
                                             "source = \"s\"\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].file == f.child.generic_string());
        CHECK(errors[0].line == 3);
        CHECK(errors[0].key == "levers.talent_subsidy.replace");
        CHECK(errors[0].message == "there is no [levers.talent_subsidy] in " +
                                       f.parent.generic_string() + " to replace");
    }
    SECTION("an error in a merged entry names the parent's and the child's lines") {
        // The child adds a key of another shape to the parent's step schedule.
        const Files f = files("extends_merged_error", "[levers.tech_loans]\npoints = []\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].file == f.child.generic_string());
        CHECK(errors[0].key == "levers.tech_loans.points");
        // [levers.tech_loans] is line 12 of PARENT after MINIMAL.
        const std::string parent_line = std::to_string(canopy::test::MINIMAL_LINES + 12);
        CHECK(errors[0].hint == "[levers.tech_loans] merges " + f.parent.generic_string() + ":" +
                                    parent_line + " (parent) with " + f.child.generic_string() +
                                    ":2; 'replace = true' in the child replaces the entry whole");
    }
    SECTION("an error in an entry merged over two generations names all three files") {
        // An outside tester: a middle file set the lever too, and the note named the
        // grandparent as the "parent" and left the middle file out.
        const Files f = files("extends_merged_chain", "");
        const fs::path middle = f.dir / "middle.toml";
        write(middle, "extends = \"parent.toml\"\n[levers.tech_loans]\nassumption = \"middle\"\n");
        write(f.child, "extends = \"middle.toml\"\n[levers.tech_loans]\npoints = []\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        const std::string parent_line = std::to_string(canopy::test::MINIMAL_LINES + 12);
        CHECK(errors[0].hint == "[levers.tech_loans] merges " + f.parent.generic_string() + ":" +
                                    parent_line + " and " + middle.generic_string() +
                                    ":2 (ancestors) with " + f.child.generic_string() +
                                    ":2; 'replace = true' in the child replaces the entry whole");
    }
    SECTION("a new figure needs its own source") {
        // An outside probe: a region's initial_high_tech = 1200 went out with Wuhan's citation
        // of 9,145 firms, because the parent's source stayed beside the child's value.
        const Files f = files("extends_own_source", "[levers.tech_loans]\nvalue = 15\n");
        const auto errors = canopy::test::errors(load_child(f));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].file == f.child.generic_string());
        CHECK(errors[0].line == 3);
        CHECK(errors[0].column == 1);
        CHECK(errors[0].key == "levers.tech_loans.source");
        CHECK(errors[0].message == "'value' gives [levers.tech_loans] a figure of its own, but "
                                   "its source or assumption would be the one " +
                                       f.parent.generic_string() + " gives for its own figure");
        CHECK(errors[0].allowed == "source = \"...\" or assumption = \"...\" beside the new value");
        // Any number written into the parent's form is a figure too: a cost rate, a schedule's
        // initial or steps, a prior's bound, a target's threshold (an outside tester's threshold
        // of 2,600 went out citing a plan of 13,000 firms, under --strict).
        const Files cost =
            files("extends_cost_only", "[levers.tech_loans]\ncost_per_unit_year = 0.7\n");
        const auto cost_errors = canopy::test::errors(load_child(cost));
        REQUIRE(cost_errors.size() == 1);
        CHECK(cost_errors[0].key == "levers.tech_loans.source");
        CHECK(cost_errors[0].message.rfind("'cost_per_unit_year' gives [levers.tech_loans] a "
                                           "figure of its own",
                                           0) == 0);
        const Files steps =
            files("extends_steps_only",
                  "[levers.tech_loans]\nsteps = [{ at = \"2023-06\", value = 4 }]\n");
        const auto step_errors = canopy::test::errors(load_child(steps));
        REQUIRE(step_errors.size() == 1);
        CHECK(step_errors[0].message.rfind("'steps' gives [levers.tech_loans]", 0) == 0);
        // With its own source the child's figure is taken, citing it.
        const Files cited = files("extends_cost_cited", "[levers.tech_loans]\n"
                                                        "cost_per_unit_year = 0.7\n"
                                                        "source = \"child's budget\"\n");
        const LoadResult taken = load_child(cited);
        INFO(taken.diagnostics.format());
        REQUIRE(taken.scenario.has_value());
        CHECK(taken.scenario->levers[0].provenance.source == "child's budget");
        // A change that is not a figure (a unit, a note) keeps the parent's citation.
        const Files note =
            files("extends_note_only", "[levers.tech_loans]\nnote = \"renamed programme\"\n");
        const LoadResult kept = load_child(note);
        INFO(kept.diagnostics.format());
        REQUIRE(kept.scenario.has_value());
        CHECK(kept.scenario->levers[0].provenance.source == "plan");
    }
    SECTION("replace and remove need a parent") {
        const LoadResult r =
            canopy::test::load("remove = [\"targets.x\"]\n" + std::string(MINIMAL) +
                               "[levers.tech_loans]\n"
                               "replace = true\nvalue = 3\nsource = \"s\"\n");
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].key == "remove");
        CHECK(errors[0].message.find("this file extends nothing") != std::string::npos);
        CHECK(errors[1].key == "levers.tech_loans.replace");
    }
}

TEST_CASE("remove drops an inherited posterior", "[scenario][extends]") {
    // A history run that extends a calibrated projection must not draw from the posterior
    // fitted to that history (scenarios/wuhan-2013.toml extends scenarios/wuhan-2023.toml).
    const fs::path dir = scratch("extends_remove_posterior");
    write(dir / "fit.h5", "not read by the loader");
    std::string parent = PARENT;
    parent.replace(parent.find("end = \"2023-12\"\n"), 16,
                   "end = \"2023-12\"\nposterior = \"fit.h5\"\n"
                   "posterior_parameters = [\"exit_rate\"]\n");
    write(dir / "parent.toml", parent);
    const LoadResult p = load_scenario(dir / "parent.toml", canopy::test::toy_catalog());
    INFO(p.diagnostics.format());
    REQUIRE(p.scenario.has_value());
    CHECK(p.scenario->posterior.has_value());

    write(dir / "child.toml", "extends = \"parent.toml\"\nremove = [\"scenario.posterior\", "
                              "\"scenario.posterior_parameters\"]\n");
    const LoadResult c = load_scenario(dir / "child.toml", canopy::test::toy_catalog());
    INFO(c.diagnostics.format());
    REQUIRE(c.scenario.has_value());
    CHECK_FALSE(c.scenario->posterior.has_value());

    // The posterior alone: the parent's posterior_parameters would choose columns of nothing.
    // Said once, at the child's remove (the parent's line was blamed, with no word of remove).
    write(dir / "half.toml", "extends = \"parent.toml\"\nremove = [\"scenario.posterior\"]\n");
    const auto half =
        canopy::test::errors(load_scenario(dir / "half.toml", canopy::test::toy_catalog()));
    REQUIRE(half.size() == 1);
    CHECK(half[0].file.find("half.toml") != std::string::npos);
    CHECK(half[0].line == 2);
    CHECK(half[0].key == "remove");
    CHECK(half[0].message.find("'scenario.posterior' is removed, but the posterior_parameters "
                               "of ") != std::string::npos);
    CHECK(half[0].message.find("parent.toml:") != std::string::npos);
    CHECK(half[0].allowed.find("\"scenario.posterior_parameters\"") != std::string::npos);
    // Unless the child names a posterior of its own, for which the choice still holds.
    write(dir / "own.h5", "not read by the loader");
    write(dir / "own.toml", "extends = \"parent.toml\"\nremove = [\"scenario.posterior\"]\n"
                            "[scenario]\nposterior = \"own.h5\"\n");
    const LoadResult own = load_scenario(dir / "own.toml", canopy::test::toy_catalog());
    INFO(own.diagnostics.format());
    REQUIRE(own.scenario.has_value());
    CHECK(own.scenario->posterior->parameters == std::vector<std::string>{"exit_rate"});

    // Any other scenario key stays unremovable.
    write(dir / "bad.toml", "extends = \"parent.toml\"\nremove = [\"scenario.seed\"]\n");
    const auto errors =
        canopy::test::errors(load_scenario(dir / "bad.toml", canopy::test::toy_catalog()));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "remove[0]");
    CHECK(errors[0].message == "'scenario.seed' is not an entry that can be removed");
}

TEST_CASE("a child that changes the currency writes every figure in it again",
          "[scenario][extends]") {
    // An outside tester's child of the Wuhan scenario counting in 万元 kept Wuhan's conversions
    // (亿元 per unit) and its levers' rates: costs came out 10,000 times too small, exit 0.
    const fs::path dir = scratch("extends_currency");
    write(dir / "parent.toml", std::string(MINIMAL) + R"(
[budget]
currency = "bn yuan"
conversions = { "m yuan" = 0.001 }
cap_total = 5
source = "budget law"

[levers.tech_loans]
value = 10
cost_per_unit_year = 0.5
source = "plan"

[levers.talent_subsidy]
value = 5
cost_per_unit_year = 0.1
cost_unit = "m yuan"
source = "plan"
)");
    write(dir / "child.toml", "extends = \"parent.toml\"\n[budget]\ncurrency = \"10k yuan\"\n");
    const auto errors =
        canopy::test::errors(load_scenario(dir / "child.toml", canopy::test::toy_catalog()));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == (dir / "child.toml").generic_string());
    CHECK(errors[0].line == 3);
    CHECK(errors[0].key == "budget.currency");
    CHECK(errors[0].message ==
          "'10k yuan' replaces the currency 'bn yuan' of " +
              (dir / "parent.toml").generic_string() +
              ":14, whose figures would be read in '10k yuan' unchanged: conversions.\"m yuan\", "
              "cap_total, levers.tech_loans.cost_per_unit_year");
    // Each written again in the new currency: the child loads, with its own figures.
    write(dir / "child.toml", R"(extends = "parent.toml"
[budget]
currency = "10k yuan"
conversions = { "m yuan" = 100 }
cap_total = 500000
source = "the child's budget law"

[levers.tech_loans]
cost_per_unit_year = 50000
source = "the child's plan"
)");
    const Scenario ok = loads(dir / "child.toml");
    CHECK(ok.budget.currency == "10k yuan");
    CHECK(ok.budget.factor("m yuan") == 100.0);
    CHECK(ok.budget.cap_total == 500000.0);
    // The same currency written again changes nothing.
    write(dir / "child.toml", "extends = \"parent.toml\"\n[budget]\ncurrency = \"bn yuan\"\n");
    CHECK(load_scenario(dir / "child.toml", canopy::test::toy_catalog()).scenario.has_value());
    // From a reviewer: one of the parent's conversion units as the new currency needs no
    // conversion of itself (nor can it have one); a lever replaced whole keeps none of the
    // parent's rates.
    write(dir / "child.toml", R"(extends = "parent.toml"
[budget]
currency = "m yuan"
cap_total = 5000
source = "the child's budget law"

[levers.tech_loans]
replace = true
value = 10
cost_per_unit_year = 500
source = "the child's plan"
)");
    const Scenario switched = loads(dir / "child.toml");
    CHECK(switched.budget.currency == "m yuan");
    CHECK(switched.budget.conversions.empty());
}

TEST_CASE("an indicator given another kind keeps none of the old kind's scale, unit or text",
          "[scenario][extends]") {
    // An outside tester's growth (scale 100, "%") made a stock kept both: a balance of 1,579
    // read as 157,931 %, and its target went from 19 % to 100 %.
    const fs::path dir = scratch("extends_kind");
    write(dir / "parent.toml", std::string(MINIMAL) + R"(
[indicators.firms_growth]
kind = "growth"
series = "firms"
from = "2023-01"
at = "2023-12"
scale = 100
unit = "%"
description = "growth of firms over 2023"
)");
    write(dir / "child.toml", R"(extends = "parent.toml"
[indicators.firms_growth]
kind = "stock"
series = "firms"
at = "2023-12"
)");
    const Scenario stock = loads(dir / "child.toml");
    REQUIRE(stock.indicators.size() == 1);
    CHECK(stock.indicators[0].scale == 1.0);
    CHECK(stock.indicators[0].unit.empty());
    CHECK(stock.indicators[0].description.empty());
    // The same kind written again (new dates) keeps them.
    write(dir / "child.toml", R"(extends = "parent.toml"
[indicators.firms_growth]
kind = "growth"
series = "firms"
from = "2023-03"
at = "2023-12"
)");
    const Scenario growth = loads(dir / "child.toml");
    CHECK(growth.indicators[0].scale == 100.0);
    CHECK(growth.indicators[0].unit == "%");
    // A target on it keeps a threshold written for the old kind: a second reviewer's ">= 10"
    // (growth of 10 %) went on comparing a stock with 10. It must be written again or removed.
    write(dir / "parent.toml", std::string(MINIMAL) + R"(
[indicators.firms_growth]
kind = "growth"
series = "firms"
from = "2023-01"
at = "2023-12"
scale = 100
unit = "%"

[targets.firms_growth]
threshold = 10
source = "plan: growth of at least 10 %"
)");
    write(dir / "child.toml", R"(extends = "parent.toml"
[indicators.firms_growth]
kind = "stock"
series = "firms"
at = "2023-12"
)");
    const auto kept =
        canopy::test::errors(load_scenario(dir / "child.toml", canopy::test::toy_catalog()));
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].key == "indicators.firms_growth.kind");
    CHECK(kept[0].line == 3);
    CHECK(kept[0].message.find("but targets.firms_growth of ") != std::string::npos);
    write(dir / "child.toml", R"(extends = "parent.toml"
[indicators.firms_growth]
kind = "stock"
series = "firms"
at = "2023-12"

[targets.firms_growth]
threshold = 1100
source = "the child's plan: 1,100 firms"
)");
    const Scenario rewritten = loads(dir / "child.toml");
    CHECK(rewritten.targets[0].threshold == 1100.0);
}

TEST_CASE("a parent's policy_start outside a child's run names the child's dates",
          "[scenario][extends]") {
    // An outside tester's new region forgot policy_start: the error named only the parent's
    // line, in a file the planner does not edit.
    const fs::path dir = scratch("extends_policy_start");
    std::string parent(MINIMAL);
    parent.insert(parent.find("[baseline"), "policy_start = \"2023-06\"\n");
    write(dir / "parent.toml", parent);
    write(dir / "child.toml",
          "extends = \"parent.toml\"\n[scenario]\nstart = \"2025-01\"\nend = \"2025-12\"\n");
    const auto errors =
        canopy::test::errors(load_scenario(dir / "child.toml", canopy::test::toy_catalog()));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "scenario.policy_start");
    CHECK(errors[0].file == (dir / "parent.toml").generic_string());
    CHECK(errors[0].hint == "the run's start is set at " + (dir / "child.toml").generic_string() +
                                ":3 (scenario.start); give this file's own policy_start there");
}
