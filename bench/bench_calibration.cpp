// canopy-bench calibration: what a calibration costs, and its trust checks at a size too heavy
// for the test suite (docs/calibration.md quotes the figures).
//
//   canopy-bench calibration [--calibration FILE] [--method abc-smc|smm] [--threads T]
//                            [--repeats R] [--recovery N] [--sbc N] [--recovery-file FILE]
//
// Cost: the calibration runs as `canopy calibrate` runs it (the local evaluator behind its
// journal, in a temporary directory); its wall time, model runs and runs per second are
// reported with the posterior (effective sample size, each parameter's median and 90 %
// interval). Against it, a plain ensemble of the same number of runs of the same scenario at
// the prior's medians (one design point of the calibration's experiment with that many
// replicates, on the same threads): the method's overhead is how much slower its runs go than
// the plain ensemble's. Both timings alternate, best of R each.
//
// Trust: data simulated from known parameters with the error model's noise (every figure one
// run's value plus a Gaussian error of 20 % of its value at the prior's medians, so the model
// the data came from is the one the posterior assumes), calibrated by ABC-SMC. --recovery N:
// three known sets (the centre and two near the prior's edges), N data sets each; how often the
// 50 % and 90 % intervals hold the truth. --sbc N: simulation-based calibration (Talts et al.
// 2018) with N parameter sets drawn from the prior: the truth's weighted rank among the
// particles in 10 bins, the chi-square statistic of the histogram (9 degrees of freedom: 27.9 is
// the 0.1 % critical value) and the Kolmogorov-Smirnov distance (critical 1.95 / sqrt(N)).
#include "bench_calibration.hpp"

#include "input_checks.hpp"

#include <canopy/engine/distributions.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_journal.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/smm.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace canopy::bench {

