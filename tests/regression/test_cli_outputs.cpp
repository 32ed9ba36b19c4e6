// The output layer against what an outside tester tried (probe 3); each test names the item.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace canopy;
using test::cli::CANOPY;
using test::cli::entries;
using test::cli::REFERENCE;
using test::cli::Result;
using test::cli::run_canopy;
using test::cli::shell_quote;

namespace {

namespace fs = std::filesystem;

// strace(1) on the PATH and allowed to trace (a container without ptrace has the program but
// cannot use it), to inject a signal into a chosen system call.
bool have_strace() {
    return std::system("strace -f -qq -o /dev/null true >/dev/null 2>&1") == 0;
}

// LeakSanitizer cannot run under ptrace (it stops the program with a fatal error at exit), so a
// sanitized canopy under strace runs without it; other sanitizer options are kept.
const std::string UNDER_PTRACE = "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 ";

// `canopy <args>` in `dir` under strace, which sends `signal_name` to it when it makes its
// `nth` rename(2): the exit status (128 + N when the signal N ended it) and stderr.
Result signal_at_rename(const test::TempDir& dir, const std::string& args,
                        const std::string& signal_name, int nth) {
    const fs::path status = dir / "status.txt";
    const fs::path err = dir / "stderr.txt";
    const std::string command =
        "cd " + shell_quote(dir.path().string()) + " && " + UNDER_PTRACE +
        "strace -f -qq -o /dev/null -e trace=rename " + "-e inject=rename:signal=" + signal_name +
        ":when=" + std::to_string(nth) + " " + shell_quote(CANOPY) + " " + args + " >/dev/null 2>" +
        shell_quote(err.string()) + "; echo $? >" + shell_quote(status.string());
    REQUIRE(std::system(command.c_str()) == 0);
    Result r;
    r.status = std::stoi(test::read_file(status));
    r.err = test::read_file(err);
    fs::remove(status);
    fs::remove(err);
    return r;
}

// The renames `canopy <args>` makes in `dir` (strace counts them): the commit's.
int renames_of(const test::TempDir& dir, const std::string& args) {
    const fs::path log = dir / "strace.txt";
    const std::string command = "cd " + shell_quote(dir.path().string()) + " && " + UNDER_PTRACE +
                                "strace -f -qq -o " + shell_quote(log.string()) +
                                " -e trace=rename " + shell_quote(CANOPY) + " " + args +
                                " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    std::istringstream lines(test::read_file(log));
    fs::remove(log);
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
        n += line.find("rename(") != std::string::npos ? 1 : 0;
    }
    return n;
}

struct Spawned {
    int status = -1; ///< the exit status, or 128 + N when signal N ended the process
    std::string err;
};

// `canopy <args>` (each one argument, no shell) with its stdout a pipe whose reading end is
// closed before it starts, so that every write to stdout fails, and SIGPIPE at its default
// action (whatever this test process does with it), as in a shell's `| head -c 10`.
Spawned run_into_closed_pipe(const test::TempDir& dir, const std::vector<std::string>& args) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);
    const fs::path err = dir / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
    std::vector<std::string> words = test::cli::canopy_words(args);
    std::vector<char*> argv = test::cli::argv_of(words);
    pid_t child = 0;
    const int spawned =
        ::posix_spawn(&child, CANOPY.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(fds[1]);
    REQUIRE(spawned == 0);
    int raw = 0;
    REQUIRE(::waitpid(child, &raw, 0) == child);
    Spawned s;
    s.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    s.err = test::read_file(err);
    fs::remove(err);
    return s;
}

} // namespace

