#pragma once
/// \file parallel.hpp
/// Parallel loops with deterministic results, without exposing TBB in public headers.
///
/// Work is cut into chunks by the loop's size and a chunk length alone, never by the number of
/// threads, so a per-chunk partial result is the same whichever thread computes it. Reductions
/// over chunks are then done by the caller in chunk order (TBB's parallel_reduce joins in an
/// order that depends on scheduling, so it is not used for floating point).

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace canopy::engine {

/// A non-owning reference to a callable (like C++26's std::function_ref): no allocation.
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
             std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
    noexcept // NOLINT(google-explicit-constructor): used like a function
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f))))
        , call_([](void* object, Args... args) -> R {
            return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

/// The number of hardware threads available to this process.
int hardware_threads() noexcept;

/// Runs every parallel loop (Executor) on exactly `threads` threads for the lifetime of this
/// object (threads <= 0: one per core). More threads than cores are honoured, deliberately
/// oversubscribing the machine: `--threads 8` on two cores runs eight threads, so that the
/// determinism tests at 4 and 8 threads really interleave that many. Create one at a time
/// (they nest, the innermost wins), on the thread that starts the parallel work.
class ThreadLimit {
public:
    explicit ThreadLimit(int threads);
    ~ThreadLimit();
    ThreadLimit(const ThreadLimit&) = delete;
    ThreadLimit& operator=(const ThreadLimit&) = delete;
    [[nodiscard]] int threads() const noexcept { return threads_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int threads_;
};

/// Runs loops either serially or on TBB's pool. The chunking (and so every result) is the same
/// either way; only the wall time differs.
class Executor {
public:
    /// parallel = false runs every loop on the calling thread.
    explicit Executor(bool parallel = true) noexcept
        : parallel_(parallel) {}

    /// Calls body(chunk, begin, end) for the chunks [k*chunk, min(n, (k+1)*chunk)) of [0, n),
    /// each exactly once, possibly concurrently.
    void for_chunks(std::size_t n, std::size_t chunk,
                    FunctionRef<void(std::size_t, std::size_t, std::size_t)> body) const;

    /// Calls body(i) for each i in [0, n), possibly concurrently.
    void for_each(std::size_t n, FunctionRef<void(std::size_t)> body) const;

    /// Number of chunks for_chunks will make.
    [[nodiscard]] static std::size_t chunk_count(std::size_t n, std::size_t chunk) noexcept {
        return chunk == 0 ? 0 : (n + chunk - 1) / chunk;
    }

    [[nodiscard]] bool parallel() const noexcept { return parallel_; }

private:
    bool parallel_;
};

} // namespace canopy::engine
