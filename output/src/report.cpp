// The HTML report: inline CSS and SVG drawn here, no script, no external resource.
//
// Every chart is an <svg> with a viewBox and its size in pixels; CSS lets it shrink on a narrow
// window or page. Text inside a chart is measured with a conservative estimate of its width
// (estimate_px) and shortened with "…" where it could pass its box; the full text stays in a
// <title> tooltip. tests/python/test_report_chromium.py renders the page in Chromium and checks
// that no text leaves its box.
#include <canopy/engine/error.hpp>
#include <canopy/output/report.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canopy::output {

namespace {

// ---- text ------------------------------------------------------------------------------------

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            // Control characters (an escape sequence in a title) are shown, not obeyed.
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
                out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
            } else {
                out += c;
            }
        }
    }
    return out;
}

// Width of text in a sans-serif font of `font_px`, on the safe side: 0.62 em per narrow
// character (DejaVu Sans, Chromium's default on Debian, averages about 0.55 em over digits
// and lowercase letters; capitals are wider), twice that for wide (CJK) characters.
double estimate_px(std::string_view text, double font_px) {
    return static_cast<double>(display_width(text)) * 0.62 * font_px;
}

// Code points of `text`, each as its bytes.
std::vector<std::string> code_points(const std::string& text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t next = i + 1;
        while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) {
            ++next;
        }
        out.push_back(text.substr(i, next - i));
        i = next;
    }
    return out;
}

// The longest prefix of `text` (whole code points) that, with "…", fits `max_px`.
std::string fit(const std::string& text, double max_px, double font_px) {
    if (estimate_px(text, font_px) <= max_px) {
        return text;
    }
    std::string out;
    for (const std::string& cp : code_points(text)) {
        if (estimate_px(out + cp + "…", font_px) > max_px) {
            break;
        }
        out += cp;
    }
    return out + "…";
}

// `text` shortened in the middle to fit `max_px`: its start, "…", and its last `tail` code
// points (fewer when they alone would not leave room for four of the start's).
std::string fit_middle(const std::string& text, std::size_t tail, double max_px, double font_px) {
    if (estimate_px(text, font_px) <= max_px) {
        return text;
    }
    const std::vector<std::string> cps = code_points(text);
    std::size_t from = cps.size() - std::min(tail, cps.size());
    std::string end;
    for (std::size_t k = from; k < cps.size(); ++k) {
        end += cps[k];
    }
    const double head_room = 4 * 0.62 * font_px * 2; // four wide characters at most
    while (!end.empty() && estimate_px("…" + end, font_px) > max_px - head_room) {
        end.erase(0, cps[from++].size());
    }
    std::string head;
    for (const std::string& cp : cps) {
        if (estimate_px(head + cp + "…" + end, font_px) > max_px) {
            break;
        }
        head += cp;
    }
    return head + "…" + end;
}

// Labels for the rows of one chart, each fitting `max_px`, that stay apart when shortened. A
// label is cut at its end; labels that would then read alike (names sharing a long start, as
// "scale_up_loans_2024_low" and "..._high") are cut in the middle instead, keeping the part after
// what they share. Labels that still read alike are numbered, and `key` gets each number with
// its full text, for a key under the chart: a printed page has no tooltips.
std::vector<std::string> distinct_labels(const std::vector<std::string>& texts, double max_px,
                                         double font_px,
                                         std::vector<std::array<std::string, 2>>& key) {
    std::vector<std::string> shown;
    for (const std::string& t : texts) {
        shown.push_back(fit(t, max_px, font_px));
    }
    // Rows whose shown label equals another row's while their texts differ.
    const auto clashing = [&](const std::vector<std::string>& labels) {
        std::vector<bool> clash(texts.size(), false);
        for (std::size_t i = 0; i < texts.size(); ++i) {
            for (std::size_t j = 0; j < texts.size(); ++j) {
                if (i != j && labels[i] == labels[j] && texts[i] != texts[j]) {
                    clash[i] = true;
                }
            }
        }
        return clash;
    };
    std::vector<bool> clash = clashing(shown);
    if (std::none_of(clash.begin(), clash.end(), [](bool c) { return c; })) {
        return shown;
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
        if (!clash[i]) {
            continue;
        }
        // Keep what follows the longest start this text shares with a clashing one.
        const std::vector<std::string> mine = code_points(texts[i]);
        std::size_t shared = 0;
        for (std::size_t j = 0; j < texts.size(); ++j) {
            if (j == i || !clash[j]) {
                continue;
            }
            const std::vector<std::string> theirs = code_points(texts[j]);
            std::size_t n = 0;
            while (n < mine.size() && n < theirs.size() && mine[n] == theirs[n]) {
                ++n;
            }
            shared = std::max(shared, n);
        }
        // From the word the difference is in ("_high", not "igh"), when it starts near.
        for (std::size_t back = 0; back < 12 && back < shared; ++back) {
            const std::string& c = mine[shared - 1 - back];
            if (c == "_" || c == "-" || c == " " || c == "." || c == "/") {
                shared -= back + 1;
                break;
            }
        }
        shown[i] =
            fit_middle(texts[i], mine.size() - std::min(shared, mine.size()), max_px, font_px);
    }
    clash = clashing(shown);
    std::size_t number = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        if (!clash[i]) {
            continue;
        }
        const std::string mark = "[" + std::to_string(++number) + "] ";
        shown[i] = mark + fit(texts[i], max_px - estimate_px(mark, font_px), font_px);
        key.push_back({mark.substr(0, mark.size() - 1), texts[i]});
    }
    return shown;
}

// The labels of a chart's rows (distinct_labels), at the charts' label size of 11 px, and the
// key of any numbered ones as a line for under the chart.
struct ChartLabels {
    std::vector<std::string> shown;
    std::string key_html;
};

ChartLabels chart_labels(const std::vector<std::string>& texts, double max_px) {
    std::vector<std::array<std::string, 2>> key;
    ChartLabels out{distinct_labels(texts, max_px, 11, key), {}};
    if (!key.empty()) {
        out.key_html = "<p class=\"muted key\">";
        for (std::size_t i = 0; i < key.size(); ++i) {
            out.key_html += (i == 0 ? "" : "; ") + escape(key[i][0]) + " " + escape(key[i][1]);
        }
        out.key_html += "</p>";
    }
    return out;
}

// An SVG <text>, shortened to `max_px`; the full text in a tooltip when shortened.
std::string svg_text(double x, double y, const std::string& text, double font_px, double max_px,
                     const char* anchor = "start", const char* cls = nullptr,
                     const std::string* shortened = nullptr) {
    const std::string shown = shortened != nullptr ? *shortened : fit(text, max_px, font_px);
    std::string out =
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{}\"", x, y, font_px);
    if (std::string_view(anchor) != "start") {
        out += fmt::format(" text-anchor=\"{}\"", anchor);
    }
    if (cls != nullptr) {
        out += fmt::format(" class=\"{}\"", cls);
    }
    out += ">";
    if (shown != text) {
        out += "<title>" + escape(text) + "</title>";
    }
    return out + escape(shown) + "</text>";
}

// Numbers on axes: short forms that fit a 50-pixel margin ("13.8k", "1.25M", "0.42").
std::string compact(double x) {
    if (!std::isfinite(x)) {
        return "n/a";
    }
    const double a = std::fabs(x);
    const auto trim = [](std::string s) {
        if (s.find('.') != std::string::npos) {
            while (s.back() == '0') {
                s.pop_back();
            }
            if (s.back() == '.') {
                s.pop_back();
            }
        }
        return s;
    };
    if (a >= 1e9) {
        return trim(fmt::format("{:.3g}", x / 1e9)) + "G";
    }
    if (a >= 1e6) {
        return trim(fmt::format("{:.3g}", x / 1e6)) + "M";
    }
    if (a >= 1e4) {
        return trim(fmt::format("{:.3g}", x / 1e3)) + "k";
    }
    if (a >= 100 || x == std::floor(x)) {
        return format_quantity(std::round(x));
    }
    return trim(fmt::format("{:.3g}", x));
}

