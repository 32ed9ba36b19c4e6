// The ecosystem model's description: names, units, ranges and defaults, from the X-macro tables.
#include "ecosystem/ecosystem_model.hpp"

namespace canopy::models::ecosystem {

namespace {

engine::ModelInfo make_info() {
    using engine::ParameterRole;
    using engine::SeriesKind;
    engine::ModelInfo m;
    m.name = "ecosystem";
    m.description = "Innovation ecosystem: firms climbing incubation -> tech SME -> high-tech -> "
                    "leader, with finance, talent and platform levers (models/ecosystem/README.md)";
#define CANOPY_PARAM_INFO(name, unit, role, def, lo, hi, integer, text)                            \
    m.parameters.push_back({#name, unit, text, def, {lo, hi}, ParameterRole::role, (integer) != 0});
    CANOPY_ECOSYSTEM_PARAMETERS(CANOPY_PARAM_INFO)
#undef CANOPY_PARAM_INFO
#define CANOPY_LEVER_INFO(name, unit, group, def, lo, hi, text)                                    \
    m.levers.push_back({#name, unit, text, def, {lo, hi}, group});
    CANOPY_ECOSYSTEM_LEVERS(CANOPY_LEVER_INFO)
#undef CANOPY_LEVER_INFO
#define CANOPY_SERIES_INFO(name, unit, kind, text)                                                 \
    m.series.push_back({#name, unit, text, SeriesKind::kind});
    CANOPY_ECOSYSTEM_SERIES(CANOPY_SERIES_INFO)
#undef CANOPY_SERIES_INFO
#define CANOPY_STOCK_INFO(name, unit, text) m.stocks.push_back({#name, unit, text});
    CANOPY_ECOSYSTEM_STOCKS(CANOPY_STOCK_INFO)
#undef CANOPY_STOCK_INFO
    return m;
}

} // namespace

const engine::ModelInfo& Model::info() const {
    static const engine::ModelInfo info = make_info();
    return info;
}

} // namespace canopy::models::ecosystem
