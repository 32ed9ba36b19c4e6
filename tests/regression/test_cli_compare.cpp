// `canopy compare`: the base and every mix on common random numbers, with paired differences and
// budgets in the table, the JSON and the HDF5 file; bad mix names refused before anything runs.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace canopy;
using namespace canopy::test::cli;
namespace fs = std::filesystem;

TEST_CASE("canopy compare with an unknown mix exits 2, names the flag and writes nothing",
          "[regression][cli][compare]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "compare " + shell_quote(REFERENCE) +
                                         " --mix high_tech_psh --json out.json --out out.h5 "
                                         "--report out.html");
    CHECK(r.status == 2);
    CHECK(r.err.find("--mix: scenario 'reference' has no policy mix 'high_tech_psh'") !=
          std::string::npos);
    CHECK(r.err.find("allowed: base, high_tech_push, incubator_ramp") != std::string::npos);
    CHECK(r.err.find("did you mean 'high_tech_push'?") != std::string::npos);
    CHECK(r.err.find("nothing was run or written") != std::string::npos);
    CHECK(entries(dir.path()).empty());

    // A mix named twice: most likely another one mistyped, so it is refused (it was dropped).
    const Result twice = run_canopy(dir, "compare " + shell_quote(REFERENCE) +
                                             " --mix high_tech_push --mix high_tech_push "
                                             "--json out.json");
    CHECK(twice.status == 2);
    CHECK(twice.err.find("--mix: 'high_tech_push' is named twice; name each mix once") !=
          std::string::npos);
    CHECK(entries(dir.path()).empty());
}

TEST_CASE("canopy compare reports medians, paired differences and costs per mix",
          "[regression][cli][compare]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "compare " + shell_quote(REFERENCE) +
                                         " --replicates 24 --json out.json --out out.h5");
    REQUIRE(r.status == 0);
    // The table: a budget block and one block per target, the mixes as rows.
    CHECK(r.out.find("common random numbers") != std::string::npos);
    CHECK(r.out.find("cost (bn yuan)") != std::string::npos);
    CHECK(r.out.find("leaders_2023  >= 60 firms") != std::string::npos);
    CHECK(r.out.find("  high_tech_push") != std::string::npos);
    CHECK(r.out.find(" pp [") != std::string::npos);
    // What each mix is, before the budget (descriptions were shown nowhere).
    CHECK(r.out.find("policy mix      what it is\n"
                     "base            the scenario's levers as written\n"
                     "high_tech_push  Double the high-tech promotion lever\n"
                     "incubator_ramp  Ramp the incubated promotion lever from 1 to 1.5 over the "
                     "first half of 2023\n") < r.out.find("cost (bn yuan)"));

    const auto j = nlohmann::json::parse(test::read_file(dir / "out.json"));
    CHECK(j["common_random_numbers"] == true);
    CHECK(j["currency"] == "bn yuan");
    REQUIRE(j["mixes"].size() == 3);
    CHECK(j["mixes"][0]["name"] == "base");
    CHECK(j["mixes"][1]["name"] == "high_tech_push");
    CHECK(j["mixes"][2]["name"] == "incubator_ramp");
    // lever_high_tech: 0.5 bn yuan a unit-year, held at 1 by the base and at 2 by the push (a
    // scale of the whole schedule, so nothing is added during the year).
    CHECK(j["mixes"][0]["cost"].get<double>() == Approx(0.5));
    CHECK(j["mixes"][1]["cost"].get<double>() == Approx(1.0));
    for (const auto& mix : j["mixes"]) {
        REQUIRE(mix["targets"].size() == 3);
        for (const auto& t : mix["targets"]) {
            for (const char* key : {"id", "median", "p_attain", "delta_median", "delta_median_ci",
                                    "delta_p", "delta_p_ci"}) {
                CHECK(t.contains(key));
            }
            if (mix["name"] == "base") {
                CHECK(t["delta_median"] == 0.0);
                CHECK(t["delta_p"] == 0.0);
            } else if (!t["delta_median"].is_null()) {
                CHECK(t["delta_median_ci"][0].get<double>() <= t["delta_median"].get<double>());
                CHECK(t["delta_median"].get<double>() <= t["delta_median_ci"][1].get<double>());
            }
        }
    }
    // Doubling high-tech promotion makes more leaders (measured: +69 [+66.5, +71.5] firms on
    // 100 replicates): a positive median difference whose interval excludes zero.
    const auto& leaders = j["mixes"][1]["targets"][0];
    REQUIRE(leaders["id"] == "leaders_2023");
    CHECK(leaders["delta_median_ci"][0].get<double>() > 0.0);

    // The HDF5 file: every mix's runs and the comparison, one entry per mix.
    const hid_t f = H5Fopen((dir / "out.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    for (const char* path : {"/indicators", "/policy_mixes/high_tech_push/indicators",
                             "/policy_mixes/incubator_ramp", "/comparison/mix", "/comparison/cost",
                             "/comparison/targets/high_tech_growth/delta_p_ci"}) {
        INFO(path);
        CHECK(H5Lexists(f, path, H5P_DEFAULT) > 0);
    }
    const hid_t d = H5Dopen2(f, "/comparison/targets/leaders_2023/delta_median", H5P_DEFAULT);
    REQUIRE(d >= 0);
    std::vector<double> dm(3);
    REQUIRE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dm.data()) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    CHECK(dm[1] == Approx(leaders["delta_median"].get<double>()));
}