// The tick labels of one axis in one form, scaled by its largest tick's unit: 8k, 10k, 12k,
// not 8,000, 10k, 12k (compact alone chooses per number).
std::vector<std::string> tick_labels(const std::vector<double>& at) {
    double big = 0.0;
    for (const double v : at) {
        big = std::isfinite(v) ? std::max(big, std::fabs(v)) : big;
    }
    const double unit = big >= 1e9 ? 1e9 : big >= 1e6 ? 1e6 : big >= 1e4 ? 1e3 : 1.0;
    const char* suffix = big >= 1e9 ? "G" : big >= 1e6 ? "M" : big >= 1e4 ? "k" : "";
    std::vector<std::string> out;
    for (const double v : at) {
        out.push_back(unit == 1.0 || v == 0.0 || !std::isfinite(v)
                          ? compact(v)
                          : compact(v / unit).append(suffix));
    }
    return out;
}

std::string percent(double p) {
    return format_percent(p);
}

std::string percent_interval(double lo, double hi) {
    return fmt::format("[{:.1f}, {:.1f}]", 100.0 * lo, 100.0 * hi);
}

std::string goal(const ReportTarget& t) {
    std::string g = comparison_symbol(t.comparison) + " " + format_quantity(t.threshold);
    return t.unit.empty() ? g : g + " " + t.unit;
}

std::string signed_quantity(double x) {
    return (x > 0 ? "+" : "") + format_quantity(x);
}

// A difference of probabilities in percentage points, abbreviated as the terminal does ("pp").
std::string signed_points(double p) {
    return fmt::format("{:+.1f} pp", 100.0 * p);
}

// An identifier in a table cell, which may break after its underscores and nowhere else:
// "scale_up_loans" breaks into "scale_/up_/loans", never into "sca/le".
std::string breakable(const std::string& id) {
    std::string out;
    for (const char c : escape(id)) {
        out += c;
        if (c == '_') {
            out += "<wbr>";
        }
    }
    return out;
}

// A table, in a box that scrolls sideways on a screen too narrow for it.
std::string table_open(const char* cls) {
    return fmt::format("<div class=\"table\"><table class=\"{}\">", cls);
}
const char* const TABLE_CLOSE = "</table></div>\n";

// ---- scales ----------------------------------------------------------------------------------

struct Ticks {
    double lo = 0.0;
    double hi = 1.0;
    std::vector<double> at;
};

// About `count` round ticks covering [lo, hi] (1, 2 or 5 times a power of ten apart).
Ticks nice_ticks(double lo, double hi, int count) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {
        const double pad = std::max(1.0, std::fabs(hi) * 0.05);
        lo -= pad;
        hi += pad;
    }
    // Near the largest doubles (a scale of 1e306, say) every sum below may overflow: an axis
    // from 1.4e308 to inf once stepped to inf and pushed ticks until memory ran out. The width
    // is taken in halves, a step or an end that overflows falls back to the data's own, and the
    // ticks are counted.
    const double raw = hi / count - lo / count;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * mag;
        if (step >= raw) {
            break;
        }
    }
    if (!std::isfinite(step) || !(step > 0.0)) {
        step = raw;
    }
    Ticks t;
    t.lo = std::floor(lo / step) * step;
    t.hi = std::ceil(hi / step) * step;
    if (!std::isfinite(t.lo) || !std::isfinite(t.hi)) {
        t.lo = lo;
        t.hi = hi;
    }
    for (int k = 0; k <= 4 * count + 4; ++k) {
        const double v = t.lo + step * k;
        if (!std::isfinite(v) || v - t.hi > step * 0.5) {
            break;
        }
        t.at.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    }
    return t;
}

// ---- fan charts ------------------------------------------------------------------------------

constexpr double FAN_W = 360;
constexpr double FAN_H = 230;

// The year a row label belongs to ("2023-04" or "2023-04-w2" -> 2023), -1 if unreadable.
int year_of(const std::string& label) {
    if (label.size() < 4) {
        return -1;
    }
    int year = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        if (label[i] < '0' || label[i] > '9') {
            return -1;
        }
        year = year * 10 + (label[i] - '0');
    }
    return year;
}

