// The `canopy` command line end to end: exit statuses, what it prints, and that bad input never
// creates or touches an output file. Spawns build/bin/canopy through the shell.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <sys/wait.h>
#include <vector>

using namespace canopy;
namespace fs = std::filesystem;

using namespace canopy::test::cli;

namespace {

// Every dataset in an HDF5 file, by path, as raw bytes (for comparing two files' contents).
std::map<std::string, std::string> datasets(const fs::path& path) {
    std::map<std::string, std::string> out;
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    H5Ovisit(
        file, H5_INDEX_NAME, H5_ITER_INC,
        [](hid_t loc, const char* name, const H5O_info_t* info, void* data) -> herr_t {
            if (info->type != H5O_TYPE_DATASET) {
                return 0;
            }
            const hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
            const hid_t type = H5Dget_type(d);
            std::string bytes;
            if (H5Tis_variable_str(type) > 0) {
                const hid_t space = H5Dget_space(d);
                std::vector<char*> raw(
                    static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
                H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
                for (char* s : raw) {
                    bytes += std::string(s) + '\0';
                }
                H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw.data());
                H5Sclose(space);
            } else {
                bytes.resize(static_cast<std::size_t>(H5Dget_storage_size(d)));
                H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
            }
            (*static_cast<std::map<std::string, std::string>*>(data))[name] = bytes;
            H5Tclose(type);
            H5Dclose(d);
            return 0;
        },
        &out);
    H5Fclose(file);
    return out;
}

} // namespace

TEST_CASE("canopy run prints the header and a row for every target", "[cli]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("Scenario    reference") != std::string::npos);
    CHECK(r.out.find("Replicates  40 (seed 20230101)") != std::string::npos);
    for (const char* target : {"\nleaders_2023 ", "\nhigh_tech_growth ", "\nexits_2023 "}) {
        CHECK(r.out.find(target) != std::string::npos);
    }
    CHECK(r.out.find('\x1b') == std::string::npos); // not a terminal: no colour
    CHECK(r.err.find('\r') == std::string::npos);   // not a terminal: no progress bar
    CHECK(entries(dir.path()).empty());             // nothing written without --json/--out
}

TEST_CASE("canopy run writes the JSON and HDF5 it is asked for", "[cli]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --replicates 12 --seed 5 --json run.json --out run.h5 "
                                         "--interval jeffreys --quiet");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.empty()); // --quiet
    const auto j = nlohmann::json::parse(test::read_file(dir / "run.json"));
    CHECK(j.at("scenario") == "reference");
    CHECK(j.at("model") == "reference");
    CHECK(j.at("replicates") == 12); // the flags override the scenario's 40 and 20230101
    CHECK(j.at("seed") == 5);
    CHECK(j.at("interval").at("method") == "jeffreys");
    CHECK(j.at("targets").size() == 3);
    CHECK(j.at("indicators").size() == 5);
    CHECK(j.at("lever_costs").size() == 3);
    CHECK(fs::file_size(dir / "run.h5") > 0);
    CHECK(entries(dir.path()) == std::vector<std::string>{"run.h5", "run.json"});
}

TEST_CASE("canopy run --json - prints only the JSON on stdout", "[cli]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --replicates 4 --json -");
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out); // throws if anything else is on stdout
    CHECK(j.at("replicates") == 4);
}

TEST_CASE("canopy run --policy-mix and --all-mixes report the mixes", "[cli]") {
    const test::TempDir dir;
    const Result one = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                           " --replicates 8 --policy-mix high_tech_push --json -");
    REQUIRE(one.status == 0);
    CHECK(nlohmann::json::parse(one.out).at("policy_mix") == "high_tech_push");

    const Result all = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                           " --replicates 8 --all-mixes --json all.json");
    INFO(all.err);
    REQUIRE(all.status == 0);
    CHECK(all.out.find("P(attain) by policy mix") != std::string::npos);
    CHECK(all.out.find("high_tech_push") != std::string::npos);
    CHECK(all.out.find("incubator_ramp") != std::string::npos);
    const auto j = nlohmann::json::parse(test::read_file(dir / "all.json"));
    CHECK(j.at("policy_mix") == "base");
    REQUIRE(j.at("policy_mixes").size() == 2);
    CHECK(j.at("policy_mixes")[0].at("policy_mix") == "high_tech_push");
    CHECK(j.at("policy_mixes")[1].at("policy_mix") == "incubator_ramp");
    // Common random numbers: the mix run alone equals the same mix inside --all-mixes.
    CHECK(j.at("policy_mixes")[0].at("targets") == nlohmann::json::parse(one.out).at("targets"));
}

