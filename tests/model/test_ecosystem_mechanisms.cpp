// One test per mechanism of the ecosystem model (models/ecosystem/README.md). Each runs a small
// city (about 5,500 firms) and checks what the mechanism promises; statistical checks say how
// their tolerance follows from the sample size.
#include "ecosystem/detail.hpp"
#include "ecosystem_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

using namespace canopy;
using canopy::test::EcoRun;
using canopy::test::run_eco;
using canopy::test::run_eco_stepwise;
namespace eco = canopy::models::ecosystem;
namespace ser = eco::series;

namespace {
engine::Schedule constant(double v) {
    return engine::Schedule::constant(v);
}
int month_of_year(int step) {
    return step % 12 + 1;
} // runs start in January
} // namespace

TEST_CASE("Births need free incubator seats", "[ecosystem][births]") {
    EcoRun run;
    run.parameters = {{"seats_per_incubator", 0}, {"seats_per_10k_m2", 0}};
    const auto none = run_eco(run);
    CHECK(none.sum(ser::births, 1, 24) == 0.0);

    EcoRun roomy;
    const auto r = run_eco(roomy);
    CHECK(r.sum(ser::births, 1, 24) > 0.0);
    // Newcomers never take more seats than there are.
    for (int row = 1; row <= 24; ++row) {
        CHECK(r.at(row, ser::incubated_startups) <= r.at(row, ser::incubator_seats) + 0.5);
    }
}

TEST_CASE("More talent means more startups", "[ecosystem][births]") {
    // Seats are plentiful so only talent limits births. With a strong elasticity, the talent
    // stock's rise (0 vs 60 % of graduates joining innovation firms) raises expected births by
    // well over 10 %; 24 months of ~110 births a month give a Poisson sd of ~51, i.e. 2 %.
    EcoRun low;
    low.parameters = {
        {"seats_per_incubator", 1000}, {"talent_birth_elasticity", 4}, {"talent_tech_share", 0.0}};
    EcoRun high = low;
    high.parameters["talent_tech_share"] = 0.6;
    const double births_low = run_eco(low).sum(ser::births, 1, 24);
    const double births_high = run_eco(high).sum(ser::births, 1, 24);
    CHECK(births_high > births_low * 1.1);
}

TEST_CASE("Incubation is bounded: at the longest stay a startup graduates or fails",
          "[ecosystem][incubation]") {
    EcoRun run;
    run.parameters = {
        {"incubation_max_months", 6}, {"graduation_rate", 0}, {"incubation_failure_rate", 0}};
    const auto r = run_eco_stepwise(run, [&](int step, const engine::Simulation<eco::Model>& sim) {
        const auto& s = sim.state();
        const auto& stage = s.firms[s.stage];
        const auto& since = s.firms[s.stage_since];
        const int month = step; // monthly steps from the start
        for (std::size_t i = 0; i < stage.size(); ++i) {
            if (stage[i] == eco::INCUBATING) {
                REQUIRE(month - since[i] < 6);
            }
        }
    });
    const double graduated = r.sum(ser::graduations, 1, 24);
    const double failed = r.sum(ser::exits, 1, 24);
    CHECK(graduated > 0.0); // capable startups moved on although the graduation hazard is 0
    CHECK(failed > 0.0);    // the others failed although the failure hazard is 0
}

TEST_CASE("SME registration is annual, inside its window, once per firm per year",
          "[ecosystem][registration]") {
    EcoRun run;
    run.parameters = {{"registration_first_month", 3},
                      {"registration_last_month", 10},
                      {"sme_registration_rate", 1.0}};
    const auto r = run_eco(run);
    for (int step = 0; step < 24; ++step) {
        const int m = month_of_year(step);
        const double n = r.at(step + 1, ser::tech_smes_registered);
        if (m < 3 || m > 10) {
            CHECK(n == 0.0);
        } else if (m == 3) {
            CHECK(n > 0.0);
        }
    }
    // Once a year: a year's registrations cannot exceed the firms there were to register.
    const double active_max = r.at(24, ser::active_firms) + r.sum(ser::exits, 1, 24);
    CHECK(r.sum(ser::tech_smes_registered, 1, 12) <= active_max);
    CHECK(r.sum(ser::tech_smes_registered, 13, 24) <= active_max);
    // January resets: the second year registers about as many as the first (not none).
    CHECK(r.sum(ser::tech_smes_registered, 13, 24) > 0.5 * r.sum(ser::tech_smes_registered, 1, 12));
}

