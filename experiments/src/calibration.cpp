// Calibration files (calibration.hpp): the TOML file, its scenario and its data, checked into an
// immutable Calibration. Like the scenario loader, validation goes on after a problem so that
// every problem is reported, each at its file, line, column and key.
#include "calibration_common.hpp"
#include "registry.hpp"
#include "text.hpp"

#include <canopy/engine/distribution_syntax.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/toml_document.hpp>
#include <canopy/engine/units.hpp>
#include <canopy/experiments/calibration.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace canopy::experiments {

namespace {

namespace fs = std::filesystem;
using engine::Diagnostic;
using engine::Diagnostics;
using engine::TomlValue;
using engine::YearMonth;

constexpr double INF = std::numeric_limits<double>::infinity();

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) {
        out += (out.empty() ? "" : ", ") + s;
    }
    return out;
}

std::string num(double x) {
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    char buffer[64];
    if (std::floor(x) == x && std::fabs(x) < 1e15) {
        const auto r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(x));
        return std::string(buffer, r.ptr);
    }
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, x);
    return std::string(buffer, r.ptr);
}

std::string interval(double lo, double hi) {
    return (std::isinf(lo) ? "(" : "[") + num(lo) + ", " + num(hi) + (std::isinf(hi) ? ")" : "]");
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

using engine::lower_ascii;

bool contains_any(const std::string& text, std::initializer_list<const char*> words) {
    return std::any_of(words.begin(), words.end(),
                       [&](const char* w) { return text.find(w) != std::string::npos; });
}

// The first of `keywords` in `unit` (lower-cased) that a negation shortly before it turns round:
// "not a forecast", "exact, not approximate", "no lower bound implied", "non-forecast", 不超过
// (at most: an upper bound, not a floor). Returned as the words from the negation to the keyword,
// "" when no keyword is negated. An English negation counts among the four words before the
// keyword, a Chinese one (不 非 未 没 无) among the two characters before it; neither across a
// bracket or a ';', where another note begins. The keywords were read without their negation:
// "firms (final; not a forecast)" was fitted as a forecast, with three times its error.
std::string negated_keyword(const std::string& unit, std::initializer_list<const char*> keywords) {
    static const std::array<std::string_view, 16> NEGATIONS = {
        "not",  "no",    "non",   "never", "without", "neither", "nor",    "none",
        "isnt", "arent", "wasnt", "dont",  "doesnt",  "didnt",   "cannot", "nothing"};
    static const std::array<std::string_view, 5> CHINESE = {"不", "非", "未", "没", "无"};
    const auto is_break = [&](std::size_t i) {
        const char c = unit[i];
        // A comma too: "not seasonally adjusted, approx" negates another remark (a reviewer).
        return c == '(' || c == ')' || c == '[' || c == ']' || c == ';' || c == ',' ||
               unit.compare(i, 3, "（") == 0 || unit.compare(i, 3, "）") == 0 ||
               unit.compare(i, 3, "；") == 0 || unit.compare(i, 3, "，") == 0 ||
               unit.compare(i, 3, "、") == 0;
    };
    const auto letter = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
    };
    for (const char* keyword : keywords) {
        for (std::size_t at = unit.find(keyword); at != std::string::npos;
             at = unit.find(keyword, at + 1)) {
            const std::size_t end = at + std::strlen(keyword);
            // The clause before the keyword: back to a bracket or a ';'.
            std::size_t begin = at;
            while (begin > 0 && !is_break(begin - 1)) {
                --begin;
            }
            // Chinese: the four characters (code points) before it (不属于预计数, 不再是预计数).
            std::size_t back = at;
            for (int chars = 0; chars < 4 && back > begin; ++chars) {
                do {
                    --back;
                } while (back > begin && (static_cast<unsigned char>(unit[back]) & 0xC0) == 0x80);
                for (const std::string_view n : CHINESE) {
                    if (unit.compare(back, n.size(), n) == 0) {
                        return unit.substr(back, end - back);
                    }
                }
            }
            // English: the six words before it ("not in any way a forecast"; "isn't" and
            // "isn’t" as "isnt"; "no." is a number, not a negation).
            const auto apostrophe = [&](std::size_t k) {
                return k >= begin + 3 && unit.compare(k - 3, 3, "\xE2\x80\x99") == 0;
            };
            std::size_t i = at;
            for (int words = 0; words < 6 && i > begin;) {
                if (!letter(unit[i - 1]) && !apostrophe(i)) {
                    --i;
                    continue;
                }
                const std::size_t word_end = i;
                std::string word;
                while (i > begin && (letter(unit[i - 1]) || apostrophe(i))) {
                    if (letter(unit[i - 1])) {
                        word.insert(word.begin(), unit[--i]);
                    } else {
                        i -= 3;
                    }
                }
                word.erase(std::remove(word.begin(), word.end(), '\''), word.end());
                ++words;
                const bool number_sign =
                    word == "no" && word_end < unit.size() && unit[word_end] == '.';
                if (!number_sign &&
                    std::find(NEGATIONS.begin(), NEGATIONS.end(), word) != NEGATIONS.end()) {
                    return unit.substr(i, end - i);
                }
            }
        }
    }
    return {};
}

// A unit's text before its note in brackets, trimmed ("firms" of "firms (final)"); `otherwise`
// when that is empty.
std::string unit_head(const std::string& unit, const std::string& otherwise) {
    std::string head = unit.substr(0, std::min(unit.find_first_of("(["), unit.find("（")));
    while (!head.empty() && (head.back() == ' ' || head.back() == '\t')) {
        head.pop_back();
    }
    const std::size_t begin = head.find_first_not_of(" \t");
    return begin == std::string::npos ? otherwise : head.substr(begin);
}

// What engine::unit_measure's answer is, in words: "an amount of money", "a count of firms".
std::string measure_text(const std::string& measure) {
    const auto one = [](const std::string& m) -> std::string {
        if (m == "money") {
            return "an amount of money";
        }
        if (m.starts_with("money in ")) { // another currency than yuan
            return "an amount of money in " + m.substr(9);
        }
        if (m == "people" || m == "firms") {
            return "a count of " + m;
        }
        if (m == "area") {
            return "an area";
        }
        if (m == "percent") {
            return "a percentage";
        }
        if (m == "share") {
            return "a share";
        }
        return m;
    };
    const std::size_t per = measure.find(" per ");
    if (per == std::string::npos) {
        return one(measure);
    }
    return one(measure.substr(0, per)) + " per " + measure.substr(per + 5);
}

// A scale as a planner types it: 0.0001, not 1e-04 (num's shortest form), for the powers of ten
// unit_multiple gives.
std::string scale_text(double x) {
    char buffer[400];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed);
    return r.ec == std::errc() ? std::string(buffer, r.ptr) : num(x);
}

// ---- diagnostics and typed access to TOML tables ---------------------------------------------

class Reporter {
public:
    Reporter(std::string file, Diagnostics& out)
        : file_(std::move(file))
        , out_(out) {}

    void error(int line, int column, std::string key, std::string message, std::string allowed = {},
               std::string hint = {}) {
        Diagnostic d;
        d.file = file_;
        d.line = line > 0 ? line : 1;
        d.column = line > 0 && column > 0 ? column : 1;
        d.key = std::move(key);
        d.message = std::move(message);
        d.allowed = std::move(allowed);
        d.hint = std::move(hint);
        out_.add(std::move(d));
    }
    void at(const TomlValue& v, std::string key, std::string message, std::string allowed = {},
            std::string hint = {}) {
        error(v.line, v.column, std::move(key), std::move(message), std::move(allowed),
              std::move(hint));
    }
    void at_key(const TomlValue& v, std::string key, std::string message, std::string allowed = {},
                std::string hint = {}) {
        error(v.key_line, v.key_column, std::move(key), std::move(message), std::move(allowed),
              std::move(hint));
    }
    [[nodiscard]] std::size_t errors() const { return out_.size(); }
    [[nodiscard]] const std::string& file() const { return file_; }

private:
    std::string file_;
    Diagnostics& out_;
};

class Table {
public:
    Table(Reporter& r, const TomlValue& node, std::string path)
        : r_(r)
        , node_(node)
        , path_(std::move(path)) {}

    [[nodiscard]] const TomlValue& node() const { return node_; }
    [[nodiscard]] std::string path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const TomlValue* find(std::string_view key) const { return node_.find(key); }
    [[nodiscard]] bool has(std::string_view key) const { return find(key) != nullptr; }

    void check_keys(const std::vector<std::string>& allowed) const {
        for (const TomlValue& v : node_.entries) {
            if (std::find(allowed.begin(), allowed.end(), v.key) == allowed.end()) {
                r_.at_key(v, path(v.key), "unknown key '" + v.key + "'", join(allowed),
                          engine::did_you_mean(v.key, allowed));
            }
        }
    }

    void missing(std::string_view key, std::string message, std::string allowed = {}) const {
        r_.at(node_, path(key), std::move(message), std::move(allowed));
    }

    template <class Fits>
    const TomlValue* get(std::string_view key, bool required, std::string_view expected, Fits fits,
                         std::string_view allowed = {}) const {
        const TomlValue* v = find(key);
        if (v == nullptr) {
            if (required) {
                missing(key, "missing required key '" + std::string(key) + "'",
                        std::string(allowed.empty() ? expected : allowed));
            }
            return nullptr;
        }
        if (!fits(*v)) {
            r_.at(*v, path(key),
                  "expected " + std::string(expected) + ", found " + engine::describe(v->type));
            return nullptr;
        }
        return v;
    }

