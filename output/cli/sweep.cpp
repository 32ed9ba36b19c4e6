// `canopy sweep`: a sweep file's design points, run on this machine's threads, across MPI ranks
// (under mpirun), or as one shard of a Slurm array (--shard i/n). Every input and output is
// checked before anything runs; the result appears only when complete, and a journal beside it
// lets --resume continue a killed run without redoing or losing a point.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/experiments/sensitivity.hpp>
#include <canopy/experiments/sweep.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/progress.hpp>

#include <fmt/format.h>

#include <chrono>
#include <iostream>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

struct SweepArgs {
    std::string file;
    std::string out;
    int threads = 0; ///< 0: all cores
    bool design_only = false;
    std::string shard;
    bool resume = false;
    bool quiet = false;
    std::string max_memory; ///< --max-memory: empty for the memory available
};

fs::path journal_of(const fs::path& out) {
    return experiments::beside(experiments::write_target(out), ".journal"); // through a link
}

// What a journal was written for: the whole sweep, or one shard of it.
const std::string SHARD_MARK = " shard ";

std::string shard_text(const std::optional<experiments::Shard>& shard) {
    return shard ? std::to_string(shard->index) + "/" + std::to_string(shard->count) : "";
}

// The journal's fingerprint: the sweep's, the shard when there is one, and the build. A shard's
// journal holds only its own points, so resuming it as another shard (or as the whole sweep), or
// the whole sweep's journal as a shard, would find few or none of them and then remove the
// journal with the rest: it is refused instead (journal_shard_problem). The build is said in
// clear (the sweep's fingerprint covers it too, hashed), so that a journal of another build is
// refused naming both (experiments::other_build_journal).
std::string journal_fingerprint(const std::string& sweep_fingerprint,
                                const std::optional<experiments::Shard>& shard) {
    return experiments::with_build(shard ? sweep_fingerprint + SHARD_MARK + shard_text(shard)
                                         : sweep_fingerprint);
}

// A calibration's journal fingerprint ends ':<method>:<n>' before its build; a sweep's has no ':'.
bool calibration_journal(const experiments::JournalCheck& check) {
    return experiments::without_build(check.fingerprint).find(':') != std::string::npos;
}

// Said of a calibration's journal at the sweep's --out, with --resume or without.
std::string calibration_journal_problem(const fs::path& journal, const std::string& out) {
    return "the journal " + quoted(journal.string()) +
           " is an interrupted calibration's (canopy calibrate --out " + quoted(out) +
           "), not a sweep's: give the sweep another --out, or remove the journal if that "
           "calibration is not to be continued";
}

// When the journal was written by this sweep with another --shard (or without): says so,
// naming both; empty otherwise.
std::string journal_shard_problem(const experiments::JournalCheck& check, const fs::path& journal,
                                  const std::string& sweep_fingerprint, const std::string& asked) {
    const std::string theirs = experiments::without_build(check.fingerprint);
    if (check.kind != experiments::JournalCheck::Kind::other_experiment ||
        theirs.compare(0, sweep_fingerprint.size(), sweep_fingerprint) != 0) {
        return {};
    }
    const std::string rest = theirs.substr(sweep_fingerprint.size());
    std::string written;
    if (rest.empty()) {
        written = "the whole sweep";
    } else if (rest.compare(0, SHARD_MARK.size(), SHARD_MARK) == 0) {
        written = "shard " + rest.substr(SHARD_MARK.size()) + " of this sweep";
    } else {
        return {};
    }
    const std::string flag = written == "the whole sweep"
                                 ? "without --shard"
                                 : "with --shard " + rest.substr(SHARD_MARK.size());
    return "--resume: journal " + quoted(journal.string()) + " was written for " + written +
           ", and this run asks for " +
           (asked.empty() ? std::string("the whole sweep") : "shard " + asked) +
           ": its points would not be used, and the journal would be removed with them; resume " +
           flag + ", or give another --out";
}

