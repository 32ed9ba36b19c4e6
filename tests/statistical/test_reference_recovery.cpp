// ABC-SMC on a real agent-based model: the reference model (500 firms, 2021-2022) calibrated to
// figures simulated from known parameters. Parameter recovery (known sets, two near the edges of
// the prior) and simulation-based calibration (Talts et al. 2018: parameters drawn from the
// prior, the posterior rank of the truth uniform). The data follow the error model exactly (each
// figure is one run's value plus Gaussian noise of a fixed sd), so the posterior at temperature 1
// is exact and its intervals must cover at the nominal rate. Every tolerance follows from the
// number of data sets; canopy-bench calibration --recovery runs the same checks with more.
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace canopy;
using namespace canopy::experiments;

namespace {

const std::string RECOVERY =
    std::string(CANOPY_SOURCE_DIR) + "/tests/data/calibration/recovery.toml";

// The measurement error: 20 % of each figure's value at the prior's medians, fixed for every
// data set (an sd that depended on the data would not be the error model the data came from).
// About the run-to-run noise of a 300-firm model's counts, so that a calibration stays cheap.
constexpr double RELATIVE_SD = 0.20;

Calibration load() {
    CalibrationLoad loaded = load_calibration(RECOVERY);
    INFO(loaded.diagnostics.format());
    REQUIRE(loaded.calibration);
    return *loaded.calibration;
}

// One run of the model at theta on the streams of `seed`: every observation's simulated value.
std::vector<double> simulate(const Calibration& c, const std::vector<double>& theta,
                             std::uint64_t seed) {
    Calibration at = c;
    at.seed = seed;
    const Experiment e = abc_smc_experiment(at);
    const PointResult r = evaluate_point(e, Point{0, theta});
    std::vector<double> finals(r.indicators);
    for (std::uint32_t i = 0; i < r.indicators; ++i) {
        finals[i] = r.final_value(i, 0);
    }
    std::vector<double> x;
    for (const Observation& o : c.observations) {
        x.push_back(o.simulated(finals));
    }
    return x;
}

// The calibration with its figures' sds fixed from a run at the prior's medians, every figure
// two-sided (a lower bound's likelihood is not a density the data could be drawn from).
Calibration with_fixed_errors(Calibration c) {
    std::vector<double> medians;
    for (const FittedParameter& p : c.parameters) {
        medians.push_back(p.prior.quantile(0.5));
    }
    const std::vector<double> x = simulate(c, medians, 7);
    for (std::size_t k = 0; k < c.observations.size(); ++k) {
        Observation& o = c.observations[k];
        o.sd = RELATIVE_SD * std::max(std::fabs(x[k]), 10.0);
        o.lower_bound = o.approximate = o.forecast = false;
    }
    return c;
}

// Data from theta: one run (streams of `seed`) plus the error model's noise.
Calibration with_data(const Calibration& c, const std::vector<double>& theta, std::uint64_t seed,
                      std::uint64_t calibration_seed) {
    Calibration out = c;
    const std::vector<double> x = simulate(c, theta, seed);
    engine::Stream noise(engine::RandomKey{seed, 0}, 0, 0, 0x5BC);
    for (std::size_t k = 0; k < out.observations.size(); ++k) {
        out.observations[k].row.value =
            x[k] + out.observations[k].sd * engine::standard_normal(noise);
    }
    out.seed = calibration_seed;
    return out;
}

// The weighted share of particles below x in parameter j: the SBC rank, scaled to [0, 1].
double weighted_rank(const CalibrationResult& r, std::size_t j, double x) {
    double below = 0.0;
    for (std::size_t k = 0; k < r.particle_count(); ++k) {
        below += r.particle(k, j) < x ? r.weights[k] : 0.0;
    }
    return below;
}

// Kolmogorov-Smirnov distance of a sample from the uniform distribution on [0, 1].
double ks_uniform(std::vector<double> u) {
    std::sort(u.begin(), u.end());
    const auto n = static_cast<double>(u.size());
    double d = 0.0;
    for (std::size_t i = 0; i < u.size(); ++i) {
        d = std::max(
            {d, (static_cast<double>(i) + 1.0) / n - u[i], u[i] - static_cast<double>(i) / n});
    }
    return d;
}

// Within four binomial standard deviations of the nominal 90 %: a false alarm once in 30,000.
void check_coverage(int inside, int cases) {
    const double n = cases;
    INFO("90 % intervals held the truth " << inside << " times of " << cases);
    CHECK(std::abs(inside - 0.9 * n) < 4.0 * std::sqrt(n * 0.9 * 0.1));
}

} // namespace

