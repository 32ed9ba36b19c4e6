// The month calendar: which step belongs to which month, for monthly and weekly steps.
#include <canopy/engine/calendar.hpp>
#include <canopy/engine/error.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using namespace canopy::engine;

namespace {

// An independent reference for weekly steps: the month of the day start + 7 s, by std::chrono.
YearMonth chrono_month_of_week(YearMonth start, int s) {
    using namespace std::chrono;
    const sys_days first = year{start.year} / month{static_cast<unsigned>(start.month)} / 1;
    const year_month_day ymd{first + days{7 * s}};
    return YearMonth{static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month()))};
}

// first_step_in, last_step_in and is_month_end must agree with month_of_step for every step.
void check_consistent(const Calendar& cal) {
    for (int s = 0; s < cal.steps(); ++s) {
        const YearMonth ym = cal.month_of_step(s);
        const bool first = s == 0 || cal.month_of_step(s - 1) != ym;
        const bool last = s == cal.steps() - 1 || cal.month_of_step(s + 1) != ym;
        CHECK((cal.first_step_in(ym) == s) == first);
        CHECK((cal.last_step_in(ym) == s) == last);
        CHECK(cal.is_month_end(s) == last);
        CHECK(cal.first_step_in(ym) <= s);
        CHECK(cal.last_step_in(ym) >= s);
    }
}

} // namespace

TEST_CASE("YearMonth prints as YYYY-MM and orders by time", "[calendar]") {
    CHECK(YearMonth{2023, 4}.str() == "2023-04");
    CHECK(YearMonth{987, 12}.str() == "0987-12");
    CHECK(YearMonth{2023, 12} < YearMonth{2024, 1});
    CHECK(YearMonth{2024, 1}.index() - YearMonth{2023, 12}.index() == 1);
}

TEST_CASE("parse_year_month accepts YYYY-MM and nothing else", "[calendar]") {
    YearMonth ym{1999, 7};
    REQUIRE(parse_year_month("2023-12", ym));
    CHECK(ym == YearMonth{2023, 12});
    REQUIRE(parse_year_month("2024-01", ym));
    CHECK(ym == YearMonth{2024, 1});

    const YearMonth untouched = ym;
    for (const char* bad :
         {"2023-13", "2023-00", "2023-1", "23-01", "2023-01 ", " 2023-01", "2023-01-01", "2023/01",
          "2023-0a", "20a3-01", "", "0000-01", "+023-01", "2023--1", "2023-12x"}) {
        INFO(bad);
        CHECK_FALSE(parse_year_month(bad, ym));
        CHECK(ym == untouched);
    }
}

TEST_CASE("A calendar rejects an impossible start or no steps", "[calendar]") {
    CHECK_THROWS_AS(Calendar(YearMonth{2023, 0}, 12), canopy::Error);
    CHECK_THROWS_AS(Calendar(YearMonth{2023, 13}, 12), canopy::Error);
    CHECK_THROWS_AS(Calendar(YearMonth{0, 1}, 12), canopy::Error);
    CHECK_THROWS_AS(Calendar(YearMonth{2023, 1}, 0), canopy::Error);
    CHECK_THROWS_AS(Calendar(YearMonth{2023, 1}, -3, TimeUnit::week), canopy::Error);
    CHECK_NOTHROW(Calendar(YearMonth{2023, 1}, 1));
}

TEST_CASE("Monthly steps map one-to-one onto months across a year boundary", "[calendar]") {
    const Calendar cal(YearMonth{2023, 11}, 4);
    CHECK(cal.dt_months() == 1.0);
    CHECK(cal.dt_years() == Approx(1.0 / 12.0));
    CHECK(cal.month_of_step(0) == YearMonth{2023, 11});
    CHECK(cal.month_of_step(1) == YearMonth{2023, 12});
    CHECK(cal.month_of_step(2) == YearMonth{2024, 1});
    CHECK(cal.month_of_step(3) == YearMonth{2024, 2});
    CHECK(cal.end() == YearMonth{2024, 2});
    CHECK(cal.months_at_start(3) == 3.0);

    CHECK(cal.first_step_in(YearMonth{2024, 1}) == 2);
    CHECK(cal.last_step_in(YearMonth{2024, 1}) == 2);
    CHECK(cal.first_step_in(YearMonth{2023, 10}) == -1);
    CHECK(cal.last_step_in(YearMonth{2023, 10}) == -1);
    CHECK(cal.first_step_in(YearMonth{2024, 3}) == -1);
    CHECK(cal.last_step_in(YearMonth{2024, 3}) == -1);
    for (int s = 0; s < 4; ++s) {
        CHECK(cal.is_month_end(s));
    }

    CHECK(cal.months_until(YearMonth{2023, 11}) == 0.0);
    CHECK(cal.months_until(YearMonth{2024, 11}) == 12.0);
    CHECK(cal.months_until(YearMonth{2023, 10}) == -1.0);

    CHECK(cal.label(0) == "2023-11");
    CHECK(cal.label(2) == "2024-01");
}

