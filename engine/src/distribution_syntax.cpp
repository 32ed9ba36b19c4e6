#include <canopy/engine/distribution_syntax.hpp>

#include <algorithm>

namespace canopy::engine {

const std::vector<DistributionSyntax>& distribution_syntaxes() {
    static const std::vector<DistributionSyntax> all = {
        {Uncertain::Kind::uniform, "uniform", {"low", "high"}},
        {Uncertain::Kind::normal, "normal", {"mean", "sd"}},
        {Uncertain::Kind::lognormal, "lognormal", {"median", "sigma"}},
        {Uncertain::Kind::beta, "beta", {"alpha", "beta"}},
        {Uncertain::Kind::gamma, "gamma", {"shape", "scale"}},
        {Uncertain::Kind::triangular, "triangular", {"low", "mode", "high"}},
    };
    return all;
}

std::vector<std::string> distribution_names() {
    std::vector<std::string> names;
    for (const DistributionSyntax& d : distribution_syntaxes()) {
        names.emplace_back(d.name);
    }
    return names;
}

std::vector<std::string> distribution_fields() {
    std::vector<std::string> fields;
    for (const DistributionSyntax& d : distribution_syntaxes()) {
        for (const std::string& f : d.fields) {
            if (std::find(fields.begin(), fields.end(), f) == fields.end()) {
                fields.push_back(f);
            }
        }
    }
    return fields;
}

} // namespace canopy::engine
