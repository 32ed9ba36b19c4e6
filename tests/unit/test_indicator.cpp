// Indicators over a hand-made series table: every kind, its final value and its time series,
// and the resolution errors.
#include <canopy/engine/error.hpp>
#include <canopy/engine/indicator.hpp>
#include <canopy/engine/simulation.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <string>
#include <vector>

using namespace canopy::engine;
using Catch::Matchers::Contains;

namespace {

constexpr int FIRMS = 0;  // stock: 100 + 10 r in row r
constexpr int BIRTHS = 1; // flow: r in row r (0 in row 0, as flows are)
constexpr int SPEND = 2;  // flow: 0.5 in every step row

ModelInfo fake_model() {
    ModelInfo m;
    m.name = "fake";
    m.series = {{"firms", "firms", "", SeriesKind::stock},
                {"births", "firms/month", "", SeriesKind::flow},
                {"rd_spend", "bn yuan", "", SeriesKind::flow}};
    return m;
}

SeriesTable fake_table(int rows) {
    SeriesTable t;
    t.resize(rows, 3);
    for (int r = 0; r < rows; ++r) {
        t.row(r)[FIRMS] = 100.0 + 10.0 * r;
        t.row(r)[BIRTHS] = r;
        t.row(r)[SPEND] = r == 0 ? 0.0 : 0.5;
    }
    return t;
}

IndicatorSpec stock(const char* id, const char* series, YearMonth at, double scale = 1.0) {
    IndicatorSpec s;
    s.id = id;
    s.kind = IndicatorSpec::Kind::stock;
    s.series = series;
    s.at = at;
    s.scale = scale;
    return s;
}

IndicatorSpec flow(const char* id, const char* series, YearMonth from, YearMonth to) {
    IndicatorSpec s;
    s.id = id;
    s.kind = IndicatorSpec::Kind::flow;
    s.series = series;
    s.from = from;
    s.to = to;
    return s;
}

IndicatorSpec growth(const char* id, const char* series, YearMonth from, YearMonth at) {
    IndicatorSpec s;
    s.id = id;
    s.kind = IndicatorSpec::Kind::growth;
    s.series = series;
    s.from = from;
    s.at = at;
    s.scale = 100.0;
    return s;
}

IndicatorSpec ratio(const char* id, const char* numerator, const char* denominator,
                    double scale = 1.0) {
    IndicatorSpec s;
    s.id = id;
    s.kind = IndicatorSpec::Kind::ratio;
    s.numerator = numerator;
    s.denominator = denominator;
    s.scale = scale;
    return s;
}

IndicatorSpec change(const char* id, const char* of, YearMonth from, double scale = 1.0) {
    IndicatorSpec s;
    s.id = id;
    s.kind = IndicatorSpec::Kind::change;
    s.of = of;
    s.from = from;
    s.scale = scale;
    return s;
}

const Calendar YEAR_2023{YearMonth{2023, 1}, 12};

std::vector<double> finals_of(const IndicatorSet& set, const SeriesTable& table) {
    std::vector<double> out(set.size());
    set.finals(table, out);
    return out;
}

std::vector<double> series_of(const IndicatorSet& set, std::size_t i, const SeriesTable& table) {
    std::vector<double> out(static_cast<std::size_t>(table.rows));
    set.series(i, table, out);
    return out;
}

} // namespace

TEST_CASE("Indicator kinds have their scenario-file names", "[indicator]") {
    CHECK(std::string(to_string(IndicatorSpec::Kind::stock)) == "stock");
    CHECK(std::string(to_string(IndicatorSpec::Kind::flow)) == "flow");
    CHECK(std::string(to_string(IndicatorSpec::Kind::growth)) == "growth");
    CHECK(std::string(to_string(IndicatorSpec::Kind::ratio)) == "ratio");
    CHECK(std::string(to_string(IndicatorSpec::Kind::change)) == "change");
}

TEST_CASE("A stock reads the row at the end of its month", "[indicator]") {
    const IndicatorSet set({stock("end", "firms", {2023, 12}), stock("mid", "firms", {2023, 6}),
                            stock("initial", "firms", {2022, 12}),
                            stock("thousands", "firms", {2023, 12}, 0.001)},
                           fake_model(), YEAR_2023);
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    CHECK(f[0] == 220.0); // row 12
    CHECK(f[1] == 160.0); // row 6, the end of June
    CHECK(f[2] == 100.0); // row 0: December 2022 is the initial state
    CHECK(f[3] == Approx(0.22));

    const auto s = series_of(set, 0, table);
    REQUIRE(s.size() == 13);
    CHECK(s[0] == 100.0);
    CHECK(s[12] == 220.0);
    CHECK(set.index("mid") == 1);
    CHECK(set.index("nope") == -1);
}

