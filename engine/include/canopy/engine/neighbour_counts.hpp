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

#include <canopy/engine/network.hpp>
#include <canopy/engine/parallel.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace canopy::engine {

/// Counts of neighbours in states 0..K-1.
template <std::size_t K>
using StateCounts = std::array<std::uint32_t, K>;

/// Sets counts[v] for every vertex v < states.size() from a full scan of the network.
template <std::size_t K, class State>
void count_neighbour_states(const Network& network, std::span<const State> states,
                            std::span<StateCounts<K>> counts, const Executor& executor,
                            std::size_t chunk = 8192) {
    executor.for_chunks(states.size(), chunk, [&](std::size_t, std::size_t b, std::size_t e) {
        for (std::size_t v = b; v < e; ++v) {
            StateCounts<K> c{};
            network.for_each_neighbour(static_cast<Network::Vertex>(v), [&](Network::Vertex u) {
                if (static_cast<std::size_t>(states[u]) < K) {
                    ++c[static_cast<std::size_t>(states[u])];
                }
            });
            counts[v] = c;
        }
    });
}

/// Moves vertex v's weight in its neighbours' counts from state `from` to state `to` (either
/// may be >= K: not counted).
template <bool Atomic, std::size_t K>
void move_neighbour_state(const Network& network, std::span<StateCounts<K>> counts,
                          Network::Vertex v, std::size_t from, std::size_t to) {
    network.for_each_neighbour(v, [&](Network::Vertex u) {
        if constexpr (Atomic) {
            if (from < K) {
                std::atomic_ref<std::uint32_t>(counts[u][from])
                    .fetch_sub(1, std::memory_order_relaxed);
            }
            if (to < K) {
                std::atomic_ref<std::uint32_t>(counts[u][to])
                    .fetch_add(1, std::memory_order_relaxed);
            }
        } else {
            if (from < K) {
                --counts[u][from];
            }
            if (to < K) {
                ++counts[u][to];
            }
        }
    });
}

/// Moves vertex v from one state to another in its neighbours' counts, atomically when the
/// caller applies changes from several threads at once.
template <std::size_t K>
void move_neighbour_state(const Network& network, std::span<StateCounts<K>> counts,
                          Network::Vertex v, std::size_t from, std::size_t to, bool concurrent) {
    if (concurrent) {
        move_neighbour_state<true, K>(network, counts, v, from, to);
    } else {
        move_neighbour_state<false, K>(network, counts, v, from, to);
    }
}

} // namespace canopy::engine
