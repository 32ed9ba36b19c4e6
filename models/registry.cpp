#include "registry.hpp"

#include "ecosystem/ecosystem_model.hpp"
#include "reference/reference_model.hpp"

#include <algorithm>
#include <utility>

namespace canopy::models {

namespace {

// The table of models. Adding a model: one line here.
const std::vector<std::pair<std::string, std::unique_ptr<ModelHandle>>>& table() {
    static const auto models = [] {
        std::vector<std::pair<std::string, std::unique_ptr<ModelHandle>>> t;
        t.emplace_back("ecosystem", std::make_unique<ModelAdapter<ecosystem::Model>>());
        t.emplace_back("reference", std::make_unique<ModelAdapter<reference::Model>>());
        return t;
    }();
    return models;
}

} // namespace

const ModelHandle* find_model(const std::string& name) {
    for (const auto& [n, handle] : table()) {
        if (n == name) {
            return handle.get();
        }
    }
    return nullptr;
}

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for (const auto& entry : table()) {
        names.push_back(entry.first);
    }
    return names;
}

engine::RunShape run_shape(const ModelHandle& model, std::span<const engine::Scenario> runs,
                           int replicates, int threads) {
    engine::RunShape shape;
    shape.replicates = replicates;
    shape.runs = static_cast<int>(runs.size());
    shape.threads = threads;
    for (const engine::Scenario& s : runs) {
        shape.indicators = std::max(shape.indicators, s.indicators.size());
        shape.agents_at_horizon = std::max(shape.agents_at_horizon, model.agents_at_horizon(s));
        shape.bytes_per_agent = std::max(shape.bytes_per_agent, model.bytes_per_agent(s));
    }
    return shape;
}

engine::ModelCatalog model_catalog() {
    engine::ModelCatalog catalog;
    catalog.find = [](const std::string& name) -> const engine::ModelInfo* {
        const ModelHandle* h = find_model(name);
        return h != nullptr ? &h->info() : nullptr;
    };
    catalog.names = model_names();
    return catalog;
}

} // namespace canopy::models