TEST_CASE("canopy compare --mix chooses the mixes, the base always first",
          "[regression][cli][compare]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "compare " + shell_quote(REFERENCE) +
                                         " --replicates 8 --mix incubator_ramp --json -");
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["mixes"].size() == 2);
    CHECK(j["mixes"][0]["name"] == "base");
    CHECK(j["mixes"][1]["name"] == "incubator_ramp");
}

TEST_CASE("canopy compare says where a target was undefined and keeps an all-inf median",
          "[regression][cli][compare]") {
    // leaders_huge: the leader stock times 1e308, +inf in every replicate of every mix;
    // no_share: leaders over a stock scaled by 0, undefined (a ratio over zero) in every one.
    const test::TempDir dir;
    test::write_file(dir / "edge.toml", "extends = " + nlohmann::json(REFERENCE).dump() + R"(
[scenario]
name = "edge"

[indicators.leaders_huge]
kind = "stock"
series = "leader"
at = "2023-12"
scale = 1e308

[indicators.no_leaders]
kind = "stock"
series = "leader"
at = "2023-12"
scale = 0

[indicators.no_share]
kind = "ratio"
numerator = "leaders_2023"
denominator = "no_leaders"

[targets.leaders_huge]
threshold = 60
assumption = "a test of infinite finals"

[targets.no_share]
threshold = 1
assumption = "a test of undefined finals"
)");
    const Result r = run_canopy(dir, "compare edge.toml --replicates 6 --mix high_tech_push "
                                     "--json out.json --out out.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("  no_share undefined in 6 of 6 replicates under base\n") !=
          std::string::npos);
    CHECK(r.out.find("  no_share undefined in 6 of 6 replicates under high_tech_push\n") !=
          std::string::npos);
    CHECK(r.out.find("leaders_2023 undefined") == std::string::npos);
    // The median of +inf finals is inf; inf - inf, the difference from the base, has no value.
    const std::size_t huge = r.out.find("leaders_huge  >= 60");
    REQUIRE(huge != std::string::npos);
    std::istringstream block(r.out.substr(huge, r.out.find("\n\n", huge) - huge));
    std::vector<std::vector<std::string>> rows; // the words of each line
    for (std::string line; std::getline(block, line);) {
        std::istringstream in(line);
        rows.emplace_back(std::istream_iterator<std::string>(in),
                          std::istream_iterator<std::string>());
    }
    REQUIRE(rows.size() == 4); // heading, columns, base, the mix
    CHECK(rows[2][0] == "base");
    CHECK(rows[2][1] == "inf");
    CHECK(rows[3][0] == "high_tech_push");
    CHECK(rows[3][1] == "inf");
    CHECK(rows[3][2] == "n/a");

    const auto j = nlohmann::json::parse(test::read_file(dir / "out.json"));
    for (const auto& mix : j["mixes"]) {
        INFO(mix["name"]);
        REQUIRE(mix["targets"].size() == 5);
        CHECK_FALSE(mix["targets"][0].contains("undefined"));
        CHECK(mix["targets"][3]["id"] == "leaders_huge");
        CHECK(mix["targets"][3]["median"].is_null()); // JSON has no inf: null, as for NaN
        CHECK(mix["targets"][4]["id"] == "no_share");
        CHECK(mix["targets"][4]["undefined"] == 6);
    }
    // The HDF5 comparison counts them per mix too (the base first).
    const hid_t f = H5Fopen((dir / "out.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    for (const auto& [id, want] :
         std::vector<std::pair<std::string, std::uint64_t>>{{"no_share", 6}, {"leaders_2023", 0}}) {
        INFO(id);
        const hid_t d =
            H5Dopen2(f, ("/comparison/targets/" + id + "/undefined").c_str(), H5P_DEFAULT);
        REQUIRE(d >= 0);
        std::vector<std::uint64_t> undefined(2, 99);
        CHECK(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, undefined.data()) >= 0);
        H5Dclose(d);
        CHECK(undefined == std::vector<std::uint64_t>{want, want});
    }
    H5Fclose(f);
}