TEST_CASE("canopy validate says ok or prints every diagnostic", "[cli]") {
    const test::TempDir dir;
    const Result ok = run_canopy(dir, "validate " + shell_quote(REFERENCE));
    CHECK(ok.status == 0);
    CHECK(ok.out == "ok: " + REFERENCE + "\n");

    test::write_file(dir / "bad.toml", "[scenario]\nname = \"bad\"\nmodel = \"referense\"\n");
    const Result bad = run_canopy(dir, "validate bad.toml " + shell_quote(REFERENCE));
    CHECK(bad.status == 2);
    CHECK(bad.out == "ok: " + REFERENCE + "\n");
    CHECK(bad.err.find("bad.toml:3:") != std::string::npos);
    CHECK(bad.err.find("did you mean 'reference'?") != std::string::npos);
    CHECK(bad.err.find("missing required key 'start'") != std::string::npos);

    // A path not found from here is looked up in Canopy's source tree: the file checked is said
    // ("ok: scenarios/reference.toml" named no file of the directory it ran in).
    const Result found = run_canopy(dir, "validate scenarios/reference.toml");
    CHECK(found.status == 0);
    CHECK(found.out == "ok: scenarios/reference.toml (" + REFERENCE + ")\n");
}

TEST_CASE("canopy validate --strict passes the shipped scenarios and names unsourced defaults",
          "[cli]") {
    const test::TempDir dir;
    std::string shipped;
    for (const auto& entry : fs::directory_iterator(fs::path(CANOPY_SOURCE_DIR) / "scenarios")) {
        if (entry.path().extension() == ".toml") {
            shipped += " " + shell_quote(entry.path().string());
        }
    }
    const Result all = run_canopy(dir, "validate --strict" + shipped);
    INFO(all.err);
    CHECK(all.status == 0);
    CHECK(all.err.empty());

    // The default scenario without its prior for capability_drift falls back to the model's
    // default, which has no stated basis: fine for a plain validate, an error under --strict.
    std::string text =
        test::read_file(fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "wuhan-2023.toml");
    // Without its calibration posterior too (which would draw capability_drift, and whose
    // relative path does not resolve from the copy).
    const std::size_t post = text.find("posterior = \"");
    REQUIRE(post != std::string::npos);
    const std::size_t post_end = text.find("]\n", text.find("posterior_parameters", post));
    REQUIRE(post_end != std::string::npos);
    text.erase(post, post_end + 2 - post);
    const std::size_t at = text.find("[parameters.capability_drift]");
    REQUIRE(at != std::string::npos);
    const std::size_t next = text.find("\n[", at + 1);
    text.erase(at, next + 1 - at);
    test::write_file(dir / "wuhan.toml", text);
    CHECK(run_canopy(dir, "validate wuhan.toml").status == 0);
    const Result strict = run_canopy(dir, "validate --strict wuhan.toml");
    CHECK(strict.status == 2);
    CHECK(strict.out.empty());
    CHECK(strict.err.find("parameters.capability_drift: parameter 'capability_drift' is not set") !=
          std::string::npos);
    CHECK(strict.err.find("1 number(s) fall back to unsourced model defaults") !=
          std::string::npos);
    // Reported at the file's start (the key is not in it).
    CHECK(strict.err.find("wuhan.toml:1:1: error: parameters.capability_drift") !=
          std::string::npos);

    // With its posterior, which draws capability_drift in every replicate, the parameter has a
    // source: the calibration (an outside probe found it refused as an unsourced default).
    std::string drawn =
        test::read_file(fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "wuhan-2023.toml");
    drawn.replace(drawn.find("posterior = \"") + 13, 0,
                  (fs::path(CANOPY_SOURCE_DIR) / "scenarios").string() + "/");
    const std::size_t drift = drawn.find("[parameters.capability_drift]");
    drawn.erase(drift, drawn.find("\n[", drift + 1) + 1 - drift);
    test::write_file(dir / "drawn.toml", drawn);
    const Result posterior = run_canopy(dir, "validate --strict drawn.toml");
    INFO(posterior.err);
    CHECK(posterior.status == 0);
}

