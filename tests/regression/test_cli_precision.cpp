// `canopy run --precision H` (and the scenario's `precision`): replicates in blocks until every
// target is settled; the replicates used are a prefix, so the result is the same bits as a plain
// run of that many, at any thread count; bad values are refused like a bad file.
#include "cli_fixture.hpp"

#include <canopy/engine/statistics.hpp>
#include <canopy/experiments/precision.hpp>

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <stdexcept>

using namespace canopy;
using namespace canopy::test::cli;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The reference scenario with its one uncertain target (high-tech growth >= 13 %, P near 0.5)
// moved to a threshold the runs clear, so that every verdict is clear; `extra` goes into
// [scenario].
fs::path clear_scenario(const test::TempDir& dir, const std::string& extra = "") {
    const fs::path p = dir / "clear.toml";
    test::write_file(p, "extends = " + json(REFERENCE).dump() + "\n[scenario]\nname = \"clear\"\n" +
                            "replicates = 800\n" + extra +
                            "\n[targets.high_tech_growth]\nthreshold = 5\n"
                            "assumption = \"a target every run settles\"\n");
    return p;
}

json read_json(const fs::path& p) {
    return json::parse(test::read_file(p));
}

std::vector<std::uint8_t> read_attained(const fs::path& file, const std::string& target) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, ("/targets/" + target + "/attained").c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    REQUIRE(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    return out;
}

const char* verdict(const engine::Interval& ci) {
    return ci.lo > 0.5 ? "likely" : ci.hi < 0.5 ? "unlikely" : "uncertain";
}

} // namespace

TEST_CASE("canopy run --precision stops at the first settled look, with a prefix run's bits",
          "[regression][cli][precision]") {
    const test::TempDir dir;
    const std::string clear = shell_quote(clear_scenario(dir).string());
    const Result one = run_canopy(dir, "run " + clear + " --precision 0.05 -q -t 1 --json p1.json");
    REQUIRE(one.status == 0);
    const Result two = run_canopy(dir, "run " + clear + " --precision 0.05 -q -t 2 --json p2.json");
    REQUIRE(two.status == 0);
    CHECK(test::read_file(dir / "p1.json") == test::read_file(dir / "p2.json"));
    json p = read_json(dir / "p1.json");
    REQUIRE(p.contains("precision"));
    CHECK(p["precision"]["half_width"] == 0.05);
    CHECK(p["precision"]["max_replicates"] == 800);
    CHECK(p["precision"]["settled"] == true);
    const int used = p["replicates"];
    CHECK(used == p["precision"]["replicates"]);
    CHECK(used < 800); // every verdict is clear: well short of the most
    for (const json& t : p["targets"]) {
        const double lo = t["p_attain_ci"][0];
        const double hi = t["p_attain_ci"][1];
        CHECK((lo > 0.5 || hi < 0.5 || hi - lo < 0.1));
    }
    // The same bits as a plain run of the replicates it used.
    const Result plain =
        run_canopy(dir, "run " + clear + " -q -t 2 --json plain.json -n " + std::to_string(used));
    REQUIRE(plain.status == 0);
    p.erase("precision");
    CHECK(p.dump() == read_json(dir / "plain.json").dump());
}

TEST_CASE("canopy run --precision runs to --replicates when a target stays open, and says so",
          "[regression][cli][precision]") {
    const test::TempDir dir;
    // The reference scenario's high_tech_growth target is near even odds: never settled to
    // +-0.02 within its own 40 replicates.
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --precision 0.02 -n 40 --json p.json --out p.h5");
    REQUIRE(r.status == 0);
    CHECK(r.out.find("not every target settled to +/-0.02 (40 of at most 40 replicates)") !=
          std::string::npos);
    const json p = read_json(dir / "p.json");
    CHECK(p["replicates"] == 40);
    CHECK(p["precision"]["settled"] == false);
    const Result h5 = run_canopy(dir, "run " + shell_quote(REFERENCE) + " -q -n 40 --json q.json");
    REQUIRE(h5.status == 0);
    json q = read_json(dir / "q.json");
    CHECK_FALSE(q.contains("precision"));
    json without = p;
    without.erase("precision");
    CHECK(without.dump() == q.dump());
}

