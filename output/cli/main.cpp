// `canopy`: the command line. Registers each subcommand (one file each, see cli.hpp), parses
// the flags with CLI11 and runs the chosen one; every bad flag is exit status 2 with a message
// naming the flag, before anything runs. A value the parser refuses, or a flag the command does
// not have, does not stop it: the chosen command reports it with its own checks (FlagProblems in
// cli.hpp).
#include "cli.hpp"

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/memory.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/output/cli_whole_numbers.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/hdf5.hpp>
#include <canopy/output/parse_messages.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
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

// "unknown command 'WORD'", the nearest command and the list of them, when `word` is not one of
// `app`'s commands; else empty.
std::string unknown_command(const CLI::App& app, const std::string& word) {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({})) {
        commands.push_back(sub->get_name());
    }
    if (std::find(commands.begin(), commands.end(), word) != commands.end()) {
        return {};
    }
    std::string out = "unknown command '" + word + "'";
    const std::string hint = canopy::engine::did_you_mean(word, commands);
    out += hint.empty() ? "" : "; " + hint;
    out += "\nCommands:";
    for (const std::string& c : commands) {
        out += " " + c;
    }
    return out;
}

// CLI11 reports a misspelt flag late and badly: `run S --replicate 10` as "The following
// arguments were not expected: 10 --replicate", and `sweep S --ouy x.h5` only as "--out is
// required". When parsing fails, each flag the command does not have is named instead, with the
// nearest one it does have and the list of those; a command's flag written before the command
// is told to move. Empty when every flag is known.
std::string unknown_flags(const CLI::App& app, int argc, char** argv) {
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
        if (std::string unknown = unknown_command(app, word); !unknown.empty()) {
            return unknown;
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

// CLI11's message about a refused value, said more clearly (parse_messages.hpp).
std::string clearer(const CLI::ParseError& e) {
    return canopy::output::clearer_parse_message(e.what());
}

// Where the command's name is among `tokens` (the arguments after the program's name): the first
// that is not a flag, the top level's flags taking no value; tokens.size() when there is none.
std::size_t command_at(const std::vector<std::string>& tokens) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] == "--") {
            break;
        }
        if (!flag_like(tokens[i])) {
            return i;
        }
    }
    return tokens.size();
}

// Whether `option`'s checks (CLI11 validators, run on a copy) refuse `value`.
bool refuses(CLI::Option& option, std::string value) {
    for (int k = 0;; ++k) {
        CLI::Validator* check = nullptr;
        try {
            check = option.get_validator(k);
        } catch (const CLI::OptionNotFound&) {
            return false; // none left
        }
        try {
            if (!(*check)(value).empty()) {
                return true;
            }
        } catch (const CLI::ValidationError&) {
            return true;
        }
    }
}

// One use of an option on the command line: its first token, how many tokens it takes (the flag,
// and its value when that is the next word) and the value as written.
struct OptionUse {
    std::size_t first = 0;
    std::size_t count = 1;
    std::string value;
};

// Each use of `option` in `tokens` after the command's name, up to a "--".
std::vector<OptionUse> uses_of(const CLI::App& command, const CLI::Option* option,
                               const std::vector<std::string>& tokens) {
    std::vector<OptionUse> uses;
    for (std::size_t i = command_at(tokens) + 1; i < tokens.size(); ++i) {
        const std::string& token = tokens[i];
        if (token == "--") {
            break; // everything after is a value
        }
        if (!flag_like(token)) {
            continue;
        }
        const CLI::Option* o = option_named(command, token);
        if (o == nullptr) {
            continue;
        }
        const bool follows = value_follows(*o, token);
        if (o == option) {
            const bool next = follows && i + 1 < tokens.size();
            uses.push_back({i, next ? 2U : 1U,
                            follows                   ? (next ? tokens[i + 1] : "")
                            : token.starts_with("--") ? token.substr(token.find('=') + 1)
                                                      : token.substr(2)});
        }
        i += follows ? 1 : 0;
    }
    return uses;
}