TEST_CASE("A flow sums its months and charts as a running sum", "[indicator]") {
    const IndicatorSet set({flow("spring", "births", {2023, 3}, {2023, 5}),
                            flow("year", "births", {2023, 1}, {2023, 12}),
                            flow("march", "rd_spend", {2023, 3}, {2023, 3})},
                           fake_model(), YEAR_2023);
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    CHECK(f[0] == 12.0); // rows 3, 4, 5: the steps of March, April, May
    CHECK(f[1] == 78.0); // 1 + ... + 12
    CHECK(f[2] == 0.5);

    const auto s = series_of(set, 0, table);
    const std::vector<double> expected{0, 0, 0, 3, 7, 12, 12, 12, 12, 12, 12, 12, 12};
    CHECK(s == expected);
    CHECK(series_of(set, 1, table).back() == f[1]);
}

TEST_CASE("A growth rate compares with its base month, row 0 for the month before the start",
          "[indicator]") {
    const IndicatorSet set({growth("year", "firms", {2022, 12}, {2023, 12}),
                            growth("h2", "firms", {2023, 6}, {2023, 12})},
                           fake_model(), YEAR_2023);
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    CHECK(f[0] == Approx(120.0)); // 100 * (220 / 100 - 1)
    CHECK(f[1] == Approx(100.0 * (220.0 / 160.0 - 1.0)));

    const auto year = series_of(set, 0, table);
    CHECK(year[0] == 0.0);
    CHECK(year[12] == f[0]);
    const auto h2 = series_of(set, 1, table);
    for (int r = 0; r < 6; ++r) {
        CHECK(std::isnan(h2[static_cast<std::size_t>(r)])); // base not yet known
    }
    CHECK(h2[6] == 0.0);
    CHECK(h2[12] == f[1]);
}

TEST_CASE("A growth or ratio equal to a written threshold is that threshold's double",
          "[indicator]") {
    // An outside tester's reference run: 600 high-tech firms growing to 678 grew by exactly
    // 13 %, but 100 * (678 / 600 - 1) is 12.99999999999999 and missed ">= 13". One quotient of
    // whole numbers, 100 * 78 / 600, is rounded once: to 13, the threshold's own double.
    SeriesTable table;
    table.resize(13, 3);
    for (int r = 0; r < 13; ++r) {
        table.row(r)[FIRMS] = r == 0 ? 600.0 : 678.0;
        table.row(r)[BIRTHS] = r == 0 ? 0.0 : 1.0;
        table.row(r)[SPEND] = 0.0;
    }
    IndicatorSpec fraction = growth("fraction", "firms", {2022, 12}, {2023, 12});
    fraction.scale = 1.0;
    const IndicatorSet set({growth("pct", "firms", {2022, 12}, {2023, 12}), fraction,
                            stock("end", "firms", {2023, 12}),
                            flow("births", "births", {2023, 1}, {2023, 12}),
                            ratio("per_mille", "births", "end", 1000.0)},
                           fake_model(), YEAR_2023);
    const auto f = finals_of(set, table);
    CHECK(f[0] == 13.0);
    CHECK(100.0 * (678.0 / 600.0 - 1.0) != 13.0); // the old arithmetic, for the record
    CHECK(f[1] == 0.13);
    CHECK(f[4] == 12000.0 / 678.0);
    const auto pct = series_of(set, 0, table);
    CHECK(pct[12] == 13.0);
    // A decimal scale too: 0.1 x 78 / 600 was 0.013000000000000001, missing "<= 0.013" (an
    // outside tester); read as 1 / 10 it is 78 / 6000, the double nearest 0.013.
    struct Case {
        double scale, up, down, growth;
    };
    for (const Case& c : std::vector<Case>{{0.1, 1, 10, 0.013},
                                           {0.01, 1, 100, 0.0013},
                                           {1e-4, 1, 1e4, 1.3e-5},
                                           {0.2, 2, 10, 0.026},
                                           {2.5, 25, 10, 0.325},
                                           {1000.0, 1000, 1, 130.0}}) {
        IndicatorSpec g = growth("g", "firms", {2022, 12}, {2023, 12});
        g.scale = c.scale;
        const IndicatorSet scaled({g, stock("end", "firms", {2023, 12}),
                                   flow("births", "births", {2023, 1}, {2023, 12}),
                                   ratio("r", "births", "end", c.scale)},
                                  fake_model(), YEAR_2023);
        const auto s = finals_of(scaled, table);
        INFO("scale " << c.scale);
        CHECK(s[0] == c.growth);
        CHECK(series_of(scaled, 0, table)[12] == c.growth);
        CHECK(s[3] == c.up * 12.0 / (c.down * 678.0)); // 12 births over 678 firms, rounded once
    }
    // A scale that overflows with the difference still gives the finite growth.
    IndicatorSpec huge = growth("huge", "firms", {2022, 12}, {2023, 12});
    huge.scale = 1e308;
    const IndicatorSet big({huge}, fake_model(), YEAR_2023);
    CHECK(finals_of(big, table)[0] == Approx(1e308 * 0.13));
}

