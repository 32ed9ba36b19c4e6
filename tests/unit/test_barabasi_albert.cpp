// The seeded Barabási–Albert generator: size, simplicity, determinism, connectivity and the
// degree distribution.
#include <canopy/engine/attachment.hpp>
#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/network_algorithms.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace canopy::engine;
using Vertex = Network::Vertex;

namespace {

constexpr Purpose BA_PURPOSE = 902;

bool same_network(const Network& a, const Network& b) {
    return std::equal(a.offsets().begin(), a.offsets().end(), b.offsets().begin(),
                      b.offsets().end()) &&
           std::equal(a.targets().begin(), a.targets().end(), b.targets().begin(),
                      b.targets().end());
}

/// The n = 200,000, m = 3 network the distribution tests share (built once, ~20 ms).
const Network& large_network() {
    static const Network g = barabasi_albert({200'000, 3, 0}, RandomKey{2024, 0}, BA_PURPOSE);
    return g;
}

/// Every vertex's list: no loop, no repeated neighbour, and min(v, m) elders (the links v made).
void check_simple(const Network& g, unsigned m) {
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        std::vector<Vertex> list;
        g.for_each_neighbour(v, [&](Vertex u) { list.push_back(u); });
        std::sort(list.begin(), list.end());
        CHECK(std::find(list.begin(), list.end(), v) == list.end());
        CHECK(std::adjacent_find(list.begin(), list.end()) == list.end());
        const auto elders =
            std::count_if(list.begin(), list.end(), [&](Vertex u) { return u < v; });
        CHECK(static_cast<std::size_t>(elders) == std::min<std::size_t>(v, m));
    }
}

} // namespace

TEST_CASE("A BA network has n vertices and C(m+1, 2) + (n - m - 1) m edges", "[barabasi_albert]") {
    for (const unsigned m : {1u, 2u, 3u, 5u}) {
        for (const std::size_t n : {std::size_t{m} + 1, std::size_t{m} + 2, std::size_t{1000}}) {
            const Network g = barabasi_albert({n, m, 0}, RandomKey{1, 0}, BA_PURPOSE);
            CHECK(g.num_vertices() == n);
            CHECK(g.num_edges() == std::size_t{m} * (m + 1) / 2 + (n - m - 1) * m);
            CHECK(g.overflow_entries() == 0);
        }
    }
    // Fewer than m + 1 vertices: just the seed clique.
    const Network small = barabasi_albert({3, 5, 0}, RandomKey{1, 0}, BA_PURPOSE);
    CHECK(small.num_vertices() == 3);
    CHECK(small.num_edges() == 3);
    CHECK(barabasi_albert({0, 3, 0}, RandomKey{1, 0}, BA_PURPOSE).num_vertices() == 0);
    CHECK_THROWS_AS(barabasi_albert({10, 0, 0}, RandomKey{1, 0}, BA_PURPOSE), canopy::Error);
}

TEST_CASE("A BA network is simple: no loops, each new vertex links to m distinct elders",
          "[barabasi_albert]") {
    constexpr unsigned m = 4;
    check_simple(barabasi_albert({3000, m, 0}, RandomKey{5, 0}, BA_PURPOSE), m);
}

TEST_CASE("A BA network is a pure function of (seed, replicate, purpose)", "[barabasi_albert]") {
    const BarabasiAlbertOptions options{5000, 3, 0};
    const Network a = barabasi_albert(options, RandomKey{77, 1}, BA_PURPOSE);
    CHECK(same_network(a, barabasi_albert(options, RandomKey{77, 1}, BA_PURPOSE)));
    CHECK_FALSE(same_network(a, barabasi_albert(options, RandomKey{78, 1}, BA_PURPOSE)));
    CHECK_FALSE(same_network(a, barabasi_albert(options, RandomKey{77, 2}, BA_PURPOSE)));
    CHECK_FALSE(same_network(a, barabasi_albert(options, RandomKey{77, 1}, BA_PURPOSE + 1)));
    // Reserving room for births changes capacity, not the network.
    CHECK(same_network(a, barabasi_albert({5000, 3, 1000}, RandomKey{77, 1}, BA_PURPOSE)));
}

TEST_CASE("A BA network is connected", "[barabasi_albert]") {
    for (const unsigned m : {1u, 3u}) {
        const Network g = barabasi_albert({5000, m, 0}, RandomKey{9, 0}, BA_PURPOSE);
        CHECK(connected_component_count(g) == 1);
    }
}

TEST_CASE("A BA network has mean degree 2m and a power-law tail with exponent near 3",
          "[barabasi_albert]") {
    const Network& g = large_network();
    const std::size_t n = g.num_vertices();
    constexpr unsigned m = 3;
    // 2E/n = 2m - m(m+1)/n exactly: the seed clique has fewer edges than m per vertex.
    double degree_sum = 0.0;
    for (Vertex v = 0; v < n; ++v) {
        degree_sum += g.degree(v);
    }
    CHECK(degree_sum / static_cast<double>(n) ==
          Approx(2.0 * m - m * (m + 1.0) / static_cast<double>(n)).epsilon(1e-12));

    // Discrete power-law maximum-likelihood estimate over degrees >= KMIN (Clauset, Shalizi &
    // Newman 2009, eq. 3.7): alpha = 1 + N / sum ln(k / (KMIN - 1/2)).
    constexpr unsigned KMIN = 10;
    double log_sum = 0.0;
    std::size_t tail = 0;
    for (Vertex v = 0; v < n; ++v) {
        const double k = g.degree(v);
        if (k >= KMIN) {
            log_sum += std::log(k / (KMIN - 0.5));
            ++tail;
        }
    }
    const double alpha = 1.0 + static_cast<double>(tail) / log_sum;

    // What the estimator converges to under BA's exact stationary distribution
    // P(k) = 2m(m+1) / (k(k+1)(k+2)) (Dorogovtsev, Mendes & Samukhin 2000; Bollobás et al.
    // 2001): a k^-3 tail whose finite-k corrections pull the estimate at KMIN = 10 to ~2.87.
    // Truncating the sums at 10^5 drops terms below 10^-9.
    double weight = 0.0;
    double weighted_log = 0.0;
    for (double k = KMIN; k < 1e5; k += 1.0) {
        const double p = 1.0 / (k * (k + 1.0) * (k + 2.0));
        weight += p;
        weighted_log += p * std::log(k / (KMIN - 0.5));
    }
    const double alpha_expected = 1.0 + weight / weighted_log;
    REQUIRE(alpha_expected > 2.5);
    REQUIRE(alpha_expected < 3.5);

    // The estimator's standard error is (alpha - 1) / sqrt(N) (Clauset et al., eq. 3.2); about
    // 22,000 vertices have degree >= 10, so sigma ~ 0.013 and 5 sigma ~ 0.063. A generator that
    // attached uniformly (exponential degrees) would land far outside.
    const double sigma = (alpha_expected - 1.0) / std::sqrt(static_cast<double>(tail));
    CHECK(tail > 15'000);
    CHECK(std::abs(alpha - alpha_expected) < 5.0 * sigma);
    CHECK(alpha > 2.5);
    CHECK(alpha < 3.5);
}

TEST_CASE("The oldest BA vertices have the largest degrees", "[barabasi_albert]") {
    const Network& g = large_network();
    const std::size_t n = g.num_vertices();
    constexpr double m = 3.0;
    // Mean-field: vertex i ends with expected degree ~ m sqrt(n / i) (Barabási & Albert 1999).
    // Age bins [4^j, 4^(j+1)) halve the expectation from one bin to the next. The degree of a
    // vertex of given age has a coefficient of variation of about 0.55 (measured over these
    // bins), and the smallest bin used ([16, 64)) holds 48 vertices, so a bin mean has a
    // relative standard error <= 0.55 / sqrt(48) ~ 0.08: a factor of two between neighbouring
    // bins cannot be reversed by noise, and [0.7, 1.4] x the mean-field value is >= 3.75 sigma.
    std::vector<double> bin_mean;
    for (std::size_t lo = 16; lo < n; lo *= 4) {
        const std::size_t hi = std::min(4 * lo, n);
        double sum = 0.0;
        double expected = 0.0;
        for (std::size_t i = lo; i < hi; ++i) {
            sum += g.degree(static_cast<Vertex>(i));
            expected += m * std::sqrt(static_cast<double>(n) / static_cast<double>(i));
        }
        const double mean = sum / static_cast<double>(hi - lo);
        const double mean_field = expected / static_cast<double>(hi - lo);
        CHECK(mean > 0.7 * mean_field);
        CHECK(mean < 1.4 * mean_field);
        bin_mean.push_back(mean);
    }
    REQUIRE(bin_mean.size() >= 6);
    for (std::size_t j = 1; j < bin_mean.size(); ++j) {
        CHECK(bin_mean[j] < bin_mean[j - 1]);
    }
    // And the single best-connected vertex is one of the first hundred.
    Vertex hub = 0;
    for (Vertex v = 1; v < n; ++v) {
        if (g.degree(v) > g.degree(hub)) {
            hub = v;
        }
    }
    CHECK(hub < 100);
}

TEST_CASE("Category affinity biases attachment (homophily)", "[barabasi_albert]") {
    // Two categories by parity; a newcomer's affinity is 1 to its own category and 0.1 to the
    // other, so among its links the same-category share is deg_same / (deg_same + 0.1 deg_other)
    // ~ 1 / 1.1 = 0.909 (both categories hold about half the degree). Without the bias it is
    // ~0.5. With 60,000 links the standard error is ~0.001.
    using canopy::engine::BarabasiAlbertOptions;
    using canopy::engine::Network;
    std::vector<std::uint8_t> parity(20000);
    for (std::size_t v = 0; v < parity.size(); ++v) {
        parity[v] = static_cast<std::uint8_t>(v % 2);
    }
    const std::vector<double> affinity = {1.0, 0.1, 0.1, 1.0};
    BarabasiAlbertOptions o;
    o.vertices = parity.size();
    o.edges_per_vertex = 3;
    o.category = parity;
    o.affinity = affinity;
    const Network g = canopy::engine::barabasi_albert(o, {7, 0}, 1);
    std::size_t same = 0;
    std::size_t total = 0;
    for (Network::Vertex v = 4; v < g.num_vertices(); ++v) {
        g.for_each_neighbour(v, [&](Network::Vertex u) {
            if (u < v) {
                ++total;
                same += (u % 2) == (v % 2) ? 1U : 0U;
            }
        });
    }
    const double share = static_cast<double>(same) / static_cast<double>(total);
    CHECK(share == Approx(1.0 / 1.1).margin(0.01));
    // Each new vertex still makes exactly m distinct links.
    CHECK(g.num_edges() == 6 + (parity.size() - 4) * 3);
}

namespace {

// The categorised builder written plainly on the AttachmentPool's own draws: vertex v draws with
// its stream (block d for draw d) against the pool as the vertices before it left it, until it
// has m different picks, then adds one unit of itself and one of each pick, pick by pick.
Network plain_growth(const BarabasiAlbertOptions& o, const RandomKey& key, Purpose purpose) {
    const std::size_t n = o.vertices;
    const std::size_t m = o.edges_per_vertex;
    const auto k = static_cast<std::size_t>(std::llround(std::sqrt(o.affinity.size())));
    REQUIRE(k * k == o.affinity.size());
    const std::size_t core = std::min(n, m + 1);
    AttachmentPool pool(k);
    std::vector<Vertex> seed;
    for (std::size_t a = 0; a < core; ++a) {
        for (std::size_t b = a + 1; b < core; ++b) {
            seed.push_back(static_cast<Vertex>(a));
            seed.push_back(static_cast<Vertex>(b));
        }
    }
    for (const Vertex v : seed) {
        pool.add(v, o.category[v]);
    }
    std::vector<Vertex> elders;
    for (std::size_t v = core; v < n; ++v) {
        const AttachmentPool::Snapshot at = pool.snapshot();
        Stream rng(key, static_cast<std::uint32_t>(v), 0, purpose);
        const auto affinity = o.affinity.subspan(o.category[v] * k, k);
        std::vector<Vertex> picks;
        while (picks.size() < m) {
            const Vertex u = pool.draw(at, affinity, rng);
            if (std::find(picks.begin(), picks.end(), u) == picks.end()) {
                picks.push_back(u);
            }
        }
        for (const Vertex u : picks) {
            pool.add(static_cast<Vertex>(v), o.category[v]);
            pool.add(u, o.category[u]);
            elders.push_back(u);
        }
    }
    return Network::from_growth(n, seed, core, elders);
}

} // namespace

TEST_CASE("The categorised builder makes the network of the plain draw-by-draw process",
          "[barabasi_albert]") {
    // The builder locates a window of vertices' draws before reading their picks and winds back
    // when a vertex repeats a pick; strong homophily towards small categories and large m make
    // repeats frequent, n = 5,000 with weak homophily makes them rare.
    struct Case {
        std::size_t n;
        unsigned m;
        std::size_t k;
        double other; // affinity to another category
    };
    // Six categories take an AVX2 loop on CPUs with AVX2 (detail::allow_builder_avx2): both
    // loops are checked. With no affinity across categories (m = 1: a category of one vertex
    // must do), a vertex whose category has no units yet weighs the others by their units alone,
    // and empty categories are passed over.
    struct Restore {
        ~Restore() { canopy::engine::detail::allow_builder_avx2(true); }
    } restore;
    for (const bool avx2 : {true, false}) {
        for (const Case c : {Case{5000, 3, 6, 0.25}, Case{3000, 1, 2, 0.5}, Case{600, 5, 6, 0.001},
                             Case{400, 12, 2, 0.01}, Case{300, 70, 6, 0.5}, Case{6, 3, 6, 0.25},
                             Case{2000, 2, 1, 1.0}, Case{800, 1, 6, 0.0}, Case{1500, 8, 6, 0.1}}) {
            canopy::engine::detail::allow_builder_avx2(avx2);
            CAPTURE(avx2, c.n, c.m, c.k, c.other);
            std::vector<std::uint8_t> category(c.n);
            for (std::size_t v = 0; v < c.n; ++v) {
                // Category 0 holds about half the vertices, the others share the rest.
                const Block b = RandomKey{5, 0}.block(static_cast<std::uint32_t>(v), 0, 1, 0);
                category[v] = b[0] % 2 == 0 || c.k == 1
                                  ? std::uint8_t{0}
                                  : static_cast<std::uint8_t>(1 + b[1] % (c.k - 1));
            }
            std::vector<double> affinity(c.k * c.k);
            for (std::size_t a = 0; a < c.k; ++a) {
                for (std::size_t b = 0; b < c.k; ++b) {
                    affinity[a * c.k + b] = a == b ? 1.0 : c.other;
                }
            }
            BarabasiAlbertOptions o{c.n, c.m, 0};
            o.category = category;
            o.affinity = affinity;
            for (std::uint32_t replicate = 0; replicate < 3; ++replicate) {
                const RandomKey key{31, replicate};
                CHECK(same_network(barabasi_albert(o, key, BA_PURPOSE),
                                   plain_growth(o, key, BA_PURPOSE)));
            }
        }
    }
}

TEST_CASE("Categories must fit the affinity matrix", "[barabasi_albert]") {
    using canopy::engine::BarabasiAlbertOptions;
    std::vector<std::uint8_t> cats = {0, 1, 2, 0, 1};
    const std::vector<double> affinity = {1.0, 0.5, 0.5, 1.0}; // 2 categories
    BarabasiAlbertOptions o;
    o.vertices = cats.size();
    o.category = cats;
    o.affinity = affinity;
    CHECK_THROWS_AS(canopy::engine::barabasi_albert(o, {1, 0}, 1), canopy::Error);
    // m at most MAX_EDGES_PER_VERTEX: a vertex's draws are numbered in 16 bits.
    CHECK_THROWS_AS(barabasi_albert({3000, MAX_EDGES_PER_VERTEX + 1, 0}, RandomKey{1, 0}, 1),
                    canopy::Error);
    CHECK_NOTHROW(barabasi_albert({10, MAX_EDGES_PER_VERTEX, 0}, RandomKey{1, 0}, 1));
    const std::vector<double> not_square = {1.0, 0.5, 0.5};
    o.affinity = not_square;
    CHECK_THROWS_AS(canopy::engine::barabasi_albert(o, {1, 0}, 1), canopy::Error);
}

TEST_CASE("More than 64 links per vertex: each new vertex still links to m distinct elders",
          "[barabasi_albert]") {
    // A vertex's picks live on the stack up to m = 64 and on the heap beyond; both builders
    // (with and without categories) must give simple networks of the right size there too.
    constexpr unsigned m = 70;
    constexpr std::size_t n = 400;
    std::vector<std::uint8_t> parity(n);
    for (std::size_t v = 0; v < n; ++v) {
        parity[v] = static_cast<std::uint8_t>(v % 2);
    }
    const std::vector<double> affinity = {1.0, 0.5, 0.5, 1.0};
    BarabasiAlbertOptions with_categories{n, m, 0};
    with_categories.category = parity;
    with_categories.affinity = affinity;
    for (const BarabasiAlbertOptions& o : {BarabasiAlbertOptions{n, m, 0}, with_categories}) {
        const Network g = barabasi_albert(o, RandomKey{9, 0}, BA_PURPOSE);
        CHECK(g.num_edges() == std::size_t{m} * (m + 1) / 2 + (n - m - 1) * m);
        check_simple(g, m);
    }
}
