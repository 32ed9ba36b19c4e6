// Set-up: the initial firms, their collaboration network and the SD stocks at the start
// (README "Assumptions built into the code", "4. Networks", "6. SD stocks").
#include "ecosystem/detail.hpp"

#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/sd.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace canopy::models::ecosystem {

namespace detail {

std::array<double, SECTOR_COUNT> sector_cumulative(const StepContext& ctx) {
    const std::array<double, 5> shares = {
        par(ctx, param::share_optoelectronics), par(ctx, param::share_auto),
        par(ctx, param::share_health), par(ctx, param::share_equipment),
        par(ctx, param::share_beidou)};
    double sum = 0.0;
    for (const double x : shares) {
        sum += x;
    }
    const double scale = sum > 1.0 ? 1.0 / sum : 1.0;
    std::array<double, SECTOR_COUNT> cumulative{};
    double acc = 0.0;
    for (std::size_t k = 0; k < shares.size(); ++k) {
        acc += shares[k] * scale;
        cumulative[k] = acc;
    }
    cumulative[OTHER] = 1.0;
    return cumulative;
}

std::array<double, SECTOR_COUNT * SECTOR_COUNT> sector_affinity(const StepContext& ctx) {
    std::array<double, SECTOR_COUNT * SECTOR_COUNT> a{};
    const double other = 1.0 / par(ctx, param::sector_homophily);
    for (std::size_t i = 0; i < SECTOR_COUNT; ++i) {
        for (std::size_t j = 0; j < SECTOR_COUNT; ++j) {
            a[i * SECTOR_COUNT + j] = i == j ? 1.0 : other;
        }
    }
    return a;
}

// Building a table takes ~1,000 Beta quantiles, so tables are shared by every replicate.
const engine::QuantileTable& rd_intensity_table(double alpha, double beta) {
    static std::mutex mutex;
    static std::map<std::pair<double, double>, std::unique_ptr<engine::QuantileTable>> tables;
    const std::lock_guard<std::mutex> lock(mutex);
    auto& slot = tables[{alpha, beta}];
    if (!slot) {
        slot = std::make_unique<engine::QuantileTable>(engine::beta_table(alpha, beta));
    }
    return *slot;
}

namespace {

// Share of pilot-platform capacity in use at the start (model assumption, README "Platforms").
constexpr double INITIAL_PLATFORM_OCCUPANCY = 0.8;

// Philox blocks each initial firm reads from its INITIAL stream, by stage: sector and R&D
// intensity (3 words), the stage's own draws (incubated 3, SME 5, certified 7 words), loan and
// venture backing (4 words, SMEs and up), an R&D institution (2 words, certified firms).
constexpr std::array<std::uint16_t, 4> INITIAL_BLOCKS = {2, 3, 4, 4};

// The firms' initial attributes. Firms are laid down oldest rung first (leaders, certified,
// SMEs, startups: preferential attachment then makes established firms the hubs), so each stage
// is a block of consecutive ids whose firms all read the same number of random words: their
// streams are computed a stage block at a time by the vectorised Philox fill.
void initial_attributes(State& s, const StepContext& ctx, const std::array<std::size_t, 4>& ends) {
    auto& stage = s.firms[s.stage];
    auto& sector = s.firms[s.sector];
    auto& flags = s.firms[s.flags];
    auto& born = s.firms[s.born];
    auto& stage_since = s.firms[s.stage_since];
    auto& cert_expiry = s.firms[s.cert_expiry];
    auto& capability = s.firms[s.capability];
    auto& rd_intensity = s.firms[s.rd_intensity];

    const auto cumulative = sector_cumulative(ctx);
    const engine::YearMonth start = ctx.calendar->start();
    const double share_oldest = par(ctx, param::initial_cohort_share_oldest);
    const double share_middle = par(ctx, param::initial_cohort_share_middle);
    const double batch1 = par(ctx, param::hte_batch1_share);
    const double batch2 = par(ctx, param::hte_batch2_share);
    const std::array<int, 3> batch_months = {static_cast<int>(par(ctx, param::hte_batch1_month)),
                                             static_cast<int>(par(ctx, param::hte_batch2_month)),
                                             static_cast<int>(par(ctx, param::hte_batch3_month))};
    const auto validity = static_cast<int>(par(ctx, param::cert_validity_months));
    const double loan_share = par(ctx, param::initial_loan_share);
    const double vc_share = par(ctx, param::initial_vc_share);
    const double rnd_share = par(ctx, param::initial_rnd_institution_share);
    const double incubation_max = par(ctx, param::incubation_max_months);
    const double newborn_mean = par(ctx, param::newborn_capability_mean);
    const double capability_sd = par(ctx, param::newborn_capability_sd);
    const double entrant_mean = par(ctx, param::sme_entry_capability_mean);
    const double hte_bar = par(ctx, param::hte_capability_threshold);
    const double leader_bar = par(ctx, param::leader_capability_bar);
    const double young_growth =
        par(ctx, param::capability_drift) + par(ctx, param::platform_effect);
    const double rd_effect_per_year = par(ctx, param::rd_effect);
    const double rd_premium = par(ctx, param::digital_rd_premium);
    const engine::QuantileTable& normal = engine::NormalTable::instance();
    const engine::QuantileTable& rd_table =
        rd_intensity_table(par(ctx, param::rd_intensity_alpha), par(ctx, param::rd_intensity_beta));

    // ends = {leaders, certified, SMEs, startups}: the end of each stage's block of ids.
    const std::array<std::uint8_t, 4> block_stage = {LEADER, HIGH_TECH, SME, INCUBATING};
    constexpr std::size_t BATCH = 256; // firms whose streams are filled together
    ctx.executor->for_chunks(ends[3], Model::CHUNK, [&](std::size_t, std::size_t b, std::size_t e) {
        engine::StreamBatch batch;
        for (std::size_t from = b; from < e;) {
            std::size_t k = 0;
            while (ends[k] <= from) {
                ++k;
            }
            const std::uint8_t st = block_stage[k];
            const std::size_t to = std::min({e, ends[k], from + BATCH});
            batch.fill(ctx.key, static_cast<std::uint32_t>(from), 0, INITIAL, to - from,
                       INITIAL_BLOCKS[st]);
            for (std::size_t i = from; i < to; ++i) {
                engine::PrefilledStream rng = batch.stream(i - from);
                stage[i] = st;
                sector[i] = draw_sector(rng, cumulative);
                const double rd = sector_rd(rd_table(rng.next_u32()), sector[i], rd_premium);
                rd_intensity[i] = static_cast<float>(rd);
                double c = 0.0;
                int age = 0;
                int since = 0;
                switch (st) {
                case INCUBATING: {
                    // Uniformly far into a stay, grown as an incubated startup grows.
                    const double months_in = engine::uniform(rng, 0.0, incubation_max);
                    age = static_cast<int>(months_in);
                    since = -age;
                    c = newborn_mean + capability_sd * normal(rng.next_u32()) +
                        months_in / 12.0 * (young_growth + rd_effect_per_year * rd);
                    break;
                }
                case SME:
                    age = static_cast<int>(engine::uniform(rng, 12.0, 120.0));
                    since = -static_cast<int>(engine::uniform(rng, 0.0, age));
                    c = entrant_mean + 2.0 * capability_sd * normal(rng.next_u32());
                    break;
                default: {
                    // Certified: issued in one of the three batch years before the start.
                    const double u = engine::uniform01(rng);
                    const int years_back = u < share_oldest                  ? 3
                                           : u < share_oldest + share_middle ? 2
                                                                             : 1;
                    const double ub = engine::uniform01(rng);
                    const int batch_month = batch_months[ub < batch1            ? 0
                                                         : ub < batch1 + batch2 ? 1
                                                                                : 2];
                    const int issued =
                        (start.year - years_back - start.year) * 12 + batch_month - start.month;
                    since = issued;
                    cert_expiry[i] = static_cast<std::int16_t>(issued + validity);
                    age = static_cast<int>(engine::uniform(rng, 36.0, 240.0));
                    const double bar = st == LEADER ? leader_bar : hte_bar;
                    c = bar + 0.5 * std::abs(normal(rng.next_u32()));
                    break;
                }
                }
                born[i] = static_cast<std::int16_t>(-age);
                stage_since[i] = static_cast<std::int16_t>(since);
                capability[i] = static_cast<float>(std::max(0.01, c));
                std::uint8_t f = 0;
                if (st >= SME) {
                    f = static_cast<std::uint8_t>(
                        f | (engine::uniform01(rng) < loan_share ? HAS_LOAN : 0));
                    f = static_cast<std::uint8_t>(f |
                                                  (engine::uniform01(rng) < vc_share ? HAS_VC : 0));
                }
                if (st >= HIGH_TECH && engine::uniform01(rng) < rnd_share) {
                    f |= RND_INSTITUTION;
                }
                flags[i] = f;
            }
            from = to;
        }
    });
}

// The collaboration network (preferential attachment with sector homophily), the attachment
// pool newcomers draw partners from, and each firm's collaborators by stage.
void collaboration_network(State& s, const StepContext& ctx, std::size_t n, std::size_t room,
                           std::uint32_t narrow_limit) {
    const auto& stage = s.firms[s.stage];
    const auto& sector = s.firms[s.sector];
    const auto affinity = sector_affinity(ctx);
    engine::BarabasiAlbertOptions network;
    network.vertices = n;
    network.edges_per_vertex = static_cast<unsigned>(par(ctx, param::collaboration_edges));
    network.reserve_vertices = room;
    network.category = sector;
    network.affinity = affinity;
    s.collaboration = engine::barabasi_albert(network, ctx.key, NETWORK, s.attachment);

    // Counts are 16-bit while every degree fits; newcomers check the headroom as ties grow.
    const std::uint32_t max_degree = s.collaboration.max_degree();
    s.narrow_count_limit = std::min(narrow_limit, engine::MAX_16_BIT_DEGREE);
    if (max_degree <= s.narrow_count_limit) {
        s.counts16.reserve(n + room);
        s.counts16.resize(n);
        s.degree_headroom = s.narrow_count_limit - max_degree;
    } else {
        s.counts32.reserve(n + room);
        s.counts32.resize(n);
    }

    // The builder's pool holds its units in the order ties were made; newcomers draw from the
    // units in network order (every firm once per tie, firm by firm), so the pool is refilled
    // in that order, in its own memory, by the same scan that counts each firm's collaborators.
    s.attachment.clear();
    s.attachment.reserve(2 * room * network.edges_per_vertex / SECTOR_COUNT);
    with_counts(s, [&](auto& counts) {
        for (std::size_t v = 0; v < n; ++v) {
            typename std::remove_reference_t<decltype(counts)>::value_type own{};
            s.collaboration.for_each_neighbour(static_cast<Network::Vertex>(v),
                                               [&](Network::Vertex u) {
                                                   s.attachment.add(u, sector[u]);
                                                   ++own[stage[u]];
                                               });
            counts[v] = own;
        }
    });
}

// The starting tallies the first step's rates read, and the pilot-platform ties, which fill
// most of the capacity at the start (one word from each SME's and certified firm's stream of
// step 1, computed in one vectorised fill). Also what the derived rates need: each stage's mean
// exit multiplier (README "Exit"), the capability of firms without venture backing (the deal
// hazard's base), and this year's value-added panel (the firms certified now).
struct InitialSums {
    double loans = 0.0;
    double capability_without_vc = 0.0;
};

InitialSums initial_tallies(State& s, const StepContext& ctx, std::size_t certified_and_smes) {
    const std::size_t n = s.firms.size();
    const auto& stage = s.firms[s.stage];
    const auto& sector = s.firms[s.sector];
    auto& flags = s.firms[s.flags];
    const auto& capability = s.firms[s.capability];
    const auto& rd_intensity = s.firms[s.rd_intensity];
    const double slots =
        par(ctx, param::initial_pilot_platforms) * par(ctx, param::firms_per_pilot_platform);
    const auto eligible = static_cast<double>(certified_and_smes);
    const double tie_share =
        eligible > 0.0 ? std::min(1.0, INITIAL_PLATFORM_OCCUPANCY * slots / eligible) : 0.0;
    const double loan_sizes[4] = {0.0, par(ctx, param::loan_size_sme),
                                  par(ctx, param::loan_size_high_tech),
                                  par(ctx, param::loan_size_leader)};
    const double va_per_capability = va_factor(ctx, 0.0);
    const double loan_exit = par(ctx, param::loan_exit_factor);
    const double vc_exit = par(ctx, param::vc_exit_factor);
    const double exit_slope = par(ctx, param::capability_exit_slope);
    auto& batch = s.firms[s.batch];
    engine::StreamBatch ties;
    ties.fill(ctx.key, 0, 1, INITIAL, certified_and_smes, 1);
    InitialSums out;
    std::array<double, 4> multiplier_sum{};
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t st = stage[i];
        ++s.active[st];
        if (st >= SME) {
            engine::PrefilledStream rng = ties.stream(i);
            if (engine::uniform01(rng) < tie_share) {
                flags[i] |= PLATFORM_TIE;
                ++s.tied;
            }
        }
        const bool loan = (flags[i] & HAS_LOAN) != 0;
        const bool vc = (flags[i] & HAS_VC) != 0;
        if (loan) {
            out.loans += loan_sizes[st];
        }
        if ((flags[i] & RND_INSTITUTION) != 0) {
            ++s.with_rnd_institution;
        }
        const auto c = static_cast<double>(capability[i]);
        s.capability_sum += c;
        multiplier_sum[st] +=
            (loan ? loan_exit : 1.0) * (vc ? vc_exit : 1.0) / (1.0 + exit_slope * c);
        out.capability_without_vc += vc ? 0.0 : c;
        const double va = va_per_capability * c;
        s.va_total += va;
        s.va_digital += is_digital(sector[i]) ? va : 0.0;
        if (st >= HIGH_TECH) {
            s.va_certified += va;
            s.rd_spending += static_cast<double>(rd_intensity[i]) * c;
            batch[i] = IN_PANEL;
            s.panel_base_capability += c;
        }
    }
    for (std::size_t k = 0; k < 4; ++k) {
        s.exit_norm[k] =
            multiplier_sum[k] > 0.0 ? static_cast<double>(s.active[k]) / multiplier_sum[k] : 1.0;
    }
    s.panel_capability = s.panel_base_capability;
    s.panel_base_va_factor = va_per_capability;
    s.va_factor_now = va_per_capability;
    s.months_now = 0.0;
    s.capability_initial = s.capability_sum;
    return out;
}

// Rates derived so that the initial stocks are the steady state of their flows (README "SD
// stocks").
void derived_rates(State& s, const StepContext& ctx, double capability_without_vc) {
    // Loans: a firm without a loan takes one at hazard a, one with a loan repays at 1/term, so
    // the share with a loan settles at a / (a + 1/term): a follows from the initial share, and
    // the application hazard from the approvals under the policies in force at the start (risk
    // compensation index 1, the lever's definition), so a lever above 1 from the start lends more.
    const double loan_share = par(ctx, param::initial_loan_share);
    const double term = par(ctx, param::loan_term_months);
    const double approval0 = std::min(1.0, par(ctx, param::loan_approval));
    const double a = loan_share < 1.0 ? loan_share / ((1.0 - loan_share) * term) : 1.0;
    s.loan_demand = approval0 > 0.0 ? a / approval0 : 0.0;
    // Venture capital: deals at the start invest initial_vc_invested a year; fundraising keeps the
    // dry powder where it is (raised = invested + what leaves unused).
    const double vc_invested = par(ctx, param::initial_vc_invested);
    const double deals_per_month = vc_invested / 12.0 / par(ctx, param::vc_deal_size);
    s.vc_deal_rate = capability_without_vc > 0.0 && std::isfinite(deals_per_month)
                         ? deals_per_month / capability_without_vc
                         : 0.0;
    s.vc_fundraising = vc_invested + 12.0 * par(ctx, param::initial_vc_stock) /
                                         par(ctx, param::vc_fund_life_months);
    // Brokers and liaisons leave at the rate that keeps the initial stock with the initial hiring
    // (none leave when none are hired).
    s.staff_attrition =
        lev(ctx, lever::new_transfer_staff) / 12.0 / par(ctx, param::initial_transfer_staff);
    // Contract turnover: the twelve months before the start had total T, growing at g, spread
    // over the months by the seasonal shares; the rate at the start is the one that reproduces T.
    const engine::YearMonth start = ctx.calendar->start();
    const double g = par(ctx, param::initial_turnover_growth);
    double weight = 0.0;
    for (int k = 1; k <= 12; ++k) {
        const int month_of_year = (start.month - 1 - k + 24) % 12 + 1;
        weight += contract_month_share(ctx, month_of_year) * std::pow(1.0 + g, -k / 12.0);
    }
    s.turnover_rate0 = weight > 0.0 ? par(ctx, param::initial_turnover_rate) / weight : 0.0;
    // Insurance: premiums per insured certified firm at the start.
    const double insured0 = s.certified_initial * par(ctx, param::initial_insured_share);
    s.premium_per_firm = insured0 > 0.0 ? par(ctx, param::initial_insurance) / insured0 : 0.0;
}

// SD stocks at the start; the delay pipelines hold what the initial lever flows would have in
// transit at equilibrium.
void initial_stocks(const StepContext& ctx, double loans, Eigen::VectorXd& y) {
    y.setZero();
    sd(y, stock::talent) = par(ctx, param::initial_talent);
    sd(y, stock::loan_balance) = loans;
    sd(y, stock::vc_available) = par(ctx, param::initial_vc_stock);
    sd(y, stock::vc_invested_12m) = par(ctx, param::initial_vc_invested);
    sd(y, stock::insured_share) = par(ctx, param::initial_insured_share);
    sd(y, stock::innovation_space) = par(ctx, param::initial_innovation_space);
    sd(y, stock::incubators) = par(ctx, param::initial_incubators);
    sd(y, stock::pilot_platforms) = par(ctx, param::initial_pilot_platforms);
    sd(y, stock::transfer_staff) = par(ctx, param::initial_transfer_staff);
    sd(y, stock::transfer_centres) = par(ctx, param::initial_transfer_centres);
    sd(y, stock::labs) = par(ctx, param::initial_labs);
    sd(y, stock::knowledge) = 1.0;
    engine::Delay3{stock::space_pipeline_1}.initialise(
        y, lev(ctx, lever::innovation_space_construction) / 12.0,
        par(ctx, param::space_delivery_months));
    engine::Delay3{stock::incubator_pipeline_1}.initialise(
        y, lev(ctx, lever::new_incubators) / 12.0, par(ctx, param::incubator_setup_months));
    engine::Delay3{stock::pilot_pipeline_1}.initialise(
        y, lev(ctx, lever::new_pilot_platforms) / 12.0, par(ctx, param::pilot_setup_months));
    engine::Delay3{stock::centre_pipeline_1}.initialise(
        y, lev(ctx, lever::new_transfer_centres) / 12.0, par(ctx, param::centre_setup_months));
    engine::Delay3{stock::lab_pipeline_1}.initialise(y, lev(ctx, lever::new_labs) / 12.0,
                                                     par(ctx, param::lab_setup_months));
}

} // namespace
} // namespace detail

