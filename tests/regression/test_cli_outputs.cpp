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

// strace(1) on the PATH, to inject a signal into a chosen system call.
bool have_strace() {
    return std::system("strace -V >/dev/null 2>&1") == 0;
}

// `canopy <args>` in `dir` under strace, which sends `signal_name` to it when it makes its
// `nth` rename(2): the exit status (128 + N when the signal N ended it) and stderr.
Result signal_at_rename(const test::TempDir& dir, const std::string& args,
                        const std::string& signal_name, int nth) {
    const fs::path status = dir / "status.txt";
    const fs::path err = dir / "stderr.txt";
    const std::string command = "cd " + shell_quote(dir.path().string()) +
                                " && strace -f -qq -o /dev/null -e trace=rename " +
                                "-e inject=rename:signal=" + signal_name +
                                ":when=" + std::to_string(nth) + " " + shell_quote(CANOPY) + " " +
                                args + " >/dev/null 2>" + shell_quote(err.string()) +
                                "; echo $? >" + shell_quote(status.string());
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
    const std::string command = "cd " + shell_quote(dir.path().string()) + " && strace -f -qq -o " +
                                shell_quote(log.string()) + " -e trace=rename " +
                                shell_quote(CANOPY) + " " + args + " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
    std::istringstream lines(test::read_file(log));
    fs::remove(log);
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
        n += line.find("rename(") != std::string::npos ? 1 : 0;
    }
    return n;
}

} // namespace

TEST_CASE("a signal while the outputs are committed leaves them all old or all new",
          "[cli][outputs][signal]") {
    // Probe 3, item 1: SIGINT, SIGTERM or SIGHUP between two of the commit's renames ended the
    // process with one output new, the others old, and "<out>.old.<pid>.<n>" left behind.
    if (!have_strace()) {
        WARN("skipped: strace is not installed (scripts/setup.sh installs it)");
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