std::string fan_chart(const ReportFan& f) {
    const std::size_t n = f.median.size();
    const double left = 58;
    const double right = 14;
    const double top = 30;
    const double bottom = 40;
    const double pw = FAN_W - left - right;
    const double ph = FAN_H - top - bottom;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    const auto take = [&](const std::vector<double>& v) {
        for (const double x : v) {
            if (std::isfinite(x)) {
                lo = std::min(lo, x);
                hi = std::max(hi, x);
            }
        }
    };
    take(f.q05);
    take(f.q95);
    take(f.median);
    // A target far from the fan (beyond twice the fan's span from it) would flatten the fan into
    // a line: it stays off the axis, and is named at the edge it lies beyond.
    const double span = std::isfinite(hi - lo) ? std::max(hi - lo, 1e-9 * std::fabs(hi)) : 0.0;
    const auto on_axis = [&](double threshold) {
        return !std::isfinite(hi - lo) || span <= 0.0 ||
               (threshold >= lo - 2.0 * span && threshold <= hi + 2.0 * span);
    };
    for (const ReportFan::TargetLine& t : f.targets) {
        if (on_axis(t.threshold)) {
            lo = std::min(lo, t.threshold);
            hi = std::max(hi, t.threshold);
        }
    }
    const Ticks ticks = nice_ticks(lo, hi, 4);
    const auto xs = [&](std::size_t row) {
        return left + (n <= 1 ? 0.0 : pw * static_cast<double>(row) / static_cast<double>(n - 1));
    };
    const auto ys = [&](double v) {
        return top + ph * (1.0 - (v - ticks.lo) / (ticks.hi - ticks.lo));
    };
    std::string title = f.label.empty() ? f.id : f.label;
    if (!f.unit.empty()) {
        title += " (" + f.unit + ")";
    }
    std::string s = fmt::format("<svg class=\"chart fan\" role=\"img\" width=\"{0}\" "
                                "height=\"{1}\" viewBox=\"0 0 {0} {1}\">",
                                FAN_W, FAN_H);
    s += "<title>" + escape(title) + "</title>";
    s += svg_text(8, 18, title, 13, FAN_W - 16, "start", "title");
    // Axes and horizontal grid.
    const std::vector<std::string> tick_text = tick_labels(ticks.at);
    for (std::size_t k = 0; k < ticks.at.size(); ++k) {
        const double v = ticks.at[k];
        const double y = ys(v);
        s += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" "
                         "y2=\"{:.1f}\"/>",
                         left, left + pw, y, y);
        s += svg_text(left - 5, y + 4, tick_text[k], 10, left - 8, "end");
    }
    // Year ends: the last row of each year, dashed, labelled with the year below the axis.
    double last_label_x = -1e9;
    for (std::size_t r = 0; r < n && r < f.row_labels.size(); ++r) {
        const std::string& label = f.row_labels[r];
        const int y0 = year_of(label);
        // The last row of a year: the next row is in another year, or the run ends in December.
        const bool last = r + 1 == n || r + 1 == f.row_labels.size();
        const bool year_end = last ? label.size() >= 7 && label.compare(4, 3, "-12") == 0
                                   : year_of(f.row_labels[r + 1]) != y0;
        if (y0 < 0 || !year_end) {
            continue;
        }
        const double x = xs(r);
        s += fmt::format("<line class=\"yearend\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" "
                         "y2=\"{2:.1f}\"/>",
                         x, top, top + ph);
        // Centred under its line, unless that would pass an edge of the chart; a label that
        // would run into the one before it is left out (a ten-year run labels every other year).
        const std::string text = "end " + std::to_string(y0);
        const double half = estimate_px(text, 10) / 2;
        const char* anchor = x + half > FAN_W - 2 ? "end" : x - half < 2 ? "start" : "middle";
        const double tx = std::string_view(anchor) == "end"     ? FAN_W - 2
                          : std::string_view(anchor) == "start" ? 2.0
                                                                : x;
        const double from = std::string_view(anchor) == "end"     ? tx - 2 * half
                            : std::string_view(anchor) == "start" ? tx
                                                                  : tx - half;
        if (from >= last_label_x + 4) {
            s += svg_text(tx, top + ph + 14, text, 10, FAN_W - 4, anchor);
            last_label_x = from + 2 * half;
        }
    }
    if (!f.row_labels.empty() && n > 0) {
        s += svg_text(left, top + ph + 30, f.row_labels.front(), 10, pw / 2 - 4, "start", "muted");
        s += svg_text(left + pw, top + ph + 30, f.row_labels[std::min(n, f.row_labels.size()) - 1],
                      10, pw / 2 - 4, "end", "muted");
    }
    // Bands and median over each run of rows that have numbers.
    std::size_t r = 0;
    while (r < n) {
        while (r < n && !(std::isfinite(f.q05[r]) && std::isfinite(f.q95[r]) &&
                          std::isfinite(f.median[r]))) {
            ++r;
        }
        const std::size_t begin = r;
        while (r < n && std::isfinite(f.q05[r]) && std::isfinite(f.q95[r]) &&
               std::isfinite(f.median[r])) {
            ++r;
        }
        if (begin == r) {
            continue;
        }
        const auto band = [&](const std::vector<double>& lower, const std::vector<double>& upper,
                              const char* cls) {
            std::string points;
            for (std::size_t k = begin; k < r; ++k) {
                points += fmt::format("{:.1f},{:.1f} ", xs(k), ys(upper[k]));
            }
            for (std::size_t k = r; k-- > begin;) {
                points += fmt::format("{:.1f},{:.1f} ", xs(k), ys(lower[k]));
            }
            s += fmt::format("<polygon class=\"{}\" points=\"{}\"/>", cls, points);
        };
        band(f.q05, f.q95, "band90");
        band(f.q25, f.q75, "band50");
        std::string points;
        for (std::size_t k = begin; k < r; ++k) {
            points += fmt::format("{:.1f},{:.1f} ", xs(k), ys(f.median[k]));
        }
        s += fmt::format("<polyline class=\"median\" points=\"{}\"/>", points);
    }
    // An indicator read at a month before the end: the whole series is drawn, and the month read
    // is marked, so that a figure of that month is compared with the band there.
    if (!f.read_at.empty()) {
        for (std::size_t k = 0; k < f.row_labels.size() && k < n; ++k) {
            if (f.row_labels[k] == f.read_at) {
                s += fmt::format("<line class=\"readat\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" "
                                 "y1=\"{1:.1f}\" y2=\"{2:.1f}\"/>",
                                 xs(k), top, top + ph);
                const std::string text = "read at " + f.read_at;
                const bool leftwards = xs(k) + estimate_px(text, 10) + 4 > left + pw;
                s += svg_text(leftwards ? xs(k) - 3 : xs(k) + 3, top + 11, text, 10, pw - 8,
                              leftwards ? "end" : "start", "readat-label");
            }
        }
    }
    // Targets: a dashed line at the threshold, and a mark where the target is judged; their
    // labels from the top down, each at least a line below the one before, so that several
    // targets on one indicator do not write over each other (nor stray from their lines). A target
    // off the axis is named at the edge it lies beyond, with an arrow.
    std::vector<std::size_t> order(f.targets.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        order[k] = k;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return f.targets[a].threshold > f.targets[b].threshold;
    });
    double next_free = top + 10; // the highest baseline a label may take
    for (const std::size_t k : order) {
        const ReportFan::TargetLine& t = f.targets[k];
        const std::string label =
            "target " + comparison_symbol(t.comparison) + " " + format_quantity(t.threshold);
        if (!on_axis(t.threshold)) {
            const bool above = t.threshold > hi;
            const double ty = above ? std::max(next_free, top + 11) : top + ph - 4;
            s += svg_text(left + 4, ty, label + (above ? " (above) ↑" : " (below) ↓"), 10, pw - 8,
                          "start", "target-label");
            next_free = above ? ty + 11 : next_free;
            continue;
        }
        const double y = ys(t.threshold);
        s += fmt::format("<line class=\"target\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" "
                         "y2=\"{:.1f}\"/>",
                         left, left + pw, y, y);
        std::size_t at = n == 0 ? 0 : n - 1;
        for (std::size_t r2 = 0; r2 < f.row_labels.size() && r2 < n; ++r2) {
            if (f.row_labels[r2] == t.month) {
                at = r2;
            }
        }
        s += fmt::format("<circle class=\"target-mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\"/>",
                         xs(at), y);
        // Above the line, unless that leaves the plot or meets the label above; a label pushed
        // more than a line away from its own line is left out (the table names every target).
        const double natural = y - 5 < top + 10 ? y + 13 : y - 5;
        const double ty = std::max(natural, next_free);
        if (ty <= top + ph - 2 && ty - natural <= 11) {
            s += svg_text(left + 4, ty, label, 10, pw - 8, "start", "target-label");
            next_free = ty + 11;
        }
    }
    s += fmt::format("<rect class=\"frame\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                     "height=\"{:.1f}\"/>",
                     left, top, pw, ph);
    return s + "</svg>";
}

std::string fan_legend() {
    std::string s = "<svg class=\"chart legend\" role=\"img\" width=\"600\" height=\"24\" "
                    "viewBox=\"0 0 600 24\"><title>Legend</title>";
    s += "<rect class=\"band90\" x=\"2\" y=\"6\" width=\"22\" height=\"12\"/>";
    s += svg_text(30, 16, "90 % of replicates", 11, 130);
    s += "<rect class=\"band50\" x=\"170\" y=\"6\" width=\"22\" height=\"12\"/>";
    s += svg_text(198, 16, "50 %", 11, 40);
    s += "<line class=\"median\" x1=\"250\" x2=\"272\" y1=\"12\" y2=\"12\"/>";
    s += svg_text(278, 16, "median", 11, 56);
    s += "<line class=\"target\" x1=\"346\" x2=\"368\" y1=\"12\" y2=\"12\"/>";
    s += svg_text(374, 16, "target", 11, 50);
    s += "<line class=\"yearend\" x1=\"436\" x2=\"436\" y1=\"2\" y2=\"22\"/>";
    s += svg_text(444, 16, "end of a year", 11, 150);
    return s + "</svg>";
}

// ---- bar charts ------------------------------------------------------------------------------

struct BarRow {
    std::string label;
    double value = 0.0; ///< P(attain) in [0, 1], or a signed change
    double lo = 0.0;
    double hi = 0.0;
    bool has_interval = true;
    std::string text; ///< shown at the right
    bool flagged = false;
};

constexpr double BAR_W = 560;
constexpr double BAR_ROW = 22;

