#pragma once
/// \file distributions.hpp
/// Canopy's own random distributions, deterministic on every platform.
///
/// The standard library's distributions are implementation-defined (libstdc++ and libc++ draw
/// different normals from the same engine), so a result could not be the same bits everywhere.
/// Every algorithm here is written out, with its reference, and consumes random words in a fixed
/// way. What can still differ between platforms is the last bit of `std::log`, `std::exp`,
/// `std::pow` or `std::log1p` in the C library; the algorithms avoid trigonometric functions,
/// whose implementations differ most.
///
/// Each function takes any generator `g` with `std::uint32_t next_u32()` and
/// `std::uint64_t next_u64()` (usually a `Stream`, random.hpp). They run per agent per step, so
/// they allocate nothing and throw nothing. Parameters outside a distribution's domain are the
/// caller's contract, checked by `assert` in debug builds only (validation of user input belongs
/// in the scenario layer, which reports diagnostics). Degenerate but legal parameters (p = 0,
/// lambda = 0, sd = 0, n = 0, tiny or huge shapes) never loop forever and never produce NaN.

#include <canopy/engine/random.hpp>

#include <cassert>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>

namespace canopy::engine {

namespace detail {

/// The generator interface the distributions need.
template <class G>
concept RandomWords = requires(G& g) {
    { g.next_u32() } -> std::same_as<std::uint32_t>;
    { g.next_u64() } -> std::same_as<std::uint64_t>;
};

/// log(sqrt(2 pi)).
inline constexpr double HALF_LOG_2PI = 0.91893853320467274178;

/// The Stirling tail fc(k) = log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(sqrt(2 pi))] for a
/// non-negative integer k held in a double.
///
/// Exact values (computed with mpmath at 40 digits) up to k = 15, then the asymptotic series
/// 1/(12n) - 1/(360n^3) + 1/(1260n^5) - 1/(1680n^7) + 1/(1188n^9) in n = k + 1, whose error
/// there is below 1e-16 absolute (Abramowitz & Stegun 6.1.41). Hörmann's PTRS and BTRS use this
/// correction; this table is longer than his so that the series is accurate to double precision.
[[nodiscard]] inline double stirling_tail(double k) noexcept {
    constexpr double TABLE[16] = {
        0.08106146679532725822,   0.041340695955409294094,  0.027677925684998339149,
        0.020790672103765093112,  0.016644691189821192163,  0.013876128823070747999,
        0.011896709945891770095,  0.010411265261972096497,  0.0092554621827127329177,
        0.0083305634333628712565, 0.007573675487951840795,  0.0069428401072095298657,
        0.0064089941880042070684, 0.0059513701127588477356, 0.005554733551962801371,
        0.0052076559196096404407};
    if (k < 16.0) {
        return TABLE[static_cast<int>(k)];
    }
    const double n = k + 1.0;
    const double r2 = 1.0 / (n * n);
    return (1.0 / 12.0 -
            r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 / 1188.0)))) /
           n;
}

/// A double holding a non-negative count, as an unsigned count: NaN and negatives give 0, values
/// beyond the type's range give its maximum (a plain cast would be undefined behaviour).
[[nodiscard]] inline std::uint64_t to_count(double x) noexcept {
    if (!(x > 0.0)) {
        return 0;
    }
    if (x >= 0x1.0p64) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    return static_cast<std::uint64_t>(x);
}

} // namespace detail

/// A uniform double in the open interval (0, 1) from one 64-bit word (`u01_open`): never 0 or
/// 1, so its logarithm and the logarithm of its complement are always finite.
template <detail::RandomWords G>
[[nodiscard]] double uniform01(G& g) noexcept {
    return u01_open(g.next_u64());
}

/// A uniform double between a and b: a + (b - a) U. Requires a <= b; the result lies in [a, b]
/// (b itself only through rounding of the product).
template <detail::RandomWords G>
[[nodiscard]] double uniform(G& g, double a, double b) noexcept {
    assert(a <= b);
    return a + (b - a) * uniform01(g);
}

