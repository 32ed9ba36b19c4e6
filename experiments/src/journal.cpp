// The journal: completed design points appended to a file as they finish, so a killed run
// resumes without redoing or losing any of them.
//
// File layout (native byte order; docs/sweeps.md):
//   header   "CANOPY-JOURNAL-1" (16 bytes), u64 n, the experiment's fingerprint (n bytes),
//            u64 hash64 of the fingerprint
//   record   u64 RECORD_MAGIC, u64 n, payload (n bytes), u64 hash64 of the payload
//   payload  u64 point index, the point's values (u64 count, doubles), the PointResult (wire.hpp)
// Reading stops at the first record that is short or fails its checksum (a write cut off by a
// kill); the file is truncated there so that new records follow the last good one.
#include "wire.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/build_id.hpp>
#include <canopy/experiments/evaluator.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace canopy::experiments {

namespace {

namespace fs = std::filesystem;

constexpr char HEADER_MAGIC[16] = {'C', 'A', 'N', 'O', 'P', 'Y', '-', 'J',
                                   'O', 'U', 'R', 'N', 'A', 'L', '-', '1'};
constexpr std::uint64_t RECORD_MAGIC = 0x3144524f43455250ULL; // "PRECORD1"
constexpr std::size_t RECORD_OVERHEAD = 3 * sizeof(std::uint64_t);

// Whether `n` bytes could open a journal: they begin with the header's magic, or (fewer than
// its 16 bytes) are a prefix of it, a header cut off by a kill. Anything else is another file,
// which no run may take over or remove.
bool starts_as_journal(const std::uint8_t* bytes, std::size_t n) {
    return n == 0 || std::memcmp(bytes, HEADER_MAGIC, std::min(n, sizeof HEADER_MAGIC)) == 0;
}

// What a file's first bytes say about it (docs/sweeps.md, "The journal").
struct Header {
    enum class Status {
        fresh,   ///< empty, or fewer than 16 bytes that begin the magic: a header cut off by a kill
        intact,  ///< magic, fingerprint and its checksum all there and matching
        foreign, ///< does not begin with the magic: some other file
        damaged  ///< begins with the magic, but the rest of the header is cut off or corrupt
    };
    Status status = Status::fresh;
    std::string fingerprint; ///< when intact
    std::size_t end = 0;     ///< when intact: where the first record begins
    std::string why;         ///< when damaged: what is wrong, for the message
};

// Reads the header from the first bytes of a file of `file_size` bytes (`bytes` holds at least
// the whole header when the file does). The header is written with one write() before any
// record, so a kill leaves either all of it or fewer than 16 bytes of it; anything between is
// damage, which is never taken for a fresh start: records may follow that are the only copy of
// completed points.
Header read_header(std::span<const std::uint8_t> bytes, std::size_t file_size) {
    Header h;
    if (!starts_as_journal(bytes.data(), std::min(bytes.size(), sizeof HEADER_MAGIC))) {
        h.status = Header::Status::foreign;
        return h;
    }
    if (file_size < sizeof HEADER_MAGIC) {
        return h; // fresh
    }
    h.status = Header::Status::damaged;
    constexpr std::size_t FIXED = sizeof HEADER_MAGIC + 2 * sizeof(std::uint64_t);
    if (file_size < FIXED || bytes.size() < sizeof HEADER_MAGIC + sizeof(std::uint64_t)) {
        h.why = "its header is cut off after " + std::to_string(file_size) + " bytes";
        return h;
    }
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data() + sizeof HEADER_MAGIC, sizeof n);
    if (n > file_size - FIXED || bytes.size() < FIXED + n) {
        h.why = "its header gives the fingerprint a length of " + std::to_string(n) +
                " bytes, more than the file's " + std::to_string(file_size);
        return h;
    }
    const auto* fp = bytes.data() + sizeof HEADER_MAGIC + sizeof(std::uint64_t);
    const auto length = static_cast<std::size_t>(n);
    std::uint64_t check = 0;
    std::memcpy(&check, fp + length, sizeof check);
    if (check != detail::hash64({fp, length})) {
        h.why = "its header's checksum does not match its fingerprint";
        return h;
    }
    h.status = Header::Status::intact;
    h.fingerprint.assign(reinterpret_cast<const char*>(fp), length);
    h.end = FIXED + length;
    return h;
}

std::string not_a_journal(const fs::path& path) {
    return "'" + path.string() + "' is not a Canopy journal";
}

// Not started afresh: the records after a damaged header may be the only copy of points.
std::string damaged_journal(const fs::path& path, const std::string& why) {
    return "journal '" + path.string() + "' is damaged: " + why +
           " (it was not started afresh, as it may hold completed points)";
}

