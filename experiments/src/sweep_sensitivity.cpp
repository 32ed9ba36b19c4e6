// Sensitivity analysis of a sweep result (sweep_sensitivity.hpp): picks the columns, runs the
// estimators of sensitivity.cpp on each, and says plainly when an output's indices are
// undefined. Outputs are analysed in parallel; each analysis is a pure function of its column
// and the bootstrap seed, so the bits do not depend on the thread count.
#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/engine/target.hpp>
#include <canopy/experiments/sweep_sensitivity.hpp>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <span>

namespace canopy::experiments {

namespace {

/// One column to analyse: its name and values over the points.
struct Column {
    std::string name;
    std::vector<double> values;
};

std::vector<Column> scalar_columns(const SweepResult& r) {
    std::vector<Column> columns;
    for (const TargetColumns& t : r.targets) {
        columns.push_back({"targets/" + t.id + "/p_attain", t.p_attain});
        columns.push_back({"targets/" + t.id + "/median", t.median});
    }
    for (const IndicatorColumns& i : r.indicators) {
        columns.push_back({"indicators/" + i.id + "/mean", i.mean});
        columns.push_back({"indicators/" + i.id + "/q50", i.q50});
    }
    for (const auto& [name, values] : r.outputs) {
        columns.push_back({"outputs/" + name, values});
    }
    return columns;
}

std::string path_name(const IndicatorColumns& i) {
    return "indicators/" + i.id + "/mean_path";
}

/// What a point's figure is, computed from its replicates' final values.
enum class Statistic { mean, median, p_attain };

/// A point's figure from its finals `values` (NaN finals left out of a mean or median and
/// counted as not attained), as the sweep computed it.
double statistic(Statistic what, std::vector<double>& values, engine::Comparison comparison,
                 double threshold) {
    if (what == Statistic::p_attain) {
        std::size_t attained = 0;
        for (const double v : values) {
            if (engine::attained(comparison, v, threshold)) {
                ++attained;
            }
        }
        return values.empty() ? std::numeric_limits<double>::quiet_NaN()
                              : static_cast<double>(attained) / static_cast<double>(values.size());
    }
    values.erase(
        std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
        values.end());
    return what == Statistic::mean ? engine::mean(values) : engine::quantile(values, 0.5);
}

/// Where a scalar output's figures come from: an indicator's finals and the statistic of them.
struct Source {
    const IndicatorColumns* indicator = nullptr;
    Statistic what = Statistic::mean;
    engine::Comparison comparison = engine::Comparison::greater;
    double threshold = 0.0;
};

/// Every point's figure from the replicates `pick` gives it (pick(point, j): the j-th replicate
/// of the point's resample).
template <typename Pick>
void figures(const SweepResult& r, const Source& s, Pick pick, std::vector<double>& y) {
    const auto reps = static_cast<std::size_t>(r.replicates);
    y.assign(r.points(), 0.0);
    std::vector<double> values(reps);
    for (std::size_t p = 0; p < r.points(); ++p) {
        values.resize(reps);
        for (std::size_t j = 0; j < reps; ++j) {
            values[j] = s.indicator->finals[p * reps + pick(p, j)];
        }
        y[p] = statistic(s.what, values, s.comparison, s.threshold);
    }
}

/// The finals behind output `name` (column `y`), when the sweep kept them and they give `y`
/// back exactly; nullopt otherwise. A target's indicator is the one whose finals give both its
/// P(attain) and its median at every point.
std::optional<Source> source_of(const SweepResult& r, const std::string& name,
                                std::span<const double> y) {
    if (r.replicates < 2) {
        return std::nullopt;
    }
    const auto reps = static_cast<std::size_t>(r.replicates);
    const auto identity = [](std::size_t, std::size_t j) { return j; };
    const auto reproduces = [&](const Source& s, std::span<const double> column) {
        if (s.indicator->finals.size() != r.points() * reps) {
            return false;
        }
        std::vector<double> again;
        figures(r, s, identity, again);
        return same_values(again, column);
    };
    for (const IndicatorColumns& i : r.indicators) {
        for (const auto& [suffix, what] :
             {std::pair{"/mean", Statistic::mean}, std::pair{"/q50", Statistic::median}}) {
            if (name == "indicators/" + i.id + suffix) {
                const Source s{&i, what};
                return reproduces(s, y) ? std::optional<Source>(s) : std::nullopt;
            }
        }
    }
    for (const TargetColumns& t : r.targets) {
        const bool p_attain = name == "targets/" + t.id + "/p_attain";
        if (!p_attain && name != "targets/" + t.id + "/median") {
            continue;
        }
        engine::Comparison comparison{};
        if (!engine::parse_comparison(t.comparison, comparison)) {
            return std::nullopt;
        }
        for (const IndicatorColumns& i : r.indicators) {
            const Source chance{&i, Statistic::p_attain, comparison, t.threshold};
            const Source median{&i, Statistic::median, comparison, t.threshold};
            if (reproduces(chance, t.p_attain) && reproduces(median, t.median)) {
                return p_attain ? chance : median;
            }
        }
        return std::nullopt;
    }
    return std::nullopt;
}

/// Resample b of every point's replicates, the same at every point as common random numbers
/// drew them, and the points' figures from it. (Without common random numbers each point's
/// noise is its own, and resampling the design's rows already resamples it.)
ReplicateResample resample_replicates(const SweepResult& r, const Source& s, std::uint64_t seed) {
    ReplicateResample out;
    out.fill = [&r, s, seed](std::size_t b, std::vector<double>& y) {
        std::vector<std::size_t> picks;
        replicate_picks(seed, b, static_cast<std::size_t>(r.replicates), picks);
        figures(
            r, s, [&](std::size_t, std::size_t j) { return picks[j]; }, y);
    };
    out.spread = std::sqrt(static_cast<double>(r.replicates) / (r.replicates - 1.0));
    return out;
}

/// The indices of one column, with a note when they are undefined or say nothing.
OutputSensitivity analyse_column(const SweepResult& r, std::string name, std::span<const double> y,
                                 const BootstrapOptions& bootstrap) {
    OutputSensitivity out;
    out.name = std::move(name);
    if (y.size() != r.points()) {
        throw Error(
            fmt::format("{}: {} values for {} design points", out.name, y.size(), r.points()));
    }
    const auto nan = static_cast<std::size_t>(
        std::count_if(y.begin(), y.end(), [](double v) { return std::isnan(v); }));
    const auto infinite = static_cast<std::size_t>(
        std::count_if(y.begin(), y.end(), [](double v) { return std::isinf(v); }));
    const std::size_t bad = nan + infinite;
    const bool constant =
        bad == 0 && std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });
    if (bad > 0) {
        // Named as they are: an infinity (a ratio over zero) is not a missing value.
        const std::string nan_at = nan > 0 ? fmt::format("NaN at {}", nan) : std::string();
        const std::string inf_at =
            infinite > 0 ? fmt::format("infinite at {}", infinite) : std::string();
        out.note = fmt::format("{}{}{} of {} points", nan_at,
                               nan > 0 && infinite > 0 ? " and " : "", inf_at, y.size());
    } else if (constant) {
        out.note = fmt::format("zero variance: every point gave {}", y[0]);
    }
    // With the finals kept, every bootstrap resample resamples the replicates too.
    ReplicateResample replicates;
    out.noise_in_intervals = !r.common_random_numbers;
    if (bad == 0 && !constant && r.common_random_numbers) {
        if (const std::optional<Source> source = source_of(r, out.name, y)) {
            replicates = resample_replicates(r, *source, bootstrap.seed);
            out.replicates_resampled = true;
            out.noise_in_intervals = true;
        }
    }
    if (r.design == DesignKind::saltelli) {
        out.sobol = sobol_indices(y, r.unit.base_samples, r.factors.size(), bootstrap, replicates);
        if (out.note.empty() && !(out.sobol.variance > 0.0)) {
            // The AB rows vary but A and B do not: there is no variance to share out.
            out.note = "zero variance over the base samples (rows A and B)";
        }
    } else {
        out.morris = morris_indices(r.unit, y, bootstrap, replicates);
    }
    return out;
}