TEST_CASE("Registration responds to outreach", "[ecosystem][registration]") {
    // Same random numbers, outreach 1 vs 2 with elasticity 1: the hazard doubles. With ~2,500
    // registrations a year (sd ~50), the doubling's effect (+40 % or more) dwarfs the noise.
    EcoRun base;
    EcoRun more = base;
    more.levers.insert_or_assign("sme_outreach", constant(2.0));
    more.parameters["outreach_elasticity"] = 1.0;
    base.parameters["outreach_elasticity"] = 1.0;
    CHECK(run_eco(more).sum(ser::tech_smes_registered, 1, 12) >
          1.3 * run_eco(base).sum(ser::tech_smes_registered, 1, 12));
}

TEST_CASE("Certificates are granted only in the late-year batches", "[ecosystem][certification]") {
    const auto r = run_eco(EcoRun{});
    for (int step = 0; step < 24; ++step) {
        const int m = month_of_year(step);
        const double granted = r.at(step + 1, ser::hte_new_certificates);
        if (m < 10) {
            CHECK(granted == 0.0);
        }
        const double applied = r.at(step + 1, ser::hte_applications);
        CHECK((m == 6 ? applied > 0.0 : applied == 0.0));
    }
    CHECK(r.sum(ser::hte_new_certificates, 1, 12) > 0.0);
}

TEST_CASE("A run that starts after the application month decides that round's pending batches",
          "[ecosystem][certification]") {
    // An outside tester's run from July granted no certificate and renewed none that year, while
    // certificates lapsed: the June applications fell before the start.
    EcoRun july;
    july.start = {2022, 7};
    july.steps = 12;
    const auto r = run_eco(july);
    CHECK(r.at(1, ser::hte_applications) > 0.0); // pending at the start
    for (int row = 2; row <= 11; ++row) {
        CHECK(r.at(row, ser::hte_applications) == 0.0);
    }
    CHECK(r.at(12, ser::hte_applications) > 0.0);        // June 2023
    CHECK(r.sum(ser::hte_new_certificates, 4, 6) > 0.0); // October to December
    CHECK(r.sum(ser::hte_renewals, 4, 6) > 0.0);
    // From November the October batch is decided already: its share of the round is not
    // pending, and the November and December batches still grant.
    EcoRun november;
    november.start = {2022, 11};
    november.steps = 2;
    const auto n = run_eco(november);
    CHECK(n.at(1, ser::hte_applications) > 0.0);
    CHECK(n.at(1, ser::hte_applications) < r.at(1, ser::hte_applications));
    CHECK(n.sum(ser::hte_new_certificates, 1, 2) > 0.0);
    // From January nothing is pending: the round is filed in June.
    const auto january = run_eco(EcoRun{});
    CHECK(january.at(1, ser::hte_applications) == 0.0);
}

TEST_CASE("The year-end count depends on batch timing", "[ecosystem][certification]") {
    // All batches in October vs all in December: at the end of November the October run has its
    // grants, the December run none yet.
    EcoRun october;
    october.parameters = {
        {"hte_batch1_month", 10}, {"hte_batch2_month", 10}, {"hte_batch3_month", 10}};
    EcoRun december;
    december.parameters = {
        {"hte_batch1_month", 12}, {"hte_batch2_month", 12}, {"hte_batch3_month", 12}};
    const auto a = run_eco(october);
    const auto b = run_eco(december);
    CHECK(a.at(11, ser::high_tech_enterprises) > b.at(11, ser::high_tech_enterprises) + 100);
    CHECK(a.sum(ser::hte_new_certificates, 1, 11) > 0.0);
    CHECK(b.sum(ser::hte_new_certificates, 1, 11) == 0.0);
}

TEST_CASE("Applicants meet the eligibility thresholds", "[ecosystem][certification]") {
    EcoRun run;
    run_eco_stepwise(run, [&](int step, const engine::Simulation<eco::Model>& sim) {
        if (month_of_year(step) != 6) {
            return;
        }
        const auto& s = sim.state();
        const auto& flags = s.firms[s.flags];
        std::size_t applicants = 0;
        for (std::size_t i = 0; i < flags.size(); ++i) {
            if ((flags[i] & eco::APPLIED_NEW) == 0) {
                continue;
            }
            ++applicants;
            REQUIRE(s.firms[s.stage][i] == eco::SME);
            REQUIRE(s.firms[s.rd_intensity][i] >= 0.05F);
            REQUIRE(step - s.firms[s.born][i] >= 12);
            // Capability is checked when applying, after this step's capability update.
            REQUIRE(s.firms[s.capability][i] >= 1.0F);
        }
        REQUIRE(applicants > 0);
    });
}