std::string system_error(const std::string& what, const fs::path& path) {
    return "journal '" + path.string() + "': " + what + " (" + std::strerror(errno) + ")";
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

struct Entry {
    std::vector<double> values;
    PointResult result;
};

// The open journal file of one experiment: what it holds, and appends with a background fsync.
class JournalFile {
public:
    JournalFile(fs::path path, const std::string& fingerprint, JournalWarning warn)
        : path_(std::move(path))
        , warn_(std::move(warn)) {
        // Never through a link (journal_check): fails with ELOOP instead.
        fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd_ < 0) {
            throw Error(system_error("cannot open", path_));
        }
        try {
            load(fingerprint);
        } catch (...) {
            ::close(fd_);
            throw;
        }
        syncer_ = std::thread([this] { sync_loop(); });
    }

    ~JournalFile() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        syncer_.join();
        ::fdatasync(fd_);
        ::close(fd_);
    }

    JournalFile(const JournalFile&) = delete;
    JournalFile& operator=(const JournalFile&) = delete;

    [[nodiscard]] const std::string& fingerprint() const noexcept { return fingerprint_; }

    /// The journalled result of `point`, or nullptr.
    [[nodiscard]] const PointResult* find(const Point& point) const {
        const auto it = entries_.find(point.index);
        if (it == entries_.end() || !same_bits(it->second.values, point.values)) {
            return nullptr;
        }
        return &it->second.result;
    }

    void append(const Point& point, const PointResult& result) {
        detail::Writer payload;
        payload.u64(point.index);
        payload.doubles(point.values);
        detail::write_result(payload, result);
        detail::Writer record;
        record.u64(RECORD_MAGIC);
        record.u64(payload.bytes.size());
        record.raw(payload.bytes.data(), payload.bytes.size());
        record.u64(detail::hash64(payload.bytes));
        const std::lock_guard<std::mutex> lock(mutex_);
        write_all(record.bytes);
        entries_[point.index] = Entry{point.values, result};
        dirty_ = true;
        wake_.notify_all();
    }

    /// Waits until everything appended so far is on disk.
    void sync() {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (::fdatasync(fd_) != 0) {
            throw Error(system_error("cannot flush to disk", path_));
        }
        dirty_ = false;
    }