    std::optional<std::string> string(std::string_view key, bool required = false) const {
        const TomlValue* v = get(key, required, "a string", [](const TomlValue& n) {
            return n.type == TomlValue::Type::string;
        });
        return v ? std::optional<std::string>(v->string) : std::nullopt;
    }

    std::optional<double> number(std::string_view key, bool required = false) const {
        const TomlValue* v =
            get(key, required, "a number", [](const TomlValue& n) { return n.is_number(); });
        if (v == nullptr) {
            return std::nullopt;
        }
        if (!std::isfinite(v->floating)) {
            r_.at(*v, path(key), "expected a finite number, found " + num(v->floating));
            return std::nullopt;
        }
        return v->floating;
    }

    std::optional<std::int64_t> integer(std::string_view key, bool required = false) const {
        const TomlValue* v = get(key, required, "an integer", [](const TomlValue& n) {
            return n.type == TomlValue::Type::integer;
        });
        return v ? std::optional<std::int64_t>(v->integer) : std::nullopt;
    }

    // An integer in [lo, hi].
    std::optional<std::int64_t> integer_in(std::string_view key, std::int64_t lo,
                                           std::int64_t hi) const {
        const auto x = integer(key);
        if (x && (*x < lo || *x > hi)) {
            r_.at(*find(key), path(key),
                  std::to_string(*x) + " is outside " + std::to_string(lo) + " .. " +
                      std::to_string(hi),
                  std::to_string(lo) + " .. " + std::to_string(hi));
            return std::nullopt;
        }
        return x;
    }

    // A number satisfying `ok`, described by `allowed`.
    template <class Ok>
    std::optional<double> number_where(std::string_view key, Ok ok,
                                       const std::string& allowed) const {
        const auto x = number(key);
        if (x && !ok(*x)) {
            r_.at(*find(key), path(key), num(*x) + " is not allowed here", allowed);
            return std::nullopt;
        }
        return x;
    }

    std::optional<bool> boolean(std::string_view key) const {
        const TomlValue* v = get(key, false, "true or false", [](const TomlValue& n) {
            return n.type == TomlValue::Type::boolean;
        });
        return v ? std::optional<bool>(v->boolean) : std::nullopt;
    }

    std::optional<YearMonth> month(std::string_view key) const {
        const auto s = string(key);
        if (!s) {
            return std::nullopt;
        }
        YearMonth ym;
        if (!engine::parse_year_month(*s, ym)) {
            r_.at(*find(key), path(key), "'" + *s + "' is not a month",
                  "\"YYYY-MM\" with a month 01..12, e.g. \"2022-09\"");
            return std::nullopt;
        }
        return ym;
    }

    const TomlValue* table(std::string_view key, bool required = false) const {
        return get(key, required, "a table", [](const TomlValue& n) { return n.is_table(); });
    }

private:
    Reporter& r_;
    const TomlValue& node_;
    std::string path_;
};

// ---- vocabulary ----------------------------------------------------------------------------

const std::vector<std::string> ROOT_KEYS = {"calibration", "error",      "abc_smc",
                                            "smm",         "parameters", "observations"};
const std::vector<std::string> CALIBRATION_KEYS = {"name", "description", "scenario", "policy_mix",
                                                   "data", "method",      "seed",     "fit_until"};
const std::vector<std::string> ERROR_KEYS = {"relative_sd", "approximation_factor",
                                             "forecast_factor"};
const std::vector<std::string> ABC_KEYS = {"particles",       "replicates_per_particle",
                                           "max_generations", "ess_fraction",
                                           "min_acceptance",  "max_simulations"};
const std::vector<std::string> SMM_KEYS = {"replicates", "max_iterations", "tolerance",
                                           "profile_points", "posterior_draws"};
const std::vector<std::string> OBSERVATION_KEYS = {"series", "model_series", "measure",
                                                   "scale",  "relative_sd",  "sd",
                                                   "years",  "rows",         "description"};
const std::vector<std::string> ROW_KEYS = {"year",  "value",       "at",       "from", "to",
                                           "bound", "approximate", "forecast", "use",  "reason"};
const std::vector<std::string> MEASURES = {"stock", "flow", "change", "growth"};
const std::vector<std::string> METHODS = {"abc-smc", "smm"};

// A prior is written as a scenario's distribution is.
const std::vector<engine::DistributionSyntax>& PRIORS = engine::distribution_syntaxes();

std::string prior_text(const engine::Uncertain& u) {
    using K = engine::Uncertain::Kind;
    switch (u.kind) {
    case K::uniform:
        return "uniform(low " + num(u.a) + ", high " + num(u.b) + ")";
    case K::normal:
        return "normal(mean " + num(u.a) + ", sd " + num(u.b) + ")";
    case K::lognormal:
        return "lognormal(median " + num(u.a) + ", sigma " + num(u.b) + ")";
    case K::beta:
        return "beta(alpha " + num(u.a) + ", beta " + num(u.b) + ")";
    case K::gamma:
        return "gamma(shape " + num(u.a) + ", scale " + num(u.b) + ")";
    case K::triangular:
        return "triangular(low " + num(u.a) + ", mode " + num(u.c) + ", high " + num(u.b) + ")";
    case K::fixed:
        break;
    }
    return "fixed";
}

// ---- the validator -------------------------------------------------------------------------

class Loader {
public:
    Loader(const fs::path& file, const CalibrationFlags& flags, Diagnostics& out)
        : file_(file)
        , flags_(flags)
        , out_(out)
        , r_(file.generic_string(), out) {}

    std::optional<Calibration> run() {
        engine::TomlDocument doc = engine::read_toml_file(file_, out_);
        if (!doc.root) {
            return std::nullopt;
        }
        c_.path = file_;
        c_.text = doc.text;
        const Table root(r_, *doc.root, "");
        root.check_keys(ROOT_KEYS);
        calibration_table(root);
        error_table(root);
        method_tables(root);
        parameters(root);
        if (!out_.has_errors()) {
            check_rules();
        }
        observations(root);
        if (out_.has_errors()) {
            return std::nullopt;
        }
        return std::move(c_);
    }

private:
    fs::path relative(const std::string& given) const {
        const fs::path p(given);
        return p.is_relative() ? file_.parent_path() / p : p;
    }

    // ---- [calibration] ----------------------------------------------------------------------

    void calibration_table(const Table& root) {
        const TomlValue* node = root.table("calibration", true);
        if (node == nullptr) {
            return;
        }
        const Table t(r_, *node, "calibration");
        t.check_keys(CALIBRATION_KEYS);
        if (auto name = t.string("name", true)) {
            if (!is_snake_case(*name)) {
                r_.at(*t.find("name"), t.path("name"), "'" + *name + "' is not a valid name",
                      "snake_case: a lowercase letter, then lowercase letters, digits or '_'");
            }
            c_.name = *name;
        }
        (void)t.string("description");
        if (auto m = t.string("method")) {
            if (*m == "abc-smc") {
                c_.method = CalibrationMethod::abc_smc;
            } else if (*m == "smm") {
                c_.method = CalibrationMethod::smm;
            } else {
                r_.at(*t.find("method"), t.path("method"), "unknown method '" + *m + "'",
                      join(METHODS), engine::did_you_mean(*m, METHODS));
            }
        }
        if (flags_.method) {
            c_.method = *flags_.method;
        }
        if (auto seed = t.integer("seed")) {
            if (*seed < 0) {
                r_.at(*t.find("seed"), t.path("seed"), "the seed must not be negative",
                      "an integer >= 0");
            } else {
                c_.seed = static_cast<std::uint64_t>(*seed);
            }
        }
        if (flags_.seed) {
            c_.seed = *flags_.seed;
        }
        if (auto y = t.integer_in("fit_until", 1, 9999)) {
            c_.fit_until = static_cast<int>(*y);
        }
        if (flags_.fit_until) {
            c_.fit_until = *flags_.fit_until;
        }
        if (auto data = t.string("data", true)) {
            const std::size_t before = out_.size();
            if (auto d = read_data_csv(relative(*data), out_)) {
                c_.data = std::move(*d);
                data_ok_ = true;
            } else if (out_.size() > before && out_.items()[before].line == 0) {
                // The file itself could not be read: say where it was named as well.
                r_.at(*t.find("data"), t.path("data"),
                      "cannot use the data file '" + relative(*data).generic_string() + "'",
                      "a CSV in the format of scenarios/data/wuhan-history.csv, relative to "
                      "this file");
            }
        }
        const auto mix = t.string("policy_mix");
        if (auto scenario = t.string("scenario", true)) {
            load_scenario(t, relative(*scenario), mix.value_or(""));
        }
    }

