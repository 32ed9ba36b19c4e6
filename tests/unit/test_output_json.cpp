// The JSON summary: every documented field present with its type, numbers that read back
// exactly, and the same bytes for the same summary.
#include "output_fixture.hpp"

#include <canopy/output/json.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <limits>
#include <vector>

using namespace canopy;
using nlohmann::json;

namespace {

output::EnsembleSummary summary() {
    return output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(),
                                      test::synthetic_ensemble(10));
}

} // namespace

TEST_CASE("The JSON summary has every documented field with its type", "[output][json]") {
    const auto s = summary();
    const json j = json::parse(output::summary_json(s));
    CHECK(j.at("schema_version").get<int>() == output::JSON_SCHEMA_VERSION);
    CHECK(j.at("scenario") == "synthetic");
    CHECK(j.at("title") == "Synthetic ensemble");
    CHECK(j.at("model") == "synthetic");
    CHECK(j.at("seed").is_number_unsigned());
    CHECK(j.at("seed") == 7);
    CHECK(j.at("replicates") == 10);
    CHECK(j.at("policy_mix") == "base");
    CHECK(j.at("engine_version").is_string());
    const json& h = j.at("horizon");
    CHECK(h.at("start") == "2023-01");
    CHECK(h.at("end") == "2023-12");
    CHECK(h.at("steps") == 12);
    CHECK(h.at("time_step") == "month");
    CHECK(j.at("interval").at("method") == "wilson");
    CHECK(j.at("interval").at("confidence") == 0.95);
    CHECK_FALSE(j.contains("policy_mixes"));

    REQUIRE(j.at("targets").size() == 2);
    for (const json& t : j.at("targets")) {
        for (const char* key :
             {"id", "indicator", "description", "unit", "comparison", "source", "assumption"}) {
            INFO(key);
            CHECK(t.at(key).is_string());
        }
        for (const char* key : {"threshold", "p_attain", "mean", "median", "q05", "q95"}) {
            INFO(key);
            CHECK(t.at(key).is_number());
        }
        CHECK(t.at("replicates").is_number_unsigned());
        CHECK(t.at("attained").is_number_unsigned());
        REQUIRE(t.at("p_attain_ci").is_array());
        REQUIRE(t.at("p_attain_ci").size() == 2);
        CHECK(t.at("p_attain_ci")[0].get<double>() <= t.at("p_attain_ci")[1].get<double>());
        CHECK(t.at("determined_by").is_null()); // not checked: the dynamics are presumed
    }
    const json& high = j.at("targets")[0];
    CHECK(high.at("id") == "a_high");
    CHECK(high.at("comparison") == ">=");
    CHECK(high.at("threshold") == 8.0);
    CHECK(high.at("attained") == 3);
    CHECK(high.at("p_attain") == 0.3);

    REQUIRE(j.at("indicators").size() == 2);
    for (const json& i : j.at("indicators")) {
        for (const char* key : {"id", "kind", "unit", "description"}) {
            CHECK(i.at(key).is_string());
        }
        for (const char* key : {"mean", "median", "q05", "q95"}) {
            CHECK(i.at(key).is_number());
        }
    }
    CHECK(j.at("indicators")[0].at("kind") == "stock");
    CHECK(j.at("indicators")[1].at("kind") == "flow");

    REQUIRE(j.at("lever_costs").size() == 3);
    CHECK(j.at("lever_costs")[0].at("lever") == "l0");
    CHECK(j.at("lever_costs")[0].at("cost").is_number());
    CHECK(j.at("lever_costs")[0].at("unit") == "bn yuan");
    CHECK(j.at("lever_costs")[0].at("by_year")[0].at("year") == 2023);
    CHECK(j.at("budget").at("currency") == "bn yuan");
    CHECK(j.at("budget").at("total").get<double>() == Approx(4.0));
    CHECK(j.at("budget").at("cap_total").is_null());
    CHECK(j.at("budget").at("over_cap") == false);
}

