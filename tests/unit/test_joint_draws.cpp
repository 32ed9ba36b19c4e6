// Joint per-replicate draws (a posterior's rows): the pick is a pure function of (seed,
// replicate), follows the weights, and replaces parameters and scales levers in the run inputs.
#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/joint_draws.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

using namespace canopy::engine;

namespace {

JointDraws table(std::vector<double> weights) {
    std::vector<JointDraws::Column> columns = {
        {JointDraws::Column::Kind::parameter, 1, "b"},
        {JointDraws::Column::Kind::lever_scale, 0, "lever"},
    };
    std::vector<double> values;
    for (std::size_t r = 0; r < weights.size(); ++r) {
        values.push_back(static_cast<double>(r));       // parameter b = the row number
        values.push_back(1.0 + static_cast<double>(r)); // the lever scaled by row + 1
    }
    return JointDraws(columns, values, weights, "test table");
}

} // namespace

TEST_CASE("a replicate's row depends only on the seed and the replicate", "[unit]") {
    const JointDraws t = table({1, 1, 1, 1, 1, 1, 1, 1});
    for (std::uint32_t r = 0; r < 50; ++r) {
        CHECK(t.pick(RandomKey{7, r}) == t.pick(RandomKey{7, r}));
    }
    int differs = 0;
    for (std::uint32_t r = 0; r < 50; ++r) {
        differs += t.pick(RandomKey{7, r}) != t.pick(RandomKey{8, r}) ? 1 : 0;
    }
    CHECK(differs > 30); // another seed picks other rows (7/8 differ on average)
}

TEST_CASE("rows are picked in proportion to their weights", "[unit][statistical]") {
    // Weights 1 : 3 : 0 : 6. Over n picks the count of row k is binomial(n, p_k); allow 5
    // standard deviations.
    const JointDraws t = table({1, 3, 0, 6});
    const int n = 20000;
    std::vector<int> count(4, 0);
    for (int r = 0; r < n; ++r) {
        ++count[t.pick(RandomKey{123, static_cast<std::uint32_t>(r)})];
    }
    const std::vector<double> p = {0.1, 0.3, 0.0, 0.6};
    for (std::size_t k = 0; k < 4; ++k) {
        const double sd = std::sqrt(n * p[k] * (1 - p[k]));
        INFO("row " << k);
        CHECK(std::abs(count[k] - n * p[k]) <= 5 * sd + 1e-9);
    }
    CHECK(count[2] == 0); // a row of weight zero is never taken
}

TEST_CASE("replicate inputs take a whole row: parameters set, levers scaled", "[unit]") {
    Scenario s;
    s.parameters = {ParameterSetting{Uncertain::fixed(5.0), {}},
                    ParameterSetting{{Uncertain::Kind::uniform, 0.0, 1.0, 0.0}, {}}};
    s.levers = {LeverSetting{Schedule::constant(2.0), {}, {}}};
    s.joint_draws = std::make_shared<const JointDraws>(table({1, 1, 1, 1}));
    for (std::uint32_t r = 0; r < 20; ++r) {
        const RandomKey key{99, r};
        const RunInputs in = replicate_inputs(s, key);
        const auto row = static_cast<double>(s.joint_draws->pick(key));
        CHECK(in.parameters[0] == 5.0); // not a column: its own value
        CHECK(in.parameters[1] == row); // a column: the row's value, not a uniform draw
        CHECK(in.levers[0].at(3.0) == 2.0 * (1.0 + row));
    }
}

TEST_CASE("without() drops columns and keeps the weights", "[unit]") {
    const JointDraws t = table({1, 3, 0, 6});
    const JointDraws only_lever = t.without({false, true});
    REQUIRE(only_lever.columns().size() == 1);
    CHECK(only_lever.columns()[0].name == "lever");
    CHECK(only_lever.value(3, 0) == 4.0);
    for (std::uint32_t r = 0; r < 100; ++r) {
        CHECK(only_lever.pick(RandomKey{3, r}) == t.pick(RandomKey{3, r}));
    }
    CHECK_THROWS_AS(t.without({false, false}), canopy::Error);
}

TEST_CASE("a malformed table is refused", "[unit]") {
    const std::vector<JointDraws::Column> one = {{JointDraws::Column::Kind::parameter, 0, "a"}};
    CHECK_THROWS_AS(JointDraws(one, {1.0, 2.0}, {1.0}, "t"), canopy::Error);
    CHECK_THROWS_AS(JointDraws(one, {1.0}, {-1.0}, "t"), canopy::Error);
    CHECK_THROWS_AS(JointDraws(one, {1.0}, {0.0}, "t"), canopy::Error);
    CHECK_THROWS_AS(JointDraws(one, {std::numeric_limits<double>::quiet_NaN()}, {1.0}, "t"),
                    canopy::Error);
    CHECK_THROWS_AS(JointDraws({}, {}, {}, "t"), canopy::Error);
}
