#pragma once
// The median of a bench's measured figures (rounds, repeats).

#include <algorithm>
#include <cstddef>
#include <vector>

namespace canopy::bench {

/// The middle value of v (the mean of the middle two for an even count); 0 for none.
[[nodiscard]] inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace canopy::bench
