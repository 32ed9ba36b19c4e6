#include <canopy/engine/random.hpp>

namespace canopy::engine {

// One independent Philox block per iteration: the loop the compiler vectorises across
// iterations (8 or 16 blocks per AVX-512 instruction sequence in the v4 clone).
[[gnu::target_clones("arch=x86-64-v4", "default")]] void
philox_fill(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step, Purpose purpose,
            std::size_t count, std::uint32_t* out, std::uint16_t block) noexcept {
    const r123::Philox4x32 gen;
    const r123::Philox4x32::key_type k = {
        {static_cast<std::uint32_t>(key.seed), static_cast<std::uint32_t>(key.seed >> 32)}};
    const std::uint32_t c2 = (std::uint32_t{purpose} << 16) | block;
    for (std::size_t j = 0; j < count; ++j) {
        const r123::Philox4x32::ctr_type c = {
            {first_agent + static_cast<std::uint32_t>(j), step, c2, key.replicate}};
        const auto r = gen(c, k);
        out[4 * j + 0] = r[0];
        out[4 * j + 1] = r[1];
        out[4 * j + 2] = r[2];
        out[4 * j + 3] = r[3];
    }
}

} // namespace canopy::engine
