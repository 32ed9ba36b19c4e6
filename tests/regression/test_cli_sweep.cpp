// `canopy sweep` and `canopy merge` end to end: the same result datasets at 1 and 2 threads, as
// 3 merged shards, and after a kill -9 and --resume; bad sweep files, shards and merges refused
// with their place, exit 2 and nothing written.
#include "../unit/damage_fixture.hpp"
#include "cli_fixture.hpp"

#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/experiments/sweep.hpp>

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace canopy;
using namespace canopy::test::cli;
namespace fs = std::filesystem;

namespace {

const std::string SWEEPS = std::string(CANOPY_SOURCE_DIR) + "/tests/data/sweeps";
const std::string TINY = SWEEPS + "/tiny.toml";
const std::string TINY_LONG = SWEEPS + "/tiny-long.toml";

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Every dataset and every attribute but the three timing ones, bit for bit.
void check_same(const fs::path& file_a, const fs::path& file_b) {
    INFO(file_a.string() + " vs " + file_b.string());
    const experiments::SweepResult a = experiments::read_sweep_result(file_a);
    const experiments::SweepResult b = experiments::read_sweep_result(file_b);
    CHECK(a.design == b.design);
    CHECK(a.factors == b.factors);
    CHECK(same_bits(a.unit.u, b.unit.u));
    CHECK(a.unit.base_samples == b.unit.base_samples);
    CHECK(a.unit.levels == b.unit.levels);
    REQUIRE(a.values.size() == b.values.size());
    for (std::size_t f = 0; f < a.values.size(); ++f) {
        CHECK(same_bits(a.values[f], b.values[f]));
    }
    CHECK(a.seed == b.seed);
    CHECK(a.replicates == b.replicates);
    CHECK(a.common_random_numbers == b.common_random_numbers);
    CHECK(a.complete == b.complete);
    CHECK(a.sweep_text == b.sweep_text);
    CHECK(a.scenario_text == b.scenario_text);
    CHECK(a.engine_version == b.engine_version);
    CHECK(a.build_id == b.build_id);
    CHECK(a.fingerprint == b.fingerprint);
    CHECK(a.time_labels == b.time_labels);
    CHECK(a.point_index == b.point_index);
    CHECK(a.points_total == b.points_total);
    CHECK(a.shard == b.shard);
    REQUIRE(a.targets.size() == b.targets.size());
    for (std::size_t t = 0; t < a.targets.size(); ++t) {
        INFO("target " + a.targets[t].id);
        CHECK(a.targets[t].id == b.targets[t].id);
        CHECK(a.targets[t].unit == b.targets[t].unit);
        CHECK(a.targets[t].comparison == b.targets[t].comparison);
        CHECK(a.targets[t].threshold == b.targets[t].threshold);
        CHECK(same_bits(a.targets[t].p_attain, b.targets[t].p_attain));
        CHECK(same_bits(a.targets[t].p_attain_lo, b.targets[t].p_attain_lo));
        CHECK(same_bits(a.targets[t].p_attain_hi, b.targets[t].p_attain_hi));
        CHECK(same_bits(a.targets[t].median, b.targets[t].median));
    }
    REQUIRE(a.indicators.size() == b.indicators.size());
    for (std::size_t i = 0; i < a.indicators.size(); ++i) {
        INFO("indicator " + a.indicators[i].id);
        CHECK(a.indicators[i].id == b.indicators[i].id);
        CHECK(a.indicators[i].unit == b.indicators[i].unit);
        CHECK(same_bits(a.indicators[i].mean, b.indicators[i].mean));
        CHECK(same_bits(a.indicators[i].q05, b.indicators[i].q05));
        CHECK(same_bits(a.indicators[i].q50, b.indicators[i].q50));
        CHECK(same_bits(a.indicators[i].q95, b.indicators[i].q95));
        CHECK(same_bits(a.indicators[i].mean_path, b.indicators[i].mean_path));
        CHECK(same_bits(a.indicators[i].finals, b.indicators[i].finals));
    }
}

std::string with_scenario(const std::string& body) {
    return "[sweep]\nscenario = \"" + SWEEPS + "/tiny-scenario.toml\"\n" + body;
}

// A small posterior of the reference model: births_per_month and the lever_high_tech scale drawn
// jointly from three weighted rows (`shift` moves every births value).
void write_posterior(const fs::path& path, double shift = 0.0) {
    experiments::CalibrationResult r;
    r.method = "abc-smc";
    r.name = "test";
    r.model = "reference";
    r.scenario = "reference";
    r.scenario_start = "2023-01";
    r.engine_version = CANOPY_VERSION;
    r.fingerprint = "test";
    r.data_sha256 = std::string(64, 'a');
    r.parameters = {"births_per_month", "lever_high_tech"};
    r.parameter_kinds = {"parameter", "lever_scale"};
    r.parameter_units = {"firms/month", "multiplier of its schedule"};
    r.priors = {"uniform(low 5, high 30)", "uniform(low 0.5, high 2)"};
    r.lower = {0.0, 0.0};
    r.upper = {1e9, 1000.0};
    r.particles = {10.0 + shift, 1.0, 12.0 + shift, 1.5, 14.0 + shift, 0.8};
    r.weights = {0.5, 0.25, 0.25};
    r.exact = true;
    r.final_temperature = 1.0;
    r.generations = {experiments::GenerationRecord{0, 1.0, 1.0, 400, 420, 0.5, 200, 1.5}};
    r.notes = {"a test posterior"};
    r.summarise();
    experiments::write_calibration_result(path, r);
}

// The final row of each replicate of /indicators/<id> [replicate, time] in a `canopy run` file.
std::vector<double> run_finals(const fs::path& file, const std::string& indicator) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, ("/indicators/" + indicator).c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    REQUIRE(H5Sget_simple_extent_ndims(space) == 2);
    H5Sget_simple_extent_dims(space, dims, nullptr);
    std::vector<double> all(static_cast<std::size_t>(dims[0] * dims[1]));
    REQUIRE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()) >= 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    std::vector<double> finals;
    for (hsize_t r = 0; r < dims[0]; ++r) {
        finals.push_back(all[static_cast<std::size_t>(r * dims[1] + dims[1] - 1)]);
    }
    return finals;
}

// An evaluator with nothing to compute, to leave a journal's header behind.
class NoPoints final : public experiments::Evaluator {
public:
    std::vector<experiments::PointResult> evaluate(const experiments::Experiment&,
                                                   std::span<const experiments::Point>,
                                                   const experiments::ResultCallback&) override {
        return {};
    }
};

// A bad sweep file: exit 2, its place on stderr, and nothing but the file in the directory.
void expect_refused(const std::string& text, const std::string& place, const std::string& what) {
    const test::TempDir dir;
    test::write_file(dir / "bad.toml", text);
    const Result r = run_canopy(dir, "sweep bad.toml --out out.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find(place) != std::string::npos);
    CHECK(r.err.find(what) != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"bad.toml"});
}

// A copy of `from` without the target, indicator or indicator's dataset at `path`
// ("targets/<id>", "indicators/<id>", "indicators/<id>/finals" or ".../mean_path"), written with
// a valid checksum, as a program that edits results and signs them again would leave it: an edit
// with h5py alone fails the checksum (or, with it deleted, has none) and is refused before merge
// compares its columns with the other shards'.
void copy_without(const fs::path& from, const fs::path& to, const std::string& path) {
    experiments::SweepResult r = experiments::read_sweep_result(from);
    const std::size_t slash = path.find('/');
    const std::size_t second = path.find('/', slash + 1);
    const std::string group = path.substr(0, slash);
    const std::string id = path.substr(slash + 1, second - slash - 1);
    const std::string dataset = second == std::string::npos ? "" : path.substr(second + 1);
    if (group == "targets") {
        REQUIRE(std::erase_if(r.targets, [&](const auto& t) { return t.id == id; }) == 1);
    } else if (dataset.empty()) {
        REQUIRE(std::erase_if(r.indicators, [&](const auto& c) { return c.id == id; }) == 1);
    } else {
        const auto c = std::find_if(r.indicators.begin(), r.indicators.end(),
                                    [&](const auto& i) { return i.id == id; });
        REQUIRE(c != r.indicators.end());
        REQUIRE((dataset == "finals" || dataset == "mean_path"));
        (dataset == "finals" ? c->finals : c->mean_path).clear();
    }
    experiments::write_sweep_result(to, r);
}

// TINY's two shards, s1.h5 and s2.h5, in `dir`.
void sweep_tiny_in_two_shards(const test::TempDir& dir) {
    for (const char* s : {"1", "2"}) {
        REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --shard " +
                                    std::string(s) + "/2 --out s" + s + ".h5")
                    .status == 0);
    }
}

} // namespace

