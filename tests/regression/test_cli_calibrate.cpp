// `canopy calibrate` from the command line: the shipped small calibration (made cheaper), the
// hold-out mode, the method of moments, the same bits at 1 and 2 threads, bad files refused
// with nothing written, and `canopy run --posterior` carrying the parameters' uncertainty into
// the intervals of what they drive.
#include "cli_fixture.hpp"

#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/output_lock.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace canopy::test;
using namespace canopy::test::cli;
using canopy::experiments::CalibrationResult;
using canopy::experiments::read_calibration_result;

namespace {

const std::string QUICK =
    std::string(CANOPY_SOURCE_DIR) + "/tests/data/calibration/reference-quick.toml";
const std::string HISTORY = std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference-history.toml";

// The values scenarios/data/reference-history.csv was simulated with.
constexpr double TRUE_BIRTHS = 15.0;
constexpr double TRUE_LEVER = 1.5;

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// The quick calibration, its paths made absolute so that it can be written anywhere.
std::string quick_here() {
    const std::string scenarios = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    std::string text = replaced(read_file(QUICK), "../../../scenarios/", scenarios);
    return replaced(text, "../../../scenarios/", scenarios);
}

nlohmann::json read_json(const fs::path& p) {
    return nlohmann::json::parse(read_file(p));
}

// The 90 % interval of a target's final value in a `canopy run --json` summary.
double interval_width(const nlohmann::json& summary, const std::string& indicator) {
    for (const auto& i : summary["indicators"]) {
        if (i["id"] == indicator) {
            return i["q95"].get<double>() - i["q05"].get<double>();
        }
    }
    FAIL("no indicator " << indicator);
    return 0.0;
}

} // namespace

TEST_CASE("canopy calibrate fits the simulated history and writes the posterior", "[regression]") {
    const TempDir dir;
    const Result r = run_canopy(dir, "calibrate " + shell_quote(QUICK) +
                                         " --out post.h5 --json post.json --threads 2");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("births_per_month") != std::string::npos);
    // The result and nothing else: no journal or temporary left behind.
    CHECK(entries(dir.path()) == std::vector<std::string>{"post.h5", "post.json"});
    const nlohmann::json j = read_json(dir / "post.json");
    CHECK(j["method"] == "abc-smc");
    CHECK(j["schema_version"] == 1);
    CHECK(j["model"] == "reference");
    CHECK(j["ess"].get<double>() >= 60.0);
    CHECK(j["figures"].size() == 12);
    const CalibrationResult post = read_calibration_result(dir / "post.h5");
    CHECK(post.parameters == std::vector<std::string>{"births_per_month", "lever_high_tech"});
    CHECK(post.generations.size() == j["generations"].size());
    // The values that made the data lie inside the 90 % intervals.
    CHECK(post.summaries[0].q05 <= TRUE_BIRTHS);
    CHECK(TRUE_BIRTHS <= post.summaries[0].q95);
    CHECK(post.summaries[1].q05 <= TRUE_LEVER);
    CHECK(TRUE_LEVER <= post.summaries[1].q95);
    CHECK(post.calibration_text == read_file(QUICK));
    CHECK(post.data_sha256.size() == 64);
}

TEST_CASE("the method of moments' posterior lies where the priors have mass", "[regression]") {
    // An outside tester: births_per_month with prior uniform(14, 16) (bounds left at the model's
    // range) had SMM draws from 8.46 to 20.96, 58.5 % of the weight outside [14, 16], and
    // `canopy run --posterior` took them. The normal approximation is now truncated to the
    // priors' support, not to the bounds alone.
    const TempDir dir;
    write_file(dir / "c.toml", replaced(replaced(quick_here(), "low = 5\n", "low = 14\n"),
                                        "high = 40\n", "high = 16\n"));
    const Result r = run_canopy(dir, "calibrate c.toml --method smm --out p.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const CalibrationResult p = read_calibration_result(dir / "p.h5");
    REQUIRE(p.parameters.size() == 2);
    REQUIRE(p.parameters[0] == "births_per_month");
    const std::size_t n = p.weights.size();
    REQUIRE(n == 60);
    double outside = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
        const double births = p.particle(k, 0);
        outside += births < 14.0 || births > 16.0 ? p.weights[k] : 0.0;
        CHECK(p.particle(k, 1) > 0.0); // the lognormal's support
    }
    CHECK(outside == 0.0);
}

TEST_CASE("the method of moments says when its estimate sits at an end of a prior",
          "[regression]") {
    // An outside tester's misfit ended at its prior's low end with an ordinary standard error.
    // The quick calibration's data want about 15 births a month; a prior up to 10 cannot reach it.
    const TempDir dir;
    write_file(dir / "c.toml", replaced(quick_here(), "high = 40\n", "high = 10\n"));
    const Result r = run_canopy(dir, "calibrate c.toml --method smm --out p.h5");
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("births_per_month's estimate ") != std::string::npos);
    CHECK(r.out.find(" the upper end of its prior (10): the best fit may lie beyond it") !=
          std::string::npos);
    // The fitted lever, inside its prior, is not named.
    CHECK(r.out.find("lever_high_tech's estimate") == std::string::npos);
}

