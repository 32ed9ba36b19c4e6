#include <canopy/engine/attachment.hpp>
#include <canopy/engine/barabasi_albert.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace canopy::engine {

namespace {

// Room for one vertex's m picks: on the stack for the usual m <= 64, else on the heap.
template <class T>
class PickBuffer {
public:
    explicit PickBuffer(std::size_t m) {
        if (m > LOCAL) {
            heap_.resize(m);
            data_ = heap_.data();
        }
    }
    PickBuffer(const PickBuffer&) = delete;
    PickBuffer& operator=(const PickBuffer&) = delete;
    [[nodiscard]] T* data() noexcept { return data_; }

private:
    static constexpr std::size_t LOCAL = 64;
    T local_[LOCAL];
    std::vector<T> heap_;
    T* data_ = local_;
};

} // namespace

Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key,
                        Purpose purpose) {
    AttachmentPool pool;
    return barabasi_albert(options, key, purpose, pool);
}

Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key, Purpose purpose,
                        AttachmentPool& pool) {
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
    endpoints.reserve(2 * (core_edges + (options.category.empty() ? later * m : 0)));
    for (std::size_t a = 0; a < core; ++a) {
        for (std::size_t b = a + 1; b < core; ++b) {
            endpoints.push_back(static_cast<Network::Vertex>(a));
            endpoints.push_back(static_cast<Network::Vertex>(b));
        }
    }
    // Every stored endpoint is one unit of degree: picking a uniform endpoint picks a vertex
    // proportionally to its degree.
    PickBuffer<Network::Vertex> chosen(m);
    Network::Vertex* picks = chosen.data();
    if (!options.category.empty()) {
        const auto k = static_cast<std::size_t>(std::llround(std::sqrt(options.affinity.size())));
        if (k * k != options.affinity.size() || k == 0 || k > AttachmentPool::MAX_CATEGORIES) {
            throw Error("barabasi_albert: the affinity matrix must be square with 1 to " +
                        std::to_string(AttachmentPool::MAX_CATEGORIES) + " categories");
        }
        if (options.category.size() < n) {
            throw Error("barabasi_albert: " + std::to_string(options.category.size()) +
                        " categories for " + std::to_string(n) + " vertices");
        }
        for (std::size_t v = 0; v < n; ++v) {
            if (options.category[v] >= k) {
                throw Error("barabasi_albert: vertex " + std::to_string(v) + " has category " +
                            std::to_string(options.category[v]) + ", the affinity matrix " +
                            std::to_string(k));
            }
        }
        pool = AttachmentPool(k);
        pool.reserve(2 * (core_edges + later * m) / k + 1);
        for (const Network::Vertex v : endpoints) { // the seed clique
            pool.add(v, options.category[v]);
        }
        // Each draw reads one Philox block (two 64-bit words), so a vertex's first m draws are
        // its blocks 0 .. m - 1: computed for BATCH vertices at a time, vectorised. A vertex
        // that needs more draws (its candidate was already picked) reads on from block m.
        constexpr std::size_t BATCH = 256;
        const auto prefilled = static_cast<std::uint16_t>(std::min<std::size_t>(m, 8));
        // A unit of category c is a vertex of category c (each vertex's units go to its own
        // category's list), so a pick's category is the list its draw landed in: the next
        // vertex's list sizes then wait neither for the pick's unit to come from memory nor for
        // its category to be looked up (same pool, same draws).
        // (32-bit: a store through a byte pointer could alias anything, pool and vectors too.)
        PickBuffer<std::uint32_t> chosen_category(m);
        std::uint32_t* pick_category = chosen_category.data();
        // The endpoints hold the seed clique; each later vertex's picks go to its m elders.
        std::vector<Network::Vertex> elders(later * m);
        StreamBatch batch;
        for (std::size_t v0 = core; v0 < n; v0 += BATCH) {
            const std::size_t count = std::min(BATCH, n - v0);
            batch.fill(key, static_cast<std::uint32_t>(v0), 0, purpose, count, prefilled);
            for (std::size_t v = v0; v < v0 + count; ++v) {
                const AttachmentPool::Snapshot at = pool.snapshot();
                PrefilledStream rng = batch.stream(v - v0);
                const std::uint8_t a = options.category[v];
                const AttachmentPool::Weights w =
                    pool.weights(at, options.affinity.subspan(a * k, k));
                // The seed clique's units are in the pool, so the weights always have units.
                std::size_t got = 0;
                while (got < m) {
                    const std::uint64_t first = rng.next_u64();
                    const AttachmentPool::Location l = pool.locate(at, w, first, rng.next_u64());
                    const Network::Vertex u = pool.unit(l);
                    if (std::find(picks, picks + got, u) == picks + got) {
                        pick_category[got] = static_cast<std::uint32_t>(l.category);
                        picks[got++] = u;
                    }
                }
                Network::Vertex* own = elders.data() + (v - core) * m;
                for (std::size_t j = 0; j < m; ++j) {
                    own[j] = picks[j];
                    pool.add(static_cast<Network::Vertex>(v), a);
                    pool.add(picks[j], static_cast<std::uint8_t>(pick_category[j]));
                }
            }
        }
        return Network::from_growth(n, endpoints, core, elders, options.reserve_vertices,
                                    options.reserve_vertices * options.edges_per_vertex);
    }

    // A vertex's first random words are drawn AHEAD vertices early and the endpoints its first
    // candidates would read are prefetched: which endpoint a draw reads depends only on the
    // vertex's own stream and on how many endpoints exist before it, known in advance. The words
    // are then consumed in exactly the order of drawing in place, so the network is the same;
    // only the cache misses overlap.
    constexpr std::size_t AHEAD = 16;
    constexpr std::size_t WORDS = 4; // u64 words drawn ahead per vertex (m = 3 needs 3)
    struct Ahead {
        Stream rng;
        std::array<std::uint64_t, WORDS> words{};
    };
    std::vector<Ahead> ahead(AHEAD, Ahead{Stream(key, 0, 0, purpose), {}});
    const auto endpoints_before = [&](std::size_t v) { return 2 * (core_edges + (v - core) * m); };
    const auto prepare = [&](std::size_t v) {
        Ahead& a = ahead[v % AHEAD];
        a.rng = Stream(key, static_cast<std::uint32_t>(v), 0, purpose);
        for (auto& w : a.words) {
            w = a.rng.next_u64();
        }
        const std::size_t before = endpoints_before(v);
        for (std::size_t k = 0; k < std::min(m, WORDS); ++k) {
            __builtin_prefetch(endpoints.data() + index_below(a.words[k], before));
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
        while (got < m) {
            const Network::Vertex u = endpoints[index_below(next(), existing)];
            if (std::find(picks, picks + got, u) == picks + got) {
                picks[got++] = u;
            }
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
