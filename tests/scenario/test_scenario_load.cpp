// Loading valid scenarios: every field arrives where it belongs, defaults fill what the file
// leaves out, extends merges parent and child, policy mixes and lever costs work.
#include "fake_catalog.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace canopy::engine;
using canopy::test::load;
using canopy::test::MINIMAL;

namespace {

namespace fs = std::filesystem;

const fs::path DATA = fs::path(CANOPY_SOURCE_DIR) / "tests" / "data";

// A fresh directory for one test's files (each test case runs in its own process under CTest).
fs::path scratch(const std::string& name) {
    const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "scenario-test-files" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

void check_point(const SchedulePoint& p, double t_months, double value) {
    CHECK(p.t_months == t_months);
    CHECK(p.value == value);
}

} // namespace

TEST_CASE("a complete scenario round-trips every field", "[scenario]") {
    const fs::path file = DATA / "scenarios" / "complete.toml";
    const LoadResult r = load_scenario(file, canopy::test::toy_catalog());
    INFO(r.diagnostics.format());
    REQUIRE(r.diagnostics.empty());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;

    CHECK(s.name == "complete");
    CHECK(s.title == "Every key");
    CHECK(s.description == "A scenario that uses every key.");
    CHECK(s.model == "toy");
    CHECK(s.path == file);
    CHECK(s.seed == 42);
    CHECK(s.replicates == 250);
    CHECK(s.calendar.start() == YearMonth{2023, 1});
    CHECK(s.calendar.steps() == 12);
    CHECK(s.calendar.unit() == TimeUnit::month);
    CHECK(s.text ==
          "# ---- file: " + file.generic_string() + "\n" + canopy::test::read_bytes(file));

    REQUIRE(s.parameters.size() == 6);
    const auto& firms = s.parameters[0];
    CHECK(firms.value.kind == Uncertain::Kind::fixed);
    CHECK(firms.value.a == 1200.0);
    CHECK(firms.provenance.source == "Statistical yearbook 2022, table 3");
    CHECK(firms.provenance.assumption.empty());
    CHECK(firms.provenance.from_scenario);
    const auto& talent = s.parameters[1];
    CHECK(talent.value.a == 61.5);
    CHECK(talent.provenance.assumption == "extrapolated from the 2021 census");
    CHECK(talent.provenance.source.empty());
    const auto& exit_rate = s.parameters[2];
    CHECK(exit_rate.value.kind == Uncertain::Kind::beta);
    CHECK(exit_rate.value.a == 2.0);
    CHECK(exit_rate.value.b == 30.0);
    CHECK(exit_rate.provenance.source == "panel study, 2019");
    const auto& elasticity = s.parameters[3];
    CHECK(elasticity.value.kind == Uncertain::Kind::normal);
    CHECK(elasticity.value.a == 0.4);
    CHECK(elasticity.value.b == 0.1);
    CHECK(elasticity.provenance.assumption == "literature range");
    const auto& quota = s.parameters[4];
    CHECK(quota.value.kind == Uncertain::Kind::fixed);
    CHECK(quota.value.a == 12.0);
    const auto& multiplier = s.parameters[5];
    CHECK(multiplier.value.kind == Uncertain::Kind::triangular);
    CHECK(multiplier.value.a == 1.5); // low
    CHECK(multiplier.value.b == 3.0); // high
    CHECK(multiplier.value.c == 2.0); // mode
    CHECK(multiplier.provenance.assumption == "fund reports 1.5 to 3");

    REQUIRE(s.levers.size() == 3);
    const LeverSetting& loans = s.levers[0];
    CHECK(loans.schedule.kind() == Schedule::Kind::step);
    CHECK(loans.schedule.initial() == 10.0);
    REQUIRE(loans.schedule.points().size() == 2);
    check_point(loans.schedule.points()[0], 3.0, 20.0);
    check_point(loans.schedule.points()[1], 9.0, 30.0);
    CHECK(loans.cost.per_unit_year == 0.02);
    CHECK(loans.cost.per_unit_added == 0.5);
    CHECK(loans.cost.unit == "bn yuan");
    CHECK(loans.provenance.source == "city plan, finance section");
    const LeverSetting& subsidy = s.levers[1];
    CHECK(subsidy.schedule.kind() == Schedule::Kind::ramp);
    REQUIRE(subsidy.schedule.points().size() == 2);
    check_point(subsidy.schedule.points()[0], 2.0, 0.0);
    check_point(subsidy.schedule.points()[1], 8.0, 60.0);
    CHECK(subsidy.cost.per_unit_year == 1.0);
    CHECK(subsidy.cost.per_unit_added == 0.0);
    CHECK(subsidy.cost.unit == "m yuan");
    CHECK(subsidy.provenance.assumption == "budget planned to ramp up over the year");
    const LeverSetting& reward = s.levers[2];
    CHECK(reward.schedule.kind() == Schedule::Kind::piecewise_linear);
    REQUIRE(reward.schedule.points().size() == 3);
    check_point(reward.schedule.points()[0], 0.0, 100.0);
    check_point(reward.schedule.points()[1], 6.0, 200.0);
    check_point(reward.schedule.points()[2], 11.0, 150.0);
    CHECK(reward.cost.outcome_price == OutcomePrice::level);
    CHECK(reward.cost.outcome == "births");
    CHECK(reward.cost.outcome_series == 2);
    CHECK(reward.cost.level_to_currency == 0.000001);
    CHECK(loans.cost.to_currency == 1.0);
    CHECK(subsidy.cost.to_currency == 0.001);

    CHECK(s.budget.currency == "bn yuan");
    REQUIRE(s.budget.conversions.size() == 2);
    CHECK(s.budget.factor("m yuan") == 0.001);
    CHECK(s.budget.factor("bn yuan") == 1.0);
    CHECK(std::isnan(s.budget.factor("yuan")));
    CHECK(s.budget.cap_per_year == 12.0);
    CHECK(s.budget.cap_total == 12.0);
    CHECK(s.budget.source == "city budget 2023, science and technology programmes");

    REQUIRE(s.indicators.size() == 5); // in file order
    const IndicatorSpec& stock = s.indicators[0];
    CHECK(stock.id == "firms_end");
    CHECK(stock.kind == IndicatorSpec::Kind::stock);
    CHECK(stock.series == "firms");
    CHECK(stock.at == YearMonth{2023, 12});
    CHECK(stock.unit == "firms");
    CHECK(stock.description == "firms alive at year end");
    CHECK(stock.scale == 1.0);
    const IndicatorSpec& flow = s.indicators[1];
    CHECK(flow.id == "births_2023");
    CHECK(flow.kind == IndicatorSpec::Kind::flow);
    CHECK(flow.series == "births");
    CHECK(flow.from == YearMonth{2023, 1});
    CHECK(flow.to == YearMonth{2023, 12});
    const IndicatorSpec& growth = s.indicators[2];
    CHECK(growth.kind == IndicatorSpec::Kind::growth);
    CHECK(growth.at == YearMonth{2023, 12});
    CHECK(growth.from == YearMonth{2022, 12}); // the initial state may be the base
    CHECK(growth.scale == 100.0);
    CHECK(growth.unit == "%");
    const IndicatorSpec& ratio = s.indicators[3];
    CHECK(ratio.id == "turnover_per_firm");
    CHECK(ratio.kind == IndicatorSpec::Kind::ratio);
    CHECK(ratio.numerator == "turnover");
    CHECK(ratio.denominator == "firms_end");
    CHECK(ratio.scale == 1000.0);
    CHECK(s.indicators[4].id == "turnover");

    REQUIRE(s.targets.size() == 2);
    const TargetSpec& t1 = s.targets[0];
    CHECK(t1.id == "firms_end");
    CHECK(t1.indicator == "firms_end"); // defaults to the target's own id
    CHECK(t1.comparison == Comparison::greater_equal);
    CHECK(t1.threshold == 1300.0);
    CHECK(t1.unit == "firms"); // taken from the indicator
    CHECK(t1.source == "city plan, target 1");
    const TargetSpec& t2 = s.targets[1];
    CHECK(t2.indicator == "firm_growth");
    CHECK(t2.comparison == Comparison::greater);
    CHECK(t2.threshold == 8.0);
    CHECK(t2.unit == "%");
    CHECK(t2.description == "firm count grows by more than 8 %");
    CHECK(t2.source.empty());
    CHECK(t2.assumption == "masked in the plan; 8 % matches the previous year");

    REQUIRE(s.policy_mixes.size() == 2);
    const PolicyMix& more = s.policy_mixes[0];
    CHECK(more.name == "more_loans");
    CHECK(more.description == "Double the loans");
    REQUIRE(more.levers.size() == 1);
    CHECK(more.levers[0].first == 0);
    CHECK(more.levers[0].second.schedule.initial() == 20.0);
    check_point(more.levers[0].second.schedule.points()[1], 9.0, 60.0);
    CHECK(more.levers[0].second.cost.per_unit_added == 0.5); // cost comes from the base lever
    CHECK(more.parameters.empty());
    const PolicyMix& talent_first = s.policy_mixes[1];
    REQUIRE(talent_first.levers.size() == 1);
    CHECK(talent_first.levers[0].first == 1);
    CHECK(talent_first.levers[0].second.schedule.kind() == Schedule::Kind::constant);
    CHECK(talent_first.levers[0].second.schedule.initial() == 90.0);
    CHECK(talent_first.levers[0].second.cost.unit == "m yuan");
    REQUIRE(talent_first.parameters.size() == 1);
    CHECK(talent_first.parameters[0].first == 2);
    CHECK(talent_first.parameters[0].second.value.a == 0.03);
    CHECK(talent_first.parameters[0].second.provenance.assumption == "talent lowers exits");
}

TEST_CASE("what a scenario does not mention takes the model's defaults", "[scenario]") {
    const LoadResult r = load(MINIMAL);
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    CHECK(s.seed == 1);
    CHECK(s.replicates == 100);
    CHECK(s.title.empty());
    CHECK(s.calendar.steps() == 12);
    const ModelInfo& m = canopy::test::toy_model();
    REQUIRE(s.parameters.size() == m.parameters.size());
    for (std::size_t i = 2; i < m.parameters.size(); ++i) {
        CHECK(s.parameters[i].value.kind == Uncertain::Kind::fixed);
        CHECK(s.parameters[i].value.a == m.parameters[i].default_value);
        CHECK_FALSE(s.parameters[i].provenance.from_scenario);
    }
    CHECK(s.parameters[0].provenance.from_scenario);
    REQUIRE(s.levers.size() == m.levers.size());
    for (std::size_t i = 0; i < m.levers.size(); ++i) {
        CHECK(s.levers[i].schedule.kind() == Schedule::Kind::constant);
        CHECK(s.levers[i].schedule.initial() == m.levers[i].default_value);
        CHECK_FALSE(s.levers[i].provenance.from_scenario);
        CHECK(s.lever_cost(i) == 0.0);
    }
    CHECK(s.indicators.empty());
    CHECK(s.targets.empty());
    CHECK(s.text == std::string("# ---- file: test.toml\n") + MINIMAL);
}

TEST_CASE("a weekly calendar has every step that starts in start..end", "[scenario]") {
    const LoadResult r = load(R"([scenario]
name = "weekly"
model = "toy"
start = "2023-01"
end = "2023-12"
time_step = "week"
[baseline.firms_initial]
value = 1000
source = "s"
[baseline.talent_initial]
value = 50
source = "s"
)");
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Calendar& cal = r.scenario->calendar;
    CHECK(cal.unit() == TimeUnit::week);
    // 2023 has 365 days: 52 whole weeks from 1 January and a 53rd starting on 31 December.
    CHECK(cal.steps() == 53);
    CHECK(cal.month_of_step(52) == YearMonth{2023, 12});

    const LoadResult one = load(R"([scenario]
name = "one_month"
model = "toy"
start = "2023-02"
end = "2023-02"
[baseline.firms_initial]
value = 1000
source = "s"
[baseline.talent_initial]
value = 50
source = "s"
)");
    REQUIRE(one.scenario.has_value());
    CHECK(one.scenario->calendar.steps() == 1);
}

TEST_CASE("lever cost sums value-years and increases", "[scenario]") {
    const LoadResult r =
        load_scenario(DATA / "scenarios" / "complete.toml", canopy::test::toy_catalog());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    // tech_loans: 10 for 3 months, 20 for 6, 30 for 3 at 0.02 per unit-year, plus two increases
    // of 10 at 0.5 per unit added.
    const double dt = 1.0 / 12.0;
    CHECK(s.lever_cost(0) == Approx((10.0 * 3 + 20.0 * 6 + 30.0 * 3) * dt * 0.02 + 20.0 * 0.5));
    // talent_subsidy ramps 0 -> 60 from month 2 to month 8: 0,0,0,10,...,60,60,60,60.
    CHECK(s.lever_cost(1) == Approx(390.0 * dt * 1.0));
    CHECK(s.lever_cost(2) == 0.0); // no cost given
    CHECK_THROWS_AS(s.lever_cost(3), canopy::Error);

    const Scenario doubled = s.with_policy_mix("more_loans");
    CHECK(doubled.lever_cost(0) ==
          Approx((20.0 * 3 + 40.0 * 6 + 60.0 * 3) * dt * 0.02 + 40.0 * 0.5));
}

TEST_CASE("a policy mix replaces levers and parameters of the base", "[scenario]") {
    const LoadResult r =
        load_scenario(DATA / "scenarios" / "complete.toml", canopy::test::toy_catalog());
    REQUIRE(r.scenario.has_value());
    const Scenario& base = *r.scenario;

    const Scenario same = base.with_policy_mix("");
    CHECK(same.levers[0].schedule.initial() == base.levers[0].schedule.initial());

    const Scenario mix = base.with_policy_mix("talent_first");
    CHECK(mix.levers[1].schedule.kind() == Schedule::Kind::constant);
    CHECK(mix.levers[1].schedule.at(5.0) == 90.0);
    CHECK(mix.levers[0].schedule.at(5.0) == base.levers[0].schedule.at(5.0)); // untouched
    CHECK(mix.parameters[2].value.kind == Uncertain::Kind::fixed);
    CHECK(mix.parameters[2].value.a == 0.03);
    CHECK(mix.parameters[3].value.kind == base.parameters[3].value.kind);
    CHECK(base.parameters[2].value.kind == Uncertain::Kind::beta); // the base is unchanged

    REQUIRE_THROWS_AS(base.with_policy_mix("no_such_mix"), canopy::Error);
    try {
        (void)base.with_policy_mix("no_such_mix");
    } catch (const canopy::Error& e) {
        CHECK(std::string(e.what()) == "scenario 'complete' has no policy mix 'no_such_mix' (it "
                                       "has: more_loans, talent_first)");
    }
}

TEST_CASE("extends merges the parent under the child", "[scenario]") {
    const fs::path dir = scratch("extends_override");
    write(dir / "common" / "base.toml", std::string(MINIMAL) + R"(
[levers.tech_loans]
value = 20
cost_per_unit_year = 0.1
source = "plan"

[indicators.firms_end]
kind = "stock"
series = "firms"
at = "2023-12"
)");
    write(dir / "child.toml", R"(extends = "common/base.toml"
[scenario]
name = "child"
replicates = 7

[levers.tech_loans]
value = 40
assumption = "the child's level"
)");
    const LoadResult r = load_scenario(dir / "child.toml", canopy::test::toy_catalog());
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    CHECK(s.name == "child");                      // overridden
    CHECK(s.replicates == 7);                      // added by the child
    CHECK(s.model == "toy");                       // from the parent
    CHECK(s.levers[0].schedule.initial() == 40.0); // the child's value...
    CHECK(s.levers[0].cost.per_unit_year == 0.1);  // ...merged into the parent's table
    CHECK(s.levers[0].provenance.assumption == "the child's level"); // its own citation
    CHECK(s.levers[0].provenance.source.empty());
    REQUIRE(s.indicators.size() == 1);

    const std::string parent_name = (dir / "common" / "base.toml").generic_string();
    const std::string child_name = (dir / "child.toml").generic_string();
    const std::string expected_text =
        "# ---- file: " + parent_name + "\n" + canopy::test::read_bytes(dir / "common/base.toml") +
        "# ---- file: " + child_name + "\n" + canopy::test::read_bytes(dir / "child.toml");
    CHECK(s.text == expected_text);
    // Its content, which fingerprints use, is the same however the files were named.
    CHECK(scenario_content(s.text) ==
          "# ---- file\n" + canopy::test::read_bytes(dir / "common/base.toml") + "# ---- file\n" +
              canopy::test::read_bytes(dir / "child.toml"));
    const LoadResult again =
        load_scenario(dir / "common" / ".." / "child.toml", canopy::test::toy_catalog());
    REQUIRE(again.scenario.has_value());
    CHECK(again.scenario->text != s.text);
    CHECK(scenario_content(again.scenario->text) == scenario_content(s.text));
}

TEST_CASE("a diagnostic in an extended file names that file", "[scenario]") {
    const fs::path dir = scratch("extends_parent_error");
    write(dir / "base.toml",
          std::string(MINIMAL) + "[levers.tech_loans]\nvalu = 3\nsource = \"x\"\n");
    write(dir / "child.toml", "extends = \"base.toml\"\n[scenario]\nname = \"child\"\n");
    const LoadResult r = load_scenario(dir / "child.toml", canopy::test::toy_catalog());
    const auto errors = canopy::test::errors(r);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].file == (dir / "base.toml").generic_string());
    CHECK(errors[0].line == 13);
    CHECK(errors[0].column == 1);
    CHECK(errors[0].key == "levers.tech_loans.valu");
    CHECK(errors[0].hint == "did you mean 'value'?");
    CHECK(errors[1].key == "levers.tech_loans.value"); // and the constant now lacks its value
    CHECK(errors[1].message == "missing required key 'value'");
}