TEST_CASE("New certificates last 36 months; renewals extend them", "[ecosystem][certification]") {
    EcoRun run;
    run_eco_stepwise(run, [&](int step, const engine::Simulation<eco::Model>& sim) {
        const auto& s = sim.state();
        const auto& stage = s.firms[s.stage];
        for (std::size_t i = 0; i < stage.size(); ++i) {
            if (stage[i] == eco::HIGH_TECH && s.firms[s.stage_since][i] == step) {
                // Certified (or lapsed back and re-certified) this step: expiry in 36 months.
                REQUIRE(s.firms[s.cert_expiry][i] == step + 36);
            }
            if (stage[i] == eco::HIGH_TECH || stage[i] == eco::LEADER) {
                // A certificate in force has not expired, unless its renewal is pending.
                const bool pending = (s.firms[s.flags][i] & eco::APPLIED_RENEWAL) != 0;
                REQUIRE((pending || s.firms[s.cert_expiry][i] > step));
            }
        }
    });
}

TEST_CASE("Without renewals certificates lapse at expiry", "[ecosystem][certification]") {
    EcoRun lapse;
    lapse.parameters = {{"hte_renewal_rate", 0.0}};
    EcoRun renew;
    renew.parameters = {{"hte_renewal_rate", 1.0}, {"hte_renewal_pass_rate", 1.0}};
    const auto a = run_eco(lapse);
    const auto b = run_eco(renew);
    // The oldest cohort (a fifth of 1,520 certificates) expires in the 2022 batch months.
    CHECK(a.sum(ser::hte_lapses, 1, 13) > 200);
    CHECK(b.sum(ser::hte_lapses, 1, 24) == 0.0);
    CHECK(b.sum(ser::hte_renewals, 1, 12) > 200);
    // What a review round passes, as published figures count it ([HTE19]'s 1,908 of 2019):
    // first certificates and renewals together, every month.
    for (int row = 1; row <= 24; ++row) {
        CHECK(b.at(row, ser::hte_certificates_granted) ==
              b.at(row, ser::hte_new_certificates) + b.at(row, ser::hte_renewals));
    }
    CHECK(b.sum(ser::hte_certificates_granted, 1, 12) > b.sum(ser::hte_new_certificates, 1, 12));
}

TEST_CASE("First applications pass at the pass rate", "[ecosystem][certification][statistical]") {
    // No exits, so every application is decided. Binomial: with n applications, the share
    // granted has sd sqrt(p(1-p)/n); the check allows 4 sd.
    EcoRun run;
    run.parameters = {{"hte_pass_rate", 0.6},
                      {"exit_rate_sme", 0},
                      {"exit_rate_high_tech", 0},
                      {"exit_rate_leader", 0},
                      {"incubation_failure_rate", 0}};
    run.steps = 12;
    const auto r = run_eco(run);
    const double n = r.sum(ser::hte_applications, 1, 12);
    const double granted = r.sum(ser::hte_new_certificates, 1, 12);
    REQUIRE(n > 300);
    const double sd = std::sqrt(0.6 * 0.4 / n);
    CHECK(std::abs(granted / n - 0.6) < 4.0 * sd);
}

TEST_CASE("With every eligible firm applying and an exact evaluation, the best are designated",
          "[ecosystem][leaders]") {
    EcoRun run;
    run.levers.insert_or_assign("leader_quota", constant(12));
    run.parameters = {{"leader_capability_bar", 1.0},
                      {"leader_application_rate", 1.0},
                      {"leader_evaluation_sd", 0.0},
                      {"leader_pass_score", 1.0}};
    run_eco_stepwise(run, [&](int step, const engine::Simulation<eco::Model>& sim) {
        if (month_of_year(step) != 12) {
            return;
        }
        const auto& s = sim.state();
        const auto& stage = s.firms[s.stage];
        const auto& capability = s.firms[s.capability];
        float weakest_new_leader = 1e30F;
        int selected = 0;
        float strongest_left = -1.0F;
        for (std::size_t i = 0; i < stage.size(); ++i) {
            if (stage[i] == eco::LEADER && s.firms[s.stage_since][i] == step) {
                ++selected;
                weakest_new_leader = std::min(weakest_new_leader, capability[i]);
            } else if (stage[i] == eco::HIGH_TECH) {
                strongest_left = std::max(strongest_left, capability[i]);
            }
        }
        REQUIRE(selected == 12);
        REQUIRE(s.leaders_selected == 12);
        REQUIRE(weakest_new_leader >= strongest_left);
    });
}

TEST_CASE("The leader bar can leave the quota unfilled", "[ecosystem][leaders]") {
    EcoRun run;
    run.parameters["leader_capability_bar"] = 50.0; // nobody is that capable
    const auto r = run_eco(run);
    CHECK(r.sum(ser::leaders_selected, 1, 24) == 0.0);
}

