// `canopy sensitivity`: Sobol indices (saltelli designs) or Morris elementary effects (morris
// designs) of a sweep result's outputs, as a ranked table, JSON and, with --out, datasets in the
// result file. Every flag, the file and the outputs asked for are checked before anything is
// computed; nothing is written unless all of it can be (docs/sensitivity.md).
#include "cli.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/experiments/sweep_result.hpp>
#include <canopy/experiments/sweep_sensitivity.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/sensitivity.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

/// The fewest bootstrap resamples --bootstrap takes.
constexpr long MIN_BOOTSTRAP = 100;

struct SensitivityArgs {
    std::string result;
    std::vector<std::string> indicators; ///< --indicator ID
    std::vector<std::string> targets;    ///< --target ID
    std::vector<std::string> outputs;    ///< --output NAME
    std::string method;                  ///< "sobol", "morris" or empty (the design's)
    std::size_t bootstrap = 1000;
    double confidence = 0.95;
    std::string seed;
    std::string json;
    std::string out;
    bool quiet = false;
};

/// "a, b, c" (or "none").
std::string listing(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out.empty() ? std::string("none") : out;
}

/// "--flag: RESULT has no <what> 'id' (did you mean ...; its <what>s: ...)".
std::string unknown(const std::string& flag, const std::string& file, const std::string& what,
                    const std::string& id, const std::vector<std::string>& allowed) {
    std::string message = flag + ": " + file + " has no " + what + " " + quoted(id);
    if (const std::string hint = did_you_mean_id(id, allowed); !hint.empty()) {
        message += " (" + hint + ")";
    }
    return message + "; its " + what + "s: " + listing(allowed);
}

