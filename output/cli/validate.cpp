// `canopy validate`: check scenario, calibration and sweep files without running them. With
// --strict, also every number that would fall back to a model default nobody has sourced.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>
#include <canopy/engine/toml_document.hpp>
#include <canopy/experiments/calibration.hpp>
#include <canopy/experiments/sweep.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

namespace canopy::cli {

namespace {

enum class FileKind { scenario, calibration, sweep };

// The file as given, and the file checked when that is another: a path not found from here is
// looked up in Canopy's source tree (scenarios/...), which "ok: scenarios/reference.toml" did
// not say.
std::string shown(const std::string& file) {
    const std::filesystem::path checked = resolve_scenario(file);
    return checked == std::filesystem::path(file) ? file
                                                  : file + " (" + checked.generic_string() + ")";
}

// What a file is by its top-level tables: a calibration file (docs/calibration.md) has
// [calibration], a sweep file (docs/sweeps.md) has [sweep], and neither has [scenario]. A file
// that cannot be read is left to the scenario loader to report.
FileKind kind_of(const std::filesystem::path& path) {
    engine::Diagnostics ignored;
    const engine::TomlDocument doc = engine::read_toml_file(path, ignored);
    if (!doc.root || doc.root->find("scenario") != nullptr) {
        return FileKind::scenario;
    }
    if (doc.root->find("calibration") != nullptr) {
        return FileKind::calibration;
    }
    if (doc.root->find("sweep") != nullptr) {
        return FileKind::sweep;
    }
    return FileKind::scenario;
}

// The scenario's numbers that fall back to unsourced model defaults, except `exempt` (the
// names a calibration fits or a sweep sets at every point).
engine::Diagnostics unsourced_except(const engine::Scenario& scenario,
                                     const engine::ModelInfo& model,
                                     const std::vector<std::string>& exempt) {
    engine::Diagnostics kept;
    for (const engine::Diagnostic& d : engine::unsourced_defaults(scenario, model)) {
        const std::string name = d.key.substr(d.key.find('.') + 1);
        if (std::find(exempt.begin(), exempt.end(), name) == exempt.end()) {
            kept.add(d);
        }
    }
    return kept;
}

// A sweep file and the scenario it names, as `canopy sweep` checks them before running; with
// --strict, also the scenario's unsourced defaults other than the swept factors.
bool validate_sweep(const std::string& file, bool strict) {
    const experiments::SweepLoad loaded = experiments::load_sweep(resolve_scenario(file));
    if (report(loaded.diagnostics) || !loaded.sweep) {
        return false;
    }
    const experiments::Sweep& s = *loaded.sweep;
    if (strict) {
        const engine::Diagnostics kept =
            unsourced_except(*s.scenario, s.model->info(), s.factor_names);
        if (report(kept)) {
            std::cerr << file << ": " << kept.size()
                      << " number(s) of its scenario fall back to unsourced model defaults "
                         "(--strict)\n";
            return false;
        }
    }
    std::cout << "ok: " << shown(file) << " (sweep: " << to_string(s.design) << " design over "
              << s.factors.size() << " factor(s), " << s.replicates << " replicates per point)\n";
    return true;
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
        const engine::Diagnostics kept =
            unsourced_except(*c.scenario, c.model->info(), c.parameter_names());
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
        const FileKind kind = kind_of(resolve_scenario(file));
        if (kind == FileKind::calibration) {
            if (validate_calibration(file, strict)) {
                std::cout << "ok: " << shown(file) << " (calibration)\n";
            } else {
                all_ok = false;
            }
            continue;
        }
        if (kind == FileKind::sweep) {
            all_ok = validate_sweep(file, strict) && all_ok;
            continue;
        }
        const engine::LoadResult result = engine::load_scenario(resolve_scenario(file), catalog);
        bool bad = report(result.diagnostics);
        if (!bad && result.scenario && strict) {
            const engine::ModelInfo* model = catalog.find(result.scenario->model);
            if (model != nullptr) {
                // The columns its posterior draws are fitted, not defaults: a calibration is
                // their source.
                std::vector<std::string> drawn;
                if (result.scenario->posterior) {
                    const std::optional<engine::Scenario> attached =
                        with_posterior_of(*result.scenario, *model, "", "canopy validate");
                    if (!attached) {
                        all_ok = false;
                        continue;
                    }
                    if (attached->joint_draws) {
                        for (const engine::JointDraws::Column& c :
                             attached->joint_draws->columns()) {
                            drawn.push_back(c.name);
                        }
                    }
                }
                const engine::Diagnostics unsourced =
                    unsourced_except(*result.scenario, *model, drawn);
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
        std::cout << "ok: " << shown(file) << "\n";
        // Not an error, nor a warning --strict would refuse (a history scenario reads only the
        // past), but worth a word: a plan's target read before its levers act is decided already.
        if (const std::string note = history_targets_note(*result.scenario); !note.empty()) {
            std::cout << "note: " << file << ": " << note;
        }
        if (model != nullptr) {
            // The scenario and each of its mixes, with the posterior's draws it names.
            const std::optional<engine::Scenario> attached =
                with_posterior_of(*result.scenario, model->info(), "", "canopy validate");
            const engine::Scenario& base = attached ? *attached : *result.scenario;
            std::vector<engine::Scenario> scenarios{base};
            std::vector<std::pair<std::string, const engine::Scenario*>> mixed;
            for (const engine::PolicyMix& m : base.policy_mixes) {
                scenarios.push_back(base.with_policy_mix(m.name));
            }
            mixed.emplace_back(engine::BASE_POLICY_MIX, &scenarios[0]);
            for (std::size_t k = 0; k < base.policy_mixes.size(); ++k) {
                mixed.emplace_back(base.policy_mixes[k].name, &scenarios[k + 1]);
            }
            for (const std::string& note : advisory_lines(model->info(), mixed)) {
                std::cout << "note: " << file << ": " << note << "\n";
            }
        }
    }
    return all_ok ? EXIT_OK : EXIT_BAD_INPUT;
}

} // namespace

Command add_validate(CLI::App& app) {
    auto files = std::make_shared<std::vector<std::string>>();
    auto strict = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "validate", "Check scenario, calibration and sweep files without running them");
    cmd->add_option("scenario", *files, "Scenario, calibration or sweep files")->required();
    cmd->add_flag("--strict", *strict,
                  "Also reject every parameter or lever left at a model default that has no "
                  "source or reasoning (every number must have an owner)");
    return Command{cmd, [files, strict](const FlagProblems& flagged) {
                       return flagged.empty() ? validate_command(*files, *strict)
                                              : refuse_flagged(flagged, "canopy validate");
                   }};
}

} // namespace canopy::cli
