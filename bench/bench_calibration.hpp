#pragma once
// canopy-bench calibration: what a calibration costs (bench_calibration.cpp says how each figure
// is measured) and how well its posteriors hold up on data simulated from known parameters.

#include <string>

namespace canopy::bench {

struct CalibrationOptions {
    std::string calibration; ///< the calibration file timed
    std::string method;      ///< "abc-smc", "smm" or empty: the file's
    int threads = 0;         ///< 0: all cores
    int repeats = 1;         ///< runs of each timing (best is kept)
    /// Parameter recovery: data sets per known parameter set (0: none).
    int recovery = 0;
    /// Simulation-based calibration: data sets from the prior (0: none).
    int sbc = 0;
    /// The calibration file of the recovery and SBC checks.
    std::string recovery_calibration;
};

int command_calibration(const CalibrationOptions& options);

} // namespace canopy::bench
