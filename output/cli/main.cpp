// `canopy`: the command line. Registers each subcommand (one file each, see cli.hpp), parses
// the flags with CLI11 and runs the chosen one; every bad flag is exit status 2 with a message
// naming the flag, before anything runs.
#include "cli.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/memory.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using canopy::cli::Command;
using canopy::cli::EXIT_BAD_INPUT;
using canopy::cli::EXIT_RUNTIME;

// The option of `owner` that `token` (`--name`, `--name=value`, `-n`, `-nVALUE`) names, or null.
const CLI::Option* option_named(const CLI::App& owner, std::string_view token) {
    const bool long_form = token.starts_with("--");
    const std::string name(long_form ? token.substr(2, token.find('=') - 2) : token.substr(1, 1));
    for (const CLI::Option* o : owner.get_options()) {
        const std::vector<std::string>& names = long_form ? o->get_lnames() : o->get_snames();
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            return o;
        }
    }
    return nullptr;
}

// Whether `token` is written as a flag (`--x`, `-x`); `-3` is a number, `-` a file name.
bool flag_like(std::string_view token) {
    return token.size() >= 2 && token[0] == '-' &&
           (token[1] == '-' ? token.size() > 2
                            : std::isalpha(static_cast<unsigned char>(token[1])) != 0);
}

// Whether the option's value is the next argument (not written into the token, `--x=v`, `-nV`).
bool value_follows(const CLI::Option& o, std::string_view token) {
    if (o.get_items_expected_max() == 0) {
        return false; // a flag
    }
    return token.starts_with("--") ? token.find('=') == std::string_view::npos : token.size() == 2;
}

std::vector<std::string> long_names(const CLI::App& owner) {
    std::vector<std::string> names;
    for (const CLI::Option* o : owner.get_options()) {
        for (const std::string& n : o->get_lnames()) {
            names.push_back("--" + n);
        }
    }
    return names;
}

// CLI11 reports a misspelt flag late and badly: `run S --replicate 10` as "The following
// arguments were not expected: 10 --replicate", and `sweep S --ouy x.h5` only as "--out is
// required". When parsing fails, each flag the command does not have is named instead, with the
// nearest one it does have and the list of those; a command's flag written before the command
// is told to move. Empty when every flag is known.
std::string unknown_flags(const CLI::App& app, int argc, char** argv) {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({})) {
        commands.push_back(sub->get_name());
    }
    // The command: the first argument that is neither a flag nor a top-level flag's value (the
    // top level's flags take none).
    int at = 0;
    for (int i = 1; i < argc && at == 0; ++i) {
        if (std::string_view(argv[i]) == "--") {
            break;
        }
        if (!flag_like(argv[i])) {
            at = i;
        }
    }
    const CLI::App* command = nullptr;
    if (at > 0) {
        const std::string word = argv[at];
        if (std::find(commands.begin(), commands.end(), word) == commands.end()) {
            std::string out = "unknown command '" + word + "'";
            const std::string hint = canopy::engine::did_you_mean(word, commands);
            out += hint.empty() ? "" : "; " + hint;
            out += "\nCommands:";
            for (const std::string& c : commands) {
                out += " " + c;
            }
            return out;
        }
        command = app.get_subcommand(word);
    }
    const CLI::App& owner = command != nullptr ? *command : app;
    const std::string where = command != nullptr ? "canopy " + command->get_name() : "canopy";
    std::string out;
    bool unknown = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view token = argv[i];
        if (token == "--") {
            break; // everything after is a value
        }
        if (i == at || !flag_like(token)) {
            continue;
        }
        const std::string name(token.starts_with("--") ? token.substr(0, token.find('='))
                                                       : token.substr(0, 2));
        const CLI::App& here = i < at ? app : owner;
        const CLI::Option* o = option_named(here, token);
        if (o == nullptr && &here == &app && command != nullptr) {
            // `canopy -q run S`: the command's flag, before the command.
            o = option_named(*command, token);
            if (o != nullptr) {
                out +=
                    (out.empty() ? "" : "\n") + ("'" + name + "' is an option of '" + where +
                                                 "': write it after '" + command->get_name() + "'");
            }
        }
        if (o != nullptr) {
            i += value_follows(*o, token) ? 1 : 0; // its value may look like a flag (--json -x)
            continue;
        }
        unknown = true;
        out += (out.empty() ? "" : "\n") +
               ("'" + (i < at ? std::string("canopy") : where) + "' has no option '" + name + "'");
        const std::string hint =
            canopy::engine::did_you_mean(name, long_names(i < at ? app : owner));
        out += hint.empty() ? "" : "; " + hint;
    }
    if (unknown) {
        out += "\nIts options:";
        for (const std::string& n : long_names(owner)) {
            out += " " + n;
        }
    }
    return out;
}

