// The simulated method of moments: batched Nelder-Mead on common random numbers, sandwich
// standard errors, profiles, and the normal approximation carried forward (smm.hpp).
#include "calibration_common.hpp"
#include "text.hpp"

#include <canopy/engine/distributions.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/experiments/smm.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace canopy::experiments {

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// Prior quantiles are kept this far inside (0, 1) so that every point maps to a finite value.
constexpr double U_EDGE = 1e-6;
// The initial simplex: the prior medians and one step of this size along each coordinate.
constexpr double INITIAL_STEP = 0.2;
// A simplex this small in prior-quantile units has converged whatever its values.
constexpr double MIN_SIMPLEX = 1e-5;
constexpr engine::Purpose DRAW = 0xCA11;

struct Evaluated {
    std::vector<double> theta;
    double objective = INF;
    std::vector<double> moments;              // [observation], mean over replicates
    std::vector<std::vector<double>> figures; // [replicate][observation]
};

class Smm {
public:
    Smm(const Calibration& c, Evaluator& evaluator, const CalibrationProgressCallback& progress)
        : c_(c)
        , evaluator_(evaluator)
        , progress_(progress)
        , experiment_(detail::calibration_experiment(c, c.smm.replicates, true, "smm"))
        , start_(std::chrono::steady_clock::now()) {}

