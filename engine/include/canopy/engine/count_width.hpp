#pragma once
/// \file count_width.hpp
/// Neighbour counts 16 bits wide while every degree fits, widened to 32 bits in the step growth
/// could break that: the bookkeeping every model with StateCounts shares.
///
/// A model's State holds `counts16` and `counts32` (vectors of StateCounts<K, std::uint16_t> and
/// <K, std::uint32_t>; the one in use is counts16 unless it is empty), `degree_headroom` (how many
/// more edges any one vertex may gain before the largest degree must be measured again) and
/// `narrow_count_limit` (the largest degree 16-bit counts may serve: MAX_16_BIT_DEGREE, or less in
/// a test that wants to see the widening).

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
    s.degree_headroom = 0;
    if (max_degree <= s.narrow_count_limit) {
        s.counts16.reserve(n + room);
        s.counts16.resize(n);
        s.degree_headroom = s.narrow_count_limit - max_degree;
    } else {
        s.counts32.reserve(n + room);
        s.counts32.resize(n);
    }
}

/// Before `born` new vertices of at most m edges each join `network`, each linked to distinct
/// existing vertices (so no vertex gains more than `born` edges): within the headroom nothing is
/// checked; beyond it the largest degree is measured again, and the counts are widened to 32 bits
/// if a degree could pass the limit.
template <std::size_t K, class State>
void keep_counts_fitting(State& s, const Network& network, std::size_t born, std::size_t m) {
    if (s.counts16.empty() || born <= s.degree_headroom) {
        s.degree_headroom -= s.counts16.empty() ? 0 : born;
        return;
    }
    const std::uint64_t most = std::max<std::uint64_t>(network.max_degree(), m);
    s.degree_headroom = most < s.narrow_count_limit ? s.narrow_count_limit - most : 0;
    if (born <= s.degree_headroom) {
        s.degree_headroom -= born;
        return;
    }
    s.counts32 = widened<K>(std::span<const StateCounts<K, std::uint16_t>>(s.counts16));
    s.counts32.reserve(s.counts16.capacity());
    s.counts16 = {};
    s.degree_headroom = 0;
}

} // namespace canopy::engine
