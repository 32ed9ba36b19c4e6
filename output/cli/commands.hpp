#pragma once
/// \file commands.hpp
/// The subcommands of `canopy`. Each returns the process exit status:
///   0  success
///   1  a runtime failure (canopy::Error), reported on stderr
///   2  bad input: a scenario with errors, or a bad flag; nothing was written

#include <canopy/engine/statistics.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace canopy::cli {

/// Exit statuses.
inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_RUNTIME = 1;
inline constexpr int EXIT_BAD_INPUT = 2;

/// The scenario `canopy run` uses when none is named.
inline constexpr const char* DEFAULT_SCENARIO = "scenarios/wuhan-2023.toml";

/// The flags of `canopy run`.
struct RunArgs {
    std::string scenario = DEFAULT_SCENARIO;
    int replicates = 0; ///< 0: the scenario's
    bool replicates_set = false;
    std::uint64_t seed = 0;
    bool seed_set = false;
    int threads = 0; ///< 0: all cores
    std::string json;
    std::string out;
    std::string policy_mix;
    bool all_mixes = false;
    engine::IntervalMethod interval = engine::IntervalMethod::wilson;
    bool quiet = false;
};

/// A scenario path as given, or, when it is relative and does not exist here, the same
/// relative path in the source tree (so `canopy run` works from any directory of a checkout).
std::filesystem::path resolve_scenario(const std::string& given);

int run_command(const RunArgs& args);
int validate_command(const std::vector<std::string>& files);
int models_command();

} // namespace canopy::cli
