// The growable CSR network, its Boost.Graph adapter and the BGL-based algorithms.
#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/network.hpp>
#include <canopy/engine/network_algorithms.hpp>
#include <canopy/engine/network_boost.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/random.hpp>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/graph_concepts.hpp>
#include <boost/graph/visitors.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mutex>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

using namespace canopy::engine;
using Vertex = Network::Vertex;

BOOST_CONCEPT_ASSERT((boost::VertexListGraphConcept<Network>));
BOOST_CONCEPT_ASSERT((boost::IncidenceGraphConcept<Network>));
BOOST_CONCEPT_ASSERT((boost::AdjacencyGraphConcept<Network>));
static_assert(std::forward_iterator<Network::NeighbourIterator>);
static_assert(
    std::is_same_v<boost::graph_traits<Network>::directed_category, boost::undirected_tag>);
static_assert(std::is_same_v<boost::graph_traits<Network>::edge_parallel_category,
                             boost::allow_parallel_edge_tag>);

namespace {

constexpr Purpose TEST_PURPOSE = 901;

/// v's neighbours in for_each_neighbour's order.
std::vector<Vertex> neighbours(const Network& g, Vertex v) {
    std::vector<Vertex> out;
    g.for_each_neighbour(v, [&](Vertex u) { out.push_back(u); });
    return out;
}

std::vector<Vertex> sorted_neighbours(const Network& g, Vertex v) {
    auto out = neighbours(g, v);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::vector<Vertex>> sorted_adjacency(const Network& g) {
    std::vector<std::vector<Vertex>> out;
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        out.push_back(sorted_neighbours(g, v));
    }
    return out;
}

/// A BA network grown by `births` vertices through add_vertex, so that older vertices carry
/// overflow entries: each birth links to up to three degree-proportional picks (repeats kept, so
/// there are parallel edges), and every tenth birth is isolated.
Network grown_network(std::size_t initial, std::size_t births, std::uint64_t seed) {
    const RandomKey key{seed, 0};
    Network g = barabasi_albert({initial, 3, births}, key, TEST_PURPOSE);
    for (std::size_t b = 0; b < births; ++b) {
        Stream rng(key, static_cast<std::uint32_t>(g.num_vertices()), 1, TEST_PURPOSE);
        const auto snap = g.snapshot();
        std::vector<Vertex> picks;
        if (b % 10 != 9) {
            for (int j = 0; j < 3; ++j) {
                picks.push_back(g.entry(snap, index_below(rng.next_u64(), snap.size())));
            }
        }
        g.add_vertex(picks);
    }
    return g;
}

/// A uniformly random permutation of 0..n-1 (Fisher–Yates on a counter-based stream).
std::vector<std::uint32_t> random_permutation(std::size_t n, std::uint64_t seed) {
    std::vector<std::uint32_t> perm(n);
    for (std::size_t i = 0; i < n; ++i) {
        perm[i] = static_cast<std::uint32_t>(i);
    }
    Stream rng(RandomKey{seed, 0}, 0, 0, TEST_PURPOSE);
    for (std::size_t i = n; i > 1; --i) {
        std::swap(perm[i - 1], perm[index_below(rng.next_u64(), i)]);
    }
    return perm;
}

/// max |label[u] - label[v]| and the sum of |label[u] - label[v]| over stored edge ends.
std::pair<std::uint64_t, std::uint64_t> bandwidth_and_span(const Network& g) {
    std::uint64_t band = 0;
    std::uint64_t span = 0;
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        g.for_each_neighbour(v, [&](Vertex u) {
            const std::uint64_t d = u > v ? u - v : v - u;
            band = std::max(band, d);
            span += d;
        });
    }
    return {band, span};
}

/// The envelope (profile) of the adjacency matrix: sum over rows v of v minus the smallest
/// neighbour label below v (0 for a row with none).
std::uint64_t envelope(const Network& g) {
    std::uint64_t total = 0;
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        Vertex first = v;
        g.for_each_neighbour(v, [&](Vertex u) { first = std::min(first, u); });
        total += v - first;
    }
    return total;
}

} // namespace

