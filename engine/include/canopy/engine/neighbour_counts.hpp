#pragma once
/// \file neighbour_counts.hpp
/// Each vertex's count of neighbours in each state, kept exact as states change.
///
/// A model whose agents react to "how many of my neighbours are in state k" (spillover,
/// contagion, peer effects) would otherwise re-scan every neighbour list every step. Instead the
/// counts are built once and, when an agent changes state, its neighbours' counts are moved from
/// the old state to the new one: work proportional to the changes, not to the network. (A model
/// that reads the counts of only a few agents a step does better to count those from their
/// lists when it needs them, as the reference model does: each kept count costs a scattered
/// write for every neighbour that changes.)
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

} // namespace canopy::engine
