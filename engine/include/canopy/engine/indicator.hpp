#pragma once
/// \file indicator.hpp
/// Indicators: what a planner measures, computed from a run's series.
///
/// Five kinds (DESIGN.md section 1):
///   stock   the value of a stock series at the end of month `at`
///   flow    a flow series summed over the months `from` .. `to` inclusive
///   growth  scale * (stock at `at` / stock at `from` - 1); with scale = 100, a percentage
///   ratio   scale * (indicator `numerator` / indicator `denominator`)
///   change  scale * (indicator `of` - its time series at the end of month `from`): a rise in
///           points of a share, say (a plan's "提升 1 个百分点"), from the plan's base year
/// and every kind is multiplied by `scale` (unit conversions, percent). A growth from a zero
/// base and a ratio over zero are undefined: NaN, not an infinity (target.hpp counts a NaN
/// final as not attained, and the outputs say in how many replicates it happened).
///
/// A run's series table has steps + 1 rows: row 0 is the initial state (the end of the month
/// before the start), row s + 1 the end of step s. A stock at a month before the start reads
/// row 0 when that month is the one just before the start.
///
/// Each indicator has a final value per replicate (the number targets compare) and a time
/// series per replicate (for charts): stock -> the stock; flow -> the running sum since
/// `from` (zero before it, held at the total after `to`); growth -> against the base value
/// once the base is known (NaN before); ratio -> the ratio of the two series; change -> the
/// series of `of` less its value at the end of `from` (NaN before).

#include <canopy/engine/calendar.hpp>
#include <canopy/engine/model.hpp>

#include <array>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace canopy::engine {

struct SeriesTable;

/// An indicator as a scenario declares it.
struct IndicatorSpec {
    enum class Kind { stock, flow, growth, ratio, change };
    std::string id;
    std::string unit;
    std::string description;
    Kind kind = Kind::stock;
    std::string series;      ///< stock, flow, growth: the model series
    YearMonth at;            ///< stock, growth: the month whose end is read
    YearMonth from;          ///< flow: first month; growth, change: base month
    YearMonth to;            ///< flow: last month
    std::string numerator;   ///< ratio: an indicator id
    std::string denominator; ///< ratio: an indicator id
    std::string of;          ///< change: an indicator id
    double scale = 1.0;
};

/// "stock", "flow", "growth", "ratio", "change".
const char* to_string(IndicatorSpec::Kind kind) noexcept;

/// A set of indicators resolved against one model and calendar: names became indices, dates
/// became rows, so evaluation does no lookup.
class IndicatorSet {
public:
    /// Resolves the specs. Throws canopy::Error naming the indicator and the field when a series
    /// or indicator does not exist, a date is outside the run, a ratio or change refers to
    /// itself (or in a cycle), a flow's `from` is after its `to` or a growth's `from` after its
    /// `at`, an id is used twice, or a scale is not finite. (Scenario validation reports the same
    /// problems as diagnostics before this point; this is the library's own guard.)
    IndicatorSet(std::vector<IndicatorSpec> specs, const ModelInfo& model, const Calendar& cal);

    [[nodiscard]] std::size_t size() const noexcept { return specs_.size(); }
    [[nodiscard]] const std::vector<IndicatorSpec>& specs() const noexcept { return specs_; }
    /// Index of an indicator id, or -1.
    [[nodiscard]] int index(const std::string& id) const;

    /// Final values of every indicator for one run (length size()).
    void finals(const SeriesTable& run, std::span<double> out) const;

    /// Time series of indicator i for one run (length run.steps + 1, one per table row). A
    /// ratio's or change's inputs are evaluated too (without recursion, however long the chain).
    void series(std::size_t i, const SeriesTable& run, std::span<double> out) const;

    /// Time series of indicator i given, for a ratio, the time series of its numerator and
    /// denominator, for a change the time series of `of` as `numerator` and an empty
    /// `denominator` (inputs(i); each one row per table row; empty for other kinds). Lets a
    /// caller that writes every indicator evaluate each once, in order(), reusing the inputs.
    void series(std::size_t i, const SeriesTable& run, std::span<double> out,
                std::span<const double> numerator, std::span<const double> denominator) const;

    /// The indicators i is computed from: a ratio's {numerator, denominator}, a change's {of,
    /// -1}; {-1, -1} for other kinds.
    [[nodiscard]] std::array<int, 2> inputs(std::size_t i) const;

    /// Every indicator index once, each after its inputs (the order finals() uses).
    [[nodiscard]] const std::vector<std::size_t>& order() const noexcept { return order_; }

private:
    struct Resolved {
        int series = -1;
        int row_at = -1;   ///< stock/growth: row read
        int row_from = -1; ///< growth, change: base row; flow: first row summed (>= 1)
        int row_to = -1;   ///< flow: last row summed
        /// flow: the share of row_from's and row_to's steps inside the months from .. to. 1 for
        /// monthly steps; a week across the period's first or last day counts by its days in it.
        double share_from = 1.0;
        double share_to = 1.0;
        /// flow: the weight of row `row` (from row_from to row_to) in the sum.
        [[nodiscard]] double share(int row) const noexcept {
            return row == row_from ? share_from : row == row_to ? share_to : 1.0;
        }
        int numerator = -1;   ///< ratio: numerator; change: `of`
        int denominator = -1; ///< ratio: denominator
        /// growth, ratio: the scale as whole numbers scale_up / scale_down, scale_down a power of
        /// ten, read from its shortest decimal (0.1 is 1 / 10); 0 / 0 when it has no such form
        /// within a double's exact integers.
        double scale_up = 0.0;
        double scale_down = 0.0;
    };
    void order_inputs();
    void check_series_call(std::size_t i, std::span<const double> out) const;

    std::vector<IndicatorSpec> specs_;
    std::unordered_map<std::string, std::size_t> index_; ///< id -> position
    std::vector<Resolved> resolved_;
    std::vector<std::size_t> order_; ///< evaluation order (each after its inputs)
    /// 1 for each indicator whose chart a change reads its base from (the change's input and
    /// what that is computed from); empty when the set has no change.
    std::vector<char> charted_;
    int rows_ = 0;
};

} // namespace canopy::engine
