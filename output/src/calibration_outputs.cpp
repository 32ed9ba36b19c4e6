// Where a calibration's result may be written, checked once for the command line and Python.
#include <canopy/experiments/calibration.hpp>
#include <canopy/output/calibration_outputs.hpp>
#include <canopy/output/files.hpp>

#include <utility>

namespace canopy::output {

namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

// Every file the calibration reads, with what it is to the calibration.
std::vector<std::pair<fs::path, std::string>> inputs_of(const fs::path& file,
                                                        const experiments::Calibration* c) {
    std::vector<std::pair<fs::path, std::string>> inputs{{file, "the calibration file"}};
    if (c != nullptr) {
        inputs.emplace_back(c->data.path, "the calibration's data");
        for (const fs::path& f : c->scenario->files) {
            inputs.emplace_back(f, "a file of the calibration's scenario");
        }
        if (c->scenario->posterior) {
            inputs.emplace_back(c->scenario->posterior->path, "the scenario's posterior");
        }
    }
    return inputs;
}

} // namespace

std::vector<std::string> calibration_output_problems(const fs::path& calibration_file,
                                                     const experiments::Calibration* calibration,
                                                     const std::string& out,
                                                     const std::string& json,
                                                     const std::string& out_name,
                                                     const std::string& json_name) {
    std::vector<std::string> problems;
    if (out.empty()) {
        problems.push_back(out_name + ": the path is empty (give a FILE.h5)");
    } else if (const std::string n = h5_name_problem(out); !n.empty()) {
        problems.push_back(out_name + ": " + quoted(out) + n);
    } else if (const std::string p = output_path_problem(out); !p.empty()) {
        problems.push_back(out_name + ": cannot write " + quoted(out) + ": " + p);
    }
    const bool json_file = !json.empty() && json != "-";
    if (json_file) {
        if (const std::string p = output_path_problem(json); !p.empty()) {
            problems.push_back(json_name + ": cannot write " + quoted(json) + ": " + p + " (use " +
                               json_name + " - for stdout)");
        }
    }
    const auto inputs = inputs_of(calibration_file, calibration);
    std::vector<std::pair<std::string, std::string>> outputs{{out_name, out}};
    if (json_file) {
        outputs.emplace_back(json_name, json);
    }
    for (const auto& [name, path] : outputs) {
        if (path.empty()) {
            continue;
        }
        for (const auto& [input, what] : inputs) {
            if (same_file(path, input)) {
                problems.push_back(name + ": " + quoted(path) + " is " + what +
                                   "; it would be overwritten");
                break;
            }
        }
    }
    if (json_file && same_file(json, out)) {
        problems.push_back(json_name + " and " + out_name + " name the same file " + quoted(out));
    }
    return problems;
}

} // namespace canopy::output