TEST_CASE("canopy sweep gives the same datasets at 1 and 2 threads", "[regression][sweep]") {
    const test::TempDir dir;
    const Result one = run_canopy(dir, "sweep " + shell_quote(TINY) + " --threads 1 --out a.h5");
    const Result two = run_canopy(dir, "sweep " + shell_quote(TINY) + " --threads 2 --out b.h5");
    INFO(one.err + two.err);
    REQUIRE(one.status == 0);
    REQUIRE(two.status == 0);
    CHECK(one.out.find("canopy sweep: 24 points x 3 replicates") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"a.h5", "b.h5"}); // journals removed
    check_same(dir / "a.h5", dir / "b.h5");
    const experiments::SweepResult a = experiments::read_sweep_result(dir / "a.h5");
    CHECK(a.complete);
    CHECK(a.points() == 24);
    CHECK(a.targets.size() == 3);
    CHECK(a.indicators.at(0).finals.size() == 24 * 3);
    CHECK(a.indicators.at(0).mean_path.size() == 24 * 13);
    CHECK(a.time_labels.front() == "2022-12");
    CHECK(a.wall_seconds > 0.0);
    CHECK(a.build_id == experiments::build_id()); // the build that computed it
    // The list factor takes only its values; the range factors stay inside their ranges.
    for (const double v : a.values.at(2)) {
        CHECK((v == 2.0 || v == 3.0 || v == 4.0));
    }
    for (const double v : a.values.at(0)) {
        CHECK((v >= 2.0 && v <= 6.0));
    }
}

TEST_CASE("Three shards merged are the whole sweep", "[regression][sweep]") {
    const test::TempDir dir;
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --out whole.h5").status == 0);
    for (const char* s : {"1", "2", "3"}) {
        const Result r = run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard " +
                                             std::string(s) + "/3 --out s" + s + ".h5");
        INFO(r.err);
        REQUIRE(r.status == 0);
    }
    const experiments::SweepResult s2 = experiments::read_sweep_result(dir / "s2.h5");
    CHECK(s2.shard == "2/3");
    CHECK(s2.point_index == std::vector<std::uint64_t>{8, 9, 10, 11, 12, 13, 14, 15});
    const Result merged = run_canopy(dir, "merge s3.h5 s1.h5 s2.h5 --out merged.h5");
    INFO(merged.err);
    REQUIRE(merged.status == 0);
    check_same(dir / "whole.h5", dir / "merged.h5");
}

TEST_CASE("sweep and merge write through a symbolic --out and keep the link",
          "[regression][sweep]") {
    // output-format.md, "Symbolic links": the file the link names is replaced, or created when
    // it does not exist yet. An outside tester's sweep and merge replaced the link itself.
    const test::TempDir dir;
    fs::create_directory(dir / "store");
    test::write_file(dir / "store" / "old.h5", "old");
    fs::create_symlink("store/old.h5", dir / "link.h5");
    fs::create_symlink("store/new.h5", dir / "dangling.h5");
    fs::create_symlink("store/merged.h5", dir / "merged.h5");
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --out link.h5").status == 0);
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --out dangling.h5").status ==
            0);
    sweep_tiny_in_two_shards(dir);
    const Result merged = run_canopy(dir, "merge s1.h5 s2.h5 --quiet --out merged.h5");
    INFO(merged.err);
    REQUIRE(merged.status == 0);
    for (const char* link : {"link.h5", "dangling.h5", "merged.h5"}) {
        INFO(link);
        CHECK(fs::is_symlink(fs::symlink_status(dir / link)));
    }
    check_same(dir / "store" / "old.h5", dir / "store" / "new.h5");
    check_same(dir / "store" / "old.h5", dir / "store" / "merged.h5");
    CHECK(entries(dir / "store") == std::vector<std::string>{"merged.h5", "new.h5", "old.h5"});
}

TEST_CASE("An output that is a loop of links is refused, exit 2, the links kept",
          "[regression][sweep]") {
    // An outside tester's loop became a regular file, exit 0, for every command's outputs.
    const test::TempDir dir;
    fs::create_symlink("b.h5", dir / "a.h5");
    fs::create_symlink("a.h5", dir / "b.h5");
    fs::create_symlink("b.json", dir / "a.json");
    fs::create_symlink("a.json", dir / "b.json");
    const Result sweep = run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --out a.h5");
    CHECK(sweep.status == 2);
    CHECK(sweep.err.find("'a.h5' is a symbolic link that leads back to itself (a loop of links)") !=
          std::string::npos);
    const Result run = run_canopy(dir, "run " + shell_quote(SWEEPS + "/tiny-scenario.toml") +
                                           " --replicates 2 --quiet --json a.json");
    CHECK(run.status == 2);
    CHECK(run.err.find("a loop of links") != std::string::npos);
    for (const char* link : {"a.h5", "b.h5", "a.json", "b.json"}) {
        INFO(link);
        CHECK(fs::is_symlink(fs::symlink_status(dir / link)));
    }
    CHECK(entries(dir.path()) == std::vector<std::string>{"a.h5", "a.json", "b.h5", "b.json"});
}

TEST_CASE("sweep and merge into a full stdout fail, and say their result was written",
          "[regression][sweep]") {
    // The result is what hours of runs are for: a closing line that cannot be printed does not
    // cost it, but the exit is still a failure (1), said with what was kept.
    const test::TempDir dir;
    const Result whole =
        run_canopy(dir, "sweep " + shell_quote(TINY) + " --out whole.h5", " >/dev/full");
    INFO(whole.err);
    CHECK(whole.status == 1);
    CHECK(whole.err.find("cannot write to standard output") != std::string::npos);
    CHECK(whole.err.find("the result 'whole.h5' was written") != std::string::npos);
    sweep_tiny_in_two_shards(dir);
    const Result merged = run_canopy(dir, "merge s1.h5 s2.h5 --out merged.h5", " >/dev/full");
    INFO(merged.err);
    CHECK(merged.status == 1);
    CHECK(merged.err.find("the result 'merged.h5' was written") != std::string::npos);
    // Both are whole results, and no journal is left.
    CHECK(entries(dir.path()) ==
          std::vector<std::string>{"merged.h5", "s1.h5", "s2.h5", "whole.h5"});
    check_same(dir / "whole.h5", dir / "merged.h5");
}

TEST_CASE("A sweep says it does not apply the scenario's precision", "[regression][sweep]") {
    // An outside probe: a point at the scenario's own settings ran all its replicates, while
    // `canopy run` of the scenario stopped early under its precision key, and nothing said why
    // the two differ. A point is `canopy run --replicates N` bit for bit; the sweep now says so.
    const test::TempDir dir;
    test::write_file(dir / "scenario.toml",
                     "extends = " + nlohmann::json(SWEEPS + "/tiny-scenario.toml").dump() +
                         "\n[scenario]\nname = \"tiny_precision\"\nreplicates = 40\n"
                         "precision = 0.2\n");
    test::write_file(dir / "sweep.toml", "[sweep]\nscenario = \"scenario.toml\"\ndesign = "
                                         "\"grid\"\n[factors.edges_per_firm]\nvalues = [3]\n");
    const Result r = run_canopy(dir, "sweep sweep.toml --out s.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("canopy sweep: note: the scenario's precision (0.2) is not applied: every "
                     "point runs all 40 replicates") != std::string::npos);
    CHECK(experiments::read_sweep_result(dir / "s.h5").replicates == 40);
    CHECK(run_canopy(dir, "sweep sweep.toml --out q.h5 -q").err.empty());
}

TEST_CASE("canopy merge names missing points and writes nothing", "[regression][sweep]") {
    const test::TempDir dir;
    for (const char* s : {"1", "3"}) {
        REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard " + std::string(s) +
                                    "/3 --out s" + s + ".h5")
                    .status == 0);
    }
    const Result r = run_canopy(dir, "merge s1.h5 s3.h5 --out merged.h5");
    CHECK(r.status == 2);
    CHECK(r.err.find("16 of 24 points; missing: 8-15 (shard 2/3 of the split: rerun it)") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(dir / "merged.h5"));
    const Result twice = run_canopy(dir, "merge s1.h5 s1.h5 s3.h5 --out merged.h5");
    CHECK(twice.status == 2);
    CHECK(twice.err.find("is shard 1/3 again") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "merged.h5"));
}

TEST_CASE("canopy merge refuses shards of another sweep file or Canopy version",
          "[regression][sweep]") {
    const test::TempDir dir;
    std::string other = test::read_file(TINY);
    other.replace(other.find("seed = 11"), 9, "seed = 12");
    test::write_file(dir / "other.toml",
                     "# a copy with another seed\n" +
                         std::string(other).replace(other.find("tiny-scenario.toml"), 18,
                                                    SWEEPS + "/tiny-scenario.toml"));
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 1/2 --out s1.h5").status == 0);
    REQUIRE(run_canopy(dir, "sweep other.toml --shard 2/2 --out s2.h5").status == 0);
    const Result r = run_canopy(dir, "merge s1.h5 s2.h5 --out merged.h5");
    CHECK(r.status == 2);
    // The seed is named (it once said only "a different sweep file"), and the other lines the copy
    // changed are said to differ too.
    CHECK(r.err.find("s2.h5: error: comes from a different seed than s1.h5: seed 12 against 11 "
                     "(and its sweep file differs in other lines too)") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "merged.h5"));

    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 2/2 --out s2.h5").status == 0);
    experiments::SweepResult old = experiments::read_sweep_result(dir / "s2.h5");
    old.engine_version = "0.0.1";
    experiments::write_sweep_result(dir / "old.h5", old);
    const Result v = run_canopy(dir, "merge s1.h5 old.h5 --out merged.h5");
    CHECK(v.status == 2);
    CHECK(v.err.find("different Canopy version (0.0.1 vs ") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "merged.h5"));
    CHECK(run_canopy(dir, "merge s1.h5 s2.h5 --out merged.h5").status == 0);
}

