#pragma once
/// \file ecosystem_parameters.hpp
/// Every parameter, baseline figure, lever, series and stock of the ecosystem model, defined once.
///
/// Each X-macro row becomes an enum constant (the index the model uses in the hot loop) and an
/// entry of ModelInfo (the name scenarios use), so the two can never disagree. The defaults are
/// the model's documented fallbacks; the Wuhan scenario sets every one it relies on with its
/// source or assumption. models/ecosystem/README.md explains each in context.

// X(name, unit, role, default, min, max, integer, description); HUGE_VAL (<cmath>) is unbounded.
#include <cmath>
#define CANOPY_ECOSYSTEM_PARAMETERS(X)                                                             \
    /* baseline: the state at the start */                                                         \
    X(initial_incubating, "firms", baseline, 12500, 0, 5e6, 1,                                     \
      "Startups inside incubators at the start")                                                   \
    X(initial_smes, "firms", baseline, 13000, 0, 5e6, 1,                                           \
      "Tech SMEs outside incubators without a high-tech certificate at the start")                 \
    X(initial_high_tech, "firms", baseline, 9045, 0, 5e6, 1,                                       \
      "Firms with a valid high-tech certificate at the start, leaders excluded")                   \
    X(initial_leaders, "firms", baseline, 100, 0, 1e5, 1,                                          \
      "City-level S&T leader enterprises at the start (they hold certificates too)")               \
    X(initial_cohort_share_oldest, "share", baseline, 0.2, 0, 1, 0,                                \
      "Share of certificates issued in the batches two years before the start")                    \
    X(initial_cohort_share_middle, "share", baseline, 0.3, 0, 1, 0,                                \
      "Share of certificates issued in the batches one year before the start")                     \
    X(initial_loan_share, "share", baseline, 0.25, 0, 1, 0,                                        \
      "Share of SMEs and certified firms with a tech loan outstanding at the start")               \
    X(initial_vc_share, "share", baseline, 0.1, 0, 1, 0,                                           \
      "Share of SMEs and certified firms backed by venture capital at the start")                  \
    X(initial_rnd_institution_share, "share", baseline, 0.1, 0, 1, 0,                              \
      "Share of certified firms running an enterprise-led R&D institution at the start")           \
    X(initial_vc_stock, "100m yuan", baseline, 800, 0, 1e6, 0,                                     \
      "Venture capital available for investment (dry powder) at the start")                        \
    X(initial_vc_invested, "100m yuan", baseline, 400, 0, 1e6, 0,                                  \
      "Venture investment made in the twelve months before the start")                             \
    X(initial_insurance, "100m yuan/year", baseline, 10, 0, 1e6, 0,                                \
      "Tech insurance premium volume per year at the start")                                       \
    X(initial_talent, "1000 people", baseline, 800, 1, 1e5, 0,                                     \
      "Skilled workforce in innovation firms at the start")                                        \
    X(initial_incubators, "carriers", baseline, 400, 1, 1e5, 0,                                    \
      "Incubation carriers (incubators and maker spaces) at the start")                            \
    X(initial_innovation_space, "10k m2", baseline, 500, 0, 1e6, 0,                                \
      "Innovation blocks, parks and buildings in use at the start")                                \
    X(initial_pilot_platforms, "platforms", baseline, 150, 1, 1e5, 0,                              \
      "Pilot-scale (中试) platforms open to firms at the start")                                   \
    X(initial_transfer_staff, "people", baseline, 1500, 1, 1e6, 0,                                 \
      "Technology brokers and transfer liaisons at work at the start")                             \
    X(initial_transfer_centres, "centres", baseline, 40, 1, 1e5, 0,                                \
      "Technology-transfer centres and demonstration institutions at the start")                   \
    X(initial_labs, "labs", baseline, 150, 1, 1e5, 0,                                              \
      "Key laboratories, innovation centres and new-type R&D institutes at the start")             \
    X(initial_turnover_rate, "100m yuan/year", baseline, 1128, 0, 1e7, 0,                          \
      "Technology-contract turnover in the year before the start (its annual total)")              \
    X(initial_turnover_growth, "share", baseline, 0.2, -0.9, 10, 0,                                \
      "Growth of contract turnover over the year before the start (0.2 = +20 %)")                  \
    X(initial_insured_share, "share", baseline, 0.3, 0, 1, 0,                                      \
      "Share of certified firms holding tech insurance at the start")                              \
    /* incubation */                                                                               \
    X(incubation_min_months, "months", parameter, 12, 0, 240, 1,                                   \
      "Months in an incubator before a startup can graduate")                                      \
    X(incubation_max_months, "months", parameter, 48, 1, 240, 1,                                   \
      "Longest stay in an incubator: then graduate if capable, else fail")                         \
    X(graduation_rate, "1/month", parameter, 0.03, 0, 1, 0,                                        \
      "Graduation hazard of a capable startup after the minimum stay")                             \
    X(graduation_capability, "capability", parameter, 0.6, 0, 100, 0,                              \
      "Capability a startup needs to graduate into the SME pool")                                  \
    X(incubation_failure_rate, "1/month", parameter, 0.01, 0, 1, 0,                                \
      "Failure (exit) hazard of an incubated startup")                                             \
    /* exits */                                                                                    \
    X(exit_rate_sme, "1/month", parameter, 0.009, 0, 1, 0, "Exit hazard of a tech SME")            \
    X(exit_rate_high_tech, "1/month", parameter, 0.002, 0, 1, 0,                                   \
      "Exit hazard of a certified high-tech firm")                                                 \
    X(exit_rate_leader, "1/month", parameter, 0.0005, 0, 1, 0, "Exit hazard of a leader firm")     \
    X(loan_exit_factor, "multiplier", parameter, 0.7, 0, 1, 0,                                     \
      "Exit hazard multiplier for a firm with a tech loan")                                        \
    X(vc_exit_factor, "multiplier", parameter, 0.6, 0, 1, 0,                                       \
      "Exit hazard multiplier for a venture-backed firm")                                          \
    X(capability_exit_slope, "1/capability", parameter, 0.5, 0, 100, 0,                            \
      "Exit hazard is divided by 1 + slope * capability")                                          \
    /* capability */                                                                               \
    X(capability_drift, "capability/year", parameter, 0.05, -10, 10, 0,                            \
      "Capability growth of a firm with no R&D, talent, finance or spillover advantage")           \
    X(rd_effect, "capability/year per R&D intensity", parameter, 3.0, 0, 1000, 0,                  \
      "Capability growth per unit of R&D intensity")                                               \
    X(talent_effect, "capability/year", parameter, 0.2, 0, 100, 0,                                 \
      "Capability growth per unit of talent index above its start (talent / initial talent - 1)")  \
    X(loan_effect, "capability/year", parameter, 0.05, 0, 100, 0,                                  \
      "Extra capability growth of a firm with a tech loan")                                        \
    X(vc_effect, "capability/year", parameter, 0.15, 0, 100, 0,                                    \
      "Extra capability growth of a venture-backed firm")                                          \
    X(spillover_effect, "capability/year", parameter, 0.2, 0, 100, 0,                              \
      "Extra capability growth per unit share of collaborators higher up the ladder")              \
    X(platform_effect, "capability/year", parameter, 0.1, 0, 100, 0,                               \
      "Extra capability growth of a firm tied to a pilot platform")                                \
    X(capability_reversion, "1/year", parameter, 0.2, 0, 10, 0,                                    \
      "Mean reversion of capability: growth falls by this much per unit of capability")            \
    X(digital_growth_premium, "capability/year", parameter, 0.02, -10, 10, 0,                      \
      "Extra capability growth of digital-core firms (optoelectronics, BeiDou)")                   \
    X(capability_noise, "capability/sqrt(year)", parameter, 0.15, 0, 100, 0,                       \
      "Standard deviation of idiosyncratic capability shocks over a year")                         \
    /* newcomers */                                                                                \
    X(newborn_capability_mean, "capability", parameter, 0.4, 0, 100, 0,                            \
      "Mean capability of a new startup")                                                          \
    X(newborn_capability_sd, "capability", parameter, 0.2, 0, 100, 0,                              \
      "Standard deviation of a new startup's capability")                                          \
    X(sme_entry_capability_mean, "capability", parameter, 1.0, 0, 100, 0,                          \
      "Mean capability of a firm entering the SME pool from outside incubators")                   \
    X(rd_intensity_alpha, "", parameter, 2.0, 0.01, 1000, 0,                                       \
      "Beta(alpha, beta) of a firm's R&D intensity (R&D spending / revenue): alpha")               \
    X(rd_intensity_beta, "", parameter, 40.0, 0.01, 1000, 0, "Beta(alpha, beta): beta")            \
    X(share_optoelectronics, "share", parameter, 0.22, 0, 1, 0,                                    \
      "Share of firms in optoelectronic information")                                              \
    X(share_auto, "share", parameter, 0.12, 0, 1, 0,                                               \
      "Share of firms in new-energy and intelligent connected vehicles")                           \
    X(share_health, "share", parameter, 0.14, 0, 1, 0, "Share of firms in life and health")        \
    X(share_equipment, "share", parameter, 0.12, 0, 1, 0, "Share of firms in high-end equipment")  \
    X(share_beidou, "share", parameter, 0.05, 0, 1, 0,                                             \
      "Share of firms in BeiDou navigation (the rest are 'other')")                                \
    X(digital_entry_tilt, "", parameter, 0.2, -1, 10, 0,                                           \
      "Newcomers' odds of a digital-core sector, relative to the initial shares (0: the same)")    \
    X(digital_rd_premium, "", parameter, 0.2, -0.9, 10, 0,                                         \
      "R&D intensity of digital-core firms relative to others, minus 1")                           \
    /* networks */                                                                                 \
    X(collaboration_edges, "ties", parameter, 3, 1, 32, 1,                                         \
      "Collaboration ties a firm makes when it enters (preferential attachment m)")                \
    X(sector_homophily, "ratio", parameter, 4.0, 1, 1000, 0,                                       \
      "How much likelier a tie to a same-sector firm is than to another sector's")                 \
    X(platform_tie_rate, "1/month", parameter, 0.3, 0, 1, 0,                                       \
      "Share of free pilot-platform capacity taken up by untied firms per month")                  \
    X(platform_tie_months, "months", parameter, 12, 1, 600, 0,                                     \
      "Mean duration of a firm-platform tie")                                                      \
    X(firms_per_pilot_platform, "firms", parameter, 10, 1, 10000, 0,                               \
      "Firms one pilot platform serves at a time")                                                 \
    /* births */                                                                                   \
    X(startup_rate, "firms/month", parameter, 700, 0, 1e6, 0,                                      \
      "Startups seeking incubator seats per month at the initial talent stock")                    \
    X(talent_birth_elasticity, "", parameter, 1.0, 0, 10, 0,                                       \
      "Elasticity of startup formation to the talent stock")                                       \
    X(spinoff_rate, "firms/month", parameter, 40, 0, 1e6, 0,                                       \
      "University and lab spin-offs per month at the initial transfer capacity and knowledge")     \
    X(seat_half_saturation, "seats", parameter, 300, 1, 1e7, 0,                                    \
      "Free seats at which half the startups seeking a seat find one")                             \
    X(sme_entry_rate, "firms/month", parameter, 150, 0, 1e6, 0,                                    \
      "Firms entering the tech-SME pool from outside incubators per month")                        \
    /* SME registration */                                                                         \
    X(sme_registration_rate, "1/month", parameter, 0.0292, 0, 1, 0,                                \
      "Monthly hazard that an eligible firm registers as a tech SME while the window is open")     \
    X(registration_first_month, "month", parameter, 3, 1, 12, 1,                                   \
      "First month of the year's registration window")                                             \
    X(registration_last_month, "month", parameter, 11, 1, 12, 1,                                   \
      "Last month of the year's registration window")                                              \
    X(sme_size_capability, "capability", parameter, 2.0, 0, 100, 0,                                \
      "Firms above this capability are too large to register as tech SMEs")                        \
    X(outreach_elasticity, "", parameter, 0.5, 0, 10, 0,                                           \
      "Elasticity of registration to the outreach lever")                                          \
    /* high-tech certification */                                                                  \
    X(hte_application_month, "month", parameter, 6, 1, 12, 1,                                      \
      "Month in which firms file high-tech applications and renewals")                             \
    X(hte_batch1_month, "month", parameter, 10, 1, 12, 1, "Month of the first batch decision")     \
    X(hte_batch2_month, "month", parameter, 11, 1, 12, 1, "Month of the second batch decision")    \
    X(hte_batch3_month, "month", parameter, 12, 1, 12, 1, "Month of the third batch decision")     \
    X(hte_batch1_share, "share", parameter, 0.2, 0, 1, 0, "Share of applications in batch 1")      \
    X(hte_batch2_share, "share", parameter, 0.3, 0, 1, 0,                                          \
      "Share of applications in batch 2 (batch 3 takes the rest)")                                 \
    X(hte_rd_threshold, "share", parameter, 0.05, 0, 1, 0, "Least R&D intensity for eligibility")  \
    X(hte_capability_threshold, "capability", parameter, 1.0, 0, 100, 0,                           \
      "Least capability for eligibility (stands for the IP and staff criteria)")                   \
    X(hte_min_age_months, "months", parameter, 12, 0, 600, 1,                                      \
      "Least age of an applicant (a firm must be registered for a year)")                          \
    X(hte_application_rate, "share", parameter, 0.83, 0, 1, 0,                                     \
      "Share of eligible firms that apply, at the reference reward")                               \
    X(reference_reward, "10k yuan", parameter, 20, 0.001, 1e6, 0,                                  \
      "Certification reward at which the application rate applies")                                \
    X(reward_elasticity, "", parameter, 0.3, 0, 10, 0,                                             \
      "Relative change in applications per relative change in the reward")                         \
    X(hte_pass_rate, "share", parameter, 0.8366, 0, 1, 0, "Share of new applications approved")    \
    X(hte_renewal_rate, "share", parameter, 0.85, 0, 1, 0,                                         \
      "Share of firms with an expiring certificate that apply to renew")                           \
    X(hte_renewal_pass_rate, "share", parameter, 0.9, 0, 1, 0,                                     \
      "Share of renewal applications approved")                                                    \
    X(cert_validity_months, "months", parameter, 36, 1, 240, 1, "Validity of a certificate")       \
    /* leaders */                                                                                  \
    X(leader_selection_month, "month", parameter, 12, 1, 12, 1, "Month leaders are selected")      \
    X(leader_capability_bar, "capability", parameter, 2.5, 0, 100, 0,                              \
      "Least capability of a firm eligible to apply as a leader")                                  \
    X(leader_application_rate, "share", parameter, 0.5, 0, 1, 0,                                   \
      "Share of eligible certified firms that apply to be designated leaders")                     \
    X(leader_evaluation_sd, "", parameter, 0.25, 0, 5, 0,                                          \
      "Noise of the expert evaluation: sd of the log score around log capability")                 \
    X(leader_pass_score, "capability", parameter, 3.0, 0, 100, 0,                                  \
      "Least evaluation score to be designated (the quota caps the number)")                       \
    /* enterprise-led R&D institutions */                                                          \
    X(rnd_institution_rate, "1/month", parameter, 0.0035, 0, 1, 0,                                 \
      "Hazard that a capable certified firm founds an R&D institution, at support index 1")        \
    X(rnd_support_elasticity, "", parameter, 0.6, 0, 10, 0,                                        \
      "Elasticity of R&D-institution founding to the support lever")                               \
    X(rnd_institution_capability, "capability", parameter, 1.5, 0, 100, 0,                         \
      "Least capability to found an R&D institution")                                              \
    /* finance */                                                                                  \
    X(loan_approval, "share", parameter, 0.5, 0, 1, 0,                                             \
      "Share of applications approved at risk-compensation index 1")                               \
    X(risk_compensation_elasticity, "", parameter, 0.5, 0, 10, 0,                                  \
      "Elasticity of approvals to the risk-compensation index")                                    \
    X(loan_size_sme, "100m yuan", parameter, 0.02, 0, 1e4, 0, "Average tech loan to an SME")       \
    X(loan_size_high_tech, "100m yuan", parameter, 0.06, 0, 1e4, 0,                                \
      "Average tech loan to a certified firm")                                                     \
    X(loan_size_leader, "100m yuan", parameter, 0.5, 0, 1e4, 0, "Average tech loan to a leader")   \
    X(loan_term_months, "months", parameter, 24, 1, 600, 0, "Average term of a tech loan")         \
    X(credit_deepening, "1/year", parameter, 0.1, -1, 10, 0,                                       \
      "Growth per year of the size of a new tech loan (credit deepening)")                         \
    X(vc_deal_size, "100m yuan", parameter, 0.3, 0, 1e4, 0, "Average venture deal")                \
    X(vc_holding_months, "months", parameter, 60, 1, 1200, 0,                                      \
      "Mean time a firm stays venture-backed")                                                     \
    X(vc_fund_life_months, "months", parameter, 84, 1, 1200, 0,                                    \
      "Mean time before uninvested venture capital leaves the city")                               \
    X(fund_leverage, "ratio", parameter, 4.0, 0, 100, 0,                                           \
      "Social capital mobilised per yuan of the transfer fund deployed")                           \
    X(fund_deploy_months, "months", parameter, 24, 1, 600, 0,                                      \
      "Mean time to deploy committed transfer-fund capital")                                       \
    X(insurance_support_elasticity, "", parameter, 0.3, 0, 10, 0,                                  \
      "Elasticity of the insured share of certified firms to the insurance-support lever")         \
    X(insurance_adjust_months, "months", parameter, 12, 0.1, 600, 0,                               \
      "Time for the insured share to adjust to its target")                                        \
    X(premium_trend, "1/year", parameter, 0.04, -1, 10, 0,                                         \
      "Growth per year of the premium per insured firm")                                           \
    /* talent */                                                                                   \
    X(graduate_inflow, "people/year", parameter, 345200, 0, HUGE_VAL, 0,                           \
      "New graduates staying to work or found firms per year at retention support 1")              \
    X(retention_elasticity, "", parameter, 0.5, 0, 10, 0,                                          \
      "Elasticity of graduates retained to the retention-support index")                           \
    X(job_elasticity, "", parameter, 0.8, 0, 10, 0,                                                \
      "Elasticity of graduates retained to jobs (capability of active firms relative to start)")   \
    X(recruit_founder_share, "share", parameter, 0.2, 0, 1, 0,                                     \
      "Share of talent-programme recruits who found a firm within their first year")               \
    X(summer_share, "share", parameter, 0.6, 0, 1, 0,                                              \
      "Share of a year's graduates who start work in June, July and August")                       \
    X(talent_tech_share, "share", parameter, 0.3, 0, 1, 0,                                         \
      "Share of retained graduates who join innovation firms")                                     \
    X(talent_attrition_months, "months", parameter, 120, 1, 2400, 0,                               \
      "Mean time a skilled worker stays in the city's innovation firms")                           \
    /* platforms */                                                                                \
    X(seats_per_incubator, "seats", parameter, 30, 0, 1e5, 0, "Startups one carrier hosts")        \
    X(seats_per_10k_m2, "seats/10k m2", parameter, 5, 0, 1e5, 0,                                   \
      "Incubation seats per 10,000 m2 of innovation space")                                        \
    X(space_delivery_months, "months", parameter, 9, 0.1, 600, 0,                                  \
      "Mean delay from starting innovation space to its use (third-order delay)")                  \
    X(incubator_setup_months, "months", parameter, 6, 0.1, 600, 0,                                 \
      "Mean delay from approving a carrier to its first tenants (third-order delay)")              \
    X(pilot_setup_months, "months", parameter, 9, 0.1, 600, 0,                                     \
      "Mean delay from launching a pilot platform to its opening (third-order delay)")             \
    X(centre_setup_months, "months", parameter, 6, 0.1, 600, 0,                                    \
      "Mean delay from founding a transfer centre to its operation (third-order delay)")           \
    X(lab_setup_months, "months", parameter, 12, 0.1, 600, 0,                                      \
      "Mean delay from approving a lab or centre to its operation (third-order delay)")            \
    /* knowledge and technology contracts */                                                       \
    X(knowledge_adjust_months, "months", parameter, 24, 0.1, 2400, 0,                              \
      "Time for the knowledge stock to adjust to its inputs")                                      \
    X(projects_per_lab, "labs", parameter, 2, 0, 1000, 0,                                          \
      "Knowledge input of one major S&T project, in labs")                                         \
    X(knowledge_elasticity, "", parameter, 1.0, 0, 10, 0,                                          \
      "Elasticity of contract turnover to the knowledge stock")                                    \
    X(transfer_elasticity, "", parameter, 0.3, 0, 10, 0,                                           \
      "Elasticity of contract turnover to transfer capacity")                                      \
    X(turnover_trend, "1/year", parameter, 0.26, -1, 10, 0,                                        \
      "Growth of contract turnover per year not explained by the model's drivers")                 \
    X(turnover_firm_weight, "share", parameter, 0.85, 0, 1, 0,                                     \
      "Share of contract turnover supplied by firms (their R&D), the rest by labs and projects")   \
    X(turnover_h1_share, "share", parameter, 0.5, 0, 1, 0,                                         \
      "Share of a year's contract turnover registered in January-June")                            \
    X(december_share, "share", parameter, 0.1, 0, 1, 0,                                            \
      "Share of a year's contract turnover registered in December")                                \
    X(reference_events, "events/year", parameter, 50, 0.001, 1e6, 0,                               \
      "Matchmaking events per year at which transfer capacity has its initial value")              \
    /* value added */                                                                              \
    X(va_per_capability, "100m yuan/year", parameter, 0.3, 0, 1e6, 0,                              \
      "Value added per year per unit of capability, at the start")                                 \
    X(va_trend, "1/year", parameter, 0.05, -1, 10, 0,                                              \
      "Growth per year of value added per unit of capability (markets and prices)")                \
    /* last, so that adding it left every other parameter's draws as they were */                  \
    X(initial_loan_growth, "share", baseline, 0.15, -0.5, 10, 0,                                   \
      "Growth of the tech-loan balance over the year before the start (0.15 = +15 %)")

