// canopy-bench: speed of the engine on fixed models (README.md, "Speed", gives the figures and what
// they mean).
//
//   canopy-bench reference --n N --steps 12 --seed S --threads T [--births MEAN]
//                          [--lever a,b,c] [--quiet] [--order rcm|natural]
//                          [--reorder-tail F]
//   canopy-bench scaling   --n N [--max-threads T] [--repeats R]
//   canopy-bench ecosystem [--scenario FILE] [--replicates R] [--threads T] [--firms N]
//                          [--scaling]
//   canopy-bench sweep     [--sweep FILE] [--shard i/n] [--threads T] [--mpi-ranks K]
//   canopy-bench calibration [--calibration FILE] [--method M] [--threads T] [--recovery N]
//                            [--sbc N]
//   canopy-bench bandwidth [--n N] [--threads T] [--array-mib M] [--repeats R]
//                          [--order rcm|natural]
//   canopy-bench contention [--n N] [--steps S] [--rounds R] [--co-runner-mib M]
//
// `reference` follows the output contract of bench/REFERENCE.md exactly (a summary of the full
// specification, ../shared/bench/REFERENCE.md beside the repository).

#include "bench_calibration.hpp"
#include "bench_contention.hpp"
#include "bench_sweep.hpp"
#include "ecosystem/detail.hpp"
#include "ecosystem/ecosystem_model.hpp"
#include "input_checks.hpp"
#include "median.hpp"
#include "reference/reference_model.hpp"
#include "registry.hpp"

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/memory.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/simulation.hpp>
#include <canopy/output/cli_whole_numbers.hpp>
#include <canopy/output/parse_messages.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using canopy::engine::Calendar;
using canopy::engine::Executor;
namespace engine = canopy::engine;
using canopy::bench::median;
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
    // (3, 1.0), not {1, 1, 1}: GCC 12 reports a false dangling pointer in the inlined
    // initializer list.
    std::vector<double> lever = std::vector<double>(3, 1.0);
    bool quiet = false;
    /// Layout of the firms: reverse Cuthill–McKee (the model's default) or the build order.
    ref::Model::Order order = ref::Model::Order::rcm;
    double reorder_tail = ref::Model().reorder_tail; ///< renewal of the rcm layout
};

struct ReferenceResult {
    SeriesTable table;
    double setup_s = 0.0;
    double step_s = 0.0;
    double step_cpu_s = 0.0; ///< CPU seconds of the calling thread in the step loop
    double agent_steps = 0.0;
    std::size_t firms = 0;
    std::size_t bytes = 0;
    double lists_read = 0.0; ///< firms whose neighbour lists decide read, over the run's steps
    std::array<double, 3> phases{};
};

