// `canopy sensitivity` end to end: on a small Saltelli and Morris sweep of the reference model
// (table, JSON, --target/--indicator, --out into a new file and into the result itself, same
// bits for the same seed); on outputs of known indices written into a --design-only file (a
// linear function: Sobol S1 = ST = a_i^2 var_i / sum, Morris mu* = |a_i| (max - min) and
// sigma = 0); and bad input refused with the flag or file named, exit 2, nothing written.
#include "cli_fixture.hpp"

#include <canopy/experiments/sweep_result.hpp>

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sys/stat.h>

using namespace canopy;
using namespace canopy::test::cli;
using Json = nlohmann::ordered_json; // keys in the document's order
namespace fs = std::filesystem;

namespace {

const std::string TINY_SCENARIO =
    std::string(CANOPY_SOURCE_DIR) + "/tests/data/sweeps/tiny-scenario.toml";

// Three factors of the reference model at 500 firms (a run of a few milliseconds).
constexpr const char* FACTORS = R"(
[factors.births_per_month]
min = 2
max = 6
assumption = "test range around the scenario's 3.75 births per month at 500 firms"

[factors.lever_high_tech]
min = 0.5
max = 2.0
assumption = "test range around the default 1"

[factors.lever_incubated]
min = 0.5
max = 1.5
assumption = "test range around the default 1"
)";

/// A sweep file in `dir` over FACTORS; returns its name.
std::string sweep_file(const test::TempDir& dir, const std::string& name, const std::string& design,
                       int points, const std::string& extra = "") {
    test::write_file(dir / name, "[sweep]\nscenario = " + Json(TINY_SCENARIO).dump() +
                                     "\ndesign = \"" + design +
                                     "\"\npoints = " + std::to_string(points) +
                                     "\nreplicates = 2\nseed = 5\n" + extra + FACTORS);
    return name;
}

/// Runs a sweep; REQUIREs that it succeeded.
void sweep(const test::TempDir& dir, const std::string& file, const std::string& out,
           const std::string& flags = "") {
    const Result r =
        run_canopy(dir, "sweep " + file + " --quiet --threads 2 --out " + out + " " + flags);
    INFO(r.err);
    REQUIRE(r.status == 0);
}

Json json_of(const Result& r) {
    INFO(r.err + r.out);
    REQUIRE(r.status == 0);
    return Json::parse(r.out);
}

/// A [n] float64 dataset of an HDF5 file, or empty when it is absent.
std::vector<double> read_doubles(const fs::path& file, const std::string& path) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    std::vector<double> values;
    hid_t set = -1;
    H5E_BEGIN_TRY {
        set = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (set >= 0) {
        const hid_t space = H5Dget_space(set);
        values.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
        H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        H5Sclose(space);
        H5Dclose(set);
    }
    H5Fclose(f);
    return values;
}

/// Whether the dataset at `path` holds integers (H5T_INTEGER), not floating point.
bool integer_typed(const fs::path& file, const std::string& path) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    bool integer = false;
    hid_t set = -1;
    H5E_BEGIN_TRY {
        set = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (set >= 0) {
        const hid_t type = H5Dget_type(set);
        integer = H5Tget_class(type) == H5T_INTEGER;
        H5Tclose(type);
        H5Dclose(set);
    }
    H5Fclose(f);
    return integer;
}

bool exists_in(const fs::path& file, const std::string& path) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    htri_t found = 0;
    H5E_BEGIN_TRY {
        found = H5Oexists_by_name(f, path.c_str(), H5P_DEFAULT);
    }
    H5E_END_TRY;
    H5Fclose(f);
    return found > 0;
}

/// Whether dataset `path` has dimension `dim` attached to the root's scale `scale`.
bool attached(const fs::path& file, const std::string& path, const std::string& scale,
              unsigned dim) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t set = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    const hid_t s = H5Dopen2(f, scale.c_str(), H5P_DEFAULT);
    const bool yes = set >= 0 && s >= 0 && H5DSis_attached(set, s, dim) > 0;
    H5Dclose(s);
    H5Dclose(set);
    H5Fclose(f);
    return yes;
}

/// Adds /outputs/<name> = values to a --design-only file, as a user's own program would.
void add_output(const fs::path& file, const std::string& name, const std::vector<double>& y) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    const auto n = static_cast<hsize_t>(y.size());
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const std::string path = "outputs/" + name;
    const hid_t set =
        H5Dcreate2(f, path.c_str(), H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(set >= 0);
    REQUIRE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, y.data()) >= 0);
    H5Dclose(set);
    H5Sclose(space);
    H5Pclose(lcpl);
    H5Fclose(f);
}

/// y = sum_i a_i x_i at every point of a design-only file, added as /outputs/linear.
constexpr double A[] = {1.0, -8.0, 3.0};
constexpr double LOW[] = {2.0, 0.5, 0.5};
constexpr double HIGH[] = {6.0, 2.0, 1.5};

void add_linear(const fs::path& file) {
    const experiments::SweepResult d = experiments::read_sweep_result(file);
    REQUIRE(d.values.size() == 3);
    std::vector<double> y(d.points(), 0.0);
    for (std::size_t k = 0; k < d.points(); ++k) {
        for (std::size_t i = 0; i < 3; ++i) {
            y[k] += A[i] * d.values[i][k];
        }
    }
    add_output(file, "linear", y);
}

