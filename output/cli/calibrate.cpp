// `canopy calibrate`: fit a scenario's parameters to history with ABC-SMC or the simulated
// method of moments, and write the posterior. It checks the calibration file, its scenario, its
// data and every output path before it runs anything, so bad input never creates or
// overwrites a file. The methods run on the experiments layer's evaluator (threads, or MPI
// ranks under mpirun) behind a journal, so a killed run resumes with --resume.
#include "cli.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/experiments/abc_smc.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/calibration_journal.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/experiments/smm.hpp>
#include <canopy/output/calibration_outputs.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/progress.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

struct CalibrateArgs {
    std::string file;
    std::string out;
    std::string json;
    std::string method;
    std::optional<int> fit_until;
    std::optional<std::uint64_t> seed;
    int threads = 0;
    bool quiet = false;
    bool resume = false;
    std::string max_memory; ///< --max-memory: empty for the memory available
};

// The first journal of a calibration written to `out` (calibration_journal.hpp).
fs::path journal_of(const std::string& out) {
    return experiments::beside(experiments::write_target(out), ".journal"); // through a link
}

// The command that continues an interrupted calibration: the flags that shape its result (a
// resume with another method, seed or --fit-until is refused) and those that shape the run.
std::string resume_command(const CalibrateArgs& a, int processes) {
    std::string out = launch_command(processes) + " calibrate " + shell_word(a.file);
    if (!a.method.empty()) {
        out += " --method " + a.method;
    }
    if (a.fit_until) {
        out += " --fit-until " + std::to_string(*a.fit_until);
    }
    if (a.seed) {
        out += " --seed " + std::to_string(*a.seed);
    }
    out += " --resume --out " + shell_word(a.out);
    if (!a.json.empty()) {
        out += " --json " + shell_word(a.json);
    }
    if (a.threads > 0) {
        out += " --threads " + std::to_string(a.threads);
    }
    if (!a.max_memory.empty()) {
        out += " --max-memory " + shell_word(a.max_memory);
    }
    return out;
}

// A sweep's journal fingerprint has no ':' before its build (a calibration's ends
// ':<method>:<n>').
bool sweep_journal(const experiments::JournalCheck& check) {
    return !check.fingerprint.empty() &&
           experiments::without_build(check.fingerprint).find(':') == std::string::npos;
}

// Said of a sweep's journal at the calibration's --out, with --resume or without.
std::string sweep_journal_problem(const fs::path& journal, const std::string& out) {
    return "the journal " + quoted(journal.string()) + " is an interrupted sweep's (canopy sweep " +
           "--out " + quoted(out) +
           "), not a calibration's: give the calibration another --out, or remove the journal if "
           "that sweep is not to be continued";
}

// Problems with --out and --json (shared with Python's calibrate: calibration_outputs.hpp),
// and with a journal left at --out.
std::vector<std::string> output_problems(const CalibrateArgs& a, const experiments::Calibration* c,
                                         std::unique_ptr<experiments::OutputLock>& lock) {
    std::vector<std::string> problems =
        output::calibration_output_problems(a.file, c, a.out, a.json);
    if (problems.empty()) {
        // One writer per --out (a requeued job while the first still runs): its journals are
        // the other run's, in use, and not judged here.
        std::string why;
        lock = experiments::OutputLock::take(a.out, why);
        if (!lock) {
            problems.push_back("--out: " + why);
            return problems;
        }
    }
    if (!a.resume) {
        // Without --resume a journal is neither read nor replaced: one that is not a journal
        // at all is named as such (it would have been taken for a cut-off header), any other
        // asks for --resume.
        const std::vector<fs::path> journals =
            experiments::calibration_journal_files(journal_of(a.out));
        bool foreign = false;
        for (const fs::path& journal : journals) {
            const experiments::JournalCheck check = experiments::journal_check(journal, "", true);
            if (check.kind == experiments::JournalCheck::Kind::not_a_journal) {
                problems.push_back("--out: " + check.problem +
                                   "; remove it, or give another --out");
                foreign = true;
            } else if (check.kind == experiments::JournalCheck::Kind::resumable &&
                       sweep_journal(check)) {
                // It was called an interrupted calibration, and --resume then refused it.
                problems.push_back("--out: " + sweep_journal_problem(journal, a.out));
                foreign = true;
            }
        }
        if (!foreign && !journals.empty()) {
            problems.push_back("--out: the journal " + quoted(journals.front().string()) +
                               " of an earlier calibration (interrupted, or stopped by its budget) "
                               "exists; add --resume to continue "
                               "it, or remove it to start again");
        }
    }
    return problems;
}

