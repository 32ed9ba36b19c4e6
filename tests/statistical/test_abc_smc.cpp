// ABC-SMC and the simulated method of moments on a model whose posterior is known exactly
// (analytic_calibration.hpp): the posterior's moments, simulation-based calibration ranks,
// coverage of 90 % intervals for parameters near the prior's edge, determinism, the budget.
// Every tolerance follows from the sample size (effective sample size, number of trials).
#include "analytic_calibration.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/smm.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace canopy;
using namespace canopy::experiments;
using canopy::test::AnalyticEvaluator;
using canopy::test::AnalyticModel;

namespace {

// Four figures of two parameters: each alone, their sum and their difference.
AnalyticModel two_parameters() {
    AnalyticModel m;
    m.a.resize(4, 2);
    m.a << 1, 0, 0, 1, 1, 1, 1, -1;
    return m;
}

// Figures simulated from theta with the model's run noise and measurement error.
std::vector<double> simulate_data(const AnalyticModel& m, const Eigen::VectorXd& theta,
                                  std::uint64_t seed) {
    engine::Stream s(engine::RandomKey{seed, 0}, 0, 0, 99);
    const Eigen::VectorXd mean = m.a * theta;
    std::vector<double> y;
    for (Eigen::Index i = 0; i < mean.size(); ++i) {
        y.push_back(mean(i) + m.tau * engine::standard_normal(s) +
                    m.sigma * engine::standard_normal(s));
    }
    return y;
}

// The weighted share of particles below x in parameter j (the SBC rank, scaled to [0, 1]).
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

} // namespace

TEST_CASE("ABC-SMC reaches the exact posterior of a linear Gaussian model", "[statistical]") {
    const AnalyticModel m = two_parameters();
    const std::vector<double> y = {0.8, -0.4, 0.5, 1.1};
    Calibration c = test::analytic_calibration(m, y, 11);
    c.abc.particles = 1500;
    AnalyticEvaluator evaluator(m);
    const CalibrationResult r = run_abc_smc(c, evaluator);
    REQUIRE(r.exact);
    CHECK(r.final_temperature == 1.0);
    CHECK(r.generations.size() >= 2);
    const auto [mu, cov] = test::exact_posterior(m, y);
    const double ess = r.ess;
    INFO("ESS " << ess << ", generations " << r.generations.size());
    CHECK(ess > 300.0);
    for (std::size_t j = 0; j < 2; ++j) {
        const auto jj = static_cast<Eigen::Index>(j);
        const double sd = std::sqrt(cov(jj, jj));
        double mean = 0.0;
        double var = 0.0;
        for (std::size_t k = 0; k < r.particle_count(); ++k) {
            mean += r.weights[k] * r.particle(k, j);
        }
        for (std::size_t k = 0; k < r.particle_count(); ++k) {
            var += r.weights[k] * (r.particle(k, j) - mean) * (r.particle(k, j) - mean);
        }
        INFO("parameter " << j << ": mean " << mean << " vs " << mu(jj) << ", sd " << std::sqrt(var)
                          << " vs " << sd);
        // The weighted mean's standard error is sd / sqrt(ESS); the sd's about
        // sd / sqrt(2 ESS). Five of each: a false alarm once in millions.
        CHECK(std::abs(mean - mu(jj)) < 5.0 * sd / std::sqrt(ess));
        CHECK(std::abs(std::sqrt(var) / sd - 1.0) < 5.0 / std::sqrt(2.0 * ess));
    }
}

