#pragma once
// Running build/bin/canopy from the tests: exit status, stdout and stderr of one invocation, and
// a run killed part-way for the --resume tests.
#include "../unit/output_fixture.hpp"

#include <catch2/catch.hpp>
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char** environ;

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

// Complete records in a journal (docs/sweeps.md gives the layout): what a resumed run can read
// back. `end_of_last`, when given, receives the offset just past the last complete record.
inline std::size_t journal_records(const fs::path& path, std::size_t* end_of_last = nullptr) {
    const std::string bytes = read_file(path);
    const auto u64 = [&](std::size_t at) {
        std::uint64_t x = 0;
        std::memcpy(&x, bytes.data() + at, sizeof x);
        return x;
    };
    std::size_t at = 16;
    if (bytes.size() < at + 8) {
        return 0;
    }
    at += 8 + u64(16) + 8;
    std::size_t n = 0;
    while (at + 16 <= bytes.size()) {
        const std::uint64_t length = u64(at + 8);
        if (at + 16 + length + 8 > bytes.size()) {
            break;
        }
        at += 16 + length + 8;
        ++n;
    }
    if (end_of_last != nullptr) {
        *end_of_last = at;
    }
    return n;
}

// The words of `canopy <args>`, and an argv for posix_spawn pointing into them (null-ended; it
// lives as long as `words` is not changed).
inline std::vector<std::string> canopy_words(const std::vector<std::string>& args) {
    std::vector<std::string> words{CANOPY};
    words.insert(words.end(), args.begin(), args.end());
    return words;
}
inline std::vector<char*> argv_of(std::vector<std::string>& words) {
    std::vector<char*> argv;
    for (std::string& w : words) {
        argv.push_back(w.data());
    }
    argv.push_back(nullptr);
    return argv;
}

// Starts `canopy <args>` (each argument as it is, no shell), waits until `journal` holds at least
// `records` complete records or `timeout` has passed, then kills it with SIGKILL, as a crash or a
// cluster's pre-emption would (or with `signal_number`: SIGTERM from a scheduler, SIGINT from
// Ctrl-C), and returns its wait status. Its stderr goes to `err` when one is given.
inline int kill_once_journalled(const std::vector<std::string>& args, const fs::path& journal,
                                std::size_t records, std::chrono::seconds timeout,
                                int signal_number = SIGKILL, const fs::path& err = {}) {
    std::vector<std::string> words = canopy_words(args);
    std::vector<char*> argv = argv_of(words);
    pid_t pid = 0;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!err.empty()) {
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
    }
    const int spawned = posix_spawn(&pid, CANOPY.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        throw std::runtime_error("cannot start " + CANOPY);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline &&
           (!fs::exists(journal) || journal_records(journal) < records)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(pid, signal_number);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

/// A string attribute `name` of `object` in the HDF5 file at `file_path`.
inline std::string string_attr(const fs::path& file_path, const std::string& object,
                               const std::string& name) {
    const hid_t file = H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t a = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    const hid_t t = H5Aget_type(a);
    char* value = nullptr;
    REQUIRE(H5Aread(a, t, &value) >= 0);
    std::string out = value != nullptr ? value : "";
    H5free_memory(value);
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(file);
    return out;
}

} // namespace canopy::test::cli
