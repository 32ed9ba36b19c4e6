// The ecosystem model's dynamics. README.md beside this file gives every equation with its
// parameters; the comments here say how the code realises them.
#include "ecosystem/ecosystem_model.hpp"

#include <canopy/engine/attachment.hpp>
#include <canopy/engine/barabasi_albert.hpp>
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/parallel.hpp>
#include <canopy/engine/sd.hpp>
#include <canopy/engine/statistics.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace canopy::models::ecosystem {

namespace {

using engine::Network;
using engine::Purpose;
using engine::StepContext;

// Random-stream purposes; distinct so that no two uses share numbers.
constexpr Purpose DECIDE = 1;      // the monthly draws of every firm
constexpr Purpose NETWORK = 2;     // the initial collaboration network
constexpr Purpose INITIAL = 3;     // the initial firms' attributes
constexpr Purpose HTE_APPLY = 4;   // who applies for certification, in which batch
constexpr Purpose HTE_DECIDE = 5;  // batch decisions
constexpr Purpose BIRTH_COUNT = 6; // how many firms enter
constexpr Purpose NEWCOMER = 7;    // a new firm's attributes
constexpr Purpose ATTACH = 8;      // a new firm's collaboration ties
constexpr Purpose LEADER_CALL = 9; // leader applications and their evaluation

// A newcomer whose candidate partners keep being rejected stops after this many draws.
constexpr int MAX_ATTACH_DRAWS = 4096;
// Newcomers per chunk of the parallel choice of partners.
constexpr std::size_t NEWCOMER_CHUNK = 256;
// Share of pilot-platform capacity in use at the start (model assumption, README "Platforms").
constexpr double INITIAL_PLATFORM_OCCUPANCY = 0.8;

double par(const StepContext& ctx, param::Id p) {
    return ctx.parameters[static_cast<std::size_t>(p)];
}
double lev(const StepContext& ctx, lever::Id l) {
    return ctx.levers[static_cast<std::size_t>(l)];
}
double sd(const Eigen::VectorXd& y, stock::Id k) {
    return y[static_cast<Eigen::Index>(k)];
}
double& sd(Eigen::VectorXd& y, stock::Id k) {
    return y[static_cast<Eigen::Index>(k)];
}

// Probability of at least one event in dt months at a constant hazard per month.
double step_probability(double hazard_per_month, double dt_months) {
    return hazard_per_month <= 0.0 ? 0.0 : -std::expm1(-hazard_per_month * dt_months);
}

double u01(std::uint32_t word) {
    return (static_cast<double>(word) + 0.5) * 0x1.0p-32;
}

// R&D intensities are drawn from a tabulated Beta; tables are built once per (alpha, beta) and
// shared by every replicate (building one takes ~1,000 Beta quantiles).
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

// 1/k for k < RECIPROCALS (index 0 holds 0: no collaborators, no share).
constexpr std::size_t RECIPROCALS = 256;
const std::array<double, RECIPROCALS>& reciprocals() {
    static const auto table = [] {
        std::array<double, RECIPROCALS> t{};
        for (std::size_t k = 1; k < RECIPROCALS; ++k) {
            t[k] = 1.0 / static_cast<double>(k);
        }
        return t;
    }();
    return table;
}

bool is_digital(std::uint8_t sector) {
    return sector == OPTOELECTRONICS || sector == BEIDOU;
}

bool first_step_of_month(const StepContext& ctx, int month_of_year) {
    const engine::YearMonth ym = ctx.calendar->month_of_step(ctx.step);
    return ym.month == month_of_year && ctx.calendar->first_step_in(ym) == ctx.step;
}

// Cumulative sector shares; shares summing above 1 are scaled down to 1 ("other" gets 0).
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

template <class G>
std::uint8_t draw_sector(G& rng, const std::array<double, SECTOR_COUNT>& cumulative) {
    const double u = engine::uniform01(rng);
    std::uint8_t k = 0;
    while (k < OTHER && u >= cumulative[k]) {
        ++k;
    }
    return k;
}

// The collaboration network's homophily: affinity 1 to the firm's own sector, 1/h to others.
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

// The transfer-capacity index: brokers and liaisons, transfer centres and matchmaking events,
// each relative to the start, equally weighted (README "Knowledge and technology contracts").
double transfer_index(const Eigen::VectorXd& y, const StepContext& ctx) {
    const double staff = sd(y, stock::transfer_staff) / par(ctx, param::initial_transfer_staff);
    const double centres =
        sd(y, stock::transfer_centres) / par(ctx, param::initial_transfer_centres);
    const double events = lev(ctx, lever::matchmaking_events) / par(ctx, param::reference_events);
    return (staff + centres + events) / 3.0;
}

// Share of a year's graduates who start in a given month.
double graduate_month_share(const StepContext& ctx, int month_of_year) {
    const double summer = par(ctx, param::summer_share);
    return (month_of_year >= 6 && month_of_year <= 8) ? summer / 3.0 : (1.0 - summer) / 9.0;
}

// Share of a year's contract turnover registered in a given month: the first half-year carries
// turnover_h1_share evenly, December december_share, July-November the rest evenly (none when
// the two leave nothing).
double contract_month_share(const StepContext& ctx, int month_of_year) {
    const double h1 = par(ctx, param::turnover_h1_share);
    const double december = par(ctx, param::december_share);
    if (month_of_year <= 6) {
        return h1 / 6.0;
    }
    return month_of_year == 12 ? december : std::max(0.0, 1.0 - h1 - december) / 5.0;
}

// Value added per unit of capability at elapsed months t: the start's level, growing at va_trend.
double va_factor(const StepContext& ctx, double months) {
    return par(ctx, param::va_per_capability) *
           std::pow(1.0 + par(ctx, param::va_trend), months / 12.0);
}

// Newcomers' cumulative sector shares: the initial shares with the digital core's odds tilted.
std::array<double, SECTOR_COUNT> newcomer_cumulative(const StepContext& ctx) {
    std::array<double, SECTOR_COUNT> w{};
    const std::array<double, SECTOR_COUNT> cum = sector_cumulative(ctx);
    double prev = 0.0;
    for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
        w[k] = cum[k] - prev;
        prev = cum[k];
    }
    const double tilt = 1.0 + par(ctx, param::digital_entry_tilt);
    w[OPTOELECTRONICS] *= tilt;
    w[BEIDOU] *= tilt;
    double total = 0.0;
    for (const double x : w) {
        total += x;
    }
    std::array<double, SECTOR_COUNT> out{};
    double acc = 0.0;
    for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
        acc += total > 0.0 ? w[k] / total : 0.0;
        out[k] = acc;
    }
    out[OTHER] = 1.0;
    return out;
}