// CLI11 stops at the first value it refuses (`-n abc`, `--interval wald`, `--seed -3`): every
// flag after it, and the command's own checks, went unchecked until the next attempt. When the
// refusal `what` (a ValidationError "--flag: ..." or ConversionError "Could not convert: --flag =
// ...") names a flag of `command`, each use of that flag in `tokens` whose value its checks
// refuse (each use, when none alone is refused: a value that converts to nothing) is dropped so
// that parsing can go on; the flag's name is returned. Empty, and nothing dropped, when the
// refusal names no such flag (a positional argument: which words are its is not known here).
std::string drop_refused(CLI::App& command, const std::string& what,
                         std::vector<std::string>& tokens) {
    CLI::Option* refused = nullptr;
    for (CLI::Option* o : command.get_options()) {
        const std::string name = o->get_name();
        if ((!o->get_lnames().empty() || !o->get_snames().empty()) &&
            o->get_items_expected_max() > 0 &&
            (what.starts_with(name + ": ") ||
             what.starts_with("Could not convert: " + name + " = "))) {
            refused = o;
            break;
        }
    }
    if (refused == nullptr) {
        return {};
    }
    const std::vector<OptionUse> uses = uses_of(command, refused, tokens);
    const auto is_refused = [&](const OptionUse& u) { return refuses(*refused, u.value); };
    const bool any_refused = std::any_of(uses.begin(), uses.end(), is_refused);
    bool dropped = false;
    for (auto u = uses.rbegin(); u != uses.rend(); ++u) {
        if (!any_refused || is_refused(*u)) {
            tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(u->first),
                         tokens.begin() + static_cast<std::ptrdiff_t>(u->first + u->count));
            dropped = true;
        }
    }
    return dropped ? refused->get_name() : std::string();
}

// CLI11 refuses a flag given more often than it may be (`run S -n 10 -n 20`) in its own words
// ("--replicates: At Most 1 required but received 2") and stops there, before the command's own
// checks. When the refusal `what` names an option of `command` used more than once in `tokens`,
// every use after the first is dropped so that parsing, and those checks, go on; the problem is
// returned in the tool's words ("--replicates: given twice (allowed: once)"). Empty, and nothing
// dropped, otherwise.
std::string drop_repeated(CLI::App& command, const std::string& what,
                          std::vector<std::string>& tokens) {
    const CLI::Option* repeated = nullptr;
    for (const CLI::Option* o : command.get_options()) {
        if ((!o->get_lnames().empty() || !o->get_snames().empty()) &&
            what.starts_with(o->get_name() + ": At Most ")) {
            repeated = o;
            break;
        }
    }
    if (repeated == nullptr) {
        return {};
    }
    const std::vector<OptionUse> uses = uses_of(command, repeated, tokens);
    if (uses.size() < 2) {
        return {};
    }
    for (auto u = uses.rbegin(); u + 1 != uses.rend(); ++u) {
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(u->first),
                     tokens.begin() + static_cast<std::ptrdiff_t>(u->first + u->count));
    }
    const std::string times =
        uses.size() == 2 ? std::string("twice") : std::to_string(uses.size()) + " times";
    return repeated->get_name() + ": given " + times + " (allowed: once)";
}