// Newborns a step: --births, or REFERENCE.md's 300 per 40,000 firms.
double births_of(const ReferenceOptions& o) {
    return o.births >= 0.0 ? o.births : 300.0 * static_cast<double>(o.n) / 40000.0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds the calling thread has used: on a machine shared with other programs, the profile
// compares CPU time, which does not count the time others had the core.
double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Called after each step with the state and the firms at the step's start (the traffic
// estimate reads what the step did; timed runs pass none).
using StepObserver = std::function<void(const ref::Model::State&, std::size_t)>;

ReferenceResult run_reference(const ReferenceOptions& o, const StepObserver& after_step = {}) {
    ref::Model model;
    model.order = o.order;
    model.reorder_tail = o.reorder_tail;
    RunInputs in;
    in.calendar = Calendar(YearMonth{2023, 1}, o.steps);
    in.parameters = {static_cast<double>(o.n), births_of(o), 3.0};
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
    const double cpu1 = thread_cpu_seconds();
    while (!sim.done()) {
        const std::size_t firms = sim.state().firms.size();
        sim.step(r.table.row(sim.current_step() + 1));
        if (after_step) {
            after_step(sim.state(), firms);
        }
    }
    r.step_s = seconds_since(t1);
    r.step_cpu_s = thread_cpu_seconds() - cpu1;
    for (int s = 1; s <= o.steps; ++s) {
        r.agent_steps += r.table.at(s, ref::S_AGENT_STEPS);
    }
    r.firms = sim.state().firms.size();
    r.bytes = ref::Model::state_bytes(sim.state());
    r.lists_read = static_cast<double>(sim.state().lists_read);
    r.phases = sim.state().phase_seconds;
    return r;
}

// LEVER[0..2] from "a,b,c": three finite numbers >= 0 (std::stod alone threw "stod" at "a" or
// an empty item, and took "inf", which the schedule then refused).
std::vector<double> parse_levers(const std::string& text) {
    std::vector<double> out;
    std::size_t begin = 0;
    while (true) {
        const std::size_t comma = text.find(',', begin);
        const std::string item = text.substr(begin, comma - begin);
        const std::string problem = canopy::bench::beyond_problem(item, 0.0, false);
        if (!problem.empty()) {
            throw CLI::ValidationError("--lever", problem);
        }
        out.push_back(*canopy::bench::finite_number(item));
        if (comma == std::string::npos) {
            break;
        }
        begin = comma + 1;
    }
    if (out.size() != 3) {
        throw CLI::ValidationError("--lever", "expected three numbers a,b,c, got " +
                                                  std::to_string(out.size()));
    }
    return out;
}

// The peak memory of one reference run, as `canopy run` estimates it (the model's firms at the
// horizon times its peak bytes per firm): `flags` names the settings as the user gave them.
canopy::bench::MemoryNeed reference_need(const ReferenceOptions& o, const std::string& flags,
                                         const std::string& advice) {
    const std::array<double, ref::PARAMETER_COUNT> p{static_cast<double>(o.n), births_of(o), 3.0};
    const double firms = ref::Model::agents_at_horizon(p, Calendar(YearMonth{2023, 1}, o.steps));
    const double per_firm = ref::Model::bytes_per_agent(p);
    char per[32];
    std::snprintf(per, sizeof per, "%.0f", per_firm);
    return {firms * per_firm, "the reference model at " + flags,
            canopy::engine::grouped(firms) + " firms at the end, the " +
                canopy::engine::grouped(static_cast<double>(o.n)) +
                " at the start and every newborn, x " + per + " B a firm at the peak",
            advice};
}

// The layout named by --order (CLI11 has checked it is one of these).
ref::Model::Order order_of(const std::string& text) {
    return text == "natural" ? ref::Model::Order::natural : ref::Model::Order::rcm;
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

// ---- the machine's memory bandwidth, and the reference model against it --------------------

// Bytes the reference model's step must move per agent-step at the least: decide streams every
// firm's 1-byte stage once a step, and reads the neighbour lists of the firms whose draw falls
// between the promotion bounds (about 1 % of firms a step; the model counts them,
// State::lists_read), a line each at the least. (The changed stages are written back, births draw
// and append; those are on top, so the ceiling below is generous to the machine, strict to the
// model.)
double reference_bytes_per_agent_step(const ReferenceResult& r) {
    return static_cast<double>(sizeof(std::uint8_t)) + 64.0 * r.lists_read / r.agent_steps;
}

// The distinct 64-byte lines of one array a step touches.
class LineSet {
public:
    void reset(std::size_t lines) {
        words_.assign(lines / 64 + 1, 0);
        count_ = 0;
        lowest_ = SIZE_MAX;
        highest_ = 0;
    }
    void add(std::size_t line) {
        std::uint64_t& w = words_[line >> 6];
        const std::uint64_t bit = std::uint64_t{1} << (line & 63);
        count_ += (w & bit) == 0 ? 1 : 0;
        w |= bit;
        lowest_ = std::min(lowest_, line);
        highest_ = std::max(highest_, line);
    }
    [[nodiscard]] double lines() const { return static_cast<double>(count_); }
    [[nodiscard]] double bytes() const { return 64.0 * lines(); }
    /// The lines of a set touched in address order that are scattered: all of them when they
    /// are under a quarter of the lines between the lowest and the highest (several lines apart
    /// on average, each its own fetch), none when denser (a stream with gaps, which the
    /// hardware's prefetchers follow).
    [[nodiscard]] double sparse_lines() const {
        return count_ > 0 && 4 * count_ < highest_ - lowest_ + 1 ? lines() : 0.0;
    }

private:
    std::vector<std::uint64_t> words_;
    std::size_t count_ = 0;
    std::size_t lowest_ = SIZE_MAX;
    std::size_t highest_ = 0;
};

// The memory traffic of the reference model's step, estimated from what each step touched:
// lines of the firm-indexed arrays and the CSR targets counted once each (a line read once;
// one written is read and written back: twice, except the changed stages' lines, whose read is
// decide's stream), streams by their bytes (the stage column decide reads whole; the changes,
// written and read back; the newborns' appended entries, written), and
// single random reads a line each (an overflow entry, a newborn's drawn entry and the stage
// beside it). Nothing is taken to stay in the caches from one step to the next, close to the
// truth when the state and network are several times the last-level cache. One exception, in
// the machine's favour: the stages of the listed firms' neighbours are not counted. They are
// mostly far from the firm (its neighbours are mostly hubs: about 0.06 such reads per
// agent-step at 2 M firms), but the stage column is a byte a firm, which decide streams every
// step (4 MB at 4 M firms, against a last-level cache of 32 MB here), so they are taken to hit
// the cache rather than to move bytes; counted as scattered lines they would raise the step's
// share of the random-line ceiling by about 60 %.
//
// Of those, the scattered lines: each fetched on its own, far from the line before it, so that
// the core waits on it unless it has other misses in flight (the measured random-line rate is
// their ceiling, not the triad). Lines touched in random order are scattered: the listed firms'
// overflow entries, the newborns' drawn entries and their partners' stages and heads. Lines
// touched in address order are scattered when sparse (LineSet::sparse_lines): the listed firms'
// offsets, heads and neighbour lists, and the changed firms' stages. The rest is streamed: the
// stage column, the change lists, the appended entries and the newborns' own rows.
struct Traffic {
    double bytes = 0.0;
    double scattered_lines = 0.0;
    double agent_steps = 0.0;
    [[nodiscard]] double per_agent_step() const { return bytes / agent_steps; }
    [[nodiscard]] double scattered_lines_per_agent_step() const {
        return scattered_lines / agent_steps;
    }
    /// Bytes per agent-step other than the scattered lines'.
    [[nodiscard]] double streamed_per_agent_step() const {
        return (bytes - 64.0 * scattered_lines) / agent_steps;
    }
};

Traffic reference_traffic(const ReferenceOptions& o) {
    Traffic t;
    LineSet stage_written;
    LineSet offsets_read;
    LineSet heads_read;
    LineSet heads_written;
    LineSet targets_read;
    LineSet offsets_born; // the newborns' own offsets: appended, streamed
    LineSet heads_picked; // the partners' heads, scattered (also in heads_written)
    std::vector<std::uint32_t> linked;
    const StepObserver observe = [&](const ref::Model::State& s, std::size_t start) {
        const engine::Network& g = s.network;
        const std::size_t n = s.firms.size();
        const std::span<const std::uint32_t> offsets = g.offsets();
        stage_written.reset(n / 64 + 1);
        offsets_read.reset((n + 1) * 4 / 64 + 1);
        heads_read.reset(n * 4 / 64 + 1);
        heads_written.reset(n * 4 / 64 + 1);
        targets_read.reset(g.targets().size() * 4 / 64 + 1);
        offsets_born.reset((n + 1) * 4 / 64 + 1);
        heads_picked.reset(n * 4 / 64 + 1);
        double scattered = 0.0;
        double bytes = static_cast<double>(start); // decide streams every stage
        const std::size_t born = static_cast<std::size_t>(s.births);
        const std::size_t m = s.edges_per_firm;
        // The edges this step's newborns added to each older firm (after decide read its list),
        // counted here and taken off again below.
        const auto add_links = [&](std::uint32_t sign) {
            for (std::size_t e = 0; e < born * m; ++e) {
                if (e % m < s.pick_counts[e / m]) {
                    linked[s.picks[e]] += sign;
                }
            }
        };
        linked.resize(n);
        add_links(1);
        const std::size_t chunks = Executor::chunk_count(start, ref::Model::CHUNK);
        for (std::size_t c = 0; c < chunks; ++c) {
            // The lists decide read (the newborns of this step are not in them: they came after).
            for (const engine::Network::Vertex v : s.listed[c]) {
                offsets_read.add(std::size_t{v} * 4 / 64);
                offsets_read.add((std::size_t{v} + 1) * 4 / 64);
                heads_read.add(std::size_t{v} * 4 / 64);
                if (offsets[v + 1] > offsets[v]) {
                    const std::size_t first = offsets[v];
                    const std::size_t last = offsets[v + 1] - 1;
                    for (std::size_t l = first * 4 / 64; l <= last * 4 / 64; ++l) {
                        targets_read.add(l);
                    }
                }
                // its overflow entries (as they were when decide read them: this step's
                // newborns added some after), a line each
                const auto overflow =
                    static_cast<double>(g.degree(v) - linked[v] - (offsets[v + 1] - offsets[v]));
                bytes += 64.0 * overflow;
                scattered += overflow;
            }
            for (const ref::Model::Change& ch : s.changes[c]) {
                stage_written.add(ch.firm / 64);
            }
            bytes += 2.0 * static_cast<double>(sizeof(ref::Model::Change) * s.changes[c].size());
        }
        add_links(~0U); // -1 modulo 2^32
        for (std::size_t b = 0; b < born; ++b) {
            for (std::uint32_t k = 0; k < s.pick_counts[b]; ++k) {
                const std::size_t v = s.picks[b * m + k];
                bytes += 2.0 * 64.0; // the drawn entry and the partner's stage
                scattered += 2.0;
                heads_written.add(v * 4 / 64);
                heads_picked.add(v * 4 / 64);
                bytes += 8.0 + 4.0; // its overflow entry and the newborn's own entry, written
            }
            const std::size_t id = start + b;
            stage_written.add(id / 64);
            heads_written.add(id * 4 / 64);
            offsets_born.add((id + 1) * 4 / 64);
        }
        bytes += stage_written.bytes() + offsets_read.bytes() + offsets_born.bytes() +
                 heads_read.bytes() + 2.0 * heads_written.bytes() + targets_read.bytes();
        scattered += offsets_read.sparse_lines() + heads_read.sparse_lines() +
                     targets_read.sparse_lines() + stage_written.sparse_lines() +
                     heads_picked.lines();
        t.bytes += bytes;
        t.scattered_lines += scattered;
        t.agent_steps += static_cast<double>(s.agent_steps);
    };
    ReferenceOptions quiet = o;
    run_reference(quiet, observe);
    return t;
}

constexpr double MIB = 1024.0 * 1024.0;

// Firms of the reference run whose state and network fit in the caches (about 3 MB).
constexpr std::size_t CACHE_RESIDENT_FIRMS = 40000;

struct Bandwidth {
    double read_gb_s = 0.0;
    double write_gb_s = 0.0;
    double triad_gb_s = 0.0;
    /// Independent reads of single 64-byte lines at random places in the arrays, per second
    /// (what a core's misses in flight allow, not the bus: the ceiling of scattered accesses).
    double random_lines_per_s = 0.0;
};

// STREAM-like kernels (McCalpin's STREAM: sum, fill, triad a = b + s c) over three arrays far
// larger than the caches, chunked over the threads, best of `repeats`. Bytes are those the kernel
// reads and writes, as STREAM counts them (write-allocate traffic is not counted). Then reads of
// single lines at random places in one array (a GUPS-like kernel): the rate at which the cores
// fetch lines that no prefetcher can see coming.
Bandwidth measure_bandwidth(std::size_t array_mib, int repeats) {
    const std::size_t n = array_mib * 1024 * 1024 / sizeof(double);
    // Huge pages asked for before the arrays are written, as the reference model asks for them
    // for its network (engine::prefer_huge_pages), so that the ceiling and the model are measured
    // alike.
    const auto array = [n](double value) {
        std::vector<double> v;
        v.reserve(n);
        canopy::engine::prefer_huge_pages(v.data(), v.data() + n);
        v.assign(n, value);
        return v;
    };
    std::vector<double> a = array(1.0);
    std::vector<double> b = array(2.0);
    std::vector<double> c = array(0.5);
    constexpr std::size_t CHUNK = 1 << 16;
    const Executor ex(true);
    std::vector<double> partial(Executor::chunk_count(n, CHUNK));
    const auto bytes = static_cast<double>(n * sizeof(double));
    const std::uint64_t lines = n / 8; // below 2^32 for --array-mib up to 65,536
    const std::size_t reads = 2 * lines;
    constexpr std::size_t RANDOM_CHUNK = 1 << 16;
    std::vector<double> random_partial(Executor::chunk_count(reads, RANDOM_CHUNK));
    Bandwidth best;
    double sink = 0.0;
    for (int k = 0; k < repeats; ++k) {
        auto t0 = std::chrono::steady_clock::now();
        ex.for_chunks(n, CHUNK, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            // Four independent sums, so the loop waits on memory, not on the adder's latency
            // (chunks are multiples of 4 long except the last, which the tail loop finishes).
            std::array<double, 4> sum{};
            std::size_t i = begin;
            for (; i + 4 <= end; i += 4) {
                for (std::size_t q = 0; q < 4; ++q) {
                    sum[q] += b[i + q];
                }
            }
            for (; i < end; ++i) {
                sum[0] += b[i];
            }
            partial[chunk] = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        });
        best.read_gb_s = std::max(best.read_gb_s, bytes / seconds_since(t0) * 1e-9);
        for (const double x : partial) {
            sink += x;
        }
        t0 = std::chrono::steady_clock::now();
        const double fill = static_cast<double>(k);
        ex.for_chunks(n, CHUNK, [&](std::size_t, std::size_t begin, std::size_t end) {
            std::fill(c.begin() + static_cast<std::ptrdiff_t>(begin),
                      c.begin() + static_cast<std::ptrdiff_t>(end), fill);
        });
        best.write_gb_s = std::max(best.write_gb_s, bytes / seconds_since(t0) * 1e-9);
        t0 = std::chrono::steady_clock::now();
        ex.for_chunks(n, CHUNK, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) {
                a[i] = b[i] + 3.0 * c[i];
            }
        });
        best.triad_gb_s = std::max(best.triad_gb_s, 3.0 * bytes / seconds_since(t0) * 1e-9);
        sink += a[n / 2];
        // Random lines: each task reads one double from each of RANDOM_CHUNK lines drawn
        // uniformly over one array (a xorshift per task; the loads do not depend on each other,
        // so the core keeps as many in flight as it can), twice as many reads as the array has
        // lines. The loop is kept short: the reorder window holds fewer of a longer loop's
        // iterations, so fewer loads are in flight (indexing all three arrays took 0.65x).
        t0 = std::chrono::steady_clock::now();
        ex.for_chunks(
            reads, RANDOM_CHUNK, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
                std::uint64_t x = std::uint64_t{0x9E3779B97F4A7C15} * (std::uint64_t{chunk} + 1) +
                                  static_cast<std::uint64_t>(k);
                // An integer sum of the bits: a floating-point one filled the FP scheduler with
                // additions waiting on their loads, which capped the loads in flight (0.55x).
                std::uint64_t sum = 0;
                for (std::size_t i = begin; i < end; ++i) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    const std::uint64_t line = ((x >> 32) * lines) >> 32; // below `lines`
                    sum += std::bit_cast<std::uint64_t>(b[line * 8]);
                }
                random_partial[chunk] = static_cast<double>(sum & 1);
            });
        best.random_lines_per_s =
            std::max(best.random_lines_per_s, static_cast<double>(reads) / seconds_since(t0));
        for (const double x : random_partial) {
            sink += x;
        }
    }
    if (sink == -1.0) {
        std::printf("#\n"); // keeps the sums observable
    }
    return best;
}