// A firm's R&D intensity: the tabulated Beta, raised for the digital core (at most 1).
double sector_rd(double rd, std::uint8_t sector, double digital_premium) {
    return is_digital(sector) ? std::min(1.0, rd * (1.0 + digital_premium)) : rd;
}

} // namespace

/// What the agent loop reads, computed once per step from parameters, levers and stocks.
struct StepRates {
    int month = 0;
    double dt = 1.0;
    double dt_years = 1.0 / 12.0;
    double noise_scale = 0.0;                       // capability_noise * sqrt(dt in years)
    std::array<double, SECTOR_COUNT> base_growth{}; // drift + talent term (+ digital), per year
    double reversion = 0.0;                         // capability_reversion, per year
    bool panel_reset = false; // January: the firms certified now form this year's panel
    double rd_effect = 0.0, loan_effect = 0.0, vc_effect = 0.0, spillover_effect = 0.0,
           platform_effect = 0.0;
    std::array<double, 4> exit_p{}; // per-step exit probability by stage before modifiers
    double loan_exit_factor = 1.0, vc_exit_factor = 1.0, exit_slope = 0.0;
    double graduation_p = 0.0, graduation_capability = 0.0;
    int incubation_min = 0, incubation_max = 0;
    std::uint64_t loan_new_below = 0, loan_repay_below = 0;
    std::array<double, 4> loan_size{};
    double vc_p_per_capability = 0.0, vc_end_p = 0.0;
    bool registration_reset = false, registration_open = false;
    double registration_p = 0.0, size_capability = 0.0;
    double tie_p = 0.0, untie_p = 0.0;
    double rare_events_bound = 0.0; // the largest registration + tie + R&D-institution band
    double rnd_p = 0.0, rnd_capability = 0.0;
};

int Model::month_index(const StepContext& ctx) {
    return ctx.calendar->month_of_step(ctx.step).index() - ctx.calendar->start().index();
}

std::size_t Model::state_bytes(const State& s) {
    return s.firms.bytes() + s.collaboration.bytes() + s.attachment.bytes();
}

