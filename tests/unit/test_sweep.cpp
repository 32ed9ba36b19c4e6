// Sweeps in pieces: factor values from unit coordinates, shards, the journal (what a resume reads
// back, a torn record, another experiment's journal) and the result file's round trip.
#include "../unit/damage_fixture.hpp"
#include "../unit/output_fixture.hpp"
#include "registry.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/experiments/sweep.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <tuple>
#include <unistd.h>

using namespace canopy;
using experiments::DesignKind;
using experiments::Factor;

namespace {

const std::string SWEEPS = std::string(CANOPY_SOURCE_DIR) + "/tests/data/sweeps";

// An evaluator that counts what it computes and makes a result from the point's values alone.
class Counting final : public experiments::Evaluator {
public:
    std::vector<experiments::PointResult>
    evaluate(const experiments::Experiment&, std::span<const experiments::Point> points,
             const experiments::ResultCallback& done) override {
        std::vector<experiments::PointResult> out;
        for (const experiments::Point& p : points) {
            experiments::PointResult r;
            r.index = p.index;
            r.replicates = 2;
            r.indicators = 1;
            r.finals = {p.values.at(0), p.values.at(0) * 2.0};
            r.simulate_seconds = 1.0;
            ++(*computed);
            if (done) {
                done(r);
            }
            out.push_back(r);
        }
        return out;
    }
    std::size_t* computed = nullptr;
};

std::vector<experiments::Point> points(std::size_t n) {
    std::vector<experiments::Point> out;
    for (std::size_t k = 0; k < n; ++k) {
        out.push_back({k, {0.5 + static_cast<double>(k)}});
    }
    return out;
}

// A small result with every kind of column: targets, indicators with paths and finals, outputs.
experiments::SweepResult small_result() {
    experiments::SweepResult r;
    r.design = DesignKind::grid;
    r.factors = {"a", "b"};
    r.unit.kind = DesignKind::grid;
    r.unit.dimensions = 2;
    r.unit.u = {0.0, 0.0, 0.0, 1.0, 1.0, 0.0};
    r.values = {{1.0, 1.0, 2.0}, {5.0, 6.0, 5.0}};
    r.seed = 9;
    r.replicates = 2;
    r.complete = true;
    r.sweep_text = "[sweep]\n";
    r.scenario_text = "[scenario]\n";
    r.engine_version = "x";
    r.fingerprint = "f";
    r.points_total = 3;
    r.wall_seconds = 1.5;
    r.time_labels = {"2022-12", "2023-01"};
    r.targets.push_back(
        {"t", "firms", ">=", 10.0, {0.5, 1, 0}, {0.1, 0.5, 0}, {0.9, 1, 0.5}, {9, 11, NAN}});
    r.indicators.push_back({"i",
                            "firms",
                            {1, 2, 3},
                            {0, 1, 2},
                            {1, 2, 3},
                            {2, 3, 4},
                            {1, 2, 3, 4, 5, 6},
                            {1, 1, 2, 2, 3, 3}});
    r.outputs.emplace_back("y", std::vector<double>{7, 8, 9});
    return r;
}

} // namespace

TEST_CASE("A range factor maps the unit interval onto [min, max]", "[unit][sweep]") {
    Factor f;
    f.kind = Factor::Kind::range;
    f.min = 2.0;
    f.max = 6.0;
    CHECK(f.value_at(0.0, DesignKind::lhs) == 2.0);
    CHECK(f.value_at(0.25, DesignKind::lhs) == 3.0);
    CHECK(f.value_at(1.0, DesignKind::lhs) == 6.0);
    f.integer = true; // the integers 2..6 in equal shares of [0, 1]
    CHECK(f.value_at(0.0, DesignKind::lhs) == 2.0);
    CHECK(f.value_at(0.199, DesignKind::lhs) == 2.0);
    CHECK(f.value_at(0.2, DesignKind::lhs) == 3.0);
    CHECK(f.value_at(0.999, DesignKind::lhs) == 6.0);
    CHECK(f.value_at(1.0, DesignKind::lhs) == 6.0);
}

TEST_CASE("A list factor picks values by level or by equal shares", "[unit][sweep]") {
    Factor f;
    f.kind = Factor::Kind::values;
    f.values = {10.0, 20.0, 30.0};
    // A grid's levels 0, 1/2, 1 are the values in order.
    CHECK(f.value_at(0.0, DesignKind::grid) == 10.0);
    CHECK(f.value_at(0.5, DesignKind::grid) == 20.0);
    CHECK(f.value_at(1.0, DesignKind::grid) == 30.0);
    // Other designs: thirds of [0, 1].
    CHECK(f.value_at(0.33, DesignKind::sobol) == 10.0);
    CHECK(f.value_at(0.34, DesignKind::sobol) == 20.0);
    CHECK(f.value_at(0.99, DesignKind::sobol) == 30.0);
    CHECK(f.value_at(1.0, DesignKind::sobol) == 30.0);
}

TEST_CASE("A distribution factor takes its quantiles", "[unit][sweep]") {
    Factor f;
    f.kind = Factor::Kind::distribution;
    f.distribution = {engine::Uncertain::Kind::normal, 10.0, 2.0, 0.0};
    CHECK(f.value_at(0.5, DesignKind::lhs) == Approx(10.0).margin(1e-12));
    CHECK(f.value_at(0.975, DesignKind::lhs) == Approx(10.0 + 2.0 * 1.959963984540054));
    CHECK(std::isfinite(f.value_at(0.0, DesignKind::sobol)));              // a tail, not -inf
    f.distribution = {engine::Uncertain::Kind::triangular, 0.0, 4.0, 1.0}; // low, high, mode
    CHECK(f.value_at(0.25, DesignKind::lhs) == Approx(1.0));               // F(mode) = 1/4
    CHECK(f.value_at(1.0, DesignKind::lhs) == Approx(4.0));
    f.distribution = {engine::Uncertain::Kind::gamma, 2.0, 3.0, 0.0}; // shape 2, scale 3
    // The median of Gamma(2, 3): 3 * 1.678346990016661.
    CHECK(f.value_at(0.5, DesignKind::lhs) == Approx(3.0 * 1.678346990016661).epsilon(1e-10));
    f.distribution = {engine::Uncertain::Kind::uniform, 1.0, 3.0, 0.0};
    f.integer = true;
    CHECK(f.value_at(0.3, DesignKind::lhs) == 2.0); // 1.6 rounded
}

TEST_CASE("Shards split the points without gaps or overlaps", "[unit][sweep]") {
    std::string why;
    const auto s = experiments::parse_shard("2/3", why);
    REQUIRE(s);
    CHECK(s->begin(24) == 8);
    CHECK(s->end(24) == 16);
    for (const std::size_t total : {0UL, 1UL, 7UL, 100UL}) {
        std::size_t next = 0;
        for (std::size_t i = 1; i <= 7; ++i) {
            const experiments::Shard shard{i, 7};
            CHECK(shard.begin(total) == next);
            next = shard.end(total);
        }
        CHECK(next == total);
    }
    // i N overflows 64 bits here; the last shard of n must still end with the last point.
    for (const std::size_t n : {std::size_t{1} << 63, std::numeric_limits<std::size_t>::max()}) {
        const experiments::Shard last{n, n};
        CHECK(last.begin(24) == 23);
        CHECK(last.end(24) == 24);
        CHECK(experiments::Shard{n - 1, n}.end(24) == 23);
        CHECK(experiments::Shard{n / 2, n}.end(100'000'000) == 50'000'000 - (n % 2));
    }
    for (const char* bad : {"3/2", "0/2", "1/0", "a/b", "1/", "/2", "2", "1/2/3", "-1/2"}) {
        CHECK_FALSE(experiments::parse_shard(bad, why));
        CHECK_FALSE(why.empty());
    }
}