std::string number(double x) {
    return output::format_quantity(x);
}

std::string interval(double lo, double hi) {
    return "[" + number(lo) + ", " + number(hi) + "]";
}

nlohmann::json to_json(const experiments::Calibration& c, const experiments::CalibrationResult& r) {
    using nlohmann::json;
    const auto finite = [](double x) -> json { return std::isfinite(x) ? json(x) : json(nullptr); };
    json j;
    j["schema_version"] = 1; // raised when a field changes meaning or disappears
    j["calibration"] = r.name;
    j["method"] = r.method;
    j["model"] = r.model;
    j["scenario"] = r.scenario;
    j["scenario_start"] = r.scenario_start;
    j["seed"] = r.seed;
    j["fit_until"] = r.fit_until > 0 ? json(r.fit_until) : json(nullptr);
    j["data_file"] = r.data_file;
    j["data_sha256"] = r.data_sha256;
    j["engine_version"] = r.engine_version;
    j["exact"] = r.exact;
    j["final_temperature"] = finite(r.final_temperature);
    j["ess"] = finite(r.ess);
    j["particles"] = r.particle_count();
    j["simulations"] = r.simulations;
    j["wall_seconds"] = r.wall_seconds;
    j["simulations_per_second"] = r.simulations_per_second;
    json params = json::array();
    for (std::size_t k = 0; k < r.parameters.size(); ++k) {
        const experiments::ParameterSummary& s = r.summaries[k];
        json p = {{"name", r.parameters[k]},      {"kind", r.parameter_kinds[k]},
                  {"unit", r.parameter_units[k]}, {"prior", r.priors[k]},
                  {"lower", finite(r.lower[k])},  {"upper", finite(r.upper[k])},
                  {"mean", finite(s.mean)},       {"median", finite(s.median)},
                  {"q05", finite(s.q05)},         {"q25", finite(s.q25)},
                  {"q75", finite(s.q75)},         {"q95", finite(s.q95)}};
        if (r.smm) {
            p["estimate"] = finite(r.smm->estimate[k]);
            p["standard_error"] = finite(r.smm->standard_error[k]);
        }
        params.push_back(p);
    }
    j["parameters"] = params;
    json gens = json::array();
    for (const experiments::GenerationRecord& g : r.generations) {
        gens.push_back({{"generation", g.generation},
                        {"temperature", finite(g.temperature)},
                        {"tolerance", finite(g.tolerance)},
                        {"candidates", g.candidates},
                        {"simulations", g.simulations},
                        {"acceptance_rate", finite(g.acceptance_rate)},
                        {"ess", finite(g.ess)},
                        {"seconds", g.seconds}});
    }
    j["generations"] = gens;
    json figures = json::array();
    int held = 0;
    int in50 = 0;
    int in90 = 0;
    int edge90 = 0;
    for (const experiments::FigureFit& f : r.figures) {
        figures.push_back({{"observation", f.observation},
                           {"series", f.series},
                           {"year", f.year},
                           {"value", f.value},
                           {"unit", f.unit},
                           {"kind", f.kind},
                           {"measure", f.measure},
                           {"sd", f.sd},
                           {"fitted", f.fitted},
                           {"median", finite(f.median)},
                           {"q05", finite(f.q05)},
                           {"q25", finite(f.q25)},
                           {"q75", finite(f.q75)},
                           {"q95", finite(f.q95)},
                           {"inside50", f.inside50},
                           {"inside90", f.inside90},
                           {"edge90", f.edge90},
                           {"line", f.line}});
        if (!f.fitted) {
            ++held;
            in50 += f.inside50 ? 1 : 0;
            in90 += f.inside90 ? 1 : 0;
            edge90 += f.edge90 ? 1 : 0;
        }
    }
    j["figures"] = figures;
    j["holdout"] = {{"figures", held}, {"inside50", in50}, {"inside90", in90}, {"edge90", edge90}};
    if (r.smm) {
        const experiments::SmmReport& s = *r.smm;
        j["smm"] = {{"objective", finite(s.objective)},
                    {"iterations", s.iterations},
                    {"evaluations", s.evaluations},
                    {"converged", s.converged},
                    {"replicates", s.replicates},
                    {"profile_values", s.profile_values},
                    {"profile_objective", s.profile_objective}};
    }
    j["unused_series"] = c.unused_series;
    j["notes"] = r.notes;
    return j;
}

