#pragma once
/// @file
/// One writer per result: the lock a sweep or calibration holds on its --out (and so on its
/// journal and temporaries) for as long as it runs, so that a second run with the same --out —
/// a requeued cluster job while the first still lives — is refused instead of computing the
/// same points, appending to the same journal and deleting it under the other.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace canopy::experiments {

/// The most bytes a suffix given to beside() may have (".tmp.<pid>.<n>" with 10-digit numbers).
inline constexpr std::size_t BESIDE_SUFFIX_BYTES = 32;

/// The path of a file that belongs to `target` and lives beside it (its lock, journal,
/// temporaries): "<target><suffix>". A name too long to leave room for any suffix within the
/// 255 bytes a directory entry holds is shortened first, the same way for every suffix, to its
/// first bytes (whole UTF-8 characters), "~" and 16 hex digits of a hash of the whole name, so a
/// legal output name never fails for its helpers' names and each name keeps its own helpers.
/// `suffix` has at most BESIDE_SUFFIX_BYTES bytes.
std::filesystem::path beside(const std::filesystem::path& target, std::string_view suffix);

/// The file a write to `target` really replaces: a symbolic link is followed (so the link
/// survives and points at the new file), also when what it names does not exist yet (a dangling
/// link: its target is created, read relative to the link's directory, as open() would), and a
/// missing file stays as given. A loop of links is left as given (the writers' path checks
/// refuse it). Every writer of an output renames its temporary over this path
/// (docs/output-format.md, "Symbolic links").
std::filesystem::path write_target(const std::filesystem::path& target);

/// The n-th temporary of process `pid` for `target`: beside(target, ".tmp.<pid>.<n>").
std::filesystem::path temporary_path(const std::filesystem::path& target, long pid,
                                     unsigned long n);

/// The n-th backup of process `pid` for `target`: beside(target, ".old.<pid>.<n>"), a second
/// name (hard link) for the previous file while several outputs are committed together.
std::filesystem::path backup_path(const std::filesystem::path& target, long pid, unsigned long n);

/// Removes the temporaries and backups of `target` (temporary_path(), backup_path(), regular
/// files beside it) whose process no longer exists on this host: left by a writer killed while
/// writing or committing (SIGKILL, a power cut). A process that exists keeps its files, whoever it
/// is. Returns how many were removed. Every writer of results calls it (output::TemporaryFile,
/// OutputLock).
std::size_t remove_dead_temporaries(const std::filesystem::path& target);

/// An exclusive, non-blocking flock(2) on "<out>.lock" (beside()), which holds the owner's pid and
/// host. The kernel releases it when the process ends, however it ends (kill -9 included), so it
/// never outlives its owner; the file is removed when the lock is released. Under MPI only the rank
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