TEST_CASE("the hold-out mode holds later figures back and reports each against its projection",
          "[regression]") {
    const TempDir dir;
    const Result r = run_canopy(dir, "calibrate " + shell_quote(QUICK) +
                                         " --fit-until 2022 --method smm --out h.h5 --json h.json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("hold-out:") != std::string::npos);
    const nlohmann::json j = read_json(dir / "h.json");
    CHECK(j["method"] == "smm");
    CHECK(j["schema_version"] == 1);
    CHECK(j["fit_until"] == 2022);
    int held = 0;
    int inside = 0;
    for (const auto& f : j["figures"]) {
        CHECK(f["fitted"].get<bool>() == (f["year"].get<int>() <= 2022));
        if (!f["fitted"].get<bool>()) {
            ++held;
            inside += f["inside90"].get<bool>() ? 1 : 0;
            CHECK(f["q05"].get<double>() <= f["q25"].get<double>());
            CHECK(f["q25"].get<double>() <= f["median"].get<double>());
            CHECK(f["median"].get<double>() <= f["q75"].get<double>());
            CHECK(f["q75"].get<double>() <= f["q95"].get<double>());
        }
    }
    CHECK(held == 4);
    CHECK(j["holdout"]["figures"] == 4);
    CHECK(j["holdout"]["inside90"] == inside);
    // Figures within the Monte Carlo error of an end are counted, and marked in the table.
    int edge = 0;
    for (const auto& f : j["figures"]) {
        edge += !f["fitted"].get<bool>() && f["edge90"].get<bool>() ? 1 : 0;
    }
    CHECK(j["holdout"]["edge90"] == edge);
    CHECK((r.out.find(" of the 4 within the Monte Carlo error of an end") != std::string::npos) ==
          (edge > 0));
    // The same table is in the HDF5 file.
    const CalibrationResult h = read_calibration_result(dir / "h.h5");
    REQUIRE(h.figures.size() == j["figures"].size());
    int h5_held = 0;
    for (std::size_t i = 0; i < h.figures.size(); ++i) {
        const auto& f = h.figures[i];
        h5_held += f.fitted ? 0 : 1;
        CHECK(f.edge90 == j["figures"][i]["edge90"].get<bool>());
    }
    CHECK(h5_held == 4);
    REQUIRE(h.smm.has_value());
    CHECK(h.smm->standard_error.size() == 2);
    CHECK(h.smm->profile_values.size() == 2);
    CHECK(h.smm->profile_values[0].size() == 5);

    // A hold-out year that holds every figure back, or none, is a flag error said as the
    // others are: with the command's name (it lacked it).
    for (const char* year : {"1900", "3000"}) {
        const Result bad = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --fit-until " +
                                               year + " --out b.h5");
        INFO(bad.err);
        CHECK(bad.status == 2);
        CHECK(bad.err.rfind("canopy calibrate: error: --fit-until: ", 0) == 0);
        CHECK_FALSE(fs::exists(dir / "b.h5"));
    }
}

TEST_CASE("a calibration gives the same bits at 1 and 2 threads", "[regression][parallel]") {
    const TempDir dir;
    REQUIRE(run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --out one.h5 --threads 1 --quiet")
                .status == 0);
    REQUIRE(run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --out two.h5 --threads 2 --quiet")
                .status == 0);
    const CalibrationResult one = read_calibration_result(dir / "one.h5");
    const CalibrationResult two = read_calibration_result(dir / "two.h5");
    CHECK(one.particles == two.particles);
    CHECK(one.weights == two.weights);
    REQUIRE(one.figures.size() == two.figures.size());
    for (std::size_t k = 0; k < one.figures.size(); ++k) {
        CHECK(one.figures[k].median == two.figures[k].median);
        CHECK(one.figures[k].q95 == two.figures[k].q95);
    }
}

