#include <canopy/engine/network_algorithms.hpp>
#include <canopy/engine/network_boost.hpp>

#include <boost/graph/connected_components.hpp>
#include <boost/graph/cuthill_mckee_ordering.hpp>

#include <algorithm>
#include <string>

namespace canopy::engine {

std::size_t connected_component_count(const Network& g) {
    if (g.num_vertices() == 0) {
        return 0;
    }
    std::vector<std::uint32_t> component(g.num_vertices());
    const auto count = boost::connected_components(
        g, boost::make_iterator_property_map(component.begin(), get(boost::vertex_index, g)));
    return static_cast<std::size_t>(count);
}

std::vector<std::uint32_t> reverse_cuthill_mckee_order(const Network& g) {
    const std::size_t n = g.num_vertices();
    std::vector<std::uint32_t> perm(n);
    if (n == 0) {
        return perm;
    }
    const auto index = get(boost::vertex_index, g);
    // Degrees precomputed once: Network::degree walks the overflow list, and the ordering
    // compares degrees many times per vertex.
    std::vector<std::uint32_t> degree(n);
    for (std::size_t v = 0; v < n; ++v) {
        degree[v] = g.degree(static_cast<Network::Vertex>(v));
    }
    std::vector<boost::default_color_type> colour(n);
    // order[k] is the vertex placed at position k; writing through a reverse iterator turns
    // Cuthill–McKee into reverse Cuthill–McKee.
    std::vector<Network::Vertex> order(n, Network::NONE);
    boost::cuthill_mckee_ordering(g, order.rbegin(),
                                  boost::make_iterator_property_map(colour.begin(), index),
                                  boost::make_iterator_property_map(degree.begin(), index));
    for (std::size_t k = 0; k < n; ++k) {
        if (order[k] == Network::NONE) {
            throw Error("reverse_cuthill_mckee_order: the ordering missed a vertex");
        }
        perm[order[k]] = static_cast<std::uint32_t>(k);
    }
    return perm;
}

std::vector<std::uint32_t> breadth_first_rcm_order(const Network& g) {
    const std::size_t n = g.num_vertices();
    std::vector<std::uint32_t> degree(n);
    std::uint32_t most = 0;
    for (std::size_t v = 0; v < n; ++v) {
        degree[v] = g.degree(static_cast<Network::Vertex>(v));
        most = std::max(most, degree[v]);
    }
    // Vertices by increasing degree, then id (a counting sort): the start of each component.
    std::vector<std::uint32_t> first_of_degree(std::size_t{most} + 2, 0);
    for (std::size_t v = 0; v < n; ++v) {
        ++first_of_degree[degree[v] + 1];
    }
    for (std::size_t d = 1; d < first_of_degree.size(); ++d) {
        first_of_degree[d] += first_of_degree[d - 1];
    }
    std::vector<Network::Vertex> by_degree(n);
    for (std::size_t v = 0; v < n; ++v) {
        by_degree[first_of_degree[degree[v]]++] = static_cast<Network::Vertex>(v);
    }
    // order[k]: the vertex at Cuthill–McKee position k; the queue is order itself.
    std::vector<Network::Vertex> order;
    order.reserve(n);
    std::vector<char> seen(n, 0);
    const auto by_degree_then_id = [&](Network::Vertex a, Network::Vertex b) {
        return degree[a] != degree[b] ? degree[a] < degree[b] : a < b;
    };
    for (const Network::Vertex start : by_degree) {
        if (seen[start] != 0) {
            continue;
        }
        seen[start] = 1;
        order.push_back(start);
        for (std::size_t head = order.size() - 1; head < order.size(); ++head) {
            // The queue's vertices are scattered: where each list is found is fetched AHEAD
            // places ahead, the list AHEAD / 2 ahead, and the marks and degrees of its CSR part
            // AHEAD / 4 ahead (as far as the queue reaches).
            constexpr std::size_t AHEAD = 16;
            if (head + AHEAD < order.size()) {
                g.prefetch_vertex(order[head + AHEAD]);
            }
            if (head + AHEAD / 2 < order.size()) {
                g.prefetch_neighbours(order[head + AHEAD / 2]);
            }
            if (head + AHEAD / 4 < order.size()) {
                const Network::Vertex v = order[head + AHEAD / 4];
                for (std::uint32_t e = g.offsets()[v]; e < g.offsets()[v + 1]; ++e) {
                    __builtin_prefetch(seen.data() + g.targets()[e]);
                    __builtin_prefetch(degree.data() + g.targets()[e]);
                }
            }
            const std::size_t reached = order.size();
            g.for_each_neighbour(order[head], [&](Network::Vertex u) {
                if (seen[u] == 0) {
                    seen[u] = 1;
                    order.push_back(u);
                }
            });
            std::sort(order.begin() + static_cast<std::ptrdiff_t>(reached), order.end(),
                      by_degree_then_id);
        }
    }
    std::vector<std::uint32_t> perm(n);
    for (std::size_t k = 0; k < n; ++k) {
        perm[order[k]] = static_cast<std::uint32_t>(n - 1 - k); // reversed
    }
    return perm;
}

Network permuted(const Network& g, std::span<const std::uint32_t> perm, const Executor& executor) {
    const std::size_t n = g.num_vertices();
    if (perm.size() != n) {
        throw Error("permuted: permutation has " + std::to_string(perm.size()) +
                    " entries for a network of " + std::to_string(n) + " vertices");
    }
    std::vector<Network::Vertex> old_of(n, Network::NONE);
    for (std::size_t v = 0; v < n; ++v) {
        if (perm[v] >= n || old_of[perm[v]] != Network::NONE) {
            throw Error("permuted: not a permutation (vertex " + std::to_string(v) + " maps to " +
                        std::to_string(perm[v]) + ")");
        }
        old_of[perm[v]] = static_cast<Network::Vertex>(v);
    }
    // The new slices: degrees read in the old order (where they lie), summed in the new.
    std::vector<std::uint32_t> offsets(n + 1, 0);
    for (std::size_t v = 0; v < n; ++v) {
        offsets[std::size_t{perm[v]} + 1] = g.degree(static_cast<Network::Vertex>(v));
    }
    for (std::size_t w = 0; w < n; ++w) {
        offsets[w + 1] += offsets[w];
    }
    std::vector<Network::Vertex> targets(offsets[n]);
    // The lists from_edges would make if each undirected edge were listed once, from its end
    // with the smaller new id, vertex by vertex in the new order and each vertex's neighbours in
    // their old order (a self-loop, twice in its list, listed at its second occurrence): w's
    // list holds first its lower neighbours, in the order their own lists were visited (by
    // increasing id), then its others in its old order, a self-loop's two entries together.
    constexpr std::size_t CHUNK = 16384;
    executor.for_chunks(n, CHUNK, [&](std::size_t, std::size_t begin, std::size_t end) {
        std::vector<Network::Vertex> higher;
        // The old lists are scattered: where each is found is fetched AHEAD vertices ahead, the
        // list itself AHEAD / 2 ahead, and the new ids of its CSR part AHEAD / 4 ahead.
        constexpr std::size_t AHEAD = 16;
        for (std::size_t w = begin; w < end; ++w) {
            if (w + AHEAD < end) {
                g.prefetch_vertex(old_of[w + AHEAD]);
            }
            if (w + AHEAD / 2 < end) {
                g.prefetch_neighbours(old_of[w + AHEAD / 2]);
            }
            if (w + AHEAD / 4 < end) {
                const Network::Vertex v = old_of[w + AHEAD / 4];
                for (std::uint32_t e = g.offsets()[v]; e < g.offsets()[v + 1]; ++e) {
                    __builtin_prefetch(perm.data() + g.targets()[e]);
                }
            }
            const auto nw = static_cast<Network::Vertex>(w);
            Network::Vertex* out = targets.data() + offsets[w];
            Network::Vertex* lower_end = out;
            higher.clear();
            bool loop_pending = false;
            g.for_each_neighbour(old_of[w], [&](Network::Vertex u) {
                const Network::Vertex nu = perm[u];
                if (nu < nw) {
                    *lower_end++ = nu;
                } else if (nu != nw) {
                    higher.push_back(nu);
                } else if ((loop_pending = !loop_pending) == false) {
                    higher.push_back(nw);
                    higher.push_back(nw);
                }
            });
            const auto listed = static_cast<std::size_t>(lower_end - out) + higher.size();
            if (loop_pending || listed != offsets[w + 1] - offsets[w]) {
                throw Error("permuted: vertex " + std::to_string(old_of[w]) +
                            " lists a self-loop once");
            }
            std::sort(out, lower_end);
            std::copy(higher.begin(), higher.end(), lower_end);
        }
    });
    return Network::from_csr(std::move(offsets), std::move(targets));
}

} // namespace canopy::engine