TEST_CASE("Ratios divide scaled indicators, ratios of ratios included, in any order",
          "[indicator]") {
    // "per_firm_pct" is declared before the ratio it divides: evaluation order must not be
    // declaration order.
    const IndicatorSet set({ratio("per_firm_pct", "births_per_firm", "initial_thousands", 100.0),
                            stock("firms_end", "firms", {2023, 12}),
                            flow("births_2023", "births", {2023, 1}, {2023, 12}),
                            ratio("births_per_firm", "births_2023", "firms_end"),
                            stock("initial_thousands", "firms", {2022, 12}, 0.001)},
                           fake_model(), YEAR_2023);
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    CHECK(f[3] == Approx(78.0 / 220.0));
    CHECK(f[0] == Approx(100.0 * (78.0 / 220.0) / 0.1));

    // Series: the ratio of the two series, row by row.
    const auto s = series_of(set, 3, table);
    CHECK(s[0] == 0.0); // the running sum is zero in row 0
    CHECK(s[12] == Approx(78.0 / 220.0));
    CHECK(s[6] == Approx(21.0 / 160.0));
    const auto pct = series_of(set, 0, table);
    // A stock's series is the stock itself, not frozen at its date: row 12 divides by 0.22.
    CHECK(pct[12] == Approx(100.0 * (78.0 / 220.0) / 0.22));
}

TEST_CASE("A change is an indicator's final less its series at the base month", "[indicator]") {
    // A share of births in the firms, in percent, and its rise since June: the plan's "raise
    // the share by a point" from its base year, judged per run.
    const IndicatorSet set({change("rise_pp", "share_pct", {2023, 6}),
                            ratio("share_pct", "births_2023", "firms_end", 100.0),
                            flow("births_2023", "births", {2023, 1}, {2023, 12}),
                            stock("firms_end", "firms", {2023, 12}),
                            change("firms_rise_k", "firms_end", {2022, 12}, 0.001)},
                           fake_model(), YEAR_2023);
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    const double share_end = 100.0 * 78.0 / 220.0;  // the final of share_pct
    const double share_june = 100.0 * 21.0 / 160.0; // its series at the end of June (row 6)
    CHECK(f[1] == Approx(share_end));
    CHECK(f[0] == Approx(share_end - share_june));
    CHECK(f[4] == Approx(0.001 * (220.0 - 100.0))); // from row 0, the month before the start

    // Its series: NaN until the base month, then the input's series less its base value, so
    // the chart ends at the final.
    const auto s = series_of(set, 0, table);
    for (int r = 0; r < 6; ++r) {
        CHECK(std::isnan(s[static_cast<std::size_t>(r)]));
    }
    CHECK(s[6] == 0.0);
    CHECK(s[9] == Approx(100.0 * 45.0 / 190.0 - share_june));
    CHECK(s[12] == Approx(f[0]));
    CHECK(set.inputs(0) == std::array<int, 2>{1, -1});
}

TEST_CASE("A ratio over zero is not a number, not a crash", "[indicator]") {
    const IndicatorSet set({flow("none", "rd_spend", {2023, 1}, {2023, 1}),
                            stock("initial_births", "births", {2022, 12}),
                            ratio("undefined", "initial_births", "initial_births")},
                           fake_model(), YEAR_2023);
    const auto f = finals_of(set, fake_table(13));
    CHECK(std::isnan(f[2])); // 0 / 0
}

