// The sensitivity report: ranked tables for the terminal and the JSON document. Numbers are
// formatted here and nowhere else, so the table and the JSON say the same thing.
#include <canopy/output/sensitivity.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace canopy::output {

namespace {

using experiments::DesignKind;
using experiments::Estimate;
using experiments::OutputSensitivity;
using experiments::SweepSensitivity;
using Json = nlohmann::ordered_json;

constexpr const char* BOLD = "\x1b[1m";
constexpr const char* RESET = "\x1b[0m";
constexpr std::size_t TOP_FACTORS_PER_TIME = 3;

bool is_sobol(const SweepSensitivity& s) {
    return s.design == DesignKind::saltelli;
}

/// A Sobol index to three decimals ("0.521", "-0.012"), "n/a" when undefined.
std::string index_text(double x) {
    return std::isfinite(x) ? fmt::format("{:.3f}", x) : std::string("n/a");
}

std::string interval_text(const Estimate& e, bool sobol) {
    if (!std::isfinite(e.lo) || !std::isfinite(e.hi)) {
        return "n/a";
    }
    return sobol ? fmt::format("[{:.3f}, {:.3f}]", e.lo, e.hi)
                 : "[" + format_quantity(e.lo) + ", " + format_quantity(e.hi) + "]";
}

/// What ranks factor k of output o: ST (Sobol) or mu* (Morris).
double rank_key(const SweepSensitivity& s, const OutputSensitivity& o, std::size_t k) {
    return is_sobol(s) ? o.sobol.st[k].value : o.morris.mu_star[k].value;
}

/// Factor indices, most influential first; undefined values last, ties in design order.
std::vector<std::size_t> ranking(const SweepSensitivity& s, const OutputSensitivity& o) {
    std::vector<std::size_t> order(s.factors.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double x = rank_key(s, o, a);
        const double y = rank_key(s, o, b);
        if (std::isnan(x) || std::isnan(y)) {
            return !std::isnan(x) && std::isnan(y);
        }
        return x > y;
    });
    return order;
}

/// Rows of cells as columns separated by two spaces, indented by two; column c right-aligned
/// when right[c].
std::string render(const std::vector<std::vector<std::string>>& rows,
                   const std::vector<bool>& right) {
    std::vector<std::size_t> width(right.size(), 0);
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c) {
            width[c] = std::max(width[c], display_width(row[c]));
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line = "  ";
        for (std::size_t c = 0; c < row.size(); ++c) {
            const std::string fill(width[c] - display_width(row[c]), ' ');
            line += (c > 0 ? "  " : "") + (right[c] ? fill + row[c] : row[c] + fill);
        }
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out += line + "\n";
    }
    return out;
}

std::string confidence_text(double confidence) {
    return fmt::format("{:g} %", 100.0 * confidence);
}

/// "12.3 %", "0.04 %", "under 0.01 %".
std::string share_text(double share) {
    if (share < 1e-4) {
        return "under 0.01 %";
    }
    return fmt::format("{:.3g} %", 100.0 * share);
}

/// The estimates of factor k that carry an interval: S1 and ST (Sobol) or mu* (Morris), with
/// their names.
std::vector<std::pair<const char*, const Estimate*>>
estimates(const SweepSensitivity& s, const OutputSensitivity& o, std::size_t k) {
    if (is_sobol(s)) {
        return {{"S1", &o.sobol.s1[k]}, {"ST", &o.sobol.st[k]}};
    }
    return {{"mu*", &o.morris.mu_star[k]}};
}

/// Whether any bootstrap resample of output `o` gave an undefined index.
bool any_undefined(const SweepSensitivity& s, const OutputSensitivity& o) {
    for (std::size_t k = 0; k < s.factors.size(); ++k) {
        for (const auto& [name, e] : estimates(s, o, k)) {
            if (e->undefined > 0) {
                return true;
            }
        }
    }
    return false;
}

/// "346 of 1000", or "S1 346, ST 12 of 1000" when the indices of factor k differ.
std::string undefined_text(const SweepSensitivity& s, const OutputSensitivity& o, std::size_t k) {
    const auto e = estimates(s, o, k);
    std::string out;
    if (e.size() == 1 || e[0].second->undefined == e[1].second->undefined) {
        out = std::to_string(e[0].second->undefined);
    } else {
        out = fmt::format("{} {}, {} {}", e[0].first, e[0].second->undefined, e[1].first,
                          e[1].second->undefined);
    }
    return out + " of " + std::to_string(s.bootstrap.resamples);
}

