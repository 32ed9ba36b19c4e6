// Scenario validation: the merged TOML tree checked against the schema of
// docs/scenario-format.md and the model's catalogue entry, turned into an immutable Scenario.
//
// Validation never stops at the first problem: each table is checked as far as it can be, and
// a value that fails leaves its default in place so that later checks still run. Every problem
// is a diagnostic with the file, line and column of the value (or, for a missing key, of the
// table that should hold it), the dotted key, what is allowed and the nearest valid name.
#include "scenario_detail.hpp"

#include <canopy/engine/distribution_syntax.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/limits.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/units.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace canopy::engine {

namespace {

using detail::number_text;
using detail::SourcePos;
using detail::TomlNode;

// ---- text helpers ----------------------------------------------------------------------------

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += separator;
        }
        out += items[i];
    }
    return out;
}

// "[0, 1]", "[0, inf)", "(-inf, inf)".
std::string interval_text(double lo, double hi) {
    return (std::isinf(lo) ? "(" : "[") + number_text(lo) + ", " + number_text(hi) +
           (std::isinf(hi) ? ")" : "]");
}

std::string range_text(const Range& r) {
    return interval_text(r.min, r.max);
}

bool is_snake_case(std::string_view s) {
    if (s.empty() || s[0] < 'a' || s[0] > 'z') {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

YearMonth previous_month(YearMonth ym) {
    return ym.month == 1 ? YearMonth{ym.year - 1, 12} : YearMonth{ym.year, ym.month - 1};
}

const char* SNAKE_CASE = "snake_case: a lowercase letter, then lowercase letters, digits or '_'";

// ---- diagnostics -----------------------------------------------------------------------------

class Context {
public:
    Context(const detail::SourceFiles& files, Diagnostics& out)
        : files_(files)
        , out_(out) {}

    void error(SourcePos at, std::string key, std::string message, std::string allowed = {},
               std::string hint = {}) {
        ++errors_;
        if (errors_ > MAX_ERRORS) {
            // Like a compiler, stop listing after a while: a file that is wrong everywhere
            // (or a 4 MiB machine-made one) must not produce gigabytes of diagnostics.
            if (errors_ == MAX_ERRORS + 1) {
                first_unlisted_ = at;
            }
            return;
        }
        if (!note_.empty()) {
            hint = hint.empty() ? note_ : hint + "; " + note_;
        }
        out_.add(detail::make_error(file_name(at.file), line_of(at), column_of(at), std::move(key),
                                    std::move(message), std::move(allowed), std::move(hint)));
    }

    /// Text added to the hint of every error until cleared: which files a merged entry spans.
    void set_note(std::string note) { note_ = std::move(note); }

    /// "file:line" of a place.
    [[nodiscard]] std::string place(SourcePos at) const {
        return file_name(at.file) + ":" + std::to_string(line_of(at));
    }

    /// Adds the "and N more" note when errors went unlisted.
    void finish() {
        if (errors_ > MAX_ERRORS) {
            const std::size_t more = errors_ - MAX_ERRORS;
            out_.add(detail::make_error(file_name(first_unlisted_.file), line_of(first_unlisted_),
                                        column_of(first_unlisted_), "",
                                        std::to_string(more) + " more error" +
                                            (more == 1 ? "" : "s") + " from here on not listed",
                                        "fix the errors above first"));
        }
    }

    [[nodiscard]] std::size_t errors() const noexcept { return errors_; }
    /// The loaded files' names, indexed by SourcePos::file.
    [[nodiscard]] const std::vector<std::string>& file_names() const noexcept {
        return files_.names;
    }

    /// The name of loaded file `index` as diagnostics show it.
    [[nodiscard]] std::string file_name(int index) const {
        const auto i = static_cast<std::size_t>(index);
        return index >= 0 && i < files_.names.size() ? files_.names[i] : std::string("<input>");
    }
    /// Once errors are no longer listed, work spent on their wording is wasted.
    [[nodiscard]] bool listing() const noexcept { return errors_ < MAX_ERRORS; }

    /// "did you mean" against a list of names, skipped when nobody will read it or when the
    /// list is so long that comparing with every name would be slow.
    [[nodiscard]] std::string suggest(std::string_view word,
                                      const std::vector<std::string>& names) const {
        if (!listing() || names.size() > MAX_SUGGESTION_CANDIDATES) {
            return {};
        }
        return did_you_mean(word, names);
    }

    /// Names for an "allowed" field: at most MAX_LISTED of them.
    [[nodiscard]] std::string list(const std::vector<std::string>& names) const {
        if (!listing()) {
            return {};
        }
        if (names.size() <= MAX_LISTED) {
            return join(names);
        }
        const std::vector<std::string> head(
            names.begin(), names.begin() + static_cast<std::ptrdiff_t>(MAX_LISTED));
        return join(head) + " and " + std::to_string(names.size() - MAX_LISTED) + " more";
    }

private:
    static constexpr std::size_t MAX_ERRORS = 100;
    static constexpr std::size_t MAX_LISTED = 30;
    static constexpr std::size_t MAX_SUGGESTION_CANDIDATES = 2000;

    // Every place in a non-empty file has a line; a tree node without one (none is known)
    // falls back to the top of its file rather than to "nowhere".
    static int line_of(SourcePos at) noexcept { return at.line > 0 ? at.line : 1; }
    static int column_of(SourcePos at) noexcept {
        return at.line > 0 && at.column > 0 ? at.column : 1;
    }

    const detail::SourceFiles& files_;
    Diagnostics& out_;
    std::string note_;
    std::size_t errors_ = 0;
    SourcePos first_unlisted_;
};

// Counts the errors added while it lives, so a reader can tell whether its part was clean.
class ErrorScope {
public:
    explicit ErrorScope(const Context& ctx)
        : ctx_(ctx)
        , before_(ctx.errors()) {}
    [[nodiscard]] bool clean() const noexcept { return ctx_.errors() == before_; }

private:
    const Context& ctx_;
    std::size_t before_;
};

// ---- typed access to one table ---------------------------------------------------------------

class Table {
public:
    Table(Context& ctx, const TomlNode& node, std::string path)
        : ctx_(ctx)
        , node_(node)
        , path_(std::move(path)) {}

    [[nodiscard]] const TomlNode& node() const noexcept { return node_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] std::string path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    [[nodiscard]] const TomlNode* find(std::string_view key) const { return node_.find(key); }
    [[nodiscard]] bool has(std::string_view key) const { return node_.find(key) != nullptr; }

    /// Reports every key that is not in `allowed`. Keys in `known` exist elsewhere in the format
    /// (another schedule shape, another indicator kind) and are reported as not applying to
    /// `shape`; anything else is unknown, with the nearest allowed key as a hint.
    void check_keys(const std::vector<std::string>& allowed,
                    const std::vector<std::string>& known = {},
                    const std::string& shape = {}) const {
        for (const TomlNode& value : node_.entries) {
            const std::string& key = value.key;
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
                continue;
            }
            if (std::find(known.begin(), known.end(), key) != known.end()) {
                ctx_.error(value.key_pos, path(key), "'" + key + "' does not apply to " + shape,
                           join(allowed));
            } else {
                ctx_.error(value.key_pos, path(key), "unknown key '" + key + "'", join(allowed),
                           ctx_.suggest(key, allowed));
            }
        }
    }

    void missing(std::string_view key, std::string message, std::string allowed = {}) const {
        ctx_.error(node_.pos, path(key), std::move(message), std::move(allowed));
    }

    void wrong_type(std::string_view key, const TomlNode& value, std::string_view expected) const {
        ctx_.error(value.pos, path(key),
                   "expected " + std::string(expected) + ", found " + detail::describe(value.type));
    }

    /// The value of `key` if present and of the right type; reports a missing required key
    /// and a wrong type.
    [[nodiscard]] const TomlNode* get(std::string_view key, bool required,
                                      std::string_view expected, bool (*fits)(const TomlNode&),
                                      std::string_view required_allowed = {}) const {
        const TomlNode* value = find(key);
        if (value == nullptr) {
            if (required) {
                missing(key, "missing required key '" + std::string(key) + "'",
                        std::string(required_allowed));
            }
            return nullptr;
        }
        if (!fits(*value)) {
            wrong_type(key, *value, expected);
            return nullptr;
        }
        return value;
    }

    [[nodiscard]] std::optional<std::string> string(std::string_view key,
                                                    bool required = false) const {
        const TomlNode* v = get(key, required, "a string",
                                [](const TomlNode& n) { return n.type == TomlNode::Type::string; });
        if (v == nullptr) {
            return std::nullopt;
        }
        if (v->string.find('\0') != std::string::npos) {
            // C strings, HDF5 strings and terminals all stop at a NUL: the text after it would
            // silently vanish from the outputs.
            ctx_.error(v->pos, path(key), "the string contains a NUL character (\\u0000)",
                       "text without NUL characters");
            return std::nullopt;
        }
        return v->string;
    }

    [[nodiscard]] std::optional<double> number(std::string_view key, bool required = false,
                                               std::string_view allowed = "a number") const {
        const TomlNode* v = get(
            key, required, "a number", [](const TomlNode& n) { return n.is_number(); }, allowed);
        if (v == nullptr) {
            return std::nullopt;
        }
        if (!std::isfinite(v->floating)) {
            ctx_.error(v->pos, path(key),
                       "expected a finite number, found " + number_text(v->floating),
                       std::string(allowed));
            return std::nullopt;
        }
        return v->floating;
    }

    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key,
                                                      bool required = false) const {
        const TomlNode* v = get(key, required, "an integer", [](const TomlNode& n) {
            return n.type == TomlNode::Type::integer;
        });
        return v ? std::optional<std::int64_t>(v->integer) : std::nullopt;
    }

    [[nodiscard]] std::optional<YearMonth> month(std::string_view key,
                                                 bool required = false) const {
        const TomlNode* v = get(
            key, required, "a month as a string \"YYYY-MM\"",
            [](const TomlNode& n) { return n.type == TomlNode::Type::string; },
            "a month \"YYYY-MM\"");
        if (v == nullptr) {
            return std::nullopt;
        }
        YearMonth ym;
        if (!parse_year_month(v->string, ym)) {
            ctx_.error(v->pos, path(key), "'" + v->string + "' is not a month",
                       "\"YYYY-MM\" with a month 01..12, e.g. \"2023-06\"");
            return std::nullopt;
        }
        return ym;
    }

    /// A sub-table (or nullptr, reporting a missing required one or a wrong type).
    [[nodiscard]] const TomlNode* table(std::string_view key, bool required = false,
                                        std::string_view expected = "a table") const {
        return get(key, required, expected, [](const TomlNode& n) { return n.is_table(); });
    }

    [[nodiscard]] const TomlNode* array(std::string_view key, bool required = false,
                                        std::string_view expected = "an array") const {
        return get(key, required, expected,
                   [](const TomlNode& n) { return n.type == TomlNode::Type::array; });
    }

private:
    Context& ctx_;
    const TomlNode& node_;
    std::string path_;
};

// ---- the vocabulary of the format ------------------------------------------------------------

const std::vector<std::string> ROOT_KEYS = {"scenario",   "baseline", "parameters", "levers",
                                            "indicators", "targets",  "budget",     "policy_mixes"};
const std::vector<std::string> SCENARIO_KEYS = {
    "name",        "title",     "description", "model",     "start",     "end",
    "seed",        "time_step", "replicates",  "precision", "posterior", "posterior_parameters",
    "policy_start"};
const std::vector<std::string> PARAMETER_KEYS = {"value",  "distribution", "unit",
                                                 "source", "assumption",   "note"};
const std::vector<std::string> LEVER_KEYS = {"schedule",
                                             "cost_per_unit_year",
                                             "cost_per_unit_added",
                                             "cost_per_outcome",
                                             "cost_outcome",
                                             "cost_unit",
                                             "unit",
                                             "source",
                                             "assumption",
                                             "note"};
const std::vector<std::string> MIX_LEVER_KEYS = {"schedule", "source", "assumption", "note"};
const std::vector<std::string> SCHEDULE_FIELDS = {"value", "initial", "steps",  "from",
                                                  "to",    "points",  "values", "spread"};
const std::vector<std::string> YEARLY_FIELDS = {"values", "spread"};
const std::vector<std::string> YEARLY_SPREADS = {"step", "linear"};
const std::vector<std::string> INDICATOR_KEYS = {"kind", "unit", "description", "scale"};
const std::vector<std::string> INDICATOR_FIELDS = {"series",    "at",          "from", "to",
                                                   "numerator", "denominator", "of"};
const std::vector<std::string> TARGET_KEYS = {"indicator",   "comparison", "threshold", "unit",
                                              "description", "source",     "assumption"};
const std::vector<std::string> MIX_KEYS = {"description", "levers", "parameters"};
const std::vector<std::string> POINT_KEYS = {"at", "value"};
const std::vector<std::string> BUDGET_KEYS = {
    "currency", "conversions", "cap_per_year", "cap_total", "source", "assumption", "note"};

// Triangular lists (low, mode, high) as planners write it; Uncertain stores low, high, mode.
const std::vector<DistributionSyntax>& DISTRIBUTIONS = distribution_syntaxes();

