// ABC-SMC with stochastic acceptance and an adaptive temperature schedule (abc_smc.hpp).
#include "calibration_common.hpp"

#include <canopy/engine/distributions.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/experiments/abc_smc.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace canopy::experiments {

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// Random-stream purposes of the sampler itself (the model's runs have their own keys).
constexpr engine::Purpose PROPOSE = 0xCA01;
constexpr engine::Purpose RESAMPLE = 0xCA03;

// A proposal that keeps landing outside the bounds this often means the population sits
// against a bound with a kernel far wider than the room left; say so instead of looping.
constexpr int MAX_PROPOSAL_ATTEMPTS = 10'000;

// The lowest inverse temperature the schedule considers: exp(-60).
constexpr double MIN_LOG_BETA = -60.0;

// Weights below this share of the largest are left out of the result (their mass is nil).
constexpr double NEGLIGIBLE_WEIGHT = 1e-12;

// Three significant digits, for messages.
std::string sig3(double x) {
    return fmt::format("{:.3g}", x);
}

// Three significant digits, rounded down: a bound said to lie below x must (0.9999995 is not
// "below 1").
std::string sig3_below(double x) {
    if (!(x > 0.0) || !std::isfinite(x)) {
        return sig3(x);
    }
    const double scale = std::pow(10.0, std::floor(std::log10(x)) - 2.0);
    return fmt::format("{:.3g}", std::floor(x / scale) * scale);
}

// A setting as the file wrote it (shortest exact form): 0.999999 is not "1", 1e-7 not
// "0.000000".
std::string as_written(double x) {
    return fmt::format("{}", x);
}

// The sampler's stream for candidate i of generation g.
engine::Stream stream(std::uint64_t seed, int g, std::uint32_t i, std::uint32_t attempt,
                      engine::Purpose purpose) {
    const engine::RandomKey key{seed, 0x80000000U + static_cast<std::uint32_t>(g)};
    return engine::Stream(key, i, attempt, purpose);
}

// One evaluated candidate.
struct Candidate {
    std::vector<double> theta;
    std::vector<double> loglik;               // [replicate]
    std::vector<std::vector<double>> figures; // [replicate][observation]
    double log_proposal_ratio = 0.0;          // log prior - log proposal density
};

// log of the candidate's kernel weight at inverse temperature beta: the mean over its runs of
// L^beta (its runs' likelihoods averaged, so several runs estimate the same quantity).
double log_kernel(const std::vector<double>& loglik, double beta) {
    double top = -INF;
    for (const double l : loglik) {
        top = std::max(top, beta * l);
    }
    if (!std::isfinite(top)) {
        return -INF;
    }
    double sum = 0.0;
    for (const double l : loglik) {
        sum += std::exp(beta * l - top);
    }
    return top + std::log(sum / static_cast<double>(loglik.size()));
}

// Effective sample size of weights given as logs: (sum w)^2 / sum w^2, scaled by the largest.
double ess_of(const std::vector<double>& log_weights) {
    double top = -INF;
    for (const double l : log_weights) {
        top = std::max(top, l);
    }
    if (!std::isfinite(top)) {
        return 0.0;
    }
    double sum = 0.0;
    double sum2 = 0.0;
    for (const double l : log_weights) {
        const double w = std::exp(l - top);
        sum += w;
        sum2 += w * w;
    }
    return sum * sum / sum2;
}

// One generation: its candidates and their normalised weights at its temperature.
struct Population {
    std::vector<Candidate> particles;
    std::vector<double> weights;
    double temperature = INF;
    double ess = 0.0;
};

