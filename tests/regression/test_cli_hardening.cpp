// The command line against what an outside tester tried (issue 6): deep ratio chains, a full
// disk, one file named two ways, output to a full stdout, escapes in titles, and outputs that
// must be committed together.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace canopy;
using test::cli::entries;
using test::cli::REFERENCE;
using test::cli::Result;
using test::cli::run_canopy;
using test::cli::shell_quote;

namespace {

namespace fs = std::filesystem;

// tests/data/calibration/reference-quick.toml at `to`, its paths made absolute.
void write_quick_calibration(const fs::path& to) {
    std::string quick = test::read_file(std::string(CANOPY_SOURCE_DIR) +
                                        "/tests/data/calibration/reference-quick.toml");
    const std::string relative = "../../../scenarios/";
    for (auto at = quick.find(relative); at != std::string::npos; at = quick.find(relative)) {
        quick.replace(at, relative.size(), std::string(CANOPY_SOURCE_DIR) + "/scenarios/");
    }
    test::write_file(to, quick);
}

// The reference scenario, small and quick, extended with `extra`.
std::string reference_with(const std::string& extra) {
    return "extends = \"" + REFERENCE + "\"\n" + extra;
}

// A small tmpfs mounted for one test, unmounted at its end; `mounted()` is false (with the
// reason) where mounting is not permitted (not root, or a container without CAP_SYS_ADMIN).
class SmallDisk {
public:
    SmallDisk(const fs::path& dir, const std::string& size)
        : dir_(dir) {
        fs::create_directories(dir_);
        if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0) {
            mounted_ = true;
        } else {
            why_ = std::strerror(errno);
        }
    }
    ~SmallDisk() {
        if (mounted_) {
            ::umount2(dir_.c_str(), MNT_DETACH);
        }
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    [[nodiscard]] bool mounted() const { return mounted_; }
    [[nodiscard]] const std::string& why() const { return why_; }

    /// Fills the disk until `free_bytes` (rounded to pages) are left, with a file `filler`.
    void leave_free(std::uintmax_t free_bytes) const {
        const fs::path filler = dir_ / "filler";
        fs::remove(filler);
        const std::uintmax_t available = fs::space(dir_).available;
        std::ofstream out(filler, std::ios::binary);
        const std::string block(4096, 'x');
        for (std::uintmax_t written = 0; written + free_bytes < available;
             written += block.size()) {
            out << block;
        }
    }

private:
    fs::path dir_;
    bool mounted_ = false;
    std::string why_;
};

// Ends the test, with a warning saying why, where `disk` (a SmallDisk) could not be mounted.
#define SKIP_UNLESS_MOUNTED(disk)                                                                  \
    do {                                                                                           \
        if (!(disk).mounted()) {                                                                   \
            WARN("skipped: cannot mount a tmpfs here (" << (disk).why() << ")");                   \
            return;                                                                                \
        }                                                                                          \
    } while (false)

// A command that must be refused (exit 2) with `message` in its stderr.
struct Refusal {
    std::string command;
    std::string message;
};

// Runs each command in `dir` and checks that it is refused and that the directory still holds
// exactly the files it held before, each with the same bytes.
void check_refused(const test::TempDir& dir, const std::vector<Refusal>& refusals) {
    const std::vector<std::string> before = entries(dir.path());
    std::vector<std::string> contents;
    for (const std::string& f : before) {
        contents.push_back(test::read_file(dir / f));
    }
    for (const Refusal& c : refusals) {
        INFO(c.command);
        const Result r = run_canopy(dir, c.command);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.message) != std::string::npos);
        CHECK(r.out.empty());
        CHECK(entries(dir.path()) == before);
        for (std::size_t i = 0; i < before.size(); ++i) {
            CHECK(test::read_file(dir / before[i]) == contents[i]);
        }
    }
}

// A sweep file of one design point over the tiny test scenario.
void write_one_point_sweep(const fs::path& file) {
    test::write_file(file, "[sweep]\nscenario = \"" + std::string(CANOPY_SOURCE_DIR) +
                               "/tests/data/sweeps/tiny-scenario.toml\"\n"
                               "design = \"grid\"\nreplicates = 1\n"
                               "[factors.lever_high_tech]\nvalues = [1.5]\n");
}

// A command with several independent mistakes: refused (exit 2) with every one of `messages` on
// stderr in the same attempt, nothing on stdout, and nothing created in `dir`.
void check_all_reported(const test::TempDir& dir, const std::string& command,
                        const std::vector<std::string>& messages) {
    const std::vector<std::string> before = entries(dir.path());
    INFO(command);
    const Result r = run_canopy(dir, command);
    INFO(r.err);
    CHECK(r.status == 2);
    for (const std::string& m : messages) {
        INFO(m);
        CHECK(r.err.find(m) != std::string::npos);
    }
    CHECK(r.out.empty());
    CHECK(entries(dir.path()) == before);
}

} // namespace

TEST_CASE("a chain of ratios runs in a small stack", "[cli][hardening]") {
    // Issue 6, item 1: `canopy validate` passed the chain and `canopy run` overflowed the
    // stack (25,000 links with the default 8 MiB of stack; 5,000 with 1 MiB, as here).
    const test::TempDir dir;
    std::string text = reference_with("");
    text += "[indicators.x]\nkind = \"stock\"\nseries = \"leader\"\nat = \"2023-12\"\n";
    for (int i = 0; i < 5000; ++i) {
        text += "[indicators.r" + std::to_string(i) + "]\nkind = \"ratio\"\nnumerator = \"" +
                (i + 1 < 5000 ? "r" + std::to_string(i + 1) : std::string("x")) +
                "\"\ndenominator = \"x\"\n";
    }
    test::write_file(dir / "chain.toml", text);
    const std::string command = "cd " + shell_quote(dir.path().string()) +
                                " && ulimit -s 1024 && " + shell_quote(test::cli::CANOPY) +
                                " run chain.toml --replicates 2 --quiet --json chain.json";
    const int status = std::system(command.c_str());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(test::read_file(dir / "chain.json").find("\"r4999\"") != std::string::npos);
}

