// The ecosystem model's rules across parameters, its horizon and its estimate of firms, as the
// default Wuhan scenario meets them: each mistake an outside tester made (issue 6) is now a
// diagnostic at the key that made it.
#include "ecosystem/ecosystem_model.hpp"
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

using namespace canopy;
using Catch::Matchers::Contains;

namespace {

const std::string WUHAN_DIR = std::string(CANOPY_SOURCE_DIR) + "/scenarios";

// The default scenario with `extra` laid over it, loaded as if from scenarios/ (so its
// `extends` resolves); line 2 of the text is the first line of `extra`.
engine::LoadResult wuhan_with(const std::string& extra) {
    return engine::load_scenario_text("extends = \"wuhan-2023.toml\"\n" + extra,
                                      WUHAN_DIR + "/mistake.toml", models::model_catalog());
}

std::vector<engine::Diagnostic> errors_of(const std::string& extra) {
    const engine::LoadResult r = wuhan_with(extra);
    INFO(r.diagnostics.format());
    CHECK_FALSE(r.scenario.has_value());
    std::vector<engine::Diagnostic> out;
    for (const engine::Diagnostic& d : r.diagnostics) {
        if (d.severity == engine::Diagnostic::Severity::error) {
            out.push_back(d);
        }
    }
    return out;
}

} // namespace

TEST_CASE("The ecosystem model's rules name its parameters and hold for its defaults and for "
          "Wuhan",
          "[model][ecosystem][limits]") {
    const engine::ModelInfo& info = models::find_model("ecosystem")->info();
    REQUIRE(info.constraints.size() >= 8);
    std::vector<engine::ParameterSetting> defaults;
    for (const engine::ParameterSpec& p : info.parameters) {
        defaults.push_back({engine::Uncertain::fixed(p.default_value), {}});
    }
    for (const engine::ParameterConstraint& c : info.constraints) {
        for (const std::string& name : c.parameters) {
            INFO(name);
            CHECK(info.parameter_index(name) >= 0);
        }
    }
    CHECK(engine::constraint_violations(info, defaults).empty());
    const engine::LoadResult wuhan = wuhan_with("");
    INFO(wuhan.diagnostics.format());
    CHECK(wuhan.scenario.has_value());
}