    void load_scenario(const Table& t, const fs::path& path, const std::string& mix) {
        engine::LoadResult loaded = engine::load_scenario(path, models::model_catalog());
        out_.append(loaded.diagnostics);
        if (!loaded.scenario) {
            r_.at(*t.find("scenario"), t.path("scenario"),
                  "the scenario '" + path.generic_string() + "' cannot be used (see above)");
            return;
        }
        engine::Scenario s = std::move(*loaded.scenario);
        if (!mix.empty()) {
            std::vector<std::string> names;
            for (const engine::PolicyMix& m : s.policy_mixes) {
                names.push_back(m.name);
            }
            if (std::find(names.begin(), names.end(), mix) == names.end()) {
                r_.at(*t.find("policy_mix"), t.path("policy_mix"),
                      "scenario '" + s.name + "' has no policy mix '" + mix + "'",
                      names.empty() ? "it has none" : join(names),
                      engine::did_you_mean(mix, names));
                return;
            }
            s = s.with_policy_mix(mix);
            c_.policy_mix = mix;
        }
        if (s.posterior || s.joint_draws) {
            r_.at(*t.find("scenario"), t.path("scenario"),
                  "the scenario draws its parameters from a posterior; a calibration starts "
                  "from priors",
                  "a scenario without [scenario] posterior");
            return;
        }
        c_.model = models::find_model(s.model);
        if (c_.model == nullptr) {
            throw Error("model '" + s.model + "' validated but is not registered");
        }
        scenario_ = std::move(s);
        scenario_ok_ = true;
    }

    // ---- [error], [abc_smc], [smm] ----------------------------------------------------------

    void error_table(const Table& root) {
        const TomlValue* node = root.table("error");
        if (node == nullptr) {
            return;
        }
        const Table t(r_, *node, "error");
        t.check_keys(ERROR_KEYS);
        const auto positive = [](double x) { return x > 0.0; };
        const auto at_least_one = [](double x) { return x >= 1.0; };
        c_.errors.relative_sd =
            t.number_where("relative_sd", positive, "a number > 0").value_or(c_.errors.relative_sd);
        c_.errors.approximation_factor =
            t.number_where("approximation_factor", at_least_one, "a number >= 1")
                .value_or(c_.errors.approximation_factor);
        c_.errors.forecast_factor = t.number_where("forecast_factor", at_least_one, "a number >= 1")
                                        .value_or(c_.errors.forecast_factor);
    }

    void method_tables(const Table& root) {
        if (const TomlValue* node = root.table("abc_smc")) {
            const Table t(r_, *node, "abc_smc");
            t.check_keys(ABC_KEYS);
            auto& a = c_.abc;
            a.particles =
                static_cast<int>(t.integer_in("particles", 10, 1'000'000).value_or(a.particles));
            a.replicates_per_particle =
                static_cast<int>(t.integer_in("replicates_per_particle", 1, 1000)
                                     .value_or(a.replicates_per_particle));
            a.max_generations = static_cast<int>(
                t.integer_in("max_generations", 1, 1000).value_or(a.max_generations));
            a.ess_fraction = t.number_where(
                                  "ess_fraction", [](double x) { return x > 0.0 && x < 1.0; },
                                  "a number strictly between 0 and 1")
                                 .value_or(a.ess_fraction);
            a.min_acceptance = t.number_where(
                                    "min_acceptance", [](double x) { return x >= 0.0 && x < 1.0; },
                                    "a number from 0 (never stop early) to below 1")
                                   .value_or(a.min_acceptance);
            a.max_simulations = t.integer_in("max_simulations", 1, std::int64_t{1} << 40)
                                    .value_or(a.max_simulations);
            // The pilot alone runs every particle's replicates once.
            const std::int64_t pilot =
                std::int64_t{a.particles} * std::int64_t{a.replicates_per_particle};
            if (a.max_simulations < pilot && t.has("max_simulations")) {
                r_.at(*t.find("max_simulations"), t.path("max_simulations"),
                      "the budget of " + std::to_string(a.max_simulations) +
                          " simulations is smaller than one generation of " +
                          std::to_string(a.particles) + " particles of " +
                          std::to_string(a.replicates_per_particle) + " replicates each",
                      "at least particles x replicates_per_particle = " + std::to_string(pilot));
            } else if (a.max_simulations < pilot) {
                // The default budget, too small for the particles asked for: the sampler would
                // stop before its first run.
                const char* key = t.has("particles") ? "particles" : "replicates_per_particle";
                r_.at(*t.find(key), t.path(key),
                      std::to_string(a.particles) + " particles of " +
                          std::to_string(a.replicates_per_particle) + " replicates each need " +
                          std::to_string(pilot) +
                          " simulations for one generation, more than the default budget of " +
                          std::to_string(a.max_simulations),
                      "abc_smc.max_simulations = " + std::to_string(pilot) + " or more");
            }
        }
        if (const TomlValue* node = root.table("smm")) {
            const Table t(r_, *node, "smm");
            t.check_keys(SMM_KEYS);
            auto& s = c_.smm;
            s.replicates =
                static_cast<int>(t.integer_in("replicates", 2, 1'000'000).value_or(s.replicates));
            s.max_iterations = static_cast<int>(
                t.integer_in("max_iterations", 1, 1'000'000).value_or(s.max_iterations));
            s.tolerance = t.number_where(
                               "tolerance", [](double x) { return x > 0.0; }, "a number > 0")
                              .value_or(s.tolerance);
            s.profile_points = static_cast<int>(
                t.integer_in("profile_points", 3, 1001).value_or(s.profile_points));
            s.posterior_draws = static_cast<int>(
                t.integer_in("posterior_draws", 1, 1'000'000).value_or(s.posterior_draws));
        }
    }

    // ---- [parameters.<name>] ----------------------------------------------------------------

    void parameters(const Table& root) {
        const TomlValue* node = root.table("parameters", true);
        if (node == nullptr) {
            return;
        }
        if (node->entries.empty()) {
            r_.at(*node, "parameters", "there are no parameters to fit",
                  "[parameters.<name>] with a prior for each parameter to fit");
        }
        for (const TomlValue& v : node->entries) {
            const std::string path = "parameters." + v.key;
            if (!v.is_table()) {
                r_.at(v, path,
                      std::string("expected a table (a prior and its fields), found ") +
                          engine::describe(v.type));
                continue;
            }
            parameter(Table(r_, v, path), v.key);
        }
    }