TEST_CASE("from_edges stores every edge at both ends, parallel edges and loops included",
          "[network]") {
    // 0-1 twice, 1-2, a loop at 2, 3-0; vertex 4 isolated.
    const std::vector<Vertex> endpoints = {0, 1, 1, 0, 1, 2, 2, 2, 3, 0};
    const Network g = Network::from_edges(5, endpoints);
    CHECK(g.num_vertices() == 5);
    CHECK(g.num_edges() == 5);
    CHECK(g.overflow_entries() == 0);
    CHECK(sorted_neighbours(g, 0) == std::vector<Vertex>{1, 1, 3});
    CHECK(sorted_neighbours(g, 1) == std::vector<Vertex>{0, 0, 2});
    // The loop appears twice in 2's list and adds 2 to its degree.
    CHECK(sorted_neighbours(g, 2) == std::vector<Vertex>{1, 2, 2});
    CHECK(sorted_neighbours(g, 3) == std::vector<Vertex>{0});
    CHECK(sorted_neighbours(g, 4).empty());
    const std::vector<std::uint32_t> degrees = {3, 3, 3, 1, 0};
    for (Vertex v = 0; v < 5; ++v) {
        CHECK(g.degree(v) == degrees[v]);
    }
    // Pure CSR: offsets delimit the slices.
    CHECK(std::vector<std::uint32_t>(g.offsets().begin(), g.offsets().end()) ==
          std::vector<std::uint32_t>{0, 3, 6, 9, 10, 10});

    const Network empty = Network::from_edges(0, {});
    CHECK(empty.num_vertices() == 0);
    CHECK(empty.num_edges() == 0);
    CHECK(Network().num_vertices() == 0);
}

TEST_CASE("from_growth builds, entry for entry, the network from_edges builds from the same list",
          "[network]") {
    // Seed edges among the first vertices (a loop and a parallel edge among them), then each
    // later vertex linked to m random elders, repeats allowed: every order of writes matters.
    for (const std::size_t m : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
        for (const std::size_t first : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
            const std::size_t n = first + 400;
            std::vector<Vertex> seed;
            if (first >= 3) {
                seed = {0, 1, 1, 2, 2, 2, 0, 1, 4, 3};
            }
            if (first > 0 || m == 0) {
                Stream rng(RandomKey{31, static_cast<std::uint32_t>(m)}, 0, 0, TEST_PURPOSE);
                std::vector<Vertex> elders;
                for (std::size_t v = first; v < n; ++v) {
                    for (std::size_t j = 0; j < m; ++j) {
                        elders.push_back(static_cast<Vertex>(index_below(rng.next_u64(), v)));
                    }
                }
                std::vector<Vertex> endpoints = seed;
                for (std::size_t v = first; v < n; ++v) {
                    for (std::size_t j = 0; j < m; ++j) {
                        endpoints.push_back(static_cast<Vertex>(v));
                        endpoints.push_back(elders[(v - first) * m + j]);
                    }
                }
                const Network a = Network::from_edges(n, endpoints, 10, 30);
                const Network b = Network::from_growth(n, seed, first, elders, 10, 30);
                CHECK(b.num_vertices() == n);
                CHECK(b.num_edges() == a.num_edges());
                CHECK(b.overflow_entries() == 0);
                CHECK(std::ranges::equal(a.offsets(), b.offsets()));
                CHECK(std::ranges::equal(a.targets(), b.targets()));
            }
        }
    }
    // Nothing grown: the seed alone, or nothing at all.
    const std::vector<Vertex> triangle = {0, 1, 1, 2, 2, 0};
    CHECK(std::ranges::equal(Network::from_growth(3, triangle, 3, {}).targets(),
                             Network::from_edges(3, triangle).targets()));
    CHECK(Network::from_growth(0, {}, 0, {}).num_vertices() == 0);
    // It grows like any network afterwards.
    const std::vector<Vertex> elders = {0, 1, 0, 2};
    Network g = Network::from_growth(4, std::span<const Vertex>(triangle).first(2), 2, elders);
    const std::vector<Vertex> links = {3, 1};
    g.add_vertex(links);
    CHECK(sorted_neighbours(g, 1) == std::vector<Vertex>{0, 2, 4});
    CHECK(sorted_neighbours(g, 3) == std::vector<Vertex>{0, 2, 4});
}

TEST_CASE("from_growth rejects what is not a growth process", "[network]") {
    const std::vector<Vertex> seed = {0, 1};
    const std::vector<Vertex> odd = {0, 1, 1};
    const std::vector<Vertex> elders = {0, 1, 2, 0};
    CHECK_NOTHROW(Network::from_growth(4, seed, 2, elders));
    CHECK_THROWS_AS(Network::from_growth(4, odd, 2, elders), canopy::Error);
    const std::vector<Vertex> seed_beyond = {0, 2};
    CHECK_THROWS_AS(Network::from_growth(4, seed_beyond, 2, elders), canopy::Error);
    CHECK_THROWS_AS(Network::from_growth(1, seed, 2, {}), canopy::Error);
    const std::vector<Vertex> ragged = {0, 1, 2};
    CHECK_THROWS_AS(Network::from_growth(4, seed, 2, ragged), canopy::Error);
    CHECK_THROWS_AS(Network::from_growth(2, seed, 2, elders), canopy::Error);
    const std::vector<Vertex> self = {0, 2, 2, 0}; // vertex 2 links to itself
    CHECK_THROWS_AS(Network::from_growth(4, seed, 2, self), canopy::Error);
    const std::vector<Vertex> future = {3, 1, 2, 0}; // vertex 2 links to 3
    CHECK_THROWS_AS(Network::from_growth(4, seed, 2, future), canopy::Error);
}

