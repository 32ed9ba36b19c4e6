// `canopy compare`: the base and policy mixes of one scenario on common random numbers, with
// the paired difference of each mix from the base (output/compare.hpp). Like `run`, it checks
// every input and output path before it runs anything, so a bad flag never creates a file.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/output/compare.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>
#include <canopy/output/progress.hpp>
#include <canopy/output/report.hpp>
#include <canopy/output/run_report.hpp>
#include <canopy/output/summary.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

struct CompareArgs {
    std::string scenario = DEFAULT_SCENARIO;
    std::vector<std::string> mixes; ///< --mix, in order; empty: every mix
    int replicates = 0;             ///< 0: the scenario's
    bool replicates_set = false;
    std::uint64_t seed = 0;
    bool seed_set = false;
    int threads = 0;
    std::string json;
    std::string out;
    std::string report; ///< --report FILE.html
    bool quiet = false;
    std::string max_memory;
    std::string posterior;
};

std::vector<std::string> output_problems(const CompareArgs& args, const fs::path& scenario_path,
                                         const engine::LoadResult& loaded) {
    std::vector<std::string> problems;
    if (std::string p = quiet_problem(
            args.quiet, {{"--json", args.json}, {"--out", args.out}, {"--report", args.report}});
        !p.empty()) {
        problems.push_back(std::move(p));
    }
    for (std::string& p : output_flag_problems(args.json, args.out, args.report)) {
        problems.push_back(std::move(p));
    }
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
    for (std::string& p :
         output::path_clashes(outputs, scenario_inputs(scenario_path, loaded, args.posterior))) {
        problems.push_back(std::move(p));
    }
    // One pair of replicates gave zero-width "95 %" intervals for every difference (as levers
    // refuses it).
    if (!args.replicates_set && loaded.scenario && loaded.scenario->replicates < 2) {
        problems.push_back("scenario " + quoted(loaded.scenario->name) +
                           " runs 1 replicate ([scenario] replicates), too few for paired "
                           "intervals; give --replicates 2 or more");
    }
    return problems;
}

// The mixes to run, base first: every mix of the scenario, or those --mix names (a mix named
// twice is a problem; base is always first, whether named or not).
std::vector<std::string> chosen_mixes(const engine::Scenario& scenario, const CompareArgs& args,
                                      std::vector<std::string>& problems) {
    std::vector<std::string> known;
    for (const engine::PolicyMix& m : scenario.policy_mixes) {
        known.push_back(m.name);
    }
    std::vector<std::string> out{output::BASE_MIX};
    const std::vector<std::string>& wanted = args.mixes.empty() ? known : args.mixes;
    for (const std::string& name : wanted) {
        if (name == output::BASE_MIX) {
            continue; // always there, first
        }
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            std::string message =
                "--mix: scenario " + quoted(scenario.name) + " has no policy mix " + quoted(name);
            if (known.empty()) {
                message += " (it has none)";
            } else {
                std::string list;
                for (const std::string& n : known) {
                    list += (list.empty() ? "" : ", ") + n;
                }
                message += " (allowed: base, " + list + ")";
                if (const std::string hint = engine::did_you_mean(name, known); !hint.empty()) {
                    message += " " + hint;
                }
            }
            problems.push_back(message);
            continue;
        }
        if (std::find(out.begin(), out.end(), name) != out.end()) {
            // As solve's --lever: a mix named twice is most likely a different one mistyped.
            problems.push_back("--mix: " + quoted(name) + " is named twice; name each mix once");
            continue;
        }
        out.push_back(name);
    }
    return out;
}

struct MixRun {
    engine::Scenario scenario; ///< as run: the mix applied
    engine::Ensemble ensemble;
    output::EnsembleSummary summary;
};

