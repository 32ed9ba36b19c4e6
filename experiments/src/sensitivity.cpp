// Sobol indices (Saltelli 2010 first order, Jansen total order) and Morris elementary effects,
// with percentile-bootstrap intervals (sensitivity.hpp).
//
// Sums run in index order and every resample is addressed by (resample, position) in the
// Philox stream of the bootstrap's seed, so the same outputs give the same bits everywhere.
#include "design_random.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/sensitivity.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace canopy::experiments {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

void check_bootstrap(const BootstrapOptions& b, const char* who) {
    if (b.resamples == 0) {
        throw Error(fmt::format("{}: the bootstrap needs at least 1 resample", who));
    }
    if (!(b.confidence > 0.0 && b.confidence < 1.0)) {
        throw Error(fmt::format("{}: the confidence level must lie strictly between 0 and 1, not "
                                "{}",
                                who, b.confidence));
    }
}

/// Draws the resamples of `n` items: resample b's j-th pick is item draw(b, j). Two picks share
/// one Philox block (64 bits each).
class Resampler {
public:
    Resampler(std::uint64_t seed, std::size_t n)
        : key_(design_key(seed))
        , n_(n) {}
    Resampler(engine::RandomKey key, std::size_t n, engine::Purpose purpose)
        : key_(key)
        , n_(n)
        , purpose_(purpose) {}

    /// Fills `picks` (size n) with resample b's items.
    void draw(std::size_t b, std::vector<std::size_t>& picks) const {
        picks.resize(n_);
        for (std::size_t j = 0; j < n_; j += 2) {
            const engine::Block block = key_.block(static_cast<std::uint32_t>(j / 2),
                                                   static_cast<std::uint32_t>(b), purpose_);
            picks[j] = engine::index_below((std::uint64_t{block[0]} << 32) | block[1], n_);
            if (j + 1 < n_) {
                picks[j + 1] = engine::index_below((std::uint64_t{block[2]} << 32) | block[3], n_);
            }
        }
    }

private:
    engine::RandomKey key_;
    std::size_t n_;
    engine::Purpose purpose_ = PURPOSE_BOOTSTRAP;
};

/// The percentile interval of the finite values among `draws`, and how many were not finite
/// (resamples whose statistic is undefined, e.g. a resample of identical outputs). Those are
/// counted in e.undefined; when they are more than a share (1 - confidence) / 2 of the draws,
/// the interval is NaN: had they been defined, they could have lain beyond either end, so the
/// percentiles of the rest would be too narrow (a tester's output, 1 at one row of 32, gave
/// [0.032, 0.033] with 346 of 1000 resamples undefined). NaN too when none is finite.
void percentile_interval(std::vector<double>& draws, double confidence, Estimate& e) {
    const std::size_t total = draws.size();
    draws.erase(
        std::remove_if(draws.begin(), draws.end(), [](double x) { return !std::isfinite(x); }),
        draws.end());
    e.undefined = total - draws.size();
    if (draws.empty() || interval_unplaced(e, total, confidence)) {
        e.lo = e.hi = NaN;
        return;
    }
    e.lo = engine::quantile(draws, (1.0 - confidence) / 2.0);
    e.hi = engine::quantile(draws, (1.0 + confidence) / 2.0);
}

/// draws[i * resamples + b] += spread x (moves[i * resamples + b] - the mean of factor i's finite
/// moves),
/// for each of `factors`: a row resample's index plus how far resample b of the replicates moved
/// it from where such resamples centre. A resample whose move is not finite becomes NaN (left
/// out of the interval).
void add_centred(std::vector<double>& draws, const std::vector<double>& moves, std::size_t factors,
                 std::size_t resamples, double spread) {
    for (std::size_t i = 0; i < factors; ++i) {
        double sum = 0.0;
        std::size_t count = 0;
        for (std::size_t b = 0; b < resamples; ++b) {
            if (std::isfinite(moves[i * resamples + b])) {
                sum += moves[i * resamples + b];
                ++count;
            }
        }
        const double centre = count == 0 ? NaN : sum / static_cast<double>(count);
        for (std::size_t b = 0; b < resamples; ++b) {
            draws[i * resamples + b] += spread * (moves[i * resamples + b] - centre);
        }
    }
}