TEST_CASE("A growth from a zero base and a ratio over zero are undefined, not infinite",
          "[indicator]") {
    // firms starts at 0: its growth over 2023 has no value, and births over 2023 (78) per
    // initial firm neither. An infinity would attain every ">" target; NaN attains none.
    const IndicatorSet set({growth("from_none", "firms", {2022, 12}, {2023, 12}),
                            flow("births_2023", "births", {2023, 1}, {2023, 12}),
                            stock("initial", "firms", {2022, 12}),
                            ratio("per_initial", "births_2023", "initial")},
                           fake_model(), YEAR_2023);
    SeriesTable table = fake_table(13);
    table.row(0)[FIRMS] = 0.0;
    const auto f = finals_of(set, table);
    CHECK(std::isnan(f[0]));
    CHECK(std::isnan(f[3]));
    // The growth's series agrees: undefined from its zero base on.
    const auto g = series_of(set, 0, table);
    CHECK(std::isnan(g[6]));
    CHECK(std::isnan(g[12]));
}

TEST_CASE("Indicators over weekly steps read months' ends and sum their days", "[indicator]") {
    // From 1 Jan 2023: January has steps 0..4, February 5..8. Step 4 (29 Jan - 4 Feb) has 4 of
    // its days in February, step 8 (26 Feb - 4 Mar) 3: February's flow is its 28 days.
    const Calendar weekly(YearMonth{2023, 1}, 13, TimeUnit::week);
    const IndicatorSet set(
        {stock("jan_end", "firms", {2023, 1}), flow("feb", "births", {2023, 2}, {2023, 2})},
        fake_model(), weekly);
    const auto f = finals_of(set, fake_table(14));
    CHECK(f[0] == 150.0); // row 5, the end of step 4
    CHECK(f[1] == Approx(5.0 * 4 / 7 + 6 + 7 + 8 + 9.0 * 3 / 7).epsilon(1e-15));

    // A year of weeks is its 365 days, not the 53 weeks (371 days) that start in it, and each
    // month its own days: the shares of the weeks across a month's ends add up.
    const Calendar two_years(YearMonth{2023, 1}, 105, TimeUnit::week);
    std::vector<IndicatorSpec> months;
    std::vector<std::string> ids;
    for (int m = 1; m <= 12; ++m) {
        ids.push_back("m" + std::to_string(m));
    }
    for (int m = 1; m <= 12; ++m) {
        months.push_back(
            flow(ids[static_cast<std::size_t>(m - 1)].c_str(), "rd_spend", {2023, m}, {2023, m}));
    }
    months.push_back(flow("y2023", "rd_spend", {2023, 1}, {2023, 12}));
    months.push_back(flow("y2024", "rd_spend", {2024, 1}, {2024, 12}));
    const IndicatorSet year(months, fake_model(), two_years);
    const auto y = finals_of(year, fake_table(106));
    constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    double sum = 0.0;
    for (std::size_t m = 0; m < 12; ++m) {
        INFO("month " << m + 1);
        CHECK(y[m] == Approx(0.5 * days[m] / 7.0).epsilon(1e-14));
        sum += y[m];
    }
    CHECK(y[12] == Approx(0.5 * 365 / 7.0).epsilon(1e-14));
    CHECK(y[12] == Approx(sum).epsilon(1e-14));
    CHECK(y[13] == Approx(0.5 * 366 / 7.0).epsilon(1e-14)); // a leap year
    // The chart ends at the final.
    std::vector<double> chart(106);
    year.series(12, fake_table(106), chart);
    CHECK(chart.back() == y[12]);
}

