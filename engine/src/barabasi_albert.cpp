#include <canopy/engine/attachment.hpp>
#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/compiler.hpp>
#include <canopy/engine/one_hot.hpp>
#include <canopy/engine/philox_avx512.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <immintrin.h>
#include <memory>
#include <string>
#include <vector>

namespace canopy::engine {

namespace {

std::atomic<bool> builder_avx2_allowed{true};

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

// grow_by_category's locate loop for six categories with AVX2 (a window of vertices
// [first, last), each with m <= 8 draws whose words are in `batch`, from vertex v0): the same
// locations and copy places. The loop is one chain from vertex to vertex (the sizes a vertex
// leaves are the next one's weights), and there the sizes lived in memory: each vertex stored
// them and the next read them back (a store-to-load wait, twice), and the scan for a non-empty
// category was a loop of loads and branches. Here the sizes are the 32-bit lanes of one vector
// (a category's unit added: its one-hot lane added), converted to doubles for the weights
// directly, and the empty categories are a bit mask taken from that vector. The arithmetic is
// weights_of's and locate_in's, operation for operation. (The locate loop was ~70 % of the
// builder's time; the builder takes 0.80-0.90 of it with this, six in-process A/B runs on Zen 3.)
[[gnu::target("avx2")]] void
locate_window6_avx2(std::size_t first, std::size_t last, std::size_t m,
                    const std::uint8_t* category, const double* affinity, const StreamBatch& batch,
                    std::size_t v0, AttachmentPool::Snapshot& at, Network::Vertex* const* units,
                    AttachmentPool::Location* located, std::size_t* copy_to) {
    __m256i sizes = _mm256_setr_epi32(
        static_cast<std::int32_t>(at.size[0]), static_cast<std::int32_t>(at.size[1]),
        static_cast<std::int32_t>(at.size[2]), static_cast<std::int32_t>(at.size[3]),
        static_cast<std::int32_t>(at.size[4]), static_cast<std::int32_t>(at.size[5]), 0, 0);
    const auto mm = static_cast<std::int32_t>(m);
    for (std::size_t v = first; v < last; ++v) {
        const std::size_t a = category[v];
        const double* row = affinity + 6 * a;
        // weights_of: each category's units times its affinity, summed in category order.
        const __m256d low =
            _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(sizes)), _mm256_loadu_pd(row));
        const __m128d high =
            _mm_mul_pd(_mm_cvtepi32_pd(_mm256_extracti128_si256(sizes, 1)), _mm_loadu_pd(row + 4));
        alignas(32) double w[6];
        _mm256_store_pd(w, low);
        _mm_store_pd(w + 4, high);
        alignas(32) std::uint32_t size[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(size), sizes);
        // Non-empty categories, bit c for category c (lanes 6 and 7 are always empty).
        const auto nonempty = static_cast<std::uint32_t>(
            ~_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(sizes, __m256i{}))) & 0x3F);
        double total = 0.0;
        for (std::size_t c = 0; c < 6; ++c) {
            total += w[c];
        }
        if (!(total > 0.0)) { // as weights_of: the sizes alone (the builder always has units)
            std::uint64_t all = 0;
            for (std::size_t c = 0; c < 6; ++c) {
                w[c] = static_cast<double>(size[c]);
                all += size[c];
            }
            total = static_cast<double>(all);
        }
        AttachmentPool::Location* l = located + (v - first) * m;
        for (std::size_t j = 0; j < m; ++j) {
            const std::uint32_t* b = batch.block(static_cast<std::uint16_t>(j)) + 4 * (v - v0);
            const std::uint64_t word0 = (std::uint64_t{b[0]} << 32) | b[1];
            const std::uint64_t word1 = (std::uint64_t{b[2]} << 32) | b[3];
            // locate_in: the first non-empty category whose weight the point falls below, the
            // last one at the top end.
            double x = u01_open(word0) * total;
            std::uint32_t below = 0;
            for (std::size_t c = 0; c + 1 < 6; ++c) {
                below |= static_cast<std::uint32_t>(!(x >= w[c])) << c;
                x -= w[c];
            }
            auto c = static_cast<std::size_t>(std::countr_zero((below & nonempty) | 0x20U));
            if ((nonempty >> c & 1U) == 0) {
                c = static_cast<std::size_t>(std::bit_width(nonempty & ((1U << c) - 1U)) - 1);
            }
            l[j] = {c, index_below(word1, size[c])};
        }
        // The vertex's own units and its picks' copies, in grow_by_category's order (own, copy,
        // own, copy, ...): each at its list's size plus the units this vertex has already put
        // there, counted in 8-bit fields of a register (m <= 8: at most 16 a list). Counted up
        // in the array instead, each place was a load waiting on the store just before it: 40 %
        // of this loop's time; now 0.86-0.92 of the loop's time (in-process A/B, Zen 3).
        std::size_t* to = copy_to + (v - first) * m;
        __m256i added = _mm256_mullo_epi32(
            _mm256_load_si256(reinterpret_cast<const __m256i*>(ONE_HOT_LANES[a])),
            _mm256_set1_epi32(mm));
        Network::Vertex* const own = units[a] + size[a];
        std::uint64_t taken = 0;
        for (std::size_t j = 0; j < m; ++j) {
            const std::size_t c = l[j].category;
            own[taken >> (8 * a) & 0xFF] = static_cast<Network::Vertex>(v);
            taken += std::uint64_t{1} << (8 * a);
            to[j] = size[c] + (taken >> (8 * c) & 0xFF);
            taken += std::uint64_t{1} << (8 * c);
            added = _mm256_add_epi32(
                added, _mm256_load_si256(reinterpret_cast<const __m256i*>(ONE_HOT_LANES[c])));
        }
        sizes = _mm256_add_epi32(sizes, added);
    }
    alignas(32) std::uint32_t size[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(size), sizes);
    for (std::size_t c = 0; c < 6; ++c) {
        at.size[c] = size[c];
    }
}