TEST_CASE("extends cycles, missing parents and long chains are diagnostics", "[scenario]") {
    const fs::path dir = scratch("extends_errors");
    SECTION("a cycle") {
        write(dir / "a.toml", "extends = \"b.toml\"\n" + std::string(MINIMAL));
        write(dir / "b.toml", "# b\nextends = \"a.toml\"\n");
        const LoadResult r = load_scenario(dir / "a.toml", canopy::test::toy_catalog());
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        const std::string a = (dir / "a.toml").generic_string();
        const std::string b = (dir / "b.toml").generic_string();
        CHECK(errors[0].file == b);
        CHECK(errors[0].line == 2);
        CHECK(errors[0].column == 11);
        CHECK(errors[0].key == "extends");
        CHECK(errors[0].message == "'extends' forms a cycle: " + a + " -> " + b + " -> " + a);
        CHECK_FALSE(r.scenario.has_value());
    }
    SECTION("a file that extends itself") {
        write(dir / "self.toml", "extends = \"./self.toml\"\n");
        const LoadResult r = load_scenario(dir / "self.toml", canopy::test::toy_catalog());
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message.find("'extends' forms a cycle") == 0);
    }
    SECTION("a missing parent") {
        write(dir / "orphan.toml", "extends = \"nope.toml\"\n");
        const LoadResult r = load_scenario(dir / "orphan.toml", canopy::test::toy_catalog());
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].line == 1);
        CHECK(errors[0].column == 11);
        CHECK(errors[0].message ==
              "cannot read '" + (dir / "nope.toml").generic_string() + "': no such file");
        CHECK(errors[0].allowed == "a path relative to the directory of " +
                                       (dir / "orphan.toml").generic_string() +
                                       " (a symbolic link's own directory, not its target's)");
        // The path as tried, not tidied: nodir/../ fails when nodir does not exist, and the
        // message named orphan.toml's sibling, which exists.
        write(dir / "through.toml", "extends = \"nodir/../orphan.toml\"\n");
        const auto through =
            canopy::test::errors(load_scenario(dir / "through.toml", canopy::test::toy_catalog()));
        REQUIRE(through.size() == 1);
        CHECK(through[0].message == "cannot read '" +
                                        (dir / "nodir/../orphan.toml").generic_string() +
                                        "': no such file");
    }
    SECTION("extends must be a string") {
        const LoadResult r = load("extends = 3\n");
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message ==
              "expected a string (a path relative to this file), found an integer");
    }
    SECTION("eight levels are fine, nine are not") {
        // f0 extends f1 ... f8 is 8 levels; f8 holds the scenario.
        for (int i = 0; i < 8; ++i) {
            write(dir / ("f" + std::to_string(i) + ".toml"),
                  "extends = \"f" + std::to_string(i + 1) + ".toml\"\n");
        }
        write(dir / "f8.toml", MINIMAL);
        const LoadResult ok = load_scenario(dir / "f0.toml", canopy::test::toy_catalog());
        INFO(ok.diagnostics.format());
        CHECK(ok.scenario.has_value());

        write(dir / "g.toml", "extends = \"f0.toml\"\n");
        const LoadResult deep = load_scenario(dir / "g.toml", canopy::test::toy_catalog());
        const auto errors = canopy::test::errors(deep);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].file == (dir / "f7.toml").generic_string());
        CHECK(errors[0].key == "extends");
        CHECK(errors[0].message == "too many levels of 'extends' (more than 8)");
    }
}

