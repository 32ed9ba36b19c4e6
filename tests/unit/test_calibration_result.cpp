// Calibration result files round-trip through HDF5; a posterior carried into a scenario takes
// its columns, and one of another model or parameter set is refused.
#include "../unit/damage_fixture.hpp"
#include "registry.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/posterior.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace canopy;
using namespace canopy::experiments;

namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
    const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "calibration-result-tests";
    fs::create_directories(dir);
    return dir / name;
}

// A small result for the reference model: births_per_month and a lever scale.
CalibrationResult sample_result() {
    CalibrationResult r;
    r.method = "abc-smc";
    r.name = "t";
    r.model = "reference";
    r.scenario = "reference";
    r.scenario_start = "2023-01";
    r.calibration_text = "[calibration]\nname = \"t\" # 标定\n";
    r.scenario_text = "scenario text";
    r.data_file = "data.csv";
    r.data_sha256 = std::string(64, 'a');
    r.engine_version = "0.1.0";
    r.fingerprint = "f";
    r.seed = 18446744073709551615ULL;
    r.fit_until = 2022;
    r.parameters = {"births_per_month", "lever_high_tech"};
    r.parameter_kinds = {"parameter", "lever_scale"};
    r.parameter_units = {"firms/month", "multiplier of its schedule"};
    r.priors = {"uniform(low 5, high 30)", "uniform(low 0.5, high 2)"};
    r.lower = {0.0, 0.0};
    r.upper = {1e9, 1000.0};
    r.particles = {10.0, 1.0, 12.0, 1.5, 14.0, 0.8};
    r.weights = {0.5, 0.25, 0.25};
    r.exact = true;
    r.final_temperature = 1.0;
    r.generations = {GenerationRecord{0, 9.0, 3.0, 400, 420, 0.5, 200, 1.5},
                     GenerationRecord{1, 1.0, 1.0, 700, 800, 0.3, 210, 2.5}};
    FigureFit f;
    f.observation = "high_tech_2022";
    f.series = "ref_high_tech";
    f.year = 2022;
    f.value = 690;
    f.unit = "firms";
    f.kind = "exact";
    f.measure = "stock";
    f.sd = 34.5;
    f.fitted = false;
    f.median = 700;
    f.q05 = 650;
    f.q25 = 680;
    f.q75 = 720;
    f.q95 = 750;
    f.inside50 = true;
    f.inside90 = true;
    f.line = 4;
    r.figures = {f};
    r.simulations = 1220;
    r.wall_seconds = 4.0;
    r.notes = {"a note"};
    r.summarise();
    return r;
}

engine::Scenario reference_scenario() {
    const engine::LoadResult r = engine::load_scenario(
        fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "reference.toml", models::model_catalog());
    REQUIRE(r.scenario.has_value());
    return *r.scenario;
}

} // namespace

TEST_CASE("a calibration result round-trips through its HDF5 file", "[unit]") {
    const CalibrationResult r = sample_result();
    CHECK(r.ess == Approx(1.0 / (0.25 + 0.0625 + 0.0625)));
    CHECK(r.summaries[0].median == 10.0);
    const fs::path p = scratch("round-trip.h5");
    write_calibration_result(p, r);
    const CalibrationResult back = read_calibration_result(p);
    CHECK(back.method == r.method);
    CHECK(back.calibration_text == r.calibration_text);
    CHECK(back.seed == r.seed);
    CHECK(back.fit_until == 2022);
    CHECK(back.parameters == r.parameters);
    CHECK(back.parameter_kinds == r.parameter_kinds);
    CHECK(back.particles == r.particles);
    CHECK(back.weights == r.weights);
    CHECK(back.exact);
    REQUIRE(back.generations.size() == 2);
    CHECK(back.generations[1].candidates == 700);
    CHECK(back.generations[1].ess == 210);
    REQUIRE(back.figures.size() == 1);
    CHECK(back.figures[0].observation == "high_tech_2022");
    CHECK_FALSE(back.figures[0].fitted);
    CHECK(back.figures[0].inside90);
    CHECK(back.notes == r.notes);
    CHECK_FALSE(back.smm.has_value());
    // No temporary left beside it.
    int files = 0;
    for (const auto& e : fs::directory_iterator(p.parent_path())) {
        files += e.path().filename().string().rfind("round-trip.h5", 0) == 0 ? 1 : 0;
    }
    CHECK(files == 1);
}

