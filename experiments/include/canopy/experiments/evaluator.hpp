#pragma once
/// \file evaluator.hpp
/// Evaluators: how a batch of design points becomes their results — on this machine's threads,
/// across MPI ranks, or for one shard of a Slurm array.
///
/// Sweeps, sensitivity, calibration, `compare` and `solve` are clients of this interface and do
/// not know where their points run (DESIGN.md section 5). The contract every evaluator keeps:
///  - `evaluate` returns one result per point, in the order of `points`, each equal bit for bit
///    to evaluate_point(experiment, point) (so which evaluator ran it never shows in results);
///  - it is collective: under MPI every rank calls it with the same experiment and points (the
///    clients are deterministic, so every rank computes the same batches), and every rank gets
///    every result back; only the root writes files (`is_root()`);
///  - `on_result` (optional) is called on the root, once per point, as points complete (in
///    completion order, from one thread at a time): progress bars and journals hang here.

#include <canopy/engine/error.hpp>
#include <canopy/experiments/experiment.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments {

/// A failure every MPI rank stops with at once, with the same message: a design point that
/// failed while running on one rank (or a result the root could not record), which the root
/// then tells every rank. Only the root should report it; each of K ranks saying it would show
/// the user one failure K times. A canopy::Error, so a caller that does not care catches it as
/// one.
class SharedFailure : public Error {
public:
    SharedFailure(const std::string& what, bool reporter)
        : Error(what)
        , reporter_(reporter) {}
    /// Whether this process is the one to report it (the root).
    [[nodiscard]] bool reporter() const noexcept { return reporter_; }

private:
    bool reporter_;
};

/// Called once per completed point on the root (completion order, serialised).
using ResultCallback = std::function<void(const PointResult&)>;

/// Turns batches of points into results. See the file comment for the contract.
class Evaluator {
public:
    virtual ~Evaluator() = default;
    /// Evaluates `points` of `experiment`; results in the order of `points`.
    virtual std::vector<PointResult> evaluate(const Experiment& experiment,
                                              std::span<const Point> points,
                                              const ResultCallback& on_result = {}) = 0;
    /// Whether this process writes outputs (rank 0 under MPI; always true otherwise).
    [[nodiscard]] virtual bool is_root() const { return true; }
    /// Processes taking part (MPI ranks; 1 otherwise).
    [[nodiscard]] virtual int processes() const { return 1; }
    /// Makes `bytes` on every process equal to the root's (collective under MPI; nothing to do
    /// with one process). Wrappers use it to tell every rank what only the root knows (the
    /// journal's contents, whether a check passed) before a collective `evaluate`.
    virtual void share(std::vector<std::uint8_t>& bytes) { (void)bytes; }
};

/// The evaluator a client method (a calibration, `solve`, a lever study) runs on: it passes every
/// call to `inner` and remembers whether an exception left one.
///
/// Under MPI every rank runs the client alike on the results the evaluator shares, so an error
/// the client throws itself (no run of the pilot gave a finite figure, say) is thrown on every
/// rank with the same words, and each of K ranks saying it would show the user one failure K
/// times. `rethrow_shared` turns such an error into a SharedFailure that only the root reports.
/// An error that leaves an `evaluate` or `share` call is the evaluator's to mark: a failure it
/// shared already is one, and a rank's own fault (an MPI call that failed on it) must be said by
/// that rank.
class ClientEvaluator final : public Evaluator {
public:
    explicit ClientEvaluator(Evaluator& inner)
        : inner_(inner) {}
    std::vector<PointResult> evaluate(const Experiment& experiment, std::span<const Point> points,
                                      const ResultCallback& on_result = {}) override;
    [[nodiscard]] bool is_root() const override { return inner_.is_root(); }
    [[nodiscard]] int processes() const override { return inner_.processes(); }
    void share(std::vector<std::uint8_t>& bytes) override;

    /// Rethrows the exception being handled (call it only inside a catch block): a canopy::Error
    /// the client threw itself, when several processes take part, as a SharedFailure reported by
    /// the root; anything else unchanged.
    [[noreturn]] void rethrow_shared() const;

    /// Runs method(*this) and returns what it returns; what it throws leaves through
    /// rethrow_shared.
    template <class Method>
    auto run(Method&& method) -> decltype(method(*this)) {
        try {
            return method(*this);
        } catch (...) {
            rethrow_shared();
        }
    }

private:
    Evaluator& inner_;
    bool escaped_ = false; ///< an exception left a call to `inner_`
};

/// Points on this process: each point's replicates on the engine's TBB ensemble, and several
/// points at once when a point has fewer replicates than there are threads.
std::unique_ptr<Evaluator> local_evaluator();

/// Receives a journal's warnings (records it had to skip), one message at a time.
using JournalWarning = std::function<void(const std::string&)>;

