// Paired differences between two settings run on common random numbers.
#include "wire.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/paired.hpp>

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace canopy::experiments {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

void check_inputs(std::size_t base, std::size_t other, double confidence, const char* what) {
    if (base != other) {
        throw Error(std::string(what) + ": " + std::to_string(base) + " base replicates but " +
                    std::to_string(other) + " to pair them with");
    }
    if (base == 0) {
        throw Error(std::string(what) + ": no replicates");
    }
    if (!(confidence > 0.0 && confidence < 1.0)) {
        throw Error(std::string(what) + ": the confidence must be in (0, 1)");
    }
}

// splitmix64: a small counter-based stream, the same numbers on every platform.
std::uint64_t mix64(std::uint64_t z) noexcept {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The median of the numbers in `v` (NaNs already left out); `v` is reordered.
double median_of(std::vector<double>& v) {
    if (v.empty()) {
        return NaN;
    }
    const std::size_t n = v.size();
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(v.begin(), mid, v.end());
    const double upper = *mid;
    if (n % 2 == 1) {
        return upper;
    }
    const double lower = *std::max_element(v.begin(), mid);
    if (std::isinf(lower) || std::isinf(upper)) {
        // The midpoint formula would give inf - inf = NaN: the one infinity, or, between -inf
        // and +inf, no value (as engine::quantile).
        return std::isinf(lower) && std::isinf(upper) && lower != upper ? NaN
               : std::isinf(lower)                                      ? lower
                                                                        : upper;
    }
    const double gap = upper - lower;
    // Huge values of opposite sign: their gap overflows, their halves do not.
    return std::isinf(gap) ? lower / 2.0 + upper / 2.0 : lower + gap / 2.0;
}

std::vector<double> numbers(std::span<const double> v) {
    std::vector<double> out;
    out.reserve(v.size());
    for (const double x : v) {
        if (!std::isnan(x)) {
            out.push_back(x);
        }
    }
    return out;
}

} // namespace

PairedDifference paired_proportion_difference(std::span<const std::uint8_t> base,
                                              std::span<const std::uint8_t> other,
                                              double confidence) {
    check_inputs(base.size(), other.size(), confidence, "paired difference of P(attain)");
    // The 2 x 2 table of paired outcomes: a both attain, b only `other`, c only `base`, d none.
    double a = 0.0;
    double b = 0.0;
    double c = 0.0;
    double d = 0.0;
    std::size_t k_other = 0;
    std::size_t k_base = 0;
    for (std::size_t r = 0; r < base.size(); ++r) {
        const bool x = base[r] != 0;
        const bool y = other[r] != 0;
        a += x && y ? 1.0 : 0.0;
        b += y && !x ? 1.0 : 0.0;
        c += x && !y ? 1.0 : 0.0;
        d += !x && !y ? 1.0 : 0.0;
        k_other += y ? 1U : 0U;
        k_base += x ? 1U : 0U;
    }
    const std::size_t n = base.size();
    const double n_d = static_cast<double>(n);
    const double p1 = static_cast<double>(k_other) / n_d;
    const double p2 = static_cast<double>(k_base) / n_d;
    const engine::Interval w1 = engine::wilson_interval(k_other, n, confidence);
    const engine::Interval w2 = engine::wilson_interval(k_base, n, confidence);
    // Newcombe's phi, with his correction: ad - bc is moved n/2 towards zero when positive.
    const double denominator = (a + b) * (c + d) * (a + c) * (b + d);
    double phi = 0.0;
    if (denominator > 0.0) {
        double numerator = a * d - b * c;
        if (numerator > 0.0) {
            numerator = std::max(numerator - n_d / 2.0, 0.0);
        }
        phi = numerator / std::sqrt(denominator);
    }
    const double delta = p1 - p2;
    const double dl1 = p1 - w1.lo;
    const double du1 = w1.hi - p1;
    const double dl2 = p2 - w2.lo;
    const double du2 = w2.hi - p2;
    const double below = std::sqrt(std::max(dl1 * dl1 - 2.0 * phi * dl1 * du2 + du2 * du2, 0.0));
    const double above = std::sqrt(std::max(du1 * du1 - 2.0 * phi * du1 * dl2 + dl2 * dl2, 0.0));
    PairedDifference out;
    out.estimate = delta;
    out.ci = {std::max(delta - below, -1.0), std::min(delta + above, 1.0)};
    return out;
}

PairedDifference paired_mean_difference(std::span<const double> base, std::span<const double> other,
                                        double confidence) {
    check_inputs(base.size(), other.size(), confidence, "paired difference of means");
    const std::size_t n = base.size();
    std::vector<double> d(n);
    for (std::size_t r = 0; r < n; ++r) {
        d[r] = other[r] - base[r];
    }
    PairedDifference out;
    out.estimate = engine::mean(d);
    if (std::any_of(d.begin(), d.end(), [](double x) { return std::isnan(x); })) {
        out.estimate = NaN;
        out.ci = {NaN, NaN};
        return out;
    }
    if (n < 2) {
        out.ci = {NaN, NaN};
        return out;
    }
    if (std::all_of(d.begin(), d.end(), [&](double x) { return x == d.front(); })) {
        out.ci = {d.front(), d.front()}; // no noise: the estimate is the difference itself
        out.estimate = d.front();
        return out;
    }
    using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    const boost::math::students_t_distribution<double, Policy> t(static_cast<double>(n - 1));
    const double half = boost::math::quantile(t, 0.5 + confidence / 2.0) *
                        engine::standard_deviation(d) / std::sqrt(static_cast<double>(n));
    out.ci = {out.estimate - half, out.estimate + half};
    return out;
}

PairedDifference paired_median_difference(std::span<const double> base,
                                          std::span<const double> other, double confidence,
                                          int resamples, std::uint64_t stream) {
    check_inputs(base.size(), other.size(), confidence, "paired difference of medians");
    if (resamples < 100) {
        throw Error("paired difference of medians: at least 100 bootstrap resamples are needed");
    }
    std::vector<double> x = numbers(base);
    std::vector<double> y = numbers(other);
    PairedDifference out;
    if (x.empty() || y.empty()) {
        out.estimate = NaN;
        out.ci = {NaN, NaN};
        return out;
    }
    out.estimate = median_of(y) - median_of(x);
    if (std::isnan(out.estimate)) { // both medians the same infinity: no difference to bound
        out.ci = {NaN, NaN};
        return out;
    }

    const std::size_t n = base.size();
    std::vector<double> deltas;
    deltas.reserve(static_cast<std::size_t>(resamples));
    std::uint64_t counter = mix64(stream ^ 0x70616972656431ULL); // "paired1"
    for (int b = 0; b < resamples; ++b) {
        x.clear();
        y.clear();
        for (std::size_t k = 0; k < n; ++k) {
            // 64 random bits modulo n: a bias below n / 2^64, far under the bootstrap's noise.
            const auto r = static_cast<std::size_t>(mix64(counter++) % n);
            if (!std::isnan(base[r])) {
                x.push_back(base[r]);
            }
            if (!std::isnan(other[r])) {
                y.push_back(other[r]);
            }
        }
        // A resample with no number on a side, or whose medians are the same infinity, has
        // no difference; it is left out, and the interval is over the resamples that have one.
        if (!x.empty() && !y.empty()) {
            const double delta = median_of(y) - median_of(x);
            if (!std::isnan(delta)) {
                deltas.push_back(delta);
            }
        }
    }
    if (deltas.empty()) {
        out.ci = {NaN, NaN};
        return out;
    }
    const double tail = (1.0 - confidence) / 2.0;
    out.ci = {engine::quantile(deltas, tail), engine::quantile(deltas, 1.0 - tail)};
    return out;
}

std::uint64_t bootstrap_stream(std::initializer_list<std::string_view> names) {
    std::vector<std::uint8_t> bytes;
    bool first = true;
    for (const std::string_view name : names) {
        if (!first) {
            bytes.push_back(0);
        }
        first = false;
        bytes.insert(bytes.end(), name.begin(), name.end());
    }
    return detail::hash64(bytes) & 0xffffffffU; // a 32-bit stream number
}

} // namespace canopy::experiments
