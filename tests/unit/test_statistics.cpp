// Ensemble statistics against values computed independently (mpmath at 40 digits for the
// intervals and the normal quantile; by hand for the type-7 quantiles).
#include <canopy/engine/error.hpp>
#include <canopy/engine/statistics.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

using namespace canopy::engine;

namespace {
constexpr double NAN_ = std::numeric_limits<double>::quiet_NaN();
constexpr double INF = std::numeric_limits<double>::infinity();
} // namespace

TEST_CASE("normal_quantile is accurate to 1e-12", "[statistics]") {
    // Reference: sqrt(2) erfinv(2p - 1) in mpmath at 40 digits.
    const double tol = 1e-12;
    CHECK(normal_quantile(0.5) == 0.0);
    CHECK(normal_quantile(0.975) == Approx(1.959963984540054235).margin(tol).epsilon(0));
    CHECK(normal_quantile(0.95) == Approx(1.644853626951472715).margin(tol).epsilon(0));
    CHECK(normal_quantile(0.999) == Approx(3.090232306167813542).margin(tol).epsilon(0));
    CHECK(normal_quantile(0.3) == Approx(-0.524400512708040784).margin(tol).epsilon(0));
    CHECK(normal_quantile(0.02425) == Approx(-1.972961051311884850).margin(tol).epsilon(0));
    CHECK(normal_quantile(1e-10) == Approx(-6.361340902404056205).margin(tol).epsilon(0));
    CHECK(normal_quantile(0.9999999) == Approx(5.199337582192816932).margin(1e-9).epsilon(0));
    // Exactly antisymmetric about 1/2 (1 - p is exact for p in [1/2, 1]).
    CHECK(normal_quantile(0.25) == -normal_quantile(0.75));
    CHECK(normal_quantile(0.8) == -normal_quantile(1.0 - 0.8));
    CHECK(normal_quantile(0.0) == -INF);
    CHECK(normal_quantile(1.0) == INF);
    // Deep in the tail the Halley step still lands on Phi(x) = p (relative to p).
    const double x = normal_quantile(1e-300);
    CHECK(0.5 * std::erfc(-x / std::sqrt(2.0)) == Approx(1e-300).epsilon(1e-12));
    CHECK_THROWS_AS(normal_quantile(-0.1), canopy::Error);
    CHECK_THROWS_AS(normal_quantile(1.1), canopy::Error);
    CHECK_THROWS_AS(normal_quantile(NAN_), canopy::Error);
}

TEST_CASE("Wilson intervals match known values", "[statistics]") {
    const double tol = 1e-12;
    Interval i = wilson_interval(0, 10);
    CHECK(i.lo == 0.0);
    CHECK(i.hi == Approx(0.2775327998628892527).margin(tol).epsilon(0));
    i = wilson_interval(5, 10);
    CHECK(i.lo == Approx(0.2365930905125639777).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.7634069094874360223).margin(tol).epsilon(0));
    i = wilson_interval(10, 10);
    CHECK(i.lo == Approx(0.7224672001371107473).margin(tol).epsilon(0));
    CHECK(i.hi == 1.0);
    i = wilson_interval(1, 10);
    CHECK(i.lo == Approx(0.01787621309507290399).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.4041500267952384982).margin(tol).epsilon(0));
    i = wilson_interval(93, 100);
    CHECK(i.lo == Approx(0.8625048526092649848).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.9656807389327273264).margin(tol).epsilon(0));

    // Higher confidence, wider interval; n = 0 knows nothing.
    CHECK(wilson_interval(5, 10, 0.99).lo < wilson_interval(5, 10, 0.95).lo);
    i = wilson_interval(0, 0);
    CHECK(i.lo == 0.0);
    CHECK(i.hi == 1.0);
}

TEST_CASE("Jeffreys intervals match known values", "[statistics]") {
    // Equal-tailed Beta(k + 1/2, n - k + 1/2) quantiles by bisection on mpmath's betainc;
    // the n = 10 rows agree with Brown, Cai & DasGupta (2001).
    const double tol = 1e-10;
    Interval i = jeffreys_interval(0, 10);
    CHECK(i.lo == 0.0);
    CHECK(i.hi == Approx(0.21719626750921057).margin(tol).epsilon(0));
    i = jeffreys_interval(5, 10);
    CHECK(i.lo == Approx(0.22352867025270519).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.77647132974729481).margin(tol).epsilon(0));
    i = jeffreys_interval(10, 10);
    CHECK(i.lo == Approx(0.78280373249078943).margin(tol).epsilon(0));
    CHECK(i.hi == 1.0);
    i = jeffreys_interval(1, 10);
    CHECK(i.lo == Approx(0.011011673763161136).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.38131477106661639).margin(tol).epsilon(0));
    i = jeffreys_interval(93, 100);
    CHECK(i.lo == Approx(0.86749077603544767).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.96814504093080358).margin(tol).epsilon(0));
    i = jeffreys_interval(3, 20);
    CHECK(i.lo == Approx(0.044131341975155868).margin(tol).epsilon(0));
    CHECK(i.hi == Approx(0.34857771085845412).margin(tol).epsilon(0));
    i = jeffreys_interval(0, 0);
    CHECK(i.lo == 0.0);
    CHECK(i.hi == 1.0);
}