int command_bandwidth(const ReferenceOptions& o, std::size_t array_mib, int repeats) {
    const ThreadLimit limit(o.threads);
    const Bandwidth bw = measure_bandwidth(array_mib, repeats);
    std::printf("# memory bandwidth, STREAM-like kernels over 3 arrays of %zu MiB, %d threads, "
                "best of %d; transparent huge pages asked for these arrays and the model's network "
                "alike (madvise), and for all of glibc's large blocks: %s (GLIBC_TUNABLES)\n",
                array_mib, o.threads, repeats,
                canopy::engine::huge_pages_requested() ? "requested" : "not requested");
    std::printf("bandwidth read_gb_s=%.2f write_gb_s=%.2f triad_gb_s=%.2f "
                "random_lines_per_s=%.0f random_line_gb_s=%.2f threads=%d\n",
                bw.read_gb_s, bw.write_gb_s, bw.triad_gb_s, bw.random_lines_per_s,
                bw.random_lines_per_s * 64e-9, o.threads);
    // The reference model right after, best step loop of `repeats` runs.
    double best_rate = 0.0;
    ReferenceResult best;
    for (int k = 0; k < repeats; ++k) {
        ReferenceResult r = run_reference(o);
        if (r.agent_steps / r.step_s > best_rate) {
            best_rate = r.agent_steps / r.step_s;
            best = std::move(r);
        }
    }
    const double bytes_per_agent_step = reference_bytes_per_agent_step(best);
    // Decide's stream alone: far above the step's binding ceiling (the scattered line's), which
    // counts every byte the step moves and the lines it fetches one by one.
    const double streamed_ceiling = bw.triad_gb_s * 1e9 / bytes_per_agent_step;
    std::printf("# the reference model's step loop against decide's stream: bytes_per_agent_step "
                "is what decide must stream (the stage, and a line of the neighbour list of each "
                "firm whose draw falls between the promotion bounds: lists_read_share of them), "
                "ceiling_streamed = triad bandwidth / that (not the binding ceiling: see the "
                "scattered line)\n");
    std::printf("roofline n=%zu threads=%d agent_steps_per_s_steploop=%.0f "
                "bytes_per_agent_step=%.2f lists_read_share=%.4f achieved_gb_s=%.2f "
                "ceiling_streamed_agent_steps_per_s=%.0f fraction_of_ceiling_streamed=%.4f "
                "bytes_per_agent=%.1f\n",
                o.n, o.threads, best_rate, bytes_per_agent_step, best.lists_read / best.agent_steps,
                best_rate * bytes_per_agent_step * 1e-9, streamed_ceiling,
                best_rate / streamed_ceiling,
                static_cast<double>(best.bytes) / static_cast<double>(best.firms));
    // What the whole step moves, estimated from what a run of the same model touched (not
    // timed): decide's stream above is a small part of it.
    const Traffic traffic = reference_traffic(o);
    const double moved = traffic.per_agent_step();
    std::printf("# the whole step's memory traffic, estimated from the lines a run of the same "
                "model touched each step (reads once, written lines read and written back, "
                "nothing kept in the caches between steps): bytes_moved_per_agent_step; "
                "moved_gb_s = that x the best step-loop rate, against triad bandwidth\n");
    std::printf("traffic n=%zu threads=%d bytes_moved_per_agent_step=%.1f moved_gb_s=%.2f "
                "fraction_of_triad=%.3f\n",
                o.n, o.threads, moved, best_rate * moved * 1e-9,
                best_rate * moved * 1e-9 / bw.triad_gb_s);
    // Two ceilings, as in a roofline: the triad over every byte the step moves, and the
    // random-line rate over the lines it fetches one by one; the step can pass neither.
    const double lines = traffic.scattered_lines_per_agent_step();
    const auto ceilings = [&](double triad_gb_s, double random_lines_per_s) {
        return std::min(triad_gb_s * 1e9 / moved, random_lines_per_s / lines);
    };
    std::printf("# of those, the scattered lines (fetched one by one: in random order, or sparse; "
                "see Traffic), against the random-line rate; ceiling_moved = triad / "
                "bytes_moved_per_agent_step, ceiling_scattered = random_lines_per_s / "
                "scattered_lines_per_agent_step, ceiling_binding = the lower of the two\n");
    const double best_ceiling = ceilings(bw.triad_gb_s, bw.random_lines_per_s);
    std::printf("scattered n=%zu threads=%d scattered_lines_per_agent_step=%.4f "
                "streamed_bytes_per_agent_step=%.1f scattered_lines_per_s=%.0f "
                "fraction_of_random_lines=%.3f ceiling_moved_agent_steps_per_s=%.0f "
                "ceiling_scattered_agent_steps_per_s=%.0f ceiling_binding_agent_steps_per_s=%.0f "
                "fraction_of_ceiling_binding=%.3f\n",
                o.n, o.threads, lines, traffic.streamed_per_agent_step(), best_rate * lines,
                best_rate * lines / bw.random_lines_per_s, bw.triad_gb_s * 1e9 / moved,
                bw.random_lines_per_s / lines, best_ceiling, best_rate / best_ceiling);
    // The same fractions paired: the bandwidth kernels and the step loop in turn, `repeats`
    // rounds, so that the two halves of each fraction share a minute of a machine whose speed moves
    // (the triad above and the best loop may come from different minutes: 26.5 and 43.0 GB/s were
    // measured a minute apart on the shared development machine).
    std::vector<double> paired;
    std::vector<double> paired_random;
    std::vector<double> paired_ceiling;
    std::printf("# paired: each round the bandwidth kernels (one run) then the step loop (one "
                "run); fraction_of_triad = agent_steps_per_s_steploop x "
                "bytes_moved_per_agent_step / triad, fraction_of_random_lines = "
                "agent_steps_per_s_steploop x scattered_lines_per_agent_step / "
                "random_lines_per_s, fraction_of_ceiling_binding against the lower of the "
                "round's two ceilings; their medians over the rounds\n");
    for (int k = 0; k < repeats; ++k) {
        const Bandwidth round = measure_bandwidth(array_mib, 1);
        const ReferenceResult r = run_reference(o);
        const double rate = r.agent_steps / r.step_s;
        paired.push_back(rate * moved * 1e-9 / round.triad_gb_s);
        paired_random.push_back(rate * lines / round.random_lines_per_s);
        paired_ceiling.push_back(rate / ceilings(round.triad_gb_s, round.random_lines_per_s));
        std::printf("paired round=%d triad_gb_s=%.2f random_lines_per_s=%.0f "
                    "agent_steps_per_s_steploop=%.0f moved_gb_s=%.2f fraction_of_triad=%.4f "
                    "fraction_of_random_lines=%.4f fraction_of_ceiling_binding=%.4f\n",
                    k + 1, round.triad_gb_s, round.random_lines_per_s, rate, rate * moved * 1e-9,
                    paired.back(), paired_random.back(), paired_ceiling.back());
    }
    const auto spread = [](const std::vector<double>& x) {
        return std::array<double, 3>{median(x), *std::min_element(x.begin(), x.end()),
                                     *std::max_element(x.begin(), x.end())};
    };
    const auto [triad_median, triad_min, triad_max] = spread(paired);
    const auto [random_median, random_min, random_max] = spread(paired_random);
    const auto [ceiling_median, ceiling_min, ceiling_max] = spread(paired_ceiling);
    std::printf("paired_summary rounds=%d fraction_of_triad_median=%.4f min=%.4f max=%.4f "
                "fraction_of_random_lines_median=%.4f random_min=%.4f random_max=%.4f "
                "fraction_of_ceiling_binding_median=%.4f binding_min=%.4f binding_max=%.4f\n",
                repeats, triad_median, triad_min, triad_max, random_median, random_min, random_max,
                ceiling_median, ceiling_min, ceiling_max);
    // The same work on a population whose state and network fit in the caches, on one thread:
    // what the step costs when memory costs (almost) nothing. Times the threads (perfect scaling,
    // no hand-offs), it is the compute bound; when that bound is itself below the bandwidth
    // ceiling, the model is compute-bound and no layout reaches the ceiling. Against the binding
    // ceiling (the scattered line's), not decide's stream alone, which is many times higher.
    ReferenceOptions cached = o;
    cached.n = CACHE_RESIDENT_FIRMS;
    cached.threads = 1;
    double cached_rate = 0.0;
    std::array<double, 3> cached_phases{};
    double cached_agent_steps = 0.0;
    for (int k = 0; k < repeats; ++k) {
        const ReferenceResult r = run_reference(cached);
        if (r.agent_steps / r.step_s > cached_rate) {
            cached_rate = r.agent_steps / r.step_s;
            cached_phases = r.phases;
            cached_agent_steps = r.agent_steps;
        }
    }
    const auto per_agent_step_ns = [](double seconds, double agent_steps) {
        return seconds / agent_steps * 1e9;
    };
    const double bound = cached_rate * o.threads;
    std::printf("# the same step on %zu firms (state and network in the caches) on one thread; "
                "compute_bound = that rate x %d threads; wall ns per agent-step of each phase "
                "there (1 thread) and at n=%zu (%d threads), against the ns per agent-step the "
                "binding ceiling leaves (ceiling_binding on the scattered line)\n",
                CACHE_RESIDENT_FIRMS, o.threads, o.n, o.threads);
    std::printf("compute_bound n=%zu agent_steps_per_s_steploop_1_thread=%.0f "
                "compute_bound_agent_steps_per_s=%.0f compute_bound_over_ceiling_binding=%.3f "
                "ns_decide=%.2f ns_apply=%.2f ns_births=%.2f ns_decide_at_n=%.2f "
                "ns_apply_at_n=%.2f ns_births_at_n=%.2f ns_memory_budget_binding=%.2f\n",
                CACHE_RESIDENT_FIRMS, cached_rate, bound, bound / best_ceiling,
                per_agent_step_ns(cached_phases[0], cached_agent_steps),
                per_agent_step_ns(cached_phases[1], cached_agent_steps),
                per_agent_step_ns(cached_phases[2], cached_agent_steps),
                per_agent_step_ns(best.phases[0], best.agent_steps),
                per_agent_step_ns(best.phases[1], best.agent_steps),
                per_agent_step_ns(best.phases[2], best.agent_steps), 1e9 / best_ceiling);
    return 0;
}

