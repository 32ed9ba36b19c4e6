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
#include <canopy/engine/parallel.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
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
    /// (endpoints[2k], endpoints[2k+1]). Parallel edges are kept. A self-loop (a, a) is stored
    /// twice in a's list, so a is its own neighbour twice and the loop adds 2 to degree(a), the
    /// usual convention. Throws canopy::Error on an odd endpoint count or an endpoint >= n.
    /// `reserve_vertices` / `reserve_edges` leave room for that many more vertices and edges to
    /// be added later without reallocating.
    static Network from_edges(std::size_t n, std::span<const Vertex> endpoints,
                              std::size_t reserve_vertices = 0, std::size_t reserve_edges = 0);

    /// The network a growth process leaves: the `seed` edges (endpoint pairs, every endpoint
    /// below `first`), then each vertex v = first .. n - 1 linked to m earlier vertices,
    /// elders[(v - first) m + j] for j < m, where m = elders.size() / (n - first). The same
    /// network, entry for entry, as from_edges on the seed endpoints followed by the pairs
    /// (v, elder) in that order, built without that list: a vertex's own links are written
    /// where its slice starts. Throws canopy::Error on an odd seed, a seed endpoint >= first,
    /// first > n, an elder count that is not a multiple of n - first, or an elder >= its vertex.
    static Network from_growth(std::size_t n, std::span<const Vertex> seed, std::size_t first,
                               std::span<const Vertex> elders, std::size_t reserve_vertices = 0,
                               std::size_t reserve_edges = 0);

    /// A pure CSR network from its arrays: vertex v's neighbours are
    /// targets[offsets[v] .. offsets[v + 1]) (each undirected edge listed from both ends, a
    /// self-loop twice in its vertex's list). Throws canopy::Error unless offsets starts at 0,
    /// never decreases and ends at targets.size(), and every target is a vertex.
    static Network from_csr(std::vector<std::uint32_t> offsets, std::vector<Vertex> targets);

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

    class NeighbourIterator;
    struct NeighbourRange;
    /// The neighbours of v (with multiplicity) as a forward range, in the order
    /// for_each_neighbour visits them: the CSR slice, then the overflow list. Meant for generic
    /// code (Boost.Graph); hot loops should keep for_each_neighbour, which compiles to two plain
    /// loops. Invalidated by add_vertex, add_vertices, reserve and compact.
    [[nodiscard]] NeighbourRange neighbour_range(Vertex v) const noexcept;

    /// Number of edge ends at v.
    [[nodiscard]] std::uint32_t degree(Vertex v) const noexcept;
    /// The largest degree (0 for an empty network).
    [[nodiscard]] std::uint32_t max_degree() const noexcept;

    /// Adds vertex num_vertices() with edges to each of `neighbours` (all existing vertices);
    /// returns the new vertex.
    Vertex add_vertex(std::span<const Vertex> neighbours);

    /// Parts of the old vertices that add_vertices links in parallel (a fixed number, so the
    /// split, and what a caller keeps per part, does not depend on the thread count).
    static constexpr std::size_t LINK_PARTS = 8;
    /// add_vertices links batches of fewer new edges than this (or on a serial executor) on the
    /// calling thread in one pass, as add_vertex would: the parallel form's sorting and tasks
    /// cost more than they save there (the reference model's births in cache, 274 newborns a
    /// step: 0.71-1.00 ns per firm-step with the parallel form, 0.47 with the one pass).
    static constexpr std::size_t PARALLEL_LINK_EDGES = 16384;
    /// How many edges ahead a part's task fetches the old end's overflow head (and calls fetch):
    /// at millions of vertices each head is a miss to memory, and linking an edge takes a few
    /// nanoseconds; 16 ahead left the linking ~1.2x slower than 48 (96 was no faster; the
    /// reference model at 4 M firms, 2 threads, 6 alternated rounds).
    static constexpr std::size_t LINK_AHEAD = 48;

    /// The same as add_vertex for each of counts.size() new vertices in turn, in parallel on
    /// `executor`: new vertex i (numbered from num_vertices()) links to
    /// neighbours[i * stride .. i * stride + counts[i]), all of them existing vertices (older
    /// than the first new one). The lists, the overflow entries and their order come out exactly
    /// as add_vertex's. Each old vertex's side is linked by the one task of its part (part
    /// (u / 16) % LINK_PARTS: slices of 16 ids dealt round, so that the hubs, which draw most
    /// links, spread over the parts), which also calls on_link(part, u) once per new edge at old
    /// vertex u, in the new vertices' order: a caller can update u's own data there without
    /// atomics (data of 16 consecutive vertices belongs to one part). The task calls fetch(u) a
    /// few edges before on_link(part, u) (LINK_AHEAD; for every edge but a part's first
    /// LINK_AHEAD), for the caller to prefetch what it will touch. Throws canopy::Error, changing
    /// nothing, on a neighbour that is not an old vertex, a count above stride, lists that do not
    /// fit in `neighbours`, or too many vertices or entries; a failed allocation changes nothing
    /// either.
    void add_vertices(std::span<const Vertex> neighbours, std::size_t stride,
                      std::span<const std::uint32_t> counts, const Executor& executor,
                      FunctionRef<void(std::size_t, Vertex)> on_link,
                      FunctionRef<void(Vertex)> fetch);

    /// Asks the CPU to fetch, for writing, what add_vertex will update when it links a new
    /// vertex to u (u's overflow list head), so that a caller adding many vertices can overlap
    /// those cache misses by prefetching a few newcomers ahead. Changes nothing.
    void prefetch_link(Vertex u) const noexcept { __builtin_prefetch(head_.data() + u, 1); }

    /// Prefetching for a caller that visits the neighbours of many scattered vertices (a list of
    /// changed agents, say), in two stages a few vertices apart so that the misses overlap:
    /// prefetch_vertex(v) fetches where v's list is found (its CSR offsets and overflow head),
    /// and, once that has arrived, prefetch_neighbours(v) reads it and fetches the start and
    /// end of v's CSR slice and its first overflow entry. Neither changes anything.
    void prefetch_vertex(Vertex v) const noexcept {
        __builtin_prefetch(offsets_.data() + v);
        __builtin_prefetch(head_.data() + v);
    }
    /// (The empty asm statements keep the prefetches: GCC 12 dropped them from a caller's loop.)
    void prefetch_neighbours(Vertex v) const noexcept {
        const std::uint32_t begin = offsets_[v];
        const std::uint32_t end = offsets_[v + 1];
        if (begin != end) {
            const Vertex* first = targets_.data() + begin;
            const Vertex* last = targets_.data() + end - 1;
            __builtin_prefetch(first);
            __builtin_prefetch(last);
            asm volatile("" : : "r"(first), "r"(last));
        }
        if (const std::uint32_t e = head_[v]; e != NONE) {
            const PoolEntry* overflow = pool_.data() + e;
            __builtin_prefetch(overflow);
            asm volatile("" : : "r"(overflow));
        }
    }

    /// Reserves room for `vertices` vertices and `edges` undirected edges in total.
    void reserve(std::size_t vertices, std::size_t edges);
    /// Makes the room reserved beyond what is stored resident now (engine::make_resident), so
    /// that vertices and edges added later write to mapped memory. For a model whose births fill
    /// the room during its steps: the reference model's 4 million firms otherwise fault in about
    /// 330 pages a step, one at a time, on its births' critical path.
    void make_room_resident() const noexcept;
    /// Asks for the arrays, room included, to be backed by huge pages (engine::prefer_huge_pages):
    /// for networks of millions of vertices, read at random places. Call before
    /// make_room_resident.
    void prefer_huge_pages() const noexcept;

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
    /// Asks the CPU to fetch what entry(s, i) will read, so that a caller drawing many entries
    /// can overlap their cache misses. Changes nothing.
    void prefetch_entry(const Snapshot& s, std::size_t i) const noexcept {
        const void* at = i < s.csr_entries
                             ? static_cast<const void*>(targets_.data() + i)
                             : static_cast<const void*>(pool_.data() + (i - s.csr_entries));
        __builtin_prefetch(at);
        asm volatile("" : : "r"(at));
    }

    /// A pure CSR network's arrays (see from_csr).
    struct Csr {
        std::vector<std::uint32_t> offsets;
        std::vector<Vertex> targets;
    };
    /// Moves the arrays out of a pure CSR network (no overflow entries: new from a builder, or
    /// compacted), keeping their reserved room, for a caller that keeps the lists in a form of
    /// its own; the network is left empty. Throws canopy::Error if it has overflow entries.
    [[nodiscard]] Csr release_csr() &&;

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

    /// Calls f(v) on each of the four arrays (for what is done to their memory as a whole).
    template <class F>
    void for_each_array(F f) const {
        f(offsets_);
        f(head_);
        f(targets_);
        f(pool_);
    }
};