TEST_CASE("add_vertex appends a vertex and the reverse entries to older vertices", "[network]") {
    const std::vector<Vertex> endpoints = {0, 1, 1, 2};
    Network g = Network::from_edges(3, endpoints);
    const std::vector<Vertex> first = {0, 2, 2};
    CHECK(g.add_vertex(first) == 3);
    CHECK(g.add_vertex(std::vector<Vertex>{}) == 4);
    const std::vector<Vertex> second = {3, 0};
    CHECK(g.add_vertex(second) == 5);

    CHECK(g.num_vertices() == 6);
    CHECK(g.num_edges() == 2 + 3 + 2);
    CHECK(g.overflow_entries() == 5);
    CHECK(sorted_neighbours(g, 0) == std::vector<Vertex>{1, 3, 5});
    CHECK(sorted_neighbours(g, 1) == std::vector<Vertex>{0, 2});
    CHECK(sorted_neighbours(g, 2) == std::vector<Vertex>{1, 3, 3});
    CHECK(sorted_neighbours(g, 3) == std::vector<Vertex>{0, 2, 2, 5});
    CHECK(sorted_neighbours(g, 4).empty());
    CHECK(sorted_neighbours(g, 5) == std::vector<Vertex>{0, 3});
    const std::vector<std::uint32_t> degrees = {3, 2, 3, 4, 0, 2};
    for (Vertex v = 0; v < 6; ++v) {
        CHECK(g.degree(v) == degrees[v]);
    }
    // A new vertex's own edges are CSR; only the reverse entries overflow.
    CHECK(g.offsets().size() == 7);
    CHECK(g.offsets()[6] - g.offsets()[5] == 2);
}

TEST_CASE("add_vertices makes exactly add_vertex's network, on any number of threads",
          "[network]") {
    // A scale-free start with overflow entries already, then three batches of newborns linked
    // by degree (repeats kept: parallel edges), some with fewer links than the stride, one
    // with none; the batch's hubs are linked many times, from every part of the vertices.
    constexpr std::size_t STRIDE = 4;
    const Network start = grown_network(5000, 300, 17);
    for (const int threads : {1, 2, 3, 8}) {
        const ThreadLimit limit(threads);
        Network one_by_one = start;
        Network batched = start;
        for (std::uint32_t batch = 0; batch < 3; ++batch) {
            // The middle batch has more new edges than PARALLEL_LINK_EDGES: the parallel form;
            // the others are linked in one pass.
            const std::size_t born = batch == 1 ? 9000 : 700 + 300 * batch;
            const auto snap = one_by_one.snapshot();
            std::vector<Vertex> picks(born * STRIDE, Network::NONE);
            std::vector<std::uint32_t> counts(born);
            Stream rng(RandomKey{5, batch}, 0, 0, TEST_PURPOSE);
            for (std::size_t b = 0; b < born; ++b) {
                counts[b] = static_cast<std::uint32_t>(b % 7 == 6 ? 0 : 1 + b % STRIDE);
                for (std::size_t k = 0; k < counts[b]; ++k) {
                    picks[b * STRIDE + k] =
                        one_by_one.entry(snap, index_below(rng.next_u64(), snap.size()));
                }
            }
            // What each old vertex gains, by part, as the callbacks see it.
            std::vector<std::vector<Vertex>> seen(Network::LINK_PARTS);
            std::vector<std::uint32_t> gained(one_by_one.num_vertices(), 0);
            std::vector<std::uint32_t> expected_gain(one_by_one.num_vertices(), 0);
            std::size_t fetched = 0;
            for (std::size_t b = 0; b < born; ++b) {
                const std::span<const Vertex> own(picks.data() + b * STRIDE, counts[b]);
                one_by_one.add_vertex(own);
                for (const Vertex u : own) {
                    ++expected_gain[u];
                }
            }
            std::mutex fetch_mutex;
            std::atomic<int> wrong_part{0};
            batched.add_vertices(
                picks, STRIDE, counts, Executor(true),
                [&](std::size_t part, Vertex u) {
                    seen[part].push_back(u); // one task per part: no lock needed
                    ++gained[u];
                    wrong_part += static_cast<int>(part != (u >> 4) % Network::LINK_PARTS);
                },
                [&](Vertex) {
                    const std::lock_guard lock(fetch_mutex);
                    ++fetched;
                });
            REQUIRE(batched.num_vertices() == one_by_one.num_vertices());
            CHECK(std::ranges::equal(batched.offsets(), one_by_one.offsets()));
            CHECK(std::ranges::equal(batched.targets(), one_by_one.targets()));
            CHECK(batched.overflow_entries() == one_by_one.overflow_entries());
            const auto all = batched.snapshot();
            bool entries_same = true;
            bool lists_same = true;
            for (std::size_t i = 0; i < all.size(); ++i) {
                entries_same = entries_same && batched.entry(all, i) == one_by_one.entry(all, i);
            }
            for (Vertex v = 0; v < batched.num_vertices(); ++v) {
                lists_same = lists_same && neighbours(batched, v) == neighbours(one_by_one, v);
            }
            CHECK(entries_same);
            CHECK(lists_same); // the overflow lists in the same order
            CHECK(gained == expected_gain);
            // Each part saw only its own vertices, and no vertex is in two parts.
            std::vector<int> part_of(gained.size(), -1);
            bool one_part_each = true;
            for (std::size_t part = 0; part < seen.size(); ++part) {
                for (const Vertex u : seen[part]) {
                    one_part_each =
                        one_part_each && (part_of[u] == -1 || part_of[u] == static_cast<int>(part));
                    part_of[u] = static_cast<int>(part);
                }
            }
            CHECK(one_part_each);
            std::size_t edges = 0;
            for (const auto c : counts) {
                edges += c;
            }
            CHECK(wrong_part.load() == 0); // the documented part: 16-id slices dealt round
            // Every edge's old end fetched ahead, but a part's first few (LINK_AHEAD each), or
            // in one pass the first 16 new vertices' edges.
            CHECK(fetched <= edges);
            CHECK(fetched +
                      (batch == 1 ? Network::LINK_AHEAD * Network::LINK_PARTS : 16 * STRIDE) >=
                  edges);
            CHECK((edges >= Network::PARALLEL_LINK_EDGES) == (batch == 1));
        }
    }
}