TEST_CASE("unreadable files are diagnostics, not exceptions", "[scenario]") {
    const fs::path dir = scratch("file_errors");
    SECTION("a missing file") {
        const LoadResult r = load_scenario(dir / "absent.toml", canopy::test::toy_catalog());
        REQUIRE(r.diagnostics.size() == 1);
        const Diagnostic& d = *r.diagnostics.begin();
        CHECK(d.file == (dir / "absent.toml").generic_string());
        CHECK(d.line == 0);
        CHECK(d.message == "cannot read the scenario file: no such file");
    }
    SECTION("a directory") {
        const LoadResult r = load_scenario(dir, canopy::test::toy_catalog());
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics.begin()->message ==
              "cannot read the scenario file: it is a directory, not a scenario file");
    }
    SECTION("an empty file") {
        write(dir / "empty.toml", "");
        const LoadResult r = load_scenario(dir / "empty.toml", canopy::test::toy_catalog());
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics.begin()->line == 1);
        CHECK(r.diagnostics.begin()->message == "the file is empty");
    }
    SECTION("a file over 4 MiB") {
        const std::string huge(4 * 1024 * 1024 + 1, '#');
        write(dir / "huge.toml", huge);
        const LoadResult r = load_scenario(dir / "huge.toml", canopy::test::toy_catalog());
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics.begin()->message ==
              "cannot read the scenario file: it is 4194305 bytes, larger than scenario files "
              "may be (4194304 bytes, 4 MiB)");
        const LoadResult t = load(huge);
        REQUIRE(t.diagnostics.size() == 1);
        CHECK(t.diagnostics.begin()->line == 1);
        CHECK(t.diagnostics.begin()->message == "the file is 4194305 bytes, larger than scenario "
                                                "files may be");
    }
    SECTION("only comments") {
        const LoadResult r = load("# nothing here\n");
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].line == 1);
        CHECK(errors[0].column == 1);
        CHECK(errors[0].key == "scenario");
        CHECK(errors[0].message == "missing required table [scenario]");
    }
}

