// Atomic output files and the checks made on output paths before a run.
#include "output_fixture.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/output/files.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

using namespace canopy;
using Catch::Contains;
namespace fs = std::filesystem;

TEST_CASE("write_file_atomically creates and replaces whole files", "[output][files]") {
    const test::TempDir dir;
    const auto path = dir / "summary.json";
    output::write_file_atomically(path, "first\n");
    CHECK(test::read_file(path) == "first\n");
    output::write_file_atomically(path, "second, longer\n");
    CHECK(test::read_file(path) == "second, longer\n");
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("write_file_atomically writes through a symbolic link", "[output][files]") {
    const test::TempDir dir;
    test::write_file(dir / "real.json", "old");
    fs::create_symlink(dir / "real.json", dir / "link.json");
    output::write_file_atomically(dir / "link.json", "new");
    CHECK(fs::is_symlink(dir / "link.json"));
    CHECK(test::read_file(dir / "real.json") == "new");
}

TEST_CASE("write_file_atomically through a dangling link creates the file it names",
          "[output][files]") {
    // A link to a file not made yet was replaced by a regular file, its target never made,
    // though a link to an existing file is written through. The target is read relative to the
    // link's directory, as open() reads it, whatever the current directory.
    const test::TempDir dir;
    fs::create_directories(dir / "d");
    fs::create_symlink("d/t.json", dir / "dangling.json");
    CHECK(output::output_path_problem(dir / "dangling.json").empty());
    output::write_file_atomically(dir / "dangling.json", "new");
    CHECK(fs::is_symlink(dir / "dangling.json"));
    CHECK(fs::read_symlink(dir / "dangling.json") == "d/t.json");
    CHECK(test::read_file(dir / "d" / "t.json") == "new");
    // A chain of links, the last dangling, and an absolute link.
    fs::create_symlink("dangling2.json", dir / "chain.json");
    fs::create_symlink(dir / "d" / "u.json", dir / "dangling2.json");
    output::write_file_atomically(dir / "chain.json", "chained");
    CHECK(fs::is_symlink(dir / "chain.json"));
    CHECK(fs::is_symlink(dir / "dangling2.json"));
    CHECK(test::read_file(dir / "d" / "u.json") == "chained");
    // The link names the file it would make: as an output, it is that file.
    CHECK(output::same_file(dir / "chain.json", dir / "d" / "u.json"));
    fs::create_symlink("missing/t.json", dir / "nowhere.json");
    CHECK_THAT(output::output_path_problem(dir / "nowhere.json"),
               Contains("does not exist") && Contains("missing"));
}

TEST_CASE("A temporary file disappears unless committed", "[output][files]") {
    const test::TempDir dir;
    const auto target = dir / "out.h5";
    fs::path temp;
    {
        const output::TemporaryFile file(target);
        temp = file.path();
        CHECK(fs::exists(temp));
        CHECK(temp.parent_path() == dir.path()); // same directory: the rename is atomic
    }
    CHECK_FALSE(fs::exists(temp));
    CHECK_FALSE(fs::exists(target));
}

TEST_CASE("output_path_problem explains why a path cannot be written", "[output][files]") {
    const test::TempDir dir;
    CHECK(output::output_path_problem(dir / "new.json").empty());
    test::write_file(dir / "old.json", "x");
    CHECK(output::output_path_problem(dir / "old.json").empty());
    CHECK_THAT(output::output_path_problem(dir / "missing" / "x.json"),
               Catch::Contains("does not exist"));
    CHECK_THAT(output::output_path_problem(dir.path()), Catch::Contains("is a directory"));
    CHECK_THAT(output::output_path_problem(dir / "old.json" / "x.json"),
               Catch::Contains("not a directory"));
    CHECK_THAT(output::output_path_problem("/dev/null"), Catch::Contains("not a regular file"));
    CHECK_FALSE(output::output_path_problem("").empty());
    // No file can be made in /proc, though root passes access() there: the check tries one.
    const std::string proc = output::output_path_problem("/proc/x.h5");
    CHECK((proc == "cannot create a file in directory '/proc' (No such file or directory)" ||
           proc == "directory '/proc' is not writable"));
    // The trial file is gone again.
    CHECK(output::output_path_problem(dir / "new.json").empty());
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("write_file_atomically into a missing directory throws with the path",
          "[output][files]") {
    const test::TempDir dir;
    const auto path = dir / "missing" / "x.json";
    CHECK_THROWS_WITH(output::write_file_atomically(path, "x"), Catch::Contains(path.string()));
}

namespace {

std::vector<std::string> names_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// The pid of a process that has ended (a child that exited and was reaped).
pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) {
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

} // namespace

TEST_CASE("Two names of one file are one file; outputs may not replace inputs", "[output][files]") {
    const test::TempDir dir;
    test::write_file(dir / "scenario.toml", "x");
    fs::create_directories(dir / "sub");
    fs::create_symlink(dir / "scenario.toml", dir / "link.toml");
    const fs::path here = fs::current_path();
    fs::current_path(dir.path());
    CHECK(output::same_file("s.h5", "./s.h5"));
    CHECK(output::same_file("s.h5", dir / "s.h5"));
    CHECK(output::same_file("sub/../s.h5", "s.h5"));
    CHECK(output::same_file("link.toml", "scenario.toml"));
    CHECK_FALSE(output::same_file("s.h5", "t.h5"));
    const auto clashes = output::path_clashes({{"--json", "./s.h5"}, {"--out", dir / "s.h5"}},
                                              {{"the scenario file", "scenario.toml"}});
    REQUIRE(clashes.size() == 1);
    CHECK_THAT(clashes[0], Contains("--json and --out name the same file"));
    const auto input = output::path_clashes({{"--json", "link.toml"}},
                                            {{"the scenario file", dir / "scenario.toml"}});
    REQUIRE(input.size() == 1);
    CHECK_THAT(input[0], Contains("--json") && Contains("is the scenario file"));
    fs::current_path(here);
}

TEST_CASE("Outputs committed together are all replaced or none", "[output][files]") {
    const test::TempDir dir;
    test::write_file(dir / "a.json", "old a");
    test::write_file(dir / "b.h5", "old b");
    {
        output::TemporaryFile a = output::write_temporary(dir / "a.json", "new a");
        output::TemporaryFile b = output::write_temporary(dir / "b.h5", "new b");
        // The second rename cannot happen: its target became a directory meanwhile.
        std::filesystem::remove(dir / "b.h5");
        std::filesystem::create_directories(dir / "b.h5" / "x");
        output::TemporaryFile* both[] = {&a, &b};
        CHECK_THROWS_WITH(output::commit_all(both), Contains("b.h5"));
    }
    CHECK(test::read_file(dir / "a.json") == "old a"); // put back
    CHECK(names_in(dir.path()) == std::vector<std::string>{"a.json", "b.h5"});
    std::filesystem::remove_all(dir / "b.h5");
    {
        output::TemporaryFile a = output::write_temporary(dir / "a.json", "new a");
        output::TemporaryFile b = output::write_temporary(dir / "b.h5", "new b");
        output::TemporaryFile* both[] = {&a, &b};
        output::commit_all(both);
    }
    CHECK(test::read_file(dir / "a.json") == "new a");
    CHECK(test::read_file(dir / "b.h5") == "new b");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"a.json", "b.h5"});
}