TEST_CASE("costs and finals near the largest double have finite means", "[cli][hardening]") {
    // Four replicates each costing 1e308 had the mean cost inf, and a cap of 1e308 read as
    // "OVER CAP" though no replicate was over it; a ratio of 1e308 in every replicate had the
    // mean inf in the HDF5 file and null in the JSON.
    const test::TempDir dir;
    test::write_file(dir / "cap.toml",
                     reference_with("remove = [\"policy_mixes.high_tech_push\"]\n" // 2x: inf
                                    "[baseline.firms]\nvalue = 500\nassumption = \"small\"\n"
                                    "[levers.lever_high_tech]\nschedule = \"piecewise_linear\"\n"
                                    "points = [{at = \"2023-01\", value = 0}, "
                                    "{at = \"2023-12\", value = 500}]\n"
                                    "cost_per_unit_added = 2e305\ncost_per_unit_year = 0\n"
                                    "cost_unit = \"u\"\n"
                                    "assumption = \"y\"\n"
                                    "[budget]\ncurrency = \"u\"\ncap_total = 1e308\n"
                                    "assumption = \"z\"\n"
                                    "[indicators.same]\nkind = \"ratio\"\nnumerator = "
                                    "\"leaders_2023\"\ndenominator = \"leaders_2023\"\n"
                                    "scale = 1e308\n"));
    const Result r = run_canopy(dir, "run cap.toml --replicates 4 --json cap.json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("budget cap: 1e+308 u in total - within it (mean cost)") != std::string::npos);
    CHECK(r.out.find(" inf ") == std::string::npos);
    const auto j = nlohmann::json::parse(test::read_file(dir / "cap.json"));
    CHECK(j["budget"]["total"] == 1e308);
    CHECK(j["budget"]["over_cap"] == false);
    for (const auto& i : j["indicators"]) {
        if (i["id"] == "same") {
            CHECK(i["mean"] == 1e308);
        }
    }
}

TEST_CASE("one file named two ways is refused before anything runs", "[cli][hardening]") {
    // Issue 6, item 3: "--json ./s.h5 --out s.h5" exited 0 and left the JSON in s.h5.
    const test::TempDir dir;
    test::write_file(dir / "parent.toml", test::read_file(REFERENCE));
    test::write_file(dir / "child.toml", "extends = \"parent.toml\"\n[scenario]\nreplicates = 2\n");
    const std::string here = dir.path().string();
    struct Case {
        std::string flags;
        std::string message;
    };
    const std::vector<Case> cases{
        {"--json ./s.h5 --out s.h5", "--json and --out name the same file"},
        {"--json s.h5 --out " + shell_quote(here + "/s.h5"), "--json and --out name the same file"},
        {"--json sub/../s.h5 --out s.h5", "--json and --out name the same file"},
        {"--json parent.toml", "a file the scenario extends"},
        {"--json " + shell_quote(here + "/./parent.toml"), "a file the scenario extends"},
        {"--out child.h5 --json ./child.toml", "the scenario file"},
    };
    fs::create_directories(dir / "sub");
    const std::string parent = test::read_file(dir / "parent.toml");
    for (const Case& c : cases) {
        INFO(c.flags);
        const Result r = run_canopy(dir, "run child.toml --quiet " + c.flags);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find(c.message) != std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"child.toml", "parent.toml", "sub"});
        CHECK(test::read_file(dir / "parent.toml") == parent);
    }
}

TEST_CASE("no command writes over the posterior or a file the scenario extends",
          "[cli][hardening]") {
    // An outside probe: `run --out` replaced the posterior the scenario names (or --posterior
    // names), `levers --json` a file the scenario extends, `solve --report` the same.
    const test::TempDir dir;
    const std::string scenarios = std::string(CANOPY_SOURCE_DIR) + "/scenarios/";
    fs::copy_file(scenarios + "wuhan-2023.toml", dir / "wuhan.toml");
    fs::copy_file(scenarios + "wuhan-posterior.h5", dir / "wuhan-posterior.h5");
    fs::copy_file(scenarios + "wuhan-posterior.h5", dir / "other-posterior.h5");
    test::write_file(dir / "parent.toml", test::read_file(REFERENCE));
    test::write_file(dir / "child.toml", "extends = \"parent.toml\"\n[scenario]\nreplicates = 4\n");
    const std::string solve = "solve child.toml -q --target leaders_2023 -P 0.5 "
                              "--lever lever_high_tech=0:2 ";
    check_refused(
        dir, {
                 {"run wuhan.toml -q --out wuhan-posterior.h5",
                  "--out: 'wuhan-posterior.h5' is the posterior the scenario names"},
                 {"run wuhan.toml -q --posterior other-posterior.h5 --out other-posterior.h5",
                  "--out: 'other-posterior.h5' is the --posterior file"},
                 {"compare wuhan.toml -q --json wuhan-posterior.h5",
                  "--json: 'wuhan-posterior.h5' is the posterior the scenario names"},
                 {"levers wuhan.toml -q --posterior other-posterior.h5 --json other-posterior.h5",
                  "--json: 'other-posterior.h5' is the --posterior file"},
                 {"levers child.toml -q --json parent.toml",
                  "--json: 'parent.toml' is a file the scenario extends"},
                 {solve + "--report parent.toml",
                  "--report: 'parent.toml' is a file the scenario extends"},
                 {solve + "--json wuhan-posterior.h5 --posterior wuhan-posterior.h5",
                  "--json: 'wuhan-posterior.h5' is the --posterior file"},
             });
    // A second probe: `sweep --out` (and --design-only) replaced the posterior the sweep's
    // scenario names. (`sensitivity RESULT.h5 --out RESULT.h5` is not refused: adding the
    // indices to the result it reads is what docs/sensitivity.md says --out may do.)
    fs::copy_file(scenarios + "wuhan-2023.toml", dir / "wuhan-2023.toml");
    fs::copy_file(scenarios + "wuhan-2023-sweep.toml", dir / "wuhan-sweep.toml");
    test::write_file(dir / "child-sweep.toml",
                     "[sweep]\nscenario = \"child.toml\"\ndesign = \"sobol\"\npoints = 4\n"
                     "replicates = 1\n[factors.births_per_month]\nmin = 2\nmax = 6\n"
                     "assumption = \"a test range\"\n");
    check_refused(dir,
                  {
                      {"sweep wuhan-sweep.toml -q --out wuhan-posterior.h5",
                       "--out: 'wuhan-posterior.h5' is the posterior the sweep's scenario names"},
                      {"sweep wuhan-sweep.toml -q --design-only --out wuhan-posterior.h5",
                       "--out: 'wuhan-posterior.h5' is the posterior the sweep's scenario names"},
                      {"sweep child-sweep.toml -q --design-only --out parent.toml",
                       "--out: 'parent.toml' is a file the sweep's scenario extends"},
                      {"sweep child-sweep.toml -q --out child.toml",
                       "--out: 'child.toml' is the sweep's scenario file"},
                      {"sweep child-sweep.toml -q --design-only --out child-sweep.toml",
                       "--out: 'child-sweep.toml' is the sweep file"},
                  });
}

TEST_CASE("a ranges file that cannot give the levers their ranges is refused", "[cli][hardening]") {
    // An outside probe: `levers --ranges` with a sweep of the ecosystem model ran the reference
    // scenario's levers at their default ranges without a word.
    const test::TempDir dir;
    const std::string sweeps = std::string(CANOPY_SOURCE_DIR) + "/tests/data/sweeps/";
    std::string tiny = test::read_file(sweeps + "tiny-scenario.toml");
    tiny.replace(tiny.find("../../../scenarios/reference.toml"),
                 std::string("../../../scenarios/reference.toml").size(), REFERENCE);
    test::write_file(dir / "tiny-scenario.toml", tiny);
    std::string parameters_only = test::read_file(sweeps + "tiny.toml");
    parameters_only.erase(parameters_only.find("[factors.lever_high_tech]"),
                          parameters_only.find("[factors.edges_per_firm]") -
                              parameters_only.find("[factors.lever_high_tech]"));
    test::write_file(dir / "no-levers.toml", parameters_only);
    const std::string wuhan_sweep =
        shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023-sweep.toml");
    check_refused(dir, {
                           {"levers " + shell_quote(REFERENCE) + " -q -r 2 --ranges " + wuhan_sweep,
                            "is a sweep of model 'ecosystem'"},
                           {"run " + shell_quote(REFERENCE) +
                                " -q --report r.html --report-ranges " + wuhan_sweep,
                            "is a sweep of model 'ecosystem'"},
                           {"levers " + shell_quote(REFERENCE) + " -q -r 2 --ranges no-levers.toml",
                            "--ranges: 'no-levers.toml' has no lever factor with min and max"},
                       });
}

