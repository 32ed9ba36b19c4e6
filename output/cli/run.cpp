// `canopy run`: one scenario's ensemble, or the base and its policy mixes. It checks every
// input and every output path before it runs anything, so a bad flag or a bad scenario never
// creates or overwrites a file.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>
#include <canopy/output/json.hpp>
#include <canopy/output/progress.hpp>
#include <canopy/output/report.hpp>
#include <canopy/output/run_report.hpp>
#include <canopy/output/summary.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
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
    std::string report; ///< --report FILE.html
    std::string policy_mix;
    bool all_mixes = false;
    engine::IntervalMethod interval = engine::IntervalMethod::wilson;
    bool quiet = false;
    std::vector<std::string> set; ///< --set NAME=VALUE, in order
    std::string max_memory;       ///< --max-memory: empty for the memory available
    std::string posterior;        ///< --posterior FILE.h5
};

// Problems with the output flags, each naming its flag. Nothing is created here.
std::vector<std::string> output_problems(const RunArgs& args) {
    std::vector<std::string> problems;
    if (!args.json.empty() && args.json != "-") {
        if (const std::string p = output::output_path_problem(args.json); !p.empty()) {
            problems.push_back("--json: cannot write " + quoted(args.json) + ": " + p +
                               " (use --json - for stdout)");
        }
    }
    if (!args.out.empty()) {
        if (fs::path(args.out).extension() != ".h5") {
            problems.push_back("--out: " + quoted(args.out) +
                               " must end in .h5 (it is written as HDF5)");
        } else if (const std::string p = output::output_path_problem(args.out); !p.empty()) {
            problems.push_back("--out: cannot write " + quoted(args.out) + ": " + p);
        }
    }
    if (!args.report.empty()) {
        const fs::path extension = fs::path(args.report).extension();
        if (extension != ".html" && extension != ".htm") {
            problems.push_back("--report: " + quoted(args.report) +
                               " must end in .html (it is written as one HTML page)");
        } else if (const std::string p = output::output_path_problem(args.report); !p.empty()) {
            problems.push_back("--report: cannot write " + quoted(args.report) + ": " + p);
        }
    }
    return problems;
}