    void parameter(const Table& t, const std::string& name) {
        const std::size_t before = out_.size();
        // What the name refers to: a parameter or baseline (set), or a lever (scaled).
        OverrideTarget target;
        target.name = name;
        double range_min = -INF;
        double range_max = INF;
        std::string unit;
        bool resolved = false;
        if (scenario_ok_) {
            const engine::ModelInfo& info = c_.model->info();
            const int p = info.parameter_index(name);
            const int l = info.lever_index(name);
            if (p >= 0) {
                const engine::ParameterSpec& spec = info.parameters[static_cast<std::size_t>(p)];
                target.kind = spec.role == engine::ParameterRole::baseline ? TargetKind::baseline
                                                                           : TargetKind::parameter;
                target.index = p;
                range_min = spec.range.min;
                range_max = spec.range.max;
                unit = spec.unit;
                if (spec.integer) {
                    r_.at_key(t.node(), t.path(),
                              "'" + name +
                                  "' takes whole numbers only; calibration fits "
                                  "continuous parameters",
                              "a parameter, baseline figure or lever that is not whole-numbered");
                } else {
                    resolved = true;
                }
            } else if (l >= 0) {
                target.kind = TargetKind::lever;
                target.mode = OverrideMode::scale;
                target.index = l;
                unit = "multiplier of its schedule";
                const engine::LeverSpec& spec = info.levers[static_cast<std::size_t>(l)];
                // The largest factor that keeps every value of the schedule in range.
                range_min = 0.0;
                const engine::Schedule& sched =
                    scenario_.levers[static_cast<std::size_t>(l)].schedule;
                std::vector<double> values = {sched.initial()};
                for (const engine::SchedulePoint& pt : sched.points()) {
                    values.push_back(pt.value);
                }
                if (sched.kind() == engine::Schedule::Kind::constant) {
                    values = {sched.at(0.0)};
                }
                for (double v : values) {
                    if (v > 0.0) {
                        range_max = std::min(range_max, spec.range.max / v);
                    } else if (v < 0.0) {
                        range_max = std::min(range_max, spec.range.min / v);
                    }
                }
                resolved = true;
            } else {
                // Only what a prior can take: whole-numbered parameters (firms, edges_per_firm)
                // were offered here and then refused as whole numbers.
                std::vector<std::string> names;
                for (const engine::ParameterSpec& s : info.parameters) {
                    if (!s.integer) {
                        names.push_back(s.name);
                    }
                }
                for (const engine::LeverSpec& s : info.levers) {
                    names.push_back(s.name);
                }
                r_.at_key(
                    t.node(), t.path(),
                    "model '" + info.name + "' has no parameter, baseline or lever '" + name + "'",
                    names.size() <= 30 ? join(names) : "see `canopy models` for the model's names",
                    engine::did_you_mean(name, names));
            }
        }
        // The prior.
        const auto kind = t.string("prior", true);
        const auto shape =
            std::find_if(PRIORS.begin(), PRIORS.end(), [&](const engine::DistributionSyntax& p) {
                return kind && *kind == p.name;
            });
        std::vector<std::string> allowed = {"prior",  "lower",      "upper", "unit",
                                            "source", "assumption", "note"};
        if (kind && shape == PRIORS.end()) {
            r_.at(*t.find("prior"), t.path("prior"), "unknown prior '" + *kind + "'",
                  join(engine::distribution_names()),
                  engine::did_you_mean(*kind, engine::distribution_names()));
        }
        if (shape != PRIORS.end()) {
            allowed.insert(allowed.end(), shape->fields.begin(), shape->fields.end());
        }
        t.check_keys(allowed);
        (void)t.string("note");
        const auto given_unit = t.string("unit");
        if (given_unit && resolved && *given_unit != unit) {
            r_.at(*t.find("unit"), t.path("unit"),
                  "unit '" + *given_unit + "' does not match the model's unit for '" + name +
                      "' ('" + unit + "')",
                  "\"" + unit + "\"");
        }
        const auto source = t.string("source");
        const auto assumption = t.string("assumption");
        // As in a scenario: an empty reason is none ("Both, neither, or an empty string are
        // errors"); `assumption = ""` passed here while a scenario refused it.
        if (source && engine::blank_text(*source)) {
            r_.at(*t.find("source"), t.path("source"), "the source is empty",
                  "a citation: document, table, page or URL");
        }
        if (assumption && engine::blank_text(*assumption)) {
            r_.at(*t.find("assumption"), t.path("assumption"), "the assumption is empty",
                  "the reasoning behind the prior");
        }
        if (source && assumption) {
            r_.at_key(*t.find("assumption"), t.path("assumption"),
                      "give either 'source' or 'assumption', not both");
        } else if (!source && !assumption && !t.has("source") && !t.has("assumption")) {
            t.missing("source",
                      "missing 'source' or 'assumption': a prior says what was known before the "
                      "data, and why",
                      "source = \"...\" or assumption = \"...\"");
        }
        const auto lower_given = t.number("lower");
        const auto upper_given = t.number("upper");
        if (shape == PRIORS.end()) {
            return;
        }
        std::vector<double> v;
        bool fields_ok = true;
        for (const std::string& field : shape->fields) {
            const auto x = t.number(field, true);
            fields_ok = fields_ok && x.has_value();
            v.push_back(x.value_or(0.0));
        }
        if (!fields_ok) {
            return;
        }
        engine::Uncertain u;
        u.kind = shape->kind;
        u.a = v[0];
        u.b = v[1];
        if (u.kind == engine::Uncertain::Kind::triangular) {
            u.b = v[2];
            u.c = v[1];
        }
        // A prior's low must lie below its high (a scenario's uniform may be a point; a prior may
        // not): said so, rather than the scenario's "needs low <= high".
        const bool flat = (u.kind == engine::Uncertain::Kind::uniform ||
                           u.kind == engine::Uncertain::Kind::triangular) &&
                          std::isfinite(u.a) && std::isfinite(u.b) && !(u.a < u.b);
        if (const char* why = u.domain_error();
            why != nullptr || (u.kind == engine::Uncertain::Kind::uniform && !(u.a < u.b)) ||
            (u.kind == engine::Uncertain::Kind::triangular && !(u.a < u.b)) ||
            (u.kind == engine::Uncertain::Kind::normal && !(u.b > 0.0)) ||
            (u.kind == engine::Uncertain::Kind::lognormal && !(u.b > 0.0))) {
            // A prior's spread must be above 0, not the scenario's ">= 0" (a scenario's normal
            // may be a point): sd = -3 was told ">= 0" beside an allowed "sd > 0".
            const bool finite = std::isfinite(u.a) && std::isfinite(u.b);
            const char* spread =
                !finite ? nullptr
                : u.kind == engine::Uncertain::Kind::normal && !(u.b > 0.0)
                    ? "normal needs a standard deviation sd > 0"
                : u.kind == engine::Uncertain::Kind::lognormal && u.a > 0.0 && !(u.b > 0.0)
                    ? "lognormal needs a sigma > 0"
                    : nullptr;
            r_.at(*t.find("prior"), t.path("prior"),
                  std::string("the ") + shape->name + " prior's fields are not valid: " +
                      (flat                ? "low must be below high"
                       : spread != nullptr ? spread
                       : why != nullptr    ? why
                                           : "its width must be positive"),
                  "uniform: low < high; normal: sd > 0; lognormal: median > 0, sigma > 0; beta "
                  "and gamma: both > 0; triangular: low <= mode <= high, low < high");
            return;
        }
        double lo = lower_given.value_or(range_min);
        double hi = upper_given.value_or(range_max);
        if (lower_given && *lower_given < range_min) {
            r_.at(*t.find("lower"), t.path("lower"),
                  num(*lower_given) + " is below the model's range " +
                      interval(range_min, range_max) + " of '" + name + "'",
                  interval(range_min, range_max));
            return;
        }
        if (upper_given && *upper_given > range_max) {
            r_.at(*t.find("upper"), t.path("upper"),
                  num(*upper_given) + " is above the model's range " +
                      interval(range_min, range_max) + " of '" + name + "'",
                  interval(range_min, range_max));
            return;
        }
        if (!(lo < hi)) {
            const TomlValue& at = t.has("upper") ? *t.find("upper") : t.node();
            r_.at(at, t.path("upper"),
                  "the bounds are empty: lower " + num(lo) + ", upper " + num(hi), "lower < upper");
            return;
        }
        const double mass = Prior::mass_between(u, lo, hi);
        if (!(mass >= Prior::MIN_MASS)) {
            r_.at(*t.find("prior"), t.path("prior"),
                  "the prior " + prior_text(u) + " has no mass inside its bounds " +
                      interval(lo, hi) + " (it puts " + num(mass) + " there)",
                  "a prior whose distribution reaches into " + interval(lo, hi) +
                      ", or bounds (lower, upper) that include where it lies");
            return;
        }
        // A prior no wider than rounding (a sigma of 1e-300) passed, and the calibration ran
        // until every proposal fell outside it, then blamed the posterior for pressing against
        // the prior's edge.
        const Prior prior(u, lo, hi);
        const double q01 = prior.quantile(0.01);
        const double q99 = prior.quantile(0.99);
        if (!(q99 - q01 > 1e-9 * std::max(std::fabs(q01), std::fabs(q99)))) {
            r_.at(*t.find("prior"), t.path("prior"),
                  "the prior " + prior_text(u) + " has no width to fit: 98 % of it lies in " +
                      interval(q01, q99),
                  "a prior wider than a billionth of its values; a figure known exactly is set "
                  "in the scenario, not fitted");
            return;
        }
        if (out_.size() != before || !resolved) {
            return;
        }
        FittedParameter fp{target, prior, unit, source.value_or(""), assumption.value_or("")};
        c_.parameters.push_back(std::move(fp));
        prior_nodes_.push_back(&t.node());
    }

    // The model's rules across parameters (sector shares that sum to at most 1, ...) over every
    // value the priors can draw, beside the scenario's other settings: a prior that breaks one
    // ran without a word. Said at the last prior the rule involves, in file order.
    void check_rules() {
        if (!scenario_ok_) {
            return;
        }
        std::vector<ParameterRange> ranges;
        std::vector<std::size_t> prior_of; // each range's fitted parameter
        for (std::size_t k = 0; k < c_.parameters.size(); ++k) {
            const FittedParameter& fp = c_.parameters[k];
            if (fp.target.kind == TargetKind::lever || fp.target.index < 0) {
                continue;
            }
            ranges.push_back({static_cast<std::size_t>(fp.target.index),
                              std::max(fp.prior.lower(), fp.prior.distribution().draw_min()),
                              std::min(fp.prior.upper(), fp.prior.distribution().draw_max()),
                              "the prior of " + fp.target.name});
            prior_of.push_back(k);
        }
        for (const RangeBreach& r :
             rules_broken_over(c_.model->info(), scenario_.parameters, ranges)) {
            const std::size_t k = prior_of[r.range];
            r_.at_key(*prior_nodes_[k], "parameters." + c_.parameters[k].target.name,
                      "over the priors' draws, " + r.breach.message,
                      r.breach.allowed +
                          ", for every value the priors can draw (narrow the prior with "
                          "lower and upper)");
        }
    }

    // ---- [observations.<id>] ----------------------------------------------------------------

    // Row overrides of one mapping: a [[observations.<id>.rows]] table.
    struct RowRule {
        const TomlValue* node = nullptr;
        std::string path; ///< "observations.<id>.rows[i]"
        int year = 0;
        std::optional<double> value;
        std::optional<YearMonth> at, from, to;
        std::optional<bool> lower_bound, approximate, forecast;
        bool use = true;
        bool matched = false;
        bool said_twice = false; ///< already reported as placing a row another entry places
    };