TEST_CASE("JSON numbers read back as the very same doubles", "[output][json]") {
    const auto s = summary();
    const json j = json::parse(output::summary_json(s));
    const engine::TargetSummary& t = s.targets[0].summary;
    // Exact equality on purpose: the determinism tests compare files byte for byte.
    CHECK(j.at("targets")[0].at("p_attain_ci")[0].get<double>() == t.p_attain_ci.lo);
    CHECK(j.at("targets")[0].at("p_attain_ci")[1].get<double>() == t.p_attain_ci.hi);
    CHECK(j.at("indicators")[0].at("q05").get<double>() == s.indicator_stats[0].q05);
    CHECK(output::summary_json(s) == output::summary_json(summary()));
}

TEST_CASE("JSON writes NaN as null", "[output][json]") {
    auto ensemble = test::synthetic_ensemble(2);
    for (auto& run : ensemble.runs) {
        run.row(12)[0] = std::numeric_limits<double>::quiet_NaN();
    }
    const auto s =
        output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(), ensemble);
    const json j = json::parse(output::summary_json(s));
    CHECK(j.at("indicators")[0].at("mean").is_null());
    CHECK(j.at("targets")[0].at("median").is_null());
    CHECK(j.at("targets")[0].at("p_attain") == 0.0);
}

TEST_CASE("JSON counts the replicates whose final is undefined, only when there are some",
          "[output][json]") {
    auto ensemble = test::synthetic_ensemble(4);
    ensemble.runs[1].row(12)[0] = std::numeric_limits<double>::quiet_NaN();
    ensemble.runs[2].row(12)[0] = std::numeric_limits<double>::quiet_NaN();
    const auto s =
        output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(), ensemble);
    const json j = json::parse(output::summary_json(s));
    CHECK(j.at("targets")[0].at("undefined") == 2);
    CHECK(j.at("indicators")[0].at("undefined") == 2);
    CHECK_FALSE(j.at("targets")[1].contains("undefined"));
    CHECK_FALSE(j.at("indicators")[1].contains("undefined"));
}

TEST_CASE("JSON lists policy mixes with their own outcomes", "[output][json]") {
    const auto scenario = test::synthetic_scenario();
    output::SummaryOptions options;
    options.policy_mix = "more_l0";
    options.policy_mix_description = "Double lever 0";
    const std::vector<output::EnsembleSummary> mixes{
        output::summarise_ensemble(scenario.with_policy_mix("more_l0"), test::synthetic_model(),
                                   test::synthetic_ensemble(10, 2.0), options)};
    const json j = json::parse(output::summary_json(summary(), mixes));
    CHECK(j.at("policy_mix") == "base");
    REQUIRE(j.at("policy_mixes").size() == 1);
    const json& m = j.at("policy_mixes")[0];
    CHECK(m.at("policy_mix") == "more_l0");
    CHECK(m.at("description") == "Double lever 0");
    CHECK(m.at("targets")[0].at("p_attain") == 0.7);
    CHECK(m.at("budget").at("total").get<double>() == Approx(5.0));
    CHECK(m.at("indicators").size() == 2);
    CHECK(m.at("lever_costs").size() == 3);
}

TEST_CASE("JSON names the inputs that fix a target, and null when the dynamics decide",
          "[output][json]") {
    auto s = summary();
    s.targets[1].determination.by_inputs = true;
    s.targets[1].determination.inputs = {"p", "l0"};
    const json j = json::parse(output::summary_json(s));
    CHECK(j.at("targets")[0].at("determined_by").is_null());
    CHECK(j.at("targets")[1].at("determined_by") == json::array({"p", "l0"}));
    CHECK_FALSE(j.at("targets")[1].contains("not_probed"));
    s.targets[1].determination.not_probed = {"p (its perturbed run failed: std::bad_alloc)"};
    CHECK(json::parse(output::summary_json(s)).at("targets")[1].at("not_probed") ==
          json::array({"p (its perturbed run failed: std::bad_alloc)"}));
    s.targets[1].determination.not_probed.clear();
    s.targets[1].determination.inputs.clear(); // fixed, but by no single input
    CHECK(json::parse(output::summary_json(s)).at("targets")[1].at("determined_by") ==
          json::array());
}
