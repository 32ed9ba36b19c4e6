// The MPI evaluator. Built only when CMake found MPI (CANOPY_HAVE_MPI); without it the program
// still builds, mpi_available() is false and mpi_evaluator() says why it cannot run.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/evaluator.hpp>

namespace canopy::experiments {

#ifndef CANOPY_HAVE_MPI

bool mpi_available() noexcept {
    return false;
}

std::unique_ptr<Evaluator> mpi_evaluator() {
    throw Error("this build of Canopy has no MPI (install libopenmpi-dev and rebuild)");
}

#endif

} // namespace canopy::experiments