/// An exponential variate with the given rate (mean 1 / rate), by inversion: -log(U) / rate.
/// Requires rate > 0; the result is finite and positive for finite rates.
template <detail::RandomWords G>
[[nodiscard]] double exponential(G& g, double rate) noexcept {
    assert(rate > 0.0);
    return -std::log(uniform01(g)) / rate;
}

/// True with probability p. p <= 0 is always false and p >= 1 always true, without drawing
/// a word; otherwise one 64-bit word is compared at 52-bit resolution (U < p), so even
/// probabilities far below 2^-32 are honoured.
template <detail::RandomWords G>
[[nodiscard]] bool bernoulli(G& g, double p) noexcept {
    if (!(p > 0.0)) {
        return false;
    }
    if (p >= 1.0) {
        return true;
    }
    return uniform01(g) < p;
}

/// No standard normal variate of `standard_normal` exceeds this in magnitude. On u01_open's
/// grid |2U - 1| >= 2^-52, so s = u^2 + v^2 >= 2^-103, and |Z| = |u| sqrt(-2 log(s) / s)
/// <= sqrt(-2 log s) <= sqrt(206 log 2) = 11.95. Bounds on what a sampler can draw (say, the
/// largest lognormal a replicate can see) follow from it.
inline constexpr double STANDARD_NORMAL_MAX = 12.0;

/// A standard normal variate by Marsaglia's polar method (Marsaglia & Bray, "A convenient method
/// for generating normal variables", SIAM Review 6, 1964).
///
/// Chosen over Box–Muller because it needs only log and sqrt, no sine or cosine. The method
/// yields a pair; the second value is discarded so that each call is a pure function of the
/// words it reads (expected 2.55 words of 64 bits per call).
template <detail::RandomWords G>
[[nodiscard]] double standard_normal(G& g) noexcept {
    for (;;) {
        const double u = 2.0 * uniform01(g) - 1.0;
        const double v = 2.0 * uniform01(g) - 1.0;
        const double s = u * u + v * v;
        // s == 0 cannot happen on u01_open's grid (u is never 0); the test keeps log(s) finite
        // should the grid ever change.
        if (s < 1.0 && s > 0.0) {
            return u * std::sqrt(-2.0 * std::log(s) / s);
        }
    }
}

/// A normal variate: mean + sd Z, Z from `standard_normal` (Marsaglia's polar method).
/// Requires sd >= 0; sd = 0 returns mean exactly.
template <detail::RandomWords G>
[[nodiscard]] double normal(G& g, double mean, double sd) noexcept {
    assert(sd >= 0.0);
    return mean + sd * standard_normal(g);
}

/// A lognormal variate given its median and the standard deviation of its logarithm:
/// median exp(sigma Z). Requires median > 0 and sigma >= 0; the mean is
/// median exp(sigma^2 / 2).
template <detail::RandomWords G>
[[nodiscard]] double lognormal(G& g, double median, double sigma) noexcept {
    assert(median > 0.0 && sigma >= 0.0);
    return median * std::exp(sigma * standard_normal(g));
}