TEST_CASE("canopy calibrate looks its file up here, then in the source tree", "[regression]") {
    // As run, sweep and validate do: from a directory outside the checkout, the shipped
    // calibration is found, so what is refused is the bad --out, not a missing file.
    const TempDir dir;
    const Result r =
        run_canopy(dir, "calibrate scenarios/reference-calibration.toml --out posterior.txt");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("no such file") == std::string::npos);
    CHECK(r.err.find("--out: 'posterior.txt' must end in .h5") != std::string::npos);
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("bad calibration files and data are refused and nothing is written", "[regression]") {
    const TempDir dir;
    const std::string quick = read_file(QUICK);
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    };
    // The quick file's paths are relative to tests/data/calibration; here they are absolute.
    std::string base = replaced(quick, "../../../scenarios/reference-history.toml", HISTORY);
    base = replaced(base, "../../../scenarios/data/reference-history.csv", "history.csv");
    std::string data =
        read_file(std::string(CANOPY_SOURCE_DIR) + "/scenarios/data/reference-history.csv");
    write("history.csv", data);

    struct Case {
        std::string name;
        std::string calibration;
        std::string data;
        std::string expected; // in stderr
    };
    const std::vector<Case> cases = {
        {"unknown series", replaced(base, "\"reference_exits\"", "\"reference_exit\""), data,
         "bad.toml:50:10: error: observations.exits.series: the data file has no series "
         "'reference_exit'"},
        {"non-numeric value", base, replaced(data, ",265,", ",26S,"),
         "history.csv:2:22: error: value: '26S' is not a number"},
        {"year outside the run", base, data + "reference_exits,2019,300,firms,s,q\n",
         "history.csv:14:1: error: year: 2019 is outside the run"},
        // A month a [[rows]] entry gives is reported at its key, naming the data row.
        {"a flow placed before the run",
         base + "[[observations.exits.rows]]\nyear = 2022\nfrom = \"2019-01\"\n", data,
         "bad.toml:54:8: error: observations.exits.rows[0].from: the flow from 2019-01 of "
         "'reference_exits' 2022 (the data row at history.csv:3) is outside the run of scenario "
         "'reference_history' (2021-01 .. 2023-12) (allowed: a month from 2021-01 to 2023-12)"},
        {"a flow that ends before it starts",
         base + "[[observations.exits.rows]]\nyear = 2022\nfrom = \"2022-06\"\nto = "
                "\"2022-03\"\n",
         data,
         "bad.toml:55:6: error: observations.exits.rows[0].to: the period of 'reference_exits' "
         "2022 (the data row at history.csv:3) ends (2022-03) before it starts (2022-06) "
         "(allowed: to no earlier than from)"},
        {"a stock placed after the run", replaced(base, "at = \"2023-06\"", "at = \"2024-06\""),
         data,
         "bad.toml:43:6: error: observations.high_tech.rows[0].at: the stock at 2024-06 of "
         "'reference_high_tech' 2023 (the data row at history.csv:7) is outside the run of "
         "scenario 'reference_history' (2021-01 .. 2023-12) (allowed: a month from 2020-12 to "
         "2023-12)"},
        // A month the measure does not read was ignored: the figure sat where it was not meant.
        {"a flow placed with at",
         base + "[[observations.exits.rows]]\nyear = 2022\nat = \"2022-06\"\n", data,
         "bad.toml:54:6: error: observations.exits.rows[0].at: a figure of measure 'flow' is not "
         "placed with 'at' (allowed: from and to: the first and last months summed)"},
        {"a stock placed with from", replaced(base, "at = \"2023-06\"", "from = \"2023-06\""), data,
         "bad.toml:43:8: error: observations.high_tech.rows[0].from: a figure of measure 'stock' "
         "is not placed with 'from' (allowed: at: the month whose end is read)"},
        // A growth given as a share was fitted against the model's percent without a word.
        {"a growth figure that is not in percent",
         base + "[observations.growth]\nseries = \"reference_growth\"\nmodel_series = "
                "\"high_tech\"\nmeasure = \"growth\"\n",
         data + "reference_growth,2022,0.15,share yoy,s,q\n",
         "history.csv:14:28: error: unit: 'reference_growth' 2022 is fitted as a growth, which "
         "the model gives in percent (100 x (x / x0 - 1)), but its unit 'share yoy' does not "
         "say percent (allowed: the figure in percent with a unit that says so ('% yoy'), or "
         "observations.growth.scale = 0.01 to compare shares)"},
        // A figure in a multiple of the model's unit, or in percent of a level, was fitted as
        // if in the model's unit: an outside tester's 0.048 万家 for 480 firms, exit 0, and a
        // posterior at the prior's edge.
        {"a figure in ten thousands of firms", base,
         replaced(data, "reference_high_tech,2021,655,\"firms (year-end stock)\"",
                  "reference_high_tech,2021,0.0655,万家"),
         "error: unit: 'reference_high_tech' 2021 is in '万家' ('万': 10000), and the model's "
         "series 'high_tech' is in 'firms', which observations.high_tech.scale does not convert "
         "(allowed: observations.high_tech.scale = 0.0001 (the model's figure times scale is the "
         "data's), or the figure in the model's unit)"},
        {"a figure in thousands of firms", base,
         replaced(data, "reference_high_tech,2021,655,\"firms (year-end stock)\"",
                  "reference_high_tech,2021,0.655,thousand firms"),
         "observations.high_tech.scale = 0.001 (the model's figure times scale"},
        {"a percentage fitted against a level", base,
         replaced(data, "reference_high_tech,2021,655,\"firms (year-end stock)\"",
                  "reference_high_tech,2021,655,% yoy"),
         "error: unit: 'reference_high_tech' 2021 is in '% yoy', a percentage, but the model's "
         "series 'high_tech' is in 'firms'"},
        // A figure of another measure was fitted as firms, or told the scale that would fit a
        // yuan amount as a count of firms.
        {"a figure in yuan against a series of firms", base,
         replaced(data, "reference_high_tech,2021,655,\"firms (year-end stock)\"",
                  "reference_high_tech,2021,4.92,亿元"),
         "error: unit: 'reference_high_tech' 2021 is in '亿元', an amount of money, but the "
         "model's series 'high_tech' is in 'firms', a count of firms: a figure of another measure "
         "cannot be fitted to it, at any scale (allowed: a figure of a count of firms in 'firms' "
         "(or a multiple of it, converted by observations.high_tech.scale), or a model series "
         "measured in an amount of money)"},
        // A negated keyword was read as the keyword: "not a forecast" fitted as a forecast.
        {"a unit that negates its keyword", base,
         replaced(data, "reference_high_tech,2021,655,\"firms (year-end stock)\"",
                  "reference_high_tech,2021,655,\"firms (final; not a forecast)\""),
         "error: unit: the unit 'firms (final; not a forecast)' of 'reference_high_tech' 2021 says "
         "'not a forecast': a qualifier with a negation is ambiguous"},
        // A 2021 row read in 2023 was fitted under --fit-until 2021.
        {"a row placed outside its year",
         base + "[[observations.exits.rows]]\nyear = 2021\nfrom = \"2023-01\"\nto = "
                "\"2023-12\"\n",
         data,
         "bad.toml:55:6: error: observations.exits.rows[0].to: 'reference_exits' 2021 (the data "
         "row at history.csv:2) is placed to read the model in 2023-12, outside its year 2021"},
        {"prior with no mass in its bounds",
         replaced(base, "low = 5\nhigh = 40", "low = 50\nhigh = 60\nupper = 45"), data,
         "error: parameters.births_per_month.prior: the prior uniform(low 50, high 60) has no "
         "mass inside its bounds [0, 45]"},
        // A prior the model accepts but the machine cannot hold at its far end: it ended in
        // std::bad_alloc once a candidate was drawn there, after the runs before it.
        {"a prior reaching past memory", replaced(base, "high = 40", "high = 1e9"), data,
         "canopy calibrate: error: a candidate with births_per_month = 9.99999e+08 (its prior's "
         "upper "
         "end)"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        write("bad.toml", c.calibration);
        write("history.csv", c.data);
        const Result r = run_canopy(dir, "calibrate bad.toml --out post.h5 --json post.json");
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.expected) != std::string::npos);
        CHECK_FALSE(fs::exists(dir / "post.h5"));
        CHECK_FALSE(fs::exists(dir / "post.json"));
    }
    write("history.csv", data);
    write("good.toml", base);
    const Result not_h5 = run_canopy(dir, "calibrate good.toml --out post.txt");
    CHECK(not_h5.status == 2);
    CHECK(not_h5.err.find("--out: 'post.txt' must end in .h5") != std::string::npos);
    const Result same = run_canopy(dir, "calibrate good.toml --out p.h5 --json p.h5");
    CHECK(same.status == 2);
    // Neither output may name a file the calibration reads: its data, or its scenario.
    const Result over_data = run_canopy(dir, "calibrate good.toml --out p.h5 --json history.csv");
    CHECK(over_data.status == 2);
    CHECK(over_data.err.find("--json: 'history.csv' is the calibration's data; it would be "
                             "overwritten") != std::string::npos);
    CHECK(read_file(dir / "history.csv") == data);
    // The scenario and the file it extends, copied here so that a failure overwrites nothing
    // of the repository's.
    const std::string scenarios = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    write("history.toml", read_file(scenarios + "reference-history.toml"));
    write("reference.toml", read_file(scenarios + "reference.toml"));
    write("local.toml", replaced(base, HISTORY, "history.toml"));
    for (const char* input : {"history.toml", "reference.toml"}) {
        const std::string before = read_file(dir / input);
        const Result r =
            run_canopy(dir, std::string("calibrate local.toml --out p.h5 --json ") + input);
        CHECK(r.status == 2);
        CHECK(r.err.find(std::string("--json: '") + input +
                         "' is a file of the calibration's scenario; it would be overwritten") !=
              std::string::npos);
        CHECK(read_file(dir / input) == before);
    }
    CHECK(entries(dir.path()) == std::vector<std::string>{"bad.toml", "good.toml", "history.csv",
                                                          "history.toml", "local.toml",
                                                          "reference.toml"});
}