    void observations(const Table& root) {
        const TomlValue* node = root.table("observations", true);
        if (node == nullptr) {
            return;
        }
        if (node->entries.empty()) {
            r_.at(*node, "observations", "there are no observations to fit",
                  "[observations.<id>] mapping a series of the data to the model");
        }
        for (const TomlValue& v : node->entries) {
            const std::string path = "observations." + v.key;
            if (!v.is_table()) {
                r_.at(v, path,
                      std::string("expected a table (series, model_series, ...), found ") +
                          engine::describe(v.type));
                continue;
            }
            mapping(Table(r_, v, path), v.key);
        }
        if (!data_ok_ || !scenario_ok_ || out_.has_errors()) {
            return;
        }
        // A data row used by two tables would weigh twice, as a row pasted twice would (which
        // the data file refuses): two tables may map one series only to different rows.
        std::map<int, std::string> row_user; // the data row's line -> the table that uses it
        for (const Observation& o : c_.observations) {
            const auto [it, fresh] = row_user.emplace(o.row.line, o.mapping);
            if (!fresh && it->second != o.mapping) {
                // Every mapping has its required series, or it made no observation.
                const TomlValue& series = *node->find(o.mapping)->find("series");
                r_.at(series, "observations." + o.mapping + ".series",
                      "the figure of '" + o.row.series + "' in " + std::to_string(o.row.year) +
                          " (line " + std::to_string(o.row.line) +
                          " of the data file) is also fitted by observations." + it->second +
                          ": it would weigh twice",
                      "each figure in one table: choose other rows with years = [...]");
                return;
            }
        }
        // The CSV's series that nothing uses.
        std::set<std::string> used;
        for (const Observation& o : c_.observations) {
            used.insert(o.row.series);
        }
        std::set<std::string> unused;
        for (const DataRow& row : c_.data.rows) {
            if (used.count(row.series) == 0) {
                unused.insert(row.series);
            }
        }
        c_.unused_series.assign(unused.begin(), unused.end());
        // The flag's year, not the file's: named as a flag, as --set is (no file, no line).
        const auto flag_error = [&](std::string message, std::string allowed) {
            Diagnostic d;
            d.key = "--fit-until";
            d.message = std::move(message);
            d.allowed = std::move(allowed);
            out_.add(std::move(d));
        };
        if (c_.fitted().empty()) {
            if (flags_.fit_until) { // the flag's year held them all back
                flag_error("no figure is fitted: every figure " + r_.file() + " maps is after " +
                               std::to_string(*flags_.fit_until),
                           "a year from the earliest mapped figure's on");
                return;
            }
            r_.at(*node, "observations",
                  c_.fit_until ? "no figure is fitted: every mapped figure is after fit_until " +
                                     std::to_string(*c_.fit_until)
                               : std::string("no figure is fitted"),
                  "at least one figure in a year up to fit_until");
            return;
        }
        // A hold-out that holds nothing back checks nothing: fit_until = 2030 on figures up to
        // 2023 was accepted with no figure held out, as if the fit had been tested.
        if (c_.fit_until && c_.fitted().size() == c_.observations.size()) {
            int last = 0;
            for (const Observation& o : c_.observations) {
                last = std::max(last, o.row.year);
            }
            const std::string what = "fit_until " + std::to_string(*c_.fit_until) +
                                     " holds no figure back: the last mapped figure is of " +
                                     std::to_string(last);
            const std::string allowed =
                "a year before " + std::to_string(last) + ", or no hold-out (leave it out)";
            if (flags_.fit_until) {
                flag_error(what, allowed);
            } else {
                const TomlValue* calibration = root.find("calibration");
                const TomlValue* at =
                    calibration != nullptr ? calibration->find("fit_until") : nullptr;
                r_.at(at != nullptr ? *at : *node, "calibration.fit_until", what, allowed);
            }
            return;
        }
        add_indicators();
    }

