// `canopy models`: every model's parameters, levers and series, with units and ranges.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/output/table.hpp>

#include <fmt/format.h>

#include <iostream>

namespace canopy::cli {

namespace {

// The basis of a default as the last column: its source or reasoning, or a warning that a
// scenario relying on it fails `canopy validate --strict`.
std::string basis(const std::string& provenance) {
    return provenance.empty() ? "[unsourced default: set it in the scenario]"
                              : "[default: " + provenance + "]";
}

int models_command() {
    for (const std::string& name : models::model_names()) {
        const models::ModelHandle* handle = models::find_model(name);
        if (handle == nullptr) {
            continue;
        }
        const engine::ModelInfo& info = handle->info();
        std::cout << name << ": " << info.description << "\n";
        std::vector<std::vector<std::string>> rows;
        for (const engine::ParameterSpec& p : info.parameters) {
            rows.push_back(
                {p.name, p.role == engine::ParameterRole::baseline ? "baseline" : "parameter",
                 p.unit, "default " + fmt::format("{}", p.default_value),
                 range_text(p.range.min, p.range.max), p.description, basis(p.provenance)});
        }
        std::cout << "  parameters ([baseline.<name>] or [parameters.<name>]); the last column "
                     "is the basis of the default\n"
                  << output::format_columns(rows, 4);
        rows.clear();
        for (const engine::LeverSpec& l : info.levers) {
            rows.push_back(
                {l.name, l.group, l.unit, "default " + fmt::format("{}", l.default_value),
                 range_text(l.range.min, l.range.max), l.description, basis(l.provenance)});
        }
        std::cout << "  levers ([levers.<name>])\n" << output::format_columns(rows, 4);
        rows.clear();
        for (const engine::SeriesSpec& s : info.series) {
            rows.push_back({s.name, s.kind == engine::SeriesKind::stock ? "stock" : "flow", s.unit,
                            s.description});
        }
        std::cout << "  series (indicators' `series`)\n" << output::format_columns(rows, 4);
        std::cout << "\n";
    }
    return EXIT_OK;
}

} // namespace

Command add_models(CLI::App& app) {
    CLI::App* cmd =
        app.add_subcommand("models", "List the models with their parameters, levers and series");
    return Command{cmd, [](const FlagProblems& flagged) {
                       return flagged.empty() ? models_command()
                                              : refuse_flagged(flagged, "canopy models");
                   }};
}

} // namespace canopy::cli