void Model::init(State& s, const engine::StepContext& ctx, Eigen::VectorXd& y) const {
    using namespace detail;
    const auto n_incubating = static_cast<std::size_t>(par(ctx, param::initial_incubating));
    const auto n_sme = static_cast<std::size_t>(par(ctx, param::initial_smes));
    const auto n_high_tech = static_cast<std::size_t>(par(ctx, param::initial_high_tech));
    const auto n_leader = static_cast<std::size_t>(par(ctx, param::initial_leaders));
    const std::size_t n = n_incubating + n_sme + n_high_tech + n_leader;
    const int steps = ctx.calendar->steps();
    // Room for the entrants of the whole run; untouched reserved pages are never resident.
    const double dt = ctx.dt_months();
    const double expected = (par(ctx, param::startup_rate) + par(ctx, param::spinoff_rate) * 4.0 +
                             par(ctx, param::sme_entry_rate)) *
                            dt * steps * 2.0;
    const auto room = static_cast<std::size_t>(expected + 1024.0);

    s = State{};
    for (PhaseClock* phase :
         {&s.phases.network, &s.phases.attributes, &s.phases.decide, &s.phases.apply,
          &s.phases.calendar, &s.phases.newcomers, &s.phases.tallies}) {
        phase->timed = time_phases;
    }
    s.stage = s.firms.add_column<std::uint8_t>("stage", EXITED);
    s.sector = s.firms.add_column<std::uint8_t>("sector", OTHER);
    s.flags = s.firms.add_column<std::uint8_t>("flags", 0);
    s.batch = s.firms.add_column<std::uint8_t>("batch", 0);
    s.born = s.firms.add_column<std::int16_t>("born", 0);
    s.stage_since = s.firms.add_column<std::int16_t>("stage_since", 0);
    s.cert_expiry = s.firms.add_column<std::int16_t>("cert_expiry", 0);
    s.capability = s.firms.add_column<float>("capability", 0.0F);
    s.rd_intensity = s.firms.add_column<float>("rd_intensity", 0.0F);
    s.firms.reserve(n + room);
    s.firms.add(n);

    const std::size_t leaders_end = n_leader;
    const std::size_t high_tech_end = leaders_end + n_high_tech;
    const std::size_t sme_end = high_tech_end + n_sme;
    {
        const PhaseTimer timer(s.phases.attributes);
        initial_attributes(s, ctx, {leaders_end, high_tech_end, sme_end, n});
    }
    {
        const PhaseTimer timer(s.phases.network);
        collaboration_network(s, ctx, n, room, narrow_count_limit);
    }
    const PhaseTimer timer(s.phases.attributes);
    const InitialSums sums = initial_tallies(s, ctx, sme_end);
    s.rd_spending_initial = s.rd_spending;
    s.certified_initial = static_cast<double>(n_high_tech + n_leader);
    derived_rates(s, ctx, sums.capability_without_vc);
    s.knowledge_inputs_initial =
        par(ctx, param::initial_labs) +
        par(ctx, param::projects_per_lab) * lev(ctx, lever::major_projects);
    s.changes.resize(engine::Executor::chunk_count(n + room, CHUNK));
    s.tallies.resize(s.changes.size());
    initial_stocks(ctx, sums.loans, y);
}

} // namespace canopy::models::ecosystem
