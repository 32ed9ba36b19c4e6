// `canopy run`: one scenario's ensemble, or the base and its policy mixes. It checks every
// input and every output path before it runs anything, so a bad flag or a bad scenario never
// creates or overwrites a file.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/lever_effects.hpp>
#include <canopy/experiments/precision.hpp>
#include <canopy/experiments/sweep.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>
#include <canopy/output/json.hpp>
#include <canopy/output/progress.hpp>
#include <canopy/output/report.hpp>
#include <canopy/output/run_report.hpp>
#include <canopy/output/summary.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

/// Runs estimated to take longer than this say so, with their estimate, before they start.
constexpr double LONG_RUN_SECONDS = 600.0;

/// The flags of `canopy run`.
struct RunArgs {
    std::string scenario = DEFAULT_SCENARIO;
    int replicates = 0; ///< 0: the scenario's
    bool replicates_set = false;
    std::uint64_t seed = 0;
    bool seed_set = false;
    int threads = 0; ///< 0: all cores
    std::string json;
    std::string out;
    std::string report;         ///< --report FILE.html
    bool report_levers = false; ///< --report-levers: each lever's effect in the report
    std::string report_ranges;  ///< --report-ranges FILE: a sweep file's lever ranges for it
    std::string policy_mix;
    bool all_mixes = false;
    engine::IntervalMethod interval = engine::IntervalMethod::wilson;
    bool quiet = false;
    std::vector<std::string> set; ///< --set NAME=VALUE, in order
    std::string max_memory;       ///< --max-memory: empty for the memory available
    std::string posterior;        ///< --posterior FILE.h5
    double precision = 0.0;       ///< --precision H (0: every replicate)
    std::string precision_text;   ///< --precision as typed, for its error
    bool precision_set = false;
};

// Problems with the output flags, each naming its flag. Nothing is created here.
std::vector<std::string> output_problems(const RunArgs& args) {
    std::vector<std::string> problems;
    // --precision 0: every replicate, the scenario's precision off (as the Python module's
    // precision=0). A number too small for a double (1e-400) never reads as 0 here: the flag's
    // number_check refused it as typed.
    if (args.precision_set) {
        const bool zero = args.precision == 0.0;
        if (!zero && !experiments::precision_problem(args.precision).empty()) {
            problems.push_back("--precision must be 0 (every replicate) or a half-width of "
                               "P(attain) above 0 and below 0.5, got " +
                               (args.precision_text.empty() ? fmt::format("{}", args.precision)
                                                            : args.precision_text));
        }
    }
    if (std::string p = quiet_problem(
            args.quiet, {{"--json", args.json}, {"--out", args.out}, {"--report", args.report}});
        !p.empty()) {
        problems.push_back(std::move(p));
    }
    for (std::string& p : output_flag_problems(args.json, args.out, args.report)) {
        problems.push_back(std::move(p));
    }
    return problems;
}

// The outputs against each other and against every file the run reads: the scenario and each
// file it extends (or, when it did not load, the scenario path as given), its posterior.
std::vector<std::string> clashes(const RunArgs& args, const fs::path& scenario_path,
                                 const engine::LoadResult& loaded,
                                 const std::optional<experiments::SweepLoad>& ranges) {
    std::vector<output::NamedPath> outputs;
    if (!args.json.empty() && args.json != "-") {
        outputs.push_back({"--json", args.json});
    }
    if (!args.out.empty()) {
        outputs.push_back({"--out", args.out});
    }
    if (!args.report.empty()) {
        outputs.push_back({"--report", args.report});
    }
    std::vector<output::NamedPath> inputs = scenario_inputs(scenario_path, loaded, args.posterior);
    if (!args.report_ranges.empty()) {
        // The sweep file and what it reads: its scenario, each file that extends, its posterior
        // (a tester's --json named the sweep's scenario and replaced it, exit 0).
        for (output::NamedPath& p :
             sweep_inputs("--report-ranges", resolve_scenario(args.report_ranges),
                          ranges && ranges->sweep ? &*ranges->sweep : nullptr)) {
            inputs.push_back(std::move(p));
        }
    }
    return output::path_clashes(outputs, inputs);
}