TEST_CASE("Cross-field mistakes in the Wuhan scenario are diagnostics at their keys",
          "[model][ecosystem][limits]") {
    SECTION("a registration window whose first month is after its last") {
        const auto e = errors_of("[parameters.registration_first_month]\nvalue = 11\n"
                                 "assumption = \"s\"\n[parameters.registration_last_month]\n"
                                 "value = 3\nassumption = \"s\"\n");
        REQUIRE(e.size() == 1);
        CHECK(e[0].key == "parameters.registration_last_month.value");
        CHECK(e[0].line == 6);
        CHECK_THAT(e[0].message, Contains("registration window's months are out of order") &&
                                     Contains("mistake.toml:3") && Contains("mistake.toml:6"));
    }
    SECTION("sector shares summing to 1.8") {
        // 0.22 + 0.8 + 0.61 + 0.12 + 0.05: the model's defaults for the other three.
        const auto e = errors_of("[parameters.share_auto]\nvalue = 0.8\nassumption = \"s\"\n"
                                 "[parameters.share_health]\nvalue = 0.61\nassumption = \"s\"\n");
        REQUIRE(e.size() == 1);
        CHECK(e[0].key == "parameters.share_health.value");
        CHECK_THAT(e[0].message, Contains("the sector shares sum to 1.8") &&
                                     Contains("share_optoelectronics = 0.22 at "));
    }
    SECTION("batch shares over 1") {
        // Wuhan draws batch 1 from a range; the mistake moves the range to 0.85-0.9.
        const auto e = errors_of(
            "[parameters.hte_batch1_share]\nlow = 0.85\nhigh = 0.9\nassumption = \"s\"\n");
        REQUIRE(e.size() == 1);
        // At the field this file changed, not at the distribution the scenario it extends gives.
        CHECK(e[0].key == "parameters.hte_batch1_share.high");
        CHECK(e[0].line == 4);
        CHECK_THAT(e[0].message, Contains("batch 3 takes the rest") &&
                                     Contains("hte_batch1_share = from 0.85 to 0.9 (a "
                                              "distribution) at " +
                                              WUHAN_DIR + "/mistake.toml:4"));
    }
    SECTION("an incubation minimum above the maximum") {
        const auto e = errors_of("[parameters.incubation_min_months]\nvalue = 60\n"
                                 "assumption = \"s\"\n");
        REQUIRE(e.size() == 1);
        CHECK_THAT(e[0].message, Contains("incubation_min_months (60) can exceed "
                                          "incubation_max_months (48)"));
    }
    SECTION("a median graduate inflow of 1e308") {
        const auto e = errors_of("[parameters.graduate_inflow]\ndistribution = \"lognormal\"\n"
                                 "median = 1e308\nsigma = 0.1\nsource = \"s\"\n");
        REQUIRE(e.size() == 1);
        CHECK(e[0].key == "parameters.graduate_inflow.distribution");
        CHECK_THAT(e[0].message, Contains("the graduate inflow can reach inf"));
    }
    SECTION("a loan balance that would shrink faster than its loans are repaid") {
        // With terms of 12-36 months, -45 % a year is more than a 36-month balance can lose
        // (e^(-1/3) - 1 = -28.3 %): no loan would be made, and tech_loan_growth was -28.3 % in
        // every replicate, without a word.
        const auto e = errors_of(
            "[baseline.initial_loan_growth]\nlow = -0.45\nhigh = 0.3\nassumption = \"s\"\n");
        REQUIRE(e.size() == 1);
        // Said in the file that changed the distribution, at the last field it changed (the
        // scenario it extends gives the distribution and loan_term_months).
        CHECK(e[0].key == "baseline.initial_loan_growth.high");
        CHECK(e[0].line == 4);
        CHECK_THAT(e[0].message,
                   Contains("the tech-loan balance's growth over the year before the start can "
                            "break the rule initial_loan_growth > e^(-12 / loan_term_months) - 1 "
                            "where the draws reach initial_loan_growth = -0.45, "
                            "loan_term_months = 36") &&
                       Contains("loan_term_months = from 12 to 36 (a distribution) at ") &&
                       Contains("faster than its loans are repaid"));
        CHECK(e[0].allowed == "initial_loan_growth > e^(-12 / loan_term_months) - 1");
        // -25 % a year is within what even a 36-month balance can lose.
        const engine::LoadResult shrinking = wuhan_with(
            "[baseline.initial_loan_growth]\nlow = -0.25\nhigh = 0.3\nassumption = \"s\"\n");
        INFO(shrinking.diagnostics.format());
        CHECK(shrinking.scenario.has_value());
    }
    SECTION("a policy mix that breaks a rule the base keeps") {
        const auto e = errors_of("[policy_mixes.no_new_programmes.parameters.share_beidou]\n"
                                 "value = 0.5\nsource = \"s\"\n");
        REQUIRE(e.size() == 1);
        CHECK(e[0].key == "policy_mixes.no_new_programmes.parameters.share_beidou.value");
        CHECK_THAT(e[0].message, Contains("policy mix 'no_new_programmes': the sector shares"));
    }
}

