#include <canopy/engine/network.hpp>

#include <algorithm>
#include <string>

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

void Network::reserve(std::size_t vertices, std::size_t edges) {
    offsets_.reserve(vertices + 1);
    head_.reserve(vertices);
    targets_.reserve(2 * edges);
    pool_.reserve(edges > num_edges() ? edges - num_edges() : 0);
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