/// The outputs of a Saltelli design split into f_A, f_B and f_AB^(i), centred on the mean of
/// f_A and f_B together (a constant shift leaves every index unchanged in expectation, and
/// centring keeps the first-order estimator's variance from growing with the output's mean).
struct SaltelliBlocks {
    std::size_t n = 0, d = 0;
    std::vector<double> a, b;
    std::vector<double> ab; ///< [i * n + j]
    double scale = 1.0;     ///< the outputs were divided by it (output_scale)
};

/// A power of two to divide outputs `y` (all finite) by, so that their sums, differences and
/// squares stay finite: 1 unless the largest |y| reaches 2^500 (about 3e150), where squares
/// overflow. Dividing by a power of two is exact, so every index is what the unscaled
/// arithmetic would give had it not overflowed (outputs near 1e300 gave "variance inf" and
/// every index n/a; Morris sigma inf).
double output_scale(std::span<const double> y) {
    double largest = 0.0;
    for (const double v : y) {
        largest = std::max(largest, std::abs(v));
    }
    if (!(largest >= std::ldexp(1.0, 500))) {
        return 1.0;
    }
    int exponent = 0;
    (void)std::frexp(largest, &exponent);
    return std::ldexp(1.0, exponent);
}

SaltelliBlocks split_blocks(std::span<const double> y, std::size_t n, std::size_t d) {
    SaltelliBlocks s;
    s.n = n;
    s.d = d;
    s.a.resize(n);
    s.b.resize(n);
    s.ab.resize(n * d);
    s.scale = output_scale(y);
    double sum = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        sum += y[j * (d + 2)] / s.scale + y[j * (d + 2) + d + 1] / s.scale;
    }
    const double centre = sum / static_cast<double>(2 * n);
    for (std::size_t j = 0; j < n; ++j) {
        const std::size_t first = j * (d + 2);
        s.a[j] = y[first] / s.scale - centre;
        s.b[j] = y[first + d + 1] / s.scale - centre;
        for (std::size_t i = 0; i < d; ++i) {
            s.ab[i * n + j] = y[first + 1 + i] / s.scale - centre;
        }
    }
    return s;
}

/// S1 and ST of every factor over the base samples `picks` (a resample, or 0 .. n - 1).
/// Returns the variance V of f_A and f_B over the picks; the indices are NaN when V is 0.
double estimate(const SaltelliBlocks& s, const std::vector<std::size_t>& picks,
                std::vector<double>& s1, std::vector<double>& st) {
    const std::size_t m = picks.size();
    double sum = 0.0;
    for (const std::size_t j : picks) {
        sum += s.a[j] + s.b[j];
    }
    const double mean = sum / static_cast<double>(2 * m);
    double squares = 0.0;
    for (const std::size_t j : picks) {
        squares += (s.a[j] - mean) * (s.a[j] - mean) + (s.b[j] - mean) * (s.b[j] - mean);
    }
    const double variance = squares / static_cast<double>(2 * m);
    for (std::size_t i = 0; i < s.d; ++i) {
        const double* ab = &s.ab[i * s.n];
        double first = 0.0;
        double total = 0.0;
        for (const std::size_t j : picks) {
            first += s.b[j] * (ab[j] - s.a[j]);
            total += (s.a[j] - ab[j]) * (s.a[j] - ab[j]);
        }
        s1[i] = variance > 0.0 ? first / static_cast<double>(m) / variance : NaN;
        st[i] = variance > 0.0 ? total / static_cast<double>(m) / 2.0 / variance : NaN;
    }
    return variance;
}

// runs x (dimensions + extra), or nullopt when it does not fit in a size_t.
std::optional<std::size_t> design_points(std::size_t runs, std::size_t dimensions,
                                         std::size_t extra) {
    std::size_t points = 0;
    if (dimensions > SIZE_MAX - extra ||
        __builtin_mul_overflow(runs, dimensions + extra, &points)) {
        return std::nullopt;
    }
    return points;
}

} // namespace

bool interval_unplaced(const Estimate& e, std::size_t resamples, double confidence) {
    return static_cast<double>(e.undefined) >
           (1.0 - confidence) / 2.0 * static_cast<double>(resamples);
}

std::optional<std::size_t> saltelli_points(std::size_t base_samples, std::size_t dimensions) {
    return design_points(base_samples, dimensions, 2);
}