// One mix's ensemble on the comparison's seed: replicate r of every mix draws from
// RandomKey{seed, r}, the engine's common random numbers.
MixRun run_mix(const models::ModelHandle& model, const engine::Scenario& scenario,
               const std::string& mix, const engine::EnsembleOptions& base_options, bool quiet,
               const std::vector<std::string>& hints) {
    const engine::Scenario mixed =
        scenario.with_policy_mix(mix == output::BASE_MIX ? std::string() : mix);
    std::string description;
    for (const engine::PolicyMix& m : scenario.policy_mixes) {
        if (m.name == mix) {
            description = m.description;
        }
    }
    output::ProgressBar bar = output::ProgressBar::on_stderr(mix, quiet);
    engine::EnsembleOptions options = base_options;
    options.progress = [&bar](std::size_t done, std::size_t total) { bar.update(done, total); };
    engine::Ensemble ensemble = model.run(mixed, options);
    bar.finish();
    output::SummaryOptions so;
    so.policy_mix = mix;
    so.policy_mix_description = description;
    output::EnsembleSummary summary = output::summarise_ensemble(mixed, model.info(), ensemble, so);
    output::mark_determined_targets(
        summary, mixed, model.info(), ensemble,
        [&model](const engine::RunInputs& in, const engine::RandomKey& key) {
            return model.run_replicate(in, key);
        },
        hints);
    return MixRun{mixed, std::move(ensemble), std::move(summary)};
}