TEST_CASE("solve and levers check their flags, replicates and memory before they run",
          "[cli][hardening]") {
    // An outside probe: solve and levers ran out of memory (std::bad_alloc, exit 1) where run
    // and compare refuse; `solve --precision nan` exited 1 after starting; a scenario of one
    // replicate passed under the flags' minimums (solve 10, levers 2) and gave verdicts.
    const test::TempDir dir;
    test::write_file(dir / "one.toml",
                     reference_with("[scenario]\nname = \"one\"\nreplicates = 1\n"));
    const std::string solve = "solve " + shell_quote(REFERENCE) +
                              " -q --target leaders_2023 -P 0.5 --lever lever_high_tech=0:2 ";
    const std::string levers = "levers " + shell_quote(REFERENCE) + " -q --lever lever_high_tech ";
    check_refused(
        dir,
        {
            {solve + "-n 10 --max-memory 1K --json out.json",
             "a setting at the top of the levers' ranges would need about"},
            {levers + "-r 2 --max-memory 1K --json out.json",
             "a lever at the top of its range would need about"},
            {solve + "-n 10 --precision nan --json out.json",
             "--precision: 'nan' is not a number (allowed: a number from 1e-6 to 0.5)"},
            {"solve one.toml -q --target leaders_2023 -P 0.5 --lever lever_high_tech=0:2 --json "
             "out.json",
             "scenario 'one' runs 1 replicate ([scenario] replicates), too few to judge a "
             "probability; give --replicates 10 or more"},
            {"levers one.toml -q --lever lever_high_tech --json out.json",
             "scenario 'one' runs 1 replicate ([scenario] replicates), too few for paired "
             "intervals; give --replicates 2 or more"},
        });
}

TEST_CASE("what the commands say of their inputs is true", "[cli][hardening]") {
    // An outside probe: `run --set job_elasticity=...` still listed job_elasticity among the
    // posterior's columns drawn per replicate; `compare --mix base` said the scenario had no
    // policy mixes; `solve --target` on a scenario without targets listed "(allowed: )".
    const test::TempDir dir;
    const std::string wuhan =
        shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml");
    const Result set = run_canopy(dir, "run " + wuhan + " -n 2 --set job_elasticity=0.5");
    INFO(set.err);
    REQUIRE(set.status == 0);
    const std::string header = set.out.substr(0, set.out.find('\n'));
    CHECK(header.find("drawn jointly per replicate") != std::string::npos);
    CHECK(header.find("reward_elasticity") != std::string::npos);
    CHECK(header.find("job_elasticity") == std::string::npos);

    const Result base = run_canopy(dir, "compare " + wuhan + " -n 2 --mix base");
    INFO(base.err);
    REQUIRE(base.status == 0);
    CHECK(base.err.find("--mix names the base alone; showing the base alone") != std::string::npos);
    CHECK(base.err.find("has no policy mixes") == std::string::npos);

    test::write_file(dir / "none.toml",
                     "[scenario]\nname = \"none\"\nmodel = \"reference\"\nstart = "
                     "\"2023-01\"\nend = \"2023-12\"\n[baseline.firms]\nvalue = 500\n"
                     "assumption = \"a test city\"\n");
    const Result none = run_canopy(dir, "solve none.toml -P 0.5 --target t --lever lever_sme");
    INFO(none.err);
    CHECK(none.status == 2);
    CHECK(none.err.find("has no target 't' (it has no targets: add one under [targets])") !=
          std::string::npos);
}

TEST_CASE("a table that cannot reach stdout is a failure", "[cli][hardening]") {
    // Issue 6, item 9: `canopy run > /dev/full` exited 0.
    const test::TempDir dir;
    const Result r =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --replicates 2", " >/dev/full");
    CHECK(r.status == 1);
    CHECK(r.err.find("cannot write to standard output") != std::string::npos);

    // Exit 1 leaves every output file as it was (output-format.md): the files are written only
    // once what was printed has reached stdout. (They used to be replaced, then exit 1.)
    std::vector<std::string> present{"ref.toml"}; // the files the directory holds
    const auto unchanged = [&](const std::string& command, const std::vector<std::string>& files) {
        for (const std::string& f : files) {
            test::write_file(dir / f, "previous\n");
        }
        const Result full = run_canopy(dir, command, " >/dev/full");
        INFO(command << "\n" << full.err);
        CHECK(full.status == 1);
        CHECK(full.err.find("cannot write to standard output") != std::string::npos);
        for (const std::string& f : files) {
            CHECK(test::read_file(dir / f) == "previous\n");
        }
        present.insert(present.end(), files.begin(), files.end());
        std::sort(present.begin(), present.end());
        CHECK(entries(dir.path()) == present); // no temporary left behind
    };
    fs::copy_file(REFERENCE, dir / "ref.toml");
    unchanged("run ref.toml -n 2 --json out.json --out out.h5 --report out.html",
              {"out.h5", "out.html", "out.json"});
    unchanged("compare ref.toml -n 2 --json c.json --out c.h5", {"c.h5", "c.json"});
    unchanged("levers ref.toml -n 2 --lever lever_sme --json l.json", {"l.json"});
}

TEST_CASE("escapes in a scenario's text reach the terminal as text", "[cli][hardening]") {
    // Issue 6, item 9: a title could recolour or clear the planner's terminal.
    const test::TempDir dir;
    test::write_file(dir / "escapes.toml",
                     reference_with("[scenario]\ntitle = \"\\u001b[2J\\u001b[31mred\"\n"
                                    "replicates = 2\n"));
    const Result r = run_canopy(dir, "run escapes.toml");
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find('\x1b') == std::string::npos);
    CHECK(r.out.find("\\x1b[2J\\x1b[31mred") != std::string::npos);
}

TEST_CASE("an output that is a device or a pipe is refused as such before running",
          "[cli][hardening]") {
    // Outputs are written to a temporary beside them and renamed into place, which a device or
    // a pipe cannot take. /dev/stdout on a pipe was said as "cannot create a file in directory
    // '/proc/3417/fd'".
    const test::TempDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    struct Case {
        std::string path;
        std::string redirect; // standard output: a file, /dev/null, or the pipe (read-write)
        std::string says;
    };
    for (const Case& c : std::vector<Case>{
             {"/dev/null", "", "'/dev/null' is a device, not a regular file"},
             {"fifo", "", "'fifo' is a pipe, not a regular file"},
             {"/dev/stdout", " 1<>fifo", "'/dev/stdout' is a pipe, not a regular file"},
             {"/dev/stdout", " >/dev/null", "'/dev/stdout' is a device, not a regular file"}}) {
        INFO(c.path + c.redirect);
        const Result r =
            run_canopy(dir, "run " + shell_quote(REFERENCE) + " -n 2 --json " + c.path, c.redirect);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("--json: cannot write '" + c.path + "': " + c.says) != std::string::npos);
        CHECK(r.err.find("use --json - for stdout") != std::string::npos);
        CHECK(r.err.find("cannot create a file in directory") == std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"fifo"});
    }
}

TEST_CASE("a full disk while writing HDF5 exits 1 and leaves the previous files",
          "[cli][hardening][disk]") {
    // Issue 6, item 2: on a full file system `canopy run --out` printed "cannot close the
    // file" and then crashed in HDF5's shutdown. The disk is filled to leave 0 .. 200 KiB
    // free, so the write fails at every stage: data, metadata and the final close.
    const test::TempDir dir;
    const SmallDisk disk(dir / "disk", "1m");
    SKIP_UNLESS_MOUNTED(disk);
    const fs::path out = dir / "disk" / "out.h5";
    for (std::uintmax_t free_kib = 0; free_kib <= 200; free_kib += 8) {
        INFO(free_kib << " KiB free");
        test::write_file(out, "previous results\n");
        disk.leave_free(free_kib * 1024);
        const Result r =
            run_canopy(dir, "run " + shell_quote(REFERENCE) + " --replicates 8 --quiet --out " +
                                shell_quote(out.string()));
        INFO(r.err);
        // 0 (it fitted) or 1 (it did not): never a signal, never a partial file.
        REQUIRE((r.status == 0 || r.status == 1));
        const std::string now = test::read_file(out);
        if (r.status == 1) {
            CHECK(r.err.find("No space left on device") != std::string::npos);
            // In plain words, not HDF5's internals (probe 3, item 8: "buf = 0x55..., bytes
            // actually written = 18446744073709551615, offset = 0").
            CHECK(r.err.find("buf = ") == std::string::npos);
            CHECK(r.err.find("errno = ") == std::string::npos);
            CHECK(r.err.find("bytes actually written") == std::string::npos);
            CHECK(now == "previous results\n");
        } else {
            CHECK(now.substr(1, 3) == "HDF");
        }
        CHECK(entries(dir / "disk") == std::vector<std::string>{"filler", "out.h5"});
    }
}