TEST_CASE("Missing points are named as ranges", "[unit][sweep]") {
    const std::vector<std::uint64_t> missing{0, 1, 2, 3, 7, 9, 10, 11, 12};
    CHECK(experiments::index_ranges(missing) == "0-3, 7, 9-12");
    CHECK(experiments::index_ranges(missing, 2) == "0-3, 7, ... (9 in all)");
}

TEST_CASE("The journal gives back completed points and recomputes a torn one",
          "[unit][sweep][journal]") {
    const test::TempDir dir;
    const auto path = dir / "run.h5.journal";
    experiments::Experiment e;
    e.fingerprint = "experiment-a";
    std::size_t computed = 0;
    const auto journalled = [&] {
        auto inner = std::make_unique<Counting>();
        inner->computed = &computed;
        return experiments::journalled(std::move(inner), path);
    };
    const auto all = points(10);
    std::vector<experiments::PointResult> first;
    {
        auto j = journalled();
        // Only the first six, as a run killed after six points would have left them.
        first = j->evaluate(e, std::span(all).first(6));
    }
    CHECK(computed == 6);

    std::size_t called = 0;
    std::vector<experiments::PointResult> second;
    {
        auto j = journalled();
        second = j->evaluate(e, all, [&](const experiments::PointResult&) { ++called; });
    }
    CHECK(computed == 10); // the four new points only
    CHECK(called == 10);   // every point reported once, read back or computed
    REQUIRE(second.size() == 10);
    for (std::size_t k = 0; k < 10; ++k) {
        CHECK(second[k].index == k);
        const double v = 0.5 + static_cast<double>(k);
        CHECK(second[k].finals == std::vector<double>{v, 2.0 * v});
        CHECK(second[k].simulate_seconds == (k < 6 ? 0.0 : 1.0)); // read back: none simulated
    }

    // A kill mid-write leaves a torn last record: it is dropped and its point recomputed.
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
    {
        auto j = journalled();
        const auto third = j->evaluate(e, all);
        CHECK(third[9].finals == second[9].finals);
        CHECK(third[0].simulate_seconds == 0.0); // read back: nothing was simulated for it
    }
    CHECK(computed == 11);

    // A point whose values changed is not taken from the journal.
    auto changed = all;
    changed[3].values[0] = 99.0;
    {
        auto j = journalled();
        const auto fourth = j->evaluate(e, changed);
        CHECK(fourth[3].finals.front() == 99.0);
    }
    CHECK(computed == 12);

    // Another experiment's journal is refused.
    e.fingerprint = "experiment-b";
    auto j = journalled();
    CHECK_THROWS_WITH(j->evaluate(e, all), Catch::Contains("belongs to another experiment"));
}

TEST_CASE("A journal is judged from its header before anything runs", "[unit][sweep][journal]") {
    using Kind = experiments::JournalCheck::Kind;
    const test::TempDir dir;
    const auto path = dir / "run.h5.journal";
    CHECK(experiments::journal_check(path, "experiment-a").kind == Kind::resumable); // none yet
    {
        std::size_t computed = 0;
        auto inner = std::make_unique<Counting>();
        inner->computed = &computed;
        experiments::Experiment e;
        e.fingerprint = experiments::with_build("experiment-a:abc:4");
        const auto all = points(3);
        experiments::journalled(std::move(inner), path)->evaluate(e, all);
    }
    const std::string before = test::read_file(path);
    CHECK(experiments::journal_check(path, experiments::with_build("experiment-a:abc:4")).kind ==
          Kind::resumable);
    CHECK(experiments::journal_check(path, "experiment-a:", true).kind == Kind::resumable);
    CHECK(experiments::journal_check(path, "", true).kind == Kind::resumable); // a look only
    const experiments::JournalCheck other =
        experiments::journal_check(path, experiments::with_build("experiment-b"));
    CHECK(other.kind == Kind::other_experiment);
    CHECK(other.problem == "journal '" + path.string() + "' belongs to another experiment");
    CHECK(experiments::journal_check(path, "experiment-b:", true).kind == Kind::other_experiment);
    CHECK(test::read_file(path) == before); // only read

    // Written by another build (or by one from before journals recorded theirs): refused as
    // such, naming both, by the check and by the journal itself, whatever the experiment.
    {
        std::filesystem::remove(path);
        auto inner = std::make_unique<Counting>();
        std::size_t computed = 0;
        inner->computed = &computed;
        experiments::Experiment e;
        e.fingerprint = experiments::with_build("experiment-a:abc:4", "0123456789abcdef");
        experiments::journalled(std::move(inner), path)->evaluate(e, points(3));
        const std::string built = "journal '" + path.string() +
                                  "' was written by another build of Canopy (build_id "
                                  "0123456789abcdef; this canopy is build_id " +
                                  experiments::build_id() + ")";
        for (const std::string& asked :
             {experiments::with_build("experiment-a:abc:4"), std::string("experiment-a:")}) {
            const experiments::JournalCheck check =
                experiments::journal_check(path, asked, asked.back() == ':');
            CHECK(check.kind == Kind::other_build);
            CHECK_THAT(check.problem, Catch::StartsWith(built));
        }
        e.fingerprint = experiments::with_build("experiment-a:abc:4");
        auto again = std::make_unique<Counting>();
        again->computed = &computed;
        CHECK_THROWS_WITH(experiments::journalled(std::move(again), path)->evaluate(e, points(3)),
                          Catch::StartsWith(built));
        CHECK(computed == 3); // nothing computed the second time
        std::filesystem::remove(path);
        {
            auto first = std::make_unique<Counting>();
            first->computed = &computed;
            experiments::journalled(std::move(first), path)->evaluate(e, points(3));
        }
    }

    // Fewer than 16 bytes that begin the magic: a header cut off by a kill, started afresh.
    std::filesystem::resize_file(path, 11);
    CHECK(experiments::journal_check(path, "experiment-b").kind == Kind::resumable);

    test::write_file(path, "this is not a journal, but some other file of the same name\n");
    const experiments::JournalCheck foreign = experiments::journal_check(path, "experiment-a");
    CHECK(foreign.kind == Kind::not_a_journal);
    CHECK(foreign.problem == "'" + path.string() + "' is not a Canopy journal");
}

TEST_CASE("A sweep file's factors are resolved against its scenario's model", "[unit][sweep]") {
    const experiments::SweepLoad loaded = experiments::load_sweep(SWEEPS + "/tiny.toml");
    INFO(loaded.diagnostics.format());
    REQUIRE(loaded.sweep);
    const experiments::Sweep& s = *loaded.sweep;
    CHECK(s.design == DesignKind::sobol);
    CHECK(s.points == 24);
    CHECK(s.replicates == 3);
    CHECK(s.seed == 11);
    CHECK(s.outputs.finals);
    CHECK(s.outputs.mean_paths);
    CHECK(s.factor_names ==
          std::vector<std::string>{"births_per_month", "lever_high_tech", "edges_per_firm"});
    CHECK(s.factors[0].target.kind == experiments::TargetKind::parameter);
    CHECK(s.factors[1].target.kind == experiments::TargetKind::lever);
    CHECK(s.factors[2].integer);
    CHECK(s.fingerprint.size() == 32);
    const experiments::UnitDesign design = s.unit_design();
    CHECK(design.points() == 24);
    const auto pts = s.points_of(design, 8, 16);
    REQUIRE(pts.size() == 8);
    CHECK(pts.front().index == 8);
    CHECK(pts.front().values[0] == s.factors[0].value_at(design.at(8, 0), DesignKind::sobol));
}

