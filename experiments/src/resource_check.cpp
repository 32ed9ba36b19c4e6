// Memory checks before anything runs (resource_check.hpp): shared by the command line and the
// Python module, so both refuse the same ensembles with the same message.
#include "registry.hpp"

#include <canopy/engine/parallel.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/overrides.hpp>
#include <canopy/experiments/resource_check.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

namespace canopy::experiments {

ResourceWords python_resource_words() {
    return ResourceWords{"max_memory", "threads", true};
}

bool valid_max_memory(const std::string& text) {
    double bytes = 0.0;
    return text == "none" || engine::parse_bytes(text, bytes);
}

MemoryLimit memory_limit(const std::string& max_memory, const ResourceWords& words) {
    MemoryLimit limit;
    if (max_memory == "none") {
        return limit;
    }
    if (max_memory.empty()) {
        limit.bytes = static_cast<double>(engine::available_memory_bytes());
        limit.limited = limit.bytes > 0.0; // 0: unknown
        limit.what = "the " + engine::bytes_text(limit.bytes) + " of memory available";
    } else {
        // A value valid_max_memory refuses is reported where it is read.
        limit.limited = engine::parse_bytes(max_memory, limit.bytes);
        limit.what = words.keywords ? words.max_memory + "='" + max_memory + "'"
                                    : words.max_memory + " " + max_memory;
    }
    return limit;
}

ResourceCheck check_resources(const models::ModelHandle& model,
                              const std::vector<engine::Scenario>& runs, int replicates,
                              int threads, const std::string& max_memory,
                              const std::string& subject, const std::string& advice,
                              const ResourceWords& words, const HeldMemory& held) {
    ResourceCheck check;
    if (runs.empty()) {
        return check;
    }
    const engine::ModelInfo& info = model.info();
    const engine::RunShape shape = models::run_shape(model, runs, replicates, threads);
    const engine::Calendar& calendar = runs.front().calendar;
    const engine::ResourceEstimate e = engine::estimate_resources(info, calendar, shape);
    check.estimate = e.describe(shape, info, calendar);
    check.seconds = e.seconds;
    const MemoryLimit limit = memory_limit(max_memory, words);
    if (!limit.limited) {
        return check; // no limit, or unknown: nothing to compare with
    }
    const double beside = std::max(0.0, held.bytes);
    if (e.total_bytes() + beside > limit.bytes) {
        const std::string allow = words.keywords ? words.max_memory + "='SIZE' (or 'none')"
                                                 : words.max_memory + " SIZE (or none)";
        check.problem = subject + " would need " + check.estimate +
                        (beside > 0.0 ? "; with about " + engine::bytes_text(beside) + " for " +
                                            held.what + " beside it, that is more than "
                                      : ", more than ") +
                        limit.what + "; " + advice + ", or " + allow + " to allow it";
    }
    return check;
}

// A prior reaching far past what the machine can hold (births_per_month up to 1e9, say) was
// found only when a candidate drawn there ran out of memory (std::bad_alloc), after the runs
// before it.
std::string calibration_resource_problem(const Calibration& c, int threads,
                                         const std::string& max_memory,
                                         const ResourceWords& words) {
    if (c.model == nullptr || !c.scenario || c.parameters.empty()) {
        return {};
    }
    const models::ModelHandle& model = *c.model;
    const auto size_of = [&model](const engine::Scenario& s) {
        return model.agents_at_horizon(s) * model.bytes_per_agent(s);
    };
    // Where candidates can practically be drawn: the prior's bounds are the model's whole
    // range unless the file narrows them, so its quantiles, not its bounds.
    const auto end_of = [](const Prior& prior, bool upper) {
        return prior.quantile(upper ? 1.0 - 1e-6 : 1e-6);
    };
    std::vector<Override> worst;
    std::string sizing;
    const double base = size_of(*c.scenario);
    for (const FittedParameter& p : c.parameters) {
        const Override low{p.target, end_of(p.prior, false)};
        const Override high{p.target, end_of(p.prior, true)};
        const double at_low = size_of(apply_overrides(*c.scenario, std::span(&low, 1)));
        const double at_high = size_of(apply_overrides(*c.scenario, std::span(&high, 1)));
        const Override& pick = at_high >= at_low ? high : low;
        worst.push_back(pick);
        if (std::max(at_low, at_high) != base) {
            sizing += fmt::format("{}{} = {:.6g} (its prior's {} end)", sizing.empty() ? "" : ", ",
                                  p.target.name, pick.value, &pick == &high ? "upper" : "lower");
        }
    }
    if (sizing.empty()) {
        return {}; // no fitted parameter changes the model's size: run's own check covers it
    }
    const int replicates = std::max(
        1, c.method == CalibrationMethod::smm ? c.smm.replicates : c.abc.replicates_per_particle);
    const int usable = threads > 0 ? threads : engine::hardware_threads();
    const int side_by_side = usable > replicates ? usable / replicates : 1;
    const std::vector<engine::Scenario> runs{apply_overrides(*c.scenario, worst)};
    return check_resources(model, runs, side_by_side * replicates, usable, max_memory,
                           "a candidate with " + sizing +
                               (side_by_side > 1
                                    ? ", " + std::to_string(side_by_side) + " such runs at once,"
                                    : ""),
                           "narrow that prior in the calibration file (its range, or its upper "
                           "or lower bound), or use fewer " +
                               words.threads,
                           words)
        .problem;
}

} // namespace canopy::experiments