TEST_CASE("sensitivity --out on a full disk exits 1, never a crash", "[cli][hardening][disk]") {
    // An outside tester's: with 45-54 KiB free for a 41 KiB sweep result, `canopy sensitivity
    // --out` died of a segmentation fault inside HDF5's H5Ocopy (its error path, HDF5 1.10.8)
    // and left its temporary file behind. The disk is filled to leave 0 .. 160 KiB free.
    const test::TempDir dir;
    test::write_file(dir / "s.toml", "[sweep]\nscenario = \"" + REFERENCE + "\"" +
                                         "\ndesign = \"saltelli\"\npoints = 4\nreplicates = 4\n"
                                         "seed = 3\n[factors.lever_high_tech]\nmin = 0.5\n"
                                         "max = 2\n[factors.births_per_month]\nmin = 10\n"
                                         "max = 20\n");
    const Result sweep = run_canopy(dir, "sweep s.toml --out s.h5 --quiet");
    INFO(sweep.err);
    REQUIRE(sweep.status == 0);
    const SmallDisk disk(dir / "disk", "256k");
    SKIP_UNLESS_MOUNTED(disk);
    const fs::path out = dir / "disk" / "o.h5";
    bool failed = false;
    bool fitted = false;
    for (std::uintmax_t free_kib = 0; free_kib <= 160; free_kib += 4) {
        INFO(free_kib << " KiB free");
        fs::remove(out);
        disk.leave_free(free_kib * 1024);
        const Result r =
            run_canopy(dir, "sensitivity s.h5 --quiet --out " + shell_quote(out.string()));
        INFO(r.err);
        REQUIRE((r.status == 0 || r.status == 1));
        if (r.status == 1) {
            failed = true;
            CHECK(r.err.find("No space left on device") != std::string::npos);
            CHECK(entries(dir / "disk") == std::vector<std::string>{"filler"});
        } else {
            fitted = true;
            CHECK(test::read_file(out).substr(1, 3) == "HDF");
            CHECK(entries(dir / "disk") == std::vector<std::string>{"filler", "o.h5"});
        }
    }
    CHECK(failed);
    CHECK(fitted);
}

TEST_CASE("the JSON and the HDF5 file are committed together or not at all",
          "[cli][hardening][disk]") {
    // Issue 6, item 9: when the JSON failed after the HDF5 file was renamed into place, the
    // two outputs described different runs.
    const test::TempDir dir;
    const SmallDisk disk(dir / "disk", "256k");
    SKIP_UNLESS_MOUNTED(disk);
    test::write_file(dir / "out.h5", "previous hdf5\n");
    test::write_file(dir / "disk" / "out.json", "previous json\n");
    disk.leave_free(0);
    const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                         " --replicates 4 --quiet --out out.h5 --json " +
                                         shell_quote((dir / "disk" / "out.json").string()));
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(test::read_file(dir / "out.h5") == "previous hdf5\n");
    CHECK(test::read_file(dir / "disk" / "out.json") == "previous json\n");
    CHECK(entries(dir / "disk") == std::vector<std::string>{"filler", "out.json"});
}

TEST_CASE("calibrate commits its posterior and its JSON together or not at all",
          "[cli][hardening][disk]") {
    // An outside tester's: with the JSON on a full disk, the posterior was renamed into place
    // first, so a new posterior sat beside the old JSON (exit 1), and nothing said that the
    // runs were kept for --resume.
    const test::TempDir dir;
    const SmallDisk disk(dir / "disk", "256k");
    SKIP_UNLESS_MOUNTED(disk);
    write_quick_calibration(dir / "c.toml");
    test::write_file(dir / "post.h5", "previous posterior\n");
    test::write_file(dir / "disk" / "c.json", "previous json\n");
    disk.leave_free(0);
    const Result r = run_canopy(dir, "calibrate c.toml --quiet --out post.h5 --json " +
                                         shell_quote((dir / "disk" / "c.json").string()));
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("No space left on device") != std::string::npos);
    CHECK(r.err.find("rerun with --resume") != std::string::npos);
    CHECK(test::read_file(dir / "post.h5") == "previous posterior\n");
    CHECK(test::read_file(dir / "disk" / "c.json") == "previous json\n");
    CHECK(entries(dir / "disk") == std::vector<std::string>{"c.json", "filler"});
    CHECK(entries(dir.path()) ==
          std::vector<std::string>{"c.toml", "disk", "post.h5", "post.h5.journal"});
}

TEST_CASE("Python's calibrate on a full disk raises, and the interpreter exits cleanly",
          "[cli][hardening][disk]") {
    // An outside tester: canopy.calibrate(out=...) on a full disk raised "cannot close the
    // file" as it should, and then the interpreter died of a segmentation fault at exit (139),
    // in HDF5's shutdown closing the file the failed write had left half-open. The result is
    // now built in memory first and written only where it fits. The disk is filled to leave
    // 0 .. 200 KiB free.
    if (std::getenv("CANOPY_SANITIZED") != nullptr) {
        WARN("skipped: the Python module is not loaded under the sanitizers");
        return;
    }
    const fs::path module = fs::path(CANOPY_BIN_DIR).parent_path() / "python";
    if (!fs::exists(module / "canopy") || !fs::exists("/usr/bin/python3")) {
        WARN("skipped: no Python module in this build");
        return;
    }
    const test::TempDir dir;
    const SmallDisk disk(dir / "disk", "256k");
    SKIP_UNLESS_MOUNTED(disk);
    write_quick_calibration(dir / "c.toml");
    const fs::path out = dir / "disk" / "py.h5";
    test::write_file(dir / "t.py", "import sys, canopy\n"
                                   "try:\n"
                                   "    canopy.calibrate(sys.argv[1], threads=1, out=sys.argv[2])\n"
                                   "    print('written')\n"
                                   "except Exception as e:\n"
                                   "    print('raised:', e)\n");
    bool raised = false;
    bool written = false;
    for (const std::uintmax_t free_kib : {0U, 16U, 32U, 48U, 64U, 200U}) {
        INFO(free_kib << " KiB free");
        disk.leave_free(free_kib * 1024);
        const std::string command = "cd " + shell_quote(dir.path().string()) +
                                    " && PYTHONPATH=" + shell_quote(module.string()) +
                                    " /usr/bin/python3 t.py c.toml " + shell_quote(out.string()) +
                                    " >py.out 2>&1";
        const int status = std::system(command.c_str());
        const std::string said = test::read_file(dir / "py.out");
        INFO(said);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0); // not 139
        CHECK(said.find("infinite loop") == std::string::npos);
        if (said.find("raised:") != std::string::npos) {
            raised = true;
            CHECK(said.find("No space left on device") != std::string::npos);
            CHECK_FALSE(fs::exists(out));
        } else {
            written = said.find("written") != std::string::npos;
            CHECK(written);
        }
        fs::remove(out);
    }
    CHECK(raised);
    CHECK(written); // 200 KiB is room enough
}