// The version alone did not tell builds apart: the project has changed model bits without
// changing it, and a shard of another build was merged without a word (an outside tester).
TEST_CASE("canopy merge refuses a shard of another build, naming both builds",
          "[regression][sweep][merge]") {
    const test::TempDir dir;
    for (const char* s : {"1", "2", "3"}) {
        REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --shard " +
                                    std::string(s) + "/3 --out s" + s + ".h5")
                    .status == 0);
    }
    const std::string ours = experiments::build_id();
    // What another build writes of the same sweep: its own build id, and so another fingerprint.
    experiments::SweepResult other = experiments::read_sweep_result(dir / "s3.h5");
    REQUIRE(other.build_id == ours);
    other.build_id = "0123456789abcdef";
    other.fingerprint = "ffffffffffffffffffffffffffffffff";
    experiments::write_sweep_result(dir / "o3.h5", other);
    const Result r = run_canopy(dir, "merge s1.h5 s2.h5 o3.h5 --out m.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("o3.h5: error: comes from another build of Canopy than s1.h5 (build_id "
                     "0123456789abcdef, s1.h5 has " +
                     ours +
                     "): two builds may compute other numbers from the same inputs; rerun shard "
                     "3/3 (canopy sweep SWEEP.toml --shard 3/3) with the canopy that wrote the "
                     "others, or every shard with one canopy (allowed: shards of one build)") !=
          std::string::npos);
    CHECK(r.err.find("canopy merge: nothing was written") != std::string::npos);
    // A shard of a build from before builds were recorded is another build too.
    other.build_id.clear();
    experiments::write_sweep_result(dir / "o3.h5", other);
    const Result old = run_canopy(dir, "merge s1.h5 s2.h5 o3.h5 --out m.h5");
    CHECK(old.status == 2);
    CHECK(old.err.find("(build_id none recorded: a build from before Canopy recorded it, s1.h5 "
                       "has " +
                       ours + ")") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "m.h5"));
    CHECK(run_canopy(dir, "merge s1.h5 s2.h5 s3.h5 --quiet --out m.h5").status == 0);
    CHECK(experiments::read_sweep_result(dir / "m.h5").build_id == ours);
}

// A shard whose checksum is deleted after an edit (0.999, impossible with 3 replicates) was
// merged without a word into a result with a fresh, valid checksum, and read by sensitivity.
TEST_CASE("canopy merge and sensitivity refuse a shard without a checksum, naming it",
          "[regression][sweep][merge]") {
    const test::TempDir dir;
    for (const char* s : {"1", "2", "3"}) {
        REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --shard " +
                                    std::string(s) + "/3 --out s" + s + ".h5")
                    .status == 0);
    }
    const std::string target = experiments::read_sweep_result(dir / "s2.h5").targets.at(0).id;
    {
        const hid_t f = H5Fopen((dir / "s2.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(f >= 0);
        const hid_t d = H5Dopen2(f, ("/targets/" + target + "/p_attain").c_str(), H5P_DEFAULT);
        REQUIRE(d >= 0);
        std::vector<double> p(8);
        REQUIRE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) >= 0);
        p[0] = 0.999;
        REQUIRE(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) >= 0);
        H5Dclose(d);
        H5Fclose(f);
    }
    const Result damaged = run_canopy(dir, "merge s1.h5 s2.h5 s3.h5 --out x.h5");
    CHECK(damaged.status == 2);
    CHECK(damaged.err.find("the file is damaged") != std::string::npos);
    test::drop_root_attribute(dir / "s2.h5", "checksum");
    const std::string said = "error: cannot read sweep result 's2.h5': it has no checksum (root "
                             "attribute 'checksum'), so its data cannot be checked: it was "
                             "written by a Canopy from before result files had one, or edited "
                             "after it was written; rerun shard 2/3 (canopy sweep SWEEP.toml "
                             "--shard 2/3) to write it again\n";
    const Result merged = run_canopy(dir, "merge s1.h5 s2.h5 s3.h5 --out x.h5");
    INFO(merged.err);
    CHECK(merged.status == 2);
    CHECK(merged.err == "canopy merge: " + said + "canopy merge: nothing was written\n");
    const Result sensitivity = run_canopy(dir, "sensitivity s2.h5");
    INFO(sensitivity.err);
    CHECK(sensitivity.status == 2);
    CHECK(sensitivity.err.find("canopy sensitivity: " + said) != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"s1.h5", "s2.h5", "s3.h5"});
}

TEST_CASE("Bad sweep files are refused with their place and nothing is written",
          "[regression][sweep]") {
    expect_refused(
        with_scenario("design = \"lhs\"\npoints = 4\n"
                      "[factors.births_per_mnth]\nmin = 1\nmax = 2\n"),
        "bad.toml:5:1: error: factors.births_per_mnth: ", "did you mean 'births_per_month'?");
    expect_refused(
        with_scenario("design = \"lhs\"\npoints = 4\n"
                      "[factors.births_per_month]\nmin = 5\nmax = 2\n"),
        "bad.toml:7:7: error: factors.births_per_month.max: ", "max (2) must exceed min (5)");
    expect_refused(with_scenario("design = \"saltelli\"\npoints = 1\n"
                                 "[factors.births_per_month]\nmin = 1\nmax = 2\n"),
                   "bad.toml:4:10: error: sweep.points: ", "saltelli");
    expect_refused(with_scenario("design = \"grid\"\npoints = 5\n"
                                 "[factors.edges_per_firm]\nvalues = [2, 3]\n"),
                   "bad.toml:4:10: error: sweep.points: ",
                   "a grid of these factors' levels has 2 points, not 5");
    expect_refused(with_scenario("design = \"sobl\"\npoints = 4\n"
                                 "[factors.births_per_month]\nmin = 1\nmax = 2\n"),
                   "bad.toml:3:10: error: sweep.design: ", "did you mean 'sobol'?");
    expect_refused(with_scenario("design = \"lhs\"\npoints = 4\n"
                                 "[factors.edges_per_firm]\nmin = 1\nmax = 100\n"),
                   "bad.toml:7:7: error: factors.edges_per_firm.max: ",
                   "100 is outside the allowed range [1, 64]");
    expect_refused(test::read_file(SWEEPS + "/tiny-scenario.toml"),
                   "bad.toml:4:", "error: sweep: this is a scenario file, not a sweep file");
    expect_refused(with_scenario("design = \"morris\"\npoints = 4\nlevels = 3\n"
                                 "[factors.births_per_month]\nmin = 1\nmax = 2\n"),
                   "bad.toml:5:10: error: sweep.levels: ",
                   "morris needs an even number of levels, at least 2, not 3");
    // Beside a factor's error too: it was said only once the factor was fixed.
    expect_refused(with_scenario("design = \"morris\"\npoints = 4\nlevels = 3\n"
                                 "[factors.edges_per_firm]\nmin = 1\nmax = 100\n"),
                   "bad.toml:5:10: error: sweep.levels: ",
                   "morris needs an even number of levels, at least 2, not 3");
    expect_refused(with_scenario("design = \"morris\"\npoints = 4\nlevels = 3\n"
                                 "[factors.edges_per_firm]\nmin = 1\nmax = 100\n"),
                   "error: factors.edges_per_firm.max: ", "100 is outside the allowed range");
    // The grid's limit is the design's, 10^7 points, whatever the size (it said 10^8 here).
    expect_refused(with_scenario("design = \"grid\"\nlevels = 1000000\n"
                                 "[factors.lever_sme]\nmin = 0.5\nmax = 1.5\n"
                                 "[factors.lever_high_tech]\nmin = 0.5\nmax = 1.5\n"),
                   "bad.toml:",
                   "a grid of these factors' levels is 1000000000000 design points, more than "
                   "the limit of 10000000");
    expect_refused(with_scenario("design = \"grid\"\nlevels = 1000000\n"
                                 "[factors.lever_incubated]\nmin = 0.5\nmax = 1.5\n"
                                 "[factors.lever_sme]\nmin = 0.5\nmax = 1.5\n"
                                 "[factors.lever_high_tech]\nmin = 0.5\nmax = 1.5\n"),
                   "bad.toml:",
                   "a grid of these factors' levels is 1000000000000000000 design points, more "
                   "than the limit of 10000000");
    // Keys that would be ignored or are given twice are errors, not silently dropped.
    for (const char* design : {"lhs", "sobol", "saltelli"}) {
        expect_refused(with_scenario("design = \"" + std::string(design) +
                                     "\"\npoints = 4\nlevels = 7\n"
                                     "[factors.births_per_month]\nmin = 1\nmax = 2\n"),
                       "bad.toml:5:10: error: sweep.levels: ",
                       "'levels' applies to grid and morris designs only, not " +
                           std::string(design));
    }
    expect_refused(with_scenario("design = \"lhs\"\npoints = 4\n"
                                 "outputs = [\"finals\", \"mean_paths\", \"finals\"]\n"
                                 "[factors.births_per_month]\nmin = 1\nmax = 2\n"),
                   "bad.toml:5:", "error: sweep.outputs[2]: output 'finals' is listed twice");
    expect_refused("[sweep]\nscenario = \"nowhere.toml\"\ndesign = \"lhs\"\npoints = 4\n"
                   "[factors.x]\nmin = 1\nmax = 2\n",
                   "bad.toml:2:12: error: sweep.scenario: ", "cannot be used");
}

