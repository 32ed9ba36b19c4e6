// The ecosystem model's step: which section runs when (README "The step"). Each section lives in
// a file of its own (see ecosystem_model.hpp); README.md beside this file gives every equation.
#include "ecosystem/detail.hpp"

namespace canopy::models::ecosystem {

int Model::month_index(const engine::StepContext& ctx) {
    return ctx.calendar->month_of_step(ctx.step).index() - ctx.calendar->start().index();
}

void Model::step_agents(State& s, const engine::StepContext& ctx) const {
    using namespace detail;
    const StepRates r = step_rates(s, ctx);
    s.contract_total_at_start = sd(*ctx.stocks, stock::contract_turnover_total);
    s.graduates_total_at_start = sd(*ctx.stocks, stock::graduates_retained_total);

    // 0. January: this year's value-added panel is the firms certified at the end of December.
    if (r.panel_reset) {
        reset_panel(s, ctx);
    }
    // 1. Every firm's monthly decisions; stage changes wait until all have decided.
    decide(s, ctx, r);
    apply_changes(s, ctx, r.month);
    // 2. The year's calendar: certification applications, batch decisions, leader selection.
    run_calendar(s, ctx, r.month);
    // The newcomers tied to firms that moved see the moves.
    settle_newcomers(s, ctx);
    // 3. Tallies in chunk order.
    sum_tallies(s, ctx);
    // 4. Newcomers.
    add_newcomers(s, ctx, r);
}

} // namespace canopy::models::ecosystem