int compare_command(const FlagProblems& flagged, const CompareArgs& args) {
    const fs::path scenario_path = resolve_scenario(args.scenario);
    engine::LoadResult loaded = engine::load_scenario(scenario_path, models::model_catalog());
    std::vector<std::string> problems = flagged;
    for (std::string& p : output_problems(args, scenario_path, loaded)) {
        problems.push_back(std::move(p));
    }
    const bool scenario_bad = report(loaded.diagnostics);
    std::vector<std::string> mixes;
    if (!scenario_bad && loaded.scenario) {
        mixes = chosen_mixes(*loaded.scenario, args, problems);
    }
    for (const std::string& p : problems) {
        std::cerr << "canopy compare: error: " << p << "\n";
    }
    if (scenario_bad || !loaded.scenario) {
        std::cerr << "canopy compare: nothing was run or written\n";
        return EXIT_BAD_INPUT;
    }
    const models::ModelHandle* model = models::find_model(loaded.scenario->model);
    if (model == nullptr) {
        throw Error("model '" + loaded.scenario->model + "' validated but is not registered");
    }
    // The posterior is checked even when a flag is already wrong: one attempt shows every mistake.
    // So is what the runs would need.
    const engine::ThreadLimit threads(args.threads);
    const auto resources = [&](const ScenarioToRun& to_run) {
        std::vector<engine::Scenario> planned;
        for (const std::string& mix : mixes) {
            planned.push_back(
                to_run.scenario.with_policy_mix(mix == output::BASE_MIX ? std::string() : mix));
        }
        return check_resources(*model, planned,
                               args.replicates_set ? args.replicates : to_run.scenario.replicates,
                               threads.threads(), args.max_memory);
    };
    const std::optional<ScenarioToRun> checked =
        scenario_to_run(*loaded.scenario, model->info(), args.posterior, {}, {}, !problems.empty(),
                        "canopy compare", resources);
    if (!checked) {
        return EXIT_BAD_INPUT;
    }
    const engine::Scenario& scenario = checked->scenario;
    if (mixes.size() < 2 && !args.quiet) {
        std::cerr << "canopy compare: "
                  << (scenario.policy_mixes.empty()
                          ? "scenario '" + scenario.name + "' has no policy mixes"
                          : std::string("--mix names the base alone")) +
                         "; showing the base alone\n";
    }
    if (scenario.precision > 0.0 && !args.quiet) {
        // A precision rule settles each P(attain), not the paired differences compare is for:
        // compare runs every replicate (docs/what-if.md).
        std::cerr << fmt::format(
            "canopy compare: note: the scenario's precision ({}) is not applied: every mix runs "
            "all {} replicates, for the paired differences from the base\n",
            scenario.precision, args.replicates_set ? args.replicates : scenario.replicates);
    }

    engine::EnsembleOptions options;
    options.replicates = args.replicates_set ? args.replicates : scenario.replicates;
    options.seed = args.seed_set ? args.seed : scenario.seed;
    std::vector<MixRun> runs;
    runs.reserve(mixes.size());
    std::vector<std::string> hints;
    for (const std::string& mix : mixes) {
        runs.push_back(run_mix(*model, scenario, mix, options, args.quiet, hints));
        if (runs.size() == 1) {
            for (const output::TargetResult& t : runs.front().summary.targets) {
                hints.insert(hints.end(), t.determination.inputs.begin(),
                             t.determination.inputs.end());
            }
        }
    }
    std::vector<output::EnsembleSummary> summaries;
    for (const MixRun& r : runs) {
        summaries.push_back(r.summary);
    }
    const output::Comparison comparison = output::compare_runs(summaries);

    const bool json_to_stdout = args.json == "-";
    if (!args.quiet && !json_to_stdout) {
        std::cout << output::format_comparison(comparison, output::use_colour(stdout));
        std::cout.flush();
    }
    std::vector<output::TemporaryFile> finished;
    if (!args.out.empty()) {
        std::vector<output::RunData> others;
        for (std::size_t i = 1; i < runs.size(); ++i) {
            others.push_back(output::RunData{runs[i].ensemble, runs[i].summary});
        }
        finished.push_back(output::write_hdf5_temporary(
            args.out, scenario, model->info(),
            output::RunData{runs.front().ensemble, runs.front().summary}, others, &comparison));
    }
    if (!args.json.empty()) {
        const std::string text = output::comparison_json(comparison);
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
            report_runs.push_back(output::ReportRun{r.scenario, r.ensemble, r.summary});
        }
        output::Report page = output::run_report(report_runs, model->info());
        output::add_comparison(page, comparison);
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

Command add_compare(CLI::App& app) {
    auto args = std::make_shared<CompareArgs>();
    auto seed_text = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "compare", "Compare the base and policy mixes on common random numbers: medians, "
                   "P(attain), paired differences from the base with intervals, and budgets");
    cmd->add_option("scenario", args->scenario,
                    "Scenario file (looked up here, then in the source tree)")
        ->capture_default_str()
        ->check(NON_EMPTY);
    cmd->add_option("--mix,-m", args->mixes,
                    "A policy mix to compare with the base (repeat it; default: every mix)")
        ->take_all()
        ->allow_extra_args(false) // one value a flag: `--mix m scenario.toml` keeps the scenario
        ->check(NON_EMPTY);
    CLI::Option* replicates =
        cmd->add_option("--replicates,-n", args->replicates,
                        "Replicates per mix, at least 2 for paired intervals (default: the "
                        "scenario's)")
            ->check(CLI::Range(2, 1'000'000));
    CLI::Option* seed =
        add_seed_option(*cmd, *seed_text, "Seed, 0 to 2^64 - 1 (default: the scenario's)");
    cmd->add_option("--threads,-t", args->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--json", args->json,
                    "Write the comparison as JSON to PATH ('-' for stdout, which then carries "
                    "only the JSON)")
        ->check(NON_EMPTY);
    cmd->add_option("--out,-o", args->out,
                    "Write every mix's series and the comparison to FILE.h5 (HDF5)")
        ->check(NON_EMPTY);
    cmd->add_option("--report", args->report,
                    "Write a self-contained HTML report (charts, attainment and budgets per mix, "
                    "the paired differences) to FILE.html")
        ->check(NON_EMPTY);
    cmd->add_flag("--quiet,-q", args->quiet, "No progress bar and no table");
    add_max_memory_option(*cmd, args->max_memory);
    cmd->add_option("--posterior", args->posterior,
                    "Draw each replicate's parameters from a calibration posterior (FILE.h5 from "
                    "`canopy calibrate`)")
        ->check(NON_EMPTY);
    return Command{cmd, [args, seed_text, replicates, seed](const FlagProblems& flagged) {
                       args->replicates_set = replicates->count() > 0;
                       args->seed_set = seed->count() > 0;
                       if (args->seed_set) {
                           parse_seed(*seed_text, args->seed);
                       }
                       return compare_command(flagged, *args);
                   }};
}

} // namespace canopy::cli
