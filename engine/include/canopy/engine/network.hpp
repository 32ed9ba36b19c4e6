#pragma once
/// \file network.hpp
/// An undirected network in compressed-sparse-row form that can grow as agents are born.
///
/// Layout: the adjacency of every vertex is a contiguous slice of `targets` delimited by
/// `offsets` (CSR). A vertex added later appends its own slice at the end, so CSR stays CSR;
/// the reverse entries that a new edge adds to older vertices go to an overflow pool (a linked
/// list per vertex). `compact()` folds the pool back into pure CSR. Each undirected edge is
/// stored twice, once from each end, so vertex v appears exactly degree(v) times among all the
/// stored entries: sampling a stored entry uniformly samples a vertex proportionally to its
/// degree (preferential attachment without a separate list).
///
/// Boost.Graph algorithms run on it directly: network_boost.hpp adapts it to BGL's
/// VertexListGraph, IncidenceGraph and AdjacencyGraph concepts.

#include <canopy/engine/error.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace canopy::engine {

/// An undirected multigraph on vertices 0..n-1, CSR with an overflow pool for growth.
class Network {
public:
    using Vertex = std::uint32_t;
    static constexpr Vertex NONE = UINT32_MAX;

    Network() = default;

    /// Builds the CSR from `edge_count` undirected edges given as endpoint pairs
    /// (endpoints[2k], endpoints[2k+1]). Throws canopy::Error on an endpoint >= n.
    static Network from_edges(std::size_t n, std::span<const Vertex> endpoints);

    [[nodiscard]] std::size_t num_vertices() const noexcept { return offsets_.size() - 1; }
    /// Number of undirected edges.
    [[nodiscard]] std::size_t num_edges() const noexcept {
        return (targets_.size() + pool_.size()) / 2;
    }

    /// Calls f(neighbour) for each neighbour of v (with multiplicity).
    template <class F>
    void for_each_neighbour(Vertex v, F&& f) const {
        const std::uint32_t end = offsets_[v + 1];
        for (std::uint32_t i = offsets_[v]; i != end; ++i) {
            f(targets_[i]);
        }
        for (std::uint32_t e = head_[v]; e != NONE; e = pool_[e].next) {
            f(pool_[e].vertex);
        }
    }

    /// Number of edge ends at v.
    [[nodiscard]] std::uint32_t degree(Vertex v) const noexcept;

    /// Adds vertex num_vertices() with edges to each of `neighbours` (all existing vertices);
    /// returns the new vertex.
    Vertex add_vertex(std::span<const Vertex> neighbours);

    /// Reserves room for `vertices` vertices and `edges` undirected edges in total.
    void reserve(std::size_t vertices, std::size_t edges);

    /// Moves every overflow entry into the CSR arrays (pure CSR afterwards).
    void compact();

    /// The stored entries at one moment: sample uniformly in [0, size()) and read vertex() to
    /// draw a vertex with probability proportional to its degree at that moment. Entries added
    /// later do not change what a snapshot's indices refer to.
    struct Snapshot {
        std::size_t csr_entries = 0;
        std::size_t pool_entries = 0;
        [[nodiscard]] std::size_t size() const noexcept { return csr_entries + pool_entries; }
    };
    [[nodiscard]] Snapshot snapshot() const noexcept { return {targets_.size(), pool_.size()}; }
    [[nodiscard]] Vertex entry(const Snapshot& s, std::size_t i) const noexcept {
        return i < s.csr_entries ? targets_[i] : pool_[i - s.csr_entries].vertex;
    }

    /// The CSR part (for cache-friendly bulk loops; entries in the overflow pool are not in it).
    [[nodiscard]] std::span<const std::uint32_t> offsets() const noexcept { return offsets_; }
    [[nodiscard]] std::span<const Vertex> targets() const noexcept { return targets_; }
    [[nodiscard]] std::size_t overflow_entries() const noexcept { return pool_.size(); }

    /// Bytes of memory in use (sizes, not capacities).
    [[nodiscard]] std::size_t bytes() const noexcept;

private:
    struct PoolEntry {
        Vertex vertex;
        std::uint32_t next;
    };
    std::vector<std::uint32_t> offsets_{0};
    std::vector<Vertex> targets_;
    std::vector<std::uint32_t> head_; ///< first overflow entry of each vertex, NONE if none
    std::vector<PoolEntry> pool_;
};

} // namespace canopy::engine