TEST_CASE("validate and run note a stock beyond its capacity at the parameters' means", "[cli]") {
    // An outside tester's city started 40,000 incubated firms in about 16,500 seats: it
    // validated under --strict without a word, and its incubated stock drained all year.
    const test::TempDir dir;
    const std::string wuhan =
        (fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "wuhan-2023.toml").string();
    test::write_file(dir / "seats.toml", "extends = " + shell_quote(wuhan) +
                                             "\n[scenario]\nname = \"seats\"\n"
                                             "[baseline.initial_incubating]\nvalue = 40000\n"
                                             "assumption = \"above the seats\"\n");
    const std::string note = "the incubator seats (initial_incubators x seats_per_incubator + "
                             "initial_innovation_space x seats_per_10k_m2) > initial_incubating "
                             "does not hold at the parameters' means (initial_incubators 416.7, "
                             "seats_per_incubator 31.67, initial_innovation_space 550, "
                             "seats_per_10k_m2 6, initial_incubating 40000): with no free seat";
    const Result valid = run_canopy(dir, "validate --strict seats.toml");
    INFO(valid.out + valid.err);
    CHECK(valid.status == 0); // a note, not an error: some draws of any prior may overlap
    CHECK(valid.out.find("ok: seats.toml\nnote: seats.toml: " + note) != std::string::npos);
    const Result run = run_canopy(dir, "run seats.toml --replicates 2 --threads 2");
    CHECK(run.status == 0);
    CHECK(run.err.find("canopy run: note: " + note) != std::string::npos);
    // The shipped scenario keeps 16,500 seats for 12,500 firms at its means: no note.
    const Result shipped = run_canopy(dir, "validate " + shell_quote(wuhan));
    CHECK(shipped.out.find("note:") == std::string::npos);
    CHECK(run_canopy(dir, "run seats.toml --replicates 2 --quiet --json out.json").err.empty());
    // Beside --json - the note goes to stderr and the JSON stays clean.
    const Result json = run_canopy(dir, "run seats.toml --replicates 2 --json -");
    CHECK(json.err.find("canopy run: note: " + note) != std::string::npos);
    CHECK(nlohmann::json::parse(json.out).contains("targets"));

    // Each mix as it runs: a mix that takes the seats away is named; the base is not.
    test::write_file(dir / "mix.toml",
                     "extends = " + shell_quote(wuhan) +
                         "\n[scenario]\nname = \"mix\"\n"
                         "[policy_mixes.fewer_seats]\ndescription = \"a third of the seats\"\n"
                         "[policy_mixes.fewer_seats.parameters.seats_per_incubator]\nvalue = 5\n"
                         "assumption = \"test\"\n");
    const Result mixes = run_canopy(dir, "validate mix.toml");
    INFO(mixes.out);
    CHECK(mixes.out.find("note: mix.toml: policy mix 'fewer_seats': the incubator seats") !=
          std::string::npos);
    CHECK(mixes.out.find("policy mix 'base'") == std::string::npos);
    const Result all = run_canopy(dir, "run mix.toml --replicates 2 --all-mixes --threads 2");
    CHECK(all.err.find("canopy run: note: policy mix 'fewer_seats': the incubator seats") !=
          std::string::npos);
    CHECK(run_canopy(dir, "run mix.toml --replicates 2").err.find("note:") == std::string::npos);
}

