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
///
/// A pool may keep its units in 16 bits while every vertex is below NARROW_VERTICES (a city of
/// up to 65,536 firms: half the memory); it widens them to 32 bits, in place and in the same
/// order, before a larger vertex is added (add) or when asked (widen): the same draws either way.

#include <canopy/engine/network.hpp>
#include <canopy/engine/random.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

namespace canopy::engine {

/// Degree units by category. Categories are small integers below categories().
class AttachmentPool {
public:
    /// Largest number of categories (the snapshot is a fixed array).
    static constexpr std::size_t MAX_CATEGORIES = 16;

    /// A 16-bit unit, for vertices below NARROW_VERTICES.
    using Narrow = std::uint16_t;
    static constexpr std::size_t NARROW_VERTICES = std::size_t{1} << 16;

    AttachmentPool() = default;
    /// Throws canopy::Error unless 1 <= categories <= MAX_CATEGORIES. `narrow`: units start
    /// 16-bit (see the file comment).
    explicit AttachmentPool(std::size_t categories, bool narrow = false);

    [[nodiscard]] std::size_t categories() const noexcept {
        return narrow_ ? narrow_lists_.size() : lists_.size();
    }
    /// Whether units are 16-bit now.
    [[nodiscard]] bool narrow() const noexcept { return narrow_; }
    /// Units 32-bit from now on, the same ones in the same order (nothing if they are).
    void widen();

    /// One unit of degree for vertex v of category c (widening first if v needs it).
    void add(Network::Vertex v, std::uint8_t c) {
        if (narrow_ && v >= NARROW_VERTICES) {
            widen();
        }
        if (narrow_) {
            narrow_lists_[c].push_back(static_cast<Narrow>(v));
        } else {
            lists_[c].push_back(v);
        }
    }
    /// Makes `units` more units at the end of category c's list, with room for `room` more after
    /// them (none asked: the list grows as add() makes it grow, geometrically), and returns where
    /// they start, for a caller that writes many units at once: it must write every one before a
    /// draw can land on it. Unit is Network::Vertex for a wide pool and Narrow for a narrow one
    /// (canopy::Error otherwise); a caller writing narrow units writes only vertices below
    /// NARROW_VERTICES.
    template <class Unit = Network::Vertex>
    [[nodiscard]] Unit* extend(std::size_t c, std::size_t units, std::size_t room = 0) {
        static_assert(std::is_same_v<Unit, Network::Vertex> || std::is_same_v<Unit, Narrow>);
        if (narrow_ != std::is_same_v<Unit, Narrow>) {
            throw_width_mismatch();
        }
        auto& list = lists_of<Unit>()[c];
        const std::size_t size = list.size();
        if (room > 0) {
            list.reserve(size + units + room);
        }
        list.resize(size + units);
        return list.data() + size;
    }
    /// Reserves room for `units` more units spread over the categories.
    void reserve(std::size_t units);

    /// The list sizes now (entries from categories() on are not used). Not zeroed by default:
    /// it is taken once per draw of a newcomer in hot loops.
    struct Snapshot {
        std::size_t size[MAX_CATEGORIES];
    };
    [[nodiscard]] Snapshot snapshot() const noexcept {
        Snapshot s; // entries past the lists are not used
        for (std::size_t c = 0; c < categories(); ++c) {
            s.size[c] = narrow_ ? narrow_lists_[c].size() : lists_[c].size();
        }
        return s;
    }

    /// The category weights of draws against one snapshot for one affinity row: (units in the
    /// snapshot) x affinity[category]. Computing them once and drawing many times gives the same
    /// draws as computing them for every draw.
    struct Weights {
        double weight[MAX_CATEGORIES]; ///< entries from categories() on are not used
        double total;
        std::size_t units;
    };
    /// `affinity` has categories() entries in [0, 1]. When every weight is zero (no units, or no
    /// affinity to any category with units) the weights ignore the affinity.
    [[nodiscard]] Weights weights(const Snapshot& at,
                                  std::span<const double> affinity) const noexcept {
        return weights_of<0>(categories(), at, affinity);
    }

    /// weights() for k categories (any pool of k categories gives these weights for that
    /// snapshot), with K = k fixed at compile time (K = 0: k known at run time only), so that a
    /// caller whose k is known unrolls the scan. Also for a caller that draws as a pool would
    /// from lists of its own, whose sizes it keeps in a Snapshot.
    template <std::size_t K = 0>
    [[nodiscard]] static Weights weights_of(std::size_t k, const Snapshot& at,
                                            std::span<const double> affinity) noexcept {
        if constexpr (K > 0) {
            k = K;
        }
        Weights w; // NOLINT(cppcoreguidelines-pro-type-member-init): filled below
        w.total = 0.0;
        w.units = 0;
        for (std::size_t c = 0; c < k; ++c) {
            w.weight[c] = static_cast<double>(at.size[c]) * affinity[c];
            w.total += w.weight[c];
            w.units += at.size[c];
        }
        if (!(w.total > 0.0) && w.units > 0) {
            for (std::size_t c = 0; c < k; ++c) {
                w.weight[c] = static_cast<double>(at.size[c]);
            }
            w.total = static_cast<double>(w.units);
        }
        return w;
    }