// The lowest temperature in [1, upper] at which the population reweighted from its own
// temperature keeps `fraction` of its effective sample size: bisection on log(1 / T).
double next_temperature(const Population& pop, double upper, double fraction) {
    const double beta_now = 1.0 / pop.temperature;
    const double target = fraction * pop.ess;
    const auto ess_at = [&](double log_beta) {
        const double beta = std::exp(log_beta);
        std::vector<double> lw(pop.particles.size());
        for (std::size_t k = 0; k < lw.size(); ++k) {
            lw[k] = pop.weights[k] > 0.0
                        ? std::log(pop.weights[k]) + log_kernel(pop.particles[k].loglik, beta) -
                              log_kernel(pop.particles[k].loglik, beta_now)
                        : -INF;
        }
        return ess_of(lw);
    };
    const double lo_bound = -std::log(upper); // log beta at the upper temperature
    if (ess_at(0.0) >= target) {
        return 1.0;
    }
    double lo = lo_bound; // ess_at(lo) is the largest on offer
    double hi = 0.0;
    if (!(ess_at(lo) >= target)) {
        return upper;
    }
    for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        if (ess_at(mid) >= target) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return std::exp(-lo);
}

// How wide a prior is where it has its mass: its central 99.8 %, as truncated by its bounds;
// 0 when that is not a finite positive width.
double prior_width(const Prior& p) {
    const double width = p.quantile(0.999) - p.quantile(0.001);
    return std::isfinite(width) && width > 0.0 ? width : 0.0;
}

// The Gaussian mixture proposal around a population: `centres` resampled from it (equal
// weights), covariance Sigma = 2 x its weighted covariance.
struct Proposal {
    std::vector<std::vector<double>> centres;
    Eigen::MatrixXd chol;         // lower Cholesky factor L of Sigma
    Eigen::MatrixXd chol_inverse; // L^-1
    std::vector<double> whitened; // [centre * d + j]: L^-1 centre

    Proposal(const Population& pop, const std::vector<FittedParameter>& parameters,
             std::size_t count, std::uint64_t seed, int generation) {
        const std::size_t d = parameters.size();
        const std::size_t n = pop.particles.size();
        const auto D = static_cast<Eigen::Index>(d);
        Eigen::VectorXd mean = Eigen::VectorXd::Zero(D);
        for (std::size_t k = 0; k < n; ++k) {
            for (std::size_t j = 0; j < d; ++j) {
                mean(static_cast<Eigen::Index>(j)) += pop.weights[k] * pop.particles[k].theta[j];
            }
        }
        Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(D, D);
        Eigen::VectorXd x(D);
        for (std::size_t k = 0; k < n; ++k) {
            for (std::size_t j = 0; j < d; ++j) {
                x(static_cast<Eigen::Index>(j)) =
                    pop.particles[k].theta[j] - mean(static_cast<Eigen::Index>(j));
            }
            cov += pop.weights[k] * x * x.transpose();
        }
        Eigen::MatrixXd sigma = 2.0 * cov;
        // A direction without spread (all particles equal in it) gets a small one, relative
        // to the prior's own width (its central 99.8 %, as truncated by the bounds) or the
        // value, so the kernel can still move. Not the bounds' width: a parameter left at the
        // model's range (births_per_month, [0, 1e9]) got steps of at least 1,000 firms a month
        // under a prior of uniform(5, 40), so its proposals were nearly the prior itself.
        for (std::size_t j = 0; j < d; ++j) {
            const auto jj = static_cast<Eigen::Index>(j);
            const double width = prior_width(parameters[j].prior);
            const double floor = 1e-6 * (width > 0.0 ? width : std::fabs(mean(jj)) + 1.0);
            sigma(jj, jj) = std::max(sigma(jj, jj), floor * floor);
        }
        Eigen::LLT<Eigen::MatrixXd> llt(sigma);
        double jitter = 1e-10;
        while (llt.info() != Eigen::Success && jitter < 1e6) {
            for (Eigen::Index j = 0; j < D; ++j) {
                sigma(j, j) += jitter * (sigma(j, j) + 1e-300);
            }
            llt.compute(sigma);
            jitter *= 10.0;
        }
        if (llt.info() != Eigen::Success) {
            throw Error("ABC-SMC: the particles' covariance is not positive definite");
        }
        chol = llt.matrixL();
        chol_inverse = chol.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(D, D));
        // Systematic resampling: one uniform, `count` evenly spaced points on the weights.
        engine::Stream s = stream(seed, generation, 0xFFFFFFFFU, 0, RESAMPLE);
        const double u = engine::uniform01(s);
        double running = 0.0;
        std::size_t k = 0;
        for (std::size_t c = 0; c < count; ++c) {
            const double point = (static_cast<double>(c) + u) / static_cast<double>(count);
            while (k + 1 < n && running + pop.weights[k] < point) {
                running += pop.weights[k];
                ++k;
            }
            centres.push_back(pop.particles[k].theta);
        }
        whitened.resize(centres.size() * d);
        for (std::size_t c = 0; c < centres.size(); ++c) {
            const std::vector<double> w = whiten(centres[c]);
            std::copy(w.begin(), w.end(), whitened.begin() + static_cast<std::ptrdiff_t>(c * d));
        }
    }

    [[nodiscard]] std::vector<double> whiten(const std::vector<double>& theta) const {
        const auto d = static_cast<Eigen::Index>(theta.size());
        std::vector<double> out(theta.size(), 0.0);
        for (Eigen::Index i = 0; i < d; ++i) {
            double sum = 0.0;
            for (Eigen::Index j = 0; j <= i; ++j) {
                sum += chol_inverse(i, j) * theta[static_cast<std::size_t>(j)];
            }
            out[static_cast<std::size_t>(i)] = sum;
        }
        return out;
    }

    // log of the mixture density at theta, up to a constant shared by every theta.
    [[nodiscard]] double log_density(const std::vector<double>& theta) const {
        const std::size_t d = theta.size();
        const std::vector<double> white = whiten(theta);
        std::vector<double> terms(centres.size());
        double top = -INF;
        for (std::size_t c = 0; c < centres.size(); ++c) {
            const double* centre = whitened.data() + c * d;
            double q = 0.0;
            for (std::size_t j = 0; j < d; ++j) {
                const double x = white[j] - centre[j];
                q += x * x;
            }
            terms[c] = -0.5 * q;
            top = std::max(top, terms[c]);
        }
        double sum = 0.0;
        for (const double t : terms) {
            sum += std::exp(t - top);
        }
        return top + std::log(sum);
    }

    // A draw: a centre, then a Gaussian step.
    [[nodiscard]] std::vector<double> draw(engine::Stream& s) const {
        const auto d = static_cast<std::size_t>(chol.rows());
        const auto c = static_cast<std::size_t>(engine::index_below(s.next_u64(), centres.size()));
        Eigen::VectorXd z(static_cast<Eigen::Index>(d));
        for (std::size_t j = 0; j < d; ++j) {
            z(static_cast<Eigen::Index>(j)) = engine::standard_normal(s);
        }
        const Eigen::VectorXd step = chol * z;
        std::vector<double> theta(d);
        for (std::size_t j = 0; j < d; ++j) {
            theta[j] = centres[c][j] + step(static_cast<Eigen::Index>(j));
        }
        return theta;
    }
};

