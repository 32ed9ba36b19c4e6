// Sensitivity of a whole sweep result: which columns are analysed under which names, what is
// said about undefined outputs, and the table and JSON `canopy sensitivity` prints. The result
// is built in memory from designs whose outputs are known functions.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/design.hpp>
#include <canopy/experiments/sweep_sensitivity.hpp>
#include <canopy/output/sensitivity.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

using namespace canopy;
using namespace canopy::experiments;
using nlohmann::json;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

double ishigami(const UnitDesign& d, std::size_t p) {
    const double pi = std::numbers::pi;
    const double x1 = -pi + 2 * pi * d.at(p, 0);
    const double x2 = -pi + 2 * pi * d.at(p, 1);
    const double x3 = -pi + 2 * pi * d.at(p, 2);
    return std::sin(x1) + 7 * std::sin(x2) * std::sin(x2) + 0.1 * std::pow(x3, 4) * std::sin(x1);
}

// A sweep result over (x1, x2, x3) with: a target whose P(attain) is constant (zero variance)
// and whose median is x2 alone; an indicator whose mean is the Ishigami function, whose q50 has
// one NaN, and whose mean path is constant in 2023-01, x3 alone in 2023-02 and Ishigami in
// 2023-03; and an /outputs column 10 x1.
SweepResult synthetic_result(const UnitDesign& design) {
    SweepResult r;
    r.design = design.kind;
    r.factors = {"x1", "x2", "x3"};
    r.unit = design;
    r.complete = true;
    const std::size_t n = design.points();
    r.values.assign(3, std::vector<double>(n));
    TargetColumns t;
    t.id = "goal";
    t.p_attain.assign(n, 1.0);
    IndicatorColumns i;
    i.id = "ish";
    r.time_labels = {"2023-01", "2023-02", "2023-03"};
    std::vector<double> ten_x1(n);
    for (std::size_t p = 0; p < n; ++p) {
        for (std::size_t k = 0; k < 3; ++k) {
            r.values[k][p] = design.at(p, k);
        }
        t.median.push_back(5 * design.at(p, 1));
        i.mean.push_back(ishigami(design, p));
        i.q50.push_back(p == 3 ? NaN : ishigami(design, p));
        i.mean_path.insert(i.mean_path.end(), {2.0, design.at(p, 2), ishigami(design, p)});
        ten_x1[p] = 10 * design.at(p, 0);
    }
    r.targets.push_back(t);
    r.indicators.push_back(i);
    r.outputs.emplace_back("ten_x1", ten_x1);
    return r;
}

const OutputSensitivity& find(const SweepSensitivity& s, const std::string& name) {
    return output_named(s, name);
}

std::size_t widest_line(const std::string& text) {
    std::istringstream in(text);
    std::size_t widest = 0;
    for (std::string line; std::getline(in, line);) {
        widest = std::max(widest, output::display_width(line));
    }
    return widest;
}

} // namespace

TEST_CASE("a sweep result offers every target, indicator, output and path by its HDF5 path",
          "[sensitivity]") {
    const SweepResult r = synthetic_result(saltelli_design(64, 3, 1));
    CHECK(sensitivity_problem(r).empty());
    CHECK(sensitivity_names(r) ==
          std::vector<std::string>{"targets/goal/p_attain", "targets/goal/median",
                                   "indicators/ish/mean", "indicators/ish/q50", "outputs/ten_x1",
                                   "indicators/ish/mean_path"});
}

TEST_CASE("Sobol indices of a sweep result, with undefined outputs said so", "[sensitivity]") {
    const SweepResult r = synthetic_result(saltelli_design(256, 3, 1));
    SweepSensitivityOptions options;
    options.bootstrap = {200, 0.95, 3};
    const SweepSensitivity s = analyse_sweep(r, options);
    REQUIRE(s.outputs.size() == 5);
    CHECK(s.design == DesignKind::saltelli);
    CHECK(s.points == 256 * 5);
    CHECK(s.base_samples == 256);

    const OutputSensitivity& constant = find(s, "targets/goal/p_attain");
    CHECK(constant.note == "zero variance: every point gave 1");
    CHECK(std::isnan(constant.sobol.s1[0].value));
    const OutputSensitivity& median = find(s, "targets/goal/median");
    CHECK(median.note.empty());
    CHECK(median.sobol.s1[1].value == Approx(1.0).margin(0.02));
    CHECK(median.sobol.st[0].value == 0.0);
    const OutputSensitivity& q50 = find(s, "indicators/ish/q50");
    CHECK(q50.note == "NaN at 1 of 1280 points");
    CHECK(std::isnan(q50.sobol.st[2].value));
    const OutputSensitivity& ten = find(s, "outputs/ten_x1");
    CHECK(ten.sobol.st[0].value == Approx(1.0).margin(0.02));

    REQUIRE(s.paths.size() == 1);
    CHECK(s.time_labels == r.time_labels);
    const PathSensitivity& path = s.paths[0];
    CHECK(path.name == "indicators/ish/mean_path");
    REQUIRE(path.rows.size() == 3);
    CHECK(path.rows[0].note == "zero variance: every point gave 2");
    CHECK(path.rows[1].sobol.st[2].value == Approx(1.0).margin(0.02));
    // The Ishigami row equals the indicator's mean: same column, same indices, same bits.
    CHECK(path.rows[2].sobol.st[0].value == find(s, "indicators/ish/mean").sobol.st[0].value);
    CHECK(path.rows[2].sobol.st[0].lo == find(s, "indicators/ish/mean").sobol.st[0].lo);

    // A subset by name; a misspelt name is refused with the nearest one.
    options.outputs = {"outputs/ten_x1", "indicators/ish/mean_path"};
    const SweepSensitivity some = analyse_sweep(r, options);
    CHECK(some.outputs.size() == 1);
    CHECK(some.paths.size() == 1);
    options.outputs = {"outputs/ten_x2"};
    try {
        (void)analyse_sweep(r, options);
        FAIL("a missing output was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) ==
              "no output named 'outputs/ten_x2' (did you mean 'outputs/ten_x1'?)");
    }
}

