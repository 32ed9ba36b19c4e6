// `canopy run --report FILE.html`: one self-contained page, checked like the other outputs
// (a bad path or a clash exits 2 and writes nothing). tests/python/test_report_chromium.py
// renders the page in Chromium.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
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
        {"--report r.txt --json out.json", "--report: 'r.txt' must end in .html or .htm"},
        // ".html" alone has no extension to the library: the message says what is missing.
        {"--report .html --json out.json", "--report: '.html' needs a name before .html"},
        {"--report sub/.htm --json out.json", "needs a name before .htm"},
        {"--report '' --json out.json", "--report"},
        {"--report old.html --json old.html", "--json and --report"},
        {"--report old.html --replicates 0", "--replicates"},
        // The lever effects belong to a report, and their ranges must be a valid sweep file.
        {"--report-levers --json out.json", "--report-levers requires --report"},
        {"--report-ranges " + std::string(CANOPY_SOURCE_DIR) +
             "/tests/data/sweeps/tiny.toml --json out.json",
         "--report-ranges requires --report"},
        {"--report r.html --report-ranges " + shell_quote(REFERENCE) + " --json out.json",
         "--report-ranges: '"},
        {"--report r.html --report-ranges no-such-sweep.toml --json out.json",
         "no-such-sweep.toml"},
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

TEST_CASE("canopy levers says when a default range is held inside the lever's own",
          "[cli][report]") {
    // lever_high_tech at 800 of at most 1000: 1.5x would be 1200, so the high end is 1000. It
    // was held there silently, the origin still reading "0.5x and 1.5x".
    const test::TempDir dir;
    test::write_file(dir / "near-top.toml",
                     "extends = \"" + REFERENCE +
                         "\"\nremove = [\"policy_mixes.high_tech_push\"]\n"
                         "[levers.lever_high_tech]\nvalue = 800\n"
                         "assumption = \"near the top of the lever's range\"\n");
    const Result r =
        run_canopy(dir, "levers near-top.toml -n 3 --lever lever_high_tech --json - -q");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("\"high\": 1000.0") != std::string::npos);
    CHECK(r.out.find("\"origin\": \"default: 0.5x and 1.5x its level at the end, from "
                     "policy_start; high held at the lever's maximum 1000 (1.5x is 1200)\"") !=
          std::string::npos);
}

TEST_CASE("canopy run's time estimate counts the ensembles --report-levers adds", "[cli][report]") {
    // A run the estimate puts at about 8 minutes on one thread: no warning alone, but its three
    // levers add six ensembles, about 46 minutes more, past the 10 minutes that are said. The
    // estimate is printed before anything runs; the run is stopped there.
    const test::TempDir dir;
    const auto estimate = [&](const std::string& flags) {
        const std::string command =
            "cd " + shell_quote(dir.path().string()) + " && timeout 4 " + shell_quote(CANOPY) +
            " run " + shell_quote(REFERENCE) +
            " --replicates 500000 --threads 1 --max-memory none --report r.html " + flags +
            " 2>err.txt >/dev/null";
        (void)std::system(command.c_str());
        return test::read_file(dir / "err.txt");
    };
    CHECK(estimate("").find("this run needs") == std::string::npos);
    const std::string levers = estimate("--report-levers");
    INFO(levers);
    CHECK(levers.find("canopy run: this run needs") != std::string::npos);
    CHECK(levers.find("; and 6 ensembles for --report-levers, about 46 min more") !=
          std::string::npos);
}

TEST_CASE("canopy run --report-levers adds each lever's effect, as canopy levers measures it",
          "[cli][report]") {
    const test::TempDir dir;
    // Without the flag the page has no lever effects (and the run costs no more ensembles).
    const Result plain = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                             " --replicates 12 --quiet --report "
                                             "plain.html");
    REQUIRE(plain.status == 0);
    CHECK(test::read_file(dir / "plain.html").find("id=\"lever-effects\"") == std::string::npos);

    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --replicates 12 --quiet --report levers.html "
                                         "--report-levers");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = test::read_file(dir / "levers.html");
    CHECK(html.find("id=\"lever-effects\"") != std::string::npos);
    // A tornado chart and a table per target (3), a row per lever (3) in each table, with the
    // default ranges: half and one and a half times each lever's level (1).
    CHECK(count(html, "class=\"chart tornado\"") == 3);
    CHECK(count(html, "<table class=\"effects\">") == 3);
    CHECK(count(html, "<tr><td>lever_<wbr>high_<wbr>tech</td><td>0.5 → 1.5 multiplier</td>") == 3);
    CHECK(count(html, "<tr><td>lever_<wbr>incubated</td><td>0.5 → 1.5 multiplier</td>") == 3);
    CHECK(count(html, "<tr><td>lever_<wbr>sme</td><td>0.5 → 1.5 multiplier</td>") == 3);
    CHECK(html.find("12 paired replicates at each end") != std::string::npos);
    // Doubling high-tech promotion makes more leaders (canopy compare's test measures +69 firms
    // for x2): from x0.5 to x1.5 the leaders' median rises, an interval above zero.
    const std::size_t leaders = html.find("<th>leaders_<wbr>2023");
    REQUIRE(leaders != std::string::npos);
    const std::size_t row = html.find("<tr><td>lever_<wbr>high_<wbr>tech</td>", leaders);
    REQUIRE(row != std::string::npos);
    const std::string line = html.substr(row, html.find("</tr>", row) - row);
    INFO(line);
    CHECK(line.find("<strong>yes</strong>") != std::string::npos);

    // Ranges from a sweep file's lever factors (tiny.toml: lever_high_tech from 0.5 to 2), the
    // other levers by the default rule.
    const Result ranged = run_canopy(
        dir, "run " + shell_quote(REFERENCE) +
                 " --replicates 6 --quiet --report ranged.html "
                 "--report-ranges " +
                 shell_quote(std::string(CANOPY_SOURCE_DIR) + "/tests/data/sweeps/tiny.toml"));
    INFO(ranged.err);
    REQUIRE(ranged.status == 0);
    const std::string page = test::read_file(dir / "ranged.html");
    CHECK(page.find("0.5 → 2 multiplier") != std::string::npos);
    CHECK(page.find("factors.lever_high_tech of ") != std::string::npos);
    CHECK(entries(dir.path()) ==
          std::vector<std::string>{"levers.html", "plain.html", "ranged.html"});
}