TEST_CASE("canopy models, --version and --help exit 0", "[cli]") {
    const test::TempDir dir;
    const Result models = run_canopy(dir, "models");
    CHECK(models.status == 0);
    CHECK(models.out.find("ecosystem:") != std::string::npos);
    CHECK(models.out.find("reference:") != std::string::npos);
    CHECK(models.out.find("high_tech_enterprises") != std::string::npos);
    CHECK(models.out.find("births_per_month") != std::string::npos);
    CHECK(models.out.find("lever_high_tech") != std::string::npos);
    CHECK(models.out.find("agent_steps") != std::string::npos);
    // The basis of every default: the reference model's are documented, others flagged.
    CHECK(models.out.find("[default: bench/REFERENCE.md") != std::string::npos);
    CHECK(models.out.find("[unsourced default: set it in the scenario]") != std::string::npos);
    const Result version = run_canopy(dir, "--version");
    CHECK(version.status == 0);
    CHECK(version.out == std::string("canopy ") + CANOPY_VERSION + "\n");
    for (const char* command : {"--help", "run --help", "validate --help", "models --help"}) {
        INFO(command);
        const Result help = run_canopy(dir, command);
        CHECK(help.status == 0);
        CHECK(help.out.find("Usage:") != std::string::npos);
    }
}

TEST_CASE("A policy mix called base is refused by the loader, for every command", "[cli]") {
    // A mix called "base" would be indistinguishable from the scenario without a mix. Only
    // `run` used to refuse it, with neither line nor key: validate said ok and levers ran it.
    const test::TempDir dir;
    test::write_file(dir / "mixbase.toml", "extends = " + shell_quote(REFERENCE) + R"(
[scenario]
name = "mixbase"
[policy_mixes.base]
description = "a mix called base"
levers.lever_high_tech.scale = 2
)");
    for (const std::string command :
         {"validate mixbase.toml", "validate --strict mixbase.toml",
          "run mixbase.toml -n 2 --json out.json", "levers mixbase.toml -n 2 --json out.json",
          "compare mixbase.toml -n 2 --json out.json",
          "solve mixbase.toml --target leaders_2023 --lever lever_high_tech --probability 0.5 "
          "-n 10 --json out.json"}) {
        const Result r = run_canopy(dir, command);
        INFO(command << "\n" << r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("mixbase.toml:4:15: error: policy_mixes.base: policy mix 'base' has the "
                         "name every output gives the scenario without a mix") !=
              std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"mixbase.toml"});
    }
}

TEST_CASE("A bad scenario exits 2 and creates no output file", "[cli]") {
    const test::TempDir dir;
    test::write_file(dir / "bad.toml", "[scenario]\nname = \"bad\"\nmodel = \"reference\"\n");
    const Result r = run_canopy(dir, "run bad.toml --json out.json --out out.h5");
    CHECK(r.status == 2);
    CHECK(r.err.find("bad.toml") != std::string::npos);
    CHECK(r.err.find("nothing was run or written") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"bad.toml"});

    const Result missing = run_canopy(dir, "run no-such-file.toml --json out.json");
    CHECK(missing.status == 2);
    CHECK(missing.err.find("no-such-file.toml") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"bad.toml"});
}

TEST_CASE("A distribution's field beside a fixed value is refused by validate and run", "[cli]") {
    // An outside tester's file: validate said ok and the run used 2000, ignoring low and high.
    const test::TempDir dir;
    test::write_file(dir / "silent.toml", "extends = " + shell_quote(REFERENCE) + R"(
[scenario]
name = "silent"
[baseline.firms]
value = 2000
low = 100
assumption = "fixed at 2,000; low is left from an intended uniform prior"
)");
    for (const std::string command :
         {"validate silent.toml", "run silent.toml -n 2 --json out.json --out out.h5"}) {
        const Result r = run_canopy(dir, command);
        INFO(command << "\n" << r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("silent.toml:6:1: error: baseline.firms.low: 'low' does not apply to a "
                         "fixed value") != std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"silent.toml"});
    }
}

