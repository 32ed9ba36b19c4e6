// What the planners' outputs say about how a run was made: parameters drawn from a calibration
// posterior are described as posterior draws (not by the prior they replaced), --set overrides
// appear in the terminal header and the JSON, solve prints commands that can be pasted back and
// does not call a target out of reach when P(attain) fell as its lever rose, and a few messages
// name what is allowed.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <string>

using namespace canopy;
using namespace canopy::test::cli;

namespace {

const std::string WUHAN = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";

// The table row of `id` in an HTML report's inputs (from its <td> to the row's end). A name
// in a cell may break after its underscores (<wbr>).
std::string input_row(const std::string& html, const std::string& id) {
    std::string cell;
    for (const char c : id) {
        cell += c == '_' ? std::string("_<wbr>") : std::string(1, c);
    }
    const std::size_t at = html.find("<tr><td>" + cell + "</td>");
    REQUIRE(at != std::string::npos);
    return html.substr(at, html.find("</tr>", at) - at);
}

} // namespace

TEST_CASE("parameters drawn from the posterior are described as posterior draws",
          "[regression][cli][report][hdf5]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(WUHAN) +
                                         " --replicates 4 --threads 1 --quiet --report r.html "
                                         "--out r.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const std::string html = test::read_file(dir / "r.html");
    CHECK(html.find("calibration posterior posterior") == std::string::npos);
    const std::string posterior = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-posterior.h5";
    CHECK(html.find("from the calibration posterior '" + posterior + "'") != std::string::npos);
    const std::string row = input_row(html, "hte_application_rate");
    INFO(row);
    CHECK(row.find("uniform(") == std::string::npos); // the prior the posterior replaced
    CHECK(row.find("posterior draws") != std::string::npos);
    CHECK(row.find("over 4 replicates") != std::string::npos);
    CHECK(row.find("wuhan-posterior.h5") != std::string::npos);

    const std::string p = "/parameters/hte_application_rate";
    CHECK(string_attr(dir / "r.h5", p, "distribution") == "posterior");
    CHECK(string_attr(dir / "r.h5", p, "posterior") == posterior);

    // compare writes the same /parameters and report inputs.
    const Result c = run_canopy(dir, "compare " + shell_quote(WUHAN) +
                                         " --replicates 4 --threads 1 --quiet --mix "
                                         "certification_push --report c.html --out c.h5");
    INFO(c.err);
    REQUIRE(c.status == 0);
    CHECK(string_attr(dir / "c.h5", p, "distribution") == "posterior");
    CHECK(string_attr(dir / "c.h5", "/policy_mixes/certification_push" + p, "distribution") ==
          "posterior");
    const std::string compare_html = test::read_file(dir / "c.html");
    CHECK(input_row(compare_html, "hte_application_rate").find("uniform(") == std::string::npos);
    CHECK(compare_html.find("calibration posterior posterior") == std::string::npos);
}

TEST_CASE("run shows its --set overrides in the terminal header and the JSON",
          "[regression][cli][set]") {
    const test::TempDir dir;
    const std::string base = "run " + shell_quote(REFERENCE) + " --replicates 3 --threads 1";
    const Result plain = run_canopy(dir, base + " --json plain.json");
    REQUIRE(plain.status == 0);
    CHECK(plain.out.find("Overrides") == std::string::npos);
    CHECK_FALSE(nlohmann::json::parse(test::read_file(dir / "plain.json")).contains("overrides"));

    const Result set = run_canopy(
        dir, base + " --set lever_high_tech=2 --set lever_incubated*=1.5 --json set.json");
    INFO(set.err);
    REQUIRE(set.status == 0);
    CHECK(set.out.find("Overrides   lever_high_tech=2, lever_incubated*=1.5") != std::string::npos);
    const auto j = nlohmann::json::parse(test::read_file(dir / "set.json"));
    CHECK(j["overrides"] == nlohmann::json::array({"lever_high_tech=2", "lever_incubated*=1.5"}));

    // With a mix, the header says the mix's figure was overridden.
    const Result mixed =
        run_canopy(dir, base + " --policy-mix high_tech_push --set lever_high_tech=3");
    REQUIRE(mixed.status == 0);
    CHECK(mixed.out.find("Policy mix  high_tech_push") != std::string::npos);
    CHECK(mixed.out.find("Overrides   lever_high_tech=3 (--set, applied after the policy mix)") !=
          std::string::npos);
}