TEST_CASE("ABC-SMC posteriors pass simulation-based calibration", "[statistical]") {
    // Talts et al. 2018: with theta* drawn from the prior and data from theta*, the posterior
    // rank of theta* is uniform when the posterior is right. 100 trials; the KS critical value
    // at the 0.1 % level is 1.95 / sqrt(n). And the 90 % intervals hold theta* in 90 % of the
    // 200 (trial, parameter) pairs: binomial, within four standard deviations.
    const AnalyticModel m = two_parameters();
    const int trials = 100;
    std::vector<double> ranks0;
    std::vector<double> ranks1;
    int inside = 0;
    int exact = 0;
    for (int t = 0; t < trials; ++t) {
        engine::Stream s(engine::RandomKey{5, static_cast<std::uint32_t>(t)}, 1, 0, 98);
        Eigen::VectorXd theta(2);
        theta << engine::standard_normal(s), engine::standard_normal(s);
        const std::vector<double> y = simulate_data(m, theta, 1000 + static_cast<std::uint64_t>(t));
        Calibration c = test::analytic_calibration(m, y, 100 + static_cast<std::uint64_t>(t));
        c.abc.particles = 100;
        c.abc.max_simulations = 30'000;
        AnalyticEvaluator evaluator(m);
        const CalibrationResult r = run_abc_smc(c, evaluator);
        // Data far from what the prior expects can make the last step to temperature 1 cost
        // more than the budget (abc_smc.hpp); then the posterior is a little wider, which the
        // rank statistics would show if it happened often.
        exact += r.exact ? 1 : 0;
        ranks0.push_back(weighted_rank(r, 0, theta(0)));
        ranks1.push_back(weighted_rank(r, 1, theta(1)));
        for (std::size_t j = 0; j < 2; ++j) {
            const double x = theta(static_cast<Eigen::Index>(j));
            inside += r.summaries[j].q05 <= x && x <= r.summaries[j].q95 ? 1 : 0;
        }
    }
    CHECK(exact >= trials - trials / 20);
    const double critical = 1.95 / std::sqrt(static_cast<double>(trials));
    CHECK(ks_uniform(ranks0) < critical);
    CHECK(ks_uniform(ranks1) < critical);
    const double n = 2.0 * trials;
    INFO("90 % intervals held theta* " << inside << " times of " << n);
    CHECK(std::abs(inside - 0.9 * n) < 4.0 * std::sqrt(n * 0.9 * 0.1));
}

TEST_CASE("parameters near the prior's edge are recovered at the nominal rate", "[statistical]") {
    // Known parameter sets, two of them close to the bounds of a uniform prior on [0, 10]
    // (about three posterior standard deviations in), each calibrated on 30 data sets: the
    // 90 % intervals hold the true values in 90 % of the 3 x 30 x 2 cases, within four
    // binomial standard deviations.
    AnalyticModel m = two_parameters();
    m.prior = engine::Uncertain{engine::Uncertain::Kind::uniform, 0.0, 10.0, 0.0};
    m.lower = 0.0;
    m.upper = 10.0;
    const std::vector<std::pair<double, double>> sets = {{0.9, 9.1}, {5.0, 5.0}, {9.1, 0.9}};
    int inside = 0;
    int cases = 0;
    for (std::size_t s = 0; s < sets.size(); ++s) {
        for (int t = 0; t < 30; ++t) {
            Eigen::VectorXd theta(2);
            theta << sets[s].first, sets[s].second;
            const std::uint64_t seed = 5000 + 100 * s + static_cast<std::uint64_t>(t);
            const std::vector<double> y = simulate_data(m, theta, seed);
            Calibration c = test::analytic_calibration(m, y, seed);
            c.abc.particles = 100;
            AnalyticEvaluator evaluator(m);
            const CalibrationResult r = run_abc_smc(c, evaluator);
            for (std::size_t j = 0; j < 2; ++j) {
                const double x = theta(static_cast<Eigen::Index>(j));
                inside += r.summaries[j].q05 <= x && x <= r.summaries[j].q95 ? 1 : 0;
                ++cases;
            }
        }
    }
    INFO("inside " << inside << " of " << cases);
    CHECK(std::abs(inside - 0.9 * cases) < 4.0 * std::sqrt(cases * 0.9 * 0.1));
}

TEST_CASE("ABC-SMC gives the same bits twice, whatever was evaluated before", "[statistical]") {
    const AnalyticModel m = two_parameters();
    const std::vector<double> y = {0.3, 0.2, 0.4, 0.0};
    Calibration c = test::analytic_calibration(m, y, 3);
    c.abc.particles = 100;
    AnalyticEvaluator e1(m);
    AnalyticEvaluator e2(m);
    const CalibrationResult a = run_abc_smc(c, e1);
    const CalibrationResult b = run_abc_smc(c, e2);
    CHECK(a.particles == b.particles);
    CHECK(a.weights == b.weights);
    CHECK(a.generations.size() == b.generations.size());
    CHECK(a.simulations == e1.evaluated);
    // Another seed, another sample.
    c.seed = 4;
    AnalyticEvaluator e3(m);
    CHECK(run_abc_smc(c, e3).particles != a.particles);
}

