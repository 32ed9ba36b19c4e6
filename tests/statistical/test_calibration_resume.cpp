// Calibrations behind their journals (calibration_journal.hpp): a rerun reads every completed
// point back and computes none; a journal cut short (a kill) is completed; either way the result
// is the same bits as a run never interrupted. The analytic model (analytic_calibration.hpp)
// counts the points it really computes. tests/regression/test_cli_calibrate.cpp kills a real
// `canopy calibrate` and resumes it.
#include "analytic_calibration.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/calibration_journal.hpp>
#include <canopy/experiments/smm.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

using namespace canopy;
using namespace canopy::experiments;
using canopy::test::AnalyticEvaluator;
using canopy::test::AnalyticModel;

namespace {

namespace fs = std::filesystem;

AnalyticModel two_parameters() {
    AnalyticModel m;
    m.a.resize(4, 2);
    m.a << 1, 0, 0, 1, 1, 1, 1, -1;
    return m;
}

// A fresh directory under the system's temporary one, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "canopy-resume-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void check_same(const CalibrationResult& a, const CalibrationResult& b) {
    CHECK(a.particles == b.particles);
    CHECK(a.weights == b.weights);
    CHECK(a.simulations == b.simulations);
    REQUIRE(a.generations.size() == b.generations.size());
    for (std::size_t g = 0; g < a.generations.size(); ++g) {
        CHECK(a.generations[g].temperature == b.generations[g].temperature);
        CHECK(a.generations[g].candidates == b.generations[g].candidates);
        CHECK(a.generations[g].ess == b.generations[g].ess);
    }
    REQUIRE(a.figures.size() == b.figures.size());
    for (std::size_t k = 0; k < a.figures.size(); ++k) {
        CHECK(a.figures[k].median == b.figures[k].median);
        CHECK(a.figures[k].q05 == b.figures[k].q05);
        CHECK(a.figures[k].q95 == b.figures[k].q95);
    }
    CHECK(a.smm.has_value() == b.smm.has_value());
    if (a.smm && b.smm) {
        CHECK(a.smm->estimate == b.smm->estimate);
        CHECK(a.smm->standard_error == b.smm->standard_error);
        CHECK(a.smm->profile_objective == b.smm->profile_objective);
    }
}

CalibrationResult run(const Calibration& c, Evaluator& evaluator) {
    return c.method == CalibrationMethod::smm ? run_smm(c, evaluator) : run_abc_smc(c, evaluator);
}

// Runs `c` uninterrupted, then behind a journal, then again behind it (everything read back),
// then from the journal cut to `keep` of its bytes (the rest recomputed).
void check_resume(const Calibration& c, const AnalyticModel& m, std::size_t expected_journals) {
    const TempDir dir;
    const fs::path journal = dir.path / "post.h5.journal";
    AnalyticEvaluator plain(m);
    const CalibrationResult whole = run(c, plain);

    AnalyticEvaluator first(m);
    CalibrationJournal journalled(first, journal);
    const CalibrationResult a = run(c, journalled);
    journalled.close();
    check_same(whole, a);
    CHECK(first.evaluated == plain.evaluated);
    CHECK(journalled.points_restored() == 0);
    const std::vector<fs::path> files = calibration_journal_files(journal);
    CHECK(files.size() == expected_journals);

    // Everything is in the journals: nothing is computed again.
    AnalyticEvaluator second(m);
    CalibrationJournal again(second, journal);
    const CalibrationResult b = run(c, again);
    again.close();
    check_same(whole, b);
    CHECK(second.evaluated == 0);
    CHECK(again.points_restored() == plain.evaluated);

    // A kill part-way: the last journal loses its second half (and the record it cut through),
    // later journals never existed. The points lost are computed again, and only those.
    for (std::size_t k = 1; k < files.size(); ++k) {
        fs::remove(files[k]);
    }
    fs::resize_file(files.front(), fs::file_size(files.front()) / 2);
    AnalyticEvaluator third(m);
    CalibrationJournal resumed(third, journal);
    const CalibrationResult r = run(c, resumed);
    resumed.close();
    check_same(whole, r);
    CHECK(third.evaluated > 0);
    CHECK(third.evaluated < plain.evaluated);
    CHECK(third.evaluated + resumed.points_restored() == plain.evaluated);
}

} // namespace

TEST_CASE("ABC-SMC resumed from its journal gives the same bits", "[statistical]") {
    const AnalyticModel m = two_parameters();
    Calibration c = test::analytic_calibration(m, {0.3, 0.2, 0.4, 0.0}, 3);
    c.abc.particles = 100;
    check_resume(c, m, 1);
}

TEST_CASE("the method of moments resumed from its journals gives the same bits", "[statistical]") {
    // Two experiments: the moments on common random numbers, then the projection's draws.
    const AnalyticModel m = two_parameters();
    Calibration c = test::analytic_calibration(m, {0.6, -0.3, 0.2, 0.9}, 21);
    c.method = CalibrationMethod::smm;
    c.smm.replicates = 20;
    c.smm.posterior_draws = 50;
    check_resume(c, m, 2);
}

TEST_CASE("a journal of another calibration is refused", "[statistical]") {
    const AnalyticModel m = two_parameters();
    const TempDir dir;
    const fs::path journal = dir.path / "post.h5.journal";
    Calibration c = test::analytic_calibration(m, {0.3, 0.2, 0.4, 0.0}, 3);
    c.abc.particles = 30;
    AnalyticEvaluator e1(m);
    CalibrationJournal j1(e1, journal);
    run_abc_smc(c, j1);
    j1.close();
    c.seed = 4; // another calibration: another fingerprint
    AnalyticEvaluator e2(m);
    CalibrationJournal j2(e2, journal);
    CHECK_THROWS_WITH(run_abc_smc(c, j2), Catch::Contains("belongs to another experiment"));
    CHECK(e2.evaluated == 0);
}