    CalibrationResult run() {
        CalibrationResult result = detail::describe(c_);
        const std::size_t d = c_.parameters.size();
        SmmReport report;
        report.replicates = c_.smm.replicates;

        // 1. Nelder-Mead in prior-quantile coordinates.
        std::vector<std::vector<double>> simplex(d + 1, std::vector<double>(d, 0.5));
        for (std::size_t j = 0; j < d; ++j) {
            simplex[j + 1][j] += INITIAL_STEP;
        }
        std::vector<Evaluated> values = evaluate_u(simplex, "simplex", 0);
        int iteration = 0;
        bool converged = false;
        const int max_iterations = c_.smm.max_iterations;
        while (iteration < max_iterations) {
            // Sort the vertices by objective (ties by position, so the order is deterministic).
            std::vector<std::size_t> order(d + 1);
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return values[a].objective < values[b].objective;
            });
            std::vector<std::vector<double>> s2;
            std::vector<Evaluated> v2;
            for (const std::size_t k : order) {
                s2.push_back(simplex[k]);
                v2.push_back(std::move(values[k]));
            }
            simplex = std::move(s2);
            values = std::move(v2);
            if (spread(values) < c_.smm.tolerance || size(simplex) < MIN_SIMPLEX) {
                converged = true;
                break;
            }
            ++iteration;
            std::vector<double> centroid(d, 0.0);
            for (std::size_t k = 0; k < d; ++k) {
                for (std::size_t j = 0; j < d; ++j) {
                    centroid[j] += simplex[k][j] / static_cast<double>(d);
                }
            }
            const std::vector<double>& worst = simplex[d];
            const auto along = [&](double t) {
                std::vector<double> x(d);
                for (std::size_t j = 0; j < d; ++j) {
                    x[j] = std::clamp(centroid[j] + t * (centroid[j] - worst[j]), U_EDGE,
                                      1.0 - U_EDGE);
                }
                return x;
            };
            // Reflection, expansion, outside and inside contraction, as one batch.
            std::vector<std::vector<double>> trial = {along(1.0), along(2.0), along(0.5),
                                                      along(-0.5)};
            std::vector<Evaluated> tv = evaluate_u(trial, "simplex", iteration);
            const double fr = tv[0].objective;
            const double best = values[0].objective;
            const double second_worst = values[d - 1].objective;
            const double fworst = values[d].objective;
            std::optional<std::size_t> take;
            if (fr < best) {
                take = tv[1].objective < fr ? 1 : 0;
            } else if (fr < second_worst) {
                take = 0;
            } else if (fr < fworst) {
                if (tv[2].objective <= fr) {
                    take = 2;
                }
            } else if (tv[3].objective < fworst) {
                take = 3;
            }
            if (take) {
                simplex[d] = trial[*take];
                values[d] = std::move(tv[*take]);
                continue;
            }
            // Shrink towards the best vertex.
            std::vector<std::vector<double>> shrunk;
            for (std::size_t k = 1; k <= d; ++k) {
                std::vector<double> x(d);
                for (std::size_t j = 0; j < d; ++j) {
                    x[j] = simplex[0][j] + 0.5 * (simplex[k][j] - simplex[0][j]);
                }
                shrunk.push_back(x);
            }
            std::vector<Evaluated> sv = evaluate_u(shrunk, "simplex", iteration);
            for (std::size_t k = 1; k <= d; ++k) {
                simplex[k] = shrunk[k - 1];
                values[k] = std::move(sv[k - 1]);
            }
        }
        std::size_t best_k = 0;
        for (std::size_t k = 1; k < values.size(); ++k) {
            if (values[k].objective < values[best_k].objective) {
                best_k = k;
            }
        }
        const Evaluated best = values[best_k];
        report.estimate = best.theta;
        report.objective = best.objective;
        report.iterations = iteration;
        report.converged = converged;
        if (!converged) {
            result.notes.push_back(
                "Nelder-Mead stopped after smm.max_iterations = " + std::to_string(max_iterations) +
                " iterations without meeting smm.tolerance");
        }

        // 2. Standard errors.
        Eigen::MatrixXd v = covariance(best, result);
        report.standard_error.resize(d);
        for (std::size_t j = 0; j < d; ++j) {
            const double var = v(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(j));
            report.standard_error[j] = var >= 0.0 ? std::sqrt(var) : NaN;
        }

        // An estimate at or near an end of its prior: the minimum may lie beyond it, and the
        // normal approximation is cut there, so the interval is not estimate +- 1.645 SE (an
        // outside tester's misfit ended at births_per_month = 5, its prior's low end, with an
        // ordinary standard error and a 90 % interval that left the estimate out).
        for (std::size_t j = 0; j < d; ++j) {
            const Prior& prior = c_.parameters[j].prior;
            const double x = best.theta[j];
            const double u = prior.cdf(x);
            const double se = report.standard_error[j];
            const bool low = !(u >= 0.5);
            const double end = low ? prior.support_lower() : prior.support_upper();
            const bool at_end = !(u > 10.0 * U_EDGE && u < 1.0 - 10.0 * U_EDGE);
            const bool near_end = std::isfinite(se) && std::abs(x - end) < 1.645 * se;
            if (at_end || near_end) {
                result.notes.push_back(
                    c_.parameters[j].target.name + "'s estimate " + detail::number_text(x) +
                    " is " +
                    (at_end ? std::string("at")
                            : "within 1.645 standard errors (" + detail::number_text(se) + ") of") +
                    " the " + (low ? "lower" : "upper") + " end of its prior (" +
                    detail::number_text(end) +
                    "): the best fit may lie beyond it, and the normal approximation is cut "
                    "there, so its interval is not the estimate +- 1.645 standard errors; widen "
                    "the prior if such values are possible, or read the misfit as the model's");
            }
        }

        // 3. The objective along each parameter.
        profiles(best, report);

        // 4. Draws from the normal approximation: the posterior carried forward and the
        // projection of every figure.
        project(best, v, result);
        report.evaluations = evaluations_;
        result.smm = std::move(report);
        result.simulations = simulations_;
        result.wall_seconds = detail::seconds_since(start_);
        result.simulate_seconds = simulate_seconds_;
        result.simulations_per_second =
            result.wall_seconds > 0.0 ? static_cast<double>(simulations_) / result.wall_seconds
                                      : 0.0;
        return result;
    }

