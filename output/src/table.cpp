// The terminal table. Plain text first: colour is an overlay on cells whose widths are measured
// without it, so the columns line up the same with and without escapes.
#include <canopy/output/compare.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unistd.h>
#include <vector>

namespace canopy::output {

namespace {

constexpr const char* BOLD = "\x1b[1m";
constexpr const char* GREEN = "\x1b[32m";
constexpr const char* YELLOW = "\x1b[33m";
constexpr const char* RED = "\x1b[31m";
constexpr const char* RESET = "\x1b[0m";

/// Columns between cells.
constexpr std::size_t GAP = 2;

struct Cell {
    std::string text;
    const char* colour = nullptr; // an escape, or none
};

enum class Align { left, right };

// A table of cells; rendered with each column as wide as its widest cell.
class Grid {
public:
    explicit Grid(std::vector<Align> align)
        : align_(std::move(align)) {}

    void add(std::vector<Cell> row) {
        for (Cell& cell : row) {
            cell.text = printable(cell.text);
        }
        rows_.push_back(std::move(row));
    }

    [[nodiscard]] std::string render(const TableStyle& style) const {
        std::vector<std::size_t> width(align_.size(), 0);
        for (const auto& row : rows_) {
            for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
                width[c] = std::max(width[c], display_width(row[c].text));
            }
        }
        std::string out;
        for (const auto& row : rows_) {
            std::string line;
            for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
                const Cell& cell = row[c];
                const std::size_t pad = width[c] - display_width(cell.text);
                const bool last = c + 1 == row.size();
                if (c > 0) {
                    line.append(GAP, ' ');
                }
                if (align_[c] == Align::right) {
                    line.append(pad, ' ');
                }
                if (style.colour && cell.colour != nullptr && !cell.text.empty()) {
                    line += cell.colour;
                    line += cell.text;
                    line += RESET;
                } else {
                    line += cell.text;
                }
                if (align_[c] == Align::left && !last) {
                    line.append(pad, ' ');
                }
            }
            // Empty cells at the end of a row (the total row's basis) leave no trailing spaces.
            line.erase(line.find_last_not_of(' ') + 1);
            out += line;
            out += '\n';
        }
        return out;
    }

private:
    std::vector<Align> align_;
    std::vector<std::vector<Cell>> rows_;
};

// "1234567" -> "1,234,567" (the digits of an integer part, optionally signed).
std::string group_thousands(std::string digits) {
    std::string sign;
    if (!digits.empty() && digits.front() == '-') {
        sign = "-";
        digits.erase(0, 1);
    }
    std::string out;
    const std::size_t n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[i];
        const std::size_t left = n - 1 - i;
        if (left > 0 && left % 3 == 0) {
            out += ',';
        }
    }
    return sign + out;
}

// A threshold as the planner wrote it: the shortest text that reads back as the same number,
// with the integer part grouped ("1,500", "8.5", "0.035").
std::string format_exact(double x) {
    if (std::isnan(x)) {
        return "n/a";
    }
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    std::string text = fmt::format("{}", x);
    if (text.find_first_of("eE") != std::string::npos) {
        return text;
    }
    const std::size_t dot = text.find('.');
    const std::string integer = text.substr(0, dot);
    const std::string fraction = dot == std::string::npos ? "" : text.substr(dot);
    return group_thousands(integer) + fraction;
}

std::string interval_text(double lo, double hi) {
    return "[" + format_quantity(lo) + ", " + format_quantity(hi) + "]";
}

const char* verdict_colour(Verdict v) {
    switch (v) {
    case Verdict::likely:
        return GREEN;
    case Verdict::uncertain:
        return YELLOW;
    case Verdict::unlikely:
        return RED;
    case Verdict::unknown:
        return nullptr;
    }
    return nullptr;
}

std::string goal_text(const TargetResult& t) {
    std::string goal = std::string(engine::to_string(t.summary.comparison)) + " " +
                       format_exact(t.summary.threshold);
    if (!t.summary.unit.empty()) {
        goal += " " + t.summary.unit;
    }
    return goal;
}

