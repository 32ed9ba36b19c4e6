#pragma once
/// \file network_algorithms.hpp
/// Whole-network algorithms built on Boost.Graph (through network_boost.hpp, which this header
/// does not pull in): component counts and a locality-improving relabelling.

#include <canopy/engine/network.hpp>
#include <canopy/engine/parallel.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace canopy::engine {

/// Number of connected components (an isolated vertex is one; the empty network has none).
[[nodiscard]] std::size_t connected_component_count(const Network& g);

/// A reverse Cuthill–McKee relabelling (boost::cuthill_mckee_ordering, each component started
/// from a pseudo-peripheral vertex): perm[v] is v's new id. Pass it to permuted() to place
/// neighbours near each other in memory (small bandwidth max |perm[u] - perm[v]| over edges).
/// The gain is large on lattice-like networks and modest on scale-free ones, whose hubs link
/// across the whole order.
[[nodiscard]] std::vector<std::uint32_t> reverse_cuthill_mckee_order(const Network& g);

/// A reverse Cuthill–McKee relabelling in one breadth-first pass per component, without the
/// pseudo-peripheral search of reverse_cuthill_mckee_order: each component starts from its
/// vertex of least degree (the lowest id among ties), and each vertex's newly reached
/// neighbours join the queue by increasing degree (then id). Linear apart from those small
/// sorts, so cheap enough to renew a layout as a network grows; perm[v] is v's new id.
[[nodiscard]] std::vector<std::uint32_t> breadth_first_rcm_order(const Network& g);

/// The same network with vertex v renamed perm[v]: u–v is an edge of g exactly as often as
/// perm[u]–perm[v] is one of the result. The result is pure CSR (no overflow entries). Throws
/// canopy::Error unless perm is a permutation of 0 .. num_vertices() - 1.
/// Each vertex's list is written on its own (its lower neighbours ascending, then the others in
/// its old order: the lists from_edges makes from the edges in the new order), so the vertices
/// are shared among `executor`'s threads; the result is the same on any number.
[[nodiscard]] Network permuted(const Network& g, std::span<const std::uint32_t> perm,
                               const Executor& executor = Executor(false));

} // namespace canopy::engine