TEST_CASE("A lever whose cost overflows once converted into the currency is refused", "[cli]") {
    // An outside tester's file: validate said ok, the run exited 0 with a cost of inf and a
    // JSON total of null. The rate times the level is finite in bn yuan; the conversion is not.
    const test::TempDir dir;
    test::write_file(dir / "overflow.toml", "extends = " + shell_quote(REFERENCE) + R"(
[scenario]
name = "overflow"
[levers.lever_high_tech]
value = 1000
assumption = "the most the lever allows"
[budget]
currency = "m yuan"
conversions = { "bn yuan" = 1e306 }
)");
    for (const std::string command :
         {"validate overflow.toml", "run overflow.toml -n 2 --json out.json --out out.h5"}) {
        const Result r = run_canopy(dir, command);
        INFO(command << "\n" << r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(":53:22: error: levers.lever_high_tech.cost_per_unit_year: the lever's "
                         "cost over the horizon, 500 bn yuan, is inf m yuan at "
                         "budget.conversions.\"bn yuan\" = 1e+306 m yuan per bn yuan: the "
                         "conversion overflows") != std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"overflow.toml"});
    }

    // The file's own level costs a finite amount; --set moves the lever to where it does not.
    test::write_file(dir / "near.toml", "extends = " + shell_quote(REFERENCE) + R"(
[scenario]
name = "near"
[budget]
currency = "m yuan"
conversions = { "bn yuan" = 1e308 }
)");
    CHECK(run_canopy(dir, "validate near.toml").status == 0);
    for (const std::string command :
         {"run near.toml -n 2 --set lever_high_tech=1000 --json out.json",
          "run near.toml -n 2 --set lever_high_tech*=1000 --json out.json"}) {
        const Result r = run_canopy(dir, command);
        INFO(command << "\n" << r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("error: --set: ") != std::string::npos);
        CHECK(r.err.find("lever 'lever_high_tech'") != std::string::npos);
        CHECK(r.err.find("the cost overflows") != std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"near.toml", "overflow.toml"});
    }
}

TEST_CASE("canopy validate of an empty path says the path is empty", "[cli]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "validate ''");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("the path is empty") != std::string::npos);
}

TEST_CASE("A bad flag exits 2 naming the flag and leaves existing outputs byte-identical",
          "[cli]") {
    const test::TempDir dir;
    test::write_file(dir / "out.json", "previous json\n");
    test::write_file(dir / "out.h5", "previous hdf5\n");
    const std::string outputs = " --json out.json --out out.h5";
    struct Case {
        std::string flags;
        std::string names;
    };
    const std::vector<Case> cases{
        {"--replicates 0" + outputs, "--replicates"},
        {"--replicates many" + outputs, "--replicates"},
        {"--threads -1" + outputs, "--threads"},
        {"--seed -3" + outputs, "--seed"},
        {"--interval wald" + outputs, "--interval"},
        {"--policy-mix high_tech_pus" + outputs, "did you mean 'high_tech_push'?"},
        {"--json missing-dir/x.json --out out.h5", "--json"},
        {"--json '' --out out.h5", "--json"},
        {"--json out.json --out out.hdf5", "--out"},
        {"--json out.json --out missing-dir/x.h5", "--out"},
        {"--json out.h5 --out out.h5", "--json and --out"},
        {"--json " + shell_quote(REFERENCE) + " --out out.h5", "is the scenario file"},
        {"--all-mixes --policy-mix high_tech_push" + outputs, "--all-mixes"},
        {"--no-such-flag" + outputs, "--no-such-flag"},
    };
    for (const Case& c : cases) {
        INFO(c.flags);
        const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " " + c.flags);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.names) != std::string::npos);
        CHECK(test::read_file(dir / "out.json") == "previous json\n");
        CHECK(test::read_file(dir / "out.h5") == "previous hdf5\n");
        CHECK(entries(dir.path()) == std::vector<std::string>{"out.h5", "out.json"});
    }
}