TEST_CASE("add_vertices rejects a neighbour that is not an old vertex or a count above the "
          "stride, and changes nothing",
          "[network]") {
    Network g = grown_network(200, 20, 3);
    const Network before = g;
    const auto n = static_cast<Vertex>(g.num_vertices());
    auto nothing = [](std::size_t, Vertex) {};
    auto no_fetch = [](Vertex) {};
    const std::vector<std::uint32_t> two = {2, 2};
    const std::vector<Vertex> to_new = {1, 2, 3, n}; // n would be the first new vertex itself
    CHECK_THROWS_WITH(g.add_vertices(to_new, 2, two, Executor(true), nothing, no_fetch),
                      Catch::Contains("neighbour " + std::to_string(n)) &&
                          Catch::Contains("not an existing vertex"));
    const std::vector<std::uint32_t> three = {3, 1};
    const std::vector<Vertex> fine = {1, 2, 3, 4};
    CHECK_THROWS_WITH(g.add_vertices(fine, 2, three, Executor(true), nothing, no_fetch),
                      Catch::Contains("more than the stride"));
    const std::vector<Vertex> short_list = {1, 2, 3};
    CHECK_THROWS_WITH(g.add_vertices(short_list, 2, two, Executor(true), nothing, no_fetch),
                      Catch::Contains("do not fit"));
    // A stride so large that i * stride would wrap around: still "do not fit".
    const std::vector<std::uint32_t> one_each = {1, 1};
    const std::vector<Vertex> two_lists = {1, 2};
    CHECK_THROWS_WITH(
        g.add_vertices(two_lists, SIZE_MAX / 2 + 2, one_each, Executor(true), nothing, no_fetch),
        Catch::Contains("do not fit"));
    CHECK(std::ranges::equal(g.offsets(), before.offsets()));
    CHECK(std::ranges::equal(g.targets(), before.targets()));
    CHECK(g.overflow_entries() == before.overflow_entries());
    CHECK(g.num_vertices() == before.num_vertices());
    // Isolated newcomers need no lists at all, whatever the stride.
    const std::vector<std::uint32_t> none = {0, 0, 0};
    g.add_vertices({}, 0, none, Executor(true), nothing, no_fetch);
    CHECK(g.num_vertices() == before.num_vertices() + 3);
    CHECK(g.degree(static_cast<Vertex>(before.num_vertices() + 2)) == 0);
}

TEST_CASE("for_each_neighbour, neighbour_range and the BGL iterators agree", "[network]") {
    const Network g = grown_network(400, 200, 11);
    REQUIRE(g.overflow_entries() > 0);
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        const auto expected = neighbours(g, v);
        const auto range = g.neighbour_range(v);
        CHECK(std::vector<Vertex>(range.begin(), range.end()) == expected);

        const auto [a, a_end] = adjacent_vertices(v, g);
        CHECK(std::vector<Vertex>(a, a_end) == expected);

        std::vector<Vertex> targets;
        const auto [e, e_end] = out_edges(v, g);
        for (auto it = e; it != e_end; ++it) {
            CHECK(source(*it, g) == v);
            targets.push_back(target(*it, g));
        }
        CHECK(targets == expected);
        CHECK(out_degree(v, g) == expected.size());
        CHECK(g.degree(v) == expected.size());
        CHECK(static_cast<std::size_t>(std::distance(range.begin(), range.end())) ==
              expected.size());
    }
    const auto [v_begin, v_end] = vertices(g);
    CHECK(static_cast<std::size_t>(std::distance(v_begin, v_end)) == g.num_vertices());
    CHECK(*v_begin == 0);
    CHECK(num_vertices(g) == g.num_vertices());
    CHECK(get(boost::vertex_index, g)[Vertex{17}] == 17);
    CHECK(get(boost::vertex_index, g, Vertex{42}) == 42);
}