/// Wraps another evaluator with a journal at `path`: every completed point is appended (with a
/// checksum, flushed and fsync'd) as it finishes; points already in the journal (same experiment
/// fingerprint, index and values) are not computed again but read back. A torn last record (a
/// kill -9 mid-write) is ignored and its point recomputed. A record that fails its checksum is
/// skipped with a warning (to `warn`; by default "canopy: warning: ..." on stderr) and its point
/// recomputed; intact records after it are kept. Throws canopy::Error when the journal belongs to
/// another experiment, is not a journal, or its header is damaged (never started afresh).
///
/// A record is written with one write() as its point completes, so a killed process loses no
/// completed point; the fsync runs on a background thread (and once more before `evaluate`
/// returns), so no point waits for the disk. A point read back has simulate_seconds 0: no
/// simulation ran for it in this process. Under MPI only the root reads and writes the journal.
std::unique_ptr<Evaluator> journalled(std::unique_ptr<Evaluator> inner,
                                      const std::filesystem::path& path, JournalWarning warn = {});

/// Whether an existing journal can be resumed (journal_check).
struct JournalCheck {
    enum class Kind {
        resumable,        ///< missing, ours, or fewer than 16 bytes that begin the header's magic
                          ///< (a header cut off before anything was journalled)
        other_experiment, ///< a journal written for an experiment with another fingerprint
        other_build,      ///< a journal written by another build of Canopy (build_id.hpp)
        not_a_journal,    ///< not a Canopy journal at all (a directory, or bytes that do not
                          ///< begin with the header's magic)
        damaged,          ///< begins with the magic, but the rest of the header is cut off or
                          ///< fails its checksum: never started afresh (records may follow)
        unreadable        ///< cannot be opened
    };
    Kind kind = Kind::resumable;
    std::string problem; ///< empty when resumable; otherwise names the file and says what is wrong
    std::string fingerprint; ///< the journal's fingerprint, when its header is intact
};

/// Why the journal at `path`, written by build `theirs` ("" for a journal from before builds
/// were recorded), is not resumed by this build, `ours` (build_id.hpp).
std::string other_build_journal(const std::filesystem::path& path, const std::string& theirs,
                                const std::string& ours);

/// Whether the journal at `path` can be resumed by the experiment whose fingerprint is
/// `fingerprint` (with `prefix`: by an experiment whose fingerprint starts with it, as each of a
/// calibration's experiments does). Reads the header only and changes nothing, so that a command
/// can refuse a bad journal before anything runs; `journalled` throws for the same files.
JournalCheck journal_check(const std::filesystem::path& path, const std::string& fingerprint,
                           bool prefix = false);

/// Whether this build has MPI and the process was started under an MPI launcher with more than
/// one rank (so `mpi_evaluator` distributes work).
bool mpi_available() noexcept;

/// Points spread over MPI ranks dynamically: rank 0 hands out points as ranks ask for them and
/// computes points itself meanwhile; results are gathered on rank 0 and broadcast to all. Throws
/// canopy::Error when the build has no MPI.
std::unique_ptr<Evaluator> mpi_evaluator();

/// The evaluator a command should use: MPI when started under mpirun with several ranks,
/// otherwise local.
std::unique_ptr<Evaluator> default_evaluator();

/// How an MPI launcher (mpirun, or srun with PMI or PMIx) started this process, read from the
/// environment it sets, without starting MPI: this process's rank and the number of ranks. Rank 0
/// of 1 when no launcher started it. Works in builds without MPI too, so that a command that runs
/// on one process can refuse to run once per rank.
struct LaunchedRanks {
    int rank = 0;
    int size = 1;
    bool launched = false; ///< a launcher's variables are set (MPI starts on first use)
    /// How to start `size` such ranks again, for a hint: "mpirun -np 4", "srun --mpi=pmix -n 4",
    /// "srun --mpi=pmi2 -n 4" or "mpiexec -n 4"; empty when not launched.
    std::string relaunch;
};
LaunchedRanks launched_ranks();

/// Whether every MPI rank is about to compute the same experiment: collective under MPI with
/// several ranks (every rank calls it at the same place, before anything runs); returns empty
/// at once otherwise. Each rank passes the fingerprint of its inputs (Experiment::fingerprint and
/// anything else that decides its points), or, when it could not read them, empty and `problem`
/// saying why. Returns, on every rank, empty when every rank's fingerprint equals rank 0's;
/// otherwise one message (the same on every rank, for rank 0 to print) naming each rank that
/// differs or could not read its inputs, with its host, and saying what to do. `inputs` names
/// what must agree, for that message ("the sweep file, its scenario ...").
///
/// Ranks whose inputs differ would compute other points than rank 0 asks for (a node-local copy
/// of an older file, a shared file system that lags, a file edited while the job was queued),
/// and their results would be mixed into rank 0's under rank 0's fingerprint.
std::string rank_inputs_problem(const std::string& fingerprint, const std::string& problem,
                                const std::string& inputs);

} // namespace canopy::experiments