/// The mean of 1 / |delta| over the steps of a Morris design (each step moves one factor).
double mean_inverse_step(const UnitDesign& design) {
    const std::size_t d = design.dimensions;
    double sum = 0.0;
    std::size_t steps = 0;
    for (std::size_t t = 0; t < design.base_samples; ++t) {
        for (std::size_t step = 1; step <= d; ++step) {
            const std::size_t row = t * (d + 1) + step;
            for (std::size_t k = 0; k < d; ++k) {
                const double delta = design.at(row, k) - design.at(row - 1, k);
                if (delta != 0.0) {
                    sum += 1.0 / std::abs(delta);
                    ++steps;
                }
            }
        }
    }
    return steps == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(steps);
}

/// The replicate noise of a scalar output and what it means for its indices.
void add_noise(const SweepResult& r, OutputSensitivity& out) {
    out.noise = replicate_noise(r, out.name);
    if (std::isnan(out.noise.variance)) {
        return;
    }
    if (r.design == DesignKind::saltelli) {
        if (out.sobol.variance > 0.0 && std::isfinite(out.sobol.variance)) {
            out.noise_share = out.noise.variance / out.sobol.variance;
        }
    } else {
        out.noise_mu_star =
            2.0 * std::sqrt(out.noise.variance / std::numbers::pi) * mean_inverse_step(r.unit);
    }
}
} // namespace