void print_report(const experiments::CalibrationResult& r, const output::TableStyle& style) {
    (void)style;
    std::cout << fmt::format("calibration {}: {} of scenario {} (model {}), seed {}{}\n", r.name,
                             r.method, r.scenario, r.model, r.seed,
                             r.fit_until > 0 ? fmt::format(", fitted up to {}", r.fit_until)
                                             : std::string());
    if (r.method == "abc-smc") {
        std::cout << fmt::format(
            "{} generations, {} runs in {}; final tolerance {} (temperature {}): {}; effective "
            "sample size {}\n",
            r.generations.size(), r.simulations, output::format_duration(r.wall_seconds),
            number(std::sqrt(r.final_temperature)), number(r.final_temperature),
            r.exact ? "exact under the error model" : "approximate", number(r.ess));
    } else if (r.smm) {
        std::cout << fmt::format("objective {} after {} iterations ({}), {} runs in {}\n",
                                 number(r.smm->objective), r.smm->iterations,
                                 r.smm->converged ? "converged" : "not converged", r.simulations,
                                 output::format_duration(r.wall_seconds));
    }
    std::vector<std::vector<std::string>> rows;
    if (r.smm) {
        rows.push_back({"parameter", "prior", "estimate", "std. error", "90 % interval"});
    } else {
        rows.push_back({"parameter", "prior", "median", "50 % interval", "90 % interval"});
    }
    for (std::size_t k = 0; k < r.parameters.size(); ++k) {
        const experiments::ParameterSummary& s = r.summaries[k];
        if (r.smm) {
            rows.push_back({r.parameters[k], r.priors[k], number(r.smm->estimate[k]),
                            number(r.smm->standard_error[k]), interval(s.q05, s.q95)});
        } else {
            rows.push_back({r.parameters[k], r.priors[k], number(s.median), interval(s.q25, s.q75),
                            interval(s.q05, s.q95)});
        }
    }
    std::cout << "\n" << output::format_columns(rows);
    // Every figure: fitted ones show how well history is reproduced, held-back ones are the
    // hold-out test.
    std::vector<std::vector<std::string>> figs = {{"figure", "year", "published", "kind", "used as",
                                                   "median", "50 % interval", "90 % interval",
                                                   "inside 50/90"}};
    int held = 0;
    int in90 = 0;
    int edge90 = 0;
    int marked = 0;
    for (const experiments::FigureFit& f : r.figures) {
        figs.push_back({f.series, std::to_string(f.year), number(f.value), f.kind,
                        f.fitted ? "fitted" : "held back", number(f.median), interval(f.q25, f.q75),
                        interval(f.q05, f.q95),
                        std::string(f.inside50 ? "yes" : "no") + "/" + (f.inside90 ? "yes" : "no") +
                            (f.edge90 ? " ~" : "")});
        marked += f.edge90 ? 1 : 0;
        if (!f.fitted) {
            ++held;
            in90 += f.inside90 ? 1 : 0;
            edge90 += f.edge90 ? 1 : 0;
        }
    }
    std::cout << "\n" << output::format_columns(figs);
    // The two methods' intervals answer different questions: an outside reader compared
    // ABC's [179, 204] with SMM's [163, 228] for the same figure as if they were one thing.
    std::cout << (r.smm ? "figures' intervals: fresh runs at the estimate's normal approximation, "
                          "as `canopy run --posterior` makes them\n"
                        : "figures' intervals: the particles' own runs, each accepted for the "
                          "data, so narrower than a fresh run at the same parameters (`canopy "
                          "run --posterior`)\n");
    // An end of a 90 % interval is a quantile of a few hundred runs: a figure near it is inside
    // or outside by the draw, not by the data.
    if (marked > 0) {
        std::cout << "~: the figure lies within the Monte Carlo error of an end of its 90 % "
                     "interval (95 % band of that quantile over the runs), so its yes/no there "
                     "could turn with another seed or more runs\n";
    }
    if (held > 0) {
        std::cout << fmt::format("\nhold-out: {} of {} held-back figures inside their 90 % "
                                 "interval{}\n",
                                 in90, held,
                                 edge90 > 0 ? fmt::format(" ({} of the {} within the Monte Carlo "
                                                          "error of an end: ~)",
                                                          edge90, held)
                                            : std::string());
    }
    for (const std::string& note : r.notes) {
        std::cout << "note: " << note << "\n";
    }
    std::cout.flush();
}