class Sampler {
public:
    Sampler(const Calibration& c, Evaluator& evaluator, const CalibrationProgressCallback& progress)
        : c_(c)
        , evaluator_(evaluator)
        , progress_(progress)
        , experiment_(abc_smc_experiment(c))
        , start_(std::chrono::steady_clock::now()) {}

    CalibrationResult run() {
        CalibrationResult result = detail::describe(c_);
        const AbcSmcOptions& o = c_.abc;
        std::optional<Population> previous;
        Outcome stopped = Outcome::complete;
        for (int g = 0; g < o.max_generations; ++g) {
            const auto gen_start = std::chrono::steady_clock::now();
            GenerationRecord record;
            record.generation = g;
            std::optional<Population> next =
                generation(g, previous ? &*previous : nullptr, record, stopped);
            record.seconds = detail::seconds_since(gen_start);
            if (!next) {
                break;
            }
            result.generations.push_back(record);
            const bool at_one = next->temperature <= 1.0;
            previous = std::move(next);
            if (at_one) {
                break;
            }
        }
        if (!previous) {
            throw first_generation_stopped(stopped);
        }
        const Population& pop = *previous;
        result.exact = pop.temperature <= 1.0;
        result.final_temperature = pop.temperature;
        const std::string kept = "; the last complete generation is kept, at temperature " +
                                 sig3(pop.temperature) + " (tolerance " +
                                 sig3(std::sqrt(pop.temperature)) +
                                 "): an approximate posterior, wider than the exact one";
        if (stopped == Outcome::low_acceptance) {
            result.notes.push_back(
                "generation " + std::to_string(result.generations.size()) +
                " stopped: fewer than abc_smc.min_acceptance = " + as_written(o.min_acceptance) +
                " of its runs counted (runs vary more from one to the next "
                "than the figures' errors allow)" +
                kept);
        }
        if (stopped == Outcome::budget) {
            result.budget_ran_out = true;
            result.notes.push_back("the simulation budget (abc_smc.max_simulations = " +
                                   std::to_string(o.max_simulations) +
                                   ") ran out during generation " +
                                   std::to_string(result.generations.size()) + kept);
        }
        // The particles: every candidate of the last generation with a weight that counts.
        double top = 0.0;
        for (const double w : pop.weights) {
            top = std::max(top, w);
        }
        std::vector<std::vector<double>> samples;
        std::vector<double> sample_weights;
        const double beta = 1.0 / pop.temperature;
        for (std::size_t k = 0; k < pop.particles.size(); ++k) {
            if (!(pop.weights[k] > NEGLIGIBLE_WEIGHT * top)) {
                continue;
            }
            const Candidate& p = pop.particles[k];
            result.particles.insert(result.particles.end(), p.theta.begin(), p.theta.end());
            result.weights.push_back(pop.weights[k]);
            // Posterior predictive of every figure: each run of the candidate, weighted by its
            // share of the candidate's kernel.
            const double lk = log_kernel(p.loglik, beta);
            for (std::size_t r = 0; r < p.loglik.size(); ++r) {
                samples.push_back(p.figures[r]);
                sample_weights.push_back(pop.weights[k] * std::exp(beta * p.loglik[r] - lk) /
                                         static_cast<double>(p.loglik.size()));
            }
        }
        double total = 0.0;
        for (const double w : result.weights) {
            total += w;
        }
        for (double& w : result.weights) {
            w /= total;
        }
        result.summarise();
        result.figures = detail::figure_fits(c_, samples, sample_weights);
        result.simulations = simulations_;
        result.wall_seconds = detail::seconds_since(start_);
        result.simulate_seconds = simulate_seconds_;
        result.simulations_per_second =
            result.wall_seconds > 0.0 ? static_cast<double>(simulations_) / result.wall_seconds
                                      : 0.0;
        return result;
    }

private:
    // A candidate's parameters: from the prior (generation 0) or the proposal, inside bounds.
    std::vector<double> propose(int g, std::uint32_t i, const Proposal* proposal) const {
        const std::size_t d = c_.parameters.size();
        if (proposal == nullptr) {
            engine::Stream s = stream(c_.seed, g, i, 0, PROPOSE);
            std::vector<double> theta(d);
            for (std::size_t j = 0; j < d; ++j) {
                theta[j] = c_.parameters[j].prior.quantile(engine::uniform01(s));
            }
            return theta;
        }
        std::vector<std::size_t> outside(d, 0); // per parameter: the tries it fell outside
        for (int attempt = 0; attempt < MAX_PROPOSAL_ATTEMPTS; ++attempt) {
            engine::Stream s = stream(c_.seed, g, i, static_cast<std::uint32_t>(attempt), PROPOSE);
            std::vector<double> theta = proposal->draw(s);
            bool inside = true;
            for (std::size_t j = 0; j < d; ++j) {
                if (!std::isfinite(c_.parameters[j].prior.log_density(theta[j]))) {
                    inside = false;
                    ++outside[j];
                }
            }
            if (inside) {
                return theta;
            }
        }
        // Name the parameter whose prior the proposals leave most, and where its prior lies.
        const auto worst = static_cast<std::size_t>(
            std::max_element(outside.begin(), outside.end()) - outside.begin());
        const FittedParameter& p = c_.parameters[worst];
        throw Error(fmt::format(
            "ABC-SMC: proposals for generation {} keep falling outside the prior of {} ({} of "
            "{} tries; 99.8 % of its mass lies in [{:.6g}, {:.6g}], within the bounds [{:.6g}, "
            "{:.6g}]): "
            "the posterior presses against the prior's edge; widen the prior, or its bounds, if "
            "the model allows",
            g, p.target.name, outside[worst], MAX_PROPOSAL_ATTEMPTS, p.prior.quantile(0.001),
            p.prior.quantile(0.999), p.prior.lower(), p.prior.upper()));
    }