/// `canopy sensitivity <args>` exits 2 with `needle` on stderr and creates no file.
void expect_bad(const test::TempDir& dir, const std::string& args, const std::string& needle) {
    const std::vector<std::string> before = entries(dir.path());
    const Result r = run_canopy(dir, "sensitivity " + args);
    INFO("canopy sensitivity " + args + "\n" + r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(needle) != std::string::npos);
    CHECK(r.out.empty());
    CHECK(entries(dir.path()) == before);
}

} // namespace

TEST_CASE("canopy sensitivity ranks the factors of a Saltelli sweep of the reference model",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 8), "s.h5");
    const Result table = run_canopy(dir, "sensitivity s.h5");
    INFO(table.err);
    REQUIRE(table.status == 0);
    CHECK(table.out.find("Sobol indices: saltelli design, 3 factors, 8 base samples (40 points)") !=
          std::string::npos);
    CHECK(table.out.find("95 % percentile bootstrap intervals from 1000 resamples (seed 1)") !=
          std::string::npos);

    const Json j = json_of(run_canopy(dir, "sensitivity s.h5 --json -"));
    CHECK(j["method"] == "sobol");
    CHECK(j["schema_version"] == 1);
    // Every target's P(attain) and median, every indicator's mean and median, each with its
    // three factors in design order.
    const experiments::SweepResult r = experiments::read_sweep_result(dir / "s.h5");
    CHECK(j["outputs"].size() == 2 * r.targets.size() + 2 * r.indicators.size());
    for (const experiments::TargetColumns& t : r.targets) {
        REQUIRE(j["outputs"].contains("targets/" + t.id + "/p_attain"));
    }
    const Json& exits = j["outputs"]["indicators/exits_2023/mean"];
    std::vector<std::string> keys;
    for (const auto& [k, v] : exits.items()) {
        keys.push_back(k);
        CHECK(v.contains("S1_ci"));
    }
    CHECK(keys ==
          std::vector<std::string>{"births_per_month", "lever_high_tech", "lever_incubated"});

    // The table lists that output's factors by decreasing ST, as the JSON gives them.
    std::vector<std::pair<double, std::string>> by_st;
    for (const auto& [k, v] : exits.items()) {
        REQUIRE(v["ST"].is_number());
        by_st.emplace_back(-v["ST"].get<double>(), k);
    }
    std::sort(by_st.begin(), by_st.end());
    const std::size_t at = table.out.find("\nindicators/exits_2023/mean\n");
    REQUIRE(at != std::string::npos);
    const std::string section = table.out.substr(at, table.out.find("\n\n", at + 1) - at);
    std::size_t previous = 0;
    for (const auto& [st, name] : by_st) {
        const std::size_t where = section.find("  " + name + " ");
        INFO(section);
        REQUIRE(where != std::string::npos);
        CHECK(where > previous);
        previous = where;
    }
}

TEST_CASE("canopy sensitivity --target and --indicator pick the outputs, paths month by month",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 4, "outputs = [\"mean_paths\"]\n"), "s.h5");
    const Json j = json_of(run_canopy(
        dir, "sensitivity s.h5 --target leaders_2023 --indicator high_tech_2023 --json -"));
    std::vector<std::string> names;
    for (const auto& [k, v] : j["outputs"].items()) {
        names.push_back(k);
    }
    CHECK(names == std::vector<std::string>{"targets/leaders_2023/p_attain",
                                            "targets/leaders_2023/median",
                                            "indicators/high_tech_2023/mean"});
    REQUIRE(j.contains("time_resolved"));
    const Json& tr = j["time_resolved"];
    CHECK(tr["time"].size() == 13);
    CHECK(tr["outputs"].size() == 1);
    CHECK(tr["outputs"]["indicators/high_tech_2023/mean_path"]["lever_high_tech"]["ST"].size() ==
          13);
    // The rows of a mean path have no replicate-noise estimate, and the JSON says why: an entry
    // under "replicate_noise" like any other output's, and a note beside the time-resolved
    // indices. Under common random numbers their intervals hold the replicates fixed.
    REQUIRE(j["replicate_noise"].contains("indicators/high_tech_2023/mean_path"));
    const Json& path_noise = j["replicate_noise"]["indicators/high_tech_2023/mean_path"];
    CHECK(path_noise["variance"].is_null());
    CHECK(path_noise["share_of_variance"].is_null());
    CHECK(path_noise["in_intervals"] == false);
    CHECK(path_noise["reason"].get<std::string>().find("not the replicates' own paths") !=
          std::string::npos);
    CHECK(path_noise["reason"].get<std::string>().find("hold the replicates fixed") !=
          std::string::npos);
    REQUIRE(tr.contains("replicate_noise"));
    CHECK(tr["replicate_noise"].get<std::string>().find("hold the replicates fixed") !=
          std::string::npos);
    // The terminal says so under the path too, not only under the scalar outputs.
    const Result table = run_canopy(dir, "sensitivity s.h5 --indicator high_tech_2023");
    const std::size_t path_at = table.out.find("indicators/high_tech_2023/mean_path:");
    INFO(table.err + table.out);
    REQUIRE(path_at != std::string::npos);
    CHECK(table.out.find("replicate noise: not estimated: a mean path keeps", path_at) !=
          std::string::npos);

    // --output names any output by its path; the flags' outputs are analysed in file order.
    const Json o = json_of(run_canopy(
        dir, "sensitivity s.h5 --json - --output targets/exits_2023/median --target exits_2023"));
    names.clear();
    for (const auto& [k, v] : o["outputs"].items()) {
        names.push_back(k);
    }
    CHECK(names ==
          std::vector<std::string>{"targets/exits_2023/p_attain", "targets/exits_2023/median"});
    CHECK_FALSE(o.contains("time_resolved"));
}

