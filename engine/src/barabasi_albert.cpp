#include <canopy/engine/barabasi_albert.hpp>

#include <algorithm>
#include <array>
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
    // A vertex's first random words are drawn AHEAD vertices early and the endpoints its first
    // candidates would read are prefetched: which endpoint a draw reads depends only on the
    // vertex's own stream and on how many endpoints exist before it, known in advance. The words
    // are then consumed in exactly the order of drawing in place, so the network is the same;
    // only the cache misses overlap.
    constexpr std::size_t AHEAD = 16;
    constexpr std::size_t WORDS = 8; // u64 words drawn ahead per vertex
    struct Ahead {
        Stream rng;
        std::array<std::uint64_t, WORDS> words{};
    };
    std::vector<Ahead> ahead(AHEAD, Ahead{Stream(key, 0, 0, purpose), {}});
    const std::size_t stride = options.acceptance != nullptr ? 2 : 1; // index, [acceptance], ...
    const auto endpoints_before = [&](std::size_t v) { return 2 * (core_edges + (v - core) * m); };
    const auto prepare = [&](std::size_t v) {
        Ahead& a = ahead[v % AHEAD];
        a.rng = Stream(key, static_cast<std::uint32_t>(v), 0, purpose);
        for (auto& w : a.words) {
            w = a.rng.next_u64();
        }
        const std::size_t before = endpoints_before(v);
        for (std::size_t k = 0; k < std::min(m, WORDS / stride); ++k) {
            __builtin_prefetch(endpoints.data() + index_below(a.words[k * stride], before));
        }
    };
    for (std::size_t v = core; v < std::min(n, core + AHEAD); ++v) {
        prepare(v);
    }
    for (std::size_t v = core; v < n; ++v) {
        Ahead& a = ahead[v % AHEAD];
        std::size_t used = 0;
        auto next = [&]() { return used < WORDS ? a.words[used++] : a.rng.next_u64(); };
        const std::size_t existing = endpoints.size();
        std::size_t got = 0;
        std::size_t draws = 0;
        while (got < m) {
            const Network::Vertex u = endpoints[index_below(next(), existing)];
            if (std::find(picks, picks + got, u) != picks + got) {
                continue;
            }
            if (options.acceptance != nullptr && ++draws <= 1024 * m &&
                !(u01_open(next()) < options.acceptance(options.acceptance_context,
                                                        static_cast<Network::Vertex>(v), u))) {
                continue;
            }
            picks[got++] = u;
        }
        for (std::size_t j = 0; j < m; ++j) {
            endpoints.push_back(static_cast<Network::Vertex>(v));
            endpoints.push_back(picks[j]);
        }
        if (v + AHEAD < n) {
            prepare(v + AHEAD);
        }
    }
    Network g = Network::from_edges(n, endpoints, options.reserve_vertices,
                                    options.reserve_vertices * options.edges_per_vertex);
    endpoints.clear();
    endpoints.shrink_to_fit();
    return g;
}

} // namespace canopy::engine
