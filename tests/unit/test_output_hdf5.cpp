// The HDF5 file read back with the HDF5 C API (as any reader would), and the atomic write:
// a failure leaves the old file exactly as it was and no temporary behind.
#include "output_fixture.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/output/hdf5.hpp>

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace canopy;

namespace {

// Minimal read helpers; each closes what it opens.
struct Reader {
    hid_t file;
    explicit Reader(const std::filesystem::path& p)
        : file(H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
        REQUIRE(file >= 0);
    }
    ~Reader() { H5Fclose(file); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    [[nodiscard]] bool exists(const std::string& path) const {
        return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0;
    }

    [[nodiscard]] std::vector<hsize_t> shape(const std::string& path) const {
        const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
        REQUIRE(d >= 0);
        const hid_t s = H5Dget_space(d);
        std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(s)));
        H5Sget_simple_extent_dims(s, dims.data(), nullptr);
        H5Sclose(s);
        H5Dclose(d);
        return dims;
    }

    [[nodiscard]] std::vector<double> doubles(const std::string& path) const {
        std::size_t n = 1;
        for (const hsize_t d : shape(path)) {
            n *= static_cast<std::size_t>(d);
        }
        std::vector<double> out(n);
        const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
        REQUIRE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
        H5Dclose(d);
        return out;
    }

    [[nodiscard]] std::vector<std::uint8_t> bytes(const std::string& path) const {
        std::vector<std::uint8_t> out(static_cast<std::size_t>(shape(path).at(0)));
        const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
        REQUIRE(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
        H5Dclose(d);
        return out;
    }

    [[nodiscard]] std::vector<std::string> strings(const std::string& path) const {
        const std::size_t n = static_cast<std::size_t>(shape(path).at(0));
        std::vector<char*> raw(n);
        const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
        const hid_t t = H5Dget_type(d);
        REQUIRE(H5Tis_variable_str(t) > 0);
        REQUIRE(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0);
        std::vector<std::string> out(raw.begin(), raw.end());
        const hid_t s = H5Dget_space(d);
        H5Dvlen_reclaim(t, s, H5P_DEFAULT, raw.data());
        H5Sclose(s);
        H5Tclose(t);
        H5Dclose(d);
        return out;
    }

    [[nodiscard]] std::string string_attr(const std::string& object,
                                          const std::string& name) const {
        const hid_t a =
            H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(a >= 0);
        const hid_t t = H5Aget_type(a);
        REQUIRE(H5Tis_variable_str(t) > 0);
        REQUIRE(H5Tget_cset(t) == H5T_CSET_UTF8);
        char* value = nullptr;
        REQUIRE(H5Aread(a, t, &value) >= 0);
        std::string out = value != nullptr ? value : "";
        H5free_memory(value);
        H5Tclose(t);
        H5Aclose(a);
        return out;
    }

    [[nodiscard]] std::vector<double> double_attr(const std::string& object,
                                                  const std::string& name) const {
        const hid_t a =
            H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(a >= 0);
        const hid_t s = H5Aget_space(a);
        const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(s));
        std::vector<double> out(n);
        REQUIRE(H5Aread(a, H5T_NATIVE_DOUBLE, out.data()) >= 0);
        H5Sclose(s);
        H5Aclose(a);
        return out;
    }

    [[nodiscard]] std::uint64_t uint_attr(const std::string& object,
                                          const std::string& name) const {
        const hid_t a =
            H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(a >= 0);
        std::uint64_t out = 0;
        REQUIRE(H5Aread(a, H5T_NATIVE_UINT64, &out) >= 0);
        H5Aclose(a);
        return out;
    }

    // Whether dimension `dim` of dataset `path` has the dimension scale `scale` attached.
    [[nodiscard]] bool attached(const std::string& path, const std::string& scale,
                                unsigned dim) const {
        const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
        const hid_t s = H5Dopen2(file, scale.c_str(), H5P_DEFAULT);
        const bool yes = H5DSis_attached(d, s, dim) > 0;
        H5Dclose(s);
        H5Dclose(d);
        return yes;
    }
};

struct Written {
    engine::Scenario scenario = test::synthetic_scenario();
    engine::ModelInfo model = test::synthetic_model();
    engine::Ensemble ensemble = test::synthetic_ensemble(5);
    output::EnsembleSummary summary = output::summarise_ensemble(scenario, model, ensemble);
};