TEST_CASE("a run that cannot fit in memory is refused before it starts, with its estimate",
          "[cli][hardening]") {
    // Issue 6, item 7: 10^6 replicates (9 GB of kept series, 45 GB with --all-mixes) or a
    // million new firms a month ran until memory ran out.
    const std::string wuhan = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";
    const test::TempDir dir;
    test::write_file(dir / "out.json", "previous json\n");
    struct Case {
        std::string flags;
        std::string says;
    };
    const std::vector<Case> cases{
        {"--replicates 1000000 --all-mixes --max-memory 20G", "of kept series (1,000,000"},
        {"--replicates 1000 --set sme_entry_rate=1000000 --max-memory 1G", "agents at the horizon"},
        // The firms talent-programme recruits found: estimated at 8.6 MB without them, the
        // run peaked at 88 MB (362,839 firms).
        {"--replicates 1 --threads 1 --set talent_programme_recruits=1000000 --max-memory 20M",
         "agents at the horizon"},
    };
    for (const Case& c : cases) {
        INFO(c.flags);
        const Result r =
            run_canopy(dir, "run " + shell_quote(wuhan) + " --quiet --json out.json " + c.flags);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("the run would need about") != std::string::npos);
        CHECK(r.err.find(c.says) != std::string::npos);
        CHECK(r.err.find("--max-memory") != std::string::npos);
        CHECK(test::read_file(dir / "out.json") == "previous json\n");
    }
    // Without the flag, the limit is the memory the machine has: no machine has the 320 GB
    // that a million replicates of 20,000 indicators, base and one mix, would keep.
    std::string many = reference_with("[policy_mixes.other]\ndescription = \"d\"\n"
                                      "levers.lever_high_tech.scale = 2\n");
    for (int i = 0; i < 19990; ++i) { // and the reference scenario's own
        many += "[indicators.k" + std::to_string(i) +
                "]\nkind = \"stock\"\nseries = \"leader\"\nat = \"2023-12\"\n";
    }
    test::write_file(dir / "many.toml", many);
    const Result big =
        run_canopy(dir, "run many.toml --replicates 1000000 --all-mixes --quiet --json big.json");
    INFO(big.err);
    CHECK(big.status == 2);
    CHECK(big.err.find("of memory available") != std::string::npos);
    // The bytes per firm follow the ties per firm (an outside probe: 64 ties a firm took 1 GB
    // at a million firms while the estimate said 40 MB, and 20 million firms passed 8G).
    const Result ties = run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                            " -q --json t.json -n 1 -t 1 --set firms=1000000 --set "
                                            "edges_per_firm=64 --max-memory 500M");
    INFO(ties.err);
    CHECK(ties.status == 2);
    CHECK(ties.err.find("the run would need about 1.3 GB") != std::string::npos);
    // And a flag that is not a size is a bad flag.
    const Result bad = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --max-memory lots");
    CHECK(bad.status == 2);
    CHECK(bad.err.find("--max-memory") != std::string::npos);
    // Hexadecimal was read as decimal ("0x1F4K": 500K) and sizes past 2^64 bytes were taken.
    for (const std::string size : {"0x1F4K", "99999999999999999999G", "18446744073709551617"}) {
        const Result r = run_canopy(dir, "run " + shell_quote(REFERENCE) + " --max-memory " + size);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("--max-memory: must be a size such as 16G, 512M or 1.5T") !=
              std::string::npos);
        CHECK(r.err.find("got '" + size + "'") != std::string::npos);
        CHECK(r.out.empty());
    }
}

TEST_CASE("a sweep whose design or results cannot fit in memory is refused before it is made",
          "[cli][hardening]") {
    // Ten million points of five factors ended in std::bad_alloc (--design-only peaked at
    // 1.4 GB with two); a million points of 1,000 replicates with finals started without a
    // word. An outside tester's findings.
    const test::TempDir dir;
    test::write_file(dir / "many.toml", "[sweep]\nscenario = \"" + REFERENCE +
                                            "\"\ndesign = \"lhs\"\npoints = 10000000\n"
                                            "replicates = 2\nseed = 3\n"
                                            "[factors.births_per_month]\nmin = 10\nmax = 20\n");
    test::write_file(
        dir / "finals.toml",
        "[sweep]\nscenario = \"" + REFERENCE +
            "\"\ndesign = \"lhs\"\npoints = 1000000\nreplicates = 1000\nseed = 3\n"
            "outputs = [\"finals\"]\n[factors.births_per_month]\nmin = 10\nmax = 20\n");
    struct Case {
        std::string command;
        std::string says;
    };
    for (const Case& c : std::vector<Case>{
             {"sweep many.toml --design-only --out m.h5 --max-memory 100M",
              "(10,000,000 points x 1 factors), more than --max-memory 100M"},
             {"sweep finals.toml --out f.h5 --max-memory 1G",
              "with every replicate's final), more than --max-memory 1G; use fewer points or "
              "leave \"finals\" out of outputs"}}) {
        INFO(c.command);
        const Result r = run_canopy(dir, c.command);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("the design and its results would need about") != std::string::npos);
        CHECK(r.err.find(c.says) != std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"finals.toml", "many.toml"});
    }
}

TEST_CASE("a sweep's points and its design are counted together against the memory allowed",
          "[cli][hardening]") {
    // Each was checked alone: 20,000 points with finals (about 168 MB) and a point of 2 million
    // firms (about 432 MB on 2 threads) each fit in 500M, and the sweep started.
    const test::TempDir dir;
    test::write_file(dir / "both.toml",
                     "[sweep]\nscenario = \"" + REFERENCE +
                         "\"\ndesign = \"lhs\"\npoints = 20000\nreplicates = 200\nseed = 3\n"
                         "outputs = [\"finals\"]\n[factors.births_per_month]\nmin = 10\nmax = 20\n"
                         "[factors.firms]\nmin = 500\nmax = 2000000\n");
    const Result r = run_canopy(dir, "sweep both.toml --out b.h5 --threads 2 --max-memory 500M");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("(births_per_month = ") != std::string::npos);
    CHECK(r.err.find("firms = 19999") != std::string::npos);
    CHECK(r.err.find("would need about 432 MB") != std::string::npos); // the point alone
    CHECK(r.err.find("; with about 168 MB for the design and its results beside it, that is "
                     "more than --max-memory 500M; narrow the factor's range") !=
          std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"both.toml"});
    // The design and its results alone are within it too.
    const Result design =
        run_canopy(dir, "sweep both.toml --design-only --out d.h5 --max-memory 500M");
    INFO(design.err);
    CHECK(design.status == 0);
}

TEST_CASE("a posterior column that cannot be used is reported where it was chosen", "[cli]") {
    // The child chooses a baseline column of the posterior its parent names; the posterior was
    // fitted from 2013, the scenario starts in 2022. The message used to point at the parent's
    // `posterior` key, in the order "file:l:c: key: error:".
    const test::TempDir dir;
    const fs::path wuhan = fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "wuhan-2023.toml";
    test::write_file(
        dir / "child.toml",
        "extends = \"" + wuhan.string() + "\"" +
            "\n[scenario]\n"
            "posterior_parameters = [\"turnover_trend\", \"initial_turnover_rate\"]\n");
    for (const std::string command :
         {"run child.toml -n 2 --json r.json", "validate child.toml", "compare child.toml -n 2"}) {
        INFO(command);
        const Result r = run_canopy(dir, command);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.starts_with("child.toml:3:43: error: scenario.posterior_parameters[1]: "
                                "posterior '"));
        CHECK(r.err.find("the baseline figure 'initial_turnover_rate'") != std::string::npos);
        CHECK(entries(dir.path()) == std::vector<std::string>{"child.toml"});
    }
}