TEST_CASE("canopy run --posterior widens the intervals of what the parameters drive",
          "[regression][statistical]") {
    // Leaders at the end of 2023 depend strongly on the high-tech promotion lever. Run with the
    // parameters fixed at the posterior's medians, then drawn from the posterior: the 90 %
    // interval widens. 400 replicates estimate a 90 % interval's width to within about 10 %;
    // the posterior's spread of the lever (about +-10 %) more than doubles the width here, so
    // a factor of 1.3 is far from the noise.
    const TempDir dir;
    REQUIRE(run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --out post.h5 --quiet").status ==
            0);
    const CalibrationResult post = read_calibration_result(dir / "post.h5");
    const std::string fixed =
        "--set births_per_month=" + std::to_string(post.summaries[0].median) +
        " --set 'lever_high_tech*=" + std::to_string(post.summaries[1].median) + "'";
    const Result a =
        run_canopy(dir, "run " + shell_quote(HISTORY) + " -n 400 --json fixed.json -q " + fixed);
    const Result b = run_canopy(dir, "run " + shell_quote(HISTORY) +
                                         " -n 400 --json drawn.json -q --posterior post.h5");
    INFO(a.err << b.err);
    REQUIRE(a.status == 0);
    REQUIRE(b.status == 0);
    const double w_fixed = interval_width(read_json(dir / "fixed.json"), "leaders_2023");
    const double w_drawn = interval_width(read_json(dir / "drawn.json"), "leaders_2023");
    INFO("90 % interval of leaders_2023: fixed " << w_fixed << ", from the posterior " << w_drawn);
    CHECK(w_drawn > 1.3 * w_fixed);
    // --set of every column the posterior draws leaves nothing drawn from it: said, where the
    // run said nothing of the posterior at all.
    const Result none = run_canopy(dir, "run " + shell_quote(HISTORY) +
                                            " -n 2 --json none.json --posterior post.h5 " + fixed);
    INFO(none.err);
    CHECK(none.status == 0);
    CHECK(none.out.find("posterior 'post.h5' not used: --set sets every column it draws "
                        "(births_per_month, lever_high_tech)\n") != std::string::npos);
    // A posterior of another model is refused before anything runs.
    const Result other = run_canopy(
        dir, "run " + shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml") +
                 " -n 2 --posterior post.h5 --json other.json");
    CHECK(other.status == 2);
    CHECK(other.err.find("was fitted to model 'reference', not to model 'ecosystem'") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(dir / "other.json"));
}

TEST_CASE("a calibration killed with SIGKILL and resumed gives the uninterrupted result",
          "[regression]") {
    const TempDir dir;
    REQUIRE(run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --out whole.h5 --quiet").status ==
            0);

    // Start the same calibration and kill it once it has journalled some runs.
    const fs::path out = dir / "killed.h5";
    const fs::path journal = dir / "killed.h5.journal";
    const int status = kill_once_journalled(
        {"calibrate", QUICK, "--quiet", "--threads", "1", "--out", out.string()}, journal, 100,
        std::chrono::seconds(120));
    REQUIRE(WIFSIGNALED(status)); // killed part-way, not finished
    CHECK_FALSE(fs::exists(out));
    const std::size_t records = journal_records(journal);
    REQUIRE(records >= 100);

    // Without --resume the journal is kept and nothing runs.
    const Result refused = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --out killed.h5");
    CHECK(refused.status == 2);
    CHECK(refused.err.find("add --resume") != std::string::npos);
    CHECK(journal_records(journal) == records);

    const Result resumed =
        run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --resume --out killed.h5");
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(resumed.out.find("resumed: " + std::to_string(records) + " points read back") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(journal));
    const CalibrationResult a = read_calibration_result(dir / "whole.h5");
    const CalibrationResult b = read_calibration_result(out);
    CHECK(a.particles == b.particles);
    CHECK(a.weights == b.weights);
    CHECK(a.simulations == b.simulations);
    REQUIRE(a.figures.size() == b.figures.size());
    for (std::size_t k = 0; k < a.figures.size(); ++k) {
        CHECK(a.figures[k].median == b.figures[k].median);
        CHECK(a.figures[k].q05 == b.figures[k].q05);
        CHECK(a.figures[k].q95 == b.figures[k].q95);
    }
}