TEST_CASE("compact folds the overflow into CSR and keeps every adjacency", "[network]") {
    Network g = grown_network(300, 150, 12);
    REQUIRE(g.overflow_entries() > 0);
    std::vector<std::vector<Vertex>> before;
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        before.push_back(neighbours(g, v));
    }
    const std::size_t edges = g.num_edges();
    g.compact();
    CHECK(g.overflow_entries() == 0);
    CHECK(g.num_edges() == edges);
    CHECK(g.targets().size() == 2 * edges);
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        // compact copies each list in visiting order, so even the order survives.
        CHECK(neighbours(g, v) == before[v]);
        CHECK(g.offsets()[v + 1] - g.offsets()[v] == before[v].size());
    }
    // Pure CSR: offsets, targets and the (all-empty) overflow heads, four bytes each.
    const std::size_t n = g.num_vertices();
    CHECK(g.bytes() == 4 * (n + 1) + 4 * 2 * edges + 4 * n);
    // Growth keeps working after compaction.
    const std::vector<Vertex> links = {0, 5};
    const Vertex v = g.add_vertex(links);
    CHECK(sorted_neighbours(g, v) == std::vector<Vertex>{0, 5});
    CHECK(g.degree(0) == before[0].size() + 1);
}

TEST_CASE("Snapshot entries name each vertex exactly degree times, and stay put as it grows",
          "[network]") {
    Network g = grown_network(300, 100, 13);
    const auto snap = g.snapshot();
    CHECK(snap.size() == 2 * g.num_edges());
    // Counting over every entry is the exact version of "a uniform entry picks v with
    // probability degree(v) / 2E".
    std::vector<std::uint32_t> count(g.num_vertices(), 0);
    std::vector<Vertex> entries;
    for (std::size_t i = 0; i < snap.size(); ++i) {
        entries.push_back(g.entry(snap, i));
        ++count[entries.back()];
    }
    for (Vertex v = 0; v < g.num_vertices(); ++v) {
        CHECK(count[v] == g.degree(v));
    }
    // Later births append entries; the snapshot's indices still name the same vertices.
    for (Vertex b = 0; b < 50; ++b) {
        const std::vector<Vertex> links = {b, static_cast<Vertex>(2 * b)};
        g.add_vertex(links);
    }
    for (std::size_t i = 0; i < snap.size(); ++i) {
        CHECK(g.entry(snap, i) == entries[i]);
    }
}

TEST_CASE("Network errors throw canopy::Error", "[network]") {
    const std::vector<Vertex> odd = {0, 1, 2};
    CHECK_THROWS_AS(Network::from_edges(3, odd), canopy::Error);
    const std::vector<Vertex> outside = {0, 3};
    CHECK_THROWS_AS(Network::from_edges(3, outside), canopy::Error);

    const std::vector<Vertex> path = {0, 1, 1, 2};
    Network g = Network::from_edges(3, path);
    const std::vector<Vertex> future = {3};
    CHECK_THROWS_AS(g.add_vertex(future), canopy::Error);
    const std::vector<Vertex> later = {0, 7};
    CHECK_THROWS_AS(g.add_vertex(later), canopy::Error);
    // A rejected vertex leaves no trace.
    CHECK(g.num_vertices() == 3);
    CHECK(g.num_edges() == 2);
    CHECK(g.overflow_entries() == 0);
    CHECK(sorted_neighbours(g, 0) == std::vector<Vertex>{1});

    const std::vector<std::uint32_t> short_perm = {0, 1};
    CHECK_THROWS_AS(permuted(g, short_perm), canopy::Error);
    const std::vector<std::uint32_t> repeated = {0, 1, 1};
    CHECK_THROWS_AS(permuted(g, repeated), canopy::Error);
    const std::vector<std::uint32_t> out_of_range = {0, 1, 3};
    CHECK_THROWS_AS(permuted(g, out_of_range), canopy::Error);
}

