// Atomic output files: temporary file, fsync, rename, fsync of the directory; several outputs
// committed together; temporaries removed on a signal or, when their process is gone, by the
// next run; and the check that no two paths of one command name the same file.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/output_lock.hpp>
#include <canopy/output/files.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
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

// The file a write to `target` really replaces (experiments::write_target).
fs::path resolve(const fs::path& target) {
    return experiments::write_target(target);
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

// ---- temporaries removed on a signal --------------------------------------------------------
//
// A fixed table of paths that the signal handler can read without allocating or locking
// (async-signal-safe: lock-free atomics, unlink, signal, raise). A slot is 0 free, 1 being
// filled, 2 armed.
constexpr int SLOTS = 32;
constexpr std::size_t SLOT_BYTES = 4096;

struct Slot {
    std::atomic<int> state{0};
    char path[SLOT_BYTES] = {};
};

Slot slots[SLOTS];

int arm(const fs::path& path) {
    const std::string& text = path.native();
    if (text.size() >= SLOT_BYTES) {
        return -1; // not removed on a signal; still removed on an error and at the next run
    }
    for (int i = 0; i < SLOTS; ++i) {
        int expected = 0;
        if (slots[i].state.compare_exchange_strong(expected, 1)) {
            std::memcpy(slots[i].path, text.c_str(), text.size() + 1);
            slots[i].state.store(2);
            return i;
        }
    }
    return -1;
}

void disarm(int slot) noexcept {
    if (slot >= 0) {
        slots[slot].state.store(0);
    }
}

// One message for the signal handler, written when its file exists (OnSignal).
struct Message {
    std::atomic<int> state{0};
    char when_exists[SLOT_BYTES] = {};
    char text[2 * SLOT_BYTES] = {};
    std::size_t length = 0;
};

Message message;

// A commit in progress (commit_all) holds a termination signal back until its last rename, so
// that the outputs it replaces are all old or all new: a signal between two renames used to end
// the process with some outputs replaced and the others not, and the previous file's backup left
// behind. The handler, on whichever thread it runs, records the signal in `deferred` and returns;
// the commit acts on it when done. Both sides claim it with an exchange, so it is acted on once.
std::atomic<int> commits_in_progress{0};
std::atomic<int> deferred{0};

void act_on(int signal_number) {
    if (message.state.load() == 2 && ::access(message.when_exists, F_OK) == 0) {
        (void)!::write(STDERR_FILENO, message.text, message.length);
    }
    for (Slot& slot : slots) {
        if (slot.state.load() == 2) {
            ::unlink(slot.path);
        }
    }
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

extern "C" void remove_temporaries_and_reraise(int signal_number) {
    if (commits_in_progress.load() > 0) {
        deferred.store(signal_number);
        if (commits_in_progress.load() > 0) {
            return; // the commit acts on it when its last rename is done
        }
        // The commit ended meanwhile: whoever takes the signal first acts on it.
        signal_number = deferred.exchange(0);
        if (signal_number == 0) {
            return;
        }
    }
    act_on(signal_number);
}

// While it lives, SIGINT, SIGTERM and SIGHUP wait (see commits_in_progress); a signal that came
// meanwhile ends the process, as it would have, when it is destroyed.
class SignalsHeld {
public:
    SignalsHeld() { commits_in_progress.fetch_add(1); }
    ~SignalsHeld() {
        if (commits_in_progress.fetch_sub(1) == 1) {
            if (const int signal_number = deferred.exchange(0); signal_number != 0) {
                act_on(signal_number);
            }
        }
    }
    SignalsHeld(const SignalsHeld&) = delete;
    SignalsHeld& operator=(const SignalsHeld&) = delete;
};

// Numbers the temporaries of this process ("<target>.tmp.<pid>.<n>").
std::atomic<unsigned> temporary_counter{0};

// An empty temporary created beside `target`, armed so that a signal removes it: its path and
// slot; or no path, with the errno that stopped it (0: every candidate name was taken).
struct NewTemporary {
    fs::path path;
    int slot = -1;
    int error = 0;
};

NewTemporary new_temporary(const fs::path& target) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
        fs::path candidate = experiments::temporary_path(target, ::getpid(), temporary_counter++);
        // Armed before it exists, so that no signal falls between its creation and its arming
        // (a signal before the open unlinks a name that is not there yet).
        const int slot = arm(candidate);
        const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            ::close(fd);
            return {std::move(candidate), slot, 0};
        }
        const int error = errno;
        disarm(slot);
        if (error != EEXIST) {
            return {{}, -1, error};
        }
    }
    return {};
}

