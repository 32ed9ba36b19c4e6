// Budgets price what programmes really pay: a per-outcome cost is the model's own count of the
// outcome times the price, converted into the scenario's currency (the Wuhan certification
// reward, priced per certificate granted at the reward's level).
#include "registry.hpp"

#include <canopy/engine/budget.hpp>
#include <canopy/engine/calendar.hpp>
#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/joint_draws.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/experiment.hpp>
#include <canopy/output/summary.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace canopy;

namespace {

const std::filesystem::path WUHAN =
    std::filesystem::path(CANOPY_SOURCE_DIR) / "scenarios" / "wuhan-2023.toml";

engine::Scenario wuhan() {
    engine::LoadResult r = engine::load_scenario(WUHAN, models::model_catalog());
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    return *r.scenario;
}

engine::Scenario reference() {
    engine::LoadResult r = engine::load_scenario(std::filesystem::path(CANOPY_SOURCE_DIR) /
                                                     "scenarios" / "reference.toml",
                                                 models::model_catalog());
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    return *r.scenario;
}

// The reward's cost recomputed from the series by hand: certificates granted in each step times
// the reward in force at that step, 万元 -> 亿元.
std::vector<double> reward_cost_by_year(const engine::Scenario& s, const engine::ModelInfo& info,
                                        const engine::SeriesTable& run) {
    const auto lever = static_cast<std::size_t>(info.lever_index("hte_certification_reward"));
    const int certificates = info.series_index("hte_new_certificates");
    std::vector<double> by_year(2, 0.0); // 2022, 2023
    for (int step = 0; step < s.calendar.steps(); ++step) {
        const double reward_10k_yuan =
            s.levers[lever].schedule.at(s.calendar.months_at_start(step));
        const double granted = run.at(step + 1, certificates);
        by_year[static_cast<std::size_t>(s.calendar.month_of_step(step).year - 2022)] +=
            granted * reward_10k_yuan * 1e-4;
    }
    return by_year;
}

} // namespace

TEST_CASE("Per-outcome costs equal the model's counts times the price", "[ecosystem][budget]") {
    const engine::Scenario base = wuhan();
    const models::ModelHandle* model = models::find_model("ecosystem");
    REQUIRE(model != nullptr);
    const engine::ModelInfo& info = model->info();
    const auto lever = static_cast<std::size_t>(info.lever_index("hte_certification_reward"));

    for (const std::string mix : {"", "certification_push"}) {
        INFO("policy mix '" << mix << "'");
        const engine::Scenario s = base.with_policy_mix(mix);
        engine::EnsembleOptions options;
        options.replicates = 3;
        options.seed = 11;
        const engine::Ensemble ensemble = model->run(s, options);
        const output::EnsembleSummary summary = output::summarise_ensemble(s, info, ensemble);
        const output::LeverCostSummary& reward = summary.lever_costs[lever];
        CHECK(reward.unit == "100m yuan");
        CHECK(reward.outcome == "hte_new_certificates");

        double mean = 0.0;
        std::vector<double> mean_by_year(2, 0.0);
        double granted_2023 = 0.0;
        for (std::size_t r = 0; r < ensemble.replicates(); ++r) {
            const std::vector<double> by_year = reward_cost_by_year(s, info, ensemble.runs[r]);
            mean += (by_year[0] + by_year[1]) / 3.0;
            mean_by_year[0] += by_year[0] / 3.0;
            mean_by_year[1] += by_year[1] / 3.0;
            for (int row = 13; row <= 24; ++row) {
                granted_2023 += ensemble.runs[r].at(row, info.series_index("hte_new_certificates"));
            }
        }
        REQUIRE(granted_2023 > 1000.0); // the model does grant certificates
        CHECK(reward.cost == Approx(mean).epsilon(1e-12));
        REQUIRE(reward.by_year.size() == 2);
        CHECK(reward.by_year[0] == Approx(mean_by_year[0]).epsilon(1e-12));
        CHECK(reward.by_year[1] == Approx(mean_by_year[1]).epsilon(1e-12));
        // 2023's reward is 40万元 in the plan and 80万元 under the push, per certificate.
        const double reward_2023 = mix.empty() ? 40.0 : 80.0;
        CHECK(reward.by_year[1] == Approx(granted_2023 / 3.0 * reward_2023 * 1e-4));

        // Costs per unit held are deterministic: the talent programme at 0.1 m yuan a person
        // a year is 200 people in 2022 and 270 in 2023, in 亿元 (1 m yuan = 0.01 亿元).
        const auto talent = static_cast<std::size_t>(info.lever_index("talent_programme_recruits"));
        CHECK(summary.lever_costs[talent].cost == Approx((200.0 + 270.0) * 0.1 * 0.01));
        CHECK(summary.lever_costs[talent].q05 == summary.lever_costs[talent].q95);
        // Everything is added up in one currency.
        CHECK(summary.costs.currency == "100m yuan");
        double levers = 0.0;
        for (const output::LeverCostSummary& c : summary.lever_costs) {
            levers += c.cost;
        }
        CHECK(summary.costs.total == Approx(levers).epsilon(1e-12));
    }
}

