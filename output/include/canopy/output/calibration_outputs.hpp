#pragma once
/// \file calibration_outputs.hpp
/// Where a calibration's result may be written: the checks `canopy calibrate --out/--json` and
/// Python's `canopy.calibrate(out=...)` share, so that both refuse the same paths before the
/// calibration runs.

#include <filesystem>
#include <string>
#include <vector>

namespace canopy::experiments {
struct Calibration;
} // namespace canopy::experiments

namespace canopy::output {

/// Every problem with writing a calibration's result (HDF5) to `out` and, when `json` is not
/// empty or "-" (stdout), its JSON summary to `json`, one message each, starting with the name
/// the caller gives the argument (`out_name`, `json_name`: "--out" on the command line, "out" in
/// Python). `out` must end in .h5 and be writable (output_path_problem), `json` writable, the two
/// not one file, and neither may be a file the calibration reads: the calibration file at
/// `calibration_file`, and, when `calibration` is given (it loaded), its data file, every file of
/// its scenario (the scenario and those it extends) and the scenario's posterior. Nothing is
/// left behind.
std::vector<std::string> calibration_output_problems(const std::filesystem::path& calibration_file,
                                                     const experiments::Calibration* calibration,
                                                     const std::string& out,
                                                     const std::string& json,
                                                     const std::string& out_name = "--out",
                                                     const std::string& json_name = "--json");

} // namespace canopy::output