TEST_CASE("Indicator resolution names the indicator and the field it cannot resolve",
          "[indicator]") {
    const ModelInfo model = fake_model();
    const auto build = [&](std::vector<IndicatorSpec> specs) {
        IndicatorSet set(std::move(specs), model, YEAR_2023);
    };

    CHECK_THROWS_WITH(build({stock("count", "frims", {2023, 12})}),
                      Contains("indicator 'count'") && Contains("'series'") && Contains("frims") &&
                          Contains("did you mean 'firms'"));
    CHECK_THROWS_WITH(build({stock("late", "firms", {2024, 1})}),
                      Contains("indicator 'late'") && Contains("'at'") &&
                          Contains("2024-01 is outside the run"));
    CHECK_THROWS_WITH(build({stock("early", "firms", {2022, 11})}),
                      Contains("indicator 'early'") && Contains("'at'"));
    CHECK_THROWS_WITH(build({flow("before", "births", {2022, 12}, {2023, 2})}),
                      Contains("indicator 'before'") && Contains("'from'"));
    CHECK_THROWS_WITH(build({flow("after", "births", {2023, 6}, {2024, 2})}),
                      Contains("indicator 'after'") && Contains("'to'"));
    CHECK_THROWS_WITH(build({flow("backwards", "births", {2023, 6}, {2023, 2})}),
                      Contains("indicator 'backwards'") && Contains("'from'") &&
                          Contains("after 'to'"));
    CHECK_THROWS_WITH(build({growth("backwards", "firms", {2023, 6}, {2023, 2})}),
                      Contains("indicator 'backwards'") && Contains("'from'"));
    CHECK_THROWS_WITH(build({growth("base", "firms", {2022, 6}, {2023, 2})}),
                      Contains("indicator 'base'") && Contains("'from'") &&
                          Contains("outside the run"));
    CHECK_THROWS_WITH(build({ratio("self", "self", "self")}), Contains("indicator 'self'") &&
                                                                  Contains("'numerator'") &&
                                                                  Contains("itself"));
    CHECK_THROWS_WITH(build({stock("a", "firms", {2023, 1}), ratio("r", "a", "b")}),
                      Contains("indicator 'r'") && Contains("'denominator'") &&
                          Contains("no indicator 'b'"));
    CHECK_THROWS_WITH(build({change("self", "self", {2023, 1})}),
                      Contains("indicator 'self'") && Contains("'of'") &&
                          Contains("a change cannot refer to itself"));
    CHECK_THROWS_WITH(build({change("rise", "firm", {2023, 1})}),
                      Contains("indicator 'rise'") && Contains("'of'") &&
                          Contains("no indicator 'firm'"));
    CHECK_THROWS_WITH(build({stock("a", "firms", {2023, 1}), change("rise", "a", {2022, 6})}),
                      Contains("indicator 'rise'") && Contains("'from'") &&
                          Contains("outside the run"));
    // A base before the input has a value (a growth's chart starts at its base), or after the
    // month the input is read at (the change would run backwards).
    CHECK_THROWS_WITH(
        build({growth("g", "firms", {2023, 3}, {2023, 9}), change("x", "g", {2023, 1})}),
        Contains("indicator 'x'") && Contains("'from'") && Contains("before 'g' has a value"));
    CHECK_THROWS_WITH(build({stock("mid", "firms", {2023, 6}), change("x", "mid", {2023, 9})}),
                      Contains("indicator 'x'") && Contains("'from'") &&
                          Contains("after the month 'mid' is read at"));
    CHECK_THROWS_WITH(build({stock("a", "firms", {2023, 12}), change("x", "a", {2023, 6}),
                             change("y", "x", {2023, 1})}),
                      Contains("indicator 'y'") && Contains("before 'x' has a value"));
    CHECK_NOTHROW(build({growth("g", "firms", {2023, 3}, {2023, 9}), change("x", "g", {2023, 3}),
                         change("y", "x", {2023, 9})}));
    CHECK_THROWS_WITH(build({stock("a", "firms", {2023, 1}), stock("a", "firms", {2023, 2})}),
                      Contains("indicator 'a'") && Contains("'id'"));
    IndicatorSpec bad_scale = stock("scaled", "firms", {2023, 1}, std::nan(""));
    CHECK_THROWS_WITH(build({bad_scale}), Contains("indicator 'scaled'") && Contains("'scale'"));
}

TEST_CASE("Ratios that refer to each other in a cycle are rejected", "[indicator]") {
    const ModelInfo model = fake_model();
    const auto build = [&](std::vector<IndicatorSpec> specs) {
        IndicatorSet set(std::move(specs), model, YEAR_2023);
    };
    CHECK_THROWS_AS(
        build({ratio("a", "b", "c"), ratio("b", "a", "c"), stock("c", "firms", {2023, 1})}),
        canopy::Error);
    CHECK_THROWS_WITH(build({stock("c", "firms", {2023, 1}), ratio("x", "c", "y"),
                             ratio("y", "z", "c"), ratio("z", "x", "c")}),
                      Contains("cycle") && Contains("'x' -> 'y' -> 'z' -> 'x'"));
    // A change is walked as a reference too.
    CHECK_THROWS_WITH(
        build({stock("c", "firms", {2023, 1}), change("d", "r", {2023, 1}), ratio("r", "d", "c")}),
        Contains("cycle") && Contains("'d' -> 'r' -> 'd'"));
}

