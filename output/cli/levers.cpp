// `canopy levers`: which levers can move which targets within the horizon, and by how much.
// Each lever is run at the two ends of its range on common random numbers
// (experiments/lever_effects.hpp); the table gives, per target and lever, the change in the
// median and in P(attain) from the low end to the high end with paired intervals (the median's a
// bootstrap, P(attain)'s Newcombe's).
//
// Ranges: a sweep file's lever factors (`--ranges FILE`, docs/sweeps.md: `min`/`max`, set or
// scale) where it has them; otherwise the default rule, the lever set from the scenario's
// policy_start at half and at one and a half times the level its schedule reaches by the end of
// the run. A lever whose level is 0 has no default range and is listed as skipped.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/lever_effects.hpp>
#include <canopy/experiments/sweep.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/progress.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

struct LeversArgs {
    std::string scenario = DEFAULT_SCENARIO;
    std::string ranges;            ///< a sweep file whose lever factors give ranges
    std::vector<std::string> only; ///< --lever NAME: just these levers
    int replicates = 0;            ///< 0: the scenario's
    std::uint64_t seed = 0;
    bool seed_set = false;
    int threads = 0;
    std::string json;
    std::string posterior;
    bool quiet = false;
    std::string max_memory; ///< --max-memory: empty for the memory available
};

// The fewest replicates an end may have: a paired interval needs at least two (the
// --replicates flag's own minimum).
constexpr int MIN_REPLICATES = 2;

std::string signed_quantity(double x) {
    if (std::isnan(x)) {
        return "n/a";
    }
    return (x > 0.0 ? "+" : "") + output::format_quantity(x);
}

std::string signed_points(double p) {
    if (std::isnan(p)) {
        return "n/a";
    }
    return fmt::format("{:+.1f}", 100.0 * p);
}

std::string print_table(const experiments::LeverEffects& e) {
    std::string text;
    for (std::size_t t = 0; t < e.targets.size(); ++t) {
        std::vector<std::vector<std::string>> rows;
        rows.push_back({"lever", "low", "high", "median low", "change", "interval", "P low",
                        "change (points)", "interval", "moves?"});
        for (std::size_t k = 0; k < e.levers.size(); ++k) {
            const experiments::TargetEffect& x = e.at(k, t);
            const experiments::LeverRange& r = e.levers[k];
            const std::string mode = r.lever.mode == experiments::OverrideMode::scale ? "x" : "";
            rows.push_back(
                {r.lever.name, output::format_quantity(r.low) + mode,
                 output::format_quantity(r.high) + mode, output::format_quantity(x.median_low),
                 signed_quantity(x.delta_median),
                 "[" + signed_quantity(x.delta_median_ci.lo) + ", " +
                     signed_quantity(x.delta_median_ci.hi) + "]",
                 output::format_percent(x.p_low), signed_points(x.delta_p),
                 "[" + signed_points(x.delta_p_ci.lo) + ", " + signed_points(x.delta_p_ci.hi) + "]",
                 x.moves() ? "yes" : "no"});
        }
        text += "target " + e.targets[t] + "\n" + output::format_columns(rows, 2) + "\n";
    }
    return text;
}

// In the order docs/what-if.md lists the keys (ordered_json: nlohmann::json sorts them).
nlohmann::ordered_json to_json(const std::string& scenario, const experiments::LeverEffects& e,
                               const std::vector<std::pair<std::string, std::string>>& skipped) {
    using json = nlohmann::ordered_json;
    const auto num = [](double x) -> json { return std::isfinite(x) ? json(x) : json(nullptr); };
    json j;
    j["schema_version"] = 1; // raised when a field changes meaning or disappears
    j["scenario"] = scenario;
    j["seed"] = e.seed;
    j["replicates"] = e.replicates;
    j["confidence"] = e.confidence;
    json levers = json::array();
    for (const experiments::LeverRange& r : e.levers) {
        levers.push_back(
            {{"lever", r.lever.name},
             {"mode", r.lever.mode == experiments::OverrideMode::scale ? "scale" : "set"},
             {"low", r.low},
             {"high", r.high},
             {"origin", r.origin}});
    }
    j["levers"] = levers;
    json skip = json::array();
    for (const auto& [name, why] : skipped) {
        skip.push_back({{"lever", name}, {"reason", why}});
    }
    j["skipped"] = skip;
    json effects = json::array();
    for (std::size_t t = 0; t < e.targets.size(); ++t) {
        for (std::size_t k = 0; k < e.levers.size(); ++k) {
            const experiments::TargetEffect& x = e.at(k, t);
            effects.push_back(
                {{"target", e.targets[t]},
                 {"lever", e.levers[k].lever.name},
                 {"median_low", num(x.median_low)},
                 {"median_high", num(x.median_high)},
                 {"delta_median", num(x.delta_median)},
                 {"delta_median_ci", {num(x.delta_median_ci.lo), num(x.delta_median_ci.hi)}},
                 {"p_low", num(x.p_low)},
                 {"p_high", num(x.p_high)},
                 {"delta_p", num(x.delta_p)},
                 {"delta_p_ci", {num(x.delta_p_ci.lo), num(x.delta_p_ci.hi)}},
                 {"moves", x.moves()}});
        }
    }
    j["effects"] = effects;
    return j;
}

