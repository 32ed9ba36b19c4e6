// The sweep file: read with the scenario loader's guards, checked key by key against
// docs/sweeps.md, its scenario loaded and its factors resolved against the scenario's model.
// Every problem is a diagnostic with the file, line, column and dotted key; nothing stops at the
// first one.
#include "registry.hpp"
#include "text.hpp"

#include <canopy/engine/distribution_syntax.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/toml_document.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/posterior.hpp>
#include <canopy/experiments/sweep.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace canopy::experiments {

namespace {

namespace fs = std::filesystem;
using detail::join;
using detail::number_text;
using detail::range_text;
using engine::distribution_fields;
using engine::distribution_names;
using engine::TomlValue;

const std::vector<std::string> ROOT_KEYS = {"sweep", "factors"};
const std::vector<std::string> SWEEP_KEYS = {
    "scenario", "policy_mix", "design",     "points",
    "levels",   "replicates", "seed",       "common_random_numbers",
    "outputs",  "title",      "description"};
const std::vector<std::string> OUTPUT_NAMES = {"finals", "mean_paths"};
const std::vector<std::string> DESIGN_NAMES = {"grid", "lhs", "sobol", "saltelli", "morris"};
// `override` says how a lever is changed ("set", "scale"); not `mode`, which is a triangular
// distribution's field.
const std::vector<std::string> FACTOR_COMMON_KEYS = {"override",   "levels", "source",
                                                     "assumption", "note",   "description"};
const std::vector<std::string> MODES = {"set", "scale"};
constexpr std::int64_t MAX_REPLICATES = 1'000'000;
// No design runs more points than MAX_DESIGN_POINTS (design.hpp), and points counts base
// samples or trajectories at most that many: the key's range says the real limit.
constexpr auto MAX_POINTS = static_cast<std::int64_t>(MAX_DESIGN_POINTS);
constexpr std::int64_t MAX_LEVELS = 1'000'000;
const std::string MORRIS_LEVELS =
    "an even integer from 2 to 1000000 (the levels p of the Morris grid)";

const std::vector<engine::DistributionSyntax>& DISTRIBUTIONS = engine::distribution_syntaxes();

// What a scenario's posterior puts into its runs: the columns it sets and the weighted rows
// replicates draw, as bytes for the fingerprint. The file's path and timestamps do not matter;
// two posteriors that give the same draws give the same text.
std::string draws_text(const engine::JointDraws& draws) {
    std::string out = "posterior";
    for (const engine::JointDraws::Column& c : draws.columns()) {
        out += "\n" + c.name + " " +
               (c.kind == engine::JointDraws::Column::Kind::lever_scale ? "lever_scale"
                                                                        : "parameter") +
               " " + std::to_string(c.index);
    }
    const auto bytes = [&out](const double* data, std::size_t n) {
        out += "\n";
        const std::size_t at = out.size();
        out.resize(at + n * sizeof(double));
        if (n > 0) {
            std::memcpy(out.data() + at, data, n * sizeof(double));
        }
    };
    std::vector<double> values;
    values.reserve(draws.rows() * draws.columns().size());
    for (std::size_t r = 0; r < draws.rows(); ++r) {
        for (std::size_t c = 0; c < draws.columns().size(); ++c) {
            values.push_back(draws.value(r, c));
        }
    }
    bytes(values.data(), values.size());
    bytes(draws.weights().data(), draws.weights().size());
    return out;
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Diagnostics for one file.
class Context {
public:
    Context(std::string file, engine::Diagnostics& out)
        : file_(std::move(file))
        , out_(out) {}

    void error(int line, int column, std::string key, std::string message, std::string allowed = {},
               std::string hint = {}) {
        ++errors_;
        out_.add(detail::error_at(file_, line > 0 ? line : 1, line > 0 && column > 0 ? column : 1,
                                  std::move(key), std::move(message), std::move(allowed),
                                  std::move(hint)));
    }
    void error_at(const TomlValue& v, std::string key, std::string message,
                  std::string allowed = {}, std::string hint = {}) {
        error(v.line, v.column, std::move(key), std::move(message), std::move(allowed),
              std::move(hint));
    }
    [[nodiscard]] InputPlace place(const TomlValue& v, const std::string& key) const {
        return InputPlace{file_, v.line > 0 ? v.line : 1, v.column > 0 ? v.column : 1, key};
    }
    [[nodiscard]] std::size_t errors() const noexcept { return errors_; }
    [[nodiscard]] const std::string& file() const noexcept { return file_; }

private:
    std::string file_;
    engine::Diagnostics& out_;
    std::size_t errors_ = 0;
};

// Typed access to one table, reporting wrong types and missing keys at their place.
class Table {
public:
    Table(Context& ctx, const TomlValue& node, std::string path)
        : ctx_(ctx)
        , node_(node)
        , path_(std::move(path)) {}

    [[nodiscard]] std::string path(const std::string& key) const {
        return path_.empty() ? key : path_ + "." + key;
    }
    [[nodiscard]] const TomlValue* find(const std::string& key) const { return node_.find(key); }
    [[nodiscard]] bool has(const std::string& key) const { return find(key) != nullptr; }
    [[nodiscard]] const TomlValue& node() const noexcept { return node_; }

    void check_keys(const std::vector<std::string>& allowed,
                    const std::vector<std::string>& known = {},
                    const std::string& shape = {}) const {
        for (const TomlValue& v : node_.entries) {
            if (std::find(allowed.begin(), allowed.end(), v.key) != allowed.end()) {
                continue;
            }
            if (std::find(known.begin(), known.end(), v.key) != known.end()) {
                ctx_.error(v.key_line, v.key_column, path(v.key),
                           "'" + v.key + "' does not apply to " + shape, join(allowed));
            } else {
                ctx_.error(v.key_line, v.key_column, path(v.key), "unknown key '" + v.key + "'",
                           join(allowed), engine::did_you_mean(v.key, allowed));
            }
        }
    }

    void missing(const std::string& key, std::string message, std::string allowed = {}) const {
        ctx_.error(node_.line, node_.column, path(key), std::move(message), std::move(allowed));
    }

    [[nodiscard]] const TomlValue* typed(const std::string& key, bool required,
                                         const std::string& expected, bool fits,
                                         const std::string& allowed = {}) const {
        const TomlValue* v = find(key);
        if (v == nullptr) {
            if (required) {
                missing(key, "missing required key '" + key + "'", allowed);
            }
            return nullptr;
        }
        if (!fits) {
            ctx_.error_at(*v, path(key),
                          "expected " + expected + ", found " + engine::describe(v->type), allowed);
            return nullptr;
        }
        return v;
    }

    [[nodiscard]] std::optional<std::string> string(const std::string& key, bool required = false,
                                                    const std::string& allowed = {}) const {
        const TomlValue* v = find(key);
        const TomlValue* t =
            typed(key, required, "a string", v && v->type == TomlValue::Type::string, allowed);
        return t ? std::optional<std::string>(t->string) : std::nullopt;
    }

    [[nodiscard]] std::optional<double> number(const std::string& key, bool required = false,
                                               const std::string& allowed = "a number") const {
        const TomlValue* v = find(key);
        const TomlValue* t = typed(key, required, "a number", v && v->is_number(), allowed);
        if (t == nullptr) {
            return std::nullopt;
        }
        if (!std::isfinite(t->floating)) {
            ctx_.error_at(*t, path(key),
                          "expected a finite number, found " + number_text(t->floating), allowed);
            return std::nullopt;
        }
        return t->floating;
    }

    [[nodiscard]] std::optional<std::int64_t> integer(const std::string& key, bool required,
                                                      std::int64_t lo, std::int64_t hi,
                                                      std::string allowed = {}) const {
        if (allowed.empty()) {
            allowed = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
        }
        const TomlValue* v = find(key);
        const TomlValue* t =
            typed(key, required, "an integer", v && v->type == TomlValue::Type::integer, allowed);
        if (t == nullptr) {
            return std::nullopt;
        }
        if (t->integer < lo || t->integer > hi) {
            ctx_.error_at(*t, path(key), std::to_string(t->integer) + " is out of range", allowed);
            return std::nullopt;
        }
        return t->integer;
    }

    [[nodiscard]] std::optional<bool> boolean(const std::string& key) const {
        const TomlValue* v = find(key);
        const TomlValue* t =
            typed(key, false, "true or false", v && v->type == TomlValue::Type::boolean);
        return t ? std::optional<bool>(t->boolean) : std::nullopt;
    }

    [[nodiscard]] const TomlValue* array(const std::string& key, bool required = false) const {
        const TomlValue* v = find(key);
        return typed(key, required, "an array", v && v->type == TomlValue::Type::array);
    }

private:
    Context& ctx_;
    const TomlValue& node_;
    std::string path_;
};

// The factor's definition, checked against its target's allowed values.
struct FactorReader {
    Context& ctx;
    const engine::ModelInfo& model;
    const engine::Scenario& scenario;
    DesignKind design;
    bool design_known;

    std::optional<Factor> read(const std::string& name, const TomlValue& node) {
        const std::string path = "factors." + name;
        const Table t(ctx, node, path);
        const std::size_t errors_before = ctx.errors();

        OverrideMode mode = OverrideMode::set;
        if (auto m = t.string("override", false, join(MODES))) {
            if (*m == "scale") {
                mode = OverrideMode::scale;
            } else if (*m != "set") {
                ctx.error_at(*t.find("override"), t.path("override"),
                             "unknown override '" + *m + "'", join(MODES),
                             engine::did_you_mean(*m, MODES));
            }
        }
        engine::Diagnostics resolve;
        std::optional<OverrideTarget> target =
            resolve_target(name, model, ctx.place(node, path), resolve, mode,
                           "override = \"set\" (the default, or no override key) to set it: "
                           "the factor's values are then its own");
        for (const engine::Diagnostic& d : resolve) {
            // Reported at the table's header, where the name is written.
            ctx.error(node.line, node.column, d.key, d.message, d.allowed, d.hint);
        }

        const bool has_range = t.has("min") || t.has("max");
        const bool has_values = t.has("values");
        const bool has_distribution = t.has("distribution");
        const int shapes = int{has_range} + int{has_values} + int{has_distribution};
        Factor f;
        if (target) {
            f.target = *target;
            f.integer = target->kind != TargetKind::lever && mode == OverrideMode::set &&
                        model.parameters[static_cast<std::size_t>(target->index)].integer;
        }
        if (shapes != 1) {
            t.check_keys(with(with({"min", "max", "values", "distribution"}, FACTOR_COMMON_KEYS),
                              distribution_fields()));
            if (shapes == 0) {
                t.missing("min", "a factor needs 'min' and 'max', 'values', or a 'distribution'",
                          "min = x, max = y | values = [...] | distribution = \"...\"");
            } else {
                ctx.error(node.line, node.column, path,
                          "give one of 'min'/'max', 'values' or 'distribution', not several");
            }
            return std::nullopt;
        }
        if (has_range) {
            f.kind = Factor::Kind::range;
            t.check_keys(with({"min", "max"}, FACTOR_COMMON_KEYS),
                         with({"values", "distribution"}, distribution_fields()),
                         "a factor with a range (min, max)");
            const auto lo = t.number("min", true);
            const auto hi = t.number("max", true);
            if (lo && hi && !(*lo < *hi)) {
                ctx.error_at(*t.find("max"), t.path("max"),
                             "max (" + number_text(*hi) + ") must exceed min (" + number_text(*lo) +
                                 ")",
                             "a number > " + number_text(*lo));
            }
            if (lo && hi && target) {
                check(*target, *lo, t, "min");
                check(*target, *hi, t, "max");
            }
            f.min = lo.value_or(0.0);
            f.max = hi.value_or(0.0);
        } else if (has_values) {
            f.kind = Factor::Kind::values;
            t.check_keys(with({"values"}, FACTOR_COMMON_KEYS),
                         with({"min", "max", "distribution"}, distribution_fields()),
                         "a factor with a list of values");
            if (const TomlValue* list = t.array("values", true)) {
                if (list->items.empty()) {
                    ctx.error_at(*list, t.path("values"), "the list of values is empty",
                                 "at least one number");
                }
                std::vector<std::size_t> listed_at; // each value's place in the list
                for (std::size_t k = 0; k < list->items.size(); ++k) {
                    const TomlValue& item = list->items[k];
                    const std::string key = t.path("values") + "[" + std::to_string(k) + "]";
                    if (!item.is_number() || !std::isfinite(item.floating)) {
                        ctx.error_at(item, key,
                                     std::string("expected a finite number, found ") +
                                         (item.is_number() ? number_text(item.floating)
                                                           : engine::describe(item.type)));
                        continue;
                    }
                    if (const auto same =
                            std::find(f.values.begin(), f.values.end(), item.floating);
                        same != f.values.end()) {
                        // Each value is an equal share of the design: a repeat doubles its
                        // share, and a grid or Morris design runs the same points again.
                        ctx.error_at(
                            item, key,
                            number_text(item.floating) + " is listed twice (also " +
                                t.path("values") + "[" +
                                std::to_string(
                                    listed_at[static_cast<std::size_t>(same - f.values.begin())]) +
                                "])",
                            "each value at most once");
                        continue;
                    }
                    if (target) {
                        engine::Diagnostics d;
                        check_value(*target, item.floating, model, ctx.place(item, key), d,
                                    &scenario);
                        forward(d);
                    }
                    f.values.push_back(item.floating);
                    listed_at.push_back(k);
                }
                if (list->items.size() == 1 && f.values.size() == 1 && design_known &&
                    design != DesignKind::grid) {
                    // The factor would be the same at every point, and its indices 0 [0, 0]:
                    // refused as min == max is. A grid keeps it: values = [x] is how a grid
                    // runs one setting on purpose (a one-point sweep is `canopy run`).
                    ctx.error_at(*list, t.path("values"),
                                 "one value (" + number_text(f.values[0]) +
                                     ") makes the factor the same at every point of a " +
                                     to_string(design) + " design",
                                 "at least 2 different numbers; a fixed value belongs in the "
                                 "scenario");
                }
            }
        } else {
            f.kind = Factor::Kind::distribution;
            read_distribution(t, f, target);
        }

        if (t.has("levels")) {
            if (design_known && design != DesignKind::grid) {
                ctx.error_at(*t.find("levels"), t.path("levels"),
                             std::string("a factor's 'levels' applies to grid designs only, not ") +
                                 to_string(design),
                             "[sweep] levels = p for a morris design's grid");
            } else if (f.kind == Factor::Kind::values) {
                ctx.error_at(*t.find("levels"), t.path("levels"),
                             "a factor with a list of values has one level per value");
            } else if (auto levels =
                           t.integer("levels", false, 2, MAX_LEVELS,
                                     "an integer from 2 to " + std::to_string(MAX_LEVELS) +
                                         " (one level would run the factor at its midpoint "
                                         "only)")) {
                f.levels = static_cast<std::size_t>(*levels);
            }
        }
        if (f.kind == Factor::Kind::values) {
            f.levels = f.values.size();
        }
        (void)t.string("source");
        (void)t.string("assumption");
        (void)t.string("note");
        (void)t.string("description");
        if (ctx.errors() != errors_before || !target) {
            return std::nullopt;
        }
        return f;
    }

    void forward(const engine::Diagnostics& d) {
        for (const engine::Diagnostic& x : d) {
            ctx.error(x.line, x.column, x.key, x.message, x.allowed, x.hint);
        }
    }

    void check(const OverrideTarget& target, double value, const Table& t, const std::string& key) {
        engine::Diagnostics d;
        check_value(target, value, model, ctx.place(*t.find(key), t.path(key)), d, &scenario);
        forward(d);
    }

    void read_distribution(const Table& t, Factor& f, const std::optional<OverrideTarget>& target) {
        const auto kind = t.string("distribution", true, join(distribution_names()));
        const auto shape = std::find_if(
            DISTRIBUTIONS.begin(), DISTRIBUTIONS.end(),
            [&](const engine::DistributionSyntax& d) { return kind && *kind == d.name; });
        if (shape == DISTRIBUTIONS.end()) {
            t.check_keys(with(with({"distribution"}, FACTOR_COMMON_KEYS), distribution_fields()),
                         {"min", "max", "values"}, "a factor with a distribution");
            if (kind) {
                ctx.error_at(*t.find("distribution"), t.path("distribution"),
                             "unknown distribution '" + *kind + "'", join(distribution_names()),
                             engine::did_you_mean(*kind, distribution_names()));
            }
            return;
        }
        t.check_keys(with(with({"distribution"}, FACTOR_COMMON_KEYS), shape->fields),
                     with({"min", "max", "values"}, distribution_fields()),
                     std::string("a ") + shape->name + " distribution");
        std::vector<double> v;
        bool all = true;
        for (const std::string& field : shape->fields) {
            const auto x = t.number(field, true);
            all = all && x.has_value();
            v.push_back(x.value_or(0.0));
        }
        if (!all) {
            return;
        }
        engine::Uncertain u;
        u.kind = shape->kind;
        u.a = v[0];
        u.b = v[1];
        if (shape->kind == engine::Uncertain::Kind::triangular) {
            u.b = v[2];
            u.c = v[1];
        }
        const TomlValue& at = *t.find("distribution");
        // Each field checked at its own key, as the scenario's are (scenario.cpp), and a
        // distribution that cannot vary (sd = 0, sigma = 0, low == high) refused as min == max
        // is: the factor would be the same at every point, and its indices 0 [0, 0].
        const std::size_t errors_before = ctx.errors();
        const auto bad = [&](const std::string& field, const std::string& message,
                             const std::string& allowed) {
            ctx.error_at(*t.find(field), t.path(field), message, allowed);
        };
        const std::string same = ": the factor would be the same at every point";
        switch (shape->kind) {
        case engine::Uncertain::Kind::uniform:
        case engine::Uncertain::Kind::triangular: {
            const double low = v[0];
            const double high = shape->kind == engine::Uncertain::Kind::uniform ? v[1] : v[2];
            if (!(low < high)) {
                bad("high",
                    "high (" + number_text(high) + ") must exceed low (" + number_text(low) + ")" +
                        (low == high ? same : std::string()),
                    "a number > " + number_text(low));
            } else if (shape->kind == engine::Uncertain::Kind::triangular &&
                       (v[1] < low || v[1] > high)) {
                bad("mode", "the mode (" + number_text(v[1]) + ") must lie between low and high",
                    "a number from " + number_text(low) + " to " + number_text(high));
            }
            break;
        }
        case engine::Uncertain::Kind::normal:
            if (!(v[1] > 0.0)) {
                bad("sd",
                    "the standard deviation must be positive, not " + number_text(v[1]) +
                        (v[1] == 0.0 ? same : std::string()),
                    "a number > 0");
            }
            break;
        case engine::Uncertain::Kind::lognormal:
            if (!(v[0] > 0.0)) {
                bad("median",
                    "the median of a lognormal must be positive, not " + number_text(v[0]),
                    "a number > 0");
            }
            if (!(v[1] > 0.0)) {
                bad("sigma",
                    "sigma must be positive, not " + number_text(v[1]) +
                        (v[1] == 0.0 ? same : std::string()),
                    "a number > 0");
            }
            break;
        case engine::Uncertain::Kind::beta:
        case engine::Uncertain::Kind::gamma:
            for (std::size_t k = 0; k < 2; ++k) {
                if (!(v[k] > 0.0)) {
                    bad(shape->fields[k],
                        shape->fields[k] + " must be positive, not " + number_text(v[k]),
                        "a number > 0");
                }
            }
            break;
        case engine::Uncertain::Kind::fixed:
            break;
        }
        if (ctx.errors() != errors_before) {
            return;
        }
        if (const char* why = u.domain_error()) {
            // The sampler's own contract, in case it is stricter than the checks above.
            ctx.error_at(at, t.path("distribution"), why);
            return;
        }
        f.distribution = u;
        const double lo = u.support_min();
        const double hi = u.support_max();
        if (design_known && (design == DesignKind::grid || design == DesignKind::morris) &&
            (std::isinf(lo) || std::isinf(hi))) {
            ctx.error_at(at, t.path("distribution"),
                         std::string("a ") + shape->name + " distribution has no finite " +
                             (std::isinf(hi) ? "largest" : "smallest") + " value, which a " +
                             to_string(design) + " design's end levels (0 and 1) would ask for",
                         "min/max, values, or a bounded distribution (uniform, beta, "
                         "triangular)");
            return;
        }
        if (target) {
            const engine::Range range =
                target->kind == TargetKind::lever
                    ? model.levers[static_cast<std::size_t>(target->index)].range
                    : model.parameters[static_cast<std::size_t>(target->index)].range;
            if (target->mode == OverrideMode::scale) {
                if (lo < 0.0) {
                    ctx.error_at(at, t.path("distribution"),
                                 "a scale factor cannot be negative; this distribution reaches " +
                                     number_text(lo),
                                 "a distribution on [0, inf)");
                }
            } else if (lo < range.min || hi > range.max) {
                ctx.error_at(at, t.path("distribution"),
                             std::string("a ") + shape->name + " distribution on [" +
                                 number_text(lo) + ", " + number_text(hi) +
                                 "] can fall outside the allowed range " + range_text(range) +
                                 " of '" + target->name + "'",
                             range_text(range));
            }
        }
    }
};

// "saltelli" -> DesignKind.
std::optional<DesignKind> design_kind(const std::string& name) {
    for (const DesignKind k : {DesignKind::grid, DesignKind::lhs, DesignKind::sobol,
                               DesignKind::saltelli, DesignKind::morris}) {
        if (name == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

class SweepReader {
public:
    SweepReader(const fs::path& file, SweepLoad& out)
        : file_(file)
        , out_(out)
        , ctx_(file.generic_string(), out.diagnostics) {}

    void run() {
        engine::TomlDocument doc = engine::read_toml_file(file_, out_.diagnostics);
        if (!doc.root) {
            return;
        }
        Sweep s;
        s.file = file_;
        s.text = std::move(doc.text);
        const TomlValue& root = *doc.root;
        // A scenario given where a sweep file belongs: say so once, instead of a diagnostic
        // for each of its tables.
        if (root.find("sweep") == nullptr && root.find("scenario") != nullptr) {
            const TomlValue& at = *root.find("scenario");
            ctx_.error_at(at, "sweep",
                          "this is a scenario file, not a sweep file (it has [scenario] and no "
                          "[sweep])",
                          "a sweep file with a [sweep] table naming the scenario and "
                          "[factors.<name>] tables (docs/sweeps.md)");
            return;
        }
        const Table top(ctx_, root, "");
        top.check_keys(ROOT_KEYS);

        const TomlValue* sweep_node = top.typed(
            "sweep", true, "a table", root.find("sweep") && root.find("sweep")->is_table(),
            "[sweep] with scenario, design, points, ...");
        if (sweep_node == nullptr) {
            return;
        }
        const Table t(ctx_, *sweep_node, "sweep");
        t.check_keys(SWEEP_KEYS);
        (void)t.string("title");
        (void)t.string("description");

        // The scenario first: the factors are checked against its model.
        const std::optional<std::string> scenario_name = t.string("scenario", true);
        if (scenario_name) {
            load_scenario(*scenario_name, *t.find("scenario"), s);
        }
        if (auto mix = t.string("policy_mix")) {
            s.policy_mix = *mix;
            if (s.scenario) {
                apply_mix(*t.find("policy_mix"), s);
            }
        }

        std::optional<DesignKind> design;
        if (auto d = t.string("design", true, join(DESIGN_NAMES))) {
            design = design_kind(*d);
            if (!design) {
                ctx_.error_at(*t.find("design"), t.path("design"), "unknown design '" + *d + "'",
                              join(DESIGN_NAMES), engine::did_you_mean(*d, DESIGN_NAMES));
            }
        }
        s.design = design.value_or(DesignKind::grid);
        const auto points =
            t.integer("points", design && *design != DesignKind::grid, 1, MAX_POINTS);
        if (design && *design != DesignKind::grid && *design != DesignKind::morris &&
            t.has("levels")) {
            // lhs, sobol and saltelli sample the unit cube continuously: levels would be ignored.
            ctx_.error_at(*t.find("levels"), "sweep.levels",
                          std::string("'levels' applies to grid and morris designs only, not ") +
                              to_string(*design),
                          std::string("leave it out for ") + to_string(*design) +
                              "; grid: the levels of every factor, morris: the levels p of its "
                              "grid");
        } else if (auto levels = t.integer(
                       // A grid's 1 is refused where a factor would take it (check_design): a
                       // grid of lists of values uses no [sweep] levels.
                       "levels", false, design == DesignKind::grid ? 1 : 2, MAX_LEVELS,
                       design == DesignKind::morris
                           ? "an even integer from 2 to " + std::to_string(MAX_LEVELS) +
                                 " (the levels p of the Morris grid)"
                           : "an integer from 2 to " + std::to_string(MAX_LEVELS) +
                                 " (one level would run every factor at its midpoint only)")) {
            s.levels = static_cast<std::size_t>(*levels);
        }
        if (design == DesignKind::morris && s.levels == 0) {
            s.levels = 4;
        }
        if (auto replicates = t.integer("replicates", false, 1, MAX_REPLICATES)) {
            s.replicates = static_cast<int>(*replicates);
        } else if (s.scenario) {
            s.replicates = s.scenario->replicates;
        }
        if (auto seed = t.integer("seed", false, 0, std::numeric_limits<std::int64_t>::max())) {
            s.seed = static_cast<std::uint64_t>(*seed);
        } else if (s.scenario) {
            s.seed = s.scenario->seed;
        }
        s.common_random_numbers = t.boolean("common_random_numbers").value_or(true);
        read_outputs(t, s);

        // [factors.<name>]
        const TomlValue* factors = top.typed(
            "factors", true, "a table", root.find("factors") && root.find("factors")->is_table(),
            "[factors.<name>] for each parameter, baseline figure or lever to vary");
        if (factors != nullptr && factors->entries.empty()) {
            ctx_.error_at(*factors, "factors", "a sweep needs at least one factor",
                          "[factors.<name>] for each parameter, baseline figure or lever");
        }
        if (factors != nullptr && s.scenario && s.model != nullptr) {
            FactorReader reader{ctx_, s.model->info(), *s.scenario, s.design, design.has_value()};
            for (const TomlValue& f : factors->entries) {
                const std::string path = "factors." + f.key;
                if (!f.is_table()) {
                    ctx_.error_at(f, path,
                                  std::string("expected a table ([") + path +
                                      "] with min/max, values or a distribution), found " +
                                      engine::describe(f.type));
                    continue;
                }
                if (auto factor = reader.read(f.key, f)) {
                    s.factor_names.push_back(f.key);
                    s.factors.push_back(std::move(*factor));
                }
            }
        }

        if (design && factors != nullptr && ctx_.errors() == 0) {
            check_design(t, *design, points, *factors, s);
        } else if (design == DesignKind::morris && t.has("levels") &&
                   (s.levels < 2 || s.levels % 2 != 0)) {
            // Said beside the other errors: it does not depend on the factors. (A levels value
            // that is not a whole number in range was said where it was read, and left at 4.)
            ctx_.error_at(*t.find("levels"), "sweep.levels",
                          design_problem(DesignKind::morris, 2, 1, s.levels), MORRIS_LEVELS);
        }
        if (ctx_.errors() == 0 && !out_.diagnostics.has_errors() && factors != nullptr) {
            check_rules(*factors, s);
        }
        if (ctx_.errors() > 0 || out_.diagnostics.has_errors()) {
            return;
        }
        // The scenario's content, not its file paths as spelled: the same files named from
        // another directory resume and merge as the same sweep. The sweep file's settings, not
        // its text: a comment or a blank line added between array tasks made merge refuse the
        // later shards and a waiting journal (a calibration's file was already read so).
        std::vector<std::string> parts{
            detail::toml_content(s.text), engine::scenario_content(s.scenario->text), s.policy_mix,
            std::to_string(s.seed), std::to_string(s.replicates),
            s.common_random_numbers ? "crn" : "independent", CANOPY_VERSION,
            // The build, not only the version: results have changed
            // between builds of one version (build_id.hpp).
            build_id()};
        if (s.scenario->joint_draws) {
            // The scenario's text names the posterior's file only: shards or a journal made with
            // another posterior in that file must not pass for this sweep's.
            parts.push_back(draws_text(*s.scenario->joint_draws));
        }
        s.fingerprint = make_fingerprint(parts);
        out_.sweep = std::move(s);
    }

private:
    void load_scenario(const std::string& name, const TomlValue& at, Sweep& s) {
        if (name.empty()) {
            ctx_.error_at(at, "sweep.scenario", "must name a scenario file",
                          "a path relative to the sweep file, e.g. \"wuhan-2023.toml\"");
            return;
        }
        const fs::path given(name);
        s.scenario_file = given.is_absolute() ? given : file_.parent_path() / given;
        engine::LoadResult loaded = engine::load_scenario(s.scenario_file, models::model_catalog());
        if (!loaded.scenario) {
            // The scenario's own diagnostics, then where the sweep file names it.
            out_.diagnostics.append(loaded.diagnostics);
            ctx_.error_at(at, "sweep.scenario",
                          "the scenario '" + s.scenario_file.generic_string() +
                              "' cannot be used (see above)");
            return;
        }
        out_.diagnostics.append(loaded.diagnostics); // warnings, if any
        s.model = models::find_model(loaded.scenario->model);
        if (s.model == nullptr) {
            ctx_.error_at(at, "sweep.scenario",
                          "model '" + loaded.scenario->model + "' is not registered");
            return;
        }
        engine::Scenario scenario = std::move(*loaded.scenario);
        if (scenario.posterior) {
            // As canopy run attaches it (cli/common.cpp, with_posterior_of): each replicate draws
            // the posterior's columns jointly. Without it a point without overrides would not be
            // `canopy run --seed S`.
            AttachedPosterior attached = attach_posterior(scenario, s.model->info());
            if (!attached.scenario) {
                out_.diagnostics.add(std::move(attached.problem));
                ctx_.error_at(at, "sweep.scenario",
                              "the scenario '" + s.scenario_file.generic_string() +
                                  "' cannot be used (see above)");
                return;
            }
            scenario = std::move(*attached.scenario);
        }
        s.scenario = std::make_shared<const engine::Scenario>(std::move(scenario));
    }

    void apply_mix(const TomlValue& at, Sweep& s) {
        std::vector<std::string> names;
        for (const engine::PolicyMix& m : s.scenario->policy_mixes) {
            names.push_back(m.name);
            if (m.name == s.policy_mix) {
                s.scenario =
                    std::make_shared<const engine::Scenario>(s.scenario->with_policy_mix(m.name));
                return;
            }
        }
        ctx_.error_at(at, "sweep.policy_mix",
                      "scenario '" + s.scenario->name + "' has no policy mix '" + s.policy_mix +
                          "'",
                      names.empty() ? "none: the scenario has no policy mixes" : join(names),
                      engine::did_you_mean(s.policy_mix, names));
    }

    void read_outputs(const Table& t, Sweep& s) {
        const TomlValue* list = t.array("outputs");
        if (list == nullptr) {
            return;
        }
        for (std::size_t k = 0; k < list->items.size(); ++k) {
            const TomlValue& item = list->items[k];
            const std::string key = "sweep.outputs[" + std::to_string(k) + "]";
            if (item.type != TomlValue::Type::string) {
                ctx_.error_at(item, key,
                              std::string("expected a string, found ") +
                                  engine::describe(item.type),
                              join(OUTPUT_NAMES));
            } else if (std::any_of(list->items.begin(),
                                   list->items.begin() + static_cast<std::ptrdiff_t>(k),
                                   [&](const TomlValue& earlier) {
                                       return earlier.type == TomlValue::Type::string &&
                                              earlier.string == item.string;
                                   })) {
                ctx_.error_at(item, key, "output '" + item.string + "' is listed twice",
                              join(OUTPUT_NAMES) + ", each at most once");
            } else if (item.string == "finals") {
                s.outputs.finals = true;
            } else if (item.string == "mean_paths") {
                s.outputs.mean_paths = true;
            } else {
                ctx_.error_at(item, key, "unknown output '" + item.string + "'", join(OUTPUT_NAMES),
                              engine::did_you_mean(item.string, OUTPUT_NAMES));
            }
        }
    }

    // A grid takes each factor at `levels` evenly spaced coordinates, but a whole-numbered range
    // holds only its whole numbers: more levels than that repeat a value, and the grid runs the
    // same points again without a word (edges_per_firm over [1, 3] at 4 levels: 1, 2, 3, 3).
    // Morris designs are not held to it: each step moves a factor by p / (2 (p - 1)) > 1/2 of
    // its range, which changes the whole number whenever the range holds two or more (the
    // shipped wuhan-2023-morris.toml screens months over [9, 10] at 4 levels).
    void check_grid_levels(const TomlValue& factors, const Sweep& s) {
        for (std::size_t k = 0; k < s.factors.size(); ++k) {
            const Factor& f = s.factors[k];
            if (f.kind == Factor::Kind::distribution && f.integer) {
                check_rounded_levels(factors, s, k);
                continue;
            }
            if (f.kind != Factor::Kind::range || !f.integer) {
                continue; // a list has one level per value (and no value twice)
            }
            const double span = std::floor(f.max) - std::ceil(f.min) + 1.0;
            if (!(span < 1e9)) {
                continue; // more than any number of levels
            }
            const auto distinct = static_cast<std::size_t>(std::max(span, 0.0));
            if (f.levels <= distinct) {
                continue;
            }
            repeated_levels(factors, s.factor_names[k], f.levels,
                            "[" + number_text(f.min) + ", " + number_text(f.max) + "] holds " +
                                std::to_string(distinct),
                            "levels <= " + std::to_string(distinct), ", or a wider range");
        }
    }

    // The same for a whole-numbered factor drawn from a distribution: its levels are the
    // distribution's quantiles at evenly spaced coordinates, rounded, and two of them may round to
    // the same whole number (months from triangular(9, 10, 12) at 4 levels: 9, 10, 10, 12).
    void check_rounded_levels(const TomlValue& factors, const Sweep& s, std::size_t k) {
        const Factor& f = s.factors[k];
        if (f.levels < 2) {
            return;
        }
        std::vector<double> level(f.levels);
        for (std::size_t i = 0; i < f.levels; ++i) {
            level[i] = f.value_at(static_cast<double>(i) / static_cast<double>(f.levels - 1),
                                  DesignKind::grid);
        }
        bool repeated = false;
        for (std::size_t i = 1; i < f.levels; ++i) {
            repeated = repeated || level[i] == level[i - 1];
        }
        if (!repeated) {
            return;
        }
        std::string listed;
        for (std::size_t i = 0; i < f.levels && i < 12; ++i) {
            listed += (i == 0 ? "" : ", ") + number_text(level[i]);
        }
        listed += f.levels > 12 ? ", ..." : "";
        repeated_levels(factors, s.factor_names[k], f.levels,
                        "its distribution's levels round to " + listed, "fewer levels",
                        ", a wider distribution, or the whole numbers listed in values = [...]");
    }

    // A grid whose levels of whole-numbered factor `name` repeat a value (`why`), said at the
    // factor's own `levels` when it has one, else at the factor. Allowed: `fewer` (with where a
    // factor's own levels go, when it has none), then `otherwise`.
    void repeated_levels(const TomlValue& factors, const std::string& name, std::size_t levels,
                         const std::string& why, const std::string& fewer,
                         const std::string& otherwise) {
        const TomlValue& node = *factors.find(name);
        const TomlValue* own = node.find("levels");
        const std::string message = "levels = " + std::to_string(levels) + ", but " + name +
                                    " takes whole numbers and " + why +
                                    ": the grid would run the same points twice";
        const std::string allowed =
            fewer +
            (own != nullptr ? std::string()
                            : " (levels = n in [factors." + name + "] sets this factor's own)") +
            otherwise;
        if (own != nullptr) {
            ctx_.error_at(*own, "factors." + name + ".levels", message, allowed);
        } else {
            ctx_.error_at(node, "factors." + name, message, allowed);
        }
    }

    /// What `points` may be for `design` over `d` factors: at most MAX_DESIGN_POINTS points run
    /// (a saltelli base sample is d + 2 points, a morris trajectory d + 1).
    static std::string points_allowed(DesignKind design, std::size_t d) {
        const std::string limit = std::to_string(MAX_DESIGN_POINTS);
        switch (design) {
        case DesignKind::saltelli:
            return "an integer from 2 to " + std::to_string(MAX_DESIGN_POINTS / (d + 2)) +
                   " (base samples of " + std::to_string(d + 2) + " points each, at most " + limit +
                   " points)";
        case DesignKind::morris:
            return "an integer from 2 to " + std::to_string(MAX_DESIGN_POINTS / (d + 1)) +
                   " (trajectories of " + std::to_string(d + 1) + " points each, at most " + limit +
                   " points)";
        default:
            return "an integer from 1 to " + limit;
        }
    }

    void check_design(const Table& t, DesignKind design, const std::optional<std::int64_t>& points,
                      const TomlValue& factors, Sweep& s) {
        const std::size_t d = s.factors.size();
        const TomlValue& place = t.has("points") ? *t.find("points") : t.node();
        const std::string key = t.has("points") ? "sweep.points" : "sweep.design";
        if (design == DesignKind::grid) {
            std::size_t total = 1;
            bool overflow = false;
            for (std::size_t k = 0; k < d; ++k) {
                Factor& f = s.factors[k];
                if (f.levels == 0 && s.levels == 1) {
                    ctx_.error_at(*t.find("levels"), "sweep.levels",
                                  "1 level would run factor '" + s.factor_names[k] +
                                      "' at its midpoint only",
                                  "an integer from 2 to " + std::to_string(MAX_LEVELS) +
                                      ", or levels = n in [factors." + s.factor_names[k] + "]");
                    return;
                }
                if (f.levels == 0) {
                    f.levels = s.levels;
                }
                if (f.levels == 0) {
                    const TomlValue& node = *factors.find(s.factor_names[k]);
                    ctx_.error(node.line, node.column, "factors." + s.factor_names[k] + ".levels",
                               "a grid needs the number of levels of factor '" + s.factor_names[k] +
                                   "'",
                               "levels = n in [factors." + s.factor_names[k] +
                                   "], or [sweep] levels = n for every factor");
                    return;
                }
                if (f.levels > 0 && total > std::numeric_limits<std::size_t>::max() / f.levels) {
                    overflow = true;
                } else {
                    total *= f.levels;
                }
            }
            check_grid_levels(factors, s);
            // The limit on the points run (design.hpp), as the design says it for any grid.
            if (overflow || total > MAX_DESIGN_POINTS) {
                ctx_.error_at(
                    place, key,
                    "a grid of these factors' levels is " +
                        (overflow ? std::string("more than 2^64") : std::to_string(total)) +
                        " design points, more than the limit of " +
                        std::to_string(MAX_DESIGN_POINTS),
                    "fewer levels, or an lhs, sobol or morris design");
                return;
            }
            if (points && static_cast<std::size_t>(*points) != total) {
                ctx_.error_at(place, key,
                              "a grid of these factors' levels has " + std::to_string(total) +
                                  " points, not " + std::to_string(*points),
                              std::to_string(total) + " (the product of the levels), or leave "
                                                      "'points' out");
                return;
            }
            if (const std::string why = design_problem(design, total, d); !why.empty()) {
                ctx_.error_at(place, key, why);
                return;
            }
            s.points = total;
            return;
        }
        if (!points) {
            return; // reported as missing
        }
        s.points = static_cast<std::size_t>(*points);
        if (const std::string why = design_problem(design, s.points, d, s.levels); !why.empty()) {
            // Odd Morris levels are the fault of the `levels` key when the file gives it.
            const bool levels_fault = design == DesignKind::morris && t.has("levels") &&
                                      (s.levels < 2 || s.levels % 2 != 0);
            ctx_.error_at(levels_fault ? *t.find("levels") : place,
                          levels_fault ? std::string("sweep.levels") : key, why,
                          levels_fault ? MORRIS_LEVELS : points_allowed(design, d));
        }
    }

    // The model's rules across parameters (sector shares that sum to at most 1, ...) over the
    // factors' ranges: a design point may set each factor anywhere in its range, beside the
    // scenario's other settings and their draws. A range that breaks one ran without a word
    // (share_auto over [0.1, 0.95] put 148 % of the firms in the five sectors). Said at the last
    // factor the rule involves, in file order.
    void check_rules(const TomlValue& factors, const Sweep& s) {
        std::vector<ParameterRange> ranges;
        std::vector<std::size_t> factor_of; // each range's factor
        for (std::size_t k = 0; k < s.factors.size(); ++k) {
            const Factor& f = s.factors[k];
            if (f.target.kind == TargetKind::lever || f.target.index < 0) {
                continue;
            }
            double lo = f.min;
            double hi = f.max;
            if (f.kind == Factor::Kind::values && !f.values.empty()) {
                lo = *std::min_element(f.values.begin(), f.values.end());
                hi = *std::max_element(f.values.begin(), f.values.end());
            } else if (f.kind == Factor::Kind::distribution) {
                lo = f.distribution.draw_min();
                hi = f.distribution.draw_max();
            }
            ranges.push_back(
                {static_cast<std::size_t>(f.target.index), lo, hi, "factor " + s.factor_names[k]});
            factor_of.push_back(k);
        }
        for (const RangeBreach& r :
             rules_broken_over(s.model->info(), s.scenario->parameters, ranges)) {
            const std::string& name = s.factor_names[factor_of[r.range]];
            ctx_.error_at(*factors.find(name), "factors." + name,
                          "over the factors' ranges, " + r.breach.message +
                              (s.policy_mix.empty() ? std::string()
                                                    : " (under policy mix '" + s.policy_mix + "')"),
                          r.breach.allowed + ", for every value a design point can take");
        }
    }

    fs::path file_;
    SweepLoad& out_;
    Context ctx_;
};

} // namespace

SweepLoad load_sweep(const std::filesystem::path& file) {
    SweepLoad out;
    try {
        SweepReader(file, out).run();
    } catch (const std::exception& e) {
        out.sweep.reset();
        out.diagnostics.add(
            detail::error_at(file.generic_string(), 1, 1, "",
                             std::string("internal error while loading: ") + e.what()));
    }
    return out;
}

} // namespace canopy::experiments
