// The subcommands. `run` checks every input and every output path before it runs anything, so
// a bad flag or a bad scenario never creates or overwrites a file.
#include "commands.hpp"

#include "registry.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>
#include <canopy/output/json.hpp>
#include <canopy/output/progress.hpp>
#include <canopy/output/summary.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <utility>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

// Prints every diagnostic (errors and warnings) to stderr; true when there were errors.
bool report(const engine::Diagnostics& diagnostics) {
    for (const engine::Diagnostic& d : diagnostics) {
        std::cerr << d.format() << "\n";
    }
    return diagnostics.has_errors();
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

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
    if (!args.json.empty() && args.json != "-" && !args.out.empty()) {
        std::error_code ec;
        const bool same = fs::weakly_canonical(args.json, ec) == fs::weakly_canonical(args.out, ec);
        if (same && !ec) {
            problems.push_back("--json and --out name the same file " + quoted(args.out));
        }
    }
    return problems;
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
    engine::Ensemble ensemble;
    output::EnsembleSummary summary;
};

MixRun run_mix(const models::ModelHandle& model, const engine::Scenario& scenario,
               const std::string& mix, const engine::EnsembleOptions& base_options,
               const RunArgs& args) {
    const engine::Scenario mixed = scenario.with_policy_mix(mix == output::BASE_MIX ? "" : mix);
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
    return MixRun{std::move(ensemble), std::move(summary)};
}

std::string range_text(const engine::Range& r) {
    const auto end = [](double x) {
        return std::isinf(x) ? std::string(x < 0 ? "-inf" : "inf") : fmt::format("{}", x);
    };
    return "[" + end(r.min) + ", " + end(r.max) + "]";
}

} // namespace

fs::path resolve_scenario(const std::string& given) {
    const fs::path path(given);
    std::error_code ec;
    if (!path.empty() && path.is_relative() && !fs::exists(path, ec)) {
        const fs::path in_source = fs::path(CANOPY_SOURCE_DIR) / path;
        if (fs::exists(in_source, ec)) {
            return in_source;
        }
    }
    return path;
}

int run_command(const RunArgs& args) {
    // 1. Every input and output is checked before anything runs or is written.
    std::vector<std::string> problems = output_problems(args);
    const fs::path scenario_path = resolve_scenario(args.scenario);
    for (const auto& [flag, path] :
         {std::pair{"--json", args.json}, std::pair{"--out", args.out}}) {
        std::error_code ec;
        if (!path.empty() && path != "-" && fs::equivalent(path, scenario_path, ec)) {
            problems.push_back(std::string(flag) + ": " + quoted(path) +
                               " is the scenario file; it would be overwritten");
        }
    }
    engine::LoadResult loaded = engine::load_scenario(scenario_path, models::model_catalog());
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
    const engine::Scenario& scenario = *loaded.scenario;
    const models::ModelHandle* model = models::find_model(scenario.model);
    if (model == nullptr) {
        throw Error("model '" + scenario.model + "' validated but is not registered");
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
    std::vector<MixRun> runs;
    runs.reserve(mixes.size());
    for (const std::string& mix : mixes) {
        runs.push_back(run_mix(*model, scenario, mix, options, args));
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
    if (!args.out.empty()) {
        std::vector<output::RunData> others;
        for (std::size_t i = 1; i < runs.size(); ++i) {
            others.push_back(output::RunData{runs[i].ensemble, runs[i].summary});
        }
        output::write_hdf5(args.out, scenario, model->info(),
                           output::RunData{runs.front().ensemble, runs.front().summary}, others);
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
            output::write_file_atomically(args.json, text);
        }
    }
    return EXIT_OK;
}

int validate_command(const std::vector<std::string>& files) {
    bool all_ok = true;
    const engine::ModelCatalog catalog = models::model_catalog();
    for (const std::string& file : files) {
        const engine::LoadResult result = engine::load_scenario(resolve_scenario(file), catalog);
        const bool bad = report(result.diagnostics);
        if (bad || !result.scenario) {
            all_ok = false;
        } else {
            std::cout << "ok: " << file << "\n";
        }
    }
    return all_ok ? EXIT_OK : EXIT_BAD_INPUT;
}

int models_command() {
    for (const std::string& name : models::model_names()) {
        const models::ModelHandle* handle = models::find_model(name);
        if (handle == nullptr) {
            continue;
        }
        const engine::ModelInfo& info = handle->info();
        std::cout << name << ": " << info.description << "\n";
        std::vector<std::vector<std::string>> rows;
        for (const engine::ParameterSpec& p : info.parameters) {
            rows.push_back({p.name,
                            p.role == engine::ParameterRole::baseline ? "baseline" : "parameter",
                            p.unit, "default " + fmt::format("{}", p.default_value),
                            range_text(p.range), p.description});
        }
        std::cout << "  parameters ([baseline.<name>] or [parameters.<name>])\n"
                  << output::format_columns(rows, 4);
        rows.clear();
        for (const engine::LeverSpec& l : info.levers) {
            rows.push_back({l.name, l.group, l.unit,
                            "default " + fmt::format("{}", l.default_value), range_text(l.range),
                            l.description});
        }
        std::cout << "  levers ([levers.<name>])\n" << output::format_columns(rows, 4);
        rows.clear();
        for (const engine::SeriesSpec& s : info.series) {
            rows.push_back({s.name, s.kind == engine::SeriesKind::stock ? "stock" : "flow", s.unit,
                            s.description});
        }
        std::cout << "  series (indicators' `series`)\n" << output::format_columns(rows, 4);
        std::cout << "\n";
    }
    return EXIT_OK;
}

} // namespace canopy::cli