int levers_command(const FlagProblems& flagged, const LeversArgs& args) {
    std::unique_ptr<experiments::Evaluator> evaluator = experiments::default_evaluator();
    const bool root = evaluator->is_root();

    // 1. Every input and output is checked before anything runs or is written.
    std::vector<std::string> problems = flagged;
    if (std::string p = cli::quiet_problem(args.quiet, {{"--json", args.json}}); !p.empty()) {
        problems.push_back(std::move(p));
    }
    if (!args.json.empty() && args.json != "-") {
        if (const std::string p = output::output_path_problem(args.json); !p.empty()) {
            problems.push_back("--json: cannot write " + cli::quoted(args.json) + ": " + p +
                               " (use --json - for stdout)");
        }
    }
    const fs::path scenario_path = resolve_scenario(args.scenario);
    engine::LoadResult loaded = engine::load_scenario(scenario_path, models::model_catalog());
    const bool scenario_bad = report(loaded.diagnostics);
    std::optional<experiments::SweepLoad> ranges;
    bool ranges_bad = false;
    if (!args.ranges.empty()) {
        ranges = experiments::load_sweep(resolve_scenario(args.ranges));
        ranges_bad = report(ranges->diagnostics);
    }
    const models::ModelHandle* model =
        loaded.scenario ? models::find_model(loaded.scenario->model) : nullptr;
    if (!scenario_bad && !ranges_bad && loaded.scenario && ranges && ranges->sweep) {
        if (std::string p =
                lever_ranges_problem(*loaded.scenario, *ranges->sweep, "--ranges", args.ranges);
            !p.empty()) {
            problems.push_back(std::move(p));
        }
    }
    // A bad --ranges file hides no mistake of the scenario's flags: they are checked too.
    // A lever named twice is most likely another one mistyped (as solve's --lever, compare's
    // --mix): it was dropped silently.
    for (auto it = args.only.begin(); it != args.only.end(); ++it) {
        // Said once, at its last mention.
        if (std::find(args.only.begin(), it, *it) != it &&
            std::find(it + 1, args.only.end(), *it) == args.only.end()) {
            problems.push_back("--lever: " + cli::quoted(*it) +
                               " is named twice; name each lever once");
        }
    }
    if (!scenario_bad && loaded.scenario && model != nullptr) {
        for (const std::string& name : args.only) {
            std::vector<std::string> names;
            for (const engine::LeverSpec& l : model->info().levers) {
                names.push_back(l.name);
            }
            if (std::find(names.begin(), names.end(), name) == names.end()) {
                std::string hint = engine::did_you_mean(name, names);
                std::string allowed;
                for (const std::string& n : names) {
                    allowed += (allowed.empty() ? "" : ", ") + n;
                }
                problems.push_back("--lever: " + cli::quoted(name) + " is not a lever of model " +
                                   cli::quoted(loaded.scenario->model) + " (allowed: " + allowed +
                                   ")" + (hint.empty() ? "" : " ") + hint);
            }
        }
    }
    // The table is each lever's effect on each target: without targets it ran every ensemble
    // and printed a header alone, exit 0.
    if (!scenario_bad && loaded.scenario && loaded.scenario->targets.empty()) {
        problems.push_back("scenario " + cli::quoted(loaded.scenario->name) +
                           " has no targets, and levers measures each lever's effect on the "
                           "targets; add [targets.<id>] to the scenario");
    }
    if (!scenario_bad && loaded.scenario && args.replicates == 0 &&
        loaded.scenario->replicates < MIN_REPLICATES) {
        problems.push_back(fmt::format("scenario {} runs {} replicate ([scenario] replicates), "
                                       "too few for paired intervals; give --replicates {} or "
                                       "more",
                                       cli::quoted(loaded.scenario->name),
                                       loaded.scenario->replicates, MIN_REPLICATES));
    }
    if (!args.json.empty() && args.json != "-") {
        std::vector<output::NamedPath> inputs =
            scenario_inputs(scenario_path, loaded, args.posterior);
        if (!args.ranges.empty()) {
            // The sweep file and what it reads (a tester's --json replaced the sweep's scenario).
            for (output::NamedPath& p :
                 sweep_inputs("--ranges", resolve_scenario(args.ranges),
                              ranges && ranges->sweep ? &*ranges->sweep : nullptr)) {
                inputs.push_back(std::move(p));
            }
        }
        for (std::string& p : output::path_clashes({{"--json", args.json}}, inputs)) {
            problems.push_back(std::move(p));
        }
    }
    for (const std::string& p : problems) {
        std::cerr << "canopy levers: error: " << p << "\n";
    }
    if (scenario_bad || !loaded.scenario || model == nullptr) {
        std::cerr << "canopy levers: nothing was run or written\n";
        return EXIT_BAD_INPUT;
    }
    // The posterior is checked even when a flag is already wrong: one attempt shows every mistake.
    // So is what the comparison would need, when the ranges could be read: each lever at the top
    // of its range is the largest run it makes.
    const engine::ThreadLimit threads(args.threads);
    const auto resources = [&](const ScenarioToRun& to_run) {
        if (ranges_bad) {
            return ResourceCheck{};
        }
        const LeverRangeChoice ends = choose_lever_ranges(
            to_run.scenario, model->info(), ranges && ranges->sweep ? &*ranges->sweep : nullptr,
            args.ranges, args.only);
        const int replicates = args.replicates > 0 ? args.replicates : to_run.scenario.replicates;
        for (const experiments::LeverRange& r : ends.chosen) {
            const std::vector<experiments::Override> top{{r.lever, r.high}};
            ResourceCheck check = check_resources(
                *model, {experiments::apply_overrides(to_run.scenario, top)}, replicates,
                threads.threads(), args.max_memory, "a lever at the top of its range",
                "use a smaller city, narrower ranges or fewer replicates");
            if (!check.problem.empty()) {
                return check;
            }
        }
        return ResourceCheck{};
    };
    const std::optional<ScenarioToRun> checked =
        scenario_to_run(*loaded.scenario, model->info(), args.posterior, {}, {},
                        ranges_bad || !problems.empty(), "canopy levers", resources);
    if (!checked) {
        return EXIT_BAD_INPUT;
    }
    const engine::Scenario& attached = checked->scenario;

    // 2. The ranges: the --ranges file's lever factors, else the default rule.
    const engine::ModelInfo& info = model->info();
    const LeverRangeChoice choice =
        choose_lever_ranges(attached, info, ranges && ranges->sweep ? &*ranges->sweep : nullptr,
                            args.ranges, args.only);
    const std::vector<experiments::LeverRange>& chosen = choice.chosen;
    const std::vector<std::pair<std::string, std::string>>& skipped = choice.skipped;
    if (chosen.empty() && !args.only.empty()) {
        // Every lever asked for was skipped: three empty tables and exit 0 measured nothing.
        std::string why;
        for (const auto& [name, reason] : skipped) {
            why += (why.empty() ? "" : "; ") + name + ": " + reason;
        }
        std::cerr << "canopy levers: error: --lever: no lever named can be measured (" << why
                  << "); give its range with --ranges SWEEP.toml (a sweep file's lever factor)\n"
                  << "canopy levers: nothing was run or written\n";
        return EXIT_BAD_INPUT;
    }

    // 3. Run both ends of each lever.
    experiments::Experiment experiment;
    experiment.scenario = std::make_shared<const engine::Scenario>(attached);
    experiment.model = model;
    experiment.replicates = args.replicates > 0 ? args.replicates : attached.replicates;
    experiment.seed = args.seed_set ? args.seed : attached.seed;
    experiment.common_random_numbers = true;
    experiment.fingerprint = experiments::make_fingerprint(std::vector<std::string>{
        "levers", engine::scenario_content(attached.text), std::to_string(experiment.seed),
        std::to_string(experiment.replicates)});
    if (root && !args.quiet && attached.precision > 0.0) {
        // Each end of a lever is paired with the other replicate by replicate: both run every
        // replicate, as compare's mixes do.
        std::cerr << fmt::format(
            "canopy levers: note: the scenario's precision ({}) is not applied: each end of "
            "each lever runs all {} replicates, for the paired changes\n",
            attached.precision, experiment.replicates);
    }
    output::StatusLine status = output::StatusLine::on_stderr(args.quiet || !root);
    // Under mpirun every rank runs this alike: its own failure is said once (ClientEvaluator).
    experiments::ClientEvaluator client(*evaluator);
    const experiments::LeverEffects effects = client.run([&](experiments::Evaluator& e) {
        return experiments::lever_effects(
            experiment, chosen, e, {}, [&](std::size_t done, std::size_t all) {
                status.show(fmt::format("levers {}/{}", done, all), true);
            });
    });
    status.finish();
    if (!root) {
        return EXIT_OK;
    }

    // 4. Report.
    const bool json_to_stdout = args.json == "-";
    if (!args.quiet && !json_to_stdout) {
        std::cout << fmt::format("{}: each lever at the ends of its range, {} paired replicates "
                                 "(common random numbers, seed {}); changes from the low end to "
                                 "the high end with {:.0f} % paired intervals (the median's a "
                                 "bootstrap, P(attain)'s Newcombe's)\n\n",
                                 attached.name, effects.replicates, effects.seed,
                                 100.0 * effects.confidence)
                  << print_table(effects);
        for (const auto& [name, why] : skipped) {
            std::cout << "skipped " << name << ": " << why << "\n";
        }
        std::cout.flush();
    }
    if (!args.json.empty()) {
        const std::string text = to_json(attached.name, effects, skipped).dump(2) + "\n";
        if (json_to_stdout) {
            std::cout << text;
            require_stdout();
        } else {
            require_stdout();
            output::write_file_atomically(args.json, text);
        }
    }
    return EXIT_OK;
}

} // namespace

