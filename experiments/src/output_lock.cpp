// The lock on writing a result (output_lock.hpp): flock(2) on "<out>.lock".
//
// The lock file is removed when the lock is released. That is safe with the usual check: a
// process that wins the flock also checks that the path still names the file it locked (a
// holder may have removed it meanwhile), and starts again when it does not.
#include <canopy/experiments/output_lock.hpp>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace canopy::experiments {

namespace fs = std::filesystem;

namespace {

// The longest name of a directory entry (NAME_MAX on Linux).
constexpr std::size_t ENTRY_BYTES = 255;

// FNV-1a, 64 bits: the same on every host and run, so a later process finds the same names.
std::uint64_t name_hash(std::string_view text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

// `name` itself when it leaves room for any suffix, else its shortened form (beside()).
std::string stem_of(const std::string& name) {
    if (name.size() + BESIDE_SUFFIX_BYTES <= ENTRY_BYTES) {
        return name;
    }
    constexpr std::size_t HASH_BYTES = 1 + 16;
    std::size_t keep = ENTRY_BYTES - BESIDE_SUFFIX_BYTES - HASH_BYTES;
    while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0U) == 0x80U) {
        --keep; // not inside a UTF-8 character
    }
    static constexpr char HEX[] = "0123456789abcdef";
    std::string stem = name.substr(0, keep) + "~";
    const std::uint64_t h = name_hash(name);
    for (int shift = 60; shift >= 0; shift -= 4) {
        stem += HEX[(h >> static_cast<unsigned>(shift)) & 0xFU];
    }
    return stem;
}

std::string this_host() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) {
        return "unknown";
    }
    return name;
}

std::string read_all(int fd) {
    std::string text;
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()))) > 0) {
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 4096) {
            break;
        }
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) {
        text.pop_back();
    }
    return text;
}

// temporary_path(name, pid, n) or backup_path(name, pid, n) -> pid, or 0 when `file` is
// neither for `name`.
pid_t temporary_owner(const std::string& file, const std::string& name) {
    const std::string stem = stem_of(name);
    const auto has_prefix = [&](const std::string& prefix) {
        return file.size() > prefix.size() && file.compare(0, prefix.size(), prefix) == 0;
    };
    if (!has_prefix(stem + ".tmp.") && !has_prefix(stem + ".old.")) {
        return 0;
    }
    const std::string rest = file.substr(stem.size() + 5); // after ".tmp." or ".old."
    const std::size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || dot + 1 == rest.size() || dot > 9 ||
        rest.find_first_not_of("0123456789.") != std::string::npos ||
        rest.find('.', dot + 1) != std::string::npos) {
        return 0;
    }
    return static_cast<pid_t>(std::stol(rest.substr(0, dot)));
}

} // namespace

fs::path beside(const fs::path& target, std::string_view suffix) {
    return target.parent_path() / (stem_of(target.filename().string()) + std::string(suffix));
}

// Links followed before a chain is taken for a loop (the kernel's limit, MAXSYMLINKS).
constexpr int MAX_LINKS = 40;

fs::path write_target(const fs::path& target) {
    fs::path at = target;
    std::error_code ec;
    for (int hop = 0; hop < MAX_LINKS && fs::is_symlink(fs::symlink_status(at, ec)); ++hop) {
        const fs::path next = fs::read_symlink(at, ec);
        if (ec) {
            return target;
        }
        at = next.is_absolute() ? next : at.parent_path() / next;
    }
    if (at == target) {
        return target;
    }
    if (fs::is_symlink(fs::symlink_status(at, ec))) {
        return target; // a loop
    }
    const fs::path resolved = fs::weakly_canonical(at, ec);
    return ec ? at.lexically_normal() : resolved;
}

fs::path temporary_path(const fs::path& target, long pid, unsigned long n) {
    return beside(target, ".tmp." + std::to_string(pid) + "." + std::to_string(n));
}

fs::path backup_path(const fs::path& target, long pid, unsigned long n) {
    return beside(target, ".old." + std::to_string(pid) + "." + std::to_string(n));
}

std::unique_ptr<OutputLock> OutputLock::take(const fs::path& out, std::string& problem) {
    // Beside the file a write replaces: an --out through a link and one naming the file itself
    // are the same writer (an outside tester ran two sweeps into one file, one through a link).
    const fs::path path = beside(write_target(out), ".lock");
    for (int attempt = 0; attempt < 100; ++attempt) {
        // Never through a link: the lock is truncated, written and removed by its name, so a
        // symbolic or hard link planted at it (to /etc/passwd, run as root) had its target
        // overwritten with our pid, and a dangling one created the file it named.
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            const int error = errno;
            problem = error == ELOOP ? "the lock file '" + path.string() +
                                           "' is a symbolic link, which Canopy does not follow "
                                           "(it would write over what the link names); remove it"
                                     : "cannot make the lock file '" + path.string() + "' (" +
                                           std::strerror(error) + ")";
            return nullptr;
        }
        struct stat opened {};
        const bool stated = ::fstat(fd, &opened) == 0;
        if (stated && S_ISREG(opened.st_mode) && opened.st_nlink == 0) {
            ::close(fd); // its holder removed it as it let go, after our open: try again
            continue;
        }
        if (!stated || !S_ISREG(opened.st_mode) || opened.st_nlink != 1) {
            const bool plain = S_ISREG(opened.st_mode);
            problem = "the lock file '" + path.string() + "' " +
                      (plain ? "has other names (hard links), and writing it would change "
                               "them too; remove it"
                             : "is not a plain file; remove it, or give another --out");
            ::close(fd);
            return nullptr;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            if (error == EWOULDBLOCK) {
                const std::string holder = read_all(fd);
                problem = "'" + out.string() + "' is being written by another process" +
                          (holder.empty() ? std::string() : " (" + holder + ")") +
                          ", which holds '" + path.string() +
                          "'; wait for it to finish, or stop it first";
            } else {
                problem = "cannot lock '" + path.string() + "' (" + std::strerror(error) + ")";
            }
            ::close(fd);
            return nullptr;
        }
        // The holder before us may have removed the file between our open and our flock.
        struct stat held {};
        struct stat named {};
        if (::fstat(fd, &held) == 0 && ::lstat(path.c_str(), &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
            const std::string who =
                "pid " + std::to_string(::getpid()) + " on host " + this_host() + "\n";
            if (::ftruncate(fd, 0) == 0) {
                (void)!::pwrite(fd, who.data(), who.size(), 0);
            }
            return std::unique_ptr<OutputLock>(new OutputLock(out, path, fd));
        }
        ::close(fd);
    }
    problem = "cannot lock '" + path.string() + "' (it keeps being replaced)";
    return nullptr;
}

OutputLock::~OutputLock() {
    // Removed while still held, so no one can lock the old file and think it theirs.
    ::unlink(path_.c_str());
    ::close(fd_);
}

std::size_t remove_dead_temporaries(const fs::path& target) {
    std::size_t removed = 0;
    std::error_code ec;
    const std::string name = target.filename().string();
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const pid_t owner = temporary_owner(it->path().filename().string(), name);
        if (owner > 0 && owner != ::getpid() && ::kill(owner, 0) != 0 && errno == ESRCH) {
            std::error_code ignored;
            if (fs::is_regular_file(it->symlink_status(ignored)) &&
                fs::remove(it->path(), ignored)) {
                ++removed;
            }
        }
    }
    return removed;
}

std::size_t OutputLock::remove_stale_temporaries() const {
    return remove_dead_temporaries(out_);
}

} // namespace canopy::experiments
