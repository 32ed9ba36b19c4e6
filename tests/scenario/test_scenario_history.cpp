// Scenarios that start in the past: levers given as yearly series (schedule = "yearly") and a
// calibration posterior named by the file ([scenario] posterior).
#include "fake_catalog.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace canopy::engine;
using canopy::test::MINIMAL;

namespace {

namespace fs = std::filesystem;

constexpr int L = canopy::test::MINIMAL_LINES;

// The minimal scenario started in January 2013 and run to December 2023 (132 months).
std::string from_2013(std::string_view extra) {
    std::string text(MINIMAL);
    text.replace(text.find("2023-01"), 7, "2013-01");
    return text + std::string(extra);
}

const Diagnostic& only_error(const LoadResult& r) {
    const auto errors = canopy::test::errors(r);
    INFO(r.diagnostics.format());
    REQUIRE(errors.size() == 1);
    static Diagnostic keep;
    keep = errors[0];
    return keep;
}

} // namespace

TEST_CASE("a yearly schedule holds each year's value through its months", "[scenario]") {
    const LoadResult r = canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = { 2015 = 30, 2013 = 10, 2014 = 20 }
source = "s"
)"));
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    CHECK(s.calendar.steps() == 132);
    const Schedule& tl = s.levers[0].schedule;
    // Sampled at the start of each step (the step's month).
    CHECK(tl.at(s.calendar.months_until({2013, 1})) == 10.0);
    CHECK(tl.at(s.calendar.months_until({2013, 12})) == 10.0);
    CHECK(tl.at(s.calendar.months_until({2014, 1})) == 20.0);
    CHECK(tl.at(s.calendar.months_until({2014, 12})) == 20.0);
    CHECK(tl.at(s.calendar.months_until({2015, 1})) == 30.0);
    // After the last year its value holds; before the first year, the first year's.
    CHECK(tl.at(s.calendar.months_until({2023, 12})) == 30.0);
    CHECK(tl.at(s.calendar.months_until({2010, 6})) == 10.0);
    // A lever in units per year held for a year totals the year's value.
    double year_total = 0.0;
    for (int m = 1; m <= 12; ++m) {
        year_total += tl.at(s.calendar.months_until({2014, m})) * s.calendar.dt_years();
    }
    CHECK(year_total == Approx(20.0).epsilon(1e-12));
}

TEST_CASE("a linear yearly schedule puts each value at mid-year and interpolates", "[scenario]") {
    const LoadResult r = canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
spread = "linear"
values = { 2013 = 12, 2014 = 24 }
source = "s"
)"));
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    const Schedule& tl = s.levers[0].schedule;
    CHECK(tl.kind() == Schedule::Kind::piecewise_linear);
    CHECK(tl.at(s.calendar.months_until({2013, 1})) == 12.0); // flat before the first July
    CHECK(tl.at(s.calendar.months_until({2013, 7})) == 12.0);
    CHECK(tl.at(s.calendar.months_until({2014, 1})) == Approx(18.0));
    CHECK(tl.at(s.calendar.months_until({2014, 7})) == 24.0);
    CHECK(tl.at(s.calendar.months_until({2020, 1})) == 24.0); // flat after the last
}

TEST_CASE("a policy mix may give a lever a yearly schedule or scale one", "[scenario]") {
    const LoadResult r = canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = { 2013 = 10, 2020 = 20 }
source = "s"
[policy_mixes.more.levers.tech_loans]
scale = 2
[policy_mixes.other.levers.tech_loans]
schedule = "yearly"
values = { 2013 = 1 }
)"));
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    const Scenario more = r.scenario->with_policy_mix("more");
    CHECK(more.levers[0].schedule.at(more.calendar.months_until({2021, 3})) == 40.0);
    const Scenario other = r.scenario->with_policy_mix("other");
    CHECK(other.levers[0].schedule.at(other.calendar.months_until({2021, 3})) == 1.0);
}

TEST_CASE("yearly schedules report bad years, values and keys", "[scenario]") {
    SECTION("a key that is not a year") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = { 2013 = 1, y2014 = 2 }
source = "s"
)")));
        CHECK(d.line == L + 4);
        CHECK(d.column == 22);
        CHECK(d.key == "levers.tech_loans.values.y2014");
        CHECK(d.message == "'y2014' is not a year");
    }
    SECTION("a value outside the lever's range") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = { 2013 = 1, 2014 = 900 }
source = "s"
)")));
        CHECK(d.key == "levers.tech_loans.values.2014");
        CHECK(d.message == "900 is outside the allowed range [0, 500] of lever 'tech_loans'");
    }
    SECTION("a value that is not a number") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = { 2013 = "ten" }
source = "s"
)")));
        CHECK(d.key == "levers.tech_loans.values.2013");
        CHECK(d.message == "expected a number, found a string");
    }
    SECTION("no years") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = {}