TEST_CASE("An output may not name a file a --ranges or --report-ranges sweep file reads", "[cli]") {
    // An outside tester: `levers main.toml --ranges ranges.toml --json base.toml`, where
    // ranges.toml's scenario is base.toml, replaced base.toml with JSON, exit 0; so did
    // `run --report-ranges` with --json, and --out replaced the posterior the sweep's scenario
    // named. Only the sweep file itself was checked.
    const test::TempDir dir;
    test::write_file(dir / "main.toml", test::read_file(REFERENCE));
    test::write_file(dir / "parent.toml", test::read_file(REFERENCE));
    test::write_file(dir / "base.toml", "extends = \"parent.toml\"\n");
    test::write_file(dir / "ranges.toml", "[sweep]\nscenario = \"base.toml\"\ndesign = \"lhs\"\n"
                                          "points = 4\n[factors.lever_sme]\nmin = 0.5\n"
                                          "max = 1.5\n");
    const auto untouched = [&] {
        CHECK(test::read_file(dir / "base.toml") == "extends = \"parent.toml\"\n");
        CHECK(test::read_file(dir / "parent.toml") == test::read_file(REFERENCE));
        CHECK(entries(dir.path()) ==
              std::vector<std::string>{"base.toml", "main.toml", "parent.toml", "ranges.toml"});
    };
    struct Case {
        std::string args;
        std::string says;
    };
    const std::vector<Case> cases{
        {"levers main.toml --ranges ranges.toml -n 10 -q --json base.toml",
         "--json: 'base.toml' is the --ranges sweep's scenario file"},
        {"levers main.toml --ranges ranges.toml -n 10 -q --json parent.toml",
         "--json: 'parent.toml' is a file the --ranges sweep's scenario extends"},
        {"levers main.toml --ranges ranges.toml -n 10 -q --json ranges.toml",
         "--json: 'ranges.toml' is the --ranges file"},
        {"run main.toml -n 10 -q --report r.html --report-ranges ranges.toml --json base.toml",
         "--json: 'base.toml' is the --report-ranges sweep's scenario file"},
        {"run main.toml -n 10 -q --report r.html --report-ranges ranges.toml --out parent.toml",
         "is a file the --report-ranges sweep's scenario extends"},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const Result r = run_canopy(dir, c.args);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.says) != std::string::npos);
        untouched();
    }
}

