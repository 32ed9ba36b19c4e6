#pragma once
/// \file calendar.hpp
/// The simulation clock: a start month, a number of steps and a step length (month or week).
///
/// Step s covers the interval [start + s*dt, start + (s+1)*dt). Dates a planner writes are months
/// ("2023-12"); a step belongs to the month in which it starts. "The stock at 2023-12" is the
/// value at the end of the last step that starts in December 2023, "the flow over 2023" sums
/// the steps that start in 2023.

#include <string>

namespace canopy::engine {

/// A calendar month.
struct YearMonth {
    int year = 2000;
    int month = 1; ///< 1..12

    friend auto operator<=>(const YearMonth&, const YearMonth&) = default;
    /// Months since year 0 (for differences).
    [[nodiscard]] int index() const noexcept { return year * 12 + (month - 1); }
    /// "YYYY-MM".
    [[nodiscard]] std::string str() const;
};

/// Length of one step.
enum class TimeUnit { month, week };

/// The clock of one run. Immutable once built.
class Calendar {
public:
    /// Throws canopy::Error if steps < 1 or the start month is not a real month.
    Calendar(YearMonth start, int steps, TimeUnit unit = TimeUnit::month);

    [[nodiscard]] YearMonth start() const noexcept { return start_; }
    [[nodiscard]] int steps() const noexcept { return steps_; }
    [[nodiscard]] TimeUnit unit() const noexcept { return unit_; }

    /// Step length in months: 1 for monthly steps, 12 * 7 / 365.25 for weekly steps.
    [[nodiscard]] double dt_months() const noexcept;
    /// Step length in years.
    [[nodiscard]] double dt_years() const noexcept { return dt_months() / 12.0; }

    /// Elapsed months from the start to the beginning of step s.
    [[nodiscard]] double months_at_start(int s) const noexcept { return s * dt_months(); }
    /// The month in which step s starts.
    [[nodiscard]] YearMonth month_of_step(int s) const;
    /// Elapsed months (from the start) at the beginning of month ym; may be negative.
    [[nodiscard]] double months_until(YearMonth ym) const noexcept;

    /// The last step that starts in month ym, or -1 if no step does.
    [[nodiscard]] int last_step_in(YearMonth ym) const;
    /// The first step that starts in month ym, or -1 if no step does.
    [[nodiscard]] int first_step_in(YearMonth ym) const;
    /// True when step s is the last step that starts in its month.
    [[nodiscard]] bool is_month_end(int s) const;

    /// The share of step s's days that fall in the calendar year the step starts in: 1 for
    /// monthly steps and for weeks inside one year; for a week that straddles New Year, its days
    /// before 1 January over 7 (a week from 30 December: 2/7).
    [[nodiscard]] double share_in_start_year(int s) const;
    /// The share of step s's days that fall in the months from .. to (inclusive): for monthly
    /// steps 1 when step s's month is one of them, else 0; for weeks the days inside over 7.
    [[nodiscard]] double share_in_months(int s, YearMonth from, YearMonth to) const;

    /// The month the horizon ends in (the month of the last step).
    [[nodiscard]] YearMonth end() const { return month_of_step(steps_ - 1); }

    /// A label for step s: "2023-04" for monthly steps, "2023-04-w2" (second step starting in
    /// that month) for weekly steps.
    [[nodiscard]] std::string label(int s) const;

private:
    YearMonth start_;
    int steps_;
    TimeUnit unit_;
};

/// Parses "YYYY-MM"; returns false (and leaves out untouched) on anything else.
bool parse_year_month(const std::string& text, YearMonth& out);

} // namespace canopy::engine
