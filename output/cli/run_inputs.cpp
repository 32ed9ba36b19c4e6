// Every file a command that runs a scenario reads, so that no output can overwrite one; and why
// --resume cannot continue from a journal.
#include "cli.hpp"

#include <canopy/experiments/sweep.hpp>

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

std::vector<output::NamedPath> sweep_inputs(const std::string& what,
                                            const std::filesystem::path& sweep_file,
                                            const experiments::Sweep* sweep) {
    // "the sweep file" for a sweep's own; "the --ranges file" and its scenario's for a flag's.
    const bool flag = what.starts_with("--");
    std::vector<output::NamedPath> inputs{
        {flag ? "the " + what + " file" : "the sweep file", sweep_file}};
    if (sweep == nullptr) {
        return inputs;
    }
    const std::string whose = flag ? "the " + what + " sweep's scenario" : "the sweep's scenario";
    inputs.push_back({whose + " file", sweep->scenario_file});
    if (sweep->scenario) {
        for (std::size_t i = 1; i < sweep->scenario->files.size(); ++i) {
            inputs.push_back({"a file " + whose + " extends", sweep->scenario->files[i]});
        }
        if (sweep->scenario->posterior) {
            inputs.push_back(
                {"the posterior " + whose + " names", sweep->scenario->posterior->path});
        }
    }
    return inputs;
}

std::string resume_problem(const experiments::JournalCheck& check, const std::string& inputs) {
    if (check.kind == experiments::JournalCheck::Kind::other_build) {
        return "--resume: " + check.problem +
               "; remove it and run without --resume to start again with this build, or resume "
               "with the canopy that wrote it";
    }
    if (check.kind == experiments::JournalCheck::Kind::other_experiment) {
        return "--resume: " + check.problem + ": " + inputs +
               " changed since it was written; resume with what it was written for, or remove "
               "it and run without --resume to start again";
    }
    if (!check.problem.empty()) {
        return "--resume: " + check.problem + "; remove it and run without --resume to start again";
    }
    return {};
}

} // namespace canopy::cli
