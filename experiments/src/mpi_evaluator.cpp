// The MPI evaluator. Built only when CMake found MPI (CANOPY_HAVE_MPI); without it the program
// still builds, mpi_available() is false and mpi_evaluator() says why it cannot run.
//
// Work is handed out dynamically by rank 0, which also computes: its main thread coordinates
// (only it makes MPI calls, so MPI_THREAD_FUNNELED is enough) while a second thread evaluates
// rank 0's own points. A worker rank sends each result with its request for the next point; the
// root answers with a point's position or STOP. Waits poll with short sleeps instead of MPI's
// busy-waiting, so an idle rank does not take a core from one that computes. At the end the root
// broadcasts every result (or the first failure) to every rank: a failure stops every rank
// together, and only rank 0 reports it (SharedFailure).
//
// Every rank must compute the same experiment: a rank that read other inputs (a node-local copy
// of an older file, a shared file system that lags) would return results for points rank 0 did
// not ask for, mixed in under rank 0's fingerprint. rank_inputs_problem lets a command compare
// the ranks' fingerprints before anything runs or is written, and every `evaluate` compares a
// digest of its experiment and points on every rank before computing any of them; rank 0 also
// checks that each result it receives is for the point it handed out.
#include "wire.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/evaluator.hpp>

#include <climits>

#include <algorithm>
#include <cstdlib>
#include <string>

#ifdef CANOPY_HAVE_MPI
#include <chrono>
#include <cstdlib>
#include <exception>
#include <mpi.h>
#include <optional>
#include <thread>
#endif

namespace canopy::experiments {

namespace {

// A non-negative whole number from the environment, or `fallback` when unset or not one.
int environment_int(const char* name, int fallback) noexcept {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return fallback;
    }
    char* end = nullptr;
    const long x = std::strtol(value, &end, 10);
    if (*end != '\0' || x < 0 || x > INT_MAX) {
        return fallback;
    }
    return static_cast<int>(x);
}

} // namespace

LaunchedRanks launched_ranks() {
    LaunchedRanks r;
    r.launched = true;
    // Under srun each task has the step's id; under mpirun (even inside a Slurm job) the ranks
    // carry Open MPI's own variables, tested first.
    const bool slurm_step = std::getenv("SLURM_STEP_ID") != nullptr;
    std::string launcher;
    if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr) { // Open MPI's mpirun
        r.size = environment_int("OMPI_COMM_WORLD_SIZE", 1);
        r.rank = environment_int("OMPI_COMM_WORLD_RANK", 0);
        launcher = "mpirun -np ";
    } else if (std::getenv("PMI_SIZE") != nullptr ||
               std::getenv("PMI_RANK") != nullptr) { // MPICH's Hydra, srun --mpi=pmi2
        r.size = environment_int("PMI_SIZE", 1);
        r.rank = environment_int("PMI_RANK", 0);
        launcher = slurm_step ? "srun --mpi=pmi2 -n " : "mpiexec -n ";
    } else if (std::getenv("PMIX_RANK") != nullptr) { // srun --mpi=pmix: the step's tasks
        r.size = environment_int("SLURM_STEP_NUM_TASKS", 1);
        r.rank = environment_int("PMIX_RANK", 0);
        launcher = slurm_step ? "srun --mpi=pmix -n " : "mpirun -np ";
    } else {
        r.launched = false;
    }
    r.size = std::max(r.size, 1);
    if (r.launched) {
        r.relaunch = launcher + std::to_string(r.size);
    }
    return r;
}

#ifndef CANOPY_HAVE_MPI

bool mpi_available() noexcept {
    return false;
}

std::unique_ptr<Evaluator> mpi_evaluator() {
    throw Error("this build of Canopy has no MPI (install libopenmpi-dev and rebuild)");
}

std::unique_ptr<Evaluator> default_evaluator() {
    // Started by mpirun with several ranks, a build without MPI would run the whole experiment
    // in every rank, each writing the same files: refuse instead.
    if (const LaunchedRanks ranks = launched_ranks(); ranks.size > 1) {
        throw Error("started by an MPI launcher with " + std::to_string(ranks.size) +
                    " ranks, but this build of Canopy has no MPI (install libopenmpi-dev and "
                    "rebuild, or run it without mpirun)");
    }
    return local_evaluator();
}

std::string rank_inputs_problem(const std::string& /*fingerprint*/, const std::string& /*problem*/,
                                const std::string& /*inputs*/) {
    return {}; // one process: nothing to compare with (default_evaluator refuses several)
}

