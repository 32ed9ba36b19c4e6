#pragma once
/// \file neighbour_counts.hpp
/// Each vertex's count of neighbours in each state, kept exact as states change.
///
/// A model whose agents react to "how many of my neighbours are in state k" (spillover,
/// contagion, peer effects) would otherwise re-scan every neighbour list every step. Instead the
/// counts are built once and, when an agent changes state, its neighbours' counts are moved from
/// the old state to the new one: work proportional to the changes, not to the network.
///
/// States are small integers; a state >= K (an exited agent, say) is not counted anywhere. The
/// updates are integer additions, so applying changes in any order, concurrently (Atomic = true
/// uses std::atomic_ref), gives the same counts.
///
/// Counts are 32-bit, or 16-bit where every degree is at most MAX_16_BIT_DEGREE (half the memory
/// and memory traffic): a model checks Network::max_degree() before choosing the narrow type,
/// and converts with widened() when growth could break it.

#include <canopy/engine/network.hpp>
#include <canopy/engine/parallel.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace canopy::engine {

/// Counts of neighbours in states 0..K-1 (Count: std::uint32_t, or std::uint16_t when every
/// degree fits).
template <std::size_t K, class Count = std::uint32_t>
using StateCounts = std::array<Count, K>;

/// The largest count a 16-bit counter holds: a vertex of this degree or less fits.
inline constexpr std::uint32_t MAX_16_BIT_DEGREE = 65535;

/// 32-bit copies of 16-bit counts (for a model whose network grew past fits_16_bits()).
template <std::size_t K>
[[nodiscard]] std::vector<StateCounts<K, std::uint32_t>>
widened(std::span<const StateCounts<K, std::uint16_t>> narrow) {
    std::vector<StateCounts<K, std::uint32_t>> wide(narrow.size());
    for (std::size_t v = 0; v < narrow.size(); ++v) {
        for (std::size_t k = 0; k < K; ++k) {
            wide[v][k] = narrow[v][k];
        }
    }
    return wide;
}

/// Sets counts[v] for every vertex v < states.size() from a full scan of the network.
template <std::size_t K, class State, class Count>
void count_neighbour_states(const Network& network, std::span<const State> states,
                            std::span<StateCounts<K, Count>> counts, const Executor& executor,
                            std::size_t chunk = 8192) {
    executor.for_chunks(states.size(), chunk, [&](std::size_t, std::size_t b, std::size_t e) {
        for (std::size_t v = b; v < e; ++v) {
            StateCounts<K, Count> c{};
            network.for_each_neighbour(static_cast<Network::Vertex>(v), [&](Network::Vertex u) {
                if (static_cast<std::size_t>(states[u]) < K) {
                    ++c[static_cast<std::size_t>(states[u])];
                }
            });
            counts[v] = c;
        }
    });
}

/// Moves one neighbour's weight in counts c from state `from` to state `to` (either may be >= K:
/// not counted), atomically if Atomic.
template <bool Atomic, std::size_t K, class Count>
void move_count(StateCounts<K, Count>& c, std::size_t from, std::size_t to) {
    if constexpr (Atomic) {
        if (from < K) {
            std::atomic_ref<Count>(c[from]).fetch_sub(1, std::memory_order_relaxed);
        }
        if (to < K) {
            std::atomic_ref<Count>(c[to]).fetch_add(1, std::memory_order_relaxed);
        }
    } else {
        if (from < K) {
            --c[from];
        }
        if (to < K) {
            ++c[to];
        }
    }
}

/// The same, atomically when several threads may write c at once.
template <std::size_t K, class Count>
void move_count(StateCounts<K, Count>& c, std::size_t from, std::size_t to, bool concurrent) {
    if (concurrent) {
        move_count<true>(c, from, to);
    } else {
        move_count<false>(c, from, to);
    }
}

/// Moves vertex v's weight in its neighbours' counts from state `from` to state `to` (either
/// may be >= K: not counted).
template <bool Atomic, std::size_t K, class Count>
void move_neighbour_state(const Network& network, std::span<StateCounts<K, Count>> counts,
                          Network::Vertex v, std::size_t from, std::size_t to) {
    network.for_each_neighbour(v,
                               [&](Network::Vertex u) { move_count<Atomic>(counts[u], from, to); });
}

/// Moves vertex v from one state to another in its neighbours' counts, atomically when the
/// caller applies changes from several threads at once.
template <std::size_t K, class Count>
void move_neighbour_state(const Network& network, std::span<StateCounts<K, Count>> counts,
                          Network::Vertex v, std::size_t from, std::size_t to, bool concurrent) {
    if (concurrent) {
        move_neighbour_state<true, K, Count>(network, counts, v, from, to);
    } else {
        move_neighbour_state<false, K, Count>(network, counts, v, from, to);
    }
}

/// Neighbour-count moves gathered by the block of vertices whose counts they change, then
/// applied one block at a time.
///
/// move_neighbour_state writes the counts of a changed vertex's neighbours, which sit at random
/// places: on a network larger than the caches nearly every write misses, and the misses get
/// worse when other programs share the caches. Here a move is first recorded (an 8-byte record
/// appended to its block's list: sequential writes), then each block's counts, a slice small
/// enough to stay in a core's private cache, are updated from its lists. Each block is written
/// by one thread, so no atomic is needed. The counts come out the same as with
/// move_neighbour_state in any order (integer additions). Few producers with long lists apply
/// faster than many with short ones: a block reads each producer's list from its start (a miss
/// or two), so a caller with many small pieces of work should group them, a group per producer
/// (the reference model records a run of chunks per group).
///
/// Usage per step: start(groups, vertices); record(group, ...) from one thread per group (each
/// group keeps its own lists); apply(counts, executor). On a network whose counts fit in a
/// core's cache the detour costs more than it saves: start() says when it pays.
class NeighbourMoves {
public:
    /// Vertices per block: 2^15, so a block's counts take 256 KiB at K = 4 x 16 bits and 512 KiB
    /// at 32 bits.
    static constexpr unsigned BLOCK_SHIFT = 15;
    /// Networks from this many vertices on (counts of 2 MiB at K = 4 x 32 bits) gain from the
    /// blocks; smaller ones are faster updated in place (move_neighbour_state).
    static constexpr std::size_t MIN_BLOCKED_VERTICES = std::size_t{1} << 17;