TEST_CASE("canopy solve's report prints a command that names the scenario file",
          "[regression][cli][solve][report]") {
    const test::TempDir dir;
    fs::create_directories(dir / "my scenarios");
    fs::copy_file(REFERENCE, dir / "my scenarios" / "ref.toml");
    const Result one = run_canopy(dir, "solve 'my scenarios/ref.toml' --target high_tech_growth "
                                       "-P 0.8 --lever lever_incubated=0:6 --replicates 40 "
                                       "--precision 0.1 --quiet --report one.html");
    INFO(one.err);
    REQUIRE(one.status == 0);
    const std::string html = test::read_file(dir / "one.html");
    CHECK(html.find("canopy run &#39;my scenarios/ref.toml&#39; --seed") != std::string::npos);
    CHECK(html.find("canopy run reference ") == std::string::npos);
    CHECK(html.find("the smallest level judged to reach it") != std::string::npos);

    const Result two = run_canopy(
        dir, "solve " + shell_quote(REFERENCE) +
                 " --target high_tech_growth -P 0.8 --lever lever_incubated=0:6 --lever "
                 "lever_high_tech=1:1.5 --replicates 40 --precision 0.1 --quiet --report two.html");
    INFO(two.err);
    REQUIRE(two.status == 0);
    const std::string html2 = test::read_file(dir / "two.html");
    CHECK(html2.find("canopy run " + REFERENCE + " --seed") != std::string::npos);
    CHECK(html2.find("the smallest level judged") == std::string::npos);
    CHECK(html2.find("the cheapest combination") != std::string::npos);
}

TEST_CASE("canopy solve gives no answer when P(attain) falls as the lever rises",
          "[regression][cli][solve]") {
    // On the reference scenario more high-tech promotion lowers the high-tech stock's growth
    // (firms promoted on to leader leave it): P is 100 % at 0 and about 95 % at 0.8, and the
    // search, started at 1 and climbing, only saw P fall.
    const test::TempDir dir;
    const std::string flags = "solve " + shell_quote(REFERENCE) +
                              " -t 1 --target high_tech_growth -P 0.7 --lever lever_high_tech=0:3";
    const Result text = run_canopy(dir, flags);
    INFO(text.out + text.err);
    CHECK(text.status == 3);
    CHECK(text.out.find("OUT OF REACH") == std::string::npos);
    CHECK(text.out.find("NO ANSWER") != std::string::npos);
    CHECK(text.out.find("does not hold for target high_tech_growth and lever lever_high_tech") !=
          std::string::npos);
    CHECK(text.out.find("--lever lever_high_tech=0:1") != std::string::npos);

    const Result json = run_canopy(dir, flags + " --json - --report r.html");
    INFO(json.err);
    CHECK(json.status == 3);
    const auto j = nlohmann::json::parse(json.out);
    CHECK(j["status"] == "not_monotone");
    CHECK(j["not_monotone"]["lever"] == "lever_high_tech");
    CHECK(j["not_monotone"]["lower"]["level"].get<double>() <
          j["not_monotone"]["higher"]["level"].get<double>());
    CHECK(j["not_monotone"]["lower"]["p_attain_ci"][0].get<double>() >
          j["not_monotone"]["higher"]["p_attain_ci"][1].get<double>());
    const std::string html = test::read_file(dir / "r.html");
    CHECK(html.find("no answer") != std::string::npos);
    CHECK(json.err.find("no answer") != std::string::npos);

    // At P 50 % the range's bottom, 0, reaches P: REACHED stands, and the warning says so rather
    // than that the search "cannot say whether P is reachable" (an outside tester's reading).
    const Result reached = run_canopy(dir, "solve " + shell_quote(REFERENCE) +
                                               " -t 1 --target high_tech_growth -P 0.5 --lever "
                                               "lever_high_tech=0:3");
    INFO(reached.out);
    CHECK(reached.status == 0);
    CHECK(reached.out.find("REACHED: lever_high_tech = 0 ") != std::string::npos);
    CHECK(reached.out.find("warning: solve assumes") != std::string::npos);
    // 0 is the range's floor: nothing smaller was there to search.
    CHECK(reached.out.find("The answer, every lever at the floor of its range, stands (its own "
                           "replicates reach P)") != std::string::npos);
    CHECK(reached.out.find("smaller or cheaper") == std::string::npos);
    CHECK(reached.out.find("cannot say whether P is reachable") == std::string::npos);

    // Two levers: the fall names the other lever's level in both settings, text and JSON.
    const Result two = run_canopy(dir, "solve " + shell_quote(REFERENCE) +
                                           " -t 1 --target high_tech_growth -P 0.7 -n 40 "
                                           "--lever lever_incubated=0.5:3 "
                                           "--lever lever_high_tech=0:3 --json -");
    INFO(two.err);
    const auto t = nlohmann::json::parse(two.out);
    REQUIRE(t.contains("not_monotone"));
    const auto& fall = t["not_monotone"];
    REQUIRE(fall["lower"].contains("levers"));
    CHECK(fall["lower"]["levers"]["lever_incubated"] ==
          fall["higher"]["levers"]["lever_incubated"]);
    CHECK(fall["lower"]["levers"][fall["lever"].get<std::string>()] == fall["lower"]["level"]);
    CHECK(two.err.find("(with lever_incubated = ") != std::string::npos);
}