TEST_CASE("boost::breadth_first_search on a grown network matches a hand-written BFS",
          "[network]") {
    const Network g = grown_network(2000, 300, 14);
    REQUIRE(g.overflow_entries() > 0);
    constexpr std::uint32_t UNREACHED = UINT32_MAX;
    const std::size_t n = g.num_vertices();

    std::vector<std::uint32_t> expected(n, UNREACHED);
    std::deque<Vertex> queue = {0};
    expected[0] = 0;
    while (!queue.empty()) {
        const Vertex v = queue.front();
        queue.pop_front();
        g.for_each_neighbour(v, [&](Vertex u) {
            if (expected[u] == UNREACHED) {
                expected[u] = expected[v] + 1;
                queue.push_back(u);
            }
        });
    }

    std::vector<std::uint32_t> distance(n, UNREACHED);
    distance[0] = 0;
    auto distance_map =
        boost::make_iterator_property_map(distance.begin(), get(boost::vertex_index, g));
    boost::breadth_first_search(g, Vertex{0},
                                boost::visitor(boost::make_bfs_visitor(
                                    boost::record_distances(distance_map, boost::on_tree_edge()))));
    CHECK(distance == expected);
    // The isolated births are unreachable, the rest is one component.
    CHECK(std::count(distance.begin(), distance.end(), UNREACHED) == 30);
}

TEST_CASE("connected_component_count counts components, isolated vertices included", "[network]") {
    // {0,1,2}, {3,4} with a parallel edge, {5} alone, {6} with a loop.
    const std::vector<Vertex> endpoints = {0, 1, 2, 1, 3, 4, 4, 3, 6, 6};
    Network g = Network::from_edges(7, endpoints);
    CHECK(connected_component_count(g) == 4);
    g.add_vertex(std::vector<Vertex>{});
    CHECK(connected_component_count(g) == 5);
    const std::vector<Vertex> bridge = {2, 3, 5, 6, 7};
    g.add_vertex(bridge);
    CHECK(connected_component_count(g) == 1);
    CHECK(connected_component_count(Network::from_edges(0, {})) == 0);
}

TEST_CASE("permuted relabels vertices and keeps every edge with its multiplicity", "[network]") {
    // A multigraph with loops and parallel edges, then grown so the source has overflow.
    constexpr std::size_t n0 = 200;
    std::vector<Vertex> endpoints;
    Stream rng(RandomKey{15, 0}, 0, 0, TEST_PURPOSE);
    for (int k = 0; k < 600; ++k) {
        endpoints.push_back(static_cast<Vertex>(index_below(rng.next_u64(), n0 / 4)));
        endpoints.push_back(static_cast<Vertex>(index_below(rng.next_u64(), n0)));
    }
    endpoints.insert(endpoints.end(), {7, 7, 7, 7, 9, 9});
    Network g = Network::from_edges(n0, endpoints);
    const auto at_seven = neighbours(g, 7);
    // The mapped-adjacency check below covers loops: each sits twice in its vertex's list.
    REQUIRE(std::count(at_seven.begin(), at_seven.end(), Vertex{7}) >= 4);
    for (Vertex b = 0; b < 40; ++b) {
        const std::vector<Vertex> links = {b, b, static_cast<Vertex>(3 * b)};
        g.add_vertex(links);
    }
    const std::size_t n = g.num_vertices();
    const auto perm = random_permutation(n, 16);
    const Network h = permuted(g, perm);

    CHECK(h.num_vertices() == n);
    CHECK(h.num_edges() == g.num_edges());
    CHECK(h.overflow_entries() == 0);
    std::vector<std::uint32_t> degrees_g;
    std::vector<std::uint32_t> degrees_h;
    for (Vertex v = 0; v < n; ++v) {
        std::vector<Vertex> mapped;
        g.for_each_neighbour(v, [&](Vertex u) { mapped.push_back(perm[u]); });
        std::sort(mapped.begin(), mapped.end());
        CHECK(sorted_neighbours(h, perm[v]) == mapped);
        degrees_g.push_back(g.degree(v));
        degrees_h.push_back(h.degree(v));
    }
    std::sort(degrees_g.begin(), degrees_g.end());
    std::sort(degrees_h.begin(), degrees_h.end());
    CHECK(degrees_g == degrees_h);

    std::vector<std::uint32_t> identity(n);
    for (std::size_t v = 0; v < n; ++v) {
        identity[v] = static_cast<std::uint32_t>(v);
    }
    CHECK(sorted_adjacency(permuted(g, identity)) == sorted_adjacency(g));
}

namespace {
// What permuted must make, entry for entry (the order decides which vertex a degree-proportional
// draw of an entry picks): from_edges on the edges listed vertex by vertex in the new order, each
// from its end with the smaller new id, in that vertex's old list order, a loop at its second
// occurrence.
Network permuted_by_edge_list(const Network& g, std::span<const std::uint32_t> perm) {
    const std::size_t n = g.num_vertices();
    std::vector<Vertex> old_of(n);
    for (std::size_t v = 0; v < n; ++v) {
        old_of[perm[v]] = static_cast<Vertex>(v);
    }
    std::vector<Vertex> listed;
    for (std::size_t w = 0; w < n; ++w) {
        const auto nw = static_cast<Vertex>(w);
        bool pending = false;
        g.for_each_neighbour(old_of[w], [&](Vertex u) {
            const Vertex nu = perm[u];
            if (nu == nw) {
                pending = !pending;
                if (pending) {
                    return;
                }
            } else if (nu < nw) {
                return;
            }
            listed.insert(listed.end(), {nw, nu});
        });
    }
    return Network::from_edges(n, listed);
}

bool same_entries(const Network& a, const Network& b) {
    return std::ranges::equal(a.offsets(), b.offsets()) &&
           std::ranges::equal(a.targets(), b.targets()) && a.overflow_entries() == 0 &&
           b.overflow_entries() == 0;
}
} // namespace

