// The ecosystem model's description: names, units, ranges and defaults, from the X-macro tables;
// its rules across parameters, the horizon it holds, and its estimate of firms at the horizon.
#include "ecosystem/ecosystem_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace canopy::models::ecosystem {

namespace {

using engine::ParameterConstraint;

// Peak resident bytes per firm at the horizon: BYTES_PER_FIRM + BYTES_PER_TIE x
// collaboration_edges (m). Each tie is held in both ends' lists and, while the network is
// built, in the generator's units by sector and each firm's elders as well. Peak RSS of
// `canopy run` of wuhan-2023.toml without its targets, one replicate, 24 months, with
// initial_smes raised (5 Dec 2026), bytes per firm at the horizon against this estimate:
// 4,043,765 firms with m = 1, 3, 8, 32: 79, 103, 191, 668 (estimate 108, 148, 248, 728);
// 1,043,765 firms: 95, 146, 204, 674 (the process's own 45 MB or so weighs more there). The
// old 110 bytes whatever m said 445 MB where 4 million firms with 32 ties peaked at 2.7 GB.
constexpr double BYTES_PER_FIRM = 88.0;
constexpr double BYTES_PER_TIE = 20.0;

// Rules across parameters that their ranges cannot state (README, "Parameters"). Each was a
// planner's mistake that ran without complaint: a registration window closing before it opens
// (no registrations, the target silently 0 %), sector shares summing to 1.8, batch shares over
// 1, a minimum stay longer than the maximum, a median graduate inflow of 1e308 (NaN turnover).
void add_constraints(engine::ModelInfo& m) {
    m.constraints = {
        ParameterConstraint::sum_at_most(
            {"share_optoelectronics", "share_auto", "share_health", "share_equipment",
             "share_beidou"},
            1.0, "the sector shares",
            "they split the firms between five industries, and 'other' takes what is left"),
        ParameterConstraint::sum_at_most({"hte_batch1_share", "hte_batch2_share"}, 1.0,
                                         "the shares of batches 1 and 2",
                                         "batch 3 takes the rest of the year's applications"),
        ParameterConstraint::sum_at_most(
            {"initial_cohort_share_oldest", "initial_cohort_share_middle"}, 1.0,
            "the shares of the two oldest certificate cohorts",
            "the most recent year's batches take the rest of the certificates at the start"),
        ParameterConstraint::sum_at_most({"turnover_h1_share", "december_share"}, 1.0,
                                         "the contract-turnover shares of January-June and of "
                                         "December",
                                         "July-November take the rest of the year's turnover"),
        ParameterConstraint::ordered({"registration_first_month", "registration_last_month"},
                                     "the registration window's months",
                                     "the window must open before it closes, or no firm can "
                                     "register and the registration target reads 0"),
        ParameterConstraint::ordered({"incubation_min_months", "incubation_max_months"},
                                     "the incubation stays",
                                     "a startup's shortest stay cannot exceed its longest"),
        ParameterConstraint::ordered(
            {"hte_application_month", "hte_batch1_month", "hte_batch2_month", "hte_batch3_month"},
            "the certification calendar's months",
            "applications are filed before the batches that decide "
            "them, and the batches come in order within the year"),
        // China, the largest higher-education system, graduated about 11.6 million students
        // in 2023 (Ministry of Education); a city keeping ten times that is a typing error,
        // and at 1e308 the talent stock and everything it drives overflow to NaN.
        ParameterConstraint::product_at_most(
            {"graduate_inflow"}, 1e8, "the graduate inflow",
            "no city retains more than 100 million graduates a year (China graduated about "
            "11.6 million in 2023)"),
        // The loan balance starts on its balanced-growth path (setup.cpp, derived_rates): with
        // repayments a share 1 - e^(-1/term) of it a month, it can shrink by at most that much,
        // and a growth at or below e^(-12/term) - 1 a year leaves the first month's originations
        // at 0. Every later loan was then 0 in size and the balance only decayed: --set
        // initial_loan_growth=-0.45 --set loan_term_months=36 gave a tech-loan growth of -28.3 %
        // in every replicate, without a word.
        ParameterConstraint::positive(
            {"initial_loan_growth", "loan_term_months"},
            [](std::span<const double> v) { return std::log1p(v[0]) + 12.0 / v[1]; },
            "initial_loan_growth > e^(-12 / loan_term_months) - 1",
            "the tech-loan balance's growth over the year before the start",
            "a balance cannot shrink faster than its loans are repaid (at loan_term_months = 24, "
            "by more than 39.3 % a year); slower, and no loan would be made at all"),
    };
}

// Relations the priors' means should keep (README, "Parameters"; docs/new-region.md): each
// prior alone may overlap the other's range in some draws, so they are notes, not rules.
void add_advisories(engine::ModelInfo& m) {
    // Startups are born only into free seats (incubation.cpp): an outside tester's city started
    // with 40,000 incubated firms for about 15,000 seats, validated without a word, and its
    // incubated stock drained to a median of 14,604 over the year while its target was judged.
    m.advisories = {
        {{"initial_incubators", "seats_per_incubator", "initial_innovation_space",
          "seats_per_10k_m2", "initial_incubating"},
         [](std::span<const double> v) { return v[0] * v[1] + v[2] * v[3] - v[4]; },
         "the incubator seats (initial_incubators x seats_per_incubator + "
         "initial_innovation_space x seats_per_10k_m2) > initial_incubating",
         "with no free seat no startup is born into incubation, and the incubated stock drains "
         "toward the seats from the first month (docs/new-region.md, item 2)"},
    };
}

// How long a run the model's types hold, and what it costs.
void add_limits(engine::ModelInfo& m) {
    // Months are kept in 16 bits (born, stage_since, cert_expiry, ecosystem_model.hpp), and a
    // certificate's expiry lies up to cert_validity_months (at most its range's maximum) past
    // the month it is granted in: the last month's index plus that must fit.
    const auto validity = static_cast<int>(
        m.parameters[static_cast<std::size_t>(param::cert_validity_months)].range.max);
    m.max_horizon_months = std::numeric_limits<std::int16_t>::max() - validity;
    m.horizon_reason = "the model counts months in 16 bits and a certificate may expire " +
                       std::to_string(validity) + " months after the last month";
    // At the default ties per firm (Model::bytes_per_agent follows collaboration_edges). Measured
    // before: one replicate of the default scenario with 15 million firms at the start peaked
    // at 1.74 GB resident, 116 bytes per firm with the process itself; on 4 Dec 2026
    // (`canopy-bench ecosystem --firms 15000000 --replicates 1`, 26.7 million firms at the
    // end): 2.59 GB peak, 97 bytes per firm at the end (state and networks 81.7).
    m.bytes_per_agent =
        BYTES_PER_FIRM +
        BYTES_PER_TIE *
            m.parameters[static_cast<std::size_t>(param::collaboration_edges)].default_value;
    // Measured per thread: 41 million agent-steps/s for the default scenario (1,000 replicates
    // of about 45,000 firms in 26.3 s, README "Speed"), 2 million for a city of 15 million firms
    // (a replicate in 170 s, its network built first). A rough middle for the time estimate.
    m.agent_steps_per_second = 20e6;
}

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
    for (engine::SeriesSpec& s : m.series) {
        // A growth rate falls below 0; capability is an index a firm's shocks can take below 0.
        s.can_be_negative = s.name == "hitech_va_panel_growth" || s.name == "mean_capability";
    }
#define CANOPY_STOCK_INFO(name, unit, text) m.stocks.push_back({#name, unit, text});
    CANOPY_ECOSYSTEM_STOCKS(CANOPY_STOCK_INFO)
#undef CANOPY_STOCK_INFO
    add_constraints(m);
    add_advisories(m);
    add_limits(m);
    return m;
}

} // namespace

