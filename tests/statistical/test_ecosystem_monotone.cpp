// More certification reward, more finance or more incubator capacity never lowers the expected
// counts they feed. Common random numbers: each replicate runs with and without the extra lever
// on the same random streams, and the paired differences are tested.
#include "../model/ecosystem_fixture.hpp"

#include <canopy/engine/statistics.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
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