TEST_CASE("A shard that does not exist is refused", "[regression][sweep]") {
    const test::TempDir dir;
    const Result r = run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 3/2 --out s.h5");
    CHECK(r.status == 2);
    CHECK(r.err.find("--shard: shard 3/2 does not exist") != std::string::npos);
    CHECK(entries(dir.path()).empty());
    CHECK(run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 1of2 --out s.h5").status == 2);
    const Result zero = run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 1/0 --out s.h5");
    CHECK(zero.status == 2);
    CHECK(zero.err.find("--shard: shard 1/0 does not exist: n must be at least 1") !=
          std::string::npos);
    CHECK(entries(dir.path()).empty());
    // More shards than points: shard 1/25 of 24 points would hold none and merge to nothing.
    const Result many = run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 1/25 --out s.h5");
    CHECK(many.status == 2);
    CHECK(many.err.find("--shard: 1/25 splits the sweep into 25 shards, but its design has only "
                        "24 points (allowed: n from 1 to 24)") != std::string::npos);
    CHECK(entries(dir.path()).empty());
    CHECK(run_canopy(dir, "sweep " + shell_quote(TINY) + " --shard 24/24 --quiet --out s.h5")
              .status == 0);
    CHECK(experiments::read_sweep_result(dir / "s.h5").point_index ==
          std::vector<std::uint64_t>{23});
}

TEST_CASE("A sweep killed with SIGKILL and resumed gives the uninterrupted result",
          "[regression][sweep]") {
    const test::TempDir dir;
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --quiet --out whole.h5").status ==
            0);

    // Start the same sweep, and kill it once it has journalled some points.
    const fs::path out = dir / "killed.h5";
    const fs::path journal = dir / "killed.h5.journal";
    const int status = kill_once_journalled(
        {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", out.string()}, journal, 20,
        std::chrono::seconds(60));
    REQUIRE(WIFSIGNALED(status)); // killed part-way, not finished
    CHECK_FALSE(fs::exists(out));
    std::size_t end = 0;
    const std::size_t records = journal_records(journal, &end);
    REQUIRE(records >= 20);
    REQUIRE(records < 400);

    // Without --resume the journal is not overwritten.
    const Result refused = run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --out killed.h5");
    CHECK(refused.status == 2);
    CHECK(refused.err.find("add --resume") != std::string::npos);

    // Tear the last record as a kill mid-write would: it is dropped and its point recomputed.
    fs::resize_file(journal, end - 3);
    const Result resumed =
        run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --resume --out killed.h5");
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(resumed.out.find("(" + std::to_string(records - 1) + " read back from the journal)") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(journal));
    check_same(dir / "whole.h5", out);
}

// The lock file was left after Ctrl-C or a scheduler's SIGTERM, though only kill -9 can leave it.
TEST_CASE("A sweep interrupted by a signal removes its lock and says how to resume",
          "[regression][sweep][journal]") {
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        const test::TempDir dir;
        const fs::path out = dir / "i.h5";
        const fs::path journal = dir / "i.h5.journal";
        const int status = kill_once_journalled(
            {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", out.string()}, journal, 5,
            std::chrono::seconds(60), signal_number, dir / "err.txt");
        INFO("signal " << signal_number);
        REQUIRE(WIFSIGNALED(status)); // ended by the signal, as without the handler
        CHECK(WTERMSIG(status) == signal_number);
        CHECK(entries(dir.path()) == std::vector<std::string>{"err.txt", "i.h5.journal"});
        CHECK(test::read_file(dir / "err.txt") ==
              "canopy sweep: interrupted; the points done are kept in the journal '" +
                  journal.string() + "': continue with\n  " + CANOPY + " sweep " + TINY_LONG +
                  " --resume --out " + out.string() + " --threads 1\n");
    }
}

TEST_CASE("sweep --resume refuses a journal of another sweep or a foreign file with exit 2",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    // A journal of another experiment: what a sweep killed before its seed was changed leaves.
    {
        auto nothing = std::make_unique<NoPoints>();
        experiments::Experiment other;
        other.fingerprint = experiments::with_build("another-experiment"); // this build's
        experiments::journalled(std::move(nothing), dir / "l.h5.journal")->evaluate(other, {});
    }
    const std::string journal = test::read_file(dir / "l.h5.journal");
    const Result r = run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out l.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("canopy sweep: error: --resume: journal 'l.h5.journal' belongs to another "
                     "experiment: the sweep file, its scenario or posterior, the seed, the "
                     "replicates or the Canopy version changed since it was written; resume with "
                     "what it was written for, or remove it and run without --resume") !=
          std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"l.h5.journal"});
    CHECK(test::read_file(dir / "l.h5.journal") == journal);

    // A file that is not a journal at all.
    test::write_file(dir / "g.h5.journal", "not a journal, and long enough to have a header\n");
    const Result g = run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out g.h5");
    CHECK(g.status == 2);
    CHECK(g.err.find("canopy sweep: error: --resume: 'g.h5.journal' is not a Canopy journal; "
                     "remove it and run without --resume to start again") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"g.h5.journal", "l.h5.journal"});

    // Fewer bytes than the header's 16 that do not begin it: not a header cut off by a kill,
    // so not taken over and deleted (an outside probe: `printf junk > out.h5.journal`).
    test::write_file(dir / "j.h5.journal", "junk");
    const Result j = run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out j.h5");
    CHECK(j.status == 2);
    CHECK(j.err.find("canopy sweep: error: --resume: 'j.h5.journal' is not a Canopy journal; "
                     "remove it and run without --resume to start again") != std::string::npos);
    CHECK(test::read_file(dir / "j.h5.journal") == "junk");
    CHECK_FALSE(fs::exists(dir / "j.h5"));
}