TEST_CASE("A run stopped early by --precision takes its verdicts on the look's interval",
          "[regression][cli][precision]") {
    // An outside statistician: a target settled by the width of its interval (not by lying on
    // one side of 0.5) was called "likely" from the 95 % CI shown, though the rule had tested
    // the look at 99 % and that interval held 0.5. After a first good look of several, the
    // 95 % CI covers less than 95 % (simulated: 91-93 % near P = 0.5), so the verdict rests on
    // the interval the look tested. leaders_2023 < 81 attains in 117 of the first 200.
    const test::TempDir dir;
    const fs::path p = dir / "lt81.toml";
    test::write_file(p, "extends = " + json(REFERENCE).dump() +
                            "\n[scenario]\nname = \"lt81\"\n[targets.lead_lt81]\n"
                            "indicator = \"leaders_2023\"\ncomparison = \"<\"\nthreshold = "
                            "81\nassumption = \"near P = 0.58\"\n");
    const Result stopped = run_canopy(dir, "run " + shell_quote(p.string()) +
                                               " -n 1000 --precision 0.1 --report r.html");
    INFO(stopped.err);
    REQUIRE(stopped.status == 0);
    REQUIRE(stopped.out.find("(200 of at most 1000 replicates)") != std::string::npos);
    const auto row = [](const std::string& table) {
        const auto at = table.find("lead_lt81");
        REQUIRE(at != std::string::npos);
        return table.substr(at, table.find('\n', at) - at);
    };
    CHECK(row(stopped.out).find("58.5 %  [51.6, 65.1]  uncertain") != std::string::npos);
    CHECK(stopped.out.find("each verdict is taken on the 99 % CI its looks test") !=
          std::string::npos);
    // The report judges as the table does, and says so.
    const std::string page = test::read_file(dir / "r.html");
    const auto at = page.find("lead_<wbr>lt81");
    REQUIRE(at != std::string::npos);
    const std::string page_row = page.substr(at, page.find("</tr>", at) - at);
    CHECK(page_row.find(">uncertain</td>") != std::string::npos);
    CHECK(page.find("each verdict is taken on the 99 % CI its looks test") != std::string::npos);
    // The look's interval, as experiments::target_settled tests it, holds 0.5.
    experiments::PrecisionRule rule;
    rule.half_width = 0.1;
    rule.max_replicates = 1000;
    const engine::Interval look = engine::binomial_interval(
        engine::IntervalMethod::wilson, 117, 200, experiments::look_confidence(rule));
    CHECK(look.lo < 0.5);
    // A fixed run of the same 200 replicates has made one look only: its 95 % CI decides.
    const Result fixed = run_canopy(dir, "run " + shell_quote(p.string()) + " -n 200");
    REQUIRE(fixed.status == 0);
    CHECK(row(fixed.out).find("58.5 %  [51.6, 65.1]  likely") != std::string::npos);
    CHECK(fixed.out.find("last look tested") == std::string::npos);
}

TEST_CASE("The scenario's precision key applies unless --precision overrides it",
          "[regression][cli][precision]") {
    const test::TempDir dir;
    const std::string clear = shell_quote(clear_scenario(dir, "precision = 0.05").string());
    const Result r = run_canopy(dir, "run " + clear + " -q --json a.json");
    REQUIRE(r.status == 0);
    const json a = read_json(dir / "a.json");
    REQUIRE(a.contains("precision"));
    CHECK(a["precision"]["half_width"] == 0.05);
    CHECK(a["replicates"] < 800);
    const Result flag = run_canopy(dir, "run " + clear + " -q --precision 0.2 --json b.json");
    REQUIRE(flag.status == 0);
    CHECK(read_json(dir / "b.json")["precision"]["half_width"] == 0.2);
}

TEST_CASE("canopy run refuses a bad --precision or precision key: exit 2, nothing written",
          "[regression][cli][precision]") {
    const test::TempDir dir;
    for (const std::string bad :
         {"0.5", "-0.1", "1", "nan", "inf", "1e-400", "0x0.1p0", "0.1.2", "1e", ".", "+"}) {
        INFO("--precision " << bad);
        const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --precision " + bad +
                                             " --json out.json --out out.h5");
        CHECK(r.status == 2);
        CHECK(r.err.find("--precision") != std::string::npos);
        CHECK(entries(dir.path()).empty());
    }
    // A number too small for a double reads as 0, which means "every replicate": refused as
    // typed, not taken for 0.
    const Result tiny =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --precision 1e-400 --json out.json");
    CHECK(tiny.err.find("--precision: '1e-400' is too small for a number: it would read as 0") !=
          std::string::npos);
    // strtod reads hexadecimal; nobody means 0x0.1p0 (0.0625) as a half-width.
    const Result hex =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --precision 0x0.1p0 --json out.json");
    CHECK(hex.err.find("--precision: '0x0.1p0' is not a number") != std::string::npos);
    const Result word =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --precision abc --json out.json");
    CHECK(word.status == 2);
    CHECK(word.err.find("--precision") != std::string::npos);
    CHECK(entries(dir.path()).empty());

    const fs::path file = clear_scenario(dir, "precision = 0.7");
    const Result key = run_canopy(dir, "run " + shell_quote(file.string()) + " --json out.json");
    CHECK(key.status == 2);
    CHECK(key.err.find("clear.toml:5") != std::string::npos);
    CHECK(key.err.find("scenario.precision: must be a half-width of P(attain) above 0 and below "
                       "0.5, got 0.7") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"clear.toml"});
}