// Problems with --out, each naming the flag; `lock` is taken on --out when it can be written.
// Nothing is left behind here (the lock file goes with the lock).
std::vector<std::string> output_problems(const SweepArgs& args, const fs::path& sweep_file,
                                         const experiments::Sweep* sweep,
                                         const std::optional<experiments::Shard>& shard,
                                         std::unique_ptr<experiments::OutputLock>& lock) {
    std::vector<std::string> problems;
    if (const std::string n = output::h5_name_problem(args.out); !n.empty()) {
        problems.push_back("--out: " + quoted(args.out) + n);
    } else if (const std::string p = output::output_path_problem(args.out); !p.empty()) {
        problems.push_back("--out: cannot write " + quoted(args.out) + ": " + p);
    }
    // Every file the sweep reads: the sweep file, its scenario, each file that extends and the
    // posterior it names (--design-only reads them all too, to build the design's inputs).
    const std::vector<output::NamedPath> inputs = sweep_inputs("the sweep", sweep_file, sweep);
    for (std::string& c : output::path_clashes({{"--out", args.out}}, inputs)) {
        problems.push_back(std::move(c));
    }
    if (problems.empty()) {
        // One writer per --out: a second run (a requeued job while the first still lives)
        // would compute the same points, append to the same journal and remove it under the
        // first. Its journal is not judged: it is the other run's, and in use.
        std::string why;
        lock = experiments::OutputLock::take(args.out, why);
        if (!lock) {
            problems.push_back("--out: " + why);
            return problems;
        }
    }
    const fs::path journal = journal_of(args.out);
    std::error_code ec;
    // --design-only too: the journal's --resume would later write its result over the design.
    if (!args.resume && fs::exists(fs::symlink_status(journal, ec))) {
        const experiments::JournalCheck check = experiments::journal_check(journal, "", true);
        if (check.kind == experiments::JournalCheck::Kind::not_a_journal) {
            problems.push_back("--out: " + check.problem + "; remove it, or give another --out");
        } else if (check.kind == experiments::JournalCheck::Kind::resumable &&
                   calibration_journal(check)) {
            // It was called an interrupted sweep, and --resume then refused it.
            problems.push_back("--out: " + calibration_journal_problem(journal, args.out));
        } else if (args.design_only) {
            problems.push_back("--out: the journal " + quoted(journal.string()) +
                               " of an interrupted sweep exists, and resuming it would write "
                               "the sweep's result over this design: give the design another "
                               "--out, or remove the journal if that sweep is not to be "
                               "continued");
        } else {
            problems.push_back("--out: the journal " + quoted(journal.string()) +
                               " of an interrupted sweep exists; add --resume to continue it, or "
                               "remove it to start again");
        }
    }
    if (args.resume && sweep != nullptr) {
        // Refused here, before anything runs, rather than by the journal once the run starts.
        const experiments::JournalCheck check =
            experiments::journal_check(journal, journal_fingerprint(sweep->fingerprint, shard));
        if (!check.fingerprint.empty() && calibration_journal(check)) {
            // Said as without --resume: "belongs to another experiment ... changed" sent the
            // user looking for an edit of the sweep file (an outside tester's finding).
            problems.push_back("--resume: " + calibration_journal_problem(journal, args.out));
        } else if (std::string p =
                       journal_shard_problem(check, journal, sweep->fingerprint, shard_text(shard));
                   !p.empty()) {
            problems.push_back(std::move(p));
        } else if (p = resume_problem(check, "the sweep file, its scenario or posterior, the "
                                             "seed, the replicates or the Canopy version");
                   !p.empty()) {
            problems.push_back(std::move(p));
        }
    }
    return problems;
}

// What the design and the result's columns hold in memory. Each point holds its coordinates and
// values (twice while the design is made), its index, and per target 4 and per indicator 4
// summaries, with every replicate's final and the mean path when the file asks for them.
struct SweepTables {
    double points = 0.0;    ///< the design's points (0: the loader refused their count)
    double per_point = 0.0; ///< the result's bytes per point (0 for --design-only)
    double bytes = 0.0;     ///< the whole
};

SweepTables sweep_tables(const experiments::Sweep& sweep, bool design_only) {
    SweepTables t;
    const std::size_t d = sweep.factors.size();
    std::optional<std::size_t> points = sweep.points;
    if (sweep.design == experiments::DesignKind::saltelli) {
        points = experiments::saltelli_points(sweep.points, d);
    } else if (sweep.design == experiments::DesignKind::morris) {
        points = experiments::morris_points(sweep.points, d);
    }
    if (!points || !sweep.scenario) {
        return t; // the loader refused it
    }
    t.points = static_cast<double>(*points);
    const double rows = static_cast<double>(sweep.scenario->calendar.steps() + 1);
    const auto targets = static_cast<double>(sweep.scenario->targets.size());
    const auto indicators = static_cast<double>(sweep.scenario->indicators.size());
    if (!design_only) {
        t.per_point = 32.0 * (targets + indicators);
        if (sweep.outputs.finals) {
            t.per_point += 8.0 * indicators * std::max(1, sweep.replicates);
        }
        if (sweep.outputs.mean_paths) {
            t.per_point += 8.0 * indicators * rows;
        }
    }
    t.bytes = t.points * (24.0 * static_cast<double>(d) + 72.0 + t.per_point);
    return t;
}