// "by leader_quota", "by graduate_inflow, graduate_retention_support", or, when no single input
// moves it on its own, "by the inputs jointly".
std::string determined_by_text(const engine::Determination& d) {
    if (d.inputs.empty()) {
        return "by the inputs jointly (no single one moves it)";
    }
    std::string names;
    for (const std::string& n : d.inputs) {
        names += (names.empty() ? "" : ", ") + n;
    }
    return "by " + names;
}

// What determined_by_text cannot vouch for: inputs whose probe failed, or "".
std::string not_probed_text(const engine::Determination& d) {
    std::string names;
    for (const std::string& n : d.not_probed) {
        names += (names.empty() ? "" : ", ") + n;
    }
    return names.empty() ? names : "; not probed, so not known to decide it or not: " + names;
}

std::string confidence_text(double confidence) {
    return fmt::format("{:g} %", 100.0 * confidence);
}

std::string with_unit(const std::string& number, const std::string& unit) {
    return unit.empty() ? number : number + " " + unit;
}

std::string cost_text(const CostSummary& costs) {
    if (!costs.priced) {
        return "none";
    }
    std::string out = with_unit(format_quantity(costs.total), costs.currency);
    if (costs.over_cap) {
        out += " (over cap)";
    }
    return out;
}

std::string method_text(engine::IntervalMethod m) {
    return m == engine::IntervalMethod::wilson ? "Wilson" : "Jeffreys";
}

// Decodes one UTF-8 code point at text[i], advancing i; malformed bytes count as one column.
char32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    std::size_t len = 1;
    char32_t cp = b0;
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07U;
    } else if (b0 >= 0xE0) {
        len = 3;
        cp = b0 & 0x0FU;
    } else if (b0 >= 0xC2 && b0 < 0xE0) {
        len = 2;
        cp = b0 & 0x1FU;
    } else {
        ++i;
        return b0;
    }
    if (i + len > text.size()) {
        ++i;
        return b0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        const unsigned char b = byte(i + k);
        if ((b & 0xC0U) != 0x80U) {
            ++i;
            return b0;
        }
        cp = (cp << 6) | (b & 0x3FU);
    }
    i += len;
    return cp;
}

bool is_wide(char32_t cp) {
    // East Asian Wide and Fullwidth blocks (Unicode UAX #11), the ones a Chinese scenario uses.
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
           (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool is_combining(char32_t cp) {
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0xFE00 && cp <= 0xFE0F);
}

} // namespace

// Text from a scenario (a title, a unit, a description) as the terminal should show it:
// control characters, ANSI escapes included, are written as "\x1b" instead of being obeyed,
// so a title cannot recolour, clear or retitle the planner's terminal; line breaks and tabs
// become spaces.
std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) act like ESC [ on some terminals.
        const bool c1 = c == 0xC2 && i + 1 < text.size() &&
                        static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if (c == '\n' || c == '\r' || c == '\t') {
            out += ' '; // a line break inside a cell would break the table's columns
        } else if (c < 0x20 || c == 0x7F || c1) {
            const unsigned code = c1 ? static_cast<unsigned char>(text[++i]) : c;
            out += fmt::format("\\x{:02x}", code);
        } else {
            out += text[i];
        }
    }
    return out;
}

Verdict verdict(const engine::Interval& ci) noexcept {
    if (std::isnan(ci.lo) || std::isnan(ci.hi)) {
        return Verdict::unknown;
    }
    if (ci.lo > 0.5) {
        return Verdict::likely;
    }
    if (ci.hi < 0.5) {
        return Verdict::unlikely;
    }
    return Verdict::uncertain;
}

Verdict target_verdict(const TargetResult& t) noexcept {
    const engine::TargetSummary& ts = t.summary;
    // No replicate gave a number: nothing to judge.
    if (ts.replicates > 0 && ts.undefined == ts.replicates) {
        return Verdict::unknown;
    }
    return verdict(t.verdict_ci.value_or(ts.p_attain_ci));
}

const char* to_string(Verdict v) noexcept {
    switch (v) {
    case Verdict::likely:
        return "likely";
    case Verdict::uncertain:
        return "uncertain";
    case Verdict::unlikely:
        return "unlikely";
    case Verdict::unknown:
        return "n/a";
    }
    return "n/a";
}

bool use_colour(std::FILE* stream) {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour != nullptr && no_colour[0] != '\0') {
        return false;
    }
    return stream != nullptr && isatty(fileno(stream)) == 1;
}