TEST_CASE("Precision 0.02 on the default scenario settles far short of 1,000 replicates, with "
          "the verdicts of the full run",
          "[regression][cli][precision]") {
    // One plain run of the default scenario's own 400 replicates. Replicate r is the same bits
    // in any run (tested above on the reference scenario, at 1 and 2 threads), so the rule of
    // `canopy run --precision 0.02 --replicates 1000` is applied here to the prefixes of this
    // run's attained flags: where it stops, and the verdicts there, are the precision run's.
    // The same comparison against a real 1,000-replicate run, with times, is
    // bench/precision_verdicts.py (too slow for this suite; its figures are in the issue note).
    //
    // The default scenario without its calibration posterior: with the posterior, some targets'
    // P(attain) sits near one half (tech-SME registrations about 55 %), where the rule rightly
    // runs on towards 1,000; this test is about the targets whose verdicts are clear. For the
    // same reason without the digital-core share's rise over 2023, which sits near one half
    // under the priors (47.5 % [42.7, 52.4] over 400).
    constexpr std::size_t FULL = 400;
    const test::TempDir dir;
    test::write_file(dir / "priors.toml",
                     "extends = \"" + std::string(CANOPY_SOURCE_DIR) +
                         "/scenarios/wuhan-2023.toml\"\n"
                         "remove = [\"scenario.posterior\", \"scenario.posterior_parameters\", "
                         "\"targets.digital_core_share\"]\n");
    const Result r = run_canopy(dir, "run priors.toml -q -n " + std::to_string(FULL) +
                                         " --out full.h5 --json full.json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const json full = read_json(dir / "full.json");
    std::vector<std::vector<std::uint8_t>> attained;
    for (const json& t : full["targets"]) {
        attained.push_back(read_attained(dir / "full.h5", t["id"]));
        REQUIRE(attained.back().size() == FULL);
    }
    experiments::PrecisionRule rule;
    rule.half_width = 0.02;
    rule.max_replicates = 1000;
    const auto counts_to = [&](std::size_t n) {
        std::vector<experiments::TargetCount> counts;
        for (const auto& a : attained) {
            counts.push_back({static_cast<std::size_t>(std::count(
                                  a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), 1)),
                              n});
        }
        return counts;
    };
    const experiments::PrecisionOutcome outcome =
        experiments::run_until_settled(rule, [&](std::size_t first, std::size_t count) {
            if (first + count > FULL) {
                throw std::runtime_error("the rule wants more than the run has");
            }
            return counts_to(first + count);
        });
    INFO("settled after " << outcome.replicates << " replicates");
    CHECK(outcome.settled);
    CHECK(outcome.replicates <= FULL / 2); // far fewer than 1,000
    const auto stopped = counts_to(outcome.replicates);
    for (std::size_t i = 0; i < attained.size(); ++i) {
        const json& t = full["targets"][i];
        INFO(t["id"].get<std::string>());
        // The verdict as the precision run gives it: on the looks' interval.
        const engine::Interval at_stop =
            engine::binomial_interval(engine::IntervalMethod::wilson, stopped[i].attained,
                                      stopped[i].replicates, experiments::look_confidence(rule));
        const engine::Interval at_full{t["p_attain_ci"][0], t["p_attain_ci"][1]};
        CHECK(std::string(verdict(at_stop)) == verdict(at_full));
    }
}

