#include "registry.hpp"

#include "ecosystem/ecosystem_model.hpp"
#include "reference/reference_model.hpp"

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