std::optional<std::string> policy_mix_problem(const engine::Scenario& scenario,
                                              const std::string& mix) {
    if (mix.empty() || mix == output::BASE_MIX) {
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (const engine::PolicyMix& m : scenario.policy_mixes) {
        if (m.name == mix) {
            return std::nullopt;
        }
        names.push_back(m.name);
    }
    std::string message =
        "--policy-mix: scenario " + quoted(scenario.name) + " has no policy mix " + quoted(mix);
    if (names.empty()) {
        return message + " (it has none)";
    }
    std::string list;
    for (const std::string& n : names) {
        list += (list.empty() ? "" : ", ") + n;
    }
    message += " (allowed: base, " + list + ")";
    if (const std::string hint = engine::did_you_mean(mix, names); !hint.empty()) {
        message += " " + hint;
    }
    return message;
}

// One policy mix of the run: its scenario (the mix and --set applied), its replicates so far and
// their summary.
struct MixRun {
    std::string mix;
    std::string description;
    std::vector<std::string> overrides; ///< --set as written, applied after the mix
    engine::Scenario scenario;
    engine::Ensemble ensemble;
    std::optional<output::EnsembleSummary> summary; ///< of the replicates so far
};

MixRun plan_mix(const engine::Scenario& scenario, const std::string& mix,
                std::span<const experiments::Override> overrides) {
    // --set wins over the mix: it is applied last.
    engine::Scenario mixed = experiments::apply_overrides(
        scenario.with_policy_mix(mix == output::BASE_MIX ? "" : mix), overrides);
    std::string description;
    for (const engine::PolicyMix& m : scenario.policy_mixes) {
        if (m.name == mix) {
            description = m.description;
        }
    }
    return MixRun{mix, description, experiments::override_texts(overrides), std::move(mixed),
                  {},  std::nullopt};
}

// "a, b, c": the names of the columns a posterior draws.
std::string column_names(const engine::JointDraws& draws) {
    std::string names;
    for (const engine::JointDraws::Column& c : draws.columns()) {
        names += (names.empty() ? "" : ", ") + c.name;
    }
    return names;
}

// The posterior's columns the runs draw (`set`: the scenario with the overrides; a --set of a
// column's parameter drops it), then each mix that sets one of them itself and so does not
// draw it. `given`: the scenario before the overrides, to say when they drop every column.
void print_joint_draws(const engine::Scenario& given, const engine::Scenario& set,
                       const std::vector<MixRun>& runs) {
    if (!set.joint_draws) {
        if (given.joint_draws) { // a posterior named, and nothing drawn from it: say so
            std::cout << given.joint_draws->origin() << " not used: --set sets "
                      << "every column it draws (" << column_names(*given.joint_draws) << ")\n";
        }
        return;
    }
    const engine::JointDraws& j = *set.joint_draws;
    std::cout << "parameters " << column_names(j) << " drawn jointly per replicate from "
              << j.origin() << " (" << j.rows() << " particles)\n";
    for (const MixRun& run : runs) {
        std::string own;
        for (const engine::JointDraws::Column& c : j.columns()) {
            const bool drawn =
                run.scenario.joint_draws &&
                std::any_of(run.scenario.joint_draws->columns().begin(),
                            run.scenario.joint_draws->columns().end(),
                            [&](const engine::JointDraws::Column& k) { return k.name == c.name; });
            if (!drawn) {
                own += (own.empty() ? "" : ", ") + c.name;
            }
        }
        if (!own.empty()) {
            std::cout << "policy mix " << run.mix << " sets " << own
                      << " itself (not drawn from the posterior in its runs)\n";
        }
    }
}

// Runs replicates first .. first + count - 1 of one mix, appends them and summarises all so far.
void extend_mix(MixRun& run, const models::ModelHandle& model, engine::EnsembleOptions options,
                std::size_t first, std::size_t count, const RunArgs& args) {
    options.first_replicate = static_cast<std::uint32_t>(first);
    options.replicates = static_cast<int>(count);
    engine::append_replicates(run.ensemble, model.run(run.scenario, options));
    output::SummaryOptions so;
    so.policy_mix = run.mix;
    so.policy_mix_description = run.description;
    so.overrides = run.overrides;
    so.interval = args.interval;
    run.summary = output::summarise_ensemble(run.scenario, model.info(), run.ensemble, so);
}

int run_command(const FlagProblems& flagged, const RunArgs& args) {
    // 1. Every input and output is checked before anything runs or is written.
    std::vector<std::string> problems = flagged;
    for (std::string& p : output_problems(args)) {
        problems.push_back(std::move(p));
    }
    const fs::path scenario_path = resolve_scenario(args.scenario);
    engine::LoadResult loaded = engine::load_scenario(scenario_path, models::model_catalog());
    const bool scenario_bad = report(loaded.diagnostics);
    // --report-ranges: a sweep file whose lever factors give the ranges of --report-levers.
    std::optional<experiments::SweepLoad> ranges;
    if (!args.report_ranges.empty()) {
        ranges = experiments::load_sweep(resolve_scenario(args.report_ranges));
        if (report(ranges->diagnostics)) {
            problems.push_back("--report-ranges: " + quoted(args.report_ranges) +
                               " is not a valid sweep file (see above)");
        } else if (!scenario_bad && loaded.scenario && ranges->sweep) {
            if (std::string p = lever_ranges_problem(*loaded.scenario, *ranges->sweep,
                                                     "--report-ranges", args.report_ranges);
                !p.empty()) {
                problems.push_back(std::move(p));
            }
        }
    }
    for (std::string& p : clashes(args, scenario_path, loaded, ranges)) {
        problems.push_back(std::move(p));
    }
    bool mix_ok = true;
    if (!scenario_bad && loaded.scenario) {
        // The lever effects' paired intervals need two replicates, as `canopy levers` says:
        // one gave zero-width "95 %" intervals and "moves? yes".
        const int replicates = args.replicates_set ? args.replicates : loaded.scenario->replicates;
        if (!args.report.empty() && (args.report_levers || !args.report_ranges.empty()) &&
            replicates < 2) {
            problems.push_back("--report-levers: 1 replicate is too few for the lever effects' "
                               "paired intervals; give --replicates 2 or more");
        }
        if (auto p = policy_mix_problem(*loaded.scenario, args.policy_mix)) {
            problems.push_back(*p);
            mix_ok = false;
        }
    }
    for (const std::string& p : problems) {
        std::cerr << "canopy run: error: " << p << "\n";
    }
    if (scenario_bad || !loaded.scenario) {
        if (scenario_bad) {
            std::cerr << "canopy run: " << scenario_path.string()
                      << " has errors; nothing was run or written\n";
        }
        return EXIT_BAD_INPUT;
    }
    const models::ModelHandle* model = models::find_model(loaded.scenario->model);
    if (model == nullptr) {
        throw Error("model '" + loaded.scenario->model + "' validated but is not registered");
    }
    // The mixes to run: the base or the chosen mix (the base when it is unknown: --set is checked
    // there all the same), or the base and every mix with the same seed.
    std::vector<std::string> mixes{
        args.policy_mix.empty() || !mix_ok ? std::string(output::BASE_MIX) : args.policy_mix};
    if (args.all_mixes) {
        for (const engine::PolicyMix& m : loaded.scenario->policy_mixes) {
            mixes.push_back(m.name);
        }
    }
    // A calibration posterior (--posterior, or the scenario's key): each replicate draws its
    // parameters jointly from it. It and --set are checked even when a flag is already wrong,
    // so that one attempt shows every mistake: --quiet without an output hid a bad --set.
    // What the runs will need is checked with them, before any run starts.
    const engine::ThreadLimit threads(args.threads);
    const auto resources = [&](const ScenarioToRun& to_run) {
        std::vector<engine::Scenario> planned;
        for (const std::string& mix : mixes) {
            planned.push_back(experiments::apply_overrides(
                to_run.scenario.with_policy_mix(mix == output::BASE_MIX ? "" : mix),
                to_run.overrides));
        }
        return check_resources(*model, planned,
                               args.replicates_set ? args.replicates : to_run.scenario.replicates,
                               threads.threads(), args.max_memory);
    };
    const std::optional<ScenarioToRun> checked =
        scenario_to_run(*loaded.scenario, model->info(), args.posterior, args.set, mixes,
                        !problems.empty(), "canopy run", resources);
    if (!checked) {
        return EXIT_BAD_INPUT;
    }
    const engine::Scenario& scenario = checked->scenario;
    const std::vector<experiments::Override>& overrides = checked->overrides;

    // 2. Run.
    engine::EnsembleOptions options;
    options.replicates = args.replicates_set ? args.replicates : scenario.replicates;
    options.seed = args.seed_set ? args.seed : scenario.seed;
    if (args.all_mixes && scenario.policy_mixes.empty() && !args.quiet) {
        std::cerr << "canopy run: scenario '" << scenario.name
                  << "' has no policy mixes; running the base only\n";
    }
    std::vector<MixRun> runs;
    runs.reserve(mixes.size());
    for (const std::string& mix : mixes) {
        runs.push_back(plan_mix(scenario, mix, overrides));
    }
    if (!args.quiet && args.json != "-") {
        print_joint_draws(scenario, experiments::apply_overrides(scenario, overrides), runs);
    }
    if (!args.quiet) {
        // Relations the model's parameters should keep at their means (a stock beyond its
        // capacity), for each mix as it runs: the run goes on, but not as the scenario means
        // it to. On stderr, so also beside --json -.
        std::vector<std::pair<std::string, const engine::Scenario*>> mixed;
        for (const MixRun& r : runs) {
            mixed.emplace_back(r.mix, &r.scenario);
        }
        const std::vector<std::string> notes = advisory_lines(model->info(), mixed);
        for (const std::string& note : notes) {
            std::cerr << "canopy run: note: " << note << "\n";
        }
    }
    // --report-levers: each lever at the ends of its range around the first run (the scenario as
    // it ran, its replicates and seed), as `canopy levers` measures them. Only then: it costs
    // two ensembles a lever, which the estimate counts.
    const bool measure_levers =
        !args.report.empty() && (args.report_levers || !args.report_ranges.empty());
    LeverRangeChoice choice;
    if (measure_levers) {
        choice = choose_lever_ranges(runs.front().scenario, model->info(),
                                     ranges && ranges->sweep ? &*ranges->sweep : nullptr,
                                     args.report_ranges);
    }
    double seconds = checked->resources.seconds;
    std::string estimate = checked->resources.estimate;
    if (measure_levers && seconds > 0.0) {
        const std::size_t more = 2 * choice.chosen.size();
        const double more_seconds =
            seconds / static_cast<double>(runs.size()) * static_cast<double>(more);
        seconds += more_seconds;
        estimate += fmt::format("; and {} ensembles for --report-levers, about {} more", more,
                                engine::duration_text(more_seconds));
    }
    const double precision = args.precision_set ? args.precision : scenario.precision;
    if (!args.quiet && seconds > LONG_RUN_SECONDS) {
        std::cerr << "canopy run: this run needs " << (precision > 0.0 ? "at most " : "")
                  << estimate
                  << (precision > 0.0 ? ", if its precision rule runs every replicate" : "")
                  << "\n";
    }
    const auto replicates = static_cast<std::size_t>(options.replicates);
    if (precision > 0.0) {
        // Blocks of replicates, every mix to the same count (common random numbers), until every
        // target of every mix is settled.
        output::ProgressBar bar = output::ProgressBar::on_stderr(scenario.name, args.quiet);
        const std::size_t total = replicates * runs.size();
        std::size_t before = 0; // replicates of earlier blocks and mixes, for the bar
        experiments::PrecisionRule rule;
        rule.half_width = precision;
        rule.max_replicates = replicates;
        rule.interval = args.interval;
        const experiments::PrecisionOutcome outcome =
            experiments::run_until_settled(rule, [&](std::size_t first, std::size_t count) {
                std::vector<experiments::TargetCount> counts;
                for (MixRun& run : runs) {
                    engine::EnsembleOptions o = options;
                    o.progress = [&bar, before, total](std::size_t done, std::size_t) {
                        bar.update(before + done, total);
                    };
                    extend_mix(run, *model, o, first, count, args);
                    before += count;
                    for (const output::TargetResult& t : run.summary->targets) {
                        counts.push_back({t.summary.attained, t.summary.replicates});
                    }
                }
                return counts;
            });
        bar.finish();
        for (MixRun& run : runs) {
            // The verdicts rest on the intervals the looks test (at their stricter confidence),
            // wherever the rule stopped: a verdict read at the last look is one of the chances
            // the rule took, as one read at an earlier look is.
            output::record_precision(*run.summary, rule, outcome);
        }
    } else {
        for (MixRun& run : runs) {
            // The bar is labelled with what is running: the scenario, or the mix being compared.
            output::ProgressBar bar = output::ProgressBar::on_stderr(
                run.mix == output::BASE_MIX ? scenario.name : run.mix, args.quiet);
            engine::EnsembleOptions o = options;
            o.progress = [&bar](std::size_t done, std::size_t total) { bar.update(done, total); };
            extend_mix(run, *model, o, 0, replicates, args);
            bar.finish();
        }
    }
    // Targets that the inputs fix (a quota always filled, a flow computed from an input alone)
    // are labelled: their P(attain) holds by construction (engine/determination.hpp).
    std::vector<std::string> hints; // inputs that decide a base target: checked first in mixes
    for (MixRun& run : runs) {
        output::mark_determined_targets(
            *run.summary, run.scenario, model->info(), run.ensemble,
            [&model](const engine::RunInputs& in, const engine::RandomKey& key) {
                return model->run_replicate(in, key);
            },
            hints);
        if (&run == &runs.front()) {
            for (const output::TargetResult& t : run.summary->targets) {
                hints.insert(hints.end(), t.determination.inputs.begin(),
                             t.determination.inputs.end());
            }
        }
    }

    // 3. Report.
    const bool json_to_stdout = args.json == "-";
    if (!args.quiet && !json_to_stdout) {
        const output::TableStyle style{output::use_colour(stdout)};
        std::cout << output::format_header(*runs.front().summary, style) << "\n"
                  << output::format_target_table(*runs.front().summary, style)
                  << history_targets_note(runs.front().scenario) << "\n"
                  << output::format_cost_table(*runs.front().summary, style);
        if (runs.size() > 1) {
            std::vector<output::EnsembleSummary> summaries;
            for (const MixRun& r : runs) {
                summaries.push_back(*r.summary);
            }
            std::cout << "\n" << output::format_mix_comparison(summaries, style);
        }
        std::cout.flush();
    }
    std::optional<experiments::LeverEffects> effects;
    if (measure_levers) {
        const MixRun& first = runs.front();
        experiments::Experiment experiment;
        experiment.scenario = std::make_shared<const engine::Scenario>(first.scenario);
        experiment.model = model;
        experiment.replicates = static_cast<int>(first.summary->replicates);
        experiment.seed = options.seed;
        experiment.common_random_numbers = true;
        experiment.fingerprint = experiments::make_fingerprint(std::vector<std::string>{
            "run --report-levers", engine::scenario_content(first.scenario.text),
            std::to_string(experiment.seed), std::to_string(experiment.replicates)});
        std::unique_ptr<experiments::Evaluator> evaluator = experiments::local_evaluator();
        output::StatusLine status = output::StatusLine::on_stderr(args.quiet);
        effects = experiments::lever_effects(
            experiment, choice.chosen, *evaluator, {}, [&](std::size_t done, std::size_t all) {
                status.show(fmt::format("lever effects {}/{}", done, all), true);
            });
        status.finish();
    }

    // Both files are finished under temporary names before either replaces anything, so a
    // failure (a full disk) leaves both previous files, not a new HDF5 beside an old JSON.
    std::vector<output::TemporaryFile> finished;
    if (!args.out.empty()) {
        std::vector<output::RunData> others;
        for (std::size_t i = 1; i < runs.size(); ++i) {
            others.push_back(output::RunData{runs[i].ensemble, *runs[i].summary});
        }
        // The scenario as the first run ran it: with --policy-mix, the mix (and --set) applied,
        // so /parameters describes the mix's settings, not the base's (issue 11, item 6).
        finished.push_back(output::write_hdf5_temporary(
            args.out, runs.front().scenario, model->info(),
            output::RunData{runs.front().ensemble, *runs.front().summary}, others));
    }
    if (!args.json.empty()) {
        std::vector<output::EnsembleSummary> others;
        for (std::size_t i = 1; i < runs.size(); ++i) {
            others.push_back(*runs[i].summary);
        }
        const std::string text = output::summary_json(*runs.front().summary, others);
        if (json_to_stdout) {
            std::cout << text;
            require_stdout();
        } else {
            finished.push_back(output::write_temporary(args.json, text));
        }
    }
    if (!args.report.empty()) {
        std::vector<output::ReportRun> report_runs;
        for (const MixRun& r : runs) {
            report_runs.push_back(output::ReportRun{r.scenario, r.ensemble, *r.summary});
        }
        output::Report page = output::run_report(report_runs, model->info());
        if (effects) {
            output::add_lever_effects(page, *effects, model->info(), choice.skipped);
        }
        finished.push_back(output::write_report_temporary(args.report, page));
    }
    std::vector<output::TemporaryFile*> to_commit;
    for (output::TemporaryFile& f : finished) {
        to_commit.push_back(&f);
    }
    commit_after_stdout(to_commit);
    return EXIT_OK;
}

} // namespace

