// Sensitivity analysis of a sweep result (sweep_sensitivity.hpp): picks the columns, runs the
// estimators of sensitivity.cpp on each, and says plainly when an output's indices are
// undefined. Outputs are analysed in parallel; each analysis is a pure function of its column
// and the bootstrap seed, so the bits do not depend on the thread count.
#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/experiments/sweep_sensitivity.hpp>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
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
    if (r.design == DesignKind::saltelli) {
        out.sobol = sobol_indices(y, r.unit.base_samples, r.factors.size(), bootstrap);
        if (out.note.empty() && !(out.sobol.variance > 0.0)) {
            // The AB rows vary but A and B do not: there is no variance to share out.
            out.note = "zero variance over the base samples (rows A and B)";
        }
    } else {
        out.morris = morris_indices(r.unit, y, bootstrap);
    }
    return out;
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