TEST_CASE("canopy sensitivity gives Morris mu*, mu and sigma on a Morris sweep",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "m.toml", "morris", 4), "m.h5");
    const Result table = run_canopy(dir, "sensitivity m.h5 --method morris");
    INFO(table.err);
    REQUIRE(table.status == 0);
    CHECK(table.out.find("Morris elementary effects: 4 trajectories over 3 factors (16 points)") !=
          std::string::npos);
    const Json j = json_of(run_canopy(dir, "sensitivity m.h5 --json - --target leaders_2023"));
    CHECK(j["method"] == "morris");
    CHECK(j["schema_version"] == 1);
    const Json& f = j["outputs"]["targets/leaders_2023/median"]["lever_high_tech"];
    for (const char* key : {"mu_star", "mu_star_ci", "mu", "sigma"}) {
        CHECK(f.contains(key));
    }
    CHECK(f["mu_star"].get<double>() >= std::abs(f["mu"].get<double>()));
}

TEST_CASE("canopy sensitivity: the same file and seed give the same bits",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 8), "s.h5");
    const Result a = run_canopy(dir, "sensitivity s.h5 --json - --bootstrap 200 --seed 9");
    const Result b = run_canopy(dir, "sensitivity s.h5 --json - --bootstrap 200 --seed 9");
    const Result c = run_canopy(dir, "sensitivity s.h5 --json - --bootstrap 200 --seed 10");
    REQUIRE(a.status == 0);
    CHECK(a.out == b.out);
    const Json ja = Json::parse(a.out);
    const Json jc = Json::parse(c.out);
    const Json& x = ja["outputs"]["indicators/exits_2023/mean"]["births_per_month"];
    const Json& y = jc["outputs"]["indicators/exits_2023/mean"]["births_per_month"];
    INFO(x.dump());
    REQUIRE(x["ST_ci"][0] != x["ST_ci"][1]); // an interval with a width
    CHECK(x["ST"] == y["ST"]);               // the estimate does not depend on the bootstrap
    CHECK(x["ST_ci"] != y["ST_ci"]);         // its interval does
    CHECK(a.err.find("note:") == std::string::npos);

    // 99.9 % from 200 resamples: 0.1 resample beyond each end, said (an outside tester's
    // intervals of that kind were printed without a word).
    const Result wide = run_canopy(dir, "sensitivity s.h5 --bootstrap 200 --confidence 0.999");
    REQUIRE(wide.status == 0);
    CHECK(wide.err.find("note: a 99.9 % interval from 200 resamples has 0.1 resamples beyond "
                        "each end") != std::string::npos);
    CHECK(wide.err.find("--bootstrap 10000 or more") != std::string::npos);
}

TEST_CASE("canopy sensitivity --out writes the indices under /sensitivity, beside the result",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 4, "outputs = [\"mean_paths\"]\n"), "s.h5");
    const std::string before = test::read_file(dir / "s.h5");
    const Result r =
        run_canopy(dir, "sensitivity s.h5 --quiet --json s.json --out with-indices.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.empty());
    CHECK(test::read_file(dir / "s.h5") == before); // the input is untouched
    const Json j = Json::parse(test::read_file(dir / "s.json"));

    // The new file is the result plus /sensitivity: its own datasets still read back.
    const fs::path out = dir / "with-indices.h5";
    const experiments::SweepResult original = experiments::read_sweep_result(dir / "s.h5");
    const experiments::SweepResult copy = experiments::read_sweep_result(out);
    CHECK(copy.fingerprint == original.fingerprint);
    CHECK(copy.targets.at(0).p_attain == original.targets.at(0).p_attain);
    const std::string group = "sensitivity/indicators/exits_2023/mean/";
    const std::vector<double> st = read_doubles(out, group + "ST");
    REQUIRE(st.size() == 3);
    const std::vector<std::string> factors{"births_per_month", "lever_high_tech",
                                           "lever_incubated"};
    for (std::size_t k = 0; k < 3; ++k) {
        const Json& f = j["outputs"]["indicators/exits_2023/mean"][factors[k]];
        CHECK(st[k] == f["ST"].get<double>());
        CHECK(read_doubles(out, group + "S1_lo")[k] == f["S1_ci"][0].get<double>());
        CHECK(read_doubles(out, group + "ST_hi")[k] == f["ST_ci"][1].get<double>());
    }
    CHECK(attached(out, group + "S1", "factor", 0));
    const std::string path = "sensitivity/indicators/high_tech_2023/mean_path/";
    CHECK(read_doubles(out, path + "ST").size() == 13 * 3);
    CHECK(attached(out, path + "ST", "time", 0));
    CHECK(attached(out, path + "ST", "factor", 1));

    // Into the result itself, twice: the second replaces the first, nothing dangles.
    for (const char* seed : {"1", "2"}) {
        const Result in_place =
            run_canopy(dir, std::string("sensitivity s.h5 --quiet --out s.h5 --seed ") + seed);
        INFO(in_place.err);
        REQUIRE(in_place.status == 0);
    }
    CHECK(exists_in(dir / "s.h5", group + "ST"));
    CHECK(read_doubles(dir / "s.h5", group + "ST") == st);
    CHECK(read_doubles(dir / "s.h5", group + "ST_hi") !=
          read_doubles(out, group + "ST_hi")); // seed 2, not 1
    CHECK(experiments::read_sweep_result(dir / "s.h5").fingerprint == original.fingerprint);
    CHECK(entries(dir.path()) ==
          std::vector<std::string>{"s.h5", "s.json", "s.toml", "with-indices.h5"});
}

