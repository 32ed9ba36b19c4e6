// `canopy validate`: check scenario and calibration files without running them. With --strict,
// also every number that would fall back to a model default nobody has sourced.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>
#include <canopy/engine/toml_document.hpp>
#include <canopy/experiments/calibration.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

namespace canopy::cli {

namespace {

// Whether a file is a calibration file (docs/calibration.md): a top-level [calibration] table
// and no [scenario]. A file that cannot be read is left to the scenario loader to report.
bool is_calibration_file(const std::filesystem::path& path) {
    engine::Diagnostics ignored;
    const engine::TomlDocument doc = engine::read_toml_file(path, ignored);
    return doc.root && doc.root->find("calibration") != nullptr &&
           doc.root->find("scenario") == nullptr;
}

// A calibration file, its scenario and its data; with --strict, also the scenario's numbers
// that fall back to unsourced defaults, except the parameters the calibration fits.
bool validate_calibration(const std::string& file, bool strict) {
    const experiments::CalibrationLoad loaded =
        experiments::load_calibration(resolve_scenario(file));
    if (report(loaded.diagnostics) || !loaded.calibration) {
        return false;
    }
    const experiments::Calibration& c = *loaded.calibration;
    if (strict) {
        const std::vector<std::string> fitted = c.parameter_names();
        engine::Diagnostics kept;
        for (const engine::Diagnostic& d :
             engine::unsourced_defaults(*c.scenario, c.model->info())) {
            const std::string name = d.key.substr(d.key.find('.') + 1);
            if (std::find(fitted.begin(), fitted.end(), name) == fitted.end()) {
                kept.add(d);
            }
        }
        if (report(kept)) {
            std::cerr << file << ": " << kept.size()
                      << " number(s) of its scenario fall back to unsourced model defaults "
                         "(--strict)\n";
            return false;
        }
    }
    return true;
}

int validate_command(const std::vector<std::string>& files, bool strict) {
    bool all_ok = true;
    const engine::ModelCatalog catalog = models::model_catalog();
    for (const std::string& file : files) {
        if (is_calibration_file(resolve_scenario(file))) {
            if (validate_calibration(file, strict)) {
                std::cout << "ok: " << file << " (calibration)\n";
            } else {
                all_ok = false;
            }
            continue;
        }
        const engine::LoadResult result = engine::load_scenario(resolve_scenario(file), catalog);
        bool bad = report(result.diagnostics);
        if (!bad && result.scenario && strict) {
            const engine::ModelInfo* model = catalog.find(result.scenario->model);
            if (model != nullptr) {
                const engine::Diagnostics unsourced =
                    engine::unsourced_defaults(*result.scenario, *model);
                if (report(unsourced)) {
                    std::cerr << file << ": " << unsourced.size()
                              << " number(s) fall back to unsourced model defaults (--strict)\n";
                    bad = true;
                }
            }
        }
        if (bad || !result.scenario) {
            all_ok = false;
            continue;
        }
        // A posterior the scenario names must be readable and fit the model.
        const models::ModelHandle* model = models::find_model(result.scenario->model);
        if (model != nullptr &&
            !with_posterior_of(*result.scenario, model->info(), "", "canopy validate")) {
            all_ok = false;
            continue;
        }
        std::cout << "ok: " << file << "\n";
    }
    return all_ok ? EXIT_OK : EXIT_BAD_INPUT;
}

} // namespace

Command add_validate(CLI::App& app) {
    auto files = std::make_shared<std::vector<std::string>>();
    auto strict = std::make_shared<bool>(false);
    CLI::App* cmd =
        app.add_subcommand("validate", "Check scenario and calibration files without running them");
    cmd->add_option("scenario", *files, "Scenario or calibration files")->required();
    cmd->add_flag("--strict", *strict,
                  "Also reject every parameter or lever left at a model default that has no "
                  "source or reasoning (every number must have an owner)");
    return Command{cmd, [files, strict] { return validate_command(*files, *strict); }};
}

} // namespace canopy::cli