TEST_CASE("A sweep result survives a round trip through its file", "[unit][sweep]") {
    const experiments::SweepResult r = small_result();
    const test::TempDir dir;
    experiments::write_sweep_result(dir / "r.h5", r);
    const experiments::SweepResult back = experiments::read_sweep_result(dir / "r.h5");
    CHECK(back.factors == r.factors);
    CHECK(back.unit.u == r.unit.u);
    CHECK(back.values == r.values);
    CHECK(back.point_index == std::vector<std::uint64_t>{0, 1, 2});
    CHECK(back.targets.at(0).p_attain == r.targets[0].p_attain);
    CHECK(std::isnan(back.targets.at(0).median[2]));
    CHECK(back.indicators.at(0).mean_path == r.indicators[0].mean_path);
    CHECK(back.indicators.at(0).finals == r.indicators[0].finals);
    CHECK(back.outputs.at(0).second == r.outputs[0].second);
    CHECK(back.wall_seconds == 1.5);
    CHECK(back.time_labels == r.time_labels);
    CHECK(std::filesystem::exists(dir / "r.h5"));
    CHECK_THROWS_WITH(experiments::read_sweep_result(dir / "missing.h5"),
                      Catch::Contains("missing.h5"));
}

// HDF5 checksums its headers but not a contiguous dataset's data nor the global heap's strings:
// without the file's own checksum, a bit flipped there is read (and merged) as a result.
TEST_CASE("A sweep result damaged on disk is refused, naming the file and the shard to rerun",
          "[unit][sweep]") {
    namespace fs = std::filesystem;
    experiments::SweepResult r = small_result();
    r.shard = "2/3";
    r.sweep_text = "[sweep]\nname = \"a text found once in the file\"\n";
    const test::TempDir dir;
    experiments::write_sweep_result(dir / "r.h5", r);
    const std::string damaged = "cannot read sweep result '" + (dir / "bad.h5").string() +
                                "': the file is damaged: its data changed on disk after Canopy "
                                "wrote it (they do not match the checksum written with them: ";
    const std::string remedy = "; rerun shard 2/3 (canopy sweep SWEEP.toml --shard 2/3) to write "
                               "it again";

    // Intact, it reads back equal.
    const experiments::SweepResult back = experiments::read_sweep_result(dir / "r.h5");
    CHECK(back.targets.at(0).p_attain == r.targets[0].p_attain);
    CHECK(back.sweep_text == r.sweep_text);

    // p_attain 0.5 becomes 0.5000000000000001: refused, and said why.
    fs::copy_file(dir / "r.h5", dir / "bad.h5");
    test::flip_data_bit(dir / "bad.h5", "/targets/t/p_attain");
    CHECK_THROWS_WITH(experiments::read_sweep_result(dir / "bad.h5"),
                      Catch::StartsWith(damaged) && Catch::EndsWith(remedy));

    // A variable-length string (the global heap): refused too.
    fs::copy_file(dir / "r.h5", dir / "bad.h5", fs::copy_options::overwrite_existing);
    test::flip_text_bit(dir / "bad.h5", "a text found once in the file");
    CHECK_THROWS_WITH(experiments::read_sweep_result(dir / "bad.h5"), Catch::StartsWith(damaged));

    // Without a checksum (deleted after an edit, or a Canopy from before checksums) nothing can
    // be checked: refused, where it was read as it was and merged under a fresh, valid checksum
    // (an outside tester's impossible p_attain). Even unedited: the two cannot be told apart.
    fs::copy_file(dir / "r.h5", dir / "old.h5");
    test::drop_root_attribute(dir / "old.h5", "checksum");
    CHECK_THROWS_WITH(experiments::read_sweep_result(dir / "old.h5"),
                      "cannot read sweep result '" + (dir / "old.h5").string() +
                          "': it has no checksum (root attribute 'checksum'), so its data cannot "
                          "be checked: it was written by a Canopy from before result files had "
                          "one, or edited after it was written" +
                          remedy);
    r.shard.clear();
    experiments::write_sweep_result(dir / "whole.h5", r);
    test::drop_root_attribute(dir / "whole.h5", "checksum");
    CHECK_THROWS_WITH(experiments::read_sweep_result(dir / "whole.h5"),
                      Catch::EndsWith("; run the sweep or merge that wrote it again"));
}