TEST_CASE("Finance lowers exits", "[ecosystem][exits]") {
    // The stated hazard is each stage's average at the start (README "D8"), so finance shows as
    // borrowers leaving less often than their peers. A loan quarters the hazard here: against
    // the stage mean (0.625) borrowers exit at 0.4 and others at 1.6 times the stated rate.
    // Loans outlast the year, so who borrows stays fixed; the first 3,520 firms are the initial
    // leaders, certified firms and SMEs (the fixture's sizes), about 230 of whom exit (sd ~15).
    EcoRun run;
    run.steps = 12;
    run.parameters = {{"initial_loan_share", 0.5},
                      {"loan_exit_factor", 0.25},
                      {"loan_term_months", 600},
                      {"capability_exit_slope", 0.0}};
    constexpr std::size_t ESTABLISHED = 3520;
    std::vector<std::uint8_t> borrower(ESTABLISHED, 0);
    const auto r = run_eco_stepwise(run, [&](int step, const engine::Simulation<eco::Model>& sim) {
        if (step == 0) {
            const auto& s = sim.state();
            for (std::size_t i = 0; i < ESTABLISHED; ++i) {
                borrower[i] = (s.firms[s.flags][i] & eco::HAS_LOAN) != 0 ? 1 : 0;
            }
        }
    });
    const auto& s = r.state();
    std::array<double, 2> exited{};
    std::array<double, 2> firms{};
    for (std::size_t i = 0; i < ESTABLISHED; ++i) {
        firms[borrower[i]] += 1.0;
        exited[borrower[i]] += s.firms[s.stage][i] > eco::LEADER ? 1.0 : 0.0;
    }
    const double rate_borrowers = exited[1] / firms[1];
    const double rate_others = exited[0] / firms[0];
    INFO("exit rates: borrowers " << rate_borrowers << ", others " << rate_others);
    CHECK(rate_borrowers < 0.5 * rate_others);
}

TEST_CASE("Collaboration ties prefer the same sector", "[ecosystem][network]") {
    EcoRun run;
    run.parameters["sector_homophily"] = 10.0;
    run.steps = 1;
    const auto r = run_eco(run);
    const auto& s = r.state();
    const auto& sector = s.firms[s.sector];
    std::size_t same = 0;
    std::size_t total = 0;
    const engine::Network network = s.collaboration.to_network();
    for (engine::Network::Vertex v = 0; v < network.num_vertices(); ++v) {
        network.for_each_neighbour(v, [&](engine::Network::Vertex u) {
            ++total;
            same += sector[u] == sector[v] ? 1U : 0U;
        });
    }
    // Without homophily the same-sector share is the sum of squared sector shares (~0.22).
    CHECK(static_cast<double>(same) / static_cast<double>(total) > 0.5);
}

TEST_CASE("Collaborators' stage counts stay exact as firms move", "[ecosystem][network]") {
    const auto r = run_eco(EcoRun{});
    const auto& s = r.state();
    const auto& stage = s.firms[s.stage];
    // Both ends of every tie, newcomers' included (the model keeps a newcomer's side only).
    const engine::Network network = s.collaboration.to_network();
    REQUIRE(network.num_vertices() == s.firms.size());
    REQUIRE(s.collaboration.size() > s.collaboration.initial()); // newcomers came
    for (engine::Network::Vertex v = 0; v < network.num_vertices(); ++v) {
        eco::NeighbourCounts expected{};
        network.for_each_neighbour(v, [&](engine::Network::Vertex u) {
            if (stage[u] <= eco::LEADER) {
                ++expected[stage[u]];
            }
        });
        REQUIRE(s.neighbour_counts(v) == expected);
    }
}

TEST_CASE("Spillover from collaborators higher up raises capability", "[ecosystem][network]") {
    EcoRun none;
    none.parameters["spillover_effect"] = 0.0;
    EcoRun strong = none;
    strong.parameters["spillover_effect"] = 1.0;
    CHECK(run_eco(strong).at(24, ser::mean_capability) >
          run_eco(none).at(24, ser::mean_capability) + 0.05);
}

TEST_CASE("Platform ties follow pilot-platform capacity", "[ecosystem][platforms]") {
    EcoRun few;
    few.parameters = {{"initial_pilot_platforms", 5}};
    EcoRun many = few;
    many.levers.insert_or_assign("new_pilot_platforms", constant(600));
    const auto a = run_eco(few);
    const auto b = run_eco(many);
    CHECK(b.at(24, ser::tied_firms) > a.at(24, ser::tied_firms) + 200);
    // Ties stay within capacity: each step fills at most 30 % of the free slots on average,
    // so overshoot is Poisson noise on a handful of ties.
    for (int row = 1; row <= 24; ++row) {
        CHECK(a.at(row, ser::tied_firms) <= a.at(row, ser::pilot_platforms) * 10 + 10);
    }
}

