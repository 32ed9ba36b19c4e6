#pragma once
// Where designs and bootstraps draw their random numbers: the engine's counter-based Philox
// generator (engine/random.hpp), keyed by the experiment's seed.
//
// Simulations draw from RandomKey{seed, replicate} with replicate < 2^31 (an `int` count), so
// the experiments layer keeps replicate 2^32 - 1 for itself: a design or a bootstrap never
// shares a number with a simulation of the same seed, and each purpose below has its own
// streams. A number is addressed by what it decides (point, factor, resample), never by the
// order in which it is drawn.
#include <canopy/engine/random.hpp>

#include <cstdint>

namespace canopy::experiments {

/// The replicate word of every key the experiments layer draws from for itself.
inline constexpr std::uint32_t EXPERIMENT_REPLICATE = 0xFFFF'FFFFu;

/// Purposes of the experiments layer's own draws.
inline constexpr engine::Purpose PURPOSE_LHS = 1;
inline constexpr engine::Purpose PURPOSE_SOBOL_SHIFT = 2;
inline constexpr engine::Purpose PURPOSE_MORRIS = 3;
inline constexpr engine::Purpose PURPOSE_BOOTSTRAP = 4;
inline constexpr engine::Purpose PURPOSE_LEVER_BOOTSTRAP = 5;
inline constexpr engine::Purpose PURPOSE_REPLICATE_BOOTSTRAP = 6;

/// The key of the experiments layer's draws for `seed`.
inline engine::RandomKey design_key(std::uint64_t seed) noexcept {
    return engine::RandomKey{seed, EXPERIMENT_REPLICATE};
}

} // namespace canopy::experiments
