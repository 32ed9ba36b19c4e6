// canopy-bench: speed of the engine on fixed models (bench/README.md explains every figure).
//
//   canopy-bench reference --n N --steps 12 --seed S --threads T [--births MEAN]
//                          [--lever a,b,c] [--quiet]
//   canopy-bench scaling   --n N [--max-threads T] [--repeats R]
//
// `reference` follows the output contract of shared/bench/REFERENCE.md exactly.

#include "reference/reference_model.hpp"

#include <canopy/engine/parallel.hpp>
#include <canopy/engine/simulation.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {

using canopy::engine::Calendar;
using canopy::engine::Executor;
using canopy::engine::RandomKey;
using canopy::engine::RunInputs;
using canopy::engine::Schedule;
using canopy::engine::SeriesTable;
using canopy::engine::Simulation;
using canopy::engine::ThreadLimit;
using canopy::engine::YearMonth;
namespace ref = canopy::models::reference;

struct ReferenceOptions {
    std::size_t n = 40000;
    int steps = 12;
    std::uint64_t seed = 1;
    int threads = 1;
    double births = -1.0; ///< negative: 300 * N / 40,000
    std::vector<double> lever{1.0, 1.0, 1.0};
    bool quiet = false;
};

struct ReferenceResult {
    SeriesTable table;
    double setup_s = 0.0;
    double step_s = 0.0;
    double agent_steps = 0.0;
    std::size_t firms = 0;
    std::size_t bytes = 0;
    std::array<double, 3> phases{};
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ReferenceResult run_reference(const ReferenceOptions& o) {
    const ref::Model model;
    RunInputs in;
    in.calendar = Calendar(YearMonth{2023, 1}, o.steps);
    const double births = o.births >= 0.0 ? o.births : 300.0 * static_cast<double>(o.n) / 40000.0;
    in.parameters = {static_cast<double>(o.n), births, 3.0};
    for (const double l : o.lever) {
        in.levers.push_back(Schedule::constant(l));
    }
    Simulation<ref::Model> sim(model, in, RandomKey{o.seed, 0}, Executor(o.threads > 1));
    ReferenceResult r;
    r.table.resize(o.steps + 1, ref::SERIES_COUNT);

    const auto t0 = std::chrono::steady_clock::now();
    sim.init();
    r.setup_s = seconds_since(t0);
    sim.observe_initial(r.table.row(0));
    const auto t1 = std::chrono::steady_clock::now();
    while (!sim.done()) {
        sim.step(r.table.row(sim.current_step() + 1));
    }
    r.step_s = seconds_since(t1);
    for (int s = 1; s <= o.steps; ++s) {
        r.agent_steps += r.table.at(s, ref::S_AGENT_STEPS);
    }
    r.firms = sim.state().firms.size();
    r.bytes = ref::Model::state_bytes(sim.state());
    r.phases = sim.state().phase_seconds;
    return r;
}

std::vector<double> parse_levers(const std::string& text) {
    std::vector<double> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        std::size_t used = 0;
        const double v = std::stod(item, &used);
        if (used != item.size() || !(v >= 0.0)) {
            throw CLI::ValidationError("--lever", "'" + item + "' is not a number >= 0");
        }
        out.push_back(v);
    }
    if (out.size() != 3) {
        throw CLI::ValidationError("--lever", "expected three values a,b,c");
    }
    return out;
}