// Horizontal bars from 0 to each value on [0, 1], with the interval as a whisker and a line at
// `line_at`: one half, or the probability a solve asked for.
std::string attainment_chart(const std::string& title, const std::vector<BarRow>& rows,
                             double line_at = 0.5) {
    const double left = 150;
    const double right = 160;
    const double top = 8;
    const double bottom = 24;
    const double pw = BAR_W - left - right;
    const double h = top + bottom + BAR_ROW * static_cast<double>(rows.size());
    const auto xs = [&](double p) { return left + pw * std::clamp(p, 0.0, 1.0); };
    std::string s = fmt::format("<svg class=\"chart bars\" role=\"img\" width=\"{0}\" "
                                "height=\"{1}\" viewBox=\"0 0 {0} {1}\">",
                                BAR_W, h);
    s += "<title>" + escape(title) + "</title>";
    for (const double p : {0.0, line_at, 1.0}) {
        const bool line = p == line_at;
        s += fmt::format("<line class=\"{}\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" "
                         "y2=\"{:.1f}\"/>",
                         line ? "half" : "grid", xs(p), xs(p), top, h - bottom + 2);
        // The line's own label only where it does not run into an end's (the caption says
        // where the line is).
        if (!line || (p >= 0.15 && p <= 0.85)) {
            s += svg_text(xs(p), h - 8, fmt::format("{:g} %", 100 * p), 10, 40, "middle");
        }
    }
    std::vector<std::string> texts;
    for (const BarRow& row : rows) {
        texts.push_back(row.label);
    }
    const ChartLabels labels = chart_labels(texts, left - 10);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const BarRow& row = rows[i];
        const double y = top + BAR_ROW * static_cast<double>(i);
        s += svg_text(left - 6, y + 15, row.label, 11, left - 10, "end", nullptr, &labels.shown[i]);
        if (std::isfinite(row.value)) {
            s += fmt::format("<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                             "height=\"{:.1f}\"/>",
                             row.flagged ? "bar fixed" : "bar", left, y + 5,
                             std::max(0.0, xs(row.value) - left), BAR_ROW - 10);
        }
        if (row.has_interval && std::isfinite(row.lo) && std::isfinite(row.hi)) {
            const double cy = y + BAR_ROW / 2;
            s += fmt::format("<path class=\"whisker\" d=\"M{0:.1f},{1:.1f}H{2:.1f}M{0:.1f},"
                             "{3:.1f}V{4:.1f}M{2:.1f},{3:.1f}V{4:.1f}\"/>",
                             xs(row.lo), cy, xs(row.hi), cy - 5, cy + 5);
        }
        s += svg_text(BAR_W - right + 8, y + 15, row.text, 11, right - 10);
    }
    return s + "</svg>" + labels.key_html;
}

// Tornado: signed bars around zero, longest first, on a symmetric scale.
std::string effect_chart(const std::string& title, const std::vector<BarRow>& rows) {
    const double left = 200;
    const double right = 120;
    const double top = 8;
    const double bottom = 24;
    const double pw = BAR_W - left - right;
    const double h = top + bottom + BAR_ROW * static_cast<double>(rows.size());
    double reach = 0.05;
    for (const BarRow& r : rows) {
        for (const double v : {r.value, r.lo, r.hi}) {
            if (std::isfinite(v)) {
                reach = std::max(reach, std::fabs(v));
            }
        }
    }
    reach = std::min(1.0, std::ceil(reach * 10.0) / 10.0);
    const auto xs = [&](double v) {
        return left + pw * (std::clamp(v, -reach, reach) + reach) / (2 * reach);
    };
    std::string s = fmt::format("<svg class=\"chart tornado\" role=\"img\" width=\"{0}\" "
                                "height=\"{1}\" viewBox=\"0 0 {0} {1}\">",
                                BAR_W, h);
    s += "<title>" + escape(title) + "</title>";
    for (const double v : {-reach, 0.0, reach}) {
        s += fmt::format("<line class=\"{}\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" "
                         "y2=\"{:.1f}\"/>",
                         v == 0.0 ? "half" : "grid", xs(v), xs(v), top, h - bottom + 2);
        s += svg_text(xs(v), h - 8, fmt::format("{:+.0f} pp", 100 * v), 10, 60, "middle");
    }
    std::vector<std::string> texts;
    for (const BarRow& row : rows) {
        texts.push_back(row.label);
    }
    const ChartLabels labels = chart_labels(texts, left - 10);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const BarRow& row = rows[i];
        const double y = top + BAR_ROW * static_cast<double>(i);
        s += svg_text(left - 6, y + 15, row.label, 11, left - 10, "end", nullptr, &labels.shown[i]);
        const double x0 = xs(std::min(0.0, row.value));
        const double x1 = xs(std::max(0.0, row.value));
        s += fmt::format("<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                         "height=\"{:.1f}\"/>",
                         row.value < 0 ? "bar negative" : "bar", x0, y + 5, x1 - x0, BAR_ROW - 10);
        if (row.has_interval) {
            const double cy = y + BAR_ROW / 2;
            s += fmt::format("<path class=\"whisker\" d=\"M{0:.1f},{1:.1f}H{2:.1f}M{0:.1f},"
                             "{3:.1f}V{4:.1f}M{2:.1f},{3:.1f}V{4:.1f}\"/>",
                             xs(row.lo), cy, xs(row.hi), cy - 5, cy + 5);
        }
        s += svg_text(BAR_W - right + 8, y + 15, row.text, 11, right - 10);
    }
    return s + "</svg>" + labels.key_html;
}

// Cost bars: one per mix in one currency, from zero, with the total cap as a dashed line when
// there is one (NaN: none).
std::string cost_chart(const std::string& unit,
                       const std::vector<std::pair<std::string, double>>& rows,
                       const std::vector<bool>& over, double cap_total) {
    const double left = 170;
    const double right = 150;
    const double top = 8;
    const double bottom = 8;
    const double pw = BAR_W - left - right;
    const double h = top + bottom + BAR_ROW * static_cast<double>(rows.size());
    double most = 0.0;
    for (const auto& r : rows) {
        if (std::isfinite(r.second)) {
            most = std::max(most, r.second);
        }
    }
    if (std::isfinite(cap_total) && cap_total > 0) {
        most = std::max(most, cap_total);
    }
    std::string s = fmt::format("<svg class=\"chart costs\" role=\"img\" width=\"{0}\" "
                                "height=\"{1}\" viewBox=\"0 0 {0} {1}\">",
                                BAR_W, h);
    s += "<title>" + escape("Cost per mix, " + unit) + "</title>";
    std::vector<std::string> texts;
    for (const auto& row : rows) {
        texts.push_back(row.first);
    }
    const ChartLabels labels = chart_labels(texts, left - 10);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double y = top + BAR_ROW * static_cast<double>(i);
        s += svg_text(left - 6, y + 15, rows[i].first, 11, left - 10, "end", nullptr,
                      &labels.shown[i]);
        const double w = most > 0 && std::isfinite(rows[i].second) && rows[i].second > 0
                             ? pw * rows[i].second / most
                             : 0.0;
        s += fmt::format("<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                         "height=\"{:.1f}\"/>",
                         over[i] ? "bar over" : "bar cost", left, y + 5, w, BAR_ROW - 10);
        s += svg_text(BAR_W - right + 8, y + 15,
                      format_quantity(rows[i].second) + (over[i] ? " over cap" : ""), 11,
                      right - 10);
    }
    if (std::isfinite(cap_total) && cap_total > 0 && most > 0) {
        const double x = left + pw * cap_total / most;
        s += fmt::format("<line class=\"cap\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" "
                         "y2=\"{2:.1f}\"/>",
                         x, top, h - bottom);
    }
    return s + "</svg>" + labels.key_html;
}

// ---- sections --------------------------------------------------------------------------------

const char* STYLE = R"(<style>
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d2433;
  margin: 0 auto; padding: 16px 24px 40px; max-width: 1180px; line-height: 1.4; }
h1 { font-size: 1.6em; margin: 0.3em 0 0.1em; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; margin: 1.6em 0 0.4em; border-bottom: 1px solid #ccd3df;
  padding-bottom: 0.2em; overflow-wrap: anywhere; }
