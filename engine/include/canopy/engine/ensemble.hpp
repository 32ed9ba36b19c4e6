#pragma once
/// \file ensemble.hpp
/// The ensemble runner: many replicates of one scenario, in parallel, with results that do not
/// depend on the thread count.
///
/// Replicate r of a run with seed S draws everything from RandomKey{S, first_replicate + r}:
/// its parameter values (uncertain.hpp) and every event inside it. Replicates run concurrently
/// on TBB's pool (and, when there are fewer replicates than threads, the agents of each run in
/// parallel too); each writes only its own slot of the result, so the result is the same bits
/// at any thread count and in any completion order.

#include <canopy/engine/parallel.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/simulation.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace canopy::engine {

/// How to run an ensemble.
struct EnsembleOptions {
    int replicates = 100;
    std::uint64_t seed = 1;
    std::uint32_t first_replicate = 0; ///< replicate numbers start here (shards of a sweep)
    bool parallel = true;              ///< false: everything on the calling thread
    int rk4_substeps = 4;
    /// Called after each replicate with (done, total); calls are serialised.
    std::function<void(std::size_t, std::size_t)> progress;
};

/// The raw result: every replicate's series and parameter values, in replicate order.
struct Ensemble {
    std::uint64_t seed = 0;
    std::uint32_t first_replicate = 0;
    std::vector<SeriesTable> runs;               ///< [replicate] -> [row][series]
    std::vector<std::vector<double>> parameters; ///< [replicate][parameter]
    [[nodiscard]] std::size_t replicates() const noexcept { return runs.size(); }
};

/// Appends `block`, the replicates that follow `into`'s (same seed, its first replicate is the
/// one after `into`'s last), to `into`: an ensemble run in blocks is the same bits as one run of
/// them all. An empty `into` takes `block` whole. Throws canopy::Error when they do not follow.
void append_replicates(Ensemble& into, Ensemble&& block);

/// The run inputs of replicate `replicate` of a scenario: each parameter drawn for it, then, when
/// the scenario has joint draws (a posterior), one row of them replacing their columns.
RunInputs replicate_inputs(const Scenario& scenario, const RandomKey& key, int rk4_substeps = 4);

/// The lever schedules replicate `key` runs with (replicate_inputs' levers, without drawing the
/// parameters): the scenario's, each lever a posterior fits scaled by the replicate's row.
std::vector<Schedule> replicate_levers(const Scenario& scenario, const RandomKey& key);

/// Runs every replicate of `scenario` with model M. Throws canopy::Error if the scenario was
/// validated against a different model description.
template <Model M>
Ensemble run_ensemble(const M& model, const Scenario& scenario, const EnsembleOptions& options) {
    if (options.replicates < 1) {
        throw Error("an ensemble needs at least one replicate");
    }
    const ModelInfo& info = model.info();
    if (scenario.parameters.size() != info.parameters.size() ||
        scenario.levers.size() != info.levers.size()) {
        throw Error("scenario '" + scenario.name + "' does not match model '" + info.name + "'");
    }
    const auto n = static_cast<std::size_t>(options.replicates);
    Ensemble out;
    out.seed = options.seed;
    out.first_replicate = options.first_replicate;
    out.runs.resize(n);
    out.parameters.resize(n);
    // With at least as many replicates as threads, replicates are the parallel grain and each
    // run stays on one thread; otherwise the agents of each run are spread over the threads.
    const bool inner_parallel =
        options.parallel && n < static_cast<std::size_t>(hardware_threads());
    std::atomic<std::size_t> done{0};
    std::mutex progress_mutex;
    auto one = [&](std::size_t r) {
        const RandomKey key{options.seed, options.first_replicate + static_cast<std::uint32_t>(r)};
        RunInputs inputs = replicate_inputs(scenario, key, options.rk4_substeps);
        out.parameters[r] = inputs.parameters;
        Simulation<M> sim(model, inputs, key, Executor(inner_parallel));
        sim.run(out.runs[r]);
        const std::size_t finished = ++done;
        if (options.progress) {
            const std::lock_guard<std::mutex> lock(progress_mutex);
            options.progress(finished, n);
        }
    };
    Executor(options.parallel).for_each(n, one);
    return out;
}

} // namespace canopy::engine