TEST_CASE("a model whose rules are monthly refuses weekly steps", "[cli][hardening]") {
    // An outside probe: the reference model ran `time_step = "week"` with its monthly births,
    // promotions and exits applied every week (4.4 times the births of the same months run
    // monthly), without a word. The ecosystem model scales its rates by the step and runs it.
    const test::TempDir dir;
    test::write_file(dir / "week.toml", reference_with("[scenario]\nname = \"ref_week\"\n"
                                                       "time_step = \"week\"\n"));
    const Result week = run_canopy(dir, "validate week.toml");
    INFO(week.err);
    CHECK(week.status == 2);
    CHECK(week.err.find("week.toml:4:13: error: scenario.time_step: model 'reference' runs "
                        "monthly steps only: bench/REFERENCE.md states its births, "
                        "promotions and exits per month (allowed: \"month\")") !=
          std::string::npos);
    check_refused(dir, {{"run week.toml -n 2 --json out.json", "runs monthly steps only"}});

    const std::string wuhan = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";
    test::write_file(dir / "eco.toml", "extends = \"" + wuhan + "\"" +
                                           "\n[scenario]\nname = \"eco_week\"\n"
                                           "time_step = \"week\"\n");
    const Result eco = run_canopy(dir, "validate eco.toml");
    INFO(eco.err);
    CHECK(eco.status == 0);
}

TEST_CASE("a wrong flag does not hide the other mistakes of a run", "[cli][hardening]") {
    // An outside probe: `run -q --set x=abc` said only that --quiet without an output would
    // show nothing; fixed that, the user met the bad --set on the next attempt.
    const test::TempDir dir;
    const Result set =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " -n 2 -q --set births_per_month=abc");
    INFO(set.err);
    CHECK(set.status == 2);
    CHECK(set.err.find("--quiet: with none of --json, --out, --report") != std::string::npos);
    CHECK(set.err.find("'abc' (the value of 'births_per_month') is not a number") !=
          std::string::npos);
    // A number a double cannot hold is said so, not "not a number".
    for (const auto& [value, said] : {std::pair<std::string, std::string>{"1e400", "too large"},
                                      {"-1e400", "too large"},
                                      {"1e-400", "too small for a number: it would read as 0"}}) {
        const Result huge =
            run_canopy(dir, "run " + shell_quote(REFERENCE) +
                                " -n 2 --json o.json --set births_per_month=" + value);
        INFO(huge.err);
        CHECK(huge.status == 2);
        CHECK(huge.err.find("'" + value + "' (the value of 'births_per_month') is " + said) !=
              std::string::npos);
    }
    const Result posterior =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " -n 2 -q --posterior nope.h5");
    INFO(posterior.err);
    CHECK(posterior.status == 2);
    CHECK(posterior.err.find("--quiet: with none of") != std::string::npos);
    CHECK(posterior.err.find("cannot read the calibration result 'nope.h5'") != std::string::npos);
    CHECK(entries(dir.path()).empty());
}

TEST_CASE("a wrong flag does not hide a bad posterior of compare or solve or levers",
          "[cli][hardening]") {
    // As `run` before it: compare, solve and levers stopped at a wrong flag before they read
    // --posterior, so a missing posterior surfaced only on the next attempt.
    const test::TempDir dir;
    const std::string reference = shell_quote(REFERENCE);
    const std::string posterior = "cannot read the calibration result 'nope.h5'";
    check_all_reported(dir, "compare " + reference + " -n 2 -q --posterior nope.h5",
                       {"--quiet: with none of --json, --out, --report", posterior});
    check_all_reported(dir,
                       "compare " + reference + " -n 2 --mix nope --out x.txt --posterior nope.h5",
                       {"--out: 'x.txt' must end in .h5", "has no policy mix 'nope'", posterior});
    check_all_reported(dir,
                       "solve " + reference +
                           " --target nope -P 0.9 --lever lever_high_tech --report r.txt "
                           "--posterior nope.h5",
                       {"--report: 'r.txt' must end in .html", "has no target 'nope'", posterior});
    check_all_reported(dir, "levers " + reference + " -q -r 2 --lever nolever --posterior nope.h5",
                       {"--quiet: with none of --json", "'nolever' is not a lever", posterior});
}

TEST_CASE("a bad posterior or policy mix does not hide a bad --set of a run", "[cli][hardening]") {
    // The posterior was read, and a bad one reported, before --set was looked at; an unknown
    // --policy-mix left --set unchecked. Each hid a bad --set until the next attempt.
    const test::TempDir dir;
    const std::string run = "run " + shell_quote(REFERENCE) + " -n 2 ";
    const std::string posterior = "cannot read the calibration result 'nope.h5'";
    const std::string not_a_number = "'abc' (the value of 'births_per_month') is not a number";
    check_all_reported(dir, run + "--posterior nope.h5 --set births_per_month=abc",
                       {posterior, not_a_number});
    check_all_reported(
        dir, run + "--policy-mix nope --set births_per_month=abc",
        {"--policy-mix: scenario 'reference' has no policy mix 'nope'", not_a_number});
    check_all_reported(dir, run + "--out x.txt --posterior nope.h5 --set nolever=3",
                       {"--out: 'x.txt' must end in .h5", posterior,
                        "'nolever' is not a parameter, baseline figure or lever"});
}

TEST_CASE("a ranges file that cannot be read does not hide the other mistakes of levers",
          "[cli][hardening]") {
    // `levers --ranges` with a bad file skipped the checks of --lever and of the replicates.
    const test::TempDir dir;
    test::write_file(dir / "one.toml",
                     reference_with("[scenario]\nname = \"one\"\nreplicates = 1\n"));
    check_all_reported(dir,
                       "levers " + shell_quote(REFERENCE) +
                           " -q -r 2 --json out.json --ranges nope.toml --lever nolever",
                       {"nope.toml: error: cannot read the file", "'nolever' is not a lever"});
    check_all_reported(dir, "levers one.toml -q --json out.json --ranges nope.toml",
                       {"nope.toml: error: cannot read the file",
                        "scenario 'one' runs 1 replicate ([scenario] replicates), too few for "
                        "paired intervals"});
}

TEST_CASE("a missing shard does not hide a bad --out of merge", "[cli][hardening]") {
    // The flag parser refused a shard that does not exist and stopped there.
    const test::TempDir dir;
    check_all_reported(dir, "merge nope.h5 --out merged.txt",
                       {"--out: 'merged.txt' must end in .h5",
                        "cannot read sweep result 'nope.h5': no such file"});
}

TEST_CASE("a --max-memory the runs exceed is reported with the other mistakes",
          "[cli][hardening]") {
    // The memory check ran only once every other check had passed: 'run S -q --max-memory 1K'
    // said only that --quiet would show nothing, and the memory surfaced on the next attempt.
    const test::TempDir dir;
    const std::string reference = shell_quote(REFERENCE);
    const std::string quiet = "--quiet: with none of";
    const std::string memory = "more than --max-memory 1K";
    check_all_reported(dir, "run " + reference + " -n 2 -q --max-memory 1K", {quiet, memory});
    check_all_reported(dir, "compare " + reference + " -n 2 -q --max-memory 1K", {quiet, memory});
    check_all_reported(dir,
                       "solve " + reference +
                           " -n 10 -q --target leaders_2023 -P 0.5 --lever lever_high_tech=0:2 "
                           "--max-memory 1K",
                       {quiet, "a setting at the top of the levers' ranges would need", memory});
    check_all_reported(dir,
                       "levers " + reference + " -r 2 -q --lever lever_high_tech --max-memory 1K",
                       {quiet, "a lever at the top of its range would need", memory});
    write_one_point_sweep(dir / "s.toml");
    check_all_reported(dir, "sweep s.toml --out x.txt --max-memory 1K",
                       {"--out: 'x.txt' must end in .h5", "design point 0", memory});
    // calibrate checked its largest candidate with the other inputs already.
    check_all_reported(
        dir,
        "calibrate " +
            shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference-calibration.toml") +
            " --out x.txt --max-memory 1K",
        {"--out: 'x.txt' must end in .h5", memory});
}