/// Why some intervals of `o` are missing although their indices are defined: too many of their
/// bootstrap resamples were undefined to place the percentiles (sensitivity.hpp, Estimate).
/// Empty when every defined index has its interval.
std::string unplaced_note(const SweepSensitivity& s, const OutputSensitivity& o) {
    std::vector<std::string> which;
    std::size_t most = 0;
    for (std::size_t k = 0; k < s.factors.size(); ++k) {
        for (const auto& [name, e] : estimates(s, o, k)) {
            if (std::isfinite(e->value) &&
                experiments::interval_unplaced(*e, s.bootstrap.resamples, s.bootstrap.confidence)) {
                which.push_back(std::string(name) + " of " + s.factors[k]);
                most = std::max(most, e->undefined);
            }
        }
    }
    if (which.empty()) {
        return {};
    }
    std::string list;
    for (std::size_t i = 0; i < which.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == which.size() ? " and " : ", ") + which[i];
    }
    const double tail = (1.0 - s.bootstrap.confidence) / 2.0;
    return fmt::format(
        "no {} interval for {}: up to {} of the {} bootstrap resamples gave an undefined index "
        "(e.g. zero variance among the resampled base samples), more than the {:g} % that may "
        "fall in each tail, so the percentiles of the rest cannot place the interval; use more "
        "points",
        confidence_text(s.bootstrap.confidence), list, most, s.bootstrap.resamples, 100.0 * tail);
}

/// `text` as lines of at most `width` columns, the first indented by `first`, the rest by
/// `rest`; words are never split (a word wider than the line gets a line of its own).
std::string wrap(const std::string& text, const std::string& first, const std::string& rest,
                 std::size_t width = 100) {
    std::string out;
    std::string line = first;
    bool empty = true;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t space = text.find(' ', at);
        const std::string word = text.substr(at, space == std::string::npos ? space : space - at);
        at = space == std::string::npos ? text.size() : space + 1;
        if (word.empty()) {
            continue;
        }
        if (!empty && display_width(line) + 1 + display_width(word) > width) {
            out += line + "\n";
            line = rest;
            empty = true;
        }
        line += (empty ? "" : " ") + word;
        empty = false;
    }
    return empty ? out : out + line + "\n";
}

/// What the replicate noise is and what it does to the indices above it (docs/sensitivity.md,
/// "Replicate noise"). Nothing for an /outputs column, whose noise only its maker knows (the
/// JSON says so).
std::string noise_text(const SweepSensitivity& s, const OutputSensitivity& o) {
    const experiments::ReplicateNoise& n = o.noise;
    if (o.name.rfind("outputs/", 0) == 0) {
        return {};
    }
    const bool common = s.common_random_numbers;
    const std::string included =
        !o.noise_in_intervals ? std::string()
        : o.replicates_resampled
            ? " The intervals resample the replicates too (the same ones at every point, as the "
              "sweep's common random numbers drew them), so they include it."
            : " Each point drew its own replicates, so the rows the intervals resample carry "
              "their noise: the intervals include it.";
    const std::string fixed =
        o.noise_in_intervals
            ? std::string()
            : " The intervals hold the replicates fixed and do not include it; outputs = "
              "[\"finals\"] in the sweep file makes them do so.";
    if (std::isnan(n.variance)) {
        if (n.reason.empty()) {
            return {};
        }
        return wrap("replicate noise: not estimated: " + n.reason + "." + included, "  ", "    ");
    }
    if (is_sobol(s)) {
        if (std::isnan(o.noise_share)) {
            return {};
        }
        std::string text = fmt::format("replicate noise: {} of the variance ({}).",
                                       share_text(o.noise_share), n.method);
        if (o.noise_share >= 0.01) {
            if (common) {
                text += " The points share their noise (common random numbers), so it moves the "
                        "indices less than independent noise of that share would.";
            } else {
                text += fmt::format(" A factor with no effect shows an ST of about {:.3f} from it "
                                    "alone, and every ST reads {:.3f} + {:.3f} x its noiseless "
                                    "value, every S1 {:.3f} x its own.",
                                    o.noise_share, o.noise_share, 1.0 - o.noise_share,
                                    1.0 - o.noise_share);
                if (o.noise_share >= 0.9) {
                    text += " The factors can hardly be told from the noise: use more replicates "
                            "a point.";
                }
            }
        }
        return wrap(text + included + (o.noise_share >= 0.01 ? fixed : std::string()), "  ",
                    "    ");
    }
    if (std::isnan(o.noise_mu_star)) {
        return {};
    }
    return wrap(fmt::format("replicate noise: a factor with no effect shows mu* {} {} from it "
                            "alone ({}).",
                            common ? "up to" : "of about", format_quantity(o.noise_mu_star),
                            n.method) +
                    included + fixed,
                "  ", "    ");
}