TEST_CASE("binomial_interval dispatches and rejects impossible input", "[statistics]") {
    const Interval w = binomial_interval(IntervalMethod::wilson, 3, 20);
    const Interval j = binomial_interval(IntervalMethod::jeffreys, 3, 20);
    CHECK(w.lo == wilson_interval(3, 20).lo);
    CHECK(j.hi == jeffreys_interval(3, 20).hi);
    CHECK(w.lo != j.lo);
    CHECK_THROWS_AS(wilson_interval(11, 10), canopy::Error);
    CHECK_THROWS_AS(jeffreys_interval(11, 10), canopy::Error);
    CHECK_THROWS_AS(wilson_interval(1, 10, 1.0), canopy::Error);
    CHECK_THROWS_AS(jeffreys_interval(1, 10, 0.0), canopy::Error);
    CHECK_THROWS_AS(wilson_interval(1, 10, NAN_), canopy::Error);
}

TEST_CASE("quantile is type 7, as numpy and R compute it", "[statistics]") {
    // sorted: 1 1 2 3 4 5 6 9 (n = 8); h = 7 p. By hand: p = .05 -> h = .35 -> 1;
    // .25 -> 1.75 -> 1 + .75 (2 - 1) = 1.75; .5 -> 3.5 -> 3.5; .9 -> 6.3 -> 6 + .3 * 3 = 6.9;
    // .95 -> 6.65 -> 7.95. numpy.percentile gives the same.
    const std::vector<double> x{3, 1, 4, 1, 5, 9, 2, 6};
    CHECK(quantile(x, 0.0) == 1.0);
    CHECK(quantile(x, 0.05) == 1.0);
    CHECK(quantile(x, 0.25) == Approx(1.75));
    CHECK(quantile(x, 0.5) == 3.5);
    CHECK(quantile(x, 0.9) == Approx(6.9));
    CHECK(quantile(x, 0.95) == Approx(7.95));
    CHECK(quantile(x, 1.0) == 9.0);

    const std::array<double, 3> ps{0.05, 0.5, 0.95};
    std::array<double, 3> out{};
    quantiles(x, ps, out);
    CHECK(out[0] == quantile(x, 0.05));
    CHECK(out[1] == quantile(x, 0.5));
    CHECK(out[2] == quantile(x, 0.95));

    const std::vector<double> one{42.0};
    CHECK(quantile(one, 0.3) == 42.0);
    CHECK(std::isnan(quantile(std::vector<double>{}, 0.5)));
    const std::vector<double> infinite{INF, INF};
    CHECK(quantile(infinite, 0.5) == INF);

    CHECK_THROWS_AS(quantile(x, 1.5), canopy::Error);
    CHECK_THROWS_AS(quantile(x, NAN_), canopy::Error);
    CHECK_THROWS_AS(quantile(std::vector<double>{1.0, NAN_}, 0.5), canopy::Error);
    std::array<double, 2> small{};
    CHECK_THROWS_AS(quantiles(x, ps, small), canopy::Error);
}

TEST_CASE("quantile orders infinite values like any other", "[statistics]") {
    // Type 7 interpolates a + (b - a) t between neighbours; with an infinite end that is the
    // infinity for any t > 0 and the nearer order statistic itself at t = 0, never inf - inf.
    const std::vector<double> all_inf{INF, INF, INF, INF, INF};
    const std::vector<double> all_minus_inf{-INF, -INF, -INF};
    for (const double p : {0.0, 0.05, 0.5, 0.95, 1.0}) {
        CHECK(quantile(all_inf, p) == INF);
        CHECK(quantile(all_minus_inf, p) == -INF);
    }
    // sorted 1 2 inf (h = 2 p): p = .5 is the order statistic 2 exactly (t = 0); above it the
    // interpolation reaches towards inf and is inf.
    const std::vector<double> some_inf{INF, 1.0, 2.0};
    CHECK(quantile(some_inf, 0.0) == 1.0);
    CHECK(quantile(some_inf, 0.25) == 1.5);
    CHECK(quantile(some_inf, 0.5) == 2.0);
    CHECK(quantile(some_inf, 0.6) == INF);
    CHECK(quantile(some_inf, 0.95) == INF);
    // sorted -inf 1 2: below the second order statistic every interpolation is -inf.
    const std::vector<double> some_minus_inf{2.0, -INF, 1.0};
    CHECK(quantile(some_minus_inf, 0.05) == -INF);
    CHECK(quantile(some_minus_inf, 0.45) == -INF);
    CHECK(quantile(some_minus_inf, 0.5) == 1.0);
    CHECK(quantile(some_minus_inf, 0.75) == 1.5);
    // Between -inf and +inf there is no value.
    const std::vector<double> both{-INF, INF};
    CHECK(quantile(both, 0.0) == -INF);
    CHECK(std::isnan(quantile(both, 0.5)));
    CHECK(quantile(both, 1.0) == INF);
    // Finite neighbours whose difference overflows still interpolate to a finite number.
    const double big = std::numeric_limits<double>::max();
    const std::vector<double> wide{-big, big};
    CHECK(quantile(wide, 0.5) == 0.0);
    CHECK(quantile(wide, 0.75) == Approx(big / 2.0));
}

