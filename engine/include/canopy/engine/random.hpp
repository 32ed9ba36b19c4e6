#pragma once
/// \file random.hpp
/// Counter-based random numbers: Philox4x32-10 keyed by (seed, replicate, agent, step, purpose).
///
/// A random number is a pure function of where it is used, never of what ran before it. That is
/// what makes a result bit-identical whatever the thread count, process count or run order: a
/// thread that handles agent 17 at step 4 draws exactly what any other thread would have drawn.
///
/// Layout of one Philox call (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
/// SC'11; Debian's librandom123-dev implements it):
///
///     key     = (seed bits 0-31, seed bits 32-63)
///     counter = (agent, step, purpose << 16 | block, replicate)
///
/// so each (seed, replicate, agent, step, purpose) owns a stream of 2^16 blocks of four 32-bit
/// words. A stream that is read past its last block wraps to its first; no model draws that many
/// numbers for one agent in one step for one purpose (a rejection loop that did would have
/// failed 2^18 times in a row).

#include <Random123/philox.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace canopy::engine {

/// Why a number is drawn. Models define their own constants; two purposes never share numbers.
using Purpose = std::uint16_t;

/// Four 32-bit words from one Philox4x32-10 block.
using Block = std::array<std::uint32_t, 4>;

/// One Philox4x32-10 block for an explicit counter and key (the known-answer test uses this).
inline Block philox_block(const std::array<std::uint32_t, 4>& counter,
                          const std::array<std::uint32_t, 2>& key) noexcept {
    r123::Philox4x32 gen;
    const r123::Philox4x32::ctr_type c = {{counter[0], counter[1], counter[2], counter[3]}};
    const r123::Philox4x32::key_type k = {{key[0], key[1]}};
    const auto r = gen(c, k);
    return {r[0], r[1], r[2], r[3]};
}

/// Where a run draws from: the seed and the replicate. Cheap to copy.
struct RandomKey {
    std::uint64_t seed = 0;
    std::uint32_t replicate = 0;