#else

namespace {

// Message tags.
constexpr int TAG_RESULT = 1; ///< worker -> root: a result (or nothing, at the start), and "next"
constexpr int TAG_FAILED = 2; ///< worker -> root: the worker's point failed; the text says why
constexpr int TAG_WORK = 3;   ///< root -> worker: u64 position of the next point
constexpr int TAG_STOP = 4;   ///< root -> worker: no more points

// MPI for this process: started on first use when a launcher started the process, finished at
// exit. A process not started by mpirun (or srun) never touches MPI.
class Session {
public:
    Session() {
        if (!launched_ranks().launched) {
            return;
        }
        int already = 0;
        MPI_Initialized(&already);
        if (already == 0) {
            int provided = 0;
            if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
                return;
            }
            owned_ = true;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
        started_ = true;
    }
    ~Session() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (owned_ && finalized == 0) {
            MPI_Finalize();
        }
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    [[nodiscard]] bool started() const noexcept { return started_; }
    [[nodiscard]] int rank() const noexcept { return rank_; }
    [[nodiscard]] int size() const noexcept { return size_; }

private:
    bool started_ = false;
    bool owned_ = false;
    int rank_ = 0;
    int size_ = 1;
};

Session& session() {
    static Session s;
    return s;
}

void check(int status, const char* what) {
    if (status != MPI_SUCCESS) {
        throw Error(std::string("MPI failed: ") + what);
    }
}

// Completes a request without spinning a core: test, and sleep a little between tests.
// The sleep between two polls after `idle` empty ones: short at first, so a reply that is about
// to arrive is taken at once, then longer, so a rank that waits for a point of several hundred
// milliseconds wakes a few hundred times a second, not thousands, and does not take the core from
// the thread that computes (on a machine with as many ranks as cores, every wake-up is a context
// switch on a core that is computing).
void pause_after(int idle) {
    const int microseconds = idle < 100 ? 20 : idle < 1000 ? 200 : 2000;
    std::this_thread::sleep_for(std::chrono::microseconds(microseconds));
}

void wait_politely(MPI_Request& request) {
    int done = 0;
    for (int spins = 0;; ++spins) {
        check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
        if (done != 0) {
            return;
        }
        pause_after(spins);
    }
}

// Broadcasts the root's bytes to every rank, in pieces MPI's int counts can hold.
void broadcast(std::vector<std::uint8_t>& bytes) {
    std::uint64_t size = bytes.size();
    MPI_Request request{};
    check(MPI_Ibcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast");
    wait_politely(request);
    bytes.resize(static_cast<std::size_t>(size));
    constexpr std::size_t PIECE = std::size_t{1} << 30;
    for (std::size_t at = 0; at < bytes.size(); at += PIECE) {
        const auto n = static_cast<int>(std::min(PIECE, bytes.size() - at));
        check(MPI_Ibcast(bytes.data() + at, n, MPI_BYTE, 0, MPI_COMM_WORLD, &request),
              "MPI_Ibcast");
        wait_politely(request);
    }
}

// Every rank's bytes, on the root in rank order (empty elsewhere).
std::vector<std::vector<std::uint8_t>> gather(const std::vector<std::uint8_t>& mine) {
    const int size = session().size();
    const bool root = session().rank() == 0;
    if (mine.size() > static_cast<std::size_t>(INT32_MAX)) {
        throw Error("MPI: too many bytes to gather (" + std::to_string(mine.size()) + ")");
    }
    int count = static_cast<int>(mine.size());
    std::vector<int> counts(root ? static_cast<std::size_t>(size) : 0);
    MPI_Request request{};
    check(MPI_Igather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD, &request),
          "MPI_Igather");
    wait_politely(request);
    std::vector<int> offsets(counts.size());
    std::size_t total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
        if (total + static_cast<std::size_t>(counts[r]) > static_cast<std::size_t>(INT32_MAX)) {
            throw Error("MPI: too many bytes to gather");
        }
        offsets[r] = static_cast<int>(total);
        total += static_cast<std::size_t>(counts[r]);
    }
    std::vector<std::uint8_t> all(total);
    check(MPI_Igatherv(mine.data(), count, MPI_BYTE, all.data(), counts.data(), offsets.data(),
                       MPI_BYTE, 0, MPI_COMM_WORLD, &request),
          "MPI_Igatherv");
    wait_politely(request);
    std::vector<std::vector<std::uint8_t>> out;
    for (std::size_t r = 0; r < counts.size(); ++r) {
        const auto at = all.begin() + offsets[r];
        out.emplace_back(at, at + counts[r]);
    }
    return out;
}

