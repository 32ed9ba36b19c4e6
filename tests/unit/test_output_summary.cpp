// The ensemble summary on a hand-made ensemble whose every final value is known.
#include "output_fixture.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/output/summary.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace canopy;

TEST_CASE("summarise_ensemble collects finals in replicate order", "[output][summary]") {
    const auto model = test::synthetic_model();
    const auto scenario = test::synthetic_scenario();
    const auto ensemble = test::synthetic_ensemble(10);
    const output::EnsembleSummary s = output::summarise_ensemble(scenario, model, ensemble);

    CHECK(s.scenario == "synthetic");
    CHECK(s.title == "Synthetic ensemble");
    CHECK(s.model == "synthetic");
    CHECK(s.policy_mix == "base");
    CHECK(s.seed == 7);
    CHECK(s.replicates == 10);
    REQUIRE(s.indicators.size() == 2);
    REQUIRE(s.finals.size() == 2);
    for (std::size_t r = 0; r < 10; ++r) {
        CHECK(s.finals[0][r] == static_cast<double>(r + 1)); // stock_a at row 12 is r + 1
        CHECK(s.finals[1][r] == 12.0);                       // 12 months of 1
    }
}

TEST_CASE("summarise_ensemble gives exact means, medians and type-7 quantiles",
          "[output][summary]") {
    const auto s = output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(),
                                              test::synthetic_ensemble(10));
    // Finals 1..10: mean 5.5, median 5.5; type 7 puts q05 at 1 + 0.05 * 9 and q95 at 1 + 0.95 * 9.
    const output::IndicatorSummary& a = s.indicator_stats[0];
    CHECK(a.id == "a_end");
    CHECK(a.unit == "firms");
    CHECK(a.kind == engine::IndicatorSpec::Kind::stock);
    CHECK(a.numbers == 10);
    CHECK(a.mean == Approx(5.5).epsilon(1e-15));
    CHECK(a.median == Approx(5.5).epsilon(1e-15));
    CHECK(a.q05 == Approx(1.45).epsilon(1e-14));
    CHECK(a.q95 == Approx(9.55).epsilon(1e-14));
    const output::IndicatorSummary& b = s.indicator_stats[1];
    CHECK(b.kind == engine::IndicatorSpec::Kind::flow);
    CHECK(b.mean == 12.0);
    CHECK(b.q05 == 12.0);
    CHECK(b.q95 == 12.0);
}

TEST_CASE("summarise_ensemble counts attainment with the chosen interval", "[output][summary]") {
    const auto model = test::synthetic_model();
    const auto scenario = test::synthetic_scenario();
    const auto ensemble = test::synthetic_ensemble(10);
    const auto wilson = output::summarise_ensemble(scenario, model, ensemble);
    REQUIRE(wilson.targets.size() == 2);
    const output::TargetResult& high = wilson.targets[0];
    CHECK(high.summary.id == "a_high");
    CHECK(high.indicator == "a_end");
    CHECK(high.indicator_index == 0);
    CHECK(high.summary.attained == 3); // finals 8, 9, 10
    CHECK(high.summary.replicates == 10);
    CHECK(high.summary.p_attain == Approx(0.3));
    const engine::Interval w = engine::wilson_interval(3, 10);
    CHECK(high.summary.p_attain_ci.lo == w.lo);
    CHECK(high.summary.p_attain_ci.hi == w.hi);
    CHECK(high.summary.unit == "firms"); // the target has none: the indicator's
    CHECK(high.source == "the plan");
    CHECK(wilson.targets[1].summary.p_attain == 1.0);
    CHECK(wilson.targets[1].assumption == "illustrative");

    output::SummaryOptions jeffreys;
    jeffreys.interval = engine::IntervalMethod::jeffreys;
    const auto j = output::summarise_ensemble(scenario, model, ensemble, jeffreys);
    const engine::Interval expected = engine::jeffreys_interval(3, 10);
    CHECK(j.interval == engine::IntervalMethod::jeffreys);
    CHECK(j.targets[0].summary.p_attain_ci.lo == expected.lo);
    CHECK(j.targets[0].summary.p_attain_ci.hi == expected.hi);
    CHECK(j.targets[0].summary.p_attain_ci.lo != w.lo);
}

