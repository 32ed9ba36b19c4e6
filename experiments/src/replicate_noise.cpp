// The replicate noise of a sweep's outputs (replicate_noise.hpp): the square of each point's
// standard error from its replicates, averaged over the points.
#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/replicate_noise.hpp>

#include <boost/math/special_functions/beta.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace canopy::experiments {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
/// The fewest replicates a point whose q05 and q95 give a spread (without the finals).
constexpr std::size_t MIN_REPLICATES_FOR_QUANTILES = 10;

/// The share of a normal distribution within one standard deviation of its mean.
constexpr double ONE_SE_COVERAGE = 0.6826894921370859;

/// The expected type-7 q95 - q05 of n standard normal draws: each quantile interpolates two
/// order statistics, whose expectations are Blom's, quantile((i - 0.375) / (n + 0.25)). For 20
/// draws 2.85 (q05 and q95 lie inside the tails), against 2 x 1.645 = 3.29 for many.
double normal_q05_q95(std::size_t n) {
    const auto expected = [n](double p) {
        const double h = static_cast<double>(n - 1) * p; // 0-based position, as type 7
        const double low = std::floor(h);
        const double frac = h - low;
        const auto blom = [n](double i) { // 1-based order statistic i
            return engine::normal_quantile((i - 0.375) / (static_cast<double>(n) + 0.25));
        };
        return frac == 0.0 ? blom(low + 1.0)
                           : (1.0 - frac) * blom(low + 1.0) + frac * blom(low + 2.0);
    };
    return expected(0.95) - expected(0.05);
}

std::vector<double> finite_sorted(std::span<const double> values) {
    std::vector<double> out;
    for (const double v : values) {
        if (!std::isnan(v)) {
            out.push_back(v);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// The mean of the finite values of `per_point`, or NaN when there are none.
double mean_of_finite(const std::vector<double>& per_point) {
    double sum = 0.0;
    std::size_t n = 0;
    for (const double v : per_point) {
        if (std::isfinite(v)) {
            sum += v;
            ++n;
        }
    }
    return n == 0 ? NaN : sum / static_cast<double>(n);
}

/// "targets/<id>/<what>" or "indicators/<id>/<what>": the id and what, or false.
bool split_name(const std::string& name, const std::string& group, std::string& id,
                std::string& what) {
    if (name.rfind(group + "/", 0) != 0) {
        return false;
    }
    const std::size_t slash = name.rfind('/');
    if (slash <= group.size()) {
        return false;
    }
    id = name.substr(group.size() + 1, slash - group.size() - 1);
    what = name.substr(slash + 1);
    return true;
}

const IndicatorColumns* find_indicator(const SweepResult& r, const std::string& id) {
    for (const IndicatorColumns& i : r.indicators) {
        if (i.id == id) {
            return &i;
        }
    }
    return nullptr;
}

/// The noise of an indicator's mean or median (`median` false or true) at every point.
ReplicateNoise indicator_noise(const SweepResult& r, const IndicatorColumns& c, bool median) {
    ReplicateNoise out;
    const std::size_t points = r.points();
    const auto reps = static_cast<std::size_t>(r.replicates);
    std::vector<double> per_point(points, NaN);
    if (!c.finals.empty() && c.finals.size() == points * reps) {
        for (std::size_t p = 0; p < points; ++p) {
            const std::span<const double> finals(&c.finals[p * reps], reps);
            per_point[p] = median ? median_noise(finals) : mean_noise(finals);
        }
        out.method = median ? "from each point's finals (two order statistics around the median)"
                            : "from each point's finals (their variance / R)";
    } else if (reps < MIN_REPLICATES_FOR_QUANTILES) {
        // q05 and q95 of a few values are nearly their extremes, whose spread squared runs
        // high (x 1.44 at 2, x 1.1 at 5, an outside tester's simulation), and a median of a few
        // is not (pi / 2) times a mean's variance (at 2 it is the mean).
        out.reason = fmt::format("from q05 and q95 of {} replicates a point the spread cannot "
                                 "be estimated fairly (it needs {} or more)",
                                 reps, MIN_REPLICATES_FOR_QUANTILES);
        out.hint = "outputs = [\"finals\"] in the sweep file gives an estimate from the finals";
        return out;
    } else {
        // Without the finals: the replicates' spread from q05 and q95, as if normal.
        const double factor = median ? std::numbers::pi / 2.0 : 1.0;
        const double range = normal_q05_q95(reps);
        for (std::size_t p = 0; p < points && p < c.q05.size() && p < c.q95.size(); ++p) {
            const double sigma = (c.q95[p] - c.q05[p]) / range;
            per_point[p] = factor * sigma * sigma / static_cast<double>(r.replicates);
        }
        out.method = fmt::format("from each point's q05 and q95, as if its replicates were "
                                 "normal: {}sigma^2 / R",
                                 median ? "(pi / 2) " : "");
        out.hint = "outputs = [\"finals\"] in the sweep file gives an estimate without that "
                   "assumption";
    }
    out.variance = mean_of_finite(per_point);
    if (std::isnan(out.variance)) {
        const bool overflow =
            std::any_of(per_point.begin(), per_point.end(), [](double v) { return std::isinf(v); });
        out.reason = overflow ? "the outputs are too large: their spread squared overflows a "
                                "double (above about 1e154)"
                              : "no point has a finite spread to estimate it from";
        out.method.clear();
        out.hint.clear();
    }
    return out;
}

} // namespace

bool same_values(std::span<const double> a, std::span<const double> b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) {
               return x == y || (std::isnan(x) && std::isnan(y));
           });
}