TEST_CASE("canopy compare's report tells mixes with a long shared name apart",
          "[regression][cli][compare][report]") {
    // Every chart cut both names to "scale_up_high_tech_promotion_pro…"; the tornado's labels
    // also said each name twice ("NAME policy mix NAME instead of the base").
    const test::TempDir dir;
    test::write_file(dir / "long.toml",
                     "extends = \"" + REFERENCE +
                         "\"\n"
                         "[policy_mixes.scale_up_high_tech_promotion_programme_low]\n"
                         "description = \"Scale the high-tech promotion lever by 1.5\"\n"
                         "levers.lever_high_tech.scale = 1.5\n"
                         "[policy_mixes.scale_up_high_tech_promotion_programme_high]\n"
                         "description = \"Scale the high-tech promotion lever by 2\"\n"
                         "levers.lever_high_tech.scale = 2\n");
    const Result r = run_canopy(dir, "compare long.toml -n 8 --report long.html --json -");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = test::read_file(dir / "long.html");
    CHECK(html.find("Each bar is a policy mix instead of the base") != std::string::npos);
    // A mix sets several levers: its bar is not a change of one lever.
    CHECK(html.find("when one lever changes") == std::string::npos);
    CHECK(html.find("instead of the base</title>") == std::string::npos);
    CHECK(html.find("class=\"muted key\"") == std::string::npos); // no numbered labels needed
    for (const std::string end : {"_low", "_high"}) {
        const std::string tip = "<title>scale_up_high_tech_promotion_programme" + end + "</title>";
        std::size_t shown = 0;
        for (std::size_t at = html.find(tip); at != std::string::npos;
             at = html.find(tip, at + 1)) {
            const std::size_t begin = at + tip.size();
            const std::string text = html.substr(begin, html.find("</text>", begin) - begin);
            CHECK(text.size() > end.size());
            CHECK(text.substr(text.size() - end.size()) == end);
            ++shown;
        }
        CHECK(shown >= 5); // three attainment charts, the cost chart, the tornadoes
    }
    CHECK(html.find("<dd>Scale the high-tech promotion lever by 2</dd>") != std::string::npos);
}