std::size_t files_in(const std::filesystem::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("HDF5 root attributes describe the run", "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const auto path = dir / "run.h5";
    output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary});
    const Reader r(path);
    CHECK(r.string_attr("/", "scenario") == "synthetic");
    CHECK(r.string_attr("/", "title") == "Synthetic ensemble");
    CHECK(r.string_attr("/", "model") == "synthetic");
    CHECK(r.uint_attr("/", "seed") == 7);
    CHECK(r.uint_attr("/", "replicates") == 5);
    CHECK(r.string_attr("/", "engine_version") == CANOPY_VERSION);
    CHECK(r.string_attr("/", "policy_mix") == "base");
    CHECK(r.string_attr("/", "scenario_text") == w.scenario.text);
    CHECK(r.string_attr("/", "time_step") == "month");
    CHECK(r.string_attr("/", "start") == "2023-01");
    CHECK(r.string_attr("/", "end") == "2023-12");
}

TEST_CASE("HDF5 axes are dimension scales attached to every dataset", "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const auto path = dir / "run.h5";
    output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary});
    const Reader r(path);
    for (const char* scale : {"/time", "/replicate"}) {
        const hid_t d = H5Dopen2(r.file, scale, H5P_DEFAULT);
        CHECK(H5DSis_scale(d) > 0);
        H5Dclose(d);
    }
    const auto time = r.doubles("/time");
    REQUIRE(time.size() == 13);
    CHECK(time[0] == 0.0);
    CHECK(time[12] == 12.0);
    const auto labels = r.strings("/time_label");
    REQUIRE(labels.size() == 13);
    CHECK(labels[0] == "2022-12");
    CHECK(labels[12] == "2023-12");
    CHECK(r.shape("/replicate") == std::vector<hsize_t>{5});
    CHECK(r.doubles("/replicate") == std::vector<double>{0, 1, 2, 3, 4});
    for (const char* set :
         {"/indicators/a_end", "/indicators/b_total", "/series/stock_a", "/series/flow_b"}) {
        INFO(set);
        CHECK(r.attached(set, "/replicate", 0));
        CHECK(r.attached(set, "/time", 1));
    }
    for (const char* set : {"/parameters/p", "/targets/a_high/final", "/targets/a_high/attained"}) {
        INFO(set);
        CHECK(r.attached(set, "/replicate", 0));
    }
}

TEST_CASE("HDF5 indicators, series and parameters hold every replicate's values",
          "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const auto path = dir / "run.h5";
    output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary});
    const Reader r(path);
    REQUIRE(r.shape("/indicators/a_end") == std::vector<hsize_t>{5, 13});
    const auto a = r.doubles("/indicators/a_end");
    const auto stock = r.doubles("/series/stock_a");
    const auto flow = r.doubles("/indicators/b_total");
    for (std::size_t rep = 0; rep < 5; ++rep) {
        for (std::size_t t = 0; t < 13; ++t) {
            CHECK(stock[rep * 13 + t] == w.ensemble.runs[rep].at(static_cast<int>(t), 0));
            CHECK(a[rep * 13 + t] == stock[rep * 13 + t]);       // a stock indicator is its series
            CHECK(flow[rep * 13 + t] == static_cast<double>(t)); // running sum of 1s
        }
    }
    CHECK(r.string_attr("/indicators/a_end", "unit") == "firms");
    CHECK(r.string_attr("/indicators/a_end", "units") == "firms");
    CHECK(r.string_attr("/indicators/a_end", "kind") == "stock");
    CHECK(r.string_attr("/indicators/a_end", "description") == "stock_a at the end of 2023");
    CHECK(r.string_attr("/series/flow_b", "kind") == "flow");
    CHECK(r.doubles("/parameters/p") == std::vector<double>{10, 11, 12, 13, 14});
    CHECK(r.string_attr("/parameters/p", "unit") == "widgets");
    CHECK(r.string_attr("/parameters/p", "distribution") == "uniform");
}

TEST_CASE("HDF5 targets hold finals, attainment and P(attain)", "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const auto path = dir / "run.h5";
    output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary});
    const Reader r(path);
    CHECK(r.doubles("/targets/a_high/final") == std::vector<double>{1, 2, 3, 4, 5});
    CHECK(r.bytes("/targets/a_high/attained") == std::vector<std::uint8_t>{0, 0, 0, 0, 0});
    CHECK(r.bytes("/targets/b_low/attained") == std::vector<std::uint8_t>{1, 1, 1, 1, 1});
    CHECK(r.string_attr("/targets/a_high", "comparison") == ">=");
    CHECK(r.double_attr("/targets/a_high", "threshold") == std::vector<double>{8.0});
    CHECK(r.string_attr("/targets/a_high", "unit") == "firms");
    CHECK(r.double_attr("/targets/b_low", "p_attain") == std::vector<double>{1.0});
    const auto& ci = w.summary.targets[1].summary.p_attain_ci;
    CHECK(r.double_attr("/targets/b_low", "p_attain_ci") == std::vector<double>{ci.lo, ci.hi});
}