TEST_CASE("a sweep's journal and a calibration's are told apart at the same --out",
          "[regression][sweep][journal]") {
    // Each command called the other's journal an interrupted run of its own and asked for
    // --resume, which then refused it as another experiment's (an outside tester's finding).
    const test::TempDir dir;
    const auto leave = [&](const std::string& journal, const std::string& fingerprint) {
        auto nothing = std::make_unique<NoPoints>();
        experiments::Experiment e;
        e.fingerprint = fingerprint;
        experiments::journalled(std::move(nothing), dir / journal)->evaluate(e, {});
    };
    leave("c.h5.journal", "0123456789abcdef0123456789abcdef:abc_smc:1"); // a calibration's
    const Result sweep = run_canopy(dir, "sweep " + shell_quote(TINY) + " --out c.h5");
    INFO(sweep.err);
    CHECK(sweep.status == 2);
    CHECK(sweep.err.find("--out: the journal 'c.h5.journal' is an interrupted calibration's "
                         "(canopy calibrate --out 'c.h5'), not a sweep's") != std::string::npos);
    CHECK(sweep.err.find("add --resume") == std::string::npos);
    leave("s.h5.journal", "0123456789abcdef0123456789abcdef"); // a sweep's
    const Result calibrate =
        run_canopy(dir, "calibrate " +
                            shell_quote(std::string(CANOPY_SOURCE_DIR) +
                                        "/tests/data/calibration/reference-quick.toml") +
                            " --out s.h5");
    INFO(calibrate.err);
    CHECK(calibrate.status == 2);
    CHECK(calibrate.err.find("--out: the journal 's.h5.journal' is an interrupted sweep's "
                             "(canopy sweep --out 's.h5'), not a calibration's") !=
          std::string::npos);
    CHECK(calibrate.err.find("add --resume") == std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.journal", "s.h5.journal"});

    // With --resume too: "belongs to another experiment: the sweep file ... changed" sent the
    // user looking for an edit that was never made. Journals of this build and of another.
    for (const std::string& build :
         {std::string(experiments::build_id()), std::string("0123456789abcdef")}) {
        INFO("build " + build);
        fs::remove(dir / "c.h5.journal");
        leave("c.h5.journal",
              experiments::with_build("0123456789abcdef0123456789abcdef:abc_smc:1", build));
        const Result resumed =
            run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out c.h5");
        INFO(resumed.err);
        CHECK(resumed.status == 2);
        CHECK(resumed.err.find("canopy sweep: error: --resume: the journal 'c.h5.journal' is an "
                               "interrupted calibration's (canopy calibrate --out 'c.h5'), not a "
                               "sweep's: give the sweep another --out, or remove the journal if "
                               "that calibration is not to be continued") != std::string::npos);
        CHECK(resumed.err.find("another experiment") == std::string::npos);
        fs::remove(dir / "s.h5.journal");
        leave("s.h5.journal", experiments::with_build("0123456789abcdef0123456789abcdef", build));
        const Result calibrate_resumed =
            run_canopy(dir, "calibrate " +
                                shell_quote(std::string(CANOPY_SOURCE_DIR) +
                                            "/tests/data/calibration/reference-quick.toml") +
                                " --resume --out s.h5");
        INFO(calibrate_resumed.err);
        CHECK(calibrate_resumed.status == 2);
        CHECK(calibrate_resumed.err.find("canopy calibrate: error: --resume: the journal "
                                         "'s.h5.journal' is an interrupted sweep's (canopy sweep "
                                         "--out 's.h5'), not a calibration's") !=
              std::string::npos);
        CHECK(calibrate_resumed.err.find("another experiment") == std::string::npos);
    }
    CHECK(entries(dir.path()) == std::vector<std::string>{"c.h5.journal", "s.h5.journal"});
}

// The version alone did not tell builds apart: a journal written by another build was resumed,
// mixing its points with this build's. Refused with both builds named, by sweep and calibrate.
TEST_CASE("sweep and calibrate --resume refuse a journal of another build, naming both",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    const auto leave = [&](const std::string& journal, const std::string& fingerprint) {
        auto nothing = std::make_unique<NoPoints>();
        experiments::Experiment e;
        e.fingerprint = fingerprint;
        experiments::journalled(std::move(nothing), dir / journal)->evaluate(e, {});
    };
    const std::string ours = experiments::build_id();
    // The sweep's own fingerprint, as another build with the same files would write it: the
    // journal of an interrupted `canopy sweep TINY --out w.h5` of that build.
    const Result design = run_canopy(dir, "sweep " + shell_quote(TINY) +
                                              " --design-only --quiet "
                                              "--out d.h5");
    REQUIRE(design.status == 0);
    const std::string sweep_fingerprint = experiments::read_sweep_result(dir / "d.h5").fingerprint;
    fs::remove(dir / "d.h5");
    for (const auto& [theirs, said] :
         {std::pair<std::string, std::string>{"0123456789abcdef", "0123456789abcdef"},
          {"", "none recorded: a build from before journals recorded it"}}) {
        INFO("their build '" + theirs + "'");
        fs::remove(dir / "w.h5.journal");
        leave("w.h5.journal", theirs.empty() ? sweep_fingerprint
                                             : experiments::with_build(sweep_fingerprint, theirs));
        const std::string journal = test::read_file(dir / "w.h5.journal");
        const Result r = run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out w.h5");
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("canopy sweep: error: --resume: journal 'w.h5.journal' was written by "
                         "another build of Canopy (build_id " +
                         said + "; this canopy is build_id " + ours +
                         "): two builds may compute other numbers from the same inputs, so its "
                         "points are not mixed with this build's; remove it and run without "
                         "--resume to start again with this build, or resume with the canopy "
                         "that wrote it") != std::string::npos);
        CHECK(test::read_file(dir / "w.h5.journal") == journal);
        CHECK(entries(dir.path()) == std::vector<std::string>{"w.h5.journal"});
    }

    // A calibration's: its journals' fingerprints start with the calibration's and end with the
    // build (calibration_common.cpp); another build's is refused before any run.
    const std::string quick = shell_quote(std::string(CANOPY_SOURCE_DIR) +
                                          "/tests/data/calibration/reference-quick.toml");
    const Result fresh = run_canopy(dir, "calibrate " + quick + " --quiet --out c.h5");
    INFO(fresh.err);
    REQUIRE(fresh.status == 0);
    CHECK(experiments::read_calibration_result(dir / "c.h5").build_id == ours);
    leave("c.h5.journal", experiments::with_build("0123456789abcdef0123456789abcdef:abc_smc:1",
                                                  "fedcba9876543210"));
    const Result c = run_canopy(dir, "calibrate " + quick + " --resume --out c.h5");
    INFO(c.err);
    CHECK(c.status == 2);
    CHECK(
        c.err.find("canopy calibrate: error: --resume: journal 'c.h5.journal' was written by "
                   "another build of Canopy (build_id fedcba9876543210; this canopy is build_id " +
                   ours + ")") != std::string::npos);
    CHECK(fs::exists(dir / "c.h5.journal"));
}

TEST_CASE("sweep --resume takes an empty journal or a cut-off header for a fresh start",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    for (const std::string& head : {std::string(), std::string("CANOPY-JOUR")}) {
        INFO(head);
        test::write_file(dir / "p.h5.journal", head);
        const Result r =
            run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --resume --out p.h5");
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(entries(dir.path()) == std::vector<std::string>{"p.h5"});
        fs::remove(dir / "p.h5");
    }
}

TEST_CASE("sweep --resume without a journal says so on stderr and starts from the first point",
          "[regression][sweep][journal]") {
    // Not refused (a batch script may pass --resume on every start), but not silent: a
    // mistyped --out would otherwise start over without a word.
    const test::TempDir dir;
    const Result r = run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --resume --out r.h5");
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.err == "canopy sweep: no journal 'r.h5.journal' to resume: starting from the first "
                   "point\n");
    CHECK(entries(dir.path()) == std::vector<std::string>{"r.h5"});
}

TEST_CASE("sweep --design-only refuses an --out whose interrupted sweep's journal exists",
          "[regression][sweep][journal]") {
    // The design written there would be replaced by the result of a later --resume.
    const test::TempDir dir;
    const int status = kill_once_journalled(
        {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", (dir / "dj.h5").string()},
        dir / "dj.h5.journal", 5, std::chrono::seconds(60), SIGKILL, dir / "err.txt");
    REQUIRE(WIFSIGNALED(status));
    fs::remove(dir / "err.txt");
    const std::string journal = test::read_file(dir / "dj.h5.journal");
    const Result r =
        run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --design-only --out dj.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("canopy sweep: error: --out: the journal 'dj.h5.journal' of an interrupted "
                     "sweep exists, and resuming it would write the sweep's result over this "
                     "design: give the design another --out") != std::string::npos);
    CHECK(r.err.find("nothing was run or written") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"dj.h5.journal"});
    CHECK(test::read_file(dir / "dj.h5.journal") == journal);
}

TEST_CASE("sweep and merge count one point, replicate and shard in the singular",
          "[regression][sweep]") {
    const test::TempDir dir;
    test::write_file(dir / "one.toml", with_scenario("design = \"grid\"\nreplicates = 1\n"
                                                     "[factors.edges_per_firm]\nvalues = [3]\n"));
    const Result one = run_canopy(dir, "sweep one.toml --shard 1/1 --out s.h5");
    INFO(one.err);
    REQUIRE(one.status == 0);
    CHECK(one.out.find("canopy sweep: 1 point x 1 replicate (shard 1/1 of 1 point) in ") == 0);
    const Result merged = run_canopy(dir, "merge s.h5 --out m.h5");
    INFO(merged.err);
    REQUIRE(merged.status == 0);
    CHECK(merged.out == "canopy merge: 1 shard, 1 point -> m.h5\n");
}

TEST_CASE("An --out that no file can be made in is refused before any work, even for root",
          "[regression][sweep][cli]") {
    // root passes access() for /proc, where no file can be created: found only when the result
    // was written (exit 1) until the check tried to create one.
    const test::TempDir dir;
    test::write_file(dir / "m.toml",
                     with_scenario("design = \"morris\"\npoints = 2\n"
                                   "replicates = 2\nseed = 5\n"
                                   "[factors.births_per_month]\nmin = 2\nmax = 6\n"
                                   "[factors.lever_high_tech]\nmin = 0.5\nmax = 2\n"));
    for (const char* shard : {"1", "2"}) {
        REQUIRE(run_canopy(dir, "sweep m.toml --quiet --shard " + std::string(shard) +
                                    "/2 --out s" + shard + ".h5")
                    .status == 0);
    }
    REQUIRE(run_canopy(dir, "merge s1.h5 s2.h5 --out m.h5").status == 0);
    const std::vector<std::string> before = entries(dir.path());
    const std::string quick =
        std::string(CANOPY_SOURCE_DIR) + "/tests/data/calibration/reference-quick.toml";
    for (const std::string& command :
         {std::string("sweep m.toml"), std::string("merge s1.h5 s2.h5"),
          std::string("sensitivity m.h5"), "run " + shell_quote(SWEEPS + "/tiny-scenario.toml"),
          "calibrate " + shell_quote(quick)}) {
        const Result r = run_canopy(dir, command + " --out /proc/x.h5");
        INFO(command + ": " + r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("error: --out: cannot write '/proc/x.h5': ") != std::string::npos);
        CHECK(entries(dir.path()) == before);
    }
}

TEST_CASE("A sweep whose largest point would not fit in memory is refused before it runs",
          "[regression][sweep]") {
    const test::TempDir dir;
    // At 50 million firms the point needs gigabytes: more than --max-memory 1G allows.
    test::write_file(dir / "big.toml",
                     with_scenario("design = \"grid\"\nreplicates = 1\n"
                                   "[factors.lever_high_tech]\nvalues = [1.5]\n"
                                   "[factors.firms]\nvalues = [500, 50000000]\n"));
    const Result r = run_canopy(dir, "sweep big.toml --threads 1 --max-memory 1G --out big.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("canopy sweep: error: design point 1 (firms = 50000000) would need ") !=
          std::string::npos);
    CHECK(r.err.find("more than --max-memory 1G; narrow the factor's range") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"big.toml"}); // no result, no journal
    // 4 billion firms (~160 GB) is more than the machine has: refused without --max-memory too,
    // where it used to end in std::bad_alloc (exit 1) and leave big.h5.journal behind.
    test::write_file(dir / "huge.toml", with_scenario("design = \"grid\"\nreplicates = 1\n"
                                                      "[factors.firms]\nvalues = [4000000000]\n"));
    const Result huge = run_canopy(dir, "sweep huge.toml --out huge.h5");
    INFO(huge.err);
    CHECK(huge.status == 2);
    CHECK(huge.err.find("design point 0 (firms = 4000000000) would need ") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"big.toml", "huge.toml"});
}