std::optional<std::size_t> morris_points(std::size_t trajectories, std::size_t dimensions) {
    return design_points(trajectories, dimensions, 1);
}

std::string morris_design_problem(const UnitDesign& design) {
    const std::size_t d = design.dimensions;
    const std::size_t r = design.base_samples;
    const std::optional<std::size_t> points = morris_points(r, d);
    if (d == 0 || !points || design.u.size() % d != 0 || design.points() != *points) {
        return fmt::format("{} trajectories of {} factors are {} points, not {}", r, d,
                           points ? std::to_string(*points) : "more than a std::size_t holds",
                           design.points());
    }
    for (std::size_t t = 0; t < r; ++t) {
        std::vector<int> moved(d, 0);
        for (std::size_t step = 1; step <= d; ++step) {
            const std::size_t row = t * (d + 1) + step;
            std::size_t changed = d;
            std::size_t changes = 0;
            for (std::size_t k = 0; k < d; ++k) {
                if (design.at(row, k) != design.at(row - 1, k)) {
                    changed = k;
                    ++changes;
                }
            }
            if (changes != 1) {
                return fmt::format("point {} differs from point {} in {} factors, not 1", row,
                                   row - 1, changes);
            }
            ++moved[changed];
        }
        for (std::size_t k = 0; k < d; ++k) {
            if (moved[k] != 1) {
                return fmt::format("factor {} moves {} times in trajectory {}, not once", k,
                                   moved[k], t);
            }
        }
    }
    return {};
}

SobolIndices sobol_indices(std::span<const double> y, std::size_t base_samples,
                           std::size_t dimensions, const BootstrapOptions& bootstrap,
                           const ReplicateResample& replicates) {
    const std::size_t n = base_samples;
    const std::size_t d = dimensions;
    if (d == 0 || n < 2) {
        throw Error(fmt::format("sobol_indices: need at least 1 factor and 2 base samples, got "
                                "{} and {}",
                                d, n));
    }
    const std::optional<std::size_t> points = saltelli_points(n, d);
    if (!points) {
        throw Error(fmt::format("sobol_indices: a Saltelli design of {} base samples and {} "
                                "factors has more points than a std::size_t holds",
                                n, d));
    }
    if (y.size() != *points) {
        throw Error(fmt::format("sobol_indices: {} outputs for a Saltelli design of {} base "
                                "samples and {} factors, which has {} points",
                                y.size(), n, d, *points));
    }
    check_bootstrap(bootstrap, "sobol_indices");

    SobolIndices out;
    out.s1.assign(d, Estimate{NaN, NaN, NaN, 0});
    out.st.assign(d, Estimate{NaN, NaN, NaN, 0});
    if (std::any_of(y.begin(), y.end(), [](double v) { return !std::isfinite(v); })) {
        out.variance = NaN;
        return out;
    }
    const SaltelliBlocks blocks = split_blocks(y, n, d);
    std::vector<std::size_t> picks(n);
    for (std::size_t j = 0; j < n; ++j) {
        picks[j] = j;
    }
    std::vector<double> s1(d);
    std::vector<double> st(d);
    const double variance = estimate(blocks, picks, s1, st);
    // In the outputs' units (infinite when it is beyond a double; the indices are not).
    out.variance = variance * blocks.scale * blocks.scale;
    if (!(variance > 0.0)) {
        out.variance = variance;
        return out; // every output of A and B the same: the indices are undefined
    }
    for (std::size_t i = 0; i < d; ++i) {
        out.s1[i].value = s1[i];
        out.st[i].value = st[i];
    }

    // Every index is computed on the same resamples of the base samples.
    const Resampler resampler(bootstrap.seed, n);
    std::vector<double> s1_draws(bootstrap.resamples * d);
    std::vector<double> st_draws(bootstrap.resamples * d);
    for (std::size_t b = 0; b < bootstrap.resamples; ++b) {
        resampler.draw(b, picks);
        estimate(blocks, picks, s1, st);
        for (std::size_t i = 0; i < d; ++i) {
            s1_draws[i * bootstrap.resamples + b] = s1[i];
            st_draws[i * bootstrap.resamples + b] = st[i];
        }
    }
    if (replicates) {
        // How far each index moves when the replicates are resampled (all rows kept), centred
        // on its mean over the resamples and added to the rows' resample of the same number:
        // the intervals widen by the replicate noise but keep their centre. (Uncentred, they
        // would move up by the noise's own bias: resampled replicates add noise to noise.)
        std::vector<std::size_t> all(n);
        for (std::size_t j = 0; j < n; ++j) {
            all[j] = j;
        }
        std::vector<double> s1_moves(bootstrap.resamples * d, NaN);
        std::vector<double> st_moves(bootstrap.resamples * d, NaN);
        std::vector<double> resampled;
        for (std::size_t b = 0; b < bootstrap.resamples; ++b) {
            replicates.fill(b, resampled);
            if (resampled.size() != y.size() ||
                std::any_of(resampled.begin(), resampled.end(),
                            [](double v) { return !std::isfinite(v); })) {
                continue; // left out of the intervals
            }
            estimate(split_blocks(resampled, n, d), all, s1, st);
            for (std::size_t i = 0; i < d; ++i) {
                s1_moves[i * bootstrap.resamples + b] = s1[i];
                st_moves[i * bootstrap.resamples + b] = st[i];
            }
        }
        add_centred(s1_draws, s1_moves, d, bootstrap.resamples, replicates.spread);
        add_centred(st_draws, st_moves, d, bootstrap.resamples, replicates.spread);
        for (double& x : st_draws) {
            x = std::max(x, 0.0); // Jansen's ST is a mean of squares over a variance
        }
    }
    std::vector<double> draws;
    for (std::size_t i = 0; i < d; ++i) {
        const auto at = static_cast<std::ptrdiff_t>(i * bootstrap.resamples);
        const auto len = static_cast<std::ptrdiff_t>(bootstrap.resamples);
        draws.assign(s1_draws.begin() + at, s1_draws.begin() + at + len);
        percentile_interval(draws, bootstrap.confidence, out.s1[i]);
        draws.assign(st_draws.begin() + at, st_draws.begin() + at + len);
        percentile_interval(draws, bootstrap.confidence, out.st[i]);
    }
    return out;
}