// ---- the full model ------------------------------------------------------------------------

namespace eco = canopy::models::ecosystem;

struct EcosystemOptions {
    std::string scenario;
    int replicates = 1000;
    int threads = 0;    ///< 0: all cores
    double firms = 0.0; ///< > 0: one city scaled to about this many initial firms
    std::uint64_t seed = 1;
    bool scaling = false;
    int profile = 5; ///< > 0: this many interleaved rounds of the per-firm-step profile
};

// Scales the scenario's city to about `firms` initial firms: every firm count, entry rate and
// platform capacity grows in proportion, so per-firm behaviour is unchanged.
void scale_city(canopy::engine::RunInputs& in, double firms) {
    namespace p = eco::param;
    const double now = in.parameters[p::initial_incubating] + in.parameters[p::initial_smes] +
                       in.parameters[p::initial_high_tech] + in.parameters[p::initial_leaders];
    const double f = firms / now;
    for (const auto k :
         {p::initial_incubating, p::initial_smes, p::initial_high_tech, p::initial_leaders,
          p::initial_incubators, p::initial_innovation_space, p::initial_pilot_platforms,
          p::startup_rate, p::spinoff_rate, p::sme_entry_rate, p::seat_half_saturation}) {
        in.parameters[k] *= f;
    }
    for (const auto k :
         {p::initial_incubating, p::initial_smes, p::initial_high_tech, p::initial_leaders}) {
        in.parameters[k] = std::round(in.parameters[k]);
    }
    const double lever_scale = f;
    for (const auto k : {eco::lever::new_incubators, eco::lever::innovation_space_construction,
                         eco::lever::new_pilot_platforms}) {
        in.levers[k] = in.levers[k].scaled(lever_scale);
    }
}

