// `canopy`: the command line. Parses flags with CLI11 and hands each subcommand its arguments;
// every bad flag is exit status 2 with a message naming the flag, before anything runs.
#include "commands.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/memory.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <string>

namespace {

using canopy::cli::EXIT_BAD_INPUT;
using canopy::cli::EXIT_OK;
using canopy::cli::EXIT_RUNTIME;

// A seed: decimal digits only, within 64 bits.
bool parse_seed(const std::string& text, std::uint64_t& out) {
    if (text.empty() || text.size() > 20) {
        return false;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

// Rejects an empty value, which would otherwise read as "flag not given".
const CLI::Validator NON_EMPTY(
    [](std::string& text) {
        return text.empty() ? std::string("must not be empty") : std::string();
    },
    "", "non-empty");

int dispatch(int argc, char** argv) {
    CLI::App app{"Canopy: will this year's science-and-technology targets be reached under this "
                 "policy mix, and with what probability?",
                 "canopy"};
    app.set_version_flag("--version", std::string("canopy ") + CANOPY_VERSION,
                         "Print the version and exit");
    app.require_subcommand(0, 1);

    canopy::cli::RunArgs run;
    CLI::App* run_cmd = app.add_subcommand(
        "run", "Run a scenario's ensemble and print the probability of attaining each target");
    run_cmd
        ->add_option("scenario", run.scenario,
                     "Scenario file (looked up here, then in the source tree)")
        ->capture_default_str()
        ->check(NON_EMPTY);
    CLI::Option* replicates =
        run_cmd
            ->add_option("--replicates,-n", run.replicates, "Replicates (default: the scenario's)")
            ->check(CLI::Range(1, 1'000'000));
    // The seed is read as text: CLI11 would wrap "-3" around to a huge unsigned number.
    std::string seed_text;
    CLI::Option* seed =
        run_cmd->add_option("--seed,-s", seed_text, "Seed, 0 to 2^64 - 1 (default: the scenario's)")
            ->check(CLI::Validator(
                [](std::string& text) -> std::string {
                    std::uint64_t value = 0;
                    return parse_seed(text, value) ? std::string()
                                                   : "must be a whole number from 0 to "
                                                     "18446744073709551615, got '" +
                                                         text + "'";
                },
                "SEED", "seed"));
    run_cmd->add_option("--threads,-t", run.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 4096));
    run_cmd
        ->add_option("--json", run.json,
                     "Write the JSON summary to PATH ('-' for stdout, which then carries only "
                     "the JSON)")
        ->check(NON_EMPTY);
    run_cmd->add_option("--out,-o", run.out, "Write every series to FILE.h5 (HDF5)")
        ->check(NON_EMPTY);
    CLI::Option* mix = run_cmd
                           ->add_option("--policy-mix,-p", run.policy_mix,
                                        "Apply one of the scenario's policy mixes")
                           ->check(NON_EMPTY);
    run_cmd
        ->add_flag("--all-mixes", run.all_mixes,
                   "Run the base and every policy mix with the same seed and compare them")
        ->excludes(mix);
    std::string interval = "wilson";
    run_cmd
        ->add_option("--interval", interval,
                     "Confidence interval on P(attain): wilson (default) or jeffreys")
        ->check(CLI::IsMember({"wilson", "jeffreys"}));
    run_cmd->add_flag("--quiet,-q", run.quiet, "No progress bar and no table");

    std::vector<std::string> files;
    CLI::App* validate_cmd =
        app.add_subcommand("validate", "Check scenario files without running them");
    validate_cmd->add_option("scenario", files, "Scenario files")->required();

    CLI::App* models_cmd =
        app.add_subcommand("models", "List the models with their parameters, levers and series");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return app.exit(e); // --help, --version
        }
        std::cerr << "canopy: error: " << e.what() << "\n"
                  << "Run 'canopy --help' or 'canopy <command> --help' for usage.\n";
        return EXIT_BAD_INPUT;
    }

    if (*run_cmd) {
        run.replicates_set = replicates->count() > 0;
        run.seed_set = seed->count() > 0;
        if (run.seed_set) {
            parse_seed(seed_text, run.seed);
        }
        run.interval = interval == "jeffreys" ? canopy::engine::IntervalMethod::jeffreys
                                              : canopy::engine::IntervalMethod::wilson;
        return canopy::cli::run_command(run);
    }
    if (*validate_cmd) {
        return canopy::cli::validate_command(files);
    }
    if (*models_cmd) {
        return canopy::cli::models_command();
    }
    std::cout << app.help();
    return EXIT_BAD_INPUT;
}

} // namespace

int main(int argc, char** argv) {
    canopy::engine::keep_freed_memory();
    try {
        return dispatch(argc, argv);
    } catch (const canopy::Error& e) {
        std::cerr << "canopy: error: " << e.what() << "\n";
        return EXIT_RUNTIME;
    } catch (const std::exception& e) {
        std::cerr << "canopy: internal error: " << e.what() << "\n";
        return EXIT_RUNTIME;
    }
}
