#pragma once
// canopy-bench sweep: the sweep machinery's cost per design point and MPI efficiency
// (bench_sweep.cpp says how each figure is measured).

#include <string>

namespace canopy::bench {

struct SweepOptions {
    std::string sweep; ///< the sweep file
    std::string shard = "1/16";
    int threads = 0;    ///< 0: all cores
    int repeats = 2;    ///< best of
    int mpi_ranks = 0;  ///< > 1: also time mpirun -np 1 and -np K
    std::string canopy; ///< the canopy program (for mpirun)
    std::string mpirun = "mpirun";
};

int command_sweep(const SweepOptions& options);

} // namespace canopy::bench
