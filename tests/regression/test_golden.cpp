// Golden outputs: the reference model's counts and the default scenario's JSON summary, to the
// bit. A difference means results changed: if that was intended, refresh them with
// scripts/refresh-goldens.sh and say why in the commit; if not, it is a regression.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace canopy;
using namespace canopy::test::cli;
using canopy::test::TempDir;

namespace {
const fs::path GOLDEN = fs::path(CANOPY_SOURCE_DIR) / "tests" / "regression" / "golden";
const std::string BENCH = std::string(CANOPY_BIN_DIR) + "/canopy-bench";
} // namespace

TEST_CASE("The reference model's counts match the golden file", "[regression][golden]") {
    const TempDir dir;
    const std::string out = (dir / "reference.csv").string();
    const std::string command = shell_quote(BENCH) +
                                " reference --n 40000 --steps 12 --seed 1 --threads 1 | grep -v "
                                "-e '^#' -e '^summary' > " +
                                shell_quote(out);
    REQUIRE(std::system(command.c_str()) == 0);
    CHECK(test::read_file(out) == test::read_file(GOLDEN / "reference_n40000_seed1.csv"));
}

TEST_CASE("The default scenario's JSON summary matches the golden file", "[regression][golden]") {
    const TempDir dir;
    const Result r = run_canopy(
        dir, "run " + shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml") +
                 " --replicates 4 --seed 7 --threads 1 --json -");
    REQUIRE(r.status == 0);
    CHECK(r.out == test::read_file(GOLDEN / "wuhan_2023_seed7_r4.json"));
}
