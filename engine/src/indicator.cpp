// Indicators. Names and dates are resolved to series indices and table rows once, when the set
// is built; evaluating a run is then arithmetic on the table, done in a fixed order so the same
// table always gives the same bits.
#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/indicator.hpp>
#include <canopy/engine/simulation.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace canopy::engine {

namespace {
std::pair<double, double> decimal_ratio(double scale);
} // namespace

namespace {

constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void fail(const IndicatorSpec& spec, const char* field, const std::string& what) {
    throw Error("indicator '" + spec.id + "', field '" + field + "': " + what);
}

int find_series(const ModelInfo& model, const std::string& name) {
    for (std::size_t i = 0; i < model.series.size(); ++i) {
        if (model.series[i].name == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

int resolve_series(const IndicatorSpec& spec, const ModelInfo& model) {
    const int k = find_series(model, spec.series);
    if (k < 0) {
        std::vector<std::string> names;
        names.reserve(model.series.size());
        for (const SeriesSpec& s : model.series) {
            names.push_back(s.name);
        }
        const std::string hint = did_you_mean(spec.series, names);
        fail(spec, "series",
             "model '" + model.name + "' has no series '" + spec.series + "'" +
                 (hint.empty() ? "" : "; " + hint));
    }
    return k;
}

std::string run_span(const Calendar& cal) {
    return "the run covers " + cal.start().str() + " to " + cal.end().str();
}

YearMonth month_before(YearMonth ym) {
    return ym.month == 1 ? YearMonth{ym.year - 1, 12} : YearMonth{ym.year, ym.month - 1};
}

// The row holding the state at the end of month ym: the row after the month's last step, or
// row 0 (the initial state) for the month just before the start.
int end_of_month_row(const IndicatorSpec& spec, const char* field, YearMonth ym,
                     const Calendar& cal) {
    const int s = cal.last_step_in(ym);
    if (s >= 0) {
        return s + 1;
    }
    if (ym == month_before(cal.start())) {
        return 0;
    }
    fail(spec, field,
         ym.str() + " is outside the run (" + run_span(cal) + "; " +
             month_before(cal.start()).str() + " reads the initial state)");
}

} // namespace

const char* to_string(IndicatorSpec::Kind kind) noexcept {
    switch (kind) {
    case IndicatorSpec::Kind::stock:
        return "stock";
    case IndicatorSpec::Kind::flow:
        return "flow";
    case IndicatorSpec::Kind::growth:
        return "growth";
    case IndicatorSpec::Kind::ratio:
        return "ratio";
    case IndicatorSpec::Kind::change:
        return "change";
    }
    return "unknown";
}

IndicatorSet::IndicatorSet(std::vector<IndicatorSpec> specs, const ModelInfo& model,
                           const Calendar& cal)
    : specs_(std::move(specs))
    , rows_(cal.steps() + 1) {
    resolved_.resize(specs_.size());
    index_.reserve(specs_.size());
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        const IndicatorSpec& spec = specs_[i];
        if (!index_.emplace(spec.id, i).second) {
            fail(spec, "id", "the id is used by another indicator too");
        }
        if (!std::isfinite(spec.scale)) {
            fail(spec, "scale", "must be a finite number");
        }
    }

    for (std::size_t i = 0; i < specs_.size(); ++i) {
        const IndicatorSpec& spec = specs_[i];
        Resolved& r = resolved_[i];
        std::tie(r.scale_up, r.scale_down) = decimal_ratio(spec.scale);
        switch (spec.kind) {
        case IndicatorSpec::Kind::stock:
            r.series = resolve_series(spec, model);
            r.row_at = end_of_month_row(spec, "at", spec.at, cal);
            break;
        case IndicatorSpec::Kind::flow: {
            r.series = resolve_series(spec, model);
            if (spec.from > spec.to) {
                fail(spec, "from", spec.from.str() + " is after 'to' (" + spec.to.str() + ")");
            }
            // A flow is zero in row 0, so summing starts at the first step of `from`, which
            // must be inside the run, as must `to`.
            const int first = cal.first_step_in(spec.from);
            if (first < 0) {
                fail(spec, "from",
                     "no step starts in " + spec.from.str() + " (" + run_span(cal) + ")");
            }
            const int last = cal.last_step_in(spec.to);
            if (last < 0) {
                fail(spec, "to", "no step starts in " + spec.to.str() + " (" + run_span(cal) + ")");
            }
            r.row_from = first + 1;
            r.row_to = last + 1;
            // Weekly steps: the week that starts before `from` and ends in it counts by its days
            // in the period, as does the week that starts in `to` and ends after it (a year of
            // weeks is then its own 365 or 366 days, not 364 or 371).
            if (first > 0 && cal.share_in_months(first - 1, spec.from, spec.to) > 0.0) {
                r.row_from = first;
            }
            r.share_from = cal.share_in_months(r.row_from - 1, spec.from, spec.to);
            r.share_to = cal.share_in_months(r.row_to - 1, spec.from, spec.to);
            break;
        }
        case IndicatorSpec::Kind::growth:
            r.series = resolve_series(spec, model);
            if (spec.from > spec.at) {
                fail(spec, "from",
                     "the base month " + spec.from.str() + " is after 'at' (" + spec.at.str() +
                         ")");
            }
            r.row_from = end_of_month_row(spec, "from", spec.from, cal);
            r.row_at = end_of_month_row(spec, "at", spec.at, cal);
            break;
        case IndicatorSpec::Kind::ratio:
        case IndicatorSpec::Kind::change: {
            const auto resolve_id = [&](const std::string& id, const char* field) {
                const int k = index(id);
                if (k < 0) {
                    std::vector<std::string> ids;
                    ids.reserve(specs_.size());
                    for (const IndicatorSpec& s : specs_) {
                        ids.push_back(s.id);
                    }
                    const std::string hint = did_you_mean(id, ids);
                    fail(spec, field,
                         "no indicator '" + id + "'" + (hint.empty() ? "" : "; " + hint));
                }
                if (static_cast<std::size_t>(k) == i) {
                    fail(spec, field,
                         std::string("a ") + to_string(spec.kind) + " cannot refer to itself");
                }
                return k;
            };
            if (spec.kind == IndicatorSpec::Kind::ratio) {
                r.numerator = resolve_id(spec.numerator, "numerator");
                r.denominator = resolve_id(spec.denominator, "denominator");
            } else {
                r.numerator = resolve_id(spec.of, "of");
                r.row_from = end_of_month_row(spec, "from", spec.from, cal);
            }
            break;
        }
        default:
            fail(spec, "kind", "unknown indicator kind");
        }
    }
    order_inputs();

    // The charts changes read their bases from: each change's input and everything it is
    // computed from, found once here so that finals() evaluates each of them once a run.
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        if (specs_[i].kind == IndicatorSpec::Kind::change) {
            stack.push_back(static_cast<std::size_t>(resolved_[i].numerator));
        }
    }
    if (!stack.empty()) {
        charted_.assign(specs_.size(), 0);
    }
    while (!stack.empty()) {
        const std::size_t k = stack.back();
        stack.pop_back();
        if (charted_[k] != 0) {
            continue;
        }
        charted_[k] = 1;
        for (const int j : inputs(k)) {
            if (j >= 0) {
                stack.push_back(static_cast<std::size_t>(j));
            }
        }
    }

    // A change's base month must be one at which its input has a value (a growth's chart starts
    // at its base, a change's at its own `from`) and not after the month the input's final is
    // read at (else the change would run backwards in time). Rows, in evaluation order.
    std::vector<int> first_row(specs_.size(), 0);
    std::vector<int> read_row(specs_.size(), 0);
    for (const std::size_t i : order_) {
        const IndicatorSpec& spec = specs_[i];
        const Resolved& r = resolved_[i];
        switch (spec.kind) {
        case IndicatorSpec::Kind::stock:
            read_row[i] = r.row_at;
            break;
        case IndicatorSpec::Kind::flow:
            read_row[i] = r.row_to;
            break;
        case IndicatorSpec::Kind::growth:
            first_row[i] = r.row_from;
            read_row[i] = r.row_at;
            break;
        case IndicatorSpec::Kind::ratio: {
            const auto n = static_cast<std::size_t>(r.numerator);
            const auto d = static_cast<std::size_t>(r.denominator);
            first_row[i] = std::max(first_row[n], first_row[d]);
            read_row[i] = std::max(read_row[n], read_row[d]);
            break;
        }
        case IndicatorSpec::Kind::change: {
            const auto of = static_cast<std::size_t>(r.numerator);
            if (r.row_from < first_row[of] || r.row_from > read_row[of]) {
                fail(spec, "from",
                     spec.from.str() + " is " +
                         (r.row_from < first_row[of]
                              ? "before '" + spec.of + "' has a value"
                              : "after the month '" + spec.of + "' is read at") +
                         " (rows " + std::to_string(first_row[of]) + " .. " +
                         std::to_string(read_row[of]) + " of the run's table)");
            }
            first_row[i] = r.row_from;
            read_row[i] = read_row[of];
            break;
        }
        }
    }
}

// Evaluation order: a depth-first post-order over the ratio and change references, so every
// indicator comes after its inputs; a reference back into the current path is a cycle.
// Iterative, with an explicit stack, so that a chain of ratios as long as a scenario may declare
// cannot exhaust the thread's stack.
void IndicatorSet::order_inputs() {
    enum class Mark : std::uint8_t { unvisited, in_path, done };
    std::vector<Mark> mark(specs_.size(), Mark::unvisited);
    struct Frame {
        std::size_t indicator;
        int next_input; // 0: numerator (or of), 1: denominator, 2: both visited
    };
    std::vector<Frame> path;
    order_.clear();
    order_.reserve(specs_.size());
    for (std::size_t start = 0; start < specs_.size(); ++start) {
        if (mark[start] != Mark::unvisited) {
            continue;
        }
        mark[start] = Mark::in_path;
        path.push_back(Frame{start, 0});
        while (!path.empty()) {
            Frame& top = path.back();
            const std::size_t i = top.indicator;
            const std::array<int, 2> in = inputs(i);
            if (top.next_input == 2 || in[static_cast<std::size_t>(top.next_input)] < 0) {
                mark[i] = Mark::done;
                order_.push_back(i);
                path.pop_back();
                continue;
            }
            const int which = top.next_input++;
            const auto j = static_cast<std::size_t>(in[static_cast<std::size_t>(which)]);
            if (mark[j] == Mark::in_path) {
                std::string cycle;
                bool on = false;
                for (const Frame& f : path) {
                    on = on || f.indicator == j;
                    if (on) {
                        cycle += "'" + specs_[f.indicator].id + "' -> ";
                    }
                }
                const bool change = specs_[i].kind == IndicatorSpec::Kind::change;
                fail(specs_[i],
                     change       ? "of"
                     : which == 0 ? "numerator"
                                  : "denominator",
                     "indicators refer to each other in a cycle: " + cycle + "'" + specs_[j].id +
                         "'");
            }
            if (mark[j] == Mark::unvisited) {
                mark[j] = Mark::in_path;
                path.push_back(Frame{j, 0}); // invalidates `top`, which is not used again
            }
        }
    }
}

int IndicatorSet::index(const std::string& id) const {
    const auto found = index_.find(id);
    return found == index_.end() ? -1 : static_cast<int>(found->second);
}

std::array<int, 2> IndicatorSet::inputs(std::size_t i) const {
    const Resolved& r = resolved_.at(i);
    return {r.numerator, r.denominator};
}
namespace {

// A growth from a zero base and a ratio over zero are undefined (NaN), not infinitely large: a
// count that starts at 0 has no growth rate, and an infinity would attain every ">" target.
//
// Both are one quotient of whole numbers where the inputs allow, scale_up (at - base) over
// scale_down base, and scale_up numerator over scale_down denominator (the scale written as
// whole numbers, 0.1 as 1 / 10): for whole-number counts both sides are exact, so the one
// rounding gives the double nearest the true value, which is the threshold's own double when
// the two are equal. (at / base - 1, then times 100, rounded three times: 678 firms from 600
// grew by 12.99999999999999 %, and a ">= 13 %" target missed in every replicate that grew by
// exactly 13 %; 0.1 x 78 / 600 is 0.013000000000000001.) Where a side is not exact, or the
// scale has no such form, the quotient is scale x (at - base) / base, scaled after dividing
// only where scaling first overflows.
constexpr double EXACT_INTEGERS = 9007199254740992.0; // 2^53

double scaled_quotient(double top, double bottom, double scale, double up, double down) {
    if (bottom == 0.0) {
        return NAN_VALUE;
    }
    if (down > 0.0 && std::fabs(up * top) <= EXACT_INTEGERS &&
        std::fabs(down * bottom) <= EXACT_INTEGERS) {
        return up * top / (down * bottom);
    }
    const double value = scale * top / bottom;
    return std::isfinite(value) || !std::isfinite(top) ? value : scale * (top / bottom);
}

double growth_of(double at, double base, double scale, double up, double down) {
    return scaled_quotient(at - base, base, scale, up, down);
}

double ratio_of(double numerator, double denominator, double scale, double up, double down) {
    return scaled_quotient(numerator, denominator, scale, up, down);
}

/// `scale` as up / down, whole numbers with down a power of ten, from its shortest decimal; 0 /
/// 0 when either is past 2^53 or the power of ten past 10^22 (the last exact one).
std::pair<double, double> decimal_ratio(double scale) {
    char text[64];
    const auto written = std::to_chars(text, text + sizeof text, scale);
    if (written.ec != std::errc() || !std::isfinite(scale)) {
        return {0.0, 0.0};
    }
    const std::string_view s(text, static_cast<std::size_t>(written.ptr - text));
    double digits = 0.0;
    int fraction = 0;
    int exponent = 0;
    bool after_point = false;
    std::size_t i = s.starts_with('-') ? 1 : 0;
    for (; i < s.size() && s[i] != 'e'; ++i) {
        if (s[i] == '.') {
            after_point = true;
            continue;
        }
        digits = digits * 10.0 + (s[i] - '0');
        fraction += after_point ? 1 : 0;
    }
    if (i < s.size()) {
        std::from_chars(s.data() + i + 1 + (s[i + 1] == '+' ? 1 : 0), s.data() + s.size(),
                        exponent);
    }
    const int power = exponent - fraction; // scale = digits x 10^power
    if (digits > EXACT_INTEGERS || power > 22 || power < -22) {
        return {0.0, 0.0};
    }
    const double ten = std::pow(10.0, std::abs(power)); // exact up to 10^22
    const double up = (scale < 0.0 ? -digits : digits) * (power > 0 ? ten : 1.0);
    if (std::fabs(up) > EXACT_INTEGERS) {
        return {0.0, 0.0};
    }
    return {up, power < 0 ? ten : 1.0};
}

void check_table(const SeriesTable& run, int rows, int max_series) {
    if (run.rows != rows) {
        throw Error("indicators were resolved for " + std::to_string(rows) +
                    " table rows, the run has " + std::to_string(run.rows));
    }
    if (run.series <= max_series || run.values.size() != static_cast<std::size_t>(run.rows) *
                                                             static_cast<std::size_t>(run.series)) {
        throw Error("the run's series table does not match the model the indicators were "
                    "resolved against");
    }
}

} // namespace

void IndicatorSet::finals(const SeriesTable& run, std::span<double> out) const {
    if (out.size() != specs_.size()) {
        throw Error("indicator finals: " + std::to_string(specs_.size()) +
                    " indicators but room for " + std::to_string(out.size()));
    }
    int max_series = -1;
    for (const Resolved& r : resolved_) {
        max_series = std::max(max_series, r.series);
    }
    check_table(run, rows_, max_series);

    // The charts changes read their bases from (charted_), each evaluated once in the
    // evaluation order: a chain of changes costs one chart per link, not the whole chain again
    // for every link. Nothing is allocated for a set without a change.
    std::vector<std::vector<double>> charts(charted_.size());
    const auto chart = [&](int j) -> std::span<const double> {
        return j < 0 ? std::span<const double>{} : charts[static_cast<std::size_t>(j)];
    };

    for (const std::size_t i : order_) {
        const IndicatorSpec& spec = specs_[i];
        const Resolved& r = resolved_[i];
        if (!charted_.empty() && charted_[i] != 0) {
            charts[i].resize(static_cast<std::size_t>(rows_));
            series(i, run, charts[i], chart(r.numerator), chart(r.denominator));
        }
        double value = NAN_VALUE;
        switch (spec.kind) {
        case IndicatorSpec::Kind::stock:
            value = run.at(r.row_at, r.series);
            break;
        case IndicatorSpec::Kind::flow: {
            double sum = 0.0;
            for (int row = r.row_from; row <= r.row_to; ++row) {
                sum += r.share(row) * run.at(row, r.series);
            }
            value = sum;
            break;
        }
        case IndicatorSpec::Kind::growth:
            out[i] = growth_of(run.at(r.row_at, r.series), run.at(r.row_from, r.series), spec.scale,
                               r.scale_up, r.scale_down);
            continue;
        case IndicatorSpec::Kind::ratio:
            // Inputs are already scaled: a ratio of two percentages is a plain ratio.
            out[i] = ratio_of(out[static_cast<std::size_t>(r.numerator)],
                              out[static_cast<std::size_t>(r.denominator)], spec.scale, r.scale_up,
                              r.scale_down);
            continue;
        case IndicatorSpec::Kind::change:
            // The input's own final, less its time series at the base month (scaled already).
            value =
                out[static_cast<std::size_t>(r.numerator)] -
                charts[static_cast<std::size_t>(r.numerator)][static_cast<std::size_t>(r.row_from)];
            break;
        }
        out[i] = spec.scale * value;
    }
}

void IndicatorSet::series(std::size_t i, const SeriesTable& run, std::span<double> out) const {
    check_series_call(i, out);
    if (inputs(i)[0] < 0) {
        series(i, run, out, {}, {});
        return;
    }
    // The indicators i depends on, found without recursion, then evaluated in the set's
    // evaluation order so that each one's inputs are ready before it.
    std::vector<char> needed(specs_.size(), 0);
    std::vector<std::size_t> stack{i};
    needed[i] = 1;
    while (!stack.empty()) {
        const std::size_t k = stack.back();
        stack.pop_back();
        for (const int j : inputs(k)) {
            if (j >= 0 && needed[static_cast<std::size_t>(j)] == 0) {
                needed[static_cast<std::size_t>(j)] = 1;
                stack.push_back(static_cast<std::size_t>(j));
            }
        }
    }
    const auto n_rows = static_cast<std::size_t>(rows_);
    std::unordered_map<std::size_t, std::vector<double>> values;
    for (const std::size_t k : order_) {
        if (needed[k] == 0) {
            continue;
        }
        std::vector<double>& v = values[k];
        v.resize(n_rows);
        const std::array<int, 2> in = inputs(k);
        const auto input = [&](int j) -> std::span<const double> {
            return j < 0 ? std::span<const double>{} : values.at(static_cast<std::size_t>(j));
        };
        series(k, run, v, input(in[0]), input(in[1]));
        if (k == i) {
            std::copy(v.begin(), v.end(), out.begin());
            return;
        }
    }
}

void IndicatorSet::check_series_call(std::size_t i, std::span<const double> out) const {
    if (i >= specs_.size()) {
        throw Error("indicator series: index " + std::to_string(i) + " of " +
                    std::to_string(specs_.size()) + " indicators");
    }
    if (out.size() != static_cast<std::size_t>(rows_)) {
        throw Error("indicator series: " + std::to_string(rows_) + " rows but room for " +
                    std::to_string(out.size()));
    }
}

void IndicatorSet::series(std::size_t i, const SeriesTable& run, std::span<double> out,
                          std::span<const double> numerator,
                          std::span<const double> denominator) const {
    check_series_call(i, out);
    const IndicatorSpec& spec = specs_[i];
    const Resolved& r = resolved_[i];
    if (spec.kind == IndicatorSpec::Kind::ratio) {
        if (numerator.size() != out.size() || denominator.size() != out.size()) {
            throw Error("indicator series: ratio '" + spec.id + "' needs the series of '" +
                        specs_[static_cast<std::size_t>(r.numerator)].id + "' and '" +
                        specs_[static_cast<std::size_t>(r.denominator)].id + "', " +
                        std::to_string(rows_) + " rows each");
        }
    } else if (spec.kind == IndicatorSpec::Kind::change) {
        if (numerator.size() != out.size()) {
            throw Error("indicator series: change '" + spec.id + "' needs the series of '" +
                        specs_[static_cast<std::size_t>(r.numerator)].id + "', " +
                        std::to_string(rows_) + " rows");
        }
    } else {
        check_table(run, rows_, r.series);
    }
    switch (spec.kind) {
    case IndicatorSpec::Kind::stock:
        for (int row = 0; row < rows_; ++row) {
            out[static_cast<std::size_t>(row)] = spec.scale * run.at(row, r.series);
        }
        break;
    case IndicatorSpec::Kind::flow: {
        // The running sum since `from`, held at the period's total after `to`, so the series
        // ends where the final value is (the same additions in the same order).
        double sum = 0.0;
        for (int row = 0; row < rows_; ++row) {
            if (row >= r.row_from && row <= r.row_to) {
                sum += r.share(row) * run.at(row, r.series);
            }
            out[static_cast<std::size_t>(row)] = spec.scale * sum;
        }
        break;
    }
    case IndicatorSpec::Kind::growth: {
        const double base = run.at(r.row_from, r.series);
        for (int row = 0; row < rows_; ++row) {
            out[static_cast<std::size_t>(row)] =
                row < r.row_from
                    ? NAN_VALUE
                    : growth_of(run.at(row, r.series), base, spec.scale, r.scale_up, r.scale_down);
        }
        break;
    }
    case IndicatorSpec::Kind::ratio:
        for (std::size_t row = 0; row < out.size(); ++row) {
            out[row] =
                ratio_of(numerator[row], denominator[row], spec.scale, r.scale_up, r.scale_down);
        }
        break;
    case IndicatorSpec::Kind::change: {
        const auto from = static_cast<std::size_t>(r.row_from);
        const double base = numerator[from];
        for (std::size_t row = 0; row < out.size(); ++row) {
            out[row] = row < from ? NAN_VALUE : spec.scale * (numerator[row] - base);
        }
        break;
    }
    }
}

} // namespace canopy::engine