TEST_CASE("summarise_ensemble leaves NaN finals out of the spread but counts them as missed",
          "[output][summary]") {
    auto ensemble = test::synthetic_ensemble(10);
    ensemble.runs[9].row(12)[0] = std::numeric_limits<double>::quiet_NaN(); // was 10
    const auto s =
        output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(), ensemble);
    CHECK(std::isnan(s.finals[0][9]));
    CHECK(s.indicator_stats[0].numbers == 9);
    CHECK(s.indicator_stats[0].mean == Approx(5.0)); // 1..9
    CHECK(s.indicator_stats[0].median == Approx(5.0));
    CHECK(s.targets[0].summary.attained == 2); // 8 and 9; the NaN does not attain
    CHECK(s.targets[0].summary.replicates == 10);
}

TEST_CASE("summarise_ensemble prices levers in the scenario's currency", "[output][summary]") {
    const auto s = output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(),
                                              test::synthetic_ensemble(4));
    REQUIRE(s.lever_costs.size() == 3);
    CHECK(s.lever_costs[0].lever == "l0");
    CHECK(s.lever_costs[0].cost == Approx(1.0)); // 2 units x 1 year x 0.5
    CHECK(s.lever_costs[0].q05 == Approx(1.0));  // no per-outcome price: the same every time
    CHECK(s.lever_costs[0].unit == "bn yuan");
    CHECK(s.lever_costs[0].outcome.empty());
    REQUIRE(s.lever_costs[0].by_year.size() == 1);
    CHECK(s.lever_costs[0].by_year[0] == Approx(1.0));
    CHECK(s.lever_costs[1].cost == Approx(3.0));
    CHECK(s.lever_costs[2].cost == 0.0);
    CHECK(s.costs.currency == "bn yuan");
    CHECK(s.costs.years == std::vector<int>{2023});
    CHECK(s.costs.total == Approx(4.0));
    CHECK(s.costs.priced);
    CHECK_FALSE(s.costs.over_cap); // no caps
    CHECK(s.costs.p_over_cap == 0.0);
    REQUIRE(s.costs.totals.size() == 4);
    for (const double total : s.costs.totals) {
        CHECK(total == Approx(4.0));
    }
}

TEST_CASE("A cost equal to its cap but for rounding is within it", "[output][summary]") {
    // The probe's case: 0.5 bn yuan summed by month in m yuan came to 500.00000000000006.
    CHECK_FALSE(engine::Budget::over(500.00000000000006, 500.0));
    CHECK_FALSE(engine::Budget::over(500.0, 500.0));
    CHECK(engine::Budget::over(500.001, 500.0));
    CHECK_FALSE(engine::Budget::over(1e300, engine::Budget::NONE)); // no cap
    CHECK_FALSE(engine::Budget::over(0.0, 0.0));
    CHECK(engine::Budget::over(1e-300, 0.0)); // a cap of nothing: any cost is over it

    auto scenario = test::synthetic_scenario();
    const auto free =
        output::summarise_ensemble(scenario, test::synthetic_model(), test::synthetic_ensemble(4));
    const double total = free.costs.total;
    // The caps just under the mean cost, by a rounding's worth and by a real amount.
    scenario.budget.cap_total = total * (1.0 - 4e-16);
    scenario.budget.cap_per_year = free.costs.by_year[0] * (1.0 - 4e-16);
    REQUIRE(total > scenario.budget.cap_total);
    const auto rounding =
        output::summarise_ensemble(scenario, test::synthetic_model(), test::synthetic_ensemble(4));
    CHECK_FALSE(rounding.costs.over_cap);
    CHECK(rounding.costs.p_over_cap == 0.0);
    scenario.budget.cap_total = total * (1.0 - 1e-6);
    const auto over =
        output::summarise_ensemble(scenario, test::synthetic_model(), test::synthetic_ensemble(4));
    CHECK(over.costs.over_cap);
    CHECK(over.costs.p_over_cap == 1.0);
}

