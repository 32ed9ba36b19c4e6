// canopy-bench sweep: what the sweep machinery costs beyond the simulations, and how well MPI
// ranks share a sweep (bench/README.md... and docs/sweeps.md quote the figures).
//
//   canopy-bench sweep [--sweep FILE] [--shard i/n] [--threads T] [--repeats R]
//                      [--mpi-ranks K] [--canopy PATH] [--mpirun PATH]
//
// Overhead per design point: the points of the sweep (or of one shard of it) run through the
// same pipeline as `canopy sweep` — the journalled local evaluator, the result's columns, the
// HDF5 file written and renamed — and the wall time not spent inside the simulations themselves
// (each point's simulate_seconds, measured around ModelHandle::run in the same run, so noise in
// the simulations cancels) is divided by the points. MPI efficiency: `mpirun -np 1` and
// `mpirun -np K` of `canopy sweep` on the same points with one thread per rank, alternated,
// best of R each; efficiency = T(1) / (K T(K)).
#include "bench_sweep.hpp"

#include <canopy/engine/parallel.hpp>
#include <canopy/experiments/sweep.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace canopy::bench {

namespace {

namespace fs = std::filesystem;
namespace ex = canopy::experiments;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Pipeline {
    double wall_s = 0.0;
    double simulate_s = 0.0;
    double evaluate_s = 0.0; ///< inside evaluate (journal and scheduling included)
    double result_s = 0.0;   ///< columns and the HDF5 file
    std::size_t points = 0;
};

// One run of the sweep pipeline on `points`, as `canopy sweep` does it.
Pipeline run_pipeline(const ex::Sweep& sweep, const ex::UnitDesign& design,
                      const std::vector<ex::Point>& points, const fs::path& dir) {
    const fs::path out = dir / "bench-sweep.h5";
    const fs::path journal = dir / "bench-sweep.h5.journal";
    fs::remove(out);
    fs::remove(journal);
    Pipeline p;
    p.points = points.size();
    const ex::Experiment experiment = sweep.experiment();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<ex::PointResult> results;
    {
        auto evaluator = ex::journalled(ex::local_evaluator(), journal);
        results = evaluator->evaluate(experiment, points, [&](const ex::PointResult& r) {
            p.simulate_s += r.simulate_seconds;
        });
    }
    p.evaluate_s = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    ex::SweepTiming timing;
    timing.wall_seconds = p.evaluate_s;
    const ex::SweepResult result = ex::make_sweep_result(sweep, design, points, results, timing);
    ex::write_sweep_result(out, result);
    fs::remove(journal);
    p.result_s = seconds_since(t1);
    p.wall_s = seconds_since(t0);
    fs::remove(out);
    return p;
}

double run_command(const std::string& command) {
    const auto t0 = std::chrono::steady_clock::now();
    const int status = std::system(command.c_str());
    const double s = seconds_since(t0);
    if (status != 0) {
        throw std::runtime_error("failed (" + std::to_string(status) + "): " + command);
    }
    return s;
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

} // namespace

int command_sweep(const SweepOptions& o) {
    ex::SweepLoad loaded = ex::load_sweep(o.sweep);
    if (!loaded.sweep) {
        std::fprintf(stderr, "%s", loaded.diagnostics.format().c_str());
        return 2;
    }
    const ex::Sweep& sweep = *loaded.sweep;
    std::string why;
    const auto shard = ex::parse_shard(o.shard, why);
    if (!shard) {
        std::fprintf(stderr, "canopy-bench: --shard: %s\n", why.c_str());
        return 2;
    }
    const ex::UnitDesign design = sweep.unit_design();
    const std::size_t total = design.points();
    const std::vector<ex::Point> points =
        sweep.points_of(design, shard->begin(total), shard->end(total));
    const fs::path dir = fs::temp_directory_path() / ("canopy-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);

    std::printf("# canopy sweep machinery: %s, shard %s (%zu of %zu points, %d replicates each)\n",
                o.sweep.c_str(), o.shard.c_str(), points.size(), total, sweep.replicates);
    {
        const engine::ThreadLimit limit(o.threads);
        Pipeline best;
        for (int r = 0; r < o.repeats; ++r) {
            const Pipeline p = run_pipeline(sweep, design, points, dir);
            if (r == 0 || p.wall_s - p.simulate_s < best.wall_s - best.simulate_s) {
                best = p;
            }
        }
        const double n = static_cast<double>(best.points);
        std::printf("summary bench=sweep_overhead points=%zu replicates=%d threads=%d "
                    "wall_s=%.3f simulate_s=%.3f overhead_s=%.4f overhead_per_point_ms=%.3f "
                    "evaluate_overhead_per_point_ms=%.3f result_per_point_ms=%.3f\n",
                    best.points, sweep.replicates, limit.threads(), best.wall_s, best.simulate_s,
                    best.wall_s - best.simulate_s, 1e3 * (best.wall_s - best.simulate_s) / n,
                    1e3 * (best.evaluate_s - best.simulate_s) / n, 1e3 * best.result_s / n);
    }

    if (o.mpi_ranks > 1) {
        const std::string root = ::geteuid() == 0 ? " --allow-run-as-root" : "";
        const auto command = [&](int ranks) {
            return quote(o.mpirun) + root + " --oversubscribe --bind-to none -np " +
                   std::to_string(ranks) + " " + quote(o.canopy) + " sweep " + quote(o.sweep) +
                   " --shard " + o.shard + " --threads 1 --quiet --out " +
                   quote((dir / ("mpi-" + std::to_string(ranks) + ".h5")).string());
        };
        double one = 0.0;
        double many = 0.0;
        for (int r = 0; r < o.repeats; ++r) {
            fs::remove(dir / "mpi-1.h5");
            fs::remove(dir / ("mpi-" + std::to_string(o.mpi_ranks) + ".h5"));
            const double t1 = run_command(command(1));
            const double tk = run_command(command(o.mpi_ranks));
            one = r == 0 ? t1 : std::min(one, t1);
            many = r == 0 ? tk : std::min(many, tk);
        }
        std::printf("summary bench=sweep_mpi points=%zu replicates=%d ranks=%d wall_1_rank_s=%.3f "
                    "wall_%d_ranks_s=%.3f speedup=%.3f efficiency=%.3f\n",
                    points.size(), sweep.replicates, o.mpi_ranks, one, o.mpi_ranks, many,
                    one / many, one / (o.mpi_ranks * many));
    }
    fs::remove_all(dir);
    return 0;
}

} // namespace canopy::bench