TEST_CASE("ABC-SMC recovers known parameters of the reference model, also near the prior's edge",
          "[statistical]") {
    const Calibration base = with_fixed_errors(load());
    const std::unique_ptr<Evaluator> evaluator = local_evaluator();
    // births_per_month's prior is uniform on [0.5, 6]; the lever's lognormal(1, 0.4) up to 4.
    const std::vector<std::vector<double>> sets = {{2.25, 1.0}, {0.8, 1.8}, {5.7, 0.6}};
    const int per_set = 4;
    int inside = 0;
    int cases = 0;
    int exact = 0;
    double width = 0.0;
    std::int64_t simulations = 0;
    for (std::size_t s = 0; s < sets.size(); ++s) {
        for (int t = 0; t < per_set; ++t) {
            const std::uint64_t seed = 9000 + 100 * s + static_cast<std::uint64_t>(t);
            const Calibration c = with_data(base, sets[s], seed, seed + 50);
            const CalibrationResult r = run_abc_smc(c, *evaluator);
            exact += r.exact ? 1 : 0;
            simulations += r.simulations;
            width += r.summaries[0].q95 - r.summaries[0].q05;
            for (std::size_t j = 0; j < 2; ++j) {
                const double truth = sets[s][j];
                INFO("set " << s << ", data set " << t << ", parameter " << j << ": truth " << truth
                            << ", 90 % interval [" << r.summaries[j].q05 << ", "
                            << r.summaries[j].q95 << "]");
                inside += r.summaries[j].q05 <= truth && truth <= r.summaries[j].q95 ? 1 : 0;
                ++cases;
            }
        }
    }
    const int runs = static_cast<int>(sets.size()) * per_set;
    // The figures inform the parameters: the births' 90 % interval is far narrower than the
    // prior's, so the coverage is not the prior's by default.
    const Prior& births = base.parameters[0].prior;
    const double prior_width = births.quantile(0.95) - births.quantile(0.05);
    INFO("mean 90 % width of births_per_month " << width / runs << " (prior " << prior_width
                                                << "); " << exact << " of " << runs << " exact; "
                                                << simulations << " runs");
    CHECK(width / runs < 0.5 * prior_width);
    check_coverage(inside, cases);
}

TEST_CASE("ABC-SMC on the reference model passes simulation-based calibration", "[statistical]") {
    const Calibration base = with_fixed_errors(load());
    const std::unique_ptr<Evaluator> evaluator = local_evaluator();
    const int trials = 20;
    std::vector<std::vector<double>> ranks(base.parameters.size());
    int inside = 0;
    for (int t = 0; t < trials; ++t) {
        engine::Stream s(engine::RandomKey{77, static_cast<std::uint32_t>(t)}, 0, 0, 0x5BD);
        std::vector<double> theta;
        for (const FittedParameter& p : base.parameters) {
            theta.push_back(p.prior.quantile(engine::uniform01(s)));
        }
        const std::uint64_t seed = 20000 + static_cast<std::uint64_t>(t);
        const CalibrationResult r =
            run_abc_smc(with_data(base, theta, seed, seed + 500), *evaluator);
        for (std::size_t j = 0; j < theta.size(); ++j) {
            ranks[j].push_back(weighted_rank(r, j, theta[j]));
            inside += r.summaries[j].q05 <= theta[j] && theta[j] <= r.summaries[j].q95 ? 1 : 0;
        }
    }
    // The Kolmogorov-Smirnov critical value at the 0.1 % level is 1.95 / sqrt(n).
    const double critical = 1.95 / std::sqrt(static_cast<double>(trials));
    for (std::size_t j = 0; j < ranks.size(); ++j) {
        INFO(base.parameters[j].target.name << ": KS distance " << ks_uniform(ranks[j])
                                            << ", critical " << critical);
        CHECK(ks_uniform(ranks[j]) < critical);
    }
    check_coverage(inside, trials * static_cast<int>(ranks.size()));
}
