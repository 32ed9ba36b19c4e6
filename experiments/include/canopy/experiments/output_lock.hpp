#pragma once
/// @file
/// One writer per result: the lock a sweep or calibration holds on its --out (and so on its
/// journal and temporaries) for as long as it runs, so that a second run with the same --out —
/// a requeued cluster job while the first still lives — is refused instead of computing the
/// same points, appending to the same journal and deleting it under the other.

#include <filesystem>
#include <memory>
#include <string>

namespace canopy::experiments {

/// Removes the temporaries of `target` ("<target>.tmp.<pid>.<n>", regular files beside it) whose
/// process no longer exists on this host: left by a writer killed while writing (SIGKILL, a
/// power cut). A process that exists keeps its files, whoever it is. Returns how many were
/// removed. Every writer of results calls it (output::TemporaryFile, OutputLock).
std::size_t remove_dead_temporaries(const std::filesystem::path& target);

/// An exclusive, non-blocking flock(2) on "<out>.lock", which holds the owner's pid and host.
/// The kernel releases it when the process ends, however it ends (kill -9 included), so it never
/// outlives its owner; the file is removed when the lock is released. Under MPI only the rank
/// that writes (the root) takes it.
class OutputLock {
public:
    /// Takes the lock on writing `out`, or returns nullptr and sets `problem` ("'OUT' is being
    /// written by another process (pid P on host H)", or why the lock file cannot be made).
    static std::unique_ptr<OutputLock> take(const std::filesystem::path& out, std::string& problem);
    ~OutputLock();
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;

    /// Removes the temporaries of `out` ("<out>.tmp.<pid>.<n>") left by writers killed while
    /// writing: with the lock held no other sweep or calibration writes `out`, and files of a
    /// process still alive on this host (another command writing the same name) are kept.
    /// Returns how many were removed.
    std::size_t remove_stale_temporaries() const;

    /// The lock file's path ("<out>.lock").
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    OutputLock(std::filesystem::path out, std::filesystem::path path, int fd)
        : out_(std::move(out))
        , path_(std::move(path))
        , fd_(fd) {}
    std::filesystem::path out_;
    std::filesystem::path path_;
    int fd_ = -1;
};

} // namespace canopy::experiments