TEST_CASE("HDF5 targets say in how many replicates their final was undefined", "[output][hdf5]") {
    const test::TempDir dir;
    Written w;
    w.ensemble.runs[1].row(12)[0] = std::numeric_limits<double>::quiet_NaN(); // a_end of one
    w.ensemble.runs[4].row(12)[0] = std::numeric_limits<double>::quiet_NaN(); // and another
    w.summary = output::summarise_ensemble(w.scenario, w.model, w.ensemble);
    const auto path = dir / "run.h5";
    output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary});
    const Reader r(path);
    // Beside `attained` and `replicates`, and written when it is 0 too, as they are.
    CHECK(r.uint_attr("/targets/a_high", "undefined") == 2);
    CHECK(r.uint_attr("/targets/a_high", "attained") == 0);
    CHECK(r.uint_attr("/targets/b_low", "undefined") == 0);
}

TEST_CASE("HDF5 policy mixes go under /policy_mixes with the same layout", "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const engine::Scenario mixed = w.scenario.with_policy_mix("more_l0");
    const engine::Ensemble doubled = test::synthetic_ensemble(5, 2.0);
    output::SummaryOptions options;
    options.policy_mix = "more_l0";
    const auto mix_summary = output::summarise_ensemble(mixed, w.model, doubled, options);
    const std::vector<output::RunData> mixes{{doubled, mix_summary}};
    const auto path = dir / "mixes.h5";
    output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary}, mixes);
    const Reader r(path);
    CHECK(r.doubles("/policy_mixes/more_l0/targets/a_high/final") ==
          std::vector<double>{2, 4, 6, 8, 10});
    CHECK(r.shape("/policy_mixes/more_l0/indicators/a_end") == std::vector<hsize_t>{5, 13});
    CHECK(r.attached("/policy_mixes/more_l0/indicators/a_end", "/time", 1));
    CHECK(r.doubles("/targets/a_high/final") == std::vector<double>{1, 2, 3, 4, 5});
}

TEST_CASE("Large replicate arrays are compressed losslessly, small ones stay contiguous",
          "[output][hdf5]") {
    const test::TempDir dir;
    const auto scenario = test::synthetic_scenario();
    const auto model = test::synthetic_model();
    const auto ensemble = test::synthetic_ensemble(100); // 100 x 13 values per series
    const auto summary = output::summarise_ensemble(scenario, model, ensemble);
    const auto path = dir / "big.h5";
    output::write_hdf5(path, scenario, model, {ensemble, summary});
    const Reader r(path);
    const auto filters = [&](const char* name) {
        const hid_t d = H5Dopen2(r.file, name, H5P_DEFAULT);
        const hid_t p = H5Dget_create_plist(d);
        const int n = H5Pget_nfilters(p);
        H5Pclose(p);
        H5Dclose(d);
        return n;
    };
    CHECK(filters("/series/stock_a") == 2); // shuffle + deflate
    CHECK(filters("/time") == 0);
    CHECK(filters("/targets/a_high/final") == 0); // 100 values: not worth a chunk index
    const auto stock = r.doubles("/series/stock_a");
    REQUIRE(stock.size() == 1300);
    for (std::size_t rep = 0; rep < 100; ++rep) {
        CHECK(stock[rep * 13 + 12] == static_cast<double>(rep + 1));
    }
}

TEST_CASE("Writing the same run twice gives the same bytes (no timestamps)", "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    output::write_hdf5(dir / "a.h5", w.scenario, w.model, {w.ensemble, w.summary});
    output::write_hdf5(dir / "b.h5", w.scenario, w.model, {w.ensemble, w.summary});
    CHECK(test::read_file(dir / "a.h5") == test::read_file(dir / "b.h5"));
}