// This process's host, as MPI names it.
std::string host_name() {
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int length = 0;
    if (MPI_Get_processor_name(name, &length) != MPI_SUCCESS || length <= 0) {
        return "?";
    }
    return std::string(name, static_cast<std::size_t>(length));
}

// What one rank said about its inputs.
struct RankInputs {
    std::string fingerprint;
    std::string problem;
    std::string host;
};

// "rank 1 (host a), rank 2 (host b)", at most a few ranks by name.
std::string rank_list(const std::vector<std::string>& ranks) {
    constexpr std::size_t SHOWN = 8;
    std::string out;
    for (std::size_t k = 0; k < ranks.size() && k < SHOWN; ++k) {
        out += (k == 0 ? "" : ", ") + ranks[k];
    }
    if (ranks.size() > SHOWN) {
        out += " and " + std::to_string(ranks.size() - SHOWN) + " more ranks";
    }
    return out;
}

// The root's message about every rank's inputs (rank_inputs_problem), or empty when they agree.
std::string inputs_message(const std::vector<RankInputs>& ranks, const std::string& inputs) {
    const auto who = [&](std::size_t r) {
        return "rank " + std::to_string(r) + " (host " + ranks[r].host + ")";
    };
    std::vector<std::string> unreadable;
    std::vector<std::string> different;
    for (std::size_t r = 0; r < ranks.size(); ++r) {
        if (ranks[r].fingerprint.empty()) {
            unreadable.push_back(
                who(r) + " could not read its inputs: " +
                (ranks[r].problem.empty() ? std::string("no reason given") : ranks[r].problem));
        } else if (r > 0 && !ranks[0].fingerprint.empty() &&
                   ranks[r].fingerprint != ranks[0].fingerprint) {
            different.push_back(who(r));
        }
    }
    if (unreadable.empty() && different.empty()) {
        return {};
    }
    std::string out = "the MPI ranks do not all have the same inputs: ";
    if (!different.empty()) {
        out += rank_list(different) + (different.size() == 1 ? " differs" : " differ") + " from " +
               who(0) + " in " + inputs;
    }
    for (const std::string& u : unreadable) {
        out += (&u == &unreadable.front() && different.empty() ? "" : "; ") + u;
    }
    out += ". Every rank must read the same input files: where they are copied to each node, "
           "copy the same version to every node; on a shared file system, wait until every "
           "node sees the latest version, and do not edit them while the job waits to start; "
           "then rerun";
    return out;
}

// Every rank's (fingerprint, problem, host), compared on the root; its message on every rank.
std::string compare_ranks(const std::string& fingerprint, const std::string& problem,
                          const std::string& inputs) {
    detail::Writer mine;
    mine.text(fingerprint);
    mine.text(problem);
    mine.text(host_name());
    const std::vector<std::vector<std::uint8_t>> all = gather(mine.bytes);
    std::vector<std::uint8_t> message;
    if (session().rank() == 0) {
        std::vector<RankInputs> ranks;
        for (const std::vector<std::uint8_t>& bytes : all) {
            detail::Reader in(bytes);
            RankInputs r;
            r.fingerprint = in.text();
            r.problem = in.text();
            r.host = in.text();
            ranks.push_back(std::move(r));
        }
        const std::string text = inputs_message(ranks, inputs);
        message.assign(text.begin(), text.end());
    }
    broadcast(message);
    return std::string(message.begin(), message.end());
}

// A digest of what an `evaluate` computes: the experiment's fingerprint and settings, and every
// point's index and values (their bits).
std::string batch_digest(const Experiment& experiment, std::span<const Point> points) {
    detail::Writer w;
    w.text(experiment.fingerprint);
    w.u64(static_cast<std::uint64_t>(experiment.replicates));
    w.u32(experiment.first_replicate);
    w.u64(experiment.seed);
    w.u32(experiment.common_random_numbers ? 1 : 0);
    w.u64(experiment.factors.size());
    w.u64(points.size());
    for (const Point& p : points) {
        w.u64(p.index);
        w.doubles(p.values);
    }
    return make_fingerprint(std::vector<std::string>{std::string(w.bytes.begin(), w.bytes.end())});
}

void send_bytes(const std::vector<std::uint8_t>& bytes, int to, int tag) {
    if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) {
        throw Error("a point's result is too large to send (" + std::to_string(bytes.size()) +
                    " bytes)");
    }
    MPI_Request request{};
    check(MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to, tag, MPI_COMM_WORLD,
                    &request),
          "MPI_Isend");
    wait_politely(request);
}