double agent_steps_of(const canopy::engine::SeriesTable& t) {
    double a = 0.0;
    for (int r = 0; r + 1 < t.rows; ++r) {
        a += t.at(r, eco::series::active_firms); // active at the start of step r
    }
    return a;
}

// Totals over the replicates (agent-steps, wall and set-up seconds), and replicate 0's own
// figures (firms at its start and end, its state's bytes at the end) in both modes.
struct EcosystemResult {
    double wall_s = 0.0;
    double setup_s = -1.0; ///< negative: not timed apart (replicates in parallel)
    double agent_steps = 0.0;
    std::size_t bytes = 0;
    std::size_t firms = 0;
    double firms_start = 0.0;
};

double initial_firms(const canopy::engine::RunInputs& in) {
    namespace p = eco::param;
    return in.parameters[p::initial_incubating] + in.parameters[p::initial_smes] +
           in.parameters[p::initial_high_tech] + in.parameters[p::initial_leaders];
}

EcosystemResult bench_ensemble(const canopy::engine::Scenario& sc, const EcosystemOptions& o) {
    const eco::Model model;
    canopy::engine::EnsembleOptions eo;
    eo.replicates = o.replicates;
    eo.seed = o.seed;
    const auto t0 = std::chrono::steady_clock::now();
    const canopy::engine::Ensemble e = canopy::engine::run_ensemble(model, sc, eo);
    EcosystemResult r;
    r.wall_s = seconds_since(t0);
    for (const auto& run : e.runs) {
        r.agent_steps += agent_steps_of(run);
    }
    // Memory: one replicate's state at its end.
    const canopy::engine::RunInputs in =
        canopy::engine::replicate_inputs(sc, canopy::engine::RandomKey{o.seed, 0});
    Simulation<eco::Model> sim(model, in, RandomKey{o.seed, 0}, Executor(false));
    SeriesTable t;
    sim.run(t);
    r.bytes = eco::Model::state_bytes(sim.state());
    r.firms = sim.state().firms.size();
    r.firms_start = initial_firms(in);
    return r;
}

EcosystemResult bench_city(const canopy::engine::Scenario& sc, const EcosystemOptions& o,
                           int threads) {
    const eco::Model model;
    EcosystemResult r;
    r.setup_s = 0.0;
    for (int k = 0; k < o.replicates; ++k) {
        const RandomKey key{o.seed, static_cast<std::uint32_t>(k)};
        canopy::engine::RunInputs in = canopy::engine::replicate_inputs(sc, key);
        scale_city(in, o.firms);
        Simulation<eco::Model> sim(model, in, key, Executor(threads > 1));
        SeriesTable t;
        t.resize(in.calendar.steps() + 1, static_cast<int>(model.info().series.size()));
        const auto t0 = std::chrono::steady_clock::now();
        sim.init();
        r.setup_s += seconds_since(t0);
        sim.observe_initial(t.row(0));
        while (!sim.done()) {
            sim.step(t.row(sim.current_step() + 1));
        }
        r.wall_s += seconds_since(t0);
        r.agent_steps += agent_steps_of(t);
        if (k == 0) { // replicate 0, as in the ensemble mode
            r.bytes = eco::Model::state_bytes(sim.state());
            r.firms = sim.state().firms.size();
            r.firms_start = initial_firms(in);
        }
    }
    return r;
}

// ---- the per-firm-step profile: ecosystem replicates and reference runs, interleaved ---------

// CPU seconds of one ecosystem replicate on one thread, by phase (the model's own timers; "rest"
// is what they do not cover: the SD stocks' RK4, the series, the engine's step loop).
struct EcosystemProfile {
    double wall_s = 0.0; ///< CPU seconds of the whole replicate
    double agent_steps = 0.0;
    eco::PhaseSeconds phases;
    double rest_s = 0.0;
};

EcosystemProfile profile_ecosystem(const canopy::engine::Scenario& sc, const EcosystemOptions& o,
                                   std::uint32_t replicate) {
    eco::Model model;
    model.time_phases = true;
    const RandomKey key{o.seed, replicate};
    canopy::engine::RunInputs in = canopy::engine::replicate_inputs(sc, key);
    if (o.firms > 0) {
        scale_city(in, o.firms);
    }
    Simulation<eco::Model> sim(model, in, key, Executor(false));
    SeriesTable t;
    const double t0 = thread_cpu_seconds();
    sim.run(t);
    EcosystemProfile p;
    p.wall_s = thread_cpu_seconds() - t0;
    p.agent_steps = agent_steps_of(t);
    p.phases = sim.state().phases;
    const eco::PhaseSeconds& ph = p.phases;
    p.rest_s = p.wall_s -
               (ph.network.seconds + ph.attributes.seconds + ph.decide.seconds + ph.apply.seconds +
                ph.calendar.seconds + ph.newcomers.seconds + ph.tallies.seconds);
    return p;
}

// Ecosystem replicates and reference-model runs of the same size (initial firms, steps, births
// in proportion) alternate on one thread, so that whatever else the machine is doing weighs on
// both; each figure is the median over the rounds, in nanoseconds per firm-step.
void print_profile(const canopy::engine::Scenario& sc, const EcosystemOptions& o) {
    const ThreadLimit limit(1);
    const int rounds = o.profile;
    std::vector<double> eco_total, eco_steps, ref_step;
    std::array<std::vector<double>, 8> eco_phase;
    std::array<std::vector<double>, 3> ref_phase;
    std::size_t n_firms = 0;
    for (int k = 0; k < rounds; ++k) {
        // Each round's replicate runs twice and the second is counted: the first replicate of a
        // size the process has not run before pays for memory touched for the first time (glibc
        // maps or grows its heap for it), which a run of many replicates pays only the few times
        // a replicate is larger than all before it. Counted, that made the network set-up of a
        // 3-round profile read 6.5-8.8 ns per firm-step against 2.5-3.8 at 9 rounds (5 Dec).
        (void)profile_ecosystem(sc, o, static_cast<std::uint32_t>(k));
        const EcosystemProfile e = profile_ecosystem(sc, o, static_cast<std::uint32_t>(k));
        const double ns = 1e9 / e.agent_steps;
        const eco::PhaseSeconds& ph = e.phases;
        const std::array<double, 8> phases = {
            ph.network.seconds,  ph.attributes.seconds, ph.decide.seconds,  ph.apply.seconds,
            ph.calendar.seconds, ph.newcomers.seconds,  ph.tallies.seconds, e.rest_s};
        for (std::size_t q = 0; q < phases.size(); ++q) {
            eco_phase[q].push_back(phases[q] * ns);
        }
        eco_total.push_back(e.wall_s * ns);
        eco_steps.push_back((e.wall_s - ph.network.seconds - ph.attributes.seconds) * ns);

        canopy::engine::RunInputs in =
            canopy::engine::replicate_inputs(sc, RandomKey{o.seed, static_cast<std::uint32_t>(k)});
        if (o.firms > 0) {
            scale_city(in, o.firms);
        }
        ReferenceOptions ro;
        n_firms = static_cast<std::size_t>(initial_firms(in));
        ro.n = n_firms;
        ro.steps = sc.calendar.steps();
        ro.seed = o.seed + static_cast<std::uint64_t>(k);
        ro.threads = 1;
        (void)run_reference(ro); // the same for the reference run
        const ReferenceResult r = run_reference(ro);
        const double ref_ns = 1e9 / r.agent_steps;
        ref_step.push_back(r.step_cpu_s * ref_ns);
        // The reference model times its phases in wall seconds: scaled to the CPU seconds of
        // the step loop they share.
        const double cpu_share = r.step_s > 0.0 ? r.step_cpu_s / r.step_s : 1.0;
        for (std::size_t q = 0; q < 3; ++q) {
            ref_phase[q].push_back(r.phases[q] * cpu_share * ref_ns);
        }
    }
    const double eco_ns = median(eco_total);
    const double ref_ns = median(ref_step);
    std::printf(
        "# CPU ns per firm-step, one thread, median of %d interleaved rounds (each run twice, the "
        "second counted); reference model at n=%zu, %d steps, births 300*n/40000 a step; the "
        "ecosystem's vector loops ran %s\n",
        rounds, n_firms, sc.calendar.steps(),
        eco::detail::use_avx2_kernels() ? "the kernels written for AVX2"
                                        : "the compiler's clones (AVX-512, AVX2 or portable)");
    std::printf("profile model=ecosystem ns_per_firm_step=%.2f steps_only=%.2f network=%.2f "
                "attributes=%.2f decide=%.2f apply=%.2f calendar=%.2f newcomers=%.2f "
                "tallies=%.2f rest=%.2f\n",
                eco_ns, median(eco_steps), median(eco_phase[0]), median(eco_phase[1]),
                median(eco_phase[2]), median(eco_phase[3]), median(eco_phase[4]),
                median(eco_phase[5]), median(eco_phase[6]), median(eco_phase[7]));
    std::printf("profile model=reference ns_per_firm_step=%.2f decide=%.2f apply=%.2f "
                "births=%.2f\n",
                ref_ns, median(ref_phase[0]), median(ref_phase[1]), median(ref_phase[2]));
    // The figure compares the whole replicate (its network and attributes set up, then
    // its steps) with the reference's step; steps_only leaves the set-up out, like for like;
    // decide_only is the ecosystem's decisions alone against the whole reference step, a floor
    // under the other two whatever the other phases cost.
    std::printf("profile ratio ecosystem/reference=%.2f steps_only=%.2f decide_only=%.2f\n",
                eco_ns / ref_ns, median(eco_steps) / ref_ns, median(eco_phase[2]) / ref_ns);
}

