// The fixture corpora: every broken scenario yields exactly the diagnostic its first line
// announces, and every seed of the fuzz corpus is a valid scenario.
#include "fake_catalog.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace canopy::engine;

namespace {

namespace fs = std::filesystem;

const fs::path DATA = fs::path(CANOPY_SOURCE_DIR) / "tests" / "data";

struct Expectation {
    int line = 0;
    int column = 0;
    std::string key; // empty for "-"
    std::string fragment;
};

// "# expect: <line>:<column> <key> <message fragment>".
bool parse_expectation(const std::string& text, Expectation& out) {
    const std::string prefix = "# expect: ";
    const std::size_t eol = text.find('\n');
    if (text.rfind(prefix, 0) != 0 || eol == std::string::npos) {
        return false;
    }
    const std::string spec = text.substr(prefix.size(), eol - prefix.size());
    const std::size_t colon = spec.find(':');
    const std::size_t space1 = spec.find(' ');
    const std::size_t space2 = spec.find(' ', space1 + 1);
    if (colon == std::string::npos || space1 == std::string::npos || space2 == std::string::npos ||
        colon > space1) {
        return false;
    }
    out.line = std::stoi(spec.substr(0, colon));
    out.column = std::stoi(spec.substr(colon + 1, space1 - colon - 1));
    out.key = spec.substr(space1 + 1, space2 - space1 - 1);
    if (out.key == "-") {
        out.key.clear();
    }
    out.fragment = spec.substr(space2 + 1);
    return !out.fragment.empty();
}

} // namespace

TEST_CASE("every broken fixture yields the diagnostic it announces", "[scenario]") {
    const auto files = canopy::test::files_in(DATA / "broken");
    std::size_t checked = 0;
    for (const fs::path& file : files) {
        if (file.extension() != ".toml") {
            continue;
        }
        INFO(file.filename().string());
        Expectation expected;
        REQUIRE(parse_expectation(canopy::test::read_bytes(file), expected));
        const LoadResult r = load_scenario(file, canopy::test::toy_catalog());
        INFO(r.diagnostics.format());
        CHECK_FALSE(r.scenario.has_value());
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1); // one problem per file
        const Diagnostic& d = errors[0];
        CHECK(d.file == file.generic_string());
        CHECK(d.line == expected.line);
        CHECK(d.column == expected.column);
        CHECK(d.key == expected.key);
        CHECK(d.message.find(expected.fragment) != std::string::npos);
        ++checked;
    }
    CHECK(checked >= 20);
}

TEST_CASE("every seed of the fuzz corpus is a valid scenario", "[scenario]") {
    std::size_t checked = 0;
    for (const fs::path& file : canopy::test::files_in(DATA / "fuzz-corpus")) {
        if (file.extension() != ".toml") {
            continue;
        }
        INFO(file.filename().string());
        const LoadResult r = load_scenario(file, canopy::test::toy_catalog());
        INFO(r.diagnostics.format());
        CHECK(r.diagnostics.empty());
        CHECK(r.scenario.has_value());
        ++checked;
    }
    CHECK(checked >= 3);
}