class MpiEvaluator final : public Evaluator {
public:
    MpiEvaluator()
        : rank_(session().rank())
        , size_(session().size()) {}

    std::vector<PointResult> evaluate(const Experiment& experiment, std::span<const Point> points,
                                      const ResultCallback& on_result) override {
        // Before any point is computed: every rank must have been asked for the same points of
        // the same experiment, or a rank's results would be taken for rank 0's points.
        if (const std::string problem =
                compare_ranks(batch_digest(experiment, points), {},
                              "the experiment or design points asked for (its inputs, seed, "
                              "replicates or points)");
            !problem.empty()) {
            throw SharedFailure(problem, rank_ == 0);
        }
        std::vector<std::uint8_t> message;
        if (rank_ == 0) {
            message = coordinate(experiment, points, on_result);
        } else {
            work(experiment, points);
        }
        broadcast(message);
        detail::Reader in(message);
        if (in.u32() != 0) {
            // Every rank stops here together; the root alone says why (main.cpp).
            throw SharedFailure(in.text(), rank_ == 0);
        }
        std::vector<PointResult> results;
        results.reserve(points.size());
        for (std::size_t k = 0; k < points.size(); ++k) {
            results.push_back(detail::read_result(in));
        }
        return results;
    }

    [[nodiscard]] bool is_root() const override { return rank_ == 0; }
    [[nodiscard]] int processes() const override { return size_; }
    void share(std::vector<std::uint8_t>& bytes) override { broadcast(bytes); }

private:
    // A worker: ask, compute, answer with the result, until told to stop.
    void work(const Experiment& experiment, std::span<const Point> points) {
        std::vector<std::uint8_t> outgoing; // empty: the first request
        int tag = TAG_RESULT;
        for (;;) {
            send_bytes(outgoing, 0, tag);
            MPI_Status status{};
            int arrived = 0;
            for (int spins = 0; arrived == 0; ++spins) {
                check(MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status), "MPI_Iprobe");
                if (arrived == 0) {
                    pause_after(spins);
                }
            }
            std::uint64_t position = 0;
            check(MPI_Recv(&position, status.MPI_TAG == TAG_WORK ? 1 : 0, MPI_UINT64_T, 0,
                           status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                  "MPI_Recv");
            if (status.MPI_TAG == TAG_STOP) {
                return;
            }
            detail::Writer w;
            try {
                detail::write_result(w, evaluate_point(experiment, points[position]));
                tag = TAG_RESULT;
            } catch (const std::exception& e) {
                w = detail::Writer{};
                w.text("rank " + std::to_string(rank_) + " (host " + host_name() +
                       "), design point " + std::to_string(points[position].index) + ": " +
                       e.what());
                tag = TAG_FAILED;
            }
            outgoing = std::move(w.bytes);
        }
    }