namespace {

StepRates step_rates(const Model::State& s, const StepContext& ctx) {
    const Eigen::VectorXd& y = *ctx.stocks;
    StepRates r;
    r.month = Model::month_index(ctx);
    r.dt = ctx.dt_months();
    r.dt_years = r.dt / 12.0;
    r.noise_scale = par(ctx, param::capability_noise) * std::sqrt(r.dt_years);
    const double talent_index = sd(y, stock::talent) / par(ctx, param::initial_talent);
    const double base =
        par(ctx, param::capability_drift) + par(ctx, param::talent_effect) * (talent_index - 1.0);
    for (std::size_t k = 0; k < SECTOR_COUNT; ++k) {
        r.base_growth[k] = base + (is_digital(static_cast<std::uint8_t>(k))
                                       ? par(ctx, param::digital_growth_premium)
                                       : 0.0);
    }
    r.reversion = par(ctx, param::capability_reversion);
    r.rd_effect = par(ctx, param::rd_effect);
    r.loan_effect = par(ctx, param::loan_effect);
    r.vc_effect = par(ctx, param::vc_effect);
    r.spillover_effect = par(ctx, param::spillover_effect);
    r.platform_effect = par(ctx, param::platform_effect);

    // The stated hazards are each stage's average at the start: a firm's hazard is the stated one
    // times its own multiplier over the stage's mean multiplier then (README "D8").
    r.exit_p = {step_probability(par(ctx, param::incubation_failure_rate), r.dt) * s.exit_norm[0],
                step_probability(par(ctx, param::exit_rate_sme), r.dt) * s.exit_norm[1],
                step_probability(par(ctx, param::exit_rate_high_tech), r.dt) * s.exit_norm[2],
                step_probability(par(ctx, param::exit_rate_leader), r.dt) * s.exit_norm[3]};
    r.loan_exit_factor = par(ctx, param::loan_exit_factor);
    r.vc_exit_factor = par(ctx, param::vc_exit_factor);
    r.exit_slope = par(ctx, param::capability_exit_slope);
    r.graduation_p = step_probability(par(ctx, param::graduation_rate), r.dt);
    r.graduation_capability = par(ctx, param::graduation_capability);
    r.incubation_min = static_cast<int>(par(ctx, param::incubation_min_months));
    r.incubation_max = static_cast<int>(par(ctx, param::incubation_max_months));

    // Tech loans: applications times approvals; approvals respond to risk compensation.
    const double approval =
        std::min(1.0, par(ctx, param::loan_approval) *
                          std::pow(lev(ctx, lever::tech_loan_risk_compensation),
                                   par(ctx, param::risk_compensation_elasticity)));
    r.loan_new_below = engine::u32_threshold(step_probability(s.loan_demand * approval, r.dt));
    r.loan_repay_below =
        engine::u32_threshold(step_probability(1.0 / par(ctx, param::loan_term_months), r.dt));
    // Credit deepens: a new loan is larger by credit_deepening a year (README "D4").
    const double deepening = std::pow(1.0 + par(ctx, param::credit_deepening),
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

    // SME registration: an annual window; registrations reset in January.
    const engine::YearMonth ym = ctx.month();
    r.registration_reset = first_step_of_month(ctx, 1);
    r.panel_reset = r.registration_reset;
    const int first = static_cast<int>(par(ctx, param::registration_first_month));
    const int last = static_cast<int>(par(ctx, param::registration_last_month));
    r.registration_open = ym.month >= first && ym.month <= last;
    r.registration_p = step_probability(
        par(ctx, param::sme_registration_rate) *
            std::pow(lev(ctx, lever::sme_outreach), par(ctx, param::outreach_elasticity)),
        r.dt);
    r.size_capability = par(ctx, param::sme_size_capability);

    // Pilot-platform ties: free capacity fills at platform_tie_rate per month, shared out
    // evenly over the untied firms that could take it (so ties never outrun capacity on average).
    const double slots = sd(y, stock::pilot_platforms) * par(ctx, param::firms_per_pilot_platform);
    const double free_slots = std::max(0.0, slots - static_cast<double>(s.tied));
    const double untied =
        static_cast<double>(s.active[SME] + s.active[HIGH_TECH] + s.active[LEADER] - s.tied);
    r.tie_p = untied > 0.0
                  ? std::min(1.0, par(ctx, param::platform_tie_rate) * r.dt * free_slots / untied)
                  : 0.0;
    r.untie_p = step_probability(1.0 / par(ctx, param::platform_tie_months), r.dt);

    r.rnd_p = step_probability(par(ctx, param::rnd_institution_rate) *
                                   std::pow(lev(ctx, lever::rnd_institution_support),
                                            par(ctx, param::rnd_support_elasticity)),
                               r.dt);
    r.rnd_capability = par(ctx, param::rnd_institution_capability);
    r.rare_events_bound =
        (r.registration_open ? r.registration_p : 0.0) + std::max(r.tie_p, r.untie_p) + r.rnd_p;
    return r;
}

// The monthly decisions of firms [begin, end) (see README "Each month, each firm").
void decide_chunk(Model::State& s, const StepContext& ctx, const StepRates& rates,
                  std::size_t begin, std::size_t end, std::vector<StageChange>& changes,
                  ChunkTally& tally) {
    // Local copies: the loop writes through uint8_t pointers, which may alias anything, so
    // without them the compiler would reload the rates and re-store the tallies every firm.
    const StepRates r = rates;
    ChunkTally t{};
    auto& stage = s.firms[s.stage];
    auto& sector = s.firms[s.sector];
    auto& flags = s.firms[s.flags];
    auto& stage_since = s.firms[s.stage_since];
    auto& cert_expiry = s.firms[s.cert_expiry];
    auto& capability = s.firms[s.capability];
    auto& rd_intensity = s.firms[s.rd_intensity];
    auto& neighbours = s.firms[s.neighbours];
    const engine::QuantileTable& normal = engine::NormalTable::instance();
    const auto& reciprocal = reciprocals();
    const auto step = static_cast<std::uint32_t>(ctx.step);
    constexpr std::size_t BLOCK = 64;
    std::uint32_t words[4 * BLOCK];

    for (std::size_t i = begin; i < end; ++i) {
        if ((i - begin) % BLOCK == 0) {
            // The four words of each firm's (agent, step, DECIDE) block, 64 firms at a time.
            engine::philox_fill(ctx.key, static_cast<std::uint32_t>(i), step, DECIDE,
                                std::min(BLOCK, end - i), words);
        }
        const std::uint8_t st = stage[i];
        if (st > LEADER) {
            continue;
        }
        ++t.active[st];
        const std::uint32_t* w = words + 4 * ((i - begin) % BLOCK);
        std::uint8_t f = flags[i];
        const double c_old = capability[i];
        if (r.registration_reset) {
            f = static_cast<std::uint8_t>(f & ~REGISTERED);
        }
        if (r.panel_reset) {
            // This year's value-added panel: the firms certified at the end of December.
            f = static_cast<std::uint8_t>((f & ~PANEL) | (st >= HIGH_TECH ? PANEL : 0));
            t.capability_panel_base += st >= HIGH_TECH ? c_old : 0.0;
        }
        const bool loan = (f & HAS_LOAN) != 0;
        const bool vc = (f & HAS_VC) != 0;

        // Capability: drift, R&D, talent, finance, spillover from collaborators higher up,
        // platform ties (an incubator is a platform), and an idiosyncratic shock.
        const NeighbourCounts& nc = neighbours[i];
        const std::uint32_t total = nc[0] + nc[1] + nc[2] + nc[3];
        const std::uint32_t higher =
            (st < 1 ? nc[1] : 0U) + (st < 2 ? nc[2] : 0U) + (st < 3 ? nc[3] : 0U);
        // share_up: a table of reciprocals spares a division for all but the best-connected.
        const double share =
            static_cast<double>(higher) *
            (total < RECIPROCALS ? reciprocal[total] : 1.0 / static_cast<double>(total));
        const bool on_platform = st == INCUBATING || (f & PLATFORM_TIE) != 0;
        const double rd = rd_intensity[i];
        // Mean-reverting: the drivers set the level a firm tends to (growth / reversion), not an
        // unbounded trend (README "D6").
        const double growth = r.base_growth[sector[i]] + r.rd_effect * rd +
                              (loan ? r.loan_effect : 0.0) + (vc ? r.vc_effect : 0.0) +
                              r.spillover_effect * share + (on_platform ? r.platform_effect : 0.0) -
                              r.reversion * c_old;
        const double c = std::max(0.0, c_old + growth * r.dt_years + r.noise_scale * normal(w[1]));
        capability[i] = static_cast<float>(c);

        // Exit, graduation, certificate lapse (one word, competing risks).
        // p_exit = base / (1 + slope c); the tests u0 < p_exit (+ p_grad) are written with the
        // divisor multiplied through, which keeps a division off every firm's critical path.
        const double exit_base =
            r.exit_p[st] * (loan ? r.loan_exit_factor : 1.0) * (vc ? r.vc_exit_factor : 1.0);
        const double divisor = 1.0 + r.exit_slope * c;
        const double u0 = u01(w[0]);
        const bool exits = u0 * divisor < exit_base;
        std::uint8_t to = st;
        if (st == INCUBATING) {
            const int months_in = r.month - stage_since[i];
            const bool capable = c >= r.graduation_capability;
            if (months_in >= r.incubation_max) {
                to = capable ? SME : EXITED; // the longest stay is over: graduate or fail
            } else if (exits) {
                to = EXITED;
            } else if (capable && months_in >= r.incubation_min &&
                       (u0 - r.graduation_p) * divisor < exit_base) {
                to = SME;
            }
        } else if (exits) {
            to = EXITED;
        } else if (st >= HIGH_TECH && r.month >= cert_expiry[i] && (f & APPLIED_RENEWAL) == 0) {
            to = SME; // the certificate expired and no renewal is pending
            ++t.lapses;
        }
        if (to != st) {
            changes.push_back({static_cast<std::uint32_t>(i), st, to});
            if (to == EXITED) {
                ++t.exits;
                flags[i] = 0;
                continue;
            }
            if (st == INCUBATING) {
                ++t.graduations;
            }
        }

        // Finance: a loan ends or starts (one word).
        if (loan) {
            if (w[2] < r.loan_repay_below) {
                f = static_cast<std::uint8_t>(f & ~HAS_LOAN);
            }
        } else if (to != INCUBATING && w[2] < r.loan_new_below) {
            f |= HAS_LOAN;
            t.new_loans += r.loan_size[to];
        }

        // Rarer events share one word as competing risks: at most one per firm per step. Most
        // firms draw above every event's band, so the bands are worked out only when the word
        // falls below their largest possible total.
        const double p_vc = vc ? r.vc_end_p : std::min(0.5, r.vc_p_per_capability * c);
        const double u3 = u01(w[3]);
        if (u3 < p_vc + r.rare_events_bound) {
            const bool can_register = r.registration_open && (f & REGISTERED) == 0 &&
                                      (to <= SME || (to == HIGH_TECH && c < r.size_capability));
            const double p_reg = can_register ? r.registration_p : 0.0;
            const bool tied = (f & PLATFORM_TIE) != 0;
            const double p_tie = tied ? r.untie_p : (to >= SME ? r.tie_p : 0.0);
            const double p_rnd =
                (to >= HIGH_TECH && (f & RND_INSTITUTION) == 0 && c >= r.rnd_capability) ? r.rnd_p
                                                                                         : 0.0;
            if (u3 < p_vc) {
                if (vc) {
                    f = static_cast<std::uint8_t>(f & ~HAS_VC);
                } else {
                    f |= HAS_VC;
                    ++t.vc_deals;
                }
            } else if (u3 < p_vc + p_reg) {
                f |= REGISTERED;
                ++t.registered;
            } else if (u3 < p_vc + p_reg + p_tie) {
                f ^= PLATFORM_TIE;
            } else if (u3 < p_vc + p_reg + p_tie + p_rnd) {
                f |= RND_INSTITUTION;
                ++t.rnd_founded;
            }
        }
        if (to == INCUBATING) {
            f = static_cast<std::uint8_t>(f & ~PLATFORM_TIE); // startups use incubators
        }
        flags[i] = f;

        // Aggregates the SD stocks and the series read (value added is proportional to
        // capability, so capability is summed by sector and for certified firms).
        t.capability_by_sector[sector[i]] += c;
        if (to >= HIGH_TECH) {
            t.capability_certified += c;
            t.rd_spending += rd * c;
        }
        if ((f & PLATFORM_TIE) != 0 && to >= SME) {
            ++t.tied;
        }
        if ((f & RND_INSTITUTION) != 0) {
            ++t.with_rnd;
        }
        if ((f & PANEL) != 0) {
            t.capability_panel += c;
        }
    }
    tally = t;
}

// Applies the recorded stage changes: stages, the month each stage began, collaborators' counts
// and the stage tallies. Each firm appears at most once, so stages are written by one thread;
// collaborators' counts are shared and updated atomically (integer sums: any order, same result).
void apply_changes(Model::State& s, const StepContext& ctx, int month) {
    auto& stage = s.firms[s.stage];
    auto& stage_since = s.firms[s.stage_since];
    auto& counts = s.firms[s.neighbours];
    const bool shared = ctx.executor->parallel();
    ctx.executor->for_each(s.changes.size(), [&](std::size_t chunk) {
        for (const StageChange& ch : s.changes[chunk]) {
            stage[ch.firm] = ch.to;
            stage_since[ch.firm] = static_cast<std::int16_t>(month);
            engine::move_neighbour_state<4>(s.collaboration, counts, ch.firm, ch.from, ch.to,
                                            shared);
        }
    });
    for (auto& chunk : s.changes) {
        for (const StageChange& ch : chunk) {
            --s.active[ch.from];
            if (ch.to <= LEADER) {
                ++s.active[ch.to];
            }
        }
        chunk.clear();
    }
}

// High-tech applications, in the application month: first applications from eligible SMEs
// (age, R&D intensity, capability) and renewals of certificates expiring by the end of the year.
void hte_applications(Model::State& s, const StepContext& ctx, int month) {
    const auto& stage = s.firms[s.stage];
    auto& flags = s.firms[s.flags];
    auto& batch = s.firms[s.batch];
    const auto& born = s.firms[s.born];
    const auto& cert_expiry = s.firms[s.cert_expiry];
    const auto& capability = s.firms[s.capability];
    const auto& rd_intensity = s.firms[s.rd_intensity];
    const double reward =
        lev(ctx, lever::hte_certification_reward) / par(ctx, param::reference_reward);
    const double apply_p =
        std::clamp(par(ctx, param::hte_application_rate) *
                       (1.0 + par(ctx, param::reward_elasticity) * (reward - 1.0)),
                   0.0, 1.0);
    const double renew_p = par(ctx, param::hte_renewal_rate);
    const double share1 = par(ctx, param::hte_batch1_share);
    const double share2 = par(ctx, param::hte_batch2_share);
    const int min_age = static_cast<int>(par(ctx, param::hte_min_age_months));
    const double rd_min = par(ctx, param::hte_rd_threshold);
    const double capability_min = par(ctx, param::hte_capability_threshold);
    const int year_end = month + (12 - ctx.month().month); // month index of this December
    const std::size_t n = s.firms.size();
    ctx.executor->for_chunks(n, Model::CHUNK, [&](std::size_t chunk, std::size_t b, std::size_t e) {
        std::int64_t applications = 0;
        for (std::size_t i = b; i < e; ++i) {
            const std::uint8_t st = stage[i];
            const bool first = st == SME && month - born[i] >= min_age &&
                               static_cast<double>(rd_intensity[i]) >= rd_min &&
                               static_cast<double>(capability[i]) >= capability_min &&
                               (flags[i] & APPLIED_NEW) == 0;
            const bool renewal = (st == HIGH_TECH || st == LEADER) && cert_expiry[i] <= year_end &&
                                 (flags[i] & APPLIED_RENEWAL) == 0;
            if (!first && !renewal) {
                continue;
            }
            const engine::Block w = ctx.key.block(static_cast<std::uint32_t>(i),
                                                  static_cast<std::uint32_t>(ctx.step), HTE_APPLY);
            if (u01(w[0]) >= (first ? apply_p : renew_p)) {
                continue;
            }
            const double u = u01(w[1]);
            batch[i] = static_cast<std::uint8_t>(u < share1 ? 1 : u < share1 + share2 ? 2 : 3);
            flags[i] |= first ? APPLIED_NEW : APPLIED_RENEWAL;
            applications += first ? 1 : 0;
        }
        s.tallies[chunk].applications += applications;
    });
}

// A batch decision: pending applications of batch k pass with the pass rate. New certificates
// move SMEs to high-tech; renewals extend the certificate. Either way the application closes.
void hte_batch(Model::State& s, const StepContext& ctx, int month, std::uint8_t k) {
    const auto& stage = s.firms[s.stage];
    auto& flags = s.firms[s.flags];
    auto& batch = s.firms[s.batch];
    auto& cert_expiry = s.firms[s.cert_expiry];
    const double pass_new = par(ctx, param::hte_pass_rate);
    const double pass_renewal = par(ctx, param::hte_renewal_pass_rate);
    const auto validity = static_cast<int>(par(ctx, param::cert_validity_months));
    const auto expiry = static_cast<std::int16_t>(month + validity);
    const std::size_t n = s.firms.size();
    ctx.executor->for_chunks(n, Model::CHUNK, [&](std::size_t chunk, std::size_t b, std::size_t e) {
        ChunkTally& t = s.tallies[chunk];
        for (std::size_t i = b; i < e; ++i) {
            if (batch[i] != k) {
                continue;
            }
            batch[i] = 0;
            const std::uint8_t f = flags[i];
            flags[i] = static_cast<std::uint8_t>(f & ~(APPLIED_NEW | APPLIED_RENEWAL));
            const std::uint8_t st = stage[i];
            if (st > LEADER) {
                continue;
            }
            const engine::Block w = ctx.key.block(
                static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(ctx.step), HTE_DECIDE, k);
            if ((f & APPLIED_NEW) != 0 && st == SME) {
                if (u01(w[0]) < pass_new) {
                    s.changes[chunk].push_back({static_cast<std::uint32_t>(i), SME, HIGH_TECH});
                    cert_expiry[i] = expiry;
                    ++t.new_certificates;
                }
            } else if ((f & APPLIED_RENEWAL) != 0 && st >= HIGH_TECH) {
                if (u01(w[0]) < pass_renewal) {
                    cert_expiry[i] = expiry;
                    ++t.renewals;
                } else if (cert_expiry[i] <= month) {
                    // Kept while the renewal was pending; refused, the certificate lapses now.
                    s.changes[chunk].push_back({static_cast<std::uint32_t>(i), st, SME});
                    ++t.lapses;
                }
            }
        }
    });
}

// Leader designation (README "D1"): eligible certified firms (capability at or above the bar)
// apply; experts score each application with noise; those scoring at or above the pass score are
// designated, the best first, at most the quota. Returns (applications, designated).
std::pair<std::int64_t, std::int64_t> select_leaders(Model::State& s, const StepContext& ctx) {
    const auto& stage = s.firms[s.stage];
    const auto& capability = s.firms[s.capability];
    const double bar = par(ctx, param::leader_capability_bar);
    const double apply_p = par(ctx, param::leader_application_rate);
    const double sd_eval = par(ctx, param::leader_evaluation_sd);
    const double pass = par(ctx, param::leader_pass_score);
    const auto quota =
        static_cast<std::size_t>(std::max(0.0, std::round(lev(ctx, lever::leader_quota))));
    const engine::QuantileTable& normal = engine::NormalTable::instance();
    s.candidates.clear();
    s.scores.clear();
    std::int64_t applications = 0;
    for (std::size_t i = 0; i < s.firms.size(); ++i) {
        if (stage[i] != HIGH_TECH || static_cast<double>(capability[i]) < bar) {
            continue;
        }
        const engine::Block w = ctx.key.block(static_cast<std::uint32_t>(i),
                                              static_cast<std::uint32_t>(ctx.step), LEADER_CALL);
        if (u01(w[0]) >= apply_p) {
            continue;
        }
        ++applications;
        // Lognormal evaluation noise with mean 1: score = c * exp(sd z - sd^2 / 2).
        const double score = static_cast<double>(capability[i]) *
                             std::exp(sd_eval * normal(w[1]) - 0.5 * sd_eval * sd_eval);
        if (score >= pass) {
            s.candidates.push_back(static_cast<std::uint32_t>(i));
            s.scores.push_back(score);
        }
    }
    const std::size_t chosen = std::min(quota, s.candidates.size());
    std::vector<std::size_t> order(s.candidates.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        order[k] = k;
    }
    auto better = [&](std::size_t a, std::size_t b) {
        return s.scores[a] != s.scores[b] ? s.scores[a] > s.scores[b]
                                          : s.candidates[a] < s.candidates[b];
    };
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(chosen),
                      order.end(), better);
    for (std::size_t k = 0; k < chosen; ++k) {
        s.changes[0].push_back({s.candidates[order[k]], HIGH_TECH, LEADER});
    }
    return {applications, static_cast<std::int64_t>(chosen)};
}

// New firms: startups into incubators (limited by free seats) and entrants to the SME pool.
// Each gets a sector, capability and R&D intensity, and collaboration ties by preferential
// attachment with sector homophily to active firms that existed before this step's entries.
void add_newcomers(Model::State& s, const StepContext& ctx, const StepRates& r) {
    const Eigen::VectorXd& y = *ctx.stocks;
    const double seats = sd(y, stock::incubators) * par(ctx, param::seats_per_incubator) +
                         sd(y, stock::innovation_space) * par(ctx, param::seats_per_10k_m2);
    const double free_seats = std::max(0.0, seats - static_cast<double>(s.active[INCUBATING]));
    const double talent_index = sd(y, stock::talent) / par(ctx, param::initial_talent);
    const double seekers =
        (par(ctx, param::startup_rate) *
             std::pow(talent_index, par(ctx, param::talent_birth_elasticity)) +
         par(ctx, param::spinoff_rate) * transfer_index(y, ctx) * sd(y, stock::knowledge)) *
        r.dt;
    const double seat_share = free_seats / (free_seats + par(ctx, param::seat_half_saturation));
    engine::Stream count_rng = ctx.stream(0, BIRTH_COUNT);
    const auto startups = std::min<std::uint64_t>(engine::poisson(count_rng, seekers * seat_share),
                                                  static_cast<std::uint64_t>(free_seats));
    // SME entrants: spin-outs and upgrades, plus the firms talent-programme recruits found.
    const double founders =
        lev(ctx, lever::talent_programme_recruits) / 12.0 * par(ctx, param::recruit_founder_share);
    const std::uint64_t entrants =
        engine::poisson(count_rng, (par(ctx, param::sme_entry_rate) + founders) * r.dt);
    s.births = static_cast<std::int64_t>(startups);
    s.sme_entries = static_cast<std::int64_t>(entrants);
    const std::size_t born = startups + entrants;
    if (born == 0) {
        return;
    }

    const std::size_t first = s.firms.size();
    const engine::AttachmentPool::Snapshot snapshot = s.attachment.snapshot();
    const auto affinity = sector_affinity(ctx);
    s.firms.add(born);
    auto& stage = s.firms[s.stage];
    auto& sector = s.firms[s.sector];
    auto& born_month = s.firms[s.born];
    auto& stage_since = s.firms[s.stage_since];
    auto& capability = s.firms[s.capability];
    auto& rd_intensity = s.firms[s.rd_intensity];
    auto& counts = s.firms[s.neighbours];
    const auto cumulative = newcomer_cumulative(ctx);
    const double rd_premium = par(ctx, param::digital_rd_premium);
    const double newborn_mean = par(ctx, param::newborn_capability_mean);
    const double entrant_mean = par(ctx, param::sme_entry_capability_mean);
    const double capability_sd = par(ctx, param::newborn_capability_sd);
    const double alpha = par(ctx, param::rd_intensity_alpha);
    const double beta = par(ctx, param::rd_intensity_beta);
    const auto m = static_cast<std::size_t>(par(ctx, param::collaboration_edges));
    const engine::QuantileTable& normal = engine::NormalTable::instance();
    const engine::QuantileTable& rd_table = rd_intensity_table(alpha, beta);
    s.picks.resize(born * m);
    s.pick_counts.resize(born);
    ctx.executor->for_chunks(
        born, NEWCOMER_CHUNK, [&](std::size_t, std::size_t b0, std::size_t b1) {
            for (std::size_t b = b0; b < b1; ++b) {
                const std::size_t id = first + b;
                const bool startup = b < startups;
                engine::Stream rng = ctx.stream(static_cast<std::uint32_t>(id), NEWCOMER);
                stage[id] = startup ? INCUBATING : SME;
                sector[id] = draw_sector(rng, cumulative);
                born_month[id] = static_cast<std::int16_t>(r.month);
                stage_since[id] = static_cast<std::int16_t>(r.month);
                capability[id] =
                    static_cast<float>(std::max(0.01, (startup ? newborn_mean : entrant_mean) +
                                                          capability_sd * normal(rng.next_u32())));
                rd_intensity[id] =
                    static_cast<float>(sector_rd(rd_table(rng.next_u32()), sector[id], rd_premium));

                Network::Vertex* picks = s.picks.data() + b * m;
                engine::Stream attach = ctx.stream(static_cast<std::uint32_t>(id), ATTACH);
                std::size_t got = 0;
                const std::span<const double> row(affinity.data() + sector[id] * SECTOR_COUNT,
                                                  SECTOR_COUNT);
                for (int draw = 0; got < m && draw < MAX_ATTACH_DRAWS; ++draw) {
                    const Network::Vertex v = s.attachment.draw(snapshot, row, attach);
                    if (v == Network::NONE) {
                        break;
                    }
                    if (stage[v] <= LEADER && std::find(picks, picks + got, v) == picks + got) {
                        picks[got++] = v;
                    }
                }
                s.pick_counts[b] = static_cast<std::uint32_t>(got);
            }
        });
    for (std::size_t b = 0; b < born; ++b) {
        const std::span<const Network::Vertex> picks(s.picks.data() + b * m, s.pick_counts[b]);
        const Network::Vertex id = s.collaboration.add_vertex(picks);
        NeighbourCounts own{};
        for (const Network::Vertex v : picks) {
            ++own[stage[v]];
            ++counts[v][stage[id]];
            s.attachment.add(v, sector[v]);
            s.attachment.add(id, sector[id]);
        }
        counts[id] = own;
        ++s.active[stage[id]];
    }
}

} // namespace

