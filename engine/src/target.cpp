// Targets: comparisons with a threshold, and a target's outcome over an ensemble.
#include <canopy/engine/error.hpp>
#include <canopy/engine/target.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace canopy::engine {

const char* to_string(Comparison c) noexcept {
    switch (c) {
    case Comparison::greater:
        return ">";
    case Comparison::greater_equal:
        return ">=";
    case Comparison::less:
        return "<";
    case Comparison::less_equal:
        return "<=";
    }
    return "?";
}

bool parse_comparison(const std::string& text, Comparison& out) {
    for (const Comparison c : {Comparison::greater, Comparison::greater_equal, Comparison::less,
                               Comparison::less_equal}) {
        if (text == to_string(c)) {
            out = c;
            return true;
        }
    }
    return false;
}

bool attained(Comparison c, double value, double threshold) noexcept {
    // Every IEEE comparison with NaN is false, so a NaN value (a ratio over zero, a run that
    // never reached the date) or threshold never attains, with no special case.
    switch (c) {
    case Comparison::greater:
        return value > threshold;
    case Comparison::greater_equal:
        return value >= threshold;
    case Comparison::less:
        return value < threshold;
    case Comparison::less_equal:
        return value <= threshold;
    }
    return false;
}

TargetSummary summarise(const TargetSpec& target, std::span<const double> finals,
                        IntervalMethod method, double confidence) {
    TargetSummary s;
    s.id = target.id;
    s.unit = target.unit;
    s.comparison = target.comparison;
    s.threshold = target.threshold;
    s.replicates = finals.size();

    // NaN finals count as replicates that did not attain, but they have no position in a
    // distribution, so the mean and quantiles are over the others (in replicate order).
    std::vector<double> numbers;
    numbers.reserve(finals.size());
    for (const double v : finals) {
        if (attained(target.comparison, v, target.threshold)) {
            ++s.attained;
        }
        if (std::isnan(v)) {
            ++s.undefined;
        } else {
            numbers.push_back(v);
        }
    }
    s.p_attain = s.replicates == 0
                     ? std::numeric_limits<double>::quiet_NaN()
                     : static_cast<double>(s.attained) / static_cast<double>(s.replicates);
    s.p_attain_ci = binomial_interval(method, s.attained, s.replicates, confidence);
    s.mean = mean(numbers);
    const std::array<double, 3> ps{0.5, 0.05, 0.95};
    std::array<double, 3> qs{};
    quantiles(numbers, ps, qs);
    s.median = qs[0];
    s.q05 = qs[1];
    s.q95 = qs[2];
    return s;
}

} // namespace canopy::engine