TEST_CASE("permuted lists every vertex's neighbours as the new order's edge list would, on any "
          "number of threads",
          "[network]") {
    SECTION("loops, parallel edges and overflow entries") {
        std::vector<Vertex> endpoints{3, 3, 3, 3, 1, 2, 2, 1, 0, 4, 4, 4, 2, 2};
        Network g = Network::from_edges(6, endpoints);
        for (Vertex b = 0; b < 12; ++b) {
            const std::vector<Vertex> links = {b % 5, b % 5, static_cast<Vertex>((3 * b) % 7)};
            g.add_vertex(links);
        }
        REQUIRE(g.overflow_entries() > 0);
        const auto perm = random_permutation(g.num_vertices(), 21);
        CHECK(same_entries(permuted(g, perm), permuted_by_edge_list(g, perm)));
        CHECK(same_entries(permuted(g, perm, Executor(true)), permuted_by_edge_list(g, perm)));
    }
    SECTION("a grown scale-free network in many chunks") {
        Network g = barabasi_albert({60000, 3, 2000}, RandomKey{4, 0}, TEST_PURPOSE);
        Stream rng(RandomKey{4, 1}, 0, 0, TEST_PURPOSE);
        for (int b = 0; b < 2000; ++b) {
            std::vector<Vertex> links;
            for (int k = 0; k < 3; ++k) {
                links.push_back(static_cast<Vertex>(index_below(rng.next_u64(), 60000)));
            }
            g.add_vertex(links);
        }
        const auto perm = breadth_first_rcm_order(g);
        const Network expected = permuted_by_edge_list(g, perm);
        CHECK(same_entries(permuted(g, perm), expected));
        CHECK(same_entries(permuted(g, perm, Executor(true)), expected));
    }
}

TEST_CASE("from_csr takes well-formed CSR arrays and names what is wrong with others",
          "[network]") {
    const Network g = Network::from_csr({0, 2, 3, 4}, {1, 2, 0, 0});
    CHECK(g.num_vertices() == 3);
    CHECK(g.num_edges() == 2);
    CHECK(neighbours(g, 0) == std::vector<Vertex>{1, 2});
    CHECK(g.overflow_entries() == 0);
    CHECK_THROWS_WITH(Network::from_csr({}, {}), Catch::Contains("offsets"));
    CHECK_THROWS_WITH(Network::from_csr({1, 2}, {0, 0}), Catch::Contains("offsets"));
    CHECK_THROWS_WITH(Network::from_csr({0, 3, 2}, {0, 1}), Catch::Contains("offsets"));
    CHECK_THROWS_WITH(Network::from_csr({0, 2, 1, 2}, {0, 1}),
                      Catch::Contains("decrease at vertex 1"));
    CHECK_THROWS_WITH(Network::from_csr({0, 1, 2}, {1, 5}), Catch::Contains("endpoint 5"));
}

TEST_CASE("release_csr moves a pure CSR network's arrays out and refuses one with overflow",
          "[network]") {
    Network g = Network::from_csr({0, 2, 3, 4}, {1, 2, 0, 0});
    const Network::Csr csr = std::move(g).release_csr();
    CHECK(csr.offsets == std::vector<std::uint32_t>{0, 2, 3, 4});
    CHECK(csr.targets == std::vector<Vertex>{1, 2, 0, 0});
    CHECK(g.num_vertices() == 0); // NOLINT(bugprone-use-after-move): left empty, as documented

    Network grown = Network::from_csr({0, 1, 2}, {1, 0});
    const std::array<Vertex, 1> links{0};
    grown.add_vertex(links);
    CHECK_THROWS_WITH(std::move(grown).release_csr(), Catch::Contains("1 overflow entries"));
    grown.compact();
    const Network::Csr compacted = std::move(grown).release_csr();
    CHECK(compacted.offsets == std::vector<std::uint32_t>{0, 2, 3, 4});
    CHECK(compacted.targets == std::vector<Vertex>{1, 2, 0, 0});
}

namespace {

// A w x h grid, vertex r * w + c linked to its right and lower neighbours.
Network grid_network(std::size_t w, std::size_t h) {
    std::vector<Vertex> endpoints;
    for (std::size_t r = 0; r < h; ++r) {
        for (std::size_t c = 0; c < w; ++c) {
            const auto v = static_cast<Vertex>(r * w + c);
            if (c + 1 < w) {
                endpoints.insert(endpoints.end(), {v, v + 1});
            }
            if (r + 1 < h) {
                endpoints.insert(endpoints.end(), {v, static_cast<Vertex>(v + w)});
            }
        }
    }
    return Network::from_edges(w * h, endpoints);
}

} // namespace

