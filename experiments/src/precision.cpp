#include <canopy/engine/error.hpp>
#include <canopy/experiments/precision.hpp>

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace canopy::experiments {

std::vector<std::size_t> precision_looks(std::size_t max_replicates) {
    std::vector<std::size_t> looks;
    for (std::size_t n = PRECISION_FIRST_LOOK; n < max_replicates; n *= 2) {
        looks.push_back(n);
    }
    looks.push_back(max_replicates);
    return looks;
}

double look_confidence(const PrecisionRule& rule) {
    const auto looks = static_cast<double>(precision_looks(rule.max_replicates).size());
    return 1.0 - (1.0 - rule.confidence) / looks;
}

bool target_settled(std::size_t attained, std::size_t replicates, const PrecisionRule& rule) {
    const engine::Interval ci =
        engine::binomial_interval(rule.interval, attained, replicates, look_confidence(rule));
    return ci.hi - ci.lo < 2.0 * rule.half_width || ci.lo > 0.5 || ci.hi < 0.5;
}

std::string precision_problem(double half_width) {
    if (!(half_width > 0.0 && half_width < PRECISION_MAX)) {
        return fmt::format("must be a half-width of P(attain) above 0 and below 0.5, got {}",
                           half_width);
    }
    return {};
}

PrecisionOutcome run_until_settled(
    const PrecisionRule& rule,
    const std::function<std::vector<TargetCount>(std::size_t first, std::size_t count)>& extend) {
    if (const std::string p = precision_problem(rule.half_width); !p.empty()) {
        throw Error("precision " + p);
    }
    if (rule.max_replicates < 1) {
        throw Error("precision needs at least one replicate");
    }
    if (!(rule.confidence > 0.0 && rule.confidence < 1.0)) {
        throw Error("precision needs a confidence in (0, 1)");
    }
    PrecisionOutcome out;
    for (const std::size_t look : precision_looks(rule.max_replicates)) {
        const std::vector<TargetCount> counts = extend(out.replicates, look - out.replicates);
        out.replicates = look;
        ++out.looks;
        // No target: nothing to settle, so no look can stop the run (every replicate runs).
        out.settled = !counts.empty();
        for (const TargetCount& c : counts) {
            if (c.replicates != look) {
                throw Error("precision: a target has " + std::to_string(c.replicates) +
                            " replicates after a look at " + std::to_string(look));
            }
            out.settled = out.settled && target_settled(c.attained, c.replicates, rule);
        }
        if (out.settled) {
            break;
        }
    }
    return out;
}

} // namespace canopy::experiments