TEST_CASE("A sweep draws from its scenario's posterior as canopy run does",
          "[regression][sweep][posterior]") {
    const test::TempDir dir;
    write_posterior(dir / "p.h5");
    test::write_file(dir / "post.toml", "extends = \"" + SWEEPS +
                                            "/tiny-scenario.toml\"\n[scenario]\n"
                                            "name = \"tiny_posterior\"\nposterior = \"p.h5\"\n");
    // Point 0 scales a lever the posterior does not draw by 1: no override at all.
    test::write_file(dir / "s.toml", "[sweep]\nscenario = \"post.toml\"\ndesign = \"grid\"\n"
                                     "replicates = 6\nseed = 7\noutputs = [\"finals\"]\n"
                                     "[factors.lever_sme]\noverride = \"scale\"\n"
                                     "values = [1, 2]\n");
    const Result sweep = run_canopy(dir, "sweep s.toml --quiet --out s.h5");
    INFO(sweep.err);
    REQUIRE(sweep.status == 0);
    const Result run =
        run_canopy(dir, "run post.toml --seed 7 --replicates 6 --quiet --out run.h5");
    INFO(run.err);
    REQUIRE(run.status == 0);
    const experiments::SweepResult result = experiments::read_sweep_result(dir / "s.h5");
    REQUIRE(result.indicators.size() > 0);
    for (const experiments::IndicatorColumns& i : result.indicators) {
        INFO("indicator " + i.id);
        REQUIRE(i.finals.size() == 2 * 6);
        const std::vector<double> point0(i.finals.begin(), i.finals.begin() + 6);
        CHECK(same_bits(point0, run_finals(dir / "run.h5", i.id)));
    }

    // Shards run against another posterior in the same file are another experiment.
    REQUIRE(run_canopy(dir, "sweep s.toml --quiet --shard 1/2 --out s1.h5").status == 0);
    write_posterior(dir / "p.h5", 1.0);
    REQUIRE(run_canopy(dir, "sweep s.toml --quiet --shard 2/2 --out s2.h5").status == 0);
    const Result merged = run_canopy(dir, "merge s1.h5 s2.h5 --out m.h5");
    CHECK(merged.status == 2);
    // Named: the posterior's draws, not "a different experiment (fingerprint ...)" alone.
    CHECK(merged.err.find("s2.h5: error: comes from a different posterior than s1.h5: the "
                          "scenario of both names 'p.h5', but its draws differ (the file was "
                          "written again between the shards; fingerprint ") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "m.h5"));

    // A posterior that does not fit is the scenario's error, at its key.
    test::write_file(dir / "p.h5", "not HDF5");
    const Result bad = run_canopy(dir, "sweep s.toml --quiet --out bad.h5");
    CHECK(bad.status == 2);
    CHECK(bad.err.find("post.toml:4:13: error: scenario.posterior: ") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "bad.h5"));
}

TEST_CASE("A design-only sweep writes the design and nothing else", "[regression][sweep]") {
    const test::TempDir dir;
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --design-only --out d.h5").status ==
            0);
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --out full.h5").status == 0);
    const experiments::SweepResult d = experiments::read_sweep_result(dir / "d.h5");
    const experiments::SweepResult full = experiments::read_sweep_result(dir / "full.h5");
    CHECK_FALSE(d.complete);
    CHECK(d.targets.empty());
    CHECK(d.indicators.empty());
    CHECK(same_bits(d.unit.u, full.unit.u));
    CHECK(same_bits(d.values.at(1), full.values.at(1)));
    CHECK(d.fingerprint == full.fingerprint);
}

TEST_CASE("canopy validate checks sweep files as canopy sweep does, running nothing",
          "[regression][sweep]") {
    const test::TempDir dir;
    // The shipped sweeps and the test sweep, alongside a scenario, in one call; --strict too.
    const std::string shipped =
        shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023-sweep.toml") + " " +
        shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023-morris.toml");
    const Result ok = run_canopy(dir, "validate --strict " + shipped + " " + shell_quote(TINY) +
                                          " " + shell_quote(REFERENCE));
    INFO(ok.err);
    CHECK(ok.status == 0);
    CHECK(ok.out.find("tiny.toml (sweep: sobol design over 3 factor(s), 3 replicates per "
                      "point)") != std::string::npos);
    CHECK(ok.out.find("wuhan-2023-morris.toml (sweep: morris design") != std::string::npos);
    CHECK(ok.out.find("ok: " + REFERENCE + "\n") != std::string::npos);

    // A bad sweep file: the same diagnostic as canopy sweep gives, exit 2, nothing written.
    test::write_file(dir / "bad.toml",
                     with_scenario("design = \"lhs\"\npoints = 4\n"
                                   "[factors.births_per_mnth]\nmin = 1\nmax = 2\n"));
    const Result bad = run_canopy(dir, "validate bad.toml " + shell_quote(TINY));
    CHECK(bad.status == 2);
    CHECK(bad.err.find("bad.toml:5:1: error: factors.births_per_mnth: ") != std::string::npos);
    CHECK(bad.err.find("did you mean 'births_per_month'?") != std::string::npos);
    CHECK(bad.out.find("ok: " + TINY) != std::string::npos); // the other file is still checked
    CHECK(entries(dir.path()) == std::vector<std::string>{"bad.toml"});
}

TEST_CASE("canopy merge refuses a shard with a target, indicator or dataset deleted",
          "[regression][sweep][merge]") {
    const test::TempDir dir;
    for (const char* s : {"1", "2", "3"}) {
        REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --shard " +
                                    std::string(s) + "/3 --out s" + s + ".h5")
                    .status == 0);
    }
    for (const std::string deleted :
         {"targets/leaders_2023", "indicators/exits_2023", "indicators/exits_2023/finals",
          "indicators/leaders_2023/mean_path"}) {
        copy_without(dir / "s2.h5", dir / "e2.h5", deleted);
        // The edited shard second (its lists shorter than the first's) and first (the others
        // then have what it lacks): exit 2 naming a shard and what differs, nothing written.
        for (const std::string order : {"s1.h5 e2.h5 s3.h5", "e2.h5 s1.h5 s3.h5"}) {
            const Result r = run_canopy(dir, "merge " + order + " --out m.h5");
            INFO(deleted + ", merge " + order + "\n" + r.err);
            CHECK(r.status == 2);
            const bool edited_first = order.front() == 'e';
            CHECK(r.err.find(edited_first ? "s1.h5: error: " : "e2.h5: error: ") !=
                  std::string::npos);
            CHECK(r.err.find("/" + deleted) != std::string::npos);
            CHECK(r.err.find("canopy merge: nothing was written") != std::string::npos);
            CHECK_FALSE(fs::exists(dir / "m.h5"));
        }
    }
}

// HDF5 checksums its headers but not a contiguous dataset's data: before the result files carried
// a checksum of their own, a bit flipped in a shard's p_attain was merged without a word.
TEST_CASE("canopy merge refuses a shard damaged on disk, naming it, and writes nothing",
          "[regression][sweep][merge]") {
    const test::TempDir dir;
    sweep_tiny_in_two_shards(dir);
    REQUIRE(run_canopy(dir, "merge s1.h5 s2.h5 --quiet --out m.h5").status == 0);
    const std::string merged = test::read_file(dir / "m.h5");
    const std::string target = experiments::read_sweep_result(dir / "s2.h5").targets.at(0).id;

    test::flip_data_bit(dir / "s2.h5", "/targets/" + target + "/p_attain");
    for (const std::string out : {"m.h5", "new.h5"}) {
        const Result r = run_canopy(dir, "merge s1.h5 s2.h5 --out " + out);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("canopy merge: error: cannot read sweep result 's2.h5': the file is "
                         "damaged: its data changed on disk after Canopy wrote it") !=
              std::string::npos);
        CHECK(r.err.find("rerun shard 2/2 (canopy sweep SWEEP.toml --shard 2/2)") !=
              std::string::npos);
        CHECK(r.err.find("canopy merge: nothing was written") != std::string::npos);
        CHECK(r.out.empty());
    }
    // The earlier merge is left as it was, and no new file appears.
    CHECK(test::read_file(dir / "m.h5") == merged);
    CHECK(entries(dir.path()) == std::vector<std::string>{"m.h5", "s1.h5", "s2.h5"});
}

