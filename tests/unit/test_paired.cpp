// Paired differences (experiments/paired.hpp): Newcombe's interval for a difference of paired
// proportions covers the truth as often as it says, and the bootstrap of a median difference is
// exact on shifted data and the same bits every time.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/paired.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace canopy;
using experiments::paired_median_difference;
using experiments::paired_proportion_difference;

TEST_CASE("Newcombe's paired interval covers the true difference at its stated rate",
          "[experiments][paired]") {
    // Pairs from a shared latent draw, as common random numbers make them: replicate r attains
    // under the base when u < 0.5 and under the mix when u < 0.6, so the true difference is
    // 0.1 and the outcomes are strongly correlated (the mix attains whenever the base does).
    constexpr int STUDIES = 2000;
    constexpr std::size_t N = 100;
    std::mt19937_64 rng(20260101);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    int covered = 0;
    double width = 0.0;
    std::vector<std::uint8_t> base(N);
    std::vector<std::uint8_t> mix(N);
    for (int s = 0; s < STUDIES; ++s) {
        for (std::size_t r = 0; r < N; ++r) {
            const double u = u01(rng);
            base[r] = u < 0.5 ? 1 : 0;
            mix[r] = u < 0.6 ? 1 : 0;
        }
        const auto d = paired_proportion_difference(base, mix, 0.95);
        CHECK(d.ci.lo <= d.estimate);
        CHECK(d.estimate <= d.ci.hi);
        covered += d.ci.lo <= 0.1 && 0.1 <= d.ci.hi ? 1 : 0;
        width += (d.ci.hi - d.ci.lo) / STUDIES;
    }
    // Binomial noise of the coverage over 2,000 studies: sd = sqrt(0.95 * 0.05 / 2000) = 0.005.
    // Newcombe's method is slightly conservative; it must not undercover by more than 4 sd, nor
    // be so wide that it is useless.
    const double coverage = static_cast<double>(covered) / STUDIES;
    CHECK(coverage >= 0.95 - 4 * 0.005);
    CHECK(coverage <= 0.995);
    // Unpaired, two Wilson intervals of width ~0.19 each would give ~0.27 for the difference;
    // the pairing must show: at most half of it.
    CHECK(width < 0.135);
}