// Why no file can be created beside `target` (the errno text), found by creating the temporary
// a write would create and removing it at once; empty when one could be. access() looks at the
// permission bits only, and root passes it everywhere, though /proc or a read-only bind mount
// refuses the file all the same.
std::string creation_problem(const fs::path& target) {
    const NewTemporary t = new_temporary(target);
    if (t.path.empty()) {
        return t.error != 0 ? errno_text(t.error) : std::string(); // names taken: the write says
    }
    ::unlink(t.path.c_str());
    disarm(t.slot);
    return {};
}

} // namespace

OnSignal::OnSignal(const fs::path& remove, const fs::path& when_exists, const std::string& text) {
    slot_ = arm(remove);
    int expected = 0;
    if (!text.empty() && when_exists.native().size() < SLOT_BYTES &&
        text.size() < sizeof message.text && message.state.compare_exchange_strong(expected, 1)) {
        std::memcpy(message.when_exists, when_exists.c_str(), when_exists.native().size() + 1);
        std::memcpy(message.text, text.data(), text.size());
        message.length = text.size();
        message.state.store(2);
        said_ = true;
    }
}

OnSignal::~OnSignal() {
    disarm(slot_);
    if (said_) {
        message.state.store(0);
    }
}

void remove_temporaries_on_signals() {
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        struct sigaction current {};
        if (::sigaction(signal_number, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) {
            continue; // ignored (nohup) or handled by someone else: leave it so
        }
        struct sigaction action {};
        action.sa_handler = remove_temporaries_and_reraise;
        sigemptyset(&action.sa_mask);
        ::sigaction(signal_number, &action, nullptr);
    }
}

fs::path absolute_normal(const fs::path& path) {
    std::error_code ec;
    const fs::path named = resolve(path); // a dangling link names the file it would create
    fs::path absolute = fs::absolute(named, ec);
    if (ec) {
        absolute = named;
    }
    const fs::path resolved = fs::weakly_canonical(absolute, ec);
    return (ec ? absolute : resolved).lexically_normal();
}

bool same_file(const fs::path& a, const fs::path& b) {
    if (absolute_normal(a) == absolute_normal(b)) {
        return true;
    }
    std::error_code ec;
    return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec) && !ec;
}

std::vector<std::string> path_clashes(const std::vector<NamedPath>& outputs,
                                      const std::vector<NamedPath>& inputs) {
    std::vector<std::string> problems;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        for (std::size_t j = i + 1; j < outputs.size(); ++j) {
            if (same_file(outputs[i].path, outputs[j].path)) {
                problems.push_back(outputs[i].name + " and " + outputs[j].name +
                                   " name the same file (" + quoted(outputs[i].path) + " and " +
                                   quoted(outputs[j].path) + "); one would replace the other");
            }
        }
        for (const NamedPath& input : inputs) {
            if (same_file(outputs[i].path, input.path)) {
                problems.push_back(outputs[i].name + ": " + quoted(outputs[i].path) + " is " +
                                   input.name + " (" + quoted(input.path) +
                                   "), which this command reads; it would be overwritten");
            }
        }
    }
    return problems;
}

std::string h5_name_problem(const std::string& out) {
    const std::filesystem::path name = std::filesystem::path(out).filename();
    // ".h5" alone is a hidden file without an extension to the library: say what is missing.
    if (name == ".h5") {
        return " needs a name before .h5 (such as result.h5)";
    }
    if (name.extension() != ".h5") {
        return " must end in .h5 (it is written as HDF5)";
    }
    return {};
}

