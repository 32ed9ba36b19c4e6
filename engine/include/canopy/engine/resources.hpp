#pragma once
/// \file resources.hpp
/// What a run will need, estimated before it starts, and what the machine has.
///
/// An ensemble keeps every replicate's series until it is summarised and written, and each
/// replicate in flight holds its agents. So the memory of a run is, roughly,
///
///     kept     runs x replicates x (rows x series + parameters + indicators) x 8 bytes
///     agents   replicates in flight x agents at the horizon x bytes per agent
///
/// where `runs` counts the base and every policy mix run beside it, and the replicates in
/// flight are as many as threads (at most the replicates). Agents at the horizon come from the
/// model when it can say (model.hpp, ProvidesAgentEstimate); otherwise only the kept series
/// are counted. Bytes per agent follow the run's parameters when the model says how
/// (ProvidesBytesPerAgent: a network's ties per firm), else they are ModelInfo::bytes_per_agent.
/// The time is agent-steps over the model's measured rate per thread, plus each replicate's
/// set-up (ModelInfo::setup_seconds_per_agent per agent at the horizon). Commands that run
/// ensembles (run, and whatever sweeps or compares) compare the estimate with
/// available_memory_bytes() and refuse, with the estimate, what cannot fit.

#include <canopy/engine/calendar.hpp>
#include <canopy/engine/model.hpp>

#include <cstdint>
#include <string>

namespace canopy::engine {

/// The shape of a piece of work: how many ensembles of how many replicates, on how many threads.
struct RunShape {
    int replicates = 1;            ///< per ensemble
    int runs = 1;                  ///< ensembles kept together (the base and each policy mix)
    int threads = 1;               ///< threads the replicates share
    std::size_t indicators = 0;    ///< indicators each replicate's finals keep
    double agents_at_horizon = -1; ///< largest over the runs; negative when the model cannot say
    /// Resident bytes per agent, largest over the runs (models::ModelHandle::bytes_per_agent,
    /// which follows the parameters: ties per firm); negative: ModelInfo::bytes_per_agent.
    double bytes_per_agent = -1;
};

/// Bytes and seconds a run is expected to need (estimates, see the file comment).
struct ResourceEstimate {
    double kept_bytes = 0.0;  ///< every replicate's series, parameters and finals
    double agent_bytes = 0.0; ///< agents of the replicates in flight (0 when unknown)
    double seconds = 0.0;     ///< agent-steps over the model's rate, and set-up (0: unknown)
    bool agents_known = false;

    [[nodiscard]] double total_bytes() const noexcept { return kept_bytes + agent_bytes; }
    /// One line a planner can read: "about 9.3 GB: 9.3 GB of kept series (1,000,000 replicates
    /// x 1 run x 25 rows x 39 series), 5 MB for the agents of 2 replicates in flight; about
    /// 12 hours".
    [[nodiscard]] std::string describe(const RunShape& shape, const ModelInfo& model,
                                       const Calendar& calendar) const;
};

/// The estimate for `shape` with `model` over `calendar`.
ResourceEstimate estimate_resources(const ModelInfo& model, const Calendar& calendar,
                                    const RunShape& shape);

/// Bytes of memory this process can still use: MemAvailable from /proc/meminfo, or what is
/// left under the cgroup's memory.max when that is lower; 0 when neither can be read.
std::uint64_t available_memory_bytes();

/// "216,000,000": a count rounded to a whole number, with thousands separators.
std::string grouped(double x);

/// "9.3 GB", "512 MB", "40 kB" (decimal units, two or three significant digits).
std::string bytes_text(double bytes);
/// "40 s", "12 min", "3 h", "2 days": a duration as an estimate reads it.
std::string duration_text(double seconds);

/// Sizes parse_bytes takes are below this many bytes (2^64).
inline constexpr double MAX_BYTES = 18446744073709551616.0;

/// Parses a size such as "16G", "512M", "2.5GB", "100000" (bytes): decimal digits, optionally
/// with a fraction, then an optional unit k, M, G or T (powers of 1000, optionally followed by
/// B); below MAX_BYTES. False (out untouched) when it is not one (hexadecimal, exponents,
/// signs and spaces included).
bool parse_bytes(const std::string& text, double& out);

} // namespace canopy::engine