std::string sensitivity_problem(const SweepResult& r) {
    const std::size_t d = r.factors.size();
    if (r.design != DesignKind::saltelli && r.design != DesignKind::morris) {
        return fmt::format("its design is '{}': sensitivity indices need a 'saltelli' design "
                           "(Sobol indices) or a 'morris' design (elementary effects)",
                           to_string(r.design));
    }
    if (d == 0 || r.unit.dimensions != d || r.unit.kind != r.design) {
        return fmt::format("its unit design has {} dimensions for {} factors", r.unit.dimensions,
                           d);
    }
    const bool saltelli = r.design == DesignKind::saltelli;
    const char* samples = saltelli ? "base samples" : "trajectories";
    const std::size_t n = r.unit.base_samples;
    const std::optional<std::size_t> expected =
        saltelli ? saltelli_points(n, d) : morris_points(n, d);
    if (!expected) {
        // An edited attribute: the count would wrap round, and might even match.
        return fmt::format("its root attribute base_samples {} cannot be right: a {} design of "
                           "that many {} and {} factors has more points than a std::size_t "
                           "holds, the file has {}",
                           n, to_string(r.design), samples, d, r.points());
    }
    if (n < 2 || r.points() != *expected) {
        std::string out = fmt::format("a {} design of {} {} and {} factors has {} points, the "
                                      "file has {}",
                                      to_string(r.design), n, samples, d, *expected, r.points());
        if (!r.shard.empty()) {
            out += fmt::format(": it is shard {} of a sweep of {} points; merge its shards "
                               "first (canopy merge SHARD.h5 ... --out RESULT.h5)",
                               r.shard, r.points_total);
        }
        return out;
    }
    if (!saltelli) {
        if (const std::string p = morris_design_problem(r.unit); !p.empty()) {
            return "its /design_unit is not a Morris design: " + p;
        }
    }
    if (r.targets.empty() && r.indicators.empty() && r.outputs.empty()) {
        return r.complete ? std::string("it has no targets, indicators or /outputs to analyse")
                          : std::string("it is a --design-only file and has no /outputs/<name> "
                                        "yet: add the outputs computed for its points as "
                                        "/outputs/<name> [point] (see docs/sensitivity.md)");
    }
    return {};
}

