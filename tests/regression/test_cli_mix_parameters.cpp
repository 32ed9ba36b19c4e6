// Issue 11, item 6: with --policy-mix NAME --out, /parameters/<name> describes the mix that ran
// (its distribution, source or assumption), and a --set wins over a mix's own setting there as
// it does in the run. An analysis that filters parameters on these attributes must see what
// each run drew from.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>

#include <string>
#include <vector>

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

namespace {

// The doubles of dataset `name` in the HDF5 file at `path`.
std::vector<double> doubles(const fs::path& path, const std::string& name) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    REQUIRE(set >= 0);
    const hid_t space = H5Dget_space(set);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    std::vector<double> out(n);
    CHECK(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    H5Sclose(space);
    H5Dclose(set);
    H5Fclose(file);
    return out;
}

} // namespace

TEST_CASE("A mix's parameter replaces the posterior's column in that mix's runs", "[cli][hdf5]") {
    // A tester's report: a mix setting a parameter the posterior draws ran exactly as the base,
    // exit 0, no warning, and the file said the mix drew it from the posterior.
    const test::TempDir dir;
    test::write_file(
        dir / "child.toml",
        "extends = " + shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml") +
            R"(
[policy_mixes.fast_drift]
description = "capability grows fast"
[policy_mixes.fast_drift.parameters.capability_drift]
value = 5
assumption = "an extreme drift"
)");
    const Result r = run_canopy(dir, "run child.toml --replicates 2 --threads 1 --all-mixes "
                                     "--out all.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("policy mix fast_drift sets capability_drift itself") != std::string::npos);
    const std::string drift = "/parameters/capability_drift";
    CHECK(string_attr(dir / "all.h5", drift, "distribution") == "posterior");
    const std::string in_mix = "/policy_mixes/fast_drift" + drift;
    CHECK(string_attr(dir / "all.h5", in_mix, "distribution") == "fixed");
    CHECK(string_attr(dir / "all.h5", in_mix, "assumption") == "an extreme drift");
    for (const double x : doubles(dir / "all.h5", in_mix)) {
        CHECK(x == 5.0);
    }
    // The mix's other posterior parameters take the base's rows: common random numbers.
    const std::string reversion = "/parameters/capability_reversion";
    CHECK(doubles(dir / "all.h5", "/policy_mixes/fast_drift" + reversion) ==
          doubles(dir / "all.h5", reversion));
}