    double log_prior(const std::vector<double>& theta) const {
        double total = 0.0;
        for (std::size_t j = 0; j < theta.size(); ++j) {
            total += c_.parameters[j].prior.log_density(theta[j]);
        }
        return total;
    }

    // Evaluates candidates first .. first + count - 1 of generation g.
    std::vector<Candidate> evaluate(int g, std::uint32_t first, std::uint32_t count,
                                    const Proposal* proposal, double temperature, double ess_now,
                                    double efficiency) {
        std::vector<Point> points(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            points[i].index = (static_cast<std::uint64_t>(g) << 32) | (first + i);
            points[i].values = propose(g, first + i, proposal);
        }
        const auto batch_start = std::chrono::steady_clock::now();
        const std::int64_t sims_before = simulations_;
        std::int64_t done_in_batch = 0;
        const std::int64_t reps = c_.abc.replicates_per_particle;
        const auto wanted = static_cast<double>(c_.abc.particles);
        const auto report = [&] {
            if (!progress_) {
                return;
            }
            CalibrationProgress p;
            p.stage = "generation " + std::to_string(g);
            p.generation = g;
            p.tolerance = std::sqrt(temperature);
            p.acceptance_rate = efficiency;
            p.done = static_cast<std::int64_t>(ess_now);
            p.wanted = c_.abc.particles;
            p.simulations = sims_before + done_in_batch * reps;
            const double per_sim = done_in_batch > 0 ? detail::seconds_since(batch_start) /
                                                           static_cast<double>(done_in_batch * reps)
                                                     : NaN;
            const double left_runs = std::max(0.0, wanted - ess_now) / std::max(efficiency, 1e-4) *
                                         static_cast<double>(reps) -
                                     static_cast<double>(done_in_batch * reps);
            p.seconds_left = per_sim * std::max(0.0, left_runs);
            progress_(p);
        };
        report();
        const std::vector<PointResult> results =
            evaluator_.evaluate(experiment_, points, [&](const PointResult&) {
                ++done_in_batch;
                report();
            });
        simulations_ += static_cast<std::int64_t>(count) * reps;
        std::vector<Candidate> out(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            simulate_seconds_ += results[i].simulate_seconds;
            out[i].theta = points[i].values;
            out[i].figures = detail::simulated_figures(c_, results[i]);
            for (const auto& figures : out[i].figures) {
                out[i].loglik.push_back(detail::fitted_log_likelihood(c_, figures));
            }
            out[i].log_proposal_ratio =
                proposal == nullptr ? 0.0
                                    : log_prior(out[i].theta) - proposal->log_density(out[i].theta);
        }
        return out;
    }

