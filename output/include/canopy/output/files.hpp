#pragma once
/// \file files.hpp
/// Output files that are either complete or absent.
///
/// Every output is written to a fresh temporary file in the target's own directory (so the
/// final rename never crosses file systems), flushed to disk, and renamed over the target only
/// once it is complete. A crash or an error at any point leaves the old file, if there was one,
/// untouched and no partial file under the real name; the temporary is removed on error.
/// Temporary names are "<target>.tmp.<pid>.<n>", which .gitignore already ignores for *.h5.

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace canopy::output {

/// Why `out` cannot name an HDF5 output, as the words after the quoted path (" must end in
/// .h5 (...)", " needs a name before .h5 (...)"), or empty when its name is FILE.h5.
std::string h5_name_problem(const std::string& out);

/// Why `target` cannot be an output file, or empty when it can: its directory must exist and
/// accept a new file, and the target itself must not exist or be a regular file (a symbolic link
/// is followed, a dangling one to the file it names, which the write creates). Whether a file can
/// be created is tried, not read from the permission bits (root passes those everywhere, /proc
/// refuses files all the same): a temporary file is created beside the target and removed at once,
/// so nothing is left. Checked before a run so that bad paths fail before any work is done.
std::string output_path_problem(const std::filesystem::path& target);

/// A path a command reads or writes, with the flag or key that named it (for messages).
struct NamedPath {
    std::string name; ///< e.g. "--json", or "the scenario"
    std::filesystem::path path;
};

/// The absolute, normalised form of a path, symbolic links resolved as far as the path exists
/// (and a dangling link at its end to the file it names), so that two names of one file ("s.h5",
/// "./s.h5", "$PWD/s.h5", a link to it) compare equal.
std::filesystem::path absolute_normal(const std::filesystem::path& path);

/// Whether two paths name the same file: the same absolute_normal form, or (when both exist)
/// the same file on disk (a hard link).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

/// Every clash among the files of one command, one message each naming both: two outputs that
/// are one file (the second would replace the first), or an output that is one of the inputs
/// (it would overwrite a file the command reads, such as the scenario or a file it extends).
/// Checked before a run, so that no work is done for outputs that cannot all be kept.
std::vector<std::string> path_clashes(const std::vector<NamedPath>& outputs,
                                      const std::vector<NamedPath>& inputs);

/// Removes, on SIGINT, SIGTERM or SIGHUP, every temporary file still open (so an interrupted
/// write leaves nothing behind), then lets the signal end the process as it would have; a signal
/// that comes while commit_all renames holds until its last rename, so the outputs are all old
/// or all new. Meant for programs, not libraries: the command line calls it once at start-up.
void remove_temporaries_on_signals();

/// While it lives, and with remove_temporaries_on_signals in force, SIGINT, SIGTERM or SIGHUP
/// also removes `remove` (a lock file this process holds: removed while still held, as its owner
/// removes it) and, when `when_exists` exists then, first writes `message` to stderr (how to go
/// on: the --resume command). Destroy it before the caller removes `remove` itself, so that a
/// later signal cannot remove a file another process has since made under that name.
class OnSignal {
public:
    OnSignal(const std::filesystem::path& remove, const std::filesystem::path& when_exists,
             const std::string& message);
    ~OnSignal();
    OnSignal(const OnSignal&) = delete;
    OnSignal& operator=(const OnSignal&) = delete;

private:
    int slot_ = -1;
    bool said_ = false;
};

/// A temporary file beside a target, created (empty, exclusively) on construction and
/// removed on destruction unless commit() renamed it over the target. Creating one also removes
/// the temporaries of the same target left by processes that no longer exist (killed
/// outright, say, where no signal handler could run).
class TemporaryFile {
public:
    /// Creates the file. Throws canopy::Error naming the target if it cannot.
    explicit TemporaryFile(const std::filesystem::path& target);
    ~TemporaryFile();
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    TemporaryFile(TemporaryFile&& other) noexcept;
    TemporaryFile& operator=(TemporaryFile&&) = delete;

    /// The temporary file's path (to write into).
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return temp_; }
    /// The path the file will have after commit (symbolic links resolved).
    [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

    /// Flushes the finished file to disk (fsync). Throws canopy::Error naming the target on
    /// failure (a full disk often shows only here).
    void sync();

    /// Flushes the finished file to disk and renames it over the target. Throws canopy::Error
    /// naming the target on failure (the temporary is then removed, the target untouched).
    void commit();

private:
    friend void commit_all(std::span<TemporaryFile* const> files);
    void rename_into_place();
    void forget() noexcept;

    std::filesystem::path target_;
    std::filesystem::path temp_;
    bool committed_ = false;
    int slot_ = -1; ///< in the table of temporaries removed on a signal
};

/// Commits several outputs of one command as one: every file is flushed to disk first, then
/// each is renamed into place; if a rename fails, those already renamed are undone (the
/// previous file put back, or the new one removed), so the command leaves all of its outputs
/// or none (as far as the file system allows: each single rename is atomic, the set is not).
/// Each previous file is kept meanwhile under a second name, "<target>.old.<pid>.<n>"
/// (experiments::backup_path), removed at the end; one left by a process killed outright is
/// removed by the next write to the target. SIGINT, SIGTERM and SIGHUP wait for the renames to
/// end (remove_temporaries_on_signals). Throws canopy::Error naming the target that failed.
void commit_all(std::span<TemporaryFile* const> files);

/// `text` in a finished temporary file for `target`, to commit (with others) later. Throws
/// canopy::Error naming the target on failure.
TemporaryFile write_temporary(const std::filesystem::path& target, std::string_view text);

/// Writes `text` to `target` atomically (see the file comment). Throws canopy::Error naming
/// the target on failure.
void write_file_atomically(const std::filesystem::path& target, std::string_view text);

} // namespace canopy::output