// Results have changed between builds of one version: a shard's build is recorded, so that merge
// can refuse to join two builds' shards, and is under the checksum like the rest.
TEST_CASE("A sweep result records the build that computed it, under its checksum",
          "[unit][sweep]") {
    experiments::SweepResult r = small_result();
    r.build_id = "0123456789abcdef";
    const test::TempDir dir;
    experiments::write_sweep_result(dir / "r.h5", r);
    CHECK(experiments::read_sweep_result(dir / "r.h5").build_id == "0123456789abcdef");
    test::drop_root_attribute(dir / "r.h5", "build_id");
    CHECK_THROWS_WITH(experiments::read_sweep_result(dir / "r.h5"),
                      Catch::Contains("the file is damaged: its data changed on disk"));
    // A file of a build from before build_id was recorded reads back with none.
    r.build_id.clear();
    experiments::write_sweep_result(dir / "old.h5", r);
    CHECK(experiments::read_sweep_result(dir / "old.h5").build_id.empty());
    // This build's: 16 hex digits.
    const std::string id = experiments::build_id();
    CHECK(id.size() == 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
}

// HDF5 1.10 trusts the length a global heap object records and copies that many bytes into a
// buffer sized by the string's own length: one flipped bit there crashed merge and sensitivity
// (SIGSEGV, or "free(): invalid pointer") before the checksum could be compared.
TEST_CASE("A sweep result whose global heap is damaged is refused as damaged, never a crash",
          "[unit][sweep]") {
    namespace fs = std::filesystem;
    experiments::SweepResult r = small_result();
    r.sweep_text = "[sweep]\nname = \"a text found once in the file\"\n";
    const test::TempDir dir;
    experiments::write_sweep_result(dir / "r.h5", r);
    const std::string intact = test::read_file(dir / "r.h5");
    const std::size_t gcol = intact.find("GCOL");
    REQUIRE(gcol != std::string::npos);
    std::uint64_t block = 0; // the collection's size, after signature, version and reserved bytes
    std::memcpy(&block, intact.data() + gcol + 8, sizeof block);
    REQUIRE(gcol + block <= intact.size());
    const std::size_t text = intact.find(r.sweep_text, gcol);
    REQUIRE(text != std::string::npos);
    const fs::path bad = dir / "bad.h5";
    const auto refused_as_damaged = [&] {
        CHECK_THROWS_WITH(experiments::read_sweep_result(bad),
                          Catch::StartsWith("cannot read sweep result '" + bad.string() +
                                            "': the file is damaged: "));
    };

    // The tester's flip: bit 4 of the third byte before the text, inside its object's 8-byte
    // length, which becomes about 2^44.
    std::string damaged = intact;
    damaged[text - 3] = static_cast<char>(damaged[text - 3] ^ 0x10);
    test::write_file(bad, damaged);
    refused_as_damaged();
    CHECK_THROWS_WITH(experiments::read_sweep_result(bad),
                      Catch::Contains("global heap block at byte " + std::to_string(gcol)));

    // The length one less or one more than the text's: still refused, before HDF5 copies.
    for (const int delta : {-1, 1}) {
        damaged = intact;
        damaged[text - 8] = static_cast<char>(damaged[text - 8] + delta);
        test::write_file(bad, damaged);
        refused_as_damaged();
    }

    // Seeded flips anywhere in the block: each is refused as damaged or, where it changes nothing
    // Canopy reads (a reference count, a reserved byte, free space), reads back as written.
    std::mt19937_64 rng(20261202);
    int refused = 0;
    for (int k = 0; k < 200; ++k) {
        damaged = intact;
        const std::size_t at = gcol + static_cast<std::size_t>(rng() % block);
        const auto bit = static_cast<char>(1U << (rng() % 8));
        damaged[at] = static_cast<char>(damaged[at] ^ bit);
        test::write_file(bad, damaged);
        INFO("byte " << at);
        try {
            const experiments::SweepResult back = experiments::read_sweep_result(bad);
            CHECK(back.factors == r.factors);
            CHECK(back.sweep_text == r.sweep_text);
            CHECK(back.scenario_text == r.scenario_text);
            CHECK(back.time_labels == r.time_labels);
        } catch (const Error& e) {
            CHECK_THAT(e.what(), Catch::Contains("the file is damaged"));
            ++refused;
        }
    }
    CHECK(refused > 0);
}

// The checksum is compared once the file is read: a count that sizes an allocation must be one a
// sweep can have before that, or merge asked for a vector of 2^62 points.
TEST_CASE("A sweep result's counts are held to what a sweep can be before anything is allocated",
          "[unit][sweep]") {
    namespace fs = std::filesystem;
    const test::TempDir dir;
    experiments::write_sweep_result(dir / "r.h5", small_result());
    const auto with = [&](const std::string& name, std::uint64_t value) {
        fs::copy_file(dir / "r.h5", dir / "bad.h5", fs::copy_options::overwrite_existing);
        const hid_t f = H5Fopen((dir / "bad.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(f >= 0);
        const hid_t a = H5Aopen(f, name.c_str(), H5P_DEFAULT);
        REQUIRE(a >= 0);
        CHECK(H5Awrite(a, H5T_NATIVE_UINT64, &value) >= 0);
        H5Aclose(a);
        H5Fclose(f);
        return dir / "bad.h5";
    };
    CHECK(experiments::read_sweep_result(dir / "r.h5").points_total == 3);
    const std::vector<std::tuple<std::string, std::uint64_t, std::string>> bad{
        {"points_total", std::uint64_t{1} << 62U, "outside 1 .. 10000000"},
        {"points_total", 10'000'001, "outside 1 .. 10000000"},
        {"points_total", 0, "outside 1 .. 10000000"},
        {"points_total", 2, "dataset 'point' has 3 rows, more than the 2 design points"},
        {"replicates", 0, "outside 1 .. 1000000"},
        {"replicates", (std::uint64_t{1} << 32U) + 2, "outside 1 .. 1000000"},
        {"base_samples", std::uint64_t{1} << 40U, "outside 0 .. 10000000"},
        {"levels", std::uint64_t{1} << 40U, "outside 0 .. 10000000"},
    };
    for (const auto& [name, value, why] : bad) {
        INFO(name << " = " << value);
        CHECK_THROWS_WITH(experiments::read_sweep_result(with(name, value)),
                          Catch::StartsWith("cannot read sweep result '") && Catch::Contains(why));
    }
}

// An edited file declared a dataset of 10^11 rows (chunked, never written, so the file stayed
// small): the reader asked for terabytes before it could compare the checksum. A root attribute of
// two numbers where one is read overflowed the reader's variable on the stack (AddressSanitizer).
TEST_CASE("A sweep result's shapes are held to what its file can hold before anything is read",
          "[unit][sweep]") {
    namespace fs = std::filesystem;
    const test::TempDir dir;
    experiments::write_sweep_result(dir / "r.h5", small_result());
    const fs::path bad = dir / "bad.h5";
    for (const std::string dataset : {"/point", "/design_unit", "/targets/t/p_attain", "/time"}) {
        INFO(dataset);
        fs::copy_file(dir / "r.h5", bad, fs::copy_options::overwrite_existing);
        test::declare_huge_dataset(bad, dataset);
        CHECK_THROWS_WITH(experiments::read_sweep_result(bad),
                          Catch::StartsWith("cannot read sweep result '" + bad.string() +
                                            "': the file is damaged: dataset '") &&
                              Catch::Contains("00000000000 values, more than its"));
    }
    for (const std::string attribute : {"seed", "wall_seconds", "replicates"}) {
        INFO(attribute);
        fs::copy_file(dir / "r.h5", bad, fs::copy_options::overwrite_existing);
        test::double_root_attribute(bad, attribute);
        CHECK_THROWS_WITH(experiments::read_sweep_result(bad),
                          Catch::Contains("attribute '" + attribute + "' is not one number"));
    }
}

TEST_CASE("The shipped sweep files validate", "[unit][sweep][scenario]") {
    const std::string dir = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    const experiments::SweepLoad saltelli = experiments::load_sweep(dir + "wuhan-2023-sweep.toml");
    INFO(saltelli.diagnostics.format());
    REQUIRE(saltelli.sweep);
    CHECK(saltelli.sweep->design == DesignKind::saltelli);
    CHECK(saltelli.sweep->factors.size() == 17);
    CHECK(saltelli.sweep->unit_design().points() == 32 * (17 + 2));
    // The transfer fund is scaled (it keeps its July start); the other levers are set.
    const auto& names = saltelli.sweep->factor_names;
    const auto fund = std::find(names.begin(), names.end(), "transfer_fund_size") - names.begin();
    CHECK(saltelli.sweep->factors[static_cast<std::size_t>(fund)].target.mode ==
          experiments::OverrideMode::scale);
    // wuhan-2023.toml names wuhan-posterior.h5: the points draw its columns, as canopy run does.
    REQUIRE(saltelli.sweep->scenario->joint_draws);
    CHECK(saltelli.sweep->scenario->joint_draws->rows() > 0);
    CHECK_THAT(saltelli.sweep->scenario->joint_draws->origin(),
               Catch::Contains("wuhan-posterior.h5"));

    const experiments::SweepLoad morris = experiments::load_sweep(dir + "wuhan-2023-morris.toml");
    INFO(morris.diagnostics.format());
    REQUIRE(morris.sweep);
    CHECK(morris.sweep->design == DesignKind::morris);
    // Every behavioural parameter of the model is a factor.
    std::size_t parameters = 0;
    for (const engine::ParameterSpec& p : morris.sweep->model->info().parameters) {
        parameters += p.role == engine::ParameterRole::parameter ? 1 : 0;
    }
    CHECK(morris.sweep->factors.size() == parameters);
}

TEST_CASE("A sweep file's override and distribution keys", "[unit][sweep]") {
    const test::TempDir dir;
    const auto load = [&](const std::string& factor) {
        test::write_file(dir / "s.toml", "[sweep]\nscenario = \"" + SWEEPS +
                                             "/tiny-scenario.toml\"\ndesign = \"lhs\"\n"
                                             "points = 4\n[factors.lever_sme]\n" +
                                             factor);
        return experiments::load_sweep(dir / "s.toml");
    };
    const auto scaled = load("override = \"scale\"\nmin = 0.5\nmax = 2\n");
    INFO(scaled.diagnostics.format());
    REQUIRE(scaled.sweep);
    CHECK(scaled.sweep->factors[0].target.mode == experiments::OverrideMode::scale);
    const auto negative = load("override = \"scale\"\nmin = -1\nmax = 2\n");
    CHECK_FALSE(negative.sweep);
    CHECK(negative.diagnostics.format().find("factors.lever_sme.min") != std::string::npos);
    const auto typo = load("override = \"scal\"\nmin = 1\nmax = 2\n");
    CHECK(typo.diagnostics.format().find("did you mean 'scale'?") != std::string::npos);
    // A triangular distribution's `mode` is its field, not the override.
    const auto triangular = load("distribution = \"triangular\"\nlow = 0.5\nmode = 1\nhigh = 2\n");
    INFO(triangular.diagnostics.format());
    CHECK(triangular.sweep);
    const auto both = load("min = 1\nmax = 2\nvalues = [1, 2]\n");
    CHECK(both.diagnostics.format().find("not several") != std::string::npos);

    // A parameter asked to be scaled is told how to set it in a sweep file, not with --set's
    // 'NAME=VALUE' (an outside reader's).
    test::write_file(dir / "p.toml", "[sweep]\nscenario = \"" + SWEEPS +
                                         "/tiny-scenario.toml\"\ndesign = \"lhs\"\npoints = 4\n"
                                         "[factors.births_per_month]\noverride = \"scale\"\n"
                                         "min = 10\nmax = 20\n");
    const auto parameter = experiments::load_sweep(dir / "p.toml");
    CHECK_FALSE(parameter.sweep);
    REQUIRE(parameter.diagnostics.size() == 1);
    const auto& refused = parameter.diagnostics.items()[0];
    CHECK(refused.message.find("only a lever's schedule can be scaled") != std::string::npos);
    CHECK(refused.allowed.rfind("override = \"set\"", 0) == 0);
    CHECK(refused.allowed.find("=VALUE") == std::string::npos);
}

TEST_CASE("A factor that cannot vary is refused at its key with what is allowed, as min == max is",
          "[unit][sweep]") {
    // Each ran without a word, its factor the same at every point, and sensitivity then gave it
    // 0 [0, 0].
    const test::TempDir dir;
    const auto load = [&](const std::string& sweep, const std::string& factor) {
        test::write_file(dir / "s.toml", "[sweep]\nscenario = \"" + SWEEPS +
                                             "/tiny-scenario.toml\"\n" + sweep +
                                             "[factors.lever_sme]\n" + factor);
        return experiments::load_sweep(dir / "s.toml");
    };
    const auto only_error = [](const experiments::SweepLoad& l) {
        INFO(l.diagnostics.format());
        REQUIRE_FALSE(l.sweep);
        REQUIRE(l.diagnostics.size() == 1);
        return *l.diagnostics.begin();
    };
    const std::string saltelli = "design = \"saltelli\"\npoints = 4\n"; // lines 3 and 4
    {
        const engine::Diagnostic d = only_error(load(saltelli, "values = [1]\n"));
        CHECK(d.line == 6);
        CHECK(d.column == 10);
        CHECK(d.key == "factors.lever_sme.values");
        CHECK(d.message == "one value (1) makes the factor the same at every point of a saltelli "
                           "design");
        CHECK(d.allowed.find("at least 2 different numbers") == 0);
    }
    {
        const engine::Diagnostic d =
            only_error(load(saltelli, "distribution = \"normal\"\nmean = 1\nsd = 0\n"));
        CHECK(d.line == 8);
        CHECK(d.key == "factors.lever_sme.sd");
        CHECK(d.message ==
              "the standard deviation must be positive, not 0: the factor would be the same at "
              "every point");
        CHECK(d.allowed == "a number > 0");
    }
    for (const char* sigma : {"0", "-0.1"}) {
        const engine::Diagnostic d = only_error(
            load(saltelli,
                 "distribution = \"lognormal\"\nmedian = 1\nsigma = " + std::string(sigma) + "\n"));
        CHECK(d.line == 8);
        CHECK(d.key == "factors.lever_sme.sigma");
        CHECK(d.message.find("sigma must be positive, not " + std::string(sigma)) == 0);
        CHECK(d.allowed == "a number > 0");
    }
    {
        const engine::Diagnostic d = only_error(
            load(saltelli, "distribution = \"triangular\"\nlow = 1\nmode = 1\nhigh = 1\n"));
        CHECK(d.line == 9);
        CHECK(d.key == "factors.lever_sme.high");
        CHECK(d.message.find("high (1) must exceed low (1): the factor would be the same") == 0);
        CHECK(d.allowed == "a number > 1");
    }
    {
        // Morris needs an even number of levels: the allowed part says so.
        const engine::Diagnostic d =
            only_error(load("design = \"morris\"\npoints = 4\nlevels = 0\n", "min = 1\nmax = 2\n"));
        CHECK(d.line == 5);
        CHECK(d.key == "sweep.levels");
        CHECK(d.message == "0 is out of range");
        CHECK(d.allowed.find("an even integer from 2 to 1000000") == 0);
        const engine::Diagnostic odd =
            only_error(load("design = \"morris\"\npoints = 4\nlevels = 3\n", "min = 1\nmax = 2\n"));
        CHECK(odd.key == "sweep.levels");
        CHECK(odd.allowed.find("an even integer from 2 to 1000000") == 0);
    }
    {
        // A grid of one level ran every factor at its midpoint.
        const engine::Diagnostic d =
            only_error(load("design = \"grid\"\nlevels = 1\n", "min = 1\nmax = 2\n"));
        CHECK(d.line == 4);
        CHECK(d.key == "sweep.levels");
        CHECK(d.allowed.find("an integer from 2 to 1000000") == 0);
        const engine::Diagnostic own =
            only_error(load("design = \"grid\"\n", "min = 1\nmax = 2\nlevels = 1\n"));
        CHECK(own.line == 7);
        CHECK(own.key == "factors.lever_sme.levels");
        CHECK(own.allowed.find("an integer from 2 to 1000000") == 0);
        CHECK(d.message == "1 level would run factor 'lever_sme' at its midpoint only");
        // values = [x] is how a grid runs one setting on purpose: still loads.
        const auto one = load("design = \"grid\"\n", "values = [1]\n");
        INFO(one.diagnostics.format());
        CHECK(one.sweep);
        // [sweep] levels = 1 with no factor that takes it: loads, as it did before the check (a
        // second reviewer).
        const auto lists = load("design = \"grid\"\nlevels = 1\n", "values = [1, 2]\n");
        INFO(lists.diagnostics.format());
        CHECK(lists.sweep);
    }
    {
        // points: the key's range is the real limit, and the design's own limit says what is
        // allowed.
        const engine::Diagnostic d =
            only_error(load("design = \"sobol\"\npoints = 100000000\n", "min = 1\nmax = 2\n"));
        CHECK(d.key == "sweep.points");
        CHECK(d.message == "100000000 is out of range");
        CHECK(d.allowed == "an integer from 1 to 10000000");
        const engine::Diagnostic base =
            only_error(load("design = \"saltelli\"\npoints = 5000000\n", "min = 1\nmax = 2\n"));
        CHECK(base.key == "sweep.points");
        CHECK(base.message.find("more than the limit of 10000000") != std::string::npos);
        CHECK(base.allowed.find("an integer from 2 to 3333333") == 0);
    }
}

TEST_CASE("Grid levels beyond a whole-numbered range, and repeated values, are refused",
          "[unit][sweep]") {
    // Each repeated design points without a word (a grid of edges_per_firm at 4 levels over
    // [1, 3] ran 1, 2, 3, 3).
    const test::TempDir dir;
    const auto load = [&](const std::string& sweep, const std::string& factor) {
        test::write_file(dir / "s.toml", "[sweep]\nscenario = \"" + SWEEPS +
                                             "/tiny-scenario.toml\"\n" + sweep +
                                             "[factors.edges_per_firm]\n" + factor);
        return experiments::load_sweep(dir / "s.toml");
    };
    const auto first_error = [](const experiments::SweepLoad& l) {
        REQUIRE_FALSE(l.sweep);
        REQUIRE(!l.diagnostics.empty());
        return *l.diagnostics.begin();
    };
    {
        const auto grid = load("design = \"grid\"\nlevels = 4\n", "min = 1\nmax = 3\n");
        const engine::Diagnostic d = first_error(grid);
        CHECK(d.line == 5);
        CHECK(d.column == 1);
        CHECK(d.key == "factors.edges_per_firm");
        CHECK(d.message == "levels = 4, but edges_per_firm takes whole numbers and [1, 3] holds "
                           "3: the grid would run the same points twice");
        CHECK(d.allowed.find("levels <= 3") == 0);
    }
    {
        // The factor's own levels: said at its key.
        const auto own = load("design = \"grid\"\n", "min = 1\nmax = 3\nlevels = 5\n");
        const engine::Diagnostic d = first_error(own);
        CHECK(d.line == 7);
        CHECK(d.key == "factors.edges_per_firm.levels");
        CHECK(d.message.find("levels = 5, but") == 0);
        CHECK(d.allowed == "levels <= 3, or a wider range");
    }
    {
        const auto repeated = load("design = \"grid\"\n", "values = [2, 2, 3]\n");
        const engine::Diagnostic d = first_error(repeated);
        CHECK(d.line == 5);
        CHECK(d.column == 14);
        CHECK(d.key == "factors.edges_per_firm.values[1]");
        CHECK(d.message == "2 is listed twice (also factors.edges_per_firm.values[0])");
        CHECK(d.allowed == "each value at most once");
    }
    // As many levels as whole numbers, or a list without repeats, still load.
    const auto fits = load("design = \"grid\"\nlevels = 3\n", "min = 1\nmax = 3\n");
    INFO(fits.diagnostics.format());
    REQUIRE(fits.sweep);
    CHECK(fits.sweep->points == 3);
    CHECK(load("design = \"grid\"\n", "values = [2, 3, 4]\n").sweep);
    // Morris steps span more than half the range: at 4 levels, [1, 3] runs 1 <-> 3 and 2 <-> 3,
    // each a change (the shipped Morris sweep screens months over two or three of them).
    CHECK(load("design = \"morris\"\npoints = 4\n", "min = 1\nmax = 3\n").sweep);
    {
        // A distribution's levels are its quantiles, rounded: uniform(1, 3) at 4 levels gives
        // 1, 1.67, 2.33, 3, which round to 1, 2, 2, 3.
        const auto rounded = load("design = \"grid\"\nlevels = 4\n",
                                  "distribution = \"uniform\"\nlow = 1\nhigh = 3\n");
        const engine::Diagnostic d = first_error(rounded);
        CHECK(d.line == 5);
        CHECK(d.key == "factors.edges_per_firm");
        CHECK(d.message == "levels = 4, but edges_per_firm takes whole numbers and its "
                           "distribution's levels round to 1, 2, 2, 3: the grid would run the "
                           "same points twice");
        CHECK(d.allowed.find("fewer levels (levels = n in [factors.edges_per_firm]") == 0);
        // At 3 levels they are 1, 2, 3; a random design draws from it freely.
        CHECK(load("design = \"grid\"\nlevels = 3\n",
                   "distribution = \"uniform\"\nlow = 1\nhigh = 3\n")
                  .sweep);
        CHECK(load("design = \"lhs\"\npoints = 8\n",
                   "distribution = \"uniform\"\nlow = 1\nhigh = 3\n")
                  .sweep);
    }
}

namespace {

// A whole sweep result of 6 points over two factors with every kind of column: two targets, two
// indicators with mean paths and finals (2 replicates, 2 times), and two /outputs.
experiments::SweepResult whole_result() {
    experiments::SweepResult r;
    r.design = DesignKind::lhs;
    r.factors = {"a", "b"};
    r.unit.kind = DesignKind::lhs;
    r.unit.dimensions = 2;
    r.unit.base_samples = 6;
    r.values.assign(2, {});
    r.seed = 3;
    r.replicates = 2;
    r.complete = true;
    r.sweep_text = "[sweep]\n";
    r.scenario_text = "[scenario]\n";
    r.engine_version = "x";
    r.fingerprint = "f";
    r.points_total = 6;
    r.time_labels = {"2022-12", "2023-01"};
    for (const char* id : {"t1", "t2"}) {
        r.targets.push_back({id, "firms", ">=", 1.0, {}, {}, {}, {}});
    }
    for (const char* id : {"i1", "i2"}) {
        r.indicators.push_back({id, "firms", {}, {}, {}, {}, {}, {}});
    }
    r.outputs = {{"y", {}}, {"z", {}}};
    for (std::size_t p = 0; p < 6; ++p) {
        const double x = static_cast<double>(p);
        r.point_index.push_back(p);
        r.unit.u.insert(r.unit.u.end(), {x / 6.0, 1.0 - x / 6.0});
        r.values[0].push_back(x);
        r.values[1].push_back(10.0 + x);
        for (std::size_t t = 0; t < 2; ++t) {
            const double v = x + 100.0 * static_cast<double>(t);
            experiments::TargetColumns& c = r.targets[t];
            c.p_attain.push_back(v + 0.1);
            c.p_attain_lo.push_back(v + 0.2);
            c.p_attain_hi.push_back(v + 0.3);
            c.median.push_back(v + 0.4);
            experiments::IndicatorColumns& i = r.indicators[t];
            i.mean.push_back(v + 0.5);
            i.q05.push_back(v + 0.6);
            i.q50.push_back(v + 0.7);
            i.q95.push_back(v + 0.8);
            i.mean_path.insert(i.mean_path.end(), {v + 0.9, v + 1.0});
            i.finals.insert(i.finals.end(), {v + 1.1, v + 1.2});
        }
        r.outputs[0].second.push_back(x * x);
        r.outputs[1].second.push_back(-x);
    }
    return r;
}

// Rows [begin, end) of `whole`, as `canopy sweep --shard` would have written them.
experiments::SweepResult shard_of(const experiments::SweepResult& whole, std::size_t begin,
                                  std::size_t end, const std::string& shard) {
    const auto rows = [&](const std::vector<double>& v, std::size_t width) {
        return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(begin * width),
                                   v.begin() + static_cast<std::ptrdiff_t>(end * width));
    };
    experiments::SweepResult s = whole;
    s.shard = shard;
    s.point_index.assign(whole.point_index.begin() + static_cast<std::ptrdiff_t>(begin),
                         whole.point_index.begin() + static_cast<std::ptrdiff_t>(end));
    s.unit.u = rows(whole.unit.u, 2);
    for (auto& v : s.values) {
        v = rows(v, 1);
    }
    for (auto& t : s.targets) {
        for (auto* c : {&t.p_attain, &t.p_attain_lo, &t.p_attain_hi, &t.median}) {
            *c = rows(*c, 1);
        }
    }
    for (auto& i : s.indicators) {
        for (auto* c : {&i.mean, &i.q05, &i.q50, &i.q95}) {
            *c = rows(*c, 1);
        }
        i.mean_path = rows(i.mean_path, 2);
        i.finals = rows(i.finals, 2);
    }
    for (auto& [name, y] : s.outputs) {
        y = rows(y, 1);
    }
    return s;
}

struct Merged {
    std::optional<experiments::SweepResult> result;
    std::string message;
    std::size_t errors = 0;
};

Merged merge(const std::vector<experiments::SweepResult>& shards) {
    const std::vector<std::string> files{"p1.h5", "p2.h5", "p3.h5"};
    engine::Diagnostics diagnostics;
    Merged m;
    m.result = experiments::merge_sweep_results(shards, files, diagnostics);
    m.message = diagnostics.format();
    m.errors = diagnostics.size();
    return m;
}

std::vector<experiments::SweepResult> three_shards() {
    const experiments::SweepResult whole = whole_result();
    return {shard_of(whole, 0, 2, "1/3"), shard_of(whole, 2, 4, "2/3"),
            shard_of(whole, 4, 6, "3/3")};
}

} // namespace

TEST_CASE("Merged shards carry every column and every /outputs dataset, points in order",
          "[unit][sweep][merge]") {
    const experiments::SweepResult whole = whole_result();
    auto shards = three_shards();
    std::swap(shards[0], shards[2]); // the order of the files does not matter
    const Merged m = merge(shards);
    INFO(m.message);
    REQUIRE(m.result);
    CHECK(m.result->point_index == whole.point_index);
    CHECK(m.result->unit.u == whole.unit.u);
    CHECK(m.result->values == whole.values);
    REQUIRE(m.result->targets.size() == 2);
    CHECK(m.result->targets[1].median == whole.targets[1].median);
    REQUIRE(m.result->indicators.size() == 2);
    CHECK(m.result->indicators[1].finals == whole.indicators[1].finals);
    CHECK(m.result->indicators[1].mean_path == whole.indicators[1].mean_path);
    CHECK(m.result->outputs == whole.outputs);
}

TEST_CASE("Merge refuses shards whose targets, indicators or outputs differ, naming the shard",
          "[unit][sweep][merge]") {
    // Each edit made to the first shard (whose lists the merge would otherwise follow) and to a
    // later one: one error naming the file that differs and what it has or lacks.
    using Edit = std::function<void(experiments::SweepResult&)>;
    const std::vector<std::tuple<std::string, Edit, std::string>> edits{
        {"a target deleted", [](auto& s) { s.targets.erase(s.targets.begin() + 1); },
         "/targets/t2"},
        {"an indicator deleted", [](auto& s) { s.indicators.erase(s.indicators.begin()); },
         "/indicators/i1"},
        {"finals deleted", [](auto& s) { s.indicators[1].finals.clear(); },
         "/indicators/i2/finals"},
        {"a mean path deleted", [](auto& s) { s.indicators[0].mean_path.clear(); },
         "/indicators/i1/mean_path"},
        {"an output deleted", [](auto& s) { s.outputs.pop_back(); }, "/outputs/z"},
        {"an output added", [](auto& s) { s.outputs.emplace_back("w", s.outputs[0].second); },
         "/outputs/w"},
    };
    for (const auto& [what, edit, needle] : edits) {
        for (const std::size_t edited : {0UL, 2UL}) {
            INFO(what << " in shard " << edited + 1);
            auto shards = three_shards();
            edit(shards[edited]);
            const Merged m = merge(shards);
            INFO(m.message);
            CHECK_FALSE(m.result);
            // Named as what a later file has or lacks compared with the first: with the first
            // edited, both later files differ from it.
            CHECK(m.errors == (edited == 0 ? 2 : 1));
            CHECK(m.message.find(edited == 0 ? "p2.h5: error: " : "p3.h5: error: ") !=
                  std::string::npos);
            CHECK(m.message.find(needle) != std::string::npos);
            CHECK(m.message.find("p1.h5") != std::string::npos);
        }
    }
}

TEST_CASE("Merge refuses a shard whose columns do not have one value per point",
          "[unit][sweep][merge]") {
    auto shards = three_shards();
    shards[1].targets[0].median.pop_back();
    shards[2].outputs[1].second.push_back(1.0);
    const Merged m = merge(shards);
    INFO(m.message);
    CHECK_FALSE(m.result);
    CHECK(m.message.find("p2.h5: error: /targets/t1/median has 1 values for 2 points") !=
          std::string::npos);
    CHECK(m.message.find("p3.h5: error: /outputs/z has 3 values for 2 points") !=
          std::string::npos);
}

TEST_CASE("Merge says what differs and sums up overlapping points", "[unit][sweep][merge]") {
    auto shards = three_shards();
    shards[1].points_total = 7;
    const Merged total = merge(shards);
    CHECK_FALSE(total.result);
    CHECK(total.message.find("p2.h5: error: comes from a different experiment (points_total 7 "
                             "vs 6) than p1.h5") != std::string::npos);

    // A shard made with another seed in its sweep file: the seed is named, not "a different
    // sweep file" (docs/sweeps.md: merge names what differs).
    {
        auto seeded = three_shards();
        seeded[0].sweep_text = "[sweep]\nseed = 11\ndesign = \"grid\"\n";
        seeded[0].seed = 11;
        seeded[1].sweep_text = "[sweep]\nseed  = 12\ndesign = \"grid\"\n";
        seeded[1].seed = 12;
        seeded[2].sweep_text = "[sweep]\nseed = 13\ndesign = \"lhs\"\n";
        seeded[2].seed = 13;
        const Merged seed = merge(seeded);
        INFO(seed.message);
        CHECK_FALSE(seed.result);
        CHECK(seed.message.find("p2.h5: error: comes from a different seed than p1.h5: seed 12 "
                                "against 11\n") != std::string::npos);
        CHECK(seed.message.find("p3.h5: error: comes from a different seed than p1.h5: seed 13 "
                                "against 11 (and its sweep file differs in other lines too)") !=
              std::string::npos);
    }

    // The whole file and a shard of it: one line for the shard's points the whole holds too.
    experiments::SweepResult full = whole_result();
    const Merged overlap = merge({full, three_shards()[1]});
    INFO(overlap.message);
    CHECK_FALSE(overlap.result);
    CHECK(overlap.errors == 1);
    CHECK(overlap.message.find("p2.h5: error: holds 2 points that p1.h5 holds too (2-3)") !=
          std::string::npos);
}

TEST_CASE("A journal whose header is damaged is refused and left as it is, never started afresh",
          "[unit][sweep][journal]") {
    using Kind = experiments::JournalCheck::Kind;
    const test::TempDir dir;
    const auto path = dir / "run.h5.journal";
    experiments::Experiment e;
    e.fingerprint = "experiment-a";
    std::size_t computed = 0;
    const auto journalled = [&] {
        auto inner = std::make_unique<Counting>();
        inner->computed = &computed;
        return experiments::journalled(std::move(inner), path);
    };
    const auto all = points(4);
    journalled()->evaluate(e, all);
    const std::string good = test::read_file(path);
    // Header: magic [0, 16), u64 length [16, 24), 12 bytes of fingerprint [24, 36), u64 checksum.
    const auto length_plus_8 = [&] {
        std::string b = good;
        std::uint64_t n = 0;
        std::memcpy(&n, b.data() + 16, sizeof n);
        n += 8;
        std::memcpy(b.data() + 16, &n, sizeof n);
        return b;
    };
    const auto flip = [&](std::size_t at) {
        std::string b = good;
        b[at] = static_cast<char>(b[at] ^ 1);
        return b;
    };
    const std::vector<std::pair<std::string, std::string>> damaged{
        {flip(30), "checksum does not match"},
        {flip(20), "length of"},
        {length_plus_8(), "checksum does not match"},
        {flip(40), "checksum does not match"},
        {"CANOPY-JOURNAL-1 and then some text, not a header", "length of"},
        {good.substr(0, 20), "cut off after 20 bytes"},
        {good.substr(0, 16), "cut off after 16 bytes"},
    };
    for (const auto& [bytes, why] : damaged) {
        INFO(why);
        test::write_file(path, bytes);
        const experiments::JournalCheck check = experiments::journal_check(path, "experiment-a");
        CHECK(check.kind == Kind::damaged);
        CHECK_THAT(check.problem, Catch::Contains("is damaged") && Catch::Contains(why));
        CHECK_THROWS_WITH(journalled()->evaluate(e, all), Catch::Contains("is damaged"));
        CHECK(test::read_file(path) == bytes); // untouched
    }
    CHECK(computed == 4); // nothing recomputed over a damaged journal

    // A directory of the journal's name is no journal either.
    std::filesystem::remove(path);
    std::filesystem::create_directory(path);
    const experiments::JournalCheck directory = experiments::journal_check(path, "experiment-a");
    CHECK(directory.kind == Kind::not_a_journal);
    CHECK(directory.problem == "'" + path.string() + "' is not a Canopy journal but a directory");
}

TEST_CASE("A record spoilt in the middle of a journal costs its own point only, with a warning",
          "[unit][sweep][journal]") {
    const test::TempDir dir;
    const auto path = dir / "run.h5.journal";
    experiments::Experiment e;
    e.fingerprint = "experiment-a";
    std::size_t computed = 0;
    std::vector<std::string> warnings;
    const auto journalled = [&] {
        auto inner = std::make_unique<Counting>();
        inner->computed = &computed;
        return experiments::journalled(std::move(inner), path,
                                       [&](const std::string& w) { warnings.push_back(w); });
    };
    const auto all = points(10);
    const auto first = journalled()->evaluate(e, all);
    REQUIRE(computed == 10);
    std::string bytes = test::read_file(path);
    // Every record has the same size here: spoil a byte in the payload of the fourth.
    const std::size_t header = 16 + 8 + e.fingerprint.size() + 8;
    const std::size_t record = (bytes.size() - header) / 10;
    REQUIRE(header + 10 * record == bytes.size());
    const std::size_t fourth = header + 3 * record;
    bytes[fourth + 30] = static_cast<char>(bytes[fourth + 30] ^ 4);
    test::write_file(path, bytes);
    const auto second = journalled()->evaluate(e, all);
    CHECK(computed == 11); // the spoilt point only; the six after it are read back
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("a record that fails its checksum at byte " +
                                            std::to_string(fourth)) &&
                                Catch::Contains("skipped " + std::to_string(record) + " bytes"));
    for (std::size_t k = 0; k < 10; ++k) {
        CHECK(second[k].finals == first[k].finals);
    }

    // The same damage at the last record: no intact record follows, so it is cut off, with a
    // warning (a record cut short by a kill is dropped quietly, as before).
    warnings.clear();
    test::write_file(path, bytes.substr(0, header + 4 * record));
    bytes = test::read_file(path);
    journalled()->evaluate(e, std::span(all).first(4));
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("the last " + std::to_string(record) + " bytes"));
    CHECK(std::filesystem::file_size(path) == header + 4 * record); // cut, then recomputed
}

