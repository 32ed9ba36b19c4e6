#pragma once
/// \file json.hpp
/// The JSON summary of a run: a stable schema documented in docs/output-format.md.
///
/// Numbers are written in the shortest form that reads back as the same double, so equal
/// summaries give equal bytes (the determinism tests compare 1-, 2- and 4-thread runs byte for
/// byte); NaN and infinities, which JSON cannot express, are written as null. Keys keep the
/// documented order. Nothing in it depends on the machine, the time or the thread count.

#include <canopy/output/summary.hpp>

#include <span>
#include <string>

namespace canopy::output {

/// The version of the JSON schema; incremented when a field changes meaning or disappears.
inline constexpr int JSON_SCHEMA_VERSION = 2;

/// The JSON text (two-space indented, ending in a newline) for a run. With `mixes` (the runs of
/// the scenario's policy mixes, as `canopy run --all-mixes` makes them; the base is `run`) the
/// document also has a "policy_mixes" array with one entry per mix, in the order given.
std::string summary_json(const EnsembleSummary& run, std::span<const EnsembleSummary> mixes = {});

} // namespace canopy::output