    // Why a generation did not complete.
    enum class Outcome { complete, budget, low_acceptance };

    // One generation: nullopt (with `outcome` saying why) when it could not be completed.
    std::optional<Population> generation(int g, const Population* previous,
                                         GenerationRecord& record, Outcome& outcome) {
        outcome = Outcome::complete;
        const AbcSmcOptions& o = c_.abc;
        const std::int64_t reps = o.replicates_per_particle;
        const auto n = static_cast<std::size_t>(o.particles);
        std::vector<Candidate> candidates;
        std::optional<Proposal> proposal;
        double temperature = INF;
        double efficiency = o.ess_fraction;
        if (previous == nullptr) {
            // The pilot: the first n prior candidates, as a population at infinite temperature,
            // set the first temperature.
            if (simulations_ + static_cast<std::int64_t>(n) * reps > o.max_simulations) {
                outcome = Outcome::budget;
                return std::nullopt;
            }
            candidates =
                evaluate(g, 0, static_cast<std::uint32_t>(n), nullptr, INF, 0.0, efficiency);
            record.simulations += static_cast<std::int64_t>(n) * reps;
            Population pilot;
            pilot.temperature = INF;
            pilot.ess = static_cast<double>(n);
            pilot.weights.assign(n, 1.0 / static_cast<double>(n));
            bool any = false;
            for (const Candidate& cand : candidates) {
                any = any || std::isfinite(log_kernel(cand.loglik, 1.0));
            }
            if (!any) {
                throw Error("ABC-SMC: no run of the first " + std::to_string(n) +
                            " prior candidates gave finite simulated figures");
            }
            pilot.particles = candidates; // copies: the pilot stays part of the generation
            temperature = o.max_generations == 1
                              ? 1.0
                              : next_temperature(pilot, std::exp(-MIN_LOG_BETA), o.ess_fraction);
        } else {
            const int left = o.max_generations - g; // generations left, this one included
            const double by_decay =
                left <= 1 ? 1.0
                          : std::pow(previous->temperature,
                                     static_cast<double>(left - 1) / static_cast<double>(left));
            temperature = next_temperature(*previous, std::min(by_decay, previous->temperature),
                                           o.ess_fraction);
            proposal.emplace(*previous, c_.parameters, n, c_.seed, g);
            // Cooling usually costs about a quarter of the previous efficiency.
            const double last = static_cast<double>(previous->particles.size());
            efficiency = std::max(1e-4, 0.75 * previous->ess / last);
        }
        record.temperature = temperature;
        record.tolerance = std::sqrt(temperature);
        const double beta = 1.0 / temperature;

        // Draw until the candidates' effective sample size reaches n: the shortest prefix, in
        // index order, that does (running sums rescaled whenever the largest weight changes, so
        // the sums depend on the prefix alone).
        std::vector<double> log_w;
        double top = -INF;
        double sum = 0.0;
        double sum2 = 0.0;
        std::size_t used = 0;
        bool reached = false;
        bool hopeless = false;
        std::size_t checkpoint = 4 * n; // then 8n, 16n, ...: a prefix decides, not a batch
        const auto absorb = [&] {
            while (used < candidates.size() && !reached && !hopeless) {
                const Candidate& cand = candidates[used];
                const double lw = cand.log_proposal_ratio + log_kernel(cand.loglik, beta);
                log_w.push_back(lw);
                ++used;
                if (std::isfinite(lw)) {
                    if (lw > top) {
                        const double scale = std::isfinite(top) ? std::exp(top - lw) : 0.0;
                        sum *= scale;
                        sum2 *= scale * scale;
                        top = lw;
                    }
                    const double w = std::exp(lw - top);
                    sum += w;
                    sum2 += w * w;
                }
                const double ess = sum2 > 0.0 ? sum * sum / sum2 : 0.0;
                reached = ess >= static_cast<double>(n);
                if (!reached && used == checkpoint) {
                    // The stopping rule: too few runs count at this temperature.
                    hopeless = ess < o.min_acceptance * static_cast<double>(used);
                    checkpoint *= 2;
                }
            }
        };
        absorb();
        bool first_batch = true;
        while (!reached) {
            if (hopeless) {
                outcome = Outcome::low_acceptance;
                stalled_candidates_ = static_cast<std::int64_t>(used);
                stalled_ess_ = sum2 > 0.0 ? sum * sum / sum2 : 0.0;
                return std::nullopt;
            }
            const double ess = sum2 > 0.0 ? sum * sum / sum2 : 0.0;
            const double observed = used > 0 && ess > 0.0 ? ess / static_cast<double>(used) : 0.0;
            const double rate = observed > 0.0 ? observed : efficiency;
            efficiency = rate;
            // Aim a little short with the first batch, a little past with the others, so that
            // few runs are made beyond the candidate that completes the generation.
            const double aim = first_batch && observed == 0.0 ? 0.8 : 1.1;
            first_batch = false;
            std::int64_t count = static_cast<std::int64_t>(std::ceil(
                                     aim * (static_cast<double>(n) - ess) / std::max(rate, 1e-4))) +
                                 4;
            count = std::clamp<std::int64_t>(count, 8, 50 * static_cast<std::int64_t>(n));
            const std::int64_t affordable = (o.max_simulations - simulations_) / reps;
            count = std::min(count, affordable);
            if (count <= 0) {
                outcome = Outcome::budget;
                stalled_candidates_ = static_cast<std::int64_t>(used);
                stalled_ess_ = ess;
                return std::nullopt;
            }
            const std::size_t first = candidates.size();
            if (static_cast<std::int64_t>(first) + count > 0xFFFFFFFFLL) {
                throw Error("ABC-SMC: generation " + std::to_string(g) +
                            " needs more than 2^32 candidates");
            }
            std::vector<Candidate> batch =
                evaluate(g, static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(count),
                         proposal ? &*proposal : nullptr, temperature, ess, rate);
            record.simulations += count * reps;
            for (Candidate& cand : batch) {
                candidates.push_back(std::move(cand));
            }
            absorb();
        }
        candidates.resize(used);
        Population pop;
        pop.temperature = temperature;
        pop.particles = std::move(candidates);
        pop.weights.resize(used);
        double total = 0.0;
        for (std::size_t k = 0; k < used; ++k) {
            pop.weights[k] = std::isfinite(log_w[k]) ? std::exp(log_w[k] - top) : 0.0;
            total += pop.weights[k];
        }
        double total2 = 0.0;
        for (double& w : pop.weights) {
            w /= total;
            total2 += w * w;
        }
        pop.ess = 1.0 / total2;
        record.candidates = static_cast<std::int64_t>(used);
        record.ess = pop.ess;
        record.acceptance_rate = pop.ess / static_cast<double>(used);
        return pop;
    }

