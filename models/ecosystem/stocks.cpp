// The system-dynamics stocks: talent, platforms, knowledge and technology contracts (README
// "6. SD stocks"); the finance stocks are in finance.cpp.
#include "ecosystem/detail.hpp"

#include <canopy/engine/sd.hpp>

#include <algorithm>

namespace canopy::models::ecosystem {

namespace detail {

// Brokers and liaisons, transfer centres and matchmaking events, each relative to the start,
// equally weighted (README "Knowledge and technology contracts").
double transfer_index(const Eigen::VectorXd& y, const StepContext& ctx) {
    const double staff = sd(y, stock::transfer_staff) / par(ctx, param::initial_transfer_staff);
    const double centres =
        sd(y, stock::transfer_centres) / par(ctx, param::initial_transfer_centres);
    const double events = lev(ctx, lever::matchmaking_events) / par(ctx, param::reference_events);
    return (staff + centres + events) / 3.0;
}

namespace {

// Share of a year's graduates who start in a given month.
double graduate_month_share(const StepContext& ctx, int month_of_year) {
    const double summer = par(ctx, param::summer_share);
    return (month_of_year >= 6 && month_of_year <= 8) ? summer / 3.0 : (1.0 - summer) / 9.0;
}

} // namespace

double contract_month_share(const StepContext& ctx, int month_of_year) {
    const double h1 = par(ctx, param::turnover_h1_share);
    const double december = par(ctx, param::december_share);
    if (month_of_year <= 6) {
        return h1 / 6.0;
    }
    return month_of_year == 12 ? december : std::max(0.0, 1.0 - h1 - december) / 5.0;
}

} // namespace detail

void Model::stock_rates(const State& s, const engine::StepContext& ctx, const Eigen::VectorXd& y,
                        Eigen::VectorXd& dydt) const {
    using namespace detail;
    const int month_of_year = ctx.month().month;

    // Talent: retained graduates (seasonal) who join innovation firms, talent programmes, and
    // attrition. Retention responds to the programme and to jobs: the capability of the ladder's
    // firms relative to the start.
    const double jobs =
        s.capability_initial > 0.0 ? std::max(0.0, s.capability_sum / s.capability_initial) : 1.0;
    const double retained_per_month = par(ctx, param::graduate_inflow) *
                                      std::pow(lev(ctx, lever::graduate_retention_support),
                                               par(ctx, param::retention_elasticity)) *
                                      std::pow(jobs, par(ctx, param::job_elasticity)) *
                                      graduate_month_share(ctx, month_of_year);
    sd(dydt, stock::graduates_retained_total) = retained_per_month;
    sd(dydt, stock::talent) = (retained_per_month * par(ctx, param::talent_tech_share) +
                               lev(ctx, lever::talent_programme_recruits) / 12.0) /
                                  1000.0 -
                              sd(y, stock::talent) / par(ctx, param::talent_attrition_months);

    finance_stock_rates(s, ctx, y, dydt);

    // Platforms, built through third-order delays.
    sd(dydt, stock::innovation_space) = engine::Delay3{stock::space_pipeline_1}.rates(
        y, lev(ctx, lever::innovation_space_construction) / 12.0,
        par(ctx, param::space_delivery_months), dydt);
    sd(dydt, stock::incubators) = engine::Delay3{stock::incubator_pipeline_1}.rates(
        y, lev(ctx, lever::new_incubators) / 12.0, par(ctx, param::incubator_setup_months), dydt);
    sd(dydt, stock::pilot_platforms) = engine::Delay3{stock::pilot_pipeline_1}.rates(
        y, lev(ctx, lever::new_pilot_platforms) / 12.0, par(ctx, param::pilot_setup_months), dydt);
    sd(dydt, stock::transfer_centres) = engine::Delay3{stock::centre_pipeline_1}.rates(
        y, lev(ctx, lever::new_transfer_centres) / 12.0, par(ctx, param::centre_setup_months),
        dydt);
    sd(dydt, stock::labs) = engine::Delay3{stock::lab_pipeline_1}.rates(
        y, lev(ctx, lever::new_labs) / 12.0, par(ctx, param::lab_setup_months), dydt);
    sd(dydt, stock::transfer_staff) = lev(ctx, lever::new_transfer_staff) / 12.0 -
                                      sd(y, stock::transfer_staff) * s.staff_attrition;

    // Knowledge of labs and major projects, adjusting to its inputs (firms' R&D is counted once,
    // in the turnover's firm supply below).
    const double labs_input =
        (sd(y, stock::labs) + par(ctx, param::projects_per_lab) * lev(ctx, lever::major_projects)) /
        s.knowledge_inputs_initial;
    sd(dydt, stock::knowledge) =
        (labs_input - sd(y, stock::knowledge)) / par(ctx, param::knowledge_adjust_months);

    // Technology contracts: supply by certified firms (their R&D spending) and by labs
    // (knowledge), scaled by transfer capacity and a residual trend, from the rate at the start,
    // with the registration seasonality.
    const double w_firms = par(ctx, param::turnover_firm_weight);
    const double firm_supply =
        s.rd_spending_initial > 0.0 ? s.rd_spending / s.rd_spending_initial : 1.0;
    const double lab_supply =
        std::pow(std::max(sd(y, stock::knowledge), 0.0), par(ctx, param::knowledge_elasticity));
    const double years = ctx.calendar->months_at_start(ctx.step) / 12.0;
    const double turnover_per_year =
        s.turnover_rate0 * (w_firms * firm_supply + (1.0 - w_firms) * lab_supply) *
        std::pow(std::max(transfer_index(y, ctx), 0.0), par(ctx, param::transfer_elasticity)) *
        std::pow(1.0 + par(ctx, param::turnover_trend), years);
    sd(dydt, stock::contract_turnover_total) =
        turnover_per_year * contract_month_share(ctx, month_of_year);
}

} // namespace canopy::models::ecosystem
