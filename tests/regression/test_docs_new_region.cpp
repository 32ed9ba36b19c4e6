// docs/new-region.md's template still loads: its child scenario of the Wuhan file, with each
// `<...>` filled in, passes `canopy validate --strict` and runs, and the stock indicator the page
// offers for watching a stock is a valid indicator of the model. A renamed key, series or
// removed indicator fails here, not in the hands of an analyst following the page.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace canopy;
using namespace canopy::test::cli;
namespace fs = std::filesystem;

namespace {

// The page's ```toml blocks, in order, with the indentation of a list item removed.
std::vector<std::string> toml_blocks(const std::string& page) {
    std::vector<std::string> blocks;
    std::istringstream in(page);
    std::string line;
    bool inside = false;
    std::size_t indent = 0;
    while (std::getline(in, line)) {
        const std::size_t first = line.find_first_not_of(' ');
        const std::string text = first == std::string::npos ? std::string() : line.substr(first);
        if (text.rfind("```", 0) == 0) {
            inside = !inside && text == "```toml";
            if (inside) {
                indent = first;
                blocks.emplace_back();
            }
            continue;
        }
        if (inside) {
            blocks.back() += (line.size() >= indent ? line.substr(indent) : std::string()) + "\n";
        }
    }
    return blocks;
}

std::string replaced_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

} // namespace

TEST_CASE("docs/new-region.md's template validates and runs once filled in",
          "[regression][cli][docs]") {
    const std::string page =
        test::read_file(fs::path(CANOPY_SOURCE_DIR) / "docs" / "new-region.md");
    const std::vector<std::string> blocks = toml_blocks(page);
    REQUIRE(blocks.size() >= 2);
    const std::string wuhan = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";

    // What an analyst of a 2023 plan would write for each placeholder.
    const std::vector<std::pair<std::string, std::string>> fills = {
        {"\"wuhan-2023.toml\"", "\"" + wuhan + "\""},
        {"<region>_<year>", "region_2023"},
        {"<the region's plan>", "A region's 2023 plan"},
        {"<the year before the plan>", "2022"},
        {"<the plan's year>", "2023"},
        {"<certified firms at the start>", "9_045"},
        {"<bulletin, table, page>", "the region's 2021 bulletin, table 3"},
    };
    std::string scenario = blocks[0] + "\n" + blocks[1];
    for (const auto& [from, to] : fills) {
        scenario = replaced_all(scenario, from, to);
    }
    INFO(scenario);
    REQUIRE(scenario.find('<') == std::string::npos); // every placeholder filled

    const test::TempDir dir;
    test::write_file(dir / "region.toml", scenario);
    const Result checked = run_canopy(dir, "validate --strict region.toml");
    INFO(checked.err);
    CHECK(checked.status == 0);

    const Result ran = run_canopy(dir, "run region.toml --replicates 4 --json -");
    INFO(ran.err);
    REQUIRE(ran.status == 0);
    const nlohmann::json j = nlohmann::json::parse(ran.out);
    CHECK(j.at("scenario") == "region_2023");
    bool watched = false;
    for (const auto& indicator : j.at("indicators")) {
        watched = watched || indicator.at("id") == "talent_end";
    }
    CHECK(watched);
    for (const auto& indicator : j.at("indicators")) { // the history checks the template removes
        CHECK(indicator.at("id") != "high_tech_2022_10");
    }
}
