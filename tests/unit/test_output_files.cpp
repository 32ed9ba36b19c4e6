// Atomic output files and the checks made on output paths before a run.
#include "output_fixture.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/output/files.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace canopy;
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
}

TEST_CASE("write_file_atomically into a missing directory throws with the path",
          "[output][files]") {
    const test::TempDir dir;
    const auto path = dir / "missing" / "x.json";
    CHECK_THROWS_WITH(output::write_file_atomically(path, "x"), Catch::Contains(path.string()));
}