// Why `points` cannot run here, or empty: their largest point's ensembles (by the model's agents
// at the horizon), as many at once as run side by side, against --max-memory (check_resources).
// The message names that point by the factors that make it large.
std::string resource_problem(const experiments::Sweep& sweep,
                             const experiments::Experiment& experiment,
                             const std::vector<experiments::Point>& points, int threads,
                             const std::string& max_memory) {
    if (points.empty() || sweep.model == nullptr || !sweep.scenario) {
        return {};
    }
    const models::ModelHandle& model = *sweep.model;
    std::size_t largest = 0;
    double most = 0.0;
    // A point's agents take the bytes its parameters give each (ties per firm, say).
    const auto size_of = [&model](const engine::Scenario& s) {
        return model.agents_at_horizon(s) * model.bytes_per_agent(s);
    };
    for (std::size_t k = 0; k < points.size(); ++k) {
        const double size = size_of(experiment.scenario_at(points[k]));
        if (k == 0 || size > most) {
            most = size;
            largest = k;
        }
    }
    const experiments::Point& point = points[largest];
    const auto replicates = static_cast<std::size_t>(std::max(1, sweep.replicates));
    const auto usable = static_cast<std::size_t>(std::max(1, threads));
    const std::size_t side_by_side =
        usable > replicates ? std::min(usable / replicates, points.size()) : 1;
    // Points side by side are replicates in flight together, and their series are kept together.
    const std::vector<engine::Scenario> runs{experiment.scenario_at(point)};
    // The factors that alone change the model's size from the scenario's; all when none does.
    const double base = size_of(*sweep.scenario);
    std::string sizing;
    std::string all;
    for (std::size_t f = 0; f < sweep.factors.size(); ++f) {
        const std::string one =
            sweep.factor_names[f] + " = " + fmt::format("{:.15g}", point.values[f]);
        all += (all.empty() ? "" : ", ") + one;
        const experiments::Override o{experiment.factors[f], point.values[f]};
        if (size_of(experiments::apply_overrides(*sweep.scenario, std::span(&o, 1))) != base) {
            sizing += (sizing.empty() ? "" : ", ") + one;
        }
    }
    const std::string subject =
        "design point " + std::to_string(point.index) + " (" + (sizing.empty() ? all : sizing) +
        ")" +
        (side_by_side > 1 ? ", " + std::to_string(side_by_side) + " such points run at once," : "");
    // The design and the result's columns are held while the points run.
    const experiments::HeldMemory held{sweep_tables(sweep, false).bytes,
                                       "the design and its results"};
    return check_resources(model, runs, static_cast<int>(side_by_side * replicates), threads,
                           max_memory, subject,
                           "narrow the factor's range, or use fewer points, replicates or "
                           "--threads",
                           {}, held)
        .problem;
}

// Why the design and the result's columns would not fit in memory (--max-memory, else the
// memory available), or empty. A sweep of ten million points of five factors ended in
// std::bad_alloc; one of a million points of 1,000 replicates with finals started without a
// word. (The ensembles in flight are counted with them in resource_problem.)
std::string design_memory_problem(const experiments::Sweep& sweep, bool design_only,
                                  const std::string& max_memory) {
    const experiments::MemoryLimit limit = experiments::memory_limit(max_memory);
    const SweepTables t = sweep_tables(sweep, design_only);
    if (!limit.limited || t.points == 0.0 || t.bytes <= limit.bytes) {
        return {};
    }
    const auto targets = static_cast<double>(sweep.scenario->targets.size());
    const auto indicators = static_cast<double>(sweep.scenario->indicators.size());
    return fmt::format(
        "the design and its results would need about {} in memory ({} points x {} "
        "factors{}), more than {}; use fewer points{}, or --max-memory SIZE (or "
        "none) to allow it",
        engine::bytes_text(t.bytes), engine::grouped(t.points), sweep.factors.size(),
        t.per_point > 0.0 ? fmt::format(", {} per point for {} targets and {} indicators{}",
                                        engine::bytes_text(t.per_point), targets, indicators,
                                        sweep.outputs.finals ? " with every replicate's final" : "")
                          : std::string(),
        limit.what, sweep.outputs.finals ? " or leave \"finals\" out of outputs" : "");
}