TEST_CASE("Per-outcome costs are the counted outcomes times the price", "[output][summary]") {
    // flow_b is 1 in every step of every replicate: 12 outcomes a year.
    auto scenario = test::synthetic_scenario();
    engine::LeverCost& fixed = scenario.levers[2].cost;
    fixed.outcome_price = engine::OutcomePrice::fixed;
    fixed.outcome = "flow_b";
    fixed.outcome_series = 1;
    fixed.per_outcome = 250.0; // m yuan per outcome
    fixed.unit = "m yuan";
    fixed.to_currency = 0.001; // 1 m yuan = 0.001 bn yuan
    engine::LeverCost& level = scenario.levers[0].cost;
    level.outcome_price = engine::OutcomePrice::level; // the level (2) is the price, converted
    level.outcome = "flow_b";
    level.outcome_series = 1;
    level.level_to_currency = 0.1;
    scenario.budget.cap_total = 7.0;
    const auto s =
        output::summarise_ensemble(scenario, test::synthetic_model(), test::synthetic_ensemble(3));
    CHECK(s.lever_costs[2].cost == Approx(12 * 250.0 * 0.001)); // 3 bn yuan
    CHECK(s.lever_costs[2].outcome == "flow_b");
    CHECK(s.lever_costs[0].cost == Approx(1.0 + 12 * 2.0 * 0.1)); // held + per outcome: 3.4
    CHECK(s.costs.total == Approx(3.0 + 3.4 + 3.0));
    CHECK(s.costs.over_cap); // 9.4 > 7
    CHECK(s.costs.p_over_cap == 1.0);

    // Outcomes that differ by replicate give costs that differ by replicate.
    auto ensemble = test::synthetic_ensemble(3);
    for (int row = 1; row <= 12; ++row) {
        ensemble.runs[2].row(row)[1] = 3.0; // replicate 2 counts three times as many
    }
    const auto varied = output::summarise_ensemble(scenario, test::synthetic_model(), ensemble);
    CHECK(varied.costs.totals[2] == Approx(1.0 + 3.0 + 3 * (3.0 + 2.4)));
    CHECK(varied.costs.p_over_cap == Approx(1.0));
    CHECK(varied.lever_costs[2].q95 > varied.lever_costs[2].q05);
}

TEST_CASE("summarise_ensemble names the policy mix it was given", "[output][summary]") {
    const auto scenario = test::synthetic_scenario();
    output::SummaryOptions options;
    options.policy_mix = "more_l0";
    options.policy_mix_description = "Double lever 0";
    const auto s =
        output::summarise_ensemble(scenario.with_policy_mix("more_l0"), test::synthetic_model(),
                                   test::synthetic_ensemble(3), options);
    CHECK(s.policy_mix == "more_l0");
    CHECK(s.policy_mix_description == "Double lever 0");
    CHECK(s.lever_costs[0].cost == Approx(2.0)); // 4 units x 1 year x 0.5
}

TEST_CASE("summarise_ensemble refuses ensembles that do not fit the scenario",
          "[output][summary]") {
    const auto model = test::synthetic_model();
    const auto scenario = test::synthetic_scenario();
    CHECK_THROWS_AS(output::summarise_ensemble(scenario, model, engine::Ensemble{}), Error);

    auto short_run = test::synthetic_ensemble(3);
    short_run.runs[1].resize(12, 2); // one row missing
    CHECK_THROWS_WITH(output::summarise_ensemble(scenario, model, short_run),
                      Catch::Contains("replicate 1"));

    auto bad_target = scenario;
    bad_target.targets[0].indicator = "nowhere";
    CHECK_THROWS_WITH(output::summarise_ensemble(bad_target, model, test::synthetic_ensemble(3)),
                      Catch::Contains("nowhere"));
}

TEST_CASE("row_label names the month each table row ends", "[output][summary]") {
    const engine::Calendar monthly(engine::YearMonth{2023, 1}, 12);
    CHECK(output::row_label(monthly, 0) == "2022-12");
    CHECK(output::row_label(monthly, 1) == "2023-01");
    CHECK(output::row_label(monthly, 12) == "2023-12");
    const engine::Calendar weekly(engine::YearMonth{2023, 3}, 10, engine::TimeUnit::week);
    CHECK(output::row_label(weekly, 0) == "2023-02");
    CHECK(output::row_label(weekly, 1) == weekly.label(0));
    CHECK(output::row_label(weekly, 10) == weekly.label(9));
    CHECK(std::string(output::time_step_name(engine::TimeUnit::week)) == "week");
    CHECK(std::string(output::interval_name(engine::IntervalMethod::jeffreys)) == "jeffreys");
}
