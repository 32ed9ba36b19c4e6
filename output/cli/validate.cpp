// `canopy validate`: check scenario files without running them. With --strict, also every
// number that would fall back to a model default nobody has sourced.
#include "cli.hpp"
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>

#include <iostream>
#include <memory>

namespace canopy::cli {

namespace {

int validate_command(const std::vector<std::string>& files, bool strict) {
    bool all_ok = true;
    const engine::ModelCatalog catalog = models::model_catalog();
    for (const std::string& file : files) {
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
        } else {
            std::cout << "ok: " << file << "\n";
        }
    }
    return all_ok ? EXIT_OK : EXIT_BAD_INPUT;
}

} // namespace

Command add_validate(CLI::App& app) {
    auto files = std::make_shared<std::vector<std::string>>();
    auto strict = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("validate", "Check scenario files without running them");
    cmd->add_option("scenario", *files, "Scenario files")->required();
    cmd->add_flag("--strict", *strict,
                  "Also reject every parameter or lever left at a model default that has no "
                  "source or reasoning (every number must have an owner)");
    return Command{cmd, [files, strict] { return validate_command(*files, *strict); }};
}

} // namespace canopy::cli