TEST_CASE("A report draws an indicator whose interval reaches infinity", "[cli][report]") {
    // Finals from 1.4e308 to inf (a scale near the largest double): the axis stepped to inf and
    // pushed ticks until memory ran out ("internal error: std::bad_alloc" after 17 GB).
    const test::TempDir dir;
    test::write_file(dir / "huge.toml",
                     "extends = \"" + REFERENCE +
                         "\"\n[indicators.leaders_2023]\nkind = \"stock\"\nseries = \"leader\"\n"
                         "at = \"2023-12\"\nunit = \"scaled firms\"\nscale = 2.2e306\n"
                         "description = \"leaders, scaled to the ends of the doubles\"\n");
    const Result r = run_canopy(dir, "run huge.toml --replicates 8 --quiet --report r.html");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = test::read_file(dir / "r.html");
    CHECK(html.find("<svg class=\"chart fan\"") != std::string::npos);
    CHECK(html.find("leaders_2023") != std::string::npos);
}

TEST_CASE("The report's header says what the terminal's does: overrides, precision, replicates",
          "[cli][report]") {
    // An outside tester: the terminal printed "Overrides ... (--set, applied after the policy
    // mix)" and "Precision every target settled to ...", the page neither; and "1 replicates".
    const test::TempDir dir;
    const Result set =
        run_canopy(dir, "run " + shell_quote(REFERENCE) +
                            " -n 6 -t 1 --set lever_incubated=1.2 --report set.html");
    INFO(set.out + set.err);
    REQUIRE(set.status == 0);
    CHECK(set.out.find("lever_incubated=1.2 (--set, applied after the policy mix)") !=
          std::string::npos);
    CHECK(test::read_file(dir / "set.html")
              .find("<dt>Overrides</dt><dd>lever_incubated=1.2 (--set, applied after the policy "
                    "mix)</dd>") != std::string::npos);

    const Result precise = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                               " -n 40 -t 1 --precision 0.2 --report prec.html");
    INFO(precise.out + precise.err);
    REQUIRE(precise.status == 0);
    const std::size_t said = precise.out.find("settled to +/-0.2 (");
    REQUIRE(said != std::string::npos);
    const std::size_t from = precise.out.rfind("Precision", said);
    REQUIRE(from != std::string::npos);
    // The terminal's words after the name: "every target settled to +/-0.2 (N of at most 40
    // replicates)".
    std::string line = precise.out.substr(from + 9, precise.out.find('\n', said) - from - 9);
    line.erase(0, line.find_first_not_of(' '));
    const std::string page = test::read_file(dir / "prec.html");
    CHECK(page.find("<dt>Precision</dt><dd>" + line + "</dd>") != std::string::npos);

    const Result one =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " -n 1 -t 1 --quiet --report one.html");
    INFO(one.err);
    REQUIRE(one.status == 0);
    const std::string single = test::read_file(dir / "one.html");
    CHECK(single.find(": 1 replicate, seed") != std::string::npos);
    CHECK(single.find("1 replicates") == std::string::npos);
}

TEST_CASE("The report marks a scenario's assumed thresholds and gives their reasoning",
          "[cli][report]") {
    // The README says the masked thresholds "are marked as assumptions"; the page showed them
    // as any other. The reference scenario's targets are all illustrative assumptions.
    const test::TempDir dir;
    const Result r =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " -n 6 -t 1 --quiet --report a.html");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = test::read_file(dir / "a.html");
    CHECK(html.find("<td>≥ 60 firms †</td>") != std::string::npos);
    CHECK(html.find("<dt>leaders_<wbr>2023 †</dt><dd><em>assumption:</em> illustrative: below "
                    "REFERENCE.md") != std::string::npos);
}
