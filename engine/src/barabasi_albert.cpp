#include <canopy/engine/barabasi_albert.hpp>

#include <algorithm>
#include <vector>

namespace canopy::engine {

Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key,
                        Purpose purpose) {
    const std::size_t n = options.vertices;
    const std::size_t m = options.edges_per_vertex;
    if (m == 0) {
        throw Error("barabasi_albert: edges_per_vertex must be at least 1");
    }
    // The seed clique on the first min(n, m + 1) vertices.
    const std::size_t core = std::min(n, m + 1);
    const std::size_t core_edges = core * (core - (core > 0 ? 1 : 0)) / 2;
    const std::size_t later = n - core;
    std::vector<Network::Vertex> endpoints;
    endpoints.reserve(2 * (core_edges + later * m));
    for (std::size_t a = 0; a < core; ++a) {
        for (std::size_t b = a + 1; b < core; ++b) {
            endpoints.push_back(static_cast<Network::Vertex>(a));
            endpoints.push_back(static_cast<Network::Vertex>(b));
        }
    }
    // Every stored endpoint is one unit of degree: picking a uniform endpoint picks a vertex
    // proportionally to its degree.
    Network::Vertex chosen[64];
    std::vector<Network::Vertex> chosen_heap;
    Network::Vertex* picks = chosen;
    if (m > 64) {
        chosen_heap.resize(m);
        picks = chosen_heap.data();
    }
    for (std::size_t v = core; v < n; ++v) {
        Stream rng(key, static_cast<std::uint32_t>(v), 0, purpose);
        const std::size_t existing = endpoints.size();
        std::size_t got = 0;
        std::size_t draws = 0;
        while (got < m) {
            const Network::Vertex u = endpoints[index_below(rng.next_u64(), existing)];
            if (std::find(picks, picks + got, u) != picks + got) {
                continue;
            }
            if (options.acceptance != nullptr && ++draws <= 1024 * m &&
                !(u01_open(rng.next_u64()) < options.acceptance(options.acceptance_context,
                                                                static_cast<Network::Vertex>(v),
                                                                u))) {
                continue;
            }
            picks[got++] = u;
        }
        for (std::size_t j = 0; j < m; ++j) {
            endpoints.push_back(static_cast<Network::Vertex>(v));
            endpoints.push_back(picks[j]);
        }
    }
    Network g = Network::from_edges(n, endpoints);
    endpoints.clear();
    endpoints.shrink_to_fit();
    if (options.reserve_vertices > 0) {
        g.reserve(n + options.reserve_vertices,
                  g.num_edges() + options.reserve_vertices * options.edges_per_vertex);
    }
    return g;
}

} // namespace canopy::engine
