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
#include <string>
#include <string_view>

namespace canopy::output {

/// Why `target` cannot be an output file, or empty when it can: its directory must exist and
/// be writable, and the target itself must not exist or be a regular file (a symbolic link is
/// followed). Checked before a run so that bad paths fail before any work is done.
std::string output_path_problem(const std::filesystem::path& target);

/// A temporary file beside a target, created (empty, exclusively) on construction and
/// removed on destruction unless commit() renamed it over the target.
class TemporaryFile {
public:
    /// Creates the file. Throws canopy::Error naming the target if it cannot.
    explicit TemporaryFile(const std::filesystem::path& target);
    ~TemporaryFile();
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    /// The temporary file's path (to write into).
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return temp_; }
    /// The path the file will have after commit (symbolic links resolved).
    [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

    /// Flushes the finished file to disk and renames it over the target. Throws canopy::Error
    /// naming the target on failure (the temporary is then removed, the target untouched).
    void commit();

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    bool committed_ = false;
};

/// Writes `text` to `target` atomically (see the file comment). Throws canopy::Error naming
/// the target on failure.
void write_file_atomically(const std::filesystem::path& target, std::string_view text);

} // namespace canopy::output