    /// Where a draw lands: the category, and the unit's index in its list.
    struct Location {
        std::size_t category = 0;
        std::size_t index = 0;
    };

    /// Where draw(at, w, rng) lands when rng's next two 64-bit words are `first` and `second`
    /// (requires w.units > 0). Splitting a draw into locate() and unit() lets a caller locate
    /// many draws, prefetch their units, and only then read them: the same draws, with the
    /// cache misses overlapped.
    [[nodiscard]] Location locate(const Snapshot& at, const Weights& w, std::uint64_t first,
                                  std::uint64_t second) const noexcept {
        return locate_in<0>(categories(), at, w, first, second);
    }

    /// locate() for k categories, K = k fixed at compile time or 0 (as weights_of).
    template <std::size_t K = 0>
    [[nodiscard]] static Location locate_in(std::size_t k, const Snapshot& at, const Weights& w,
                                            std::uint64_t first, std::uint64_t second) noexcept {
        if constexpr (K > 0) {
            k = K;
        }
        double x = u01_open(first) * w.total;
        // The scan passes category c while x >= weight[c] (or c is empty), subtracting its
        // weight, and stops at the last category anyway. Every category's test is made, on the
        // same x in the same order of subtractions, and the first stop found from a bit mask:
        // the same category without a hard-to-predict branch per category.
        std::uint32_t stops = std::uint32_t{1} << (k - 1);
        for (std::size_t b = 0; b + 1 < k; ++b) {
            const bool pass = (x >= w.weight[b]) | (at.size[b] == 0);
            stops |= static_cast<std::uint32_t>(!pass) << b;
            x -= w.weight[b];
        }
        auto c = static_cast<std::size_t>(std::countr_zero(stops));
        while (at.size[c] == 0) { // rounding at the top end: the last non-empty category
            --c;
        }
        return {c, index_below(second, at.size[c])};
    }

    /// The vertex of a located unit.
    [[nodiscard]] Network::Vertex unit(const Location& l) const noexcept {
        return narrow_ ? Network::Vertex{narrow_lists_[l.category][l.index]}
                       : lists_[l.category][l.index];
    }

    /// Asks the CPU to bring a unit into cache (a location from an older snapshot, a guess,
    /// is fine: a prefetch never faults).
    void prefetch(const Location& l) const noexcept {
        if (narrow_) {
            prefetch_in(narrow_lists_[l.category], l.index);
        } else {
            prefetch_in(lists_[l.category], l.index);
        }
    }

    /// A vertex drawn with probability proportional to its category's weight x (its units in
    /// the snapshot); Network::NONE when the snapshot has no units. Reads two 64-bit words.
    template <class G>
    [[nodiscard]] Network::Vertex draw(const Snapshot& at, const Weights& w, G& rng) const {
        if (w.units == 0) {
            return Network::NONE;
        }
        const std::uint64_t first = rng.next_u64();
        return unit(locate(at, w, first, rng.next_u64()));
    }

    /// A vertex drawn with probability proportional to (units in the snapshot) x
    /// affinity[category]: draw(at, weights(at, affinity), rng).
    template <class G>
    [[nodiscard]] Network::Vertex draw(const Snapshot& at, std::span<const double> affinity,
                                       G& rng) const {
        return draw(at, weights(at, affinity), rng);
    }

    /// Empties every list, keeping its memory (to refill the pool in another order).
    void clear() noexcept {
        for (auto& list : lists_) {
            list.clear();
        }
        for (auto& list : narrow_lists_) {
            list.clear();
        }
    }

    /// Bytes held by the units.
    [[nodiscard]] std::size_t bytes() const noexcept;

private:
    template <class Unit>
    [[nodiscard]] std::vector<std::vector<Unit>>& lists_of() noexcept {
        if constexpr (std::is_same_v<Unit, Narrow>) {
            return narrow_lists_;
        } else {
            return lists_;
        }
    }
    template <class Unit>
    static void prefetch_in(const std::vector<Unit>& list, std::size_t index) noexcept {
        if (index < list.size()) {
            const Unit* at = list.data() + index;
            __builtin_prefetch(at);
            // GCC 12 dropped this prefetch from its callers' loops once it had two forms (seen in
            // the disassembly; the unit loads then missed): the empty asm keeps it.
            asm volatile("" : : "r"(at));
        }
    }
    [[noreturn]] static void throw_width_mismatch();

    std::vector<std::vector<Network::Vertex>> lists_; // wide units
    std::vector<std::vector<Narrow>> narrow_lists_;   // narrow units
    bool narrow_ = false;
};

} // namespace canopy::engine
