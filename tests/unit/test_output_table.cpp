// The terminal table: every target has its row, verdicts follow the documented rule, numbers
// read well, and colour never changes the layout.
#include "output_fixture.hpp"

#include <canopy/output/table.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace canopy;

namespace {

output::EnsembleSummary summary() {
    return output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(),
                                      test::synthetic_ensemble(10));
}

std::string strip_escapes(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b') {
            while (i < text.size() && text[i] != 'm') {
                ++i;
            }
            continue;
        }
        out += text[i];
    }
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

} // namespace

TEST_CASE("The target table has a row for every target with its numbers", "[output][table]") {
    const auto s = summary();
    const std::string table = output::format_target_table(s);
    const auto rows = lines(table);
    REQUIRE(rows.size() >= 3);
    CHECK(rows[0].find("target") == 0);
    CHECK(rows[0].find("P(attain)") != std::string::npos);
    CHECK(rows[0].find("95 % CI") != std::string::npos);
    // a_high: >= 8 firms, median 5.5, interval [1.45, 9.55], 3 of 10 = 30 %.
    CHECK(rows[1].find("a_high") == 0);
    CHECK(rows[1].find(">= 8 firms") != std::string::npos);
    CHECK(rows[1].find("5.5") != std::string::npos);
    CHECK(rows[1].find("[1.45, 9.55]") != std::string::npos);
    CHECK(rows[1].find("30.0 %") != std::string::npos);
    CHECK(rows[1].find("uncertain") != std::string::npos);
    CHECK(rows[2].find("b_low") == 0);
    CHECK(rows[2].find("< 100 firms") != std::string::npos);
    CHECK(rows[2].find("100.0 %") != std::string::npos);
    CHECK(rows[2].find("likely") != std::string::npos);
    CHECK(table.find('\x1b') == std::string::npos); // no colour unless asked
}

TEST_CASE("Columns line up: every row's verdict starts in the same column", "[output][table]") {
    const auto rows = lines(output::format_target_table(summary()));
    const std::size_t column = rows[0].find("verdict");
    REQUIRE(column != std::string::npos);
    CHECK(rows[1].find("uncertain") == column);
    CHECK(rows[2].find("likely") == column);
}

TEST_CASE("Colour wraps cells without moving them", "[output][table]") {
    const auto s = summary();
    const std::string plain = output::format_target_table(s, {false});
    const std::string coloured = output::format_target_table(s, {true});
    CHECK(coloured.find("\x1b[") != std::string::npos);
    CHECK(strip_escapes(coloured) == plain);
    CHECK(strip_escapes(output::format_header(s, {true})) == output::format_header(s, {false}));
}

TEST_CASE("The header says what was run", "[output][table]") {
    const std::string header = output::format_header(summary());
    CHECK(header.find("synthetic - Synthetic ensemble") != std::string::npos);
    CHECK(header.find("2023-01 to 2023-12, 12 monthly steps") != std::string::npos);
    CHECK(header.find("10 (seed 7)") != std::string::npos);
    CHECK(header.find("Policy mix  base") != std::string::npos);
    CHECK(header.find("Wilson 95 %") != std::string::npos);
}

TEST_CASE("Verdicts compare the whole interval with one half", "[output][table]") {
    using output::Verdict;
    CHECK(output::verdict({0.51, 0.9}) == Verdict::likely);
    CHECK(output::verdict({0.5, 0.9}) == Verdict::uncertain); // touching 0.5 is not above it
    CHECK(output::verdict({0.2, 0.8}) == Verdict::uncertain);
    CHECK(output::verdict({0.1, 0.5}) == Verdict::uncertain);
    CHECK(output::verdict({0.0, 0.49}) == Verdict::unlikely);
    CHECK(output::verdict({std::nan(""), 0.4}) == Verdict::unknown);
    CHECK(std::string(output::to_string(Verdict::likely)) == "likely");
    CHECK(std::string(output::to_string(Verdict::unlikely)) == "unlikely");
}

TEST_CASE("The mix comparison has a column per mix and a row per target", "[output][table]") {
    const auto scenario = test::synthetic_scenario();
    const auto model = test::synthetic_model();
    std::vector<output::EnsembleSummary> runs;
    runs.push_back(output::summarise_ensemble(scenario, model, test::synthetic_ensemble(10)));
    output::SummaryOptions mix;
    mix.policy_mix = "more_l0";
    runs.push_back(output::summarise_ensemble(scenario.with_policy_mix("more_l0"), model,
                                              test::synthetic_ensemble(10, 2.0), mix));
    const auto rows = lines(output::format_mix_comparison(runs));
    REQUIRE(rows.size() == 5); // title, heading, two targets, cost
    CHECK(rows[1].find("base") != std::string::npos);
    CHECK(rows[1].find("more_l0") != std::string::npos);
    CHECK(rows[2].find("a_high") == 0);
    CHECK(rows[2].find("30.0 %") != std::string::npos); // base: 8, 9, 10 of 1..10
    CHECK(rows[2].find("70.0 %") != std::string::npos); // doubled: 8..20 step 2 -> 7 of 10
    CHECK(rows[4].find("total cost") == 0);
    CHECK(rows[4].find("4 bn yuan") != std::string::npos);
    CHECK(rows[4].find("5 bn yuan") != std::string::npos);
}

