#pragma once
// Running build/bin/canopy from the tests: exit status, stdout and stderr of one invocation.
#include "../unit/output_fixture.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace canopy::test::cli {

namespace fs = std::filesystem;

inline const std::string CANOPY = std::string(CANOPY_BIN_DIR) + "/canopy";
inline const std::string REFERENCE = std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference.toml";

struct Result {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

// Runs `canopy <args>` (args already shell-quoted where needed) in `dir`, capturing output.
inline Result run_canopy(const TempDir& dir, const std::string& args,
                         const std::string& redirect = "") {
    const fs::path out = dir / "stdout.txt";
    const fs::path err = dir / "stderr.txt";
    const std::string command = "cd " + shell_quote(dir.path().string()) + " && NO_COLOR=1 " +
                                shell_quote(CANOPY) + " " + args + " 2>" +
                                shell_quote(err.string()) +
                                (redirect.empty() ? " >" + shell_quote(out.string()) : redirect);
    const int raw = std::system(command.c_str());
    Result r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    fs::remove(out);
    fs::remove(err);
    return r;
}

inline std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace canopy::test::cli