TEST_CASE("Talent follows its stock-flow equation", "[ecosystem][sd]") {
    // Uniform months (summer share 1/4), so inflow is constant: T(t) = T* + (T0 - T*) e^(-t/tau)
    // with T* = inflow * tech share / 1000 * tau. RK4 with 4 substeps a month is exact to ~1e-9.
    EcoRun run;
    run.parameters = {{"summer_share", 0.25},
                      {"graduate_inflow", 120000},
                      {"talent_tech_share", 0.5},
                      {"talent_attrition_months", 60},
                      {"initial_talent", 500},
                      {"job_elasticity", 0.0}}; // graduates do not follow jobs here (D3)
    run.levers.insert_or_assign("talent_programme_recruits", constant(0));
    const auto r = run_eco(run);
    const double tau = 60.0;
    const double target = 120000.0 / 12.0 * 0.5 / 1000.0 * tau;
    for (int t = 0; t <= 24; ++t) {
        const double expected = target + (500.0 - target) * std::exp(-t / tau);
        CHECK(r.at(t, ser::talent) == Approx(expected).epsilon(1e-8));
    }
}

TEST_CASE("New carriers arrive through a third-order delay", "[ecosystem][sd]") {
    // Nothing in the pipeline; from month 1, 120 carriers a year start. With a 6-month
    // Erlang-3 delay, the first month after the start delivers almost nothing (10 * integral of
    // the Erlang CDF over one month ~ 0.05) and by month 24 the delivered total is
    // 10 * (23 - 6 + E[(X - 23)+]) ~ 170.0.
    EcoRun run;
    run.levers.insert_or_assign("new_incubators", engine::Schedule::step(0.0, {{1.0, 120.0}}));
    run.parameters["incubator_setup_months"] = 6;
    const auto r = run_eco(run);
    const double start = r.at(0, ser::incubators);
    CHECK(r.at(1, ser::incubators) == start);
    CHECK(r.at(2, ser::incubators) - start < 0.1);
    const double delivered = r.at(24, ser::incubators) - start;
    CHECK(delivered == Approx(170.0).epsilon(0.005));
}

TEST_CASE("Contract turnover follows its seasonal profile: the first half, then December",
          "[ecosystem][contracts]") {
    EcoRun run;
    // Only labs supply contracts and nothing moves them (no new labs, no transfer effect, no
    // trend), so what is left is the seasonality.
    run.parameters = {{"december_share", 0.4},
                      {"turnover_h1_share", 0.3},
                      {"turnover_firm_weight", 0.0},
                      {"transfer_elasticity", 0.0},
                      {"turnover_trend", 0.0}};
    const auto r = run_eco(run);
    const double year = r.sum(ser::tech_contract_turnover, 1, 12);
    CHECK(r.at(12, ser::tech_contract_turnover) / year == Approx(0.4).margin(1e-6));
    CHECK(r.sum(ser::tech_contract_turnover, 1, 6) / year == Approx(0.3).margin(1e-6));
    CHECK(r.at(7, ser::tech_contract_turnover) / year == Approx(0.06).margin(1e-6));
}

TEST_CASE("Knowledge rises with labs and lifts contract turnover", "[ecosystem][contracts]") {
    EcoRun base;
    EcoRun labs = base;
    labs.levers.insert_or_assign("new_labs", constant(300));
    const auto a = run_eco(base);
    const auto b = run_eco(labs);
    CHECK(b.at(24, ser::knowledge) > a.at(24, ser::knowledge) + 0.05);
    CHECK(b.sum(ser::tech_contract_turnover, 13, 24) > a.sum(ser::tech_contract_turnover, 13, 24));
}

TEST_CASE("The loan balance integrates originations and repayments", "[ecosystem][finance]") {
    // With originations o (100m yuan in the step, spread evenly) and term T months, the balance
    // solves dB/dt = o - B / T exactly: B1 = B0 e^(-1/T) + o T (1 - e^(-1/T)).
    const auto r = run_eco(EcoRun{});
    const double term = 24.0;
    for (int t = 1; t <= 24; ++t) {
        const double b0 = r.at(t - 1, ser::tech_loan_balance);
        const double o = r.at(t, ser::new_loans);
        const double expected =
            b0 * std::exp(-1.0 / term) + o * term * (1.0 - std::exp(-1.0 / term));
        CHECK(r.at(t, ser::tech_loan_balance) == Approx(expected).epsilon(1e-7));
    }
}

TEST_CASE("The transfer fund deploys and levers in venture capital", "[ecosystem][finance]") {
    EcoRun none;
    EcoRun fund = none;
    fund.levers.insert_or_assign("transfer_fund_size", constant(30));
    const auto a = run_eco(none);
    const auto b = run_eco(fund);
    // 30 committed, deployed over ~24 months, levered 4x: well over 30 more capital available.
    CHECK(b.at(24, ser::vc_stock) > a.at(24, ser::vc_stock) + 30);
    CHECK(b.sum(ser::vc_deals, 13, 24) >= a.sum(ser::vc_deals, 13, 24));
}