// The distributions whose support can lie within the range, for "which would fit" messages.
std::string fitting_distributions(const Range& r) {
    std::vector<std::string> fit = {"uniform or triangular with bounds inside it"};
    if (r.min <= 0.0 && r.max >= 1.0) {
        fit.emplace_back("beta (on [0, 1])");
    }
    if (r.min <= 0.0 && std::isinf(r.max)) {
        fit.emplace_back("lognormal (on (0, inf))");
        fit.emplace_back("gamma (on [0, inf))");
    }
    if (std::isinf(r.min) && std::isinf(r.max)) {
        fit.emplace_back("normal");
    }
    return "for " + range_text(r) + ": " + join(fit);
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::vector<std::string> SCHEDULE_KINDS = {"constant", "step", "ramp", "piecewise_linear"};
// Every word `schedule` takes: the shapes above, and "yearly", a series of values by year that
// the loader turns into a step or piecewise-linear schedule.
const std::vector<std::string> SCHEDULE_WORDS = {"constant", "step", "ramp", "piecewise_linear",
                                                 "yearly"};

std::vector<std::string> schedule_fields(Schedule::Kind kind) {
    switch (kind) {
    case Schedule::Kind::constant:
        return {"value"};
    case Schedule::Kind::step:
        return {"initial", "steps"};
    case Schedule::Kind::ramp:
        return {"from", "to"};
    case Schedule::Kind::piecewise_linear:
        return {"points"};
    }
    return {};
}

const std::vector<std::string> INDICATOR_KINDS = {"stock", "flow", "growth", "ratio", "change"};

std::vector<std::string> indicator_fields(IndicatorSpec::Kind kind) {
    switch (kind) {
    case IndicatorSpec::Kind::stock:
        return {"series", "at"};
    case IndicatorSpec::Kind::flow:
        return {"series", "from", "to"};
    case IndicatorSpec::Kind::growth:
        return {"series", "at", "from"};
    case IndicatorSpec::Kind::ratio:
        return {"numerator", "denominator"};
    case IndicatorSpec::Kind::change:
        return {"of", "from"};
    }
    return {};
}

// ---- the validator ---------------------------------------------------------------------------

// Names in file order, and a set of them for lookups.
struct IdSet {
    std::vector<std::string> names;
    std::unordered_set<std::string> set;
};

class Validator {
public:
    Validator(Context& ctx, const TomlNode& root, const ModelCatalog& catalog, Scenario& out)
        : ctx_(ctx)
        , root_(root)
        , catalog_(catalog)
        , sc_(out) {}

    void run() {
        Table root(ctx_, root_, "");
        root.check_keys(ROOT_KEYS);
        scenario_table(root);
        if (model_ != nullptr) {
            for (const ParameterSpec& p : model_->parameters) {
                sc_.parameters.push_back(
                    ParameterSetting{Uncertain::fixed(p.default_value), Provenance{}});
            }
            for (const LeverSpec& l : model_->levers) {
                sc_.levers.push_back(
                    LeverSetting{Schedule::constant(l.default_value), LeverCost{}, Provenance{}});
            }
        }
        origins_.assign(sc_.parameters.size(), detail::ParameterOrigin{});
        const ErrorScope parameters_scope(ctx_);
        baselines(root);
        parameters(root);
        const bool parameters_clean = parameters_scope.clean();
        levers(root);
        budget(root);
        indicators(root);
        targets(root);
        policy_mixes(root);
        if (model_ != nullptr && parameters_clean) {
            constraints();
        }
    }

private:
    // A section such as [levers]: a table of tables keyed by name.
    template <class Each>
    void section(const Table& root, const char* key, std::string_view what, Each each) {
        const TomlNode* node = root.table(key);
        if (node == nullptr) {
            return;
        }
        for (const TomlNode& value : node->entries) {
            const std::string& name = value.key;
            const std::string path = std::string(key) + "." + name;
            if (!value.is_table()) {
                ctx_.error(value.pos, path,
                           std::string("expected a table ([") + path + "] with the " +
                               std::string(what) + "'s keys), found " +
                               detail::describe(value.type));
                continue;
            }
            // An entry laid over its ancestors' (extends) is named in every file that wrote it:
            // a grandparent's, the parent's, the child's (the parent's was left out).
            std::string ancestors;
            std::size_t count = 0;
            for (const SourcePos& at : value.inherited) {
                if (at.file >= 0 && at.file != value.pos.file) {
                    ancestors += (ancestors.empty() ? "" : " and ") + ctx_.place(at);
                    ++count;
                }
            }
            if (count > 0) {
                ctx_.set_note("[" + path + "] merges " + ancestors +
                              (count > 1 ? " (ancestors)" : " (parent)") + " with " +
                              ctx_.place(value.pos) +
                              "; 'replace = true' in the child replaces the entry whole");
            }
            each(name, Table(ctx_, value, path));
            ctx_.set_note({});
        }
    }

    void report(const detail::Problem& p) { ctx_.error(p.pos, p.key, p.message, p.allowed); }

    // ---- [scenario] --------------------------------------------------------------------------

    void scenario_table(const Table& root) {
        const TomlNode* node = root.table("scenario");
        if (node == nullptr) {
            if (!root.has("scenario")) {
                root.missing("scenario", "missing required table [scenario]",
                             "[scenario] with name, model, start and end");
            }
            return;
        }
        const Table t(ctx_, *node, "scenario");
        t.check_keys(SCENARIO_KEYS);

        if (auto name = t.string("name", true)) {
            if (!is_snake_case(*name)) {
                ctx_.error(t.find("name")->pos, t.path("name"),
                           "'" + *name + "' is not a valid name", SNAKE_CASE);
            }
            sc_.name = *name;
        }
        sc_.title = t.string("title").value_or("");
        sc_.description = t.string("description").value_or("");

        if (auto model = t.string("model", true)) {
            sc_.model = *model;
            model_ = catalog_.find && !model->empty() ? catalog_.find(*model) : nullptr;
            if (model_ == nullptr) {
                ctx_.error(t.find("model")->pos, t.path("model"), "unknown model '" + *model + "'",
                           ctx_.list(catalog_.names), ctx_.suggest(*model, catalog_.names));
            }
        }

        const auto start = t.month("start", true);
        const auto end = t.month("end", true);
        if (start && start->year == 1 && start->month == 1) {
            // The initial state is the month before the start, and targets may be set on it.
            ctx_.error(t.find("start")->pos, t.path("start"),
                       "the initial state would be the month before 0001-01, which is not a month",
                       "a month from \"0001-02\" on");
        }
        if (start && end && *end < *start) {
            ctx_.error(t.find("end")->pos, t.path("end"),
                       "the run ends (" + end->str() + ") before it starts (" + start->str() + ")",
                       "a month on or after " + start->str());
        }

        TimeUnit unit = TimeUnit::month;
        if (auto step = t.string("time_step")) {
            if (*step == "week" && model_ != nullptr && !model_->weekly_steps) {
                ctx_.error(t.find("time_step")->pos, t.path("time_step"),
                           "model '" + model_->name +
                               "' runs monthly steps only: " + model_->monthly_reason,
                           "\"month\"");
            } else if (*step == "week") {
                unit = TimeUnit::week;
            } else if (*step != "month") {
                const std::vector<std::string> units = {"month", "week"};
                ctx_.error(t.find("time_step")->pos, t.path("time_step"),
                           "unknown time step '" + *step + "'", join(units),
                           did_you_mean(*step, units));
            }
        }

        if (auto seed = t.integer("seed")) {
            if (*seed < 0) {
                ctx_.error(t.find("seed")->pos, t.path("seed"),
                           "the seed must not be negative, got " + std::to_string(*seed),
                           "an integer >= 0");
            } else {
                sc_.seed = static_cast<std::uint64_t>(*seed);
            }
        }
        if (auto replicates = t.integer("replicates")) {
            if (*replicates < 1 || *replicates > MAX_REPLICATES) {
                ctx_.error(t.find("replicates")->pos, t.path("replicates"),
                           "replicates must be between 1 and 1000000, got " +
                               std::to_string(*replicates),
                           "1 .. 1000000");
            } else {
                sc_.replicates = static_cast<int>(*replicates);
            }
        }
        if (auto precision = t.number("precision", false, "a number above 0 and below 0.5")) {
            if (!(*precision > 0.0 && *precision < 0.5)) {
                ctx_.error(t.find("precision")->pos, t.path("precision"),
                           "must be a half-width of P(attain) above 0 and below 0.5, got " +
                               number_text(*precision),
                           "a number above 0 and below 0.5");
            } else {
                sc_.precision = *precision;
            }
        }

        posterior_reference(t);

        bool horizon_ok = true;
        if (start && end && *end >= *start && model_ != nullptr) {
            if (auto p = detail::horizon_problem(*start, *end, *model_, t.find("end")->pos)) {
                report(*p);
                horizon_ok = false;
            }
        }
        if (start && end && *end >= *start && horizon_ok) {
            // The steps that start in start..end: the last one is the last step starting in
            // `end` on an unbounded clock.
            const Calendar open(*start, std::numeric_limits<int>::max(), unit);
            const int last = open.last_step_in(*end);
            if (last >= 0) {
                sc_.calendar = Calendar(*start, last + 1, unit);
                sc_.policy_start = *start;
                start_ = *start;
                end_ = *end;
                start_pos_ = t.find("start")->pos;
                end_pos_ = t.find("end")->pos;
                calendar_ok_ = true;
            }
        }
        if (const auto policy = t.month("policy_start"); policy && calendar_ok_) {
            if (*policy < start_ || *policy > end_) {
                // A parent's policy_start outside a child's run: say where the run was set, or
                // the planner is sent to the parent's line only (an outside tester's new region).
                const SourcePos at = t.find("policy_start")->pos;
                std::string hint;
                if (*policy < start_ && start_pos_.file != at.file) {
                    hint = "the run's start is set at " + ctx_.place(start_pos_) +
                           " (scenario.start); give this file's own policy_start there";
                } else if (*policy > end_ && end_pos_.file != at.file) {
                    hint = "the run's end is set at " + ctx_.place(end_pos_) +
                           " (scenario.end); give this file's own policy_start there";
                }
                ctx_.error(at, t.path("policy_start"),
                           policy->str() + " is outside the run (" + start_.str() + " .. " +
                               end_.str() + ")",
                           start_.str() + " .. " + end_.str(), hint);
            } else {
                sc_.policy_start = *policy;
            }
        }
    }

    // `posterior` (a file that must exist, relative to the file naming it) and
    // `posterior_parameters` (names of the model's parameters, baselines or levers).
    void posterior_reference(const Table& t) {
        const auto path = t.string("posterior");
        const TomlNode* names = t.array("posterior_parameters", false, "an array of names");
        if (!path) {
            if (names != nullptr && !t.has("posterior")) {
                ctx_.error(names->pos, t.path("posterior_parameters"),
                           "'posterior_parameters' chooses columns of a posterior, but there is no "
                           "'posterior'",
                           "posterior = \"FILE.h5\" beside it");
            }
            return;
        }
        const TomlNode& node = *t.find("posterior");
        if (blank_text(*path)) {
            ctx_.error(node.pos, t.path("posterior"), "the posterior file name is empty",
                       "an HDF5 file written by `canopy calibrate`");
            return;
        }
        PosteriorReference ref;
        const std::string naming_file = ctx_.file_name(node.pos.file);
        ref.path = std::filesystem::path(*path);
        if (ref.path.is_relative()) {
            ref.path = std::filesystem::path(naming_file).parent_path() / ref.path;
        }
        ref.file = naming_file;
        ref.line = node.pos.line;
        ref.column = node.pos.column;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(ref.path, ec)) {
            ctx_.error(
                node.pos, t.path("posterior"),
                "cannot read the posterior file '" + ref.path.generic_string() + "': " +
                    (std::filesystem::exists(ref.path, ec) ? "not a regular file" : "no such file"),
                "an HDF5 file written by `canopy calibrate`, relative to " +
                    (naming_file.empty() ? std::string("this file") : "'" + naming_file + "'"));
        }
        if (names != nullptr) {
            std::vector<std::string> known;
            if (model_ != nullptr) {
                for (const ParameterSpec& p : model_->parameters) {
                    known.push_back(p.name);
                }
                for (const LeverSpec& l : model_->levers) {
                    known.push_back(l.name);
                }
            }
            for (std::size_t i = 0; i < names->items.size(); ++i) {
                const TomlNode& item = names->items[i];
                const std::string key =
                    t.path("posterior_parameters") + "[" + std::to_string(i) + "]";
                if (item.type != TomlNode::Type::string) {
                    ctx_.error(item.pos, key,
                               std::string("expected a name, found ") +
                                   detail::describe(item.type));
                    continue;
                }
                if (model_ != nullptr &&
                    std::find(known.begin(), known.end(), item.string) == known.end()) {
                    ctx_.error(item.pos, key,
                               "model '" + model_->name +
                                   "' has no parameter, baseline or lever '" + item.string + "'",
                               ctx_.list(known), ctx_.suggest(item.string, known));
                    continue;
                }
                if (std::find(ref.parameters.begin(), ref.parameters.end(), item.string) !=
                    ref.parameters.end()) {
                    ctx_.error(item.pos, key, "'" + item.string + "' is listed twice",
                               "each name once");
                    continue;
                }
                ref.parameters.push_back(item.string);
                ref.parameter_places.push_back(
                    {ctx_.file_name(item.pos.file), item.pos.line, item.pos.column});
            }
            if (names->items.empty()) {
                ctx_.error(names->pos, t.path("posterior_parameters"), "the list is empty",
                           "the names of the posterior's columns to use (leave the key out to use "
                           "them all)");
            }
        }
        sc_.posterior = std::move(ref);
    }

    // ---- provenance, baselines and parameters ------------------------------------------------

    Provenance provenance(const Table& t, bool required) {
        Provenance p;
        p.from_scenario = true;
        const auto source = t.string("source");
        const auto assumption = t.string("assumption");
        if (source && blank_text(*source)) {
            ctx_.error(t.find("source")->pos, t.path("source"), "the source is empty",
                       "a citation: document, table, page or URL");
        }
        if (assumption && blank_text(*assumption)) {
            ctx_.error(t.find("assumption")->pos, t.path("assumption"), "the assumption is empty",
                       "the reasoning behind the figure");
        }
        if (source && assumption) {
            ctx_.error(t.find("assumption")->key_pos, t.path("assumption"),
                       "give either 'source' or 'assumption', not both");
        } else if (!source && !assumption && required && !t.has("source") && !t.has("assumption")) {
            t.missing("source",
                      "missing 'source' or 'assumption': every figure needs a citation or the "
                      "reasoning behind it",
                      "source = \"...\" or assumption = \"...\"");
        }
        p.source = source.value_or("");
        p.assumption = assumption.value_or("");
        return p;
    }

    void check_unit(const Table& t, const std::string& expected, const std::string& name) {
        const auto unit = t.string("unit");
        if (unit && *unit != expected) {
            ctx_.error(t.find("unit")->pos, t.path("unit"),
                       "unit '" + *unit + "' does not match the model's unit for '" + name +
                           "' ('" + expected + "')",
                       "\"" + expected + "\"");
        }
    }

    // A value checked against a parameter's range and integrality.
    void check_value(const Table& t, std::string_view key, double x, const ParameterSpec* spec) {
        if (spec == nullptr) {
            return;
        }
        if (!spec->range.contains(x)) {
            ctx_.error(t.find(key)->pos, t.path(key),
                       number_text(x) + " is outside the allowed range " + range_text(spec->range) +
                           " of '" + spec->name + "'",
                       range_text(spec->range));
        } else if (spec->integer && std::floor(x) != x) {
            ctx_.error(t.find(key)->pos, t.path(key),
                       "'" + spec->name + "' takes whole numbers only, got " + number_text(x),
                       "a whole number in " + range_text(spec->range));
        }
    }

    std::optional<Uncertain> distribution(const Table& t, const std::string& kind_name,
                                          const ParameterSpec* spec) {
        const auto shape =
            std::find_if(DISTRIBUTIONS.begin(), DISTRIBUTIONS.end(),
                         [&](const DistributionSyntax& d) { return kind_name == d.name; });
        const std::string key = t.path("distribution");
        if (shape == DISTRIBUTIONS.end()) {
            ctx_.error(t.find("distribution")->pos, key, "unknown distribution '" + kind_name + "'",
                       join(distribution_names()), did_you_mean(kind_name, distribution_names()));
            return std::nullopt;
        }
        const ErrorScope scope(ctx_);
        std::vector<double> v;
        for (const std::string& field : shape->fields) {
            const auto x = t.number(field, true);
            v.push_back(x.value_or(0.0));
        }
        if (!scope.clean()) {
            return std::nullopt;
        }
        const auto bad = [&](const std::string& field, std::string message, std::string allowed) {
            ctx_.error(t.find(field)->pos, t.path(field), std::move(message), std::move(allowed));
        };
        Uncertain u;
        u.kind = shape->kind;
        u.a = v[0];
        u.b = v[1];
        switch (shape->kind) {
        case Uncertain::Kind::uniform:
            if (!(v[0] < v[1])) {
                bad("high",
                    "high (" + number_text(v[1]) + ") must exceed low (" + number_text(v[0]) + ")",
                    "a number > " + number_text(v[0]));
            }
            break;
        case Uncertain::Kind::normal:
            if (!(v[1] > 0.0)) {
                bad("sd", "the standard deviation must be positive", "a number > 0");
            }
            break;
        case Uncertain::Kind::lognormal:
            if (!(v[0] > 0.0)) {
                bad("median", "the median of a lognormal must be positive", "a number > 0");
            }
            if (!(v[1] > 0.0)) {
                bad("sigma", "sigma must be positive", "a number > 0");
            }
            break;
        case Uncertain::Kind::beta:
        case Uncertain::Kind::gamma:
            for (std::size_t k = 0; k < 2; ++k) {
                if (!(v[k] > 0.0)) {
                    bad(shape->fields[k], shape->fields[k] + " must be positive", "a number > 0");
                }
            }
            break;
        case Uncertain::Kind::triangular:
            // fields are low, mode, high; Uncertain wants a = low, b = high, c = mode.
            u.b = v[2];
            u.c = v[1];
            if (!(v[0] < v[2])) {
                bad("high",
                    "high (" + number_text(v[2]) + ") must exceed low (" + number_text(v[0]) + ")",
                    "a number > " + number_text(v[0]));
            } else if (v[1] < v[0] || v[1] > v[2]) {
                bad("mode", "the mode (" + number_text(v[1]) + ") must lie between low and high",
                    interval_text(v[0], v[2]));
            }
            break;
        case Uncertain::Kind::fixed:
            break;
        }
        if (scope.clean()) {
            // The sampler's own contract, in case it is stricter than the checks above.
            if (const char* why = u.domain_error()) {
                ctx_.error(t.find("distribution")->pos, key, why);
            }
        }
        if (!scope.clean()) {
            return std::nullopt;
        }
        if (spec != nullptr) {
            const double lo = u.support_min();
            const double hi = u.support_max();
            if (lo < spec->range.min || hi > spec->range.max) {
                ctx_.error(t.find("distribution")->pos, key,
                           std::string("a ") + shape->name + " distribution on " +
                               interval_text(lo, hi) + " can fall outside the allowed range " +
                               range_text(spec->range) + " of '" + spec->name + "'",
                           fitting_distributions(spec->range));
                return std::nullopt;
            }
        }
        return u;
    }

    // [baseline.<name>] or [parameters.<name>]: a value, or a distribution drawn per replicate
    // (an unknown initial figure gets a prior, like an unknown parameter). The setting is
    // returned only when the table was clean.
    std::optional<ParameterSetting> parameter_setting(const Table& t, const ParameterSpec* spec) {
        const ErrorScope scope(ctx_);
        ParameterSetting setting;
        {
            const auto kind = t.string("distribution");
            const auto shape =
                std::find_if(DISTRIBUTIONS.begin(), DISTRIBUTIONS.end(),
                             [&](const DistributionSyntax& d) { return kind && *kind == d.name; });
            if (shape != DISTRIBUTIONS.end()) {
                t.check_keys(with(PARAMETER_KEYS, shape->fields), distribution_fields(),
                             std::string("a ") + shape->name + " distribution");
            } else if (t.has("value") && !t.has("distribution")) {
                // A fixed value draws nothing: a distribution's field beside it (the remains
                // of a prior, say) would be silently ignored.
                t.check_keys(PARAMETER_KEYS, distribution_fields(), "a fixed value");
            } else {
                t.check_keys(with(PARAMETER_KEYS, distribution_fields()));
            }
            if (t.has("value") && t.has("distribution")) {
                ctx_.error(t.find("distribution")->key_pos, t.path("distribution"),
                           "give either 'value' or 'distribution', not both");
            } else if (t.has("distribution")) {
                if (kind) {
                    if (auto u = distribution(t, *kind, spec)) {
                        setting.value = *u;
                    }
                }
            } else if (auto x = t.number("value", false)) {
                check_value(t, "value", *x, spec);
                setting.value = Uncertain::fixed(*x);
            } else if (!t.has("value")) {
                t.missing("value", "missing 'value' or 'distribution'",
                          "value = <number>, or distribution = \"uniform\" | \"normal\" | "
                          "\"lognormal\" | \"beta\" | \"gamma\" | \"triangular\" with its fields");
            }
        }
        if (spec != nullptr) {
            check_unit(t, spec->unit, spec->name);
        } else {
            (void)t.string("unit");
        }
        (void)t.string("note");
        setting.provenance = provenance(t, true);
        if (!scope.clean()) {
            return std::nullopt;
        }
        return setting;
    }

    // The index of a model parameter named by a [baseline] or [parameters] entry, or -1 after
    // reporting why it cannot be used there.
    int parameter_for(const Table& t, const std::string& name, ParameterRole role) {
        if (model_ == nullptr) {
            return -1;
        }
        const char* section = role == ParameterRole::baseline ? "baseline" : "parameters";
        const char* other = role == ParameterRole::baseline ? "parameters" : "baseline";
        std::vector<std::string> names;
        int found = -1;
        for (std::size_t i = 0; i < model_->parameters.size(); ++i) {
            const ParameterSpec& p = model_->parameters[i];
            if (p.role == role) {
                names.push_back(p.name);
            }
            if (p.name == name) {
                found = static_cast<int>(i);
            }
        }
        if (found < 0) {
            const std::string what =
                role == ParameterRole::baseline ? "baseline figure" : "parameter";
            ctx_.error(t.node().key_pos, t.path(),
                       "model '" + model_->name + "' has no " + what + " '" + name + "'",
                       ctx_.list(names), ctx_.suggest(name, names));
            return -1;
        }
        if (model_->parameters[static_cast<std::size_t>(found)].role != role) {
            ctx_.error(t.node().key_pos, t.path(),
                       "'" + name + "' is " +
                           (role == ParameterRole::baseline
                                ? "a parameter, not a baseline figure"
                                : "a baseline figure, not a parameter") +
                           "; set it in [" + other + "." + name + "]",
                       std::string("the ") + section + " of model '" + model_->name +
                           "': " + ctx_.list(names));
            return -1;
        }
        return found;
    }

    void baselines(const Table& root) {
        std::vector<bool> given(model_ ? model_->parameters.size() : 0, false);
        section(root, "baseline", "baseline figure", [&](const std::string& name, const Table& t) {
            const int i = parameter_for(t, name, ParameterRole::baseline);
            const ParameterSpec* spec =
                i >= 0 ? &model_->parameters[static_cast<std::size_t>(i)] : nullptr;
            if (i >= 0) {
                given[static_cast<std::size_t>(i)] = true;
            }
            if (auto setting = parameter_setting(t, spec); setting && i >= 0) {
                sc_.parameters[static_cast<std::size_t>(i)] = std::move(*setting);
                origins_[static_cast<std::size_t>(i)] = origin(t);
            }
        });
        if (model_ == nullptr) {
            return;
        }
        const TomlNode* table = root.table("baseline");
        const Table where(ctx_, table ? *table : root_, table ? "baseline" : "");
        for (std::size_t i = 0; i < model_->parameters.size(); ++i) {
            const ParameterSpec& p = model_->parameters[i];
            if (p.role == ParameterRole::baseline && !given[i]) {
                ctx_.error(where.node().pos, "baseline." + p.name,
                           "missing baseline figure '" + p.name + "': model '" + model_->name +
                               "' needs every baseline figure, each with its source",
                           "[baseline." + p.name + "] with value (" + p.unit +
                               ") and source or assumption");
            }
        }
    }

    void parameters(const Table& root) {
        section(root, "parameters", "parameter", [&](const std::string& name, const Table& t) {
            const int i = parameter_for(t, name, ParameterRole::parameter);
            const ParameterSpec* spec =
                i >= 0 ? &model_->parameters[static_cast<std::size_t>(i)] : nullptr;
            if (auto setting = parameter_setting(t, spec); setting && i >= 0) {
                sc_.parameters[static_cast<std::size_t>(i)] = std::move(*setting);
                origins_[static_cast<std::size_t>(i)] = origin(t);
            }
        });
    }

    // Where a [baseline], [parameters] or policy-mix parameter table set its value: its
    // `distribution` or `value` key, unless a file that extends the one giving it changes a field
    // (`high = 0.9` laid over a parent's uniform): then that field, in the outermost file that
    // changes one (file 0 is the one run), so that a broken rule is said where it was broken.
    static detail::ParameterOrigin origin(const Table& t) {
        const char* key = t.has("distribution") ? "distribution" : "value";
        const TomlNode* given = t.find(key);
        const TomlNode* node = given;
        std::string path = t.path(key);
        for (const TomlNode& field : t.node().entries) {
            if (given == nullptr || field.key == "source" || field.key == "assumption" ||
                field.key == "unit" || field.key == "note" || field.key == "description") {
                continue;
            }
            const bool outer = field.pos.file < node->pos.file;
            const bool later_in_outer = field.pos.file == node->pos.file &&
                                        node->pos.file < given->pos.file &&
                                        field.pos.line > node->pos.line;
            if (outer || later_in_outer) {
                node = &field;
                path = t.path(field.key);
            }
        }
        return detail::ParameterOrigin{true, node != nullptr ? node->pos : t.node().pos, path};
    }

    // The model's rules across parameters, for the base and for each policy mix (whose own
    // settings replace the base's, with their own places).
    void constraints() {
        for (const detail::Problem& p : detail::constraint_problems(
                 *model_, sc_.parameters, origins_, "", ctx_.file_names())) {
            report(p);
        }
        for (const PolicyMix& mix : sc_.policy_mixes) {
            if (mix.parameters.empty()) {
                continue; // the base's parameters, already checked
            }
            std::vector<ParameterSetting> values = sc_.parameters;
            std::vector<detail::ParameterOrigin> origins = origins_;
            for (const auto& [i, setting] : mix.parameters) {
                values[static_cast<std::size_t>(i)] = setting;
                origins[static_cast<std::size_t>(i)] = mix_origins_.at(mix.name).at(i);
            }
            for (const detail::Problem& p :
                 detail::constraint_problems(*model_, values, origins,
                                             "policy mix '" + mix.name + "'", ctx_.file_names())) {
                report(p);
            }
        }
    }

    // ---- levers ------------------------------------------------------------------------------

    int lever_for(const Table& t, const std::string& name) {
        if (model_ == nullptr) {
            return -1;
        }
        std::vector<std::string> names;
        for (const LeverSpec& l : model_->levers) {
            names.push_back(l.name);
        }
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end()) {
            ctx_.error(t.node().key_pos, t.path(),
                       "model '" + model_->name + "' has no lever '" + name + "'", ctx_.list(names),
                       ctx_.suggest(name, names));
            return -1;
        }
        return static_cast<int>(it - names.begin());
    }

    void check_lever_value(const Table& t, std::string_view key, double x, const LeverSpec* spec) {
        if (spec != nullptr && !spec->range.contains(x)) {
            ctx_.error(t.find(key)->pos, t.path(key),
                       number_text(x) + " is outside the allowed range " + range_text(spec->range) +
                           " of lever '" + spec->name + "'",
                       range_text(spec->range));
        }
    }

    // {at = "YYYY-MM", value = x}.
    std::optional<SchedulePoint> point(const TomlNode& node, const std::string& path,
                                       const LeverSpec* spec, YearMonth& month) {
        if (!node.is_table()) {
            ctx_.error(
                node.pos, path,
                std::string("expected a table {at = \"YYYY-MM\", value = <number>}, found ") +
                    detail::describe(node.type));
            return std::nullopt;
        }
        const Table t(ctx_, node, path);
        t.check_keys(POINT_KEYS);
        const auto at = t.month("at", true);
        const auto value = t.number("value", true);
        if (value) {
            check_lever_value(t, "value", *value, spec);
        }
        if (!at || !value) {
            return std::nullopt;
        }
        month = *at;
        const double t_months = calendar_ok_ ? sc_.calendar.months_until(*at) : 0.0;
        return SchedulePoint{t_months, *value};
    }

    // A non-empty array of points in strictly increasing date order.
    std::optional<std::vector<SchedulePoint>> points(const Table& t, std::string_view key,
                                                     const LeverSpec* spec) {
        const TomlNode* list = t.array(key, true, "an array of {at, value} tables");
        if (list == nullptr) {
            return std::nullopt;
        }
        if (list->items.empty()) {
            ctx_.error(list->pos, t.path(key), "needs at least one point",
                       "[{at = \"YYYY-MM\", value = <number>}, ...]");
            return std::nullopt;
        }
        const ErrorScope scope(ctx_);
        std::vector<SchedulePoint> out;
        std::optional<YearMonth> previous;
        for (std::size_t i = 0; i < list->items.size(); ++i) {
            const std::string path = t.path(key) + "[" + std::to_string(i) + "]";
            YearMonth month;
            const auto p = point(list->items[i], path, spec, month);
            if (!p) {
                previous.reset();
                continue;
            }
            if (previous && !(*previous < month)) {
                ctx_.error(list->items[i].find("at")->pos, path + ".at",
                           month.str() + " is not after the previous point's " + previous->str(),
                           "points in increasing date order");
            }
            previous = month;
            out.push_back(*p);
        }
        if (!scope.clean()) {
            return std::nullopt;
        }
        return out;
    }

    std::optional<Schedule> schedule(const Table& t, Schedule::Kind kind, const LeverSpec* spec) {
        switch (kind) {
        case Schedule::Kind::constant: {
            const auto value = t.number("value", true);
            if (!value) {
                return std::nullopt;
            }
            check_lever_value(t, "value", *value, spec);
            return Schedule::constant(*value);
        }
        case Schedule::Kind::step: {
            const auto initial = t.number("initial", true);
            if (initial) {
                check_lever_value(t, "initial", *initial, spec);
            }
            const auto steps = points(t, "steps", spec);
            if (!initial || !steps) {
                return std::nullopt;
            }
            return Schedule::step(*initial, *steps);
        }
        case Schedule::Kind::ramp: {
            YearMonth from_month;
            YearMonth to_month;
            std::optional<SchedulePoint> from;
            std::optional<SchedulePoint> to;
            if (const TomlNode* n = t.table("from", true, "a table {at, value}")) {
                from = point(*n, t.path("from"), spec, from_month);
            }
            if (const TomlNode* n = t.table("to", true, "a table {at, value}")) {
                to = point(*n, t.path("to"), spec, to_month);
            }
            if (!from || !to) {
                return std::nullopt;
            }
            if (!(from_month < to_month)) {
                ctx_.error(t.find("to")->find("at")->pos, t.path("to") + ".at",
                           "the ramp ends (" + to_month.str() + ") before it starts (" +
                               from_month.str() + ")",
                           "a month after " + from_month.str());
                return std::nullopt;
            }
            return Schedule::ramp(*from, *to);
        }
        case Schedule::Kind::piecewise_linear: {
            const auto p = points(t, "points", spec);
            if (!p) {
                return std::nullopt;
            }
            return Schedule::piecewise_linear(*p);
        }
        }
        return std::nullopt;
    }

    // schedule = "yearly": values = { 2019 = 30, 2020 = 32, ... }, spread = "step" | "linear".
    // A step spread holds each year's value from its January to its December (and the first
    // year's before it, the last year's after it); a linear spread puts each value at the start
    // of its July, the middle of the year, and interpolates between years.
    std::optional<Schedule> yearly(const Table& t, const LeverSpec* spec) {
        const TomlNode* values =
            t.table("values", true, "a table of years and values, e.g. { 2019 = 30, 2020 = 32 }");
        const ErrorScope scope(ctx_);
        bool linear = false;
        if (auto spread = t.string("spread")) {
            if (*spread == "linear") {
                linear = true;
            } else if (*spread != "step") {
                // The values are still checked: one attempt shows every mistake.
                ctx_.error(t.find("spread")->pos, t.path("spread"),
                           "unknown spread '" + *spread + "'", join(YEARLY_SPREADS),
                           did_you_mean(*spread, YEARLY_SPREADS));
            }
        }
        if (values == nullptr) {
            return std::nullopt;
        }
        std::vector<std::pair<int, double>> years;
        const Table vt(ctx_, *values, t.path("values"));
        for (const TomlNode& entry : values->entries) {
            const std::string& key = entry.key;
            const bool digits =
                !key.empty() && key.size() <= 4 &&
                std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
            const int year = digits ? std::stoi(key) : 0;
            if (!digits || year < 1) {
                ctx_.error(entry.key_pos, vt.path(key), "'" + key + "' is not a year",
                           "years 1 .. 9999 as keys, e.g. { 2019 = 30, 2020 = 32 }");
                continue;
            }
            const auto x = vt.number(key, true);
            if (!x) {
                continue;
            }
            check_lever_value(vt, key, *x, spec);
            years.emplace_back(year, *x);
        }
        if (values->entries.empty()) {
            ctx_.error(values->pos, t.path("values"), "needs at least one year",
                       "{ 2019 = 30, 2020 = 32, ... }");
        }
        if (!scope.clean() || years.empty()) {
            return std::nullopt;
        }
        std::sort(years.begin(), years.end());
        for (std::size_t i = 1; i < years.size(); ++i) {
            if (years[i].first == years[i - 1].first) {
                // "19" and "019" are different keys to TOML but the same year here.
                ctx_.error(values->pos, t.path("values"),
                           "year " + std::to_string(years[i].first) + " is given twice",
                           "each year once");
                return std::nullopt;
            }
        }
        std::vector<SchedulePoint> points;
        for (const auto& [year, value] : years) {
            const YearMonth at{year, linear ? 7 : 1};
            points.push_back(
                SchedulePoint{calendar_ok_ ? sc_.calendar.months_until(at) : 0.0, value});
        }
        if (linear) {
            return Schedule::piecewise_linear(std::move(points));
        }
        return Schedule::step(years.front().second, std::move(points));
    }

    // [levers.<name>], or in a policy mix [policy_mixes.<mix>.levers.<name>] (base != nullptr:
    // either `scale` or a schedule; cost and, by default, provenance come from the base).
    std::optional<LeverSetting> lever_setting(const Table& t, const LeverSpec* spec,
                                              const LeverSetting* base) {
        const ErrorScope scope(ctx_);
        const bool in_mix = base != nullptr;
        LeverSetting setting = in_mix ? *base : LeverSetting{};
        const std::vector<std::string>& own_keys = in_mix ? MIX_LEVER_KEYS : LEVER_KEYS;

        if (in_mix && t.has("scale")) {
            t.check_keys({"scale", "source", "assumption", "note"},
                         with(SCHEDULE_FIELDS, {"schedule"}),
                         "a lever scaled with 'scale' (give either 'scale' or a schedule)");
            if (auto factor = t.number("scale", true)) {
                // Every value the scaled schedule would hold, checked before it is built: a
                // finite factor can still overflow a value (1e308 x 10 is inf).
                std::vector<double> values = {base->schedule.initial() * *factor};
                for (const SchedulePoint& p : base->schedule.points()) {
                    values.push_back(p.value * *factor);
                }
                const auto overflow = std::find_if(values.begin(), values.end(),
                                                   [](double v) { return !std::isfinite(v); });
                if (overflow != values.end()) {
                    ctx_.error(t.find("scale")->pos, t.path("scale"),
                               "scaling by " + number_text(*factor) + " takes lever '" +
                                   (spec != nullptr ? spec->name : t.path()) +
                                   "' beyond the largest number (" + number_text(*overflow) + ")",
                               spec != nullptr ? "a factor that keeps every value within " +
                                                     range_text(spec->range)
                                               : "a smaller factor");
                } else {
                    setting.schedule = base->schedule.scaled(*factor);
                }
                if (spec != nullptr && overflow == values.end()) {
                    for (double v : values) {
                        if (!spec->range.contains(v)) {
                            ctx_.error(t.find("scale")->pos, t.path("scale"),
                                       "scaling by " + number_text(*factor) + " takes lever '" +
                                           spec->name + "' to " + number_text(v) +
                                           ", outside its allowed range " + range_text(spec->range),
                                       range_text(spec->range));
                            break;
                        }
                    }
                }
            }
        } else {
            Schedule::Kind kind = Schedule::Kind::constant;
            bool kind_ok = true;
            bool is_yearly = false;
            if (auto name = t.string("schedule")) {
                const auto it = std::find(SCHEDULE_KINDS.begin(), SCHEDULE_KINDS.end(), *name);
                if (*name == "yearly") {
                    is_yearly = true;
                } else if (it == SCHEDULE_KINDS.end()) {
                    ctx_.error(t.find("schedule")->pos, t.path("schedule"),
                               "unknown schedule '" + *name + "'", join(SCHEDULE_WORDS),
                               did_you_mean(*name, SCHEDULE_WORDS));
                    kind_ok = false;
                } else {
                    kind = static_cast<Schedule::Kind>(it - SCHEDULE_KINDS.begin());
                }
            } else if (t.has("schedule")) {
                kind_ok = false;
            }
            const std::vector<std::string> mix_only =
                in_mix ? std::vector<std::string>{"scale"} : std::vector<std::string>{};
            if (is_yearly) {
                t.check_keys(with(own_keys, YEARLY_FIELDS), with(SCHEDULE_FIELDS, mix_only),
                             "a yearly schedule");
                if (auto y = yearly(t, spec)) {
                    setting.schedule = *y;
                }
            } else if (kind_ok) {
                t.check_keys(with(own_keys, schedule_fields(kind)), with(SCHEDULE_FIELDS, mix_only),
                             std::string("a ") + to_string(kind) + " schedule");
                if (auto s = schedule(t, kind, spec)) {
                    setting.schedule = *s;
                }
            } else {
                t.check_keys(with(with(own_keys, SCHEDULE_FIELDS), mix_only));
            }
        }

        if (!in_mix) {
            const auto non_negative = [&](const char* key) {
                const auto x = t.number(key, false, "a number >= 0");
                if (x && *x < 0.0) {
                    ctx_.error(t.find(key)->pos, t.path(key),
                               "a cost must not be negative, got " + number_text(*x),
                               "a number >= 0");
                    return 0.0;
                }
                return x.value_or(0.0);
            };
            setting.cost.per_unit_year = non_negative("cost_per_unit_year");
            setting.cost.per_unit_added = non_negative("cost_per_unit_added");
            setting.cost.unit = t.string("cost_unit").value_or("");
            outcome_cost(t, setting.cost);
            if (spec != nullptr) {
                check_unit(t, spec->unit, spec->name);
            } else {
                (void)t.string("unit");
            }
        }
        (void)t.string("note");
        if (!in_mix || t.has("source") || t.has("assumption")) {
            setting.provenance = provenance(t, !in_mix);
        }
        if (!scope.clean()) {
            return std::nullopt;
        }
        check_lever_arithmetic(t, setting, in_mix, spec);
        if (!scope.clean()) {
            return std::nullopt;
        }
        return setting;
    }

    // cost_per_outcome (a price, or "level") with cost_outcome (the flow series it prices).
    void outcome_cost(const Table& t, LeverCost& cost) {
        const TomlNode* price = t.find("cost_per_outcome");
        if (price == nullptr && !t.has("cost_outcome")) {
            return;
        }
        const std::string price_allowed =
            "a number >= 0 (cost_unit per unit of the series), or \"level\" (the lever's level "
            "is the price of each unit)";
        std::vector<std::string> flows;
        if (model_ != nullptr) {
            for (const SeriesSpec& series : model_->series) {
                if (series.kind == SeriesKind::flow) {
                    flows.push_back(series.name);
                }
            }
        }
        if (price == nullptr) {
            t.missing("cost_per_outcome", "'cost_outcome' needs 'cost_per_outcome', its price",
                      price_allowed);
        } else if (price->type == TomlNode::Type::string) {
            if (price->string == "level") {
                cost.outcome_price = OutcomePrice::level;
            } else {
                ctx_.error(price->pos, t.path("cost_per_outcome"),
                           "unknown price '" + price->string + "'", price_allowed);
            }
        } else if (price->is_number()) {
            if (auto x = t.number("cost_per_outcome", true, "a number >= 0")) {
                if (*x < 0.0) {
                    ctx_.error(price->pos, t.path("cost_per_outcome"),
                               "a cost must not be negative, got " + number_text(*x),
                               price_allowed);
                } else {
                    cost.outcome_price = OutcomePrice::fixed;
                    cost.per_outcome = *x;
                }
            }
        } else {
            t.wrong_type("cost_per_outcome", *price, "a number or \"level\"");
        }
        const auto outcome = t.string("cost_outcome");
        if (!t.has("cost_outcome")) {
            t.missing("cost_outcome",
                      "'cost_per_outcome' needs 'cost_outcome': the flow series whose count is "
                      "priced",
                      ctx_.list(flows));
        } else if (outcome && model_ != nullptr) {
            const int k = model_->series_index(*outcome);
            const TomlNode* where = t.find("cost_outcome");
            if (k < 0) {
                ctx_.error(where->pos, t.path("cost_outcome"),
                           "model '" + model_->name + "' has no series '" + *outcome + "'",
                           ctx_.list(flows), ctx_.suggest(*outcome, flows));
            } else if (model_->series[static_cast<std::size_t>(k)].kind != SeriesKind::flow) {
                ctx_.error(where->pos, t.path("cost_outcome"),
                           "series '" + *outcome +
                               "' is a stock; a cost per outcome counts a flow series (what "
                               "happened during each step)",
                           ctx_.list(flows));
            } else {
                cost.outcome = *outcome;
                cost.outcome_series = k;
            }
        }
        if (cost.outcome_series < 0) {
            cost.outcome_price = OutcomePrice::none;
        }
    }

    // What the run computes from a lever must stay finite: the schedule between two of its
    // points (values of opposite sign near the largest double differ by more than it) and the
    // cost over the horizon (a huge rate times a huge value). Reported at the key that set it.
    void check_lever_arithmetic(const Table& t, const LeverSetting& setting, bool in_mix,
                                const LeverSpec* spec) {
        const SourcePos schedule_at = t.has("scale")      ? t.find("scale")->pos
                                      : t.has("schedule") ? t.find("schedule")->pos
                                                          : t.node().pos;
        const std::string schedule_key = t.path(t.has("scale") ? "scale" : "schedule");
        const auto& points = setting.schedule.points();
        for (std::size_t k = 1; k < points.size(); ++k) {
            if (!std::isfinite(points[k].value - points[k - 1].value)) {
                ctx_.error(schedule_at, schedule_key,
                           "the schedule moves from " + number_text(points[k - 1].value) + " to " +
                               number_text(points[k].value) +
                               ", a step larger than the largest number, so its values in "
                               "between cannot be computed",
                           "values whose differences are finite");
                return;
            }
        }
        if (!calendar_ok_) {
            return;
        }
        const double cost = lever_cost(setting, sc_.calendar);
        if (!std::isfinite(cost)) {
            const char* rate =
                setting.cost.per_unit_year != 0.0 ? "cost_per_unit_year" : "cost_per_unit_added";
            const bool here = !in_mix && t.has(rate);
            ctx_.error(here ? t.find(rate)->pos : schedule_at, here ? t.path(rate) : schedule_key,
                       "the lever's cost over the horizon is " + number_text(cost) +
                           ": the cost rates times the lever's values overflow",
                       "rates and values whose cost over the horizon is a finite number");
            return;
        }
        if (in_mix && spec != nullptr) {
            check_cost_in_currency(t, setting, true, spec->unit);
        }
    }

    // The same once converted into the budget's currency, which is what the outputs add up: a
    // cost finite in its own unit can overflow at a large conversion. Checked for a lever of
    // the file once [budget] has resolved its conversions, and for a mix's lever (which has
    // them from the base). The per-outcome prices are checked too; the counts they multiply
    // come from the run.
    void check_cost_in_currency(const Table& t, const LeverSetting& setting, bool in_mix,
                                const std::string& lever_unit) {
        const LeverCost& c = setting.cost;
        if (!calendar_ok_ || (c.to_currency == 1.0 && c.level_to_currency == 1.0)) {
            return;
        }
        const SourcePos schedule_at = t.has("scale")      ? t.find("scale")->pos
                                      : t.has("schedule") ? t.find("schedule")->pos
                                                          : t.node().pos;
        const std::string schedule_key = t.path(t.has("scale") ? "scale" : "schedule");
        // Where the file set what overflows: the lever's key, else (in a mix) its schedule.
        const auto report = [&](const char* key, const std::string& message) {
            const bool here = !in_mix && t.has(key);
            const char* fallback = !in_mix && t.has("cost_unit") ? "cost_unit" : nullptr;
            const SourcePos at = here       ? t.find(key)->pos
                                 : fallback ? t.find(fallback)->pos
                                 : in_mix   ? schedule_at
                                            : t.node().pos;
            ctx_.error(at,
                       here       ? t.path(key)
                       : fallback ? t.path(fallback)
                       : in_mix   ? schedule_key
                                  : t.path(),
                       message,
                       "rates, values and conversions whose cost in the currency is a finite "
                       "number");
        };
        const std::string& currency = sc_.budget.currency;
        // The unit a conversion took: the cost's own, or the level's for a reward priced by it.
        const std::string cost_unit = !c.unit.empty()                          ? c.unit
                                      : c.outcome_price == OutcomePrice::level ? lever_unit
                                                                               : currency;
        const auto converted = [&](double factor, const std::string& unit) {
            return " at budget.conversions.\"" + unit + "\" = " + number_text(factor) + " " +
                   currency + " per " + unit;
        };
        if (const double raw = lever_cost(setting, sc_.calendar); std::isfinite(raw)) {
            const double cost = lever_cost_in_currency(setting, sc_.calendar);
            if (!std::isfinite(cost)) {
                // A sum of monthly costs: six digits say how large it is, all 17 only add noise.
                char digits[32];
                const auto end = std::to_chars(digits, digits + sizeof digits, raw,
                                               std::chars_format::general, 6);
                report(c.per_unit_year != 0.0 ? "cost_per_unit_year" : "cost_per_unit_added",
                       "the lever's cost over the horizon, " + std::string(digits, end.ptr) + " " +
                           cost_unit + ", is " + number_text(cost) + " " + currency +
                           converted(c.to_currency, cost_unit) + ": the conversion overflows");
                return;
            }
        }
        if (c.outcome_price == OutcomePrice::fixed &&
            !std::isfinite(c.per_outcome * c.to_currency)) {
            report("cost_per_outcome",
                   "the price of one '" + c.outcome + "', " + number_text(c.per_outcome) + ", is " +
                       number_text(c.per_outcome * c.to_currency) + " " + currency +
                       converted(c.to_currency, cost_unit) + ": the conversion overflows");
        } else if (c.outcome_price == OutcomePrice::level) {
            double highest = std::abs(setting.schedule.initial());
            for (const SchedulePoint& p : setting.schedule.points()) {
                highest = std::max(highest, std::abs(p.value));
            }
            if (!std::isfinite(highest * c.level_to_currency)) {
                report("cost_per_outcome",
                       "the price of one '" + c.outcome + "' is the lever's level, up to " +
                           number_text(highest) + ", which is " +
                           number_text(highest * c.level_to_currency) + " " + currency +
                           converted(c.level_to_currency, lever_unit) +
                           ": the conversion overflows");
            }
        }
    }

    void levers(const Table& root) {
        section(root, "levers", "lever", [&](const std::string& name, const Table& t) {
            const int i = lever_for(t, name);
            const LeverSpec* spec = i >= 0 ? &model_->levers[static_cast<std::size_t>(i)] : nullptr;
            if (auto setting = lever_setting(t, spec, nullptr); setting && i >= 0) {
                sc_.levers[static_cast<std::size_t>(i)] = std::move(*setting);
            }
        });
    }

    // ---- [budget] ----------------------------------------------------------------------------

    // A cap: a number >= 0, or NaN when absent.
    double cap(const Table& t, const char* key) {
        const auto x = t.number(key, false, "a number >= 0 in the budget's currency");
        if (x && *x < 0.0) {
            ctx_.error(t.find(key)->pos, t.path(key),
                       "a budget cap must not be negative, got " + number_text(*x),
                       "a number >= 0 in the budget's currency");
            return Budget::NONE;
        }
        return x.value_or(Budget::NONE);
    }

    // The currency every cost is reported in, its conversions and caps; then each lever's cost
    // unit resolved into the currency. Costs in different units are never added: without
    // [budget] every cost must be in one unit, and with it every other unit needs a conversion.
    void budget(const Table& root) {
        Budget& b = sc_.budget;
        const TomlNode* node = root.table("budget");
        const bool declared = node != nullptr;
        // Where the currency was set: a child that changes it sees the errors in its parent's
        // levers, whose units no longer match, and must be told which line made them so.
        std::string currency_set_at;
        if (declared) {
            const Table t(ctx_, *node, "budget");
            t.check_keys(BUDGET_KEYS);
            if (const TomlNode* c = t.find("currency")) {
                currency_set_at = ctx_.place(c->pos);
            }
            if (auto currency = t.string("currency", true)) {
                if (blank_text(*currency)) {
                    ctx_.error(t.find("currency")->pos, t.path("currency"), "the currency is empty",
                               "a unit such as \"100m yuan\"");
                }
                b.currency = *currency;
            }
            if (const TomlNode* conversions = t.table("conversions")) {
                for (const TomlNode& value : conversions->entries) {
                    const std::string path = t.path("conversions") + "." + value.key;
                    const std::string allowed =
                        "a number > 0: how many " + b.currency + " one " + value.key + " is";
                    if (!value.is_number()) {
                        ctx_.error(value.pos, path,
                                   std::string("expected a number, found ") +
                                       detail::describe(value.type),
                                   allowed);
                    } else if (!std::isfinite(value.floating) || !(value.floating > 0.0)) {
                        ctx_.error(value.pos, path,
                                   "a conversion must be a positive finite number, got " +
                                       number_text(value.floating),
                                   allowed);
                    } else if (value.key == b.currency) {
                        ctx_.error(value.key_pos, path,
                                   "'" + value.key +
                                       "' is the currency itself; it needs no "
                                       "conversion",
                                   "other units");
                    } else {
                        b.conversions.emplace_back(value.key, value.floating);
                    }
                }
            }
            b.cap_per_year = cap(t, "cap_per_year");
            b.cap_total = cap(t, "cap_total");
            (void)t.string("note");
            const Provenance p = provenance(t, b.has_caps());
            b.source = p.source;
            b.assumption = p.assumption;
        }
        // Looked up without a word: [levers] of the wrong type was said by the levers' own
        // section, and said twice when this asked for it again.
        const TomlNode* levers = root.find("levers");
        if (levers == nullptr || !levers->is_table() || model_ == nullptr) {
            return;
        }
        std::string first; // where the currency came from, when [budget] does not name it
        for (const TomlNode& value : levers->entries) {
            const int i = model_->lever_index(value.key);
            if (i < 0 || !value.is_table()) {
                continue;
            }
            LeverCost& cost = sc_.levers[static_cast<std::size_t>(i)].cost;
            const std::string& lever_unit = model_->levers[static_cast<std::size_t>(i)].unit;
            const bool by_level = cost.outcome_price == OutcomePrice::level;
            if (!cost.priced() && cost.unit.empty()) {
                continue;
            }
            const Table t(ctx_, value, "levers." + value.key);
            const TomlNode* unit_node = t.find("cost_unit");
            const SourcePos at = unit_node != nullptr ? unit_node->pos : t.node().pos;
            // A lever priced by its level costs in its own unit unless cost_unit says otherwise.
            const std::string unit = !cost.unit.empty() ? cost.unit
                                     : by_level         ? lever_unit
                                                        : b.currency;
            const std::string conversion_hint =
                "[budget] with currency and conversions, e.g. conversions = { \"" + unit +
                "\" = <" + (b.currency.empty() ? std::string("currency") : b.currency) + " per " +
                unit + "> }";
            if (!declared) {
                if (b.currency.empty() && !unit.empty()) {
                    b.currency = unit;
                    first = t.path("cost_unit");
                } else if (unit != b.currency) {
                    ctx_.error(at, t.path("cost_unit"),
                               "costs in '" + unit + "' cannot be added to costs in '" +
                                   b.currency + "' (" + first +
                                   "); costs in different units are never summed",
                               "\"" + b.currency + "\", or " + conversion_hint);
                    continue;
                }
            }
            cost.to_currency = b.factor(unit);
            // A lever priced only at its level, with no cost_unit: the unit is the level's, and
            // the level's own check below says what it lacks (it was said twice, the first time
            // at a cost_unit the file does not have).
            const bool level_only = by_level && unit_node == nullptr && cost.per_unit_year == 0.0 &&
                                    cost.per_unit_added == 0.0;
            if (std::isnan(cost.to_currency) && level_only) {
                cost.to_currency = 1.0;
            } else if (std::isnan(cost.to_currency)) {
                ctx_.error(at, t.path("cost_unit"),
                           "'" + unit + "' is not the budget's currency '" + b.currency +
                               "' and budget.conversions has no '" + unit + "'",
                           "\"" + b.currency + "\", or a unit in budget.conversions",
                           currency_set_at.empty()
                               ? std::string()
                               : "budget.currency is set at " + currency_set_at);
                cost.to_currency = 1.0;
            }
            if (by_level) {
                cost.level_to_currency = b.factor(lever_unit);
                if (std::isnan(cost.level_to_currency)) {
                    ctx_.error(t.find("cost_per_outcome")->pos, t.path("cost_per_outcome"),
                               "the price is the lever's level, in '" + lever_unit +
                                   "', which is not the currency '" + b.currency + "'" +
                                   (declared ? " and has no conversion in budget.conversions" : ""),
                               declared
                                   ? "a conversion for \"" + lever_unit + "\" in budget.conversions"
                                   : "cost_unit = \"" + lever_unit + "\", or " + conversion_hint);
                    cost.level_to_currency = 1.0;
                }
                // The level is in the lever's unit whatever cost_unit says: with no rate of its
                // own to price, a cost_unit other than the currency was read by nothing (an
                // outside tester's "m yuan" left every cost as it was, without a word).
                if (unit_node != nullptr && cost.per_unit_year == 0.0 &&
                    cost.per_unit_added == 0.0 && unit != b.currency && unit != lever_unit) {
                    ctx_.error(at, t.path("cost_unit"),
                               "'" + unit +
                                   "' prices nothing: the lever is priced at its level, "
                                   "in its own unit '" +
                                   lever_unit +
                                   "', and has no cost_per_unit_year or cost_per_unit_added for "
                                   "cost_unit to be the unit of",
                               "no cost_unit, or \"" + b.currency + "\"");
                }
            }
            check_cost_in_currency(t, sc_.levers[static_cast<std::size_t>(i)], false, lever_unit);
        }
    }

    // ---- indicators --------------------------------------------------------------------------

    void check_id(const Table& t, const std::string& id, const char* what) {
        if (!is_snake_case(id)) {
            ctx_.error(t.node().key_pos, t.path(),
                       "'" + id + "' is not a valid " + std::string(what) + " id", SNAKE_CASE);
        }
    }

    // Indicator ids share a namespace with the axes of the outputs (docs/output-format.md):
    // an indicator called `time` would shadow the time axis when xarray reads the file.
    void check_not_reserved(const Table& t, const std::string& id) {
        const auto& reserved = RESERVED_INDICATOR_IDS;
        if (std::find(reserved.begin(), reserved.end(), id) != reserved.end()) {
            std::string names;
            for (const char* r : reserved) {
                names += (names.empty() ? "" : ", ") + std::string(r);
            }
            ctx_.error(t.node().key_pos, t.path(),
                       "'" + id + "' is reserved: the outputs use it for an axis (" + names +
                           "), which an indicator of that name would shadow",
                       "any snake_case id except " + names);
        }
    }

    // A month inside the run; `initial_ok` also allows the month before the start (whose end
    // is the initial state).
    // `last`: the latest month allowed, when it is earlier than the run's end (a growth's base
    // month comes before its `at`; an outside tester's base month outside the run was told
    // "allowed: 2024-03 .. 2025-12" beside an `at` in 2025-12).
    std::optional<YearMonth> run_month(const Table& t, std::string_view key, bool initial_ok,
                                       std::optional<YearMonth> last = std::nullopt) {
        const auto m = t.month(key, true);
        if (!m || !calendar_ok_) {
            return m;
        }
        const YearMonth first = initial_ok ? previous_month(start_) : start_;
        if (*m < first || *m > end_) {
            const YearMonth upto = last && *last < end_ && !(*last < first) ? *last : end_;
            const std::string span = first.str() + " .. " + upto.str();
            const SourcePos at = t.find(key)->pos;
            // A month of a parent file outside the run a child set: say where the run was set,
            // or the planner is sent to fix the parent (a child of wuhan-2023.toml that ends
            // in 2023-03 got 18 errors at the parent's lines, none naming the child's end).
            // The bound the month crossed decides which setting to name.
            std::string hint;
            if (*m > end_ && end_pos_.file != at.file) {
                hint = "the run's end is set at " + ctx_.place(end_pos_) + " (scenario.end)";
            } else if (*m < first && start_pos_.file != at.file) {
                hint = "the run's start is set at " + ctx_.place(start_pos_) + " (scenario.start)";
            }
            ctx_.error(
                at, t.path(key),
                m->str() + " is outside the run (" + start_.str() + " .. " + end_.str() + ")",
                initial_ok ? span + " (" + first.str() + ": the initial state)" : span, hint);
            return std::nullopt;
        }
        return m;
    }

    // The ids of every [indicators] entry, valid or not (so that a reference to a broken
    // indicator is not also reported as a reference to a missing one).
    IdSet indicator_ids(const Table& root) const {
        IdSet ids;
        const TomlNode* node = root.find("indicators");
        if (node != nullptr && node->is_table()) {
            for (const TomlNode& value : node->entries) {
                ids.names.push_back(value.key);
                ids.set.insert(value.key);
            }
        }
        return ids;
    }

    void indicators(const Table& root) {
        const IdSet ids = indicator_ids(root);
        std::vector<std::string> series_names;
        if (model_ != nullptr) {
            for (const SeriesSpec& s : model_->series) {
                series_names.push_back(s.name);
            }
        }
        if (const TomlNode* all = root.table("indicators")) {
            if (auto p = detail::section_size_problem(*all, "indicators", MAX_INDICATORS,
                                                      "indicators")) {
                // Checked before anything else in the section, so that a machine-made file of
                // a million indicators costs one diagnostic, not a million checks.
                report(*p);
                return;
            }
        }
        section(root, "indicators", "indicator", [&](const std::string& id, const Table& t) {
            const ErrorScope scope(ctx_);
            check_id(t, id, "indicator");
            check_not_reserved(t, id);
            IndicatorSpec spec;
            spec.id = id;
            const auto kind = t.string("kind", true);
            const auto it = kind ? std::find(INDICATOR_KINDS.begin(), INDICATOR_KINDS.end(), *kind)
                                 : INDICATOR_KINDS.end();
            if (kind && it == INDICATOR_KINDS.end()) {
                ctx_.error(t.find("kind")->pos, t.path("kind"),
                           "unknown indicator kind '" + *kind + "'", join(INDICATOR_KINDS),
                           did_you_mean(*kind, INDICATOR_KINDS));
            }
            if (it == INDICATOR_KINDS.end()) {
                t.check_keys(with(INDICATOR_KEYS, INDICATOR_FIELDS));
                return;
            }
            spec.kind = static_cast<IndicatorSpec::Kind>(it - INDICATOR_KINDS.begin());
            t.check_keys(with(INDICATOR_KEYS, indicator_fields(spec.kind)), INDICATOR_FIELDS,
                         std::string("a ") + *kind + " indicator");
            spec.unit = t.string("unit").value_or("");
            spec.description = t.string("description").value_or("");
            spec.scale = t.number("scale").value_or(1.0);

            if (spec.kind != IndicatorSpec::Kind::ratio &&
                spec.kind != IndicatorSpec::Kind::change) {
                spec.series = series(t, spec.kind, series_names).value_or("");
            }
            switch (spec.kind) {
            case IndicatorSpec::Kind::stock:
                spec.at = run_month(t, "at", true).value_or(YearMonth{});
                series_unit(t, spec);
                break;
            case IndicatorSpec::Kind::flow: {
                const auto from = run_month(t, "from", false);
                const auto to = run_month(t, "to", false);
                if (from && to && *to < *from) {
                    ctx_.error(t.find("to")->pos, t.path("to"),
                               "the period ends (" + to->str() + ") before it starts (" +
                                   from->str() + ")",
                               "a month on or after " + from->str());
                }
                spec.from = from.value_or(YearMonth{});
                spec.to = to.value_or(YearMonth{});
                series_unit(t, spec);
                break;
            }
            case IndicatorSpec::Kind::growth: {
                const auto at = run_month(t, "at", false);
                const auto from = run_month(t, "from", true, previous_month(at.value_or(end_)));
                if (at && from && !(*from < *at)) {
                    ctx_.error(t.find("from")->pos, t.path("from"),
                               "the base month (" + from->str() + ") must come before 'at' (" +
                                   at->str() + ")",
                               "a month before " + at->str());
                }
                spec.at = at.value_or(YearMonth{});
                spec.from = from.value_or(YearMonth{});
                fraction_unit(t, spec, "a growth is the fraction x(at) / x(from) - 1",
                              "a rise of 13 %");
                break;
            }
            case IndicatorSpec::Kind::ratio:
                spec.numerator = ratio_part(t, "numerator", id, ids).value_or("");
                spec.denominator = ratio_part(t, "denominator", id, ids).value_or("");
                // A ratio of two indicators in the same unit (firms over firms) is a fraction:
                // checked once every indicator is read, as a ratio may come before its parts.
                if (!spec.unit.empty()) {
                    const bool written = t.has("scale");
                    ratio_units_.push_back({spec,
                                            written ? t.find("scale")->pos : t.find("unit")->pos,
                                            t.path(written ? "scale" : "unit")});
                }
                break;
            case IndicatorSpec::Kind::change:
                spec.of = ratio_part(t, "of", id, ids).value_or("");
                spec.from = run_month(t, "from", true).value_or(YearMonth{});
                break;
            }
            if (scope.clean()) {
                sc_.indicators.push_back(spec);
            }
            ratio_nodes_.emplace(id, &t.node());
        });
        for (const RatioUnit& r : ratio_units_) {
            // The same unit: the same text, or the same named multiple ("100m yuan" and 亿元).
            const auto same = [](const std::string& a, const std::string& b) {
                if (a == b) {
                    return true;
                }
                const UnitMultiple ma = unit_multiple(a);
                const UnitMultiple mb = unit_multiple(b);
                return !ma.word.empty() && !mb.word.empty() && ma.factor == mb.factor;
            };
            if (const auto n = unit_of_indicator(r.spec.numerator),
                d = unit_of_indicator(r.spec.denominator);
                n && d && same(*n, *d)) {
                fraction_unit(r.at, r.key, r.spec,
                              "a ratio of two indicators in the same unit is the fraction "
                              "numerator / denominator",
                              "a share of 13 %");
            }
        }
        if (ratio_cycles()) {
            change_bases();
        }
    }

    // A ratio with a unit, where its unit check reports (indicators(): once all are read).
    struct RatioUnit {
        IndicatorSpec spec;
        SourcePos at;
        std::string key;
    };
    std::vector<RatioUnit> ratio_units_;

    // A fraction (a growth, a ratio of like units) times `scale` is in percent only at scale
    // 100 and a share only at 1. An outside tester's growth at scale 1 labelled "%" printed 13 %
    // as "0.133 %"; "percent" at scale 1 and "share" at scale 100 passed where "%" did not.
    void fraction_unit(const Table& t, const IndicatorSpec& spec, const std::string& what,
                       const std::string& example) {
        if (spec.unit.empty()) {
            return;
        }
        const bool written = t.has("scale");
        fraction_unit(written ? t.find("scale")->pos : t.find("unit")->pos,
                      t.path(written ? "scale" : "unit"), spec, what, example);
    }

    void fraction_unit(const SourcePos& at, const std::string& key, const IndicatorSpec& spec,
                       const std::string& what, const std::string& example) {
        if (!std::isfinite(spec.scale) || spec.unit.empty()) {
            return;
        }
        const double wanted = per_scale(spec.unit);
        if (wanted == 0.0 || spec.scale == wanted) {
            return;
        }
        ctx_.error(at, key,
                   what + " times scale, so with unit '" + spec.unit +
                       "' and scale = " + number_text(spec.scale) + " " + example + " would read " +
                       number_text(0.13 * spec.scale) + " " + spec.unit,
                   wanted == 1.0 ? "scale = 1 for a share, or a unit that says percent with scale "
                                   "= 100"
                                 : "scale = " + number_text(wanted) + " for a fraction in '" +
                                       spec.unit + "', or another unit");
    }

    // A stock's or a flow's unit is its series' unit times scale. Baselines, parameters,
    // levers and calibration data refuse a unit in another multiple; an indicator took one
    // silently: an outside tester's turnover labelled "10k yuan" (the series is in 100m yuan)
    // with a threshold in 万元 read 433.6 against 3,300,000, P(attain) 0 by construction, and a
    // count of firms labelled "%" passed too.
    void series_unit(const Table& t, const IndicatorSpec& spec) {
        if (model_ == nullptr || spec.unit.empty() || !std::isfinite(spec.scale)) {
            return;
        }
        const int index = model_->series_index(spec.series);
        if (index < 0) {
            return;
        }
        const std::string& unit = model_->series[static_cast<std::size_t>(index)].unit;
        const bool written = t.has("scale");
        const auto at = [&] { return written ? t.find("scale")->pos : t.find("unit")->pos; };
        const std::string key = t.path(written ? "scale" : "unit");
        const std::string what = "indicator unit '" + spec.unit + "' on series '" + spec.series +
                                 "', which is in '" + unit + "'";
        // Percentages and shares: of a percentage at 1, of a share at 100 (and a share of a
        // percentage at 0.01); a percentage of anything else is no percentage. A reviewer's
        // series in '%' labelled '%' at scale 100 printed 13 % as 1300 %.
        const double per = per_scale(spec.unit);
        const double series_per = per_scale(unit);
        if (per != 0.0 || series_per != 0.0) {
            if (per > 1.0 && series_per == 0.0) {
                ctx_.error(t.find("unit")->pos, t.path("unit"),
                           what + ", not a share or a percentage",
                           "unit = \"" + unit +
                               "\" (or its multiple, with the scale that converts to it)");
                return;
            }
            if (per == 0.0 || series_per == 0.0) {
                return; // a share of a count, a count of a share: words this check cannot read
            }
            const double wanted = per / series_per;
            if (spec.scale != wanted) {
                ctx_.error(at(), key,
                           what + ": at scale = " + number_text(spec.scale) + " it is not in '" +
                               spec.unit + "'",
                           "scale = " + number_text(wanted) + " (the series times scale is in '" +
                               spec.unit + "'), or unit = \"" + unit + "\"");
            }
            return;
        }
        // Another measure at any scale: money over a count of firms, people over money. The
        // calibration's check of its figures (engine::unit_measure), now the indicators' too.
        if (const std::string measure = unit_measure(spec.unit),
            series_measure = unit_measure(unit);
            !measure.empty() && !series_measure.empty() && measure != series_measure) {
            ctx_.error(t.find("unit")->pos, t.path("unit"),
                       what + ": '" + spec.unit + "' names " + measure + ", the series " +
                           series_measure + ", which no scale converts",
                       "unit = \"" + unit +
                           "\" (or its multiple, with the scale that converts to it)");
            return;
        }
        const UnitMultiple given = unit_multiple(spec.unit);
        const UnitMultiple model = unit_multiple(unit);
        const double ratio = model.factor / given.factor;
        // Where neither names a multiple and the texts differ, a scale may rebase (an index
        // labelled "index (2022 = 100)" at scale 100): only multiples and the series' own unit
        // written again are held to the scale that converts.
        if (std::fabs(spec.scale / ratio - 1.0) <= 1e-9 ||
            (given.word.empty() && model.word.empty() &&
             lower_ascii(spec.unit) != lower_ascii(unit))) {
            return;
        }
        const auto named = [](const UnitMultiple& m) {
            return m.word.empty() ? std::string()
                                  : " ('" + m.word + "': " + number_text(m.factor) + ")";
        };
        ctx_.error(at(), key,
                   "indicator unit '" + spec.unit + "'" + named(given) + " on series '" +
                       spec.series + "', which is in '" + unit + "'" + named(model) +
                       ", at scale = " + number_text(spec.scale) + ": the series times " +
                       number_text(spec.scale) + " is not in '" + spec.unit + "'",
                   "scale = " + number_text(ratio) + " (the series times scale is in '" +
                       spec.unit + "'), or unit = \"" + unit + "\"");
    }

    // The unit of an indicator read (nothing when it did not validate).
    std::optional<std::string> unit_of_indicator(const std::string& id) const {
        for (const IndicatorSpec& s : sc_.indicators) {
            if (s.id == id) {
                return s.unit;
            }
        }
        return std::nullopt;
    }

    // A change's `from` must be a month at which its input has a value and not after the month
    // the input is read at (IndicatorSet checks the same on rows; here it is said in months, at
    // the line). Each indicator's span [first month with a value, month read at], memoised,
    // iteratively so that a long chain cannot exhaust the stack; inputs that did not validate
    // leave the change unchecked (their own errors are reported).
    void change_bases() {
        struct Span {
            YearMonth first;
            YearMonth read;
            bool known = false;
        };
        std::unordered_map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < sc_.indicators.size(); ++i) {
            index.emplace(sc_.indicators[i].id, i);
        }
        std::vector<Span> span(sc_.indicators.size());
        std::vector<char> done(sc_.indicators.size(), 0);
        const YearMonth initial = previous_month(start_);
        const auto inputs = [&](const IndicatorSpec& spec) {
            std::vector<std::string> in;
            if (spec.kind == IndicatorSpec::Kind::ratio) {
                in = {spec.numerator, spec.denominator};
            } else if (spec.kind == IndicatorSpec::Kind::change) {
                in = {spec.of};
            }
            return in;
        };
        for (std::size_t root = 0; root < sc_.indicators.size(); ++root) {
            std::vector<std::size_t> stack{root};
            while (!stack.empty()) {
                const std::size_t i = stack.back();
                if (done[i] != 0) {
                    stack.pop_back();
                    continue;
                }
                const IndicatorSpec& spec = sc_.indicators[i];
                bool ready = true;
                for (const std::string& id : inputs(spec)) {
                    const auto it = index.find(id);
                    if (it != index.end() && done[it->second] == 0) {
                        stack.push_back(it->second);
                        ready = false;
                    }
                }
                if (!ready) {
                    continue;
                }
                stack.pop_back();
                done[i] = 1;
                Span& out = span[i];
                const auto input = [&](const std::string& id) -> const Span* {
                    const auto it = index.find(id);
                    return it == index.end() || !span[it->second].known ? nullptr
                                                                        : &span[it->second];
                };
                switch (spec.kind) {
                case IndicatorSpec::Kind::stock:
                    out = {initial, spec.at, true};
                    break;
                case IndicatorSpec::Kind::flow:
                    out = {initial, spec.to, true};
                    break;
                case IndicatorSpec::Kind::growth:
                    out = {spec.from, spec.at, true};
                    break;
                case IndicatorSpec::Kind::ratio: {
                    const Span* n = input(spec.numerator);
                    const Span* d = input(spec.denominator);
                    if (n != nullptr && d != nullptr) {
                        out = {std::max(n->first, d->first), std::max(n->read, d->read), true};
                    }
                    break;
                }
                case IndicatorSpec::Kind::change: {
                    const Span* of = input(spec.of);
                    if (of == nullptr) {
                        break;
                    }
                    if (spec.from < of->first || of->read < spec.from) {
                        const bool early = spec.from < of->first;
                        ctx_.error(ratio_nodes_.at(spec.id)->find("from")->pos,
                                   "indicators." + spec.id + ".from",
                                   spec.from.str() +
                                       (early ? " is before '" + spec.of + "' has a value (from " +
                                                    of->first.str() + ")"
                                              : " is after the month '" + spec.of +
                                                    "' is read at (" + of->read.str() +
                                                    "): the change would run backwards"),
                                   "a month from " + of->first.str() + " to " + of->read.str());
                    }
                    out = {spec.from, of->read, true};
                    break;
                }
                }
            }
        }
    }

    std::optional<std::string> series(const Table& t, IndicatorSpec::Kind kind,
                                      const std::vector<std::string>& names) {
        const SeriesKind wanted =
            kind == IndicatorSpec::Kind::flow ? SeriesKind::flow : SeriesKind::stock;
        std::vector<std::string> fitting;
        if (model_ != nullptr) {
            for (const SeriesSpec& s : model_->series) {
                if (s.kind == wanted) {
                    fitting.push_back(s.name);
                }
            }
        }
        // Missing: say which series would do (a child that writes a new `kind` drops the
        // parent's `series` with the old form, and was told only that the key was missing).
        if (t.find("series") == nullptr && model_ != nullptr) {
            t.missing("series", "missing required key 'series'", ctx_.list(fitting));
            return std::nullopt;
        }
        const auto name = t.string("series", true);
        if (!name || model_ == nullptr) {
            return name;
        }
        const auto it = std::find(names.begin(), names.end(), *name);
        const std::string& kind_name = INDICATOR_KINDS[static_cast<std::size_t>(kind)];
        if (it == names.end()) {
            ctx_.error(t.find("series")->pos, t.path("series"),
                       "model '" + model_->name + "' has no series '" + *name + "'",
                       ctx_.list(fitting), ctx_.suggest(*name, names));
            return std::nullopt;
        }
        const SeriesSpec& s = model_->series[static_cast<std::size_t>(it - names.begin())];
        if (s.kind != wanted) {
            ctx_.error(t.find("series")->pos, t.path("series"),
                       "series '" + *name + "' is a " +
                           (s.kind == SeriesKind::flow ? "flow" : "stock") + "; a " + kind_name +
                           " indicator needs a " + (wanted == SeriesKind::flow ? "flow" : "stock") +
                           " series",
                       ctx_.list(fitting));
            return std::nullopt;
        }
        return name;
    }

    std::optional<std::string> ratio_part(const Table& t, std::string_view key,
                                          const std::string& id, const IdSet& ids) {
        if (t.find(key) == nullptr) { // missing: say which indicators it could name
            std::vector<std::string> others;
            if (ctx_.listing()) {
                std::copy_if(ids.names.begin(), ids.names.end(), std::back_inserter(others),
                             [&](const std::string& s) { return s != id; });
            }
            t.missing(key, "missing required key '" + std::string(key) + "'",
                      "an indicator id: " + ctx_.list(others));
            return std::nullopt;
        }
        const auto other = t.string(key, true);
        if (!other) {
            return std::nullopt;
        }
        if (*other == id) {
            ctx_.error(t.find(key)->pos, t.path(key),
                       (key == "of" ? "change '" : "ratio '") + id + "' cannot refer to itself",
                       "another indicator id");
            return std::nullopt;
        }
        if (ids.set.count(*other) == 0) {
            std::vector<std::string> others; // what it could refer to: any indicator but itself
            if (ctx_.listing()) {
                std::copy_if(ids.names.begin(), ids.names.end(), std::back_inserter(others),
                             [&](const std::string& s) { return s != id; });
            }
            ctx_.error(t.find(key)->pos, t.path(key), "there is no indicator '" + *other + "'",
                       ctx_.list(others), ctx_.suggest(*other, others));
            return std::nullopt;
        }
        return other;
    }

    // Reports each cycle among ratio (and change) indicators once, at the reference that
    // closes it, and returns whether there was none: a depth-first search from them in file order,
    // iterative so that a long chain of ratios cannot exhaust the stack, on indices so that it
    // stays linear. A change's one input is walked as its numerator.
    bool ratio_cycles() {
        bool acyclic = true;
        std::vector<const IndicatorSpec*> ratios;
        std::unordered_map<std::string, std::size_t> index;
        for (const IndicatorSpec& spec : sc_.indicators) {
            if (spec.kind == IndicatorSpec::Kind::ratio ||
                spec.kind == IndicatorSpec::Kind::change) {
                index.emplace(spec.id, ratios.size());
                ratios.push_back(&spec);
            }
        }
        static constexpr const char* FIELDS[2] = {"numerator", "denominator"};
        constexpr std::size_t UNSEEN = std::numeric_limits<std::size_t>::max();
        constexpr std::size_t DONE = UNSEEN - 1;
        std::vector<std::size_t> depth_on_path(ratios.size(), UNSEEN); // or DONE
        struct Frame {
            std::size_t ratio;
            std::size_t next_field;
        };
        std::vector<Frame> path;
        for (std::size_t start = 0; start < ratios.size(); ++start) {
            if (depth_on_path[start] != UNSEEN) {
                continue;
            }
            path.push_back(Frame{start, 0});
            depth_on_path[start] = 0;
            while (!path.empty()) {
                const Frame top = path.back();
                if (top.next_field == 2) {
                    depth_on_path[top.ratio] = DONE;
                    path.pop_back();
                    continue;
                }
                ++path.back().next_field;
                const IndicatorSpec& spec = *ratios[top.ratio];
                const bool change = spec.kind == IndicatorSpec::Kind::change;
                if (change && top.next_field == 1) {
                    continue; // a change has one input
                }
                const auto to = index.find(change                ? spec.of
                                           : top.next_field == 0 ? spec.numerator
                                                                 : spec.denominator);
                if (to == index.end()) {
                    continue; // a stock, flow or growth indicator: a leaf
                }
                const std::size_t target = to->second;
                if (depth_on_path[target] == UNSEEN) {
                    depth_on_path[target] = path.size();
                    path.push_back(Frame{target, 0});
                } else if (depth_on_path[target] != DONE) {
                    report_cycle(ratios, path, depth_on_path[target], FIELDS);
                    acyclic = false;
                }
            }
        }
        return acyclic;
    }

    template <class Frame>
    void report_cycle(const std::vector<const IndicatorSpec*>& ratios,
                      const std::vector<Frame>& path, std::size_t from,
                      const char* const (&fields)[2]) {
        const IndicatorSpec& first = *ratios[path[from].ratio];
        const char* via =
            first.kind == IndicatorSpec::Kind::change ? "of" : fields[path[from].next_field - 1];
        std::string text;
        bool changes = false;
        for (std::size_t j = from; j < path.size(); ++j) {
            changes = changes || ratios[path[j].ratio]->kind == IndicatorSpec::Kind::change;
            if (ctx_.listing()) {
                text += ratios[path[j].ratio]->id + " -> ";
            }
        }
        if (ctx_.listing()) {
            text += first.id;
        }
        ctx_.error(ratio_nodes_.at(first.id)->find(via)->pos, "indicators." + first.id + "." + via,
                   std::string(changes ? "ratio and change" : "ratio") +
                       " indicators form a cycle: " + text,
                   changes ? "ratios and changes of indicators that do not depend on each other"
                           : "ratios of indicators that do not depend on each other");
    }

    // ---- targets -----------------------------------------------------------------------------

    void targets(const Table& root) {
        const IdSet ids = indicator_ids(root);
        std::unordered_map<std::string, std::size_t> valid; // id -> index in sc_.indicators
        for (std::size_t i = 0; i < sc_.indicators.size(); ++i) {
            valid.emplace(sc_.indicators[i].id, i);
        }
        if (const TomlNode* all = root.table("targets")) {
            if (auto p = detail::section_size_problem(*all, "targets", MAX_TARGETS, "targets")) {
                report(*p);
                return;
            }
        }
        section(root, "targets", "target", [&](const std::string& id, const Table& t) {
            const ErrorScope scope(ctx_);
            check_id(t, id, "target");
            t.check_keys(TARGET_KEYS);
            TargetSpec spec;
            spec.id = id;
            const auto indicator = t.string("indicator");
            if (indicator) {
                spec.indicator = *indicator;
                if (ids.set.count(*indicator) == 0) {
                    ctx_.error(t.find("indicator")->pos, t.path("indicator"),
                               "there is no indicator '" + *indicator + "'", ctx_.list(ids.names),
                               ctx_.suggest(*indicator, ids.names));
                }
            } else if (!t.has("indicator")) {
                spec.indicator = id;
                if (ids.set.count(id) == 0) {
                    ctx_.error(t.node().pos, t.path("indicator"),
                               "there is no indicator '" + id +
                                   "' (a target compares the indicator with its own id unless "
                                   "'indicator' names another)",
                               ctx_.list(ids.names), ctx_.suggest(id, ids.names));
                }
            }
            if (auto comparison = t.string("comparison")) {
                if (!parse_comparison(*comparison, spec.comparison)) {
                    ctx_.error(t.find("comparison")->pos, t.path("comparison"),
                               "unknown comparison '" + *comparison + "'",
                               "\">\", \">=\", \"<\", \"<=\"");
                }
            }
            const std::optional<double> threshold = t.number("threshold", true);
            spec.threshold = threshold.value_or(0.0);
            spec.description = t.string("description").value_or("");
            const auto unit = t.string("unit");
            const auto found = valid.find(spec.indicator);
            const auto ind = found == valid.end() ? sc_.indicators.end()
                                                  : sc_.indicators.begin() +
                                                        static_cast<std::ptrdiff_t>(found->second);
            if (unit && ind != sc_.indicators.end() && !ind->unit.empty() && *unit != ind->unit) {
                ctx_.error(t.find("unit")->pos, t.path("unit"),
                           "unit '" + *unit + "' differs from the unit of indicator '" + ind->id +
                               "' ('" + ind->unit + "')",
                           "\"" + ind->unit + "\"");
            }
            // With no unit of its own the indicator's number is labelled by the target's: a
            // growth or a ratio of like units read as a fraction (scale 1) is no percentage.
            // An outside tester's target "15 %" on such a growth printed 12.8 % as "0.128 %",
            // and its P(attain) was 0 whatever the policy.
            // So is a stock or a flow of a share series (a reviewer's "30 %" on a share of 0.27).
            const auto share_series = [&](const IndicatorSpec& i) {
                if (model_ == nullptr ||
                    (i.kind != IndicatorSpec::Kind::stock && i.kind != IndicatorSpec::Kind::flow)) {
                    return false;
                }
                const int s = model_->series_index(i.series);
                return s >= 0 && per_scale(model_->series[static_cast<std::size_t>(s)].unit) == 1.0;
            };
            if (unit && ind != sc_.indicators.end() && ind->unit.empty() &&
                per_scale(*unit) > 1.0 && ind->scale == 1.0 &&
                (ind->kind == IndicatorSpec::Kind::growth ||
                 ind->kind == IndicatorSpec::Kind::ratio || share_series(*ind))) {
                ctx_.error(t.find("unit")->pos, t.path("unit"),
                           "indicator '" + ind->id + "' is a " + to_string(ind->kind) +
                               " at scale 1, a fraction (13 % reads 0.13), so '" + *unit +
                               "' would compare a fraction with a percentage",
                           "scale = 100 and unit = \"%\" on indicator '" + ind->id +
                               "', or a threshold as a fraction without a unit");
            }
            spec.unit = unit ? *unit : (ind != sc_.indicators.end() ? ind->unit : "");
            if (ind != sc_.indicators.end() && threshold) {
                decided_by_sign(t, spec, *ind);
            }
            const Provenance p = provenance(t, true);
            spec.source = p.source;
            spec.assumption = p.assumption;
            if (scope.clean()) {
                sc_.targets.push_back(spec);
            }
        });
    }

    // A target the sign of its indicator decides: the level or the flow of a series the model
    // never takes below 0 (a count of firms), read at a scale >= 0, compared with a threshold
    // that every run passes (">= -60") or none can (< 0). An outside tester's `threshold = -60`
    // read "100.0 % likely" without a word.
    // The growth of such a series is never below -scale (a fall of 100 %): an outside tester's
    // ">= -100" on a growth in percent read "100.0 % likely" too.
    void decided_by_sign(const Table& t, const TargetSpec& spec, const IndicatorSpec& ind) {
        const bool growth = ind.kind == IndicatorSpec::Kind::growth;
        if (model_ == nullptr ||
            (ind.kind != IndicatorSpec::Kind::stock && ind.kind != IndicatorSpec::Kind::flow &&
             !growth) ||
            !(ind.scale >= 0.0)) {
            return;
        }
        const int s = model_->series_index(ind.series);
        if (s < 0 || model_->series[static_cast<std::size_t>(s)].can_be_negative) {
            return;
        }
        const double floor = growth ? -ind.scale : 0.0;
        const double x = spec.threshold;
        const bool always = (spec.comparison == Comparison::greater_equal && x <= floor) ||
                            (spec.comparison == Comparison::greater && x < floor);
        const bool never = (spec.comparison == Comparison::less && x <= floor) ||
                           (spec.comparison == Comparison::less_equal && x < floor);
        if (!always && !never) {
            return;
        }
        const std::string bound = number_text(floor);
        ctx_.error(
            t.find("threshold")->pos, t.path("threshold"),
            "indicator '" + ind.id + "' is the " + to_string(ind.kind) + " of series '" +
                ind.series + "', which is never below 0" +
                (growth ? ", so its growth is never below " + bound + " (a fall of 100 %)" : "") +
                ": '" + to_string(spec.comparison) + " " + number_text(x) + "' " +
                (always ? "holds in every run" : "holds in no run") + ", so P(attain) would be " +
                (always ? "100" : "0") + " % whatever the policy",
            spec.comparison == Comparison::greater_equal || spec.comparison == Comparison::greater
                ? "a threshold above " + bound
                : "a threshold of " + bound + " or more (\"<=\"), or above " + bound + " (\"<\")");
    }

    // ---- policy mixes ------------------------------------------------------------------------

    void policy_mixes(const Table& root) {
        section(root, "policy_mixes", "policy mix", [&](const std::string& name, const Table& t) {
            const ErrorScope scope(ctx_);
            check_id(t, name, "policy mix");
            if (name == BASE_POLICY_MIX) {
                ctx_.error(t.node().key_pos, t.path(),
                           std::string("policy mix '") + BASE_POLICY_MIX +
                               "' has the name every output gives the scenario without a mix, "
                               "so the two could not be told apart; rename it",
                           std::string("any snake_case name but '") + BASE_POLICY_MIX + "'");
            }
            t.check_keys(MIX_KEYS);
            PolicyMix mix;
            mix.name = name;
            mix.description = t.string("description").value_or("");
            if (const TomlNode* levers = t.table("levers")) {
                for (const TomlNode& value : levers->entries) {
                    const std::string& lever = value.key;
                    const std::string path = t.path("levers") + "." + lever;
                    if (!value.is_table()) {
                        ctx_.error(value.pos, path,
                                   std::string("expected a table (scale or a schedule), found ") +
                                       detail::describe(value.type));
                        continue;
                    }
                    const Table lt(ctx_, value, path);
                    const int i = lever_for(lt, lever);
                    if (i < 0) {
                        continue;
                    }
                    const auto k = static_cast<std::size_t>(i);
                    if (auto setting = lever_setting(lt, &model_->levers[k], &sc_.levers[k])) {
                        mix.levers.emplace_back(i, std::move(*setting));
                    }
                }
            }
            if (const TomlNode* parameters = t.table("parameters")) {
                for (const TomlNode& value : parameters->entries) {
                    const std::string& parameter = value.key;
                    const std::string path = t.path("parameters") + "." + parameter;
                    if (!value.is_table()) {
                        ctx_.error(value.pos, path,
                                   std::string("expected a table (value or distribution, and "
                                               "source or assumption), found ") +
                                       detail::describe(value.type));
                        continue;
                    }
                    const Table pt(ctx_, value, path);
                    const int i = parameter_for(pt, parameter, ParameterRole::parameter);
                    const ParameterSpec* spec =
                        i >= 0 ? &model_->parameters[static_cast<std::size_t>(i)] : nullptr;
                    if (auto setting = parameter_setting(pt, spec); setting && i >= 0) {
                        mix.parameters.emplace_back(i, std::move(*setting));
                        mix_origins_[name][i] = origin(pt);
                    }
                }
            }
            const TomlNode* lever_table = t.table("levers");
            const TomlNode* parameter_table = t.table("parameters");
            if ((lever_table == nullptr || lever_table->entries.empty()) &&
                (parameter_table == nullptr || parameter_table->entries.empty())) {
                // An outside tester's empty mix ran as the scenario itself, and `compare` drew
                // an interval around a difference that cannot be other than 0.
                ctx_.error(t.node().key_pos, t.path(),
                           "policy mix '" + name +
                               "' changes no lever and no parameter: it would run as the "
                               "scenario itself",
                           "a table [" + t.path("levers") +
                               ".<lever>] (a scale or a schedule) "
                               "or [" +
                               t.path("parameters") + ".<parameter>]");
            }
            if (scope.clean()) {
                sc_.policy_mixes.push_back(std::move(mix));
            }
        });
    }

    Context& ctx_;
    const TomlNode& root_;
    const ModelCatalog& catalog_;
    Scenario& sc_;
    const ModelInfo* model_ = nullptr;
    bool calendar_ok_ = false;
    YearMonth start_;
    YearMonth end_;
    SourcePos start_pos_; ///< where the run's start and end were written (a child may set them)
    SourcePos end_pos_;
    std::unordered_map<std::string, const TomlNode*> ratio_nodes_;
    std::vector<detail::ParameterOrigin> origins_; ///< per model parameter, the base's
    std::unordered_map<std::string, std::unordered_map<int, detail::ParameterOrigin>>
        mix_origins_; ///< per policy mix, per parameter it sets
};