TEST_CASE("A horizon longer than the model's 16-bit months is refused at validation",
          "[model][ecosystem][limits]") {
    // Issue 6, item 6: 2000-4800 ran, exited 0, and the high-tech stock collapsed to 0 after
    // 32,733 months; 0001-9999 ended in std::bad_alloc.
    for (const char* years :
         {"start = \"2000-01\"\nend = \"4800-12\"\n", "start = \"0001-02\"\nend = \"9999-12\"\n"}) {
        const auto e = errors_of(std::string("[scenario]\n") + years);
        REQUIRE(e.size() == 1);
        CHECK(e[0].key == "scenario.end");
        CHECK(e[0].line == 4);
        CHECK_THAT(e[0].message, Contains("holds at most 32527 months") && Contains("16 bits"));
    }
    const engine::LoadResult longest =
        wuhan_with("[scenario]\nstart = \"2000-01\"\nend = \"4710-07\"\n");
    INFO(longest.diagnostics.format());
    CHECK(longest.scenario.has_value()); // 32,527 months: the longest the model holds
}

TEST_CASE("The ecosystem model estimates its firms at the horizon", "[model][ecosystem][limits]") {
    const models::ModelHandle* model = models::find_model("ecosystem");
    const engine::LoadResult wuhan = wuhan_with("");
    REQUIRE(wuhan.scenario.has_value());
    const double firms = model->agents_at_horizon(*wuhan.scenario);
    // 34,645 firms at the start and at most 890 arrivals a month for 24 months.
    CHECK(firms > 34'000);
    CHECK(firms < 60'000);
    // A million startups a month only ever find the seats the city has: as many firms as a
    // hundred thousand would bring, far fewer than a million a month would.
    const auto startups = [&](const char* rate) {
        const engine::LoadResult r = wuhan_with(std::string("[parameters.startup_rate]\n") + rate +
                                                "\nassumption = \"s\"\n");
        INFO(r.diagnostics.format());
        REQUIRE(r.scenario.has_value());
        return model->agents_at_horizon(*r.scenario);
    };
    const double million = startups("low = 999998\nmode = 999999\nhigh = 1e6");
    CHECK(million == startups("low = 99998\nmode = 99999\nhigh = 1e5"));
    CHECK(million < 1e6);
    // ... but a million SME entrants a month need none: 24 million firms by the end.
    const engine::LoadResult crowded =
        wuhan_with("[parameters.sme_entry_rate]\nlow = 999998\nmode = 999999\nhigh = 1e6\n"
                   "assumption = \"s\"\n");
    REQUIRE(crowded.scenario.has_value());
    CHECK(model->agents_at_horizon(*crowded.scenario) > 24e6);
}

TEST_CASE("Indicator units on the ecosystem's series: percentages, shares, area and ratios",
          "[model][ecosystem][limits]") {
    // From a reviewer: a series in '%' labelled '%' at scale 100, or a share labelled 'share' at
    // 100, passed (13 % printed as 1300 %); 'm²' on a series in 10k m2 was read as a million;
    // 'firms per centre' read as a percentage; a ratio in '%' at scale 1 written before its
    // parts passed where the same written after them did not.
    const auto stock = [](const std::string& series, const std::string& unit, double scale) {
        return "[indicators.xa]\nkind = \"stock\"\nseries = \"" + series +
               "\"\nat = \"2023-12\"\nunit = \"" + unit + "\"\nscale = " + std::to_string(scale) +
               "\n";
    };
    for (const auto& [series, unit, scale] :
         std::vector<std::tuple<std::string, std::string, double>>{
             {"hitech_va_panel_growth", "%", 100.0},
             {"insured_share", "share", 100.0},
             {"insured_share", "%", 1.0},
             {"insured_share", "‰", 1.0},
             {"high_tech_enterprises", "‰", 1000.0},
             {"tech_loan_balance", "10^4 yuan", 1.0},
             {"high_tech_enterprises", "%", 100.0}}) {
        INFO(series << " in " << unit << " at " << scale);
        const auto e = errors_of(stock(series, unit, scale));
        REQUIRE(e.size() == 1);
        CHECK(e[0].key.rfind("indicators.xa.", 0) == 0);
    }
    for (const auto& [series, unit, scale] :
         std::vector<std::tuple<std::string, std::string, double>>{
             {"insured_share", "%", 100.0},
             {"insured_share", "share", 1.0},
             {"hitech_va_panel_growth", "%", 1.0},
             {"innovation_space", "m²", 10000.0},
             {"innovation_space", "sq m", 10000.0},
             {"innovation_space", "万平方米", 1.0},
             {"knowledge", "index, 2022 = 100", 100.0},
             {"insured_share", "‰", 1000.0},
             {"tech_loan_balance", "10^4 yuan", 10000.0},
             {"tech_loan_balance", "10⁴ yuan", 10000.0},
             {"tech_loan_balance", "1e8 yuan", 1.0},
             {"talent", "万人", 0.1}}) {
        INFO(series << " in " << unit << " at " << scale);
        const engine::LoadResult r = wuhan_with(stock(series, unit, scale));
        INFO(r.diagnostics.format());
        CHECK(r.scenario.has_value());
    }
    // A ratio of firms to firms in '%' at scale 1, written before its parts.
    const auto early = errors_of("[indicators.aa_ratio]\nkind = \"ratio\"\nnumerator = "
                                 "\"zz_leaders\"\ndenominator = \"zz_high_tech\"\nunit = \"%\"\n"
                                 "[indicators.zz_leaders]\nkind = \"stock\"\nseries = "
                                 "\"leaders\"\nat = \"2023-12\"\n"
                                 "[indicators.zz_high_tech]\nkind = \"stock\"\nseries = "
                                 "\"high_tech_enterprises\"\nat = \"2023-12\"\n");
    REQUIRE(early.size() == 1);
    CHECK(early[0].key == "indicators.aa_ratio.unit");
    // From a second reviewer: a target in '%' on a unit-less stock of a share compared 0.27
    // with 30; a ratio of 100m yuan over 亿元 in '%' at scale 1 passed as unlike units.
    const auto share_target =
        errors_of("[indicators.insured_end]\nkind = \"stock\"\nseries = \"insured_share\"\n"
                  "at = \"2023-12\"\n[targets.insured_end]\nthreshold = 30\nunit = \"%\"\n"
                  "assumption = \"s\"\n");
    REQUIRE(share_target.size() == 1);
    CHECK(share_target[0].key == "targets.insured_end.unit");
    const auto mixed =
        errors_of("[indicators.zz_turnover]\nkind = \"flow\"\nseries = \"tech_contract_turnover\"\n"
                  "from = \"2023-01\"\nto = \"2023-12\"\nunit = \"100m yuan\"\n"
                  "[indicators.zz_loans]\nkind = \"flow\"\n"
                  "series = \"new_loans\"\nfrom = \"2023-01\"\nto = \"2023-12\"\nunit = \"亿元\"\n"
                  "[indicators.zz_ratio]\nkind = \"ratio\"\nnumerator = \"zz_turnover\"\n"
                  "denominator = \"zz_loans\"\nunit = \"%\"\n");
    REQUIRE(mixed.size() == 1);
    CHECK(mixed[0].key == "indicators.zz_ratio.unit");
    // "per centre" is no percentage: a ratio of firms per centre at scale 1.
    const engine::LoadResult per_centre =
        wuhan_with("[indicators.per_centre]\nkind = \"ratio\"\nnumerator = \"zz_leaders\"\n"
                   "denominator = \"zz_centres\"\n"
                   "[indicators.zz_leaders]\nkind = \"stock\"\nseries = \"leaders\"\n"
                   "at = \"2023-12\"\n[indicators.zz_centres]\nkind = \"stock\"\nseries = "
                   "\"transfer_centres\"\nat = \"2023-12\"\n"
                   "[targets.per_centre]\nthreshold = 0.5\nunit = \"firms per centre\"\n"
                   "assumption = \"s\"\n");
    INFO(per_centre.diagnostics.format());
    CHECK(per_centre.scenario.has_value());
}