TEST_CASE("Weekly steps give the same flows as monthly steps", "[ecosystem][calendar]") {
    EcoRun monthly;
    EcoRun weekly;
    weekly.unit = engine::TimeUnit::week;
    weekly.steps = 0;
    // Every week that starts in 2022 or 2023.
    const engine::Calendar probe(weekly.start, 200, engine::TimeUnit::week);
    while (probe.month_of_step(weekly.steps).year < 2024) {
        ++weekly.steps;
    }
    for (EcoRun* run : {&monthly, &weekly}) {
        run->parameters = {{"leader_capability_bar", 1.0},
                           {"leader_application_rate", 1.0},
                           {"leader_evaluation_sd", 0.0},
                           {"leader_pass_score", 1.0}};
    }
    const auto m = run_eco(monthly);
    const auto w = run_eco(weekly);
    const double grads_m = m.sum(ser::graduates_retained, 13, 24);
    const double grads_w =
        w.sum(ser::graduates_retained, 1, weekly.steps) - m.sum(ser::graduates_retained, 1, 12);
    CHECK(grads_w == Approx(grads_m).epsilon(0.02));
    // The annual calendar works weekly too: batches grant certificates, leaders are selected.
    CHECK(w.sum(ser::hte_new_certificates, 1, weekly.steps) > 0.0);
    CHECK(w.sum(ser::leaders_selected, 1, weekly.steps) == 60.0);
    // Stock outcomes agree with the monthly run within a few percent.
    CHECK(w.at(weekly.steps, ser::high_tech_enterprises) ==
          Approx(m.at(24, ser::high_tech_enterprises)).epsilon(0.05));
}

TEST_CASE("Series agree with a recount of the agents", "[ecosystem]") {
    const auto r = run_eco(EcoRun{});
    const auto& s = r.state();
    const auto& stage = s.firms[s.stage];
    std::array<double, 4> count{};
    for (const std::uint8_t st : stage) {
        if (st <= eco::LEADER) {
            count[st] += 1.0;
        }
    }
    CHECK(r.at(24, ser::incubated_startups) == count[eco::INCUBATING]);
    CHECK(r.at(24, ser::smes) == count[eco::SME]);
    CHECK(r.at(24, ser::high_tech_enterprises) == count[eco::HIGH_TECH] + count[eco::LEADER]);
    CHECK(r.at(24, ser::leaders) == count[eco::LEADER]);
}

namespace {
// The small city's run with a model of its own (set by `configure`), kept beside the simulation
// that refers to it.
template <class Configure>
std::pair<std::unique_ptr<eco::Model>, std::unique_ptr<engine::Simulation<eco::Model>>>
simulate_with(const EcoRun& run, Configure configure, engine::SeriesTable& table) {
    auto model = std::make_unique<eco::Model>();
    configure(*model);
    auto sim = std::make_unique<engine::Simulation<eco::Model>>(
        *model, canopy::test::eco_inputs(run), engine::RandomKey{run.seed, run.replicate},
        engine::Executor(false));
    sim->run(table);
    return {std::move(model), std::move(sim)};
}
} // namespace

TEST_CASE("16-bit and 32-bit collaborator counts, and the switch between them, give the same bits",
          "[ecosystem][network]") {
    const EcoRun run;
    const engine::RunInputs in = canopy::test::eco_inputs(run);
    auto simulate = [&](std::uint32_t limit, engine::SeriesTable& table) {
        return simulate_with(
            run, [&](eco::Model& model) { model.narrow_count_limit = limit; }, table);
    };
    // The default limit (eco::MADD_COUNT_LIMIT: the AVX2 kernel, where the CPU has it).
    engine::SeriesTable narrow_table;
    const auto narrow = simulate(eco::Model{}.narrow_count_limit, narrow_table);
    const auto& a = narrow.second->state();
    REQUIRE(!a.counts16.empty()); // a small city's degrees fit in 16 bits
    // All that 16 bits hold (past what the AVX2 kernel reads: the compiled clones).
    engine::SeriesTable full_table;
    const auto full = simulate(engine::MAX_16_BIT_DEGREE, full_table);
    REQUIRE(!full.second->state().counts16.empty());
    CHECK(full_table.values == narrow_table.values);
    engine::Simulation<eco::Model> at_start(canopy::test::ecosystem_model(), in,
                                            engine::RandomKey{run.seed, run.replicate},
                                            engine::Executor(false));
    at_start.init();
    const std::uint32_t initial_max_degree =
        at_start.state().collaboration.to_network().max_degree();

    engine::SeriesTable wide_table;
    const auto wide = simulate(0, wide_table); // 32-bit from the start
    const auto& b = wide.second->state();
    REQUIRE(b.counts16.empty());

    // 16-bit at the start, widened when the first step's newcomers could pass the limit.
    engine::SeriesTable switched_table;
    const auto switched = simulate(initial_max_degree + 1, switched_table);
    const auto& c = switched.second->state();
    REQUIRE(c.counts16.empty());

    CHECK(wide_table.values == narrow_table.values);
    CHECK(switched_table.values == narrow_table.values);
    CHECK(b.firms[b.capability] == a.firms[a.capability]);
    CHECK(c.firms[c.flags] == a.firms[a.flags]);
    for (std::size_t v = 0; v < a.firms.size(); ++v) {
        REQUIRE(b.neighbour_counts(v) == a.neighbour_counts(v));
        REQUIRE(c.neighbour_counts(v) == a.neighbour_counts(v));
    }
}

