// The simulation clock. Monthly steps map one-to-one onto months; weekly steps are counted in
// real days from the 1st of the start month, so a week belongs to the month (of the proleptic
// Gregorian calendar, leap years included) in which its first day falls.
#include <canopy/engine/calendar.hpp>
#include <canopy/engine/error.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace canopy::engine {

namespace {

constexpr int MIN_YEAR = 1;
constexpr int MAX_YEAR = 9999; // so that every month prints as "YYYY-MM"
constexpr std::int64_t DAYS_PER_WEEK = 7;
// 12 months per 365.25 days, 7 days per week: the mean Julian-year week in months.
constexpr double WEEK_MONTHS = 12.0 * 7.0 / 365.25;

// Floor division for a positive divisor (C++ division truncates towards zero).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = floor_div(y, 400);
    const std::int64_t yoe = y - era * 400;                         // [0, 399]
    const std::int64_t mp = (m + 9) % 12;                           // March = 0
    const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;            // [0, 365]
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    return era * 146097 + doe - 719468;
}

// The month containing a day counted as in days_from_civil (Hinnant's civil_from_days).
YearMonth month_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = floor_div(z, 146097);
    const std::int64_t doe = z - era * 146097;                                      // [0, 146096]
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               // [0, 365]
    const std::int64_t mp = (5 * doy + 2) / 153;                                    // [0, 11]
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return YearMonth{static_cast<int>(y), static_cast<int>(m)};
}

std::int64_t first_day(YearMonth ym) {
    return days_from_civil(ym.year, ym.month, 1);
}

YearMonth next_month(YearMonth ym) {
    return ym.month == 12 ? YearMonth{ym.year + 1, 1} : YearMonth{ym.year, ym.month + 1};
}

YearMonth add_months(YearMonth ym, std::int64_t n) {
    const std::int64_t i = static_cast<std::int64_t>(ym.year) * 12 + (ym.month - 1) + n;
    return YearMonth{static_cast<int>(floor_div(i, 12)),
                     static_cast<int>(i - floor_div(i, 12) * 12) + 1};
}

// Steps, as integers in the clock's own unit, from the start to the beginning of month ym:
// for monthly steps months, for weekly steps days (divide by 7 for fractional weeks).
std::int64_t offset_of(const Calendar& cal, YearMonth ym) {
    if (cal.unit() == TimeUnit::month) {
        return ym.index() - cal.start().index();
    }
    return first_day(ym) - first_day(cal.start());
}

std::int64_t per_step(const Calendar& cal) {
    return cal.unit() == TimeUnit::month ? 1 : DAYS_PER_WEEK;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

std::string YearMonth::str() const {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d", year, month);
    return buffer;
}

Calendar::Calendar(YearMonth start, int steps, TimeUnit unit)
    : start_(start)
    , steps_(steps)
    , unit_(unit) {
    if (start.month < 1 || start.month > 12 || start.year < MIN_YEAR || start.year > MAX_YEAR) {
        throw Error("calendar start " + std::to_string(start.year) + "-" +
                    std::to_string(start.month) + " is not a month between 0001-01 and 9999-12");
    }
    if (steps < 1) {
        throw Error("calendar needs at least one step, got " + std::to_string(steps));
    }
    if (unit != TimeUnit::month && unit != TimeUnit::week) {
        throw Error("calendar time unit is neither month nor week");
    }
}

double Calendar::dt_months() const noexcept {
    return unit_ == TimeUnit::month ? 1.0 : WEEK_MONTHS;
}

YearMonth Calendar::month_of_step(int s) const {
    if (unit_ == TimeUnit::month) {
        return add_months(start_, s);
    }
    return month_from_days(first_day(start_) + DAYS_PER_WEEK * s);
}

double Calendar::share_in_start_year(int s) const {
    const int year = month_of_step(s).year;
    return share_in_months(s, YearMonth{year, 1}, YearMonth{year, 12});
}

double Calendar::share_in_months(int s, YearMonth from, YearMonth to) const {
    if (unit_ == TimeUnit::month) {
        const YearMonth ym = month_of_step(s);
        return from <= ym && ym <= to ? 1.0 : 0.0;
    }
    const std::int64_t day = first_day(start_) + DAYS_PER_WEEK * s;
    const std::int64_t begin = std::max(day, first_day(from));
    const std::int64_t end = std::min(day + DAYS_PER_WEEK, first_day(next_month(to)));
    if (end <= begin) {
        return 0.0;
    }
    return end - begin == DAYS_PER_WEEK
               ? 1.0
               : static_cast<double>(end - begin) / static_cast<double>(DAYS_PER_WEEK);
}

double Calendar::months_until(YearMonth ym) const noexcept {
    const auto offset = offset_of(*this, ym);
    if (unit_ == TimeUnit::month) {
        return static_cast<double>(offset);
    }
    // Days converted as (days / 7) * dt: when the month starts exactly on a step's first day
    // this is bit-identical to months_at_start(s), so "t >= months_until(ym)" selects exactly
    // the steps that start in or after ym (multiplication by dt is monotone).
    return (static_cast<double>(offset) / static_cast<double>(DAYS_PER_WEEK)) * WEEK_MONTHS;
}

int Calendar::first_step_in(YearMonth ym) const {
    const std::int64_t d = per_step(*this);
    const std::int64_t begin = offset_of(*this, ym);                     // first unit of ym
    const std::int64_t end = offset_of(*this, next_month(ym));           // first unit after ym
    const std::int64_t s = begin <= 0 ? 0 : floor_div(begin + d - 1, d); // first step >= begin
    if (s * d >= end || s >= steps_ || end <= 0) {
        return -1;
    }
    return static_cast<int>(s);
}

int Calendar::last_step_in(YearMonth ym) const {
    const std::int64_t d = per_step(*this);
    const std::int64_t begin = offset_of(*this, ym);
    const std::int64_t end = offset_of(*this, next_month(ym));
    if (end <= 0) {
        return -1;
    }
    std::int64_t s = floor_div(end - 1, d); // last step starting before end
    if (s >= steps_) {
        s = steps_ - 1; // the horizon ends inside ym: its last step is the run's last
    }
    if (s < 0 || s * d < begin) {
        return -1;
    }
    return static_cast<int>(s);
}

bool Calendar::is_month_end(int s) const {
    return s >= 0 && s < steps_ && last_step_in(month_of_step(s)) == s;
}

std::string Calendar::label(int s) const {
    const YearMonth ym = month_of_step(s);
    if (unit_ == TimeUnit::month) {
        return ym.str();
    }
    const std::int64_t begin = offset_of(*this, ym);
    const std::int64_t first = begin <= 0 ? 0 : floor_div(begin + DAYS_PER_WEEK - 1, DAYS_PER_WEEK);
    return ym.str() + "-w" + std::to_string(static_cast<std::int64_t>(s) - first + 1);
}

bool parse_year_month(const std::string& text, YearMonth& out) {
    if (text.size() != 7 || text[4] != '-') {
        return false;
    }
    for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U}) {
        if (!is_digit(text[i])) {
            return false;
        }
    }
    const int year =
        (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    const int month = (text[5] - '0') * 10 + (text[6] - '0');
    if (year < MIN_YEAR || month < 1 || month > 12) {
        return false;
    }
    out = YearMonth{year, month};
    return true;
}

} // namespace canopy::engine