private:
    void write_all(const std::vector<std::uint8_t>& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw Error(system_error("cannot append a record", path_));
            }
            done += static_cast<std::size_t>(n);
        }
    }

    std::vector<std::uint8_t> read_everything() {
        std::vector<std::uint8_t> bytes;
        std::uint8_t buffer[1 << 16];
        if (::lseek(fd_, 0, SEEK_SET) < 0) {
            throw Error(system_error("cannot seek", path_));
        }
        for (;;) {
            const ssize_t n = ::read(fd_, buffer, sizeof buffer);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw Error(system_error("cannot read", path_));
            }
            if (n == 0) {
                break;
            }
            bytes.insert(bytes.end(), buffer, buffer + n);
        }
        return bytes;
    }

    void truncate_to(std::size_t length) {
        if (::ftruncate(fd_, static_cast<off_t>(length)) != 0 ||
            ::lseek(fd_, static_cast<off_t>(length), SEEK_SET) < 0) {
            throw Error(system_error("cannot cut off a torn record", path_));
        }
    }

    void write_header(const std::string& fingerprint) {
        truncate_to(0);
        detail::Writer header;
        header.raw(HEADER_MAGIC, sizeof HEADER_MAGIC);
        header.text(fingerprint);
        header.u64(detail::hash64(
            {reinterpret_cast<const std::uint8_t*>(fingerprint.data()), fingerprint.size()}));
        write_all(header.bytes);
        if (::fdatasync(fd_) != 0) {
            throw Error(system_error("cannot flush to disk", path_));
        }
        fingerprint_ = fingerprint;
    }

    // One record at `at`: its entry and where the next begins, or why it is not one (`cut_off`:
    // it runs past the end of the file, as a write cut off by a kill leaves it).
    struct Record {
        bool ok = false;
        bool cut_off = false;
        std::string why;
        std::size_t next = 0;
        std::uint64_t index = 0;
        Entry entry;
    };

    static Record read_record(const std::vector<std::uint8_t>& bytes, std::size_t at) {
        Record r;
        const std::size_t left = bytes.size() - at;
        if (left < RECORD_OVERHEAD) {
            r.cut_off = true;
            r.why = "a record cut off";
            return r;
        }
        std::uint64_t magic_word = 0;
        std::uint64_t length = 0;
        std::memcpy(&magic_word, bytes.data() + at, sizeof magic_word);
        std::memcpy(&length, bytes.data() + at + sizeof magic_word, sizeof length);
        if (magic_word != RECORD_MAGIC) {
            r.why = "bytes that do not begin a record";
            return r;
        }
        if (length > left - RECORD_OVERHEAD) {
            r.cut_off = true;
            r.why = "a record whose length runs past the end of the file";
            return r;
        }
        const std::span<const std::uint8_t> payload(bytes.data() + at + 2 * sizeof(std::uint64_t),
                                                    static_cast<std::size_t>(length));
        std::uint64_t check = 0;
        std::memcpy(&check, payload.data() + payload.size(), sizeof check);
        if (check != detail::hash64(payload)) {
            r.why = "a record that fails its checksum";
            return r;
        }
        try {
            detail::Reader p(payload);
            r.index = p.u64();
            r.entry.values = p.doubles();
            r.entry.result = detail::read_result(p);
            if (r.entry.result.index != r.index || p.left() != 0) {
                r.why = "a record whose point cannot be read";
                return r;
            }
        } catch (const Error&) {
            r.why = "a record whose point cannot be read";
            return r;
        }
        r.entry.result.simulate_seconds = 0.0; // nothing is simulated for it in this process
        r.ok = true;
        r.next = at + RECORD_OVERHEAD + payload.size();
        return r;
    }

    void load(const std::string& fingerprint) {
        const std::vector<std::uint8_t> bytes = read_everything();
        const Header header = read_header(bytes, bytes.size());
        switch (header.status) {
        case Header::Status::fresh: // the run was killed before it journalled anything
            write_header(fingerprint);
            return;
        case Header::Status::foreign:
            throw Error(not_a_journal(path_) + " (remove it, or give another --out)");
        case Header::Status::damaged:
            throw Error(damaged_journal(path_, header.why) +
                        "; move it aside to start again, or give another --out");
        case Header::Status::intact:
            break;
        }
        if (header.fingerprint != fingerprint &&
            build_of(header.fingerprint) != build_of(fingerprint)) {
            throw Error(
                other_build_journal(path_, build_of(header.fingerprint), build_of(fingerprint)) +
                "; remove the journal to start again");
        }
        if (header.fingerprint != fingerprint) {
            throw Error("journal '" + path_.string() +
                        "' belongs to another experiment (fingerprint " + header.fingerprint +
                        ", this one is " + fingerprint +
                        "): the sweep file, scenario, seed, replicates or Canopy version changed; "
                        "remove the journal to start again");
        }
        fingerprint_ = fingerprint;
        // Every record carries its own checksum, so one spoilt in the middle of the file (a bad
        // sector, a stray write) costs only its own point: reading goes on at the next intact
        // record, found by its magic and checksum (a false match has odds of 2^-64). Only what
        // no intact record follows is cut off, so that new records follow the last good one.
        std::size_t at = header.end;
        std::size_t good = at;
        while (at < bytes.size()) {
            Record r = read_record(bytes, at);
            if (r.ok) {
                entries_[r.index] = std::move(r.entry);
                at = good = r.next;
                continue;
            }
            std::size_t next = at + 1;
            for (; next + RECORD_OVERHEAD <= bytes.size(); ++next) {
                if (std::memcmp(bytes.data() + next, &RECORD_MAGIC, sizeof RECORD_MAGIC) == 0 &&
                    read_record(bytes, next).ok) {
                    break;
                }
            }
            if (next + RECORD_OVERHEAD > bytes.size()) {
                // Nothing intact follows. A record cut off at the end is what a kill mid-write
                // leaves and is dropped quietly (docs/sweeps.md); anything else is damage.
                if (!r.cut_off) {
                    warn_("journal '" + path_.string() + "': " + r.why + " at byte " +
                          std::to_string(at) + "; the last " + std::to_string(bytes.size() - at) +
                          " bytes were discarded and their points will be computed again");
                }
                break;
            }
            warn_("journal '" + path_.string() + "': " + r.why + " at byte " + std::to_string(at) +
                  "; skipped " + std::to_string(next - at) +
                  " bytes up to the next intact record (at byte " + std::to_string(next) +
                  "), whose points and every later one are kept; the points of the skipped "
                  "bytes will be computed again");
            at = next; // the skipped bytes stay in the file, and are skipped again next time
        }
        if (good != bytes.size()) {
            truncate_to(good);
        } else if (::lseek(fd_, 0, SEEK_END) < 0) {
            throw Error(system_error("cannot seek", path_));
        }
    }

    void sync_loop() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_) {
            wake_.wait(lock, [this] { return stop_ || dirty_; });
            if (dirty_) {
                dirty_ = false;
                lock.unlock();
                ::fdatasync(fd_); // a failure shows in the synchronous sync() at the end
                lock.lock();
            }
        }
    }

    fs::path path_;
    JournalWarning warn_;
    int fd_ = -1;
    std::string fingerprint_;
    std::unordered_map<std::uint64_t, Entry> entries_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool dirty_ = false;
    bool stop_ = false;
    std::thread syncer_;
};

