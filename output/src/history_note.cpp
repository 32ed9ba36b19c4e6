// The note on targets read before policy_start, shared by the command line and Python.
#include <canopy/output/history_note.hpp>

#include <algorithm>

namespace canopy::output {

// The last month indicator `id` reads (a ratio: the later of its two; a change: its input's,
// which the loader keeps on or after its base month), so a target on it is settled once that
// month has run.
engine::YearMonth last_month_read(const std::vector<engine::IndicatorSpec>& indicators,
                                  const std::string& id, int depth) {
    const auto it = std::find_if(indicators.begin(), indicators.end(),
                                 [&](const engine::IndicatorSpec& i) { return i.id == id; });
    if (it == indicators.end() || depth > static_cast<int>(indicators.size())) {
        return engine::YearMonth{9999, 12}; // the loader refuses both; read as "the end"
    }
    switch (it->kind) {
    case engine::IndicatorSpec::Kind::flow:
        return it->to;
    case engine::IndicatorSpec::Kind::ratio:
        return std::max(last_month_read(indicators, it->numerator, depth + 1),
                        last_month_read(indicators, it->denominator, depth + 1));
    case engine::IndicatorSpec::Kind::change:
        return last_month_read(indicators, it->of, depth + 1);
    case engine::IndicatorSpec::Kind::stock:
    case engine::IndicatorSpec::Kind::growth:
        break;
    }
    return it->at;
}

std::string history_targets_note(const engine::Scenario& scenario) {
    std::string listed;
    for (const engine::TargetSpec& t : scenario.targets) {
        const engine::YearMonth read = last_month_read(scenario.indicators, t.indicator);
        if (read < scenario.policy_start) {
            listed += "  " + t.id + ": read at the end of " + read.str() + "\n";
        }
    }
    if (listed.empty()) {
        return {};
    }
    return "read before policy_start " + scenario.policy_start.str() +
           ": these targets measure the history, which no lever set from then moves:\n" + listed;
}

} // namespace canopy::output