std::string format_quantity(double x) {
    if (std::isnan(x)) {
        return "n/a";
    }
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    const double a = std::fabs(x);
    if (a >= 1e12) {
        return fmt::format("{:.3e}", x);
    }
    if (a >= 1000.0 || x == std::floor(x)) {
        // Whole numbers (counts, thresholds) print without decimals; large ones to the unit.
        return group_thousands(fmt::format("{:.0f}", x));
    }
    if (a < 1e-4) {
        return fmt::format("{:.2e}", x);
    }
    // Three or four significant digits (one decimal from 100, two from 1, three significant
    // below 1), without trailing zeros: "137.5", "8.53", "8.5", "0.0412".
    const int decimals = a >= 100.0 ? 1
                         : a >= 1.0 ? 2
                                    : 2 - static_cast<int>(std::floor(std::log10(a)));
    std::string text = fmt::format("{:.{}f}", x, decimals);
    while (text.back() == '0') {
        text.pop_back();
    }
    if (text.back() == '.') {
        text.pop_back();
    }
    return text;
}

std::string percent_interval_text(const engine::Interval& ci) {
    if (std::isnan(ci.lo) || std::isnan(ci.hi)) {
        return "n/a";
    }
    return fmt::format("[{:.1f}, {:.1f}]", 100.0 * ci.lo, 100.0 * ci.hi);
}

std::string comparison_symbol(const std::string& comparison) {
    return comparison == ">=" ? "≥" : comparison == "<=" ? "≤" : comparison;
}

std::string precision_text(const EnsembleSummary& s) {
    return fmt::format(
        "{} ({} of at most {} replicates)",
        s.targets.empty()
            ? fmt::format("no target to settle to +/-{}: every replicate ran", s.precision)
        : s.precision_settled ? fmt::format("every target settled to +/-{}", s.precision)
                              : fmt::format("not every target settled to +/-{}", s.precision),
        s.replicates, s.max_replicates);
}

std::string stopped_verdict_note(double verdict_confidence, double confidence) {
    const std::string ci = confidence_text(confidence) + " CI";
    // Four significant digits: 99.29 %, not 99.2857 % (JSON's verdict_confidence is exact).
    return "This run's precision rule looks at its targets more than once, so each verdict is "
           "taken on the " +
           fmt::format("{:.4g} %", 100.0 * verdict_confidence) +
           " CI its looks test, wherever it stopped, not on the " + ci +
           " shown: deciding at the first good look of several weakens the " + ci + "'s promise.";
}

std::string format_percent(double p) {
    if (std::isnan(p)) {
        return "n/a";
    }
    return fmt::format("{:.1f} %", 100.0 * p);
}

std::string format_level(double x) {
    if (std::isnan(x)) {
        return "n/a";
    }
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    // {} is the shortest text that reads back as the same double (as --set and the JSON write
    // it); format_quantity's three significant digits can round an answer below itself.
    return fmt::format("{}", x);
}

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const char32_t cp = next_code_point(text, i);
        if (is_combining(cp)) {
            continue;
        }
        width += is_wide(cp) ? 2U : 1U;
    }
    return width;
}

std::string format_columns(const std::vector<std::vector<std::string>>& rows, std::size_t indent) {
    std::size_t columns = 0;
    for (const auto& row : rows) {
        columns = std::max(columns, row.size());
    }
    Grid grid(std::vector<Align>(columns, Align::left));
    for (const auto& row : rows) {
        std::vector<Cell> cells;
        cells.reserve(row.size());
        for (const std::string& text : row) {
            cells.push_back({text});
        }
        grid.add(std::move(cells));
    }
    const std::string text = grid.render(TableStyle{});
    if (indent == 0) {
        return text;
    }
    std::string out;
    std::size_t begin = 0;
    while (begin < text.size()) {
        const std::size_t end = text.find('\n', begin);
        out.append(indent, ' ');
        out.append(text, begin, end - begin + 1);
        begin = end + 1;
    }
    return out;
}