// Bytes of one replicate's state at its end, by part, per firm (rows of exited firms included).
void print_memory(const canopy::engine::Scenario& sc, const EcosystemOptions& o) {
    const eco::Model model;
    const RandomKey key{o.seed, 0};
    canopy::engine::RunInputs in = canopy::engine::replicate_inputs(sc, key);
    if (o.firms > 0) {
        scale_city(in, o.firms);
    }
    Simulation<eco::Model> sim(model, in, key, Executor(false));
    SeriesTable t;
    sim.run(t);
    const eco::Model::State& s = sim.state();
    const auto firms = static_cast<double>(s.firms.size());
    const double counts = static_cast<double>(s.counts16.size() * sizeof(eco::NeighbourCounts16) +
                                              s.counts32.size() * sizeof(eco::NeighbourCounts));
    std::printf("memory model=ecosystem firms_end=%zu bytes_per_firm=%.1f columns=%.1f "
                "neighbour_counts=%.1f (%s) network=%.1f attachment_pool=%.1f (%s ids) "
                "stage_change_marks=%.1f\n",
                s.firms.size(), static_cast<double>(eco::Model::state_bytes(s)) / firms,
                static_cast<double>(s.firms.bytes()) / firms, counts / firms,
                s.counts32.empty() ? "16-bit" : "32-bit",
                static_cast<double>(s.collaboration.bytes()) / firms,
                static_cast<double>(s.attachment.bytes()) / firms,
                s.collaboration.narrow() ? "16-bit" : "32-bit",
                static_cast<double>(s.moved.size()) / firms);
}

// The profile, then the timed replicates (at each thread count with --scaling).
int run_ecosystem(const canopy::engine::Scenario& sc, const EcosystemOptions& o) {
    if (o.profile > 0) {
        print_profile(sc, o);
        print_memory(sc, o);
    }
    if (o.replicates == 0) {
        return 0;
    }
    const int max_threads = o.threads > 0 ? o.threads : canopy::engine::hardware_threads();
    std::vector<int> counts;
    for (int t = o.scaling ? 1 : max_threads; t <= max_threads; ++t) {
        counts.push_back(t);
    }
    std::printf("# canopy ecosystem model: scenario %s, %s; agent_steps, wall_s%s: totals over "
                "the replicates; replicate_0_*: replicate 0's own firms at its start and end, "
                "and its state's bytes per firm at the end\n",
                sc.name.c_str(),
                o.firms > 0 ? "one scaled city per replicate, agents in parallel"
                            : "replicates in parallel",
                o.firms > 0 ? " and setup_s (the networks and initial states built)"
                            : " (set-up is not timed apart when replicates run in parallel: no "
                              "setup_s)");
    double base_rate = 0.0;
    for (const int t : counts) {
        const ThreadLimit limit(t);
        const EcosystemResult r = o.firms > 0 ? bench_city(sc, o, t) : bench_ensemble(sc, o);
        const double rate = r.agent_steps / r.wall_s;
        if (base_rate == 0.0) {
            base_rate = rate;
        }
        char setup[48] = "";
        if (r.setup_s >= 0.0) {
            std::snprintf(setup, sizeof setup, " setup_s=%.6f", r.setup_s);
        }
        std::printf("summary peer=canopy model=ecosystem scenario=%s replicates=%d steps=%d "
                    "agent_steps=%.0f%s wall_s=%.6f replicates_per_s=%.2f agent_steps_per_s=%.0f "
                    "threads=%d speedup=%.2f replicate_0_firms_start=%.0f "
                    "replicate_0_firms_end=%zu replicate_0_bytes_per_agent=%.1f\n",
                    sc.name.c_str(), o.replicates, sc.calendar.steps(), r.agent_steps, setup,
                    r.wall_s, o.replicates / r.wall_s, rate, t, rate / base_rate, r.firms_start,
                    r.firms, static_cast<double>(r.bytes) / static_cast<double>(r.firms));
    }
    return 0;
}

// The peak memory of the ecosystem command, as `canopy run` estimates it (resources.hpp): in
// ensemble mode the replicates' kept series and the agents of those in flight; with --firms, one
// scaled city at a time. The profile also runs reference-model runs of the city's size.
canopy::bench::MemoryNeed ecosystem_need(const canopy::engine::Scenario& sc,
                                         const EcosystemOptions& o) {
    canopy::bench::MemoryNeed need;
    canopy::engine::RunInputs in = canopy::engine::replicate_inputs(sc, RandomKey{o.seed, 0});
    if (o.firms > 0) {
        scale_city(in, o.firms);
    }
    std::vector<double> levers;
    for (const canopy::engine::Schedule& l : in.levers) {
        levers.push_back(l.largest());
    }
    const double firms = eco::Model::agents_at_horizon(in.parameters, levers, sc.calendar);
    const double city = firms * eco::Model::bytes_per_agent(in.parameters);
    if (o.firms > 0 || o.replicates == 0) {
        need.bytes = city;
        need.detail = canopy::engine::grouped(firms) + " firms at the end of a replicate";
    } else {
        const canopy::models::ModelHandle& model = *canopy::models::find_model("ecosystem");
        const int threads = o.threads > 0 ? o.threads : canopy::engine::hardware_threads();
        const canopy::engine::RunShape shape =
            canopy::models::run_shape(model, std::span(&sc, 1), o.replicates, threads);
        const canopy::engine::ResourceEstimate e =
            canopy::engine::estimate_resources(model.info(), sc.calendar, shape);
        need.bytes = std::max(e.total_bytes(), city);
        need.detail = e.describe(shape, model.info(), sc.calendar);
    }
    if (o.profile > 0) {
        ReferenceOptions ro;
        ro.n = static_cast<std::size_t>(initial_firms(in));
        ro.steps = sc.calendar.steps();
        const canopy::bench::MemoryNeed reference = reference_need(ro, "", "");
        if (reference.bytes > need.bytes) {
            need.bytes = reference.bytes;
            need.detail =
                "the profile's reference-model run of the city's size: " + reference.detail;
        }
    }
    const std::string scenario = "scenario " + sc.name;
    need.subject = o.firms > 0 ? "one city scaled to " + canopy::engine::grouped(o.firms) +
                                     " initial firms (--firms, " + scenario + ")"
                               : canopy::engine::grouped(o.replicates) +
                                     " replicates (--replicates) of " + scenario;
    need.advice = o.firms > 0 ? "use a smaller --firms" : "use fewer --replicates";
    return need;
}