// X(name, unit, group, default, min, max, description)
#define CANOPY_ECOSYSTEM_LEVERS(X)                                                                 \
    X(tech_loan_risk_compensation, "index", "finance", 1.0, 0, 100,                                \
      "Risk compensation and interest subsidies for tech loans (1 = the policies in force at "     \
      "the start)")                                                                                \
    X(transfer_fund_size, "100m yuan", "finance", 0.0, 0, 1e5,                                     \
      "Capital committed to the technology-transfer fund")                                         \
    X(vc_guidance_fundraising, "100m yuan/year", "finance", 0.0, 0, 1e6,                           \
      "Extra venture capital raised per year through government guidance funds")                   \
    X(tech_insurance_support, "index", "finance", 1.0, 0, 100,                                     \
      "Support for tech insurance (1 = the policies in force at the start)")                       \
    X(graduate_retention_support, "index", "talent", 1.0, 0, 100,                                  \
      "Programmes that keep graduates in the city (1 = the policies in force at the start)")       \
    X(talent_programme_recruits, "people/year", "talent", 0.0, 0, 1e7,                             \
      "Strategic talents, team members, leading and young talents supported per year")             \
    X(innovation_space_construction, "10k m2/year", "platform", 110, 0, 1e5,                       \
      "Innovation blocks, parks and buildings started per year")                                   \
    X(new_incubators, "carriers/year", "platform", 37, 0, 1e5,                                     \
      "Incubation carriers approved per year")                                                     \
    X(new_pilot_platforms, "platforms/year", "platform", 0, 0, 1e5,                                \
      "Pilot platforms opened or built per year")                                                  \
    X(new_transfer_centres, "centres/year", "platform", 0, 0, 1e5,                                 \
      "Technology-transfer centres and demonstration institutions founded per year")               \
    X(new_transfer_staff, "people/year", "platform", 0, 0, 1e6,                                    \
      "Technology brokers trained and transfer liaisons appointed per year")                       \
    X(matchmaking_events, "events/year", "platform", 50, 0, 1e5,                                   \
      "Technology-transfer matchmaking events per year")                                           \
    X(new_labs, "labs/year", "platform", 0, 0, 1e5,                                                \
      "Key laboratories, innovation centres and new-type R&D institutes approved per year")        \
    X(major_projects, "projects/year", "platform", 0, 0, 1e5,                                      \
      "Major S&T projects launched per year")                                                      \
    X(hte_certification_reward, "10k yuan", "enterprise", 20, 0, 1e5,                              \
      "Reward to a newly certified high-tech firm")                                                \
    X(sme_outreach, "index", "enterprise", 1.0, 0, 100,                                            \
      "Outreach for tech-SME registration (1 = the effort at the start)")                          \
    X(leader_quota, "firms/year", "enterprise", 30, 0, 1e5,                                        \
      "City-level S&T leader enterprises to select per year")                                      \
    X(rnd_institution_support, "index", "enterprise", 1.0, 0, 100,                                 \
      "Support for enterprise-led R&D institutions (1 = the policies in force at the start)")

