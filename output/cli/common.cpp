// What the subcommands share: scenario lookup, diagnostics on stderr, seeds, validators.
#include "cli.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/posterior.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/history_note.hpp>
#include <canopy/output/input_path.hpp>
#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace canopy::cli {

namespace fs = std::filesystem;

fs::path resolve_scenario(const std::string& given) {
    return output::resolve_input_path(given); // shared with the Python module
}

bool report(const engine::Diagnostics& diagnostics, const std::string& command) {
    for (const engine::Diagnostic& d : diagnostics) {
        const bool flag = d.file.empty() && d.line <= 0;
        // A diagnostic quotes the file's own text, which must not drive the terminal.
        std::cerr << (flag && !command.empty() ? command + ": " : std::string())
                  << output::printable(d.format()) << "\n";
    }
    return diagnostics.has_errors();
}

std::vector<std::string> output_flag_problems(const std::string& json, const std::string& out,
                                              const std::string& report) {
    std::vector<std::string> problems;
    if (!json.empty() && json != "-") {
        if (const std::string p = output::output_path_problem(json); !p.empty()) {
            problems.push_back("--json: cannot write " + quoted(json) + ": " + p +
                               " (use --json - for stdout)");
        }
    }
    if (!out.empty()) {
        if (const std::string n = output::h5_name_problem(out); !n.empty()) {
            problems.push_back("--out: " + quoted(out) + n);
        } else if (const std::string p = output::output_path_problem(out); !p.empty()) {
            problems.push_back("--out: cannot write " + quoted(out) + ": " + p);
        }
    }
    if (!report.empty()) {
        const fs::path name = fs::path(report).filename();
        const fs::path extension = name.extension();
        // ".html" alone is a hidden file without an extension to the library: say what is
        // missing, as --out says of ".h5".
        if (name == ".html" || name == ".htm") {
            problems.push_back("--report: " + quoted(report) + " needs a name before " +
                               name.string() + " (such as report.html)");
        } else if (extension != ".html" && extension != ".htm") {
            problems.push_back("--report: " + quoted(report) +
                               " must end in .html or .htm (it is written as one HTML page)");
        } else if (const std::string p = output::output_path_problem(report); !p.empty()) {
            problems.push_back("--report: cannot write " + quoted(report) + ": " + p);
        }
    }
    return problems;
}

std::string quiet_problem(bool quiet,
                          std::initializer_list<std::pair<const char*, std::string>> outputs) {
    std::string flags;
    for (const auto& [flag, value] : outputs) {
        if (!value.empty()) {
            return {};
        }
        flags += (flags.empty() ? "" : ", ") + std::string(flag);
    }
    if (!quiet) {
        return {};
    }
    // Running for minutes to show nothing is never what was meant.
    return "--quiet: with none of " + flags +
           " nothing would be shown or written; drop --quiet, or name an output";
}

std::vector<std::string>
advisory_lines(const engine::ModelInfo& model,
               const std::vector<std::pair<std::string, const engine::Scenario*>>& runs) {
    std::vector<std::vector<std::string>> per_run;
    for (const auto& run : runs) {
        per_run.push_back(engine::advisory_notes(model, *run.second));
    }
    // A note every run shares is said once, without a name; otherwise each with its mix.
    const bool shared = std::all_of(per_run.begin(), per_run.end(),
                                    [&](const auto& n) { return n == per_run.front(); });
    std::vector<std::string> lines;
    for (std::size_t k = 0; k < runs.size() && !(shared && k > 0); ++k) {
        for (const std::string& note : per_run[k]) {
            lines.push_back(shared ? note : "policy mix '" + runs[k].first + "': " + note);
        }
    }
    return lines;
}

