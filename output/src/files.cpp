// Atomic output files: temporary file, fsync, rename, fsync of the directory.
#include <canopy/engine/error.hpp>
#include <canopy/output/files.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace canopy::output {

namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

std::string errno_text(int e) {
    return std::strerror(e);
}

// The file a write to `target` really replaces: a symbolic link is followed (so the link
// survives and points at the new file), a missing file stays as given.
fs::path resolve(const fs::path& target) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(target, ec))) {
        const fs::path resolved = fs::weakly_canonical(target, ec);
        if (!ec) {
            return resolved;
        }
    }
    return target;
}

fs::path directory_of(const fs::path& target) {
    const fs::path parent = target.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

void sync_fd(int fd, const fs::path& what) {
    if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        // EINVAL/EROFS: the file system cannot sync (a pipe, some tmpfs); nothing to lose.
        throw Error("cannot flush " + quoted(what) + " to disk: " + errno_text(errno));
    }
}

} // namespace

std::string output_path_problem(const fs::path& given) {
    if (given.empty()) {
        return "the path is empty";
    }
    const fs::path target = resolve(given);
    std::error_code ec;
    const fs::file_status st = fs::status(target, ec);
    if (fs::exists(st)) {
        if (fs::is_directory(st)) {
            return quoted(given) + " is a directory";
        }
        if (!fs::is_regular_file(st)) {
            return quoted(given) + " exists and is not a regular file";
        }
    }
    const fs::path dir = directory_of(target);
    const fs::file_status dst = fs::status(dir, ec);
    if (!fs::exists(dst)) {
        return "directory " + quoted(dir) + " does not exist";
    }
    if (!fs::is_directory(dst)) {
        return quoted(dir) + " is not a directory";
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return "directory " + quoted(dir) + " is not writable";
    }
    if (fs::exists(st) && ::access(target.c_str(), W_OK) != 0) {
        // rename() could replace it, but a read-only file is a sign it should not be.
        return quoted(given) + " exists and is read-only";
    }
    return {};
}

TemporaryFile::TemporaryFile(const fs::path& target)
    : target_(resolve(target)) {
    static std::atomic<unsigned> counter{0};
    const std::string stem = target_.string() + ".tmp." + std::to_string(::getpid()) + ".";
    for (int attempt = 0; attempt < 1000; ++attempt) {
        fs::path candidate = stem + std::to_string(counter++);
        const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            ::close(fd);
            temp_ = std::move(candidate);
            return;
        }
        if (errno != EEXIST) {
            throw Error("cannot create a temporary file for " + quoted(target) + " in " +
                        quoted(directory_of(target_)) + ": " + errno_text(errno));
        }
    }
    throw Error("cannot create a temporary file for " + quoted(target) +
                ": every candidate name is taken");
}

TemporaryFile::~TemporaryFile() {
    if (!committed_ && !temp_.empty()) {
        std::error_code ec;
        fs::remove(temp_, ec); // best effort: nothing useful to do if it fails
    }
}

void TemporaryFile::commit() {
    const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw Error("cannot reopen the temporary file for " + quoted(target_) + ": " +
                    errno_text(errno));
    }
    try {
        sync_fd(fd, temp_);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
        throw Error("cannot rename the finished output to " + quoted(target_) + ": " +
                    errno_text(errno));
    }
    committed_ = true;
    // Make the rename itself durable. A failure here does not undo a complete, renamed file.
    const int dir = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

void write_file_atomically(const fs::path& target, std::string_view text) {
    TemporaryFile temp(target);
    std::FILE* f = std::fopen(temp.path().c_str(), "wb");
    if (f == nullptr) {
        throw Error("cannot write " + quoted(target) + ": " + errno_text(errno));
    }
    const std::size_t written = std::fwrite(text.data(), 1, text.size(), f);
    const bool flushed = std::fflush(f) == 0;
    const int e = errno;
    const bool closed = std::fclose(f) == 0;
    if (written != text.size() || !flushed || !closed) {
        throw Error("cannot write " + quoted(target) + ": " + errno_text(e));
    }
    temp.commit();
}

} // namespace canopy::output