// An outside tester's SIGTERM left calibrate's lock behind and said nothing, where a sweep
// removes its lock and prints the command that continues it.
TEST_CASE("A calibration interrupted by a signal removes its lock and says how to resume",
          "[regression][calibrate][journal]") {
    for (const int signal_number : {SIGINT, SIGTERM}) {
        const TempDir dir;
        const fs::path out = dir / "i.h5";
        const fs::path journal = dir / "i.h5.journal";
        const int status = kill_once_journalled(
            {"calibrate", QUICK, "--quiet", "--threads", "1", "--seed", "9", "--out", out.string()},
            journal, 20, std::chrono::seconds(120), signal_number, dir / "err.txt");
        INFO("signal " << signal_number);
        REQUIRE(WIFSIGNALED(status)); // ended by the signal, as without the handler
        CHECK(WTERMSIG(status) == signal_number);
        CHECK(entries(dir.path()) == std::vector<std::string>{"err.txt", "i.h5.journal"});
        CHECK(read_file(dir / "err.txt") ==
              "canopy calibrate: interrupted; the runs done are kept in the journal '" +
                  journal.string() + "': continue with\n  " + CANOPY + " calibrate " + QUICK +
                  " --seed 9 --resume --out " + out.string() + " --threads 1\n");
    }
}

namespace {

// A journal holding only the header of an experiment with `fingerprint` (no runs).
void write_journal_header(const fs::path& journal, const std::string& fingerprint) {
    class NoPoints final : public canopy::experiments::Evaluator {
    public:
        std::vector<canopy::experiments::PointResult>
        evaluate(const canopy::experiments::Experiment&,
                 std::span<const canopy::experiments::Point>,
                 const canopy::experiments::ResultCallback&) override {
            return {};
        }
    };
    canopy::experiments::Experiment experiment;
    // As this build writes it (calibration_common.cpp): a journal of another build is refused as
    // such before its experiment is compared.
    experiment.fingerprint = canopy::experiments::with_build(fingerprint);
    canopy::experiments::journalled(std::make_unique<NoPoints>(), journal)
        ->evaluate(experiment, {});
}

} // namespace

TEST_CASE("calibrate --resume refuses another calibration's journal or a foreign file with exit 2",
          "[regression][journal]") {
    const TempDir dir;
    // The journal header of another calibration's experiment (as a changed --seed would leave).
    write_journal_header(dir / "c.h5.journal", "another-calibration:abc-smc:4");
    const Result r = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --resume --out c.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("canopy calibrate: error: --resume: journal 'c.h5.journal' belongs to another "
                     "experiment: the calibration file, its scenario or data") !=
          std::string::npos);
    CHECK(r.err.find("remove it and run without --resume to start again") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.journal"});

    write_file(dir / "c.h5.journal", "not a journal, and long enough to have a header\n");
    const Result g = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --resume --out c.h5");
    CHECK(g.status == 2);
    CHECK(g.err.find("canopy calibrate: error: --resume: 'c.h5.journal' is not a Canopy journal; "
                     "remove it and run without --resume to start again") != std::string::npos);
    CHECK(read_file(dir / "c.h5.journal") == "not a journal, and long enough to have a header\n");
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.journal"});

    // Fewer bytes than the header's 16 that do not begin it are no cut-off header either.
    write_file(dir / "c.h5.journal", "junk");
    const Result j = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --resume --out c.h5");
    CHECK(j.status == 2);
    CHECK(j.err.find("canopy calibrate: error: --resume: 'c.h5.journal' is not a Canopy journal; "
                     "remove it and run without --resume to start again") != std::string::npos);
    CHECK(read_file(dir / "c.h5.journal") == "junk");
    fs::remove(dir / "c.h5.journal");

    // A later experiment's journal (the method of moments' second) without the first, with or
    // without --resume: named, kept, nothing run.
    write_file(dir / "c.h5.journal.2", "junk");
    for (const char* resume : {"", " --resume"}) {
        INFO(resume);
        const Result k = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --method smm" +
                                             resume + " --out c.h5");
        CHECK(k.status == 2);
        CHECK(k.err.find("'c.h5.journal.2' is not a Canopy journal") != std::string::npos);
        CHECK(read_file(dir / "c.h5.journal.2") == "junk");
        CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.journal.2"});
    }
}

TEST_CASE("calibrate --json - into a full stdout writes no posterior", "[regression][journal]") {
    // The JSON on stdout is the result's summary: printed after the posterior was written, a
    // full or closed stdout failed (exit 1) with the posterior already replaced.
    const TempDir dir;
    write_file(dir / "c.toml", quick_here());
    write_file(dir / "post.h5", "previous\n");
    const Result r = run_canopy(dir, "calibrate c.toml --out post.h5 --json -", " >/dev/full");
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("cannot write to standard output") != std::string::npos);
    CHECK(r.err.find("no posterior was written") != std::string::npos);
    CHECK(read_file(dir / "post.h5") == "previous\n");
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.toml", "post.h5", "post.h5.journal"});
}