std::string output_table(const SweepSensitivity& s, const OutputSensitivity& o,
                         const TableStyle& style) {
    std::string out = style.colour ? BOLD + o.name + RESET + "\n" : o.name + "\n";
    const bool sobol = is_sobol(s);
    if (!o.note.empty()) {
        // Sobol indices of such an output are all undefined; Morris effects of a constant
        // output are all zero; a NaN makes the Morris effects it enters undefined.
        const bool constant = o.note.rfind("zero variance", 0) == 0;
        out += "  " + o.note +
               (sobol      ? "; the indices are undefined\n"
                : constant ? "; no factor moves it\n"
                           : "; the effects it enters are undefined\n");
        if (sobol || constant) {
            return out;
        }
    }
    const std::string ci = confidence_text(s.bootstrap.confidence) + " interval";
    std::vector<std::vector<std::string>> rows;
    // Resamples whose index was undefined are left out of the intervals: counted in a column of
    // their own when there are any, and named below when there are too many to place one.
    const bool undefined = any_undefined(s, o);
    const std::string unplaced = unplaced_note(s, o);
    if (sobol) {
        rows.push_back({"factor", "S1", ci, "ST", ci});
        for (const std::size_t k : ranking(s, o)) {
            rows.push_back({s.factors[k], index_text(o.sobol.s1[k].value),
                            interval_text(o.sobol.s1[k], true), index_text(o.sobol.st[k].value),
                            interval_text(o.sobol.st[k], true)});
            if (undefined) {
                rows.back().push_back(undefined_text(s, o, k));
            }
        }
        if (undefined) {
            rows.front().push_back("undefined resamples");
        }
        out += render(rows, {false, true, false, true, false, false});
        if (!unplaced.empty()) {
            out += wrap(unplaced, "  ", "    ");
        }
        double sum = 0.0;
        for (const Estimate& e : o.sobol.s1) {
            sum += e.value;
        }
        out += fmt::format("  variance {}; first-order effects sum to {:.2f} of it\n",
                           format_quantity(o.sobol.variance), sum);
        out += noise_text(s, o);
    } else {
        rows.push_back({"factor", "mu*", ci, "mu", "sigma"});
        for (const std::size_t k : ranking(s, o)) {
            rows.push_back({s.factors[k], format_quantity(o.morris.mu_star[k].value),
                            interval_text(o.morris.mu_star[k], false),
                            format_quantity(o.morris.mu[k]), format_quantity(o.morris.sigma[k])});
            if (undefined) {
                rows.back().push_back(undefined_text(s, o, k));
            }
        }
        if (undefined) {
            rows.front().push_back("undefined resamples");
        }
        out += render(rows, {false, true, false, true, true, false});
        if (!unplaced.empty()) {
            out += wrap(unplaced, "  ", "    ");
        }
        out += noise_text(s, o);
    }
    return out;
}

/// Why the rows of a mean path have no replicate-noise estimate, and whether their intervals
/// include the noise (docs/sensitivity.md, "Replicate noise"): the sweep keeps each point's mean
/// over its replicates month by month, not the replicates' own paths, so there is no spread to
/// estimate the noise from and nothing to resample it with.
std::string path_noise_reason() {
    return "a mean path keeps each point's mean over its replicates at each time, not the "
           "replicates' own paths, so there is no spread to estimate the noise from and none to "
           "resample";
}

std::string path_noise_intervals(const SweepSensitivity& s) {
    return s.common_random_numbers
               ? "The intervals hold the replicates fixed and do not include it."
               : "Each point drew its own replicates, so the rows the intervals resample carry "
                 "their noise: the intervals include it.";
}

