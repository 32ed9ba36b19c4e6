#pragma once
/// \file table.hpp
/// The terminal view of a run: a header saying what was run, and one row per target.
///
///     target            goal              median   90 % interval       P(attain)  95 % CI verdict
///     leaders_2023      >= 70 firms       77       [66, 89]            87.5 %     [74.1, 94.5]
///     likely
///
/// The verdict reads the confidence interval of P(attain) against one half:
///   likely     the whole interval lies above 0.5 (lo > 0.5)
///   unlikely   the whole interval lies below 0.5 (hi < 0.5)
///   uncertain  the interval contains 0.5 (more replicates may settle it, or the odds are even)
/// so a verdict only says "likely" when the replicates support it at the stated confidence, not
/// when P(attain) merely happens to exceed one half.
///
/// Text is aligned by display width (CJK characters count two columns) and reads the same
/// without colour; colour only marks the verdicts and the header.

#include <canopy/output/summary.hpp>

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace canopy::output {

/// The verdict on one target.
enum class Verdict { likely, uncertain, unlikely, unknown };

/// The verdict for an interval around P(attain) (see the file comment); NaN ends: unknown.
Verdict verdict(const engine::Interval& p_attain_ci) noexcept;

/// A target's verdict, as every output gives it (the table, JSON's and HDF5's `verdict`, the
/// report): unknown when no replicate gave a number, else verdict() of the interval it is taken
/// on, TargetResult::verdict_ci under a precision rule that looks more than once, else the
/// target's P(attain) interval.
Verdict target_verdict(const TargetResult& t) noexcept;

/// "likely", "uncertain", "unlikely", "n/a".
const char* to_string(Verdict v) noexcept;

/// How to render.
struct TableStyle {
    bool colour = false; ///< ANSI colour escapes
};

/// Whether colour is wanted on `stream`: it is a terminal and NO_COLOR is unset or empty
/// (https://no-color.org: a non-empty NO_COLOR turns colour off).
bool use_colour(std::FILE* stream);

/// Text from a scenario as a terminal should show it: control characters (ANSI escapes
/// included, and the C1 controls U+0080..U+009F) written as "\x1b" rather than obeyed, line
/// breaks and tabs as spaces. Every cell of the tables goes through it.
std::string printable(const std::string& text);

/// The run's header: scenario name and title, model, horizon, seed, replicates, policy mix.
std::string format_header(const EnsembleSummary& summary, const TableStyle& style = {});

/// One row per target (scenario order), with a column heading line; a note when there are no
/// targets.
std::string format_target_table(const EnsembleSummary& summary, const TableStyle& style = {});

/// What the levers cost, in the scenario's currency: one row per priced lever with its cost in
/// each calendar year, its total and (for per-outcome prices) the 90 % interval over
/// replicates; the total; the budget caps and whether the mean cost exceeds them.
std::string format_cost_table(const EnsembleSummary& summary, const TableStyle& style = {});

/// P(attain) with its interval per target (rows) and policy mix (columns), plus each mix's
/// total cost. `runs` are summaries of the same scenario under different mixes, base first.
std::string format_mix_comparison(std::span<const EnsembleSummary> runs,
                                  const TableStyle& style = {});

/// Rows of cells as aligned, left-justified columns separated by two spaces, each line
/// prefixed with `indent` spaces (for plain listings such as `canopy models`).
std::string format_columns(const std::vector<std::vector<std::string>>& rows,
                           std::size_t indent = 0);

/// A quantity for a table cell: thousands grouped ("13,452"), a few significant digits for
/// small numbers ("8.53", "0.0412"), scientific beyond 1e12, "n/a" for NaN, "inf"/"-inf".
std::string format_quantity(double x);

/// A probability as a percentage with one decimal: "87.5 %"; "n/a" for NaN.
std::string format_percent(double p);

/// A lever level as `--set NAME=LEVEL` reads it back: the shortest decimal that parses to the
/// same double ("1.0546875", "72.5", "2000000", "1e-07"), never rounded, never grouped, so a
/// level pasted from the output reruns the very setting printed. "n/a" for NaN, "inf"/"-inf".
std::string format_level(double x);

/// A P(attain) interval in percent with one decimal: "[51.6, 65.1]"; "n/a" for NaN ends.
std::string percent_interval_text(const engine::Interval& ci);

/// A comparison as a page writes it: "≥" and "≤" for ">=" and "<=", others as they are.
std::string comparison_symbol(const std::string& comparison);

/// Where a precision rule stopped, as the header and the report say it: "every target settled
/// to +/-0.02 (800 of at most 1000 replicates)" (or not every, or no target to settle).
std::string precision_text(const EnsembleSummary& s);

/// Said under the verdict line of a run under a precision rule that could look more than once:
/// its verdicts are taken on the `verdict_confidence` interval its looks test, wherever it
/// stopped, not on the `confidence` one shown (docs/scenario-format.md, "precision").
std::string stopped_verdict_note(double verdict_confidence, double confidence);

/// The number of terminal columns `text` (UTF-8) takes: wide East Asian characters count two,
/// combining marks zero, everything else one.
std::size_t display_width(std::string_view text);

} // namespace canopy::output