    void mapping(const Table& t, const std::string& id) {
        const std::size_t before = out_.size();
        if (!is_snake_case(id)) {
            r_.at_key(t.node(), t.path(), "'" + id + "' is not a valid observation id",
                      "snake_case: a lowercase letter, then lowercase letters, digits or '_'");
        }
        t.check_keys(OBSERVATION_KEYS);
        (void)t.string("description");
        const auto series = t.string("series", true);
        const auto model_series = t.string("model_series", true);
        const auto measure_name = t.string("measure");
        // A unit conversion. Its size is bounded so that every scaled model figure (and a growth
        // measure's 100 x scale) stays finite: 1e308 passed this check once and failed only when
        // every run's figure overflowed.
        const double scale = t.number_where(
                                  "scale",
                                  [](double x) {
                                      const double size = std::fabs(x);
                                      return size >= 1e-150 && size <= 1e150;
                                  },
                                  "a number other than 0, from 1e-150 to 1e150 in size")
                                 .value_or(1.0);
        const auto relative_sd = t.number_where(
            "relative_sd", [](double x) { return x > 0.0; }, "a number > 0");
        const auto sd = t.number_where(
            "sd", [](double x) { return x > 0.0; }, "a number > 0");
        if (t.has("relative_sd") && t.has("sd")) {
            r_.at_key(
                *t.find("sd"), t.path("sd"),
                "give either 'relative_sd' or 'sd' (absolute, in the figure's unit), not both");
        }
        std::optional<Measure> measure;
        if (measure_name) {
            const auto it = std::find(MEASURES.begin(), MEASURES.end(), *measure_name);
            if (it == MEASURES.end()) {
                r_.at(*t.find("measure"), t.path("measure"),
                      "unknown measure '" + *measure_name + "'", join(MEASURES),
                      engine::did_you_mean(*measure_name, MEASURES));
            } else {
                measure = static_cast<Measure>(it - MEASURES.begin());
            }
        }
        // The model series and the measure that fits it.
        bool never_negative = false; // the model series is a count or an amount
        std::string series_unit;     // the model series' unit
        if (model_series && scenario_ok_) {
            const engine::ModelInfo& info = c_.model->info();
            const int k = info.series_index(*model_series);
            if (k < 0) {
                std::vector<std::string> names;
                for (const engine::SeriesSpec& s : info.series) {
                    names.push_back(s.name);
                }
                r_.at(*t.find("model_series"), t.path("model_series"),
                      "model '" + info.name + "' has no series '" + *model_series + "'",
                      names.size() <= 30 ? join(names) : "see `canopy models`",
                      engine::did_you_mean(*model_series, names));
            } else {
                const engine::SeriesSpec& s = info.series[static_cast<std::size_t>(k)];
                const bool is_flow = s.kind == engine::SeriesKind::flow;
                never_negative = !s.can_be_negative;
                series_unit = s.unit;
                if (!measure) {
                    measure = is_flow ? Measure::flow : Measure::stock;
                } else if ((*measure == Measure::flow) != is_flow) {
                    r_.at(*t.find("measure"), t.path("measure"),
                          "series '" + s.name + "' is a " + (is_flow ? "flow" : "stock") +
                              "; measure '" + *measure_name + "' needs a " +
                              (*measure == Measure::flow ? "flow" : "stock") + " series",
                          is_flow ? "flow" : "stock, change, growth");
                }
            }
        }
        // The data's series.
        std::vector<const DataRow*> rows;
        if (series && data_ok_) {
            std::vector<std::string> names;
            for (const DataRow& row : c_.data.rows) {
                if (row.series == *series) {
                    rows.push_back(&row);
                }
                if (std::find(names.begin(), names.end(), row.series) == names.end()) {
                    names.push_back(row.series);
                }
            }
            if (rows.empty()) {
                r_.at(*t.find("series"), t.path("series"),
                      "the data file has no series '" + *series + "'",
                      names.size() <= 30 ? join(names) : "the series column of the data file",
                      engine::did_you_mean(*series, names));
            }
        }
        // Which years.
        std::optional<std::set<int>> years;
        if (const TomlValue* list = t.find("years")) {
            if (list->type != TomlValue::Type::array) {
                r_.at(*list, t.path("years"),
                      std::string("expected an array of years, found ") +
                          engine::describe(list->type));
            } else if (list->items.empty()) {
                // An empty list fitted nothing of the series, said only as "not used".
                r_.at(*list, t.path("years"), "the list is empty",
                      "the years to fit, or no years key to fit every row of the series");
            } else {
                years.emplace();
                for (std::size_t i = 0; i < list->items.size(); ++i) {
                    const TomlValue& item = list->items[i];
                    const std::string key = t.path("years") + "[" + std::to_string(i) + "]";
                    if (item.type != TomlValue::Type::integer || item.integer < 1 ||
                        item.integer > 9999) {
                        r_.at(item, key, "expected a year (an integer 1 .. 9999)");
                        continue;
                    }
                    const int y = static_cast<int>(item.integer);
                    if (years->count(y) != 0) {
                        r_.at(item, key, std::to_string(y) + " is listed twice", "each year once");
                        continue;
                    }
                    if (!rows.empty() &&
                        std::none_of(rows.begin(), rows.end(),
                                     [&](const DataRow* r) { return r->year == y; })) {
                        r_.at(item, key,
                              "the data file has no row of '" + *series + "' in " +
                                  std::to_string(y));
                    }
                    years->insert(y);
                }
            }
        }
        std::vector<RowRule> rules = row_rules(t, series.value_or(""), rows);
        if (measure) {
            months_read(rules, *measure);
        }
        if (out_.size() != before || !measure || rows.empty() || !scenario_ok_) {
            return;
        }
        // One observation per used row.
        std::map<int, int> seen;
        for (const DataRow* row : rows) {
            if (years && years->count(row->year) == 0) {
                continue;
            }
            Observation o;
            o.mapping = id;
            o.row = *row;
            o.measure = *measure;
            o.model_series = *model_series;
            o.scale = scale;
            const int n = ++seen[row->year];
            o.id = id + "_" + std::to_string(row->year) + (n > 1 ? "_" + std::to_string(n) : "");
            const int y = row->year;
            switch (o.measure) {
            case Measure::stock:
                o.at = YearMonth{y, 12};
                break;
            case Measure::flow:
                o.from = YearMonth{y, 1};
                o.to = YearMonth{y, 12};
                break;
            case Measure::change:
            case Measure::growth:
                o.at = YearMonth{y, 12};
                o.from = YearMonth{y - 1, 12};
                break;
            }
            // What the unit column says about the figure.
            const std::string unit = lower_ascii(row->unit);
            o.lower_bound = contains_any(unit, {"lower bound", "突破", "以上", "超"});
            o.approximate = contains_any(unit, {"approx", "about", "约", "左右"});
            o.forecast = contains_any(unit, {"forecast", "预计"});
            const bool partial =
                contains_any(unit, {"as of", "partial", "not a year-end", "mid-year"});
            bool placed = false;
            bool use = true;
            Placement placement;
            const RowRule* first_rule = nullptr;
            for (RowRule& rule : rules) {
                if (rule.year != y || (rule.value && *rule.value != row->value)) {
                    continue;
                }
                // Two entries for one row: the later would silently override the earlier.
                if (first_rule != nullptr) {
                    rule.matched = true;
                    if (std::exchange(rule.said_twice, true)) {
                        continue;
                    }
                    r_.at(*rule.node, rule.path,
                          "places the same row as " + first_rule->path + " (the " +
                              std::to_string(y) + " figure of '" + row->series + "', line " +
                              std::to_string(row->line) + " of " +
                              c_.data.path.filename().generic_string() + ")",
                          "one [[rows]] entry per row (value = <the figure> tells apart rows of "
                          "the same year)");
                    continue;
                }
                first_rule = &rule;
                rule.matched = true;
                use = use && rule.use;
                if (rule.at) {
                    o.at = *rule.at;
                    placement.at = {&rule, "at"};
                    placed = true;
                }
                if (rule.from) {
                    o.from = *rule.from;
                    placement.from = {&rule, "from"};
                    placed = true;
                }
                if (rule.to) {
                    o.to = *rule.to;
                    placement.to = {&rule, "to"};
                    placed = true;
                }
                o.lower_bound = rule.lower_bound.value_or(o.lower_bound);
                o.approximate = rule.approximate.value_or(o.approximate);
                o.forecast = rule.forecast.value_or(o.forecast);
            }
            if (!use) {
                continue;
            }
            // A keyword the unit negates ("not a forecast") is ambiguous: refused unless a
            // [[rows]] entry says what the figure is.
            const auto negated = [&](std::initializer_list<const char*> words, bool settled,
                                     const std::string& taken_as, const std::string& say) {
                const std::string phrase = negated_keyword(unit, words);
                if (phrase.empty() || settled) {
                    return false;
                }
                data_error(*row, "unit",
                           "the unit '" + row->unit + "' of '" + row->series + "' " +
                               std::to_string(y) + " says '" + phrase +
                               "': a qualifier with a negation is ambiguous (the unit's keywords "
                               "are read without it, and this figure would be fitted as " +
                               taken_as + ")",
                           "the unit written plainly, its qualifier only where it holds ('" +
                               unit_head(row->unit, series_unit) +
                               "' for an exact figure), with "
                               "remarks such as 'final' in the source or quote column; or [[" +
                               t.path("rows") + "]] with year = " + std::to_string(y) + " and " +
                               say);
                return true;
            };
            if (negated({"lower bound", "突破", "以上", "超"},
                        first_rule != nullptr && first_rule->lower_bound.has_value(),
                        "a lower bound, one-sided", "bound = \"none\" or \"lower\"") ||
                negated({"approx", "about", "约", "左右"},
                        first_rule != nullptr && first_rule->approximate.has_value(),
                        "an approximation, with " + num(c_.errors.approximation_factor) +
                            " x its error",
                        "approximate = false or true") ||
                negated({"forecast", "预计"},
                        first_rule != nullptr && first_rule->forecast.has_value(),
                        "a forecast, with " + num(c_.errors.forecast_factor) + " x its error",
                        "forecast = false or true") ||
                negated({"as of", "partial", "mid-year"}, placed,
                        "a part-year figure that must be placed",
                        "at = \"YYYY-MM\" (a stock) or from/to (a flow)")) {
                continue;
            }
            if (partial && !placed) {
                data_error(*row, "unit",
                           "'" + row->series + "' " + std::to_string(y) +
                               " is not a whole-year figure ('" + row->unit +
                               "'): say where it sits",
                           "[[" + t.path("rows") + "]] with year = " + std::to_string(y) +
                               " and at = \"YYYY-MM\" (a stock) or from/to (a flow), or use = "
                               "false with a reason");
                continue;
            }
            // A level or a flow of a count or an amount is never below 0 (a fall is a change).
            if (never_negative && row->value < 0.0 &&
                (o.measure == Measure::stock || o.measure == Measure::flow)) {
                data_error(*row, "value",
                           "a figure of " + num(row->value) + " for the " +
                               (o.measure == Measure::stock ? "level" : "flow") + " of '" +
                               *model_series + "', which is never below 0",
                           "0 or more; a fall from the year before is " + t.path("measure") +
                               " = \"change\"");
                continue;
            }
            // A growth is compared in percent, 100 x (x / x0 - 1), unless `scale` converts it:
            // a figure given as a share ("0.15, share yoy") fitted against percent without a
            // word (an outside tester's finding).
            if (o.measure == Measure::growth && scale == 1.0 &&
                !contains_any(unit, {"%", "percent", "pct", "百分"})) {
                data_error(*row, "unit",
                           "'" + row->series + "' " + std::to_string(y) +
                               " is fitted as a growth, which the model gives in percent (100 x "
                               "(x / x0 - 1)), but its unit '" +
                               row->unit + "' does not say percent",
                           "the figure in percent with a unit that says so ('% yoy'), or " +
                               t.path("scale") + " = 0.01 to compare shares");
                continue;
            }
            // A figure in a multiple of the model's unit (万家 of a series in firms), or in percent
            // of a level, compared without a `scale`: an outside tester's 0.048 万家 for 480
            // firms was fitted as 0.048 firms, and the posterior went to the prior's edge with
            // a note that blamed the model's noise. With a `scale`, it must be the one the units
            // name (万人 against people: 0.0001, not 0.001).
            if (o.measure != Measure::growth && model_series) {
                // A figure of another measure (yuan or people against a series of firms) is
                // refused before any multiple is compared: 4.92 亿元 was answered with the scale
                // that would fit a yuan amount as a count of firms, and 492 yuan passed.
                const std::string given_measure = engine::unit_measure(row->unit);
                const std::string model_measure = engine::unit_measure(series_unit);
                const auto fraction = [](const std::string& m) {
                    return m == "percent" || m == "share";
                };
                if (!given_measure.empty() && !model_measure.empty() &&
                    given_measure != model_measure &&
                    !(fraction(given_measure) && fraction(model_measure))) {
                    data_error(
                        *row, "unit",
                        "'" + row->series + "' " + std::to_string(y) + " is in '" + row->unit +
                            "', " + measure_text(given_measure) + ", but the model's series '" +
                            *model_series + "' is in '" + series_unit + "', " +
                            measure_text(model_measure) +
                            ": a figure of another measure cannot be fitted to it, at any scale",
                        "a figure of " + measure_text(model_measure) + " in '" + series_unit +
                            "' (or a multiple of it, converted by " + t.path("scale") +
                            "), or a model series measured in " + measure_text(given_measure) +
                            (given_measure == "percent"
                                 ? "; " + t.path("measure") +
                                       " = \"growth\" for a growth in percent"
                                 : std::string()));
                    continue;
                }
                const engine::UnitMultiple given = engine::unit_multiple(row->unit);
                const engine::UnitMultiple model = engine::unit_multiple(series_unit);
                const double ratio = model.factor / given.factor;
                const auto named = [](const engine::UnitMultiple& m) {
                    return m.word.empty() ? std::string()
                                          : " ('" + m.word + "': " + num(m.factor) + ")";
                };
                const std::string units = "'" + row->series + "' " + std::to_string(y) +
                                          " is in '" + row->unit + "'" + named(given) +
                                          ", and the model's series '" + *model_series +
                                          "' is in '" + series_unit + "'" + named(model);
                const bool converted = scale == 1.0
                                           ? ratio == 1.0
                                           : ratio == 1.0 || std::fabs(scale / ratio - 1.0) <= 1e-9;
                if (!converted) {
                    data_error(*row, "unit",
                               units + (scale == 1.0
                                            ? ", which " + t.path("scale") + " does not convert"
                                            : ", which " + t.path("scale") + " = " + num(scale) +
                                                  " does not convert"),
                               t.path("scale") + " = " + scale_text(ratio) +
                                   " (the model's figure times scale is the data's), or the "
                                   "figure in the model's unit");
                    continue;
                }
                // A percentage (or per mille) against a series of no known measure ("index",
                // "contracts"): the measure check above says nothing there. The unit's head
                // decides, as it does for the measure: "firms (up 12% on the year before)" is a
                // count of firms with a note (an outside tester's note in brackets made it "a
                // percentage").
                const double given_per = engine::per_scale(unit_head(row->unit, row->unit));
                const double model_per = engine::per_scale(unit_head(series_unit, series_unit));
                if (scale == 1.0 && given_per > 1.0 && model_per == 0.0) {
                    data_error(*row, "unit",
                               "'" + row->series + "' " + std::to_string(y) + " is in '" +
                                   row->unit + "', " +
                                   (given_per == 100.0 ? "a percentage" : "per mille") +
                                   ", but the model's series '" + *model_series + "' is in '" +
                                   series_unit + "'",
                               t.path("measure") + " = \"growth\" for a growth in percent, a " +
                                   t.path("scale") + " that converts it, or the figure in '" +
                                   series_unit + "'");
                    continue;
                }
                // Percent, per mille and share against each other: the scale that converts
                // (a reviewer's ‰ against a share, and share or ‰ against '%', passed at 1).
                if (given_per != 0.0 && model_per != 0.0) {
                    const double wanted = given_per / model_per;
                    if (std::fabs(scale / wanted - 1.0) > 1e-9) {
                        data_error(*row, "unit",
                                   "'" + row->series + "' " + std::to_string(y) + " is in '" +
                                       row->unit + "', and the model's series '" + *model_series +
                                       "' is in '" + series_unit + "', which " + t.path("scale") +
                                       " = " + num(scale) + " does not convert",
                                   t.path("scale") + " = " + scale_text(wanted) +
                                       " (the model's figure times scale is the data's)");
                        continue;
                    }
                }
            }
            // The error model.
            double s =
                sd ? *sd : relative_sd.value_or(c_.errors.relative_sd) * std::fabs(row->value);
            if (o.approximate) {
                s *= c_.errors.approximation_factor;
            }
            if (o.forecast) {
                s *= c_.errors.forecast_factor;
            }
            if (!(s > 0.0) || !std::isfinite(s)) {
                data_error(*row, "value",
                           "a figure of 0 has no relative error: give this observation an "
                           "absolute sd",
                           t.path("sd") + " = <number > 0, in the figure's unit>");
                continue;
            }
            // Distances divide by the sd and square: an sd whose square is not a normal
            // number (1e-320, say) gives infinite distances for every run.
            if (!std::isnormal(s * s)) {
                data_error(*row, "value",
                           "the figure's error sd, " + num(s) +
                               ", is too far from 1 for its square to be a normal number",
                           t.path("sd") + " = <an absolute sd from about 1e-154 to 1e154, in the "
                                          "figure's unit>");
                continue;
            }
            o.sd = s;
            if (!inside_run(o, placement) || !in_its_year(o, placement)) {
                continue;
            }
            // Judged by the last month the figure reads, which in_its_year keeps in its year.
            o.fitted = !c_.fit_until || last_month(o).year <= *c_.fit_until;
            c_.observations.push_back(std::move(o));
        }
        for (const RowRule& rule : rules) {
            if (!rule.matched) {
                r_.at(*rule.node, t.path("rows"),
                      "no row of '" + series.value_or("") + "' in " + std::to_string(rule.year) +
                          (rule.value ? " with value " + num(*rule.value) : std::string()) +
                          (years ? " among the chosen years" : ""),
                      "a year (and value) the data file has for this series");
            }
        }
    }