TEST_CASE("canopy sensitivity --out of the result itself keeps its size however often it is run",
          "[regression][sensitivity]") {
    // The file was a byte copy with the old /sensitivity deleted in it: HDF5 does not reuse the
    // space of objects deleted in an earlier session, so each update grew the file by the old
    // indices (20 updates: 140 KB to 724 KB).
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 4, "outputs = [\"mean_paths\"]\n"), "s.h5");
    const auto update = [&](const std::string& from, const std::string& to) {
        const Result r = run_canopy(dir, "sensitivity " + from + " --quiet --out " + to);
        INFO(r.err);
        REQUIRE(r.status == 0);
        return fs::file_size(dir / to);
    };
    const std::string group = "sensitivity/indicators/exits_2023/mean/";
    const std::uintmax_t once = update("s.h5", "s.h5");
    const std::vector<double> st = read_doubles(dir / "s.h5", group + "ST");
    REQUIRE(st.size() == 3);
    // Within a few bytes: how HDF5 lays out the scales' headers depends a little on the file
    // they were copied from (149,153 and 149,187 bytes here); never by the old indices' size.
    const auto near_once = [&](std::uintmax_t size) {
        return size <= once + 64 && size + 64 >= once;
    };
    for (int k = 0; k < 5; ++k) {
        CHECK(near_once(update("s.h5", "s.h5")));
    }
    CHECK(read_doubles(dir / "s.h5", group + "ST") == st);
    // Everything the sweep wrote is still there, on its scales.
    const experiments::SweepResult copy = experiments::read_sweep_result(dir / "s.h5");
    CHECK(copy.points() == 4 * 5);
    CHECK(attached(dir / "s.h5", "design/births_per_month", "point", 0));
    CHECK(attached(dir / "s.h5", "design_unit", "factor", 1));
    CHECK(attached(dir / "s.h5", "indicators/exits_2023/mean_path", "time", 1));
    CHECK(attached(dir / "s.h5", group + "ST", "factor", 0));

    // A file that already holds dead space (an object written and deleted, as the old updates
    // left it) gives a compact --out too.
    {
        const hid_t f = H5Fopen((dir / "s.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(f >= 0);
        const hsize_t n = 20000;
        const hid_t space = H5Screate_simple(1, &n, nullptr);
        const hid_t set =
            H5Dcreate2(f, "junk", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const std::vector<double> ones(n, 1.0);
        REQUIRE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, ones.data()) >= 0);
        H5Dclose(set);
        // Something after it, so that its space is not at the end of the file (HDF5 would give
        // that back); under /sensitivity, which an update replaces.
        const hid_t pad = H5Dcreate2(f, "sensitivity/pad", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(H5Dwrite(pad, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, ones.data()) >= 0);
        H5Dclose(pad);
        H5Sclose(space);
        H5Fclose(f);
        const hid_t g = H5Fopen((dir / "s.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(H5Ldelete(g, "junk", H5P_DEFAULT) >= 0);
        H5Fclose(g);
    }
    REQUIRE(fs::file_size(dir / "s.h5") > once + 300000);
    CHECK(near_once(update("s.h5", "other.h5")));
}

TEST_CASE("canopy sensitivity names an /outputs column of the wrong shape by its path",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 4), "d.h5", "--design-only");
    const auto write = [&](const std::string& file, const std::vector<hsize_t>& dims) {
        fs::copy_file(dir / "d.h5", dir / file);
        const hid_t f = H5Fopen((dir / file).c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(f >= 0);
        const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(lcpl, 1);
        const hid_t space =
            dims.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        std::size_t count = 1;
        for (const hsize_t x : dims) {
            count *= static_cast<std::size_t>(x);
        }
        const std::vector<double> y(count, 1.0);
        const hid_t set =
            H5Dcreate2(f, "outputs/y", H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, y.data()) >= 0);
        H5Dclose(set);
        H5Sclose(space);
        H5Pclose(lcpl);
        H5Fclose(f);
        return file;
    };
    // 4 base samples of 3 factors: 20 points.
    expect_bad(dir, write("short.h5", {10}),
               "cannot read sweep result 'short.h5': /outputs/y has 10 values, but one value per "
               "design point is needed (20 points)");
    expect_bad(dir, write("scalar.h5", {}),
               "/outputs/y is a scalar, but one value per design point is needed (20 points)");
    expect_bad(dir, write("wide.h5", {20, 2}),
               "/outputs/y is 20 x 2, but one value per design point is needed (20 points)");
}

TEST_CASE("canopy sensitivity names every bad /outputs column, the file and what is allowed",
          "[regression][sensitivity]") {
    // A nested group said "missing dataset 'grp' (not a dataset)", a string dataset "cannot read
    // dataset 'strs' as numbers", and only the first bad column was reported.
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 4), "d.h5", "--design-only");
    const hid_t f = H5Fopen((dir / "d.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    const hsize_t n = 20;
    const hsize_t ten = 10;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t short_space = H5Screate_simple(1, &ten, nullptr);
    const std::vector<double> y(20, 1.0);
    const std::vector<std::pair<std::string, hid_t>> sets{
        {"outputs/grp/y", space}, {"outputs/short", short_space}, {"outputs/good", space}};
    for (const auto& [path, at] : sets) {
        const hid_t set =
            H5Dcreate2(f, path.c_str(), H5T_IEEE_F64LE, at, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(set >= 0);
        REQUIRE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, y.data()) >= 0);
        H5Dclose(set);
    }
    const hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, 4);
    const std::string words(20 * 4, 'a');
    const hid_t strs = H5Dcreate2(f, "outputs/strs", text, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(strs >= 0);
    REQUIRE(H5Dwrite(strs, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, words.data()) >= 0);
    H5Dclose(strs);
    H5Tclose(text);
    H5Sclose(short_space);
    H5Sclose(space);
    H5Pclose(lcpl);
    H5Fclose(f);

    const std::vector<std::string> before = entries(dir.path());
    const Result r = run_canopy(dir, "sensitivity d.h5 --json out.json");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(entries(dir.path()) == before);
    const std::string file = "canopy sensitivity: error: cannot read sweep result 'd.h5': ";
    CHECK(r.err.find(file + "/outputs/grp is a group, not a dataset: one 1-D column of numbers "
                            "with one value per design point is needed (20 points)\n") !=
          std::string::npos);
    CHECK(r.err.find(file + "/outputs/short has 10 values, but one value per design point is "
                            "needed (20 points)\n") != std::string::npos);
    CHECK(r.err.find(file + "/outputs/strs holds text, not numbers: one 1-D column of numbers "
                            "(float64) with one value per design point is needed (20 points)\n") !=
          std::string::npos);
    CHECK(r.err.find("outputs/good") == std::string::npos);
}

