#pragma once
/// \file sensitivity.hpp
/// What `canopy sensitivity` shows: a table per output ranking the factors, and the JSON
/// document of `--json` (docs/sensitivity.md is the contract).
///
///     targets/leaders_2023/p_attain
///       factor            S1  95 % interval       ST  95 % interval
///       tech_loans     0.521  [0.452, 0.601]   0.610  [0.531, 0.690]
///       variance 0.0123; first-order effects sum to 0.83 of it
///
/// JSON (Morris factors hold "mu_star", "mu_star_ci", "mu", "sigma" instead):
///   {"method": "sobol" | "morris",
///    "outputs": {"<name>": {"<factor>": {"S1": x, "S1_ci": [lo, hi],
///                                        "ST": x, "ST_ci": [lo, hi]}}},
///    "notes": {"<name>": "zero variance: every point gave 1"},    only when there are any
///    "time_resolved": {"time": ["2023-01", ...],                  only with mean paths
///        "outputs": {"<path>": {"<factor>": {"S1": [x per time],
///                                            "S1_ci": [[lo, hi] per time], ...}}},
///        "notes": {"<path>": {"<time>": "..."}}}}                 only when there are any
/// Undefined numbers are null. Keys keep the factors' design order; the table ranks them.

#include <canopy/experiments/sweep_sensitivity.hpp>
#include <canopy/output/files.hpp>
#include <canopy/output/table.hpp>

#include <filesystem>
#include <string>

namespace canopy::output {

/// The terminal view: a header saying what was analysed, then one ranked table per output
/// (by ST for Sobol, by mu* for Morris; undefined values last), then the three most influential
/// factors at each time of every indicator path.
std::string format_sensitivity(const experiments::SweepSensitivity& analysis,
                               const TableStyle& style = {});

/// The JSON document (two-space indented, ending in a newline); see the file comment.
std::string sensitivity_json(const experiments::SweepSensitivity& analysis);

/// The sweep result file `result` with the indices of `analysis` added under /sensitivity
/// (docs/output-format.md), as a finished temporary file for `target` to commit (files.hpp).
/// `target` may be `result` itself: committing then replaces it, atomically. A /sensitivity the
/// file had already is replaced. Every other object and attribute of `result` is kept as it
/// was. Throws canopy::Error naming the file when `result` cannot be read or the file written.
///
///     /sensitivity                  attributes: method ("sobol" | "morris"), design,
///                                   base_samples, points, bootstrap_resamples, confidence,
///                                   bootstrap_seed
///     /sensitivity/<output>/        one group per output, <output> its name
///                                   ("targets/<id>/p_attain", "outputs/<name>", ...);
///                                   attribute note ("" or why the indices are undefined)
///         S1, S1_lo, S1_hi, ST, ST_lo, ST_hi      [factor]   (sobol; attribute variance)
///         mu_star, mu_star_lo, mu_star_hi, mu, sigma [factor] (morris)
///     /sensitivity/indicators/<id>/mean_path/  the same datasets, [time, factor], and
///                                   note [time]
/// Undefined numbers are NaN. [factor] and [time] are the result's /factor and /time scales.
[[nodiscard]] TemporaryFile
write_sensitivity_hdf5_temporary(const std::filesystem::path& result,
                                 const std::filesystem::path& target,
                                 const experiments::SweepSensitivity& analysis);

} // namespace canopy::output
