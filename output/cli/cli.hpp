#pragma once
/// \file cli.hpp
/// The `canopy` command line: what every subcommand shares, and how a subcommand is added.
///
/// Each subcommand lives in a file of its own (run.cpp, validate.cpp, models.cpp, ...) and is
/// thin: it parses its flags, calls the libraries (engine, models, experiments) and hands the
/// results to output/. To add one, write `Command add_<name>(CLI::App& app)` in a new file,
/// declare it below and call it in main.cpp.
///
/// Every subcommand returns the process exit status:
///   0  success
///   1  a runtime failure (canopy::Error), reported on stderr
///   2  bad input: a bad file or flag; nothing was created or overwritten

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/lever_effects.hpp>
#include <canopy/experiments/overrides.hpp>
#include <canopy/experiments/resource_check.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/history_note.hpp>
#include <canopy/output/parse_messages.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace canopy::models {
class ModelHandle;
} // namespace canopy::models

namespace canopy::experiments {
struct Sweep;
} // namespace canopy::experiments

namespace canopy::cli {

/// Exit statuses.
inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_RUNTIME = 1;
inline constexpr int EXIT_BAD_INPUT = 2;
/// `canopy solve` ran but cannot answer: its search's assumption (more of a lever never lowers
/// P(attain)) fails on the levels it evaluated. Its outputs are written.
inline constexpr int EXIT_NO_ANSWER = 3;

/// The scenario `canopy run` uses when none is named.
inline constexpr const char* DEFAULT_SCENARIO = "scenarios/wuhan-2023.toml";

/// Values the flag parser refused (a word for a number, a seed out of range, an --interval not
/// allowed), each "--flag: what is wrong". The parser does not stop at them: it drops the
/// flag and parses on (main.cpp), and the command reports them with the problems its own checks
/// find, so one attempt shows every mistake; with any of them the command runs nothing.
using FlagProblems = std::vector<std::string>;

/// A registered subcommand: its CLI11 app, and what to do when it was chosen (called after
/// parsing, with the values the parser refused; returns the exit status).
struct Command {
    CLI::App* app = nullptr;
    std::function<int(const FlagProblems&)> run;
};

/// The subcommands, in the order `canopy --help` lists them.
Command add_run(CLI::App& app);
Command add_validate(CLI::App& app);
Command add_models(CLI::App& app);
Command add_sweep(CLI::App& app);
Command add_merge(CLI::App& app);
Command add_sensitivity(CLI::App& app);
Command add_calibrate(CLI::App& app);
Command add_compare(CLI::App& app);
Command add_solve(CLI::App& app);
Command add_levers(CLI::App& app);

/// Commits a command's finished output files (output::commit_all) once what it printed has
/// reached stdout. A failed write there is a runtime failure (exit 1) that leaves every output
/// file as it was (output-format.md), so stdout is checked before any file replaces its previous
/// version; the files' temporaries are then removed with them. Throws canopy::Error.
void commit_after_stdout(std::span<output::TemporaryFile* const> files);
/// Throws canopy::Error (exit 1) unless everything printed so far has reached stdout: for a
/// command about to write an output file in place. `kept` ends the message (what the user
/// still has).
void require_stdout(const std::string& kept = "no output file was written or replaced");

/// A scenario path as given, or, when it is relative and does not exist here, the same
/// relative path in the source tree (so `canopy run` works from any directory of a checkout).
std::filesystem::path resolve_scenario(const std::string& given);

/// For a command that takes no values the parser checks: every refused value reported on stderr
/// (as "<command>: error: ..."), then EXIT_BAD_INPUT; EXIT_OK when there are none.
int refuse_flagged(const FlagProblems& flagged, const std::string& command);

/// Prints every diagnostic (errors and warnings) to stderr; true when there were errors. One
/// about a flag rather than a file (no file, no line) is prefixed with `command` when given
/// ("canopy calibrate: error: --fit-until: ..."), as the other flag errors are.
bool report(const engine::Diagnostics& diagnostics, const std::string& command = {});

/// 's' in single quotes, for messages.
std::string quoted(const std::string& s);

/// In the output library (history_note.hpp), which the Python module shares.
using output::history_targets_note;
using output::last_month_read;

/// The model's advisories (ModelInfo::advisories) each run breaks at its means (a run: a mix's
/// name and its scenario as it runs, posterior attached), each a line to print after "note: ":
/// the notes every run shares once, otherwise each prefixed with its mix.
std::vector<std::string>
advisory_lines(const engine::ModelInfo& model,
               const std::vector<std::pair<std::string, const engine::Scenario*>>& runs);

/// "did you mean 'X'?" for an id given to a flag, or empty: the nearest by edit distance, else
/// the id sharing the longest stem of 5 characters or more with it (a misspelt or shortened
/// ending, "leaderz" or "high_tech", is far from "leader_enterprises" or
/// "high_tech_enterprises" by edit distance).
std::string did_you_mean_id(const std::string& given, const std::vector<std::string>& ids);

/// Records how canopy was started (main's argv), for the commands it prints to paste: a path
/// (`./build/bin/canopy`) is kept as given, a bare name (found on PATH) is `canopy`; the
/// arguments find the program in an MPI launcher's command line (launch_command).
void set_program(int argc, const char* const* argv);
/// The program as one shell word (set_program; `canopy` when it was not set).
std::string program_word();

/// The command that starts `processes` processes of this program again as this run was
/// started: program_word() for one process; under mpirun (rank 0's parent) its own words and the
/// program it was given, a wrapper script included ("mpirun --hostfile hosts -np 32 ./wrap.sh");
/// otherwise the launcher the ranks' environment names ("mpirun -np 2 canopy"), adding Open
/// MPI's --allow-run-as-root as root and --oversubscribe past the machine's cores, which its
/// environment does not record (an outside tester's pasted resume command was refused).
std::string launch_command(int processes);

/// `s` as one word of a POSIX shell command: as it is when it holds no character the shell
/// reads, else in single quotes (a quote inside as '\''), so a printed command can be pasted.
std::string shell_word(const std::string& s);

/// Problems with a command's output flags, each naming its flag; an empty argument is a flag not
/// given. `--json PATH` ('-' is stdout), `--out FILE.h5`, `--report FILE.html`: the extension, and
/// whether the path can be written (output_path_problem). Nothing is left behind.
std::vector<std::string> output_flag_problems(const std::string& json, const std::string& out,
                                              const std::string& report);

/// `--quiet` with none of the command's outputs given (`outputs`: flag and value): the command
/// would run and show nothing. A problem naming the flags, or empty.
std::string quiet_problem(bool quiet,
                          std::initializer_list<std::pair<const char*, std::string>> outputs);

/// A seed: decimal digits only, within 64 bits (output/parse_messages.hpp, shared with
/// canopy-bench).
using output::parse_seed;

/// Adds a `--seed,-s` option read as text (CLI11 would wrap "-3" around to a huge unsigned
/// number) and checked by parse_seed; after parsing, call parse_seed on `text` when the
/// returned option's count() is non-zero.
CLI::Option* add_seed_option(CLI::App& app, std::string& text, const std::string& help);

/// Rejects an empty value, which would otherwise read as "flag not given".
extern const CLI::Validator NON_EMPTY;

/// Rejects a value that is not a number, naming what is allowed (CLI11's own message would be
/// "Could not convert"); the command checks the number's range itself.
/// Empty when `text` is a finite decimal number (digits, an optional sign, point and exponent),
/// stored in `out`; otherwise why not: not a number (hexadecimal, "inf" and blanks included), too
/// large, or too small to be told from 0 (1e-400).
std::string decimal_problem(const std::string& text, double& out);
CLI::Validator number_check(const std::string& allowed);

/// The scenario with its calibration posterior attached (experiments/posterior.hpp): the one
/// `flag_path` names (`--posterior`, when not empty), else the one its `[scenario] posterior`
/// key names, else the scenario as it is. A posterior that cannot be read or does not fit is
/// reported on stderr, naming the flag or the key's file, line and column; then nullopt.
std::optional<engine::Scenario> with_posterior_of(const engine::Scenario& scenario,
                                                  const engine::ModelInfo& model,
                                                  const std::string& flag_path,
                                                  const std::string& command);

/// What a command that runs a scenario runs: the scenario with its posterior attached, and the
/// `--set` overrides to apply after a policy mix.
struct ScenarioToRun {
    engine::Scenario scenario;
    std::vector<experiments::Override> overrides;
    experiments::ResourceCheck resources; ///< what `resources` found (empty when not given)
};

/// The last checks before a command runs `scenario`: its calibration posterior (as
/// with_posterior_of) and the `--set` texts (as parse_set_options under `mixes`; a command
/// without --set passes none). Both are checked and reported on stderr even when the command has
/// found other problems (`problems_found`, already reported), so that one attempt shows every
/// mistake. When both are good, `resources` (when given) checks what the runs would need against
/// --max-memory: its problem is reported in the same attempt as the others. nullopt when the
/// command must not run, after one line saying nothing was run.
std::optional<ScenarioToRun> scenario_to_run(
    const engine::Scenario& scenario, const engine::ModelInfo& model,
    const std::string& posterior_flag, const std::vector<std::string>& set,
    const std::vector<std::string>& mixes, bool problems_found, const std::string& command,
    const std::function<experiments::ResourceCheck(const ScenarioToRun&)>& resources = {});

/// Every file a run of the scenario at `scenario_path` reads, named for output::path_clashes:
/// the scenario file, each file it extends, the posterior its `[scenario] posterior` key names
/// and the one `posterior_flag` (`--posterior`, when not empty) names.
std::vector<output::NamedPath> scenario_inputs(const std::filesystem::path& scenario_path,
                                               const engine::LoadResult& loaded,
                                               const std::string& posterior_flag);

/// Every file a sweep file read for `what` ("the sweep", "--ranges") reads, named for
/// output::path_clashes: the sweep file itself, its scenario, each file that extends and the
/// posterior it names (`sweep` null when the file did not load: the sweep file alone).
std::vector<output::NamedPath> sweep_inputs(const std::string& what,
                                            const std::filesystem::path& sweep_file,
                                            const experiments::Sweep* sweep);

/// Why `--resume` cannot continue from a journal, or empty: `check` is its
/// experiments::journal_check, `inputs` what its fingerprint covers ("the sweep file, its
/// scenario ..."), named in the message for a journal of another experiment.
std::string resume_problem(const experiments::JournalCheck& check, const std::string& inputs);

/// "[min, max]" with infinite ends as -inf and inf.
std::string range_text(double min, double max);

/// Adds `--max-memory SIZE` ("16G", "512M", or "none") to a command that runs ensembles: the
/// memory a run may be estimated to need before it is refused (default: what the machine has
/// available when it starts).
CLI::Option* add_max_memory_option(CLI::App& app, std::string& text);

// What running some ensembles would need, and whether they may start: shared with the Python
// module (experiments/resource_check.hpp), so both refuse the same runs with the same message.
using experiments::check_resources;
using experiments::ResourceCheck;

/// Adds the repeatable `--set NAME=VALUE` option (`NAME*=FACTOR` scales a lever): overrides of
/// the scenario's parameters, baseline figures and levers (experiments/overrides.hpp).
CLI::Option* add_set_option(CLI::App& app, std::vector<std::string>& texts);

/// Parses every `--set` against `scenario` and checks a scaled lever under each policy mix in
/// `mixes` too (the names the command will run; "base" or empty is the scenario itself). Prints
/// every diagnostic to stderr, each after `command` ("canopy run: error: --set: ..."), as every
/// other flag's, and returns nullopt when any is bad.
std::optional<std::vector<experiments::Override>>
parse_set_options(const std::vector<std::string>& texts, const engine::Scenario& scenario,
                  const engine::ModelInfo& model, const std::vector<std::string>& mixes,
                  const std::string& command);

/// The levers whose effects `canopy levers` and `canopy run --report-levers` measure, each with
/// the two ends it is run at, and the levers left out with the reason.
struct LeverRangeChoice {
    std::vector<experiments::LeverRange> chosen;              ///< model order
    std::vector<std::pair<std::string, std::string>> skipped; ///< (lever, why it has no range)
};

/// Each lever's range (model order; only the levers `only` names when it is not empty): the
/// lever factor of `ranges` (a sweep file, `ranges_name` its path as given) where it has one,
/// else the default rule: the lever set from the scenario's policy_start at half and at one and a
/// half times the level its schedule reaches by the end of the run, inside the lever's allowed
/// range. A lever at level 0 without a factor has no default range and is skipped.
LeverRangeChoice choose_lever_ranges(const engine::Scenario& scenario,
                                     const engine::ModelInfo& model,
                                     const experiments::Sweep* ranges,
                                     const std::string& ranges_name,
                                     const std::vector<std::string>& only = {});

/// Why the sweep file `ranges` (given by `flag` as `name`) cannot give `scenario`'s levers their
/// ranges, or empty: its scenario runs another model, or it has no lever factor with a range.
std::string lever_ranges_problem(const engine::Scenario& scenario, const experiments::Sweep& ranges,
                                 const std::string& flag, const std::string& name);

/// Under MPI, whether any rank's inputs differ from rank 0's (experiments::rank_inputs_problem):
/// `fingerprint` is this rank's (empty when its `diagnostics` for `file` have errors, the first
/// of which says why). When they differ, rank 0 says which ranks, naming `inputs` (what must be
/// the same everywhere), and every rank gets true. One process: always false.
bool ranks_differ(const std::string& command, const std::string& fingerprint,
                  const engine::Diagnostics& diagnostics, const std::string& file,
                  const std::string& inputs, bool root);

} // namespace canopy::cli