int command_reference(const ReferenceOptions& o) {
    const ThreadLimit limit(o.threads);
    const ReferenceResult r = run_reference(o);
    if (!o.quiet) {
        std::printf("# canopy reference model (bench/REFERENCE.md): n=%zu seed=%llu threads=%d; "
                    "step phases decide=%.4fs apply=%.4fs births=%.4fs; counts of active firms "
                    "at the end of each step\n",
                    o.n, static_cast<unsigned long long>(o.seed), o.threads, r.phases[0],
                    r.phases[1], r.phases[2]);
        std::printf("step,incubated,sme,hightech,leader,exits,births\n");
        for (int s = 1; s <= o.steps; ++s) {
            std::printf("%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n", s, r.table.at(s, ref::S_INCUBATED),
                        r.table.at(s, ref::S_SME), r.table.at(s, ref::S_HIGH_TECH),
                        r.table.at(s, ref::S_LEADER), r.table.at(s, ref::S_EXITS),
                        r.table.at(s, ref::S_BIRTHS));
        }
    }
    std::printf("summary peer=canopy n=%zu steps=%d agent_steps=%.0f setup_s=%.6f step_s=%.6f "
                "agent_steps_per_s_steploop=%.0f agent_steps_per_s_total=%.0f threads=%d "
                "bytes_per_agent=%.1f\n",
                o.n, o.steps, r.agent_steps, r.setup_s, r.step_s, r.agent_steps / r.step_s,
                r.agent_steps / (r.setup_s + r.step_s), o.threads,
                static_cast<double>(r.bytes) / static_cast<double>(r.firms));
    return 0;
}

int command_scaling(std::size_t n, int max_threads, int repeats, std::uint64_t seed) {
    std::printf("# thread scaling of the reference model's step loop, n=%zu, best of %d\n", n,
                repeats);
    std::printf("threads,setup_s,step_s,agent_steps_per_s_steploop,speedup,efficiency\n");
    double base = 0.0;
    for (int t = 1; t <= max_threads; ++t) {
        const ThreadLimit limit(t);
        ReferenceOptions o;
        o.n = n;
        o.threads = t;
        o.seed = seed;
        double best_step = 1e300;
        double best_setup = 1e300;
        double agent_steps = 0.0;
        for (int k = 0; k < repeats; ++k) {
            const ReferenceResult r = run_reference(o);
            best_step = std::min(best_step, r.step_s);
            best_setup = std::min(best_setup, r.setup_s);
            agent_steps = r.agent_steps;
        }
        const double rate = agent_steps / best_step;
        if (t == 1) {
            base = rate;
        }
        std::printf("%d,%.6f,%.6f,%.0f,%.2f,%.2f\n", t, best_setup, best_step, rate, rate / base,
                    rate / base / t);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"canopy-bench: speed of the Canopy engine on fixed models"};
    app.require_subcommand(1);

    ReferenceOptions ro;
    std::string lever_text = "1,1,1";
    auto* reference = app.add_subcommand(
        "reference", "The reference model of bench/REFERENCE.md, with its output contract");
    reference->add_option("--n", ro.n, "Initial number of firms")->check(CLI::Range(8, 2000000000));
    reference->add_option("--steps", ro.steps, "Monthly steps")->check(CLI::Range(1, 100000));
    reference->add_option("--seed", ro.seed, "Random seed");
    reference->add_option("--threads", ro.threads, "Worker threads")->check(CLI::Range(1, 1024));
    reference->add_option("--births", ro.births, "Mean newborns per step (default 300*N/40000)")
        ->check(CLI::NonNegativeNumber);
    reference->add_option("--lever", lever_text, "Promotion multipliers LEVER[0..2] as a,b,c");
    reference->add_flag("--quiet", ro.quiet, "Print only the summary line");

    std::size_t scaling_n = 400000;
    int max_threads = canopy::engine::hardware_threads();
    int repeats = 3;
    std::uint64_t scaling_seed = 1;
    auto* scaling = app.add_subcommand("scaling", "Thread scaling of the reference model");
    scaling->add_option("--n", scaling_n, "Initial number of firms")
        ->check(CLI::Range(8, 2000000000));
    scaling->add_option("--max-threads", max_threads, "Largest thread count")
        ->check(CLI::Range(1, 1024));
    scaling->add_option("--repeats", repeats, "Runs per thread count (best is kept)")
        ->check(CLI::Range(1, 100));
    scaling->add_option("--seed", scaling_seed, "Random seed");

    try {
        app.parse(argc, argv);
        if (*reference) {
            ro.lever = parse_levers(lever_text);
            return command_reference(ro);
        }
        if (*scaling) {
            return command_scaling(scaling_n, max_threads, repeats, scaling_seed);
        }
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "canopy-bench: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