int calibrate_command(const FlagProblems& flagged, const CalibrateArgs& a) {
    // Under mpirun every rank runs this; the root checks, reports and writes, every rank
    // computes.
    std::unique_ptr<experiments::Evaluator> base = experiments::default_evaluator();
    const bool root = base->is_root();

    // 1. Every input and output is checked before anything runs or is written.
    experiments::CalibrationFlags flags;
    if (!a.method.empty()) {
        flags.method = a.method == "smm" ? experiments::CalibrationMethod::smm
                                         : experiments::CalibrationMethod::abc_smc;
    }
    flags.fit_until = a.fit_until;
    flags.seed = a.seed;
    experiments::CalibrationLoad loaded = experiments::load_calibration(a.file, flags);
    const bool bad =
        root ? report(loaded.diagnostics, "canopy calibrate") : loaded.diagnostics.has_errors();
    // Only the root looks at the outputs: another rank could see the journal the root has
    // just begun.
    std::unique_ptr<experiments::OutputLock> lock; // only the root writes, so only it locks
    std::vector<std::string> problems = root ? flagged : FlagProblems{};
    if (root) {
        for (std::string& p :
             output_problems(a, loaded.calibration ? &*loaded.calibration : nullptr, lock)) {
            problems.push_back(std::move(p));
        }
    }
    if (root && loaded.calibration) {
        if (std::string p = experiments::calibration_resource_problem(
                *loaded.calibration, engine::ThreadLimit(a.threads).threads(), a.max_memory);
            !p.empty()) {
            problems.push_back(std::move(p));
        }
    }
    if (root && a.resume && loaded.calibration && lock) {
        // Each of the calibration's experiments has a fingerprint that starts with the
        // calibration's (calibration_common.cpp); a journal refused here never starts a run.
        const std::string ours = loaded.calibration->journal_fingerprint() + ":";
        for (const fs::path& journal : experiments::calibration_journal_files(journal_of(a.out))) {
            const experiments::JournalCheck check = experiments::journal_check(journal, ours, true);
            if (sweep_journal(check)) {
                problems.push_back("--resume: " + sweep_journal_problem(journal, a.out));
            } else if (std::string p = resume_problem(
                           check, "the calibration file, its scenario or data, the method, seed "
                                  "or --fit-until, or the Canopy version");
                       !p.empty()) {
                problems.push_back(std::move(p));
            }
        }
    }
    if (root && a.resume && loaded.calibration && lock && problems.empty() && !a.quiet &&
        experiments::calibration_journal_files(journal_of(a.out)).empty()) {
        // --resume with nothing to resume starts from the first run: said, not silent (a
        // finished calibration removes its journals, unless its budget ran out).
        std::cerr << "canopy calibrate: --resume: no journal at "
                  << quoted(journal_of(a.out).string())
                  << ", so nothing to read back: starting from the first run\n";
    }
    // The root's verdict holds for every rank, so that all stop or all go on together.
    std::vector<std::uint8_t> verdict{
        static_cast<std::uint8_t>(bad || !loaded.calibration || !problems.empty() ? 1 : 0)};
    base->share(verdict);
    if (verdict.at(0) != 0) {
        if (root) {
            for (const std::string& p : problems) {
                std::cerr << "canopy calibrate: error: " << p << "\n";
            }
            if (bad) {
                std::cerr << "canopy calibrate: " << a.file << " has errors; nothing was run or "
                          << "written\n";
            }
        }
        return EXIT_BAD_INPUT;
    }
    // Every rank must run the calibration rank 0 checked; a rank that read other files would
    // journal its runs under rank 0's fingerprint.
    if (ranks_differ("calibrate",
                     loaded.calibration && !loaded.diagnostics.has_errors()
                         ? loaded.calibration->fingerprint()
                         : std::string(),
                     loaded.diagnostics, a.file,
                     "the calibration file, its scenario or data (or the method, seed or "
                     "--fit-until)",
                     root)) {
        return EXIT_BAD_INPUT;
    }
    const experiments::Calibration& c = *loaded.calibration;
    if (lock) {
        // Result-sized files of writers killed while writing: with the lock held, no other run
        // writes this --out.
        lock->remove_stale_temporaries();
    }

    // Interrupted (Ctrl-C, a scheduler's SIGTERM, a closed terminal): the lock goes as on any
    // other exit, and the journal's runs are kept with the command that continues them, as a
    // sweep does (an outside tester found the lock left behind and nothing said). Declared
    // after the lock, so it is disarmed before the lock removes its file.
    std::optional<output::OnSignal> on_signal;
    if (lock) {
        on_signal.emplace(lock->path(), journal_of(a.out),
                          "canopy calibrate: interrupted; the runs done are kept in the journal " +
                              quoted(journal_of(a.out).string()) + ": continue with\n  " +
                              resume_command(a, base->processes()) + "\n");
    }

    // 2. Run, behind the journals: every completed run is on disk, so --resume after a kill
    // recomputes none of them and gives the same bits.
    const engine::ThreadLimit threads(a.threads);
    experiments::CalibrationJournal evaluator(*base, journal_of(a.out));
    output::StatusLine status = output::StatusLine::on_stderr(a.quiet || !root);
    const auto progress = [&](const experiments::CalibrationProgress& p) {
        std::string line = p.stage;
        if (!std::isnan(p.tolerance)) {
            line += "  tolerance " +
                    (std::isinf(p.tolerance) ? std::string("inf") : number(p.tolerance));
        }
        if (!std::isnan(p.acceptance_rate)) {
            line += "  acceptance " + output::format_percent(p.acceptance_rate);
        }
        if (p.wanted > 0) {
            line += fmt::format("  {}/{}", p.done, p.wanted);
        }
        line += fmt::format("  {} runs", p.simulations);
        if (std::isfinite(p.seconds_left)) {
            line += "  eta " + output::format_duration(p.seconds_left);
        }
        status.show(line);
    };
    // Under mpirun every rank runs the method alike: its own failure is said once.
    experiments::ClientEvaluator client(evaluator);
    std::optional<experiments::CalibrationResult> ran;
    try {
        ran = c.method == experiments::CalibrationMethod::smm
                  ? experiments::run_smm(c, client, progress)
                  : experiments::run_abc_smc(c, client, progress);
    } catch (const experiments::CalibrationSettingError& e) {
        // A setting of the file stopped the calibration before it had a result: bad input. Its
        // runs stay in the journals, which ignore that setting, for --resume once it changes.
        status.finish();
        evaluator.close();
        if (root) {
            engine::Diagnostic d = e.diagnostic();
            if (e.runs() > 0) {
                d.hint = fmt::format("- change it and rerun with --resume to keep the {} runs done "
                                     "(journalled in {})",
                                     e.runs(), quoted(journal_of(a.out).string()));
            }
            engine::Diagnostics ds;
            ds.add(std::move(d));
            report(ds);
            std::cerr << "canopy calibrate: no posterior was written\n";
        }
        return EXIT_BAD_INPUT;
    } catch (...) {
        // Any other failure. Its journals stay: a passing fault (memory, a full disk) must not
        // cost the runs done, which --resume reads back; but say so, or the next plain run is
        // refused for a journal the user never heard of.
        status.finish();
        evaluator.close();
        if (!root) {
            client.rethrow_shared(); // the root says it
        }
        // The cause first, then what became of the runs: the notes came before the error.
        std::string what;
        const char* kind = "error";
        bool say = true;
        try {
            throw;
        } catch (const experiments::SharedFailure& e) {
            what = e.what();
            say = e.reporter(); // another process said it
        } catch (const canopy::Error& e) {
            what = e.what();
        } catch (const std::exception& e) {
            what = e.what();
            kind = "internal error";
        }
        if (say) {
            std::cerr << "canopy: " << kind << ": " << what << "\n";
        }
        const std::vector<fs::path> journals =
            experiments::calibration_journal_files(journal_of(a.out));
        std::string names;
        for (const fs::path& journal : journals) {
            names += (names.empty() ? "" : ", ") + quoted(journal.string());
        }
        std::cerr << "canopy calibrate: no posterior was written\n";
        if (!journals.empty()) {
            std::cerr << "canopy calibrate: the runs done so far are kept in " << names
                      << ": rerun with --resume once the cause is fixed; after changing the "
                         "calibration file, delete them to start afresh\n";
        }
        throw experiments::SharedFailure(what, false); // said above: main only exits
    }
    experiments::CalibrationResult& result = *ran;
    status.finish();
    evaluator.close();

    // 3. Report (the root only: under MPI every rank has the same result).
    if (!root) {
        return EXIT_OK;
    }
    const bool json_to_stdout = a.json == "-";
    if (!a.quiet && !json_to_stdout) {
        print_report(result, output::TableStyle{output::use_colour(stdout)});
    }
    if (evaluator.points_restored() > 0 && !a.quiet && !json_to_stdout) {
        std::cout << fmt::format("resumed: {} points read back from the journal\n",
                                 evaluator.points_restored());
    }
    // The report (or the JSON on stdout) must have reached stdout before the posterior is
    // written: exit 1 then leaves every output as it was, and the runs stay in the journal for
    // --resume.
    const std::string json_text =
        a.json.empty() ? std::string() : to_json(c, result).dump(2) + "\n";
    if (json_to_stdout) {
        std::cout << json_text;
    }
    require_stdout("no posterior was written: the runs are kept in its journal, rerun with "
                   "--resume");
    // Both or neither (docs/output-format.md): the posterior and the JSON are finished under
    // temporary names and renamed together. The posterior was renamed first, so a JSON that
    // could not be written (a full disk) left a new posterior beside an old JSON.
    try {
        output::TemporaryFile posterior(a.out);
        experiments::write_calibration_result(posterior.path(), result);
        std::optional<output::TemporaryFile> json;
        if (!a.json.empty() && !json_to_stdout) {
            json.emplace(output::write_temporary(a.json, json_text));
        }
        std::vector<output::TemporaryFile*> finished{&posterior};
        if (json) {
            finished.push_back(&*json);
        }
        output::commit_all(finished);
    } catch (const canopy::Error& e) {
        // As a failed run says it (above): the runs are in the journals, and --resume writes
        // the result from them once there is room, without running them again.
        std::cerr << "canopy: error: " << e.what() << "\n"
                  << "canopy calibrate: no posterior was written; the runs are kept in its "
                     "journal: rerun with --resume once the cause is fixed\n";
        throw experiments::SharedFailure(e.what(), false); // said: main only exits
    }
    // The budget ended the run: its journals are what a raised budget goes on from, with every
    // run kept (docs/calibration.md). A rerun without --resume is refused while they are there.
    if (result.budget_ran_out) {
        std::cerr << "canopy calibrate: the simulation budget ran out: its runs are kept in "
                  << quoted(journal_of(a.out).string())
                  << "; raise abc_smc.max_simulations and rerun with --resume to go on from them "
                     "(remove the journal to start afresh)\n";
        return EXIT_OK;
    }
    // The result is complete: the journals are no longer needed.
    for (const fs::path& journal : experiments::calibration_journal_files(journal_of(a.out))) {
        std::error_code ec;
        fs::remove(journal, ec);
    }
    return EXIT_OK;
}

} // namespace

