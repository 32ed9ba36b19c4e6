// ClientEvaluator: which failures of a client method (a calibration, solve, a lever study) every
// MPI rank shares, so that only the root says them.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/evaluator.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace canopy;

namespace {

// An evaluator that plays rank `rank` of `ranks`, and whose evaluate throws `failure` if set.
class Rank final : public experiments::Evaluator {
public:
    Rank(int rank, int ranks)
        : rank_(rank)
        , ranks_(ranks) {}
    std::vector<experiments::PointResult> evaluate(const experiments::Experiment&,
                                                   std::span<const experiments::Point> points,
                                                   const experiments::ResultCallback&) override {
        if (failure) {
            failure();
        }
        return std::vector<experiments::PointResult>(points.size());
    }
    [[nodiscard]] bool is_root() const override { return rank_ == 0; }
    [[nodiscard]] int processes() const override { return ranks_; }
    std::function<void()> failure;

private:
    int rank_;
    int ranks_;
};

// What leaves a client that runs on `inner` and then throws `thrown` itself (or, with
// `in_evaluate`, whose evaluate call throws it), caught the way the commands catch it.
struct Outcome {
    bool shared = false;
    bool reporter = false;
    std::string what;
};
template <class Thrown>
Outcome client_failure(Rank& inner, const Thrown& thrown, bool in_evaluate) {
    experiments::ClientEvaluator client(inner);
    if (in_evaluate) {
        inner.failure = [&] { throw thrown; };
    }
    try {
        try {
            (void)client.evaluate({}, {});
            throw thrown;
        } catch (...) {
            client.rethrow_shared();
        }
    } catch (const experiments::SharedFailure& e) {
        return {true, e.reporter(), e.what()};
    } catch (const Error& e) {
        return {false, false, e.what()};
    }
    return {};
}

} // namespace

TEST_CASE("A client's own failure is said by the root alone; an evaluator's is left as it is",
          "[unit][evaluator]") {
    const Error own("ABC-SMC: no run of the first 60 prior candidates gave finite figures");
    SECTION("under several ranks, the client's own error is shared, the root reports it") {
        Rank root(0, 3);
        Rank worker(2, 3);
        const Outcome a = client_failure(root, own, false);
        const Outcome b = client_failure(worker, own, false);
        CHECK(a.shared);
        CHECK(a.reporter);
        CHECK(b.shared);
        CHECK_FALSE(b.reporter);
        CHECK(a.what == own.what());
        CHECK(b.what == own.what());
    }
    SECTION("with one process, it passes unchanged") {
        Rank alone(0, 1);
        const Outcome a = client_failure(alone, own, false);
        CHECK_FALSE(a.shared);
        CHECK(a.what == own.what());
    }
    SECTION("an error that leaves the evaluator may be this rank's alone: every rank says it") {
        Rank worker(1, 3);
        const Outcome a = client_failure(worker, Error("MPI failed: MPI_Test"), true);
        CHECK_FALSE(a.shared);
        CHECK(a.what == "MPI failed: MPI_Test");
    }
    SECTION("a failure the evaluator shared keeps its reporter") {
        Rank worker(1, 3);
        const Outcome a = client_failure(
            worker, experiments::SharedFailure("rank 1, design point 2: std::bad_alloc", false),
            true);
        CHECK(a.shared);
        CHECK_FALSE(a.reporter);
    }
    SECTION("what is not a canopy::Error (out of memory on one rank) passes unchanged") {
        Rank worker(1, 3);
        experiments::ClientEvaluator client(worker);
        bool bad_alloc_left = false;
        try {
            try {
                throw std::bad_alloc();
            } catch (...) {
                client.rethrow_shared();
            }
        } catch (const std::bad_alloc&) {
            bad_alloc_left = true;
        }
        CHECK(bad_alloc_left);
    }
}

namespace {

// Sets the launcher variables of one test and puts back the process's own when it ends.
class LauncherEnvironment {
public:
    LauncherEnvironment() {
        for (const char* name : NAMES) {
            const char* value = std::getenv(name);
            saved_.emplace_back(name, value == nullptr ? std::nullopt
                                                       : std::optional<std::string>(value));
            ::unsetenv(name);
        }
    }
    ~LauncherEnvironment() {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name, value->c_str(), 1);
            } else {
                ::unsetenv(name);
            }
        }
    }
    LauncherEnvironment(const LauncherEnvironment&) = delete;
    LauncherEnvironment& operator=(const LauncherEnvironment&) = delete;
    static void set(const char* name, const char* value) { ::setenv(name, value, 1); }

private:
    static constexpr const char* NAMES[] = {
        "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_SIZE", "PMI_RANK", "PMIX_RANK",
        "SLURM_STEP_NUM_TASKS", "SLURM_STEP_ID"};
    std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

} // namespace

TEST_CASE("a resume hint names the launcher the ranks were started by", "[mpi]") {
    {
        LauncherEnvironment env;
        CHECK_FALSE(experiments::launched_ranks().launched);
        CHECK(experiments::launched_ranks().relaunch.empty());
    }
    {
        LauncherEnvironment env;
        env.set("OMPI_COMM_WORLD_SIZE", "4");
        env.set("OMPI_COMM_WORLD_RANK", "1");
        env.set("SLURM_STEP_ID", "0"); // mpirun inside a Slurm job: still mpirun
        const auto r = experiments::launched_ranks();
        CHECK(r.size == 4);
        CHECK(r.rank == 1);
        CHECK(r.relaunch == "mpirun -np 4");
    }
    {
        LauncherEnvironment env;
        env.set("PMIX_RANK", "2");
        env.set("SLURM_STEP_NUM_TASKS", "3");
        env.set("SLURM_STEP_ID", "0");
        const auto r = experiments::launched_ranks();
        CHECK(r.size == 3);
        CHECK(r.rank == 2);
        CHECK(r.relaunch == "srun --mpi=pmix -n 3");
    }
    {
        LauncherEnvironment env;
        env.set("PMI_SIZE", "2");
        env.set("PMI_RANK", "0");
        env.set("SLURM_STEP_ID", "5");
        CHECK(experiments::launched_ranks().relaunch == "srun --mpi=pmi2 -n 2");
    }
    {
        LauncherEnvironment env;
        env.set("PMI_SIZE", "2");
        env.set("PMI_RANK", "0");
        CHECK(experiments::launched_ranks().relaunch == "mpiexec -n 2");
    }
}