/// The names the flags ask for, in the order of the flags; problems name the flag.
std::vector<std::string> requested_outputs(const SensitivityArgs& args,
                                           const experiments::SweepResult& result,
                                           std::vector<std::string>& problems) {
    const std::vector<std::string> names = experiments::sensitivity_names(result);
    const auto offered = [&](const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    std::vector<std::string> wanted;
    const auto want = [&](const std::string& name) {
        if (offered(name) && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
            wanted.push_back(name);
        }
    };
    std::vector<std::string> target_ids;
    for (const experiments::TargetColumns& t : result.targets) {
        target_ids.push_back(t.id);
    }
    for (const std::string& id : args.targets) {
        if (std::find(target_ids.begin(), target_ids.end(), id) == target_ids.end()) {
            problems.push_back(unknown("--target", args.result, "target", id, target_ids));
            continue;
        }
        want("targets/" + id + "/p_attain");
        want("targets/" + id + "/median");
    }
    std::vector<std::string> indicator_ids;
    for (const experiments::IndicatorColumns& i : result.indicators) {
        indicator_ids.push_back(i.id);
    }
    for (const std::string& id : args.indicators) {
        if (std::find(indicator_ids.begin(), indicator_ids.end(), id) == indicator_ids.end()) {
            problems.push_back(unknown("--indicator", args.result, "indicator", id, indicator_ids));
            continue;
        }
        want("indicators/" + id + "/mean");
        want("indicators/" + id + "/mean_path"); // when the sweep kept paths
    }
    for (const std::string& name : args.outputs) {
        if (!offered(name)) {
            problems.push_back(unknown("--output", args.result, "output", name, names));
            continue;
        }
        want(name);
    }
    return wanted;
}

/// Why the result's design does not give the method asked for, or empty.
std::string method_problem(const SensitivityArgs& args, const experiments::SweepResult& result) {
    using experiments::DesignKind;
    const std::string design(experiments::to_string(result.design));
    if (result.design != DesignKind::saltelli && result.design != DesignKind::morris) {
        return args.result + ": its design is '" + design +
               "'; Sobol indices need a 'saltelli' design and Morris effects a 'morris' design "
               "(set design in the sweep file's [sweep] table and run the sweep again)";
    }
    const bool sobol = result.design == DesignKind::saltelli;
    if (args.method == "sobol" && !sobol) {
        return "--method sobol: " + args.result + " has a '" + design +
               "' design; Sobol indices need a 'saltelli' design (use --method morris, or "
               "sweep again with design = \"saltelli\")";
    }
    if (args.method == "morris" && sobol) {
        return "--method morris: " + args.result + " has a '" + design +
               "' design; Morris effects need a 'morris' design's trajectories (use --method "
               "sobol, or sweep again with design = \"morris\")";
    }
    if (const std::string p = experiments::sensitivity_problem(result); !p.empty()) {
        return args.result + ": cannot be analysed: " + p;
    }
    return {};
}

/// Problems with the output flags and how they meet each other and the result file.
std::vector<std::string> output_problems(const SensitivityArgs& args) {
    std::vector<std::string> problems;
    if (std::string p = quiet_problem(args.quiet, {{"--json", args.json}, {"--out", args.out}});
        !p.empty()) {
        problems.push_back(std::move(p));
    }
    if (!args.json.empty() && args.json != "-") {
        if (const std::string p = output::output_path_problem(args.json); !p.empty()) {
            problems.push_back("--json: cannot write " + quoted(args.json) + ": " + p +
                               " (use --json - for stdout)");
        }
        for (std::string& c :
             output::path_clashes({{"--json", args.json}}, {{"the result file", args.result}})) {
            problems.push_back(std::move(c));
        }
    }
    if (!args.out.empty()) {
        if (const std::string n = output::h5_name_problem(args.out); !n.empty()) {
            problems.push_back("--out: " + quoted(args.out) + n);
        } else if (const std::string p = output::output_path_problem(args.out); !p.empty()) {
            problems.push_back("--out: cannot write " + quoted(args.out) + ": " + p);
        }
    }
    if (!args.json.empty() && args.json != "-" && !args.out.empty()) {
        for (std::string& c :
             output::path_clashes({{"--json", args.json}, {"--out", args.out}}, {})) {
            problems.push_back(std::move(c));
        }
    }
    return problems;
}

int sensitivity_command(const FlagProblems& flagged, const SensitivityArgs& args) {
    // 1. Flags, the file and the outputs asked for; nothing is computed or written on a problem.
    std::vector<std::string> problems = flagged;
    experiments::SweepSensitivityOptions options;
    options.bootstrap.resamples = args.bootstrap;
    options.bootstrap.confidence = args.confidence;
    if (!(args.confidence > 0.0 && args.confidence < 1.0)) {
        problems.push_back(fmt::format("--confidence: {} is not strictly between 0 and 1 "
                                       "(e.g. 0.95 for 95 % intervals)",
                                       args.confidence));
    }
    if (!args.seed.empty() && !parse_seed(args.seed, options.bootstrap.seed)) {
        problems.push_back("--seed: " + quoted(args.seed) + " is not a whole number from 0 to " +
                           "18446744073709551615");
    }
    for (std::string& p : output_problems(args)) {
        problems.push_back(std::move(p));
    }
    std::optional<experiments::SweepResult> result;
    try {
        result = experiments::read_sweep_result(args.result);
    } catch (const Error& e) {
        // One problem a line (every bad /outputs column has its own), each said as an error.
        const std::string what = e.what();
        for (std::size_t at = 0; at <= what.size();) {
            const std::size_t end = std::min(what.find('\n', at), what.size());
            problems.push_back(what.substr(at, end - at));
            at = end + 1;
        }
    }
    if (result) {
        if (std::string p = method_problem(args, *result); !p.empty()) {
            problems.push_back(std::move(p));
        } else {
            options.outputs = requested_outputs(args, *result, problems);
        }
    }
    if (!problems.empty()) {
        for (const std::string& p : problems) {
            std::cerr << "canopy sensitivity: error: " << p << "\n";
        }
        std::cerr << "canopy sensitivity: nothing was computed or written\n";
        return EXIT_BAD_INPUT;
    }

    // A percentile interval's ends are resamples from its tails: with too few, its ends are
    // the extremes (an outside tester's 99.9 % intervals from 100 resamples, without a word).
    const double per_tail = 0.5 * (1.0 - args.confidence) * static_cast<double>(args.bootstrap);
    if (per_tail < 5.0 && !args.quiet) {
        std::cerr << fmt::format(
            "canopy sensitivity: note: a {} % interval from {} resamples has {:.2g} resamples "
            "beyond each end, so its ends are near the extremes of the resamples; --bootstrap "
            "{} or more gives each tail 5\n",
            100.0 * args.confidence, args.bootstrap, per_tail,
            static_cast<std::size_t>(std::ceil(10.0 / (1.0 - args.confidence))));
    }

    // 2. The indices, then every output or none.
    const experiments::SweepSensitivity analysis = experiments::analyse_sweep(*result, options);
    const bool json_to_stdout = args.json == "-";
    std::vector<output::TemporaryFile> files;
    if (!args.json.empty() && !json_to_stdout) {
        files.push_back(output::write_temporary(args.json, output::sensitivity_json(analysis)));
    }
    if (!args.out.empty()) {
        files.push_back(output::write_sensitivity_hdf5_temporary(args.result, args.out, analysis));
    }
    std::vector<output::TemporaryFile*> pending;
    for (output::TemporaryFile& f : files) {
        pending.push_back(&f);
    }
    // What is printed first: a stdout that cannot be written leaves the files as they were.
    if (json_to_stdout) {
        std::cout << output::sensitivity_json(analysis);
    } else if (!args.quiet) {
        const output::TableStyle style{output::use_colour(stdout)};
        std::cout << output::format_sensitivity(analysis, style);
    }
    commit_after_stdout(pending);
    if (!json_to_stdout && !args.quiet && !args.out.empty()) {
        std::cout << "\nindices written under /sensitivity in " << args.out << "\n";
    }
    return EXIT_OK;
}

} // namespace