TEST_CASE("a budget that ends the first generation is bad input, and --resume keeps its runs",
          "[regression][journal]") {
    const TempDir dir;
    const std::string quick = quick_here();
    write_file(dir / "c.toml", replaced(quick, "max_simulations = 2_500", "max_simulations = 80"));
    const Result r = run_canopy(dir, "calibrate c.toml --out post.h5 --json post.json");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("c.toml:13:19: error: abc_smc.max_simulations: the budget of 80 simulations "
                     "ran out before the first generation was complete: after 80 candidates its "
                     "effective sample was ") != std::string::npos);
    CHECK(r.err.find("of the 60 wanted (abc_smc.particles) (allowed: more than 80; at this rate "
                     "the first generation alone needs about ") != std::string::npos);
    CHECK(r.err.find("- change it and rerun with --resume to keep the 80 runs done (journalled in "
                     "'post.h5.journal')") != std::string::npos);
    // No posterior; the runs are journalled.
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.toml", "post.h5.journal"});
    CHECK(journal_records(dir / "post.h5.journal") == 80);

    // The journal ignores the budget (and comments): raised, --resume reads the 80 runs back and
    // gives the same bits as a run that had the larger budget from the start.
    const std::string raised =
        "# budget raised\n" + replaced(quick, "max_simulations = 2_500", "max_simulations = 400");
    write_file(dir / "c.toml", raised);
    const Result resumed = run_canopy(dir, "calibrate c.toml --resume --out post.h5");
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(resumed.out.find("resumed: 80 points read back from the journal") != std::string::npos);
    REQUIRE(run_canopy(dir, "calibrate c.toml --out fresh.h5 --quiet").status == 0);
    const CalibrationResult a = read_calibration_result(dir / "post.h5");
    const CalibrationResult b = read_calibration_result(dir / "fresh.h5");
    CHECK(a.particles == b.particles);
    CHECK(a.weights == b.weights);
    CHECK(a.simulations == b.simulations);

    // 400 runs end during a later generation: the result is written and the runs are kept, so a
    // budget raised again goes on from them (an outside tester: the finished run had removed
    // its journal, and --resume with the larger budget recomputed every run without a word).
    CHECK(resumed.err.find("canopy calibrate: the simulation budget ran out: its runs are kept in "
                           "'post.h5.journal'; raise abc_smc.max_simulations and rerun with "
                           "--resume to go on from them") != std::string::npos);
    CHECK(journal_records(dir / "post.h5.journal") == 400);
    const Result again = run_canopy(dir, "calibrate c.toml --out post.h5");
    CHECK(again.status == 2);
    CHECK(again.err.find("stopped by its budget) exists; add --resume") != std::string::npos);
    write_file(dir / "c.toml", quick);
    const Result further = run_canopy(dir, "calibrate c.toml --resume --out post.h5");
    INFO(further.err);
    REQUIRE(further.status == 0);
    CHECK(further.out.find("resumed: 400 points read back from the journal") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "post.h5.journal")); // its stopping rule ended it: complete
    REQUIRE(run_canopy(dir, "calibrate c.toml --out whole.h5 --quiet").status == 0);
    const CalibrationResult c = read_calibration_result(dir / "post.h5");
    const CalibrationResult d = read_calibration_result(dir / "whole.h5");
    CHECK(c.particles == d.particles);
    CHECK(c.weights == d.weights);

    // --resume with no journal starts from the first run, and says so.
    const Result nothing = run_canopy(dir, "calibrate c.toml --resume --out other.h5 --threads 1");
    REQUIRE(nothing.status == 0);
    CHECK(nothing.err.find("canopy calibrate: --resume: no journal at 'other.h5.journal', so "
                           "nothing to read back: starting from the first run") !=
          std::string::npos);
}

TEST_CASE("the stopping rule ending the first generation is bad input naming min_acceptance",
          "[regression][journal]") {
    const TempDir dir;
    // Cooling hard (ess_fraction 0.1) makes a tenth of the runs count; the rule asks for half.
    const std::string quick =
        replaced(quick_here(), "max_generations = 6\n",
                 "max_generations = 6\ness_fraction = 0.1\nmin_acceptance = 0.5\n");
    write_file(dir / "c.toml", quick);
    const Result r = run_canopy(dir, "calibrate c.toml --out post.h5 --json post.json");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("c.toml:14:18: error: abc_smc.min_acceptance: the first generation was "
                     "stopped by the rule min_acceptance = 0.5: after 240 candidates its "
                     "effective sample was ") != std::string::npos);
    CHECK(r.err.find("(allowed: a value below ") != std::string::npos);
    CHECK(r.err.find("--resume to keep the ") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.toml", "post.h5.journal"});
    const std::size_t records = journal_records(dir / "post.h5.journal");
    CHECK(records >= 240);
    // Never stopping early, --resume reuses every run.
    write_file(dir / "c.toml", replaced(quick, "min_acceptance = 0.5", "min_acceptance = 0"));
    const Result resumed = run_canopy(dir, "calibrate c.toml --resume --out post.h5");
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(resumed.out.find("resumed: " + std::to_string(records) + " points read back") !=
          std::string::npos);
    // A rule near 1 is said as written, and the value allowed lies below it: three rounded
    // digits said "min_acceptance = 1" and "a value below 1".
    const TempDir near;
    write_file(near / "c.toml",
               replaced(quick, "min_acceptance = 0.5", "min_acceptance = 0.9999999"));
    const Result n = run_canopy(near, "calibrate c.toml --out post.h5");
    INFO(n.err);
    CHECK(n.status == 2);
    CHECK(n.err.find("stopped by the rule min_acceptance = 0.9999999: after ") !=
          std::string::npos);
    const std::string below = "(allowed: a value below ";
    const std::size_t at = n.err.find(below);
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(n.err.substr(at + below.size())) < 0.9999999);
}

TEST_CASE("a calibration that fails keeps its journal and says how to go on",
          "[regression][journal]") {
    const TempDir dir;
    // A city too small to start with a leader, and the leaders' figures read as growth: every
    // run's 2021 growth is undefined (from 0), which only the runs show. No candidate can be
    // weighed, after the pilot's 60 runs have been journalled. (scale = 0.01: the counts are
    // compared as shares of growth, which the loader accepts; only the runs' failure matters.)
    write_file(dir / "s.toml", "extends = \"" + std::string(CANOPY_SOURCE_DIR) +
                                   "/scenarios/reference-history.toml\"\n[baseline.firms]\n"
                                   "value = 400\nassumption = \"no leader at the start\"\n");
    std::string text = replaced(quick_here(), "model_series = \"leader\"\n",
                                "model_series = \"leader\"\nmeasure = \"growth\"\nscale = 0.01\n");
    const std::string history =
        std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference-history.toml";
    write_file(dir / "c.toml", replaced(text, history, "s.toml"));
    const Result r = run_canopy(dir, "calibrate c.toml --out post.h5 --json post.json");
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("no run of the first 60 prior candidates gave finite simulated figures") !=
          std::string::npos);
    // No result, but the runs done stay (a passing fault must not cost them), and the message
    // names the journal and both ways on.
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.toml", "post.h5.journal", "s.toml"});
    CHECK(r.err.find("canopy calibrate: no posterior was written") != std::string::npos);
    CHECK(r.err.find("the runs done so far are kept in 'post.h5.journal': rerun with --resume "
                     "once the cause is fixed; after changing the calibration file, delete them "
                     "to start afresh") != std::string::npos);
    // The cause first, then what became of the runs (the cause used to come last).
    CHECK(r.err.find("canopy: error: ") < r.err.find("canopy calibrate: no posterior was written"));

    // --resume reads them back (and meets the same failure here: the cause is the file's).
    const Result again = run_canopy(dir, "calibrate c.toml --resume --out post.h5");
    INFO(again.err);
    CHECK(again.status == 1);
    CHECK(again.err.find("no run of the first 60 prior candidates") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.toml", "post.h5.journal", "s.toml"});
}