// X(name, unit, kind, description)
#define CANOPY_ECOSYSTEM_SERIES(X)                                                                 \
    X(incubated_startups, "firms", stock, "Startups inside incubators")                            \
    X(smes, "firms", stock, "Tech SMEs without a certificate")                                     \
    X(high_tech_enterprises, "firms", stock,                                                       \
      "Firms holding a valid high-tech certificate (leaders included)")                            \
    X(leaders, "firms", stock, "City-level S&T leader enterprises")                                \
    X(active_firms, "firms", stock, "Firms on the ladder")                                         \
    X(tied_firms, "firms", stock, "Firms tied to a pilot platform")                                \
    X(firms_with_rnd_institution, "firms", stock,                                                  \
      "Firms running an enterprise-led R&D institution")                                           \
    X(mean_capability, "capability", stock, "Mean capability of active firms")                     \
    X(births, "firms", flow, "Startups entering incubators")                                       \
    X(sme_entries, "firms", flow, "Firms entering the SME pool from outside incubators")           \
    X(graduations, "firms", flow, "Startups graduating into the SME pool")                         \
    X(exits, "firms", flow, "Firms leaving the ladder")                                            \
    X(tech_smes_registered, "firms", flow, "Tech SMEs evaluated and registered")                   \
    X(hte_applications, "firms", flow, "New high-tech applications filed")                         \
    X(hte_new_certificates, "firms", flow, "Certificates granted to first-time applicants")        \
    X(hte_renewals, "firms", flow, "Certificates renewed")                                         \
    X(hte_lapses, "firms", flow, "Certificates that expired without renewal")                      \
    X(leader_applications, "firms", flow, "Applications to be designated a leader enterprise")     \
    X(leaders_selected, "firms", flow, "Leader enterprises selected")                              \
    X(rnd_institutions_founded, "institutions", flow, "Enterprise-led R&D institutions founded")   \
    X(new_loans, "100m yuan", flow, "Tech loans originated")                                       \
    X(vc_deals, "deals", flow, "Venture deals closed")                                             \
    X(tech_contract_turnover, "100m yuan", flow, "Value of technology contracts registered")       \
    X(graduates_retained, "people", flow, "New graduates staying to work or found firms")          \
    X(tech_loan_balance, "100m yuan", stock, "Outstanding tech loans")                             \
    X(vc_stock, "100m yuan", stock, "Venture capital available for investment")                    \
    X(vc_invested_12m, "100m yuan", stock, "Venture investment over the last twelve months")       \
    X(tech_insurance, "100m yuan/year", stock, "Tech insurance premiums per year")                 \
    X(insured_share, "share", stock, "Share of certified firms holding tech insurance")            \
    X(talent, "1000 people", stock, "Skilled workforce in innovation firms")                       \
    X(innovation_space, "10k m2", stock, "Innovation space in use")                                \
    X(incubators, "carriers", stock, "Incubation carriers in operation")                           \
    X(incubator_seats, "seats", stock, "Incubation seats")                                         \
    X(pilot_platforms, "platforms", stock, "Pilot platforms open")                                 \
    X(transfer_staff, "people", stock, "Brokers and liaisons at work")                             \
    X(transfer_centres, "centres", stock, "Transfer centres in operation")                         \
    X(labs, "labs", stock, "Labs, innovation centres and institutes in operation")                 \
    X(knowledge, "index", stock, "Knowledge stock (1 at the start)")                               \
    X(hitech_value_added, "100m yuan/year", stock, "Value added of certified firms")               \
    X(hitech_va_panel_growth, "%", stock,                                                          \
      "Growth of the value added of the firms certified last December, since then (a panel)")      \
    X(value_added, "100m yuan/year", stock, "Value added of all firms on the ladder")              \
    X(digital_core_value_added, "100m yuan/year", stock,                                           \
      "Value added of optoelectronic-information and BeiDou firms")                                \
    X(hte_certificates_granted, "firms", flow,                                                     \
      "Certificates granted, first-time and renewed together (what a review round passes)")