TEST_CASE("One writer per output: the lock names its holder and is gone with it",
          "[unit][sweep][journal]") {
    const test::TempDir dir;
    const auto out = dir / "o.h5";
    std::string why;
    {
        auto held = experiments::OutputLock::take(out, why);
        REQUIRE(held);
        CHECK(std::filesystem::exists(dir / "o.h5.lock"));
        std::string second;
        CHECK_FALSE(experiments::OutputLock::take(out, second));
        CHECK_THAT(second, Catch::Contains("'" + out.string() +
                                           "' is being written by another process (pid " +
                                           std::to_string(::getpid()) + " on host "));

        // Temporaries of writers gone (a pid no process has) go; this process's stay.
        test::write_file(dir / "o.h5.tmp.999999999.0", "stale");
        const std::string own = "o.h5.tmp." + std::to_string(::getpid()) + ".3";
        test::write_file(dir / own, "mine");
        test::write_file(dir / "other.h5.tmp.999999999.0", "another output's");
        CHECK(held->remove_stale_temporaries() == 1);
        CHECK_FALSE(std::filesystem::exists(dir / "o.h5.tmp.999999999.0"));
        CHECK(std::filesystem::exists(dir / own));
        CHECK(std::filesystem::exists(dir / "other.h5.tmp.999999999.0"));
    }
    CHECK_FALSE(std::filesystem::exists(dir / "o.h5.lock"));
    CHECK(experiments::OutputLock::take(out, why));
}

