#pragma once
/// \file network_boost.hpp
/// Boost.Graph adapter: canopy::engine::Network as an undirected VertexListGraph,
/// IncidenceGraph and AdjacencyGraph, so BGL algorithms (breadth_first_search,
/// connected_components, cuthill_mckee_ordering, ...) run on it in place, with no copy.
///
/// Vertices are the Network's uint32 ids and the vertex_index map is the identity, so exterior
/// property maps are plain vectors indexed by vertex. An edge descriptor is the pair of ends
/// seen from one side ({source, target} with source the vertex whose out_edges produced it).
/// The network is a multigraph and stores no edge ids, so descriptors do not tell parallel
/// edges apart and there is no edge_index map: algorithms that need edge properties
/// (undirected_dfs's edge colours, max-flow) do not apply. Include this header only where BGL is
/// used; hot loops use Network::for_each_neighbour.

#include <canopy/engine/network.hpp>

#include <boost/graph/graph_traits.hpp>
#include <boost/graph/properties.hpp>
#include <boost/iterator/counting_iterator.hpp>
#include <boost/iterator/iterator_adaptor.hpp>
#include <boost/property_map/property_map.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace canopy::engine {

/// One end's view of an undirected edge: source is the vertex it was reached from.
struct NetworkEdge {
    Network::Vertex source = Network::NONE;
    Network::Vertex target = Network::NONE;
    /// Equal when source and target both match: (u, v) and (v, u) are different descriptors,
    /// and parallel edges are not told apart.
    friend bool operator==(const NetworkEdge&, const NetworkEdge&) = default;
};

/// Iterates the edges leaving one vertex: a NeighbourIterator that also carries the source.
class NetworkOutEdgeIterator
    : public boost::iterator_adaptor<NetworkOutEdgeIterator, Network::NeighbourIterator,
                                     NetworkEdge, boost::forward_traversal_tag, NetworkEdge> {
public:
    NetworkOutEdgeIterator() = default;
    NetworkOutEdgeIterator(Network::Vertex source, Network::NeighbourIterator it)
        : iterator_adaptor_(it)
        , source_(source) {}

private:
    friend class boost::iterator_core_access;
    [[nodiscard]] NetworkEdge dereference() const { return {source_, *base_reference()}; }

    Network::Vertex source_ = Network::NONE;
};

/// The BGL traversal categories the adapter models.
struct NetworkTraversalCategory : boost::vertex_list_graph_tag,
                                  boost::incidence_graph_tag,
                                  boost::adjacency_graph_tag {};

} // namespace canopy::engine

namespace boost {

template <>
struct graph_traits<canopy::engine::Network> {
    using vertex_descriptor = canopy::engine::Network::Vertex;
    using edge_descriptor = canopy::engine::NetworkEdge;
    using directed_category = undirected_tag;
    using edge_parallel_category = allow_parallel_edge_tag;
    using traversal_category = canopy::engine::NetworkTraversalCategory;

    using vertex_iterator = counting_iterator<vertex_descriptor>;
    using out_edge_iterator = canopy::engine::NetworkOutEdgeIterator;
    using adjacency_iterator = canopy::engine::Network::NeighbourIterator;
    using in_edge_iterator = void;
    using edge_iterator = void;

    using vertices_size_type = std::size_t;
    using edges_size_type = std::size_t;
    using degree_size_type = std::uint32_t;

    static vertex_descriptor null_vertex() noexcept { return canopy::engine::Network::NONE; }
};

template <>
struct property_map<canopy::engine::Network, vertex_index_t> {
    using type = typed_identity_property_map<canopy::engine::Network::Vertex>;
    using const_type = type;
};

} // namespace boost

namespace canopy::engine {

// The free functions BGL calls unqualified; argument-dependent lookup finds them here.

/// All vertices, 0 .. num_vertices(g) - 1.
inline std::pair<boost::counting_iterator<Network::Vertex>,
                 boost::counting_iterator<Network::Vertex>>
vertices(const Network& g) noexcept {
    return {
        boost::counting_iterator<Network::Vertex>(0),
        boost::counting_iterator<Network::Vertex>(static_cast<Network::Vertex>(g.num_vertices()))};
}

/// Number of vertices.
inline std::size_t num_vertices(const Network& g) noexcept {
    return g.num_vertices();
}

/// The edges at v as (v, neighbour), one per edge end (a self-loop appears twice).
inline std::pair<NetworkOutEdgeIterator, NetworkOutEdgeIterator> out_edges(Network::Vertex v,
                                                                           const Network& g) {
    const auto range = g.neighbour_range(v);
    return {NetworkOutEdgeIterator(v, range.begin()), NetworkOutEdgeIterator(v, range.end())};
}

/// degree(v): O(number of overflow entries of v).
inline std::uint32_t out_degree(Network::Vertex v, const Network& g) noexcept {
    return g.degree(v);
}

/// The neighbours of v with multiplicity, in for_each_neighbour's order.
inline std::pair<Network::NeighbourIterator, Network::NeighbourIterator>
adjacent_vertices(Network::Vertex v, const Network& g) noexcept {
    const auto range = g.neighbour_range(v);
    return {range.begin(), range.end()};
}

inline Network::Vertex source(const NetworkEdge& e, const Network&) noexcept {
    return e.source;
}
inline Network::Vertex target(const NetworkEdge& e, const Network&) noexcept {
    return e.target;
}

/// The vertex_index map: the identity (vertex ids are already 0 .. n-1).
inline boost::typed_identity_property_map<Network::Vertex> get(boost::vertex_index_t,
                                                               const Network&) noexcept {
    return {};
}
inline Network::Vertex get(boost::vertex_index_t, const Network&, Network::Vertex v) noexcept {
    return v;
}

} // namespace canopy::engine
