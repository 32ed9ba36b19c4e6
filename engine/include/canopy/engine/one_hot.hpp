#pragma once
/// \file one_hot.hpp
/// Eight 32-bit lanes with a one in lane c and zeros elsewhere: what a loop that keeps a count
/// per category (up to eight) in the lanes of one AVX2 vector adds for a unit of category c
/// (the network builder's locate loop; the ecosystem model's x4::SectorPlaces). Counts kept in
/// memory made each unit wait for the store of the last unit of its category.

#include <cstdint>

namespace canopy::engine {

alignas(32) inline constexpr std::int32_t ONE_HOT_LANES[8][8] = {
    {1, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0, 0, 0},
    {0, 0, 0, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 0, 0, 0}, {0, 0, 0, 0, 0, 1, 0, 0},
    {0, 0, 0, 0, 0, 0, 1, 0}, {0, 0, 0, 0, 0, 0, 0, 1}};

} // namespace canopy::engine
