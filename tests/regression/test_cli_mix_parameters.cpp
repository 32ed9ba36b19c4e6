// Issue 11, item 6: with --policy-mix NAME --out, /parameters/<name> describes the mix that ran
// (its distribution, source or assumption), and a --set wins over a mix's own setting there as
// it does in the run. An analysis that filters parameters on these attributes must see what
// each run drew from.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>

#include <string>

using namespace canopy;
using namespace canopy::test::cli;

namespace {

// The reference scenario with a mix that fixes a parameter the base draws from a uniform.
void write_child(const test::TempDir& dir) {
    test::write_file(dir / "child.toml", "extends = " + shell_quote(REFERENCE) + R"(
[policy_mixes.fixed_births]
description = "births fixed at the mean"
[policy_mixes.fixed_births.parameters.births_per_month]
value = 15
assumption = "the mix's own figure"
)");
}

} // namespace

TEST_CASE("HDF5 /parameters describes the policy mix that ran", "[cli][hdf5]") {
    const test::TempDir dir;
    write_child(dir);
    const std::string births = "/parameters/births_per_month";

    const Result mix = run_canopy(
        dir, "run child.toml --replicates 3 --quiet --policy-mix fixed_births --out mix.h5");
    INFO(mix.err);
    REQUIRE(mix.status == 0);
    CHECK(string_attr(dir / "mix.h5", "/", "policy_mix") == "fixed_births");
    CHECK(string_attr(dir / "mix.h5", births, "distribution") == "fixed");
    CHECK(string_attr(dir / "mix.h5", births, "assumption") == "the mix's own figure");

    const Result base = run_canopy(dir, "run child.toml --replicates 3 --quiet --out base.h5");
    REQUIRE(base.status == 0);
    CHECK(string_attr(dir / "base.h5", births, "distribution") == "uniform");

    // --set wins over the mix in the run, and so in the file, under --all-mixes too.
    const Result set = run_canopy(dir, "run child.toml --replicates 3 --quiet --all-mixes "
                                       "--set births_per_month=14 --out set.h5");
    INFO(set.err);
    REQUIRE(set.status == 0);
    const std::string in_mix = "/policy_mixes/fixed_births" + births;
    CHECK(string_attr(dir / "set.h5", in_mix, "distribution") == "fixed");
    CHECK(string_attr(dir / "set.h5", in_mix, "source") == "override");
    CHECK(string_attr(dir / "set.h5", births, "source") == "override");
}
