// Finance: the firms' tech loans and venture deals (README "1. Each month, each firm") and the
// finance stocks they feed (README "6. SD stocks", Finance).
#include "ecosystem/detail.hpp"

#include <algorithm>

namespace canopy::models::ecosystem::detail {

void finance_rates(StepRates& r, const State& s, const StepContext& ctx) {
    const Eigen::VectorXd& y = *ctx.stocks;
    // Tech loans: applications times approvals; approvals respond to risk compensation.
    const double approval =
        std::min(1.0, par(ctx, param::loan_approval) *
                          std::pow(lev(ctx, lever::tech_loan_risk_compensation),
                                   par(ctx, param::risk_compensation_elasticity)));
    // The application hazard is derived at init (setup.cpp) so that the initial loan share is the
    // steady state of applications and repayments.
    r.loan_new_below = engine::u32_threshold(step_probability(s.loan_demand * approval, r.dt));
    r.loan_repay_below =
        engine::u32_threshold(step_probability(1.0 / par(ctx, param::loan_term_months), r.dt));
    // Credit deepens: a new loan is larger by credit_deepening a year. The sizes are the average
    // outstanding loan at the start; a new loan then is larger by the vintage factor (setup.cpp).
    const double deepening =
        s.loan_vintage * std::pow(1.0 + par(ctx, param::credit_deepening),
                                  ctx.calendar->months_at_start(ctx.step) / 12.0);
    r.loan_size = {0.0, par(ctx, param::loan_size_sme) * deepening,
                   par(ctx, param::loan_size_high_tech) * deepening,
                   par(ctx, param::loan_size_leader) * deepening};

    // Venture deals: hazard proportional to capability and to the capital available.
    const double vc_index = par(ctx, param::initial_vc_stock) > 0.0
                                ? sd(y, stock::vc_available) / par(ctx, param::initial_vc_stock)
                                : 1.0;
    r.vc_p_per_capability = s.vc_deal_rate * std::max(vc_index, 0.0) * r.dt;
    r.vc_end_p = step_probability(1.0 / par(ctx, param::vc_holding_months), r.dt);
}

void finance_stock_rates(const State& s, const StepContext& ctx, const Eigen::VectorXd& y,
                         Eigen::VectorXd& dydt) {
    const double dt = ctx.dt_months();
    // Loans originated by the firms this step, repaid over the term; venture capital raised
    // (plus the transfer fund's leverage) minus deals and capital leaving; the fund deploys its
    // commitments.
    sd(dydt, stock::loan_balance) =
        s.new_loans / dt - sd(y, stock::loan_balance) / par(ctx, param::loan_term_months);
    const double deploy =
        std::max(0.0, lev(ctx, lever::transfer_fund_size) - sd(y, stock::fund_deployed)) /
        par(ctx, param::fund_deploy_months);
    sd(dydt, stock::fund_deployed) = deploy;
    const double invested_per_month = s.vc_invested / dt;
    sd(dydt, stock::vc_available) =
        (s.vc_fundraising + lev(ctx, lever::vc_guidance_fundraising)) / 12.0 +
        par(ctx, param::fund_leverage) * deploy - invested_per_month -
        sd(y, stock::vc_available) / par(ctx, param::vc_fund_life_months);
    sd(dydt, stock::vc_invested_12m) = invested_per_month - sd(y, stock::vc_invested_12m) / 12.0;
    // Insurance: the insured share of certified firms moves towards a target that support raises.
    const double insured_target =
        std::min(1.0, par(ctx, param::initial_insured_share) *
                          std::pow(lev(ctx, lever::tech_insurance_support),
                                   par(ctx, param::insurance_support_elasticity)));
    sd(dydt, stock::insured_share) =
        (insured_target - sd(y, stock::insured_share)) / par(ctx, param::insurance_adjust_months);
}

} // namespace canopy::models::ecosystem::detail