class JournalledEvaluator final : public Evaluator {
public:
    JournalledEvaluator(std::unique_ptr<Evaluator> inner, fs::path path, JournalWarning warn)
        : inner_(std::move(inner))
        , path_(std::move(path))
        , warn_(std::move(warn)) {
        if (!inner_) {
            throw Error("journalled(): no evaluator to wrap");
        }
    }

    std::vector<PointResult> evaluate(const Experiment& experiment, std::span<const Point> points,
                                      const ResultCallback& on_result) override {
        // The root reads the journal and tells every rank which points are done (or why it
        // cannot go on), so that every rank calls the inner evaluator with the same points.
        std::vector<std::uint8_t> message;
        if (inner_->is_root()) {
            message = restored_message(experiment, points);
        }
        inner_->share(message);
        detail::Reader in(message);
        if (in.u32() != 0) {
            // Every rank stops with the root's reason: the root says it.
            throw SharedFailure(in.text(), inner_->is_root());
        }
        std::vector<PointResult> results(points.size());
        std::vector<bool> done(points.size(), false);
        for (std::uint64_t n = in.u64(); n > 0; --n) {
            const auto k = static_cast<std::size_t>(in.u64());
            results.at(k) = detail::read_result(in);
            done[k] = true;
        }
        std::vector<Point> todo;
        std::vector<std::size_t> where;
        for (std::size_t k = 0; k < points.size(); ++k) {
            if (!done[k]) {
                todo.push_back(points[k]);
                where.push_back(k);
            } else if (on_result && inner_->is_root()) {
                on_result(results[k]);
            }
        }
        std::unordered_map<std::uint64_t, const Point*> by_index;
        for (const Point& p : todo) {
            by_index[p.index] = &p;
        }
        const ResultCallback record = [&](const PointResult& r) {
            if (file_) {
                // A result for a point this run did not hand out would be journalled under
                // another point's record; the evaluators never give one (the MPI evaluator
                // checks the ranks' inputs agree), so it is a fault, said as one.
                const auto it = by_index.find(r.index);
                if (it == by_index.end()) {
                    throw std::logic_error(
                        "a result for design point " + std::to_string(r.index) +
                        ", which this run did not hand out, reached the journal");
                }
                file_->append(*it->second, r);
            }
            if (on_result) {
                on_result(r);
            }
        };
        std::vector<PointResult> computed = inner_->evaluate(experiment, todo, record);
        for (std::size_t j = 0; j < computed.size(); ++j) {
            results[where[j]] = std::move(computed[j]);
        }
        if (file_) {
            file_->sync();
        }
        return results;
    }

    [[nodiscard]] bool is_root() const override { return inner_->is_root(); }
    [[nodiscard]] int processes() const override { return inner_->processes(); }
    void share(std::vector<std::uint8_t>& bytes) override { inner_->share(bytes); }

private:
    // [u32 0, u64 count, (u64 position, result)...] or [u32 1, error text].
    std::vector<std::uint8_t> restored_message(const Experiment& experiment,
                                               std::span<const Point> points) {
        detail::Writer out;
        try {
            if (!file_ || file_->fingerprint() != experiment.fingerprint) {
                file_.reset();
                file_ = std::make_unique<JournalFile>(path_, experiment.fingerprint, warn_);
            }
            detail::Writer found;
            std::uint64_t count = 0;
            for (std::size_t k = 0; k < points.size(); ++k) {
                if (const PointResult* r = file_->find(points[k])) {
                    found.u64(k);
                    detail::write_result(found, *r);
                    ++count;
                }
            }
            out.u32(0);
            out.u64(count);
            out.raw(found.bytes.data(), found.bytes.size());
        } catch (const Error& e) {
            out = detail::Writer{};
            out.u32(1);
            out.text(e.what());
        }
        return out.bytes;
    }

    std::unique_ptr<Evaluator> inner_;
    fs::path path_;
    JournalWarning warn_;
    std::unique_ptr<JournalFile> file_;
};

} // namespace

