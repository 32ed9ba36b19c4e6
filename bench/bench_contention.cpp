// canopy-bench contention: does the reference model stay fast when another program shares the
// machine's caches (issue 8, item 3)? The model runs on one core (its thread pinned to the first
// CPU it may use) while a co-runner thread, pinned to the last, either streams through its buffer
// (memcpy between two halves: a bandwidth-hungry neighbour that sweeps the shared last-level
// cache) or reads and writes one word of a random line at a time (a latency-bound neighbour that
// spreads its lines over the whole cache), or is absent. Every round runs each layout with each
// co-runner, in the same order, so slow and quick spells of a shared machine fall on all of them;
// the summary gives each combination's median and its ratio to the same layout alone, and the
// two layouts' ratio round by round (paired: the same minute of the machine).
#include "bench_contention.hpp"

#include "median.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <pthread.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace canopy::bench {

namespace {

enum class CoRunnerKind { none, stream, random };

const char* name_of(CoRunnerKind kind) {
    switch (kind) {
    case CoRunnerKind::none:
        return "none";
    case CoRunnerKind::stream:
        return "stream";
    case CoRunnerKind::random:
        return "random";
    }
    return "?";
}

bool pin_to(pthread_t thread, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(cpu), &set);
    return pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}

// A thread that keeps evicting the caches until destroyed. Its buffer is written in full before
// the constructor returns, so the measurement never includes its page faults; the constructor
// throws if the thread cannot be pinned to its CPU (it would then compete for the model's).
class CoRunner {
public:
    CoRunner(CoRunnerKind kind, std::size_t bytes, int cpu)
        : kind_(kind) {
        if (kind_ == CoRunnerKind::none) {
            return;
        }
        words_.assign(bytes / sizeof(std::uint64_t), 1);
        thread_ = std::thread([this] { run(); });
        if (!pin_to(thread_.native_handle(), cpu)) {
            stop();
            throw std::runtime_error("contention: cannot pin the co-runner to CPU " +
                                     std::to_string(cpu));
        }
        while (!started_.load(std::memory_order_acquire)) {
            std::this_thread::yield();
        }
        start_ = std::chrono::steady_clock::now();
    }
    /// Stops the co-runner; returns the GB per second it read and wrote (0 for none).
    double stop() {
        if (!thread_.joinable()) {
            return 0.0;
        }
        stop_.store(true, std::memory_order_relaxed);
        thread_.join();
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        return static_cast<double>(bytes_) / seconds * 1e-9;
    }
    CoRunner(const CoRunner&) = delete;
    CoRunner& operator=(const CoRunner&) = delete;
    ~CoRunner() { stop(); }

private:
    void run() {
        started_.store(true, std::memory_order_release);
        const std::size_t n = words_.size();
        if (kind_ == CoRunnerKind::stream) {
            // A megabyte at a time from one half to the other, then back.
            const std::size_t half = n / 2;
            constexpr std::size_t PIECE = (1 << 20) / sizeof(std::uint64_t);
            for (bool forward = true; !stop_.load(std::memory_order_relaxed); forward = !forward) {
                std::uint64_t* from = words_.data() + (forward ? 0 : half);
                std::uint64_t* to = words_.data() + (forward ? half : 0);
                for (std::size_t at = 0; at < half && !stop_.load(std::memory_order_relaxed);
                     at += PIECE) {
                    const std::size_t words = std::min(PIECE, half - at);
                    std::memcpy(to + at, from + at, words * sizeof *to);
                    bytes_ += 2 * words * sizeof *to; // read and written
                }
            }
            return;
        }
        // One word of a random line, read and written (xorshift64 indices).
        std::uint64_t x = 0x9E3779B97F4A7C15ULL;
        std::uint64_t sum = 0;
        const std::size_t lines = n / 8;
        while (!stop_.load(std::memory_order_relaxed)) {
            for (int k = 0; k < 4096; ++k) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                std::uint64_t& w = words_[(x % lines) * 8];
                sum += w;
                w = sum;
            }
            bytes_ += 4096 * 2 * 64; // a line read and a line written back each
        }
    }

    CoRunnerKind kind_;
    std::vector<std::uint64_t> words_;
    std::atomic<bool> started_{false};
    std::atomic<bool> stop_{false};
    std::uint64_t bytes_ = 0; // the co-runner's own; read after join
    std::chrono::steady_clock::time_point start_;
    std::thread thread_;
};

} // namespace

