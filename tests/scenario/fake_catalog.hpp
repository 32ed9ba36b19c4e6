#pragma once
// A small fake model catalogue for the scenario tests and the fuzz target: a few baseline
// figures, parameters with bounded, half-bounded, unbounded and integer ranges, three levers,
// and stock and flow series. Nothing here runs; the loader only needs the names and ranges.

#include <canopy/engine/model.hpp>
#include <canopy/engine/scenario.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace canopy::test {

inline const engine::ModelInfo& toy_model() {
    using engine::ParameterRole;
    using engine::Range;
    using engine::SeriesKind;
    constexpr double INF = std::numeric_limits<double>::infinity();
    static const engine::ModelInfo info = [] {
        engine::ModelInfo m;
        m.name = "toy";
        m.description = "a fake model for loader tests";
        m.parameters = {
            {"firms_initial", "firms", "firms at the start", 1000.0, Range{0.0, 1e6},
             ParameterRole::baseline, true},
            {"talent_initial", "thousand people", "talent stock at the start", 50.0,
             Range{0.0, INF}, ParameterRole::baseline, false},
            {"exit_rate", "per year", "annual exit probability", 0.05, Range{0.0, 1.0},
             ParameterRole::parameter, false},
            {"growth_elasticity", "1", "elasticity of growth", 0.5, Range{-INF, INF},
             ParameterRole::parameter, false},
            {"leader_quota", "firms", "leaders selected per year", 10.0, Range{0.0, 100.0},
             ParameterRole::parameter, true},
            {"loan_multiplier", "1", "leverage of the transfer fund", 2.0, Range{0.0, INF},
             ParameterRole::parameter, false},
        };
        m.levers = {
            {"tech_loans", "bn yuan", "technology loans issued per year", 10.0, Range{0.0, 500.0},
             "finance"},
            {"talent_subsidy", "m yuan", "talent programme budget", 0.0, Range{0.0, 100.0},
             "talent"},
            {"cert_reward", "k yuan per firm", "reward per certified firm", 100.0,
             Range{0.0, 1000.0}, "enterprise"},
        };
        m.series = {
            {"firms", "firms", "firms alive", SeriesKind::stock},
            {"high_tech_firms", "firms", "certified high-tech firms", SeriesKind::stock},
            {"births", "firms", "new firms", SeriesKind::flow},
            {"tech_contract_turnover", "bn yuan", "technology contract turnover", SeriesKind::flow},
        };
        return m;
    }();
    return info;
}

/// A catalogue that knows "toy" (and lists "toy_sd" too, which it cannot find, to show that
/// the loader relies on find(), not on names).
inline engine::ModelCatalog toy_catalog() {
    engine::ModelCatalog catalog;
    catalog.find = [](const std::string& name) -> const engine::ModelInfo* {
        return name == "toy" ? &toy_model() : nullptr;
    };
    catalog.names = {"toy"};
    return catalog;
}

/// The smallest valid scenario for the toy model: 11 lines, so text appended to it starts on
/// line MINIMAL_LINES + 1.
inline constexpr const char* MINIMAL = R"([scenario]
name = "t"
model = "toy"
start = "2023-01"
end = "2023-12"
[baseline.firms_initial]
value = 1000
source = "s"
[baseline.talent_initial]
value = 50
source = "s"
)";
inline constexpr int MINIMAL_LINES = 11;

/// Loads text as "test.toml" against the toy catalogue.
inline engine::LoadResult load(std::string_view text) {
    return engine::load_scenario_text(text, "test.toml", toy_catalog());
}

/// The error diagnostics of a result.
inline std::vector<engine::Diagnostic> errors(const engine::LoadResult& r) {
    std::vector<engine::Diagnostic> out;
    for (const engine::Diagnostic& d : r.diagnostics) {
        if (d.severity == engine::Diagnostic::Severity::error) {
            out.push_back(d);
        }
    }
    return out;
}

/// A file's bytes.
inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Files of a directory in name order (directory iteration order is unspecified).
inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace canopy::test