TEST_CASE("an output's note says infinite and NaN apart", "[sensitivity]") {
    // An outside probe: a column holding an infinity was reported as "NaN at 1 of 5120 points".
    SweepResult r = synthetic_result(saltelli_design(16, 3, 1));
    const std::size_t n = r.points();
    std::vector<double> one_inf(n, 1.0);
    one_inf[2] = std::numeric_limits<double>::infinity();
    std::vector<double> both(one_inf);
    both[5] = -std::numeric_limits<double>::infinity();
    both[7] = NaN;
    r.outputs.emplace_back("one_inf", one_inf);
    r.outputs.emplace_back("both", both);
    SweepSensitivityOptions options;
    options.bootstrap = {20, 0.95, 3};
    const SweepSensitivity s = analyse_sweep(r, options);
    const std::string points = " of " + std::to_string(n) + " points";
    CHECK(find(s, "outputs/one_inf").note == "infinite at 1" + points);
    CHECK(find(s, "outputs/both").note == "NaN at 1 and infinite at 2" + points);
    CHECK(find(s, "indicators/ish/q50").note == "NaN at 1" + points);
}

TEST_CASE("only saltelli and morris results of a consistent size can be analysed",
          "[sensitivity]") {
    SweepResult lhs = synthetic_result(lhs_design(40, 3, 1));
    CHECK(sensitivity_problem(lhs) ==
          "its design is 'lhs': sensitivity indices need a 'saltelli' design (Sobol indices) or "
          "a 'morris' design (elementary effects)");
    CHECK_THROWS_AS(analyse_sweep(lhs, {}), Error);

    SweepResult cut = synthetic_result(saltelli_design(16, 3, 1));
    cut.unit.u.resize(cut.unit.u.size() - 3); // one point short
    CHECK(sensitivity_problem(cut) ==
          "a saltelli design of 16 base samples and 3 factors has 80 points, the file has 79");

    SweepResult design_only = synthetic_result(morris_design(10, 3, 4, 1));
    design_only.complete = false;
    design_only.targets.clear();
    design_only.indicators.clear();
    design_only.outputs.clear();
    CHECK(sensitivity_problem(design_only).find("--design-only") != std::string::npos);
}

TEST_CASE("the sensitivity table ranks factors and fits 100 columns", "[sensitivity]") {
    const SweepResult r = synthetic_result(saltelli_design(128, 3, 2));
    SweepSensitivityOptions options;
    options.bootstrap = {100, 0.9, 1};
    const std::string table = output::format_sensitivity(analyse_sweep(r, options));
    INFO(table);
    CHECK(widest_line(table) <= 100);
    CHECK(table.find("90 % percentile bootstrap intervals from 100 resamples") !=
          std::string::npos);
    // Ishigami: x1 has the largest total effect, then x2, then x3.
    const std::size_t mean = table.find("indicators/ish/mean\n");
    REQUIRE(mean != std::string::npos);
    const std::size_t x1 = table.find("  x1 ", mean);
    const std::size_t x2 = table.find("  x2 ", mean);
    const std::size_t x3 = table.find("  x3 ", mean);
    CHECK(x1 < x2);
    CHECK(x2 < x3);
    CHECK(table.find("targets/goal/p_attain\n  zero variance: every point gave 1; the indices "
                     "are undefined\n") != std::string::npos);
    CHECK(table.find("NaN at 1 of 640 points; the indices are undefined") != std::string::npos);
    CHECK(table.find("2023-01  zero variance: every point gave 2") != std::string::npos);
    CHECK(table.find("2023-02  x3 0.9") != std::string::npos); // ST near 1: x3 alone
}