/// A Poisson count with mean lambda. lambda <= 0 (or NaN) gives 0 without drawing.
///
/// - lambda < 10: inversion by sequential search (Devroye, "Non-Uniform Random Variate
///   Generation", 1986, section X.3): one uniform, expected lambda + 1 steps.
/// - 10 <= lambda < 2^52: Hörmann's PTRS, transformed rejection with squeeze (W. Hörmann, "The
///   transformed rejection method for generating Poisson random variables", Insurance:
///   Mathematics and Economics 12, 1993), the algorithm numpy uses; constant expected time,
///   about 1.2 pairs of uniforms. The final acceptance test is Hörmann's log f(k) comparison,
///   rearranged through the Stirling form of log k! so that the terms of size lambda log lambda
///   cancel algebraically rather than in floating point (accurate far beyond lambda = 1e7).
/// - lambda >= 2^52: the Poisson is indistinguishable from a normal (skewness < 2^-26) and
///   doubles no longer hold every integer near lambda, so the count is lambda + sqrt(lambda) Z
///   rounded down, clamped to [0, 2^64 - 1]; this also keeps lambda = inf from looping.
template <detail::RandomWords G>
[[nodiscard]] std::uint64_t poisson(G& g, double lambda) noexcept {
    if (!(lambda > 0.0)) {
        return 0;
    }
    if (lambda < 10.0) {
        const double u = uniform01(g);
        double pk = std::exp(-lambda);
        double cdf = pk;
        std::uint64_t k = 0;
        while (u > cdf) {
            ++k;
            pk *= lambda / static_cast<double>(k);
            const double next = cdf + pk;
            // The rounded CDF can stop short of 1 and u can exceed it by an ulp: once the terms
            // no longer move the sum, the tail has been reached.
            if (next == cdf) {
                break;
            }
            cdf = next;
        }
        return k;
    }
    if (lambda >= 0x1.0p52) {
        if (std::isinf(lambda)) {
            return std::numeric_limits<std::uint64_t>::max();
        }
        return detail::to_count(std::floor(lambda + std::sqrt(lambda) * standard_normal(g)));
    }
    const double slam = std::sqrt(lambda);
    const double log_lambda = std::log(lambda);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
    const double v_r = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        const double u = uniform01(g) - 0.5;
        const double v = uniform01(g);
        const double us = 0.5 - std::fabs(u);
        const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
        // Hörmann's step order is "accept in the box, then reject k < 0"; k is never negative
        // inside the box (us >= 0.07), so testing the range first gives the same variates and
        // keeps the conversion below defined even for us near 0 (k then is astronomically large).
        if (k < 0.0 || k >= 0x1.0p63) {
            continue;
        }
        if (us >= 0.07 && v <= v_r) {
            return static_cast<std::uint64_t>(k);
        }
        if (us < 0.013 && v > us) {
            continue;
        }
        // log f(k) = k log(lambda) - lambda - log k!, with log k! = (k + 1/2) log(k + 1) - (k + 1)
        // + log sqrt(2 pi) + fc(k), written as a function of k + 1 - lambda so that no term is
        // of size lambda log lambda.
        const double d = k + 1.0 - lambda;
        const double log_f = -(k + 0.5) * std::log1p(d / lambda) + d - 0.5 * log_lambda -
                             detail::HALF_LOG_2PI - detail::stirling_tail(k);
        if (std::log(v) + log_inv_alpha - std::log(a / (us * us) + b) <= log_f) {
            return static_cast<std::uint64_t>(k);
        }
    }
}