    // The first generation did not complete, so there is no posterior to keep: the setting
    // that stopped it must change. Says how far it got and what would be enough.
    CalibrationSettingError first_generation_stopped(Outcome stopped) const {
        const AbcSmcOptions& o = c_.abc;
        const auto n = static_cast<double>(o.particles);
        const auto used = static_cast<double>(stalled_candidates_);
        // The effective sample a candidate adds, about constant within a generation.
        const double rate = used > 0.0 ? stalled_ess_ / used : 0.0;
        const std::string reached = "after " + std::to_string(stalled_candidates_) +
                                    " candidates its effective sample was " + sig3(stalled_ess_) +
                                    " of the " + std::to_string(o.particles) +
                                    " wanted (abc_smc.particles)";
        if (stopped == Outcome::budget) {
            engine::Diagnostic d = detail::setting_diagnostic(c_, "abc_smc", "max_simulations");
            d.message = "the budget of " + std::to_string(o.max_simulations) +
                        " simulations ran out before the first generation was complete: " + reached;
            d.allowed = "more than " + std::to_string(o.max_simulations);
            if (rate > 0.0) {
                d.allowed += "; at this rate the first generation alone needs about " +
                             std::to_string(static_cast<std::int64_t>(
                                 std::ceil(n / rate * o.replicates_per_particle))) +
                             " runs";
            }
            return {std::move(d), simulations_};
        }
        engine::Diagnostic d = detail::setting_diagnostic(c_, "abc_smc", "min_acceptance");
        d.message = "the first generation was stopped by the rule min_acceptance = " +
                    as_written(o.min_acceptance) + ": " + reached + ", " + sig3(rate) +
                    " per candidate. The data may be out of the model's reach, the priors too "
                    "wide, or the figures' errors ([error] relative_sd) too narrow for the "
                    "model's run-to-run noise";
        d.allowed = "a value below " + sig3_below(rate) + " (0 never stops early)";
        return {std::move(d), simulations_};
    }

    const Calibration& c_;
    Evaluator& evaluator_;
    const CalibrationProgressCallback& progress_;
    Experiment experiment_;
    std::chrono::steady_clock::time_point start_;
    std::int64_t simulations_ = 0;
    double simulate_seconds_ = 0.0;
    // How far the generation that could not complete got: its candidates and effective sample.
    std::int64_t stalled_candidates_ = 0;
    double stalled_ess_ = 0.0;
};

} // namespace

Experiment abc_smc_experiment(const Calibration& calibration) {
    return detail::calibration_experiment(calibration, calibration.abc.replicates_per_particle,
                                          false, "abc-smc");
}

CalibrationResult run_abc_smc(const Calibration& calibration, Evaluator& evaluator,
                              const CalibrationProgressCallback& progress) {
    return Sampler(calibration, evaluator, progress).run();
}

} // namespace canopy::experiments
