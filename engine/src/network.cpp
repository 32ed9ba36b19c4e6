#include <canopy/engine/memory.hpp>
#include <canopy/engine/network.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

namespace canopy::engine {

namespace {
void check_entry_count(std::size_t entries) {
    if (entries >= std::size_t{UINT32_MAX}) {
        throw Error("network too large: " + std::to_string(entries / 2) +
                    " edges exceed the 32-bit index limit");
    }
}
} // namespace

Network Network::from_edges(std::size_t n, std::span<const Vertex> endpoints,
                            std::size_t reserve_vertices, std::size_t reserve_edges) {
    if (endpoints.size() % 2 != 0) {
        throw Error("edge list has an odd number of endpoints");
    }
    if (n >= std::size_t{UINT32_MAX}) {
        throw Error("network too large: " + std::to_string(n) + " vertices");
    }
    check_entry_count(endpoints.size());
    Network g;
    g.offsets_.reserve(n + 1 + reserve_vertices);
    g.head_.reserve(n + reserve_vertices);
    g.targets_.reserve(endpoints.size() + reserve_edges);
    g.pool_.reserve(reserve_edges);
    g.offsets_.assign(n + 1, 0);
    for (const Vertex v : endpoints) {
        if (v >= n) {
            throw Error("edge endpoint " + std::to_string(v) + " is not a vertex of a network of " +
                        std::to_string(n));
        }
        ++g.offsets_[v + 1];
    }
    for (std::size_t v = 0; v < n; ++v) {
        g.offsets_[v + 1] += g.offsets_[v];
    }
    g.targets_.resize(endpoints.size());
    std::vector<std::uint32_t> cursor(g.offsets_.begin(), g.offsets_.end() - 1);
    for (std::size_t k = 0; k < endpoints.size(); k += 2) {
        const Vertex a = endpoints[k];
        const Vertex b = endpoints[k + 1];
        g.targets_[cursor[a]++] = b;
        g.targets_[cursor[b]++] = a;
    }
    g.head_.assign(n, NONE);
    return g;
}

Network Network::from_csr(std::vector<std::uint32_t> offsets, std::vector<Vertex> targets) {
    if (offsets.empty() || offsets.front() != 0 || offsets.back() != targets.size()) {
        throw Error("CSR offsets must run from 0 to the " + std::to_string(targets.size()) +
                    " targets");
    }
    const std::size_t n = offsets.size() - 1;
    if (n >= std::size_t{UINT32_MAX}) {
        throw Error("network too large: " + std::to_string(n) + " vertices");
    }
    check_entry_count(targets.size());
    for (std::size_t v = 0; v < n; ++v) {
        if (offsets[v + 1] < offsets[v]) {
            throw Error("CSR offsets decrease at vertex " + std::to_string(v));
        }
    }
    for (const Vertex u : targets) {
        if (u >= n) {
            throw Error("edge endpoint " + std::to_string(u) + " is not a vertex of a network of " +
                        std::to_string(n));
        }
    }
    Network g;
    g.offsets_ = std::move(offsets);
    g.targets_ = std::move(targets);
    g.head_.assign(n, NONE);
    return g;
}

Network Network::from_growth(std::size_t n, std::span<const Vertex> seed, std::size_t first,
                             std::span<const Vertex> elders, std::size_t reserve_vertices,
                             std::size_t reserve_edges) {
    if (seed.size() % 2 != 0) {
        throw Error("seed edge list has an odd number of endpoints");
    }
    if (first > n) {
        throw Error("growth from vertex " + std::to_string(first) + " in a network of " +
                    std::to_string(n));
    }
    if (n >= std::size_t{UINT32_MAX}) {
        throw Error("network too large: " + std::to_string(n) + " vertices");
    }
    const std::size_t grown = n - first;
    if (grown == 0 ? !elders.empty() : elders.size() % grown != 0) {
        throw Error(std::to_string(elders.size()) + " elders are not the same number for each of " +
                    std::to_string(grown) + " grown vertices");
    }
    const std::size_t m = grown == 0 ? 0 : elders.size() / grown;
    check_entry_count(seed.size() + 2 * elders.size());
    Network g;
    g.offsets_.reserve(n + 1 + reserve_vertices);
    g.head_.reserve(n + reserve_vertices);
    g.targets_.reserve(seed.size() + 2 * elders.size() + reserve_edges);
    g.pool_.reserve(reserve_edges);
    // Degrees first, counted in offsets_[v + 1].
    g.offsets_.assign(n + 1, 0);
    for (const Vertex v : seed) {
        if (v >= first) {
            throw Error("seed endpoint " + std::to_string(v) + " is not below the first grown " +
                        "vertex " + std::to_string(first));
        }
        ++g.offsets_[v + 1];
    }
    for (std::size_t v = first; v < n; ++v) {
        const Vertex* own = elders.data() + (v - first) * m;
        for (std::size_t j = 0; j < m; ++j) {
            if (own[j] >= v) {
                throw Error("vertex " + std::to_string(v) + " links to " + std::to_string(own[j]) +
                            ", not an earlier vertex");
            }
            ++g.offsets_[own[j] + 1];
        }
        g.offsets_[v + 1] += static_cast<std::uint32_t>(m);
    }
    // offsets_[v + 1] becomes where v's slice starts and serves as v's write cursor; once every
    // entry is written it is where v's slice ends, which is where v + 1's starts: CSR offsets
    // without a separate cursor array.
    std::uint32_t start = 0;
    for (std::size_t v = 0; v < n; ++v) {
        const std::uint32_t degree = g.offsets_[v + 1];
        g.offsets_[v + 1] = start;
        start += degree;
    }
    g.targets_.resize(start);
    Vertex* targets = g.targets_.data();
    std::uint32_t* cursor = g.offsets_.data() + 1;
    for (std::size_t k = 0; k < seed.size(); k += 2) {
        const Vertex a = seed[k];
        const Vertex b = seed[k + 1];
        targets[cursor[a]++] = b;
        targets[cursor[b]++] = a;
    }
    // No entry of v is written before its own links (seed edges and elders are all below v),
    // so they open its slice, in order.
    for (std::size_t v = first; v < n; ++v) {
        const Vertex* own = elders.data() + (v - first) * m;
        Vertex* slice = targets + cursor[v];
        for (std::size_t j = 0; j < m; ++j) {
            slice[j] = own[j];
            targets[cursor[own[j]]++] = static_cast<Vertex>(v);
        }
        cursor[v] += static_cast<std::uint32_t>(m);
    }
    g.head_.assign(n, NONE);
    return g;
}

std::uint32_t Network::degree(Vertex v) const noexcept {
    std::uint32_t d = offsets_[v + 1] - offsets_[v];
    for (std::uint32_t e = head_[v]; e != NONE; e = pool_[e].next) {
        ++d;
    }
    return d;
}

std::uint32_t Network::max_degree() const noexcept {
    std::uint32_t most = 0;
    for (std::size_t v = 0; v + 1 < offsets_.size(); ++v) {
        most = std::max(most, degree(static_cast<Vertex>(v)));
    }
    return most;
}

Network::Vertex Network::add_vertex(std::span<const Vertex> neighbours) {
    const auto v = static_cast<Vertex>(num_vertices());
    if (v == NONE - 1) {
        throw Error("network too large: vertex limit reached");
    }
    check_entry_count(targets_.size() + pool_.size() + 2 * neighbours.size());
    // Validate before touching anything, so a throw leaves the network as it was.
    for (const Vertex u : neighbours) {
        if (u >= v) {
            throw Error("add_vertex: neighbour " + std::to_string(u) + " does not exist yet");
        }
    }
    for (const Vertex u : neighbours) {
        targets_.push_back(u);
        pool_.push_back({v, head_[u]});
        head_[u] = static_cast<std::uint32_t>(pool_.size() - 1);
    }
    offsets_.push_back(static_cast<std::uint32_t>(targets_.size()));
    head_.push_back(NONE);
    return v;
}

void Network::add_vertices(std::span<const Vertex> neighbours, std::size_t stride,
                           std::span<const std::uint32_t> counts, const Executor& executor,
                           FunctionRef<void(std::size_t, Vertex)> on_link,
                           FunctionRef<void(Vertex)> fetch) {
    const std::size_t old_n = num_vertices();
    const std::size_t added = counts.size();
    if (old_n + added >= NONE) {
        throw Error("network too large: vertex limit reached");
    }
    // Where each new vertex's entries start (in the CSR and in the pool alike: one of each per
    // edge), and validation before anything changes.
    std::vector<std::uint32_t> first(added + 1, 0);
    std::size_t total = 0;
    for (std::size_t i = 0; i < added; ++i) {
        if (counts[i] > stride) {
            throw Error("add_vertices: vertex " + std::to_string(i) + " has " +
                        std::to_string(counts[i]) + " neighbours, more than the stride " +
                        std::to_string(stride));
        }
        // i * stride + counts[i] <= neighbours.size(), without overflow (stride >= counts[i] > 0).
        if (counts[i] > 0 &&
            (counts[i] > neighbours.size() || i > (neighbours.size() - counts[i]) / stride)) {
            throw Error("add_vertices: the neighbour lists do not fit the given stride and "
                        "counts (vertex " +
                        std::to_string(i) + ")");
        }
        for (std::size_t k = 0; k < counts[i]; ++k) {
            const Vertex u = neighbours[i * stride + k];
            if (u >= old_n) {
                throw Error("add_vertices: neighbour " + std::to_string(u) +
                            " is not an existing vertex");
            }
        }
        first[i] = static_cast<std::uint32_t>(total);
        total += counts[i];
    }
    first[added] = static_cast<std::uint32_t>(total);
    check_entry_count(targets_.size() + pool_.size() + 2 * total);

    const std::size_t csr_base = targets_.size();
    const std::size_t pool_base = pool_.size();
    // Room first (a failed allocation leaves the network as it was), then the sizes.
    targets_.reserve(csr_base + total);
    pool_.reserve(pool_base + total);
    offsets_.reserve(old_n + added + 1);
    head_.reserve(old_n + added);
    targets_.resize(csr_base + total);
    pool_.resize(pool_base + total);
    offsets_.resize(old_n + added + 1);
    head_.resize(old_n + added, NONE);
    if (!executor.parallel() || total < PARALLEL_LINK_EDGES) {
        // A small batch in one pass on this thread: add_vertex's work, the heads (and what the
        // caller fetches) AHEAD new vertices before they are linked.
        constexpr std::size_t AHEAD = 16;
        for (std::size_t i = 0; i < added; ++i) {
            const auto v = static_cast<Vertex>(old_n + i);
            if (i + AHEAD < added) {
                for (std::size_t k = 0; k < counts[i + AHEAD]; ++k) {
                    const Vertex ahead = neighbours[(i + AHEAD) * stride + k];
                    __builtin_prefetch(head_.data() + ahead, 1);
                    fetch(ahead);
                }
            }
            for (std::size_t k = 0; k < counts[i]; ++k) {
                const std::size_t j = first[i] + k;
                const Vertex u = neighbours[i * stride + k];
                targets_[csr_base + j] = u;
                pool_[pool_base + j] = {v, head_[u]};
                head_[u] = static_cast<std::uint32_t>(pool_base + j);
                on_link((u >> 4) % LINK_PARTS, u);
            }
            offsets_[old_n + i + 1] = static_cast<std::uint32_t>(csr_base + first[i + 1]);
        }
        return;
    }
    // The new vertices' own lists and the vertex of each pool entry, by chunk of new vertices.
    constexpr std::size_t CHUNK = 4096;
    executor.for_chunks(added, CHUNK, [&](std::size_t, std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
            const auto v = static_cast<Vertex>(old_n + i);
            for (std::size_t k = 0; k < counts[i]; ++k) {
                targets_[csr_base + first[i] + k] = neighbours[i * stride + k];
                pool_[pool_base + first[i] + k].vertex = v;
            }
            offsets_[old_n + i + 1] = static_cast<std::uint32_t>(csr_base + first[i + 1]);
        }
    });
    // The old vertices' sides, by part: the new edges are sorted by the part of their old end
    // (keeping their order), then each part links its own, so every list grows in add_vertex's
    // order and no two tasks write the same head. Heads are fetched AHEAD of the part's own
    // edges before they are read. A part keeps the links it makes (entry, next) and they are
    // written after: neighbouring entries belong to different parts, and parts writing them in
    // place shared their cache lines.
    std::array<std::vector<std::uint32_t>, LINK_PARTS> edges_of; // j, by part
    for (std::size_t i = 0; i < added; ++i) {
        for (std::size_t k = 0; k < counts[i]; ++k) {
            edges_of[(neighbours[i * stride + k] >> 4) % LINK_PARTS].push_back(
                static_cast<std::uint32_t>(first[i] + k));
        }
    }
    std::array<std::vector<std::pair<std::uint32_t, std::uint32_t>>, LINK_PARTS> links;
    executor.for_each(LINK_PARTS, [&](std::size_t part) {
        const std::vector<std::uint32_t>& own = edges_of[part];
        auto& made = links[part];
        made.resize(own.size());
        constexpr std::size_t AHEAD = LINK_AHEAD;
        for (std::size_t q = 0; q < own.size(); ++q) {
            if (q + AHEAD < own.size()) {
                const Vertex ahead = targets_[csr_base + own[q + AHEAD]];
                __builtin_prefetch(head_.data() + ahead, 1);
                fetch(ahead);
            }
            const Vertex u = targets_[csr_base + own[q]];
            const auto e = static_cast<std::uint32_t>(pool_base + own[q]);
            made[q] = {e, head_[u]};
            head_[u] = e;
            on_link(part, u);
        }
    });
    for (const auto& made : links) {
        for (const auto& [e, next] : made) {
            pool_[e].next = next;
        }
    }
}

