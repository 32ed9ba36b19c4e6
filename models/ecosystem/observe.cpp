// Observation: the chunk tallies summed into the aggregates, and the series read from them and
// from the stocks (README "Series").
#include "ecosystem/detail.hpp"

#include <limits>

namespace canopy::models::ecosystem {

namespace detail {

// Integers, and doubles summed in chunk order: the same bits at any thread count.
void sum_tallies(State& s, const StepContext& ctx) {
    const PhaseTimer timer(s.phases.tallies);
    s.exits = s.graduations = s.registered = s.rnd_founded = s.vc_deals = 0;
    s.applications = s.new_certificates = s.renewals = s.lapses = 0;
    s.tied = s.with_rnd_institution = 0;
    s.new_loans = s.rd_spending = s.capability_sum = 0.0;
    s.va_certified = s.va_total = s.va_digital = 0.0;
    for (const ChunkTally& t : s.tallies) {
        s.exits += t.exits;
        s.graduations += t.graduations;
        s.registered += t.registered;
        s.rnd_founded += t.rnd_founded;
        s.vc_deals += t.vc_deals;
        s.applications += t.applications;
        s.new_certificates += t.new_certificates;
        s.renewals += t.renewals;
        s.lapses += t.lapses;
        s.tied += t.tied;
        s.with_rnd_institution += t.with_rnd;
        s.new_loans += t.new_loans;
        s.rd_spending += t.rd_spending;
        for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
            s.capability_sum += t.capability_by_sector[k];
            s.va_total += t.capability_by_sector[k];
        }
        s.va_digital += t.capability_by_sector[OPTOELECTRONICS] + t.capability_by_sector[BEIDOU];
        s.va_certified += t.capability_certified;
    }
    double panel = 0.0;
    for (const ChunkTally& t : s.tallies) {
        panel += t.capability_panel;
    }
    s.panel_capability = panel;
    s.vc_invested = static_cast<double>(s.vc_deals) * par(ctx, param::vc_deal_size);
    // Value added per capability at the end of the step.
    s.months_now = ctx.calendar->months_at_start(ctx.step) + ctx.dt_months();
    const double va_per_capability = va_factor(ctx, s.months_now);
    s.va_factor_now = va_per_capability;
    s.va_total *= va_per_capability;
    s.va_digital *= va_per_capability;
    s.va_certified *= va_per_capability;
}

void reset_panel(State& s, const StepContext& ctx) {
    const PhaseTimer timer(s.phases.tallies);
    const auto& stage = s.firms[s.stage];
    const auto& capability = s.firms[s.capability];
    auto& batch = s.firms[s.batch];
    double base = 0.0;
    for (std::size_t i = 0; i < s.firms.size(); ++i) {
        const bool certified = stage[i] == HIGH_TECH || stage[i] == LEADER;
        batch[i] = static_cast<std::uint8_t>((batch[i] & BATCH_MASK) | (certified ? IN_PANEL : 0));
        base += certified ? static_cast<double>(capability[i]) : 0.0;
    }
    s.panel_base_capability = base;
    s.panel_base_va_factor = va_factor(ctx, ctx.calendar->months_at_start(ctx.step));
}

} // namespace detail