std::string format_header(const EnsembleSummary& s, const TableStyle& style) {
    Grid grid({Align::left, Align::left});
    std::string scenario = s.scenario;
    if (!s.title.empty()) {
        scenario += " - " + s.title;
    }
    grid.add({{"Scenario"}, {scenario, BOLD}});
    grid.add({{"Model"}, {s.model}});
    const int steps = s.calendar.steps();
    grid.add({{"Horizon"},
              {s.calendar.start().str() + " to " + s.calendar.end().str() + ", " +
               std::to_string(steps) + " " + time_step_name(s.calendar.unit()) + "ly step" +
               (steps == 1 ? "" : "s")}});
    grid.add({{"Replicates"},
              {std::to_string(s.replicates) + " (seed " + std::to_string(s.seed) +
               (s.first_replicate != 0 ? ", from replicate " + std::to_string(s.first_replicate)
                                       : std::string()) +
               ")"}});
    if (s.precision > 0.0) {
        grid.add({{"Precision"}, {precision_text(s)}});
    }
    std::string mix = s.policy_mix;
    if (!s.policy_mix_description.empty()) {
        mix += " - " + s.policy_mix_description;
    }
    grid.add({{"Policy mix"}, {mix}});
    if (!s.overrides.empty()) {
        // --set is applied after the mix: what ran is the mix changed by these.
        std::string text;
        for (const std::string& o : s.overrides) {
            text += (text.empty() ? "" : ", ") + o;
        }
        grid.add({{"Overrides"}, {text + " (--set, applied after the policy mix)"}});
    }
    grid.add({{"Interval"},
              {method_text(s.interval) + " " + confidence_text(s.confidence) +
               " interval on P(attain)"}});
    return grid.render(style);
}

std::string format_target_table(const EnsembleSummary& s, const TableStyle& style) {
    if (s.targets.empty()) {
        return "No targets in this scenario.\n";
    }
    Grid grid({Align::left, Align::left, Align::right, Align::left, Align::right, Align::left,
               Align::left});
    const char* heading = style.colour ? BOLD : nullptr;
    grid.add({{"target", heading},
              {"goal", heading},
              {"median", heading},
              {"90 % interval", heading},
              {"P(attain)", heading},
              {confidence_text(s.confidence) + " CI", heading},
              {"verdict", heading}});
    std::string fixed_notes;
    std::string undefined_notes;
    for (const TargetResult& t : s.targets) {
        const engine::TargetSummary& ts = t.summary;
        const Verdict v = target_verdict(t);
        const bool fixed = t.determination.by_inputs;
        grid.add({{ts.id},
                  {goal_text(t)},
                  {format_quantity(ts.median)},
                  {interval_text(ts.q05, ts.q95)},
                  {format_percent(ts.p_attain) + (fixed ? " *" : "")},
                  {percent_interval_text(ts.p_attain_ci)},
                  fixed ? Cell{"set by inputs*"} : Cell{to_string(v), verdict_colour(v)}});
        if (fixed) {
            fixed_notes += "  " + ts.id + ": " + determined_by_text(t.determination) +
                           not_probed_text(t.determination) + "\n";
        }
        if (ts.undefined > 0) {
            undefined_notes += fmt::format("  {}: {} undefined in {} of {} replicates\n", ts.id,
                                           t.indicator, ts.undefined, ts.replicates);
        }
    }
    const std::string ci = confidence_text(s.confidence) + " CI";
    std::string out = grid.render(style) + "\nverdict: likely when the whole " + ci +
                      " of P(attain) lies above 50 %, unlikely when it lies below, uncertain "
                      "otherwise.\n";
    if (s.verdict_confidence > 0.0) {
        out += stopped_verdict_note(s.verdict_confidence, s.confidence) + "\n";
    }
    if (!fixed_notes.empty()) {
        out += "* set by the inputs named here, not by the simulated dynamics: the P(attain) of "
               "these targets only restates the inputs (by construction):\n" +
               fixed_notes;
    }
    if (!undefined_notes.empty()) {
        out += "undefined: a growth from a zero base or a ratio over zero has no value; those "
               "replicates count as not attained and are left out of the median and interval:\n" +
               undefined_notes;
    }
    return out;
}