private:
    static double spread(const std::vector<Evaluated>& v) {
        double lo = INF;
        double hi = -INF;
        for (const Evaluated& e : v) {
            lo = std::min(lo, e.objective);
            hi = std::max(hi, e.objective);
        }
        return std::isfinite(hi) ? hi - lo : INF;
    }

    static double size(const std::vector<std::vector<double>>& simplex) {
        double out = 0.0;
        for (std::size_t k = 1; k < simplex.size(); ++k) {
            for (std::size_t j = 0; j < simplex[k].size(); ++j) {
                out = std::max(out, std::fabs(simplex[k][j] - simplex[0][j]));
            }
        }
        return out;
    }

    std::vector<double> theta_of(const std::vector<double>& u) const {
        std::vector<double> theta(u.size());
        for (std::size_t j = 0; j < u.size(); ++j) {
            theta[j] = c_.parameters[j].prior.quantile(std::clamp(u[j], U_EDGE, 1.0 - U_EDGE));
        }
        return theta;
    }

    // The objective of moments m: sum of squared standardised residuals of the fitted figures.
    double objective(const std::vector<double>& m) const {
        double j = 0.0;
        for (const std::size_t k : c_.fitted()) {
            const double z = residual(c_.observations[k], m[k]);
            if (std::isnan(z)) {
                return INF;
            }
            j += z * z;
        }
        return j;
    }

    std::vector<Evaluated> evaluate_u(const std::vector<std::vector<double>>& us,
                                      const std::string& stage, int iteration) {
        std::vector<std::vector<double>> thetas;
        for (const auto& u : us) {
            thetas.push_back(theta_of(u));
        }
        return evaluate_theta(thetas, stage, iteration);
    }

    std::vector<Evaluated> evaluate_theta(const std::vector<std::vector<double>>& thetas,
                                          const std::string& stage, int iteration) {
        std::vector<Point> points(thetas.size());
        for (std::size_t i = 0; i < thetas.size(); ++i) {
            points[i].index = static_cast<std::uint64_t>(evaluations_) + i;
            points[i].values = thetas[i];
        }
        const std::int64_t reps = c_.smm.replicates;
        if (progress_) {
            CalibrationProgress p;
            p.stage = stage;
            p.done = iteration;
            p.wanted = c_.smm.max_iterations;
            p.simulations = simulations_;
            progress_(p);
        }
        const std::vector<PointResult> results = evaluator_.evaluate(experiment_, points);
        evaluations_ += static_cast<std::int64_t>(points.size());
        simulations_ += static_cast<std::int64_t>(points.size()) * reps;
        std::vector<Evaluated> out(points.size());
        for (std::size_t i = 0; i < points.size(); ++i) {
            simulate_seconds_ += results[i].simulate_seconds;
            Evaluated& e = out[i];
            e.theta = thetas[i];
            e.figures = detail::simulated_figures(c_, results[i]);
            e.moments.assign(c_.observations.size(), 0.0);
            for (const auto& f : e.figures) {
                for (std::size_t k = 0; k < f.size(); ++k) {
                    e.moments[k] += f[k] / static_cast<double>(e.figures.size());
                }
            }
            e.objective = objective(e.moments);
        }
        return out;
    }

    // The sandwich covariance of the estimate (smm.hpp); NaN entries when not identified.
    Eigen::MatrixXd covariance(const Evaluated& best, CalibrationResult& result) {
        const std::size_t d = c_.parameters.size();
        const auto D = static_cast<Eigen::Index>(d);
        // The figures that bind: fitted, and for a lower bound only when it is not met.
        std::vector<std::size_t> active;
        for (const std::size_t k : c_.fitted()) {
            const Observation& o = c_.observations[k];
            if (!o.lower_bound || best.moments[k] < o.row.value) {
                active.push_back(k);
            }
        }
        const auto K = static_cast<Eigen::Index>(active.size());
        Eigen::MatrixXd nan_matrix = Eigen::MatrixXd::Constant(D, D, NaN);
        if (active.empty()) {
            result.notes.push_back("no fitted figure binds at the estimate (every lower bound is "
                                   "met): the standard errors are not defined");
            return nan_matrix;
        }
        // Central differences, one step of 5 % of each prior's interquartile range.
        std::vector<std::vector<double>> thetas;
        std::vector<double> steps(d);
        for (std::size_t j = 0; j < d; ++j) {
            const Prior& p = c_.parameters[j].prior;
            double h = 0.05 * (p.quantile(0.75) - p.quantile(0.25));
            if (!(h > 0.0)) {
                h = 1e-3 * std::max(1.0, std::fabs(best.theta[j]));
            }
            std::vector<double> up = best.theta;
            std::vector<double> down = best.theta;
            up[j] = std::min(best.theta[j] + h, p.support_upper());
            down[j] = std::max(best.theta[j] - h, p.support_lower());
            steps[j] = up[j] - down[j];
            thetas.push_back(up);
            thetas.push_back(down);
        }
        const std::vector<Evaluated> diffs = evaluate_theta(thetas, "standard errors", 0);
        Eigen::MatrixXd g(K, D);
        for (std::size_t j = 0; j < d; ++j) {
            for (Eigen::Index a = 0; a < K; ++a) {
                const std::size_t k = active[static_cast<std::size_t>(a)];
                g(a, static_cast<Eigen::Index>(j)) =
                    steps[j] > 0.0
                        ? (diffs[2 * j].moments[k] - diffs[2 * j + 1].moments[k]) / steps[j]
                        : 0.0;
            }
        }
        // Omega = diag(sd^2) + (1 + 1/R) Sigma_sim.
        const auto r = static_cast<double>(best.figures.size());
        Eigen::MatrixXd omega = Eigen::MatrixXd::Zero(K, K);
        for (Eigen::Index a = 0; a < K; ++a) {
            const std::size_t ka = active[static_cast<std::size_t>(a)];
            omega(a, a) += c_.observations[ka].sd * c_.observations[ka].sd;
            for (Eigen::Index b = 0; b < K; ++b) {
                const std::size_t kb = active[static_cast<std::size_t>(b)];
                double cov = 0.0;
                for (const auto& f : best.figures) {
                    cov += (f[ka] - best.moments[ka]) * (f[kb] - best.moments[kb]);
                }
                cov /= std::max(1.0, r - 1.0);
                omega(a, b) += (1.0 + 1.0 / r) * cov;
            }
        }
        Eigen::VectorXd w(K);
        for (Eigen::Index a = 0; a < K; ++a) {
            const double sd = c_.observations[active[static_cast<std::size_t>(a)]].sd;
            w(a) = 1.0 / (sd * sd);
        }
        const Eigen::MatrixXd gw = g.transpose() * w.asDiagonal();
        const Eigen::MatrixXd bread = gw * g;
        const Eigen::FullPivLU<Eigen::MatrixXd> lu(bread);
        if (!lu.isInvertible() || !bread.allFinite()) {
            result.notes.push_back(
                "the fitted figures do not move with every parameter at the estimate (G'WG is "
                "singular): some parameters are not identified and have no standard error");
            return nan_matrix;
        }
        const Eigen::MatrixXd inv = lu.inverse();
        return inv * (gw * omega * gw.transpose()) * inv;
    }

    void profiles(const Evaluated& best, SmmReport& report) {
        const std::size_t d = c_.parameters.size();
        const int p = c_.smm.profile_points;
        std::vector<std::vector<double>> thetas;
        report.profile_values.assign(d, {});
        for (std::size_t j = 0; j < d; ++j) {
            const Prior& prior = c_.parameters[j].prior;
            double half = 3.0 * report.standard_error[j];
            if (!(half > 0.0) || !std::isfinite(half)) {
                half = prior.quantile(0.75) - prior.quantile(0.25);
            }
            for (int k = 0; k < p; ++k) {
                const double t = -1.0 + 2.0 * static_cast<double>(k) / static_cast<double>(p - 1);
                std::vector<double> theta = best.theta;
                theta[j] = std::clamp(best.theta[j] + t * half, prior.support_lower(),
                                      prior.support_upper());
                report.profile_values[j].push_back(theta[j]);
                thetas.push_back(theta);
            }
        }
        const std::vector<Evaluated> v = evaluate_theta(thetas, "profile", 0);
        report.profile_objective.assign(d, {});
        for (std::size_t j = 0; j < d; ++j) {
            for (int k = 0; k < p; ++k) {
                report.profile_objective[j].push_back(
                    v[j * static_cast<std::size_t>(p) + static_cast<std::size_t>(k)].objective);
            }
        }
    }

    void project(const Evaluated& best, const Eigen::MatrixXd& v, CalibrationResult& result) {
        const std::size_t d = c_.parameters.size();
        const int m = c_.smm.posterior_draws;
        std::vector<std::vector<double>> draws;
        Eigen::LLT<Eigen::MatrixXd> llt(v);
        const bool spread = v.allFinite() && llt.info() == Eigen::Success;
        if (!spread) {
            result.notes.push_back("without finite standard errors the posterior carried "
                                   "forward is the estimate alone (no parameter uncertainty)");
        }
        const Eigen::MatrixXd l = spread ? Eigen::MatrixXd(llt.matrixL()) : Eigen::MatrixXd();
        for (int i = 0; i < m; ++i) {
            std::vector<double> theta = best.theta;
            if (spread) {
                for (int attempt = 0; attempt < 1000; ++attempt) {
                    const engine::RandomKey key{c_.seed, 0xC0000000U};
                    engine::Stream s(key, static_cast<std::uint32_t>(i),
                                     static_cast<std::uint32_t>(attempt), DRAW);
                    Eigen::VectorXd z(static_cast<Eigen::Index>(d));
                    for (std::size_t j = 0; j < d; ++j) {
                        z(static_cast<Eigen::Index>(j)) = engine::standard_normal(s);
                    }
                    const Eigen::VectorXd x = l * z;
                    bool inside = true;
                    for (std::size_t j = 0; j < d; ++j) {
                        theta[j] = best.theta[j] + x(static_cast<Eigen::Index>(j));
                        inside = inside && c_.parameters[j].prior.contains(theta[j]);
                    }
                    if (inside) {
                        break;
                    }
                    for (std::size_t j = 0; j < d; ++j) {
                        theta[j] = std::clamp(theta[j], c_.parameters[j].prior.support_lower(),
                                              c_.parameters[j].prior.support_upper());
                    }
                }
            }
            draws.push_back(theta);
        }
        // One run per draw on fresh streams: parameter and run-to-run uncertainty together.
        Experiment projection = detail::calibration_experiment(c_, 1, false, "smm-projection");
        std::vector<Point> points(draws.size());
        for (std::size_t i = 0; i < draws.size(); ++i) {
            points[i].index = i;
            points[i].values = draws[i];
        }
        if (progress_) {
            CalibrationProgress p;
            p.stage = "projection";
            p.simulations = simulations_;
            progress_(p);
        }
        const std::vector<PointResult> results = evaluator_.evaluate(projection, points);
        simulations_ += static_cast<std::int64_t>(points.size());
        std::vector<std::vector<double>> samples;
        for (const PointResult& r : results) {
            simulate_seconds_ += r.simulate_seconds;
            samples.push_back(detail::simulated_figures(c_, r).front());
        }
        const std::vector<double> weights(draws.size(), 1.0 / static_cast<double>(draws.size()));
        result.figures = detail::figure_fits(c_, samples, weights);
        for (const auto& theta : draws) {
            result.particles.insert(result.particles.end(), theta.begin(), theta.end());
        }
        result.weights = weights;
        result.summarise();
        result.notes.push_back(
            "the posterior is the normal approximation N(estimate, V) of the "
            "method of moments, truncated to the priors' support (their bounds, and where "
            "their distributions have mass)");
    }

    const Calibration& c_;
    Evaluator& evaluator_;
    const CalibrationProgressCallback& progress_;
    Experiment experiment_;
    std::chrono::steady_clock::time_point start_;
    std::int64_t evaluations_ = 0;
    std::int64_t simulations_ = 0;
    double simulate_seconds_ = 0.0;
};

} // namespace

CalibrationResult run_smm(const Calibration& calibration, Evaluator& evaluator,
                          const CalibrationProgressCallback& progress) {
    return Smm(calibration, evaluator, progress).run();
}

} // namespace canopy::experiments
