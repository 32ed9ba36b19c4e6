#pragma once
/// \file sweep.hpp
/// A sweep: a sweep file validated into an experiment, its design, and its result.
///
/// The sweep file (docs/sweeps.md is the contract) names a scenario, a design and its size, the
/// replicates per point, the seed, the extra outputs wanted, and one `[factors.<name>]` table per
/// factor. A factor is any parameter, baseline figure or lever of the scenario's model, varied
/// over `min`/`max`, a list of `values`, or a distribution's quantiles. A design point's unit-cube
/// coordinate u in [0, 1] becomes the factor's value by Factor::value_at.
///
/// Design point k of a sweep is the same numbers wherever and whenever it is computed: its values
/// come from the design (a pure function of the file) and its random streams from (seed, k), so a
/// sweep run whole, in shards, under MPI or resumed after a kill gives the same bits.

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/uncertain.hpp>
#include <canopy/experiments/design.hpp>
#include <canopy/experiments/evaluator.hpp>
#include <canopy/experiments/experiment.hpp>
#include <canopy/experiments/sweep_result.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments {

/// One factor of a sweep and how a unit coordinate becomes its value.
struct Factor {
    enum class Kind { range, values, distribution };
    OverrideTarget target; ///< what the factor sets (mode scale: a lever's schedule multiplied)
    Kind kind = Kind::range;
    double min = 0.0;           ///< range
    double max = 0.0;           ///< range
    std::vector<double> values; ///< values
    engine::Uncertain distribution;
    std::size_t levels = 0; ///< grid: the number of levels of this factor
    bool integer = false;   ///< the target takes whole numbers only

    /// The value at unit coordinate u in [0, 1] of a design of kind `design`:
    ///   range          min + u (max - min); for a whole-numbered target, the integers of
    ///                  [min, max] in equal shares (min + floor(u (max - min + 1)), at most max)
    ///   values         grid: value round(u (n - 1)); otherwise value floor(u n) (at most n - 1),
    ///                  each value an equal share of [0, 1]
    ///   distribution   its quantile at u (rounded for a whole-numbered target)
    [[nodiscard]] double value_at(double u, DesignKind design) const;
};

/// What a sweep keeps besides the per-point summaries.
struct SweepOutputs {
    bool finals = false;     ///< /indicators/<id>/finals [point, replicate]
    bool mean_paths = false; ///< /indicators/<id>/mean_path [point, time]
};

/// A validated sweep file. Immutable once loaded.
struct Sweep {
    std::filesystem::path file;
    std::string text; ///< the sweep file's full text
    std::filesystem::path scenario_file;
    std::string policy_mix; ///< empty: the scenario's base
    /// The scenario with its calibration posterior attached (when it names one, as `canopy run`
    /// attaches it) and the policy mix applied, validated against `model`.
    std::shared_ptr<const engine::Scenario> scenario;
    const models::ModelHandle* model = nullptr;
    DesignKind design = DesignKind::grid;
    std::size_t points = 0; ///< as the file gives it: points, or base samples / trajectories
    std::size_t levels = 0; ///< morris: grid levels p
    int replicates = 0;     ///< per point
    std::uint64_t seed = 0;
    bool common_random_numbers = true;
    SweepOutputs outputs;
    std::vector<std::string> factor_names; ///< in file order: the design's dimensions
    std::vector<Factor> factors;           ///< in the same order
    /// make_fingerprint of the sweep text, the scenario text, seed, replicates, engine version,
    /// and the posterior's draws (its columns, rows and weights) when the scenario has one.
    std::string fingerprint;

    /// The unit-cube design the file asks for.
    [[nodiscard]] UnitDesign unit_design() const;
    /// The experiment that evaluates its points.
    [[nodiscard]] Experiment experiment() const;
    /// Points begin .. end - 1 of `design`, with their factor values.
    [[nodiscard]] std::vector<Point> points_of(const UnitDesign& design, std::size_t begin,
                                               std::size_t end) const;
};

/// The outcome of loading: a sweep when there were no errors, and every diagnostic (the sweep
/// file's and its scenario's).
struct SweepLoad {
    std::optional<Sweep> sweep;
    engine::Diagnostics diagnostics;
};

/// Loads and validates a sweep file: every problem a diagnostic with file, line, column and
/// dotted key (`factors.x.max`), the allowed values and "did you mean". Never throws for bad input.
SweepLoad load_sweep(const std::filesystem::path& file);

/// Shard i of n (1-based): the points [floor((i - 1) N / n), floor(i N / n)) of N, exact for
/// every i, n and N (the product is taken in 128 bits: i N overflows 64 bits for a shard such as
/// 2^63/2^63, and the last shard of n must still end at N).
struct Shard {
    std::size_t index = 1;
    std::size_t count = 1;
    [[nodiscard]] std::size_t begin(std::size_t total) const noexcept {
        return share(index - 1, total);
    }
    [[nodiscard]] std::size_t end(std::size_t total) const noexcept { return share(index, total); }

private:
    // floor(k N / n) for k <= n: at most N, so it fits again.
    [[nodiscard]] std::size_t share(std::size_t k, std::size_t total) const noexcept {
        __extension__ using Wide = unsigned __int128; // GCC and Clang; -Wpedantic quiet
        return static_cast<std::size_t>(static_cast<Wide>(k) * total / count);
    }
};

/// Parses "i/n" (1 <= i <= n); otherwise returns nullopt and says why in `why`.
std::optional<Shard> parse_shard(const std::string& text, std::string& why);

/// Wall-clock facts of a run, recorded in the result.
struct SweepTiming {
    double wall_seconds = 0.0;
    std::size_t points_computed = 0; ///< points simulated in this run (not read from a journal)
    double simulate_seconds = 0.0;   ///< their simulate_seconds, summed
    /// How many points one process simulates at a time (evaluators run points side by side when
    /// a point has fewer replicates than threads), times the processes.
    double concurrency = 1.0;
};

/// The result file's contents for points `points` (all of the design, or one shard's) and their
/// results (same order). `shard` is set for a shard's file.
SweepResult make_sweep_result(const Sweep& sweep, const UnitDesign& design,
                              std::span<const Point> points, std::span<const PointResult> results,
                              const SweepTiming& timing,
                              const std::optional<Shard>& shard = std::nullopt);

/// The file `--design-only` writes: the design and the sweep's attributes, no results.
SweepResult make_design_result(const Sweep& sweep, const UnitDesign& design);

/// Joins shard results into the whole, every column and /outputs dataset in point order. Adds a
/// diagnostic naming the file and what differs from the first shard (sweep file, seed, engine
/// version, fingerprint, points_total, the targets, indicators, paths, finals and /outputs it
/// holds), a column without one value per point, the shards given twice, the points held twice
/// (summed up per pair of files) and the points no shard holds, and returns nullopt when anything
/// is wrong. `files` name the shards in diagnostics.
std::optional<SweepResult> merge_sweep_results(std::span<const SweepResult> shards,
                                               std::span<const std::string> files,
                                               engine::Diagnostics& diagnostics);

/// "0-3, 7, 9-12": a sorted list of point indices as ranges (for "missing points" messages).
std::string index_ranges(std::span<const std::uint64_t> indices, std::size_t most = 20);

} // namespace canopy::experiments
