#pragma once
/// \file philox_wide.hpp
/// philox_fill for kernels that compute in 64-bit lanes: each of the four words of a block in
/// its own array, zero-extended to 64 bits.
///
/// A vectorised loop sizes its vectors by its narrowest type, so one that mixes 32-bit words
/// with doubles holds each double in two registers and widens every 32-bit condition before it
/// can select a double; and words stored block by block (philox_fill's layout) reach such a loop
/// only through a shuffle per word. The vector paths of the fill hold each word in the low half
/// of a 64-bit lane already, so this layout is also the cheaper one to store.

#include <canopy/engine/random.hpp>

#include <cstddef>
#include <cstdint>

namespace canopy::engine {

/// Word w of RandomKey::block(first_agent + j, step, purpose, block) in words[w][j], for j < count
/// (the same blocks as philox_fill, another layout).
void philox_fill_wide(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                      Purpose purpose, std::size_t count, std::uint64_t* const words[4],
                      std::uint16_t block = 0) noexcept;

} // namespace canopy::engine
