// Lever schedules: each shape before, at, between and after its breakpoints.
#include <canopy/engine/error.hpp>
#include <canopy/engine/schedule.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using namespace canopy::engine;

namespace {
constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NAN_ = std::numeric_limits<double>::quiet_NaN();
} // namespace

TEST_CASE("A constant schedule has one value everywhere", "[schedule]") {
    const Schedule s = Schedule::constant(2.5);
    CHECK(s.kind() == Schedule::Kind::constant);
    CHECK(s.at(-100.0) == 2.5);
    CHECK(s.at(0.0) == 2.5);
    CHECK(s.at(1e9) == 2.5);
    CHECK(s.points().empty());
    CHECK(s.initial() == 2.5);
}

TEST_CASE("A step schedule is a right-continuous staircase", "[schedule]") {
    const Schedule s = Schedule::step(1.0, {{6.0, 2.0}, {12.0, 5.0}});
    CHECK(s.kind() == Schedule::Kind::step);
    CHECK(s.at(-1.0) == 1.0);
    CHECK(s.at(0.0) == 1.0);
    CHECK(s.at(5.999) == 1.0);
    CHECK(s.at(6.0) == 2.0); // a point's value holds from its time on
    CHECK(s.at(11.0) == 2.0);
    CHECK(s.at(12.0) == 5.0);
    CHECK(s.at(100.0) == 5.0);

    const Schedule single = Schedule::step(0.0, {{3.0, 7.0}});
    CHECK(single.at(2.0) == 0.0);
    CHECK(single.at(3.0) == 7.0);
}

TEST_CASE("A ramp holds, rises linearly, then holds", "[schedule]") {
    const Schedule s = Schedule::ramp({2.0, 10.0}, {6.0, 30.0});
    CHECK(s.kind() == Schedule::Kind::ramp);
    CHECK(s.initial() == 10.0);
    CHECK(s.at(0.0) == 10.0);
    CHECK(s.at(2.0) == 10.0);
    CHECK(s.at(3.0) == 15.0);
    CHECK(s.at(4.0) == 20.0);
    CHECK(s.at(6.0) == 30.0);
    CHECK(s.at(60.0) == 30.0);

    // A ramp of zero duration is a jump at its time.
    const Schedule jump = Schedule::ramp({4.0, 1.0}, {4.0, 3.0});
    CHECK(jump.at(3.999) == 1.0);
    CHECK(jump.at(4.0) == 3.0);

    // A falling ramp.
    const Schedule down = Schedule::ramp({0.0, 8.0}, {4.0, 0.0});
    CHECK(down.at(1.0) == 6.0);
}

TEST_CASE("A piecewise-linear schedule interpolates and is flat outside its points", "[schedule]") {
    const Schedule s = Schedule::piecewise_linear({{0.0, 1.0}, {10.0, 11.0}, {20.0, 1.0}});
    CHECK(s.kind() == Schedule::Kind::piecewise_linear);
    CHECK(s.at(-5.0) == 1.0);
    CHECK(s.at(0.0) == 1.0);
    CHECK(s.at(2.5) == 3.5);
    CHECK(s.at(10.0) == 11.0);
    CHECK(s.at(15.0) == 6.0);
    CHECK(s.at(20.0) == 1.0);
    CHECK(s.at(25.0) == 1.0);

    const Schedule one = Schedule::piecewise_linear({{3.0, 4.0}});
    CHECK(one.at(0.0) == 4.0);
    CHECK(one.at(3.0) == 4.0);
    CHECK(one.at(9.0) == 4.0);
}