Command add_run(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    auto seed_text = std::make_shared<std::string>();
    auto interval = std::make_shared<std::string>("wilson");
    CLI::App* cmd = app.add_subcommand(
        "run", "Run a scenario's ensemble and print the probability of attaining each target");
    cmd->add_option("scenario", args->scenario,
                    "Scenario file (looked up here, then in the source tree)")
        ->capture_default_str()
        ->check(NON_EMPTY);
    CLI::Option* replicates =
        cmd->add_option("--replicates,-n", args->replicates, "Replicates (default: the scenario's)")
            ->check(CLI::Range(1, 1'000'000));
    CLI::Option* seed =
        add_seed_option(*cmd, *seed_text, "Seed, 0 to 2^64 - 1 (default: the scenario's)");
    cmd->add_option("--threads,-t", args->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--json", args->json,
                    "Write the JSON summary to PATH ('-' for stdout, which then carries only "
                    "the JSON)")
        ->check(NON_EMPTY);
    cmd->add_option("--out,-o", args->out, "Write every series to FILE.h5 (HDF5)")
        ->check(NON_EMPTY);
    CLI::Option* report_option =
        cmd->add_option("--report", args->report,
                        "Write a self-contained HTML report (fan charts, attainment, costs, inputs "
                        "and their sources) to FILE.html")
            ->check(NON_EMPTY);
    cmd->add_flag("--report-levers", args->report_levers,
                  "Add each lever's effect to the report: both ends of its range on common random "
                  "numbers, as `canopy levers` (two more ensembles a lever)")
        ->needs(report_option);
    cmd->add_option("--report-ranges", args->report_ranges,
                    "The lever ranges of --report-levers from a sweep file's lever factors "
                    "(min/max), as `canopy levers --ranges`; implies --report-levers")
        ->check(NON_EMPTY)
        ->needs(report_option);
    CLI::Option* mix = cmd->add_option("--policy-mix,-p", args->policy_mix,
                                       "Apply one of the scenario's policy mixes")
                           ->check(NON_EMPTY);
    cmd->add_flag("--all-mixes", args->all_mixes,
                  "Run the base and every policy mix with the same seed and compare them")
        ->excludes(mix);
    cmd->add_option("--interval", *interval,
                    "Confidence interval on P(attain): wilson (default) or jeffreys")
        ->check(CLI::IsMember({"wilson", "jeffreys"}));
    cmd->add_flag("--quiet,-q", args->quiet, "No progress bar and no table");
    add_set_option(*cmd, args->set);
    add_max_memory_option(*cmd, args->max_memory);
    cmd->add_option("--posterior", args->posterior,
                    "Draw each replicate's parameters from a calibration posterior (FILE.h5 from "
                    "`canopy calibrate`; replaces the scenario's own)")
        ->check(NON_EMPTY);
    CLI::Option* precision =
        cmd->add_option("--precision", args->precision,
                        "Stop once every target's P(attain) interval is narrower than +/-H or "
                        "wholly on one side of 0.5, running at most --replicates (H in (0, 0.5); "
                        "0: every replicate, whatever the scenario's precision; default: the "
                        "scenario's precision, else every replicate)")
            ->check(
                number_check("0, or a half-width of P(attain) above 0 and below 0.5, e.g. 0.02"));
    return Command{
        cmd, [args, seed_text, interval, replicates, seed, precision](const FlagProblems& flagged) {
            args->replicates_set = replicates->count() > 0;
            args->precision_set = precision->count() > 0;
            if (args->precision_set && !precision->results().empty()) {
                args->precision_text = precision->results().back();
            }
            args->seed_set = seed->count() > 0;
            if (args->seed_set) {
                parse_seed(*seed_text, args->seed);
            }
            args->interval = *interval == "jeffreys" ? engine::IntervalMethod::jeffreys
                                                     : engine::IntervalMethod::wilson;
            return run_command(flagged, *args);
        }};
}

} // namespace canopy::cli