// An ABC-SMC run that uses every data series and reaches the exact posterior has no note: its
// file must still be written and read back (HDF5 refuses the null buffer of an empty list).
TEST_CASE("a calibration result without notes round-trips", "[unit]") {
    CalibrationResult r = sample_result();
    r.notes.clear();
    const fs::path p = scratch("no-notes.h5");
    REQUIRE_NOTHROW(write_calibration_result(p, r));
    const CalibrationResult back = read_calibration_result(p);
    CHECK(back.notes.empty());
    CHECK(back.parameters == r.parameters);
}

// HDF5 checksums its headers but not a contiguous dataset's data nor the global heap's strings:
// without the file's own checksum, a bit flipped in /weights would reweight every run drawn from
// the posterior.
TEST_CASE("a calibration result damaged on disk is refused, naming the file", "[unit]") {
    CalibrationResult r = sample_result();
    r.scenario_text = "a scenario text found once in the file";
    const fs::path good = scratch("intact.h5");
    const fs::path bad = scratch("damaged.h5");
    const fs::path old = scratch("without-checksum.h5");
    write_calibration_result(good, r);
    const std::string damaged = "cannot read the calibration result '" + bad.generic_string() +
                                "': the file is damaged: its data changed on disk after Canopy "
                                "wrote it (they do not match the checksum written with them: ";

    // Intact, it reads back equal.
    const CalibrationResult back = read_calibration_result(good);
    CHECK(back.weights == r.weights);
    CHECK(back.particles == r.particles);

    // The first weight, 0.5, becomes 0.5000000000000001: refused, and said why.
    fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
    test::flip_data_bit(bad, "/weights");
    CHECK_THROWS_WITH(read_calibration_result(bad),
                      Catch::StartsWith(damaged) &&
                          Catch::EndsWith("; run the calibration that wrote it again (canopy "
                                          "calibrate ... --out)"));

    // A variable-length string (the global heap): refused too.
    fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
    test::flip_text_bit(bad, "a scenario text found once in the file");
    CHECK_THROWS_WITH(read_calibration_result(bad), Catch::StartsWith(damaged));

    // A file written before the checksum has nothing to check against: read as it is.
    fs::copy_file(good, old, fs::copy_options::overwrite_existing);
    test::drop_root_attribute(old, "checksum");
    const CalibrationResult unchecked = read_calibration_result(old);
    CHECK(unchecked.weights == r.weights);
    CHECK(unchecked.scenario_text == r.scenario_text);
}

TEST_CASE("a calibration result's shapes are held to what its file can hold", "[unit]") {
    // An edited file without a checksum declared 10^11 weights: "internal error: std::bad_alloc".
    const fs::path old = scratch("huge-without-checksum.h5");
    write_calibration_result(old, sample_result());
    test::drop_root_attribute(old, "checksum");
    const fs::path bad = scratch("huge.h5");
    for (const std::string dataset : {"/weights", "/generations/ess", "/figures/kind"}) {
        INFO(dataset);
        fs::copy_file(old, bad, fs::copy_options::overwrite_existing);
        test::declare_huge_dataset(bad, dataset);
        CHECK_THROWS_WITH(read_calibration_result(bad),
                          Catch::StartsWith("cannot read the calibration result '" +
                                            bad.generic_string() +
                                            "': the file is damaged: dataset '") &&
                              Catch::Contains("declares 100000000000 values"));
    }
}

TEST_CASE("reading something that is not a calibration result says what it is", "[unit]") {
    const fs::path text = scratch("not-hdf5.h5");
    std::ofstream(text) << "hello";
    CHECK_THROWS_WITH(read_calibration_result(text),
                      Catch::Contains("not-hdf5.h5': not an HDF5 file"));
    CHECK_THROWS_WITH(read_calibration_result(scratch("missing.h5")),
                      Catch::Contains("no such file"));
}