// The outputs against each other and against every file the run reads: the scenario and each
// file it extends (or, when it did not load, the scenario path as given).
std::vector<std::string> clashes(const RunArgs& args, const fs::path& scenario_path,
                                 const engine::LoadResult& loaded) {
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
    std::vector<output::NamedPath> inputs{{"the scenario file", scenario_path}};
    if (loaded.scenario) {
        for (std::size_t i = 1; i < loaded.scenario->files.size(); ++i) {
            inputs.push_back({"a file the scenario extends", loaded.scenario->files[i]});
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

// One run of the ensemble under one policy mix (empty: the base), with a progress bar.
struct MixRun {
    engine::Scenario scenario; ///< as run: the mix and --set applied
    engine::Ensemble ensemble;
    output::EnsembleSummary summary;
};

MixRun run_mix(const models::ModelHandle& model, const engine::Scenario& scenario,
               const std::string& mix, const engine::EnsembleOptions& base_options,
               const RunArgs& args, std::span<const experiments::Override> overrides,
               const std::vector<std::string>& determination_hints) {
    // --set wins over the mix: it is applied last.
    const engine::Scenario mixed = experiments::apply_overrides(
        scenario.with_policy_mix(mix == output::BASE_MIX ? "" : mix), overrides);
    std::string description;
    for (const engine::PolicyMix& m : scenario.policy_mixes) {
        if (m.name == mix) {
            description = m.description;
        }
    }
    // The bar is labelled with what is running: the scenario, or the mix being compared.
    output::ProgressBar bar =
        output::ProgressBar::on_stderr(mix == output::BASE_MIX ? scenario.name : mix, args.quiet);
    engine::EnsembleOptions options = base_options;
    options.progress = [&bar](std::size_t done, std::size_t total) { bar.update(done, total); };
    engine::Ensemble ensemble = model.run(mixed, options);
    bar.finish();
    output::SummaryOptions so;
    so.policy_mix = mix;
    so.policy_mix_description = description;
    so.interval = args.interval;
    output::EnsembleSummary summary = output::summarise_ensemble(mixed, model.info(), ensemble, so);
    // Targets that the inputs fix (a quota always filled, a flow computed from an input alone)
    // are labelled: their P(attain) holds by construction (engine/determination.hpp).
    output::mark_determined_targets(
        summary, mixed, model.info(), ensemble,
        [&model](const engine::RunInputs& in, const engine::RandomKey& key) {
            return model.run_replicate(in, key);
        },
        determination_hints);
    return MixRun{mixed, std::move(ensemble), std::move(summary)};
}

int run_command(const RunArgs& args) {
    // 1. Every input and output is checked before anything runs or is written.
    std::vector<std::string> problems = output_problems(args);
    const fs::path scenario_path = resolve_scenario(args.scenario);
    engine::LoadResult loaded = engine::load_scenario(scenario_path, models::model_catalog());
    for (std::string& p : clashes(args, scenario_path, loaded)) {
        problems.push_back(std::move(p));
    }
    const bool scenario_bad = report(loaded.diagnostics);
    if (!scenario_bad && loaded.scenario) {
        for (const engine::PolicyMix& m : loaded.scenario->policy_mixes) {
            if (m.name == output::BASE_MIX) {
                // Every output calls the scenario's own levers "base"; a mix of that name would
                // be indistinguishable from them.
                problems.push_back(scenario_path.string() + ": policy mix 'base' has the name " +
                                   "every output gives the scenario without a mix; rename it");
            }
        }
        if (auto p = policy_mix_problem(*loaded.scenario, args.policy_mix)) {
            problems.push_back(*p);
        }
    }
    for (const std::string& p : problems) {
        std::cerr << "canopy run: error: " << p << "\n";
    }
    if (scenario_bad || !loaded.scenario || !problems.empty()) {
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
    // A calibration posterior (--posterior, or the scenario's key): each replicate draws its
    // parameters jointly from it.
    const std::optional<engine::Scenario> attached =
        with_posterior_of(*loaded.scenario, model->info(), args.posterior, "canopy run");
    if (!attached) {
        return EXIT_BAD_INPUT;
    }
    const engine::Scenario& scenario = *attached;
    if (scenario.joint_draws && !args.quiet && args.json != "-") {
        const engine::JointDraws& j = *scenario.joint_draws;
        std::string names;
        for (const engine::JointDraws::Column& c : j.columns()) {
            names += (names.empty() ? "" : ", ") + c.name;
        }
        std::cout << "parameters " << names << " drawn jointly per replicate from " << j.origin()
                  << " (" << j.rows() << " particles)\n";
    }

    // 2. Run: the base or the chosen mix, or the base and every mix with the same seed.
    const engine::ThreadLimit threads(args.threads);
    engine::EnsembleOptions options;
    options.replicates = args.replicates_set ? args.replicates : scenario.replicates;
    options.seed = args.seed_set ? args.seed : scenario.seed;
    std::vector<std::string> mixes{args.policy_mix.empty() ? std::string(output::BASE_MIX)
                                                           : args.policy_mix};
    if (args.all_mixes) {
        for (const engine::PolicyMix& m : scenario.policy_mixes) {
            mixes.push_back(m.name);
        }
    }
    if (args.all_mixes && scenario.policy_mixes.empty() && !args.quiet) {
        std::cerr << "canopy run: scenario '" << scenario.name
                  << "' has no policy mixes; running the base only\n";
    }
    const auto overrides = parse_set_options(args.set, scenario, model->info(), mixes);
    if (!overrides) {
        std::cerr << "canopy run: bad --set; nothing was run or written\n";
        return EXIT_BAD_INPUT;
    }
    {
        // What the runs will need, before any of them starts.
        std::vector<engine::Scenario> planned;
        for (const std::string& mix : mixes) {
            planned.push_back(experiments::apply_overrides(
                scenario.with_policy_mix(mix == output::BASE_MIX ? "" : mix), *overrides));
        }
        const ResourceCheck check = check_resources(*model, planned, options.replicates,
                                                    threads.threads(), args.max_memory);
        if (!check.problem.empty()) {
            std::cerr << "canopy run: error: " << check.problem << "\n";
            return EXIT_BAD_INPUT;
        }
        if (!args.quiet && check.seconds > LONG_RUN_SECONDS) {
            std::cerr << "canopy run: this run needs " << check.estimate << "\n";
        }
    }
    std::vector<MixRun> runs;
    runs.reserve(mixes.size());
    std::vector<std::string> hints; // inputs that decide a base target: checked first in mixes
    for (const std::string& mix : mixes) {
        runs.push_back(run_mix(*model, scenario, mix, options, args, *overrides, hints));
        if (runs.size() == 1) {
            for (const output::TargetResult& t : runs.front().summary.targets) {
                hints.insert(hints.end(), t.determination.inputs.begin(),
                             t.determination.inputs.end());
            }
        }
    }

    // 3. Report.
    const bool json_to_stdout = args.json == "-";
    if (!args.quiet && !json_to_stdout) {
        const output::TableStyle style{output::use_colour(stdout)};
        std::cout << output::format_header(runs.front().summary, style) << "\n"
                  << output::format_target_table(runs.front().summary, style);
        if (runs.size() > 1) {
            std::vector<output::EnsembleSummary> summaries;
            for (const MixRun& r : runs) {
                summaries.push_back(r.summary);
            }
            std::cout << "\n" << output::format_mix_comparison(summaries, style);
        }
        std::cout.flush();
    }
    // Both files are finished under temporary names before either replaces anything, so a
    // failure (a full disk) leaves both previous files, not a new HDF5 beside an old JSON.
    std::vector<output::TemporaryFile> finished;
    if (!args.out.empty()) {
        std::vector<output::RunData> others;
        for (std::size_t i = 1; i < runs.size(); ++i) {
            others.push_back(output::RunData{runs[i].ensemble, runs[i].summary});
        }
        finished.push_back(output::write_hdf5_temporary(
            args.out, experiments::apply_overrides(scenario, *overrides), model->info(),
            output::RunData{runs.front().ensemble, runs.front().summary}, others));
    }
    if (!args.json.empty()) {
        std::vector<output::EnsembleSummary> others;
        for (std::size_t i = 1; i < runs.size(); ++i) {
            others.push_back(runs[i].summary);
        }
        const std::string text = output::summary_json(runs.front().summary, others);
        if (json_to_stdout) {
            std::cout << text;
            std::cout.flush();
            if (!std::cout) {
                throw Error("cannot write the JSON summary to stdout");
            }
        } else {
            finished.push_back(output::write_temporary(args.json, text));
        }
    }
    if (!args.report.empty()) {
        std::vector<output::ReportRun> report_runs;
        for (const MixRun& r : runs) {
            report_runs.push_back(output::ReportRun{r.scenario, r.ensemble, r.summary});
        }
        finished.push_back(output::write_report_temporary(
            args.report, output::run_report(report_runs, model->info())));
    }
    std::vector<output::TemporaryFile*> to_commit;
    for (output::TemporaryFile& f : finished) {
        to_commit.push_back(&f);
    }
    output::commit_all(to_commit);
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
    cmd->add_option("--report", args->report,
                    "Write a self-contained HTML report (fan charts, attainment, costs, inputs "
                    "and their sources) to FILE.html")
        ->check(NON_EMPTY);
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
    return Command{cmd, [args, seed_text, interval, replicates, seed] {
                       args->replicates_set = replicates->count() > 0;
                       args->seed_set = seed->count() > 0;
                       if (args->seed_set) {
                           parse_seed(*seed_text, args->seed);
                       }
                       args->interval = *interval == "jeffreys" ? engine::IntervalMethod::jeffreys
                                                                : engine::IntervalMethod::wilson;
                       return run_command(*args);
                   }};
}

} // namespace canopy::cli
