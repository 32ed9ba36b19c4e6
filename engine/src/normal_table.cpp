#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/statistics.hpp>

namespace canopy::engine {

NormalTable::NormalTable() {
    knots_[0] = normal_quantile(1.0 / 4096.0);
    knots_[1024] = normal_quantile(1.0 - 1.0 / 4096.0);
    for (std::size_t k = 1; k < 1024; ++k) {
        knots_[k] = normal_quantile(static_cast<double>(k) / 1024.0);
    }
}

const NormalTable& NormalTable::instance() {
    static const NormalTable table;
    return table;
}

} // namespace canopy::engine