Command add_sensitivity(CLI::App& app) {
    auto args = std::make_shared<SensitivityArgs>();
    CLI::App* cmd = app.add_subcommand(
        "sensitivity",
        "Sobol indices (saltelli sweeps) or Morris effects (morris sweeps) of a sweep result's "
        "targets, indicators and /outputs, ranked per output (docs/sensitivity.md)");
    cmd->add_option("result", args->result, "Sweep result (canopy sweep --out RESULT.h5)")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--target", args->targets,
                    "Analyse this target's P(attain) and median final value (repeatable; "
                    "default: every output)")
        ->take_all()
        ->allow_extra_args(false)
        ->check(NON_EMPTY);
    cmd->add_option("--indicator", args->indicators,
                    "Analyse this indicator's mean final value, and its mean path month by month "
                    "when the sweep kept paths (repeatable)")
        ->take_all()
        ->allow_extra_args(false)
        ->check(NON_EMPTY);
    cmd->add_option("--output", args->outputs,
                    "Analyse the output of this name, e.g. targets/<id>/p_attain or "
                    "outputs/<name> (repeatable)")
        ->take_all()
        ->allow_extra_args(false)
        ->check(NON_EMPTY);
    cmd->add_option("--method", args->method,
                    "sobol or morris; must match the design (default: the design's)")
        ->check(CLI::IsMember({"sobol", "morris"}));
    // A percentile interval's ends are resamples from its tails: with fewer than 100, a 95 %
    // interval's ends rest on two resamples or none (one resample: a zero-width "interval" that
    // need not hold the estimate). docs/sensitivity.md.
    cmd->add_option("--bootstrap", args->bootstrap,
                    "Bootstrap resamples for the confidence intervals, 100 to 1000000 (default "
                    "1000)")
        ->check(CLI::Validator(
            [](std::string& value) -> std::string {
                const bool digits = !value.empty() && value.size() <= 7 &&
                                    std::all_of(value.begin(), value.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
                const long n = digits ? std::stol(value) : -1;
                if (n >= MIN_BOOTSTRAP && n <= 1000000) {
                    return {};
                }
                return "must be a whole number from " + std::to_string(MIN_BOOTSTRAP) +
                       " to 1000000, got '" + value + "' (a percentile interval needs at least " +
                       std::to_string(MIN_BOOTSTRAP) + " resamples for its ends to mean anything)";
            },
            "UINT in [" + std::to_string(MIN_BOOTSTRAP) + " - 1000000]", "resamples"));
    cmd->add_option("--confidence", args->confidence,
                    "Confidence level of the intervals, strictly between 0 and 1 (default 0.95)")
        ->check(number_check("a number strictly between 0 and 1, e.g. 0.95 for 95 % intervals"));
    add_seed_option(*cmd, args->seed, "Seed of the bootstrap (default 1)");
    cmd->add_option("--json", args->json, "Also write the indices as JSON to PATH (- for stdout)")
        ->check(NON_EMPTY);
    cmd->add_option("--out,-o", args->out,
                    "Write the result with the indices added under /sensitivity to FILE.h5 "
                    "(the result file itself to update it)")
        ->check(NON_EMPTY);
    cmd->add_flag("--quiet,-q", args->quiet, "No table");
    return Command{
        cmd, [args](const FlagProblems& flagged) { return sensitivity_command(flagged, *args); }};
}

} // namespace canopy::cli