TEST_CASE("Paired differences of identical settings are exactly zero", "[experiments][paired]") {
    const std::vector<std::uint8_t> a{1, 0, 1, 1, 0, 1, 1, 1, 0, 1};
    const auto d = paired_proportion_difference(a, a);
    CHECK(d.estimate == 0.0);
    const std::vector<double> x{3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    const auto m = paired_median_difference(x, x);
    CHECK(m.estimate == 0.0);
    CHECK(m.ci.lo == 0.0);
    CHECK(m.ci.hi == 0.0);
}

TEST_CASE("The median difference of a shifted sample is the shift, with no spread",
          "[experiments][paired]") {
    std::vector<double> x;
    std::vector<double> y;
    for (int r = 0; r < 57; ++r) {
        x.push_back(std::sin(r * 1.7) * 100.0);
        y.push_back(x.back() + 12.5);
    }
    const auto m = paired_median_difference(x, y, 0.9, 500, 3);
    CHECK(m.estimate == Approx(12.5));
    CHECK(m.ci.lo == Approx(12.5));
    CHECK(m.ci.hi == Approx(12.5));
    // Same inputs, same stream: same bits.
    const auto again = paired_median_difference(x, y, 0.9, 500, 3);
    CHECK(again.ci.lo == m.ci.lo);
    CHECK(again.ci.hi == m.ci.hi);
}

TEST_CASE("The median difference's bootstrap interval reflects independent noise",
          "[experiments][paired]") {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> z(0.0, 1.0);
    std::vector<double> x(400);
    std::vector<double> y(400);
    for (std::size_t r = 0; r < x.size(); ++r) {
        x[r] = z(rng);
        y[r] = 1.0 + z(rng);
    }
    const auto m = paired_median_difference(x, y, 0.95);
    // Each median has sd ~ 1.2533 / sqrt(400) = 0.063; their difference ~0.089: a 95 % interval
    // about 0.35 wide around ~1.
    CHECK(m.ci.lo < m.estimate);
    CHECK(m.estimate < m.ci.hi);
    CHECK(m.ci.lo < 1.0);
    CHECK(m.ci.hi > 1.0);
    CHECK(m.ci.hi - m.ci.lo == Approx(0.35).margin(0.1));
    // NaNs are left out; no numbers at all gives NaN.
    std::vector<double> nan(400, std::nan(""));
    CHECK(std::isnan(paired_median_difference(x, nan).estimate));
}

TEST_CASE("An undefined value leaves only its own side of the pair", "[experiments][paired]") {
    // Each side's median is over its own numbers, so the difference is that of the medians the
    // comparison shows; a pair with one side undefined still counts on the other side.
    const double nan = std::nan("");
    const std::vector<double> base{1.0, 2.0, 3.0, nan, 2.0};
    const std::vector<double> mix{nan, 5.0, 6.0, 7.0, 6.0};
    CHECK(paired_median_difference(base, mix).estimate == 4.0); // median 6 - median 2
    // For P(attain) an undefined final is a miss (engine/target.hpp), so such a pair is one
    // where that side did not attain: here only the base attains in replicate 0.
    const std::vector<std::uint8_t> base_attains{1, 1, 1, 0};
    const std::vector<std::uint8_t> mix_attains{0, 1, 1, 0}; // replicate 0 undefined
    CHECK(paired_proportion_difference(base_attains, mix_attains).estimate == -0.25);
}

TEST_CASE("Infinite medians give infinite or undefined differences, never an error",
          "[experiments][paired]") {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> finite;
    for (int r = 0; r < 40; ++r) {
        finite.push_back(std::sin(r * 1.7) * 100.0);
    }
    const std::vector<double> all_inf(40, inf); // an even count: the median is inf, not NaN
    const auto up = paired_median_difference(finite, all_inf);
    CHECK(up.estimate == inf);
    CHECK(up.ci.lo == inf);
    CHECK(up.ci.hi == inf);
    const auto down = paired_median_difference(all_inf, finite);
    CHECK(down.estimate == -inf);
    CHECK(down.ci.hi == -inf);
    // inf - inf has no value: the difference and its interval are undefined.
    const auto same = paired_median_difference(all_inf, all_inf);
    CHECK(std::isnan(same.estimate));
    CHECK(std::isnan(same.ci.lo));
    CHECK(std::isnan(same.ci.hi));
    // Infinities in 16 of 40 pairs, on both sides: about one resample in eight draws 20 or
    // more of them, and its medians are both inf with no difference. Those are left out, as
    // are resamples where a side has no number; the rest give the interval.
    std::vector<double> some = finite;
    std::vector<double> shifted;
    for (std::size_t r = 0; r < some.size(); ++r) {
        if (r % 5 < 2) {
            some[r] = inf;
        }
        shifted.push_back(some[r] + 10.0);
    }
    const auto m = paired_median_difference(some, shifted, 0.95, 500, 1);
    CHECK(m.estimate == Approx(10.0));
    CHECK(m.ci.lo == Approx(10.0));
    CHECK(m.ci.hi == Approx(10.0));
}

TEST_CASE("A median between an infinity and a number, or between huge numbers, is right",
          "[experiments][paired]") {
    // Even counts, so the median is the midpoint of the middle pair: -inf and 5 gave
    // -inf + inf = NaN, and -1.5e308 and 1.5e308 overflowed to +inf.
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> zero = {0.0, 0.0, 0.0, 0.0};
    const std::vector<double> low = {-inf, -inf, 5.0, 7.0};
    CHECK(paired_median_difference(zero, low).estimate == -inf);
    const std::vector<double> high = {1.0, 5.0, inf, inf};
    CHECK(paired_median_difference(zero, high).estimate == inf);
    const std::vector<double> both = {-inf, -inf, inf, inf};
    CHECK(std::isnan(paired_median_difference(zero, both).estimate));
    const std::vector<double> huge = {-1.7e308, -1.5e308, 1.5e308, 1.7e308};
    CHECK(paired_median_difference(zero, huge).estimate == 0.0);
    // Ordinary numbers keep the midpoint's bits.
    const std::vector<double> plain = {1.0, 2.0, 4.0, 8.0};
    CHECK(paired_median_difference(zero, plain).estimate == 3.0);
}

TEST_CASE("Paired differences refuse mismatched or empty inputs", "[experiments][paired]") {
    const std::vector<std::uint8_t> a{1, 0};
    const std::vector<std::uint8_t> b{1};
    CHECK_THROWS_AS(paired_proportion_difference(a, b), Error);
    CHECK_THROWS_AS(paired_proportion_difference({}, {}), Error);
    const std::vector<double> x{1.0, 2.0};
    CHECK_THROWS_AS(paired_median_difference(x, x, 1.5), Error);
}

TEST_CASE("The paired mean difference is Student's t interval on the differences",
          "[experiments][paired]") {
    using experiments::paired_mean_difference;
    // Differences 1, 2, 3, 4, 5: mean 3, sd sqrt(2.5), t(0.975, 4) = 2.7764451051977987
    // (R: qt(0.975, 4)); half width 2.7764451051977987 * sqrt(2.5) / sqrt(5).
    const std::vector<double> base{10.0, 20.0, 30.0, 40.0, 50.0};
    const std::vector<double> other{11.0, 22.0, 33.0, 44.0, 55.0};
    const auto d = paired_mean_difference(base, other, 0.95);
    const double half = 2.7764451051977987 * std::sqrt(2.5) / std::sqrt(5.0);
    CHECK(d.estimate == Approx(3.0).epsilon(1e-15));
    CHECK(d.ci.lo == Approx(3.0 - half).epsilon(1e-12));
    CHECK(d.ci.hi == Approx(3.0 + half).epsilon(1e-12));
    // 90 %: t(0.95, 4) = 2.1318467863266499.
    const auto n90 = paired_mean_difference(base, other, 0.90);
    CHECK(n90.ci.hi - n90.estimate == Approx(2.1318467863266499 * std::sqrt(0.5)).epsilon(1e-12));

    // The pairing is used: a large common spread cancels.
    const std::vector<double> shifted{10.5, 20.5, 30.5, 40.5, 50.5};
    const auto s = paired_mean_difference(base, shifted);
    CHECK(s.estimate == 0.5);
    CHECK(s.ci.lo == 0.5); // the same in every pair: no noise, zero width
    CHECK(s.ci.hi == 0.5);

    // One pair: an estimate, no interval; a NaN: neither.
    const std::vector<double> one{1.0};
    const std::vector<double> two{3.0};
    const auto single = paired_mean_difference(one, two);
    CHECK(single.estimate == 2.0);
    CHECK(std::isnan(single.ci.lo));
    const std::vector<double> with_nan{1.0, std::numeric_limits<double>::quiet_NaN()};
    const std::vector<double> plain{1.0, 2.0};
    CHECK(std::isnan(paired_mean_difference(plain, with_nan).estimate));
    CHECK_THROWS_AS(paired_mean_difference(plain, one), Error);
    CHECK_THROWS_AS(paired_mean_difference(plain, plain, 1.0), Error);
}

TEST_CASE("The paired mean difference's interval covers the true difference at its stated rate",
          "[experiments][paired]") {
    using experiments::paired_mean_difference;
    // Costs with a large shared part (common random numbers) and a small own part: the true
    // difference is 0.3. 2,000 studies of 50 pairs: coverage within 4 sd (0.005) of 95 %.
    constexpr int STUDIES = 2000;
    constexpr std::size_t N = 50;
    std::mt19937_64 rng(20261207);
    std::normal_distribution<double> z(0.0, 1.0);
    int covered = 0;
    std::vector<double> base(N);
    std::vector<double> other(N);
    for (int s = 0; s < STUDIES; ++s) {
        for (std::size_t r = 0; r < N; ++r) {
            const double shared = 100.0 + 20.0 * z(rng);
            base[r] = shared + z(rng);
            other[r] = shared + 0.3 + z(rng);
        }
        const auto d = paired_mean_difference(base, other, 0.95);
        covered += d.ci.lo <= 0.3 && 0.3 <= d.ci.hi ? 1 : 0;
    }
    const double coverage = static_cast<double>(covered) / STUDIES;
    CHECK(coverage >= 0.95 - 4 * 0.005);
    CHECK(coverage <= 0.95 + 4 * 0.005);
}
