// `canopy`: the command line. Registers each subcommand (one file each, see cli.hpp), parses
// the flags with CLI11 and runs the chosen one; every bad flag is exit status 2 with a message
// naming the flag, before anything runs.
#include "cli.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/memory.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using canopy::cli::Command;
using canopy::cli::EXIT_BAD_INPUT;
using canopy::cli::EXIT_RUNTIME;

// CLI11 reports a misspelt flag late and badly: `run S --replicate 10` as "The following
// arguments were not expected: 10 --replicate", and `sweep S --ouy x.h5` only as "--out is
// required". When parsing fails, each flag the command does not have is named instead, with the
// nearest one it does have and the list of those. Empty when every flag is known.
std::string unknown_flags(const CLI::App& app, int argc, char** argv) {
    const CLI::App* command = &app;
    int first = 1;
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({})) {
        commands.push_back(sub->get_name());
    }
    if (argc > 1 && argv[1][0] != '-') {
        const std::string word = argv[1];
        const auto known = std::find(commands.begin(), commands.end(), word);
        if (known == commands.end()) {
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
        first = 2;
    }
    std::vector<std::string> long_names;
    std::vector<std::string> short_names;
    for (const CLI::Option* o : command->get_options()) {
        for (const std::string& n : o->get_lnames()) {
            long_names.push_back("--" + n);
        }
        for (const std::string& n : o->get_snames()) {
            short_names.push_back("-" + n);
        }
    }
    std::string out;
    for (int i = first; i < argc; ++i) {
        const std::string_view token = argv[i];
        if (token == "--") {
            break; // everything after is a value
        }
        std::string name;
        if (token.size() > 2 && token.starts_with("--")) {
            name = std::string(token.substr(0, token.find('=')));
            if (std::find(long_names.begin(), long_names.end(), name) != long_names.end()) {
                continue;
            }
        } else if (token.size() >= 2 && token[0] == '-' &&
                   std::isalpha(static_cast<unsigned char>(token[1])) != 0) {
            name = std::string(token.substr(0, 2)); // -n10 is -n with 10
            if (std::find(short_names.begin(), short_names.end(), name) != short_names.end()) {
                continue;
            }
        } else {
            continue;
        }
        const std::string where =
            command == &app ? std::string("canopy") : "canopy " + command->get_name();
        out += out.empty() ? "" : "\n";
        out += "'" + where + "' has no option '" + name + "'";
        const std::string hint = canopy::engine::did_you_mean(name, long_names);
        out += hint.empty() ? "" : "; " + hint;
    }
    if (!out.empty()) {
        out += "\nIts options:";
        for (const std::string& n : long_names) {
            out += " " + n;
        }
    }
    return out;
}

// CLI11's range check runs before the value is converted, so `-n abc` says "Value abc not in
// range 1 to 1000000". Say that it is not a number.
std::string clearer(const CLI::ParseError& e) {
    std::string what = e.what();
    const std::string value = ": Value ";
    const std::size_t at = what.find(value);
    const std::size_t range = what.find(" not in range ");
    if (at == std::string::npos || range == std::string::npos || range < at) {
        return what;
    }
    const std::string v = what.substr(at + value.size(), range - at - value.size());
    char* end = nullptr;
    errno = 0;
    (void)std::strtod(v.c_str(), &end);
    if (!v.empty() && end == v.c_str() + v.size()) {
        return what; // a number, out of range: CLI11's message says so
    }
    return what.substr(0, at) + ": '" + v + "' is not a number (allowed:" +
           what.substr(range + std::string(" not in range").size()) + ")";
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