    std::vector<RowRule> row_rules(const Table& t, const std::string& series,
                                   const std::vector<const DataRow*>& rows) {
        std::vector<RowRule> rules;
        const TomlValue* list = t.find("rows");
        if (list == nullptr) {
            return rules;
        }
        if (list->type != TomlValue::Type::array) {
            r_.at(*list, t.path("rows"),
                  std::string("expected an array of tables ([[") + t.path("rows") + "]]), found " +
                      engine::describe(list->type));
            return rules;
        }
        for (std::size_t i = 0; i < list->items.size(); ++i) {
            const TomlValue& item = list->items[i];
            const std::string path = t.path("rows") + "[" + std::to_string(i) + "]";
            if (!item.is_table()) {
                r_.at(item, path,
                      std::string("expected a table, found ") + engine::describe(item.type));
                continue;
            }
            const Table rt(r_, item, path);
            rt.check_keys(ROW_KEYS);
            RowRule rule;
            rule.node = &item;
            rule.path = path;
            rule.year = static_cast<int>(rt.integer_in("year", 1, 9999).value_or(0));
            if (!rt.has("year")) {
                rt.missing("year", "missing required key 'year'",
                           "the year of the row(s) it changes");
            }
            rule.value = rt.number("value");
            rule.at = rt.month("at");
            rule.from = rt.month("from");
            rule.to = rt.month("to");
            if (auto bound = rt.string("bound")) {
                if (*bound == "lower") {
                    rule.lower_bound = true;
                } else if (*bound == "none") {
                    rule.lower_bound = false;
                } else {
                    r_.at(*rt.find("bound"), rt.path("bound"), "unknown bound '" + *bound + "'",
                          "lower, none");
                }
            }
            rule.approximate = rt.boolean("approximate");
            rule.forecast = rt.boolean("forecast");
            rule.use = rt.boolean("use").value_or(true);
            const auto reason = rt.string("reason");
            if (!rule.use && (!reason || reason->empty())) {
                rt.missing("reason", "a figure left out needs a reason",
                           "reason = \"why this figure is not used\"");
            }
            (void)series;
            (void)rows;
            if (rule.year > 0) {
                rules.push_back(rule);
            }
        }
        return rules;
    }

    void data_error(const DataRow& row, const std::string& key, std::string message,
                    std::string allowed = {}) {
        Diagnostic d;
        d.file = c_.data.path.generic_string();
        d.line = row.line;
        d.column = key == "value" ? row.value_column : key == "unit" ? row.unit_column : 1;
        d.key = key;
        d.message = std::move(message);
        d.allowed = std::move(allowed);
        out_.add(std::move(d));
    }

    // Where a month of an observation came from: a [[rows]] entry's key, or (rule null) the
    // row's year.
    struct MonthOrigin {
        const RowRule* rule = nullptr;
        const char* key = "";
    };
    struct Placement {
        MonthOrigin at, from, to;
    };

    // A measure reads only some of at/from/to; a row entry that gives another would be ignored,
    // and a figure placed where the user did not mean.
    void months_read(const std::vector<RowRule>& rules, Measure measure) {
        const char* name = MEASURES[static_cast<std::size_t>(measure)].c_str();
        for (const RowRule& rule : rules) {
            const Table rt(r_, *rule.node, rule.path);
            const auto refuse = [&](const char* key, const char* reads) {
                if (rt.has(key)) {
                    r_.at(*rt.find(key), rt.path(key),
                          std::string("a figure of measure '") + name + "' is not placed with '" +
                              key + "'",
                          reads);
                }
            };
            switch (measure) {
            case Measure::stock:
                refuse("from", "at: the month whose end is read");
                refuse("to", "at: the month whose end is read");
                break;
            case Measure::flow:
                refuse("at", "from and to: the first and last months summed");
                break;
            case Measure::change:
            case Measure::growth:
                refuse("to", "at, the month, and from, the base month");
                break;
            }
        }
    }

    // The last month an observation reads: a stock's, change's or growth's `at`, a flow's `to`.
    static YearMonth last_month(const Observation& o) {
        return o.measure == Measure::flow ? o.to : o.at;
    }

    // Whether the last month an observation reads lies in the year its row is labelled with;
    // reports the [[rows]] key that placed it elsewhere. A row of 2021 placed at 2023-06 was
    // fitted under --fit-until 2021 though it read the model in 2023, a held-back year. Earlier
    // months may precede the year: a change's base month, a flow summed over several years
    // (graduates retained 2017-2021, labelled 2021).
    bool in_its_year(const Observation& o, const Placement& placement) {
        const YearMonth last = last_month(o);
        const MonthOrigin& origin = o.measure == Measure::flow ? placement.to : placement.at;
        if (last.year == o.row.year || origin.rule == nullptr) {
            return true;
        }
        const char* key = origin.key;
        const Table rt(r_, *origin.rule->node, origin.rule->path);
        r_.at(*rt.find(key), rt.path(key),
              "'" + o.row.series + "' " + std::to_string(o.row.year) + " (the data row at " +
                  c_.data.path.generic_string() + ":" + std::to_string(o.row.line) +
                  ") is placed to read the model in " + last.str() + ", outside its year " +
                  std::to_string(o.row.year) +
                  ": a figure is labelled by the year of the last month it reads, which decides "
                  "whether --fit-until fits it or holds it back",
              "a month of " + std::to_string(o.row.year) +
                  (o.measure == Measure::flow    ? " for to (from may lie in an earlier year)"
                   : o.measure == Measure::stock ? std::string()
                                                 : " for at (the base month, from, may lie in "
                                                   "an earlier year)") +
                  "; a figure of " + std::to_string(last.year) + " is a row of year " +
                  std::to_string(last.year) + " in the data file");
        return false;
    }