TEST_CASE("canopy sensitivity recovers the indices of a linear function from a design-only file",
          "[regression][sensitivity][statistical]") {
    const test::TempDir dir;
    // Sobol: for y = sum a_i x_i with independent uniform x_i, S1_i = ST_i = a_i^2 var_i / V.
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 512), "s.h5", "--design-only");
    add_linear(dir / "s.h5");
    const Json j = json_of(run_canopy(dir, "sensitivity s.h5 --json -"));
    double total = 0.0;
    for (std::size_t i = 0; i < 3; ++i) {
        total += A[i] * A[i] * (HIGH[i] - LOW[i]) * (HIGH[i] - LOW[i]) / 12.0;
    }
    const std::vector<std::string> factors{"births_per_month", "lever_high_tech",
                                           "lever_incubated"};
    for (std::size_t i = 0; i < 3; ++i) {
        const double expected =
            A[i] * A[i] * (HIGH[i] - LOW[i]) * (HIGH[i] - LOW[i]) / 12.0 / total;
        const Json& f = j["outputs"]["outputs/linear"][factors[i]];
        INFO(factors[i] << ": expected " << expected << ", got " << f.dump());
        // The 95 % intervals, whose width follows from the 512 base samples, hold the truth.
        CHECK(f["S1_ci"][0].get<double>() <= expected);
        CHECK(expected <= f["S1_ci"][1].get<double>());
        CHECK(f["ST_ci"][0].get<double>() <= expected);
        CHECK(expected <= f["ST_ci"][1].get<double>());
        CHECK(f["ST_ci"][1].get<double>() - f["ST_ci"][0].get<double>() < 0.2);
        CHECK(f["S1_undefined_resamples"] == 0);
        CHECK(f["ST_undefined_resamples"] == 0);
    }

    // Morris: every elementary effect of factor i is a_i (max_i - min_i), so mu* = |that|,
    // mu = that and sigma = 0, whatever the trajectories.
    sweep(dir, sweep_file(dir, "m.toml", "morris", 6), "m.h5", "--design-only");
    add_linear(dir / "m.h5");
    const Json m = json_of(run_canopy(dir, "sensitivity m.h5 --json - --out m-indices.h5"));
    const std::string set = "sensitivity/outputs/linear/mu_star_undefined_resamples";
    CHECK(integer_typed(dir / "m-indices.h5", set));
    CHECK(read_doubles(dir / "m-indices.h5", set) == std::vector<double>(3, 0.0));
    for (std::size_t i = 0; i < 3; ++i) {
        const double effect = A[i] * (HIGH[i] - LOW[i]);
        const Json& f = m["outputs"]["outputs/linear"][factors[i]];
        INFO(factors[i] << ": " << f.dump());
        CHECK(f["mu_star"].get<double>() == Approx(std::abs(effect)).epsilon(1e-9));
        CHECK(f["mu"].get<double>() == Approx(effect).epsilon(1e-9));
        CHECK(f["sigma"].get<double>() == Approx(0.0).margin(1e-9 * std::abs(effect)));
    }
    // The table ranks lever_high_tech (|-8 x 1.5| = 12) above births_per_month (4) above
    // lever_incubated (3).
    const Result table = run_canopy(dir, "sensitivity m.h5");
    const std::size_t a = table.out.find("  lever_high_tech ");
    const std::size_t b = table.out.find("  births_per_month ");
    const std::size_t c = table.out.find("  lever_incubated ");
    INFO(table.out);
    CHECK(a < b);
    CHECK(b < c);
}

