#pragma once
/// \file resource_check.hpp
/// Whether ensembles can run in the memory allowed, checked before anything runs: the estimate of
/// engine/resources.hpp against a `--max-memory` value (the command line) or `max_memory`
/// keyword (Python), with a refusal that names what would not fit and what to change. One code
/// path for both, so `canopy calibrate` and `canopy.calibrate` refuse the same calibrations with
/// the same message.

#include <canopy/engine/scenario.hpp>

#include <string>
#include <vector>

namespace canopy::models {
class ModelHandle;
} // namespace canopy::models

namespace canopy::experiments {

struct Calibration;

/// What running some ensembles would need, and whether they may start.
struct ResourceCheck {
    std::string estimate; ///< resources.hpp's one-line estimate
    double seconds = 0.0; ///< the estimated time (0: unknown)
    std::string problem;  ///< why they may not start (with the setting that allows it), or empty
};

/// How a refusal names the settings it points to: the command line's flags (the default), or
/// Python's keywords (`keywords`: a value reads max_memory='16G', not --max-memory 16G).
struct ResourceWords {
    std::string max_memory = "--max-memory"; ///< the memory limit
    std::string threads = "--threads";       ///< the thread count
    bool keywords = false;
};

/// The words of canopy's Python module: max_memory='SIZE', threads.
ResourceWords python_resource_words();

/// True when `text` is a memory limit `--max-memory` takes: "none", or a size
/// engine::parse_bytes reads ("16G", "512M", "100000").
bool valid_max_memory(const std::string& text);

/// A memory limit as a `--max-memory` value (or `max_memory` keyword) sets it.
struct MemoryLimit {
    bool limited = false; ///< false for "none", and when the memory available is unknown
    double bytes = 0.0;   ///< the limit, when limited
    std::string what;     ///< how a refusal names it: "--max-memory 16G"
};

/// The limit `max_memory` sets (empty: the memory available now; "none": no limit; else a size
/// valid_max_memory takes), named in `words`.
MemoryLimit memory_limit(const std::string& max_memory, const ResourceWords& words = {});

/// Memory held beside the ensembles while they run (a sweep's design and its results' columns),
/// counted with them against the limit.
struct HeldMemory {
    double bytes = 0.0;
    std::string what; ///< what holds it: "the design and its results"
};

/// Checks the ensembles of `runs` (one scenario each, run side by side with `replicates`
/// replicates on `threads` threads) against the memory limit `max_memory` (empty: the memory
/// available now; "none": no limit; else a size valid_max_memory takes). The problem reads
/// "<subject> would need ..., more than ...; <advice>, or --max-memory SIZE (or none) to allow
/// it" (in `words`). Memory `held` beside them counts against the limit too, and is named.
ResourceCheck check_resources(const models::ModelHandle& model,
                              const std::vector<engine::Scenario>& runs, int replicates,
                              int threads, const std::string& max_memory,
                              const std::string& subject = "the run",
                              const std::string& advice = "use fewer replicates or policy mixes",
                              const ResourceWords& words = {}, const HeldMemory& held = {});

/// Why the calibration's largest candidate cannot run here, or empty. Every fitted parameter is
/// put at whichever end of its prior makes the model larger (its 1e-6 or 1 - 1e-6 quantile, of
/// the prior as truncated by its bounds), and that candidate's runs, as many at once as run side
/// by side on `threads` threads (0: every core), are checked with check_resources against
/// `max_memory`. The problem names the parameters and their values: "a candidate with
/// births_per_month = 9.99999e+08 (its prior's upper end) would need ...".
std::string calibration_resource_problem(const Calibration& c, int threads,
                                         const std::string& max_memory,
                                         const ResourceWords& words = {});

} // namespace canopy::experiments