TEST_CASE("A failed HDF5 write leaves the old file intact and no temporary", "[output][hdf5]") {
    const test::TempDir dir;
    Written w;
    const auto path = dir / "run.h5";
    test::write_file(path, "the previous results\n");
    // A series name with a slash makes HDF5 fail half-way through (its group does not exist),
    // after the file, the axes and the indicators have been written.
    w.model.series[1].name = "bad/name";
    CHECK_THROWS_WITH(output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary}),
                      Catch::Contains(path.string()) && Catch::Contains("bad/name"));
    CHECK(test::read_file(path) == "the previous results\n");
    CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("An HDF5 write into a missing directory throws with the path and creates nothing",
          "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const auto path = dir / "missing" / "run.h5";
    CHECK_THROWS_WITH(output::write_hdf5(path, w.scenario, w.model, {w.ensemble, w.summary}),
                      Catch::Contains(path.string()));
    CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("Inconsistent runs are refused before any file is created", "[output][hdf5]") {
    const test::TempDir dir;
    const Written w;
    const engine::Ensemble other = test::synthetic_ensemble(4); // 4 replicates, summary says 5
    const auto path = dir / "run.h5";
    CHECK_THROWS_AS(output::write_hdf5(path, w.scenario, w.model, {other, w.summary}), Error);
    CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("HDF5 parameter attributes describe the policy mix that was run", "[output][hdf5]") {
    // A mix that fixes parameter p (the base draws it from a uniform with a source).
    engine::Scenario scenario = test::synthetic_scenario();
    engine::ParameterSetting fixed;
    fixed.value = engine::Uncertain::fixed(12.0);
    fixed.provenance.assumption = "the mix's own figure";
    fixed.provenance.from_scenario = true;
    scenario.policy_mixes[0].parameters = {{0, fixed}};
    const engine::ModelInfo model = test::synthetic_model();
    const engine::Scenario mixed = scenario.with_policy_mix("more_l0");
    const engine::Ensemble ensemble = test::synthetic_ensemble(5);
    output::SummaryOptions options;
    options.policy_mix = "more_l0";
    const auto mix_summary = output::summarise_ensemble(mixed, model, ensemble, options);
    const test::TempDir dir;

    SECTION("the mix at the root (--policy-mix)") {
        const auto path = dir / "mix.h5";
        output::write_hdf5(path, scenario, model, {ensemble, mix_summary});
        const Reader r(path);
        CHECK(r.string_attr("/", "policy_mix") == "more_l0");
        CHECK(r.string_attr("/parameters/p", "distribution") == "fixed");
        CHECK(r.string_attr("/parameters/p", "assumption") == "the mix's own figure");
        CHECK(r.string_attr("/parameters/p", "source").empty());
    }
    SECTION("the mix beside the base (--all-mixes)") {
        const auto base_summary = output::summarise_ensemble(scenario, model, ensemble);
        const std::vector<output::RunData> mixes{{ensemble, mix_summary}};
        const auto path = dir / "all.h5";
        output::write_hdf5(path, scenario, model, {ensemble, base_summary}, mixes);
        const Reader r(path);
        CHECK(r.string_attr("/parameters/p", "distribution") == "uniform");
        CHECK(r.string_attr("/parameters/p", "source") == "a source");
        CHECK(r.string_attr("/policy_mixes/more_l0/parameters/p", "distribution") == "fixed");
        CHECK(r.string_attr("/policy_mixes/more_l0/parameters/p", "assumption") ==
              "the mix's own figure");
    }
}

TEST_CASE("An HDF5 file grows in proportion to its datasets, not their square", "[output][hdf5]") {
    // Issue 6, item 4: each dataset's attachment to the shared axes rewrote the axes' lists of
    // datasets, so 16,000 indicators of 2 replicates made a 1.4 GB file (4,000 targets: 180 MB
    // for 75 KB of data). docs/output-format.md promises about 1.5 KiB per indicator and
    // 2.5 KiB per target beyond the data; the bounds below leave room for HDF5's rounding.
    constexpr std::size_t N = 2500;
    engine::Scenario scenario = test::synthetic_scenario();
    scenario.policy_mixes.clear();
    const engine::IndicatorSpec stock = scenario.indicators[0];
    scenario.indicators.clear();
    scenario.targets.clear();
    for (std::size_t i = 0; i < N; ++i) {
        engine::IndicatorSpec spec = stock;
        spec.id = "i" + std::to_string(i);
        scenario.indicators.push_back(spec);
        engine::TargetSpec target;
        target.id = "t" + std::to_string(i);
        target.indicator = spec.id;
        target.threshold = 1.0;
        target.assumption = "a";
        scenario.targets.push_back(target);
    }
    const engine::ModelInfo model = test::synthetic_model();
    const engine::Ensemble ensemble = test::synthetic_ensemble(2);
    const output::EnsembleSummary summary = output::summarise_ensemble(scenario, model, ensemble);
    const test::TempDir dir;
    output::write_hdf5(dir / "many.h5", scenario, model, {ensemble, summary});
    const auto bytes = std::filesystem::file_size(dir / "many.h5");
    const std::size_t data = N * 2 * 13 * 8 + N * 2 * (8 + 1); // indicators, finals, attained
    CHECK(bytes < data + N * 2560 + N * 4096 + 65536);
    // Still dimension scales as h5py, netCDF and xarray expect them.
    const Reader r(dir / "many.h5");
    CHECK(r.attached("/indicators/i0", "/replicate", 0));
    CHECK(r.attached("/indicators/i2499", "/time", 1));
    CHECK(r.attached("/targets/t2499/attained", "/replicate", 0));
}

TEST_CASE("A string with a NUL is refused, not cut short in the file", "[output][hdf5]") {
    const test::TempDir dir;
    Written w;
    w.scenario.title = std::string("Wu\0han", 6);
    w.summary.title = w.scenario.title;
    CHECK_THROWS_WITH(
        output::write_hdf5(dir / "run.h5", w.scenario, w.model, {w.ensemble, w.summary}),
        Catch::Contains("NUL"));
    CHECK(files_in(dir.path()) == 0);
}