TEST_CASE("A misspelt flag or command is named with the nearest one and the allowed list",
          "[cli]") {
    // CLI11 alone said "The following arguments were not expected: 10 --replicate", or only
    // "--out is required" for a misspelt --out, or "Value abc not in range" for a word.
    const test::TempDir dir;
    struct Case {
        std::string args;
        std::vector<std::string> says;
    };
    const std::vector<Case> cases{
        {"run x.toml --replicate 10",
         {"'canopy run' has no option '--replicate'; did you mean '--replicates'?",
          "Its options: --help --replicates --seed"}},
        {"sweep x.toml --ouy a.h5",
         {"'canopy sweep' has no option '--ouy'; did you mean '--out'?"}},
        {"calibrate c.toml --ot p.h5",
         {"'canopy calibrate' has no option '--ot'; did you mean '--out'?"}},
        {"solve x.toml --target t --probabilty 0.9", {"did you mean '--probability'?"}},
        {"run --seed=3 --sed 3 -x", {"no option '--sed'", "no option '-x'"}},
        {"rn", {"unknown command 'rn'; did you mean 'run'?", "Commands: run validate models"}},
        // CLI11 answers --help and --version first: these printed the main help, exit 0.
        {"report --help", {"unknown command 'report'", "Commands: run validate models"}},
        {"--help rn", {"unknown command 'rn'; did you mean 'run'?"}},
        {"rn --version", {"unknown command 'rn'; did you mean 'run'?"}},
        {"run -n abc", {"--replicates: 'abc' is not a number (allowed: 1 to 1000000)"}},
        {"run -n 0", {"--replicates: 0 is out of range (allowed: 1 to 1000000"}},
        {"run -n 1e2",
         {"--replicates: '1e2' is not a whole number in digits (allowed: 1 to "
          "1000000)"}},
        {"run --threads 1.5", {"--threads: '1.5' is not a whole number in digits"}},
        // CLI11 alone read 0x10 as sixteen replicates, and 010 as eight (an outside probe).
        {"run -n 0x10",
         {"--replicates: '0x10' is not a whole number in digits (allowed: 1 to 1000000)"}},
        {"run -n +5", {"--replicates: '+5' is not a whole number in digits"}},
        {"run --threads inf", {"--threads: 'inf' is not a whole number in digits (allowed: 1 to"}},
        {"run --seed nan", {"--seed: 'nan' is not a number (allowed: 0 to 18446744073709551615)"}},
        // A command's flag before the command is told to move, and the flags after it are its.
        {"-q run x.toml --replicates 10 --sed 1",
         {"'-q' is an option of 'canopy run': write it after 'run'",
          "'canopy run' has no option '--sed'; did you mean '--seed'?"}},
        // A value that looks like a flag is a value: the real mistake is reported.
        {"run x.toml --json -x.json -n 0",
         {"--replicates: 0 is out of range (allowed: 1 to 1000000"}},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const Result r = run_canopy(dir, c.args);
        INFO(r.err);
        CHECK(r.status == 2);
        for (const std::string& s : c.says) {
            CHECK(r.err.find(s) != std::string::npos);
        }
        CHECK(r.err.find("not expected") == std::string::npos);
        CHECK(r.err.find("no option '--replicates'") == std::string::npos);
        CHECK(entries(dir.path()).empty());
    }
    // The levers command takes -n like every other command (and still -r).
    const Result n = run_canopy(dir, "levers -n 1");
    CHECK(n.status == 2);
    CHECK(n.err.find("--replicates: 1 is out of range (allowed: 2 to 1000000") !=
          std::string::npos);
}

TEST_CASE("A runtime failure exits 1 with a message", "[cli]") {
    const test::TempDir dir;
    // The JSON goes to stdout, and stdout is a full disk: the write fails while running.
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --replicates 2 --json -",
                                " >/dev/full");
    CHECK(r.status == 1);
    CHECK(r.err.find("canopy: error:") != std::string::npos);
}

TEST_CASE("canopy run gives the same JSON bytes and HDF5 datasets at 1, 2, 4 and 8 threads",
          "[cli][determinism]") {
    const test::TempDir dir;
    for (const int threads : {1, 2, 4, 8}) {
        const std::string t = std::to_string(threads);
        const Result r =
            run_canopy(dir, "run " + shell_quote(REFERENCE) + " --all-mixes --quiet --threads " +
                                t + " --json run" + t + ".json --out run" + t + ".h5");
        INFO(r.err);
        REQUIRE(r.status == 0);
    }
    const std::string json1 = test::read_file(dir / "run1.json");
    CHECK(json1.size() > 1000);
    CHECK(test::read_file(dir / "run2.json") == json1);
    CHECK(test::read_file(dir / "run4.json") == json1);
    CHECK(test::read_file(dir / "run8.json") == json1);
    const auto sets1 = datasets(dir / "run1.h5");
    CHECK(sets1.size() > 40); // axes, indicators, series, parameters, targets, for 3 runs
    CHECK(sets1.count("indicators/leaders_2023") == 1);
    CHECK(sets1.count("policy_mixes/high_tech_push/indicators/leaders_2023") == 1);
    CHECK(datasets(dir / "run2.h5") == sets1);
    CHECK(datasets(dir / "run4.h5") == sets1);
    // No timestamps either: the whole files are the same bytes.
    CHECK(test::read_file(dir / "run2.h5") == test::read_file(dir / "run1.h5"));
    CHECK(test::read_file(dir / "run4.h5") == test::read_file(dir / "run1.h5"));
    CHECK(test::read_file(dir / "run8.h5") == test::read_file(dir / "run1.h5"));
}

