// Same seed, same bits: results do not depend on the number of threads. The thread counts are
// real: ThreadLimit(n) runs n threads even on a machine with fewer cores (checked below), so
// 4 and 8 threads interleave on the 2-core CI machine instead of quietly running on 2.
#include "../model/ecosystem_fixture.hpp"
#include "reference/reference_model.hpp"

#include <canopy/engine/parallel.hpp>
#include <canopy/engine/simulation.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace canopy;

namespace {

struct ReferenceRun {
    engine::SeriesTable table;
    std::vector<std::uint8_t> stages;
    std::vector<canopy::models::reference::NeighbourCounts> counts;
    std::size_t edges = 0;
    int orderings = 0;
};

// The default model (firms in reverse Cuthill–McKee order, renewed when the population has
// doubled); births < 0: REFERENCE.md's
// 300 * n / 40,000 a month.
ReferenceRun run_reference(int threads, std::size_t n, std::uint64_t seed, int steps = 12,
                           double births = -1.0, bool avx2_kernel = true) {
    const engine::ThreadLimit limit(threads);
    canopy::models::reference::Model model;
    model.avx2_kernel = avx2_kernel;
    engine::RunInputs in;
    in.calendar = engine::Calendar({2023, 1}, steps);
    in.parameters = {static_cast<double>(n),
                     births >= 0.0 ? births : 300.0 * static_cast<double>(n) / 40000.0, 3.0};
    in.levers.assign(3, engine::Schedule::constant(1.0));
    engine::Simulation<canopy::models::reference::Model> sim(model, in, {seed, 0},
                                                             engine::Executor(threads > 1));
    ReferenceRun out;
    sim.run(out.table);
    const auto& s = sim.state();
    out.stages = s.firms[s.stage];
    out.counts.resize(s.firms.size());
    for (std::size_t v = 0; v < out.counts.size(); ++v) {
        out.counts[v] = s.neighbour_counts(v);
    }
    out.edges = s.network.num_edges();
    out.orderings = s.orderings;
    return out;
}

} // namespace

TEST_CASE("ThreadLimit runs 4 and 8 threads at once, more than the machine's cores", "[parallel]") {
    // Each of n loop bodies waits until all n have started: that only ends when n threads run
    // them at the same time. TBB's default arena has one thread per core, so before ThreadLimit
    // used an arena of its own, 4 and 8 threads on 2 cores never got here.
    for (const int n : {4, 8}) {
        const engine::ThreadLimit limit(n);
        std::atomic<int> started{0};
        std::atomic<int> met{0};
        engine::Executor(true).for_each(static_cast<std::size_t>(n), [&](std::size_t) {
            ++started;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            while (started.load() < n && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::yield();
            }
            if (started.load() == n) {
                ++met;
            }
        });
        INFO(n << " threads asked for");
        CHECK(met.load() == n);
    }
}

TEST_CASE("The reference model is bit-identical at 1, 2, 4 and 8 threads",
          "[parallel][reference]") {
    // 100,000 firms: several chunks of 16,384 per thread, so the parallel paths really run.
    const ReferenceRun one = run_reference(1, 100000, 5);
    for (const int threads : {2, 4, 8}) {
        const ReferenceRun many = run_reference(threads, 100000, 5);
        CHECK(many.table.values == one.table.values);
        CHECK(many.stages == one.stages);
        CHECK(many.counts == one.counts);
        CHECK(many.edges == one.edges);
    }
}

TEST_CASE("The reference model is bit-identical at 1, 2 and 4 threads with its layout renewed, "
          "and with decide's portable loop",
          "[parallel][reference]") {
    // 140,000 firms: past SERIAL_APPLY_CHUNKS, so the changed stages are written in parallel;
    // 50,000 newborns a month for 4 months pass the 140,000 ordered firms after 3, so the
    // reverse Cuthill–McKee layout is renewed during the run.
    const ReferenceRun one = run_reference(1, 140000, 9, 4, 50000.0);
    CHECK(one.orderings == 2);
    for (const int threads : {2, 4}) {
        const ReferenceRun many = run_reference(threads, 140000, 9, 4, 50000.0);
        CHECK(many.table.values == one.table.values);
        CHECK(many.stages == one.stages);
        CHECK(many.counts == one.counts);
        CHECK(many.edges == one.edges);
        CHECK(many.orderings == one.orderings);
    }
    // The same with decide's portable loop instead of its AVX2 kernel.
    const ReferenceRun portable = run_reference(2, 140000, 9, 4, 50000.0, false);
    CHECK(portable.table.values == one.table.values);
    CHECK(portable.stages == one.stages);
    CHECK(portable.counts == one.counts);
    CHECK(portable.edges == one.edges);
}

TEST_CASE("An ecosystem run is bit-identical with agents in parallel or not",
          "[parallel][ecosystem]") {
    canopy::test::EcoRun run;
    run.parameters = {{"initial_smes", 30000}, {"initial_high_tech", 20000}}; // several chunks
    const auto serial = canopy::test::run_eco(run, false);
    for (const int threads : {2, 4, 8}) {
        const engine::ThreadLimit limit(threads);
        const auto parallel = canopy::test::run_eco(run, true);
        CHECK(parallel.table.values == serial.table.values);
        const auto& a = serial.state();
        const auto& b = parallel.state();
        CHECK(b.firms[b.capability] == a.firms[a.capability]);
        CHECK(b.firms[b.flags] == a.firms[a.flags]);
        CHECK(b.counts16 == a.counts16);
        CHECK(b.counts32 == a.counts32);
    }
}