TEST_CASE("calibrate refuses a damaged journal header, and an --out another run is writing",
          "[regression][journal]") {
    const TempDir dir;
    // A header whose fingerprint was spoilt: the runs after it may be the only copy.
    write_journal_header(dir / "c.h5.journal", "some-calibration:abc-smc:4");
    std::string bytes = read_file(dir / "c.h5.journal");
    bytes[30] = static_cast<char>(bytes[30] ^ 1);
    write_file(dir / "c.h5.journal", bytes);
    const Result r = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --resume --out c.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("canopy calibrate: error: --resume: journal 'c.h5.journal' is damaged: its "
                     "header's checksum does not match its fingerprint") != std::string::npos);
    CHECK(read_file(dir / "c.h5.journal") == bytes);
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.journal"});
    fs::remove(dir / "c.h5.journal");

    // Another process writing the same --out (here this one, holding its lock).
    std::string why;
    const auto held = canopy::experiments::OutputLock::take(dir / "c.h5", why);
    REQUIRE(held);
    const Result busy = run_canopy(dir, "calibrate " + shell_quote(QUICK) + " --out c.h5");
    CHECK(busy.status == 2);
    CHECK(busy.err.find("canopy calibrate: error: --out: 'c.h5' is being written by another "
                        "process (pid " +
                        std::to_string(::getpid()) + " on host ") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.lock"});
}

TEST_CASE("ABC-SMC's steps follow the prior, not the bounds it was left at",
          "[regression][cli][calibrate]") {
    // births_per_month was left at the model's range [0, 1e9]: the proposal's smallest step was
    // 1e-6 of that, 1,000 firms a month, under a prior of uniform(5, 40). Its proposals were
    // nearly the prior, and a narrow prior failed with exit 1 ("proposals keep falling
    // outside the parameters' bounds").
    const TempDir dir;
    const std::string quick = quick_here();
    // Bounds wider than the prior's support change nothing: the same file with the bounds
    // written out gives the same bits.
    write_file(dir / "implicit.toml", quick);
    write_file(dir / "explicit.toml",
               replaced(quick, "high = 40\n", "high = 40\nlower = 5\nupper = 40\n"));
    const Result a =
        run_canopy(dir, "calibrate implicit.toml --out a.h5 --json a.json --threads 2");
    const Result b =
        run_canopy(dir, "calibrate explicit.toml --out b.h5 --json b.json --threads 2");
    INFO(a.err << b.err);
    REQUIRE(a.status == 0);
    REQUIRE(b.status == 0);
    const CalibrationResult ra = read_calibration_result((dir / "a.h5").string());
    const CalibrationResult rb = read_calibration_result((dir / "b.h5").string());
    CHECK(ra.particles == rb.particles);
    CHECK(ra.weights == rb.weights);
    CHECK(read_json(dir / "a.json")["final_temperature"] ==
          read_json(dir / "b.json")["final_temperature"]);
    // A narrow prior around the true value: it fitted nothing, with exit 1, before.
    write_file(dir / "narrow.toml", replaced(replaced(quick, "low = 5\n", "low = 14.5\n"),
                                             "high = 40\n", "high = 15.5\n"));
    const Result narrow = run_canopy(dir, "calibrate narrow.toml --out n.h5 --threads 2");
    INFO(narrow.err);
    CHECK(narrow.status == 0);
}

TEST_CASE("a data row's unit is read for its multiple: notes in brackets, compounds and words",
          "[regression]") {
    // An outside reviewer: "100 million" read as 100, 百亿 as 亿, "1,000" as 1, a note in
    // brackets ("1.2 thousand registered in all") as the unit's multiple, and "thousands of
    // firms" as no multiple at all; and a scale that does not match the units passed unseen.
    const TempDir dir;
    std::string base =
        replaced(read_file(QUICK), "../../../scenarios/reference-history.toml", HISTORY);
    base = replaced(base, "../../../scenarios/data/reference-history.csv", "history.csv");
    const std::string data =
        read_file(std::string(CANOPY_SOURCE_DIR) + "/scenarios/data/reference-history.csv");
    const std::string row = "reference_high_tech,2021,655,\"firms (year-end stock)\"";
    write_file(dir / "c.toml", base);
    const auto with_unit = [&](const std::string& value, const std::string& unit) {
        write_file(dir / "history.csv",
                   replaced(data, row, "reference_high_tech,2021," + value + ",\"" + unit + "\""));
        return run_canopy(dir, "validate c.toml");
    };
    // Firms, with notes in brackets that name numbers and multiples: the head decides.
    for (const char* unit :
         {"firms (1.2 thousand registered in all)", "firms (1.73 million in total)",
          "firms (2020 count, approx)", "units (2021, approx)"}) {
        INFO(unit);
        CHECK(with_unit("655", unit).status == 0);
    }
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"百亿家", "('百亿': 10000000000)"},
        {"10 thousand firms", "('10 thousand': 10000)"},
        {"10,000 firms", "('10000': 10000)"},
        {"thousands of firms", "('thousands': 1000)"},
        {"hundred million firms", "('hundred million': 100000000)"},
    };
    for (const auto& [unit, said] : refused) {
        INFO(unit);
        const Result r = with_unit("0.0655", unit);
        CHECK(r.status == 2);
        CHECK(r.err.find(said) != std::string::npos);
    }
    // A scale the units do not name: 万家 against firms is 0.0001, not 0.001.
    write_file(dir / "c.toml", replaced(base, "model_series = \"high_tech\"\n",
                                        "model_series = \"high_tech\"\nscale = 0.001\n"));
    const Result scaled = with_unit("0.0655", "万家");
    CHECK(scaled.status == 2);
    CHECK(scaled.err.find("which observations.high_tech.scale = 0.001 does not convert (allowed: "
                          "observations.high_tech.scale = 0.0001") != std::string::npos);
}

