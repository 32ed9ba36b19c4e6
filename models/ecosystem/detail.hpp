#pragma once
/// \file detail.hpp
/// What the ecosystem model's source files share: random-stream purposes, parameter access, the
/// per-step rates the decision kernel reads, and each section's entry points. Not part of the
/// model's interface (ecosystem_model.hpp is).

#include "ecosystem/ecosystem_model.hpp"

#include <canopy/engine/count_width.hpp>
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/parallel.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <span>

namespace canopy::models::ecosystem::detail {

using engine::Network;
using engine::Purpose;
using engine::StepContext;
using State = Model::State;

// Random-stream purposes; distinct so that no two uses share numbers.
inline constexpr Purpose DECIDE = 1;      // the monthly draws of every firm
inline constexpr Purpose NETWORK = 2;     // the initial collaboration network
inline constexpr Purpose INITIAL = 3;     // the initial firms' attributes
inline constexpr Purpose HTE_APPLY = 4;   // who applies for certification, in which batch
inline constexpr Purpose HTE_DECIDE = 5;  // batch decisions
inline constexpr Purpose BIRTH_COUNT = 6; // how many firms enter
inline constexpr Purpose NEWCOMER = 7;    // a new firm's attributes
inline constexpr Purpose ATTACH = 8;      // a new firm's collaboration ties
inline constexpr Purpose LEADER_CALL = 9; // leader applications and their evaluation

inline double par(const StepContext& ctx, param::Id p) {
    return ctx.parameters[static_cast<std::size_t>(p)];
}
inline double lev(const StepContext& ctx, lever::Id l) {
    return ctx.levers[static_cast<std::size_t>(l)];
}
inline double sd(const Eigen::VectorXd& y, stock::Id k) {
    return y[static_cast<Eigen::Index>(k)];
}
inline double& sd(Eigen::VectorXd& y, stock::Id k) {
    return y[static_cast<Eigen::Index>(k)];
}

/// Probability of at least one event in dt months at a constant hazard per month.
inline double step_probability(double hazard_per_month, double dt_months) {
    return hazard_per_month <= 0.0 ? 0.0 : -std::expm1(-hazard_per_month * dt_months);
}

/// cond ? a : b for doubles, by bit mask: a select the compiler keeps as a select (it moves the
/// arithmetic around an ordinary one into branches, and a branch keeps a loop from vectorising).
[[gnu::always_inline]] inline double pick(bool cond, double a, double b) {
    const std::uint64_t m = 0U - static_cast<std::uint64_t>(cond);
    return std::bit_cast<double>((std::bit_cast<std::uint64_t>(a) & m) |
                                 (std::bit_cast<std::uint64_t>(b) & ~m));
}

/// cond ? a : b for stage codes and flags, by bit mask (the compiler would fold an ordinary
/// select into the comparisons made on its result, which then cannot be vectorised).
[[gnu::always_inline]] inline std::uint32_t pick(bool cond, std::uint32_t a, std::uint32_t b) {
    const std::uint32_t m = 0U - static_cast<std::uint32_t>(cond);
    return (a & m) | (b & ~m);
}

/// engine::QuantileTable's draw, written out over the table's knots so that a loop of draws
/// vectorises (the same arithmetic as QuantileTable::operator()).
[[gnu::always_inline]] inline double table_draw(const double* knots, std::uint32_t u) {
    const std::uint32_t cell = u >> 22;
    const double frac = static_cast<double>(u & 0x3FFFFFU) * 0x1.0p-22;
    return knots[cell] + (knots[cell + 1] - knots[cell]) * frac;
}

/// std::max(0.01, c) as a select the compiler keeps (std::max would be a branch).
[[gnu::always_inline]] inline double at_least_001(double c) {
    return pick(0.01 < c, c, 0.01);
}

/// A firm's four 16-bit collaborator counts added up in one 64-bit word, stage k's count in bits
/// 16k .. 16k + 15: a register, not four counters in memory, whose increments the final 8-byte
/// read could not take its value from (a store-forwarding stall per firm). Add packed_count(stage)
/// for each collaborator (stage 0-3), then unpacked_counts of the sum.
[[gnu::always_inline]] inline std::uint64_t packed_count(std::uint8_t stage) {
    return std::uint64_t{1} << (16U * stage);
}
[[gnu::always_inline]] inline NeighbourCounts16 unpacked_counts(std::uint64_t packed) {
    static_assert(std::endian::native == std::endian::little);
    return std::bit_cast<NeighbourCounts16>(packed);
}

/// A uniform double in (0, 1) from one 32-bit word.
inline double u01(std::uint32_t word) {
    return (static_cast<double>(word) + 0.5) * 0x1.0p-32;
}

inline bool first_step_of_month(const StepContext& ctx, int month_of_year) {
    const engine::YearMonth ym = ctx.calendar->month_of_step(ctx.step);
    return ym.month == month_of_year && ctx.calendar->first_step_in(ym) == ctx.step;
}

/// CPU seconds the calling thread has used (what the phase timers add up: on a shared machine
/// wall time also counts the time other programs had the core).
inline double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// Adds the calling thread's CPU seconds from construction to destruction to the phase's total,
/// if the phase is timed (Model::time_phases; reading the clock is a system call).
class PhaseTimer {
public:
    explicit PhaseTimer(PhaseClock& phase)
        : phase_(phase)
        , start_(phase.timed ? thread_cpu_seconds() : 0.0) {}
    ~PhaseTimer() {
        if (phase_.timed) {
            phase_.seconds += thread_cpu_seconds() - start_;
        }
    }
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

private:
    PhaseClock& phase_;
    double start_;
};

/// Calls f with the neighbour-count column in use (16- or 32-bit).
using engine::with_counts;

// ---- firm attributes (setup.cpp; newcomers draw them the same way) --------------------------

/// Cumulative sector shares; shares summing above 1 are scaled down to 1 ("other" gets 0).
std::array<double, SECTOR_COUNT> sector_cumulative(const StepContext& ctx);

/// The sector of a uniform draw u from the cumulative shares: the first sector whose cumulative
/// share is above u, else OTHER. The shares are never negative, so the cumulative shares never
/// decrease and that sector is the number of them at or below u, counted without a branch (so
/// that loops of draws vectorise; a loop's exit, at a random sector, was mispredicted for about
/// every firm).
[[gnu::always_inline]] inline unsigned
sector_of(double u, const std::array<double, SECTOR_COUNT>& cumulative) {
    unsigned k = 0;
    for (std::size_t m = 0; m < OTHER; ++m) {
        k += static_cast<unsigned>(u >= cumulative[m]);
    }
    return k;
}

/// The digital core: optoelectronic information and BeiDou.
inline bool is_digital(std::uint8_t sector) {
    return sector == OPTOELECTRONICS || sector == BEIDOU;
}

/// Newcomers' cumulative sector shares: the initial shares with the digital core's odds tilted
/// by digital_entry_tilt (README "Newcomers").
std::array<double, SECTOR_COUNT> newcomer_cumulative(const StepContext& ctx);

/// A firm's R&D intensity: the tabulated Beta draw, raised by digital_rd_premium for the digital
/// core (at most 1). Both values are computed and one picked, so that loops vectorise.
[[gnu::always_inline]] inline double sector_rd(double rd, std::uint8_t sector,
                                               double digital_premium) {
    const double digital = rd * (1.0 + digital_premium);
    return pick(is_digital(sector), pick(digital < 1.0, digital, 1.0), rd);
}

/// Value added per unit of capability `months` after the start: va_per_capability growing at
/// va_trend.
inline double va_factor(const StepContext& ctx, double months) {
    return par(ctx, param::va_per_capability) *
           std::pow(1.0 + par(ctx, param::va_trend), months / 12.0);
}

/// Share of a year's contract turnover registered in a month (1..12): turnover_h1_share evenly
/// over January-June, december_share in December, the rest evenly over July-November.
double contract_month_share(const StepContext& ctx, int month_of_year);

/// The collaboration network's homophily: affinity 1 to the firm's own sector, 1/h to others.
std::array<double, SECTOR_COUNT * SECTOR_COUNT> sector_affinity(const StepContext& ctx);

/// The tabulated Beta of R&D intensities, built once per (alpha, beta) and shared.
const engine::QuantileTable& rd_intensity_table(double alpha, double beta);

// ---- the firm decision kernel (decide.cpp) -------------------------------------------------

/// What the decision kernel reads, computed once per step from parameters, levers and stocks.
struct StepRates {
    int month = 0;
    double dt = 1.0;
    double dt_years = 1.0 / 12.0;
    double noise_scale = 0.0;    // capability_noise * sqrt(dt in years)
    double base_growth = 0.0;    // drift + talent term, per year
    double digital_growth = 0.0; // digital_growth_premium, per year
    double reversion = 0.0;      // capability_reversion, per year
    bool panel_reset = false;    // January: this year's value-added panel is formed
    double rd_effect = 0.0, loan_effect = 0.0, vc_effect = 0.0, spillover_effect = 0.0,
           platform_effect = 0.0;
    std::array<double, 4> exit_p{}; // per-step exit probability by stage before modifiers
    double loan_exit_factor = 1.0, vc_exit_factor = 1.0, exit_slope = 0.0;
    double graduation_p = 0.0, graduation_capability = 0.0;
    int incubation_min = 0, incubation_max = 0;
    // Finance (finance.cpp): tech loans and venture deals.
    std::uint64_t loan_new_below = 0, loan_repay_below = 0;
    std::array<double, 4> loan_size{};
    double vc_p_per_capability = 0.0, vc_end_p = 0.0;
    // Rarer events.
    bool registration_reset = false, registration_open = false;
    double registration_p = 0.0, size_capability = 0.0;
    double tie_p = 0.0, untie_p = 0.0;
    double rare_events_bound = 0.0; // the largest registration + tie + R&D-institution band
    double rnd_p = 0.0, rnd_capability = 0.0;
};

/// This step's rates.
StepRates step_rates(const State& s, const StepContext& ctx);

/// Every firm's monthly decisions (README "1. Each month, each firm"): capability, stage,
/// finance and the rarer events; stage changes are recorded in s.changes, tallies in s.tallies.
void decide(State& s, const StepContext& ctx, const StepRates& r);

/// Which kernels the model's vector loops use: the compiler's (AVX-512, AVX2 and portable
/// clones) or the ones written for AVX2 (decide's pass 1, the initial attributes); `automatic`
/// takes the AVX2 ones on every CPU with AVX2 (on Zen 4 they beat the compiler's AVX-512 clones:
/// 1,000 replicates in 0.90-0.95 of the time). Both give the same bits: tests run
/// the model with each.
enum class Kernels : std::uint8_t { automatic, compiled, avx2 };
void set_kernels(Kernels kernels);
/// Whether this CPU can run `kernels`.
[[nodiscard]] bool kernels_available(Kernels kernels);
/// Whether the AVX2 kernels run now (the choice above, and the CPU).
[[nodiscard]] bool use_avx2_kernels();

/// Applies the recorded stage changes: stages, the month each began, collaborators' counts and
/// the stage tallies (README "2. Stage changes").
void apply_changes(State& s, const StepContext& ctx, int month);
/// Passes the step's stage changes on to the counts of the newcomers tied to the firms that
/// moved (ties.hpp: their side of those ties is not on the moved firm's list); once a step,
/// after its last apply_changes and before newcomers join.
void settle_newcomers(State& s, const StepContext& ctx);

// ---- finance (finance.cpp) ---------------------------------------------------------------------

/// The tech-loan and venture-deal rates of this step.
void finance_rates(StepRates& r, const State& s, const StepContext& ctx);

/// d/dt of the finance stocks: loan balance, transfer fund, venture capital, insurance.
void finance_stock_rates(const State& s, const StepContext& ctx, const Eigen::VectorXd& y,
                         Eigen::VectorXd& dydt);

// ---- the year's calendar (certification.cpp) -------------------------------------------------

/// Certification applications, batch decisions and leader selection, in their months.
void run_calendar(State& s, const StepContext& ctx, int month);

// ---- newcomers (newcomers.cpp) ---------------------------------------------------------------

/// Startups into incubators and SME entrants, with their attributes and collaboration ties.
void add_newcomers(State& s, const StepContext& ctx, const StepRates& r);

// ---- SD stocks (stocks.cpp) ------------------------------------------------------------------

/// The transfer-capacity index: brokers, centres and matchmaking events relative to the start.
double transfer_index(const Eigen::VectorXd& y, const StepContext& ctx);

// ---- observation (observe.cpp) ---------------------------------------------------------------

/// Forms this year's value-added panel (January): marks the certified firms IN_PANEL and records
/// their capability and value added per capability now.
void reset_panel(State& s, const StepContext& ctx);

/// Sums the chunk tallies, in chunk order, into the state's aggregates.
void sum_tallies(State& s, const StepContext& ctx);

} // namespace canopy::models::ecosystem::detail