TEST_CASE("Indicators refuse a table of the wrong shape", "[indicator]") {
    const IndicatorSet set({stock("end", "firms", {2023, 12})}, fake_model(), YEAR_2023);
    std::vector<double> out(1);
    CHECK_THROWS_AS(set.finals(fake_table(12), out), canopy::Error);
    std::vector<double> wrong(2);
    CHECK_THROWS_AS(set.finals(fake_table(13), wrong), canopy::Error);
    std::vector<double> short_series(5);
    CHECK_THROWS_AS(set.series(0, fake_table(13), short_series), canopy::Error);
    std::vector<double> rows(13);
    CHECK_THROWS_AS(set.series(1, fake_table(13), rows), canopy::Error);
    SeriesTable narrow;
    narrow.resize(13, 0);
    CHECK_THROWS_AS(set.finals(narrow, out), canopy::Error);
}

TEST_CASE("A chain of 100,000 ratios resolves and evaluates without recursion", "[indicator]") {
    // Issue 6: a recursive ordering overflowed the stack at ~25,000 links (10,000 under ASan)
    // and killed `canopy run` with a segmentation fault. r_i = r_{i+1} / base, and the last
    // link divides the stock by itself: every ratio is base^-(links - i) * 1.
    constexpr std::size_t LINKS = 100'000;
    std::vector<std::string> ids(LINKS);
    for (std::size_t i = 0; i < LINKS; ++i) {
        ids[i] = "r" + std::to_string(i);
    }
    std::vector<IndicatorSpec> specs;
    for (std::size_t i = 0; i < LINKS; ++i) {
        specs.push_back(ratio(ids[i].c_str(), i + 1 < LINKS ? ids[i + 1].c_str() : "base",
                              i + 1 < LINKS ? "one" : "base"));
    }
    specs.push_back(stock("base", "firms", {2023, 12}));
    specs.push_back(stock("one", "firms", {2023, 12}, 1.0 / 220.0));
    const IndicatorSet set(std::move(specs), fake_model(), YEAR_2023);
    REQUIRE(set.order().size() == LINKS + 2);
    CHECK(set.order().back() == 0); // the head of the chain comes last
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    CHECK(f[LINKS - 1] == 1.0);
    CHECK(f[0] == Approx(1.0));
    const auto s = series_of(set, 0, table);
    CHECK(s[12] == Approx(1.0));
    // Given its inputs' series, a ratio is evaluated alone.
    const auto one = series_of(set, LINKS + 1, table);
    const auto last = series_of(set, LINKS - 1, table);
    std::vector<double> out(13);
    set.series(LINKS - 2, table, out, last, one);
    CHECK(out[12] == Approx(1.0));
    CHECK(set.inputs(LINKS - 2) ==
          std::array<int, 2>{static_cast<int>(LINKS - 1), static_cast<int>(LINKS + 1)});
    CHECK(set.inputs(LINKS) == std::array<int, 2>{-1, -1});
}

TEST_CASE("A chain of 20,000 changes evaluates once per link", "[indicator]") {
    // Each change reads its input's chart at its base month. Evaluating the whole chain again for
    // every link made a chain of 5,000 take 50 s and one of 20,000 (the scenario limit) well
    // over a quarter of an hour; each chart is now evaluated once per finals() call.
    constexpr int N = 20'000;
    std::vector<IndicatorSpec> specs{stock("c0", "firms", {2023, 12})};
    std::vector<std::string> ids{"c0"};
    for (int k = 1; k <= N; ++k) {
        ids.push_back("c" + std::to_string(k));
    }
    for (int k = 1; k <= N; ++k) {
        IndicatorSpec s;
        s.id = ids[static_cast<std::size_t>(k)];
        s.kind = IndicatorSpec::Kind::change;
        s.of = ids[static_cast<std::size_t>(k - 1)];
        s.from = YearMonth{2023, 1 + 11 * k / N}; // bases from January to December, in order
        specs.push_back(s);
    }
    const IndicatorSet set(std::move(specs), fake_model(), YEAR_2023);
    const SeriesTable table = fake_table(13);
    const auto f = finals_of(set, table);
    // c1 = firms(Dec) - firms(Jan) = 220 - 110; each later link is its input's final less the
    // input's chart at its own base.
    CHECK(f[1] == Approx(110.0));
    CHECK(std::isfinite(f[N]));
    const auto s = series_of(set, N, table);
    CHECK(s.back() == Approx(f[N]));
}
