#include <canopy/engine/parallel.hpp>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <optional>

namespace canopy::engine {

int hardware_threads() noexcept {
    return std::max(1, tbb::info::default_concurrency());
}

struct ThreadLimit::Impl {
    std::optional<tbb::global_control> control;
};

ThreadLimit::ThreadLimit(int threads)
    : impl_(std::make_unique<Impl>())
    , threads_(threads <= 0 ? hardware_threads() : threads) {
    impl_->control.emplace(tbb::global_control::max_allowed_parallelism,
                           static_cast<std::size_t>(threads_));
}

ThreadLimit::~ThreadLimit() = default;

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
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t k = r.begin(); k != r.end(); ++k) {
                              run_chunk(k);
                          }
                      });
}

void Executor::for_each(std::size_t n, FunctionRef<void(std::size_t)> body) const {
    if (!parallel_ || n <= 1) {
        for (std::size_t i = 0; i < n; ++i) {
            body(i);
        }
        return;
    }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t i = r.begin(); i != r.end(); ++i) {
                              body(i);
                          }
                      });
}

} // namespace canopy::engine