TEST_CASE("One writer per file: an output through a link and the file it names share a lock",
          "[unit][sweep][journal]") {
    // An outside tester ran two sweeps into one file at once, one --out through a link: each
    // took the lock beside the name it was given.
    const test::TempDir dir;
    std::filesystem::create_directory(dir / "real");
    std::filesystem::create_symlink("real/o.h5", dir / "link.h5");
    std::string why;
    auto held = experiments::OutputLock::take(dir / "link.h5", why);
    REQUIRE(held);
    CHECK(std::filesystem::exists(dir / "real" / "o.h5.lock"));
    CHECK_FALSE(std::filesystem::exists(dir / "link.h5.lock"));
    std::string second;
    CHECK_FALSE(experiments::OutputLock::take(dir / "real" / "o.h5", second));
    CHECK_THAT(second, Catch::Contains("is being written by another process"));
}

TEST_CASE("The lock is never written through a link", "[unit][sweep][journal]") {
    // A symbolic or hard link planted at "<out>.lock" had what it named overwritten with the
    // writer's pid (an outside tester's, run as root, pointed at /etc/passwd), and a dangling
    // one created the file it named. Each is refused, and the file it names is left as it was.
    const test::TempDir dir;
    const auto out = dir / "o.h5";
    const auto lock = dir / "o.h5.lock";
    const auto victim = dir / "victim.txt";
    test::write_file(victim, "precious\n");
    const auto read = [](const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    std::string why;
    std::filesystem::create_symlink(victim, lock);
    CHECK_FALSE(experiments::OutputLock::take(out, why));
    CHECK_THAT(why, Catch::Contains("'" + lock.string() + "' is a symbolic link") &&
                        Catch::Contains("remove it"));
    CHECK(read(victim) == "precious\n");
    CHECK(std::filesystem::is_symlink(std::filesystem::symlink_status(lock)));
    std::filesystem::remove(lock);

    std::filesystem::create_symlink(dir / "made.txt", lock); // dangling
    CHECK_FALSE(experiments::OutputLock::take(out, why));
    CHECK_FALSE(std::filesystem::exists(dir / "made.txt"));
    std::filesystem::remove(lock);

    std::filesystem::create_hard_link(victim, lock);
    CHECK_FALSE(experiments::OutputLock::take(out, why));
    CHECK_THAT(why, Catch::Contains("has other names (hard links)"));
    CHECK(read(victim) == "precious\n");
    CHECK(std::filesystem::exists(lock));
    std::filesystem::remove(lock);

    std::filesystem::create_directory(lock);
    CHECK_FALSE(experiments::OutputLock::take(out, why));
    std::filesystem::remove(lock);
    CHECK(experiments::OutputLock::take(out, why)); // a plain lock is still taken
}

TEST_CASE("A factor's range that breaks a model's rule across parameters is refused at the factor",
          "[unit][sweep]") {
    // share_auto over [0.1, 0.95] put up to 148 % of the firms in the five sectors, and the
    // sweep ran without a word: each point is checked over every value its factors can take.
    const test::TempDir dir;
    const std::string wuhan = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";
    const auto load = [&](const std::string& factors) {
        test::write_file(dir / "s.toml", "[sweep]\nscenario = \"" + wuhan +
                                             "\"\ndesign = \"lhs\"\npoints = 4\nreplicates = 2\n" +
                                             factors);
        return experiments::load_sweep(dir / "s.toml");
    };
    const auto first_error = [](const experiments::SweepLoad& l) {
        REQUIRE_FALSE(l.sweep);
        REQUIRE(!l.diagnostics.empty());
        return *l.diagnostics.begin();
    };
    {
        const auto shares = load("[factors.share_auto]\nmin = 0.1\nmax = 0.95\n");
        const engine::Diagnostic d = first_error(shares);
        CHECK(d.line == 6);
        CHECK(d.key == "factors.share_auto");
        CHECK_THAT(d.message,
                   Catch::StartsWith("over the factors' ranges, the sector shares can sum to "
                                     "1.48 at their largest draws, more than 1") &&
                       Catch::Contains("share_auto = from 0.1 to 0.95 (factor share_auto)"));
        CHECK(d.allowed == "a sum of at most 1, for every value a design point can take");
    }
    {
        // Two factors in one rule: said at the later, with both ranges; a list counts by its
        // extremes.
        const auto loans = load("[factors.initial_loan_growth]\nvalues = [0.2, -0.45]\n"
                                "[factors.loan_term_months]\nmin = 12\nmax = 36\n");
        const engine::Diagnostic d = first_error(loans);
        CHECK(d.line == 8);
        CHECK(d.key == "factors.loan_term_months");
        CHECK_THAT(d.message,
                   Catch::Contains("where the draws reach initial_loan_growth = -0.45, "
                                   "loan_term_months = 36") &&
                       Catch::Contains("initial_loan_growth = from -0.45 to 0.2 (factor "
                                       "initial_loan_growth); loan_term_months = from 12 to 36 "
                                       "(factor loan_term_months)"));
    }
    // Within the rules, both load; a factor alone can be blamed for a rule it shares with a
    // setting of the scenario.
    const auto fine = load("[factors.share_auto]\nmin = 0.1\nmax = 0.45\n"
                           "[factors.initial_loan_growth]\nmin = -0.25\nmax = 0.3\n");
    INFO(fine.diagnostics.format());
    CHECK(fine.sweep);
    const auto alone = load("[factors.initial_loan_growth]\nmin = -0.45\nmax = 0.3\n");
    const engine::Diagnostic d = first_error(alone);
    CHECK(d.key == "factors.initial_loan_growth");
    CHECK_THAT(d.message, Catch::Contains("loan_term_months = from 12 to 36 (a distribution)"));
}