void internal_error(LoadResult& result, const std::string& file, std::string_view text,
                    const char* what) {
    result.scenario.reset();
    result.diagnostics.add(
        detail::make_error(file, text.empty() ? 0 : 1, text.empty() ? 0 : 1, "",
                           std::string("internal error while loading: ") + what));
}

} // namespace

Scenario Scenario::with_policy_mix(const std::string& mix_name) const {
    if (mix_name.empty()) {
        return *this;
    }
    const auto mix = std::find_if(policy_mixes.begin(), policy_mixes.end(),
                                  [&](const PolicyMix& m) { return m.name == mix_name; });
    if (mix == policy_mixes.end()) {
        std::vector<std::string> names;
        for (const PolicyMix& m : policy_mixes) {
            names.push_back(m.name);
        }
        throw Error("scenario '" + name + "' has no policy mix '" + mix_name + "' (" +
                    (names.empty() ? std::string("it has none") : "it has: " + join(names)) + ")");
    }
    Scenario out = *this;
    for (const auto& [i, setting] : mix->levers) {
        out.levers.at(static_cast<std::size_t>(i)) = setting;
    }
    for (const auto& [i, setting] : mix->parameters) {
        out.parameters.at(static_cast<std::size_t>(i)) = setting;
    }
    if (out.joint_draws && !mix->parameters.empty()) {
        // The mix says what its parameters are: a posterior column drawing one of them would
        // overwrite the mix's setting in every replicate, so that column goes, as a --set of
        // the parameter drops it (experiments/overrides.cpp). The other columns keep their
        // rows: the pick depends only on (seed, replicate), so the runs stay paired.
        const auto& columns = out.joint_draws->columns();
        std::vector<bool> keep(columns.size(), true);
        for (std::size_t c = 0; c < columns.size(); ++c) {
            if (columns[c].kind != JointDraws::Column::Kind::parameter) {
                continue;
            }
            for (const auto& [i, setting] : mix->parameters) {
                if (i == columns[c].index) {
                    keep[c] = false;
                }
            }
        }
        if (std::find(keep.begin(), keep.end(), true) == keep.end()) {
            out.joint_draws.reset();
        } else if (std::find(keep.begin(), keep.end(), false) != keep.end()) {
            out.joint_draws = std::make_shared<const JointDraws>(out.joint_draws->without(keep));
        }
    }
    return out;
}

