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

std::size_t Network::bytes() const noexcept {
    return offsets_.size() * sizeof(std::uint32_t) + targets_.size() * sizeof(Vertex) +
           head_.size() * sizeof(std::uint32_t) + pool_.size() * sizeof(PoolEntry);
}

} // namespace canopy::engine