TEST_CASE("The breadth-first reverse Cuthill-McKee order is a permutation that narrows bandwidth",
          "[network]") {
    SECTION("a 30 x 60 grid: bandwidth near the short side") {
        constexpr std::size_t w = 30;
        constexpr std::size_t h = 60;
        const Network grid = grid_network(w, h);
        const Network scrambled = permuted(grid, random_permutation(w * h, 17));
        // It starts from a corner (degree 2): its levels are anti-diagonals of at most w
        // vertices, so an edge spans at most two levels.
        const Network ordered = permuted(scrambled, breadth_first_rcm_order(scrambled));
        CHECK(bandwidth_and_span(ordered).first <= 2 * w);
        CHECK(bandwidth_and_span(scrambled).first > (w * h) / 2);
    }
    SECTION("a grown BA network: narrower than a random labelling") {
        const Network g = grown_network(3000, 300, 18);
        const Network scrambled = permuted(g, random_permutation(g.num_vertices(), 19));
        const Network ordered = permuted(scrambled, breadth_first_rcm_order(scrambled));
        const auto [random_band, random_span] = bandwidth_and_span(scrambled);
        const auto [rcm_band, rcm_span] = bandwidth_and_span(ordered);
        CHECK(rcm_band < random_band);
        CHECK(rcm_span < random_span);
    }
    SECTION("a disconnected network with loops and repeats: every vertex once, the last "
            "position to the first start") {
        const std::vector<Vertex> endpoints = {0, 1, 3, 4, 4, 5, 7, 7, 3, 4};
        const Network g = Network::from_edges(9, endpoints);
        const auto perm = breadth_first_rcm_order(g);
        REQUIRE(perm.size() == 9);
        auto sorted = perm;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t k = 0; k < 9; ++k) {
            CHECK(sorted[k] == k);
        }
        // Vertex 2 (degree 0, lowest id among the isolated) starts the first component and so
        // ends up last once reversed.
        CHECK(perm[2] == 8);
    }
}

TEST_CASE("The reverse Cuthill-McKee order narrows the bandwidth of a scrambled network",
          "[network]") {
    SECTION("a 30 x 60 grid: bandwidth near the short side") {
        constexpr std::size_t w = 30;
        constexpr std::size_t h = 60;
        const Network grid = grid_network(w, h);
        const Network scrambled = permuted(grid, random_permutation(w * h, 17));
        const auto order = reverse_cuthill_mckee_order(scrambled);
        const Network ordered = permuted(scrambled, order);
        // RCM levels are anti-diagonals of at most w vertices, so an edge spans at most two
        // levels: bandwidth <= 2w. A random labelling of 1800 vertices spans nearly all of them.
        CHECK(bandwidth_and_span(ordered).first <= 2 * w);
        CHECK(bandwidth_and_span(scrambled).first > (w * h) / 2);
    }
    SECTION("a grown BA network: narrower than a random labelling, though not by much") {
        const Network g = grown_network(3000, 300, 18);
        const Network scrambled = permuted(g, random_permutation(g.num_vertices(), 19));
        const Network ordered = permuted(scrambled, reverse_cuthill_mckee_order(scrambled));
        // Hubs link across the whole network and BA graphs expand fast, so RCM cannot make
        // them narrow: with these seeds it gives about 0.6 of the random bandwidth (which is
        // close to n) and 0.85 of the random total span. The test asks only for a gain.
        const auto [random_band, random_span] = bandwidth_and_span(scrambled);
        const auto [rcm_band, rcm_span] = bandwidth_and_span(ordered);
        CHECK(rcm_band < random_band);
        CHECK(rcm_span < random_span);
        // Reversing a Cuthill-McKee order never enlarges the envelope (Liu & Sherman 1976) and
        // here shrinks it: the order returned is the reversed one, not plain Cuthill-McKee.
        auto cuthill_mckee = reverse_cuthill_mckee_order(scrambled);
        for (auto& label : cuthill_mckee) {
            label = static_cast<std::uint32_t>(scrambled.num_vertices() - 1 - label);
        }
        CHECK(envelope(ordered) < envelope(permuted(scrambled, cuthill_mckee)));
    }
    SECTION("a disconnected network: every vertex gets a distinct position") {
        const std::vector<Vertex> endpoints = {0, 1, 3, 4, 4, 5, 7, 7};
        const Network g = Network::from_edges(9, endpoints);
        auto order = reverse_cuthill_mckee_order(g);
        REQUIRE(order.size() == 9);
        std::sort(order.begin(), order.end());
        for (std::uint32_t k = 0; k < 9; ++k) {
            CHECK(order[k] == k);
        }
    }
    CHECK(reverse_cuthill_mckee_order(Network()).empty());
}