namespace {
// Every unit of the attachment pool, list by list, in order.
std::vector<std::vector<engine::Network::Vertex>> pool_units(const eco::Model::State& s) {
    const engine::AttachmentPool::Snapshot at = s.attachment.snapshot();
    std::vector<std::vector<engine::Network::Vertex>> lists(s.attachment.categories());
    for (std::size_t c = 0; c < lists.size(); ++c) {
        for (std::size_t i = 0; i < at.size[c]; ++i) {
            lists[c].push_back(s.attachment.unit({c, i}));
        }
    }
    return lists;
}
} // namespace

TEST_CASE("The AVX2 kernels (decide's pass 1, the initial attributes, the network scan) give the "
          "bits of the compiler's vectorised loops",
          "[ecosystem][decide]") {
    namespace detail = canopy::models::ecosystem::detail;
    if (!detail::kernels_available(detail::Kernels::avx2)) {
        WARN("this CPU has no AVX2: only the compiler's pass runs here");
        return;
    }
    struct Restore {
        ~Restore() { detail::set_kernels(detail::Kernels::automatic); }
    } restore;
    // The default run, and one where every firm event is frequent: exits, graduations at and
    // before the limit, lapses, loans, venture deals, registrations, ties, R&D institutions.
    EcoRun busy;
    busy.seed = 7;
    busy.parameters = {{"exit_rate_sme", 0.05},
                       {"incubation_min_months", 3},
                       {"incubation_max_months", 9},
                       {"graduation_rate", 0.2},
                       {"platform_tie_rate", 0.6},
                       {"rnd_institution_rate", 0.05},
                       {"rnd_institution_capability", 0.5},
                       {"sme_registration_rate", 0.5}};
    // The initial attributes, column by column (every stage's loop; a city whose stage blocks
    // end off a multiple of four, so some batches take the compiled loops either way).
    EcoRun odd;
    odd.parameters = {
        {"initial_incubating", 1001}, {"initial_smes", 2003}, {"initial_leaders", 21}};
    for (const EcoRun& run : {EcoRun{}, odd}) {
        const engine::RunInputs in = canopy::test::eco_inputs(run);
        auto initial = [&](detail::Kernels kernels) {
            detail::set_kernels(kernels);
            auto sim = std::make_unique<engine::Simulation<eco::Model>>(
                canopy::test::ecosystem_model(), in, engine::RandomKey{run.seed, run.replicate},
                engine::Executor(false));
            sim->init();
            return sim;
        };
        const auto compiled = initial(detail::Kernels::compiled);
        const auto avx2 = initial(detail::Kernels::avx2);
        const auto& a = compiled->state();
        const auto& b = avx2->state();
        REQUIRE(a.firms.size() == b.firms.size());
        CHECK(b.firms[b.sector] == a.firms[a.sector]);
        CHECK(b.firms[b.flags] == a.firms[a.flags]);
        CHECK(b.firms[b.born] == a.firms[a.born]);
        CHECK(b.firms[b.stage_since] == a.firms[a.stage_since]);
        CHECK(b.firms[b.cert_expiry] == a.firms[a.cert_expiry]);
        CHECK(b.firms[b.capability] == a.firms[a.capability]);
        CHECK(b.firms[b.rd_intensity] == a.firms[a.rd_intensity]);
        // The set-up's scan of the network: collaborators by stage, the attachment pool's units.
        CHECK(b.counts16 == a.counts16);
        CHECK(b.counts32 == a.counts32);
        CHECK(pool_units(b) == pool_units(a));
    }
    for (const EcoRun& run : {EcoRun{}, busy}) {
        detail::set_kernels(detail::Kernels::compiled);
        const auto compiled = run_eco(run);
        detail::set_kernels(detail::Kernels::avx2);
        const auto avx2 = run_eco(run);
        const auto& a = compiled.state();
        const auto& b = avx2.state();
        CHECK(avx2.table.values == compiled.table.values);
        CHECK(b.firms[b.stage] == a.firms[a.stage]);
        CHECK(b.firms[b.flags] == a.firms[a.flags]);
        CHECK(b.firms[b.capability] == a.firms[a.capability]);
        CHECK(b.firms[b.stage_since] == a.firms[a.stage_since]);
        // The newcomers' units in the pool, in order (the AVX2 path writes a step's at once).
        CHECK(pool_units(b) == pool_units(a));
        CHECK(b.counts16 == a.counts16);
    }
}