/// A forward iterator over one vertex's neighbours: the CSR slice, then the overflow list.
/// Dereferencing yields a reference into the network's storage.
class Network::NeighbourIterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Vertex;
    using difference_type = std::ptrdiff_t;
    using pointer = const Vertex*;
    using reference = const Vertex&;

    NeighbourIterator() = default;

    [[nodiscard]] reference operator*() const noexcept {
        return csr_ != csr_end_ ? *csr_ : pool_[entry_].vertex;
    }
    [[nodiscard]] pointer operator->() const noexcept { return &**this; }
    NeighbourIterator& operator++() noexcept {
        if (csr_ != csr_end_) {
            ++csr_;
        } else {
            entry_ = pool_[entry_].next;
        }
        return *this;
    }
    NeighbourIterator operator++(int) noexcept {
        NeighbourIterator before = *this;
        ++*this;
        return before;
    }
    /// Equal when at the same position of the same vertex's range.
    friend bool operator==(const NeighbourIterator& a, const NeighbourIterator& b) noexcept {
        return a.csr_ == b.csr_ && a.entry_ == b.entry_;
    }

private:
    friend class Network;
    NeighbourIterator(const Vertex* csr, const Vertex* csr_end, const PoolEntry* pool,
                      std::uint32_t entry) noexcept
        : csr_(csr)
        , csr_end_(csr_end)
        , pool_(pool)
        , entry_(entry) {}

    // While csr_ != csr_end_ the iterator is in the CSR slice; then it follows the pool list
    // from entry_, and NONE marks the end.
    const Vertex* csr_ = nullptr;
    const Vertex* csr_end_ = nullptr;
    const PoolEntry* pool_ = nullptr;
    std::uint32_t entry_ = NONE;
};

/// begin()/end() over one vertex's neighbours; see Network::neighbour_range.
struct Network::NeighbourRange {
    NeighbourIterator first;
    NeighbourIterator last;
    [[nodiscard]] NeighbourIterator begin() const noexcept { return first; }
    [[nodiscard]] NeighbourIterator end() const noexcept { return last; }
};

inline Network::NeighbourRange Network::neighbour_range(Vertex v) const noexcept {
    const Vertex* csr_begin = targets_.data() + offsets_[v];
    const Vertex* csr_end = targets_.data() + offsets_[v + 1];
    return {NeighbourIterator(csr_begin, csr_end, pool_.data(), head_[v]),
            NeighbourIterator(csr_end, csr_end, pool_.data(), NONE)};
}

} // namespace canopy::engine