double Scenario::lever_cost(std::size_t lever) const {
    if (lever >= levers.size()) {
        throw Error("scenario '" + name + "' has no lever " + std::to_string(lever) + " (it has " +
                    std::to_string(levers.size()) + ")");
    }
    return engine::lever_cost(levers[lever], calendar);
}

double lever_cost(const LeverSetting& l, const Calendar& calendar) {
    const double dt_years = calendar.dt_years();
    double total = 0.0;
    double previous = 0.0;
    for (int s = 0; s < calendar.steps(); ++s) {
        const double value = l.schedule.at(calendar.months_at_start(s));
        total += value * dt_years * l.cost.per_unit_year;
        if (s > 0 && value > previous) {
            total += (value - previous) * l.cost.per_unit_added;
        }
        previous = value;
    }
    return total;
}

double lever_cost_in_currency(const LeverSetting& l, const Calendar& calendar) {
    // Step by step as budget.cpp (lever_step_costs) converts and sums them.
    const double dt_years = calendar.dt_years();
    double total = 0.0;
    double previous = 0.0;
    for (int s = 0; s < calendar.steps(); ++s) {
        const double value = l.schedule.at(calendar.months_at_start(s));
        double cost = value * dt_years * l.cost.per_unit_year;
        if (s > 0 && value > previous) {
            cost += (value - previous) * l.cost.per_unit_added;
        }
        total += cost * l.cost.to_currency;
        previous = value;
    }
    return total;
}

