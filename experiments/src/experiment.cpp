// An experiment's points: their overrides, their random streams, and the evaluation of one point
// on this process (the engine's TBB ensemble), which every evaluator ends up calling.
#include "registry.hpp"
#include "wire.hpp"

#include <canopy/engine/budget.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/indicator.hpp>
#include <canopy/engine/random.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/experiment.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace canopy::experiments {

namespace {

// The numbers of one row across replicates, NaNs left out, in replicate order.
void numbers_of_row(const std::vector<double>& paths, std::size_t replicates, std::size_t rows,
                    std::size_t row, std::vector<double>& out) {
    out.clear();
    for (std::size_t r = 0; r < replicates; ++r) {
        const double v = paths[r * rows + row];
        if (!std::isnan(v)) {
            out.push_back(v);
        }
    }
}

} // namespace

std::vector<Override> Experiment::overrides(const Point& p) const {
    if (p.values.size() != factors.size()) {
        throw Error("design point " + std::to_string(p.index) + " has " +
                    std::to_string(p.values.size()) + " values for " +
                    std::to_string(factors.size()) + " factors");
    }
    std::vector<Override> out;
    out.reserve(factors.size());
    for (std::size_t f = 0; f < factors.size(); ++f) {
        out.push_back(Override{factors[f], p.values[f]});
    }
    return out;
}

engine::Scenario Experiment::scenario_at(const Point& p) const {
    if (!scenario) {
        throw Error("the experiment has no scenario");
    }
    return apply_overrides(*scenario, overrides(p));
}

std::uint64_t Experiment::ensemble_seed(const Point& p) const {
    return common_random_numbers ? seed : point_seed(seed, p.index);
}

std::uint64_t point_seed(std::uint64_t seed, std::uint64_t index) noexcept {
    // For a fixed seed, index -> seed + (index + 1) * odd is a bijection of 64-bit words, and
    // splitmix64's finaliser is a bijection too: distinct points never share a seed.
    std::uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string make_fingerprint(std::span<const std::string> parts) {
    detail::Writer w;
    for (const std::string& part : parts) {
        w.text(part);
    }
    const std::uint64_t a = detail::hash64(w.bytes, 0);
    const std::uint64_t b = detail::hash64(w.bytes, 0x5bd1e9955bd1e995ULL);
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
    return text;
}

PointResult evaluate_point(const Experiment& experiment, const Point& point) {
    if (experiment.model == nullptr || !experiment.scenario) {
        throw Error("cannot evaluate design point " + std::to_string(point.index) +
                    ": the experiment has no model or scenario");
    }
    if (experiment.replicates < 1) {
        throw Error("an experiment needs at least one replicate per point");
    }
    const engine::Scenario scenario = experiment.scenario_at(point);
    const engine::ModelInfo& info = experiment.model->info();

    engine::EnsembleOptions options;
    options.replicates = experiment.replicates;
    options.seed = experiment.ensemble_seed(point);
    options.first_replicate = experiment.first_replicate;
    const auto start = std::chrono::steady_clock::now();
    const engine::Ensemble ensemble = experiment.model->run(scenario, options);
    const std::chrono::duration<double> simulated = std::chrono::steady_clock::now() - start;

    const engine::IndicatorSet indicators(scenario.indicators, info, scenario.calendar);
    const std::size_t n_ind = indicators.size();
    const auto n_rep = static_cast<std::size_t>(experiment.replicates);

    PointResult result;
    result.index = point.index;
    result.replicates = static_cast<std::uint32_t>(n_rep);
    result.indicators = static_cast<std::uint32_t>(n_ind);
    result.simulate_seconds = simulated.count();
    result.finals.resize(n_ind * n_rep);
    std::vector<double> row(n_ind);
    for (std::size_t r = 0; r < n_rep; ++r) {
        indicators.finals(ensemble.runs[r], row);
        for (std::size_t i = 0; i < n_ind; ++i) {
            result.finals[i * n_rep + r] = row[i];
        }
    }

    const OutputRequest& want = experiment.outputs;
    if (want.costs) {
        const std::size_t years = engine::budget_years(scenario.calendar).size();
        const std::size_t levers = scenario.levers.size();
        result.cost_years = static_cast<std::uint32_t>(years);
        result.costs.assign(n_rep * years, 0.0);
        result.lever_costs.assign(n_rep * levers, 0.0);
        for (std::size_t r = 0; r < n_rep; ++r) {
            // The replicate's levers as it ran them (a posterior may scale one).
            const engine::RandomKey key{ensemble.seed,
                                        ensemble.first_replicate + static_cast<std::uint32_t>(r)};
            const std::vector<double> by_lever =
                engine::replicate_lever_costs_by_year(scenario, key, &ensemble.runs[r]);
            for (std::size_t l = 0; l < levers; ++l) { // lever order: the same bits every time
                for (std::size_t y = 0; y < years; ++y) {
                    result.costs[r * years + y] += by_lever[l * years + y];
                    result.lever_costs[r * levers + l] += by_lever[l * years + y];
                }
            }
        }
    }
    if (!want.mean_paths && want.path_quantiles.empty()) {
        return result;
    }
    const auto rows = static_cast<std::size_t>(scenario.calendar.steps() + 1);
    const std::size_t n_q = want.path_quantiles.size();
    result.rows = static_cast<std::uint32_t>(rows);
    if (want.mean_paths) {
        result.mean_paths.resize(n_ind * rows);
    }
    result.path_quantiles.resize(n_ind * n_q * rows);
    std::vector<double> paths(n_rep * rows); // one indicator: [replicate * rows + row]
    std::vector<double> numbers;
    std::vector<double> qs(n_q);
    for (std::size_t i = 0; i < n_ind; ++i) {
        for (std::size_t r = 0; r < n_rep; ++r) {
            indicators.series(i, ensemble.runs[r], std::span<double>(&paths[r * rows], rows));
        }
        for (std::size_t t = 0; t < rows; ++t) {
            numbers_of_row(paths, n_rep, rows, t, numbers);
            if (want.mean_paths) {
                result.mean_paths[i * rows + t] = engine::mean(numbers);
            }
            if (n_q > 0) {
                engine::quantiles(numbers, want.path_quantiles, qs);
                for (std::size_t q = 0; q < n_q; ++q) {
                    result.path_quantiles[(i * n_q + q) * rows + t] = qs[q];
                }
            }
        }
    }
    return result;
}

} // namespace canopy::experiments