void Network::reserve(std::size_t vertices, std::size_t edges) {
    offsets_.reserve(vertices + 1);
    head_.reserve(vertices);
    targets_.reserve(2 * edges);
    pool_.reserve(edges > num_edges() ? edges - num_edges() : 0);
}

void Network::make_room_resident() const noexcept {
    for_each_array(
        [](const auto& v) { make_resident(v.data() + v.size(), v.data() + v.capacity()); });
}

void Network::prefer_huge_pages() const noexcept {
    for_each_array(
        [](const auto& v) { engine::prefer_huge_pages(v.data(), v.data() + v.capacity()); });
}

void Network::compact() {
    if (pool_.empty()) {
        return;
    }
    const std::size_t n = num_vertices();
    std::vector<std::uint32_t> offsets(n + 1, 0);
    for (std::size_t v = 0; v < n; ++v) {
        offsets[v + 1] = offsets[v] + degree(static_cast<Vertex>(v));
    }
    std::vector<Vertex> targets(offsets[n]);
    for (std::size_t v = 0; v < n; ++v) {
        std::uint32_t k = offsets[v];
        for_each_neighbour(static_cast<Vertex>(v), [&](Vertex u) { targets[k++] = u; });
    }
    offsets_ = std::move(offsets);
    targets_ = std::move(targets);
    head_.assign(n, NONE);
    pool_.clear();
    pool_.shrink_to_fit();
}

Network::Csr Network::release_csr() && {
    if (!pool_.empty()) {
        throw Error("release_csr: the network has " + std::to_string(pool_.size()) +
                    " overflow entries (compact it first)");
    }
    Csr csr{std::move(offsets_), std::move(targets_)};
    *this = Network{};
    return csr;
}

std::size_t Network::bytes() const noexcept {
    return offsets_.size() * sizeof(std::uint32_t) + targets_.size() * sizeof(Vertex) +
           head_.size() * sizeof(std::uint32_t) + pool_.size() * sizeof(PoolEntry);
}

} // namespace canopy::engine