// HDF5 trusts the length a global heap object records: one bit flipped there (the tester's
// gcol.py) crashed merge and sensitivity with SIGSEGV or "free(): invalid pointer".
TEST_CASE("canopy merge and sensitivity refuse a shard whose global heap is damaged, exit 2",
          "[regression][sweep][merge]") {
    const test::TempDir dir;
    sweep_tiny_in_two_shards(dir);
    std::string bytes = test::read_file(dir / "s2.h5");
    const std::size_t gcol = bytes.find("GCOL");
    REQUIRE(gcol != std::string::npos);
    const std::size_t name = bytes.find("births_per_month", gcol);
    REQUIRE(name != std::string::npos);
    bytes[name - 3] = static_cast<char>(bytes[name - 3] ^ 0x10); // the object's length, ~2^44
    test::write_file(dir / "s2.h5", bytes);
    for (const std::string command : {"merge s1.h5 s2.h5 --out m.h5", "sensitivity s2.h5"}) {
        const Result r = run_canopy(dir, command);
        INFO(command + "\n" + r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("error: cannot read sweep result 's2.h5': the file is damaged: "
                         "attribute '") != std::string::npos);
        CHECK(r.err.find("refers to variable-length data in the global heap block at byte " +
                         std::to_string(gcol) + ", which holds object ") != std::string::npos);
        CHECK(r.out.empty());
    }
    CHECK(entries(dir.path()) == std::vector<std::string>{"s1.h5", "s2.h5"});
}

// The same for a posterior: a flipped bit in /weights would reweight every replicate's draw.
TEST_CASE("canopy run refuses a posterior damaged on disk, naming it, and writes nothing",
          "[regression][posterior]") {
    const test::TempDir dir;
    write_posterior(dir / "p.h5");
    const std::string run =
        "run " + shell_quote(SWEEPS + "/tiny-scenario.toml") + " -n 2 -q --posterior p.h5 --out ";
    REQUIRE(run_canopy(dir, run + "good.h5").status == 0);
    test::flip_data_bit(dir / "p.h5", "/weights");
    const Result r = run_canopy(dir, run + "bad.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("--posterior: error: cannot read the calibration result 'p.h5': the file is "
                     "damaged: its data changed on disk after Canopy wrote it") !=
          std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"good.h5", "p.h5"});
}

TEST_CASE("canopy merge says which count differs and sums up overlapping points",
          "[regression][sweep][merge]") {
    const test::TempDir dir;
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --out full.h5").status == 0);
    sweep_tiny_in_two_shards(dir);
    experiments::SweepResult edited = experiments::read_sweep_result(dir / "s2.h5");
    edited.points_total = 25;
    experiments::write_sweep_result(dir / "t2.h5", edited);
    const Result total = run_canopy(dir, "merge s1.h5 t2.h5 --out m.h5");
    INFO(total.err);
    CHECK(total.status == 2);
    CHECK(total.err.find("t2.h5: error: comes from a different experiment (points_total 25 vs "
                         "24) than s1.h5") != std::string::npos);

    // The whole sweep and a shard of it: one line, not one per point.
    const Result overlap = run_canopy(dir, "merge full.h5 s1.h5 --out m.h5");
    INFO(overlap.err);
    CHECK(overlap.status == 2);
    CHECK(overlap.err.find("s1.h5: error: holds 12 points that full.h5 holds too (0-11)") !=
          std::string::npos);
    CHECK(std::count(overlap.err.begin(), overlap.err.end(), '\n') == 2); // and "nothing written"
    CHECK_FALSE(fs::exists(dir / "m.h5"));
}

TEST_CASE("The same sweep file named another way resumes and merges as the same sweep",
          "[regression][sweep]") {
    // An outside probe: a sweep interrupted as `sweep slow.toml` was refused on `--resume` as
    // `sweep ./slow.toml`, and shards made from two directories would not merge, because the
    // fingerprint covered the scenario's file paths as spelled.
    const test::TempDir dir;
    fs::create_directory_symlink(SWEEPS, dir / "sw");
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY) + " --out whole.h5").status == 0);
    const std::vector<std::string> spellings = {shell_quote(TINY), "sw/tiny.toml",
                                                "sw/./tiny.toml"};
    for (std::size_t s = 0; s < spellings.size(); ++s) {
        const std::string shard = std::to_string(s + 1);
        const Result r = run_canopy(dir, "sweep " + spellings[s] + " --shard " + shard +
                                             "/3 --out s" + shard + ".h5");
        INFO(r.err);
        REQUIRE(r.status == 0);
    }
    const Result merged = run_canopy(dir, "merge s1.h5 s2.h5 s3.h5 --out merged.h5");
    INFO(merged.err);
    REQUIRE(merged.status == 0);
    check_same(dir / "whole.h5", dir / "merged.h5");

    // Killed as one spelling, resumed as another: the uninterrupted result's numbers.
    REQUIRE(run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --quiet --out long.h5").status ==
            0);
    const fs::path out = dir / "killed.h5";
    const int status = kill_once_journalled(
        {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", out.string()},
        dir / "killed.h5.journal", 20, std::chrono::seconds(60));
    REQUIRE(WIFSIGNALED(status));
    const Result resumed = run_canopy(dir, "sweep sw/./tiny-long.toml --resume --out killed.h5");
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(resumed.out.find("read back from the journal") != std::string::npos);
    const experiments::SweepResult a = experiments::read_sweep_result(dir / "long.h5");
    const experiments::SweepResult b = experiments::read_sweep_result(out);
    CHECK(a.fingerprint == b.fingerprint);
    CHECK(a.scenario_text != b.scenario_text); // each records the paths it was given
    CHECK(engine::scenario_content(a.scenario_text) == engine::scenario_content(b.scenario_text));
    REQUIRE(a.values.size() == b.values.size());
    for (std::size_t f = 0; f < a.values.size(); ++f) {
        CHECK(same_bits(a.values[f], b.values[f]));
    }
}

// A comment line added to the sweep file between array tasks made merge refuse the later shards
// ("different sweep file") though their data were bit-identical, and a waiting journal was
// refused: the fingerprint was over the file's text. It is over its settings now, as a
// calibration file's journal fingerprint is.
TEST_CASE("Comments and spacing in a sweep file change neither its merge nor its resume",
          "[regression][sweep]") {
    const test::TempDir dir;
    // TINY's settings, with the scenario named absolutely so that the copies can live here.
    const auto settings = [&](const std::string& file) {
        std::string text = test::read_file(file);
        text.replace(text.find("\"tiny-scenario.toml\""), 20,
                     "\"" + SWEEPS + "/tiny-scenario.toml\"");
        return text;
    };
    const auto commented = [](std::string text) {
        // A comment between tables, a blank line, spacing around '=' and a trailing comment.
        text.insert(text.find("[factors."), "\n# widened after shard 2 ran (no, only this note)\n");
        text.replace(text.find("replicates = "), 13, "replicates   =   ");
        text.replace(text.find("[sweep]"), 7, "[sweep]   # the settings");
        return text;
    };
    test::write_file(dir / "s.toml", settings(TINY));
    test::write_file(dir / "c.toml", commented(settings(TINY)));
    REQUIRE(test::read_file(dir / "s.toml") != test::read_file(dir / "c.toml"));
    REQUIRE(run_canopy(dir, "sweep s.toml --quiet --out whole.h5").status == 0);
    for (const char* s : {"1", "2"}) {
        REQUIRE(run_canopy(dir, "sweep s.toml --quiet --shard " + std::string(s) + "/3 --out s" +
                                    s + ".h5")
                    .status == 0);
    }
    REQUIRE(run_canopy(dir, "sweep c.toml --quiet --shard 3/3 --out s3.h5").status == 0);
    const Result merged = run_canopy(dir, "merge s1.h5 s2.h5 s3.h5 --quiet --out m.h5");
    INFO(merged.err);
    REQUIRE(merged.status == 0);
    const experiments::SweepResult whole = experiments::read_sweep_result(dir / "whole.h5");
    const experiments::SweepResult m = experiments::read_sweep_result(dir / "m.h5");
    CHECK(m.fingerprint == whole.fingerprint);
    REQUIRE(m.targets.size() == whole.targets.size());
    for (std::size_t t = 0; t < m.targets.size(); ++t) {
        CHECK(same_bits(m.targets[t].p_attain, whole.targets[t].p_attain));
    }
    REQUIRE(m.indicators.size() == whole.indicators.size());
    for (std::size_t i = 0; i < m.indicators.size(); ++i) {
        CHECK(same_bits(m.indicators[i].finals, whole.indicators[i].finals));
    }
    // A setting changed is still another sweep file.
    std::string other = settings(TINY);
    other.replace(other.find("replicates = 3"), 14, "replicates = 4");
    test::write_file(dir / "o.toml", other);
    REQUIRE(run_canopy(dir, "sweep o.toml --quiet --shard 3/3 --out o3.h5").status == 0);
    const Result refused = run_canopy(dir, "merge s1.h5 s2.h5 o3.h5 --out n.h5");
    CHECK(refused.status == 2);
    CHECK(refused.err.find("o3.h5: error: comes from a different sweep file than s1.h5") !=
          std::string::npos);

    // Killed, commented, resumed: its journal's points are read back.
    test::write_file(dir / "long.toml", settings(TINY_LONG));
    const int status = kill_once_journalled({"sweep", (dir / "long.toml").string(), "--quiet",
                                             "--threads", "1", "--out", (dir / "k.h5").string()},
                                            dir / "k.h5.journal", 5, std::chrono::seconds(60));
    REQUIRE(WIFSIGNALED(status));
    test::write_file(dir / "long.toml", commented(settings(TINY_LONG)));
    const Result resumed = run_canopy(dir, "sweep long.toml --resume --out k.h5");
    INFO(resumed.err);
    CHECK(resumed.status == 0);
    CHECK(resumed.out.find("read back from the journal") != std::string::npos);
}

