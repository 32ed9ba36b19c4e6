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
/// Optionally, with homophily: each vertex has a category, and a vertex of category b is chosen
/// by a newcomer of category a with probability proportional to degree x affinity[a][b]
/// (attachment.hpp; no rejection sampling, so strong homophily costs nothing extra).

#include <canopy/engine/attachment.hpp>
#include <canopy/engine/network.hpp>
#include <canopy/engine/random.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace canopy::engine {

/// The largest m barabasi_albert accepts (a vertex's draws are numbered in 16 bits).
inline constexpr std::size_t MAX_EDGES_PER_VERTEX = 1024;

/// Options for barabasi_albert().
struct BarabasiAlbertOptions {
    std::size_t vertices = 0;      ///< n
    unsigned edges_per_vertex = 3; ///< m, 1 .. MAX_EDGES_PER_VERTEX
    /// Reserve room for this many extra vertices (births) so growth does not reallocate.
    std::size_t reserve_vertices = 0;
    /// Homophily (optional): a category per vertex (empty: none) ...
    std::span<const std::uint8_t> category{};
    /// ... and the row-major categories x categories affinity matrix, entries in [0, 1], where
    /// categories = sqrt(affinity.size()) <= AttachmentPool::MAX_CATEGORIES.
    std::span<const double> affinity{};
};

/// Builds the network. Throws canopy::Error if m = 0, or if the categories do not cover the
/// vertices or name a category the affinity matrix lacks.
Network barabasi_albert(const BarabasiAlbertOptions& options, const RandomKey& key,
                        Purpose purpose);

namespace detail {
/// Whether barabasi_albert may use its AVX2 loop for six categories on a CPU with AVX2 (the
/// default: yes); false makes it take the portable loop. For tests, which compare the two.
void allow_builder_avx2(bool allowed) noexcept;
} // namespace detail

} // namespace canopy::engine