TEST_CASE("a byte-order mark and CRLF line ends are accepted", "[scenario]") {
    std::string text = "\xEF\xBB\xBF";
    for (const char c : std::string(MINIMAL)) {
        if (c == '\n') {
            text += '\r';
        }
        text += c;
    }
    const LoadResult r = load(text);
    INFO(r.diagnostics.format());
    CHECK(r.scenario.has_value());
}

TEST_CASE("a baseline figure nobody published may be a prior drawn per replicate", "[scenario]") {
    const std::string text = std::string(MINIMAL) + R"(
[baseline.firms_initial]
distribution = "triangular"
low = 800
mode = 1000
high = 1500
assumption = "no count published; a plan's round figure"
)";
    // The appended table replaces MINIMAL's firms_initial: TOML forbids defining it twice, so
    // build the text without the minimal one.
    std::string own = text;
    const std::string minimal_firms = "[baseline.firms_initial]\nvalue = 1000\nsource = \"s\"\n";
    own.erase(own.find(minimal_firms), minimal_firms.size());
    const LoadResult r = load(own);
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Uncertain& u = r.scenario->parameters[0].value;
    CHECK(u.kind == Uncertain::Kind::triangular);
    CHECK(u.a == 800);
    CHECK(u.b == 1500);
    CHECK(u.c == 1000);
    CHECK(r.scenario->parameters[0].provenance.assumption ==
          "no count published; a plan's round figure");
}

