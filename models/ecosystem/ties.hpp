#pragma once
/// \file ties.hpp
/// The collaboration network as each firm's own ties: one list per firm, stored once.
///
/// The initial network comes from the builder with both ends of every tie (a firm's list is all
/// its collaborators). A newcomer's ties are held on its side only: its list is the partners it
/// chose, and a partner's list does not grow. Nothing in the model needs the partner's side as a
/// list: the partner's counts are raised where the tie is made, and when a partner changes stage
/// the newcomers tied to it find out from their own lists (settle_newcomers). So each newcomer's
/// tie is one entry, where the network with both ends kept it three times over (the newcomer's
/// entry, and the partner's overflow entry of a vertex and a link) with a list head per firm.
/// to_network() gives the undirected network, both ends of every tie.
///
/// Entries may be 16-bit while the city has at most NARROW_FIRMS firms (65,536: firm ids 0 ..
/// 65,535); they widen to 32 bits when asked (widen) or before the first newcomer past that:
/// the same lists either way. Code that reads the lists takes them at their width with visit().

#include <canopy/engine/network.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace canopy::models::ecosystem {

class Ties {
public:
    using Firm = engine::Network::Vertex;
    using Narrow = std::uint16_t;
    static constexpr std::size_t NARROW_FIRMS = std::size_t{1} << 16;

    Ties() = default;
    /// The initial network (pure CSR, as the builder leaves it), with room for `room` more ties;
    /// 16-bit if `narrow` and its firms fit.
    Ties(engine::Network&& initial, std::size_t room, bool narrow);

    /// Firms, the initial ones and the newcomers.
    [[nodiscard]] std::size_t size() const noexcept { return offsets_.size() - 1; }
    /// Firms of the initial network: firms from here on are newcomers, whose lists hold only the
    /// partners they chose.
    [[nodiscard]] std::size_t initial() const noexcept { return initial_; }
    /// Whether entries are 16-bit now.
    [[nodiscard]] bool narrow() const noexcept { return narrow_; }

    /// f(targets) with all the entries at their width (a std::span of Narrow or of Firm): firm
    /// v's list is targets[offsets()[v] .. offsets()[v + 1]).
    template <class F>
    decltype(auto) visit(F&& f) const {
        return narrow_ ? f(std::span<const Narrow>(narrow_targets_))
                       : f(std::span<const Firm>(targets_));
    }
    /// Adds firm size() with ties to `partners` (existing firms) on its side; returns it.
    Firm add(std::span<const Firm> partners);
    /// Entries 32-bit from now on (nothing if they are).
    void widen();

    /// Prefetching for a caller that visits the lists of many scattered firms, in two stages a
    /// few firms apart (as engine::Network's prefetch_vertex and prefetch_neighbours).
    void prefetch_firm(Firm v) const noexcept { __builtin_prefetch(offsets_.data() + v); }
    void prefetch_list(Firm v) const noexcept {
        const void* first = narrow_ ? static_cast<const void*>(narrow_targets_.data() + offsets_[v])
                                    : static_cast<const void*>(targets_.data() + offsets_[v]);
        __builtin_prefetch(first);
        asm volatile("" : : "r"(first)); // GCC 12 dropped such prefetches from a caller's loop
    }

    [[nodiscard]] std::span<const std::uint32_t> offsets() const noexcept { return offsets_; }
    /// Firm v's own ties, copied (for tests and analysis).
    [[nodiscard]] std::vector<Firm> of(Firm v) const;

    /// The undirected network, both ends of every tie: a firm's neighbours are its own list,
    /// then the newcomers that chose it, in the order they came (for tests and analysis).
    [[nodiscard]] engine::Network to_network() const;

    /// Bytes in use (sizes, not capacities).
    [[nodiscard]] std::size_t bytes() const noexcept {
        return offsets_.size() * sizeof(std::uint32_t) + targets_.size() * sizeof(Firm) +
               narrow_targets_.size() * sizeof(Narrow);
    }

private:
    std::vector<std::uint32_t> offsets_{0};
    std::vector<Firm> targets_;          // wide entries
    std::vector<Narrow> narrow_targets_; // narrow entries
    std::size_t initial_ = 0;
    bool narrow_ = false;
};

} // namespace canopy::models::ecosystem
