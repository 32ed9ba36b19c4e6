#pragma once
/// \file sweep_result.hpp
/// A sweep's result file (HDF5, laid out for xarray with a `point` dimension), as plain data.
///
/// Layout (docs/output-format.md is the contract):
///   /                      attributes: kind = "sweep", design, base_samples, levels, factors
///                          (names in design order), seed, replicates (per point),
///                          common_random_numbers, sweep_text, scenario_text, engine_version,
///                          build_id (the build that computed it: build_id.hpp),
///                          fingerprint, complete (0/1: a --design-only file is 0),
///                          wall_seconds, points_per_second, overhead_per_point_seconds,
///                          points_total, shard ("i/n" in one shard's file, else "")
///   /point                 [point] 0 .. points - 1 (dimension scale "point"); in a shard's
///                          file, the design's indices of the shard's points
///   /design/<factor>       [point] the factor's value at each point
///   /design_unit           [point, factor] the unit-cube coordinates the values came from
///   /targets/<id>/p_attain, p_attain_lo, p_attain_hi, median     [point]
///                          attributes: unit, comparison, threshold
///   /indicators/<id>/mean, q05, q50, q95                         [point], attribute unit
///   /indicators/<id>/mean_path                [point, time] when the sweep asked for paths
///   /indicators/<id>/finals                   [point, replicate] when it asked for finals
///   /time                  [time] labels "2023-01" ... (dimension scale), with paths only
///   /outputs/<name>        [point] outputs another program computed (read, never written)
/// Reading and writing never expose HDF5 in this header.

#include <canopy/experiments/design.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace canopy::experiments {

/// One target's columns over the points.
struct TargetColumns {
    std::string id;
    std::string unit;
    std::string comparison; ///< ">", ">=", "<", "<="
    double threshold = 0.0;
    std::vector<double> p_attain, p_attain_lo, p_attain_hi, median; ///< [point]
};

/// One indicator's columns over the points.
struct IndicatorColumns {
    std::string id;
    std::string unit;
    std::vector<double> mean, q05, q50, q95; ///< [point]
    std::vector<double> mean_path;           ///< [point * rows + row], or empty
    std::vector<double> finals;              ///< [point * replicates + replicate], or empty
};

/// Everything in a sweep result file.
struct SweepResult {
    DesignKind design = DesignKind::grid;
    std::vector<std::string> factors;        ///< design order
    UnitDesign unit;                         ///< the unit-cube design (with base_samples, levels)
    std::vector<std::vector<double>> values; ///< [factor][point]
    std::uint64_t seed = 0;
    int replicates = 0;
    bool common_random_numbers = true;
    bool complete = false; ///< false for a --design-only file
    std::string sweep_text, scenario_text, engine_version, fingerprint;
    /// The build that computed it (build_id.hpp); empty in a file written before builds were
    /// recorded.
    std::string build_id;
    double wall_seconds = 0.0, points_per_second = 0.0, overhead_per_point_seconds = 0.0;
    std::vector<std::string> time_labels; ///< rows of the paths, or empty
    std::vector<TargetColumns> targets;
    std::vector<IndicatorColumns> indicators;
    std::vector<std::pair<std::string, std::vector<double>>> outputs; ///< /outputs/<name>
    /// The design's index of each row (/point): 0 .. points - 1, or a shard's indices.
    std::vector<std::uint64_t> point_index;
    std::size_t points_total = 0; ///< points of the whole design
    std::string shard;            ///< "i/n" in one shard's file, else empty

    [[nodiscard]] std::size_t points() const noexcept { return unit.points(); }
};

/// Reads a sweep result (or a --design-only file). Throws canopy::Error naming the file and
/// what is missing or malformed (not a sweep file, a dataset of the wrong length, ...).
SweepResult read_sweep_result(const std::filesystem::path& path);

/// Writes `result` to `path` via a temporary name and a rename (the file appears only when
/// complete). Throws canopy::Error on failure, leaving any previous file intact.
void write_sweep_result(const std::filesystem::path& path, const SweepResult& result);

} // namespace canopy::experiments