std::string did_you_mean_id(const std::string& given, const std::vector<std::string>& ids) {
    if (std::string hint = engine::did_you_mean(given, ids); !hint.empty()) {
        return hint;
    }
    std::size_t best = 0;
    std::string stem;
    for (const std::string& id : ids) {
        const auto end = std::mismatch(given.begin(), given.end(), id.begin(), id.end());
        const auto n = static_cast<std::size_t>(end.first - given.begin());
        if (n > best) {
            best = n;
            stem = id;
        }
    }
    return best >= 5 ? "did you mean '" + stem + "'?" : std::string();
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

namespace {

std::string& program_path() {
    static std::string path = "canopy";
    return path;
}

/// main's argv[1..]: what follows the program in a launcher's command line.
std::vector<std::string>& program_arguments() {
    static std::vector<std::string> arguments;
    return arguments;
}

} // namespace

void set_program(int argc, const char* const* argv) {
    const char* argv0 = argc > 0 ? argv[0] : nullptr;
    if (argv0 != nullptr && std::string_view(argv0).find('/') != std::string_view::npos) {
        program_path() = argv0;
    }
    program_arguments().assign(argv + std::min(argc, 1), argv + std::max(argc, 0));
}

std::string program_word() {
    return shell_word(program_path());
}

namespace {

/// The launcher's own words and the program it started, when this process's parent is mpirun
/// (or mpiexec, orterun, prterun) and its command line ends with this process's arguments: the
/// words before those, each a shell word ("mpirun --hostfile hosts --bind-to none -np 2
/// ./wrap.sh"), the program as the launcher was given it (a wrapper script that execs canopy
/// included). Empty otherwise (a rank on another node, whose parent is Open MPI's daemon; srun;
/// an MPMD launch with ':'). Open MPI records neither the hostfile nor --oversubscribe in the
/// ranks' environment, so a command rebuilt from it alone launched 32 ranks on one host, or was
/// refused.
std::string parent_launch() {
    std::ifstream in("/proc/" + std::to_string(::getppid()) + "/cmdline", std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (std::size_t at = 0; at < all.size();) {
        const std::size_t end = std::min(all.find('\0', at), all.size());
        args.push_back(all.substr(at, end - at));
        at = end + 1;
    }
    if (args.empty()) {
        return {};
    }
    const std::string name = std::filesystem::path(args[0]).filename().string();
    if (name != "mpirun" && name != "mpiexec" && name != "orterun" && name != "prterun") {
        return {};
    }
    const std::vector<std::string>& own = program_arguments();
    if (std::find(args.begin(), args.end(), ":") != args.end() || args.size() < own.size() + 2 ||
        !std::equal(own.begin(), own.end(), args.end() - static_cast<std::ptrdiff_t>(own.size()))) {
        return {};
    }
    std::string out;
    for (std::size_t k = 0; k + own.size() < args.size(); ++k) {
        out += (out.empty() ? "" : " ") + shell_word(args[k]);
    }
    return out;
}

} // namespace

std::string launch_command(int processes) {
    if (processes <= 1) {
        return program_word();
    }
    const experiments::LaunchedRanks ranks = experiments::launched_ranks();
    if (ranks.size == processes && ranks.relaunch.starts_with("mpirun ")) {
        if (std::string own = parent_launch(); !own.empty()) {
            return own;
        }
    }
    std::string launcher = ranks.size == processes && !ranks.relaunch.empty()
                               ? ranks.relaunch
                               : "mpirun -np " + std::to_string(processes);
    if (launcher.starts_with("mpirun ")) {
        std::string options;
        if (::geteuid() == 0) {
            options += " --allow-run-as-root";
        }
        if (static_cast<unsigned>(processes) > std::thread::hardware_concurrency()) {
            options += " --oversubscribe";
        }
        launcher.insert(std::string_view("mpirun").size(), options);
    }
    return launcher + " " + program_word();
}

std::string shell_word(const std::string& s) {
    const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("_./:=,+-@%").find(c) != std::string_view::npos;
    });
    if (plain) {
        return s;
    }
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

int refuse_flagged(const FlagProblems& flagged, const std::string& command) {
    for (const std::string& p : flagged) {
        std::cerr << command << ": error: " << p << "\n";
    }
    if (flagged.empty()) {
        return EXIT_OK;
    }
    std::cerr << command << ": nothing was run or written\n";
    return EXIT_BAD_INPUT;
}

CLI::Option* add_seed_option(CLI::App& app, std::string& text, const std::string& help) {
    return app.add_option("--seed,-s", text, help)
        ->check(CLI::Validator(
            [](std::string& value) -> std::string {
                std::string copy = value; // checked only: the command parses the text itself
                return output::seed_problem(copy);
            },
            "SEED", "seed"));
}

const CLI::Validator NON_EMPTY(
    [](std::string& text) {
        return text.empty() ? std::string("must not be empty") : std::string();
    },
    "", "non-empty");

std::string decimal_problem(const std::string& text, double& out) {
    // Digits with an optional sign, point and exponent: strtod alone also reads hexadecimal
    // (0x1p-3), "inf", "nan" and leading blanks, which nobody means on a command line.
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t from = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
            ++i;
        }
        return i - from;
    };
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        ++i;
    }
    const std::size_t mantissa_from = i;
    std::size_t count = digits();
    if (i < text.size() && text[i] == '.') {
        ++i;
        count += digits();
    }
    const std::string_view mantissa =
        std::string_view(text).substr(mantissa_from, i - mantissa_from);
    bool ok = count > 0;
    if (ok && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        ok = digits() > 0;
    }
    if (!ok || i != text.size()) {
        return "'" + text + "' is not a number";
    }
    const double x = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(x)) {
        return "'" + text + "' is too large for a number";
    }
    if (x == 0.0 && mantissa.find_first_of("123456789") != std::string_view::npos) {
        return "'" + text + "' is too small for a number: it would read as 0";
    }
    out = x;
    return {};
}