void Model::init(State& s, const StepContext& ctx, Eigen::VectorXd& y) const {
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
    s.stage = s.firms.add_column<std::uint8_t>("stage", EXITED);
    s.sector = s.firms.add_column<std::uint8_t>("sector", OTHER);
    s.flags = s.firms.add_column<std::uint8_t>("flags", 0);
    s.batch = s.firms.add_column<std::uint8_t>("batch", 0);
    s.born = s.firms.add_column<std::int16_t>("born", 0);
    s.stage_since = s.firms.add_column<std::int16_t>("stage_since", 0);
    s.cert_expiry = s.firms.add_column<std::int16_t>("cert_expiry", 0);
    s.capability = s.firms.add_column<float>("capability", 0.0F);
    s.rd_intensity = s.firms.add_column<float>("rd_intensity", 0.0F);
    s.neighbours = s.firms.add_column<NeighbourCounts>("neighbour_counts", NeighbourCounts{});
    s.firms.reserve(n + room);
    s.firms.add(n);

    auto& stage = s.firms[s.stage];
    auto& sector = s.firms[s.sector];
    auto& flags = s.firms[s.flags];
    auto& born = s.firms[s.born];
    auto& stage_since = s.firms[s.stage_since];
    auto& cert_expiry = s.firms[s.cert_expiry];
    auto& capability = s.firms[s.capability];
    auto& rd_intensity = s.firms[s.rd_intensity];

    // Oldest rungs first: preferential attachment then makes established firms the hubs.
    const std::size_t leaders_end = n_leader;
    const std::size_t high_tech_end = leaders_end + n_high_tech;
    const std::size_t sme_end = high_tech_end + n_sme;
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
    const double alpha = par(ctx, param::rd_intensity_alpha);
    const double beta = par(ctx, param::rd_intensity_beta);
    const double young_growth =
        par(ctx, param::capability_drift) + par(ctx, param::platform_effect);
    const double rd_effect_per_year = par(ctx, param::rd_effect);
    const double rd_premium = par(ctx, param::digital_rd_premium);
    const double loan_sizes[4] = {0.0, par(ctx, param::loan_size_sme),
                                  par(ctx, param::loan_size_high_tech),
                                  par(ctx, param::loan_size_leader)};

    const engine::QuantileTable& normal = engine::NormalTable::instance();
    const engine::QuantileTable& rd_table = rd_intensity_table(alpha, beta);
    ctx.executor->for_chunks(n, CHUNK, [&](std::size_t, std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
            engine::Stream rng(ctx.key, static_cast<std::uint32_t>(i), 0, INITIAL);
            const std::uint8_t st = i < leaders_end     ? LEADER
                                    : i < high_tech_end ? HIGH_TECH
                                    : i < sme_end       ? SME
                                                        : INCUBATING;
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
                f = static_cast<std::uint8_t>(f |
                                              (engine::uniform01(rng) < loan_share ? HAS_LOAN : 0));
                f = static_cast<std::uint8_t>(f | (engine::uniform01(rng) < vc_share ? HAS_VC : 0));
            }
            if (st >= HIGH_TECH && engine::uniform01(rng) < rnd_share) {
                f |= RND_INSTITUTION;
            }
            flags[i] = f;
        }
    });

    // Collaboration network: preferential attachment with sector homophily.
    const auto affinity = sector_affinity(ctx);
    engine::BarabasiAlbertOptions network;
    network.vertices = n;
    network.edges_per_vertex = static_cast<unsigned>(par(ctx, param::collaboration_edges));
    network.reserve_vertices = room;
    network.category = sector;
    network.affinity = affinity;
    s.collaboration = engine::barabasi_albert(network, ctx.key, NETWORK);
    // The pool newcomers draw partners from: every firm once per tie, by sector.
    s.attachment = engine::AttachmentPool(SECTOR_COUNT);
    s.attachment.reserve((2 * s.collaboration.num_edges() + 2 * room * network.edges_per_vertex) /
                         SECTOR_COUNT);
    for (std::size_t v = 0; v < n; ++v) {
        s.collaboration.for_each_neighbour(static_cast<Network::Vertex>(v), [&](Network::Vertex u) {
            s.attachment.add(u, sector[u]);
        });
    }
    engine::count_neighbour_states<4>(s.collaboration, std::span<const std::uint8_t>(stage),
                                      std::span<NeighbourCounts>(s.firms[s.neighbours]),
                                      *ctx.executor, CHUNK);

    // Pilot-platform ties fill most of the capacity at the start.
    const double slots =
        par(ctx, param::initial_pilot_platforms) * par(ctx, param::firms_per_pilot_platform);
    const double eligible = static_cast<double>(n_sme + n_high_tech + n_leader);
    const double tie_share =
        eligible > 0.0 ? std::min(1.0, INITIAL_PLATFORM_OCCUPANCY * slots / eligible) : 0.0;
    double loans = 0.0;
    // Exit multipliers by stage (README "D8"), capability without venture backing (the deal
    // hazard's base, "D4"), and the value-added panel of the firms certified now ("D7").
    std::array<double, 4> multiplier_sum{};
    double capability_without_vc = 0.0;
    const double loan_exit = par(ctx, param::loan_exit_factor);
    const double vc_exit = par(ctx, param::vc_exit_factor);
    const double exit_slope = par(ctx, param::capability_exit_slope);
    const double va0 = va_factor(ctx, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t st = stage[i];
        ++s.active[st];
        if (st >= SME) {
            engine::Stream rng(ctx.key, static_cast<std::uint32_t>(i), 1, INITIAL);
            if (engine::uniform01(rng) < tie_share) {
                flags[i] |= PLATFORM_TIE;
                ++s.tied;
            }
        }
        if ((flags[i] & HAS_LOAN) != 0) {
            loans += loan_sizes[st];
        }
        if ((flags[i] & RND_INSTITUTION) != 0) {
            ++s.with_rnd_institution;
        }
        const auto c = static_cast<double>(capability[i]);
        s.capability_sum += c;
        const bool loan = (flags[i] & HAS_LOAN) != 0;
        const bool vc = (flags[i] & HAS_VC) != 0;
        multiplier_sum[st] +=
            (loan ? loan_exit : 1.0) * (vc ? vc_exit : 1.0) / (1.0 + exit_slope * c);
        capability_without_vc += vc ? 0.0 : c;
        const double va = va0 * c;
        s.va_total += va;
        s.va_digital += is_digital(sector[i]) ? va : 0.0;
        if (st >= HIGH_TECH) {
            s.va_certified += va;
            s.rd_spending += static_cast<double>(rd_intensity[i]) * c;
            flags[i] |= PANEL;
            s.panel_base_capability += c;
        }
    }
    s.panel_capability = s.panel_base_capability;
    s.panel_base_va_factor = va0;
    s.va_factor_now = va0;
    s.months_now = 0.0;
    s.capability_initial = s.capability_sum;
    for (std::size_t k = 0; k < 4; ++k) {
        s.exit_norm[k] =
            multiplier_sum[k] > 0.0 ? static_cast<double>(s.active[k]) / multiplier_sum[k] : 1.0;
    }
    s.rd_spending_initial = s.rd_spending;
    s.certified_initial = static_cast<double>(n_high_tech + n_leader);
    s.knowledge_inputs_initial =
        par(ctx, param::initial_labs) +
        par(ctx, param::projects_per_lab) * lev(ctx, lever::major_projects);

    // Rates derived so that the initial stocks are the steady state of their flows (README
    // "D4"). Loans: a firm without a loan takes one at hazard a, one with a loan repays at
    // 1/term, so the share with a loan settles at a / (a + 1/term): a follows from the initial
    // share, and the application hazard from today's approvals.
    const double term = par(ctx, param::loan_term_months);
    const double approval0 =
        std::min(1.0, par(ctx, param::loan_approval) *
                          std::pow(lev(ctx, lever::tech_loan_risk_compensation),
                                   par(ctx, param::risk_compensation_elasticity)));
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
    // Brokers and liaisons: leave at the rate that keeps the initial stock with the initial
    // hiring (none leave when none are hired).
    const double hires = lev(ctx, lever::new_transfer_staff) / 12.0;
    s.staff_attrition = hires / par(ctx, param::initial_transfer_staff);
    // Contract turnover (README "D5"): the twelve months before the start had total T, growing
    // at g, spread over the months by the seasonal shares; the rate at the start is the one that
    // reproduces T, so that a year at growth g adds exactly g.
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
    s.changes.resize(engine::Executor::chunk_count(n + room, CHUNK));
    s.tallies.resize(s.changes.size());

    // SD stocks at the start; the delay pipelines hold what the initial lever flows would have
    // in transit at equilibrium.
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