TEST_CASE("sweep --resume refuses a journal whose header is damaged and keeps it",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    const fs::path journal = dir / "h.h5.journal";
    const int status = kill_once_journalled(
        {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", (dir / "h.h5").string()},
        journal, 5, std::chrono::seconds(60));
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(journal_records(journal) >= 5);
    std::string bytes = test::read_file(journal);
    bytes[30] = static_cast<char>(bytes[30] ^ 1); // inside the fingerprint
    test::write_file(journal, bytes);
    // Until it was refused, the points were silently dropped and all computed again.
    const Result r = run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --resume --out h.h5");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("canopy sweep: error: --resume: journal 'h.h5.journal' is damaged: its "
                     "header's checksum does not match its fingerprint (it was not started "
                     "afresh, as it may hold completed points)") != std::string::npos);
    CHECK(test::read_file(journal) == bytes);
    CHECK(entries(dir.path()) == std::vector<std::string>{"h.h5.journal"});
}

TEST_CASE("sweep --resume refuses a journal written for another shard, keeping its points",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    const fs::path journal = dir / "x.h5.journal";
    const int status = kill_once_journalled({"sweep", TINY_LONG, "--quiet", "--threads", "1",
                                             "--shard", "2/2", "--out", (dir / "x.h5").string()},
                                            journal, 5, std::chrono::seconds(60));
    REQUIRE(WIFSIGNALED(status));
    const std::string bytes = test::read_file(journal);
    const std::string sweep = "sweep " + shell_quote(TINY_LONG) + " --quiet --resume";
    const Result other = run_canopy(dir, sweep + " --shard 1/2 --out x.h5");
    INFO(other.err);
    CHECK(other.status == 2);
    CHECK(other.err.find("canopy sweep: error: --resume: journal 'x.h5.journal' was written for "
                         "shard 2/2 of this sweep, and this run asks for shard 1/2: its points "
                         "would not be used, and the journal would be removed with them; resume "
                         "with --shard 2/2, or give another --out") != std::string::npos);
    const Result whole = run_canopy(dir, sweep + " --out x.h5");
    CHECK(whole.status == 2);
    CHECK(whole.err.find("was written for shard 2/2 of this sweep, and this run asks for the "
                         "whole sweep") != std::string::npos);
    CHECK(test::read_file(journal) == bytes);
    CHECK(entries(dir.path()) == std::vector<std::string>{"x.h5.journal"});

    // The whole sweep's journal is not resumed as one shard either.
    const fs::path whole_journal = dir / "w.h5.journal";
    REQUIRE(WIFSIGNALED(kill_once_journalled(
        {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", (dir / "w.h5").string()},
        whole_journal, 5, std::chrono::seconds(60))));
    const Result shard = run_canopy(dir, sweep + " --shard 1/2 --out w.h5");
    CHECK(shard.status == 2);
    CHECK(shard.err.find("journal 'w.h5.journal' was written for the whole sweep, and this run "
                         "asks for shard 1/2") != std::string::npos);
    CHECK(fs::exists(whole_journal));

    // With the shard it was written for, it resumes.
    const Result same = run_canopy(dir, sweep + " --shard 2/2 --out x.h5");
    INFO(same.err);
    CHECK(same.status == 0);
    CHECK_FALSE(fs::exists(journal));
}

TEST_CASE("A sweep refuses an --out another process is writing, and clears dead temporaries",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    {
        std::string why;
        const auto held = experiments::OutputLock::take(dir / "cc.h5", why);
        REQUIRE(held);
        for (const char* resume : {"", " --resume"}) {
            const Result r =
                run_canopy(dir, "sweep " + shell_quote(TINY) + resume + " --quiet --out cc.h5");
            INFO(r.err);
            CHECK(r.status == 2);
            CHECK(r.err.find("canopy sweep: error: --out: 'cc.h5' is being written by another "
                             "process (pid " +
                             std::to_string(::getpid()) + " on host ") != std::string::npos);
            CHECK(entries(dir.path()) == std::vector<std::string>{"cc.h5.lock"});
        }
    }
    // A result-sized temporary of a writer killed while writing goes once the lock is held.
    test::write_file(dir / "cc.h5.tmp.999999999.0", "a half-written result");
    const Result r = run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --out cc.h5");
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(entries(dir.path()) == std::vector<std::string>{"cc.h5"});
}

TEST_CASE("A directory of the journal's name is refused as no journal, with exit 2",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    fs::create_directory(dir / "d.h5.journal");
    const Result resumed = run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out d.h5");
    INFO(resumed.err);
    CHECK(resumed.status == 2);
    CHECK(resumed.err.find("canopy sweep: error: --resume: 'd.h5.journal' is not a Canopy journal "
                           "but a directory; remove it and run without --resume") !=
          std::string::npos);
    const Result fresh = run_canopy(dir, "sweep " + shell_quote(TINY) + " --out d.h5");
    INFO(fresh.err);
    CHECK(fresh.status == 2);
    CHECK(fresh.err.find("canopy sweep: error: --out: 'd.h5.journal' is not a Canopy journal but "
                         "a directory; remove it, or give another --out") != std::string::npos);
    CHECK(fresh.err.find("interrupted") == std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"d.h5.journal"});
}

// A dangling link was opened through, failed (exit 1) and was then removed; a link to a new file
// was written through and only the link removed, orphaning the journal it named.
TEST_CASE("A journal path that is a symbolic link is refused with exit 2 and left as it is",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    fs::create_directory(dir / "elsewhere");
    for (const std::string target : {"/nonexistent/x", "elsewhere/j"}) {
        fs::create_symlink(target, dir / "l.h5.journal");
        const Result resumed =
            run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --resume --out l.h5");
        INFO(resumed.err);
        CHECK(resumed.status == 2);
        CHECK(resumed.err.find("canopy sweep: error: --resume: 'l.h5.journal' is not a Canopy "
                               "journal but a symbolic link (to '" +
                               target + "')") != std::string::npos);
        const Result fresh = run_canopy(dir, "sweep " + shell_quote(TINY) + " --quiet --out l.h5");
        INFO(fresh.err);
        CHECK(fresh.status == 2);
        CHECK(fresh.err.find("canopy sweep: error: --out: 'l.h5.journal' is not a Canopy journal "
                             "but a symbolic link") != std::string::npos);
        CHECK(fs::is_symlink(fs::symlink_status(dir / "l.h5.journal")));
        CHECK(fs::read_symlink(dir / "l.h5.journal") == target);
        CHECK(fs::is_empty(dir / "elsewhere"));
        CHECK(entries(dir.path()) == std::vector<std::string>{"elsewhere", "l.h5.journal"});
        fs::remove(dir / "l.h5.journal");
    }
}

TEST_CASE("A sweep that cannot write its result says why in one line, keeps the journal and "
          "says how to go on",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    // A file size limit stands in for a full disk: the journal (18 kB) fits, the result (66 kB)
    // does not; write() fails with EFBIG as it would with ENOSPC.
    const std::string command = "cd " + shell_quote(dir.path().string()) +
                                " && bash -c \"trap '' XFSZ; ulimit -f 40; exec " + CANOPY +
                                " sweep " + TINY + " --quiet --out t.h5\" 2>err.txt";
    const int raw = std::system(command.c_str());
    const std::string err = test::read_file(dir / "err.txt");
    INFO(err);
    CHECK(WIFEXITED(raw));
    CHECK(WEXITSTATUS(raw) == 1);
    CHECK(err.find("cannot write sweep result 't.h5': ") != std::string::npos);
    CHECK(err.find("(File too large)\n") != std::string::npos);
    CHECK(err.find("bytes actually written") == std::string::npos);
    CHECK(err.find("the points done are kept in the journal 't.h5.journal': once the cause is "
                   "fixed, continue with\n  " +
                   CANOPY + " sweep " + TINY + " --resume --out t.h5\n") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"err.txt", "t.h5.journal"});
    const Result resumed = run_canopy(dir, "sweep " + shell_quote(TINY) + " --resume --out t.h5");
    INFO(resumed.err);
    CHECK(resumed.status == 0);
    CHECK(resumed.out.find("read back from the journal") != std::string::npos);
}

// A legal 250-byte output name was refused: "<out>.tmp.<pid>.<n>" passed the 255 bytes of a
// file name. The lock, journal and temporaries of such a name are shortened (beside()).
TEST_CASE("A sweep writes, journals and resumes under a 250-byte output name",
          "[regression][sweep][journal]") {
    const test::TempDir dir;
    const std::string name = std::string(247, 'w') + ".h5";
    const fs::path out = dir / name;
    const fs::path journal = experiments::beside(out, ".journal");
    CHECK(journal.filename().string().size() <= 255);
    const int status = kill_once_journalled(
        {"sweep", TINY_LONG, "--quiet", "--threads", "1", "--out", out.string()}, journal, 5,
        std::chrono::seconds(60));
    REQUIRE(WIFSIGNALED(status));
    const Result resumed =
        run_canopy(dir, "sweep " + shell_quote(TINY_LONG) + " --resume --quiet --out " + name);
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(entries(dir.path()) == std::vector<std::string>{name}); // lock and journal removed
    CHECK(experiments::read_sweep_result(out).complete);
}