std::string path_table(const SweepSensitivity& s, const experiments::PathSensitivity& p,
                       const TableStyle& style) {
    const bool sobol = is_sobol(s);
    const std::string title =
        p.name + ": the most influential factors at each time (" + (sobol ? "ST" : "mu*") + ")";
    std::string out = style.colour ? BOLD + title + RESET + "\n" : title + "\n";
    // Each time: its label and either its ranked factors ("x3 0.988") or why there are none.
    // Factor entries line up across times; a note takes the rest of its line.
    struct Line {
        std::string label;
        std::vector<std::string> entries;
        std::string note;
    };
    std::vector<Line> lines;
    std::size_t label_width = 0;
    std::size_t entry_width = 0;
    for (const OutputSensitivity& row : p.rows) {
        Line line{row.name, {}, {}};
        const bool undefined =
            sobol ? !(row.sobol.variance > 0.0) : row.note.rfind("zero variance", 0) == 0;
        if (undefined) {
            line.note = row.note.empty() ? std::string("undefined") : row.note;
        } else {
            const std::vector<std::size_t> order = ranking(s, row);
            for (std::size_t r = 0; r < std::min(order.size(), TOP_FACTORS_PER_TIME); ++r) {
                const double x = rank_key(s, row, order[r]);
                line.entries.push_back(s.factors[order[r]] + " " +
                                       (sobol ? index_text(x) : format_quantity(x)));
                entry_width = std::max(entry_width, display_width(line.entries.back()));
            }
            if (!row.note.empty()) {
                line.note = "(" + row.note + ")";
            }
        }
        label_width = std::max(label_width, display_width(line.label));
        lines.push_back(std::move(line));
    }
    for (const Line& line : lines) {
        std::string text =
            "  " + line.label + std::string(label_width - display_width(line.label), ' ');
        for (const std::string& e : line.entries) {
            text += "  " + e + std::string(entry_width - display_width(e), ' ');
        }
        if (!line.note.empty()) {
            text += "  " + line.note;
        }
        while (text.back() == ' ') {
            text.pop_back();
        }
        out += text + "\n";
    }
    // The scalar outputs above may say their intervals include the noise; these do not say so
    // unless it is true.
    out += wrap("replicate noise: not estimated: " + path_noise_reason() + ". " +
                    path_noise_intervals(s),
                "  ", "    ");
    return out;
}

// JSON has no NaN: null says "no number".
Json number(double x) {
    return std::isfinite(x) ? Json(x) : Json(nullptr);
}

Json interval(const Estimate& e) {
    return Json::array({number(e.lo), number(e.hi)});
}

Json factor_json(const SweepSensitivity& s, const OutputSensitivity& o, std::size_t k) {
    Json j;
    if (is_sobol(s)) {
        j["S1"] = number(o.sobol.s1[k].value);
        j["S1_ci"] = interval(o.sobol.s1[k]);
        j["S1_undefined_resamples"] = o.sobol.s1[k].undefined;
        j["ST"] = number(o.sobol.st[k].value);
        j["ST_ci"] = interval(o.sobol.st[k]);
        j["ST_undefined_resamples"] = o.sobol.st[k].undefined;
    } else {
        j["mu_star"] = number(o.morris.mu_star[k].value);
        j["mu_star_ci"] = interval(o.morris.mu_star[k]);
        j["mu_star_undefined_resamples"] = o.morris.mu_star[k].undefined;
        j["mu"] = number(o.morris.mu[k]);
        j["sigma"] = number(o.morris.sigma[k]);
    }
    return j;
}

/// One path's indices per factor, each statistic an array over time.
Json path_json(const SweepSensitivity& s, const experiments::PathSensitivity& p) {
    Json out = Json::object();
    for (std::size_t k = 0; k < s.factors.size(); ++k) {
        Json f = Json::object();
        for (const OutputSensitivity& row : p.rows) {
            const Json at_time = factor_json(s, row, k);
            for (const auto& [key, value] : at_time.items()) {
                if (!f.contains(key)) {
                    f[key] = Json::array();
                }
                f[key].push_back(value);
            }
        }
        out[s.factors[k]] = std::move(f);
    }
    return out;
}

} // namespace

std::string format_sensitivity(const SweepSensitivity& s, const TableStyle& style) {
    std::string out;
    const std::string bootstrap = fmt::format(
        "{} percentile bootstrap intervals from {} resamples (seed {})",
        confidence_text(s.bootstrap.confidence), s.bootstrap.resamples, s.bootstrap.seed);
    if (is_sobol(s)) {
        out += fmt::format("Sobol indices: saltelli design, {} factors, {} base samples ({} "
                           "points)\n",
                           s.factors.size(), s.base_samples, s.points);
        out += "S1 first-order, ST total-order (Saltelli 2010, Jansen 1999); factors ranked by "
               "ST\n";
    } else {
        out += fmt::format("Morris elementary effects: {} trajectories over {} factors ({} "
                           "points)\n",
                           s.base_samples, s.factors.size(), s.points);
        out += "mu* mean |effect|, mu mean effect, sigma their spread, per unit of each factor's "
               "range;\nfactors ranked by mu*\n";
    }
    out += bootstrap + "\n";
    for (const OutputSensitivity& o : s.outputs) {
        out += "\n" + output_table(s, o, style);
    }
    for (const experiments::PathSensitivity& p : s.paths) {
        out += "\n" + path_table(s, p, style);
    }
    if (s.outputs.empty() && s.paths.empty()) {
        out += "\nno outputs analysed\n";
    }
    return out;
}