    // Whether the months an observation reads lie inside the run; reports the problem otherwise:
    // at the [[rows]] key that placed the month, naming the data row, or at the data row when
    // the month comes from its year.
    bool inside_run(const Observation& o, const Placement& placement) {
        const engine::Calendar& cal = scenario_.calendar;
        const YearMonth start = cal.start();
        const YearMonth end = cal.end();
        const YearMonth initial = previous_month(start);
        const std::string row_text = "'" + o.row.series + "' " + std::to_string(o.row.year) +
                                     " (the data row at " + c_.data.path.generic_string() + ":" +
                                     std::to_string(o.row.line) + ")";
        const auto at_key = [&](const MonthOrigin& origin, std::string message,
                                std::string allowed) {
            const Table rt(r_, *origin.rule->node, origin.rule->path);
            r_.at(*rt.find(origin.key), rt.path(origin.key), std::move(message),
                  std::move(allowed));
            return false;
        };
        const auto outside = [&](const MonthOrigin& origin, const std::string& what, YearMonth m,
                                 YearMonth first) {
            if (origin.rule != nullptr) {
                return at_key(origin,
                              "the " + what + " " + m.str() + " of " + row_text +
                                  " is outside the run of scenario '" + scenario_.name + "' (" +
                                  start.str() + " .. " + end.str() + ")",
                              "a month from " + first.str() + " to " + end.str());
            }
            data_error(o.row, "year",
                       std::to_string(o.row.year) + " is outside the run of scenario '" +
                           scenario_.name + "' (" + start.str() + " .. " + end.str() +
                           "): " + "its " + what + " " + m.str() + " is not in " + first.str() +
                           " .. " + end.str(),
                       "rows whose months lie in the run; choose them with observations." +
                           o.mapping + ".years, or start the scenario earlier");
            return false;
        };
        // Of two months in the wrong order, the one a [[rows]] entry gave is the one to change.
        // `says(subject)` is the message about the figure named `subject`.
        const auto out_of_order = [&](const MonthOrigin& first, const MonthOrigin& second,
                                      const auto& says, const std::string& allowed) {
            const MonthOrigin& origin = second.rule != nullptr ? second : first;
            if (origin.rule != nullptr) {
                return at_key(origin, says(row_text), allowed);
            }
            data_error(o.row, "year", says("'" + o.row.series + "' " + std::to_string(o.row.year)));
            return false;
        };
        switch (o.measure) {
        case Measure::stock:
            if (o.at < initial || o.at > end) {
                return outside(placement.at, "stock at", o.at, initial);
            }
            break;
        case Measure::flow:
            if (o.from < start || o.from > end) {
                return outside(placement.from, "flow from", o.from, start);
            }
            if (o.to < start || o.to > end) {
                return outside(placement.to, "flow to", o.to, start);
            }
            if (o.to < o.from) {
                return out_of_order(
                    placement.from, placement.to,
                    [&](const std::string& subject) {
                        return "the period of " + subject + " ends (" + o.to.str() +
                               ") before it starts (" + o.from.str() + ")";
                    },
                    "to no earlier than from");
            }
            break;
        case Measure::change:
        case Measure::growth:
            if (o.from < initial || o.from > end) {
                return outside(placement.from, "base month", o.from, initial);
            }
            if (o.at < start || o.at > end) {
                return outside(placement.at, "month", o.at, start);
            }
            if (!(o.from < o.at)) {
                return out_of_order(
                    placement.from, placement.at,
                    [&](const std::string& subject) {
                        return "the base month " + o.from.str() + " of " + subject +
                               " is not before " + o.at.str();
                    },
                    "from, the base month, before at");
            }
            break;
        }
        return true;
    }

    // One indicator per observed quantity, appended to the scenario's own.
    void add_indicators() {
        std::set<std::string> ids;
        for (const engine::IndicatorSpec& s : scenario_.indicators) {
            ids.insert(s.id);
        }
        c_.scenario_indicators = scenario_.indicators.size();
        std::size_t k = 0;
        const auto add = [&](engine::IndicatorSpec spec) {
            spec.id = "calibration_" + std::to_string(k++);
            while (ids.count(spec.id) != 0) {
                spec.id = "calibration_" + std::to_string(k++);
            }
            ids.insert(spec.id);
            scenario_.indicators.push_back(std::move(spec));
            return scenario_.indicators.size() - 1;
        };
        for (Observation& o : c_.observations) {
            engine::IndicatorSpec spec;
            spec.series = o.model_series;
            spec.scale = o.scale;
            spec.unit = o.row.unit;
            spec.description = o.id;
            switch (o.measure) {
            case Measure::stock:
                spec.kind = engine::IndicatorSpec::Kind::stock;
                spec.at = o.at;
                o.indicators = {add(spec)};
                break;
            case Measure::flow:
                spec.kind = engine::IndicatorSpec::Kind::flow;
                spec.from = o.from;
                spec.to = o.to;
                o.indicators = {add(spec)};
                break;
            case Measure::growth:
                spec.kind = engine::IndicatorSpec::Kind::growth;
                spec.at = o.at;
                spec.from = o.from;
                spec.scale = 100.0 * o.scale;
                o.indicators = {add(spec)};
                break;
            case Measure::change: {
                spec.kind = engine::IndicatorSpec::Kind::stock;
                spec.at = o.at;
                const std::size_t a = add(spec);
                spec.at = o.from;
                const std::size_t b = add(spec);
                o.indicators = {a, b};
                break;
            }
            }
        }
        c_.scenario = std::make_shared<const engine::Scenario>(std::move(scenario_));
    }

    fs::path file_;
    const CalibrationFlags& flags_;
    Diagnostics& out_;
    Reporter r_;
    Calibration c_;
    engine::Scenario scenario_;
    bool scenario_ok_ = false;
    std::vector<const TomlValue*> prior_nodes_; ///< each fitted parameter's table, for diagnostics
    bool data_ok_ = false;
};

} // namespace

const char* to_string(CalibrationMethod method) noexcept {
    return method == CalibrationMethod::smm ? "smm" : "abc-smc";
}

std::vector<std::size_t> Calibration::fitted() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < observations.size(); ++i) {
        if (observations[i].fitted) {
            out.push_back(i);
        }
    }
    return out;
}

std::vector<std::string> Calibration::parameter_names() const {
    std::vector<std::string> out;
    for (const FittedParameter& p : parameters) {
        out.push_back(p.target.name);
    }
    return out;
}

namespace {

// Every input that changes what is computed, with the calibration file as `file_digest` (of its
// text, or of its settings) under a header naming what the fingerprint is of.
std::string fingerprint_of(const Calibration& c, const std::string& header,
                           const std::string& file_digest) {
    std::string digest = header + " " CANOPY_VERSION "\n";
    digest += std::string("method ") + to_string(c.method) + "\nseed " + std::to_string(c.seed) +
              "\nfit_until " + (c.fit_until ? std::to_string(*c.fit_until) : std::string("-")) +
              "\ndata " + c.data.sha256 + "\ncalibration " + file_digest + "\nscenario " +
              sha256_hex(c.scenario ? engine::scenario_content(c.scenario->text) : std::string()) +
              "\n";
    return sha256_hex(digest);
}

} // namespace

std::string Calibration::fingerprint() const {
    return fingerprint_of(*this, "canopy calibrate", sha256_hex(text));
}

namespace {

// The keys that only stop a calibration (they change how many runs it makes, not what a run
// is): [abc_smc] max_simulations and min_acceptance.
bool is_stopping_rule(const TomlValue& table, const TomlValue& entry) {
    return table.key == "abc_smc" &&
           (entry.key == "max_simulations" || entry.key == "min_acceptance");
}

} // namespace

std::string Calibration::journal_fingerprint() const {
    Diagnostics ignored;
    std::optional<TomlValue> root = engine::parse_toml_text(text, path.generic_string(), ignored);
    if (!root) {
        // Loaded once already, so this cannot happen; the text itself then identifies the runs.
        return fingerprint();
    }
    for (TomlValue& table : root->entries) {
        if (!table.is_table()) {
            continue;
        }
        std::erase_if(table.entries,
                      [&](const TomlValue& entry) { return is_stopping_rule(table, entry); });
    }
    // A table left empty says no more than one not written.
    std::erase_if(root->entries, [](const TomlValue& table) {
        return table.key == "abc_smc" && table.is_table() && table.entries.empty();
    });
    std::string settings;
    detail::toml_canonical(*root, settings);
    return fingerprint_of(*this, "canopy calibrate runs", sha256_hex(settings));
}

CalibrationSettingError::CalibrationSettingError(engine::Diagnostic diagnostic, std::int64_t runs)
    : Error(diagnostic.format())
    , diagnostic_(std::move(diagnostic))
    , runs_(runs) {}

namespace detail {

engine::Diagnostic setting_diagnostic(const Calibration& c, const std::string& table,
                                      const std::string& key) {
    engine::Diagnostic d;
    d.file = c.path.generic_string();
    d.key = table + "." + key;
    Diagnostics ignored;
    if (const std::optional<TomlValue> root = engine::parse_toml_text(c.text, d.file, ignored)) {
        if (const TomlValue* t = root->find(table); t != nullptr && t->is_table()) {
            const TomlValue* v = t->find(key);
            // The value when it is written, else the table it would go in.
            d.line = v != nullptr ? v->line : t->line;
            d.column = v != nullptr ? v->column : t->column;
        }
    }
    return d;
}

} // namespace detail

CalibrationLoad load_calibration(const std::filesystem::path& file, const CalibrationFlags& flags) {
    CalibrationLoad result;
    try {
        result.calibration = Loader(file, flags, result.diagnostics).run();
    } catch (const std::exception& e) {
        result.calibration.reset();
        Diagnostic d;
        d.file = file.generic_string();
        d.message = std::string("internal error while loading: ") + e.what();
        result.diagnostics.add(std::move(d));
    }
    return result;
}

} // namespace canopy::experiments
