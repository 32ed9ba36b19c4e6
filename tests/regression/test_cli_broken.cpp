// Every broken scenario gets exit status 2, a diagnostic with its file and line, and no output:
// no file is created and an output that already exists keeps its bytes.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

using namespace canopy;
using namespace canopy::test::cli;
using canopy::test::TempDir;
namespace fs = std::filesystem;

namespace {

const fs::path DATA = fs::path(CANOPY_SOURCE_DIR) / "tests" / "data";
const std::string WUHAN = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";

// Runs `canopy run FILE` with both outputs requested, an old JSON output in place; checks the
// refusal and returns stderr.
std::string refused(const TempDir& dir, const fs::path& scenario) {
    test::write_file(dir / "old.json", "{\"kept\": true}\n");
    const Result r = run_canopy(dir, "run " + shell_quote(scenario.string()) +
                                         " --replicates 2 --json old.json --out new.h5");
    INFO(scenario.string() << "\n" << r.err);
    CHECK(r.status == 2);
    CHECK(test::read_file(dir / "old.json") == "{\"kept\": true}\n");
    CHECK(!fs::exists(dir / "new.h5"));
    CHECK(r.out.empty());
    return r.err;
}

// "<file>:<line>:" somewhere in the diagnostics.
bool names_file_and_line(const std::string& err, const std::string& file) {
    const auto at = err.find(file + ":");
    return at != std::string::npos && at + file.size() + 1 < err.size() &&
           std::isdigit(static_cast<unsigned char>(err[at + file.size() + 1])) != 0;
}

} // namespace

TEST_CASE("Every file of the broken and fuzz-regression corpora is refused through the CLI",
          "[cli][broken]") {
    // These corpora were written for the loader's test model; through the real catalogue each is
    // still wrong (at least its model is unknown), and each must be refused the same way.
    const TempDir dir;
    std::size_t files = 0;
    for (const char* corpus : {"broken", "fuzz-regressions"}) {
        for (const auto& entry : fs::directory_iterator(DATA / corpus)) {
            if (entry.path().extension() != ".toml") {
                continue;
            }
            ++files;
            const std::string err = refused(dir, entry.path());
            CHECK(names_file_and_line(err, entry.path().string()));
        }
    }
    CHECK(files > 60);
}

TEST_CASE("Broken variants of the default scenario get the exact diagnostic through the CLI",
          "[cli][broken]") {
    struct Mutation {
        const char* name;
        const char* from;    // text of the real scenario ...
        const char* to;      // ... replaced by this;
        const char* marker;  // the diagnostic names the line where this text starts
        const char* message; // and says this
    };
    const std::vector<Mutation> mutations = {
        {"typo_key", "comparison = \">\"\nthreshold = 13_000",
         "comparison = \">\"\nthreshhold = 13_000", "threshhold", "did you mean 'threshold'"},
        {"wrong_type", "[levers.leader_quota]\nvalue = 30",
         "[levers.leader_quota]\nvalue = \"thirty\"", "value = \"thirty\"", "expected a number"},
        {"out_of_range", "value = 0.8366", "value = 1.8366", "value = 1.8366", "hte_pass_rate"},
        {"missing_source", "unit = \"firms\"\nsource = \"[HBD22]",
         "unit = \"firms\"\nnote = \"[HBD22]", "[baseline.initial_high_tech]", "source"},
        {"bad_month", "at = \"2023-12\"\nunit = \"firms\"\ndescription = \"Startups",
         "at = \"2023-13\"\nunit = \"firms\"\ndescription = \"Startups", "at = \"2023-13\"",
         "2023-13"},
        {"unknown_series", "series = \"tech_smes_registered\"\nfrom",
         "series = \"tech_sme_registered\"\nfrom", "series = \"tech_sme_registered\"",
         "did you mean 'tech_smes_registered'"},
        {"bad_comparison", "[targets.leader_enterprises]\ncomparison = \">=\"",
         "[targets.leader_enterprises]\ncomparison = \"=>\"", "comparison = \"=>\"", "comparison"},
        {"unknown_lever", "[levers.major_projects]", "[levers.major_project]",
         "[levers.major_project]", "did you mean 'major_projects'"},
        {"malformed_toml", "[levers.leader_quota]\nvalue = 30",
         "[levers.leader_quota]\nvalue = = 30", "value = = 30", "malformed TOML"},
        {"missing_required_key", "model = \"ecosystem\"\n", "", "[scenario]", "model"},
    };
    const std::string original = test::read_file(WUHAN);
    const TempDir dir;
    for (const Mutation& m : mutations) {
        const auto at = original.find(m.from);
        REQUIRE(at != std::string::npos);
        std::string text = original;
        text.replace(at, std::string(m.from).size(), m.to);
        const std::string file = (dir / (std::string(m.name) + ".toml")).string();
        test::write_file(file, text);
        const auto marker = text.find(m.marker);
        REQUIRE(marker != std::string::npos);
        const int line =
            1 + static_cast<int>(std::count(
                    text.begin(), text.begin() + static_cast<std::ptrdiff_t>(marker), '\n'));
        const std::string err = refused(dir, file);
        INFO(m.name << "\n" << err);
        CHECK(err.find(file + ":" + std::to_string(line) + ":") != std::string::npos);
        CHECK(err.find(m.message) != std::string::npos);
        fs::remove(file);
    }

    // Truncated in the middle, and with bytes that are not UTF-8.
    const std::string truncated = (dir / "truncated.toml").string();
    test::write_file(truncated,
                     original.substr(0, original.find("[levers.matchmaking_events]") + 200));
    CHECK(names_file_and_line(refused(dir, truncated), truncated));
    const std::string invalid = (dir / "not_utf8.toml").string();
    std::string bytes = original;
    bytes.insert(bytes.find("title = \"Wuhan") + 9, "\xff\xfe");
    test::write_file(invalid, bytes);
    const std::string err = refused(dir, invalid);
    CHECK(names_file_and_line(err, invalid));
    CHECK(err.find("UTF-8") != std::string::npos);
}
