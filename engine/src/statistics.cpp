// Ensemble summaries. Everything here is a pure function of its input in index order, so a
// summary is bit-identical however the replicates behind it were scheduled.
#include <canopy/engine/error.hpp>
#include <canopy/engine/statistics.hpp>

#include <boost/math/distributions/beta.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace canopy::engine {

namespace {

constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();

void check_binomial(std::size_t k, std::size_t n, double confidence) {
    if (k > n) {
        throw Error("binomial interval: " + std::to_string(k) + " successes in " +
                    std::to_string(n) + " trials");
    }
    if (!(confidence > 0.0 && confidence < 1.0)) {
        throw Error("binomial interval: confidence must be strictly between 0 and 1, got " +
                    std::to_string(confidence));
    }
}

// Sorted copy, refusing NaN: a NaN breaks the ordering std::sort relies on, so it would make
// the result depend on where it sat rather than fail.
std::vector<double> sorted_copy(std::span<const double> values) {
    std::vector<double> sorted(values.begin(), values.end());
    if (std::any_of(sorted.begin(), sorted.end(), [](double x) { return std::isnan(x); })) {
        throw Error("quantile of a sample containing NaN");
    }
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

// Type-7 quantile of sorted data. The interpolation is numpy's: a + (b - a) t for t < 1/2 and
// b - (b - a)(1 - t) above, which is exact at both ends and monotone in t.
double sorted_quantile(const std::vector<double>& sorted, double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
        throw Error("quantile probability must be in [0, 1], got " + std::to_string(p));
    }
    if (sorted.empty()) {
        return NAN_VALUE;
    }
    const double h = static_cast<double>(sorted.size() - 1) * p;
    const double floor_h = std::floor(h);
    const auto lo = static_cast<std::size_t>(floor_h);
    if (lo + 1 >= sorted.size()) {
        return sorted.back();
    }
    const double t = h - floor_h;
    const double a = sorted[lo];
    const double b = sorted[lo + 1];
    if (a == b) {
        return a; // also keeps equal infinities from giving inf - inf = NaN
    }
    const double diff = b - a;
    if (std::isfinite(diff)) {
        return t < 0.5 ? a + diff * t : b - diff * (1.0 - t);
    }
    // An infinite end (a = -inf or b = +inf, since a < b), or finite ends whose difference
    // overflows. The formula above would give inf * 0 or inf - inf, NaN, where the answer is
    // known: the order statistic itself at t = 0, otherwise the infinity the interpolation
    // reaches (none between -inf and +inf), and between finite ends a weighted sum, which
    // cannot overflow.
    if (t == 0.0) {
        return a;
    }
    if (std::isinf(a) && std::isinf(b)) {
        return NAN_VALUE;
    }
    if (std::isinf(a) || std::isinf(b)) {
        return std::isinf(a) ? a : b;
    }
    return a * (1.0 - t) + b * t;
}

// Acklam's rational approximation of the normal quantile (relative error below 1.15e-9).
double acklam(double p) {
    constexpr std::array<double, 6> a{-3.969683028665376e+01, 2.209460984245205e+02,
                                      -2.759285104469687e+02, 1.383577518672690e+02,
                                      -3.066479806614716e+01, 2.506628277459239e+00};
    constexpr std::array<double, 5> b{-5.447609879822406e+01, 1.615858368580409e+02,
                                      -1.556989798598866e+02, 6.680131188771972e+01,
                                      -1.328068155288572e+01};
    constexpr std::array<double, 6> c{-7.784894002430293e-03, -3.223964580411365e-01,
                                      -2.400758277161838e+00, -2.549732539343734e+00,
                                      4.374664141464968e+00,  2.938163982698783e+00};
    constexpr std::array<double, 4> d{7.784695709041462e-03, 3.224671290700398e-01,
                                      2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double P_LOW = 0.02425;
    if (p < P_LOW) {
        const double q = std::sqrt(-2.0 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    const double q = p - 0.5;
    const double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

} // namespace

Interval wilson_interval(std::size_t k, std::size_t n, double confidence) {
    check_binomial(k, n, confidence);
    if (n == 0) {
        return {0.0, 1.0};
    }
    const double z = normal_quantile(0.5 + 0.5 * confidence);
    const double nn = static_cast<double>(n);
    const double phat = static_cast<double>(k) / nn;
    const double z2 = z * z;
    const double denominator = 1.0 + z2 / nn;
    const double centre = (phat + z2 / (2.0 * nn)) / denominator;
    const double half =
        z * std::sqrt(phat * (1.0 - phat) / nn + z2 / (4.0 * nn * nn)) / denominator;
    // At k = 0 and k = n the ends are 0 and 1 in exact arithmetic; say so exactly.
    const double lo = k == 0 ? 0.0 : std::max(0.0, centre - half);
    const double hi = k == n ? 1.0 : std::min(1.0, centre + half);
    return {lo, hi};
}

Interval jeffreys_interval(std::size_t k, std::size_t n, double confidence) {
    check_binomial(k, n, confidence);
    if (n == 0) {
        return {0.0, 1.0};
    }
    // No promotion to long double: its width differs between platforms, and the bits must not.
    using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    const double alpha = 1.0 - confidence;
    const boost::math::beta_distribution<double, Policy> posterior(
        static_cast<double>(k) + 0.5, static_cast<double>(n - k) + 0.5);
    const double lo = k == 0 ? 0.0 : boost::math::quantile(posterior, 0.5 * alpha);
    const double hi = k == n ? 1.0 : boost::math::quantile(posterior, 1.0 - 0.5 * alpha);
    return {lo, hi};
}

Interval binomial_interval(IntervalMethod method, std::size_t k, std::size_t n, double confidence) {
    switch (method) {
    case IntervalMethod::wilson:
        return wilson_interval(k, n, confidence);
    case IntervalMethod::jeffreys:
        return jeffreys_interval(k, n, confidence);
    }
    throw Error("unknown binomial interval method");
}

double quantile(std::span<const double> values, double p) {
    return sorted_quantile(sorted_copy(values), p);
}

void quantiles(std::span<const double> values, std::span<const double> ps, std::span<double> out) {
    if (ps.size() != out.size()) {
        throw Error("quantiles: " + std::to_string(ps.size()) + " probabilities but room for " +
                    std::to_string(out.size()) + " results");
    }
    const std::vector<double> sorted = sorted_copy(values);
    for (std::size_t i = 0; i < ps.size(); ++i) {
        out[i] = sorted_quantile(sorted, ps[i]);
    }
}

double mean(std::span<const double> values) {
    if (values.empty()) {
        return NAN_VALUE;
    }
    // The plain sum in index order, over n, as always. Finite values whose sum passes the
    // largest double still have a finite mean, though: four costs of 1e308 have the mean 1e308,
    // not infinity (which then read as over a cap of 1e308). Only then are they summed again, by
    // RunningMean in long double, whose exponent does not overflow there (x86-64; aarch64's is
    // quad precision): every other mean keeps its bits and its one pass.
    double sum = 0.0;
    for (double x : values) {
        sum += x;
    }
    if (std::isfinite(sum)) {
        return sum / static_cast<double>(values.size());
    }
    RunningMean m;
    for (double x : values) {
        m.add(x);
    }
    return m.mean();
}

double standard_deviation(std::span<const double> values) {
    if (values.size() < 2) {
        return NAN_VALUE;
    }
    // Two passes: the one-pass sum-of-squares formula cancels catastrophically when the spread
    // is small next to the mean (firm counts in the tens of thousands varying by tens).
    const double m = mean(values);
    double sum_sq = 0.0;
    for (double x : values) {
        sum_sq += (x - m) * (x - m);
    }
    return std::sqrt(sum_sq / static_cast<double>(values.size() - 1));
}

double normal_quantile(double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
        throw Error("normal quantile: probability must be in [0, 1], got " + std::to_string(p));
    }
    if (p == 0.0) {
        return -std::numeric_limits<double>::infinity();
    }
    if (p == 1.0) {
        return std::numeric_limits<double>::infinity();
    }
    // Work in the lower half: 1 - p is exact there (Sterbenz), and refining against the lower
    // tail's small probabilities keeps the Halley step's residual accurate, where refining
    // against 1 - tiny would lose every digit to cancellation.
    if (p > 0.5) {
        return -normal_quantile(1.0 - p);
    }
    double x = acklam(p);
    // One Halley step on Phi(x) - p = 0 (Acklam's refinement), Phi via erfc for accuracy in
    // the tail.
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(0.5 * x * x);
    x = x - u / (1.0 + 0.5 * x * u);
    return x;
}

double beta_quantile(double a, double b, double p) {
    if (!(a > 0.0) || !(b > 0.0) || !(p >= 0.0 && p <= 1.0)) {
        throw Error("beta_quantile needs a > 0, b > 0 and 0 <= p <= 1");
    }
    using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    const boost::math::beta_distribution<double, Policy> dist(a, b);
    return boost::math::quantile(dist, p);
}

} // namespace canopy::engine