TEST_CASE("a budget that runs out keeps the last full generation and says so", "[statistical]") {
    const AnalyticModel m = two_parameters();
    Calibration c = test::analytic_calibration(m, {3.0, -2.0, 1.0, 5.0}, 8);
    c.abc.particles = 100;
    c.abc.max_simulations = 450;
    AnalyticEvaluator evaluator(m);
    const CalibrationResult r = run_abc_smc(c, evaluator);
    CHECK_FALSE(r.exact);
    CHECK(r.final_temperature > 1.0);
    CHECK(r.simulations <= 450);
    REQUIRE_FALSE(r.notes.empty());
    CHECK(r.notes.front().find("ran out") != std::string::npos);
    // Not even the first generation: nothing to keep, the setting must change (the CLI's exit 2).
    c.abc.max_simulations = 150;
    AnalyticEvaluator again(m);
    try {
        run_abc_smc(c, again);
        FAIL("the budget did not stop the first generation");
    } catch (const canopy::experiments::CalibrationSettingError& e) {
        CHECK(e.diagnostic().key == "abc_smc.max_simulations");
        CHECK(e.runs() == 150);
    }
}

TEST_CASE("the method of moments finds the least-squares fit and its standard errors",
          "[statistical]") {
    // With every figure equally weighted the objective is quadratic: its minimum is the
    // least-squares fit to y minus the mean run noise of the common replicates, and the
    // sandwich covariance is (A'A)^-1 (sigma^2 + (1 + 1/R) tau^2). Sigma_sim is estimated from
    // R = 200 runs, so the standard errors carry about 1/sqrt(2 R k) = 2.5 % of sampling error;
    // 15 % is six of those.
    const AnalyticModel m = two_parameters();
    const std::vector<double> y = {0.6, -0.3, 0.2, 0.9};
    Calibration c = test::analytic_calibration(m, y, 21);
    c.method = CalibrationMethod::smm;
    c.smm.replicates = 200;
    c.smm.tolerance = 1e-9;
    c.smm.max_iterations = 400;
    c.smm.posterior_draws = 50;
    AnalyticEvaluator evaluator(m);
    const CalibrationResult r = run_smm(c, evaluator);
    REQUIRE(r.smm.has_value());
    const SmmReport& s = *r.smm;
    CHECK(s.converged);
    // The mean run noise of the common replicates: the runs at theta = 0.
    Experiment e;
    e.replicates = c.smm.replicates;
    e.seed = c.seed;
    e.common_random_numbers = true;
    AnalyticEvaluator probe(m);
    const Point zero{0, {0.0, 0.0}};
    const PointResult at_zero = probe.evaluate(e, std::span<const Point>(&zero, 1)).front();
    Eigen::VectorXd target(4);
    for (Eigen::Index i = 0; i < 4; ++i) {
        double noise = 0.0;
        for (std::uint32_t rep = 0; rep < at_zero.replicates; ++rep) {
            noise += at_zero.final_value(static_cast<std::size_t>(i), rep);
        }
        target(i) = y[static_cast<std::size_t>(i)] - noise / at_zero.replicates;
    }
    const Eigen::MatrixXd ata = m.a.transpose() * m.a;
    const Eigen::VectorXd ls = ata.ldlt().solve(m.a.transpose() * target);
    const Eigen::MatrixXd v =
        ata.inverse() * (m.sigma * m.sigma + (1.0 + 1.0 / c.smm.replicates) * m.tau * m.tau);
    for (std::size_t j = 0; j < 2; ++j) {
        const auto jj = static_cast<Eigen::Index>(j);
        INFO("parameter " << j);
        CHECK(s.estimate[j] == Approx(ls(jj)).margin(1e-3));
        CHECK(s.standard_error[j] == Approx(std::sqrt(v(jj, jj))).epsilon(0.15));
        // The profile is lowest at (or next to) the estimate, its middle point.
        const auto& obj = s.profile_objective[j];
        const auto lowest = std::min_element(obj.begin(), obj.end()) - obj.begin();
        CHECK(std::abs(lowest - static_cast<long>(obj.size() / 2)) <= 1);
        CHECK(obj.front() > obj[obj.size() / 2]);
        CHECK(obj.back() > obj[obj.size() / 2]);
    }
    CHECK(r.particle_count() == 50);
}