void Model::step_agents(State& s, const StepContext& ctx) const {
    const StepRates r = step_rates(s, ctx);
    s.contract_total_at_start = sd(*ctx.stocks, stock::contract_turnover_total);
    s.graduates_total_at_start = sd(*ctx.stocks, stock::graduates_retained_total);
    const std::size_t n = s.firms.size();
    const std::size_t chunks = engine::Executor::chunk_count(n, CHUNK);
    if (s.changes.size() < chunks) {
        s.changes.resize(chunks);
        s.tallies.resize(chunks);
    }
    for (std::size_t k = 0; k < s.tallies.size(); ++k) {
        s.tallies[k] = ChunkTally{};
        s.changes[k].clear();
    }

    // 1. Every firm's monthly decisions, in parallel; stage changes wait until all have decided.
    ctx.executor->for_chunks(n, CHUNK, [&](std::size_t chunk, std::size_t b, std::size_t e) {
        decide_chunk(s, ctx, r, b, e, s.changes[chunk], s.tallies[chunk]);
    });
    apply_changes(s, ctx, r.month);

    // 2. The year's calendar: certification applications, batch decisions, leader selection.
    s.leaders_selected = 0;
    s.leader_applications = 0;
    if (first_step_of_month(ctx, static_cast<int>(par(ctx, param::hte_application_month)))) {
        hte_applications(s, ctx, r.month);
    }
    const std::array<param::Id, 3> batch_months = {param::hte_batch1_month, param::hte_batch2_month,
                                                   param::hte_batch3_month};
    for (std::uint8_t k = 1; k <= 3; ++k) {
        if (first_step_of_month(ctx, static_cast<int>(par(ctx, batch_months[k - 1U])))) {
            hte_batch(s, ctx, r.month, k);
            apply_changes(s, ctx, r.month);
        }
    }
    if (first_step_of_month(ctx, static_cast<int>(par(ctx, param::leader_selection_month)))) {
        const auto [applications, selected] = select_leaders(s, ctx);
        s.leader_applications = applications;
        s.leaders_selected = selected;
        apply_changes(s, ctx, r.month);
    }

    // 3. Tallies in chunk order (integers, and doubles summed in a fixed order).
    s.exits = s.graduations = s.registered = s.rnd_founded = s.vc_deals = 0;
    s.applications = s.new_certificates = s.renewals = s.lapses = 0;
    s.tied = s.with_rnd_institution = 0;
    s.new_loans = s.rd_spending = s.capability_sum = 0.0;
    s.va_certified = s.va_total = s.va_digital = 0.0;
    double panel = 0.0;
    double panel_base = 0.0;
    for (const ChunkTally& t : s.tallies) {
        panel += t.capability_panel;
        panel_base += t.capability_panel_base;
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
    s.vc_invested = static_cast<double>(s.vc_deals) * par(ctx, param::vc_deal_size);
    // Value added per capability at the end of the step; the panel resets in January.
    const double months_end = ctx.calendar->months_at_start(ctx.step) + ctx.dt_months();
    const double va_per_capability = va_factor(ctx, months_end);
    s.months_now = months_end;
    s.va_factor_now = va_per_capability;
    if (r.panel_reset) {
        s.panel_base_capability = panel_base;
        s.panel_base_va_factor = va_factor(ctx, ctx.calendar->months_at_start(ctx.step));
    }
    s.panel_capability = panel;
    s.va_total *= va_per_capability;
    s.va_digital *= va_per_capability;
    s.va_certified *= va_per_capability;

    // 4. Newcomers.
    add_newcomers(s, ctx, r);
}

void Model::stock_rates(const State& s, const StepContext& ctx, const Eigen::VectorXd& y,
                        Eigen::VectorXd& dydt) const {
    const double dt = ctx.dt_months();
    const int month_of_year = ctx.month().month;

    // Talent: retained graduates (seasonal) who join innovation firms, talent programmes, and
    // attrition. Retention responds to the programme and to jobs: the capability of the ladder's
    // firms relative to the start (README "D3").
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

    // Finance: loans originated by the firms this step, repaid over the term; venture capital
    // raised (plus the transfer fund's leverage) minus deals and capital leaving; the fund
    // deploys its commitments.
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

    // Technology contracts (README "D5"): supply by certified firms (their R&D spending) and by
    // labs (knowledge), scaled by transfer capacity and a residual trend, from the rate at the
    // start, with the registration seasonality.
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

void Model::observe(const State& s, const StepContext& ctx, std::span<double> row) const {
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

} // namespace canopy::models::ecosystem
