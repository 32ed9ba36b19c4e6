// More of any lever never lowers the expected outcomes its channel feeds, and raises them: every
// lever of the ecosystem model has a case here (the first "Monotone:" test checks that). Common
// random numbers: each replicate runs with and without the extra lever on the same random
// streams, and the paired differences are tested.
#include "../model/ecosystem_fixture.hpp"

#include <canopy/engine/statistics.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace canopy;
using canopy::test::EcoResult;
using canopy::test::EcoRun;
using canopy::test::run_eco;
namespace ser = canopy::models::ecosystem::series;

namespace {

constexpr int REPLICATES = 16;

struct Paired {
    double mean = 0.0;
    double standard_error = 0.0;
};

// The paired difference more - base of an outcome over REPLICATES replicates.
Paired paired_difference(const EcoRun& base, const EcoRun& more,
                         const std::function<double(const EcoResult&)>& outcome) {
    std::vector<double> d;
    for (std::uint32_t r = 0; r < REPLICATES; ++r) {
        EcoRun a = base;
        EcoRun b = more;
        a.replicate = b.replicate = r;
        d.push_back(outcome(run_eco(b)) - outcome(run_eco(a)));
    }
    return {engine::mean(d), engine::standard_deviation(d) / std::sqrt(double{REPLICATES})};
}

// "Never lowers": a decrease larger than 3 standard errors of the paired mean would be a
// significant decrease (one-sided, p < 0.002); the lever's real effect must also show (> 0).
void check_not_lower_and_positive(const Paired& p) {
    INFO("paired mean " << p.mean << ", standard error " << p.standard_error);
    CHECK(p.mean > -3.0 * p.standard_error);
    CHECK(p.mean > 0.0);
}

} // namespace

TEST_CASE("A larger certification reward never lowers certification", "[statistical][monotone]") {
    EcoRun base;
    EcoRun more = base;
    more.levers.insert_or_assign("hte_certification_reward", engine::Schedule::constant(60.0));
    check_not_lower_and_positive(paired_difference(
        base, more, [](const EcoResult& r) { return r.sum(ser::hte_new_certificates, 1, 24); }));
    check_not_lower_and_positive(paired_difference(
        base, more, [](const EcoResult& r) { return r.at(24, ser::high_tech_enterprises); }));
}

TEST_CASE("More finance never lowers lending or the firms it keeps alive",
          "[statistical][monotone]") {
    EcoRun base;
    EcoRun more = base;
    more.levers.insert_or_assign("tech_loan_risk_compensation", engine::Schedule::constant(2.0));
    check_not_lower_and_positive(paired_difference(
        base, more, [](const EcoResult& r) { return r.at(24, ser::tech_loan_balance); }));
    check_not_lower_and_positive(paired_difference(
        base, more, [](const EcoResult& r) { return r.at(24, ser::active_firms); }));
    EcoRun fund = base;
    fund.levers.insert_or_assign("vc_guidance_fundraising", engine::Schedule::constant(2000.0));
    check_not_lower_and_positive(paired_difference(
        base, fund, [](const EcoResult& r) { return r.sum(ser::vc_deals, 1, 24); }));
}

TEST_CASE("More incubator capacity never lowers startups in incubators",
          "[statistical][monotone]") {
    EcoRun base;
    EcoRun more = base;
    more.levers.insert_or_assign("new_incubators", engine::Schedule::constant(120.0));
    check_not_lower_and_positive(paired_difference(
        base, more, [](const EcoResult& r) { return r.at(24, ser::incubated_startups); }));
    check_not_lower_and_positive(paired_difference(
        base, more, [](const EcoResult& r) { return r.sum(ser::births, 1, 24); }));
}

// ---- every other lever ------------------------------------------------------------------------
//
// One case per lever: the lever raised well above its level from the second year on (month 12,
// as a scenario's policy_start sets it: a level held from the first month would partly be
// absorbed where the model derives a starting rate from the starting lever, D4's broker
// attrition and the knowledge stock's normalisation by the starting labs and projects), on the
// same random streams as the run that keeps it, and the outcomes its channel
// (models/ecosystem/README.md, D9) feeds in that second year. The outcomes carry the run's
// randomness (firm counts, or flows scaled by them), so the paired standard error is a real one.