TEST_CASE("quantile does not depend on the input order", "[statistics]") {
    const std::vector<double> a{0.1, 0.7, 0.3, 0.9, 0.5};
    const std::vector<double> b{0.9, 0.5, 0.1, 0.3, 0.7};
    for (double p : {0.0, 0.1, 0.33, 0.5, 0.77, 1.0}) {
        CHECK(quantile(a, p) == quantile(b, p));
    }
}

TEST_CASE("mean and standard_deviation", "[statistics]") {
    const std::vector<double> x{2, 4, 4, 4, 5, 5, 7, 9};
    CHECK(mean(x) == 5.0);
    // Sum of squared deviations 32, over n - 1 = 7.
    CHECK(standard_deviation(x) == Approx(std::sqrt(32.0 / 7.0)));
    CHECK(std::isnan(mean(std::vector<double>{})));
    CHECK(std::isnan(standard_deviation(std::vector<double>{1.0})));

    // Summed in index order: 1e16 + 1 + 1 loses both ones (each is below half an ulp of 1e16),
    // a pairwise or sorted sum would not.
    const std::vector<double> order{1e16, 1.0, 1.0, -1e16};
    CHECK(mean(order) == 0.0);

    // A small spread on a large mean survives (the two-pass formula).
    const std::vector<double> big{1e9 + 1, 1e9 + 2, 1e9 + 3};
    CHECK(standard_deviation(big) == 1.0);
}

TEST_CASE("mean of finite values whose sum overflows is finite", "[statistics]") {
    // Four costs of 1e308 had the mean inf, and a budget capped at 1e308 read as over its cap.
    const double most = std::numeric_limits<double>::max();
    CHECK(mean(std::vector<double>{1e308, 1e308, 1e308, 1e308}) == 1e308);
    CHECK(mean(std::vector<double>{most, most}) == most);
    CHECK(mean(std::vector<double>{-most, -most, -most}) == Approx(-most).epsilon(1e-15));
    CHECK(mean(std::vector<double>{most, most, -most}) == Approx(most / 3).epsilon(1e-15));
    CHECK(standard_deviation(std::vector<double>{1e308, 1e308, 1e308}) == 0.0);
    // A value that is itself infinite or NaN still gives the infinity or NaN.
    CHECK(mean(std::vector<double>{1e308, INF}) == INF);
    CHECK(mean(std::vector<double>{1e308, 1e308, -INF}) == -INF);
    CHECK(std::isnan(mean(std::vector<double>{INF, -INF})));
    CHECK(std::isnan(mean(std::vector<double>{1e308, 1e308, NAN_})));
}

TEST_CASE("RunningMean gives engine::mean's bits, value by value", "[statistics]") {
    const double most = std::numeric_limits<double>::max();
    const std::vector<std::vector<double>> cases{{},
                                                 {1.0},
                                                 {1e16, 1.0, 1.0, -1e16},
                                                 {0.1, 0.2, 0.3, 0.4, 0.5},
                                                 {1e308, 1e308, 1e308},
                                                 {most, most, -most},
                                                 {1e308, INF},
                                                 {INF, -INF},
                                                 {NAN_, 1.0},
                                                 {-3.5, 2.25, 1e-300}};
    for (const std::vector<double>& values : cases) {
        RunningMean running;
        for (const double x : values) {
            running.add(x);
        }
        const double plain = mean(values);
        INFO(values.size() << " values");
        CHECK(((std::isnan(plain) && std::isnan(running.mean())) || plain == running.mean()));
    }
}

TEST_CASE("normal_quantile inverts the normal CDF across (0, 1)", "[statistics]") {
    // The error in x is (Phi(x) - p) / phi(x) to first order; Phi via erfc is accurate to a
    // few ulps of p, so the bound below is the documented 1e-12.
    const double sqrt2 = std::sqrt(2.0);
    const double sqrt2pi = std::sqrt(2.0 * 3.14159265358979323846);
    for (int i = 1; i < 2000; ++i) {
        const double p = i / 2000.0;
        const double x = normal_quantile(p);
        const double cdf = 0.5 * std::erfc(-x / sqrt2);
        const double pdf = std::exp(-0.5 * x * x) / sqrt2pi;
        INFO("p = " << p);
        CHECK(std::abs(cdf - p) / pdf < 1e-12);
    }
}
