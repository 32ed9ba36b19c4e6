#pragma once
/// \file report.hpp
/// The planner's report: one self-contained HTML file (no network, no script, printable) with
/// fan charts of every indicator over time, attainment bars per target and policy mix, the
/// budget of each mix, lever effects, the scenario's key inputs with their sources, and whether
/// the parameters come from a calibration.
///
/// The report is drawn from a plain description (Report) that any command fills in: `canopy
/// run` from its runs (report_from_runs.hpp), `compare` and `solve` from theirs. Every chart is
/// SVG drawn here; text that could be too long for its place is shortened with "…" and the full
/// text kept in a tooltip (<title>), so nothing overflows its box.

#include <canopy/output/files.hpp>

#include <array>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace canopy::output {

/// One indicator's spread over time, row by row (row 0: the initial state). NaN where the
/// indicator has no value (a growth before its base month); such rows are left out of the chart.
struct ReportFan {
    std::string id;                      ///< the indicator's id
    std::string label;                   ///< shown as the chart's title (the id if empty)
    std::string unit;                    ///< the indicator's unit
    std::vector<std::string> row_labels; ///< the month each row ends ("2022-12", "2023-01", ...)
    std::vector<double> q05, q25, median, q75, q95; ///< one per row
    /// The month whose end the indicator reads, when it is not the last row (a stock or growth
    /// read at a month, a flow's last month): marked on the chart, which draws the whole series.
    std::string read_at;
    std::string description; ///< the indicator's description, shown under the chart
    /// Targets on this indicator: drawn as horizontal lines labelled with the comparison.
    struct TargetLine {
        std::string comparison; ///< ">", ">=", "<", "<="
        double threshold = 0.0;
        std::string month; ///< where it is judged (a row label; empty: the last row)
    };
    std::vector<TargetLine> targets;
};

/// One target's outcome under one mix. Optional fields are shown when given (paired
/// differences from the base, in `compare`).
struct ReportTarget {
    std::string id;
    std::string label; ///< the target's description (the id if empty)
    std::string unit;
    std::string comparison; ///< ">", ">=", "<", "<="
    double threshold = 0.0;
    double median = 0.0; ///< the indicator's final value: median and 90 % interval
    double q05 = 0.0;
    double q95 = 0.0;
    double p_attain = 0.0; ///< share of replicates that attained, in [0, 1]
    double p_lo = 0.0;     ///< its confidence interval
    double p_hi = 0.0;
    /// The interval the verdict is taken on when it is not [p_lo, p_hi], with its confidence: a
    /// run that --precision stopped before its last look decides on the stricter interval that
    /// look tested (TargetResult::verdict_ci).
    std::optional<std::array<double, 2>> verdict_ci;
    double verdict_confidence = 0.0;
    bool set_by_inputs = false; ///< the inputs alone fix the final value (determination.hpp)
    /// Against Report::probability_wanted (solve): whether the search judged this setting to
    /// reach it; unset elsewhere (the verdict is then against one half).
    std::optional<bool> reaches;
    std::string source;     ///< where the threshold comes from
    std::string assumption; ///< the reasoning behind a threshold with no source (a masked one)
    /// Replicates whose final value is undefined (a growth from zero, a ratio over zero),
    /// counted as missed, of `replicates`.
    std::size_t undefined = 0;
    std::size_t replicates = 0;
    std::optional<double> delta_median; ///< paired difference from the base
    std::optional<std::array<double, 2>> delta_median_ci;
    std::optional<double> delta_p; ///< paired difference in P(attain)
    std::optional<std::array<double, 2>> delta_p_ci;
};

/// An amount of money in one currency unit.
struct ReportCost {
    std::string label; ///< what is paid for (a lever's name, "total", a year)
    double amount = 0.0;
    std::string unit; ///< the currency, e.g. "100m yuan"; never summed across units
};

/// One policy mix (or the base): its cost and its outcomes.
struct ReportMix {
    std::string name; ///< "base" or the mix's name
    std::string description;
    std::vector<ReportCost> totals;      ///< total cost per currency unit
    std::vector<ReportCost> lever_costs; ///< per lever (levers with no cost left out)
    bool over_budget = false;            ///< the mean cost is over one of the scenario's caps
    std::string budget_note;             ///< why (e.g. "2023: 31.2 > cap 30 100m yuan")
    /// The scenario's caps, in the totals' currency; NaN: none. With neither, the budget says
    /// "no cap", not "within".
    double cap_per_year = std::numeric_limits<double>::quiet_NaN();
    double cap_total = std::numeric_limits<double>::quiet_NaN();
    /// Share of replicates whose cost is over a cap, when the cost varies between replicates.
    std::optional<double> p_over_budget;
    std::vector<ReportTarget> targets; ///< scenario order
    std::vector<ReportFan> fans;       ///< indicators over time; may be empty (no charts)
};

