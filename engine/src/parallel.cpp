#include <canopy/engine/parallel.hpp>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <optional>

namespace canopy::engine {

int hardware_threads() noexcept {
    return std::max(1, tbb::info::default_concurrency());
}

namespace {

// The arena of the innermost ThreadLimit, where Executor runs its loops; nullptr: TBB's default
// arena (one thread per core). global_control alone only lowers the worker count: TBB's default
// arena never has more threads than cores, so "--threads 8" on two cores ran on two.
std::atomic<tbb::task_arena*> current_arena{nullptr};

template <class F>
void in_arena(F&& loop) {
    if (tbb::task_arena* arena = current_arena.load(std::memory_order_acquire)) {
        arena->execute(loop); // runs `loop` directly when already inside this arena
    } else {
        loop();
    }
}

} // namespace

struct ThreadLimit::Impl {
    std::optional<tbb::global_control> control;
    std::optional<tbb::task_arena> arena;
    tbb::task_arena* previous = nullptr;
};

ThreadLimit::ThreadLimit(int threads)
    : impl_(std::make_unique<Impl>())
    , threads_(threads <= 0 ? hardware_threads() : threads) {
    // The control lets the pool grow past the core count (or caps it below); the arena asks
    // for that many threads, the caller's included.
    impl_->control.emplace(tbb::global_control::max_allowed_parallelism,
                           static_cast<std::size_t>(threads_));
    impl_->arena.emplace(threads_);
    impl_->previous = current_arena.exchange(&*impl_->arena, std::memory_order_acq_rel);
}

ThreadLimit::~ThreadLimit() {
    current_arena.store(impl_->previous, std::memory_order_release);
}

void Executor::for_chunks(std::size_t n, std::size_t chunk,
                          FunctionRef<void(std::size_t, std::size_t, std::size_t)> body) const {
    const std::size_t chunks = chunk_count(n, chunk);
    auto run_chunk = [&](std::size_t k) {
        const std::size_t begin = k * chunk;
        body(k, begin, std::min(n, begin + chunk));
    };
    if (!parallel_ || chunks <= 1) {
        for (std::size_t k = 0; k < chunks; ++k) {
            run_chunk(k);
        }
        return;
    }
    in_arena([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                              for (std::size_t k = r.begin(); k != r.end(); ++k) {
                                  run_chunk(k);
                              }
                          });
    });
}

void Executor::for_each(std::size_t n, FunctionRef<void(std::size_t)> body) const {
    if (!parallel_ || n <= 1) {
        for (std::size_t i = 0; i < n; ++i) {
            body(i);
        }
        return;
    }
    in_arena([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                              for (std::size_t i = r.begin(); i != r.end(); ++i) {
                                  body(i);
                              }
                          });
    });
}

} // namespace canopy::engine
