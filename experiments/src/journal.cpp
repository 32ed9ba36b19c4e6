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
#include <canopy/experiments/evaluator.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
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
    JournalFile(fs::path path, const std::string& fingerprint)
        : path_(std::move(path)) {
        fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
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

    void load(const std::string& fingerprint) {
        const std::vector<std::uint8_t> bytes = read_everything();
        detail::Reader in(bytes);
        if (!starts_as_journal(bytes.data(), bytes.size())) {
            throw Error("'" + path_.string() +
                        "' is not a Canopy journal (remove it, or give another --out)");
        }
        // A missing or torn header: the run was killed before it journalled anything.
        if (bytes.size() < sizeof HEADER_MAGIC + 2 * sizeof(std::uint64_t)) {
            write_header(fingerprint);
            return;
        }
        char magic[sizeof HEADER_MAGIC];
        in.raw(magic, sizeof magic);
        if (std::memcmp(magic, HEADER_MAGIC, sizeof magic) != 0) {
            throw Error("'" + path_.string() +
                        "' is not a Canopy journal (remove it, or give another --out)");
        }
        std::string theirs;
        std::uint64_t check = 0;
        try {
            theirs = in.text();
            check = in.u64();
        } catch (const Error&) {
            write_header(fingerprint);
            return;
        }
        if (check !=
            detail::hash64({reinterpret_cast<const std::uint8_t*>(theirs.data()), theirs.size()})) {
            write_header(fingerprint);
            return;
        }
        if (theirs != fingerprint) {
            throw Error("journal '" + path_.string() +
                        "' belongs to another experiment (fingerprint " + theirs +
                        ", this one is " + fingerprint +
                        "): the sweep file, scenario, seed, replicates or Canopy version changed; "
                        "remove the journal to start again");
        }
        fingerprint_ = fingerprint;
        std::size_t good = bytes.size() - in.left();
        while (in.left() >= RECORD_OVERHEAD) {
            const std::uint64_t magic_word = in.u64();
            const std::uint64_t length = in.u64();
            if (magic_word != RECORD_MAGIC || length > in.left() - sizeof(std::uint64_t)) {
                break;
            }
            const auto* start = bytes.data() + (bytes.size() - in.left());
            const std::span<const std::uint8_t> payload(start, static_cast<std::size_t>(length));
            in.skip(static_cast<std::size_t>(length));
            if (in.u64() != detail::hash64(payload)) {
                break;
            }
            try {
                detail::Reader p(payload);
                const std::uint64_t index = p.u64();
                Entry e;
                e.values = p.doubles();
                e.result = detail::read_result(p);
                if (e.result.index != index || p.left() != 0) {
                    break;
                }
                e.result.simulate_seconds = 0.0; // nothing is simulated for it in this process
                entries_[index] = std::move(e);
            } catch (const Error&) {
                break;
            }
            good = bytes.size() - in.left();
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
    JournalledEvaluator(std::unique_ptr<Evaluator> inner, fs::path path)
        : inner_(std::move(inner))
        , path_(std::move(path)) {
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
            throw Error(in.text());
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
                file_->append(*by_index.at(r.index), r);
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
                file_ = std::make_unique<JournalFile>(path_, experiment.fingerprint);
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
    std::unique_ptr<JournalFile> file_;
};

} // namespace

JournalCheck journal_check(const fs::path& path, const std::string& fingerprint, bool prefix) {
    JournalCheck out;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return out;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        out.kind = JournalCheck::Kind::unreadable;
        out.problem = system_error("cannot open", path);
        return out;
    }
    // The header: magic, u64 n, n bytes of fingerprint, u64 hash64 of them.
    std::vector<std::uint8_t> head(sizeof HEADER_MAGIC + sizeof(std::uint64_t));
    const auto read_up_to = [fd](std::uint8_t* to, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::read(fd, to + got, n - got);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                break;
            }
            got += static_cast<std::size_t>(r);
        }
        return got;
    };
    const std::size_t got = read_up_to(head.data(), head.size());
    if (!starts_as_journal(head.data(), got)) {
        out.kind = JournalCheck::Kind::not_a_journal;
        out.problem = "'" + path.string() + "' is not a Canopy journal";
    } else if (got == head.size()) {
        std::uint64_t n = 0;
        std::memcpy(&n, head.data() + sizeof HEADER_MAGIC, sizeof n);
        // A fingerprint is a few dozen bytes; a longer one is a torn or foreign header.
        std::vector<std::uint8_t> rest(n <= 4096 ? static_cast<std::size_t>(n) + sizeof n : 0);
        if (!rest.empty() && read_up_to(rest.data(), rest.size()) == rest.size()) {
            const std::string theirs(reinterpret_cast<const char*>(rest.data()),
                                     static_cast<std::size_t>(n));
            std::uint64_t check = 0;
            std::memcpy(&check, rest.data() + n, sizeof check);
            const bool intact =
                check == detail::hash64(
                             {reinterpret_cast<const std::uint8_t*>(theirs.data()), theirs.size()});
            const bool ours = prefix ? theirs.compare(0, fingerprint.size(), fingerprint) == 0
                                     : theirs == fingerprint;
            if (intact && !ours) {
                out.kind = JournalCheck::Kind::other_experiment;
                out.problem = "journal '" + path.string() + "' belongs to another experiment";
            }
        }
    }
    ::close(fd);
    return out;
}

std::unique_ptr<Evaluator> journalled(std::unique_ptr<Evaluator> inner,
                                      const std::filesystem::path& path) {
    return std::make_unique<JournalledEvaluator>(std::move(inner), path);
}

} // namespace canopy::experiments