CLI::Validator number_check(const std::string& allowed) {
    return CLI::Validator(
        [allowed](std::string& text) {
            double ignored = 0.0;
            std::string problem = decimal_problem(text, ignored);
            return problem.empty() ? problem : problem + " (allowed: " + allowed + ")";
        },
        "", "number");
}

CLI::Option* add_max_memory_option(CLI::App& app, std::string& text) {
    return app
        .add_option("--max-memory", text,
                    "Refuse a run estimated to need more memory than SIZE (e.g. 16G, 512M; "
                    "'none': no limit; default: the memory available when it starts)")
        ->check(CLI::Validator(
            [](std::string& value) -> std::string {
                return experiments::valid_max_memory(value)
                           ? std::string()
                           : "must be a size such as 16G, 512M or 1.5T (decimal digits, then "
                             "K, M, G or T for powers of 1000; below 2^64 bytes), or 'none', "
                             "got '" +
                                 value + "'";
            },
            "SIZE", "size"));
}

namespace {

// `path` as a TOML basic string, absolute so that it names the file from the scenario's directory
// (the scenario key `posterior` is read relative to the file that names it).
std::string toml_path(const std::string& path) {
    std::error_code ec;
    const std::string text = fs::absolute(path, ec).lexically_normal().generic_string();
    std::string out = "\"";
    for (const char c : text.empty() ? path : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

// with_posterior_of without its closing line: the posterior's problem alone is reported.
std::optional<engine::Scenario> attached_or_reported(const engine::Scenario& scenario,
                                                     const engine::ModelInfo& model,
                                                     const std::string& flag_path) {
    if (flag_path.empty() && !scenario.posterior) {
        return scenario;
    }
    if (flag_path.empty()) {
        // Named by the scenario: the diagnostic points at its key, or at the column chosen.
        experiments::AttachedPosterior attached = experiments::attach_posterior(scenario, model);
        if (!attached.scenario) {
            std::cerr << attached.problem.format() << "\n";
        }
        return std::move(attached.scenario);
    }
    std::vector<std::string> columns;
    if (scenario.posterior) {
        columns = scenario.posterior->parameters;
    }
    std::optional<experiments::CalibrationResult> posterior;
    try {
        posterior = experiments::read_calibration_result(flag_path);
        return experiments::with_posterior(scenario, model, *posterior, flag_path, columns);
    } catch (const experiments::PosteriorColumnError& e) {
        // Advice the user can follow: the columns are chosen in the scenario file, which needs
        // `posterior` too when it has none (posterior_parameters alone is refused).
        const std::string usable =
            experiments::columns_list(experiments::usable_columns(scenario, model, *posterior));
        const std::string advice =
            scenario.posterior
                ? "set the scenario's posterior_parameters to columns it can use: " + usable
                : "to use the columns it can, add under [scenario] of " +
                      scenario.path.generic_string() + ": posterior = " + toml_path(flag_path) +
                      " and posterior_parameters = " + usable;
        std::cerr << "--posterior: error: " << e.what() << "; " << advice << "\n";
        return std::nullopt;
    } catch (const Error& e) {
        std::cerr << "--posterior: error: " << e.what() << "\n";
        return std::nullopt;
    }
}

void posterior_refused(const std::string& command) {
    std::cerr << command << ": the posterior cannot be used; nothing was run or written\n";
}

} // namespace

std::optional<engine::Scenario> with_posterior_of(const engine::Scenario& scenario,
                                                  const engine::ModelInfo& model,
                                                  const std::string& flag_path,
                                                  const std::string& command) {
    std::optional<engine::Scenario> attached = attached_or_reported(scenario, model, flag_path);
    if (!attached) {
        posterior_refused(command);
    }
    return attached;
}

std::optional<ScenarioToRun>
scenario_to_run(const engine::Scenario& scenario, const engine::ModelInfo& model,
                const std::string& posterior_flag, const std::vector<std::string>& set,
                const std::vector<std::string>& mixes, bool problems_found,
                const std::string& command,
                const std::function<experiments::ResourceCheck(const ScenarioToRun&)>& resources) {
    std::optional<engine::Scenario> attached =
        attached_or_reported(scenario, model, posterior_flag);
    // The posterior changes no lever and no rule --set is checked against: without it, the
    // same diagnostics.
    std::optional<std::vector<experiments::Override>> overrides =
        parse_set_options(set, attached ? *attached : scenario, model, mixes, command);
    if (!attached) {
        posterior_refused(command);
        return std::nullopt;
    }
    if (!overrides) {
        std::cerr << command << ": bad --set; nothing was run or written\n";
        return std::nullopt;
    }
    ScenarioToRun checked{std::move(*attached), std::move(*overrides), {}};
    // What the runs would need is known now: a --max-memory they exceed is one more mistake of
    // this attempt, not of the next.
    if (resources) {
        checked.resources = resources(checked);
        if (!checked.resources.problem.empty()) {
            std::cerr << command << ": error: " << checked.resources.problem << "\n";
            problems_found = true;
        }
    }
    if (problems_found) {
        std::cerr << command << ": nothing was run or written\n";
        return std::nullopt;
    }
    return checked;
}

std::string range_text(double min, double max) {
    const auto end = [](double x) {
        return std::isinf(x) ? std::string(x < 0 ? "-inf" : "inf") : fmt::format("{}", x);
    };
    return "[" + end(min) + ", " + end(max) + "]";
}

bool ranks_differ(const std::string& command, const std::string& fingerprint,
                  const engine::Diagnostics& diagnostics, const std::string& file,
                  const std::string& inputs, bool root) {
    std::string why;
    if (fingerprint.empty()) {
        why = "cannot read " + file;
        for (const engine::Diagnostic& d : diagnostics) {
            if (d.severity == engine::Diagnostic::Severity::error) {
                why = d.format();
                break;
            }
        }
    }
    const std::string p = experiments::rank_inputs_problem(fingerprint, why, inputs);
    if (p.empty()) {
        return false;
    }
    if (root) {
        // One write, so that mpirun's banner about the other ranks cannot split the line.
        std::cerr << ("canopy " + command + ": error: " + p + "; nothing was run or written\n");
    }
    return true;
}

void require_stdout(const std::string& kept) {
    std::cout.flush();
    if (!std::cout) {
        throw Error("cannot write to standard output (is the disk or pipe full, or closed?); " +
                    kept);
    }
}

void commit_after_stdout(std::span<output::TemporaryFile* const> files) {
    require_stdout();
    output::commit_all(files);
}

} // namespace canopy::cli