std::string other_build_journal(const fs::path& path, const std::string& theirs,
                                const std::string& ours) {
    return "journal '" + path.string() + "' was written by another build of Canopy (build_id " +
           (theirs.empty() ? std::string("none recorded: a build from before journals recorded it")
                           : theirs) +
           "; this canopy is build_id " + (ours.empty() ? std::string("none") : ours) +
           "): two builds may compute other numbers from the same inputs, so its points are not "
           "mixed with this build's";
}

JournalCheck journal_check(const fs::path& path, const std::string& fingerprint, bool prefix) {
    JournalCheck out;
    std::error_code ec;
    // A link is refused, dangling or not: the journal is opened, written and removed by its
    // name, so a link would be followed on writing but removed itself, orphaning what it names
    // (or, dangling, fail to open and be removed). A journal is always a plain file beside --out.
    if (fs::is_symlink(fs::symlink_status(path, ec))) {
        const fs::path target = fs::read_symlink(path, ec);
        out.kind = JournalCheck::Kind::not_a_journal;
        out.problem = not_a_journal(path) + " but a symbolic link" +
                      (ec ? std::string() : " (to '" + target.string() + "')") +
                      ", which Canopy does not follow for a journal";
        return out;
    }
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) {
        return out;
    }
    if (!fs::is_regular_file(status)) {
        out.kind = JournalCheck::Kind::not_a_journal;
        out.problem = not_a_journal(path) + " but a " +
                      (fs::is_directory(status) ? "directory" : "special file");
        return out;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        out.kind = JournalCheck::Kind::unreadable;
        out.problem = system_error("cannot open", path);
        return out;
    }
    const auto read_up_to = [fd](std::vector<std::uint8_t>& to, std::size_t n) {
        std::size_t got = to.size();
        to.resize(n);
        while (got < n) {
            const ssize_t r = ::read(fd, to.data() + got, n - got);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                break;
            }
            got += static_cast<std::size_t>(r);
        }
        to.resize(got);
    };
    // The header: magic, u64 n, n bytes of fingerprint, u64 hash64 of them. The length is read
    // first, and the rest only when the file holds that much.
    struct stat st {};
    const std::size_t file_size =
        ::fstat(fd, &st) == 0 ? static_cast<std::size_t>(st.st_size) : std::size_t{0};
    std::vector<std::uint8_t> head;
    read_up_to(head, sizeof HEADER_MAGIC + sizeof(std::uint64_t));
    if (head.size() == sizeof HEADER_MAGIC + sizeof(std::uint64_t)) {
        std::uint64_t n = 0;
        std::memcpy(&n, head.data() + sizeof HEADER_MAGIC, sizeof n);
        if (n <= file_size) {
            read_up_to(head, head.size() + static_cast<std::size_t>(n) + sizeof(std::uint64_t));
        }
    }
    ::close(fd);
    const Header header = read_header(head, std::max(file_size, head.size()));
    switch (header.status) {
    case Header::Status::fresh:
        break;
    case Header::Status::foreign:
        out.kind = JournalCheck::Kind::not_a_journal;
        out.problem = not_a_journal(path);
        break;
    case Header::Status::damaged:
        out.kind = JournalCheck::Kind::damaged;
        out.problem = damaged_journal(path, header.why);
        break;
    case Header::Status::intact: {
        out.fingerprint = header.fingerprint;
        const bool ours = prefix
                              ? header.fingerprint.compare(0, fingerprint.size(), fingerprint) == 0
                              : header.fingerprint == fingerprint;
        // Every journal's fingerprint ends with the build that wrote it (build_id.hpp); a prefix
        // (a calibration's experiments) leaves it out, so it is compared here on its own. Any
        // fingerprint but "" (a look at what the journal is, without resuming) is checked.
        const std::string theirs = build_of(header.fingerprint);
        if (!fingerprint.empty() && theirs != build_id()) {
            out.kind = JournalCheck::Kind::other_build;
            out.problem = other_build_journal(path, theirs, build_id());
        } else if (!ours) {
            out.kind = JournalCheck::Kind::other_experiment;
            out.problem = "journal '" + path.string() + "' belongs to another experiment";
        }
        break;
    }
    }
    return out;
}

std::unique_ptr<Evaluator> journalled(std::unique_ptr<Evaluator> inner,
                                      const std::filesystem::path& path, JournalWarning warn) {
    if (!warn) {
        warn = [](const std::string& message) {
            std::cerr << "canopy: warning: " << message << "\n";
        };
    }
    return std::make_unique<JournalledEvaluator>(std::move(inner), path, std::move(warn));
}

} // namespace canopy::experiments
