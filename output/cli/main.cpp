// `canopy`: the command line. Registers each subcommand (one file each, see cli.hpp), parses
// the flags with CLI11 and runs the chosen one; every bad flag is exit status 2 with a message
// naming the flag, before anything runs.
#include "cli.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/memory.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

using canopy::cli::Command;
using canopy::cli::EXIT_BAD_INPUT;
using canopy::cli::EXIT_RUNTIME;

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
        std::cerr << "canopy: error: " << e.what() << "\n"
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