int command_ecosystem(const EcosystemOptions& o) {
    const auto loaded = canopy::engine::load_scenario(o.scenario, canopy::models::model_catalog());
    if (!loaded.scenario) {
        throw canopy::bench::UsageError("--scenario: cannot load '" + o.scenario + "':\n" +
                                        loaded.diagnostics.format());
    }
    const canopy::engine::Scenario& sc = *loaded.scenario;
    if (sc.model != "ecosystem") {
        throw canopy::bench::UsageError("--scenario: " + o.scenario + " is a '" + sc.model +
                                        "' scenario, not 'ecosystem'");
    }
    const canopy::bench::MemoryNeed need = ecosystem_need(sc, o);
    return canopy::bench::within_memory(need, [&] { return run_ecosystem(sc, o); });
}

} // namespace

int main(int argc, char** argv) {
    canopy::engine::keep_freed_memory();
    CLI::App app{"canopy-bench: speed of the Canopy engine on fixed models. The default files "
                 "are those of the source tree it was built from (each command's --help shows "
                 "the path)"};
    app.require_subcommand(1);

    ReferenceOptions ro;
    std::string lever_text = "1,1,1";
    auto* reference = app.add_subcommand(
        "reference", "The reference model of bench/REFERENCE.md, with its output contract");
    reference->add_option("--n", ro.n, "Initial number of firms")->check(CLI::Range(8, 2000000000));
    reference->add_option("--steps", ro.steps, "Monthly steps")->check(CLI::Range(1, 100000));
    reference->add_option("--seed", ro.seed, "Random seed")
        ->transform(canopy::bench::seed_number());
    reference->add_option("--threads", ro.threads, "Worker threads")->check(CLI::Range(1, 1024));
    // Up to the model's own bound on births_per_month (reference_model.cpp).
    CLI::Option* births_option =
        reference->add_option("--births", ro.births, "Mean newborns per step (default 300*N/40000)")
            ->check(canopy::bench::number_in(
                0.0, ref::Model().info().parameters[ref::P_BIRTHS_PER_MONTH].range.max));
    reference->add_option("--lever", lever_text, "Promotion multipliers LEVER[0..2] as a,b,c");
    reference->add_flag("--quiet", ro.quiet, "Print only the summary line");
    std::string order_text = "rcm";
    std::string bandwidth_order_text = "rcm";
    reference
        ->add_option("--order", order_text,
                     "Layout of the firms: rcm (reverse Cuthill-McKee of the network, renewed as "
                     "newborns accumulate; the default) or natural (the order the network was "
                     "built, REFERENCE.md's numbering)")
        ->check(CLI::IsMember({"rcm", "natural"}));
    reference
        ->add_option("--reorder-tail", ro.reorder_tail,
                     "With --order rcm: renumber all firms once the newborns since the last "
                     "ordering outnumber this fraction of the firms ordered then")
        ->check(canopy::bench::number_above(0.0));

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
    scaling->add_option("--seed", scaling_seed, "Random seed")
        ->transform(canopy::bench::seed_number());

    EcosystemOptions eo;
    eo.scenario = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023.toml";
    auto* ecosystem =
        app.add_subcommand("ecosystem", "The full innovation-ecosystem model on a scenario");
    ecosystem->add_option("--scenario", eo.scenario, "Scenario file (an ecosystem scenario)")
        ->check(CLI::ExistingFile)
        ->capture_default_str();
    ecosystem->add_option("--replicates", eo.replicates, "Replicates (0: the profile only)")
        ->check(CLI::Range(0, 1000000));
    ecosystem->add_option("--threads", eo.threads, "Worker threads (0: all cores)")
        ->check(CLI::Range(0, 1024));
    ecosystem
        ->add_option("--firms", eo.firms,
                     "Scale the city to about this many initial firms and run replicates "
                     "one after another with agents in parallel")
        ->check(canopy::bench::number_in(100.0, 2.0e9));
    ecosystem->add_option("--seed", eo.seed, "Random seed")
        ->transform(canopy::bench::seed_number());
    ecosystem->add_flag("--scaling", eo.scaling, "Repeat at 1, 2, ... threads");
    ecosystem
        ->add_option("--profile", eo.profile,
                     "Rounds of the per-firm-step profile: ecosystem replicates and reference "
                     "runs of the same size, interleaved on one thread (0: none; default 5)")
        ->check(CLI::Range(0, 10000));

    ReferenceOptions bo;
    bo.n = 4000000;
    bo.threads = canopy::engine::hardware_threads();
    std::size_t array_mib = 256;
    int bandwidth_repeats = 5;
    auto* bandwidth = app.add_subcommand(
        "bandwidth", "The machine's memory bandwidth, then the reference model's step loop "
                     "against the ceiling it sets (back to back)");
    bandwidth->add_option("--n", bo.n, "Initial firms of the reference model (default 4,000,000)")
        ->check(CLI::Range(8, 2000000000));
    bandwidth->add_option("--threads", bo.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1, 1024));
    bandwidth->add_option("--array-mib", array_mib, "MiB per array (three arrays)")
        ->check(CLI::Range(16, 65536));
    bandwidth->add_option("--repeats", bandwidth_repeats, "Runs of each (best is kept)")
        ->check(CLI::Range(1, 100));
    bandwidth->add_option("--seed", bo.seed, "Random seed of the reference model")
        ->transform(canopy::bench::seed_number());
    bandwidth
        ->add_option("--order", bandwidth_order_text,
                     "Layout of the firms: rcm (default) or natural")
        ->check(CLI::IsMember({"rcm", "natural"}));

    ReferenceOptions contention_model;
    contention_model.n = 400000;
    contention_model.steps = 36;
    contention_model.threads = 1; // the model on one core, the co-runner on another
    canopy::bench::ContentionOptions contention_options;
    auto* contention = app.add_subcommand(
        "contention", "The reference model's step loop on one core, alone and beside a program "
                      "that evicts the shared cache from another core, in both layouts");
    contention->add_option("--n", contention_model.n, "Initial firms (default 400,000)")
        ->check(CLI::Range(8, 2000000000));
    contention->add_option("--steps", contention_model.steps, "Monthly steps (default 36)")
        ->check(CLI::Range(1, 100000));
    contention->add_option("--seed", contention_model.seed, "Random seed")
        ->transform(canopy::bench::seed_number());
    contention
        ->add_option("--rounds", contention_options.rounds,
                     "Rounds, each running every layout with every co-runner (default 6)")
        ->check(CLI::Range(1, 1000));
    contention
        ->add_option("--co-runner-mib", contention_options.co_runner_mib,
                     "The co-runner's buffer in MiB (default 512: many times a last-level cache)")
        ->check(CLI::Range(1, 65536));

    canopy::bench::SweepOptions so;
    so.sweep = std::string(CANOPY_SOURCE_DIR) + "/scenarios/wuhan-2023-sweep.toml";
    so.canopy = (std::filesystem::path(argv[0]).parent_path() / "canopy").string();
    auto* sweep = app.add_subcommand(
        "sweep", "The sweep machinery's cost per design point beyond the simulations, and MPI "
                 "efficiency");
    sweep->add_option("--sweep", so.sweep, "Sweep file (the example Wuhan sweep by default)")
        ->check(CLI::ExistingFile)
        ->capture_default_str();
    sweep->add_option("--shard", so.shard, "The points timed: shard i/n of the design");
    sweep->add_option("--threads", so.threads, "Worker threads (0: all cores)")
        ->check(CLI::Range(0, 1024));
    sweep->add_option("--repeats", so.repeats, "Runs of each measurement (best is kept)")
        ->check(CLI::Range(1, 100));
    sweep
        ->add_option("--mpi-ranks", so.mpi_ranks,
                     "Also time mpirun -np 1 and -np K of canopy sweep (one thread per rank)")
        ->check(CLI::Range(2, 4096));
    sweep->add_option("--canopy", so.canopy, "The canopy program for --mpi-ranks")
        ->capture_default_str();
    sweep->add_option("--mpirun", so.mpirun,
                      "The MPI launcher for --mpi-ranks, with any arguments of its own, split at "
                      "blanks (default mpirun; the bench adds --oversubscribe --bind-to none, and "
                      "--allow-run-as-root when run as root)");

    canopy::bench::CalibrationOptions co;
    co.calibration = std::string(CANOPY_SOURCE_DIR) + "/scenarios/reference-calibration.toml";
    co.recovery_calibration =
        std::string(CANOPY_SOURCE_DIR) + "/tests/data/calibration/recovery.toml";
    auto* calibration = app.add_subcommand(
        "calibration", "A calibration's cost against a plain ensemble of as many runs, and "
                       "parameter recovery and simulation-based calibration on simulated data");
    CLI::Option* calibration_file =
        calibration
            ->add_option("--calibration", co.calibration,
                         "Calibration timed (with --recovery or --sbc: none unless given)")
            ->check(CLI::ExistingFile)
            ->capture_default_str();
    const std::vector<std::string> methods{"abc-smc", "smm"};
    calibration->add_option("--method", co.method, "abc-smc or smm (default: the file's)")
        ->check(CLI::IsMember(methods));
    calibration->add_option("--threads", co.threads, "Worker threads (0: all cores)")
        ->check(CLI::Range(0, 1024));
    calibration->add_option("--repeats", co.repeats, "Runs of each timing (best is kept)")
        ->check(CLI::Range(1, 100));
    calibration
        ->add_option("--recovery", co.recovery,
                     "Parameter recovery: data sets per known parameter set (three sets)")
        ->check(CLI::Range(0, 100000));
    calibration
        ->add_option("--sbc", co.sbc, "Simulation-based calibration: data sets from the prior")
        ->check(CLI::Range(0, 100000));
    calibration
        ->add_option("--recovery-file", co.recovery_calibration,
                     "Calibration file of the recovery and SBC checks (its data are replaced)")
        ->check(CLI::ExistingFile)
        ->capture_default_str();
    canopy::output::read_whole_numbers_in_decimal(app);

    try {
        app.parse(argc, argv);
        if (*calibration) {
            // The trust checks alone unless a calibration to time is named.
            if ((co.recovery > 0 || co.sbc > 0) && calibration_file->count() == 0) {
                co.calibration.clear();
            }
            return canopy::bench::command_calibration(co);
        }
        if (*sweep) {
            return canopy::bench::command_sweep(so);
        }
        if (*contention) {
            canopy::bench::MemoryNeed need =
                reference_need(contention_model,
                               "--n " + std::to_string(contention_model.n) + ", --steps " +
                                   std::to_string(contention_model.steps),
                               "use a smaller --n or --co-runner-mib, or fewer --steps");
            need.subject += " beside a co-runner of --co-runner-mib " +
                            std::to_string(contention_options.co_runner_mib);
            need.bytes += static_cast<double>(contention_options.co_runner_mib) * MIB;
            need.detail = "the co-runner's " + std::to_string(contention_options.co_runner_mib) +
                          " MiB, and " + need.detail;
            return canopy::bench::within_memory(need, [&] {
                return canopy::bench::command_contention(
                    contention_options, [&contention_model](const std::string& order) {
                        ReferenceOptions o = contention_model;
                        o.order = order_of(order);
                        const ReferenceResult r = run_reference(o);
                        return r.agent_steps / r.step_s;
                    });
            });
        }
        if (*bandwidth) {
            bo.order = order_of(bandwidth_order_text);
            canopy::bench::MemoryNeed need = reference_need(bo, "--n " + std::to_string(bo.n),
                                                            "use a smaller --n or --array-mib");
            need.subject = "the bandwidth kernels' 3 arrays of --array-mib " +
                           std::to_string(array_mib) + " and " + need.subject;
            need.bytes += 3.0 * static_cast<double>(array_mib) * MIB;
            need.detail = "3 x " + std::to_string(array_mib) + " MiB, and " + need.detail;
            return canopy::bench::within_memory(
                need, [&] { return command_bandwidth(bo, array_mib, bandwidth_repeats); });
        }
        if (*ecosystem) {
            return command_ecosystem(eo);
        }
        if (*reference) {
            ro.lever = parse_levers(lever_text);
            ro.order = order_of(order_text);
            std::string flags = "--n " + std::to_string(ro.n);
            if (births_option->count() > 0) {
                flags += ", --births " + births_option->results().front();
            }
            const canopy::bench::MemoryNeed need =
                reference_need(ro, flags + ", --steps " + std::to_string(ro.steps),
                               "use a smaller --n or --births, or fewer --steps");
            return canopy::bench::within_memory(need, [&] { return command_reference(ro); });
        }
        if (*scaling) {
            ReferenceOptions o;
            o.n = scaling_n;
            const canopy::bench::MemoryNeed need =
                reference_need(o, "--n " + std::to_string(scaling_n), "use a smaller --n");
            return canopy::bench::within_memory(need, [&] {
                return command_scaling(scaling_n, max_threads, repeats, scaling_seed);
            });
        }
    } catch (const CLI::ParseError& e) {
        // --help is answered before the words around it are looked at: `canopy-bench foo --help`
        // printed the main help and exited 0, as if foo were a command.
        int word_at = 1; // the first word is the command's
        while (word_at < argc && argv[word_at][0] == '-') {
            ++word_at;
        }
        const std::vector<CLI::App*> all = app.get_subcommands({});
        const bool unknown_word =
            word_at < argc && std::none_of(all.begin(), all.end(), [&](const CLI::App* c) {
                return c->get_name() == argv[word_at];
            });
        const bool help = e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success);
        if (help && !unknown_word) {
            return app.exit(e); // --help
        }
        std::string what = canopy::output::clearer_parse_message(e.what());
        if (app.get_subcommands().empty()) {
            // CLI11 says "A subcommand is required" for a misspelt one too: name it.
            std::string commands;
            for (const CLI::App* c : app.get_subcommands({})) {
                commands += (commands.empty() ? "" : ", ") + c->get_name();
            }
            // The first word names the command; a flag there is one canopy-bench does not take.
            what = help                ? "unknown command '" + std::string(argv[word_at]) + "'"
                   : argc < 2          ? std::string("no command given")
                   : argv[1][0] == '-' ? "no command given, and '" + std::string(argv[1]) +
                                             "' is not an option of canopy-bench"
                                       : "unknown command '" + std::string(argv[1]) + "'";
            what += " (commands: " + commands + ")";
        } else if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
            std::string options;
            for (const CLI::Option* o : app.get_subcommands().front()->get_options()) {
                for (const std::string& name : o->get_lnames()) {
                    options += " --" + name;
                }
            }
            what += "; the options of '" + app.get_subcommands().front()->get_name() + "' are" +
                    options;
        }
        std::fprintf(stderr,
                     "canopy-bench: error: %s\nRun 'canopy-bench --help' or 'canopy-bench "
                     "<command> --help' for usage.\n",
                     what.c_str());
        return 2;
    } catch (const canopy::bench::UsageError& e) {
        std::string what = e.what();
        while (!what.empty() && what.back() == '\n') {
            what.pop_back(); // a file's diagnostics end in one
        }
        std::fprintf(stderr, "canopy-bench: error: %s\n", what.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "canopy-bench: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