// CLI11 stops at a flag the command does not have (`sweep S --shard 5/2 --bogus`), and the
// command's own checks (the shard) went unchecked until the next attempt. When every flag before
// the command is the top level's own, each flag after it that `command` does not have is dropped
// from `tokens`, with the word after it when that is the unknown flag's value (`--replicate 10`,
// `--ouy a.h5`, `-z 5`, `--sed 3`), so that parsing can go on; `extras` is what CLI11 did not place
// (App::remaining). True if anything was dropped.
bool drop_unknown(const CLI::App& app, const CLI::App& command,
                  const std::vector<std::string>& extras, std::vector<std::string>& tokens) {
    const std::size_t at = command_at(tokens);
    for (std::size_t i = 0; i < at; ++i) {
        if (option_named(app, tokens[i]) == nullptr) {
            return false; // an unknown or misplaced flag before the command: reported as it is
        }
    }
    const auto unexpected = [&](const std::string& word) {
        return std::find(extras.begin(), extras.end(), word) != extras.end();
    };
    std::vector<std::pair<std::size_t, std::size_t>> drops; // first token, count
    for (std::size_t i = at + 1; i < tokens.size(); ++i) {
        const std::string& token = tokens[i];
        if (token == "--") {
            break; // everything after is a value
        }
        if (!flag_like(token)) {
            continue;
        }
        if (const CLI::Option* o = option_named(command, token); o != nullptr) {
            i += value_follows(*o, token) ? 1U : 0U; // its value may look like a flag
            continue;
        }
        // The word after it is its value when CLI11 placed it nowhere, or when the flag is a
        // misspelling of one that takes a value (`--sed 3`: not the scenario file '3').
        const std::string near = canopy::engine::nearest(token, long_names(command));
        const CLI::Option* meant = near.empty() ? nullptr : option_named(command, near);
        const bool value =
            (token.starts_with("--") ? token.find('=') == std::string::npos : token.size() == 2) &&
            i + 1 < tokens.size() && !flag_like(tokens[i + 1]) && tokens[i + 1] != "--" &&
            (unexpected(tokens[i + 1]) ||
             (meant != nullptr && meant->get_items_expected_max() > 0));
        drops.emplace_back(i, value ? 2 : 1);
        i += value ? 1U : 0U;
    }
    for (auto d = drops.rbegin(); d != drops.rend(); ++d) {
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(d->first),
                     tokens.begin() + static_cast<std::ptrdiff_t>(d->first + d->second));
    }
    return !drops.empty();
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

// The parser and its commands. A new one for each attempt at parsing: CLI11 keeps what an
// earlier parse stored in an option's variable when the next one does not give that option (a word
// taken as the scenario file, and then dropped as a misspelt flag's value, stayed the scenario).
struct Parser {
    std::unique_ptr<CLI::App> app;
    std::vector<Command> commands;
};

Parser make_parser() {
    Parser p;
    p.app = std::make_unique<CLI::App>(
        "Canopy: will this year's science-and-technology targets be reached under this policy "
        "mix, and with what probability?",
        "canopy");
    CLI::App& app = *p.app;
    app.set_version_flag("--version", std::string("canopy ") + CANOPY_VERSION,
                         "Print the version and exit");
    app.require_subcommand(0, 1);
    p.commands = {
        canopy::cli::add_run(app),         canopy::cli::add_validate(app),
        canopy::cli::add_models(app),      canopy::cli::add_calibrate(app),
        canopy::cli::add_sweep(app),       canopy::cli::add_merge(app),
        canopy::cli::add_sensitivity(app), canopy::cli::add_compare(app),
        canopy::cli::add_solve(app),       canopy::cli::add_levers(app),
    };
    canopy::output::read_whole_numbers_in_decimal(app);
    return p;
}

