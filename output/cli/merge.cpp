// `canopy merge`: the shards of a sweep (files of `canopy sweep --shard i/n`) joined into one
// result. Shards of another sweep file, seed or Canopy version are refused, missing points are
// named rather than filled, and nothing is written unless the whole result is there.
#include "cli.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/sweep.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/table.hpp>

#include <iostream>

namespace canopy::cli {

namespace fs = std::filesystem;

namespace {

struct MergeArgs {
    std::vector<std::string> shards;
    std::string out;
    bool quiet = false;
};

int merge_command(const FlagProblems& flagged, const MergeArgs& args) {
    std::vector<std::string> problems = flagged;
    if (const std::string n = output::h5_name_problem(args.out); !n.empty()) {
        problems.push_back("--out: " + quoted(args.out) + n);
    } else if (const std::string p = output::output_path_problem(args.out); !p.empty()) {
        problems.push_back("--out: cannot write " + quoted(args.out) + ": " + p);
    }
    for (const std::string& s : args.shards) {
        std::error_code ec;
        if (fs::equivalent(s, args.out, ec) && !ec) {
            problems.push_back("--out: " + quoted(args.out) +
                               " is one of the shards; it would be "
                               "overwritten");
        }
    }
    std::vector<experiments::SweepResult> shards;
    for (const std::string& s : args.shards) {
        // Checked here rather than by the flag parser, where a missing shard hid a bad --out.
        std::error_code ec;
        if (!fs::exists(s, ec) || fs::is_directory(s, ec)) {
            problems.push_back("cannot read sweep result " + quoted(s) + ": " +
                               (fs::is_directory(s, ec) ? "it is a directory" : "no such file"));
            continue;
        }
        try {
            shards.push_back(experiments::read_sweep_result(s));
        } catch (const Error& e) {
            problems.emplace_back(e.what());
        }
    }
    for (const std::string& p : problems) {
        std::cerr << "canopy merge: error: " << p << "\n";
    }
    if (!problems.empty()) {
        std::cerr << "canopy merge: nothing was written\n";
        return EXIT_BAD_INPUT;
    }
    engine::Diagnostics diagnostics;
    const std::optional<experiments::SweepResult> merged =
        experiments::merge_sweep_results(shards, args.shards, diagnostics);
    for (const engine::Diagnostic& d : diagnostics) {
        // A problem of one shard names its file; one of the shards together (missing points)
        // names the command, as the other merge errors do.
        std::cerr << (d.file.empty() ? "canopy merge: " : "") << output::printable(d.format())
                  << "\n";
    }
    if (diagnostics.has_errors() || !merged) {
        std::cerr << "canopy merge: nothing was written\n";
        return EXIT_BAD_INPUT;
    }
    experiments::write_sweep_result(args.out, *merged);
    if (!args.quiet) {
        std::cout << "canopy merge: " << shards.size()
                  << (shards.size() == 1 ? " shard, " : " shards, ") << merged->points()
                  << (merged->points() == 1 ? " point -> " : " points -> ") << args.out << "\n";
    }
    // The result is written whatever becomes of the closing line; a closed or full stdout is
    // still a failure (exit 1), said with what was kept.
    require_stdout("the result " + quoted(args.out) + " was written");
    return EXIT_OK;
}

} // namespace

Command add_merge(CLI::App& app) {
    auto args = std::make_shared<MergeArgs>();
    CLI::App* cmd =
        app.add_subcommand("merge", "Join the shards of a sweep (canopy sweep --shard i/n) into "
                                    "one result; refuses mismatched or incomplete shards");
    cmd->add_option("shards", args->shards, "Shard files (SHARD.h5 ...)")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_option("--out,-o", args->out, "Write the merged result to FILE.h5")
        ->required()
        ->check(NON_EMPTY);
    cmd->add_flag("--quiet,-q", args->quiet, "No closing line");
    return Command{cmd,
                   [args](const FlagProblems& flagged) { return merge_command(flagged, *args); }};
}

} // namespace canopy::cli
