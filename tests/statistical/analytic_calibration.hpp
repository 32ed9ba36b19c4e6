#pragma once
// A calibration whose posterior is known in closed form, for testing the methods themselves.
//
// Model: figures x = A theta + tau * eps (eps standard normal, one draw per run), measured
// with sd sigma: y = x + sigma * e. With a normal prior N(0, s^2 I) the posterior of theta
// given y is normal with precision P = I / s^2 + A'A / (tau^2 + sigma^2) and mean
// P^-1 A'y / (tau^2 + sigma^2) (the likelihood of y given theta is N(A theta, (tau^2 +
// sigma^2) I) once the run's noise is integrated out). The evaluator computes the runs
// directly — an Evaluator like any other to the methods, which only see PointResults.
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/evaluator.hpp>

#include <Eigen/Dense>

#include <memory>
#include <vector>

namespace canopy::test {

struct AnalyticModel {
    Eigen::MatrixXd a;  // [figure, parameter]
    double tau = 0.5;   // run-to-run noise of a figure
    double sigma = 0.5; // the figures' measurement error (the error model's sd)
    /// The prior of every parameter, truncated to [lower, upper].
    engine::Uncertain prior{engine::Uncertain::Kind::normal, 0.0, 1.0, 0.0};
    double lower = -10.0, upper = 10.0;
};

/// Runs of the analytic model: figure i of replicate r of point p is (A theta)_i + tau * eps,
/// eps from a stream keyed by (seed mixed with the point's index unless common random numbers,
/// replicate), so a point's runs are a pure function of what the evaluator contract allows.
class AnalyticEvaluator final : public experiments::Evaluator {
public:
    explicit AnalyticEvaluator(AnalyticModel m)
        : m_(std::move(m)) {}

    std::vector<experiments::PointResult>
    evaluate(const experiments::Experiment& e, std::span<const experiments::Point> points,
             const experiments::ResultCallback& on_result = {}) override {
        std::vector<experiments::PointResult> out;
        const auto k = static_cast<std::uint32_t>(m_.a.rows());
        for (const experiments::Point& p : points) {
            experiments::PointResult r;
            r.index = p.index;
            r.replicates = static_cast<std::uint32_t>(e.replicates);
            r.indicators = k;
            r.finals.resize(static_cast<std::size_t>(k) * r.replicates);
            Eigen::VectorXd theta(static_cast<Eigen::Index>(p.values.size()));
            for (std::size_t j = 0; j < p.values.size(); ++j) {
                theta(static_cast<Eigen::Index>(j)) = p.values[j];
            }
            const Eigen::VectorXd mean = m_.a * theta;
            const std::uint64_t seed =
                e.common_random_numbers ? e.seed : e.seed * 0x9E3779B97F4A7C15ULL + p.index + 1;
            for (std::uint32_t rep = 0; rep < r.replicates; ++rep) {
                engine::Stream s(engine::RandomKey{seed, rep}, 0, 0, 77);
                for (std::uint32_t i = 0; i < k; ++i) {
                    r.finals[i * r.replicates + rep] =
                        mean(i) + m_.tau * engine::standard_normal(s);
                }
            }
            ++evaluated;
            if (on_result) {
                on_result(r);
            }
            out.push_back(std::move(r));
        }
        return out;
    }

    std::int64_t evaluated = 0;

private:
    AnalyticModel m_;
};

/// A calibration of the analytic model to figures y (its own scenario is a stub: the analytic
/// evaluator never runs it).
inline experiments::Calibration
analytic_calibration(const AnalyticModel& m, const std::vector<double>& y, std::uint64_t seed) {
    using namespace experiments;
    Calibration c;
    c.name = "analytic";
    auto scenario = std::make_shared<engine::Scenario>();
    scenario->name = "analytic";
    scenario->model = "analytic";
    scenario->text = "analytic";
    c.scenario = scenario;
    c.seed = seed;
    for (Eigen::Index j = 0; j < m.a.cols(); ++j) {
        OverrideTarget t;
        t.name = "theta" + std::to_string(j);
        t.index = static_cast<int>(j);
        c.parameters.push_back(
            FittedParameter{t, Prior(m.prior, m.lower, m.upper), "", "", "test"});
    }
    for (std::size_t i = 0; i < y.size(); ++i) {
        Observation o;
        o.id = "figure_" + std::to_string(i);
        o.mapping = "figure";
        o.row.series = "figure";
        o.row.year = 2000 + static_cast<int>(i);
        o.row.value = y[i];
        o.sd = m.sigma;
        o.indicators = {i};
        c.observations.push_back(o);
    }
    return c;
}

/// The exact posterior mean and covariance (see the file comment) for a normal prior with mean
/// 0 whose truncation is negligible.
inline std::pair<Eigen::VectorXd, Eigen::MatrixXd> exact_posterior(const AnalyticModel& m,
                                                                   const std::vector<double>& y) {
    const double v = m.tau * m.tau + m.sigma * m.sigma;
    const auto d = m.a.cols();
    Eigen::VectorXd yy(static_cast<Eigen::Index>(y.size()));
    for (std::size_t i = 0; i < y.size(); ++i) {
        yy(static_cast<Eigen::Index>(i)) = y[i];
    }
    const Eigen::MatrixXd precision =
        Eigen::MatrixXd::Identity(d, d) / (m.prior.b * m.prior.b) + m.a.transpose() * m.a / v;
    const Eigen::MatrixXd cov = precision.inverse();
    return {cov * m.a.transpose() * yy / v, cov};
}

} // namespace canopy::test