h3 { font-size: 1em; margin: 1em 0 0.3em; overflow-wrap: anywhere; }
p, li, dd, dt, figcaption { overflow-wrap: anywhere; }
.subtitle { color: #4a5568; margin: 0 0 1em; }
dl.facts { display: grid; grid-template-columns: fit-content(40%) minmax(0, 1fr); gap: 2px 14px;
  margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
div.table { overflow-x: auto; margin: 0.4em 0 1em; }
table { border-collapse: collapse; margin: 0; font-size: 0.9em; width: 100%;
  table-layout: auto; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 3px 8px; text-align: left;
  vertical-align: top; overflow-wrap: break-word; word-break: normal; hyphens: manual; }
th { background: #f1f4f9; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.emphasised td { font-weight: 600; }
table.log th.num { white-space: normal; }
dl.basis { font-size: 0.9em; }
.verdict-likely { color: #1e6b3a; } .verdict-unlikely { color: #9b1c1c; }
.verdict-uncertain { color: #8a5a00; }
.over { color: #9b1c1c; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr));
  gap: 12px 18px; }
.charts.wide { grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); }
figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 0.9em; margin: 0.2em 0; }
svg.chart { display: block; max-width: 100%; height: auto; overflow: hidden; }
svg text { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; fill: #1d2433; }
svg text.muted { fill: #5a6578; }
svg text.title { font-weight: 600; }
svg text.target-label { fill: #9b1c1c; }
.band90 { fill: #c9dcf2; } .band50 { fill: #86aedc; }
.median { fill: none; stroke: #1c4e8a; stroke-width: 2; }
.target { stroke: #c0392b; stroke-width: 1.5; stroke-dasharray: 6 4; }
.target-mark { fill: #c0392b; }
.yearend { stroke: #6b7585; stroke-width: 1; stroke-dasharray: 2 3; }
.readat { stroke: #1d2733; stroke-width: 1.2; stroke-dasharray: 5 2; }
.cap { stroke: #1d2733; stroke-width: 1.5; stroke-dasharray: 6 3; }
.readat-label { fill: #1d2733; }
.grid { stroke: #e2e8f0; stroke-width: 1; } .half { stroke: #6b7585; stroke-width: 1; }
.frame { fill: none; stroke: #aab4c3; stroke-width: 1; }
.bar { fill: #3b78c2; } .bar.fixed { fill: #9aa7b8; } .bar.negative { fill: #c0392b; }
.bar.cost { fill: #6c8f3c; } .bar.over { fill: #c0392b; }
.whisker { stroke: #1d2433; stroke-width: 1.5; fill: none; }
.note { background: #f6f8fb; border-left: 3px solid #3b78c2; padding: 6px 10px; }
.muted { color: #5a6578; }
p.key { font-size: 0.85em; margin: 0.2em 0 0; }
/* A narrow window (or A4 width): numbers wrap at their spaces rather than push the table wider. */
@media (max-width: 960px) {
  td.num, th.num { white-space: normal; }
  th, td { padding: 3px 5px; }
}
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  /* Charts keep their drawn size: two fan charts a row on A4, one wide chart. */
  .charts { grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); }
  .charts.wide { grid-template-columns: 1fr; }
  div.table { overflow: visible; }
  table { font-size: 8pt; }
  th, td { padding: 2px 4px; }
  td.num, th.num { white-space: normal; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
</style>
)";

// Whether a setting reaches the probability a solve asked for: the search's own verdict when
// given, else whether the whole interval lies at or above it.
bool reaches(const ReportTarget& t, double wanted) {
    return t.reaches ? *t.reaches : t.p_lo >= wanted;
}

// The probability a solve asked for, as a column heading: "reaches 99 %?", or with --assured
// "reaches 99 % assured?".
std::string reaches_heading(double wanted, bool assured) {
    return fmt::format("reaches {:g} %{}?", 100.0 * wanted, assured ? " assured" : "");
}

std::string reaches_cell(const ReportTarget& t, double wanted) {
    return reaches(t, wanted) ? "<td class=\"verdict-likely\">yes</td>"
                              : "<td class=\"verdict-unlikely\">no</td>";
}

std::string verdict_of(const ReportTarget& t) {
    if (t.replicates > 0 && t.undefined == t.replicates) {
        return "n/a"; // no replicate gave a number (docs/output-format.md)
    }
    if (t.set_by_inputs) {
        return "set by inputs";
    }
    // The rule every other output gives (output::verdict), on the interval the verdict is
    // taken on.
    const engine::Interval ci = t.verdict_ci
                                    ? engine::Interval{(*t.verdict_ci)[0], (*t.verdict_ci)[1]}
                                    : engine::Interval{t.p_lo, t.p_hi};
    return to_string(verdict(ci));
}

std::string cost_text(const std::vector<ReportCost>& totals) {
    if (totals.empty()) {
        return "no cost given";
    }
    std::string out;
    for (const ReportCost& c : totals) {
        out += (out.empty() ? "" : "; ") + format_quantity(c.amount) +
               (c.unit.empty() ? "" : " " + c.unit);
    }
    return out;
}

bool any_delta(const std::vector<ReportMix>& mixes) {
    for (const ReportMix& m : mixes) {
        for (const ReportTarget& t : m.targets) {
            if (t.delta_median || t.delta_p) {
                return true;
            }
        }
    }
    return false;
}

std::string ci_text(const std::optional<std::array<double, 2>>& ci, bool points) {
    if (!ci) {
        return {};
    }
    if (points) {
        return fmt::format(" [{:+.1f}, {:+.1f}]", 100.0 * (*ci)[0], 100.0 * (*ci)[1]);
    }
    return " [" + signed_quantity((*ci)[0]) + ", " + signed_quantity((*ci)[1]) + "]";
}

std::string summary_section(const Report& r) {
    const ReportMix& m = r.mixes.front();
    std::string s = "<section id=\"summary\"><h2>Targets";
    if (r.mixes.size() == 1 && m.name != "base") {
        s += " under " + escape(m.name);
    }
    s += "</h2>\n";
    if (r.mixes.size() == 1 && !m.description.empty()) {
        s += "<p>" + escape(m.description) + "</p>\n";
    }
    const std::optional<double>& wanted = r.probability_wanted;
    s += table_open("targets") +
         "<thead><tr><th>target</th><th>goal</th>"
         "<th class=\"num\">median</th><th class=\"num\">90 % interval</th>"
         "<th class=\"num\">P(attain)</th><th class=\"num\">95 % CI</th><th>" +
         (wanted ? reaches_heading(*wanted, r.probability_assured) : std::string("verdict")) +
         "</th></tr></thead><tbody>\n";
    for (const ReportTarget& t : m.targets) {
        s += "<tr><td>" + breakable(t.label.empty() ? t.id : t.label);
        if (!t.label.empty() && t.label != t.id) {
            s += " <span class=\"muted\">(" + breakable(t.id) + ")</span>";
        }
        s += "</td><td>" + escape(goal(t)) + (t.assumption.empty() ? "" : " †") +
             "</td><td class=\"num\">" + escape(format_quantity(t.median)) +
             "</td><td class=\"num\">[" + escape(format_quantity(t.q05)) + ", " +
             escape(format_quantity(t.q95)) + "]</td><td class=\"num\">" + percent(t.p_attain) +
             (t.set_by_inputs ? "*" : "") + "</td><td class=\"num\">" +
             percent_interval(t.p_lo, t.p_hi) + "</td>";
        if (wanted) {
            s += reaches_cell(t, *wanted) + "</tr>\n";
            continue;
        }
        const std::string v = verdict_of(t);
        s += "<td class=\"verdict-" + (v == "set by inputs" ? std::string("fixed") : v) + "\">" +
             v + "</td></tr>\n";
    }
    s += "</tbody>" + std::string(TABLE_CLOSE);
    // What the verdict means, as the terminal says it.
    if (wanted) {
        s += "<p class=\"muted\">" + escape(reaches_heading(*wanted, r.probability_assured)) +
             ": the search's verdict, yes when its sequential test judged the setting's P(attain) "
             "to reach the probability asked for (Wilson interval against it), no otherwise.</p>\n";
    } else {
        s += "<p class=\"muted\">verdict: likely when the whole 95 % CI of P(attain) lies above "
             "50 %, unlikely when it lies below, uncertain otherwise.</p>\n";
        const auto stopped = std::find_if(m.targets.begin(), m.targets.end(),
                                          [](const ReportTarget& t) { return t.verdict_ci; });
        if (stopped != m.targets.end()) {
            s += "<p class=\"muted\">" +
                 escape(stopped_verdict_note(stopped->verdict_confidence, 0.95)) + "</p>\n";
        }
    }
    // Where each threshold comes from: an assumed one (a masked figure) is marked.
    std::string basis;
    for (const ReportTarget& t : m.targets) {
        if (!t.assumption.empty()) {
            basis += "<dt>" + breakable(t.id) + " †</dt><dd><em>assumption:</em> " +
                     escape(t.assumption) + "</dd>\n";
        } else if (!t.source.empty()) {
            basis += "<dt>" + breakable(t.id) + "</dt><dd>" + escape(t.source) + "</dd>\n";
        }
    }
    if (!basis.empty()) {
        s += "<p class=\"muted\">Where the thresholds come from; † marks an assumed threshold, "
             "not a published one.</p>\n<dl class=\"facts basis\">\n" +
             basis + "</dl>\n";
    }
    if (std::any_of(m.targets.begin(), m.targets.end(),
                    [](const ReportTarget& t) { return t.set_by_inputs; })) {
        s += "<p class=\"muted\">* the scenario's inputs alone fix this target's final value, so "
             "its P(attain) holds by construction, not by the simulated dynamics.</p>\n";
    }
    // As the terminal table says it: replicates without a value count as missed.
    std::string undefined;
    for (const ReportMix& mix : r.mixes) {
        for (const ReportTarget& t : mix.targets) {
            if (t.undefined > 0) {
                undefined += std::string(undefined.empty() ? "" : "; ") + escape(t.id) +
                             (r.mixes.size() > 1 ? " under " + escape(mix.name) : "") + ": " +
                             std::to_string(t.undefined) + " of " + std::to_string(t.replicates);
            }
        }
    }
    if (!undefined.empty()) {
        s += "<p class=\"muted\">Undefined in some replicates (a growth from a zero base or a "
             "ratio over zero has no value; those replicates count as missed): " +
             undefined + ".</p>\n";
    }
    return s + "</section>\n";
}

std::string attainment_section(const Report& r) {
    const std::optional<double>& wanted = r.probability_wanted;
    const double line_at = wanted ? *wanted : 0.5;
    std::string s = "<section id=\"attainment\"><h2>Probability of attaining each target</h2>\n"
                    "<p class=\"muted\">Bars: P(attain); whiskers: its 95 % confidence interval; "
                    "the line marks " +
                    (wanted ? fmt::format("the probability asked for, {:g} %", 100.0 * *wanted)
                            : std::string("one half")) +
                    ".</p>\n";
    if (r.mixes.size() == 1) {
        std::vector<BarRow> rows;
        for (const ReportTarget& t : r.mixes.front().targets) {
            rows.push_back({t.id, t.p_attain, t.p_lo, t.p_hi, true,
                            percent(t.p_attain) + " " + percent_interval(t.p_lo, t.p_hi),
                            t.set_by_inputs});
        }
        s += "<figure>" + attainment_chart("P(attain) per target", rows, line_at) + "</figure>\n";
        return s + "</section>\n";
    }
    const bool deltas = any_delta(r.mixes);
    // What each mix is, in its own words, before the charts that name it.
    s += "<dl class=\"facts mixes\">\n";
    for (const ReportMix& m : r.mixes) {
        s += "<dt>" + escape(m.name) + "</dt><dd>" +
             (!m.description.empty() ? escape(m.description)
              : m.name == "base"
                  ? std::string("<span class=\"muted\">the scenario's levers as written</span>")
                  : std::string("<span class=\"muted\">no description</span>")) +
             "</dd>\n";
    }
    s += "</dl>\n";
    s += "<div class=\"charts wide\">\n";
    const ReportMix& first = r.mixes.front();
    for (std::size_t k = 0; k < first.targets.size(); ++k) {
        const ReportTarget& t0 = first.targets[k];
        std::vector<BarRow> rows;
        for (const ReportMix& m : r.mixes) {
            const auto it = std::find_if(m.targets.begin(), m.targets.end(),
                                         [&](const ReportTarget& t) { return t.id == t0.id; });
            if (it == m.targets.end()) {
                continue;
            }
            rows.push_back({m.name, it->p_attain, it->p_lo, it->p_hi, true,
                            percent(it->p_attain) + " " + percent_interval(it->p_lo, it->p_hi),
                            it->set_by_inputs});
        }
        s += "<figure><figcaption><strong>" + escape(t0.label.empty() ? t0.id : t0.label) +
             "</strong> " + escape(goal(t0)) + "</figcaption>" +
             attainment_chart("P(attain) of " + t0.id + " per policy mix", rows, line_at) +
             "</figure>\n";
    }
    s += "</div>\n";
    // The numbers behind the bars, one table per target.
    s += "<h3>Per target and mix</h3>\n";
    for (std::size_t k = 0; k < first.targets.size(); ++k) {
        const ReportTarget& t0 = first.targets[k];
        s += table_open("mixes") + "<thead><tr><th>" + breakable(t0.id) + " " + escape(goal(t0)) +
             "</th><th class=\"num\">median</th><th class=\"num\">90 % interval</th>"
             "<th class=\"num\">P(attain)</th><th class=\"num\">95 % CI</th>";
        if (wanted) {
            s += "<th>" + reaches_heading(*wanted, r.probability_assured) + "</th>";
        }
        if (deltas) {
            s += "<th class=\"num\">Δ median [CI]</th><th class=\"num\">Δ P [CI]</th>";
        }
        s += "<th class=\"num\">cost</th></tr></thead><tbody>\n";
        for (const ReportMix& m : r.mixes) {
            const auto it = std::find_if(m.targets.begin(), m.targets.end(),
                                         [&](const ReportTarget& t) { return t.id == t0.id; });
            if (it == m.targets.end()) {
                continue;
            }
            s += "<tr><td>" + breakable(m.name) + "</td><td class=\"num\">" +
                 escape(format_quantity(it->median)) + "</td><td class=\"num\">[" +
                 escape(format_quantity(it->q05)) + ", " + escape(format_quantity(it->q95)) +
                 "]</td><td class=\"num\">" + percent(it->p_attain) + "</td><td class=\"num\">" +
                 percent_interval(it->p_lo, it->p_hi) + "</td>";
            if (wanted) {
                s += reaches_cell(*it, *wanted);
            }
            if (deltas) {
                s += "<td class=\"num\">" +
                     (it->delta_median ? escape(signed_quantity(*it->delta_median)) +
                                             escape(ci_text(it->delta_median_ci, false))
                                       : std::string()) +
                     "</td><td class=\"num\">" +
                     (it->delta_p ? signed_points(*it->delta_p) + ci_text(it->delta_p_ci, true)
                                  : std::string()) +
                     "</td>";
            }
            s += "<td class=\"num" + std::string(m.over_budget ? " over" : "") + "\">" +
                 escape(cost_text(m.totals)) + "</td></tr>\n";
        }
        s += "</tbody>" + std::string(TABLE_CLOSE);
    }
    if (deltas) {
        s += "<p class=\"muted\">Δ: the mix minus the base, paired by replicate, with its 95 % "
             "interval; pp: percentage points.</p>\n";
    }
    return s + "</section>\n";
}

// A mix against the scenario's caps, as the terminal says it: "within the cap of 30 100m yuan a
// year; 12 % of replicates over it", "over the cap of ...: 2023: 31.2 > cap 30 100m yuan", or
// "no cap".
std::string budget_text(const ReportMix& m) {
    const bool yearly = std::isfinite(m.cap_per_year);
    const bool total = std::isfinite(m.cap_total);
    if (!yearly && !total) {
        return m.over_budget ? "over the cap" + (m.budget_note.empty() ? "" : ": " + m.budget_note)
                             : "no cap";
    }
    const std::string unit = m.totals.empty() || m.totals.front().unit.empty()
                                 ? std::string()
                                 : " " + m.totals.front().unit;
    std::string caps;
    if (yearly) {
        caps += format_level(m.cap_per_year) + unit + " a year";
    }
    if (total) {
        caps += (yearly ? ", " : "") + format_level(m.cap_total) + unit + " in total";
    }
    std::string out =
        (m.over_budget ? "over the cap of " : "within the cap of ") + caps + " (mean cost)";
    if (m.over_budget && !m.budget_note.empty()) {
        out += ": " + m.budget_note;
    }
    if (m.p_over_budget) {
        out += "; " + percent(*m.p_over_budget) + " of replicates over it";
    }
    return out;
}

std::string budget_section(const Report& r) {
    bool any = false;
    for (const ReportMix& m : r.mixes) {
        any = any || !m.totals.empty() || !m.lever_costs.empty() || m.over_budget;
    }
    if (!any) {
        return {};
    }
    std::string s = "<section id=\"budgets\"><h2>Budgets</h2>\n";
    // One chart per currency unit, over the mixes that spend in it.
    std::vector<std::string> units;
    for (const ReportMix& m : r.mixes) {
        for (const ReportCost& c : m.totals) {
            if (std::find(units.begin(), units.end(), c.unit) == units.end()) {
                units.push_back(c.unit);
            }
        }
    }
    if (r.mixes.size() > 1) {
        for (const std::string& unit : units) {
            std::vector<std::pair<std::string, double>> rows;
            std::vector<bool> over;
            for (const ReportMix& m : r.mixes) {
                double amount = 0.0;
                for (const ReportCost& c : m.totals) {
                    if (c.unit == unit) {
                        amount += c.amount;
                    }
                }
                rows.emplace_back(m.name, amount);
                over.push_back(m.over_budget);
            }
            // The total cap, when every mix has the same one in this currency.
            double cap = r.mixes.front().cap_total;
            for (const ReportMix& m : r.mixes) {
                const bool same =
                    m.cap_total == cap || (std::isnan(m.cap_total) && std::isnan(cap));
                cap = same ? cap : std::numeric_limits<double>::quiet_NaN();
            }
            const bool in_unit =
                std::any_of(r.mixes.front().totals.begin(), r.mixes.front().totals.end(),
                            [&](const ReportCost& c) { return c.unit == unit; });
            if (!in_unit || units.size() > 1) {
                cap = std::numeric_limits<double>::quiet_NaN();
            }
            s += "<figure><figcaption>Total cost per mix" +
                 (unit.empty() ? std::string() : ", " + escape(unit)) +
                 (std::isfinite(cap)
                      ? "; the dashed line is the total cap, " + escape(format_quantity(cap))
                      : std::string()) +
                 "</figcaption>" + cost_chart(unit, rows, over, cap) + "</figure>\n";
        }
    }
    s += table_open("budgets") +
         "<thead><tr><th>mix</th><th>levers</th>"
         "<th class=\"num\">total</th><th>budget</th></tr></thead><tbody>\n";
    for (const ReportMix& m : r.mixes) {
        std::string levers;
        for (const ReportCost& c : m.lever_costs) {
            levers += (levers.empty() ? "" : "<br>") + breakable(c.label) + ": " +
                      escape(format_quantity(c.amount)) +
                      (c.unit.empty() ? "" : " " + escape(c.unit));
        }
        s += "<tr><td>" + breakable(m.name) + "</td><td>" + levers + "</td><td class=\"num\">" +
             escape(cost_text(m.totals)) + "</td><td" + (m.over_budget ? " class=\"over\">" : ">") +
             escape(budget_text(m)) + "</td></tr>\n";
    }
    s += "</tbody>" + std::string(TABLE_CLOSE);
    const bool capped = std::any_of(r.mixes.begin(), r.mixes.end(), [](const ReportMix& m) {
        return std::isfinite(m.cap_per_year) || std::isfinite(m.cap_total);
    });
    if (capped && !r.budget_source.empty()) {
        s += "<p class=\"muted\">The caps: " + escape(r.budget_source) + "</p>\n";
    } else if (capped && !r.budget_assumption.empty()) {
        s += "<p class=\"muted\">The caps: <em>assumption:</em> " + escape(r.budget_assumption) +
             "</p>\n";
    }
    return s + "</section>\n";
}

// Tables a command gathered (Report::tables), each as given.
std::string tables_section(const Report& r) {
    std::string s;
    for (const ReportTable& t : r.tables) {
        s += "<section id=\"" + escape(t.id) + "\"><h2>" + escape(t.title) + "</h2>\n";
        if (!t.caption.empty()) {
            s += "<p class=\"muted\">" + escape(t.caption) + "</p>\n";
        }
        const auto numeric = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
        s += table_open("log") + "<thead><tr>";
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            s += (numeric(c) ? "<th class=\"num\">" : "<th>") + breakable(t.columns[c]) + "</th>";
        }
        s += "</tr></thead><tbody>\n";
        for (std::size_t i = 0; i < t.rows.size(); ++i) {
            const bool strong = i < t.emphasised.size() && t.emphasised[i];
            s += strong ? "<tr class=\"emphasised\">" : "<tr>";
            for (std::size_t c = 0; c < t.rows[i].size(); ++c) {
                s += (numeric(c) ? "<td class=\"num\">" : "<td>") + breakable(t.rows[i][c]) +
                     "</td>";
            }
            s += "</tr>\n";
        }
        s += "</tbody>" + std::string(TABLE_CLOSE);
        for (const std::string& note : t.notes) {
            s += "<p class=\"muted\">" + escape(note) + "</p>\n";
        }
        s += "</section>\n";
    }
    return s;
}

std::string fans_section(const Report& r) {
    std::string s;
    for (const ReportMix& m : r.mixes) {
        if (m.fans.empty()) {
            continue;
        }
        s += "<section class=\"fans\"><h2>Indicators over time";
        if (r.mixes.size() > 1 || m.name != "base") {
            s += " — " + escape(m.name);
        }
        s += "</h2>\n<figure>" + fan_legend() + "</figure>\n<div class=\"charts\">\n";
        for (const ReportFan& f : m.fans) {
            // A fan with no value at all (a ratio over 0 in every replicate) drew an empty frame
            // and the target's line without a word; the targets' note said why, far below.
            const auto none = [](const std::vector<double>& v) {
                return std::none_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
            };
            const bool empty = none(f.median) && none(f.q05) && none(f.q95);
            s += "<figure>" + fan_chart(f) +
                 (empty ? "<figcaption class=\"muted\">Nothing to draw: the indicator is "
                          "undefined in every replicate at every month (a ratio over 0, a "
                          "growth from 0).</figcaption>"
                        : std::string()) +
                 (f.description.empty()
                      ? std::string()
                      : "<figcaption class=\"muted\">" + escape(f.description) + "</figcaption>") +
                 "</figure>\n";
        }
        s += "</div>\n</section>\n";
    }
    return s;
}

// The lever effects on one target, the largest change in P(attain) first (ties in input order):
// the order of both the chart and the table.
std::vector<const ReportLeverEffect*> effects_on(const Report& r, const std::string& target) {
    std::vector<const ReportLeverEffect*> effects;
    for (const ReportLeverEffect& e : r.lever_effects) {
        if (e.target == target) {
            effects.push_back(&e);
        }
    }
    std::stable_sort(effects.begin(), effects.end(),
                     [](const ReportLeverEffect* a, const ReportLeverEffect* b) {
                         return std::fabs(a->delta_p) > std::fabs(b->delta_p);
                     });
    return effects;
}

std::string effects_section(const Report& r) {
    if (r.lever_effects.empty() && r.lever_effect_notes.empty()) {
        return {};
    }
    // A mix sets several levers at once: its bar is not "when one lever changes".
    std::string s = "<section id=\"lever-effects\"><h2>Lever effects</h2>\n<p class=\"muted\">" +
                    std::string(r.effects_are_mixes
                                    ? "Each bar is a policy mix instead of the base, on the same "
                                      "replicates: the change in P(attain) with every lever the "
                                      "mix sets, "
                                    : "Change in P(attain) when one lever changes, ") +
                    "with its 95 % interval where known, in percentage points (pp); longest bar "
                    "first.</p>\n";
    for (const std::string& note : r.lever_effect_notes) {
        s += "<p class=\"muted\">" + escape(note) + "</p>\n";
    }
    if (r.lever_effects.empty()) { // asked for, but no lever could be run: say so and why
        return s + "<p>No lever was run (the notes above say why).</p></section>\n";
    }
    s += "<div class=\"charts wide\">\n";
    std::vector<std::string> targets;
    for (const ReportLeverEffect& e : r.lever_effects) {
        if (std::find(targets.begin(), targets.end(), e.target) == targets.end()) {
            targets.push_back(e.target);
        }
    }
    for (const std::string& target : targets) {
        const std::vector<const ReportLeverEffect*> effects = effects_on(r, target);
        std::vector<BarRow> rows;
        for (const ReportLeverEffect* e : effects) {
            BarRow row;
            // With a table (below) the change is spelled out there; the bar keeps the name.
            row.label = e->change.empty() || e->moves ? e->lever : e->lever + " " + e->change;
            row.value = e->delta_p;
            row.has_interval = e->delta_p_ci.has_value();
            row.lo = e->delta_p_ci ? (*e->delta_p_ci)[0] : 0.0;
            row.hi = e->delta_p_ci ? (*e->delta_p_ci)[1] : 0.0;
            row.text = signed_points(e->delta_p);
            rows.push_back(row);
        }
        s += "<figure><figcaption><strong>" + escape(target) + "</strong></figcaption>" +
             effect_chart("Lever effects on " + target, rows) + "</figure>\n";
    }
    s += "</div>\n";
    if (std::none_of(r.lever_effects.begin(), r.lever_effects.end(),
                     [](const ReportLeverEffect& e) { return e.moves.has_value(); })) {
        return s + "</section>\n";
    }
    // The numbers behind the bars, one table per target, in the charts' order.
    s += "<h3>Per target and lever</h3>\n";
    for (const std::string& target : targets) {
        std::string goal_text;
        if (!r.mixes.empty()) {
            for (const ReportTarget& t : r.mixes.front().targets) {
                if (t.id == target) {
                    goal_text = " " + goal(t);
                }
            }
        }
        const std::vector<const ReportLeverEffect*> effects = effects_on(r, target);
        // The columns of canopy levers, in its words ("median low": at the range's low end).
        s += table_open("effects") + "<thead><tr><th>" + breakable(target) + escape(goal_text) +
             "</th><th>change</th><th class=\"num\">median low</th><th class=\"num\">"
             "Δ median [CI]</th><th class=\"num\">P low</th><th class=\"num\">Δ P [CI]"
             "</th><th>moves it?</th></tr></thead><tbody>\n";
        for (const ReportLeverEffect* e : effects) {
            const auto number = [](const std::optional<double>& x) {
                return x && std::isfinite(*x) ? escape(format_quantity(*x)) : std::string("n/a");
            };
            s += "<tr><td>" + breakable(e->lever) + "</td><td>" + escape(e->change) +
                 "</td><td class=\"num\">" + number(e->median_before) + "</td><td class=\"num\">" +
                 (e->delta_median && std::isfinite(*e->delta_median)
                      ? escape(signed_quantity(*e->delta_median)) +
                            escape(ci_text(e->delta_median_ci, false))
                      : std::string("n/a")) +
                 "</td><td class=\"num\">" +
                 (e->p_before ? percent(*e->p_before) : std::string("n/a")) +
                 "</td><td class=\"num\">" + signed_points(e->delta_p) +
                 ci_text(e->delta_p_ci, true) + "</td><td>" +
                 (e->moves && *e->moves ? "<strong>yes</strong>" : "no") + "</td></tr>\n";
        }
        s += "</tbody>" + std::string(TABLE_CLOSE);
    }
    s += "<p class=\"muted\">low: at the low end of the lever's range; Δ: the high end minus the "
         "low end, paired by replicate; pp: percentage points.</p>\n";
    return s + "</section>\n";
}

std::string inputs_section(const Report& r) {
    std::string s = "<section id=\"inputs\"><h2>Key inputs and their sources</h2>\n";
    const ReportCalibration& c = r.calibration;
    s += "<p class=\"note\">";
    if (c.calibrated) {
        std::string names;
        for (const std::string& n : c.parameters) {
            names += (names.empty() ? "" : ", ") + n;
        }
        s += "<strong>Calibrated.</strong> Each replicate draws " + escape(names) +
             " jointly from the calibration posterior '" + escape(c.origin) + "'";
        if (c.particles > 0) {
            s += " (" + std::to_string(c.particles) + " particles)";
        }
        s += "; the other inputs are as below.";
    } else {
        s += "<strong>Not calibrated.</strong> The parameters are the scenario's own values and "
             "priors (no calibration posterior).";
    }
    s += "</p>\n";
    if (r.inputs.empty()) {
        return s + "</section>\n";
    }
    s += table_open("inputs") + "<thead><tr><th>input</th><th>role</th><th>value</th>"
                                "<th>source or assumption</th></tr></thead><tbody>\n";
    for (const ReportInput& in : r.inputs) {
        std::string basis;
        if (!in.source.empty()) {
            basis = escape(in.source);
        } else if (!in.assumption.empty()) {
            basis = "<em>assumption:</em> " + escape(in.assumption);
        } else {
            basis = "<span class=\"muted\">the model's default</span>";
        }
        s += "<tr><td>" + breakable(in.name) + "</td><td>" + escape(in.role) + "</td><td>" +
             escape(in.value) + "</td><td>" + basis + "</td></tr>\n";
    }
    s += "</tbody>" + std::string(TABLE_CLOSE);
    for (const std::string& note : r.input_notes) {
        s += "<p class=\"note\">" + escape(note) + "</p>\n";
    }
    return s + "</section>\n";
}

} // namespace

std::string render_report_html(const Report& r) {
    std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>" +
                    escape(r.title) + "</title>\n" + STYLE + "</head>\n<body>\n";
    s += "<header><h1>" + escape(r.title) + "</h1>\n";
    if (!r.subtitle.empty()) {
        s += "<p class=\"subtitle\">" + escape(r.subtitle) + "</p>\n";
    }
    if (!r.facts.empty()) {
        s += "<dl class=\"facts\">\n";
        for (const auto& f : r.facts) {
            s += "<dt>" + escape(f[0]) + "</dt><dd>" + escape(f[1]) + "</dd>\n";
        }
        s += "</dl>\n";
    }
    s += "</header>\n<main>\n";
    for (const std::string& note : r.notes) {
        s += "<p class=\"note\">" + escape(note) + "</p>\n";
    }
    if (!r.mixes.empty() && !r.mixes.front().targets.empty()) {
        s += summary_section(r);
        s += attainment_section(r);
    }
    s += tables_section(r);
    s += budget_section(r);
    s += effects_section(r);
    s += fans_section(r);
    s += inputs_section(r);
    s += "</main>\n<footer><p class=\"muted\">Written by Canopy " CANOPY_VERSION
         ". Every chart is drawn in this file; it needs no network.</p></footer>\n"
         "</body>\n</html>\n";
    return s;
}

TemporaryFile write_report_temporary(const std::filesystem::path& path, const Report& report) {
    return write_temporary(path, render_report_html(report));
}

void write_report(const std::filesystem::path& path, const Report& report) {
    write_report_temporary(path, report).commit();
}

} // namespace canopy::output