TEST_CASE("The default Wuhan scenario gives the same JSON and HDF5 at 1, 2, 4 and 8 threads",
          "[cli][determinism]") {
    // 8 replicates: with 1 and 2 threads the replicates are the parallel grain; with 4 and 8
    // threads (more than the CI machine's cores: --threads runs that many regardless) the
    // scheduling differs again. The bytes must not.
    const std::string wuhan = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";
    const test::TempDir dir;
    for (const int threads : {1, 2, 4, 8}) {
        const std::string t = std::to_string(threads);
        const Result r =
            run_canopy(dir, "run " + shell_quote(wuhan) + " --replicates 8 --quiet --threads " + t +
                                " --json w" + t + ".json --out w" + t + ".h5");
        INFO(r.err);
        REQUIRE(r.status == 0);
    }
    const std::string json1 = test::read_file(dir / "w1.json");
    for (const char* id : {"incubated_startups", "tech_smes_registered", "high_tech_enterprises",
                           "leader_enterprises", "tech_contract_turnover", "tech_loan_growth",
                           "enterprise_rnd_institutions", "graduates_retained"}) {
        CHECK(json1.find(std::string("\"id\": \"") + id + "\"") != std::string::npos);
    }
    CHECK(test::read_file(dir / "w2.json") == json1);
    CHECK(test::read_file(dir / "w4.json") == json1);
    CHECK(test::read_file(dir / "w8.json") == json1);
    const auto sets1 = datasets(dir / "w1.h5");
    CHECK(sets1.count("indicators/high_tech_enterprises") == 1);
    CHECK(sets1.count("targets/high_tech_enterprises/final") == 1);
    CHECK(datasets(dir / "w2.h5") == sets1);
    CHECK(datasets(dir / "w4.h5") == sets1);
    CHECK(datasets(dir / "w8.h5") == sets1);
}

TEST_CASE("A command with --quiet and no output is refused: it would show nothing", "[cli]") {
    const test::TempDir dir;
    for (const std::string& command :
         {"run " + shell_quote(REFERENCE) + " -q", "compare " + shell_quote(REFERENCE) + " -q",
          "solve " + shell_quote(REFERENCE) +
              " -q --target leaders_2023 --probability 0.9 --lever lever_high_tech"}) {
        INFO(command);
        const Result r = run_canopy(dir, command);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("--quiet: with none of --json") != std::string::npos);
        CHECK(r.err.find("nothing would be shown or written; drop --quiet, or name an output") !=
              std::string::npos);
        CHECK(entries(dir.path()).empty());
    }
    // With an output, --quiet is what it says.
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " -q -n 2 --json r.json");
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    CHECK(entries(dir.path()) == std::vector<std::string>{"r.json"});
}

TEST_CASE("a cost the same in every replicate has that cost as its mean", "[cli]") {
    // An outside tester's dashboard checked q05 <= mean <= q95: 200 replicates each costing
    // 0.5175 summed to a mean of 0.5174999999999986, below its own q05 of 0.5174999999999998.
    const test::TempDir dir;
    const Result r =
        run_canopy(dir, "run " + shell_quote(REFERENCE) +
                            " -q --replicates 200 --seed 7 --set lever_high_tech=1.035 "
                            "--json out.json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(test::read_file(dir / "out.json"));
    REQUIRE(!j["lever_costs"].empty());
    bool fixed = false;
    for (const auto& c : j["lever_costs"]) {
        INFO(c.dump());
        const double mean = c["cost"].get<double>();
        const double q05 = c["cost_q05"].get<double>();
        const double q95 = c["cost_q95"].get<double>();
        CHECK(q05 <= mean);
        CHECK(mean <= q95);
        if (q05 == q95) {
            fixed = fixed || q05 > 0.0;
            CHECK(mean == q05);
        }
        double years = 0.0;
        for (const auto& y : c["by_year"]) {
            years += y["cost"].get<double>();
        }
        CHECK(years == Approx(mean).epsilon(1e-12));
    }
    CHECK(fixed);
}