TEST_CASE("a signal while the outputs are committed leaves them all old or all new",
          "[cli][outputs][signal]") {
    // Probe 3, item 1: SIGINT, SIGTERM or SIGHUP between two of the commit's renames ended the
    // process with one output new, the others old, and "<out>.old.<pid>.<n>" left behind.
    if (!have_strace()) {
        WARN("skipped: strace is not installed (scripts/setup.sh installs it) or may not trace "
             "here");
        return;
    }
    const test::TempDir dir;
    fs::copy_file(REFERENCE, dir / "ref.toml");
    const std::vector<std::string> files{"a.h5", "a.html", "a.json"};
    struct Case {
        std::string args;
        std::vector<std::string> files;
    };
    const std::vector<Case> cases{
        {"run ref.toml -n 4 -q --json a.json --out a.h5 --report a.html", files},
        {"compare ref.toml -n 2 -q --json a.json --out a.h5 --report a.html", files}};
    for (const Case& c : cases) {
        const int renames = renames_of(dir, c.args);
        REQUIRE(renames >= 3); // one a file
        for (const std::string signal_name : {"SIGINT", "SIGTERM", "SIGHUP"}) {
            for (int nth = 1; nth <= renames; ++nth) {
                INFO(c.args << "\n" << signal_name << " at rename " << nth << " of " << renames);
                for (const std::string& f : c.files) {
                    test::write_file(dir / f, "old\n");
                }
                const Result r = signal_at_rename(dir, c.args, signal_name, nth);
                INFO(r.err);
                // The signal still ends canopy, as it would have (128 + its number).
                CHECK(r.status > 128);
                std::size_t old = 0;
                for (const std::string& f : c.files) {
                    old += test::read_file(dir / f) == "old\n" ? 1U : 0U;
                }
                CHECK((old == 0 || old == c.files.size()));
                // No temporary and no backup of the previous files is left.
                std::vector<std::string> expected = c.files;
                expected.push_back("ref.toml");
                std::sort(expected.begin(), expected.end());
                CHECK(entries(dir.path()) == expected);
            }
        }
    }
}

TEST_CASE("stdout closed early is a failure said on stderr, and nothing is written",
          "[cli][outputs][pipe]") {
    // Probe 3, item 2: `canopy run --json - --out x.h5 | head -c 10` was ended by SIGPIPE
    // (status 141, no message) and left the HDF5 file's temporary behind.
    const test::TempDir dir;
    const std::string out = (dir / "out.h5").string();
    const std::vector<std::vector<std::string>> commands{
        {"run", REFERENCE, "-n", "4", "--json", "-", "--out", out},
        {"run", REFERENCE, "-n", "4", "--out", out},
        {"compare", REFERENCE, "-n", "2", "--json", "-", "--out", out},
        {"compare", REFERENCE, "-n", "2", "--out", out},
        {"levers", REFERENCE, "-n", "2", "--lever", "lever_sme", "--json", "-"},
        {"solve", REFERENCE, "--target", "high_tech_growth", "-P", "0.5", "--lever",
         "lever_incubated=0:4", "-n", "10", "--json", "-"},
        {"validate", REFERENCE},
        {"models"},
    };
    for (const std::vector<std::string>& args : commands) {
        std::string shown;
        for (const std::string& a : args) {
            shown += a + " ";
        }
        INFO(shown);
        test::write_file(out, "previous\n");
        const Spawned s = run_into_closed_pipe(dir, args);
        INFO(s.err);
        CHECK(s.status == 1);
        CHECK(s.err.find("cannot write to standard output") != std::string::npos);
        CHECK(test::read_file(out) == "previous\n");
        CHECK(entries(dir.path()) == std::vector<std::string>{"out.h5"}); // no temporary left
    }
}

TEST_CASE("an output that is a dangling symbolic link creates the file it names",
          "[cli][outputs]") {
    // Probe 3, item 3: the link was replaced by a regular file and its target never made,
    // though a link to an existing file is written through and kept.
    const test::TempDir dir;
    fs::create_directories(dir / "d");
    fs::create_symlink("d/t.json", dir / "dangling.json");
    fs::create_symlink("d/t.h5", dir / "dangling.h5");
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " -n 2 -q --json dangling.json --out dangling.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(fs::is_symlink(dir / "dangling.json"));
    CHECK(fs::is_symlink(dir / "dangling.h5"));
    CHECK(nlohmann::json::parse(test::read_file(dir / "d" / "t.json"))["replicates"] == 2);
    CHECK(test::read_file(dir / "d" / "t.h5").substr(1, 3) == "HDF");
    CHECK(entries(dir / "d") == std::vector<std::string>{"t.h5", "t.json"});
}