source = "s"
)")));
        CHECK(d.key == "levers.tech_loans.values");
        CHECK(d.message == "needs at least one year");
    }
    SECTION("the same year twice") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
values = { 13 = 1, 013 = 2 }
source = "s"
)")));
        CHECK(d.message == "year 13 is given twice");
    }
    SECTION("an unknown spread") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
spread = "linaer"
values = { 2013 = 1 }
source = "s"
)")));
        CHECK(d.key == "levers.tech_loans.spread");
        CHECK(d.message == "unknown spread 'linaer'");
        CHECK(d.allowed == "step, linear");
        CHECK(d.hint == "did you mean 'linear'?");
    }
    SECTION("an unknown spread and a value outside the range: both said") {
        // The spread's error hid the value's, which only showed once the spread was fixed.
        const auto errors = canopy::test::errors(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yearly"
spread = "smooth"
values = { 2013 = 1, 2014 = -4 }
source = "s"
)")));
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].key == "levers.tech_loans.spread");
        CHECK(errors[1].key == "levers.tech_loans.values.2014");
        CHECK(errors[1].message.find("-4 is outside the allowed range") != std::string::npos);
    }
    SECTION("values in another shape, another shape's key in a yearly schedule") {
        const LoadResult r = canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "step"
initial = 1
steps = [{ at = "2014-01", value = 2 }]
values = { 2013 = 1 }
source = "s"
[levers.talent_subsidy]
schedule = "yearly"
values = { 2013 = 1 }
initial = 3
source = "s"
)"));
        const auto errors = canopy::test::errors(r);
        INFO(r.diagnostics.format());
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].message == "'values' does not apply to a step schedule");
        CHECK(errors[1].message == "'initial' does not apply to a yearly schedule");
    }
    SECTION("a misspelt schedule suggests yearly") {
        const auto& d = only_error(canopy::test::load(from_2013(R"(
[levers.tech_loans]
schedule = "yeraly"
values = { 2013 = 1 }
source = "s"
)")));
        CHECK(d.message == "unknown schedule 'yeraly'");
        CHECK(d.allowed == "constant, step, ramp, piecewise_linear, yearly");
        CHECK(d.hint == "did you mean 'yearly'?");
    }
}

TEST_CASE("a scenario may name a posterior file and the columns it uses", "[scenario]") {
    const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "scenario-test-files" / "posterior";
    fs::remove_all(dir);
    fs::create_directories(dir / "fits");
    std::ofstream(dir / "fits" / "p.h5") << "not read by the loader";
    const fs::path file = dir / "s.toml";
    std::ofstream(file) << std::string(MINIMAL).insert(std::string(MINIMAL).find("[baseline"),
                                                       "posterior = \"fits/p.h5\"\n"
                                                       "posterior_parameters = [\"exit_rate\", "
                                                       "\"tech_loans\"]\n");
    const LoadResult r = load_scenario(file, canopy::test::toy_catalog());
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    REQUIRE(r.scenario->posterior.has_value());
    const PosteriorReference& p = *r.scenario->posterior;
    CHECK(p.path == dir / "fits" / "p.h5");
    CHECK(p.parameters == std::vector<std::string>{"exit_rate", "tech_loans"});
    CHECK(p.line == 6);
    CHECK(p.file == file.generic_string());
    CHECK_FALSE(r.scenario->joint_draws); // attached by the experiments layer, not the loader
}

TEST_CASE("a posterior that is missing or names unknown columns is an error", "[scenario]") {
    const auto with_scenario_keys = [](std::string_view keys) {
        std::string text(MINIMAL);
        text.insert(text.find("[baseline"), keys);
        return canopy::test::load(text);
    };
    SECTION("no such file") {
        const auto& d = only_error(with_scenario_keys("posterior = \"nowhere/p.h5\"\n"));
        CHECK(d.line == 6);
        CHECK(d.key == "scenario.posterior");
        CHECK(d.message == "cannot read the posterior file 'nowhere/p.h5': no such file");
    }
    SECTION("an unknown column") {
        const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "scenario-test-files";
        fs::create_directories(dir);
        std::ofstream(dir / "p.h5") << "x";
        const std::string keys = "posterior = \"" + (dir / "p.h5").generic_string() +
                                 "\"\nposterior_parameters = [\"exit_rat\"]\n";
        const auto& d = only_error(with_scenario_keys(keys));
        CHECK(d.line == 7);
        CHECK(d.key == "scenario.posterior_parameters[0]");
        CHECK(d.message == "model 'toy' has no parameter, baseline or lever 'exit_rat'");
        CHECK(d.hint == "did you mean 'exit_rate'?");
    }
    SECTION("columns without a posterior") {
        const auto& d = only_error(with_scenario_keys("posterior_parameters = [\"exit_rate\"]\n"));
        CHECK(d.key == "scenario.posterior_parameters");
        CHECK(d.message == "'posterior_parameters' chooses columns of a posterior, but there is "
                           "no 'posterior'");
    }
}
