#pragma once
/// \file count_width.hpp
/// Neighbour counts 16 bits wide while every count fits, widened to 32 bits in the step growth
/// could break that: the bookkeeping every model with StateCounts shares.
///
/// A model's State holds `counts16` and `counts32` (vectors of StateCounts<K, std::uint16_t> and
/// <K, std::uint32_t>; the one in use is counts16 unless it is empty), `count_headroom` (how many
/// more edges any one vertex may gain before the counts must be measured again) and
/// `narrow_count_limit` (the largest count 16-bit counts may hold: MAX_16_BIT_DEGREE, or less in
/// a test that wants to see the widening).
///
/// What bounds every count of a vertex is its total, the number of its neighbours counted in any
/// state. Only new edges raise a total (a neighbour changing state moves from one count to
/// another; one leaving the counted states, an exit, lowers it), so between measurements the
/// largest total grows by at most the edges any one vertex gained.

#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/network.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace canopy::engine {

/// Calls f with the counts in use (counts16, or counts32 once widened) and returns what it returns.
template <class State, class F>
decltype(auto) with_counts(State& s, F&& f) {
    return s.counts32.empty() ? f(s.counts16) : f(s.counts32);
}

/// Sizes the counts for n vertices, with room for `room` more, 16-bit if `max_degree` (the
/// network's largest degree) fits min(limit, MAX_16_BIT_DEGREE). The counts are left zero.
template <std::size_t K, class State>
void start_counts(State& s, std::size_t n, std::size_t room, std::uint32_t max_degree,
                  std::uint32_t limit) {
    s.narrow_count_limit = std::min(limit, MAX_16_BIT_DEGREE);
    s.counts16.clear();
    s.counts32.clear();
    s.count_headroom = 0;
    if (max_degree <= s.narrow_count_limit) {
        s.counts16.reserve(n + room);
        s.counts16.resize(n);
        s.count_headroom = s.narrow_count_limit - max_degree;
    } else {
        s.counts32.reserve(n + room);
        s.counts32.resize(n);
    }
}

/// The largest total of any vertex's counts (0 for none): the bound on every count.
template <std::size_t K, class Count>
[[nodiscard]] std::uint32_t largest_total(std::span<const StateCounts<K, Count>> counts) noexcept {
    std::uint32_t most = 0;
    for (const StateCounts<K, Count>& c : counts) {
        std::uint32_t total = 0;
        for (std::size_t k = 0; k < K; ++k) {
            total += c[k];
        }
        most = std::max(most, total);
    }
    return most;
}

/// Before `born` new vertices of at most m edges each join, each linked to distinct existing
/// vertices (so no vertex gains more than `born` edges): within the headroom nothing is checked;
/// beyond it the largest total is measured again from the counts (a streaming pass, where the
/// largest degree would walk every vertex's overflow list), and the counts are widened to 32 bits
/// if a count could pass the limit.
template <std::size_t K, class State>
void keep_counts_fitting(State& s, std::size_t born, std::size_t m) {
    if (s.counts16.empty() || born <= s.count_headroom) {
        s.count_headroom -= s.counts16.empty() ? 0 : born;
        return;
    }
    const std::uint64_t most = std::max<std::uint64_t>(
        largest_total<K>(std::span<const StateCounts<K, std::uint16_t>>(s.counts16)), m);
    s.count_headroom = most < s.narrow_count_limit ? s.narrow_count_limit - most : 0;
    if (born <= s.count_headroom) {
        s.count_headroom -= born;
        return;
    }
    s.counts32 = widened<K>(std::span<const StateCounts<K, std::uint16_t>>(s.counts16));
    s.counts32.reserve(s.counts16.capacity());
    s.counts16 = {};
    s.count_headroom = 0;
}

/// After links that keep_counts_fitting allowed for `born` new vertices: `most` is the largest
/// total among the vertices the links reached (the new ones included). The vertices not reached
/// kept their bound, so the headroom is what the limit leaves above the larger of the two: never
/// less than keep_counts_fitting left, and usually far more (a vertex gains one edge from a few
/// of the newcomers, not from all), so the counts need measuring again much more rarely.
template <class State>
void note_linked_totals(State& s, std::size_t born, std::uint64_t most) {
    if (s.counts16.empty()) {
        return;
    }
    const std::uint64_t left = most < s.narrow_count_limit ? s.narrow_count_limit - most : 0;
    s.count_headroom = std::min<std::uint64_t>(s.count_headroom + born, left);
}

} // namespace canopy::engine