TEST_CASE("a flag given twice is refused in the tool's words, with every other mistake",
          "[cli][outputs][flags]") {
    // Probe 3, item 7: CLI11's "--replicates: At Most 1 required but received 2", without the
    // command's name or its "nothing was run or written".
    const test::TempDir dir;
    struct Case {
        std::string args;
        std::string command;
        std::vector<std::string> says;
    };
    const std::string ref = shell_quote(REFERENCE);
    const std::vector<Case> cases{
        {"run " + ref + " -n 10 -n 20 -q --json x.json",
         "canopy run",
         {"--replicates: given twice (allowed: once)"}},
        {"run " + ref + " --replicates=10 -n 20 --seed 3 --seed 4 -s 5 -q --json x.json",
         "canopy run",
         {"--replicates: given twice (allowed: once)", "--seed: given 3 times (allowed: once)"}},
        {"compare " + ref + " --json a.json --json b.json",
         "canopy compare",
         {"--json: given twice (allowed: once)"}},
        {"levers " + ref + " -n 2 -n 3 --json x.json",
         "canopy levers",
         {"--replicates: given twice (allowed: once)"}},
        {"solve " + ref + " --target high_tech_growth -P 0.5 -P 0.6 --lever lever_sme",
         "canopy solve",
         {"--probability: given twice (allowed: once)"}},
    };
    for (const Case& c : cases) {
        INFO(c.args);
        const Result r = run_canopy(dir, c.args);
        INFO(r.err);
        CHECK(r.status == 2);
        for (const std::string& s : c.says) {
            CHECK(r.err.find(c.command + ": error: " + s) != std::string::npos);
        }
        CHECK(r.err.find(c.command + ": nothing was run or written") != std::string::npos);
        CHECK(r.err.find("At Most") == std::string::npos);
        CHECK(r.out.empty());
        CHECK(entries(dir.path()).empty());
    }
}

TEST_CASE("canopy levers --json writes its keys in the documented order", "[cli][outputs][json]") {
    // Probe 3, item 5: the keys came out sorted ("confidence", "effects", ...), not as
    // docs/what-if.md lists them.
    const test::TempDir dir;
    const Result r = run_canopy(dir, "levers " + shell_quote(REFERENCE) + " -n 4 -q --json -");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::ordered_json::parse(r.out);
    const auto keys = [](const nlohmann::ordered_json& object) {
        std::vector<std::string> names;
        for (const auto& item : object.items()) {
            names.push_back(item.key());
        }
        return names;
    };
    CHECK(keys(j) == std::vector<std::string>{"schema_version", "scenario", "seed", "replicates",
                                              "confidence", "levers", "skipped", "effects"});
    REQUIRE(!j["levers"].empty());
    CHECK(keys(j["levers"][0]) ==
          std::vector<std::string>{"lever", "mode", "low", "high", "origin"});
    REQUIRE(!j["effects"].empty());
    CHECK(keys(j["effects"][0]) == std::vector<std::string>{"target", "lever", "median_low",
                                                            "median_high", "delta_median",
                                                            "delta_median_ci", "p_low", "p_high",
                                                            "delta_p", "delta_p_ci", "moves"});
}

