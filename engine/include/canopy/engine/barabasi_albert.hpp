#pragma once
/// \file barabasi_albert.hpp
/// A seeded Barabási–Albert preferential-attachment network.
///
/// Barabási & Albert (1999), "Emergence of scaling in random networks", Science 286:509. The
/// process: the first m + 1 vertices form a complete graph; each later vertex v links to m
/// distinct earlier vertices, each chosen with probability proportional to its degree among the
/// vertices before v. Vertex v's choices come from the random stream
/// (seed, replicate, agent = v, step = 0, purpose), so the network is a pure function of the key.

#include <canopy/engine/network.hpp>
#include <canopy/engine/random.hpp>

#include <cstddef>

namespace canopy::engine {

/// Options for barabasi_albert().
struct BarabasiAlbertOptions {
    std::size_t vertices = 0;  ///< n
    unsigned edges_per_vertex = 3; ///< m, at least 1
    /// Reserve room for this many extra vertices (births) so growth does not reallocate.
    std::size_t reserve_vertices = 0;
};

/// Builds the network. Throws canopy::Error if m = 0.
Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key,
                        Purpose purpose);

} // namespace canopy::engine