TEST_CASE("canopy sensitivity counts undefined bootstrap resamples and gives no interval when "
          "too many are undefined",
          "[regression][sensitivity]") {
    // A tester's output: 1 at one row of a 32-base-sample design, 0 elsewhere. A resample of the
    // base samples that misses that row has zero variance and no index, (31/32)^32 = 36 % of
    // them; the rest once gave "0.032 [0.032, 0.033]", far too narrow.
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 32), "s.h5", "--design-only");
    const experiments::SweepResult d = experiments::read_sweep_result(dir / "s.h5");
    std::vector<double> y(d.points(), 0.0);
    y[0] = 1.0; // row A of base sample 0
    add_output(dir / "s.h5", "spike", y);
    const Json j = json_of(run_canopy(dir, "sensitivity s.h5 --json -"));
    INFO(j.dump(2));
    for (const auto& [factor, f] : j["outputs"]["outputs/spike"].items()) {
        CHECK(f["S1"].is_number());
        for (const char* index : {"S1", "ST"}) {
            const int undefined = f[std::string(index) + "_undefined_resamples"].get<int>();
            CHECK(undefined > 250); // about 362 of 1000, far above the 25 a tail may hold
            CHECK(undefined < 480);
            CHECK(f[std::string(index) + "_ci"][0].is_null());
            CHECK(f[std::string(index) + "_ci"][1].is_null());
        }
    }
    // The file has the same counts, as integers, beside S1_lo and S1_hi (NaN there).
    REQUIRE(run_canopy(dir, "sensitivity s.h5 --quiet --out spiked.h5").status == 0);
    const std::string group = "sensitivity/outputs/spike/";
    for (const char* index : {"S1", "ST"}) {
        const std::string set = group + index + "_undefined_resamples";
        CHECK(integer_typed(dir / "spiked.h5", set));
        CHECK(attached(dir / "spiked.h5", set, "factor", 0));
        const std::vector<double> counts = read_doubles(dir / "spiked.h5", set);
        const std::vector<double> lo = read_doubles(dir / "spiked.h5", group + index + "_lo");
        REQUIRE(counts.size() == 3);
        REQUIRE(lo.size() == 3);
        std::size_t k = 0;
        for (const auto& [factor, f] : j["outputs"]["outputs/spike"].items()) {
            INFO(factor << " " << index);
            CHECK(counts[k] == f[std::string(index) + "_undefined_resamples"].get<double>());
            CHECK(std::isnan(lo[k]));
            ++k;
        }
    }
    REQUIRE(j.contains("interval_notes"));
    const std::string note = j["interval_notes"]["outputs/spike"].get<std::string>();
    CHECK(note.find("no 95 % interval for S1 of births_per_month") != std::string::npos);
    CHECK(note.find("of the 1000 bootstrap resamples gave an undefined index") !=
          std::string::npos);
    CHECK(note.find("more than the 2.5 %") != std::string::npos);

    const Result table = run_canopy(dir, "sensitivity s.h5");
    INFO(table.out);
    CHECK(table.status == 0);
    CHECK(table.out.find("undefined resamples") != std::string::npos);
    CHECK(table.out.find(" of 1000") != std::string::npos);
    CHECK(table.out.find("n/a") != std::string::npos);
    CHECK(table.out.find("no 95 % interval for S1 of births_per_month") != std::string::npos);

    // A 20 % interval leaves 40 % of the resamples to each tail, more than are undefined: the
    // interval is placed, and the undefined ones are still counted.
    const Json narrow = json_of(run_canopy(dir, "sensitivity s.h5 --confidence 0.2 --json -"));
    const Json& f = narrow["outputs"]["outputs/spike"]["births_per_month"];
    CHECK(f["S1_ci"][0].is_number());
    CHECK(f["S1_undefined_resamples"].get<int>() > 250);
    CHECK_FALSE(narrow.contains("interval_notes"));
}

TEST_CASE("canopy sensitivity refuses bad input, names the flag or file and writes nothing",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "s.toml", "saltelli", 4), "s.h5");
    sweep(dir, sweep_file(dir, "g.toml", "sobol", 8), "g.h5");
    sweep(dir, sweep_file(dir, "d.toml", "saltelli", 4), "d.h5", "--design-only");
    test::write_file(dir / "not.h5", "not an HDF5 file");
    const std::string before = test::read_file(dir / "s.h5");

    // In words, not HDF5's line of open flags ("errno = 2, ... o_flags = 0").
    expect_bad(dir, "missing.h5", "cannot read sweep result 'missing.h5': no such file\n");
    fs::create_directory(dir / "folder.h5");
    expect_bad(dir, "folder.h5", "'folder.h5': it is a directory, not a file");
    // A FIFO blocked the open for ever: an unattended merge or sensitivity job hung.
    REQUIRE(::mkfifo((dir / "fifo.h5").c_str(), 0600) == 0);
    expect_bad(dir, "fifo.h5", "cannot read sweep result 'fifo.h5': not a regular file");
    {
        const Result merged = run_canopy(dir, "merge fifo.h5 --out merged.h5");
        CHECK(merged.status == 2);
        CHECK(merged.err.find("'fifo.h5': not a regular file") != std::string::npos);
        CHECK_FALSE(fs::exists(dir / "merged.h5"));
        const Result second = run_canopy(dir, "merge s.h5 fifo.h5 --out merged.h5");
        CHECK(second.status == 2);
        CHECK_FALSE(fs::exists(dir / "merged.h5"));
    }
    expect_bad(dir, "not.h5", "not.h5");
    expect_bad(dir, "g.h5", "g.h5: its design is 'sobol'");
    expect_bad(dir, "d.h5", "--design-only file and has no /outputs");
    expect_bad(dir, "s.h5 --method morris", "--method morris: s.h5 has a 'saltelli' design");
    expect_bad(dir, "s.h5 --method anova", "--method");
    expect_bad(dir, "s.h5 --target leaders_2032", "did you mean 'leaders_2023'");
    expect_bad(dir, "s.h5 --target leaders_2032", "--target: s.h5 has no target 'leaders_2032'");
    // A shortened id is far from the whole one by edit distance: its stem is suggested, as solve's.
    expect_bad(dir, "s.h5 --target high_tech", "did you mean 'high_tech_growth'");
    expect_bad(dir, "s.h5 --indicator nope", "--indicator: s.h5 has no indicator 'nope'");
    expect_bad(dir, "s.h5 --output outputs/x", "--output: s.h5 has no output 'outputs/x'");
    expect_bad(dir, "s.h5 --confidence 1", "--confidence: 1 is not strictly between 0 and 1");
    // Not a number at all: what is allowed, as for a number out of range.
    expect_bad(dir, "s.h5 --confidence 0.95x",
               "--confidence: '0.95x' is not a number (allowed: a number strictly between 0 and "
               "1, e.g. 0.95 for 95 % intervals)");
    expect_bad(dir, "s.h5 --bootstrap 0", "--bootstrap");
    // One resample gave zero-width "95 %" intervals that missed the estimate.
    expect_bad(dir, "s.h5 --bootstrap 1",
               "--bootstrap: must be a whole number from 100 to 1000000");
    expect_bad(dir, "s.h5 --bootstrap 99", "got '99'");
    expect_bad(dir, "s.h5 --seed -3", "--seed");
    expect_bad(dir, "s.h5 --out indices.txt", "--out: 'indices.txt' must end in .h5");
    // ".h5" does end in .h5 to a reader; what it lacks is a name.
    expect_bad(dir, "s.h5 --out .h5", "--out: '.h5' needs a name before .h5 (such as result.h5)");
    expect_bad(dir, "s.h5 --json no/such/dir/x.json", "--json: cannot write");
    expect_bad(dir, "s.h5 --json s.h5", "--json");
    expect_bad(dir, "s.h5 --json x.h5 --out x.h5", "x.h5");
    // A bad flag with --out into the result itself leaves the result as it was.
    expect_bad(dir, "s.h5 --out s.h5 --target nope", "--target");
    CHECK(test::read_file(dir / "s.h5") == before);
}