// A posterior that fits a lever scales that lever's whole schedule per replicate; its cost must
// follow the level each replicate ran at, in `canopy run`'s summary and in a design point alike.
TEST_CASE("A lever a posterior fits is priced at each replicate's level", "[reference][budget]") {
    engine::Scenario s = reference();
    const models::ModelHandle* model = models::find_model("reference");
    REQUIRE(model != nullptr);
    const engine::ModelInfo& info = model->info();
    const auto lever = static_cast<std::size_t>(info.lever_index("lever_high_tech"));
    // lever_high_tech is held at 1 all year at 0.5 bn yuan per unit-year (nothing added during
    // the run): a replicate that scales it by f pays 0.5 f.
    const std::vector<double> factors = {1.0, 1.5, 2.0, 3.0};
    s.joint_draws = std::make_shared<const engine::JointDraws>(
        std::vector<engine::JointDraws::Column>{{engine::JointDraws::Column::Kind::lever_scale,
                                                 static_cast<int>(lever), "lever_high_tech"}},
        factors, std::vector<double>(factors.size(), 1.0), "test posterior");

    engine::EnsembleOptions options;
    options.replicates = 12;
    options.seed = 5;
    options.first_replicate = 3;
    const engine::Ensemble ensemble = model->run(s, options);
    const output::EnsembleSummary summary = output::summarise_ensemble(s, info, ensemble);
    std::set<double> seen;
    double mean = 0.0;
    for (std::size_t r = 0; r < ensemble.replicates(); ++r) {
        const engine::RandomKey key{5, 3 + static_cast<std::uint32_t>(r)};
        const double factor = factors[s.joint_draws->pick(key)];
        seen.insert(factor);
        INFO("replicate " << r << ", factor " << factor);
        CHECK(summary.costs.totals[r] == Approx(0.5 * factor).epsilon(1e-12));
        mean += 0.5 * factor / 12.0;
    }
    REQUIRE(seen.size() > 1); // the replicates ran at different levels
    CHECK(summary.lever_costs[lever].cost == Approx(mean).epsilon(1e-12));
    CHECK(summary.lever_costs[lever].q05 < summary.lever_costs[lever].q95);

    // A design point of the same scenario (a sweep, solve, levers) prices it the same way.
    experiments::Experiment e;
    e.scenario = std::make_shared<const engine::Scenario>(s);
    e.model = model;
    e.replicates = 12;
    e.seed = 5;
    e.first_replicate = 3;
    e.outputs.costs = true;
    const experiments::PointResult point = experiments::evaluate_point(e, {0, {}});
    REQUIRE(point.cost_years == 1);
    REQUIRE(point.costs.size() == 12);
    for (std::size_t r = 0; r < 12; ++r) {
        CHECK(point.costs[r] == summary.costs.totals[r]);
    }
}

// A lever held at one level costs its rate times the days held: a weekly run charges each
// calendar year its own days, a week across New Year split by its days (a helper found 2024
// charged 53 weeks, 371 days, when each week went wholly to the year it starts in).
TEST_CASE("A weekly run charges each year the days it holds a lever", "[reference][budget]") {
    engine::Scenario s = reference();
    const models::ModelHandle* model = models::find_model("reference");
    REQUIRE(model != nullptr);
    const auto lever = static_cast<std::size_t>(model->info().lever_index("lever_high_tech"));
    // lever_high_tech: held at 1 throughout at 0.5 bn yuan per unit-year, nothing added.
    const engine::LeverCost& rate = s.levers[lever].cost;
    REQUIRE(rate.per_unit_year == 0.5);
    REQUIRE(s.levers[lever].schedule.at(0.0) == 1.0);
    REQUIRE(s.levers[lever].schedule.at(24.0) == 1.0);
    // 105 weeks from 1 January 2022: 2022 (365 days), 2023 (365), and step 104 from 30 December
    // 2023, whose 5 days in 2024 make the run's third year.
    s.calendar = engine::Calendar(engine::YearMonth{2022, 1}, 105, engine::TimeUnit::week);
    REQUIRE(engine::budget_years(s.calendar) == std::vector<int>{2022, 2023, 2024});
    std::vector<engine::Schedule> schedules;
    for (const engine::LeverSetting& l : s.levers) {
        schedules.push_back(l.schedule);
    }
    const std::vector<double> cost = engine::lever_costs_by_year(s, schedules, nullptr);
    const std::size_t years = 3;
    const double per_day = 0.5 * rate.to_currency / 365.25;
    CHECK(cost[lever * years + 0] == Approx(365 * per_day).epsilon(1e-12));
    CHECK(cost[lever * years + 1] == Approx(365 * per_day).epsilon(1e-12));
    CHECK(cost[lever * years + 2] == Approx(5 * per_day).epsilon(1e-12));

    // A run of whole weeks inside one year lists that year alone.
    s.calendar = engine::Calendar(engine::YearMonth{2023, 1}, 52, engine::TimeUnit::week);
    REQUIRE(engine::budget_years(s.calendar) == std::vector<int>{2023});
    const std::vector<double> one = engine::lever_costs_by_year(s, schedules, nullptr);
    CHECK(one[lever] == Approx(364 * per_day).epsilon(1e-12));
}