namespace {

// The names of the dimension scales attached to each dimension of dataset `path` in `file`
// ("" for a dimension without one).
std::vector<std::string> scales_of(hid_t file, const std::string& path) {
    const hid_t set = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
    REQUIRE(set >= 0);
    const hid_t space = H5Dget_space(set);
    const int rank = H5Sget_simple_extent_ndims(space);
    H5Sclose(space);
    std::vector<std::string> names;
    for (int dim = 0; dim < rank; ++dim) {
        std::string name;
        H5DSiterate_scales(
            set, static_cast<unsigned>(dim), nullptr,
            [](hid_t, unsigned, hid_t scale, void* data) -> herr_t {
                const ssize_t n = H5Iget_name(scale, nullptr, 0);
                std::string text(static_cast<std::size_t>(n), '\0');
                H5Iget_name(scale, text.data(), text.size() + 1);
                *static_cast<std::string*>(data) = text;
                return 1;
            },
            &name);
        names.push_back(name);
    }
    H5Dclose(set);
    return names;
}

// A string attribute `name` of the object at `path`, or "(none)".
std::string string_attribute(hid_t file, const std::string& path, const std::string& name) {
    if (H5Aexists_by_name(file, path.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
        return "(none)";
    }
    const hid_t attr = H5Aopen_by_name(file, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    const hid_t type = H5Aget_type(attr);
    const hid_t memory = H5Tcopy(H5T_C_S1);
    H5Tset_size(memory, H5T_VARIABLE);
    H5Tset_cset(memory, H5T_CSET_UTF8);
    char* text = nullptr;
    std::string value = "(unreadable)";
    if (H5Tis_variable_str(type) > 0 && H5Aread(attr, memory, &text) >= 0 && text != nullptr) {
        value = text;
        H5free_memory(text);
    }
    H5Tclose(memory);
    H5Tclose(type);
    H5Aclose(attr);
    return value;
}

} // namespace

TEST_CASE("compare --out puts /comparison on dimension scales, each dataset with its units",
          "[cli][outputs][hdf5]") {
    // Probe 3, item 6: /comparison/* had no dimension scales (xarray showed phony_dim_*),
    // /comparison/mix was not a scale, and only the groups carried units.
    const test::TempDir dir;
    const Result r = run_canopy(dir, "compare " + shell_quote(REFERENCE) + " -n 4 -q --out c.h5");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const hid_t f = H5Fopen((dir / "c.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    for (const std::string axis : {"/comparison/mix", "/comparison/bound"}) {
        const hid_t set = H5Dopen2(f, axis.c_str(), H5P_DEFAULT);
        REQUIRE(set >= 0);
        CHECK(H5DSis_scale(set) > 0);
        H5Dclose(set);
    }
    CHECK(scales_of(f, "/comparison/cost") == std::vector<std::string>{"/comparison/mix"});
    CHECK(scales_of(f, "/comparison/over_budget") == std::vector<std::string>{"/comparison/mix"});
    CHECK(string_attribute(f, "/comparison/cost", "units") ==
          string_attribute(f, "/comparison", "currency"));
    const std::string target = "/comparison/targets/leaders_2023/";
    for (const std::string name : {"median", "p_attain", "delta_median", "delta_p", "undefined"}) {
        INFO(name);
        CHECK(scales_of(f, target + name) == std::vector<std::string>{"/comparison/mix"});
    }
    for (const std::string name : {"p_attain_ci", "delta_median_ci", "delta_p_ci"}) {
        INFO(name);
        CHECK(scales_of(f, target + name) ==
              std::vector<std::string>{"/comparison/mix", "/comparison/bound"});
    }
    for (const std::string name : {"median", "delta_median", "delta_median_ci"}) {
        INFO(name);
        CHECK(string_attribute(f, target + name, "units") == "firms");
        CHECK(string_attribute(f, target + name, "long_name") != "(none)");
    }
    for (const std::string name : {"p_attain", "p_attain_ci", "delta_p", "delta_p_ci"}) {
        INFO(name);
        CHECK(string_attribute(f, target + name, "units") == "1");
    }
    H5Fclose(f);
}

TEST_CASE("the cost tables have no blank column and no trailing spaces", "[cli][outputs][table]") {
    // Probe 3, item 8: the reference scenario's cost table had an empty heading where the
    // "90 % interval" column would be (compare's too), and its total row ended in two spaces.
    const test::TempDir dir;
    struct Case {
        std::string command;
        std::string last_column; // the heading after "total"
    };
    for (const Case& c : {Case{"run", "priced"}, Case{"compare", "budget"}}) {
        const Result r = run_canopy(dir, c.command + " " + shell_quote(REFERENCE) + " -n 4");
        INFO(r.err);
        REQUIRE(r.status == 0);
        INFO(r.out);
        std::istringstream lines(r.out);
        bool cost_heading = false;
        for (std::string line; std::getline(lines, line);) {
            INFO("'" << line << "'");
            CHECK((line.empty() || line.back() != ' '));
            if (line.starts_with("cost (")) {
                cost_heading = true;
                CHECK(line.find("90 % interval") == std::string::npos);
                // "total" then the last heading, one gap apart: no blank column between them.
                CHECK(line.find("total  " + c.last_column) != std::string::npos);
            }
        }
        CHECK(cost_heading);
    }
}