std::string format_cost_table(const EnsembleSummary& s, const TableStyle& style) {
    const CostSummary& c = s.costs;
    if (!c.priced) {
        return "Costs: no lever in this scenario has a cost.\n";
    }
    const bool spread = c.q05 != c.q95; // some cost is priced per outcome
    // The interval column only when some row has an interval: without, its heading was blank.
    const bool intervals = spread || std::any_of(s.lever_costs.begin(), s.lever_costs.end(),
                                                 [](const LeverCostSummary& l) {
                                                     return !l.basis.empty() && l.q05 != l.q95;
                                                 });
    std::vector<Align> align{Align::left};
    align.insert(align.end(), c.years.size() + 1, Align::right);
    if (intervals) {
        align.push_back(Align::left);
    }
    align.push_back(Align::left);
    Grid grid(std::move(align));
    const char* heading = style.colour ? BOLD : nullptr;
    std::vector<Cell> head{
        {"cost (" + (c.currency.empty() ? std::string("no unit") : c.currency) + ")", heading}};
    for (const int year : c.years) {
        head.push_back({std::to_string(year), heading});
    }
    head.push_back({"total", heading});
    if (intervals) {
        head.push_back({"90 % interval", heading});
    }
    head.push_back({"priced", heading});
    grid.add(std::move(head));
    for (const LeverCostSummary& l : s.lever_costs) {
        if (l.basis.empty()) {
            continue; // costless levers would only pad the table
        }
        std::vector<Cell> row{{l.lever}};
        for (const double y : l.by_year) {
            row.push_back({format_quantity(y)});
        }
        row.push_back({format_quantity(l.cost)});
        if (intervals) {
            row.push_back({l.q05 != l.q95 ? interval_text(l.q05, l.q95) : ""});
        }
        row.push_back({l.basis});
        grid.add(std::move(row));
    }
    std::vector<Cell> total{{"total", heading}};
    for (std::size_t y = 0; y < c.by_year.size(); ++y) {
        const bool over = engine::Budget::over(c.by_year[y], c.cap_per_year);
        total.push_back({format_quantity(c.by_year[y]), over ? RED : nullptr});
    }
    total.push_back(
        {format_quantity(c.total), engine::Budget::over(c.total, c.cap_total) ? RED : nullptr});
    if (intervals) {
        total.push_back({spread ? interval_text(c.q05, c.q95) : ""});
    }
    grid.add(std::move(total));
    std::string out = grid.render(style);
    if (c.cap_per_year == c.cap_per_year || c.cap_total == c.cap_total) {
        std::string caps = "budget cap:";
        if (c.cap_per_year == c.cap_per_year) {
            caps += " " + with_unit(format_level(c.cap_per_year), c.currency) + " a year";
        }
        if (c.cap_total == c.cap_total) {
            caps += std::string(c.cap_per_year == c.cap_per_year ? "," : "") + " " +
                    with_unit(format_level(c.cap_total), c.currency) + " in total";
        }
        out += caps + (c.over_cap ? " - OVER CAP (mean cost)" : " - within it (mean cost)");
        if (spread) {
            out += fmt::format("; {} of replicates over it", format_percent(c.p_over_cap));
        }
        out += "\n";
    }
    return out;
}

std::string format_mix_comparison(std::span<const EnsembleSummary> runs, const TableStyle& style) {
    if (runs.empty()) {
        return "";
    }
    const EnsembleSummary& base = runs.front();
    std::vector<Align> align{Align::left, Align::left};
    align.insert(align.end(), runs.size(), Align::left);
    Grid grid(std::move(align));
    const char* heading = style.colour ? BOLD : nullptr;
    std::vector<Cell> head{{"target", heading}, {"goal", heading}};
    for (const EnsembleSummary& run : runs) {
        head.push_back({run.policy_mix, heading});
    }
    grid.add(std::move(head));
    for (std::size_t t = 0; t < base.targets.size(); ++t) {
        std::vector<Cell> row{{base.targets[t].summary.id}, {goal_text(base.targets[t])}};
        for (const EnsembleSummary& run : runs) {
            if (t >= run.targets.size()) {
                row.push_back({"n/a"});
                continue;
            }
            const engine::TargetSummary& ts = run.targets[t].summary;
            const Verdict v = target_verdict(run.targets[t]);
            row.push_back({format_percent(ts.p_attain) + " " +
                               percent_interval_text(ts.p_attain_ci) +
                               (run.targets[t].determination.by_inputs ? " *" : ""),
                           verdict_colour(v)});
        }
        grid.add(std::move(row));
    }
    std::vector<Cell> cost{{"total cost"}, {""}};
    for (const EnsembleSummary& run : runs) {
        cost.push_back({cost_text(run.costs), run.costs.over_cap ? RED : nullptr});
    }
    grid.add(std::move(cost));
    std::string out = "P(attain) by policy mix with its " + confidence_text(base.confidence) +
                      " CI; every mix ran with the same seed and replicates\n";
    out += grid.render(style);
    const bool any_fixed = std::any_of(runs.begin(), runs.end(), [](const EnsembleSummary& r) {
        return std::any_of(r.targets.begin(), r.targets.end(),
                           [](const TargetResult& t) { return t.determination.by_inputs; });
    });
    if (any_fixed) {
        out += "* fixed by the inputs, not the simulated dynamics\n";
    }
    return out;
}