/// What changing one lever does to one target (a lever's range, a mix against the base): drawn
/// as a tornado chart per target, longest bar first. Effects that say whether the lever `moves`
/// the target (`canopy run --report-levers`) are also listed in a table per target.
struct ReportLeverEffect {
    std::string lever;
    std::string change;   ///< what was changed, e.g. "x 1.5" or "80 -> 120 bn yuan"
    std::string target;   ///< a target id
    double delta_p = 0.0; ///< change in P(attain)
    std::optional<std::array<double, 2>> delta_p_ci;
    std::optional<double> delta_median; ///< change in the median final value
    std::optional<std::array<double, 2>> delta_median_ci;
    std::optional<double> median_before; ///< the median final value before the change
    std::optional<double> p_before;      ///< P(attain) before the change
    std::optional<bool> moves;           ///< an interval excludes zero (lever_effects.hpp)
};

/// One input of the scenario with where it comes from.
struct ReportInput {
    std::string name;
    std::string role;  ///< "baseline", "parameter" or "lever"
    std::string value; ///< as a planner reads it: "9,100 firms", "beta(4, 60)", "step 80 -> 120"
    std::string source;
    std::string assumption;
};

/// A table of facts a command gathered (e.g. every setting a solve evaluated), shown as given.
struct ReportTable {
    std::string id;      ///< the section's HTML id, e.g. "search"
    std::string title;   ///< its heading
    std::string caption; ///< what the table shows, before it
    std::vector<std::string> columns;
    std::vector<bool> numeric; ///< per column: right-aligned, kept on one line
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> emphasised;   ///< per row: shown in bold (e.g. the answer); may be shorter
    std::vector<std::string> notes; ///< lines after the table
};

/// Whether the scenario's parameters come from a calibration posterior.
struct ReportCalibration {
    bool calibrated = false;
    std::string origin;                  ///< the posterior file
    std::vector<std::string> parameters; ///< the columns drawn jointly
    std::size_t particles = 0;
};

/// Everything a report shows. Sections with nothing to show are left out.
struct Report {
    std::string title;    ///< the page's heading (the scenario's title, or its name)
    std::string subtitle; ///< e.g. "canopy run: 400 replicates, seed 20230101"
    /// Facts about the run shown as a list: ("Model", "innovation_ecosystem"), ("Horizon", ...).
    std::vector<std::array<std::string, 2>> facts;
    std::vector<ReportMix> mixes; ///< the base (or the mix run) first
    std::vector<ReportLeverEffect> lever_effects;
    /// Each of lever_effects is a whole policy mix against the base (compare), not one lever.
    bool effects_are_mixes = false;
    /// How the lever effects were measured, and what was left out.
    std::vector<std::string> lever_effect_notes;
    std::vector<ReportInput> inputs;
    /// Notes under the inputs' table (e.g. that solve set a lever to the levels it searched).
    std::vector<std::string> input_notes;
    /// Where the budget's caps come from (shown under the budget table when there are caps).
    std::string budget_source;
    std::string budget_assumption;
    ReportCalibration calibration;
    /// Set by solve: P(attain) is judged against this probability, not against one half (the
    /// verdict column says whether the setting reaches it; the charts draw their line there).
    std::optional<double> probability_wanted;
    /// Set by `solve --assured`: a setting reaches probability_wanted only when its interval's
    /// lower end does (the verdict column's heading says so).
    bool probability_assured = false;
    std::vector<ReportTable> tables; ///< after the attainment, before the budgets
    std::vector<std::string> notes;  ///< paragraphs shown after the summary (e.g. a solve answer)
};

/// The report as one HTML document (UTF-8): inline CSS and SVG, no script, no external
/// resource. Deterministic: the same Report gives the same bytes.
std::string render_report_html(const Report& report);

/// Writes the report to a temporary file beside `path`, for the caller to commit together with
/// its other outputs (files.hpp). Throws canopy::Error naming `path` on failure.
[[nodiscard]] TemporaryFile write_report_temporary(const std::filesystem::path& path,
                                                   const Report& report);

/// Writes the report to `path` (temporary file and rename).
void write_report(const std::filesystem::path& path, const Report& report);

} // namespace canopy::output
