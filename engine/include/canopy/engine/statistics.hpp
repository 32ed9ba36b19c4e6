#pragma once
/// \file statistics.hpp
/// Summaries of an ensemble: quantiles, means and binomial confidence intervals.
///
/// Every function here is deterministic for a given input order; callers pass values in
/// replicate order, never in thread-completion order.

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

namespace canopy::engine {

/// A closed interval.
struct Interval {
    double lo = 0.0;
    double hi = 0.0;
};

/// Which binomial interval to report for a probability of attainment.
enum class IntervalMethod { wilson, jeffreys };

/// Wilson score interval for k successes in n trials at the given two-sided confidence
/// (Wilson 1927). n = 0 gives [0, 1].
Interval wilson_interval(std::size_t k, std::size_t n, double confidence = 0.95);

/// Jeffreys interval: the equal-tailed interval of Beta(k + 1/2, n - k + 1/2), with the lower
/// end 0 when k = 0 and the upper end 1 when k = n (Brown, Cai & DasGupta 2001). n = 0 gives
/// [0, 1].
Interval jeffreys_interval(std::size_t k, std::size_t n, double confidence = 0.95);

/// The interval of the chosen method.
Interval binomial_interval(IntervalMethod method, std::size_t k, std::size_t n,
                           double confidence = 0.95);

/// The p-quantile (p in [0, 1]) by linear interpolation between order statistics (Hyndman &
/// Fan type 7, numpy's and R's default). `values` is copied and sorted; empty input gives NaN.
/// Infinities are ordered like any value: an interpolation that reaches one is that infinity
/// (the median of all-inf values is inf), and one between -inf and +inf is NaN. Throws
/// canopy::Error for a NaN in `values` or p outside [0, 1].
double quantile(std::span<const double> values, double p);

/// Several quantiles of one sample with a single sort.
void quantiles(std::span<const double> values, std::span<const double> ps, std::span<double> out);

/// Arithmetic mean, summed in index order (NaN for empty input). Finite values whose sum
/// overflows still have their finite mean (summed again in long double); values that are
/// themselves infinite or NaN decide it alone (1e308, inf: inf; inf, -inf: NaN).
double mean(std::span<const double> values);

/// engine::mean of values seen one at a time, with the same bits: for sums kept while values
/// stream past (a cost per year over replicates) instead of stored.
class RunningMean {
public:
    void add(double x) noexcept {
        sum_ += x;
        ++count_;
        if (std::isfinite(x)) {
            wide_ += static_cast<long double>(x);
        } else {
            unbounded_ += x;
            any_unbounded_ = true;
        }
    }
    /// NaN when nothing was added.
    [[nodiscard]] double mean() const noexcept {
        if (count_ == 0) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        if (std::isfinite(sum_)) {
            return sum_ / static_cast<double>(count_);
        }
        if (any_unbounded_) {
            return unbounded_;
        }
        return static_cast<double>(wide_ / static_cast<long double>(count_));
    }

private:
    double sum_ = 0.0;
    long double wide_ = 0.0L;
    double unbounded_ = 0.0;
    bool any_unbounded_ = false;
    std::size_t count_ = 0;
};

/// Sample standard deviation (n - 1 denominator; NaN for fewer than 2 values).
double standard_deviation(std::span<const double> values);

/// Quantile of the standard normal distribution (Acklam's algorithm refined by one Halley
/// step; absolute error below 1e-12 on (0, 1)).
double normal_quantile(double p);

/// Quantile of the Beta(a, b) distribution (Boost.Math, double precision throughout so the bits
/// do not depend on the platform's long double). Throws canopy::Error unless a, b > 0 and p is in
/// [0, 1].
double beta_quantile(double a, double b, double p);

} // namespace canopy::engine
