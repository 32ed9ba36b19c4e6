#pragma once
/// \file barabasi_albert.hpp
/// A seeded Barabási–Albert preferential-attachment network.
///
/// Barabási & Albert (1999), "Emergence of scaling in random networks", Science 286:509. The
/// process: the first m + 1 vertices form a complete graph; each later vertex v links to m
/// distinct earlier vertices, each chosen with probability proportional to its degree among the
/// vertices before v. Vertex v's choices come from the random stream
/// (seed, replicate, agent = v, step = 0, purpose), so the network is a pure function of the key.
///
/// Optionally, a candidate drawn proportionally to degree is kept only with probability
/// acceptance(newcomer, candidate) (rejection sampling), which makes the attachment probability
/// proportional to degree x acceptance: homophily, fitness. After 1024 * m rejected draws for one
/// vertex the acceptance is ignored, so an acceptance that is zero everywhere cannot hang.

#include <canopy/engine/network.hpp>
#include <canopy/engine/random.hpp>

#include <cstddef>

namespace canopy::engine {

/// Options for barabasi_albert().
struct BarabasiAlbertOptions {
    std::size_t vertices = 0;      ///< n
    unsigned edges_per_vertex = 3; ///< m, at least 1
    /// Reserve room for this many extra vertices (births) so growth does not reallocate.
    std::size_t reserve_vertices = 0;
    /// Probability in [0, 1] of keeping a degree-proportional candidate; nullptr keeps all.
    double (*acceptance)(const void* context, Network::Vertex newcomer,
                         Network::Vertex candidate) = nullptr;
    const void* acceptance_context = nullptr; ///< passed to acceptance
};

/// Builds the network. Throws canopy::Error if m = 0.
Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key,
                        Purpose purpose);

} // namespace canopy::engine