LoadResult load_scenario_text(std::string_view text, const std::string& file,
                              const ModelCatalog& catalog) {
    LoadResult result;
    try {
        detail::SourceFiles files;
        std::optional<TomlNode> root = detail::load_document(text, file, files, result.diagnostics);
        if (!root) {
            return result;
        }
        Scenario scenario;
        scenario.path = file;
        scenario.text = std::move(files.text);
        scenario.files.assign(files.names.begin(), files.names.end());
        Context ctx(files, result.diagnostics);
        Validator(ctx, *root, catalog, scenario).run();
        ctx.finish();
        if (!result.diagnostics.has_errors()) {
            result.scenario = std::move(scenario);
        }
    } catch (const std::exception& e) {
        internal_error(result, file, text, e.what());
    } catch (...) {
        internal_error(result, file, text, "unknown exception");
    }
    return result;
}

LoadResult load_scenario(const std::filesystem::path& file, const ModelCatalog& catalog) {
    LoadResult result;
    try {
        const std::string name = file.generic_string();
        std::string why;
        const std::optional<std::string> text = detail::read_scenario_file(file, why);
        if (!text) {
            result.diagnostics.add(
                detail::make_error(name, 0, 0, "", "cannot read the scenario file: " + why));
            return result;
        }
        result = load_scenario_text(*text, name, catalog);
        if (result.scenario) {
            result.scenario->path = file;
        }
    } catch (const std::exception& e) {
        internal_error(result, file.generic_string(), {}, e.what());
    } catch (...) {
        internal_error(result, file.generic_string(), {}, "unknown exception");
    }
    return result;
}

} // namespace canopy::engine
