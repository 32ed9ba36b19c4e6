#pragma once
/// \file input_path.hpp
/// Where an input file named by a user is looked up: here, then in the source tree. Shared by the
/// `canopy` command and the Python module so that "scenarios/reference.toml" names the same file
/// from any directory of a checkout, whichever of the two is asked.

#include <filesystem>
#include <string>

namespace canopy::output {

/// `given` as it is, or, when it is relative and does not exist here, the same relative path in
/// the source tree this build was configured from, if a file is there. Never throws; a path
/// found in neither place comes back as given, for the reader to report as missing.
std::filesystem::path resolve_input_path(const std::string& given);

} // namespace canopy::output