// X(name, unit, description)
#define CANOPY_ECOSYSTEM_STOCKS(X)                                                                 \
    X(talent, "1000 people", "Skilled workforce in innovation firms")                              \
    X(loan_balance, "100m yuan", "Outstanding tech loans")                                         \
    X(vc_available, "100m yuan", "Venture capital available for investment")                       \
    X(vc_invested_12m, "100m yuan", "Venture investment, twelve-month moving total")               \
    X(fund_deployed, "100m yuan", "Transfer-fund capital deployed")                                \
    X(insured_share, "share", "Share of certified firms holding tech insurance")                   \
    X(space_pipeline_1, "10k m2", "Innovation space under construction, stage 1 of 3")             \
    X(space_pipeline_2, "10k m2", "Innovation space under construction, stage 2 of 3")             \
    X(space_pipeline_3, "10k m2", "Innovation space under construction, stage 3 of 3")             \
    X(innovation_space, "10k m2", "Innovation space in use")                                       \
    X(incubator_pipeline_1, "carriers", "Carriers being set up, stage 1 of 3")                     \
    X(incubator_pipeline_2, "carriers", "Carriers being set up, stage 2 of 3")                     \
    X(incubator_pipeline_3, "carriers", "Carriers being set up, stage 3 of 3")                     \
    X(incubators, "carriers", "Incubation carriers in operation")                                  \
    X(pilot_pipeline_1, "platforms", "Pilot platforms being set up, stage 1 of 3")                 \
    X(pilot_pipeline_2, "platforms", "Pilot platforms being set up, stage 2 of 3")                 \
    X(pilot_pipeline_3, "platforms", "Pilot platforms being set up, stage 3 of 3")                 \
    X(pilot_platforms, "platforms", "Pilot platforms open")                                        \
    X(transfer_staff, "people", "Brokers and liaisons at work")                                    \
    X(centre_pipeline_1, "centres", "Transfer centres being set up, stage 1 of 3")                 \
    X(centre_pipeline_2, "centres", "Transfer centres being set up, stage 2 of 3")                 \
    X(centre_pipeline_3, "centres", "Transfer centres being set up, stage 3 of 3")                 \
    X(transfer_centres, "centres", "Transfer centres in operation")                                \
    X(lab_pipeline_1, "labs", "Labs being set up, stage 1 of 3")                                   \
    X(lab_pipeline_2, "labs", "Labs being set up, stage 2 of 3")                                   \
    X(lab_pipeline_3, "labs", "Labs being set up, stage 3 of 3")                                   \
    X(labs, "labs", "Labs, innovation centres and institutes in operation")                        \
    X(knowledge, "index", "Knowledge stock (1 at the start)")                                      \
    X(contract_turnover_total, "100m yuan", "Technology-contract turnover since the start")        \
    X(graduates_retained_total, "people", "Graduates retained since the start")