int command_contention(const ContentionOptions& o, const StepRate& step_rate) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
        std::fprintf(stderr, "canopy-bench contention: needs at least two CPUs (one for the "
                             "model, one for the co-runner)\n");
        return 2;
    }
    int first = -1;
    int last = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(static_cast<std::size_t>(cpu), &allowed)) {
            first = first < 0 ? cpu : first;
            last = cpu;
        }
    }
    const pthread_t self = pthread_self();
    if (!pin_to(self, first)) {
        std::fprintf(stderr, "canopy-bench contention: cannot pin the model's thread to CPU %d\n",
                     first);
        return 2;
    }

    const std::array<CoRunnerKind, 3> kinds = {CoRunnerKind::none, CoRunnerKind::stream,
                                               CoRunnerKind::random};
    const std::array<const char*, 2> orders = {"rcm", "natural"};
    std::printf("# the reference model's step loop on CPU %d (one thread), alone or beside a "
                "co-runner on CPU %d over %zu MiB: stream (memcpy between its halves) or random "
                "(a read and a write at a random line; co_runner_gb_s counts lines read and "
                "written back); every round runs each combination in "
                "turn\n",
                first, last, o.co_runner_mib);
    std::array<std::array<std::vector<double>, 3>, 2> rates;
    for (int round = 1; round <= o.rounds; ++round) {
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            for (std::size_t l = 0; l < orders.size(); ++l) {
                CoRunner co(kinds[k], o.co_runner_mib << 20, last);
                const double rate = step_rate(orders[l]);
                const double co_gb_s = co.stop();
                rates[l][k].push_back(rate);
                std::printf("contention round=%d order=%s co_runner=%s "
                            "agent_steps_per_s_steploop=%.0f co_runner_gb_s=%.2f\n",
                            round, orders[l], name_of(kinds[k]), rate, co_gb_s);
                std::fflush(stdout);
            }
        }
    }
    std::printf("# medians over the rounds; of_alone is the median against the same layout's "
                "median with no co-runner\n");
    for (std::size_t l = 0; l < orders.size(); ++l) {
        const double alone = median(rates[l][0]);
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            const double m = median(rates[l][k]);
            std::printf("contention_median order=%s co_runner=%s agent_steps_per_s_steploop=%.0f "
                        "of_alone=%.3f rounds=%d\n",
                        orders[l], name_of(kinds[k]), m, m / alone, o.rounds);
        }
    }
    // The layouts paired round by round (the same minute of the machine): rcm's rate over
    // natural's, the median and the range over the rounds.
    std::printf("# rcm against natural, paired by round: the median and range of rcm's rate over "
                "natural's\n");
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        std::vector<double> ratios;
        for (int round = 0; round < o.rounds; ++round) {
            ratios.push_back(rates[0][k][static_cast<std::size_t>(round)] /
                             rates[1][k][static_cast<std::size_t>(round)]);
        }
        const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
        std::printf("contention_layout co_runner=%s rcm_over_natural=%.3f min=%.3f max=%.3f "
                    "rounds=%d\n",
                    name_of(kinds[k]), median(ratios), *low, *high, o.rounds);
    }
    // Restore the thread's CPUs (the process ends here, but the command should not leak state).
    pthread_setaffinity_np(self, sizeof allowed, &allowed);
    return 0;
}

} // namespace canopy::bench