TEST_CASE("A signal removes the temporary being written, then ends the process",
          "[output][files]") {
    // Issue 6, item 9: SIGINT, SIGTERM or SIGHUP during the HDF5 write left
    // "<out>.tmp.<pid>.0" behind.
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        const test::TempDir dir;
        const pid_t child = ::fork();
        if (child == 0) {
            // As in the command line, where nothing else handles these signals (Catch does).
            std::signal(signal_number, SIG_DFL);
            output::remove_temporaries_on_signals();
            const output::TemporaryFile temp(dir / "out.h5");
            test::write_file(dir / "ready", "");
            ::raise(signal_number);
            ::_exit(0); // not reached: the signal ends the process
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == signal_number);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"ready"});
    }
}

TEST_CASE("The temporaries of processes that are gone are removed by the next write",
          "[output][files]") {
    const test::TempDir dir;
    const std::string dead = "out.h5.tmp." + std::to_string(dead_pid()) + ".0";
    const std::string alive = "out.h5.tmp." + std::to_string(::getppid()) + ".3";
    const std::string other = "other.h5.tmp." + std::to_string(dead_pid()) + ".0";
    for (const std::string& name : {dead, alive, other}) {
        test::write_file(dir / name, "partial");
    }
    output::write_file_atomically(dir / "out.h5", "complete");
    std::vector<std::string> expected{alive, other, "out.h5"};
    std::sort(expected.begin(), expected.end());
    CHECK(names_in(dir.path()) == expected);
}