TEST_CASE("16-bit and 32-bit firm ids in the ties and the pool, and the switch, give the same bits",
          "[ecosystem][network]") {
    const EcoRun run;
    auto simulate = [&](std::size_t limit, engine::SeriesTable& table) {
        return simulate_with(
            run, [&](eco::Model& model) { model.narrow_firm_limit = limit; }, table);
    };
    engine::SeriesTable narrow_table;
    const auto narrow = simulate(eco::Model{}.narrow_firm_limit, narrow_table);
    const auto& a = narrow.second->state();
    REQUIRE(a.collaboration.narrow()); // a small city's ids fit in 16 bits
    REQUIRE(a.attachment.narrow());

    engine::SeriesTable wide_table;
    const auto wide = simulate(0, wide_table); // 32-bit from the start
    const auto& b = wide.second->state();
    REQUIRE(!b.collaboration.narrow());
    REQUIRE(!b.attachment.narrow());

    // 16-bit at the start, widened when the newcomers pass a few hundred more firms.
    const std::size_t initial = a.collaboration.initial();
    engine::SeriesTable switched_table;
    const auto switched = simulate(initial + 300, switched_table);
    const auto& c = switched.second->state();
    REQUIRE(c.firms.size() > initial + 300);
    REQUIRE(!c.collaboration.narrow());
    REQUIRE(!c.attachment.narrow());

    CHECK(wide_table.values == narrow_table.values);
    CHECK(switched_table.values == narrow_table.values);
    CHECK(b.firms[b.capability] == a.firms[a.capability]);
    CHECK(c.firms[c.capability] == a.firms[a.capability]);
    CHECK(pool_units(b) == pool_units(a));
    CHECK(pool_units(c) == pool_units(a));
    REQUIRE(b.collaboration.size() == a.collaboration.size());
    REQUIRE(c.collaboration.size() == a.collaboration.size());
    for (engine::Network::Vertex v = 0; v < a.collaboration.size(); ++v) {
        REQUIRE(b.collaboration.of(v) == a.collaboration.of(v));
        REQUIRE(c.collaboration.of(v) == a.collaboration.of(v));
        REQUIRE(b.neighbour_counts(v) == a.neighbour_counts(v));
        REQUIRE(c.neighbour_counts(v) == a.neighbour_counts(v));
    }
}

TEST_CASE("Ties keep the same lists at either width, and widen before a firm past 16 bits",
          "[ecosystem][network]") {
    // A path of 65,530 firms (0-1-2-...), both ends of every tie, as the builder leaves a
    // network: pure CSR.
    constexpr std::size_t N = 65530;
    std::vector<engine::Network::Vertex> endpoints;
    for (engine::Network::Vertex v = 0; v + 1 < N; ++v) {
        endpoints.push_back(v);
        endpoints.push_back(v + 1);
    }
    eco::Ties narrow(engine::Network::from_edges(N, endpoints), 100, true);
    eco::Ties wide(engine::Network::from_edges(N, endpoints), 100, false);
    REQUIRE(narrow.narrow());
    REQUIRE(!wide.narrow());
    CHECK(narrow.bytes() < wide.bytes());
    // Newcomers past the last 16-bit id: each chooses the last firm and its predecessor.
    for (int k = 0; k < 10; ++k) {
        const auto last = static_cast<engine::Network::Vertex>(narrow.size() - 1);
        const std::array<engine::Network::Vertex, 2> partners = {last, last - 1};
        CHECK(narrow.add(partners) == wide.add(partners));
    }
    CHECK(narrow.size() == N + 10);
    CHECK(!narrow.narrow()); // widened at firm 65,536
    CHECK(narrow.initial() == N);
    CHECK(narrow.of(N + 9) == std::vector<engine::Network::Vertex>{N + 8, N + 7});
    for (engine::Network::Vertex v = 0; v < narrow.size(); ++v) {
        REQUIRE(narrow.of(v) == wide.of(v));
    }
    // Both ends of every tie: the newcomers' ties seen from the partners' side too.
    const engine::Network a = narrow.to_network();
    const engine::Network b = wide.to_network();
    CHECK(a.num_edges() == N - 1 + 20);
    CHECK(a.degree(N + 8) == 3); // its two partners, and the newcomer after it
    for (engine::Network::Vertex v = 0; v < a.num_vertices(); ++v) {
        REQUIRE(a.degree(v) == b.degree(v));
    }
}