const OutputSensitivity& output_named(const SweepSensitivity& s, const std::string& name) {
    for (const OutputSensitivity& o : s.outputs) {
        if (o.name == name) {
            return o;
        }
    }
    throw Error("the analysis has no output named '" + name + "'");
}

std::vector<std::string> sensitivity_names(const SweepResult& r) {
    std::vector<std::string> names;
    for (const Column& c : scalar_columns(r)) {
        names.push_back(c.name);
    }
    for (const IndicatorColumns& i : r.indicators) {
        if (!i.mean_path.empty()) {
            names.push_back(path_name(i));
        }
    }
    return names;
}

SweepSensitivity analyse_sweep(const SweepResult& r, const SweepSensitivityOptions& options) {
    if (const std::string problem = sensitivity_problem(r); !problem.empty()) {
        throw Error("cannot analyse this sweep result: " + problem);
    }
    const std::vector<std::string> names = sensitivity_names(r);
    for (const std::string& wanted : options.outputs) {
        if (std::find(names.begin(), names.end(), wanted) == names.end()) {
            std::string message = "no output named '" + wanted + "'";
            if (const std::string hint = engine::did_you_mean(wanted, names); !hint.empty()) {
                message += " (" + hint + ")";
            }
            throw Error(message);
        }
    }
    const auto chosen = [&](const std::string& name) {
        return options.outputs.empty() || std::find(options.outputs.begin(), options.outputs.end(),
                                                    name) != options.outputs.end();
    };

    SweepSensitivity result;
    result.design = r.design;
    result.factors = r.factors;
    result.points = r.points();
    result.base_samples = r.unit.base_samples;
    result.replicates = r.replicates;
    result.common_random_numbers = r.common_random_numbers;
    result.bootstrap = options.bootstrap;

    // Every analysis as a job writing into its own slot: scalar outputs, then path rows.
    std::vector<Column> columns;
    for (Column& c : scalar_columns(r)) {
        if (chosen(c.name)) {
            columns.push_back(std::move(c));
        }
    }
    result.outputs.resize(columns.size());
    const std::size_t rows = r.time_labels.size();
    std::vector<const IndicatorColumns*> paths;
    for (const IndicatorColumns& i : r.indicators) {
        if (!i.mean_path.empty() && chosen(path_name(i))) {
            if (i.mean_path.size() != r.points() * rows) {
                throw Error(fmt::format("{}: {} values for {} points x {} times", path_name(i),
                                        i.mean_path.size(), r.points(), rows));
            }
            paths.push_back(&i);
        }
    }
    if (!paths.empty()) {
        result.time_labels = r.time_labels;
    }
    result.paths.resize(paths.size());
    for (std::size_t p = 0; p < paths.size(); ++p) {
        result.paths[p].name = path_name(*paths[p]);
        result.paths[p].rows.resize(rows);
    }

    const std::size_t jobs = columns.size() + paths.size() * rows;
    tbb::parallel_for(std::size_t{0}, jobs, [&](std::size_t job) {
        if (job < columns.size()) {
            result.outputs[job] =
                analyse_column(r, columns[job].name, columns[job].values, options.bootstrap);
            add_noise(r, result.outputs[job]);
            return;
        }
        const std::size_t p = (job - columns.size()) / rows;
        const std::size_t row = (job - columns.size()) % rows;
        std::vector<double> y(r.points());
        for (std::size_t point = 0; point < r.points(); ++point) {
            y[point] = paths[p]->mean_path[point * rows + row];
        }
        result.paths[p].rows[row] = analyse_column(r, r.time_labels[row], y, options.bootstrap);
    });
    return result;
}

} // namespace canopy::experiments