MorrisIndices morris_indices(const UnitDesign& design, std::span<const double> y,
                             const BootstrapOptions& bootstrap,
                             const ReplicateResample& replicates) {
    const std::size_t d = design.dimensions;
    const std::size_t r = design.base_samples;
    if (design.kind != DesignKind::morris) {
        throw Error(
            fmt::format("morris_indices: the design is {}, not morris", to_string(design.kind)));
    }
    if (d == 0 || r == 0) {
        throw Error(fmt::format("morris_indices: need at least 1 factor and 1 trajectory, got {} "
                                "and {}",
                                d, r));
    }
    const std::optional<std::size_t> points = morris_points(r, d);
    if (!points || design.u.size() % d != 0 || design.points() != *points) {
        throw Error(fmt::format("morris_indices: a Morris design of {} trajectories and {} factors "
                                "has {} points, this one has {}",
                                r, d, points ? std::to_string(*points) : "too many",
                                design.points()));
    }
    if (y.size() != *points) {
        throw Error(fmt::format("morris_indices: {} outputs for a Morris design of {} points",
                                y.size(), *points));
    }
    check_bootstrap(bootstrap, "morris_indices");
    if (const std::string problem = morris_design_problem(design); !problem.empty()) {
        throw Error("morris_indices: not a Morris design: " + problem);
    }

    // Elementary effects per factor and trajectory: the change in the output over the change
    // in the factor, on the factor's [0, 1] scale (the design checked above: one factor moves
    // at each step).
    std::vector<double> effect(d * r, NaN); // [k * r + t]
    // On outputs divided by a power of two where they are huge (output_scale), the effects
    // multiplied back at the end: exact, and finite wherever the effects themselves are.
    std::vector<double> finite;
    for (const double v : y) {
        if (std::isfinite(v)) {
            finite.push_back(v);
        }
    }
    const double scale = output_scale(finite);
    const auto effects_of = [&](std::span<const double> outputs, std::vector<double>& into) {
        for (std::size_t t = 0; t < r; ++t) {
            for (std::size_t step = 1; step <= d; ++step) {
                const std::size_t row = t * (d + 1) + step;
                std::size_t changed = 0;
                while (design.at(row, changed) == design.at(row - 1, changed)) {
                    ++changed;
                }
                into[changed * r + t] = (outputs[row] / scale - outputs[row - 1] / scale) /
                                        (design.at(row, changed) - design.at(row - 1, changed));
            }
        }
    };
    effects_of(y, effect);

    MorrisIndices out;
    out.mu_star.assign(d, Estimate{NaN, NaN, NaN, 0});
    out.mu.assign(d, NaN);
    out.sigma.assign(d, NaN);
    std::vector<bool> defined(d, true);
    for (std::size_t k = 0; k < d; ++k) {
        const double* e = &effect[k * r];
        if (std::any_of(e, e + r, [](double x) { return !std::isfinite(x); })) {
            defined[k] = false; // a NaN output: said so, not averaged away
            continue;
        }
        double sum = 0.0;
        double sum_abs = 0.0;
        for (std::size_t t = 0; t < r; ++t) {
            sum += e[t];
            sum_abs += std::abs(e[t]);
        }
        out.mu[k] = sum / static_cast<double>(r);
        out.mu_star[k].value = sum_abs / static_cast<double>(r);
        if (r > 1) {
            double squares = 0.0;
            for (std::size_t t = 0; t < r; ++t) {
                squares += (e[t] - out.mu[k]) * (e[t] - out.mu[k]);
            }
            out.sigma[k] = std::sqrt(squares / static_cast<double>(r - 1));
        }
    }

    // mu* of every factor on the same resamples of the trajectories.
    const Resampler resampler(bootstrap.seed, r);
    std::vector<std::size_t> picks;
    std::vector<double> draws(bootstrap.resamples * d);
    for (std::size_t b = 0; b < bootstrap.resamples; ++b) {
        resampler.draw(b, picks);
        for (std::size_t k = 0; k < d; ++k) {
            double sum_abs = 0.0;
            for (const std::size_t t : picks) {
                sum_abs += std::abs(effect[k * r + t]);
            }
            draws[k * bootstrap.resamples + b] = sum_abs / static_cast<double>(r);
        }
    }
    if (replicates) {
        // As for Sobol: how far mu* moves when the replicates are resampled (every trajectory
        // kept), centred and added to the trajectories' resample.
        std::vector<double> moves(bootstrap.resamples * d, NaN);
        std::vector<double> resampled;
        std::vector<double> resampled_effect(d * r, NaN);
        for (std::size_t b = 0; b < bootstrap.resamples; ++b) {
            replicates.fill(b, resampled);
            if (resampled.size() != y.size()) {
                continue;
            }
            effects_of(resampled, resampled_effect);
            for (std::size_t k = 0; k < d; ++k) {
                double sum_abs = 0.0;
                for (std::size_t t = 0; t < r; ++t) {
                    sum_abs += std::abs(resampled_effect[k * r + t]);
                }
                moves[k * bootstrap.resamples + b] = sum_abs / static_cast<double>(r);
            }
        }
        add_centred(draws, moves, d, bootstrap.resamples, replicates.spread);
        for (double& x : draws) {
            x = std::max(x, 0.0); // a mean of absolute values
        }
    }
    std::vector<double> one;
    for (std::size_t k = 0; k < d; ++k) {
        if (!defined[k]) {
            continue;
        }
        const auto at = static_cast<std::ptrdiff_t>(k * bootstrap.resamples);
        one.assign(draws.begin() + at,
                   draws.begin() + at + static_cast<std::ptrdiff_t>(bootstrap.resamples));
        percentile_interval(one, bootstrap.confidence, out.mu_star[k]);
    }
    if (scale != 1.0) {
        for (std::size_t k = 0; k < d; ++k) {
            out.mu[k] *= scale;
            out.sigma[k] *= scale;
            out.mu_star[k].value *= scale;
            out.mu_star[k].lo *= scale;
            out.mu_star[k].hi *= scale;
        }
    }
    return out;
}

void replicate_picks(std::uint64_t seed, std::size_t b, std::size_t n,
                     std::vector<std::size_t>& picks) {
    Resampler(design_key(seed), n, PURPOSE_REPLICATE_BOOTSTRAP).draw(b, picks);
}

} // namespace canopy::experiments