namespace {

namespace fs = std::filesystem;
namespace ex = canopy::experiments;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of this process, every thread: on a machine shared with other programs the ratio
// of CPU times is steadier than the ratio of wall times.
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

// The calibration file `path` given by `flag`; one that does not load is bad input (exit 2).
ex::Calibration load(const std::string& path, const std::string& method, const std::string& flag) {
    ex::CalibrationFlags flags;
    if (method == "smm") {
        flags.method = ex::CalibrationMethod::smm;
    } else if (method == "abc-smc") {
        flags.method = ex::CalibrationMethod::abc_smc;
    }
    ex::CalibrationLoad loaded = ex::load_calibration(path, flags);
    if (!loaded.calibration) {
        throw UsageError(flag + ": cannot load '" + path + "':\n" + loaded.diagnostics.format());
    }
    return std::move(*loaded.calibration);
}

ex::CalibrationResult calibrate(const ex::Calibration& c, ex::Evaluator& evaluator) {
    return c.method == ex::CalibrationMethod::smm ? ex::run_smm(c, evaluator)
                                                  : ex::run_abc_smc(c, evaluator);
}

std::vector<double> prior_medians(const ex::Calibration& c) {
    std::vector<double> m;
    for (const ex::FittedParameter& p : c.parameters) {
        m.push_back(p.prior.quantile(0.5));
    }
    return m;
}

// A temporary directory for the journals, removed at the end.
struct Scratch {
    fs::path path;
    Scratch() {
        std::string tmpl = (fs::temp_directory_path() / "canopy-bench-calibration-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw Error("cannot make a temporary directory");
        }
        path = tmpl;
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};

void cost(const ex::Calibration& c, const CalibrationOptions& o) {
    const Scratch scratch;
    const engine::ThreadLimit limit(o.threads);
    std::printf("calibration %s (%s, %d parameters, %zu figures), %d threads\n", c.name.c_str(),
                ex::to_string(c.method), static_cast<int>(c.parameters.size()),
                c.observations.size(), limit.threads());
    double best_calibration = INFINITY;
    double best_ensemble = INFINITY;
    double cpu_calibration = INFINITY;
    double cpu_ensemble = INFINITY;
    ex::CalibrationResult result;
    for (int r = 0; r < o.repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpu_seconds();
        {
            const std::unique_ptr<ex::Evaluator> local = ex::local_evaluator();
            ex::CalibrationJournal journal(*local, scratch.path / "bench.h5.journal");
            result = calibrate(c, journal);
            journal.close();
        }
        best_calibration = std::min(best_calibration, seconds_since(t0));
        cpu_calibration = std::min(cpu_calibration, cpu_seconds() - c0);
        for (const fs::path& p : ex::calibration_journal_files(scratch.path / "bench.h5.journal")) {
            fs::remove(p);
        }
        // A plain ensemble of as many runs: one point with that many replicates.
        ex::Experiment plain = ex::abc_smc_experiment(c);
        plain.replicates = static_cast<int>(result.simulations);
        plain.common_random_numbers = true;
        const auto t1 = std::chrono::steady_clock::now();
        const double c1 = cpu_seconds();
        const ex::PointResult ensemble = ex::evaluate_point(plain, ex::Point{0, prior_medians(c)});
        best_ensemble = std::min(best_ensemble, seconds_since(t1));
        cpu_ensemble = std::min(cpu_ensemble, cpu_seconds() - c1);
        if (static_cast<int>(ensemble.replicates) != plain.replicates) {
            throw Error("the plain ensemble ran the wrong number of replicates");
        }
    }
    const auto runs = static_cast<double>(result.simulations);
    std::printf("calibration: %.2f s wall (%.2f s CPU) for %lld model runs: %.0f runs/s, %.0f "
                "runs per CPU second\n",
                best_calibration, cpu_calibration, static_cast<long long>(result.simulations),
                runs / best_calibration, runs / cpu_calibration);
    std::printf("plain ensemble of %lld runs: %.2f s wall (%.2f s CPU): %.0f runs/s, %.0f runs "
                "per CPU second\n",
                static_cast<long long>(result.simulations), best_ensemble, cpu_ensemble,
                runs / best_ensemble, runs / cpu_ensemble);
    std::printf("the method's runs go at %.0f %% of the plain ensemble's rate (wall), %.0f %% "
                "(CPU)\n",
                100.0 * best_ensemble / best_calibration, 100.0 * cpu_ensemble / cpu_calibration);
    if (c.method == ex::CalibrationMethod::abc_smc) {
        std::printf("%zu generations, final temperature %.3g (%s), effective sample size %.1f\n",
                    result.generations.size(), result.final_temperature,
                    result.exact ? "exact" : "approximate", result.ess);
        for (const ex::GenerationRecord& g : result.generations) {
            std::printf("  generation %d: temperature %.4g, %lld candidates, acceptance %.3f, "
                        "ESS %.1f, %.2f s\n",
                        g.generation, g.temperature, static_cast<long long>(g.candidates),
                        g.acceptance_rate, g.ess, g.seconds);
        }
    } else if (result.smm) {
        std::printf("objective %.4g after %d iterations (%s)\n", result.smm->objective,
                    result.smm->iterations, result.smm->converged ? "converged" : "not converged");
    }
    for (std::size_t j = 0; j < result.parameters.size(); ++j) {
        const ex::ParameterSummary& s = result.summaries[j];
        std::printf("  %-20s median %.4g, 50 %% [%.4g, %.4g], 90 %% [%.4g, %.4g]\n",
                    result.parameters[j].c_str(), s.median, s.q25, s.q75, s.q05, s.q95);
    }
    for (const std::string& note : result.notes) {
        std::printf("  note: %s\n", note.c_str());
    }
}

// --- Trust checks on simulated data ----------------------------------------------------------

// The measurement error of tests/statistical/test_reference_recovery.cpp, whose checks these
// repeat with more data sets (docs/calibration.md): 20 % of each figure at the prior's medians,
// about the run-to-run noise of the 300-firm model's counts. (It was 10 % here after the test
// moved to 20 %, so the two did not check the same thing.)
constexpr double RELATIVE_SD = 0.20;

std::vector<double> simulate(const ex::Calibration& c, const std::vector<double>& theta,
                             std::uint64_t seed) {
    ex::Calibration at = c;
    at.seed = seed;
    const ex::PointResult r = ex::evaluate_point(ex::abc_smc_experiment(at), ex::Point{0, theta});
    std::vector<double> finals(r.indicators);
    for (std::uint32_t i = 0; i < r.indicators; ++i) {
        finals[i] = r.final_value(i, 0);
    }
    std::vector<double> x;
    for (const ex::Observation& obs : c.observations) {
        x.push_back(obs.simulated(finals));
    }
    return x;
}

ex::Calibration with_fixed_errors(ex::Calibration c) {
    const std::vector<double> x = simulate(c, prior_medians(c), 7);
    for (std::size_t k = 0; k < c.observations.size(); ++k) {
        ex::Observation& obs = c.observations[k];
        obs.sd = RELATIVE_SD * std::max(std::fabs(x[k]), 10.0);
        obs.lower_bound = obs.approximate = obs.forecast = false;
        obs.fitted = true;
    }
    c.fit_until.reset();
    c.method = ex::CalibrationMethod::abc_smc;
    return c;
}

ex::Calibration with_data(const ex::Calibration& c, const std::vector<double>& theta,
                          std::uint64_t seed) {
    ex::Calibration out = c;
    const std::vector<double> x = simulate(c, theta, seed);
    engine::Stream noise(engine::RandomKey{seed, 0}, 0, 0, 0x5BC);
    for (std::size_t k = 0; k < out.observations.size(); ++k) {
        out.observations[k].row.value =
            x[k] + out.observations[k].sd * engine::standard_normal(noise);
    }
    out.seed = seed + 1'000'003;
    return out;
}

double weighted_rank(const ex::CalibrationResult& r, std::size_t j, double x) {
    double below = 0.0;
    for (std::size_t k = 0; k < r.particle_count(); ++k) {
        below += r.particle(k, j) < x ? r.weights[k] : 0.0;
    }
    return below;
}

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

void recovery(const ex::Calibration& loaded, const CalibrationOptions& o) {
    const ex::Calibration base = with_fixed_errors(loaded);
    const engine::ThreadLimit limit(o.threads);
    const std::unique_ptr<ex::Evaluator> evaluator = ex::local_evaluator();
    const std::size_t d = base.parameters.size();
    // The centre and two sets near the prior's edges (its 4 % and 96 % quantiles, one parameter
    // low while the other is high).
    std::vector<std::vector<double>> sets(3, std::vector<double>(d));
    for (std::size_t j = 0; j < d; ++j) {
        const ex::Prior& p = base.parameters[j].prior;
        sets[0][j] = p.quantile(0.5);
        sets[1][j] = p.quantile(j % 2 == 0 ? 0.04 : 0.96);
        sets[2][j] = p.quantile(j % 2 == 0 ? 0.96 : 0.04);
    }
    std::printf("\nparameter recovery: %s, %d data sets per known set, measurement error sd %.0f "
                "%% of each figure\n",
                base.name.c_str(), o.recovery, 100.0 * RELATIVE_SD);
    const auto t0 = std::chrono::steady_clock::now();
    int all50 = 0;
    int all90 = 0;
    int cases = 0;
    for (std::size_t s = 0; s < sets.size(); ++s) {
        std::vector<int> in50(d, 0);
        std::vector<int> in90(d, 0);
        int exact = 0;
        for (int t = 0; t < o.recovery; ++t) {
            const std::uint64_t seed = 700'000 + 10'000 * s + static_cast<std::uint64_t>(t);
            const ex::CalibrationResult r =
                ex::run_abc_smc(with_data(base, sets[s], seed), *evaluator);
            exact += r.exact ? 1 : 0;
            for (std::size_t j = 0; j < d; ++j) {
                const double x = sets[s][j];
                const ex::ParameterSummary& q = r.summaries[j];
                in50[j] += q.q25 <= x && x <= q.q75 ? 1 : 0;
                in90[j] += q.q05 <= x && x <= q.q95 ? 1 : 0;
            }
        }
        std::printf("  set %zu:", s);
        for (std::size_t j = 0; j < d; ++j) {
            std::printf(" %s = %.4g: inside 50 %% %d/%d, 90 %% %d/%d;",
                        base.parameters[j].target.name.c_str(), sets[s][j], in50[j], o.recovery,
                        in90[j], o.recovery);
            all50 += in50[j];
            all90 += in90[j];
            cases += o.recovery;
        }
        std::printf(" exact %d/%d\n", exact, o.recovery);
    }
    const double n = cases;
    std::printf("  all: 50 %% intervals %d/%d (%.1f %%, binomial sd %.1f points), 90 %% intervals "
                "%d/%d (%.1f %%, sd %.1f points); %.1f s\n",
                all50, cases, 100.0 * all50 / n, 100.0 * std::sqrt(0.25 / n), all90, cases,
                100.0 * all90 / n, 100.0 * std::sqrt(0.09 / n), seconds_since(t0));
}

void sbc(const ex::Calibration& loaded, const CalibrationOptions& o) {
    const ex::Calibration base = with_fixed_errors(loaded);
    const engine::ThreadLimit limit(o.threads);
    const std::unique_ptr<ex::Evaluator> evaluator = ex::local_evaluator();
    const std::size_t d = base.parameters.size();
    std::vector<std::vector<double>> ranks(d);
    int exact = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < o.sbc; ++t) {
        engine::Stream s(engine::RandomKey{91, static_cast<std::uint32_t>(t)}, 0, 0, 0x5BD);
        std::vector<double> theta;
        for (const ex::FittedParameter& p : base.parameters) {
            theta.push_back(p.prior.quantile(engine::uniform01(s)));
        }
        const ex::CalibrationResult r = ex::run_abc_smc(
            with_data(base, theta, 900'000 + static_cast<std::uint64_t>(t)), *evaluator);
        exact += r.exact ? 1 : 0;
        for (std::size_t j = 0; j < d; ++j) {
            ranks[j].push_back(weighted_rank(r, j, theta[j]));
        }
    }
    const auto n = static_cast<double>(o.sbc);
    std::printf("\nsimulation-based calibration: %s, %d data sets from the prior (%d exact), "
                "measurement error sd %.0f %% of each figure, %.1f s\n",
                base.name.c_str(), o.sbc, exact, 100.0 * RELATIVE_SD, seconds_since(t0));
    std::printf("  rank histogram, 10 bins (expected %.1f each, binomial sd %.1f); chi-square "
                "(9 df; 0.1 %% critical 27.9); KS distance (0.1 %% critical %.3f)\n",
                n / 10.0, std::sqrt(n * 0.1 * 0.9), 1.95 / std::sqrt(n));
    for (std::size_t j = 0; j < d; ++j) {
        std::array<int, 10> bins{};
        for (const double u : ranks[j]) {
            bins[static_cast<std::size_t>(std::clamp(static_cast<int>(u * 10.0), 0, 9))] += 1;
        }
        double chi2 = 0.0;
        std::printf("  %-20s", base.parameters[j].target.name.c_str());
        for (const int b : bins) {
            std::printf(" %3d", b);
            chi2 += (b - n / 10.0) * (b - n / 10.0) / (n / 10.0);
        }
        std::printf("   chi-square %.1f, KS %.3f\n", chi2, ks_uniform(ranks[j]));
    }
}

} // namespace

int command_calibration(const CalibrationOptions& o) {
    // Every file loaded before anything runs: a bad one is refused at once, not after a timing
    // of minutes.
    std::optional<ex::Calibration> timed;
    if (!o.calibration.empty()) {
        timed = load(o.calibration, o.method, "--calibration");
    }
    std::optional<ex::Calibration> checked;
    if (o.recovery > 0 || o.sbc > 0) {
        checked = load(o.recovery_calibration, "", "--recovery-file");
    }
    if (timed) {
        cost(*timed, o);
    }
    if (o.recovery > 0) {
        recovery(*checked, o);
    }
    if (o.sbc > 0) {
        sbc(*checked, o);
    }
    std::fflush(stdout);
    return 0;
}

} // namespace canopy::bench