/// A binomial count: successes in n trials of probability p. n = 0 or p <= 0 (or NaN) gives 0
/// and p >= 1 gives n, without drawing.
///
/// p > 1/2 is drawn as n minus a binomial(n, 1 - p) count (1 - p is exact there). Then, with
/// p <= 1/2:
/// - n p < 10: inversion by sequential search from 0 (Kachitvichyanukul & Schmeiser, "Binomial
///   random variate generation", CACM 31, 1988, algorithm BINV, as in numpy), restarting with a
///   fresh uniform past n p + 10 sd so that rounding can never make it run away.
/// - n p >= 10: Hörmann's BTRS, transformed rejection with squeeze (W. Hörmann, "The generation
///   of binomial random variates", J. Statist. Comput. Simul. 46, 1993), constant expected time.
///   (numpy uses BTPE here; TensorFlow and JAX use BTRS.) The log acceptance test carries an
///   absolute rounding error of about n 1e-16, immaterial for the n < 2^32 the engine uses.
/// Counts above 2^53 are not all representable in the double arithmetic; n is the caller's to
/// keep below that.
template <detail::RandomWords G>
[[nodiscard]] std::uint64_t binomial(G& g, std::uint64_t n, double p) noexcept {
    if (n == 0 || !(p > 0.0)) {
        return 0;
    }
    if (p >= 1.0) {
        return n;
    }
    const bool flipped = p > 0.5;
    if (flipped) {
        p = 1.0 - p;
    }
    const double q = 1.0 - p;
    const double nd = static_cast<double>(n);
    const double np = nd * p;
    std::uint64_t k = 0;
    if (np < 10.0) {
        // q^n >= exp(-2 log(2) n p) > e^-14 here, so the start never underflows.
        const double q_n = std::exp(nd * std::log1p(-p));
        const double bound = std::fmin(nd, np + 10.0 * std::sqrt(np * q + 1.0));
        double u = uniform01(g);
        double pk = q_n;
        double kd = 0.0;
        while (u > pk) {
            kd += 1.0;
            if (kd > bound) {
                kd = 0.0;
                pk = q_n;
                u = uniform01(g);
            } else {
                u -= pk;
                pk = ((nd - kd + 1.0) * p * pk) / (kd * q);
            }
        }
        k = detail::to_count(kd);
    } else {
        const double spq = std::sqrt(np * q);
        const double b = 1.15 + 2.53 * spq;
        const double a = -0.0873 + 0.0248 * b + 0.01 * p;
        const double c = np + 0.5;
        const double v_r = 0.92 - 4.2 / b;
        const double r = p / q;
        const double alpha = (2.83 + 5.1 / b) * spq;
        const double m = std::floor((nd + 1.0) * p);
        const double m_terms = (m + 0.5) * std::log((m + 1.0) / (r * (nd - m + 1.0))) +
                               detail::stirling_tail(m) + detail::stirling_tail(nd - m);
        for (;;) {
            const double u = uniform01(g) - 0.5;
            const double v = uniform01(g);
            const double us = 0.5 - std::fabs(u);
            const double kd = std::floor((2.0 * a / us + b) * u + c);
            // As in poisson(): the box (us >= 0.07) never yields k outside [0, n], so rejecting
            // out-of-range k first gives the same variates and keeps the conversion defined.
            if (kd < 0.0 || kd > nd) {
                continue;
            }
            if (us >= 0.07 && v <= v_r) {
                k = detail::to_count(kd);
                break;
            }
            const double log_v = std::log(v * alpha / (a / (us * us) + b));
            const double bound = m_terms + (nd + 1.0) * std::log((nd - m + 1.0) / (nd - kd + 1.0)) +
                                 (kd + 0.5) * std::log(r * (nd - kd + 1.0) / (kd + 1.0)) -
                                 detail::stirling_tail(kd) - detail::stirling_tail(nd - kd);
            if (log_v <= bound) {
                k = detail::to_count(kd);
                break;
            }
        }
    }
    // Only n beyond 2^53 could round k above n; keep the result a valid count regardless.
    if (k > n) {
        k = n;
    }
    return flipped ? n - k : k;
}

namespace detail {

/// A standard gamma variate (scale 1) for shape >= 1 by Marsaglia & Tsang, "A simple method for
/// generating gamma variables", ACM TOMS 26(3), 2000: squeeze then log test on d v with
/// d = shape - 1/3, v = (1 + c x)^3, c = 1 / sqrt(9 d), x standard normal.
template <RandomWords G>
[[nodiscard]] double gamma_shape_at_least_one(G& g, double shape) noexcept {
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
        double x = 0.0;
        double v = 0.0;
        do {
            x = standard_normal(g);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = uniform01(g);
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) {
            return d * v;
        }
        if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) {
            return d * v;
        }
    }
}