// CLI11's range check runs before the value is converted, so `-n abc` says "Value abc not in
// range 1 to 1000000", and `-n 2.5` or `-n 1e2` (whole-number options) the same. Say that it is
// not a number, or not a whole one.
std::string clearer(const CLI::ParseError& e) {
    std::string what = e.what();
    const std::string value = ": Value ";
    const std::string in_range = " not in range ";
    const std::size_t at = what.find(value);
    const std::size_t range = what.find(in_range);
    if (at == std::string::npos || range == std::string::npos || range < at) {
        return what;
    }
    const std::string v = what.substr(at + value.size(), range - at - value.size());
    const std::string bounds = what.substr(range + in_range.size()); // "1 to 1000000"
    const auto number = [](const std::string& text) -> std::optional<double> {
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) {
            return std::nullopt;
        }
        return x;
    };
    const std::optional<double> x = number(v);
    if (!x) {
        return what.substr(0, at) + ": '" + v + "' is not a number (allowed: " + bounds + ")";
    }
    const std::size_t to = bounds.find(" to ");
    const std::optional<double> lo = number(bounds.substr(0, to));
    const std::optional<double> hi =
        to == std::string::npos ? std::nullopt : number(bounds.substr(to + 4));
    if (lo && hi && *x >= *lo && *x <= *hi) {
        // In range as a number, so refused as a whole number.
        return what.substr(0, at) + ": '" + v +
               "' is not a whole number in digits (allowed: " + bounds + ")";
    }
    return what; // a number out of range: CLI11's message says so
}

// Under an MPI launcher with several ranks every rank runs the command it was given. Only sweep
// and calibrate spread their work over the ranks (rank 0 hands out points, reports and
// writes); any other command would run whole once per rank, each printing its output and
// writing the same files. solve evaluates one setting at a time and levers one lever's two ends
// at a time, so extra ranks would only wait. Such a command is refused, by rank 0's message
// alone, before it reads anything. Empty when the command may run.
std::string one_process_problem(const std::string& command) {
    if (command == "sweep" || command == "calibrate") {
        return {};
    }
    const canopy::experiments::LaunchedRanks ranks = canopy::experiments::launched_ranks();
    if (ranks.size < 2) {
        return {};
    }
    return "started by an MPI launcher with " + std::to_string(ranks.size) +
           " ranks, but 'canopy " + command +
           "' runs on one process (of the commands only sweep and calibrate spread their work "
           "over MPI ranks), so each rank would run it whole: run it without mpirun (or with "
           "-np 1); nothing was run or written";
}

int dispatch(int argc, char** argv) {
    CLI::App app{"Canopy: will this year's science-and-technology targets be reached under this "
                 "policy mix, and with what probability?",
                 "canopy"};
    app.set_version_flag("--version", std::string("canopy ") + CANOPY_VERSION,
                         "Print the version and exit");
    app.require_subcommand(0, 1);

    const std::vector<Command> commands{
        canopy::cli::add_run(app),         canopy::cli::add_validate(app),
        canopy::cli::add_models(app),      canopy::cli::add_calibrate(app),
        canopy::cli::add_sweep(app),       canopy::cli::add_merge(app),
        canopy::cli::add_sensitivity(app), canopy::cli::add_compare(app),
        canopy::cli::add_solve(app),       canopy::cli::add_levers(app),
    };

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return app.exit(e); // --help, --version
        }
        const std::string unknown = unknown_flags(app, argc, argv);
        std::cerr << "canopy: error: " << (unknown.empty() ? clearer(e) : unknown) << "\n"
                  << "Run 'canopy --help' or 'canopy <command> --help' for usage.\n";
        return EXIT_BAD_INPUT;
    }
    for (const Command& c : commands) {
        if (c.app->parsed()) {
            if (const std::string p = one_process_problem(c.app->get_name()); !p.empty()) {
                if (canopy::experiments::launched_ranks().rank == 0) {
                    std::cerr << "canopy " << c.app->get_name() << ": error: " << p << "\n";
                }
                return EXIT_BAD_INPUT;
            }
            return c.run();
        }
    }
    std::cout << app.help();
    return EXIT_BAD_INPUT;
}

} // namespace

namespace {

// What a command printed must have reached stdout: `canopy run > /dev/full` used to exit 0
// with the table lost. A failed write is a runtime failure (1) unless the command failed
// already.
int checked_stdout(int status) {
    std::cout.flush();
    if (!std::cout && status == canopy::cli::EXIT_OK) {
        // (errno is not reliable here: the stream may have failed long before this check.)
        std::cerr << "canopy: error: cannot write to standard output (is the disk or pipe "
                     "full, or closed?)\n";
        return EXIT_RUNTIME;
    }
    return status;
}

} // namespace

int main(int argc, char** argv) {
    canopy::engine::keep_freed_memory();
    canopy::output::remove_temporaries_on_signals();
    canopy::output::skip_hdf5_cleanup_at_exit();
    try {
        return checked_stdout(dispatch(argc, argv));
    } catch (const canopy::Error& e) {
        std::cerr << "canopy: error: " << e.what() << "\n";
        return EXIT_RUNTIME;
    } catch (const std::exception& e) {
        std::cerr << "canopy: internal error: " << e.what() << "\n";
        return EXIT_RUNTIME;
    }
}