void Model::observe(const State& s, const engine::StepContext& ctx, std::span<double> row) const {
    using namespace detail;
    const Eigen::VectorXd& y = *ctx.stocks;
    const double active =
        static_cast<double>(s.active[0] + s.active[1] + s.active[2] + s.active[3]);
    row[series::incubated_startups] = static_cast<double>(s.active[INCUBATING]);
    row[series::smes] = static_cast<double>(s.active[SME]);
    row[series::high_tech_enterprises] =
        static_cast<double>(s.active[HIGH_TECH] + s.active[LEADER]);
    row[series::leaders] = static_cast<double>(s.active[LEADER]);
    row[series::active_firms] = active;
    row[series::tied_firms] = static_cast<double>(s.tied);
    row[series::firms_with_rnd_institution] = static_cast<double>(s.with_rnd_institution);
    row[series::mean_capability] = active > 0.0 ? s.capability_sum / active : 0.0;
    row[series::births] = static_cast<double>(s.births);
    row[series::sme_entries] = static_cast<double>(s.sme_entries);
    row[series::graduations] = static_cast<double>(s.graduations);
    row[series::exits] = static_cast<double>(s.exits);
    row[series::tech_smes_registered] = static_cast<double>(s.registered);
    row[series::hte_applications] = static_cast<double>(s.applications);
    row[series::hte_new_certificates] = static_cast<double>(s.new_certificates);
    row[series::hte_renewals] = static_cast<double>(s.renewals);
    // Published review figures count both kinds ([HTE19]: 2,253 applied, 1,908 passed in 2019).
    row[series::hte_certificates_granted] = static_cast<double>(s.new_certificates + s.renewals);
    row[series::hte_lapses] = static_cast<double>(s.lapses);
    row[series::leader_applications] = static_cast<double>(s.leader_applications);
    row[series::leaders_selected] = static_cast<double>(s.leaders_selected);
    row[series::rnd_institutions_founded] = static_cast<double>(s.rnd_founded);
    row[series::new_loans] = s.new_loans;
    row[series::vc_deals] = static_cast<double>(s.vc_deals);
    row[series::tech_contract_turnover] =
        sd(y, stock::contract_turnover_total) - s.contract_total_at_start;
    row[series::graduates_retained] =
        sd(y, stock::graduates_retained_total) - s.graduates_total_at_start;
    row[series::tech_loan_balance] = sd(y, stock::loan_balance);
    row[series::vc_stock] = sd(y, stock::vc_available);
    row[series::vc_invested_12m] = sd(y, stock::vc_invested_12m);
    // Premiums: insured certified firms times the premium per firm, growing at premium_trend.
    const double premium =
        s.premium_per_firm * std::pow(1.0 + par(ctx, param::premium_trend), s.months_now / 12.0);
    row[series::tech_insurance] = static_cast<double>(s.active[HIGH_TECH] + s.active[LEADER]) *
                                  sd(y, stock::insured_share) * premium;
    row[series::insured_share] = sd(y, stock::insured_share);
    row[series::talent] = sd(y, stock::talent);
    row[series::innovation_space] = sd(y, stock::innovation_space);
    row[series::incubators] = sd(y, stock::incubators);
    row[series::incubator_seats] =
        sd(y, stock::incubators) * par(ctx, param::seats_per_incubator) +
        sd(y, stock::innovation_space) * par(ctx, param::seats_per_10k_m2);
    row[series::pilot_platforms] = sd(y, stock::pilot_platforms);
    row[series::transfer_staff] = sd(y, stock::transfer_staff);
    row[series::transfer_centres] = sd(y, stock::transfer_centres);
    row[series::labs] = sd(y, stock::labs);
    row[series::knowledge] = sd(y, stock::knowledge);
    row[series::hitech_value_added] = s.va_certified;
    // The panel's growth since last December, in percent (value added per capability grows too).
    row[series::hitech_va_panel_growth] =
        s.panel_base_capability > 0.0
            ? 100.0 * (s.va_factor_now * s.panel_capability /
                           (s.panel_base_va_factor * s.panel_base_capability) -
                       1.0)
            : std::numeric_limits<double>::quiet_NaN();
    row[series::value_added] = s.va_total;
    row[series::digital_core_value_added] = s.va_digital;
}

std::size_t Model::state_bytes(const State& s) {
    return s.firms.bytes() + s.counts16.size() * sizeof(NeighbourCounts16) +
           s.counts32.size() * sizeof(NeighbourCounts) + s.collaboration.bytes() +
           s.attachment.bytes() + s.moved.size();
}

} // namespace canopy::models::ecosystem