    /// Prepares for moves from `groups` producers on a network of `vertices` vertices (the
    /// lists keep their memory from step to step); true when gathering the moves by block pays
    /// (vertices >= MIN_BLOCKED_VERTICES). Recording and applying work either way.
    bool start(std::size_t groups, std::size_t vertices) {
        blocks_ = (vertices >> BLOCK_SHIFT) + 1;
        if (lists_.size() < groups) {
            lists_.resize(groups);
        }
        groups_ = groups;
        for (std::size_t g = 0; g < groups; ++g) {
            if (lists_[g].size() < blocks_) {
                lists_[g].resize(blocks_);
            }
        }
        return vertices >= MIN_BLOCKED_VERTICES;
    }

    /// Records vertex v's move from state `from` to state `to` (either may be >= K: not counted)
    /// in the counts of each of its neighbours. Only one thread records into a group at a time.
    void record(std::size_t group, const Network& network, Network::Vertex v, std::uint8_t from,
                std::uint8_t to) {
        auto& lists = lists_[group];
        // One 64-bit word per move: a single store, and no byte stores, which the compiler must
        // assume may alias the network's and the lists' pointers (it reloaded both per move).
        const Move states = (Move{from} << FROM_SHIFT) | (Move{to} << TO_SHIFT);
        network.for_each_neighbour(
            v, [&](Network::Vertex u) { lists[u >> BLOCK_SHIFT].push_back(states | u); });
    }

    /// Applies every recorded move to `counts` (runs of blocks in parallel on `executor`) and
    /// forgets the records.
    template <std::size_t K, class Count>
    void apply(std::span<StateCounts<K, Count>> counts, const Executor& executor) {
        executor.for_chunks(blocks_, APPLY_RUN,
                            [&](std::size_t, std::size_t first, std::size_t end) {
                                for (std::size_t b = first; b < end; ++b) {
                                    apply_block(counts, b, b + 1 < end);
                                }
                            });
    }

private:
    /// Blocks one thread applies in a row: while it applies one, it fetches the next.
    static constexpr std::size_t APPLY_RUN = 8;

    /// Applies block b's moves. The counts they touch are scattered over the block: each is
    /// fetched, for writing, APPLY_AHEAD moves before it is updated, so that the misses overlap.
    /// When `fetch_next` and the block has at least as many moves as the next block has cache
    /// lines (so most of them will be touched), the next block's lines are fetched in order,
    /// spread evenly over this block's moves: the next block then starts from the caches, and
    /// the memory reads it needs are sequential. (In-process A/B at 4 M vertices, 6 % changing:
    /// apply at 0.81-0.84 of its time on 1 thread, 0.82-0.91 on 2.)
    template <std::size_t K, class Count>
    void apply_block(std::span<StateCounts<K, Count>> counts, std::size_t b, bool fetch_next) {
        constexpr std::size_t APPLY_AHEAD = 16;
        constexpr std::size_t LINE = 64;
        std::size_t total = 0;
        for (std::size_t g = 0; g < groups_; ++g) {
            total += lists_[g][b].size();
        }
        const std::size_t next_first = std::min(counts.size(), (b + 1) << BLOCK_SHIFT);
        const std::size_t next_end = std::min(counts.size(), (b + 2) << BLOCK_SHIFT);
        const char* next = reinterpret_cast<const char*>(counts.data() + next_first);
        std::size_t lines = (next_end - next_first) * sizeof(StateCounts<K, Count>) / LINE;
        if (!fetch_next || total < lines) {
            lines = 0;
        }
        // `lines` prefetches over `total` moves: one each time `credit` reaches `total`.
        std::size_t credit = 0;
        std::size_t line = 0;
        for (std::size_t g = 0; g < groups_; ++g) {
            auto& list = lists_[g][b];
            const std::size_t size = list.size();
            for (std::size_t i = 0; i < size; ++i) {
                if (i + APPLY_AHEAD < size) {
                    __builtin_prefetch(
                        counts.data() + static_cast<std::uint32_t>(list[i + APPLY_AHEAD]), 1);
                }
                credit += lines;
                if (credit >= total && line < lines) {
                    credit -= total;
                    __builtin_prefetch(next + LINE * line, 1);
                    ++line;
                }
                const Move m = list[i];
                StateCounts<K, Count>& c = counts[static_cast<std::uint32_t>(m)];
                const auto from = static_cast<std::uint8_t>(m >> FROM_SHIFT);
                const auto to = static_cast<std::uint8_t>(m >> TO_SHIFT);
                if (from < K) {
                    --c[from];
                }
                if (to < K) {
                    ++c[to];
                }
            }
            list.clear();
        }
    }

    /// A move: the vertex in the low 32 bits, the state it leaves in bits 32-39, the state it
    /// enters in bits 40-47.
    using Move = std::uint64_t;
    static constexpr unsigned FROM_SHIFT = 32;
    static constexpr unsigned TO_SHIFT = 40;

    std::vector<std::vector<std::vector<Move>>> lists_; ///< [group][block]
    std::size_t groups_ = 0;
    std::size_t blocks_ = 0;
};

} // namespace canopy::engine
