#pragma once
/// \file observations.hpp
/// Observed history and how one figure is compared with the model.
///
/// The data are a CSV in the format of scenarios/data/wuhan-history.csv: a header
/// `series,year,value,unit,source,quote` and one published figure a row (RFC 4180 quoting).
/// A calibration file maps series of it to the model (calibration.hpp); each mapped row becomes
/// an Observation: which model quantity it measures (a stock at a month, a flow over months,
/// the change or the growth of a stock over a year), how far it can be trusted (its error
/// model) and whether it is fitted or held back.
///
/// The error model (docs/calibration.md gives the defaults and why). A figure y compared with a
/// simulated value x, with standard deviation sd:
///   two-sided (an exact, approximate or forecast figure)   log L = -(x - y)^2 / (2 sd^2)
///   one-sided (a lower bound: 突破 / 超 / 以上)            log L = log Phi((x - y) / sd)
/// both relative to their largest value (0 at x = y, or as x grows past a bound), so log L <= 0
/// and a perfect fit scores 0. sd = relative_sd * |y| (or an absolute sd), times the
/// approximation factor for an approximate figure (约 / 左右) and the forecast factor for a
/// forecast (预计), which down-weights them.

#include <canopy/engine/calendar.hpp>
#include <canopy/engine/diagnostics.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace canopy::experiments {

/// One row of a history CSV.
struct DataRow {
    std::string series;
    int year = 0;
    double value = 0.0;
    std::string unit;
    std::string source;
    std::string quote;
    int line = 0;         ///< 1-based line of the row in the file
    int value_column = 1; ///< 1-based columns of the value and unit fields, for errors there
    int unit_column = 1;
};

/// A history CSV, read and checked.
struct DataFile {
    std::filesystem::path path;
    std::string sha256; ///< of the file's bytes, in hex: a posterior records which data it saw
    std::vector<DataRow> rows;
};

/// Reads a history CSV. Every problem is a diagnostic with the file, line, column and the
/// column's name (`value`, `year`, ...): an unreadable or empty file, a header without the
/// columns series, year, value, unit, source, quote, a row with the wrong number of fields, an
/// unterminated quote, an empty series, a year that is not a whole number in 1 .. 9999, a value
/// that is not a finite number. Returns the rows only when there was no error.
std::optional<DataFile> read_data_csv(const std::filesystem::path& path,
                                      engine::Diagnostics& diagnostics);

/// SHA-256 of bytes, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

/// What a figure measures in the model.
enum class Measure {
    stock,  ///< a stock series at the end of month `at`
    flow,   ///< a flow series summed over months `from` .. `to`
    change, ///< a stock series at `at` minus its value at `from` (a net increase)
    growth  ///< 100 * (stock at `at` / stock at `from` - 1), in percent
};

/// "stock", "flow", "change", "growth".
const char* to_string(Measure measure) noexcept;

/// One published figure compared with the model.
struct Observation {
    std::string id;      ///< "<mapping>_<year>", with "_2", "_3" for further rows of one year
    std::string mapping; ///< the [observations.<mapping>] it comes from
    DataRow row;         ///< the CSV row (series, year, value, unit, source, quote, line)
    Measure measure = Measure::stock;
    std::string model_series; ///< the model series it measures
    engine::YearMonth at;     ///< stock, change, growth: the month whose end is read
    engine::YearMonth from;   ///< flow: first month; change, growth: the base month
    engine::YearMonth to;     ///< flow: last month
    double scale = 1.0;       ///< model units -> the figure's units
    bool lower_bound = false; ///< one-sided: the figure is a floor (突破 / 超 / 以上)
    bool approximate = false; ///< 约 / 左右: a wider error
    bool forecast = false;    ///< 预计: a wider error (down-weighted)
    double sd = 0.0;          ///< standard deviation of the comparison, in the figure's units
    bool fitted = true;       ///< false: held back by fit_until, projected instead
    /// Indices into the calibration scenario's indicators: one (stock, flow, growth) or two
    /// (change: the value at `at`, then the value at `from`).
    std::vector<std::size_t> indicators;

    /// "exact", "lower bound", "approximate", "forecast", "approximate forecast", ...
    [[nodiscard]] std::string kind_text() const;
    /// The simulated figure from one replicate's indicator finals (scenario order).
    [[nodiscard]] double simulated(std::span<const double> finals) const;
};

/// The error model's log-likelihood of simulated value x for the observation, relative to its
/// largest value (see the file comment): <= 0, and -infinity only for NaN x.
double log_likelihood(const Observation& observation, double x);

/// The standardised residual (x - y) / sd (for a lower bound, 0 once x is at or past it).
double residual(const Observation& observation, double x);

} // namespace canopy::experiments