TEST_CASE("a value the flag parser refuses does not hide the other mistakes", "[cli][hardening]") {
    // CLI11 stopped at the first value it refused: 'run S -n abc -q --set births_per_month=abc'
    // said only that --replicates was not a number; --quiet and --set surfaced on the next
    // attempts. Each refused value is now reported with the command's own checks.
    const test::TempDir dir;
    const std::string reference = shell_quote(REFERENCE);
    check_all_reported(dir, "run " + reference + " -n abc -q --set births_per_month=abc",
                       {"--replicates: 'abc' is not a number (allowed: 1 to 1000000)",
                        "--quiet: with none of",
                        "'abc' (the value of 'births_per_month') is not a number"});
    check_all_reported(dir, "run " + reference + " --seed -3 --interval wald -t 1.5 --out x.txt",
                       {"--seed: -3 is out of range (allowed: 0 to 18446744073709551615",
                        "--interval: ", "--threads: '1.5' is not a whole number in digits",
                        "--out: 'x.txt' must end in .h5"});
    check_all_reported(dir, "compare " + reference + " -n 0 --max-memory lots -q --mix nope",
                       {"--replicates: 0 is out of range (allowed: 2 to 1000000",
                        "--max-memory: must be a size such as 16G, 512M or 1.5T",
                        "--quiet: with none of", "has no policy mix 'nope'"});
    check_all_reported(
        dir,
        "solve " + reference +
            " -q -n 5 --precision 2 -P 0.5 --target nope --lever lever_high_tech=0:2",
        {"--replicates: 5 is out of range (allowed: 10 to 1000000",
         "--precision: 2 is out of range", "--quiet: with none of", "has no target 'nope'"});
    check_all_reported(dir, "levers " + reference + " -q -r 1 -t 0 --lever nolever",
                       {"--replicates: 1 is out of range (allowed: 2 to 1000000",
                        "--threads: 0 is out of range (allowed: 1 to 4096", "--quiet: with none of",
                        "'nolever' is not a lever"});
    check_all_reported(
        dir,
        "calibrate " +
            shell_quote(std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference-calibration.toml") +
            " --fit-until 0 --method nope --seed x --out x.txt",
        {"--fit-until: 0 is out of range (allowed: 1 to 9999",
         "--method: ", "--seed: 'x' is not a number (allowed: 0 to 18446744073709551615)",
         "--out: 'x.txt' must end in .h5"});
    check_all_reported(
        dir, "sensitivity nope.h5 --bootstrap 0 --confidence x",
        {"--bootstrap: must be a whole number from 100 to 1000000, got '0'",
         "--confidence: 'x' is not a number (allowed: a number strictly between 0 and 1",
         "nope.h5"});
    write_one_point_sweep(dir / "s.toml");
    check_all_reported(
        dir, "sweep s.toml -t 0 --out x.txt",
        {"--threads: 0 is out of range (allowed: 1 to 4096", "--out: 'x.txt' must end in .h5"});
    // What CLI11 cannot parse past still stops it, after the values refused before.
    check_all_reported(dir, "sweep s.toml -t 0",
                       {"--threads: 0 is out of range (allowed: 1 to 4096", "--out is required"});
    check_all_reported(
        dir, "run " + reference + " -n abc --replicate 3",
        {"--replicates: 'abc' is not a number", "'canopy run' has no option '--replicate'"});
}

TEST_CASE("a flag the command does not have does not hide the other mistakes", "[cli][hardening]") {
    // CLI11 stopped at a flag it did not know: 'sweep s.toml --shard 5/2 --bogus --out x.h5'
    // named --bogus but not the shard that does not exist. The flag is now named, and dropped
    // (with its value) so that the command's own checks run too.
    const test::TempDir dir;
    const std::string reference = shell_quote(REFERENCE);
    write_one_point_sweep(dir / "s.toml");
    check_all_reported(dir, "sweep s.toml --shard 5/2 --bogus --out x.h5 -t 0",
                       {"--threads: 0 is out of range (allowed: 1 to 4096",
                        "'canopy sweep' has no option '--bogus'",
                        "--shard: shard 5/2 does not exist", "nothing was run or written"});
    check_all_reported(dir, "run " + reference + " --replicate 10 -q --intervall wald",
                       {"'canopy run' has no option '--replicate'; did you mean '--replicates'?",
                        "'canopy run' has no option '--intervall'; did you mean '--interval'?",
                        "--quiet: with none of"});
    // The word after a misspelt flag that takes a value is that value, not the scenario file
    // (and CLI11 must not keep it as the scenario from the first attempt at parsing).
    const Result r = run_canopy(dir, "run --seed=3 --sed 3 -x");
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("'canopy run' has no option '--sed'; did you mean '--seed'?") !=
          std::string::npos);
    CHECK(r.err.find("'canopy run' has no option '-x'") != std::string::npos);
    CHECK(r.err.find("scenario") == std::string::npos);
    CHECK(r.out.empty());
    // A word CLI11 places where it belongs stays there: the scenario after an unknown flag.
    check_all_reported(dir, "run --bogus " + reference + " -n 0",
                       {"'canopy run' has no option '--bogus'",
                        "--replicates: 0 is out of range (allowed: 1 to 1000000"});
    // A short unknown flag's value too (a word CLI11 placed nowhere).
    const Result z = run_canopy(dir, "run " + reference + " -z 5 -n 0");
    INFO(z.err);
    CHECK(z.status == 2);
    CHECK(z.err.find("'canopy run' has no option '-z'") != std::string::npos);
    CHECK(z.err.find("--replicates: 0 is out of range") != std::string::npos);
    CHECK(z.err.find("not expected") == std::string::npos);
    // An unknown flag before the command still stops it, as it is reported as it is.
    check_all_reported(dir, "--bogus run " + reference, {"'canopy' has no option '--bogus'"});
}

TEST_CASE("run writes its JSON, HDF5 and report under names of up to 255 bytes",
          "[cli][hardening]") {
    // A 250-byte --json name was refused as too long, by its temporary's name.
    const test::TempDir dir;
    const std::string json = std::string(250, 'j');
    const std::string h5 = std::string(252, 'h') + ".h5";
    const std::string html = std::string(250, 'r') + ".html";
    const Result r =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " --replicates 4 --quiet --json " + json +
                            " --out " + h5 + " --report " + html);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::vector<std::string> expected{json, h5, html};
    std::sort(expected.begin(), expected.end());
    CHECK(entries(dir.path()) == expected);
    CHECK(test::read_file(dir / json).find("\"targets\"") != std::string::npos);
}

