// Sweeps: unit-cube coordinates to factor values, points to experiments, results to the columns
// of the result file, and shards back into one result.
#include "registry.hpp"
#include "text.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/statistics.hpp>
#include <canopy/engine/target.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/sweep.hpp>

#include <boost/math/special_functions/gamma.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <string_view>

namespace canopy::experiments {

namespace {

// Boost.Math in double precision throughout, so the bits do not depend on long double.
using DoublePolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

// The p-quantile of a distribution, p in (0, 1).
double quantile_of(const engine::Uncertain& d, double p) {
    using K = engine::Uncertain::Kind;
    switch (d.kind) {
    case K::fixed:
        return d.a;
    case K::uniform:
        return d.a + p * (d.b - d.a);
    case K::normal:
        return d.a + d.b * engine::normal_quantile(p);
    case K::lognormal:
        return d.a * std::exp(d.b * engine::normal_quantile(p));
    case K::beta:
        return engine::beta_quantile(d.a, d.b, p);
    case K::gamma:
        return boost::math::gamma_p_inv(d.a, p, DoublePolicy()) * d.b;
    case K::triangular: {
        // a = low, b = high, c = mode.
        const double width = d.b - d.a;
        const double below = (d.c - d.a) / width;
        return p < below ? d.a + std::sqrt(p * width * (d.c - d.a))
                         : d.b - std::sqrt((1.0 - p) * width * (d.b - d.c));
    }
    }
    return d.a;
}

// The label of table row r: row 0 is the end of the month before the start, row s + 1 the end
// of step s (the same labels as `canopy run`'s /time_label).
std::string row_label(const engine::Calendar& calendar, int row) {
    if (row <= 0) {
        engine::YearMonth before = calendar.start();
        if (--before.month < 1) {
            before.month = 12;
            --before.year;
        }
        return before.str();
    }
    return calendar.label(row - 1);
}

// Mean and type-7 quantiles of the numbers among `values`, in order.
struct Spread {
    double mean, q05, q50, q95;
};

Spread spread_of(std::span<const double> values) {
    std::vector<double> numbers;
    numbers.reserve(values.size());
    for (const double v : values) {
        if (!std::isnan(v)) {
            numbers.push_back(v);
        }
    }
    const std::array<double, 3> ps{0.05, 0.5, 0.95};
    std::array<double, 3> qs{};
    engine::quantiles(numbers, ps, qs);
    return {engine::mean(numbers), qs[0], qs[1], qs[2]};
}

std::string shard_text(const Shard& s) {
    return std::to_string(s.index) + "/" + std::to_string(s.count);
}

} // namespace

double Factor::value_at(double u, DesignKind design) const {
    u = std::clamp(u, 0.0, 1.0);
    switch (kind) {
    case Kind::range: {
        if (integer) {
            const double span = max - min + 1.0;
            return std::min(max, min + std::floor(u * span));
        }
        return u >= 1.0 ? max : min + u * (max - min);
    }
    case Kind::values: {
        if (values.empty()) {
            throw Error("factor '" + target.name + "' has no values");
        }
        const auto n = values.size();
        std::size_t k = 0;
        if (design == DesignKind::grid) {
            k = static_cast<std::size_t>(std::lround(u * static_cast<double>(n - 1)));
        } else {
            k = static_cast<std::size_t>(std::floor(u * static_cast<double>(n)));
        }
        return values[std::min(k, n - 1)];
    }
    case Kind::distribution: {
        double x = quantile_of(distribution, u);
        if (!std::isfinite(x)) {
            // u = 0 or 1 of an unbounded distribution (the loader refuses this for grid and
            // morris designs, whose levels include both ends): the nearest representable tail.
            constexpr double TAIL = 0x1.0p-53;
            x = quantile_of(distribution, std::clamp(u, TAIL, 1.0 - TAIL));
        }
        return integer ? std::round(x) : x;
    }
    }
    return min;
}

UnitDesign Sweep::unit_design() const {
    const std::size_t d = factors.size();
    switch (design) {
    case DesignKind::grid: {
        std::vector<std::size_t> per_factor;
        for (const Factor& f : factors) {
            per_factor.push_back(f.levels);
        }
        return grid_design(per_factor);
    }
    case DesignKind::lhs:
        return lhs_design(points, d, seed);
    case DesignKind::sobol:
        return sobol_design(points, d, seed);
    case DesignKind::saltelli:
        return saltelli_design(points, d, seed);
    case DesignKind::morris:
        return morris_design(points, d, levels, seed);
    }
    throw Error("unknown design");
}

Experiment Sweep::experiment() const {
    Experiment e;
    e.scenario = scenario;
    e.model = model;
    for (const Factor& f : factors) {
        e.factors.push_back(f.target);
    }
    e.replicates = replicates;
    e.seed = seed;
    e.common_random_numbers = common_random_numbers;
    e.outputs.mean_paths = outputs.mean_paths;
    e.fingerprint = fingerprint;
    return e;
}

std::vector<Point> Sweep::points_of(const UnitDesign& unit, std::size_t begin,
                                    std::size_t end) const {
    if (unit.dimensions != factors.size()) {
        throw Error("the design has " + std::to_string(unit.dimensions) + " dimensions for " +
                    std::to_string(factors.size()) + " factors");
    }
    end = std::min(end, unit.points());
    std::vector<Point> out;
    out.reserve(end > begin ? end - begin : 0);
    for (std::size_t k = begin; k < end; ++k) {
        Point p;
        p.index = k;
        p.values.reserve(factors.size());
        for (std::size_t f = 0; f < factors.size(); ++f) {
            p.values.push_back(factors[f].value_at(unit.at(k, f), design));
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<Shard> parse_shard(const std::string& text, std::string& why) {
    const auto slash = text.find('/');
    const auto number = [](const std::string& s, std::size_t& out) {
        const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
        return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
    };
    Shard s;
    if (slash == std::string::npos || !number(text.substr(0, slash), s.index) ||
        !number(text.substr(slash + 1), s.count)) {
        why = "'" + text + "' is not i/n";
        return std::nullopt;
    }
    if (s.count < 1) {
        why = "shard " + text + " does not exist: n must be at least 1";
        return std::nullopt;
    }
    if (s.index < 1 || s.index > s.count) {
        why = "shard " + text + " does not exist: i must be from 1 to n";
        return std::nullopt;
    }
    return s;
}

SweepResult make_design_result(const Sweep& sweep, const UnitDesign& design) {
    SweepResult r;
    r.design = sweep.design;
    r.factors = sweep.factor_names;
    r.unit = design;
    r.seed = sweep.seed;
    r.replicates = sweep.replicates;
    r.common_random_numbers = sweep.common_random_numbers;
    r.complete = false;
    r.sweep_text = sweep.text;
    r.scenario_text = sweep.scenario->text;
    r.engine_version = CANOPY_VERSION;
    r.build_id = build_id();
    r.fingerprint = sweep.fingerprint;
    r.points_total = design.points();
    r.values.assign(sweep.factors.size(), {});
    const std::vector<Point> points = sweep.points_of(design, 0, design.points());
    for (const Point& p : points) {
        r.point_index.push_back(p.index);
        for (std::size_t f = 0; f < p.values.size(); ++f) {
            r.values[f].push_back(p.values[f]);
        }
    }
    return r;
}

SweepResult make_sweep_result(const Sweep& sweep, const UnitDesign& design,
                              std::span<const Point> points, std::span<const PointResult> results,
                              const SweepTiming& timing, const std::optional<Shard>& shard) {
    if (points.size() != results.size()) {
        throw Error("a sweep result needs one result per point");
    }
    SweepResult r;
    r.design = sweep.design;
    r.factors = sweep.factor_names;
    r.seed = sweep.seed;
    r.replicates = sweep.replicates;
    r.common_random_numbers = sweep.common_random_numbers;
    r.complete = true;
    r.sweep_text = sweep.text;
    r.scenario_text = sweep.scenario->text;
    r.engine_version = CANOPY_VERSION;
    r.build_id = build_id();
    r.fingerprint = sweep.fingerprint;
    r.points_total = design.points();
    r.shard = shard ? shard_text(*shard) : std::string();

    // The design rows of these points.
    r.unit.kind = design.kind;
    r.unit.dimensions = design.dimensions;
    r.unit.base_samples = design.base_samples;
    r.unit.levels = design.levels;
    r.values.assign(sweep.factors.size(), {});
    for (const Point& p : points) {
        r.point_index.push_back(p.index);
        for (std::size_t f = 0; f < design.dimensions; ++f) {
            r.unit.u.push_back(design.at(p.index, f));
            r.values[f].push_back(p.values[f]);
        }
    }

    const engine::Scenario& scenario = *sweep.scenario;
    const std::size_t n = points.size();
    const auto reps = static_cast<std::size_t>(sweep.replicates);
    const std::size_t n_ind = scenario.indicators.size();
    for (const PointResult& pr : results) {
        if (pr.indicators != n_ind || pr.replicates != reps) {
            throw Error("the result of point " + std::to_string(pr.index) +
                        " does not match the sweep's indicators and replicates");
        }
    }
    const auto rows = static_cast<std::size_t>(scenario.calendar.steps() + 1);
    if (sweep.outputs.mean_paths) {
        for (std::size_t t = 0; t < rows; ++t) {
            r.time_labels.push_back(row_label(scenario.calendar, static_cast<int>(t)));
        }
    }

    for (std::size_t i = 0; i < n_ind; ++i) {
        const engine::IndicatorSpec& spec = scenario.indicators[i];
        IndicatorColumns c;
        c.id = spec.id;
        c.unit = spec.unit;
        for (const PointResult& pr : results) {
            const std::span<const double> finals(&pr.finals[i * reps], reps);
            const Spread s = spread_of(finals);
            c.mean.push_back(s.mean);
            c.q05.push_back(s.q05);
            c.q50.push_back(s.q50);
            c.q95.push_back(s.q95);
            if (sweep.outputs.finals) {
                c.finals.insert(c.finals.end(), finals.begin(), finals.end());
            }
            if (sweep.outputs.mean_paths) {
                if (pr.mean_paths.size() != n_ind * rows) {
                    throw Error("point " + std::to_string(pr.index) + " has no mean paths");
                }
                c.mean_path.insert(c.mean_path.end(),
                                   pr.mean_paths.begin() + static_cast<std::ptrdiff_t>(i * rows),
                                   pr.mean_paths.begin() +
                                       static_cast<std::ptrdiff_t>((i + 1) * rows));
            }
        }
        r.indicators.push_back(std::move(c));
    }

    for (const engine::TargetSpec& spec : scenario.targets) {
        std::size_t i = 0;
        while (i < n_ind && scenario.indicators[i].id != spec.indicator) {
            ++i;
        }
        if (i == n_ind) {
            throw Error("target '" + spec.id + "' compares a missing indicator '" + spec.indicator +
                        "'");
        }
        TargetColumns c;
        c.id = spec.id;
        c.unit = spec.unit.empty() ? scenario.indicators[i].unit : spec.unit;
        c.comparison = engine::to_string(spec.comparison);
        c.threshold = spec.threshold;
        for (const PointResult& pr : results) {
            const engine::TargetSummary s =
                engine::summarise(spec, std::span<const double>(&pr.finals[i * reps], reps));
            c.p_attain.push_back(s.p_attain);
            c.p_attain_lo.push_back(s.p_attain_ci.lo);
            c.p_attain_hi.push_back(s.p_attain_ci.hi);
            c.median.push_back(s.median);
        }
        r.targets.push_back(std::move(c));
    }

    r.wall_seconds = timing.wall_seconds;
    if (timing.wall_seconds > 0.0 && timing.points_computed > 0) {
        const auto computed = static_cast<double>(timing.points_computed);
        r.points_per_second = computed / timing.wall_seconds;
        const double simulating = timing.simulate_seconds / std::max(1.0, timing.concurrency);
        r.overhead_per_point_seconds = std::max(0.0, timing.wall_seconds - simulating) / computed;
    }
    (void)n;
    return r;
}

std::string index_ranges(std::span<const std::uint64_t> indices, std::size_t most) {
    std::string out;
    std::size_t shown = 0;
    for (std::size_t k = 0; k < indices.size();) {
        std::size_t j = k;
        while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) {
            ++j;
        }
        if (shown == most) {
            out += ", ... (" + std::to_string(indices.size()) + " in all)";
            break;
        }
        out += (out.empty() ? "" : ", ") + std::to_string(indices[k]);
        if (j > k) {
            out += "-" + std::to_string(indices[j]);
        }
        ++shown;
        k = j + 1;
    }
    return out;
}

namespace {

// "1 point", "3 points".
std::string count_of(std::size_t n, const std::string& what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// Why the columns of `s` do not each have one value (or row) per point, or empty: the reader
// checks this, a result built in memory may not hold to it.
std::string shape_problem(const SweepResult& s) {
    const std::size_t n = s.point_index.size();
    const std::size_t d = s.factors.size();
    const auto reps = static_cast<std::size_t>(std::max(0, s.replicates));
    const std::size_t rows = s.time_labels.size();
    const auto wrong = [&](const std::string& path, std::size_t size, std::size_t width,
                           const std::string& per) {
        std::string out =
            path + " has " + std::to_string(size) + " values for " + count_of(n, "point");
        return width == 1 ? out : out + " x " + count_of(width, per);
    };
    if (s.unit.dimensions != d || s.unit.u.size() != n * d) {
        return wrong("/design_unit", s.unit.u.size(), d, "factor");
    }
    if (s.values.size() != d) {
        return "/design has " + count_of(s.values.size(), "factor") + ", not " + std::to_string(d);
    }
    for (std::size_t f = 0; f < d; ++f) {
        if (s.values[f].size() != n) {
            return wrong("/design/" + s.factors[f], s.values[f].size(), 1, "");
        }
    }
    for (const TargetColumns& t : s.targets) {
        for (const auto& [name, column] :
             {std::pair{"p_attain", &t.p_attain}, std::pair{"p_attain_lo", &t.p_attain_lo},
              std::pair{"p_attain_hi", &t.p_attain_hi}, std::pair{"median", &t.median}}) {
            if (column->size() != n) {
                return wrong("/targets/" + t.id + "/" + name, column->size(), 1, "");
            }
        }
    }
    for (const IndicatorColumns& c : s.indicators) {
        for (const auto& [name, column] : {std::pair{"mean", &c.mean}, std::pair{"q05", &c.q05},
                                           std::pair{"q50", &c.q50}, std::pair{"q95", &c.q95}}) {
            if (column->size() != n) {
                return wrong("/indicators/" + c.id + "/" + name, column->size(), 1, "");
            }
        }
        if (!c.mean_path.empty() && c.mean_path.size() != n * rows) {
            return wrong("/indicators/" + c.id + "/mean_path", c.mean_path.size(), rows, "time");
        }
        if (!c.finals.empty() && c.finals.size() != n * reps) {
            return wrong("/indicators/" + c.id + "/finals", c.finals.size(), reps, "replicate");
        }
    }
    for (const auto& [output, y] : s.outputs) {
        if (y.size() != n) {
            return wrong("/outputs/" + output, y.size(), 1, "");
        }
    }
    return {};
}

// The groups and datasets of `s` a merge must find in every shard, by HDF5 path, each with what
// must agree about it (unit, comparison, threshold). `with_rows`: also which indicators keep
// paths and finals, which a shard of no points cannot say (its datasets are empty either way).
std::map<std::string, std::string> datasets_of(const SweepResult& s, bool with_rows) {
    std::map<std::string, std::string> out;
    for (const TargetColumns& t : s.targets) {
        out["/targets/" + t.id] = "unit '" + t.unit + "', comparison " + t.comparison + " " +
                                  detail::number_text(t.threshold);
    }
    for (const IndicatorColumns& c : s.indicators) {
        out["/indicators/" + c.id] = "unit '" + c.unit + "'";
        if (with_rows && !c.mean_path.empty()) {
            out["/indicators/" + c.id + "/mean_path"];
        }
        if (with_rows && !c.finals.empty()) {
            out["/indicators/" + c.id + "/finals"];
        }
    }
    for (const auto& [output, y] : s.outputs) {
        out["/outputs/" + output];
    }
    return out;
}

// How the datasets of shard `s` differ from those of `reference` (named `ref_name`), or empty.
std::string datasets_problem(const SweepResult& s, const SweepResult& reference,
                             const std::string& ref_name) {
    const bool with_rows = !s.point_index.empty() && !reference.point_index.empty();
    const std::map<std::string, std::string> mine = datasets_of(s, with_rows);
    const std::map<std::string, std::string> theirs = datasets_of(reference, with_rows);
    std::string lacks, has, other;
    const auto add = [](std::string& list, const std::string& item) {
        list += (list.empty() ? "" : ", ") + item;
    };
    for (const auto& [path, facts] : theirs) {
        const auto it = mine.find(path);
        if (it == mine.end()) {
            add(lacks, path);
        } else if (it->second != facts) {
            add(other, path + " (" + it->second + " vs " + facts + ")");
        }
    }
    for (const auto& [path, facts] : mine) {
        if (!theirs.contains(path)) {
            add(has, path);
        }
    }
    std::string out;
    const auto part = [&](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
    if (!lacks.empty()) {
        part("it lacks " + lacks + ", which " + ref_name + " has");
    }
    if (!has.empty()) {
        part("it has " + has + ", which " + ref_name + " lacks");
    }
    if (!other.empty()) {
        part("it describes " + other + " otherwise");
    }
    return out.empty() ? out : "holds other datasets than " + ref_name + ": " + out;
}

// Where each of `first`'s columns is in `s` (found by name: the lists are known to agree).
template <typename Columns, typename Id>
std::vector<std::size_t> positions(const std::vector<Columns>& first, const std::vector<Columns>& s,
                                   Id id) {
    std::vector<std::size_t> out;
    for (const Columns& c : first) {
        std::size_t k = 0;
        while (k < s.size() && id(s[k]) != id(c)) {
            ++k;
        }
        out.push_back(k);
    }
    return out;
}

// When every file given is a shard of one split into n, the shards of that split none of them
// is, as " (shards 3/20, 7/20 of the split: rerun them)", so that a user reruns the array tasks
// whose shards are missing rather than working them out from point indices; "" otherwise.
std::string missing_shards(std::span<const SweepResult> shards) {
    std::size_t count = 0;
    std::vector<bool> given;
    for (const SweepResult& s : shards) {
        std::string why;
        const std::optional<Shard> shard = parse_shard(s.shard, why);
        // (A split into more shards than the design has points is refused when made; a file
        // claiming one is not worth a list.)
        if (!shard || (count != 0 && shard->count != count) || shard->count > s.points_total) {
            return {};
        }
        count = shard->count;
        given.resize(count, false);
        given[shard->index - 1] = true;
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) {
        if (!given[i]) {
            names.push_back(std::to_string(i + 1) + "/" + std::to_string(count));
        }
    }
    if (names.empty()) {
        return {};
    }
    constexpr std::size_t MOST = 20;
    const std::size_t more = names.size() > MOST ? names.size() - MOST : 0;
    names.resize(names.size() - more);
    return std::string(" (") + (names.size() + more == 1 ? "shard " : "shards ") +
           detail::join(names) + (more != 0 ? " and " + std::to_string(more) + " more" : "") +
           " of the split: rerun " + (names.size() + more == 1 ? "it" : "them") + ")";
}

/// A sweep file's text without its `seed = ...` lines: what is left to compare once the seeds
/// are known to differ.
std::string without_seed(const std::string& text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::string_view line(text.data() + at, end - at);
        const std::size_t start = line.find_first_not_of(" \t");
        const bool seed = start != std::string_view::npos && line.substr(start, 4) == "seed" &&
                          line.find_first_not_of(" \t", start + 4) != std::string_view::npos &&
                          line[line.find_first_not_of(" \t", start + 4)] == '=';
        if (!seed) {
            out.append(line);
        }
        at = end;
    }
    return out;
}

/// The posterior file a scenario's text names (`posterior = "..."`: the first, the scenario's own
/// before the files it extends), or "" when it names none.
std::string posterior_named(const std::string& scenario_text) {
    std::size_t at = 0;
    while (at < scenario_text.size()) {
        std::size_t end = scenario_text.find('\n', at);
        end = end == std::string::npos ? scenario_text.size() : end;
        const std::string_view line(scenario_text.data() + at, end - at);
        const std::size_t key = line.find_first_not_of(" \t");
        constexpr std::string_view POSTERIOR = "posterior";
        if (key != std::string_view::npos && line.substr(key, POSTERIOR.size()) == POSTERIOR) {
            const std::size_t eq = line.find_first_not_of(" \t", key + POSTERIOR.size());
            const std::size_t open = eq == std::string_view::npos || line[eq] != '='
                                         ? std::string_view::npos
                                         : line.find_first_of("\"'", eq);
            const std::size_t close = open == std::string_view::npos
                                          ? std::string_view::npos
                                          : line.find(line[open], open + 1);
            if (close != std::string_view::npos) {
                return std::string(line.substr(open + 1, close - open - 1));
            }
        }
        at = end + 1;
    }
    return {};
}

} // namespace

std::optional<SweepResult> merge_sweep_results(std::span<const SweepResult> shards,
                                               std::span<const std::string> files,
                                               engine::Diagnostics& diagnostics) {
    const auto name = [&](std::size_t k) {
        return k < files.size() ? files[k] : "shard " + std::to_string(k + 1);
    };
    const std::string edited = "shards of one sweep, as canopy sweep --shard wrote them";
    const auto problem = [&](std::size_t k, const std::string& message,
                             const std::string& allowed = {}) {
        diagnostics.add(detail::error_at(name(k), 0, 0, "", message, allowed));
    };
    if (shards.empty()) {
        diagnostics.add(detail::error_at("", 0, 0, "", "no shards to merge"));
        return std::nullopt;
    }
    const SweepResult& first = shards[0];
    // Which datasets a shard must hold: those of the first shard that holds points (a shard of
    // none cannot say which indicators keep paths and finals).
    std::size_t ref = 0;
    while (ref + 1 < shards.size() && shards[ref].point_index.empty()) {
        ++ref;
    }
    const auto versus = [](auto a, auto b) {
        return std::to_string(a) + " vs " + std::to_string(b);
    };
    bool ok = true;
    for (std::size_t k = 0; k < shards.size(); ++k) {
        const SweepResult& s = shards[k];
        const auto differs = [&](const std::string& what) {
            problem(k, "comes from a different " + what + " than " + name(0));
            ok = false;
        };
        if (!s.complete || (s.indicators.empty() && s.targets.empty() && s.points() > 0)) {
            problem(k, "holds no results (a --design-only file?)",
                    "files written by canopy sweep --shard");
            ok = false;
            continue;
        }
        if (s.seed != first.seed) {
            // Named, not hidden in "a different sweep file" when the file's seed key is all
            // that differs (docs/sweeps.md: merge names what differs).
            problem(k, "comes from a different seed than " + name(0) + ": seed " +
                           std::to_string(s.seed) + " against " + std::to_string(first.seed) +
                           (detail::toml_content(without_seed(s.sweep_text)) !=
                                    detail::toml_content(without_seed(first.sweep_text))
                                ? " (and its sweep file differs in other lines too)"
                                : ""));
            ok = false;
        } else if (s.sweep_text != first.sweep_text &&
                   detail::toml_content(s.sweep_text) != detail::toml_content(first.sweep_text)) {
            // Its settings, as the fingerprint: comments and spacing are no difference.
            differs("sweep file");
        } else if (s.engine_version != first.engine_version) {
            differs("Canopy version (" + s.engine_version + " vs " + first.engine_version + ")");
        } else if (s.build_id != first.build_id) {
            // One version has computed other numbers in two builds: a shard of each would be
            // merged into a result neither build gives.
            const auto build = [](const std::string& id) {
                return id.empty() ? std::string("none recorded: a build from before Canopy "
                                                "recorded it")
                                  : id;
            };
            problem(k,
                    "comes from another build of Canopy than " + name(0) + " (build_id " +
                        build(s.build_id) + ", " + name(0) + " has " + build(first.build_id) +
                        "): two builds may compute other numbers from the same inputs; " +
                        (s.shard.empty() ? std::string("run every shard with one canopy")
                                         : "rerun shard " + s.shard +
                                               " (canopy sweep SWEEP.toml --shard " + s.shard +
                                               ") with the canopy that wrote the others, or "
                                               "every shard with one canopy"),
                    "shards of one build");
            ok = false;
        } else if (engine::scenario_content(s.scenario_text) !=
                   engine::scenario_content(first.scenario_text)) {
            differs("scenario text");
        } else if (const std::string posterior = posterior_named(s.scenario_text);
                   s.fingerprint != first.fingerprint && !posterior.empty()) {
            // The sweep file, the scenario's text, the version and the build are the same, so
            // what is left of the fingerprint is the posterior's draws (docs/sweeps.md): the file
            // the scenario names was written again between the shards.
            problem(k, "comes from a different posterior than " + name(0) +
                           ": the scenario of both names '" + posterior +
                           "', but its draws differ (the file was written again between the "
                           "shards; fingerprint " +
                           s.fingerprint + " vs " + first.fingerprint +
                           "); rerun the shards made with the other draws, with the posterior "
                           "the sweep is to use");
            ok = false;
        } else if (s.fingerprint != first.fingerprint) {
            differs("experiment (fingerprint " + s.fingerprint + " vs " + first.fingerprint + ")");
        } else if (s.replicates != first.replicates) {
            differs("experiment (replicates " + versus(s.replicates, first.replicates) + ")");
        } else if (s.points_total != first.points_total) {
            differs("experiment (points_total " + versus(s.points_total, first.points_total) + ")");
        } else if (s.factors != first.factors) {
            differs("experiment (factors " + detail::join(s.factors) + " vs " +
                    detail::join(first.factors) + ")");
        } else if (s.design != first.design || s.unit.base_samples != first.unit.base_samples ||
                   s.unit.levels != first.unit.levels) {
            differs(std::string("design (") + to_string(s.design) + ", base_samples " +
                    std::to_string(s.unit.base_samples) + ", levels " +
                    std::to_string(s.unit.levels) + " vs " + to_string(first.design) +
                    ", base_samples " + std::to_string(first.unit.base_samples) + ", levels " +
                    std::to_string(first.unit.levels) + ")");
        } else if (s.time_labels != first.time_labels) {
            differs("calendar (/time has " + std::to_string(s.time_labels.size()) + " vs " +
                    std::to_string(first.time_labels.size()) + " labels)");
        } else if (const std::string p = shape_problem(s); !p.empty()) {
            problem(k, p, "one value per point in every column");
            ok = false;
        } else if (k != ref) {
            if (const std::string q = datasets_problem(s, shards[ref], name(ref)); !q.empty()) {
                problem(k, q, edited);
                ok = false;
            }
        }
    }
    if (!ok) {
        return std::nullopt;
    }

    // Row of each design point, and which shard holds it; a shard's points held elsewhere too
    // or beyond the design are summed up, one line per shard and other file.
    const std::size_t total = first.points_total;
    std::vector<std::pair<std::size_t, std::size_t>> where(total, {SIZE_MAX, 0});
    std::map<std::string, std::size_t> seen_shards;
    for (std::size_t k = 0; k < shards.size(); ++k) {
        const SweepResult& s = shards[k];
        if (!s.shard.empty()) {
            if (const auto [it, fresh] = seen_shards.emplace(s.shard, k); !fresh) {
                problem(k, "is shard " + s.shard + " again (already given as " + name(it->second) +
                               ")");
                ok = false;
                continue;
            }
        }
        std::vector<std::uint64_t> beyond;
        std::map<std::size_t, std::vector<std::uint64_t>> twice; // by the shard holding them
        for (std::size_t row = 0; row < s.point_index.size(); ++row) {
            const std::uint64_t p = s.point_index[row];
            if (p >= total) {
                beyond.push_back(p);
            } else if (where[p].first != SIZE_MAX) {
                twice[where[p].first].push_back(p);
            } else {
                where[p] = {k, row};
            }
        }
        if (!beyond.empty()) {
            std::sort(beyond.begin(), beyond.end());
            problem(k, "holds " + count_of(beyond.size(), "point") + " beyond the design's " +
                           std::to_string(total) + " points (" + index_ranges(beyond) + ")");
            ok = false;
        }
        for (auto& [holder, points] : twice) {
            std::sort(points.begin(), points.end());
            problem(k, "holds " + count_of(points.size(), "point") + " that " + name(holder) +
                           " holds too (" + index_ranges(points) + ")");
            ok = false;
        }
    }
    std::vector<std::uint64_t> missing;
    for (std::uint64_t p = 0; p < total; ++p) {
        if (where[p].first == SIZE_MAX) {
            missing.push_back(p);
        }
    }
    if (!missing.empty()) {
        diagnostics.add(detail::error_at(
            "", 0, 0, "",
            "the shards given hold " + std::to_string(total - missing.size()) + " of " +
                std::to_string(total) + " points; missing: " + index_ranges(missing) +
                missing_shards(shards),
            "every shard i/n of the sweep (canopy sweep --shard i/n)"));
        ok = false;
    }
    if (!ok) {
        return std::nullopt;
    }

    SweepResult out;
    out.design = first.design;
    out.factors = first.factors;
    out.unit.kind = first.unit.kind;
    out.unit.dimensions = first.unit.dimensions;
    out.unit.base_samples = first.unit.base_samples;
    out.unit.levels = first.unit.levels;
    out.seed = first.seed;
    out.replicates = first.replicates;
    out.common_random_numbers = first.common_random_numbers;
    out.complete = true;
    out.sweep_text = first.sweep_text;
    out.scenario_text = first.scenario_text;
    out.engine_version = first.engine_version;
    out.build_id = first.build_id;
    out.fingerprint = first.fingerprint;
    out.points_total = total;
    out.time_labels = first.time_labels;
    out.values.assign(first.factors.size(), {});
    out.targets = first.targets;
    out.indicators = first.indicators;
    out.outputs = first.outputs;
    for (auto& t : out.targets) {
        t.p_attain.clear();
        t.p_attain_lo.clear();
        t.p_attain_hi.clear();
        t.median.clear();
    }
    const std::size_t rows = first.time_labels.size();
    const auto reps = static_cast<std::size_t>(first.replicates);
    for (auto& c : out.indicators) {
        c.mean.clear();
        c.q05.clear();
        c.q50.clear();
        c.q95.clear();
        c.mean_path.clear();
        c.finals.clear();
    }
    for (auto& [output, y] : out.outputs) {
        y.clear();
    }
    // Each shard's columns in the first shard's order (an HDF5 file rewritten by another tool
    // may list its groups in another order).
    std::vector<std::vector<std::size_t>> target_at, indicator_at, output_at;
    for (const SweepResult& s : shards) {
        target_at.push_back(
            positions(first.targets, s.targets, [](const TargetColumns& c) { return c.id; }));
        indicator_at.push_back(positions(first.indicators, s.indicators,
                                         [](const IndicatorColumns& c) { return c.id; }));
        output_at.push_back(positions(first.outputs, s.outputs,
                                      [](const auto& o) -> const std::string& { return o.first; }));
    }
    double wall = 0.0;
    double overhead = 0.0;
    for (const SweepResult& s : shards) {
        wall += s.wall_seconds;
        overhead += s.overhead_per_point_seconds * static_cast<double>(s.points());
    }
    for (std::size_t p = 0; p < total; ++p) {
        const auto [k, row] = where[p];
        const SweepResult& s = shards[k];
        out.point_index.push_back(p);
        const std::size_t d = first.unit.dimensions;
        for (std::size_t f = 0; f < d; ++f) {
            out.unit.u.push_back(s.unit.u[row * d + f]);
        }
        for (std::size_t f = 0; f < out.values.size(); ++f) {
            out.values[f].push_back(s.values[f][row]);
        }
        for (std::size_t t = 0; t < out.targets.size(); ++t) {
            const TargetColumns& c = s.targets[target_at[k][t]];
            out.targets[t].p_attain.push_back(c.p_attain[row]);
            out.targets[t].p_attain_lo.push_back(c.p_attain_lo[row]);
            out.targets[t].p_attain_hi.push_back(c.p_attain_hi[row]);
            out.targets[t].median.push_back(c.median[row]);
        }
        for (std::size_t i = 0; i < out.indicators.size(); ++i) {
            const IndicatorColumns& c = s.indicators[indicator_at[k][i]];
            IndicatorColumns& o = out.indicators[i];
            o.mean.push_back(c.mean[row]);
            o.q05.push_back(c.q05[row]);
            o.q50.push_back(c.q50[row]);
            o.q95.push_back(c.q95[row]);
            if (!c.mean_path.empty()) {
                o.mean_path.insert(o.mean_path.end(),
                                   c.mean_path.begin() + static_cast<std::ptrdiff_t>(row * rows),
                                   c.mean_path.begin() +
                                       static_cast<std::ptrdiff_t>((row + 1) * rows));
            }
            if (!c.finals.empty()) {
                o.finals.insert(o.finals.end(),
                                c.finals.begin() + static_cast<std::ptrdiff_t>(row * reps),
                                c.finals.begin() + static_cast<std::ptrdiff_t>((row + 1) * reps));
            }
        }
        for (std::size_t o = 0; o < out.outputs.size(); ++o) {
            out.outputs[o].second.push_back(s.outputs[output_at[k][o]].second[row]);
        }
    }
    // The shards' work, added up: the wall time a single process would have needed.
    out.wall_seconds = wall;
    out.points_per_second = wall > 0.0 ? static_cast<double>(total) / wall : 0.0;
    out.overhead_per_point_seconds = total > 0 ? overhead / static_cast<double>(total) : 0.0;
    return out;
}

} // namespace canopy::experiments