/// The logarithm of a standard gamma variate, for any shape > 0. For shape < 1 it is
/// log G(shape + 1) + log(U) / shape (Marsaglia & Tsang's boost, in logs): finite even where
/// the variate itself underflows to 0, which is what `beta` needs for tiny shapes. Returns -inf
/// only for shapes so small (below about 1e-307) that log(U) / shape overflows.
template <RandomWords G>
[[nodiscard]] double log_standard_gamma(G& g, double shape) noexcept {
    if (shape >= 1.0) {
        return std::log(gamma_shape_at_least_one(g, shape));
    }
    const double boosted = gamma_shape_at_least_one(g, shape + 1.0);
    return std::log(boosted) + std::log(uniform01(g)) / shape;
}

} // namespace detail

/// A gamma variate with the given shape (k) and scale (theta): mean k theta, variance
/// k theta^2.
///
/// Marsaglia & Tsang (2000) for shape >= 1; for shape < 1 their boost
/// G(shape + 1) U^(1/shape). Requires shape > 0 and scale > 0. For very small shapes the true
/// variate is often below the smallest double and the result is then exactly 0 (never NaN).
template <detail::RandomWords G>
[[nodiscard]] double gamma(G& g, double shape, double scale) noexcept {
    assert(shape > 0.0 && scale > 0.0);
    if (shape >= 1.0) {
        return scale * detail::gamma_shape_at_least_one(g, shape);
    }
    const double boosted = detail::gamma_shape_at_least_one(g, shape + 1.0);
    return scale * boosted * std::pow(uniform01(g), 1.0 / shape);
}

/// A beta variate on [0, 1] with shapes alpha and beta: X / (X + Y) for independent standard
/// gammas X ~ G(alpha), Y ~ G(beta) (Devroye 1986, section IX.4.1).
///
/// Numerical caveat: with a shape below 1 the gamma variates can underflow to 0 together
/// (X / (X + Y) = 0 / 0). When either shape is below 1 the ratio is therefore formed from the
/// logarithms, 1 / (1 + exp(log Y - log X)), which stays exact in [0, 1]; the mass then sits
/// very close to 0 and 1, as it should. For shapes below about 1e-307, where even the logarithms
/// overflow to -inf, the distribution is drawn from its limit, 1 with probability
/// alpha / (alpha + beta) and 0 otherwise. Requires alpha > 0 and beta > 0.
template <detail::RandomWords G>
[[nodiscard]] double beta(G& g, double alpha, double beta) noexcept {
    assert(alpha > 0.0 && beta > 0.0);
    if (alpha >= 1.0 && beta >= 1.0) {
        const double x = detail::gamma_shape_at_least_one(g, alpha);
        const double y = detail::gamma_shape_at_least_one(g, beta);
        return x / (x + y);
    }
    const double log_x = detail::log_standard_gamma(g, alpha);
    const double log_y = detail::log_standard_gamma(g, beta);
    const double diff = log_y - log_x;
    if (std::isnan(diff)) {
        return uniform01(g) * (alpha + beta) < alpha ? 1.0 : 0.0;
    }
    return 1.0 / (1.0 + std::exp(diff));
}

/// A triangular variate on [low, high] with its peak at mode, by inversion of the CDF:
/// low + sqrt(U (high - low)(mode - low)) below F(mode) = (mode - low) / (high - low),
/// high - sqrt((1 - U)(high - low)(high - mode)) above. Requires low <= mode <= high;
/// low == high returns low. The result lies in [low, high].
template <detail::RandomWords G>
[[nodiscard]] double triangular(G& g, double low, double mode, double high) noexcept {
    assert(low <= mode && mode <= high);
    const double width = high - low;
    if (!(width > 0.0)) {
        return low;
    }
    const double u = uniform01(g);
    const double x = u * width < mode - low ? low + std::sqrt(u * width * (mode - low))
                                            : high - std::sqrt((1.0 - u) * width * (high - mode));
    return std::fmin(std::fmax(x, low), high);
}

} // namespace canopy::engine