TEST_CASE("Weekly steps are 7 days long and belong to the month they start in", "[calendar]") {
    const Calendar cal(YearMonth{2023, 1}, 53, TimeUnit::week);
    CHECK(cal.dt_months() == Approx(12.0 * 7.0 / 365.25));
    CHECK(cal.months_at_start(2) == Approx(2 * 12.0 * 7.0 / 365.25));

    // 1 Jan 2023 starts step 0; Jan has days 0..30, so steps 0..4 (Jan 1, 8, 15, 22, 29).
    CHECK(cal.first_step_in(YearMonth{2023, 1}) == 0);
    CHECK(cal.last_step_in(YearMonth{2023, 1}) == 4);
    // Feb 1 is day 31: the first February step is day 35 (Feb 5), the last day 56 (Feb 26).
    CHECK(cal.first_step_in(YearMonth{2023, 2}) == 5);
    CHECK(cal.last_step_in(YearMonth{2023, 2}) == 8);
    CHECK(cal.month_of_step(4) == YearMonth{2023, 1});
    CHECK(cal.month_of_step(5) == YearMonth{2023, 2});
    // Step 52 starts on day 364, 31 Dec 2023.
    CHECK(cal.month_of_step(52) == YearMonth{2023, 12});
    CHECK(cal.end() == YearMonth{2023, 12});
    CHECK(cal.last_step_in(YearMonth{2023, 12}) == 52);
    CHECK(cal.first_step_in(YearMonth{2024, 1}) == -1);

    CHECK(cal.label(0) == "2023-01-w1");
    CHECK(cal.label(4) == "2023-01-w5");
    CHECK(cal.label(5) == "2023-02-w1");
    CHECK(cal.label(8) == "2023-02-w4");
    CHECK(cal.is_month_end(4));
    CHECK_FALSE(cal.is_month_end(3));
    check_consistent(cal);
}

TEST_CASE("A weekly horizon ending inside a month ends that month at its last step", "[calendar]") {
    // 52 weeks from 1 Jan 2023 stop before 31 Dec: December's last step is the run's last.
    const Calendar cal(YearMonth{2023, 1}, 52, TimeUnit::week);
    CHECK(cal.month_of_step(51) == YearMonth{2023, 12});
    CHECK(cal.last_step_in(YearMonth{2023, 12}) == 51);
    CHECK(cal.is_month_end(51));
    CHECK_FALSE(cal.is_month_end(52)); // outside the run
}

TEST_CASE("Weekly steps honour leap years", "[calendar]") {
    // February 2024 has 29 days: starting 1 Feb, step 4 starts on 29 Feb.
    const Calendar leap(YearMonth{2024, 2}, 10, TimeUnit::week);
    CHECK(leap.month_of_step(4) == YearMonth{2024, 2});
    CHECK(leap.last_step_in(YearMonth{2024, 2}) == 4);
    CHECK(leap.first_step_in(YearMonth{2024, 3}) == 5);
    CHECK(leap.label(4) == "2024-02-w5");

    // February 2023 has 28 days: the same step starts on 1 March.
    const Calendar common(YearMonth{2023, 2}, 10, TimeUnit::week);
    CHECK(common.month_of_step(4) == YearMonth{2023, 3});
    CHECK(common.last_step_in(YearMonth{2023, 2}) == 3);
    CHECK(common.first_step_in(YearMonth{2023, 3}) == 4);
    CHECK(common.label(4) == "2023-03-w1");

    // Century rules: 2100 is not a leap year, 2000 is.
    const Calendar y2100(YearMonth{2100, 2}, 6, TimeUnit::week);
    CHECK(y2100.month_of_step(4) == YearMonth{2100, 3});
    const Calendar y2000(YearMonth{2000, 2}, 6, TimeUnit::week);
    CHECK(y2000.month_of_step(4) == YearMonth{2000, 2});
}

