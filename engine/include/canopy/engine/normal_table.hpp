#pragma once
/// \file normal_table.hpp
/// Fast inverse-CDF sampling from one 32-bit random word, for per-agent draws.
///
/// A QuantileTable holds a distribution's quantiles at p = k/1024 (k = 1..1023) and two edge
/// knots; a draw takes the top 10 bits of the word to pick one of 1,024 equal-probability cells
/// and the next 22 bits to interpolate linearly inside it. One table lookup and a multiply-add:
/// no log, no trigonometry, no rejection loop, identical on every machine. Within a cell the
/// distribution is uniform, which matches the true one closely in the bulk; the outermost cells
/// end at the edge knots (for the normal, the quantiles of 1/4096 and 1 - 1/4096, |z| <= 3.35:
/// the tails beyond are cut, harmless for noise terms and attributes of agents).

#include <canopy/engine/parallel.hpp>

#include <array>
#include <cstdint>

namespace canopy::engine {

/// A distribution tabulated by its quantiles; cheap to copy (8 KiB).
class QuantileTable {
public:
    /// Tabulates `quantile`; the edge knots are quantile(p_low) and quantile(p_high).
    QuantileTable(FunctionRef<double(double)> quantile, double p_low, double p_high);

    /// A draw from 32 uniformly random bits.
    [[nodiscard]] double operator()(std::uint32_t u) const noexcept {
        const std::uint32_t cell = u >> 22;
        const double frac = static_cast<double>(u & 0x3FFFFFU) * 0x1.0p-22;
        return knots_[cell] + (knots_[cell + 1] - knots_[cell]) * frac;
    }

    /// The knots, for loops that draw many values at once (a vectorised loop gathers from them
    /// with the same arithmetic as operator()).
    [[nodiscard]] const std::array<double, 1025>& knots() const noexcept { return knots_; }

private:
    std::array<double, 1025> knots_{};
};

/// The standard normal, tabulated once per process.
class NormalTable {
public:
    /// The shared table.
    static const QuantileTable& instance();
};

/// Beta(a, b) on [0, 1] (edge knots 0 and 1: nothing is cut).
QuantileTable beta_table(double a, double b);

} // namespace canopy::engine
