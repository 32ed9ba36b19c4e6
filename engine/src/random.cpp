#include <canopy/engine/random.hpp>

namespace canopy::engine {

[[gnu::target_clones("arch=x86-64-v4", "default")]] void
philox_fill(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step, Purpose purpose,
            std::size_t count, std::uint32_t* out) noexcept {
    constexpr std::size_t LANES = 16;
    std::size_t j = 0;
    for (; j + LANES <= count; j += LANES) {
        philox_lanes<LANES>(key, first_agent + static_cast<std::uint32_t>(j), step, purpose,
                            out + 4 * j);
    }
    for (; j < count; ++j) {
        const Block b = key.block(first_agent + static_cast<std::uint32_t>(j), step, purpose);
        for (std::size_t w = 0; w < 4; ++w) {
            out[4 * j + w] = b[w];
        }
    }
}

} // namespace canopy::engine
