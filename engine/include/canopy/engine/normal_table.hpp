#pragma once
/// \file normal_table.hpp
/// A fast standard-normal variate from one 32-bit random word, for per-agent-per-step noise.
///
/// Inverse-CDF sampling on a table: the top 10 bits pick one of 1024 equal-probability cells, the
/// next 22 bits interpolate linearly between the cell's quantiles. Quantiles come from
/// engine::normal_quantile at p = k/1024 (k = 1..1023), with the outermost cells closed at the
/// quantiles of 1/4096 and 1 - 1/4096 (|z| <= 3.35): the tails beyond are cut, which is harmless
/// for noise terms and keeps the draw bounded. Integer indexing and one multiply-add: no log, no
/// trigonometry, identical on every machine.

#include <array>
#include <cstdint>

namespace canopy::engine {

/// The table; build once (construction computes 1025 quantiles) and share.
class NormalTable {
public:
    NormalTable();
    /// A standard-normal variate from 32 uniformly random bits.
    [[nodiscard]] double operator()(std::uint32_t u) const noexcept {
        const std::uint32_t cell = u >> 22;
        const double frac = static_cast<double>(u & 0x3FFFFFU) * 0x1.0p-22;
        return knots_[cell] + (knots_[cell + 1] - knots_[cell]) * frac;
    }
    /// The shared instance.
    static const NormalTable& instance();

private:
    std::array<double, 1025> knots_{};
};

} // namespace canopy::engine