int dispatch(int argc, char** argv) {
    Parser parser;
    // Parsed until it succeeds, each time without the uses of a flag whose value was refused
    // (drop_refused) or the flags the command does not have (drop_unknown): every refused value
    // and unknown flag is reported, with the command's own checks. Each round drops a word, so
    // this ends. What CLI11 cannot parse past (a missing required argument, a refused positional
    // argument, an unexpected word, a flag before the command) still stops it, after the
    // problems found before.
    std::vector<std::string> tokens(argv + 1, argv + argc);
    canopy::cli::FlagProblems flagged;
    std::vector<std::string> dropped; // the flags whose uses were dropped
    for (;;) {
        parser = make_parser();
        CLI::App& app = *parser.app;
        std::vector<char*> args{argv[0]};
        for (std::string& t : tokens) {
            args.push_back(t.data());
        }
        const int count = static_cast<int>(args.size());
        try {
            app.parse(count, args.data());
            break;
        } catch (const CLI::ParseError& e) {
            if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
                // --help, --version. CLI11 answers them before it looks at the words around:
                // `canopy report --help` printed the main help and exited 0, as if `report`
                // were a command.
                if (const std::size_t at = command_at(tokens); at < tokens.size()) {
                    if (const std::string unknown = unknown_command(app, tokens[at]);
                        !unknown.empty()) {
                        std::cerr << "canopy: error: " << unknown
                                  << "\nRun 'canopy --help' or 'canopy <command> --help' for "
                                     "usage.\n";
                        return EXIT_BAD_INPUT;
                    }
                }
                return app.exit(e);
            }
            const std::vector<CLI::App*> chosen = app.get_subcommands();
            if ((dynamic_cast<const CLI::ValidationError*>(&e) != nullptr ||
                 dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) &&
                !chosen.empty()) {
                if (std::string name = drop_refused(*chosen.front(), e.what(), tokens);
                    !name.empty()) {
                    flagged.push_back(clearer(e));
                    dropped.push_back(std::move(name));
                    continue;
                }
            }
            // A flag given twice: said in the tool's words, its later uses dropped.
            if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr && !chosen.empty()) {
                if (std::string problem = drop_repeated(*chosen.front(), e.what(), tokens);
                    !problem.empty()) {
                    flagged.push_back(std::move(problem));
                    continue;
                }
            }
            // A flag the command does not have: named, and dropped so that the command's own
            // checks run too (drop_unknown).
            if (!chosen.empty()) {
                std::string unknown = unknown_flags(app, count, args.data());
                if (!unknown.empty() &&
                    drop_unknown(app, *chosen.front(), app.remaining(true), tokens)) {
                    flagged.push_back(std::move(unknown));
                    continue;
                }
            }
            for (const std::string& p : flagged) {
                std::cerr << "canopy: error: " << p << "\n";
            }
            // "--out is required" after its refused value was dropped says nothing new.
            const std::string what = e.what();
            const bool said =
                std::any_of(dropped.begin(), dropped.end(),
                            [&](const std::string& n) { return what == n + " is required"; });
            const std::string unknown = unknown_flags(app, count, args.data());
            if (!unknown.empty() || !said) {
                std::cerr << "canopy: error: " << (unknown.empty() ? clearer(e) : unknown) << "\n";
            }
            std::cerr << "Run 'canopy --help' or 'canopy <command> --help' for usage.\n";
            return EXIT_BAD_INPUT;
        }
    }
    for (const Command& c : parser.commands) {
        if (c.app->parsed()) {
            if (const std::string p = one_process_problem(c.app->get_name()); !p.empty()) {
                if (canopy::experiments::launched_ranks().rank == 0) {
                    // One write: the other ranks exit at once, and mpirun's banner about
                    // them must not land in the middle of the line (std::cerr writes each
                    // piece as it comes).
                    std::cerr << ("canopy " + c.app->get_name() + ": error: " + p + "\n");
                }
                return EXIT_BAD_INPUT;
            }
            return c.run(flagged);
        }
    }
    std::cout << parser.app->help();
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
    canopy::cli::set_program(argc, argv);
    canopy::engine::keep_freed_memory();
    canopy::output::remove_temporaries_on_signals();
    // A closed pipe on stdout (`canopy run --json - --out r.h5 | head -c 10`) must fail the
    // write, not end the process: SIGPIPE ended it silently (status 141) with its temporary
    // files left behind. Ignored, the write fails with EPIPE and the command's check of stdout
    // reports it (exit 1) while the temporaries are removed as on any other failure.
    std::signal(SIGPIPE, SIG_IGN);
    canopy::output::skip_hdf5_cleanup_at_exit();
    try {
        return checked_stdout(dispatch(argc, argv));
    } catch (const canopy::experiments::SharedFailure& e) {
        // Under MPI every rank stops with it: rank 0 says it once, for all.
        if (e.reporter()) {
            std::cerr << ("canopy: error: " + std::string(e.what()) + "\n");
        }
        return EXIT_RUNTIME;
    } catch (const canopy::Error& e) {
        std::cerr << "canopy: error: " << e.what() << "\n";
        return EXIT_RUNTIME;
    } catch (const std::exception& e) {
        std::cerr << "canopy: internal error: " << e.what() << "\n";
        return EXIT_RUNTIME;
    }
}