// Preferential attachment with homophily for vertices core .. n - 1: vertex v's draws are an
// AttachmentPool's (its category weights, then locate, one Philox block a draw) against the list
// sizes when v arrives, on the builder's own lists `units` (room for every unit in each), whose
// sizes it keeps in `at`: no vector to reload and check for every unit added. K = k fixed at
// compile time (0: k known at run time only) unrolls the scans over the categories.
//
// Where a draw lands depends only on the list sizes, and the sizes only on the categories of the
// picks (a unit of category c is a vertex of category c), not on which vertices they are: the
// vertex a draw picks matters only when it repeats an earlier pick of the same vertex, which
// then draws again. So the builder works in windows of WINDOW vertices: it first locates every
// draw of the window as if no vertex repeated a pick (arithmetic only), then reads the picked
// units, whose cache misses now overlap instead of each stalling the next vertex's arithmetic.
// A vertex that did repeat a pick is rare: the sizes are wound back to before it, it draws
// again in full, and the next window starts after it. The same draws, the same network.
// (Compiled with CANOPY_SCHEDULE_FOR_PRESSURE: 0.88-0.98 of the time, mean ~0.95, in five
// in-process A/B runs on Zen 3.)
template <std::size_t K>
CANOPY_SCHEDULE_FOR_PRESSURE void
grow_by_category(std::size_t k, std::size_t n, std::size_t m, std::size_t core,
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
    constexpr std::size_t WINDOW = 32;
    const auto prefilled = static_cast<std::uint16_t>(std::min<std::size_t>(m, 8));
    const auto words_of = [&](const StreamBatch& batch, std::size_t v0, std::size_t v,
                              std::uint16_t d) {
        if (d < prefilled) {
            const std::uint32_t* b = batch.block(d) + 4 * (v - v0);
            return Block{b[0], b[1], b[2], b[3]};
        }
        return key.block(static_cast<std::uint32_t>(v), 0, purpose, d);
    };
    const auto locate = [&](const AttachmentPool::Weights& w, const Block& words) {
        return AttachmentPool::locate_in<K>(k, at, w, (std::uint64_t{words[0]} << 32) | words[1],
                                            (std::uint64_t{words[2]} << 32) | words[3]);
    };
    // One vertex's draws made one at a time, each checked against the picks before it: for a
    // vertex whose first m draws did not all pick different vertices.
    PickBuffer<Network::Vertex> chosen(m);
    Network::Vertex* picks = chosen.data();
    PickBuffer<std::size_t> chosen_category(m);
    std::size_t* pick_category = chosen_category.data();
    const auto grow_one = [&](const StreamBatch& batch, std::size_t v0, std::size_t v) {
        const std::size_t a = category[v];
        const AttachmentPool::Weights w =
            AttachmentPool::weights_of<K>(k, at, affinity.subspan(a * k, k));
        std::size_t got = 0;
        for (std::uint16_t d = 0; got < m; ++d) {
            const AttachmentPool::Location l = locate(w, words_of(batch, v0, v, d));
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
    };
    // A window's draws, located ahead (where each unit is read from, and where its copy goes).
    std::vector<AttachmentPool::Location> located(WINDOW * m);
    std::vector<std::size_t> copy_to(WINDOW * m);
    // Vertices located ahead: WINDOW, down to one after a repeat (the work located after it is
    // done again), doubling back after each window without one.
    std::size_t window = WINDOW;
    StreamBatch batch;
    // The AVX2 locate loop: six categories, every draw's words prefilled, sizes in 32-bit lanes.
    const bool avx2 = K == 6 && m <= 8 && 2 * n * m < (std::size_t{1} << 31) &&
                      builder_avx2_allowed.load(std::memory_order_relaxed) && have_avx2();
    for (std::size_t v0 = core; v0 < n; v0 += BATCH) {
        const std::size_t count = std::min(BATCH, n - v0);
        batch.fill(key, static_cast<std::uint32_t>(v0), 0, purpose, count, prefilled);
        std::size_t first = v0;
        while (first < v0 + count) {
            if (window == 1) { // repeats are frequent here: no vertex located ahead
                grow_one(batch, v0, first++);
                window = 2;
                continue;
            }
            const std::size_t last = std::min(first + window, v0 + count);
            const AttachmentPool::Snapshot window_start = at;
            if (avx2) {
                locate_window6_avx2(first, last, m, category.data(), affinity.data(), batch, v0, at,
                                    units, located.data(), copy_to.data());
            }
            // Locate: each vertex's first m draws against the sizes the window's vertices before
            // it leave if none of them repeats a pick; its own units are written now.
            for (std::size_t v = avx2 ? last : first; v < last; ++v) {
                const std::size_t a = category[v];
                const AttachmentPool::Weights w =
                    AttachmentPool::weights_of<K>(k, at, affinity.subspan(a * k, k));
                AttachmentPool::Location* l = located.data() + (v - first) * m;
                std::size_t* to = copy_to.data() + (v - first) * m;
                for (std::uint16_t j = 0; j < m; ++j) {
                    l[j] = locate(w, words_of(batch, v0, v, j));
                }
                for (std::size_t j = 0; j < m; ++j) {
                    units[a][at.size[a]++] = static_cast<Network::Vertex>(v);
                    to[j] = at.size[l[j].category]++;
                }
            }
            // Read: the picked units, in vertex order (a unit an earlier vertex of the window
            // added is written before a later one can read it).
            std::size_t v = first;
            for (; v < last; ++v) {
                const AttachmentPool::Location* l = located.data() + (v - first) * m;
                const std::size_t* to = copy_to.data() + (v - first) * m;
                Network::Vertex* own = elders + (v - core) * m;
                std::size_t j = 0;
                for (; j < m; ++j) {
                    const Network::Vertex u = units[l[j].category][l[j].index];
                    if (std::find(own, own + j, u) != own + j) {
                        break;
                    }
                    own[j] = u;
                }
                if (j < m) {
                    break;
                }
                for (j = 0; j < m; ++j) {
                    units[l[j].category][to[j]] = own[j];
                }
            }
            if (v < last) {
                // v repeated a pick: the sizes as the vertices before it left them, then v in full.
                at = window_start;
                for (std::size_t b = first; b < v; ++b) {
                    const AttachmentPool::Location* l = located.data() + (b - first) * m;
                    at.size[category[b]] += m;
                    for (std::size_t j = 0; j < m; ++j) {
                        ++at.size[l[j].category];
                    }
                }
                grow_one(batch, v0, v);
                ++v;
                window = 1;
            } else {
                window = std::min(2 * window, WINDOW);
            }
            first = v;
        }
    }
}

} // namespace

namespace detail {
void allow_builder_avx2(bool allowed) noexcept {
    builder_avx2_allowed.store(allowed, std::memory_order_relaxed);
}
} // namespace detail

Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key,
                        Purpose purpose) {
    const std::size_t n = options.vertices;
    const std::size_t m = options.edges_per_vertex;
    if (m == 0) {
        throw Error("barabasi_albert: edges_per_vertex must be at least 1");
    }
    // A vertex's draws are numbered by the 16-bit block index of its stream; far fewer than
    // 2^16 draws must be able to find m different elders.
    if (m > MAX_EDGES_PER_VERTEX) {
        throw Error("barabasi_albert: edges_per_vertex must be at most " +
                    std::to_string(MAX_EDGES_PER_VERTEX) + ", not " + std::to_string(m));
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
