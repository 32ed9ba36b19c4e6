#pragma once
/// \file philox_paths.hpp
/// The implementations behind philox_fill and philox_fill_agents, one by one, so that a test can
/// check every path this CPU runs gives the blocks of RandomKey::block (philox_fill itself picks
/// the fastest path at run time, so on any one machine it exercises only that one).

#include <canopy/engine/random.hpp>

#include <cstddef>
#include <cstdint>

namespace canopy::engine::detail {

/// How philox_fill computes its blocks.
enum class PhiloxPath : std::uint8_t {
    portable, ///< one Random123 call per block
    avx2,     ///< four blocks per 256-bit vector (vpmuludq), eight per iteration
    avx512,   ///< eight blocks per 512-bit vector
};

/// Whether this build and this CPU can run `path` (portable: always).
[[nodiscard]] bool philox_path_available(PhiloxPath path) noexcept;

/// The path philox_fill takes on this CPU: the widest available.
[[nodiscard]] PhiloxPath philox_best_path() noexcept;

/// philox_fill (agents == nullptr: agents first_agent + j) or philox_fill_agents (agents[j]) on
/// `path`, with the counter's third word c2 = purpose << 16 | block. `path` must be available.
void philox_fill_path(PhiloxPath path, const RandomKey& key, std::uint32_t first_agent,
                      const std::uint32_t* agents, std::uint32_t step, std::uint32_t c2,
                      std::size_t count, std::uint32_t* out) noexcept;

/// philox_fill_wide on `path` (which must be available), c2 as above.
void philox_fill_wide_path(PhiloxPath path, const RandomKey& key, std::uint32_t first_agent,
                           std::uint32_t step, std::uint32_t c2, std::size_t count,
                           std::uint64_t* const words[4]) noexcept;

} // namespace canopy::engine::detail
