#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/statistics.hpp>

namespace canopy::engine {

QuantileTable::QuantileTable(FunctionRef<double(double)> quantile, double p_low, double p_high) {
    knots_[0] = quantile(p_low);
    knots_[1024] = quantile(p_high);
    for (std::size_t k = 1; k < 1024; ++k) {
        knots_[k] = quantile(static_cast<double>(k) / 1024.0);
    }
}

const QuantileTable& NormalTable::instance() {
    static const QuantileTable table([](double p) { return normal_quantile(p); }, 1.0 / 4096.0,
                                     1.0 - 1.0 / 4096.0);
    return table;
}

QuantileTable beta_table(double a, double b) {
    return QuantileTable([&](double p) { return beta_quantile(a, b, p); }, 0.0, 1.0);
}

} // namespace canopy::engine