TEST_CASE("canopy merge keeps /outputs: sensitivity of the merged shards is that of the whole",
          "[regression][sensitivity][merge]") {
    const test::TempDir dir;
    const std::string file = sweep_file(dir, "s.toml", "saltelli", 4);
    sweep(dir, file, "whole.h5");
    sweep(dir, file, "s1.h5", "--shard 1/2");
    sweep(dir, file, "s2.h5", "--shard 2/2");
    for (const char* f : {"whole.h5", "s1.h5", "s2.h5"}) {
        add_linear(dir / f); // the same function of each point's values, wherever it lies
    }
    const Result merged = run_canopy(dir, "merge s2.h5 s1.h5 --out merged.h5");
    INFO(merged.err);
    REQUIRE(merged.status == 0);
    const experiments::SweepResult m = experiments::read_sweep_result(dir / "merged.h5");
    const experiments::SweepResult w = experiments::read_sweep_result(dir / "whole.h5");
    REQUIRE(m.outputs.size() == 1);
    CHECK(m.outputs == w.outputs);
    const Result from_merged = run_canopy(dir, "sensitivity merged.h5 --json -");
    const Result from_whole = run_canopy(dir, "sensitivity whole.h5 --json -");
    REQUIRE(from_whole.status == 0);
    CHECK(from_merged.status == 0);
    CHECK(from_merged.out == from_whole.out);
    CHECK(Json::parse(from_merged.out)["outputs"].contains("outputs/linear"));

    // Shards that disagree on their outputs are refused, the shard named.
    add_output(dir / "s2.h5", "extra", std::vector<double>(10, 1.0));
    const Result disagree = run_canopy(dir, "merge s1.h5 s2.h5 --out m2.h5");
    INFO(disagree.err);
    CHECK(disagree.status == 2);
    CHECK(disagree.err.find("s2.h5: error: ") != std::string::npos);
    CHECK(disagree.err.find("/outputs/extra") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "m2.h5"));

    // A shard is not analysed: it must be merged first.
    expect_bad(dir, "s1.h5", "s1.h5: cannot be analysed: ");
    expect_bad(dir, "s1.h5", "shard 1/2");
    expect_bad(dir, "s1.h5", "canopy merge");
}

TEST_CASE("canopy sensitivity refuses an edited design with exit 2, naming file and attribute",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    // Two factors, so that base_samples (2^62 + 8) x (2 + 2) wraps round to the 32 points.
    test::write_file(dir / "two.toml", "[sweep]\nscenario = " + Json(TINY_SCENARIO).dump() +
                                           "\ndesign = \"saltelli\"\npoints = 8\n"
                                           "[factors.births_per_month]\nmin = 2\nmax = 6\n"
                                           "[factors.lever_high_tech]\nmin = 0.5\nmax = 2.0\n");
    sweep(dir, "two.toml", "two.h5", "--design-only");
    experiments::SweepResult huge = experiments::read_sweep_result(dir / "two.h5");
    REQUIRE(huge.points() == 32);
    huge.outputs.emplace_back("y", huge.values.at(0));
    huge.unit.base_samples = (std::size_t{1} << 62) + 8;
    experiments::write_sweep_result(dir / "huge.h5", huge);
    // Refused as it is read, before any count sizes anything (above the design limit of 10^7).
    expect_bad(dir, "huge.h5",
               "cannot read sweep result 'huge.h5': root attribute 'base_samples' is "
               "4611686018427387912, outside 0 .. 10000000");

    // A Morris design whose trajectories were edited: point 5 a copy of point 4.
    sweep(dir, sweep_file(dir, "m.toml", "morris", 4), "m.h5", "--design-only");
    experiments::SweepResult edited = experiments::read_sweep_result(dir / "m.h5");
    std::copy_n(edited.unit.u.begin() + 4 * 3, 3, edited.unit.u.begin() + 5 * 3);
    edited.outputs.emplace_back("y", edited.values.at(0));
    experiments::write_sweep_result(dir / "edited.h5", edited);
    expect_bad(dir, "edited.h5", "edited.h5: cannot be analysed: ");
    expect_bad(dir, "edited.h5", "not a Morris design");
}