TEST_CASE("an output name longer than its directory allows is refused before any work",
          "[cli][hardening]") {
    // A 256-byte --out ran the whole computation and failed at the final rename ("cannot rename
    // the finished output"; calibrate: an internal error), leaving a sweep's journal behind.
    const test::TempDir dir;
    test::write_file(dir / "s.toml", "[sweep]\nscenario = \"" + REFERENCE +
                                         "\"\ndesign = \"lhs\"\npoints = 2\nreplicates = 2\n"
                                         "[factors.births_per_month]\nmin = 10\nmax = 20\n");
    const std::string name = std::string(253, 'b') + ".h5";
    for (const std::string& command :
         {"run " + shell_quote(REFERENCE) + " --replicates 2 --out " + name,
          "run " + shell_quote(REFERENCE) + " --replicates 2 --json " + std::string(251, 'j') +
              ".json",
          "sweep s.toml --out " + name, "merge s.h5 --out " + name,
          "calibrate " +
              shell_quote(std::string(CANOPY_SOURCE_DIR) +
                          "/scenarios/reference-calibration.toml") +
              " --out " + name}) {
        INFO(command);
        const Result r = run_canopy(dir, command + " --quiet");
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK_THAT(r.err, Catch::Contains("is 256 bytes long, more than the 255 a name may have"));
        CHECK(entries(dir.path()) == std::vector<std::string>{"s.toml"});
    }
}

TEST_CASE("a repeatable flag before the scenario takes one value", "[cli][hardening]") {
    // `compare --mix high_tech_push scenario.toml` took the scenario for a second mix ("no
    // policy mix 'scenario.toml'"), and so did `levers --lever` and `solve --lever`; `run --set`
    // and `sensitivity --target` already took one value a flag.
    const test::TempDir dir;
    const std::string ref = shell_quote(REFERENCE);
    for (const std::string& command :
         {"compare --mix high_tech_push " + ref + " -n 2 --json out.json",
          "levers --lever lever_high_tech " + ref + " -n 2 --json out.json",
          "solve --lever lever_high_tech " + ref +
              " --target leaders_2023 -P 0.5 -n 10 --json out.json",
          "run --set births_per_month=12 " + ref + " -n 2 --json out.json"}) {
        INFO(command);
        fs::remove(dir / "out.json");
        const Result r = run_canopy(dir, command + " --quiet");
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(fs::exists(dir / "out.json"));
    }
}

TEST_CASE("levers refuses a lever named twice, and levers it cannot measure", "[cli][hardening]") {
    // The repeat was dropped silently; a lever at 0 (no default range) printed three empty
    // tables and exited 0, having measured nothing.
    const test::TempDir dir;
    const Result twice = run_canopy(dir, "levers " + shell_quote(REFERENCE) +
                                             " --lever lever_sme --lever lever_sme -n 4");
    CHECK(twice.status == 2);
    CHECK(twice.err.find("--lever: 'lever_sme' is named twice; name each lever once") !=
          std::string::npos);
    test::write_file(dir / "zero.toml",
                     reference_with("[levers.lever_sme]\nvalue = 0\nsource = \"t\"\n"));
    const Result zero = run_canopy(dir, "levers zero.toml --lever lever_sme -n 4 --json z.json");
    INFO(zero.err);
    CHECK(zero.status == 2);
    CHECK(zero.err.find("--lever: no lever named can be measured (lever_sme: ") !=
          std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"zero.toml"});
    // Without targets it ran every ensemble and printed a header alone, exit 0.
    test::write_file(dir / "none.toml",
                     "remove = [\"targets.leaders_2023\", \"targets.high_tech_growth\", "
                     "\"targets.exits_2023\"]\n" +
                         reference_with(""));
    const Result none = run_canopy(dir, "levers none.toml -n 4 --json n.json");
    INFO(none.err);
    CHECK(none.status == 2);
    CHECK(none.err.find("has no targets, and levers measures each lever's effect on the "
                        "targets") != std::string::npos);
    fs::remove(dir / "none.toml");
    // One replicate gave zero-width paired intervals in compare and --report-levers.
    const Result compare = run_canopy(dir, "compare " + shell_quote(REFERENCE) + " -n 1");
    CHECK(compare.status == 2);
    CHECK(compare.err.find("--replicates") != std::string::npos);
    const Result report =
        run_canopy(dir, "run " + shell_quote(REFERENCE) + " -n 1 --report r.html --report-levers");
    CHECK(report.status == 2);
    CHECK(report.err.find("--report-levers: 1 replicate is too few") != std::string::npos);
    CHECK(entries(dir.path()) == std::vector<std::string>{"zero.toml"});
}

TEST_CASE("a child that changes the budget's currency is named in its parent's errors",
          "[cli][hardening]") {
    // An outside tester: the errors all pointed at the parent's cost_unit lines, which the
    // child had not touched, and nothing at the line that made them wrong.
    const test::TempDir dir;
    test::write_file(dir / "cur.toml",
                     reference_with("[scenario]\nname = \"cur\"\n[budget]\ncurrency = \"m yuan\"\n"
                                    "assumption = \"reported in millions\"\n"));
    check_refused(dir, {{"validate cur.toml", "levers.lever_high_tech.cost_unit: 'bn yuan' is "
                                              "not the budget's currency 'm yuan'"},
                        {"validate cur.toml", "budget.currency is set at cur.toml:5"}});
}

TEST_CASE("a cost_unit that would re-read a rate, or price nothing, is refused",
          "[cli][hardening]") {
    // An outside tester added cost_unit = "yuan" to an inherited lever for a new per-outcome
    // price; the parent's cost_per_unit_year, written in m yuan, was silently read in yuan.
    const test::TempDir dir;
    test::write_file(dir / "unit.toml",
                     reference_with("[levers.lever_high_tech]\ncost_unit = \"m yuan\"\n"));
    const Result unit = run_canopy(dir, "validate unit.toml");
    INFO(unit.err);
    CHECK(unit.status == 2);
    CHECK(unit.err.find("unit.toml:") != std::string::npos);
    CHECK(unit.err.find("levers.lever_high_tech.cost_unit: 'm yuan' would also be the unit of "
                        "cost_per_unit_year, cost_per_unit_added as") != std::string::npos);
    CHECK(unit.err.find("(in 'bn yuan' there)") != std::string::npos);
    // Writing the rates again in the new unit is the way.
    test::write_file(dir / "both.toml",
                     reference_with("[levers.lever_high_tech]\ncost_unit = \"m yuan\"\n"
                                    "cost_per_unit_year = 500\ncost_per_unit_added = 100\n"
                                    "assumption = \"the parent's rates in m yuan\"\n"));
    const Result both = run_canopy(dir, "validate both.toml");
    INFO(both.err);
    CHECK(both.status == 0);

    // A lever priced at its level, in its own unit, with no rate for cost_unit to be the unit
    // of: "m yuan" changed nothing, without a word.
    const std::string wuhan = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";
    test::write_file(dir / "level.toml", "extends = \"" + wuhan +
                                             "\"\n[levers.hte_certification_reward]\n"
                                             "cost_unit = \"m yuan\"\n");
    const Result level = run_canopy(dir, "validate level.toml");
    INFO(level.err);
    CHECK(level.status == 2);
    CHECK(level.err.find("levers.hte_certification_reward.cost_unit: 'm yuan' prices nothing: "
                         "the lever is priced at its level, in its own unit '10k yuan'") !=
          std::string::npos);

    // Priced at a level in a unit the budget cannot convert: said once, at the price (it was
    // also said at a cost_unit the file does not have).
    test::write_file(dir / "index.toml", "extends = \"" + wuhan +
                                             "\"\n[levers.sme_outreach]\n"
                                             "cost_per_outcome = \"level\"\n"
                                             "cost_outcome = \"tech_smes_registered\"\n");
    const Result index = run_canopy(dir, "validate index.toml");
    INFO(index.err);
    CHECK(index.status == 2);
    CHECK(index.err.find("index.toml:3:20: error: levers.sme_outreach.cost_per_outcome: the price "
                         "is the lever's level, in 'index'") != std::string::npos);
    CHECK(index.err.find("cost_unit") == std::string::npos);
}
