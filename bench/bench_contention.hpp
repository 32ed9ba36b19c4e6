#pragma once
// canopy-bench contention: the reference model's step loop alone and beside a program that
// evicts the shared last-level cache, in both layouts (bench_contention.cpp says how).

#include <cstddef>
#include <functional>
#include <string>

namespace canopy::bench {

struct ContentionOptions {
    int rounds = 6;                  ///< rounds; each runs every layout with every co-runner
    std::size_t co_runner_mib = 512; ///< the co-runner's buffer
};

/// One step-loop measurement of the model in the layout named ("rcm" or "natural") on the
/// calling thread: agent-steps per second.
using StepRate = std::function<double(const std::string& order)>;

int command_contention(const ContentionOptions& options, const StepRate& step_rate);

} // namespace canopy::bench
