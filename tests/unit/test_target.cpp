// Targets: comparison syntax, attainment, and the ensemble summary.
#include <canopy/engine/error.hpp>
#include <canopy/engine/target.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace canopy::engine;

namespace {
constexpr double NAN_ = std::numeric_limits<double>::quiet_NaN();

TargetSpec spec(Comparison c, double threshold) {
    TargetSpec t;
    t.id = "high_tech_firms";
    t.indicator = "high_tech_end_2023";
    t.comparison = c;
    t.threshold = threshold;
    t.unit = "firms";
    return t;
}
} // namespace

TEST_CASE("Comparisons print and parse as >, >=, <, <=", "[target]") {
    for (const Comparison c : {Comparison::greater, Comparison::greater_equal, Comparison::less,
                               Comparison::less_equal}) {
        Comparison parsed = c == Comparison::less ? Comparison::greater : Comparison::less;
        REQUIRE(parse_comparison(to_string(c), parsed));
        CHECK(parsed == c);
    }
    CHECK(std::string(to_string(Comparison::greater_equal)) == ">=");
    Comparison out = Comparison::less;
    for (const char* bad : {"", "=", "==", "=>", "> ", " >", "gt", ">>", "<=="}) {
        INFO(bad);
        CHECK_FALSE(parse_comparison(bad, out));
        CHECK(out == Comparison::less);
    }
}

TEST_CASE("attained compares as written, and NaN never attains", "[target]") {
    CHECK(attained(Comparison::greater, 2.0, 1.0));
    CHECK_FALSE(attained(Comparison::greater, 1.0, 1.0));
    CHECK(attained(Comparison::greater_equal, 1.0, 1.0));
    CHECK_FALSE(attained(Comparison::greater_equal, 0.999, 1.0));
    CHECK(attained(Comparison::less, 0.5, 1.0));
    CHECK_FALSE(attained(Comparison::less, 1.0, 1.0));
    CHECK(attained(Comparison::less_equal, 1.0, 1.0));
    CHECK_FALSE(attained(Comparison::less_equal, 1.5, 1.0));
    for (const Comparison c : {Comparison::greater, Comparison::greater_equal, Comparison::less,
                               Comparison::less_equal}) {
        CHECK_FALSE(attained(c, NAN_, 1.0));
        CHECK_FALSE(attained(c, 1.0, NAN_));
    }
}

TEST_CASE("summarise counts attainment and describes the finals", "[target]") {
    // 10 replicates, 7 at or above 100.
    const std::vector<double> finals{90, 100, 110, 120, 95, 130, 105, 99, 140, 100};
    const TargetSummary s = summarise(spec(Comparison::greater_equal, 100.0), finals);
    CHECK(s.id == "high_tech_firms");
    CHECK(s.unit == "firms");
    CHECK(s.comparison == Comparison::greater_equal);
    CHECK(s.threshold == 100.0);
    CHECK(s.replicates == 10);
    CHECK(s.attained == 7);
    CHECK(s.p_attain == 0.7);
    CHECK(s.p_attain_ci.lo == wilson_interval(7, 10).lo);
    CHECK(s.p_attain_ci.hi == wilson_interval(7, 10).hi);
    CHECK(s.mean == Approx(108.9));
    // sorted: 90 95 99 100 100 105 110 120 130 140; type 7 with h = 9 p.
    CHECK(s.median == Approx(102.5));
    CHECK(s.q05 == Approx(92.25)); // h = .45: 90 + .45 * 5
    CHECK(s.q95 == Approx(135.5)); // h = 8.55: 130 + .55 * 10

    const TargetSummary j =
        summarise(spec(Comparison::greater_equal, 100.0), finals, IntervalMethod::jeffreys, 0.9);
    CHECK(j.p_attain_ci.lo == jeffreys_interval(7, 10, 0.9).lo);
    CHECK(j.p_attain_ci.hi == jeffreys_interval(7, 10, 0.9).hi);
}

TEST_CASE("summarise counts NaN finals as not attained and leaves them out of quantiles",
          "[target]") {
    const std::vector<double> finals{NAN_, 1.0, 2.0, NAN_, 3.0};
    const TargetSummary s = summarise(spec(Comparison::less, 10.0), finals);
    CHECK(s.replicates == 5);
    CHECK(s.attained == 3);
    CHECK(s.undefined == 2); // the outputs say how many replicates had no value
    CHECK(s.p_attain == 0.6);
    CHECK(s.mean == 2.0);
    CHECK(s.median == 2.0);
    CHECK(s.q05 == Approx(1.1));
    CHECK(s.q95 == Approx(2.9));

    const std::vector<double> all_nan{NAN_, NAN_};
    const TargetSummary n = summarise(spec(Comparison::less, 10.0), all_nan);
    CHECK(n.replicates == 2);
    CHECK(n.attained == 0);
    CHECK(n.undefined == 2);
    CHECK(n.p_attain == 0.0);
    CHECK(std::isnan(n.mean));
    CHECK(std::isnan(n.median));

    const TargetSummary empty = summarise(spec(Comparison::less, 10.0), std::vector<double>{});
    CHECK(empty.replicates == 0);
    CHECK(std::isnan(empty.p_attain));
    CHECK(empty.p_attain_ci.lo == 0.0);
    CHECK(empty.p_attain_ci.hi == 1.0);

    CHECK_THROWS_AS(summarise(spec(Comparison::less, 10.0), finals, IntervalMethod::wilson, 1.5),
                    canopy::Error);
}

TEST_CASE("summarise keeps infinite finals as values, not as undefined", "[target]") {
    constexpr double INF = std::numeric_limits<double>::infinity();
    const std::vector<double> all_inf{INF, INF, INF, INF};
    const TargetSummary s = summarise(spec(Comparison::greater_equal, 60.0), all_inf);
    CHECK(s.attained == 4);
    CHECK(s.undefined == 0);
    CHECK(s.mean == INF);
    CHECK(s.median == INF);
    CHECK(s.q05 == INF);
    CHECK(s.q95 == INF);
    // sorted 50 70 inf: the median is the middle final, the 95 % quantile interpolates to inf.
    const std::vector<double> some{INF, 50.0, 70.0};
    const TargetSummary m = summarise(spec(Comparison::greater_equal, 60.0), some);
    CHECK(m.attained == 2);
    CHECK(m.median == 70.0);
    CHECK(m.q05 == Approx(52.0));
    CHECK(m.q95 == INF);
    CHECK(m.mean == INF);
}