namespace {

// A signed difference with its interval: "+1,234 [+1,100, +1,380]"; "0" for exactly none.
std::string signed_quantity(double x) {
    const std::string text = format_quantity(x);
    return x > 0.0 ? "+" + text : text;
}

std::string delta_text(double estimate, const engine::Interval& ci) {
    if (std::isnan(estimate)) {
        return "n/a";
    }
    return signed_quantity(estimate) + " [" + signed_quantity(ci.lo) + ", " +
           signed_quantity(ci.hi) + "]";
}

// A difference of probabilities in percentage points: "+12.5 pp [+8.0, +17.1]".
std::string delta_points_text(double estimate, const engine::Interval& ci) {
    if (std::isnan(estimate)) {
        return "n/a";
    }
    return fmt::format("{:+.1f} pp [{:+.1f}, {:+.1f}]", 100.0 * estimate, 100.0 * ci.lo,
                       100.0 * ci.hi);
}

} // namespace

std::string format_comparison(const Comparison& c, bool colour) {
    const TableStyle style{colour};
    const char* heading = style.colour ? BOLD : nullptr;
    const std::string ci = confidence_text(c.confidence) + " CI";
    std::string out =
        fmt::format("Policy mixes of {} compared: seed {}, {} replicates per mix, ", c.scenario,
                    c.seed, c.replicates) +
        (c.common_random_numbers
             ? "every mix on the same random streams (common random numbers), so each "
               "difference from the base is paired replicate by replicate"
             : "each mix on its own random streams (independent seeds)") +
        "; intervals are " + ci + "s.\n\n";

    // What each mix is, in its own words.
    {
        Grid grid({Align::left, Align::left});
        grid.add({{"policy mix", heading}, {"what it is", heading}});
        for (const MixComparison& m : c.mixes) {
            grid.add({{m.name},
                      {!m.description.empty() ? printable(m.description)
                       : m.name == BASE_MIX   ? std::string("the scenario's levers as written")
                                              : std::string("(no description)")}});
        }
        out += grid.render(style) + "\n";
    }

    // The budget: one row per mix.
    if (!c.currency.empty() || std::any_of(c.mixes.begin(), c.mixes.end(),
                                           [](const MixComparison& m) { return m.cost != 0.0; })) {
        // The interval column only when some mix's cost varies: without, its cells were blank.
        const bool intervals =
            std::any_of(c.mixes.begin(), c.mixes.end(),
                        [](const MixComparison& m) { return m.cost_q05 != m.cost_q95; });
        std::vector<Align> align{Align::left};
        align.insert(align.end(), c.years.size() + 1, Align::right);
        if (intervals) {
            align.push_back(Align::left);
        }
        align.push_back(Align::left);
        Grid grid(std::move(align));
        std::vector<Cell> head{
            {"cost (" + (c.currency.empty() ? std::string("no unit") : c.currency) + ")", heading}};
        for (const int year : c.years) {
            head.push_back({std::to_string(year), heading});
        }
        head.push_back({"total", heading});
        if (intervals) {
            head.push_back({"90 % interval", heading});
        }
        head.push_back({"budget", heading});
        grid.add(std::move(head));
        const bool caps = c.cap_per_year == c.cap_per_year || c.cap_total == c.cap_total;
        for (const MixComparison& m : c.mixes) {
            std::vector<Cell> row{{m.name}};
            for (std::size_t y = 0; y < c.years.size(); ++y) {
                const double v = y < m.cost_by_year.size() ? m.cost_by_year[y] : 0.0;
                row.push_back(
                    {format_quantity(v), engine::Budget::over(v, c.cap_per_year) ? RED : nullptr});
            }
            row.push_back({format_quantity(m.cost),
                           engine::Budget::over(m.cost, c.cap_total) ? RED : nullptr});
            if (intervals) {
                row.push_back(
                    {m.cost_q05 != m.cost_q95 ? interval_text(m.cost_q05, m.cost_q95) : ""});
            }
            std::string budget = !caps ? "no cap" : m.over_budget ? "OVER CAP" : "within cap";
            if (caps && m.cost_q05 != m.cost_q95) {
                budget += " (" + format_percent(m.p_over_budget) + " of replicates over)";
            }
            row.push_back({budget, m.over_budget ? RED : nullptr});
            grid.add(std::move(row));
        }
        out += grid.render(style);
        if (caps) {
            std::string text = "budget cap:";
            if (c.cap_per_year == c.cap_per_year) {
                text += " " + with_unit(format_quantity(c.cap_per_year), c.currency) + " a year";
            }
            if (c.cap_total == c.cap_total) {
                text += std::string(c.cap_per_year == c.cap_per_year ? "," : "") + " " +
                        with_unit(format_quantity(c.cap_total), c.currency) + " in total";
            }
            out += text + "; a mix is over it when its mean cost exceeds a cap\n";
        }
        out += "\n";
    }

    // One block per target, the mixes as rows.
    bool any_fixed = false;
    bool any_undefined = false;
    for (std::size_t t = 0; t < c.targets.size(); ++t) {
        const TargetGoal& goal = c.targets[t];
        std::string goal_line = std::string(engine::to_string(goal.comparison)) + " " +
                                format_exact(goal.threshold) +
                                (goal.unit.empty() ? "" : " " + goal.unit);
        out += (style.colour ? std::string(BOLD) : std::string()) + printable(goal.id) +
               (style.colour ? std::string(RESET) : std::string()) + "  " + printable(goal_line) +
               (goal.description.empty() ? "" : "  (" + printable(goal.description) + ")") + "\n";
        Grid grid({Align::left, Align::right, Align::left, Align::right, Align::left, Align::left});
        grid.add({{"  mix", heading},
                  {"median", heading},
                  {"vs base [" + ci + "]", heading},
                  {"P(attain)", heading},
                  {ci, heading},
                  {"vs base [" + ci + "]", heading}});
        std::string undefined_notes;
        for (const MixComparison& m : c.mixes) {
            const TargetComparison& tc = m.targets.at(t);
            const bool base = &m == &c.mixes.front();
            any_fixed = any_fixed || tc.by_inputs;
            if (tc.undefined > 0) {
                undefined_notes += fmt::format("  {} undefined in {} of {} replicates under {}\n",
                                               printable(goal.indicator), tc.undefined,
                                               c.replicates, printable(m.name));
            }
            const Verdict v = c.replicates > 0 && tc.undefined == c.replicates
                                  ? Verdict::unknown
                                  : verdict(tc.p_attain_ci);
            const char* moved = nullptr;
            if (!base && (tc.delta_p_ci.lo > 0.0 || tc.delta_p_ci.hi < 0.0)) {
                moved = tc.delta_p > 0.0 ? GREEN : RED;
            }
            grid.add({{"  " + m.name},
                      {format_quantity(tc.median)},
                      {base ? "(base)" : delta_text(tc.delta_median, tc.delta_median_ci)},
                      {format_percent(tc.p_attain) + (tc.by_inputs ? " *" : ""), verdict_colour(v)},
                      {percent_interval_text(tc.p_attain_ci)},
                      {base ? "(base)" : delta_points_text(tc.delta_p, tc.delta_p_ci), moved}});
        }
        out += grid.render(style) + undefined_notes + "\n";
        any_undefined = any_undefined || !undefined_notes.empty();
    }
    out += "median: the indicator's median over replicates; vs base: the mix minus the base, "
           "paired by replicate; pp: percentage points.\n";
    if (any_undefined) {
        out += "undefined: a growth from a zero base or a ratio over zero has no value; those "
               "replicates count as not attained and are left out of the median, and a pair with "
               "one side undefined counts on its other side only.\n";
    }
    if (any_fixed) {
        out += "* fixed by the inputs, not the simulated dynamics\n";
    }
    return out;
}

} // namespace canopy::output