TEST_CASE("flag messages say what is allowed", "[regression][cli]") {
    const test::TempDir dir;
    const Result precision = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --precision abc");
    CHECK(precision.status == 2);
    CHECK(precision.err.find("'abc' is not a number") != std::string::npos);
    CHECK(precision.err.find("below 0.5") != std::string::npos);

    // The default scenario's leader_enterprises is too far from "leaderz" by edit distance;
    // a shared stem still suggests it.
    const Result target =
        run_canopy(dir, "solve --target leaderz -P 0.5 --lever hte_certification_reward");
    CHECK(target.status == 2);
    CHECK(target.err.find("did you mean 'leader_enterprises'") != std::string::npos);

    // An indicator without a target is named as such, not offered another target.
    const Result indicator = run_canopy(dir, "solve " + shell_quote(REFERENCE) +
                                                 " --target leader_share -P 0.5 --lever lever_sme");
    CHECK(indicator.status == 2);
    CHECK(indicator.err.find("'leader_share' is an indicator with no target on it") !=
          std::string::npos);
    CHECK(indicator.err.find("add [targets.leader_share]") != std::string::npos);
    CHECK(indicator.err.find("did you mean") == std::string::npos);

    const Result lever =
        run_canopy(dir, "levers " + shell_quote(REFERENCE) + " --lever births_per_month");
    CHECK(lever.status == 2);
    CHECK(lever.err.find("allowed: ") != std::string::npos);
    CHECK(lever.err.find("lever_high_tech") != std::string::npos);
}

TEST_CASE("canopy compare says it does not apply the scenario's precision",
          "[regression][cli][compare]") {
    const test::TempDir dir;
    test::write_file(dir / "precise.toml",
                     "extends = " + shell_quote(REFERENCE) + "\n[scenario]\nprecision = 0.2\n");
    const Result r =
        run_canopy(dir, "compare precise.toml --replicates 12 --threads 1 --json c.json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("precision (0.2) is not applied: every mix runs all 12 replicates") !=
          std::string::npos);
    CHECK(nlohmann::json::parse(test::read_file(dir / "c.json"))["replicates"] == 12);
    const Result plain = run_canopy(dir, "compare " + shell_quote(REFERENCE) +
                                             " --replicates 12 --threads 1 --json d.json");
    CHECK(plain.err.find("precision") == std::string::npos);
}

TEST_CASE("a target no replicate gives a number for has the verdict n/a", "[regression][cli]") {
    // 300 firms start with no leader: the growth of leaders is undefined in every replicate.
    const test::TempDir dir;
    test::write_file(dir / "few.toml", "extends = " + shell_quote(REFERENCE) + R"(
[baseline.firms]
value = 300
assumption = "few enough firms that none is a leader at the start"
[indicators.leader_growth]
kind = "growth"
series = "leader"
from = "2022-12"
at = "2023-12"
scale = 100
unit = "%"
[targets.leader_growth]
comparison = ">="
threshold = 10
assumption = "a growth of leaders from none"
)");
    const Result r = run_canopy(dir, "run few.toml --threads 1 --json few.json --report few.html");
    INFO(r.out + r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(test::read_file(dir / "few.json"));
    nlohmann::json target;
    for (const auto& t : j["targets"]) {
        if (t["id"] == "leader_growth") {
            target = t;
        }
    }
    REQUIRE(target["undefined"] == j["replicates"]);
    CHECK(target["determined_by"].is_null());
    const std::size_t row = r.out.find("\nleader_growth ");
    REQUIRE(row != std::string::npos);
    const std::string line = r.out.substr(row + 1, r.out.find('\n', row + 1) - row - 1);
    INFO(line);
    CHECK(line.find("set by inputs") == std::string::npos);
    CHECK(line.substr(line.size() - 3) == "n/a");
    const std::string html = test::read_file(dir / "few.html");
    CHECK(html.find("verdict-n/a") != std::string::npos);
}