namespace {

// The shipped Wuhan calibration with its scenario named by absolute path and its data read from
// `data` (a file the test writes beside it).
std::string wuhan_calibration_reading(const std::string& data) {
    const std::string source = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    std::string cal = read_file(source + "wuhan-calibration.toml");
    const auto set_line = [&](const std::string& key, const std::string& value) {
        const std::size_t at = cal.find("\n" + key + " = \"");
        REQUIRE(at != std::string::npos);
        const std::size_t end = cal.find('\n', at + 1);
        cal.replace(at + 1, end - at - 1, key + " = \"" + value + "\"");
    };
    set_line("scenario", source + "wuhan-2013.toml");
    set_line("data", data);
    return cal;
}

} // namespace

TEST_CASE("calibration data in per mille against a share or a percentage needs the converting "
          "scale",
          "[regression]") {
    // A reviewer's: a share of GDP written in ‰ validated against the model's share (fitted
    // 1000 times off), as did ‰ or a share against a series in '%'; only '%' against a share
    // asked for its scale.
    const TempDir dir;
    const std::string source = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    const std::string cal = wuhan_calibration_reading("history.csv");
    const std::string series = "wuhan_high_tech_industry_va_share_gdp";
    const auto history = [&](const std::string& unit) {
        std::istringstream in(read_file(source + "data/wuhan-history.csv"));
        std::string out;
        for (std::string line; std::getline(in, line);) {
            // The figures of 2013-2018 (2021's is an approximation, left out).
            if (line.rfind(series + ",", 0) == 0 && line.find(",2021,") != std::string::npos) {
                continue;
            }
            if (line.rfind(series + ",", 0) == 0) {
                const std::size_t at = line.find(",% of GDP,");
                REQUIRE(at != std::string::npos);
                line.replace(at, 10, "," + unit + ",");
            }
            out += line + "\n";
        }
        write_file(dir / "history.csv", out);
    };
    const auto observe = [&](const std::string& model_series, const std::string& scale) {
        write_file(dir / "c.toml", cal + "\n[observations.panel]\nseries = \"" + series +
                                       "\"\nmodel_series = \"" + model_series +
                                       "\"\nmeasure = \"stock\"\n" + scale);
        return run_canopy(dir, "validate c.toml");
    };
    struct Case {
        std::string unit, model_series, scale;
        int status;
        std::string says;
    };
    const std::vector<Case> cases{
        {"‰", "insured_share", "", 2, "which observations.panel.scale = 1 does not convert"},
        {"‰", "insured_share", "", 2, "observations.panel.scale = 1000 (the model's figure"},
        {"‰", "insured_share", "scale = 1000\n", 0, ""},
        {"share", "hitech_va_panel_growth", "", 2, "observations.panel.scale = 0.01"},
        {"‰", "hitech_va_panel_growth", "", 2, "observations.panel.scale = 10"},
        {"‰", "hitech_va_panel_growth", "scale = 10\n", 0, ""},
        {"% of GDP", "insured_share", "scale = 100\n", 0, ""},
        {"% of GDP", "insured_share", "", 2, "observations.panel.scale = 100 (the model's figure"},
    };
    for (const Case& c : cases) {
        INFO(c.unit << " against " << c.model_series << " " << c.scale);
        history(c.unit);
        const Result r = observe(c.model_series, c.scale);
        INFO(r.err + r.out);
        CHECK(r.status == c.status);
        CHECK(r.err.find(c.says) != std::string::npos);
    }
}

TEST_CASE("a percentage in a unit's note in brackets does not make the figure a percentage",
          "[regression]") {
    // An outside tester's: "firms (cumulative stock, up 12% on the year before)" was refused as
    // "a percentage" against the model's series in firms, since any '%' in the unit counted. The
    // unit's head decides, as it does for the figure's measure; a '%' in the head still does.
    const TempDir dir;
    const std::string source = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    const std::string cal = wuhan_calibration_reading("history.csv");
    write_file(dir / "c.toml", cal);
    const std::string data = read_file(source + "data/wuhan-history.csv");
    const std::string row = "wuhan_high_tech_enterprises,2013,";
    const std::size_t at = data.find(row);
    REQUIRE(at != std::string::npos);
    const std::size_t unit = data.find("firms (cumulative stock)", at);
    REQUIRE(unit == data.find(',', at + row.size()) + 1);
    const auto with_unit = [&](const std::string& text) {
        std::string d = data;
        d.replace(unit, std::string("firms (cumulative stock)").size(), text);
        write_file(dir / "history.csv", d);
        return run_canopy(dir, "validate c.toml");
    };
    const Result note = with_unit("\"firms (cumulative stock, up 12% on the year before)\"");
    INFO(note.err);
    CHECK(note.status == 0);
    const Result head = with_unit("% (cumulative stock)");
    INFO(head.err);
    CHECK(head.status == 2);
    CHECK(head.err.find("is in '% (cumulative stock)', a percentage, but the model's series "
                        "'high_tech_enterprises' is in 'firms'") != std::string::npos);
}