    // The root: hand out points to the workers and to its own thread, collect the results.
    std::vector<std::uint8_t> coordinate(const Experiment& experiment,
                                         std::span<const Point> points,
                                         const ResultCallback& on_result) {
        const std::size_t n = points.size();
        std::vector<std::optional<PointResult>> results(n);
        std::size_t next = 0;
        std::size_t received = 0;
        int running_workers = size_ - 1;
        std::string failure;
        std::vector<std::size_t> given(static_cast<std::size_t>(size_), 0); // position per rank

        // Rank 0's own points, on a thread of their own (no MPI calls there).
        const std::string host = host_name();
        struct Local {
            std::thread thread;
            std::size_t position = 0;
            std::optional<PointResult> result;
            std::string error;
            std::atomic<bool> done{false};
            bool busy = false;
        } local;
        const auto start_local = [&](std::size_t position) {
            local.position = position;
            local.result.reset();
            local.error.clear();
            local.done = false;
            local.busy = true;
            local.thread = std::thread([&experiment, &points, &local, &host] {
                try {
                    local.result = evaluate_point(experiment, points[local.position]);
                } catch (const std::exception& e) {
                    local.error = "rank 0 (host " + host + "), design point " +
                                  std::to_string(points[local.position].index) + ": " + e.what();
                }
                local.done = true;
            });
        };
        const auto finish = [&](std::size_t position, PointResult r) {
            if (on_result && failure.empty()) {
                try {
                    on_result(r); // a journal's write, a progress bar
                } catch (const Error& e) {
                    failure = e.what();
                } catch (const std::exception& e) {
                    failure = "internal error while recording design point " +
                              std::to_string(r.index) + " (" + e.what() + ")";
                }
            }
            results[position] = std::move(r);
            ++received;
        };
        if (n > 0) {
            start_local(next++);
        }

        std::vector<std::uint8_t> buffer;
        for (int idle = 0; running_workers > 0 || local.busy; ++idle) {
            bool progressed = false;
            if (local.busy && local.done) {
                local.thread.join();
                local.busy = false;
                if (!local.error.empty()) {
                    failure = failure.empty() ? local.error : failure;
                } else {
                    finish(local.position, std::move(*local.result));
                }
                if (failure.empty() && next < n) {
                    start_local(next++);
                }
                progressed = true;
            }
            MPI_Status status{};
            int arrived = 0;
            check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status),
                  "MPI_Iprobe");
            if (arrived != 0) {
                int count = 0;
                check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
                buffer.resize(static_cast<std::size_t>(count));
                check(MPI_Recv(buffer.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG,
                               MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                      "MPI_Recv");
                const auto from = static_cast<std::size_t>(status.MPI_SOURCE);
                detail::Reader in(buffer);
                if (status.MPI_TAG == TAG_FAILED) {
                    const std::string why = in.text();
                    failure = failure.empty() ? why : failure;
                } else if (count > 0) {
                    // A result is recorded only when it is for the point this rank was given:
                    // a journal would keep it under rank 0's fingerprint.
                    PointResult r;
                    std::string refused;
                    try {
                        r = detail::read_result(in);
                    } catch (const std::exception& e) {
                        refused = "rank " + std::to_string(from) +
                                  " sent a result that cannot be read (" + e.what() + ")";
                    }
                    const Point& asked = points[given[from]];
                    if (refused.empty() &&
                        (r.index != asked.index ||
                         r.replicates != static_cast<std::uint32_t>(experiment.replicates))) {
                        refused = "rank " + std::to_string(from) + " returned design point " +
                                  std::to_string(r.index) + " with " +
                                  std::to_string(r.replicates) + " replicates when given point " +
                                  std::to_string(asked.index) + " with " +
                                  std::to_string(experiment.replicates) +
                                  ": its inputs differ from rank 0's";
                    }
                    if (!refused.empty()) {
                        failure = failure.empty() ? refused : failure;
                    } else {
                        finish(given[from], std::move(r));
                    }
                }
                if (failure.empty() && next < n) {
                    given[from] = next;
                    std::uint64_t position = next++;
                    MPI_Request request{};
                    check(MPI_Isend(&position, 1, MPI_UINT64_T, status.MPI_SOURCE, TAG_WORK,
                                    MPI_COMM_WORLD, &request),
                          "MPI_Isend");
                    wait_politely(request);
                } else {
                    MPI_Request request{};
                    check(MPI_Isend(nullptr, 0, MPI_UINT64_T, status.MPI_SOURCE, TAG_STOP,
                                    MPI_COMM_WORLD, &request),
                          "MPI_Isend");
                    wait_politely(request);
                    --running_workers;
                }
                progressed = true;
            }
            if (progressed) {
                idle = 0;
            } else {
                pause_after(idle);
            }
        }

        detail::Writer out;
        if (failure.empty() && received != n) {
            failure = "MPI evaluation ended with " + std::to_string(received) + " of " +
                      std::to_string(n) + " results";
        }
        if (!failure.empty()) {
            out.u32(1);
            out.text(failure);
            return out.bytes;
        }
        out.u32(0);
        for (const auto& r : results) {
            detail::write_result(out, *r);
        }
        return out.bytes;
    }

    int rank_;
    int size_;
};

} // namespace

bool mpi_available() noexcept {
    try {
        return session().started() && session().size() > 1;
    } catch (...) {
        return false;
    }
}

std::unique_ptr<Evaluator> default_evaluator() {
    if (mpi_available()) {
        return mpi_evaluator();
    }
    return local_evaluator();
}

std::string rank_inputs_problem(const std::string& fingerprint, const std::string& problem,
                                const std::string& inputs) {
    if (!session().started() || session().size() < 2) {
        return {};
    }
    return compare_ranks(fingerprint, fingerprint.empty() ? problem : std::string(), inputs);
}

std::unique_ptr<Evaluator> mpi_evaluator() {
    if (!session().started()) {
        throw Error("not started under an MPI launcher (mpirun -np K canopy ...)");
    }
    return std::make_unique<MpiEvaluator>();
}

#endif

} // namespace canopy::experiments