TEST_CASE("the strict check names every number left at an unsourced model default", "[scenario]") {
    const LoadResult r = load(MINIMAL);
    REQUIRE(r.scenario.has_value());
    const Diagnostics none_set = unsourced_defaults(*r.scenario, canopy::test::toy_model());
    // Four parameters and three levers fall back to defaults nobody sourced; the two baseline
    // figures are the scenario's own.
    std::vector<std::string> keys;
    for (const Diagnostic& d : none_set) {
        CHECK(d.severity == Diagnostic::Severity::error);
        CHECK(d.file == "test.toml");
        keys.push_back(d.key);
    }
    CHECK(keys == std::vector<std::string>{"parameters.exit_rate", "parameters.growth_elasticity",
                                           "parameters.leader_quota", "parameters.loan_multiplier",
                                           "levers.tech_loans", "levers.talent_subsidy",
                                           "levers.cert_reward"});
    CHECK(none_set.items().front().message.find("'exit_rate' is not set") != std::string::npos);

    // A default with a documented basis is owned by the model; a setting in the file by the file.
    ModelInfo sourced = canopy::test::toy_model();
    sourced.parameters[2].provenance = "a published survival table";
    sourced.levers[0].provenance = "the programme's budget line";
    const LoadResult set = load(std::string(MINIMAL) + R"(
[parameters.growth_elasticity]
value = 0.4
assumption = "reasoning"
[parameters.leader_quota]
value = 10
source = "the plan"
[parameters.loan_multiplier]
distribution = "uniform"
low = 1
high = 3
assumption = "reasoning"
[levers.talent_subsidy]
value = 0
source = "no programme"
[levers.cert_reward]
value = 100
source = "the plan"
)");
    INFO(set.diagnostics.format());
    REQUIRE(set.scenario.has_value());
    CHECK(unsourced_defaults(*set.scenario, sourced).empty());
    CHECK(unsourced_defaults(*set.scenario, canopy::test::toy_model()).size() == 2);
}
