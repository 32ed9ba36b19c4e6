#include <canopy/engine/attachment.hpp>
#include <canopy/engine/barabasi_albert.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
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

// Preferential attachment with homophily for vertices core .. n - 1: vertex v's draws are an
// AttachmentPool's (its category weights, then locate, one Philox block a draw) against the list
// sizes when v arrives, on the builder's own lists `units` (room for every unit in each), whose
// sizes it keeps in `at`: no vector to reload and check for every unit added. K = k fixed at
// compile time (0: k known at run time only) unrolls the scans over the categories.
template <std::size_t K>
void grow_by_category(std::size_t k, std::size_t n, std::size_t m, std::size_t core,
                      std::span<const std::uint8_t> category, std::span<const double> affinity,
                      const RandomKey& key, Purpose purpose, AttachmentPool::Snapshot& at,
                      Network::Vertex* const* units, Network::Vertex* elders) {
    if constexpr (K > 0) {
        k = K;
    }
    // Each draw reads one Philox block (two 64-bit words), so a vertex's first m draws are its
    // blocks 0 .. m - 1: computed for BATCH vertices at a time, vectorised. A vertex that needs
    // more draws (its candidate was already picked) reads on from block m.
    constexpr std::size_t BATCH = 256;
    const auto prefilled = static_cast<std::uint16_t>(std::min<std::size_t>(m, 8));
    PickBuffer<Network::Vertex> chosen(m);
    Network::Vertex* picks = chosen.data();
    // A unit of category c is a vertex of category c (each vertex's units go to its own
    // category's list), so a pick's category is the list its draw landed in: the next vertex's
    // list sizes then wait neither for the pick's unit to come from memory nor for its category
    // to be looked up.
    PickBuffer<std::size_t> chosen_category(m);
    std::size_t* pick_category = chosen_category.data();
    StreamBatch batch;
    for (std::size_t v0 = core; v0 < n; v0 += BATCH) {
        const std::size_t count = std::min(BATCH, n - v0);
        batch.fill(key, static_cast<std::uint32_t>(v0), 0, purpose, count, prefilled);
        for (std::size_t v = v0; v < v0 + count; ++v) {
            const std::size_t a = category[v];
            // The seed clique's units are in the lists, so the weights always have units.
            const AttachmentPool::Weights w =
                AttachmentPool::weights_of<K>(k, at, affinity.subspan(a * k, k));
            std::size_t got = 0;
            for (std::uint16_t d = 0; got < m; ++d) {
                Block words;
                if (d < prefilled) {
                    const std::uint32_t* b = batch.block(d) + 4 * (v - v0);
                    words = {b[0], b[1], b[2], b[3]};
                } else {
                    words = key.block(static_cast<std::uint32_t>(v), 0, purpose, d);
                }
                const AttachmentPool::Location l = AttachmentPool::locate_in<K>(
                    k, at, w, (std::uint64_t{words[0]} << 32) | words[1],
                    (std::uint64_t{words[2]} << 32) | words[3]);
                const Network::Vertex u = units[l.category][l.index];
                if (std::find(picks, picks + got, u) == picks + got) {
                    pick_category[got] = l.category;
                    picks[got++] = u;
                }
            }
            Network::Vertex* own = elders + (v - core) * m;
            for (std::size_t j = 0; j < m; ++j) {
                own[j] = picks[j];
                units[a][at.size[a]++] = static_cast<Network::Vertex>(v);
                units[pick_category[j]][at.size[pick_category[j]]++] = picks[j];
            }
        }
    }
}

} // namespace

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
        // The builder's units by category, each list with room for every unit (pages never
        // touched are never resident).
        const std::size_t total_units = 2 * (core_edges + later * m);
        std::vector<std::unique_ptr<Network::Vertex[]>> lists(k);
        Network::Vertex* units[AttachmentPool::MAX_CATEGORIES] = {};
        AttachmentPool::Snapshot at{};
        for (std::size_t c = 0; c < k; ++c) {
            lists[c] = std::make_unique_for_overwrite<Network::Vertex[]>(total_units);
            units[c] = lists[c].get();
        }
        for (const Network::Vertex v : endpoints) { // the seed clique
            const std::uint8_t c = options.category[v];
            units[c][at.size[c]++] = v;
        }
        // The endpoints hold the seed clique; each later vertex's picks go to its m elders.
        std::vector<Network::Vertex> elders(later * m);
        if (k == 6) { // the ecosystem model's sectors: a copy with the category scans unrolled
            grow_by_category<6>(k, n, m, core, options.category, options.affinity, key, purpose, at,
                                units, elders.data());
        } else {
            grow_by_category<0>(k, n, m, core, options.category, options.affinity, key, purpose, at,
                                units, elders.data());
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