    /// The block for (agent, step, purpose, block index) under this key.
    [[nodiscard]] Block block(std::uint32_t agent, std::uint32_t step, Purpose purpose,
                              std::uint16_t index = 0) const noexcept {
        return philox_block(
            {agent, step, (std::uint32_t{purpose} << 16) | index, replicate},
            {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
    }
};

/// Fills out[4 * j + w] with word w of RandomKey::block(first_agent + j, step, purpose, block)
/// for j < count: the per-agent blocks of a whole stretch of agents at once. With AVX-512, eight
/// blocks at a time with vpmuludq (chosen at run time; the same bits as the portable loop), about
/// 2.5 times as fast as the compiler's own vectorisation of that loop.
void philox_fill(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step,
                 Purpose purpose, std::size_t count, std::uint32_t* out,
                 std::uint16_t block = 0) noexcept;

/// Fills out[4 * j + w] with word w of RandomKey::block(agents[j], step, purpose, block) for
/// j < count: philox_fill for a list of agents (ascending or not) rather than a stretch, for loops
/// that draw only for the few agents a condition picks out.
void philox_fill_agents(const RandomKey& key, const std::uint32_t* agents, std::uint32_t step,
                        Purpose purpose, std::size_t count, std::uint32_t* out,
                        std::uint16_t block = 0) noexcept;

/// A sequential source of 32-bit words for one (seed, replicate, agent, step, purpose).
///
/// Lives on the stack, allocates nothing; distributions (distributions.hpp) take any type with
/// `next_u32()`. Copying a stream copies its position.
class Stream {
public:
    /// The stream from its first block, or from block `first_block` on (the words a stream
    /// started at 0 would give after 4 * first_block words).
    Stream(const RandomKey& key, std::uint32_t agent, std::uint32_t step, Purpose purpose,
           std::uint16_t first_block = 0) noexcept
        : key_(key)
        , agent_(agent)
        , step_(step)
        , purpose_(purpose)
        , next_block_(first_block) {}

    /// The next uniformly distributed 32-bit word.
    std::uint32_t next_u32() noexcept {
        if (used_ == 4) {
            buffer_ = key_.block(agent_, step_, purpose_, next_block_++);
            used_ = 0;
        }
        return buffer_[used_++];
    }

    /// The next uniformly distributed 64-bit word (two 32-bit words, high first).
    std::uint64_t next_u64() noexcept {
        const std::uint64_t hi = next_u32();
        return (hi << 32) | next_u32();
    }

private:
    RandomKey key_;
    std::uint32_t agent_;
    std::uint32_t step_;
    Purpose purpose_;
    std::uint16_t next_block_ = 0;
    std::uint8_t used_ = 4;
    Block buffer_{};
};

/// The words of Stream(key, agent, step, purpose), its first blocks read from a buffer that a
/// StreamBatch filled in one vectorised pass, the rest (if a caller reads that far, as a rejection
/// loop may) computed on demand. Same bits as the Stream, whichever part a word comes from.
class PrefilledStream {
public:
    /// Block b < blocks is words[b * stride .. b * stride + 4).
    PrefilledStream(const std::uint32_t* words, std::size_t stride, std::uint16_t blocks,
                    const Stream& rest) noexcept
        : words_(words)
        , stride_(stride)
        , blocks_(blocks)
        , rest_(rest) {}

    /// The next uniformly distributed 32-bit word.
    std::uint32_t next_u32() noexcept {
        if (block_ < blocks_) {
            const std::uint32_t w = words_[block_ * stride_ + used_];
            if (++used_ == 4) {
                used_ = 0;
                ++block_;
            }
            return w;
        }
        return rest_.next_u32();
    }

    /// The next uniformly distributed 64-bit word (two 32-bit words, high first).
    std::uint64_t next_u64() noexcept {
        const std::uint64_t hi = next_u32();
        return (hi << 32) | next_u32();
    }

private:
    const std::uint32_t* words_;
    std::size_t stride_;
    std::uint16_t blocks_;
    std::uint16_t block_ = 0;
    std::uint8_t used_ = 0;
    Stream rest_; ///< starts at block `blocks`
};

/// The first blocks of the streams of a stretch of consecutive agents, computed together by
/// philox_fill (vectorised) instead of one Philox call per block as each Stream would.
///
///     StreamBatch batch;
///     batch.fill(key, first, step, purpose, count, 3); // blocks 0, 1, 2 of each agent
///     auto rng = batch.stream(j);                      // agent first + j, from its block 0
///
/// The buffer is kept between fills, so a batch reused every step allocates only while it grows.
class StreamBatch {
public:
    /// Blocks 0 .. blocks - 1 of agents first_agent .. first_agent + count - 1.
    void fill(const RandomKey& key, std::uint32_t first_agent, std::uint32_t step, Purpose purpose,
              std::size_t count, std::uint16_t blocks) {
        key_ = key;
        first_ = first_agent;
        step_ = step;
        purpose_ = purpose;
        count_ = count;
        blocks_ = blocks;
        words_.resize(4 * count * blocks);
        for (std::uint16_t b = 0; b < blocks; ++b) {
            philox_fill(key, first_agent, step, purpose, count, words_.data() + 4 * count * b, b);
        }
    }

    /// Agent first_agent + j's stream (j < count).
    [[nodiscard]] PrefilledStream stream(std::size_t j) const noexcept {
        const auto agent = first_ + static_cast<std::uint32_t>(j);
        return {words_.data() + 4 * j, 4 * count_, blocks_,
                Stream(key_, agent, step_, purpose_, blocks_)};
    }

    /// Block b of every agent: word w of agent first_agent + j is at [4 * j + w] (for loops
    /// that read many agents' words at once).
    [[nodiscard]] const std::uint32_t* block(std::uint16_t b) const noexcept {
        return words_.data() + 4 * count_ * b;
    }

    /// Word w of block b of agent first_agent + j.
    [[nodiscard]] std::uint32_t word(std::size_t j, std::uint16_t b, std::size_t w) const noexcept {
        return words_[4 * (count_ * b + j) + w];
    }

private:
    std::vector<std::uint32_t> words_; ///< [block][agent][word]
    RandomKey key_;
    std::uint32_t first_ = 0;
    std::uint32_t step_ = 0;
    Purpose purpose_ = 0;
    std::size_t count_ = 0;
    std::uint16_t blocks_ = 0;
};

/// A uniform double in the open interval (0, 1) from the top 52 bits, on the grid
/// (k + 1/2) / 2^52: never 0, never 1 (every grid point is exactly representable), so log(u)
/// and log(1 - u) are always finite.
[[nodiscard]] inline double u01_open(std::uint64_t bits) noexcept {
    return (static_cast<double>(bits >> 12) + 0.5) * 0x1.0p-52;
}

/// The largest 32-bit threshold t such that P(u32 < t) equals p, for p in [0, 1].
///
/// Comparing a raw 32-bit word against a threshold is how hot loops draw a Bernoulli trial
/// without converting to floating point: P(u < t) = t / 2^32.
[[nodiscard]] inline std::uint64_t u32_threshold(double p) noexcept {
    if (!(p > 0.0)) {
        return 0;
    }
    if (p >= 1.0) {
        return std::uint64_t{1} << 32;
    }
    return static_cast<std::uint64_t>(p * 0x1.0p32);
}

/// An unbiased-enough index in [0, n) from 64 random bits (Lemire's multiply-shift; the bias is
/// below n / 2^64).
[[nodiscard]] inline std::uint64_t index_below(std::uint64_t bits, std::uint64_t n) noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(bits) * n) >> 64);
}

} // namespace canopy::engine
