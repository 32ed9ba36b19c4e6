#include <canopy/engine/model.hpp>

namespace canopy::engine {

namespace {
template <class Spec>
int find_name(const std::vector<Spec>& list, const std::string& name) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].name == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}
} // namespace

int ModelInfo::parameter_index(const std::string& n) const {
    return find_name(parameters, n);
}
int ModelInfo::lever_index(const std::string& n) const {
    return find_name(levers, n);
}
int ModelInfo::series_index(const std::string& n) const {
    return find_name(series, n);
}
int ModelInfo::stock_index(const std::string& n) const {
    return find_name(stocks, n);
}

} // namespace canopy::engine
