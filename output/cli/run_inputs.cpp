// Every file a command that runs a scenario reads, so that no output can overwrite one.
#include "cli.hpp"

namespace canopy::cli {

std::vector<output::NamedPath> scenario_inputs(const std::filesystem::path& scenario_path,
                                               const engine::LoadResult& loaded,
                                               const std::string& posterior_flag) {
    std::vector<output::NamedPath> inputs{{"the scenario file", scenario_path}};
    if (loaded.scenario) {
        const engine::Scenario& s = *loaded.scenario;
        for (std::size_t i = 1; i < s.files.size(); ++i) {
            inputs.push_back({"a file the scenario extends", s.files[i]});
        }
        if (s.posterior) {
            inputs.push_back({"the posterior the scenario names", s.posterior->path});
        }
    }
    if (!posterior_flag.empty()) {
        inputs.push_back({"the --posterior file", posterior_flag});
    }
    return inputs;
}

} // namespace canopy::cli
