#pragma once
/// \file paired.hpp
/// How two settings differ when their replicates are paired: replicate r of each was run on the
/// same random streams (common random numbers, experiment.hpp), so most of the noise cancels in
/// the difference and its interval is much tighter than two independent runs would give.
///
/// The intervals use the pairing, and stay valid when the replicates are independent (there the
/// pairing is arbitrary and the correlation near zero, so they widen to the unpaired width):
///   difference of P(attain)   Newcombe (1998, Stat. Med. 17:2635, method 10): each
///                             proportion's Wilson interval combined with the correlation of
///                             the paired outcomes (phi, with his continuity correction)
///   difference of medians     a percentile bootstrap that resamples whole replicates (both
///                             settings' values of a replicate together), from a fixed stream,
///                             so the same inputs give the same bits

#include <canopy/engine/statistics.hpp>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace canopy::experiments {

/// An estimated difference (other minus base) and its confidence interval.
struct PairedDifference {
    double estimate = 0.0;
    engine::Interval ci;
};

/// P(other attains) - P(base attains) from per-replicate outcomes (1 attained, 0 not; replicate
/// r of both run on the same streams), with Newcombe's paired interval at `confidence`. Throws
/// canopy::Error when the spans differ in length, are empty, or the confidence is not in (0, 1).
PairedDifference paired_proportion_difference(std::span<const std::uint8_t> base,
                                              std::span<const std::uint8_t> other,
                                              double confidence = 0.95);

/// mean(other) - mean(base) of per-replicate values, with Student's t interval on the paired
/// differences (n - 1 degrees of freedom): exact for normal differences, and by the central limit
/// theorem close for the hundreds of replicates a solve takes. Zero width when every difference
/// is the same (a cost that moves by the same amount in every replicate). NaN estimate and
/// interval when a value is NaN; NaN interval with one pair. Throws canopy::Error when the spans
/// differ in length, are empty, or the confidence is not in (0, 1).
PairedDifference paired_mean_difference(std::span<const double> base, std::span<const double> other,
                                        double confidence = 0.95);

/// median(other) - median(base) of per-replicate values, with a percentile bootstrap interval
/// over `resamples` resamplings of whole replicates, drawn from a fixed stream (`stream`): same
/// inputs, same bits. A NaN is left out of its own side's median only, so a pair with one side
/// undefined still counts on the other, and the estimate is the difference of the two medians
/// a comparison shows. Infinities are values (the median of all-inf values is inf, and a
/// difference from it is infinite); resamples without a difference (a side with no number, or
/// both medians the same infinity) are left out of the interval. NaN estimate and interval when
/// either side has no number or the medians are the same infinity. Throws canopy::Error when
/// the spans differ in length, are empty, the confidence is not in (0, 1) or resamples < 100.
PairedDifference paired_median_difference(std::span<const double> base,
                                          std::span<const double> other, double confidence = 0.95,
                                          int resamples = 2000, std::uint64_t stream = 0);

/// A bootstrap stream (for paired_median_difference) named by what it compares: a 32-bit hash of
/// the names joined by NUL bytes ({lever, target} in `canopy levers`, {target} in `canopy
/// compare`). A row's interval then does not depend on which other rows the run has, as a
/// stream from the row's position would.
std::uint64_t bootstrap_stream(std::initializer_list<std::string_view> names);

} // namespace canopy::experiments