double p_attain_noise(double p, int replicates) {
    if (replicates < 2 || !(p >= 0.0 && p <= 1.0)) {
        return NaN;
    }
    return p * (1.0 - p) / static_cast<double>(replicates - 1);
}

double mean_noise(std::span<const double> finals) {
    const std::vector<double> x = finite_sorted(finals);
    const std::size_t n = x.size();
    if (n < 2) {
        return NaN;
    }
    double mean = 0.0;
    for (const double v : x) {
        mean += v;
    }
    mean /= static_cast<double>(n);
    double squares = 0.0;
    for (const double v : x) {
        squares += (v - mean) * (v - mean);
    }
    return squares / static_cast<double>(n - 1) / static_cast<double>(n);
}

double median_noise(std::span<const double> finals) {
    const std::vector<double> x = finite_sorted(finals);
    const std::size_t n = x.size();
    if (n < 3) {
        return mean_noise(x); // the median of two values is their mean
    }
    // The order statistics k and n - k + 1 hold the median with probability 1 - 2 P(Bin(n,
    // 1/2) <= k - 1), whatever the distribution; the pair whose coverage is nearest one
    // standard error's (68.27 %) spans 2 z standard errors, z its coverage's normal quantile.
    const double nd = static_cast<double>(n);
    const auto coverage = [n](std::size_t k) { // 1 - 2 I_{1/2}(n - k + 1, k)
        return 1.0 - 2.0 * boost::math::ibeta(static_cast<double>(n - k + 1),
                                              static_cast<double>(k), 0.5);
    };
    const double guess = std::round((nd + 1.0) / 2.0 - std::sqrt(nd) / 2.0);
    std::size_t best = 0;
    double best_gap = 0.0;
    for (double k = guess - 2.0; k <= guess + 2.0; k += 1.0) {
        if (k < 1.0 || k > std::floor(nd / 2.0)) {
            continue;
        }
        const auto kk = static_cast<std::size_t>(k);
        const double gap = std::abs(coverage(kk) - ONE_SE_COVERAGE);
        if (best == 0 || gap < best_gap) {
            best = kk;
            best_gap = gap;
        }
    }
    const double z = engine::normal_quantile(0.5 + 0.5 * coverage(best));
    const double se = (x[n - best] - x[best - 1]) / (2.0 * z);
    return se * se;
}

ReplicateNoise replicate_noise(const SweepResult& r, const std::string& name) {
    ReplicateNoise out;
    std::string id;
    std::string what;
    const bool target = split_name(name, "targets", id, what);
    const bool indicator = !target && split_name(name, "indicators", id, what);
    if (!(target && (what == "p_attain" || what == "median")) &&
        !(indicator && (what == "mean" || what == "q50"))) {
        out.reason = name.rfind("outputs/", 0) == 0
                         ? "an output another program added: Canopy does not know its noise"
                         : "Canopy keeps no replicate spread for this output";
        return out;
    }
    if (r.replicates < 2) {
        out.reason = fmt::format("{} replicate a point: no spread to estimate it from (the "
                                 "output is one replicate's value, all noise and factors "
                                 "mixed); sweep with replicates of 2 or more",
                                 r.replicates);
        return out;
    }
    if (indicator) {
        const IndicatorColumns* c = find_indicator(r, id);
        if (c == nullptr) {
            out.reason = "the result has no indicator '" + id + "'";
            return out;
        }
        return indicator_noise(r, *c, what == "q50");
    }
    const TargetColumns* t = nullptr;
    for (const TargetColumns& candidate : r.targets) {
        if (candidate.id == id) {
            t = &candidate;
        }
    }
    if (t == nullptr) {
        out.reason = "the result has no target '" + id + "'";
        return out;
    }
    if (what == "p_attain") {
        std::vector<double> per_point;
        for (const double p : t->p_attain) {
            per_point.push_back(p_attain_noise(p, r.replicates));
        }
        out.variance = mean_of_finite(per_point);
        out.method = fmt::format("p(1 - p) / (R - 1) at each point, R = {}", r.replicates);
        if (std::isnan(out.variance)) {
            out.reason = "no point has a P(attain) to estimate it from";
            out.method.clear();
        }
        return out;
    }
    // A target's median is its indicator's median over the same finals.
    for (const IndicatorColumns& c : r.indicators) {
        if (same_values(c.q50, t->median)) {
            out = indicator_noise(r, c, true);
            if (!out.method.empty()) {
                out.method = "as indicators/" + c.id + "/q50's, " + out.method;
            }
            return out;
        }
    }
    out.reason = "no indicator's q50 matches this median, so its replicates' spread is unknown";
    return out;
}

} // namespace canopy::experiments