TEST_CASE("Weekly steps agree with std::chrono over many years", "[calendar]") {
    for (const YearMonth start : {YearMonth{2023, 1}, YearMonth{2023, 12}, YearMonth{2024, 2},
                                  YearMonth{1999, 6}, YearMonth{2099, 11}}) {
        const Calendar cal(start, 530, TimeUnit::week); // about ten years
        for (int s = 0; s < cal.steps(); ++s) {
            INFO(start.str() << " step " << s);
            REQUIRE(cal.month_of_step(s) == chrono_month_of_week(start, s));
        }
        check_consistent(cal);
    }
}

TEST_CASE("Monthly calendars are self-consistent", "[calendar]") {
    check_consistent(Calendar(YearMonth{2023, 1}, 36));
    check_consistent(Calendar(YearMonth{2023, 7}, 1));
}

TEST_CASE("months_until lines up with the steps of weekly calendars", "[calendar]") {
    // 1 Mar 2023 is exactly 4 weeks after 1 Feb 2023: the month starts with step 4, and the
    // two elapsed times must be bit-identical so a schedule switching at March switches there.
    const Calendar feb(YearMonth{2023, 2}, 20, TimeUnit::week);
    CHECK(feb.months_until(YearMonth{2023, 3}) == feb.months_at_start(4));

    // Elsewhere the month's first step starts at or after the month, the previous one before.
    const Calendar cal(YearMonth{2023, 1}, 160, TimeUnit::week);
    for (int y = 2023; y <= 2025; ++y) {
        for (int m = 1; m <= 12; ++m) {
            const YearMonth ym{y, m};
            const int s = cal.first_step_in(ym);
            if (s <= 0) {
                continue;
            }
            INFO(ym.str());
            CHECK(cal.months_at_start(s) >= cal.months_until(ym));
            CHECK(cal.months_at_start(s - 1) < cal.months_until(ym));
        }
    }
    CHECK(cal.months_until(YearMonth{2023, 1}) == 0.0);
    CHECK(cal.months_until(YearMonth{2022, 12}) == Approx(-31.0 * 12.0 / 365.25));
}

TEST_CASE("A week across New Year is shared between the two years by its days", "[calendar]") {
    // From 1 January 2024 (a leap year), step 52 starts on 30 December: 2 of its 7 days are in
    // 2024. The shares of the steps starting in 2024 add up to its 366 days, 52 2/7 weeks.
    const Calendar cal(YearMonth{2024, 1}, 60, TimeUnit::week);
    CHECK(cal.month_of_step(52) == YearMonth{2024, 12});
    CHECK(cal.month_of_step(53) == YearMonth{2025, 1});
    CHECK(cal.share_in_start_year(52) == 2.0 / 7.0);
    CHECK(cal.share_in_start_year(51) == 1.0);
    CHECK(cal.share_in_start_year(53) == 1.0);
    // Every year of ten, against std::chrono: the shares of the weeks starting in a year add up
    // to its days over 7 minus what its first week took from the year before.
    const YearMonth start{2023, 6};
    const Calendar ten(start, 530, TimeUnit::week);
    for (int year = 2024; year <= 2032; ++year) {
        using namespace std::chrono;
        const auto days_in = (sys_days{std::chrono::year{year + 1} / 1 / 1} -
                              sys_days{std::chrono::year{year} / 1 / 1})
                                 .count();
        double weeks = 0.0;
        for (int s = 0; s < ten.steps(); ++s) {
            if (ten.month_of_step(s).year == year) {
                weeks += ten.share_in_start_year(s);
            } else if (ten.month_of_step(s).year == year - 1) {
                weeks += 1.0 - ten.share_in_start_year(s); // the days it ran into this year
            }
        }
        INFO(year);
        CHECK(weeks * 7.0 == Approx(static_cast<double>(days_in)).epsilon(1e-12));
    }
    // Monthly steps never straddle.
    const Calendar monthly(YearMonth{2023, 11}, 4);
    for (int s = 0; s < monthly.steps(); ++s) {
        CHECK(monthly.share_in_start_year(s) == 1.0);
    }
}