TEST_CASE("Quantities read well at every magnitude", "[output][table]") {
    CHECK(output::format_quantity(13452.4) == "13,452");
    CHECK(output::format_quantity(-1234567.0) == "-1,234,567");
    CHECK(output::format_quantity(77.0) == "77");
    CHECK(output::format_quantity(137.46) == "137.5");
    CHECK(output::format_quantity(8.534) == "8.53");
    CHECK(output::format_quantity(8.5) == "8.5");
    CHECK(output::format_quantity(0.5) == "0.5");
    CHECK(output::format_quantity(0.04123) == "0.0412");
    CHECK(output::format_quantity(0.0) == "0");
    CHECK(output::format_quantity(2.5e-6) == "2.50e-06");
    CHECK(output::format_quantity(3.2e13) == "3.200e+13");
    CHECK(output::format_quantity(std::nan("")) == "n/a");
    CHECK(output::format_quantity(-std::numeric_limits<double>::infinity()) == "-inf");
    CHECK(output::format_percent(0.875) == "87.5 %");
    CHECK(output::format_percent(std::nan("")) == "n/a");
}

TEST_CASE("Lever levels print so that they read back as the same number", "[output][table]") {
    // solve's answers come from bisection: three significant digits rounded 1.0546875 to 1.05,
    // another setting, which fell short of the probability the answer reached.
    for (const double x :
         {1.0546875, 0.80560302734375, 72.5, 0.1 + 0.2, 2000000.0, 1e-7, 1.0, -0.25, 3.2e13}) {
        const std::string text = output::format_level(x);
        INFO(text);
        CHECK(std::stod(text) == x);
        CHECK(text.find(',') == std::string::npos); // --set reads no grouping
    }
    CHECK(output::format_level(1.0546875) == "1.0546875");
    CHECK(output::format_level(72.5) == "72.5");
    CHECK(output::format_level(2000000.0) == "2000000");
    CHECK(output::format_level(1.0) == "1");
    CHECK(output::format_level(std::nan("")) == "n/a");
    CHECK(output::format_level(std::numeric_limits<double>::infinity()) == "inf");
}

TEST_CASE("Display width counts wide CJK characters twice", "[output][table]") {
    CHECK(output::display_width("firms") == 5);
    CHECK(output::display_width("亿元") == 4);
    CHECK(output::display_width("Barabási") == 8);
    CHECK(output::display_width("") == 0);
    CHECK(output::display_width("\xff") == 1); // malformed bytes still take a column
}

TEST_CASE("format_columns aligns plain listings", "[output][table]") {
    const std::string text = output::format_columns({{"a", "bb", "c"}, {"aaa", "b", "c"}}, 2);
    CHECK(text == "  a    bb  c\n  aaa  b   c\n");
}

TEST_CASE("NO_COLOR turns colour off, and only a terminal gets colour", "[output][table]") {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    CHECK_FALSE(output::use_colour(file)); // a file is not a terminal
    std::fclose(file);
    const char* old = std::getenv("NO_COLOR");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("NO_COLOR", "1", 1);
    CHECK_FALSE(output::use_colour(stdout));
    if (old != nullptr) {
        ::setenv("NO_COLOR", saved.c_str(), 1);
    } else {
        ::unsetenv("NO_COLOR");
    }
}

TEST_CASE("A target whose indicator is undefined in some replicates says in how many",
          "[output][table]") {
    auto ensemble = test::synthetic_ensemble(10);
    ensemble.runs[3].row(12)[0] = std::numeric_limits<double>::quiet_NaN(); // a_end of one
    const auto s =
        output::summarise_ensemble(test::synthetic_scenario(), test::synthetic_model(), ensemble);
    CHECK(s.targets[0].summary.undefined == 1);
    const std::string table = output::format_target_table(s);
    CHECK(table.find("  a_high: a_end undefined in 1 of 10 replicates\n") != std::string::npos);
    CHECK(table.find("count as not attained") != std::string::npos);
    CHECK(table.find("b_low: b_total undefined") == std::string::npos);
    CHECK(output::format_target_table(summary()).find("undefined") == std::string::npos);
}

TEST_CASE("A target the inputs fix is marked, with the inputs named below the table",
          "[output][table]") {
    auto s = summary();
    CHECK(output::format_target_table(s).find('*') == std::string::npos);
    s.targets[1].determination.by_inputs = true;
    s.targets[1].determination.inputs = {"p", "l0"};
    const std::string table = output::format_target_table(s);
    const auto rows = lines(table);
    CHECK(rows[1].find("set by inputs") == std::string::npos);
    CHECK(rows[2].find("100.0 % *") != std::string::npos);
    CHECK(rows[2].find("set by inputs*") != std::string::npos);
    CHECK(table.find("  b_low: by p, l0\n") != std::string::npos);
    CHECK(table.find("not by the simulated dynamics") != std::string::npos);
    // An input whose probe failed is named, since it may decide the target too.
    s.targets[1].determination.not_probed = {"p (its perturbed run failed: std::bad_alloc)"};
    CHECK(output::format_target_table(s).find(
              "  b_low: by p, l0; not probed, so not known to decide it or not: p (its "
              "perturbed run failed: std::bad_alloc)\n") != std::string::npos);
}