TEST_CASE("Schedule points are sorted by time, later-listed wins at equal times", "[schedule]") {
    const Schedule s = Schedule::piecewise_linear({{10.0, 11.0}, {0.0, 1.0}});
    REQUIRE(s.points().size() == 2);
    CHECK(s.points()[0].t_months == 0.0);
    CHECK(s.at(5.0) == 6.0);

    const Schedule st = Schedule::step(0.0, {{12.0, 3.0}, {6.0, 2.0}});
    CHECK(st.at(7.0) == 2.0);
    CHECK(st.at(12.0) == 3.0);

    // Two points at one time: a jump, right-continuous.
    const Schedule jump =
        Schedule::piecewise_linear({{0.0, 0.0}, {4.0, 4.0}, {4.0, 10.0}, {8.0, 14.0}});
    CHECK(jump.at(2.0) == 2.0);
    CHECK(jump.at(4.0) == 10.0);
    CHECK(jump.at(6.0) == 12.0);
    const Schedule dup_step = Schedule::step(0.0, {{3.0, 1.0}, {3.0, 2.0}});
    CHECK(dup_step.at(3.0) == 2.0);
}

TEST_CASE("Schedules reject invalid construction with canopy::Error", "[schedule]") {
    CHECK_THROWS_AS(Schedule::constant(NAN_), canopy::Error);
    CHECK_THROWS_AS(Schedule::constant(INF), canopy::Error);
    CHECK_THROWS_AS(Schedule::step(NAN_, {{1.0, 1.0}}), canopy::Error);
    CHECK_THROWS_AS(Schedule::step(0.0, {}), canopy::Error);
    CHECK_THROWS_AS(Schedule::step(0.0, {{INF, 1.0}}), canopy::Error);
    CHECK_THROWS_AS(Schedule::step(0.0, {{1.0, NAN_}}), canopy::Error);
    CHECK_THROWS_AS(Schedule::ramp({5.0, 0.0}, {4.0, 1.0}), canopy::Error);
    CHECK_THROWS_AS(Schedule::ramp({0.0, NAN_}, {4.0, 1.0}), canopy::Error);
    CHECK_THROWS_AS(Schedule::ramp({0.0, 0.0}, {-INF, 1.0}), canopy::Error);
    CHECK_THROWS_AS(Schedule::piecewise_linear({}), canopy::Error);
    CHECK_THROWS_AS(Schedule::piecewise_linear({{0.0, 1.0}, {NAN_, 2.0}}), canopy::Error);
}

TEST_CASE("at() does not throw and passes a NaN time through", "[schedule]") {
    const Schedule s = Schedule::piecewise_linear({{0.0, 1.0}, {10.0, 2.0}});
    CHECK(std::isnan(s.at(NAN_)));
    CHECK(s.at(INF) == 2.0);
    CHECK(s.at(-INF) == 1.0);
    CHECK(Schedule::step(1.0, {{0.0, 2.0}}).at(-INF) == 1.0);
}

TEST_CASE("scaled() multiplies every value and keeps the times", "[schedule]") {
    const Schedule st = Schedule::step(1.0, {{6.0, 2.0}}).scaled(3.0);
    CHECK(st.kind() == Schedule::Kind::step);
    CHECK(st.initial() == 3.0);
    CHECK(st.at(0.0) == 3.0);
    CHECK(st.at(6.0) == 6.0);
    CHECK(st.points()[0].t_months == 6.0);

    const Schedule r = Schedule::ramp({0.0, 1.0}, {10.0, 3.0}).scaled(0.5);
    CHECK(r.at(-1.0) == 0.5);
    CHECK(r.at(5.0) == 1.0);
    CHECK(r.at(10.0) == 1.5);

    CHECK(Schedule::constant(4.0).scaled(0.0).at(1.0) == 0.0);
    CHECK(Schedule::piecewise_linear({{0.0, 2.0}, {2.0, 4.0}}).scaled(-1.0).at(1.0) == -3.0);
    CHECK_THROWS_AS(Schedule::constant(1.0).scaled(NAN_), canopy::Error);
    CHECK_THROWS_AS(Schedule::constant(1e300).scaled(1e300), canopy::Error);
}

TEST_CASE("Schedule kinds have their scenario-file names", "[schedule]") {
    CHECK(std::string(to_string(Schedule::Kind::constant)) == "constant");
    CHECK(std::string(to_string(Schedule::Kind::step)) == "step");
    CHECK(std::string(to_string(Schedule::Kind::ramp)) == "ramp");
    CHECK(std::string(to_string(Schedule::Kind::piecewise_linear)) == "piecewise_linear");
}
