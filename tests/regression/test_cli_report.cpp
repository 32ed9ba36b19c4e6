// `canopy run --report FILE.html`: one self-contained page, checked like the other outputs
// (a bad path or a clash exits 2 and writes nothing). tests/python/test_report_chromium.py
// renders the page in Chromium.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace canopy;
using namespace canopy::test::cli;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + what.size())) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("canopy run --report writes one self-contained HTML page", "[cli][report]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --replicates 6 --quiet --report run.html");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = test::read_file(dir / "run.html");
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    // Nothing to fetch and nothing to run: no script, no external reference.
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("src=") == std::string::npos);
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    // A fan chart per indicator (the reference scenario has 5), one attainment chart.
    CHECK(count(html, "class=\"chart fan\"") == 5);
    CHECK(count(html, "class=\"chart bars\"") == 1);
    CHECK(html.find("leaders_2023") != std::string::npos);
    CHECK(html.find("Not calibrated") != std::string::npos);
    CHECK(html.find("Key inputs and their sources") != std::string::npos);

    // The mixes side by side: an attainment chart per target (3) and a cost table.
    const Result all = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                           " --replicates 6 --quiet --all-mixes --report all.html");
    INFO(all.err);
    REQUIRE(all.status == 0);
    const std::string both = test::read_file(dir / "all.html");
    CHECK(count(both, "class=\"chart bars\"") == 3);
    CHECK(both.find("high_tech_push") != std::string::npos);
    CHECK(both.find("incubator_ramp") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"all.html", "run.html"});
}

TEST_CASE("A bad --report path exits 2 and writes nothing", "[cli][report]") {
    const test::TempDir dir;
    test::write_file(dir / "out.json", "previous json\n");
    test::write_file(dir / "old.html", "previous report\n");
    struct Case {
        std::string flags;
        std::string names;
    };
    const std::vector<Case> cases{
        {"--report missing-dir/r.html --json out.json", "--report: cannot write"},
        {"--report r.txt --json out.json", "--report: 'r.txt' must end in .html"},
        {"--report '' --json out.json", "--report"},
        {"--report old.html --json old.html", "--json and --report"},
        {"--report old.html --replicates 0", "--replicates"},
    };
    for (const Case& c : cases) {
        INFO(c.flags);
        const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " " + c.flags);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.names) != std::string::npos);
        CHECK(test::read_file(dir / "out.json") == "previous json\n");
        CHECK(test::read_file(dir / "old.html") == "previous report\n");
        CHECK(entries(dir.path()) == std::vector<std::string>{"old.html", "out.json"});
    }
    // A scenario file given as the report is refused before anything runs.
    test::write_file(dir / "scenario.html", test::read_file(REFERENCE));
    const Result clash = run_canopy(dir, "run scenario.html --report scenario.html");
    CHECK(clash.status == 2);
    CHECK(clash.err.find("--report") != std::string::npos);
    CHECK(test::read_file(dir / "scenario.html") == test::read_file(REFERENCE));
}