TEST_CASE("The backups of processes that are gone are removed by the next write",
          "[output][files]") {
    // commit_all keeps each previous file as "<target>.old.<pid>.<n>" until every rename is
    // done; a process killed outright in between left it for good.
    const test::TempDir dir;
    const std::string dead = experiments::backup_path("out.h5", dead_pid(), 0).string();
    const std::string alive = experiments::backup_path("out.h5", ::getppid(), 1).string();
    const std::string other = experiments::backup_path("other.h5", dead_pid(), 0).string();
    CHECK(dead.starts_with("out.h5.old."));
    for (const std::string& name : {dead, alive, other}) {
        test::write_file(dir / name, "previous");
    }
    output::write_file_atomically(dir / "out.h5", "complete");
    std::vector<std::string> expected{alive, other, "out.h5"};
    std::sort(expected.begin(), expected.end());
    CHECK(names_in(dir.path()) == expected);
}

TEST_CASE("Any legal file name can be an output: long names' helper files are shortened",
          "[output][files]") {
    // A 250-byte --json name was refused as too long: "<name>.tmp.<pid>.<n>" passed the 255
    // bytes a directory entry holds.
    const test::TempDir dir;
    const std::string long_name = std::string(245, 'a') + ".json"; // 250 bytes
    const std::string twin = std::string(245, 'a') + ".jsom";      // the same first bytes
    output::write_file_atomically(dir / long_name, "complete");
    CHECK(test::read_file(dir / long_name) == "complete");
    CHECK(names_in(dir.path()) == std::vector<std::string>{long_name});

    // Every helper name fits, and two names with the same first bytes keep their own helpers.
    const fs::path temp = experiments::temporary_path(dir / long_name, 4194304, 4294967295UL);
    CHECK(temp.filename().string().size() <= 255);
    CHECK(temp.parent_path() == dir.path());
    CHECK(experiments::beside(dir / long_name, ".lock") !=
          experiments::beside(dir / twin, ".lock"));
    // A short name's helpers are "<name><suffix>", as the docs and older journals have them.
    CHECK(experiments::beside(dir / "out.h5", ".journal") == dir / "out.h5.journal");
    // The 255th byte position falls inside a UTF-8 character: the cut keeps whole characters.
    const std::string accents = "x" + [] {
        std::string s;
        for (int i = 0; i < 120; ++i) {
            s += "\xc3\xa9"; // é
        }
        return s;
    }();
    const std::string cut = experiments::beside(fs::path(accents), ".lock").string();
    CHECK(cut.size() <= 255);
    CHECK(cut[cut.find('~') - 1] == '\xa9'); // the last kept byte ends a character

    // The dead writers' temporaries of a long name are found and removed by the next write.
    const fs::path dead = experiments::temporary_path(dir / long_name, dead_pid(), 0);
    const fs::path other = experiments::temporary_path(dir / twin, dead_pid(), 0);
    test::write_file(dead, "partial");
    test::write_file(other, "another output's");
    output::write_file_atomically(dir / long_name, "again");
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::exists(other));
}