TEST_CASE("a posterior carried into a scenario takes its columns", "[unit]") {
    const engine::Scenario s = reference_scenario();
    const engine::ModelInfo& info = models::find_model("reference")->info();
    const engine::Scenario with = with_posterior(s, info, sample_result(), "p.h5");
    REQUIRE(with.joint_draws);
    const engine::JointDraws& j = *with.joint_draws;
    REQUIRE(j.columns().size() == 2);
    CHECK(j.columns()[0].kind == engine::JointDraws::Column::Kind::parameter);
    CHECK(j.columns()[0].index == info.parameter_index("births_per_month"));
    CHECK(j.columns()[1].kind == engine::JointDraws::Column::Kind::lever_scale);
    CHECK(j.rows() == 3);
    CHECK(with.parameters[static_cast<std::size_t>(info.parameter_index("births_per_month"))]
              .provenance.source == "calibration posterior p.h5");
    // One column only.
    const engine::Scenario one =
        with_posterior(s, info, sample_result(), "p.h5", {"lever_high_tech"});
    REQUIRE(one.joint_draws->columns().size() == 1);
    CHECK(one.joint_draws->columns()[0].name == "lever_high_tech");
}

TEST_CASE("a posterior of another model or parameter set is refused", "[unit]") {
    const engine::Scenario s = reference_scenario();
    const engine::ModelInfo& info = models::find_model("reference")->info();
    CalibrationResult other_model = sample_result();
    other_model.model = "ecosystem";
    CHECK_THROWS_WITH(with_posterior(s, info, other_model, "p.h5"),
                      "posterior 'p.h5' was fitted to model 'ecosystem', not to model "
                      "'reference' of scenario 'reference'");
    CalibrationResult renamed = sample_result();
    renamed.parameters[0] = "births";
    CHECK_THROWS_WITH(with_posterior(s, info, renamed, "p.h5"),
                      Catch::Contains("fits 'births', which model 'reference' does not have"));
    CHECK_THROWS_WITH(with_posterior(s, info, sample_result(), "p.h5", {"firms"}),
                      Catch::Contains("has no column 'firms'"));
    CalibrationResult baseline = sample_result();
    baseline.parameters[0] = "firms";
    baseline.parameter_kinds[0] = "baseline";
    baseline.scenario_start = "2013-01";
    CHECK_THROWS_WITH(with_posterior(s, info, baseline, "p.h5"),
                      Catch::Contains("a starting figure does not carry over to another start"));
    // A lever fitted under a policy mix scales that mix's schedule (an outside tester's 0.81 of
    // high_tech_push's doubled schedule, carried to the scenario's own: 384 leaders became 215).
    CalibrationResult mixed = sample_result();
    mixed.calibration_text = "[calibration]\nname = \"t\"\npolicy_mix = \"high_tech_push\"\n";
    CHECK(calibration_policy_mix(mixed) == "high_tech_push");
    CHECK(calibration_policy_mix(sample_result()).empty());
    CHECK_THROWS_WITH(with_posterior(s, info, mixed, "p.h5"),
                      Catch::Contains("fits lever 'lever_high_tech' as a multiple of its schedule "
                                      "under policy mix 'high_tech_push'"));
    try {
        (void)with_posterior(s, info, mixed, "p.h5");
    } catch (const PosteriorColumnError& e) {
        CHECK(e.column() == "lever_high_tech");
    }
    // A mix that moves another lever only leaves this one's schedule as the scenario has it.
    CalibrationResult other_lever = sample_result();
    other_lever.calibration_text = "[calibration]\nname = \"t\"\npolicy_mix = \"incubator_ramp\"\n";
    CHECK(with_posterior(s, info, other_lever, "p.h5").joint_draws);
    // A mix the scenario does not have cannot be judged: refused.
    CalibrationResult unknown = sample_result();
    unknown.calibration_text = "[calibration]\nname = \"t\"\npolicy_mix = \"elsewhere\"\n";
    CHECK_THROWS_WITH(with_posterior(s, info, unknown, "p.h5"),
                      Catch::Contains("under policy mix 'elsewhere'"));
    // Its behavioural column still carries over, and is what usable_columns offers.
    CHECK(with_posterior(s, info, mixed, "p.h5", {"births_per_month"}).joint_draws);
    CHECK(usable_columns(s, info, mixed) == std::vector<std::string>{"births_per_month"});
    CalibrationResult too_big = sample_result();
    too_big.particles[1] = 5000.0; // the lever's range is [0, 1000]
    CHECK_THROWS_WITH(with_posterior(s, info, too_big, "p.h5"),
                      Catch::Contains("outside its range"));
}