std::string sensitivity_json(const SweepSensitivity& s) {
    Json doc;
    doc["schema_version"] = 1; // raised when a field changes meaning or disappears
    doc["method"] = is_sobol(s) ? "sobol" : "morris";
    Json outputs = Json::object();
    Json notes = Json::object();
    Json interval_notes = Json::object();
    for (const OutputSensitivity& o : s.outputs) {
        Json factors = Json::object();
        for (std::size_t k = 0; k < s.factors.size(); ++k) {
            factors[s.factors[k]] = factor_json(s, o, k);
        }
        outputs[o.name] = std::move(factors);
        if (!o.note.empty()) {
            notes[o.name] = o.note;
        }
        if (const std::string n = unplaced_note(s, o); !n.empty()) {
            interval_notes[o.name] = n;
        }
    }
    doc["outputs"] = std::move(outputs);
    if (!notes.empty()) {
        doc["notes"] = std::move(notes);
    }
    if (!interval_notes.empty()) {
        doc["interval_notes"] = std::move(interval_notes);
    }
    // The replicate noise of each output: what it is, how it was estimated or why it was not.
    Json noise = Json::object();
    for (const OutputSensitivity& o : s.outputs) {
        Json n;
        n["variance"] = number(o.noise.variance);
        if (is_sobol(s)) {
            n["share_of_variance"] = number(o.noise_share);
        } else {
            n["mu_star_from_noise"] = number(o.noise_mu_star);
        }
        n["in_intervals"] = o.noise_in_intervals;
        if (!o.noise.method.empty()) {
            n["method"] = o.noise.method;
        }
        if (!o.noise.hint.empty()) {
            n["hint"] = o.noise.hint;
        }
        if (!o.noise.reason.empty()) {
            n["reason"] = o.noise.reason;
        }
        noise[o.name] = std::move(n);
    }
    // The time-resolved outputs too, so that no output's noise goes unmentioned.
    for (const experiments::PathSensitivity& p : s.paths) {
        Json n;
        n["variance"] = nullptr;
        n[is_sobol(s) ? "share_of_variance" : "mu_star_from_noise"] = nullptr;
        n["in_intervals"] = !s.common_random_numbers;
        n["reason"] = path_noise_reason() + ". " + path_noise_intervals(s);
        noise[p.name] = std::move(n);
    }
    doc["replicate_noise"] = std::move(noise);
    doc["replicates"] = s.replicates;
    doc["common_random_numbers"] = s.common_random_numbers;
    if (!s.paths.empty()) {
        Json tr;
        tr["time"] = s.time_labels;
        Json paths = Json::object();
        Json path_notes = Json::object();
        Json path_interval_notes = Json::object();
        for (const experiments::PathSensitivity& p : s.paths) {
            paths[p.name] = path_json(s, p);
            Json n = Json::object();
            Json in = Json::object();
            for (const OutputSensitivity& row : p.rows) {
                if (!row.note.empty()) {
                    n[row.name] = row.note;
                }
                if (const std::string note = unplaced_note(s, row); !note.empty()) {
                    in[row.name] = note;
                }
            }
            if (!n.empty()) {
                path_notes[p.name] = std::move(n);
            }
            if (!in.empty()) {
                path_interval_notes[p.name] = std::move(in);
            }
        }
        tr["outputs"] = std::move(paths);
        tr["replicate_noise"] = "not estimated: " + path_noise_reason() + ". " +
                                path_noise_intervals(s) +
                                " (replicate_noise has an entry per path)";
        if (!path_notes.empty()) {
            tr["notes"] = std::move(path_notes);
        }
        if (!path_interval_notes.empty()) {
            tr["interval_notes"] = std::move(path_interval_notes);
        }
        doc["time_resolved"] = std::move(tr);
    }
    return doc.dump(2) + "\n";
}

} // namespace canopy::output
