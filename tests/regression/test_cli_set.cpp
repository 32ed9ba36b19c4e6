// `canopy run --set`: bad overrides are refused like a bad file (exit 2, the allowed range,
// "did you mean", nothing written); good ones change exactly what they name.
#include "cli_fixture.hpp"
#include "registry.hpp"

#include <canopy/experiments/experiment.hpp>

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <nlohmann/json.hpp>

using namespace canopy;
using namespace canopy::test::cli;
namespace fs = std::filesystem;

namespace {

std::vector<double> read_doubles(const fs::path& file, const std::string& path) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    std::vector<double> out(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    REQUIRE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    return out;
}

} // namespace

TEST_CASE("canopy run --set with an unknown name exits 2 with 'did you mean' and writes nothing",
          "[regression][cli][set]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --set births_per_mnth=3 --out out.h5 --json out.json");
    CHECK(r.status == 2);
    // Said after the command, as every other flag's problem (it began with a bare "error:").
    CHECK(r.err.rfind("canopy run: error: --set: ", 0) == 0);
    CHECK(r.err.find("did you mean 'births_per_month'?") != std::string::npos);
    CHECK(entries(dir.path()).empty());
}

TEST_CASE("canopy run --set out of range exits 2 with the allowed range",
          "[regression][cli][set]") {
    const test::TempDir dir;
    const Result r =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --set firms=-5 --out out.h5");
    CHECK(r.status == 2);
    CHECK(r.err.find("outside the allowed range") != std::string::npos);
    CHECK(r.err.find("(allowed: [") != std::string::npos);
    CHECK(entries(dir.path()).empty());
    const Result bad = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --set lever_sme");
    CHECK(bad.status == 2);
    CHECK(bad.err.find("is not NAME=VALUE") != std::string::npos);
}

TEST_CASE("A name given to --set twice is refused, naming both settings",
          "[regression][cli][set]") {
    // Only the last acted, while the header listed both as if each applied.
    const test::TempDir dir;
    for (const std::string& flags :
         {std::string("--set 'lever_high_tech*=2' --set lever_high_tech=1.5"),
          std::string("--set births_per_month=20 --set firms=3000 --set births_per_month=10")}) {
        INFO(flags);
        const Result r =
            run_canopy(dir, "run " + shell_quote(REFERENCE) + " " + flags + " --json out.json");
        CHECK(r.status == 2);
        CHECK(r.err.find("error: --set: '") != std::string::npos);
        CHECK(r.err.find("' is set twice (") != std::string::npos);
        CHECK(r.err.find("(allowed: each name once)") != std::string::npos);
        CHECK(entries(dir.path()).empty());
    }
    const Result both = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                            " --set births_per_month=20 --set "
                                            "births_per_month=10 --replicates 4");
    CHECK(both.status == 2);
    CHECK(both.err.find("'births_per_month' is set twice (births_per_month=20, then "
                        "births_per_month=10)") != std::string::npos);
}

TEST_CASE("canopy run --set on a lever equals the policy mix that sets it the same way",
          "[regression][cli][set]") {
    // reference.toml has no policy_start, so the level holds from the first step: lever_high_tech
    // = 2 throughout, which is what its mix high_tech_push (scale 2 of a constant 1) does.
    const test::TempDir dir;
    const Result set = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                           " --replicates 6 --set lever_high_tech=2 --json -");
    const Result mix = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                           " --replicates 6 --policy-mix high_tech_push --json -");
    const Result scaled =
        run_canopy(dir, "run " + shell_quote(REFERENCE) +
                            " --replicates 6 --set 'lever_high_tech*=2' --json -");
    const Result base =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --replicates 6 --json -");
    REQUIRE(set.status == 0);
    REQUIRE(mix.status == 0);
    REQUIRE(scaled.status == 0);
    REQUIRE(base.status == 0);
    const auto targets = [](const Result& r) { return nlohmann::json::parse(r.out)["targets"]; };
    CHECK(targets(set) == targets(mix));
    CHECK(targets(scaled) == targets(mix));
    CHECK(targets(set) != targets(base));
}

TEST_CASE("A design point without overrides reproduces canopy run's finals",
          "[regression][cli][experiments]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --replicates 5 --seed 3 --quiet --out run.h5");
    REQUIRE(r.status == 0);

    engine::LoadResult loaded = engine::load_scenario(REFERENCE, models::model_catalog());
    REQUIRE(loaded.scenario);
    experiments::Experiment e;
    e.scenario = std::make_shared<const engine::Scenario>(*loaded.scenario);
    e.model = models::find_model("reference");
    e.replicates = 5;
    e.seed = 3;
    const experiments::PointResult point = experiments::evaluate_point(e, {0, {}});
    for (const engine::TargetSpec& t : loaded.scenario->targets) {
        std::size_t i = 0;
        while (loaded.scenario->indicators[i].id != t.indicator) {
            ++i;
        }
        const std::vector<double> finals =
            read_doubles(dir / "run.h5", "targets/" + t.id + "/final");
        REQUIRE(finals.size() == 5);
        for (std::size_t k = 0; k < 5; ++k) {
            CHECK(finals[k] == point.final_value(i, k));
        }
    }
}