TEST_CASE("A run under --precision takes its verdicts on the looks' interval at its last look too",
          "[regression][cli][precision]") {
    // An outside tester: a run that reached its last look read its verdicts on the plain 95 %
    // interval, after four looks at 99 %: simulated at a true P(attain) of one half, 7.45 % of
    // such runs decided a verdict (wrongly), not the 5 % promised. Here high_tech_growth >= 13.1 %
    // on seed 2 is 53.3 % [50.2, 56.4] over all 1,000 replicates: "likely" on that interval,
    // but its 99 % interval holds one half and no look settled it.
    const test::TempDir dir;
    const fs::path p = dir / "half.toml";
    test::write_file(p, "extends = " + json(REFERENCE).dump() +
                            "\n[targets.high_tech_growth]\nthreshold = 13.1\n"
                            "assumption = \"a target whose P(attain) is near one half\"\n");
    const std::string run = "run " + shell_quote(p.string()) + " --seed 2 -n 1000";
    const Result ruled = run_canopy(dir, run + " --precision 0.02 --json r.json --out r.h5");
    REQUIRE(ruled.status == 0);
    REQUIRE(ruled.out.find("not every target settled to +/-0.02 (1000 of at most 1000 "
                           "replicates)") != std::string::npos);
    const auto row = [](const std::string& table) {
        const auto at = table.find("high_tech_growth  ");
        REQUIRE(at != std::string::npos);
        return table.substr(at, table.find('\n', at) - at);
    };
    CHECK(row(ruled.out).find("53.3 %  [50.2, 56.4]  uncertain") != std::string::npos);
    CHECK(ruled.out.find("each verdict is taken on the 99 % CI its looks test, wherever it "
                         "stopped") != std::string::npos);
    // JSON and HDF5 say the verdict a reader of p_attain_ci alone would not find.
    const json r = read_json(dir / "r.json");
    CHECK(r["precision"]["verdict_confidence"] == 0.99);
    for (const auto& t : r["targets"]) {
        if (t["id"] == "high_tech_growth") {
            CHECK(t["verdict"] == "uncertain");
            CHECK(t["p_attain_ci"][0].get<double>() > 0.5);
        }
    }
    CHECK(string_attr(dir / "r.h5", "/targets/high_tech_growth", "verdict") == "uncertain");

    // The fixed run of the same replicates looked once: its 95 % interval decides, and says so.
    const Result fixed = run_canopy(dir, run + " --json f.json");
    REQUIRE(fixed.status == 0);
    CHECK(row(fixed.out).find("53.3 %  [50.2, 56.4]  likely") != std::string::npos);
    CHECK(fixed.out.find("its looks test") == std::string::npos);
    const json f = read_json(dir / "f.json"); // kept: a loop over a temporary's part dangles
    for (const auto& t : f["targets"]) {
        if (t["id"] == "high_tech_growth") {
            CHECK(t["verdict"] == "likely");
        }
    }
}

TEST_CASE("canopy run --precision 0 runs every replicate whatever the scenario's precision",
          "[regression][cli][precision]") {
    // An outside tester: a scenario's precision could not be switched off from the command line
    // (the Python module's precision=0 could), so a fixed run needed an edited file.
    const test::TempDir dir;
    const fs::path file = clear_scenario(dir, "precision = 0.2");
    const Result off =
        run_canopy(dir, "run " + shell_quote(file.string()) + " --precision 0 --json off.json");
    REQUIRE(off.status == 0);
    const json j = read_json(dir / "off.json");
    CHECK(j["replicates"] == 800);
    CHECK_FALSE(j.contains("precision"));
    CHECK(off.out.find("Precision") == std::string::npos);
}

TEST_CASE("A precision rule over a scenario with no target runs every replicate, and says why",
          "[regression][cli][precision]") {
    // An outside tester: with no target every look was "settled", so the run stopped at 100 of
    // 1,000 and said "every target settled", its indicators and costs on a tenth of the runs.
    const test::TempDir dir;
    std::istringstream reference(test::read_file(REFERENCE));
    std::string text;
    bool in_target = false;
    for (std::string line; std::getline(reference, line);) {
        if (line.rfind('[', 0) == 0) {
            in_target = line.rfind("[targets.", 0) == 0;
        }
        if (!in_target) {
            text += line + "\n";
        }
    }
    test::write_file(dir / "none.toml", text);
    const Result r = run_canopy(dir, "run none.toml -n 300 --precision 0.02 --json n.json");
    INFO(r.out + r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("No targets in this scenario.") != std::string::npos);
    CHECK(r.out.find("no target to settle to +/-0.02: every replicate ran (300 of at most 300 "
                     "replicates)") != std::string::npos);
    const json j = read_json(dir / "n.json");
    CHECK(j["replicates"] == 300);
    CHECK(j["precision"]["settled"] == false);
}

TEST_CASE("levers and solve say that they do not apply the scenario's precision",
          "[regression][cli][precision]") {
    const test::TempDir dir;
    const fs::path file = clear_scenario(dir, "precision = 0.2");
    const Result levers =
        run_canopy(dir, "levers " + shell_quote(file.string()) + " -n 10 --lever lever_sme");
    REQUIRE(levers.status == 0);
    CHECK(levers.err.find("canopy levers: note: the scenario's precision (0.2) is not applied: "
                          "each end of each lever runs all 10 replicates") != std::string::npos);
    const Result solve = run_canopy(dir, "solve " + shell_quote(file.string()) +
                                             " --target leaders_2023 -P 0.6 --lever lever_sme "
                                             "-n 20");
    REQUIRE(solve.status == 0);
    CHECK(solve.err.find("canopy solve: note: the scenario's precision (0.2) is not applied: each "
                         "setting runs up to 20 replicates") != std::string::npos);
    const Result quiet = run_canopy(dir, "solve " + shell_quote(file.string()) +
                                             " --target leaders_2023 -P 0.6 --lever lever_sme "
                                             "-n 20 -q --json s.json");
    CHECK(quiet.err.find("note") == std::string::npos);
}