std::string output_path_problem(const fs::path& given) {
    if (given.empty()) {
        return "the path is empty";
    }
    std::error_code ec;
    // What the path names, its links followed by the system: /dev/stdout is a pipe or a terminal
    // here, where resolve() finds a name such as "pipe:[123]" that is no file ("cannot create a
    // file in directory '/proc/3417/fd'").
    const auto kind = [&given](const fs::file_status& s) {
        return quoted(given) +
               (fs::is_fifo(s)             ? " is a pipe"
                : fs::is_character_file(s) ? " is a device"
                : fs::is_block_file(s)     ? " is a device"
                : fs::is_socket(s)         ? " is a socket"
                                           : " is of another kind") +
               ", not a regular file (outputs are written whole to a temporary file beside it, "
               "then renamed into place)";
    };
    if (const fs::file_status named = fs::status(given, ec);
        fs::exists(named) && !fs::is_directory(named) && !fs::is_regular_file(named)) {
        return kind(named);
    }
    const fs::path target = resolve(given);
    // A link that resolve() leaves as given leads back to itself (or cannot be read): there is
    // no file to write through it, and renaming over it would replace the link (an outside
    // tester's loop became a regular file, exit 0, for every command's outputs).
    if (fs::is_symlink(fs::symlink_status(given, ec)) && target == given) {
        return quoted(given) + " is a symbolic link that leads back to itself (a loop of links), "
                               "so it names no file to write";
    }
    const fs::file_status st = fs::status(target, ec);
    if (fs::exists(st)) {
        if (fs::is_directory(st)) {
            return quoted(given) + " is a directory";
        }
        if (!fs::is_regular_file(st)) {
            return kind(st);
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
    // The temporaries beside it shorten a long name (beside()), but the output itself keeps its
    // name: one longer than the directory allows failed only at the final rename, after all the
    // work ("cannot rename the finished output", or an internal error from calibrate).
    const long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
    const std::size_t allowed = name_max > 0 ? static_cast<std::size_t>(name_max) : 255;
    if (const std::size_t bytes = target.filename().native().size(); bytes > allowed) {
        return "the file name of " + quoted(given) + " is " + std::to_string(bytes) +
               " bytes long, more than the " + std::to_string(allowed) +
               " a name may have in directory " + quoted(dir);
    }
    if (fs::exists(st) && ::access(target.c_str(), W_OK) != 0) {
        // rename() could replace it, but a read-only file is a sign it should not be.
        return quoted(given) + " exists and is read-only";
    }
    if (const std::string why = creation_problem(target); !why.empty()) {
        return "cannot create a file in directory " + quoted(dir) + " (" + why + ")";
    }
    return {};
}

TemporaryFile::TemporaryFile(const fs::path& target)
    : target_(resolve(target)) {
    experiments::remove_dead_temporaries(target_);
    NewTemporary t = new_temporary(target_);
    if (t.path.empty()) {
        throw Error("cannot create a temporary file for " + quoted(target) +
                    (t.error != 0
                         ? " in " + quoted(directory_of(target_)) + ": " + errno_text(t.error)
                         : std::string(": every candidate name is taken")));
    }
    temp_ = std::move(t.path);
    slot_ = t.slot;
}

TemporaryFile::TemporaryFile(TemporaryFile&& other) noexcept
    : target_(std::move(other.target_))
    , temp_(std::move(other.temp_))
    , committed_(other.committed_)
    , slot_(other.slot_) {
    other.temp_.clear();
    other.slot_ = -1;
    other.committed_ = true;
}

TemporaryFile::~TemporaryFile() {
    if (!committed_ && !temp_.empty()) {
        std::error_code ec;
        fs::remove(temp_, ec); // best effort: nothing useful to do if it fails
    }
    forget();
}

void TemporaryFile::forget() noexcept {
    disarm(slot_);
    slot_ = -1;
}

void TemporaryFile::sync() {
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
}

void TemporaryFile::rename_into_place() {
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
        throw Error("cannot rename the finished output to " + quoted(target_) + ": " +
                    errno_text(errno));
    }
    committed_ = true;
    forget();
    // Make the rename itself durable. A failure here does not undo a complete, renamed file.
    const int dir = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

void TemporaryFile::commit() {
    sync();
    rename_into_place();
}

void commit_all(std::span<TemporaryFile* const> files) {
    for (TemporaryFile* f : files) {
        f->sync();
    }
    // From the first rename to the last backup removed, a termination signal waits: it would
    // otherwise leave some outputs replaced, the others not, and a backup behind.
    const SignalsHeld held;
    // Each target that exists is kept under a second name (a hard link) until every rename has
    // succeeded, so that a failed rename can put the earlier ones back.
    struct Done {
        fs::path target;
        fs::path previous; // empty: there was no previous file (or it could not be kept)
    };
    std::vector<Done> done;
    static std::atomic<unsigned> counter{0};
    const auto undo = [&done] {
        for (auto it = done.rbegin(); it != done.rend(); ++it) {
            if (it->previous.empty()) {
                ::unlink(it->target.c_str());
            } else {
                ::rename(it->previous.c_str(), it->target.c_str());
            }
        }
    };
    for (TemporaryFile* f : files) {
        Done d{f->target(), {}};
        std::error_code ec;
        if (files.size() > 1 && fs::exists(d.target, ec)) {
            fs::path keep = experiments::backup_path(d.target, ::getpid(), counter++);
            if (::link(d.target.c_str(), keep.c_str()) == 0) {
                d.previous = std::move(keep);
            }
        }
        try {
            f->rename_into_place();
        } catch (...) {
            if (!d.previous.empty()) {
                ::unlink(d.previous.c_str());
            }
            undo();
            throw;
        }
        done.push_back(std::move(d));
    }
    for (const Done& d : done) {
        if (!d.previous.empty()) {
            ::unlink(d.previous.c_str());
        }
    }
}

TemporaryFile write_temporary(const fs::path& target, std::string_view text) {
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
    return temp;
}

void write_file_atomically(const fs::path& target, std::string_view text) {
    write_temporary(target, text).commit();
}

} // namespace canopy::output
