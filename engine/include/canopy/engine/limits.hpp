#pragma once
/// \file limits.hpp
/// The limits a scenario must respect, and why each is where it is.
///
/// A scenario past one of these limits is bad input: the loader reports it as a diagnostic
/// (file, line, key, the limit) and nothing runs. docs/scenario-format.md ("Limits") lists them
/// with what happens past them; the memory a run needs is estimated separately, before it
/// starts (resources.hpp), because it depends on the flags of the run as well as the file.

#include <array>
#include <cstddef>
#include <cstdint>

namespace canopy::engine {

/// Most indicators one scenario may declare. A city plan has tens; machine-written scenarios
/// (one indicator per sector and month, say) hundreds or thousands. Every indicator costs a
/// series per replicate in memory and a dataset in the HDF5 file, so the limit keeps a file
/// that is otherwise valid from turning into gigabytes by accident.
inline constexpr std::size_t MAX_INDICATORS = 20'000;

/// Most targets one scenario may declare (each compares one indicator; same reasoning).
inline constexpr std::size_t MAX_TARGETS = 20'000;

/// Most replicates a scenario or `--replicates` may ask for.
inline constexpr std::int64_t MAX_REPLICATES = 1'000'000;

/// The longest horizon, in months from the first month to the last inclusive, that a model
/// accepts unless it declares its own (ModelInfo::max_horizon_months): a century. Models keep
/// months and counts in compact types and their parameters describe a present-day economy; a
/// model that is sound over longer horizons says so.
inline constexpr int DEFAULT_MAX_HORIZON_MONTHS = 1200;

/// The longest horizon any model may declare: 9,999 years of monthly steps would be 119,988
/// rows per series per replicate; past this the engine refuses whatever the model says.
inline constexpr int MAX_HORIZON_MONTHS = 100'000;

/// Ids an indicator may not take: the outputs' own axes (docs/output-format.md). In the HDF5
/// file the indicators sit beside `time`, `time_label` and `replicate`, and the documented
/// xarray recipe gives the indicators' group the root's coordinates, which an indicator of the
/// same name would shadow.
inline constexpr std::array<const char*, 3> RESERVED_INDICATOR_IDS = {"time", "time_label",
                                                                      "replicate"};

/// The name every output gives the scenario without a policy mix (docs/output-format.md): a
/// mix may not take it, or its results could not be told from the base's.
inline constexpr const char* BASE_POLICY_MIX = "base";

} // namespace canopy::engine