const engine::ModelInfo& Model::info() const {
    static const engine::ModelInfo info = make_info();
    return info;
}

double Model::bytes_per_agent(std::span<const double> p) {
    return BYTES_PER_FIRM + BYTES_PER_TIE * p[static_cast<std::size_t>(param::collaboration_edges)];
}

double Model::agents_at_horizon(std::span<const double> p, std::span<const double> levers,
                                const engine::Calendar& calendar) {
    // Every firm at the start, and every arrival the birth processes can bring at their base
    // rates with no exit: startups and spin-offs, which never outnumber the incubator seats in
    // a month (they only take free ones), and SME entrants, which need no seat, with the firms
    // the talent programme's recruits found (at its largest level all run: a million recruits
    // a year founded 362,839 firms where the estimate, without them, said 57,765). An upper
    // estimate at the initial seats; seats the levers add over the run raise it a little.
    const auto at = [&](param::Id id) { return p[static_cast<std::size_t>(id)]; };
    const auto recruits = static_cast<std::size_t>(lever::talent_programme_recruits);
    const double founders = recruits < levers.size() ? std::max(0.0, levers[recruits]) / 12.0 *
                                                           at(param::recruit_founder_share)
                                                     : 0.0;
    const double initial = at(param::initial_incubating) + at(param::initial_smes) +
                           at(param::initial_high_tech) + at(param::initial_leaders);
    const double seats = at(param::initial_incubators) * at(param::seats_per_incubator) +
                         at(param::initial_innovation_space) * at(param::seats_per_10k_m2);
    const double startups = std::min(at(param::startup_rate) + at(param::spinoff_rate), seats);
    const double per_month = startups + at(param::sme_entry_rate) + founders;
    return initial + per_month * calendar.steps() * calendar.dt_months();
}

} // namespace canopy::models::ecosystem
