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

namespace {
ParameterConstraint make(ParameterConstraint::Kind kind, std::vector<std::string> names,
                         double bound, std::string what, std::string reason) {
    ParameterConstraint c;
    c.kind = kind;
    c.parameters = std::move(names);
    c.bound = bound;
    c.what = std::move(what);
    c.reason = std::move(reason);
    return c;
}
} // namespace

ParameterConstraint ParameterConstraint::sum_at_most(std::vector<std::string> names, double bound,
                                                     std::string what, std::string reason) {
    return make(Kind::sum_at_most, std::move(names), bound, std::move(what), std::move(reason));
}

ParameterConstraint ParameterConstraint::sum_equals(std::vector<std::string> names, double bound,
                                                    std::string what, std::string reason) {
    return make(Kind::sum_equals, std::move(names), bound, std::move(what), std::move(reason));
}

ParameterConstraint ParameterConstraint::ordered(std::vector<std::string> names, std::string what,
                                                 std::string reason) {
    return make(Kind::ordered, std::move(names), 0.0, std::move(what), std::move(reason));
}

ParameterConstraint ParameterConstraint::product_at_most(std::vector<std::string> names,
                                                         double bound, std::string what,
                                                         std::string reason) {
    return make(Kind::product_at_most, std::move(names), bound, std::move(what), std::move(reason));
}

ParameterConstraint
ParameterConstraint::positive(std::vector<std::string> names,
                              std::function<double(std::span<const double>)> margin,
                              std::string condition, std::string what, std::string reason) {
    ParameterConstraint c =
        make(Kind::positive, std::move(names), 0.0, std::move(what), std::move(reason));
    c.margin = std::move(margin);
    c.condition = std::move(condition);
    return c;
}

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