TEST_CASE("a weighted quantile of equal weights is the order statistic that reaches it", "[unit]") {
    // 200 particles of weight 0.005: the 10th value's cumulative weight is 0.05 but adds up to
    // 0.049999999999999996, and q05 was the 11th (an outside check of an SMM posterior).
    std::vector<std::pair<double, double>> vw;
    for (int i = 0; i < 200; ++i) {
        vw.emplace_back(static_cast<double>(200 - i), 0.005); // values 1..200, unsorted
    }
    CHECK(canopy::experiments::weighted_quantile(vw, 0.05) == 10.0);
    CHECK(canopy::experiments::weighted_quantile(vw, 0.25) == 50.0);
    CHECK(canopy::experiments::weighted_quantile(vw, 0.5) == 100.0);
    CHECK(canopy::experiments::weighted_quantile(vw, 0.95) == 190.0);
    // A value short of the quantile by more than rounding is still passed over.
    CHECK(canopy::experiments::weighted_quantile({{1.0, 0.049}, {2.0, 0.951}}, 0.05) == 2.0);
}

TEST_CASE("a figure near an end of its 90 % interval is within that end's Monte Carlo error",
          "[unit]") {
    // 200 equal runs, values 1..200: q05 is the 10th. Its level's 95 % band is
    // 0.05 -+ 1.96 sqrt(0.05 0.95 / 200) = [0.0198, 0.0802], the 4th to the 17th value; q95's is
    // [0.9198, 0.9802], the 184th to the 197th.
    using canopy::experiments::near_quantile;
    std::vector<std::pair<double, double>> vw;
    for (int i = 0; i < 200; ++i) {
        vw.emplace_back(static_cast<double>(200 - i), 1.0);
    }
    CHECK_FALSE(near_quantile(vw, 0.05, 3.5));
    CHECK(near_quantile(vw, 0.05, 4.0));
    CHECK(near_quantile(vw, 0.05, 10.0));
    CHECK(near_quantile(vw, 0.05, 17.0));
    CHECK_FALSE(near_quantile(vw, 0.05, 17.5));
    CHECK_FALSE(near_quantile(vw, 0.95, 183.5));
    CHECK(near_quantile(vw, 0.95, 184.0));
    CHECK(near_quantile(vw, 0.95, 197.0));
    CHECK_FALSE(near_quantile(vw, 0.95, 197.5));
    // Weights count by their effective number: the same 200 values, half of them carrying all
    // but a trace of the weight, are about 100 runs, and the band widens to 0.05 -+ 0.0427: the
    // 1st to the 10th of the heavy values, which are the even ones (2 to 20).
    std::vector<std::pair<double, double>> uneven;
    for (int i = 1; i <= 200; ++i) {
        uneven.emplace_back(static_cast<double>(i), i % 2 == 0 ? 1.0 : 1e-9);
    }
    CHECK_FALSE(near_quantile(uneven, 0.05, 1.5));
    CHECK(near_quantile(uneven, 0.05, 2.0));
    CHECK(near_quantile(uneven, 0.05, 20.0));
    CHECK_FALSE(near_quantile(uneven, 0.05, 20.5));
    CHECK_FALSE(near_quantile({}, 0.05, 1.0));
    CHECK_FALSE(near_quantile({{std::nan(""), 1.0}}, 0.05, 1.0));
}