namespace {

using Outcome = std::function<double(const EcoResult&)>;

struct LeverCase {
    const char* lever;
    double more;                               ///< the level from month 12 on
    std::map<std::string, double> parameters;  ///< overrides for both runs, where needed
    std::map<std::string, double> base_levers; ///< the base's levels, where not the default
    std::vector<std::pair<const char*, Outcome>> outcomes;
};

constexpr double RAISED_FROM_MONTHS = 12.0;

Outcome second_year(ser::Id s) {
    return [=](const EcoResult& r) { return r.sum(s, 13, 24); };
}

Outcome final_value(ser::Id s) {
    return [=](const EcoResult& r) { return r.at(24, s); };
}

void check_lever(const LeverCase& c) {
    const auto& info = canopy::test::ecosystem_model().info();
    EcoRun base;
    base.parameters = c.parameters;
    for (const auto& [name, level] : c.base_levers) {
        base.levers.insert_or_assign(name, engine::Schedule::constant(level));
    }
    const auto kept = c.base_levers.find(c.lever);
    const double level =
        kept != c.base_levers.end()
            ? kept->second
            : info.levers[static_cast<std::size_t>(info.lever_index(c.lever))].default_value;
    EcoRun more = base;
    more.levers.insert_or_assign(c.lever,
                                 engine::Schedule::step(level, {{RAISED_FROM_MONTHS, c.more}}));
    for (const auto& [what, outcome] : c.outcomes) {
        INFO(c.lever << " " << level << " -> " << c.more << ": " << what);
        check_not_lower_and_positive(paired_difference(base, more, outcome));
    }
}

// The levers with a case in this table (the four above have their own tests).
const std::vector<LeverCase>& lever_cases() {
    static const std::vector<LeverCase> cases = {
        // finance
        {"transfer_fund_size",
         60.0,
         {},
         {},
         {{"venture capital available", final_value(ser::vc_stock)},
          {"venture deals", second_year(ser::vc_deals)}}},
        {"tech_insurance_support",
         2.0,
         {},
         {},
         {{"insurance premiums", final_value(ser::tech_insurance)}}},
        // talent
        {"graduate_retention_support",
         2.0,
         {},
         {},
         {{"graduates retained", second_year(ser::graduates_retained)},
          {"skilled workforce", final_value(ser::talent)}}},
        {"talent_programme_recruits",
         6000.0,
         {},
         {},
         {{"SME entries", second_year(ser::sme_entries)},
          {"firms on the ladder", final_value(ser::active_firms)}}},
        // platform
        {"innovation_space_construction",
         2000.0,
         // Seats scarce, so that seats limit births: no carriers' seats, and space for about as
         // many startups as there are (400 x 5 seats for 2,000).
         {{"seats_per_incubator", 0.0}, {"initial_innovation_space", 400.0}},
         {},
         {{"births", second_year(ser::births)},
          {"startups in incubators", final_value(ser::incubated_startups)}}},
        {"new_pilot_platforms",
         300.0,
         {},
         {},
         {{"firms tied to a platform", final_value(ser::tied_firms)},
          {"mean capability", final_value(ser::mean_capability)}}},
        {"new_transfer_centres",
         60.0,
         {},
         {},
         {{"contract turnover", second_year(ser::tech_contract_turnover)}}},
        {"new_transfer_staff",
         3000.0,
         {},
         {},
         {{"contract turnover", second_year(ser::tech_contract_turnover)}}},
        {"matchmaking_events",
         500.0,
         {},
         {},
         {{"contract turnover", second_year(ser::tech_contract_turnover)},
          {"births", second_year(ser::births)}}},
        {"new_labs",
         300.0,
         {},
         {},
         {{"contract turnover", second_year(ser::tech_contract_turnover)}}},
        {"major_projects",
         100.0,
         {},
         {},
         {{"contract turnover", second_year(ser::tech_contract_turnover)},
          {"births", second_year(ser::births)}}},
        // enterprise
        {"sme_outreach",
         2.0,
         {},
         {},
         {{"tech SMEs registered", second_year(ser::tech_smes_registered)}}},
        {"leader_quota",
         30.0,
         {},
         {{"leader_quota", 2.0}},
         {{"leaders selected", second_year(ser::leaders_selected)},
          {"leaders", final_value(ser::leaders)}}},
        {"rnd_institution_support",
         2.0,
         {},
         {},
         {{"R&D institutions founded", second_year(ser::rnd_institutions_founded)},
          {"firms with an R&D institution", final_value(ser::firms_with_rnd_institution)}}},
    };
    return cases;
}

const LeverCase& lever_case(const std::string& lever) {
    for (const LeverCase& c : lever_cases()) {
        if (c.lever == lever) {
            return c;
        }
    }
    throw Error("test: no monotonicity case for " + lever);
}

} // namespace

TEST_CASE("Monotone: every lever of the ecosystem model has a monotonicity test",
          "[statistical][monotone]") {
    std::set<std::string> covered = {"hte_certification_reward", "tech_loan_risk_compensation",
                                     "vc_guidance_fundraising", "new_incubators"};
    for (const LeverCase& c : lever_cases()) {
        covered.insert(c.lever);
    }
    for (const auto& lever : canopy::test::ecosystem_model().info().levers) {
        INFO(lever.name);
        CHECK(covered.count(lever.name) == 1);
    }
    CHECK(covered.size() == canopy::test::ecosystem_model().info().levers.size());
}

#define CANOPY_MONOTONE_CASE(lever, title)                                                         \
    TEST_CASE("Monotone: " title, "[statistical][monotone]") {                                     \
        check_lever(lever_case(lever));                                                            \
    }

CANOPY_MONOTONE_CASE("transfer_fund_size", "a larger transfer fund never lowers venture capital")
CANOPY_MONOTONE_CASE("tech_insurance_support", "more insurance support never lowers premiums")
CANOPY_MONOTONE_CASE("graduate_retention_support",
                     "more retention support never lowers graduates retained")
CANOPY_MONOTONE_CASE("talent_programme_recruits", "more recruits never lower firm entries")
CANOPY_MONOTONE_CASE("innovation_space_construction", "more innovation space never lowers births")
CANOPY_MONOTONE_CASE("new_pilot_platforms", "more pilot platforms never lower platform ties")
CANOPY_MONOTONE_CASE("new_transfer_centres", "more transfer centres never lower turnover")
CANOPY_MONOTONE_CASE("new_transfer_staff", "more brokers never lower turnover")
CANOPY_MONOTONE_CASE("matchmaking_events", "more matchmaking never lowers turnover or births")
CANOPY_MONOTONE_CASE("new_labs", "more labs never lower turnover")
CANOPY_MONOTONE_CASE("major_projects", "more major projects never lower turnover or births")
CANOPY_MONOTONE_CASE("sme_outreach", "more outreach never lowers registrations")
CANOPY_MONOTONE_CASE("leader_quota", "a larger leader quota never lowers designations")
CANOPY_MONOTONE_CASE("rnd_institution_support",
                     "more R&D-institution support never lowers institutions founded")