TEST_CASE("canopy sensitivity says how much of each output is replicate noise, and with the "
          "finals kept its intervals include it",
          "[regression][sensitivity]") {
    const test::TempDir dir;
    sweep(dir, sweep_file(dir, "plain.toml", "saltelli", 16), "plain.h5");
    sweep(dir, sweep_file(dir, "finals.toml", "saltelli", 16, "outputs = [\"finals\"]\n"),
          "finals.h5");
    const std::string name = "targets/high_tech_growth/p_attain";
    const Json plain = json_of(run_canopy(dir, "sensitivity plain.h5 --json -"));
    const Json finals = json_of(run_canopy(dir, "sensitivity finals.h5 --json - --out f.h5"));
    CHECK(plain["replicates"] == 2);
    CHECK(plain["common_random_numbers"] == true);
    // P(attain)'s noise is p(1 - p) / (R - 1) averaged over the points (R = 2), whatever was
    // kept.
    const experiments::SweepResult r = experiments::read_sweep_result(dir / "plain.h5");
    double expected = 0.0;
    for (const experiments::TargetColumns& t : r.targets) {
        if (t.id == "high_tech_growth") {
            for (const double p : t.p_attain) {
                expected += p * (1.0 - p) / static_cast<double>(t.p_attain.size());
            }
        }
    }
    for (const Json* j : {&plain, &finals}) {
        const Json& noise = (*j)["replicate_noise"][name];
        CHECK(noise["variance"].get<double>() == Approx(expected).epsilon(1e-12));
        CHECK(noise["share_of_variance"].get<double>() > 0.0);
        CHECK(noise["method"] == "p(1 - p) / (R - 1) at each point, R = 2");
    }
    CHECK(plain["replicate_noise"][name]["in_intervals"] == false);
    CHECK(finals["replicate_noise"][name]["in_intervals"] == true);
    // The estimates are the same; the intervals, which now also resample the replicates, are
    // wider in all (at 2 replicates a point an interval's ends can rest on the same extremes).
    double plain_width = 0.0;
    double finals_width = 0.0;
    for (const char* f : {"births_per_month", "lever_high_tech", "lever_incubated"}) {
        const Json& a = plain["outputs"]["indicators/exits_2023/mean"][f];
        const Json& b = finals["outputs"]["indicators/exits_2023/mean"][f];
        CHECK(a["ST"] == b["ST"]);
        CHECK(a["S1"] == b["S1"]);
        for (const char* index : {"S1_ci", "ST_ci"}) {
            plain_width += a[index][1].get<double>() - a[index][0].get<double>();
            finals_width += b[index][1].get<double>() - b[index][0].get<double>();
        }
    }
    CHECK(finals_width > plain_width);
    // Without the finals an indicator's noise would come from q05 and q95, which at 2
    // replicates a point are the extremes: not estimated, and why.
    const Json& mean = plain["replicate_noise"]["indicators/exits_2023/mean"];
    CHECK(mean["variance"].is_null());
    CHECK(mean["reason"].get<std::string>().find("from q05 and q95 of 2 replicates a point") !=
          std::string::npos);
    CHECK(mean["hint"].get<std::string>().find("outputs = [\"finals\"]") != std::string::npos);
    CHECK(finals["replicate_noise"]["indicators/exits_2023/mean"]["method"].get<std::string>().find(
              "finals") != std::string::npos);

    // The table says it under each output, in words that wrap at 100 columns.
    const Result table = run_canopy(dir, "sensitivity plain.h5");
    REQUIRE(table.status == 0);
    CHECK(table.out.find("  replicate noise: ") != std::string::npos);
    std::string joined = table.out; // the wrapped notes as one line each
    for (std::size_t at = joined.find("\n    "); at != std::string::npos;
         at = joined.find("\n    ", at)) {
        joined.replace(at, 5, " ");
    }
    CHECK(joined.find("outputs = [\"finals\"] in the sweep file makes them do so") !=
          std::string::npos);
    const Result with_finals = run_canopy(dir, "sensitivity finals.h5");
    CHECK(with_finals.out.find("so they include it.") != std::string::npos);

    // --out keeps the same figures as attributes of each output's group.
    const hid_t file = H5Fopen((dir / "f.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t group = H5Gopen2(file, ("sensitivity/" + name).c_str(), H5P_DEFAULT);
    REQUIRE(group >= 0);
    double variance = 0.0;
    CHECK(H5LTget_attribute_double(group, ".", "replicate_noise_variance", &variance) >= 0);
    CHECK(variance == Approx(expected).epsilon(1e-12));
    unsigned long in_intervals = 0;
    CHECK(H5LTget_attribute_ulong(group, ".", "replicate_noise_in_intervals", &in_intervals) >= 0);
    CHECK(in_intervals == 1);
    H5Gclose(group);
    H5Fclose(file);
}
