#pragma once
/// \file attachment.hpp
/// Preferential attachment with homophily by category, without rejection sampling.
///
/// The pool keeps, per category, a list holding each vertex once per unit of its degree. To
/// draw for a newcomer of category a, a category b is chosen with probability proportional to
/// (units in b) x affinity[a][b], then a unit uniformly within b's list: the vertex chosen has
/// probability proportional to degree x affinity. Two random words per draw whatever the
/// affinities (a rejection sampler with a 1/4 affinity needs several tries per draw).
///
/// Draws are made against a Snapshot (the list sizes at one moment) so that units added later
/// (this step's newcomers) cannot be drawn: the lists only grow, so a snapshot's units never
/// change.

#include <canopy/engine/network.hpp>
#include <canopy/engine/random.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace canopy::engine {

/// Degree units by category. Categories are small integers below categories().
class AttachmentPool {
public:
    /// Largest number of categories (the snapshot is a fixed array).
    static constexpr std::size_t MAX_CATEGORIES = 16;

    AttachmentPool() = default;
    /// Throws canopy::Error unless 1 <= categories <= MAX_CATEGORIES.
    explicit AttachmentPool(std::size_t categories);

    [[nodiscard]] std::size_t categories() const noexcept { return lists_.size(); }

    /// One unit of degree for vertex v of category c.
    void add(Network::Vertex v, std::uint8_t c) { lists_[c].push_back(v); }
    /// Reserves room for `units` more units spread over the categories.
    void reserve(std::size_t units);

    /// The list sizes now.
    struct Snapshot {
        std::size_t size[MAX_CATEGORIES] = {};
    };
    [[nodiscard]] Snapshot snapshot() const noexcept;

    /// A vertex drawn with probability proportional to (units in the snapshot) x
    /// affinity[category]; `affinity` has categories() entries in [0, 1]. When every weight is
    /// zero (no units, or no affinity to any category with units), draws ignore the affinity;
    /// with no units at all, returns Network::NONE.
    template <class G>
    [[nodiscard]] Network::Vertex draw(const Snapshot& at, std::span<const double> affinity,
                                       G& rng) const {
        double weight[MAX_CATEGORIES];
        double total = 0.0;
        std::size_t units = 0;
        const std::size_t k = lists_.size();
        for (std::size_t c = 0; c < k; ++c) {
            weight[c] = static_cast<double>(at.size[c]) * affinity[c];
            total += weight[c];
            units += at.size[c];
        }
        if (units == 0) {
            return Network::NONE;
        }
        const bool ignore_affinity = !(total > 0.0);
        if (ignore_affinity) {
            for (std::size_t c = 0; c < k; ++c) {
                weight[c] = static_cast<double>(at.size[c]);
            }
            total = static_cast<double>(units);
        }
        double x = u01_open(rng.next_u64()) * total;
        std::size_t c = 0;
        while (c + 1 < k && (x >= weight[c] || at.size[c] == 0)) {
            x -= weight[c];
            ++c;
        }
        while (at.size[c] == 0) { // rounding at the top end: the last non-empty category
            --c;
        }
        return lists_[c][index_below(rng.next_u64(), at.size[c])];
    }

    /// Bytes held by the lists.
    [[nodiscard]] std::size_t bytes() const noexcept;

private:
    std::vector<std::vector<Network::Vertex>> lists_;
};

} // namespace canopy::engine