TEST_CASE("the sensitivity JSON has the documented shape", "[sensitivity]") {
    SweepSensitivityOptions options;
    options.bootstrap = {100, 0.95, 1};
    const SweepSensitivity sobol =
        analyse_sweep(synthetic_result(saltelli_design(64, 3, 1)), options);
    const json j = json::parse(output::sensitivity_json(sobol));
    CHECK(j.at("method") == "sobol");
    CHECK(j.at("schema_version") == 1);
    const json& mean = j.at("outputs").at("indicators/ish/mean");
    CHECK(mean.size() == 3);
    for (const char* f : {"x1", "x2", "x3"}) {
        const json& x = mean.at(f);
        CHECK(x.size() == 6); // S1, S1_ci, S1_undefined_resamples and the same for ST
        CHECK(x.at("S1").is_number());
        CHECK(x.at("S1_ci").size() == 2);
        CHECK(x.at("ST").is_number());
        CHECK(x.at("ST_ci").at(1).is_number());
    }
    CHECK(j.at("outputs").at("targets/goal/p_attain").at("x1").at("S1").is_null());
    CHECK(j.at("notes").at("targets/goal/p_attain") == "zero variance: every point gave 1");
    const json& tr = j.at("time_resolved");
    CHECK(tr.at("time") == json::array({"2023-01", "2023-02", "2023-03"}));
    const json& path = tr.at("outputs").at("indicators/ish/mean_path").at("x3");
    CHECK(path.at("ST").size() == 3);
    CHECK(path.at("ST").at(0).is_null());
    CHECK(path.at("ST_ci").at(2).size() == 2);
    CHECK(tr.at("notes").at("indicators/ish/mean_path").at("2023-01") ==
          "zero variance: every point gave 2");

    const SweepSensitivity morris =
        analyse_sweep(synthetic_result(morris_design(20, 3, 4, 1)), options);
    const json m = json::parse(output::sensitivity_json(morris));
    CHECK(m.at("method") == "morris");
    CHECK(m.at("schema_version") == 1);
    const json& ten = m.at("outputs").at("outputs/ten_x1");
    CHECK(ten.at("x1").at("mu_star").get<double>() == Approx(10.0));
    CHECK(ten.at("x1").at("mu").get<double>() == Approx(10.0));
    CHECK(ten.at("x1").at("sigma").get<double>() == Approx(0.0).margin(1e-9));
    CHECK(ten.at("x1").at("mu_star_ci").size() == 2);
    CHECK(ten.at("x2").at("mu_star").get<double>() == 0.0);
    const std::string table = output::format_sensitivity(morris);
    CHECK(table.find("zero variance: every point gave 1; no factor moves it") != std::string::npos);
    CHECK(widest_line(table) <= 100);
}

TEST_CASE("a base_samples attribute whose point count overflows is refused, not allocated",
          "[sensitivity]") {
    // 2 factors: 4 (2^62 + 8) wraps round to 32 = 4 x 8, the points of 8 base samples.
    SweepResult r;
    r.design = DesignKind::saltelli;
    r.factors = {"x1", "x2"};
    r.unit = saltelli_design(8, 2, 1);
    r.complete = true;
    r.outputs.emplace_back("y", std::vector<double>(r.unit.points(), 1.0));
    for (std::size_t p = 0; p < r.unit.points(); ++p) {
        r.outputs[0].second[p] = r.unit.at(p, 0);
    }
    REQUIRE(sensitivity_problem(r).empty());
    r.unit.base_samples = (std::size_t{1} << 62) + 8;
    const std::string problem = sensitivity_problem(r);
    CHECK(problem.find("base_samples 4611686018427387912") != std::string::npos);
    CHECK(problem.find("the file has 32") != std::string::npos);
    CHECK_THROWS_AS(analyse_sweep(r, {}), Error);

    // Morris: 4 (2^62 + 10) trajectory points wrap round to 40 = 4 x 10 as well.
    SweepResult m = synthetic_result(morris_design(10, 3, 4, 1));
    REQUIRE(sensitivity_problem(m).empty());
    m.unit.base_samples = (std::size_t{1} << 62) + 10;
    CHECK(sensitivity_problem(m).find("base_samples 4611686018427387914") != std::string::npos);
    CHECK_THROWS_AS(analyse_sweep(m, {}), Error);
}

TEST_CASE("an edited Morris design and a shard are refused before anything is computed",
          "[sensitivity]") {
    SweepResult m = synthetic_result(morris_design(10, 3, 4, 1));
    // Point 5 made a copy of point 4: no factor moves between them.
    std::copy_n(m.unit.u.begin() + 4 * 3, 3, m.unit.u.begin() + 5 * 3);
    const std::string problem = sensitivity_problem(m);
    CHECK(problem.find("not a Morris design") != std::string::npos);
    CHECK(problem.find("point 5") != std::string::npos);
    CHECK_THROWS_WITH(analyse_sweep(m, {}), Catch::Contains("not a Morris design"));

    SweepResult shard = synthetic_result(saltelli_design(16, 3, 1));
    shard.unit.u.resize(27 * 3); // shard 1/3 of 80 points: points 0-26
    shard.shard = "1/3";
    shard.points_total = 80;
    const std::string merge_first = sensitivity_problem(shard);
    CHECK(merge_first.find("has 80 points, the file has 27") != std::string::npos);
    CHECK(merge_first.find("shard 1/3") != std::string::npos);
    CHECK(merge_first.find("canopy merge") != std::string::npos);
}