Command add_levers(CLI::App& app) {
    auto args = std::make_shared<LeversArgs>();
    auto seed_text = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "levers", "Which levers move which targets: each lever at its range's ends, paired runs");
    cmd->add_option("scenario", args->scenario,
                    "Scenario file (default: " + std::string(DEFAULT_SCENARIO) + ")");
    cmd->add_option("--ranges", args->ranges,
                    "A sweep file whose lever factors (min/max) give the ranges")
        ->check(NON_EMPTY);
    cmd->add_option("--lever", args->only, "Only this lever (repeatable)")
        ->take_all()
        ->allow_extra_args(false) // one value a flag: `--lever x scenario.toml` keeps the scenario
        ->check(NON_EMPTY);
    cmd->add_option("--replicates,-n,-r", args->replicates,
                    "Replicates per end (default: the scenario's)")
        ->check(CLI::Range(2, 1000000));
    CLI::Option* seed =
        add_seed_option(*cmd, *seed_text, "Seed, 0 to 2^64 - 1 (default: the scenario's)");
    cmd->add_option("--threads,-t", args->threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--json", args->json, "Write the table as JSON to PATH ('-' for stdout)")
        ->check(NON_EMPTY);
    cmd->add_option("--posterior", args->posterior,
                    "Draw parameters from this calibration posterior (FILE.h5)")
        ->check(NON_EMPTY);
    add_max_memory_option(*cmd, args->max_memory);
    cmd->add_flag("--quiet,-q", args->quiet, "No progress line and no table");
    return Command{cmd, [args, seed_text, seed](const FlagProblems& flagged) {
                       if (seed->count() > 0) {
                           std::uint64_t s = 0;
                           parse_seed(*seed_text, s);
                           args->seed = s;
                           args->seed_set = true;
                       }
                       return levers_command(flagged, *args);
                   }};
}

} // namespace canopy::cli