// The command that continues this sweep from its journal; under MPI (`processes` ranks), under
// the same launcher with as many ranks.
std::string resume_command(const SweepArgs& args, int processes) {
    // The program as it was started (a path, or the name found on PATH), and the flags that
    // shape the run but not its bits, so that the command continues as the run went.
    return launch_command(processes) + " sweep " + shell_word(args.file) +
           (args.shard.empty() ? std::string() : " --shard " + shell_word(args.shard)) +
           " --resume --out " + shell_word(args.out) +
           (args.threads > 0 ? " --threads " + std::to_string(args.threads) : std::string()) +
           (args.max_memory.empty() ? std::string()
                                    : " --max-memory " + shell_word(args.max_memory));
}

// After a failure (exit 1): where the points done are kept, and the command that goes on.
void say_journal_kept(const SweepArgs& args, const fs::path& journal, int processes) {
    std::error_code ec;
    if (!fs::exists(journal, ec)) {
        return;
    }
    std::cerr << "canopy sweep: no result was written; the points done are kept in the journal "
              << quoted(journal.string()) << ": once the cause is fixed, continue with\n"
              << "  " << resume_command(args, processes) << "\n";
}

int sweep_command(const FlagProblems& flagged, const SweepArgs& args) {
    // Under mpirun every rank runs this; the root reports and writes, every rank computes.
    std::unique_ptr<experiments::Evaluator> evaluator = experiments::default_evaluator();
    const bool root = evaluator->is_root();

    // 1. Every input and output is checked before anything runs or is written.
    const fs::path file = resolve_scenario(args.file);
    experiments::SweepLoad loaded = experiments::load_sweep(file);
    const bool file_bad = root ? report(loaded.diagnostics) : loaded.diagnostics.has_errors();
    std::vector<std::string> problems = flagged;
    std::optional<experiments::Shard> shard;
    if (!args.shard.empty()) {
        std::string why;
        shard = experiments::parse_shard(args.shard, why);
        if (!shard) {
            problems.push_back("--shard: " + why + " (allowed: i/n with 1 <= i <= n, e.g. 2/8)");
        }
    }
    if (args.design_only && !args.shard.empty()) {
        problems.emplace_back("--shard: --design-only writes the whole design; it takes no shard");
    }
    if (args.design_only && args.resume) {
        problems.emplace_back(
            "--resume: --design-only runs nothing, so there is nothing to resume");
    }
    // The design and the result's columns are held in memory: checked before the design is
    // made (ten million points of five factors ended in std::bad_alloc). By the root, whose
    // verdict every rank follows: another rank could see other memory available, skip the
    // design, and then be told to go on.
    bool design_fits = true;
    if (root && loaded.sweep && !file_bad) {
        if (std::string p = design_memory_problem(*loaded.sweep, args.design_only, args.max_memory);
            !p.empty()) {
            problems.push_back(std::move(p));
            design_fits = false;
        }
    }
    // The design is a pure function of the file: every rank computes the same one.
    std::optional<experiments::UnitDesign> design;
    if (loaded.sweep && !file_bad && design_fits) {
        design = loaded.sweep->unit_design();
    }
    if (shard && design && shard->count > design->points()) {
        // Shard i of more shards than points could hold no point at all: a file that merges to
        // nothing, written with exit 0. (Slurm: an array of at most N tasks.)
        problems.push_back("--shard: " + args.shard + " splits the sweep into " +
                           std::to_string(shard->count) + " shards, but its design has only " +
                           std::to_string(design->points()) + " points (allowed: n from 1 to " +
                           std::to_string(design->points()) + ")");
    }
    // The root writes, so only the root locks --out (and judges the journal).
    std::unique_ptr<experiments::OutputLock> lock;
    if (root) {
        for (std::string& p :
             output_problems(args, file, loaded.sweep ? &*loaded.sweep : nullptr, shard, lock)) {
            problems.push_back(std::move(p));
        }
    }
    // What the points would need is known once the design and the shard are: a --max-memory
    // they exceed is reported with the other problems, before any runs and before the journal
    // exists (a point too large for memory ended in std::bad_alloc and left a journal behind).
    if (root && design && !args.design_only && (args.shard.empty() || shard) &&
        (!shard || shard->count <= design->points())) {
        const std::size_t total = design->points();
        const std::vector<experiments::Point> points = loaded.sweep->points_of(
            *design, shard ? shard->begin(total) : 0, shard ? shard->end(total) : total);
        if (std::string p =
                resource_problem(*loaded.sweep, loaded.sweep->experiment(), points,
                                 engine::ThreadLimit(args.threads).threads(), args.max_memory);
            !p.empty()) {
            problems.push_back(std::move(p));
        }
    }
    // The root's verdict holds for every rank, so that all stop or all go on together.
    std::vector<std::uint8_t> verdict{
        static_cast<std::uint8_t>(file_bad || !loaded.sweep || !problems.empty() ? 1 : 0)};
    evaluator->share(verdict);
    if (verdict.at(0) != 0) {
        if (root) {
            for (const std::string& p : problems) {
                std::cerr << "canopy sweep: error: " << p << "\n";
            }
            if (file_bad) {
                std::cerr << "canopy sweep: " << file.string()
                          << " has errors; nothing was run or written\n";
            } else {
                std::cerr << "canopy sweep: nothing was run or written\n";
            }
        }
        return EXIT_BAD_INPUT;
    }
    // Every rank must compute the sweep rank 0 checked: the same files and the same shard.
    if (ranks_differ("sweep",
                     loaded.sweep && !loaded.diagnostics.has_errors()
                         ? loaded.sweep->fingerprint + " shard " + args.shard +
                               (args.design_only ? " design-only" : "")
                         : std::string(),
                     loaded.diagnostics, file.string(),
                     "the sweep file, its scenario or posterior (or the seed, replicates or "
                     "--shard)",
                     root)) {
        return EXIT_BAD_INPUT;
    }
    const experiments::Sweep& sweep = *loaded.sweep;
    if (root && !args.quiet && sweep.scenario->precision > 0.0) {
        // A point is a fixed number of replicates, so that every point's estimates are alike
        // and a point is `canopy run --replicates N --seed S` bit for bit (docs/sweeps.md).
        std::cerr << fmt::format(
            "canopy sweep: note: the scenario's precision ({}) is not applied: every point runs "
            "all {} replicates\n",
            sweep.scenario->precision, sweep.replicates);
    }
    if (lock) {
        // Result-sized files of writers killed while writing (a requeued job each time): with
        // the lock held, no other run writes this --out.
        lock->remove_stale_temporaries();
    }
    // Interrupted (Ctrl-C, a scheduler's SIGTERM, a closed terminal): the lock file goes as on
    // any other exit, and the journal's points are kept with the command that continues them.
    // Declared after the lock, so it is disarmed before the lock removes its file.
    std::optional<output::OnSignal> on_signal;
    if (lock && !args.design_only) {
        on_signal.emplace(lock->path(), journal_of(args.out),
                          "canopy sweep: interrupted; the points done are kept in the journal " +
                              quoted(journal_of(args.out).string()) + ": continue with\n  " +
                              resume_command(args, evaluator->processes()) + "\n");
    } else if (lock) {
        on_signal.emplace(lock->path(), fs::path(), std::string());
    }

    // 2. The design, and the points this process takes part in.
    const engine::ThreadLimit threads(args.threads);
    if (args.design_only) {
        if (root) {
            experiments::write_sweep_result(args.out,
                                            experiments::make_design_result(sweep, *design));
            if (!args.quiet) {
                std::cout << "canopy sweep: the " << to_string(sweep.design) << " design of "
                          << design->points() << " points over " << sweep.factors.size()
                          << " factors written to " << args.out << "\n";
            }
        }
        return EXIT_OK;
    }
    const std::size_t total = design->points();
    const std::size_t begin = shard ? shard->begin(total) : 0;
    const std::size_t end = shard ? shard->end(total) : total;
    const std::vector<experiments::Point> points = sweep.points_of(*design, begin, end);
    experiments::Experiment experiment = sweep.experiment();
    experiment.fingerprint = journal_fingerprint(experiment.fingerprint, shard);
    const int processes = evaluator->processes();

    // 4. Run, journalling each point as it completes.
    const fs::path journal_path = journal_of(args.out);
    std::error_code exists_ec;
    const bool journal_existed = fs::exists(journal_path, exists_ec);
    if (root && args.resume && !journal_existed) {
        // Not refused: a batch script may pass --resume on every start (a requeued job). But a
        // mistyped --out must not start over without a word.
        std::cerr << "canopy sweep: no journal " << quoted(journal_path.string())
                  << " to resume: starting from the first point\n";
    }
    std::unique_ptr<experiments::Evaluator> journal =
        experiments::journalled(std::move(evaluator), journal_path);
    output::ProgressBar bar = output::ProgressBar::on_stderr(
        shard ? "shard " + args.shard : std::string("sweep"), args.quiet || !root);
    bar.show_rate("points");
    std::size_t done = 0;
    std::size_t computed = 0;
    std::size_t restored = 0;
    double simulate_seconds = 0.0;
    const auto start = std::chrono::steady_clock::now();
    std::vector<experiments::PointResult> results;
    try {
        results = journal->evaluate(experiment, points, [&](const experiments::PointResult& r) {
            if (r.simulate_seconds > 0.0) {
                ++computed;
                simulate_seconds += r.simulate_seconds;
            } else {
                ++restored; // read back from the journal
            }
            bar.update(++done, points.size());
        });
    } catch (...) {
        // A journal this run began and put no point in holds nothing to resume, and would only
        // make the next run ask for --resume: it goes. One with points stays for --resume.
        journal.reset();
        if (root && !journal_existed && computed == 0) {
            std::error_code ec;
            fs::remove(journal_path, ec);
        } else if (root) {
            say_journal_kept(args, journal_path, processes);
        }
        throw;
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    journal.reset(); // closes the journal file before it is removed
    if (!root) {
        return EXIT_OK;
    }

    // 5. The result, then the journal is no longer needed.
    experiments::SweepTiming timing;
    timing.wall_seconds = wall;
    timing.points_computed = computed;
    timing.simulate_seconds = simulate_seconds;
    const auto usable = static_cast<double>(threads.threads());
    timing.concurrency = processes > 1 ? static_cast<double>(processes)
                         : usable > sweep.replicates
                             ? std::floor(usable / static_cast<double>(sweep.replicates))
                             : 1.0;
    const experiments::SweepResult result =
        experiments::make_sweep_result(sweep, *design, points, results, timing, shard);
    try {
        experiments::write_sweep_result(args.out, result);
    } catch (...) {
        // A full disk, a quota: every point is in the journal, and --resume writes the result
        // from it without computing any.
        say_journal_kept(args, journal_path, processes);
        throw;
    }
    std::error_code ec;
    fs::remove(journal_path, ec);
    if (!args.quiet) {
        std::cout << fmt::format(
            "canopy sweep: {} point{} x {} replicate{}{}{} in {:.1f} s ({:.3g} points/s, {:.3g} ms "
            "per point beyond the simulations) -> {}\n",
            points.size(), points.size() == 1 ? "" : "s", sweep.replicates,
            sweep.replicates == 1 ? "" : "s",
            shard ? " (shard " + args.shard + " of " + std::to_string(total) +
                        (total == 1 ? " point)" : " points)")
                  : std::string(),
            restored > 0 ? " (" + std::to_string(restored) + " read back from the journal)"
                         : std::string(),
            wall, result.points_per_second, 1e3 * result.overhead_per_point_seconds, args.out);
    }
    // The result is written whatever becomes of the closing line; a closed or full stdout is
    // still a failure (exit 1), said with what was kept.
    require_stdout("the result " + quoted(args.out) + " was written");
    return EXIT_OK;
}

} // namespace

Command add_sweep(CLI::App& app) {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* cmd = app.add_subcommand(
        "sweep", "Run a sweep file's design points (grid, LHS, Sobol, Saltelli, Morris) and write "
                 "their summaries as HDF5; under mpirun the points are spread over the ranks");
    cmd->add_option("sweep", args->file, "Sweep file (docs/sweeps.md)")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--out,-o", args->out, "Write the result to FILE.h5")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--threads,-t", args->threads,
                    "Worker threads per process (default: all cores)")
        ->check(CLI::Range(1, 4096));
    cmd->add_flag("--design-only", args->design_only,
                  "Write only the design (/design), for outputs computed by another program");
    cmd->add_option("--shard", args->shard,
                    "Compute shard i of n only (a Slurm array task); join with canopy merge")
        ->check(NON_EMPTY);
    cmd->add_flag("--resume", args->resume,
                  "Continue an interrupted sweep from its journal (OUT.h5.journal)");
    cmd->add_flag("--quiet,-q", args->quiet, "No progress bar and no closing line");
    add_max_memory_option(*cmd, args->max_memory);
    return Command{cmd,
                   [args](const FlagProblems& flagged) { return sweep_command(flagged, *args); }};
}

} // namespace canopy::cli