Command add_calibrate(CLI::App& app) {
    auto args = std::make_shared<CalibrateArgs>();
    auto seed_text = std::make_shared<std::string>();
    auto fit_until = std::make_shared<int>(0);
    CLI::App* cmd = app.add_subcommand(
        "calibrate", "Fit a scenario's parameters to history and write the posterior");
    cmd->add_option(
           "calibration", args->file,
           "Calibration file (docs/calibration.md; looked up here, then in the source tree)")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--out,-o", args->out, "Write the posterior to FILE.h5 (HDF5)")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--method,-m", args->method, "abc-smc or smm (default: the file's)")
        ->check(CLI::IsMember({"abc-smc", "smm"}));
    CLI::Option* until =
        cmd->add_option("--fit-until", *fit_until,
                        "Fit the figures up to this year; project and check the later ones")
            ->check(CLI::Range(1, 9999));
    cmd->add_option("--json", args->json,
                    "Write the result as JSON to PATH ('-' for stdout, which then carries only "
                    "the JSON)")
        ->check(NON_EMPTY);
    CLI::Option* seed =
        add_seed_option(*cmd, *seed_text, "Seed, 0 to 2^64 - 1 (default: the file's)");
    cmd->add_option("--threads,-t", args->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    add_max_memory_option(*cmd, args->max_memory);
    cmd->add_flag("--quiet,-q", args->quiet, "No progress line and no tables");
    cmd->add_flag("--resume", args->resume,
                  "Continue a killed calibration from its journal (FILE.h5.journal): the same "
                  "result as a run never interrupted");
    return Command{cmd, [args, seed_text, fit_until, until, seed](const FlagProblems& flagged) {
                       if (until->count() > 0) {
                           args->fit_until = *fit_until;
                       }
                       if (seed->count() > 0) {
                           std::uint64_t s = 0;
                           parse_seed(*seed_text, s);
                           args->seed = s;
                       }
                       // Looked up here, then in the source tree, as every other command's
                       // input file is.
                       args->file = resolve_scenario(args->file).string();
                       return calibrate_command(flagged, *args);
                   }};
}

} // namespace canopy::cli
