// The firm decision kernel: every firm's monthly decisions (README "1. Each month, each firm")
// and the stage changes they lead to (README "2. Stage changes").
//
// How the kernel is organised, and how to add a mechanism without losing its speed
// -------------------------------------------------------------------------------
// Firms are decided in chunks of Model::CHUNK (in parallel), each chunk in blocks of BLOCK firms.
// A block goes through three passes:
//
//   1. vector_pass: every firm, branch-free, so the compiler vectorises it (AVX-512 and AVX2
//      clones are built beside the portable code and chosen at load time; all give the same
//      bits). Its loop reads only 64-bit values (struct Wide: the block's columns widened, and
//      its DECIDE words from engine::philox_fill_wide: w0 exit / graduation, w1 capability
//      shock, w2 loan, w3 the rarer events), moves capability, works out the
//      stage the firm ends the step in, and marks the firm when anything discrete might
//      happen to it: a change of stage, a loan taken or repaid, one of the rarer events.
//      On CPUs with AVX2 (AVX-512 ones too), vector_pass_avx2 does the same for blocks of a
//      multiple of four firms, written with vector extensions: it reads the narrow columns
//      directly instead of widening them first, and does sum_codes' work too (same bits: a
//      test runs the model with each).
//   2. sum_codes then sum_lanes: the sums the series read (capability by sector, certified
//      capability, R&D spending), firm by firm in id order, so the floating-point results do not
//      depend on how pass 1 was vectorised.
//   3. event_pass: only the marked firms (a few in a hundred), in id order, with ordinary
//      branches: records stage changes, takes and repays loans, draws the rarer events, writes
//      their flags and counts them.
//
// A new mechanism that acts on every firm every step (a rate, a growth term) is arithmetic in
// vector_pass, written with selects (`cond ? a : b`) rather than branches or early returns, and
// reads columns widened into Wide by vector_pass (and the same, lane-wise, in vector_pass_avx2). A
// discrete event it causes is resolved in event_pass: vector_pass only adds the condition under
// which the event may happen to `marked`, so the common firm still skips the scalar code. A new
// random draw takes a new purpose filled with engine::philox_fill_wide next to the DECIDE words
// (the four DECIDE words are all in use). A new series sum goes into sum_codes and sum_lanes (and
// vector_pass_avx2) if every firm contributes, or into event_pass if only marked firms do (as new
// loans do); either way in firm order.
#include "ecosystem/detail.hpp"
#include "ecosystem/lanes4.hpp"

#include <canopy/engine/compiler.hpp>
#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/normal_table.hpp>
#include <canopy/engine/philox_avx512.hpp>
#include <canopy/engine/philox_wide.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <immintrin.h>

namespace canopy::models::ecosystem::detail {

StepRates step_rates(const State& s, const StepContext& ctx) {
    const Eigen::VectorXd& y = *ctx.stocks;
    StepRates r;
    r.month = Model::month_index(ctx);
    r.dt = ctx.dt_months();
    r.dt_years = r.dt / 12.0;
    r.noise_scale = par(ctx, param::capability_noise) * std::sqrt(r.dt_years);
    const double talent_index = sd(y, stock::talent) / par(ctx, param::initial_talent);
    r.base_growth =
        par(ctx, param::capability_drift) + par(ctx, param::talent_effect) * (talent_index - 1.0);
    r.rd_effect = par(ctx, param::rd_effect);
    r.loan_effect = par(ctx, param::loan_effect);
    r.vc_effect = par(ctx, param::vc_effect);
    r.spillover_effect = par(ctx, param::spillover_effect);
    r.platform_effect = par(ctx, param::platform_effect);
    r.digital_growth = par(ctx, param::digital_growth_premium);
    r.reversion = par(ctx, param::capability_reversion);

    // The stated hazards are each stage's average at the start: a firm's hazard is the stated one
    // times its own multiplier over the stage's mean multiplier then (README "Exit").
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

    finance_rates(r, s, ctx);

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

namespace {

// Firms per block of the passes (16 Philox blocks of the vectorised fill, 4 words each).
constexpr std::size_t BLOCK = 64;

// The columns the kernel reads and writes, as plain pointers (restrict-qualified where it
// loops, so the compiler knows the byte-sized columns do not alias the others).
template <class Count>
struct Columns {
    const std::uint8_t* stage;
    const std::uint8_t* sector;
    std::uint8_t* flags;
    const std::uint8_t* batch; // its IN_PANEL bit: the value-added panel
    const std::int16_t* stage_since;
    const std::int16_t* cert_expiry;
    float* capability;
    const float* rd_intensity;
    const engine::StateCounts<4, Count>* counts;
};

// Everything pass 1's vectorised loop reads and writes is 64 bits wide, like the doubles it
// computes: the vectoriser sizes its vectors by the narrowest type, and a loop that mixed 32-bit
// integers with doubles held each double in two registers and widened every 32-bit condition
// before it could select a double (on AVX2, about a third of the loop's instructions).
struct Wide {
    alignas(64) std::uint64_t w0[BLOCK]; // the DECIDE words, zero-extended
    alignas(64) std::uint64_t w1[BLOCK];
    alignas(64) std::uint64_t w2[BLOCK];
    alignas(64) std::uint64_t w3[BLOCK];
    alignas(64) std::uint64_t stage[BLOCK];
    alignas(64) std::uint64_t flags[BLOCK];
    alignas(64) std::uint64_t digital[BLOCK];
    alignas(64) std::uint64_t total[BLOCK];
    alignas(64) std::uint64_t higher[BLOCK];
    alignas(64) std::int64_t months_in[BLOCK];
    alignas(64) std::int64_t expiry[BLOCK];
    alignas(64) double capability[BLOCK]; // at the start of the step
    alignas(64) double rd_intensity[BLOCK];
    alignas(64) std::uint64_t to[BLOCK];
    alignas(64) std::uint64_t kept[BLOCK];
    alignas(64) std::uint64_t marked[BLOCK];
};

// What pass 1 leaves for passes 2 and 3, for one block. Everything is 32 or 64 bits wide: the
// vectoriser sizes its vectors by the narrowest type in a loop, and byte-sized values would make
// it process 64 firms at once, with far more live values than there are registers.
struct BlockScratch {
    Wide x; // pass 1's inputs and outputs, the DECIDE words
    // The block's DECIDE words as the AVX2 kernel and event_pass read them: x.w0 .. x.w3, or
    // the block's place in a fill of several blocks (decide_chunk).
    const std::uint64_t* words[4] = {x.w0, x.w1, x.w2, x.w3};
    alignas(64) double capability[BLOCK];    // after this step's growth and shock
    alignas(64) std::uint32_t to[BLOCK];     // the stage at the end of the step (inactive: as is)
    alignas(64) std::uint32_t flags[BLOCK];  // flags at the start, after the January reset
    alignas(64) std::uint32_t kept[BLOCK];   // flags at the end if nothing happens
    alignas(64) std::uint32_t marked[BLOCK]; // 1: event_pass must see this firm
    std::uint64_t marked_bits = 0;           // the same, bit j for firm j of the block
    // What each firm adds to pass 2's sums (see sum_codes).
    alignas(64) std::uint32_t code[BLOCK];
    alignas(64) double rd_spending[BLOCK];
    alignas(64) double panel_capability[BLOCK];
    // The block's narrow columns, widened (pass 1 reads these).
    alignas(64) std::uint32_t stage[BLOCK];
    alignas(64) std::uint32_t sector[BLOCK];
    alignas(64) std::uint32_t batch[BLOCK]; // its IN_PANEL bit
};

// std::max(0.0, x), written with a bit mask: std::max becomes a branch that the compiler then
// duplicates code into, which keeps the loop from vectorising.
[[gnu::always_inline]] inline double positive_part(double x) {
    const std::uint64_t keep = 0U - static_cast<std::uint64_t>(x > 0.0);
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) & keep);
}

// cond ? a : b for 64-bit codes, by bit mask.
[[gnu::always_inline]] inline std::uint64_t pick64(bool cond, std::uint64_t a, std::uint64_t b) {
    const std::uint64_t m = 0U - static_cast<std::uint64_t>(cond);
    return (a & m) | (b & ~m);
}

// static_cast<double>(x) for x < 2^52, the same double, in two instructions that every x86-64
// vector unit has (AVX2 has no conversion from 64-bit integers).
[[gnu::always_inline]] inline double small_to_double(std::uint64_t x) {
    return std::bit_cast<double>(x | 0x4330000000000000ULL) - 0x1.0p52;
}

// Pass 1 for the firms of a block: see the file comment. Everything here is a select, so that the
// loop vectorises; the arithmetic is exactly that of the README's equations.
[[gnu::always_inline]] inline void vector_loop(const StepRates& r, std::size_t len,
                                               const double* __restrict knots, Wide& __restrict x,
                                               double* __restrict c_out) {
    // Local copies of the rates (a vectorised loop wants them in registers).
    const std::int64_t month = r.month;
    const double base_growth = r.base_growth, rd_effect = r.rd_effect, loan_effect = r.loan_effect,
                 vc_effect = r.vc_effect, spillover_effect = r.spillover_effect,
                 platform_effect = r.platform_effect, digital_growth = r.digital_growth,
                 reversion = r.reversion;
    const double dt_years = r.dt_years, noise_scale = r.noise_scale;
    const double exit0 = r.exit_p[0], exit1 = r.exit_p[1], exit2 = r.exit_p[2], exit3 = r.exit_p[3];
    const double loan_exit_factor = r.loan_exit_factor, vc_exit_factor = r.vc_exit_factor,
                 exit_slope = r.exit_slope;
    const double graduation_p = r.graduation_p, graduation_capability = r.graduation_capability;
    const std::int64_t incubation_min = r.incubation_min, incubation_max = r.incubation_max;
    // Thresholds of at most 2^32 against words below 2^32: signed comparisons give the same.
    const auto loan_new_below = static_cast<std::int64_t>(r.loan_new_below);
    const auto loan_repay_below = static_cast<std::int64_t>(r.loan_repay_below);
    const double vc_end_p = r.vc_end_p, vc_p_per_capability = r.vc_p_per_capability;
    const bool registration_open = r.registration_open;
    const double registration_p = r.registration_p, size_capability = r.size_capability;
    const double tie_p = r.tie_p, untie_p = r.untie_p, rnd_p = r.rnd_p,
                 rnd_capability = r.rnd_capability, rare_events_bound = r.rare_events_bound;

    for (std::size_t j = 0; j < len; ++j) {
        const std::uint64_t st = x.stage[j];
        const bool active = st <= LEADER;
        const std::uint64_t f = x.flags[j];
        const bool loan = (f & HAS_LOAN) != 0;
        const bool vc = (f & HAS_VC) != 0;

        // Capability: drift, R&D, talent, finance, spillover from collaborators higher up,
        // platform ties (an incubator is a platform), and an idiosyncratic shock.
        // Every floating-point operation below runs for every firm, outside any condition: the
        // compiler may not move an operation that could raise an FP exception into a select,
        // so one inside a condition would keep the loop from vectorising. (With no
        // collaborators, higher is 0 and the share 0 * 1.)
        const std::uint64_t total = x.total[j];
        const double share =
            small_to_double(x.higher[j]) * (1.0 / small_to_double(total + (total == 0 ? 1U : 0U)));
        const bool on_platform = (st == INCUBATING) | ((f & PLATFORM_TIE) != 0);
        const double rd = x.rd_intensity[j];
        // Mean-reverting: the drivers set the level a firm tends to (growth / reversion), not an
        // unbounded trend.
        const double c_old = x.capability[j];
        const double growth = base_growth + pick(x.digital[j] != 0, digital_growth, 0.0) +
                              rd_effect * rd + pick(loan, loan_effect, 0.0) +
                              pick(vc, vc_effect, 0.0) + spillover_effect * share +
                              pick(on_platform, platform_effect, 0.0) - reversion * c_old;
        // The shock: engine::QuantileTable's inverse-CDF draw, in the form that vectorises.
        const std::uint64_t u1 = x.w1[j];
        const std::uint64_t cell = u1 >> 22;
        const double frac = small_to_double(u1 & 0x3FFFFFU) * 0x1.0p-22;
        const double z = knots[cell] + (knots[cell + 1] - knots[cell]) * frac;
        const double c = positive_part(c_old + growth * dt_years + noise_scale * z);

        // Exit, graduation, certificate lapse (one word, competing risks).
        // p_exit = base / (1 + slope c); the tests u0 < p_exit (+ p_grad) are written with the
        // divisor multiplied through, which keeps a division off the firm's critical path.
        const double exit_p = pick(st < HIGH_TECH, pick(st == INCUBATING, exit0, exit1),
                                   pick(st == HIGH_TECH, exit2, exit3));
        const double exit_base =
            exit_p * pick(loan, loan_exit_factor, 1.0) * pick(vc, vc_exit_factor, 1.0);
        const double divisor = 1.0 + exit_slope * c;
        const double u0 = (small_to_double(x.w0[j]) + 0.5) * 0x1.0p-32;
        const bool exits = u0 * divisor < exit_base;
        const bool graduation_draw = (u0 - graduation_p) * divisor < exit_base;
        // Incubation is bounded: at the longest stay a startup graduates if capable, else fails;
        // before that, a capable startup past the shortest stay may graduate. A certificate that
        // expired with no renewal pending lapses to the SME pool. (Selects of two values only:
        // the compiler keeps a longer chain of selects as branches.)
        const std::int64_t months_in = x.months_in[j];
        const bool capable = c >= graduation_capability;
        const bool incubating = st == INCUBATING;
        const bool at_limit = incubating & (months_in >= incubation_max);
        const bool exit_now = (at_limit & !capable) | (!at_limit & exits);
        const bool graduates =
            incubating & capable &
            (at_limit | (!exits & (months_in >= incubation_min) & graduation_draw));
        const bool lapses = (st >= HIGH_TECH) & active & !exits & (month >= x.expiry[j]) &
                            ((f & APPLIED_RENEWAL) == 0);
        const std::uint64_t moved = pick64(graduates | lapses, SME, st);
        const std::uint64_t to = pick64(active & exit_now, EXITED, moved);

        // Finance: a loan may end or start (word 2).
        const auto w2 = static_cast<std::int64_t>(x.w2[j]);
        const bool loan_event =
            (loan & (w2 < loan_repay_below)) | (!loan & (to != INCUBATING) & (w2 < loan_new_below));
        // Rarer events share word 3 as competing risks; whether one happens at all is known
        // here, which one is worked out in event_pass.
        const double p_vc_new = std::min(0.5, vc_p_per_capability * c);
        const double p_vc = pick(vc, vc_end_p, p_vc_new);
        const double u3 = (small_to_double(x.w3[j]) + 0.5) * 0x1.0p-32;
        const bool small = c < size_capability;
        const bool rnd_capable = c >= rnd_capability;
        const bool can_register = registration_open & ((f & REGISTERED) == 0) &
                                  ((to <= SME) | ((to == HIGH_TECH) & small));
        const double p_reg = pick(can_register, registration_p, 0.0);
        const double p_tie = pick((f & PLATFORM_TIE) != 0, untie_p, pick(to >= SME, tie_p, 0.0));
        const double p_rnd =
            pick((to >= HIGH_TECH) & ((f & RND_INSTITUTION) == 0) & rnd_capable, rnd_p, 0.0);
        const bool within_bound = u3 < p_vc + rare_events_bound;
        const bool within_bands = u3 < p_vc + p_reg + p_tie + p_rnd;
        const bool rare_event = within_bound & within_bands;
        const bool marked = active & ((to != st) | loan_event | rare_event);

        // An unmarked firm keeps its stage and flags (startups use incubators, not platforms).
        c_out[j] = c;
        x.to[j] = to;
        x.kept[j] = pick64(st == INCUBATING, f & ~std::uint64_t{PLATFORM_TIE}, f);
        x.marked[j] = marked ? 1 : 0;
    }
}

// Pass 1: the block's columns and words widened to 64 bits, the vectorised loop, then its
// results narrowed for passes 2 and 3, the capability of active firms and the flags of the firms
// that keep them written back.
template <class Count>
[[gnu::always_inline]] inline void vector_pass(const Columns<Count>& col, const StepRates& r,
                                               const double* knots, std::size_t begin,
                                               std::size_t len, BlockScratch& out) {
    Wide& x = out.x;
    const std::int32_t month = r.month;
    // Registrations reset in January.
    const std::uint32_t keep = r.registration_reset ? ~std::uint32_t{REGISTERED} : ~0U;
    // One loop per width of source, so that each vectorises.
    const std::uint8_t* __restrict stage = col.stage + begin;
    const std::uint8_t* __restrict sector = col.sector + begin;
    const std::uint8_t* __restrict batch = col.batch + begin;
    const std::uint8_t* __restrict flags_in = col.flags + begin;
    for (std::size_t j = 0; j < len; ++j) {
        const std::uint32_t st = stage[j];
        const std::uint32_t k = sector[j];
        const std::uint32_t f = flags_in[j] & keep;
        out.stage[j] = st;
        out.sector[j] = k;
        out.batch[j] = batch[j];
        out.flags[j] = f;
    }
    const engine::StateCounts<4, Count>* __restrict counts = col.counts + begin;
    for (std::size_t j = 0; j < len; ++j) {
        const std::uint32_t st = out.stage[j];
        const std::uint32_t k = out.sector[j];
        const auto& n = counts[j];
        x.stage[j] = st;
        x.flags[j] = out.flags[j];
        x.digital[j] = static_cast<std::uint64_t>(k == OPTOELECTRONICS) |
                       static_cast<std::uint64_t>(k == BEIDOU);
        x.total[j] = std::uint64_t{n[0]} + n[1] + n[2] + n[3];
        // Collaborators above the firm's stage, with masks rather than selects (a select per
        // stage turns into a branch per stage).
        x.higher[j] = (n[1] & (0U - static_cast<std::uint32_t>(st < 1))) +
                      (n[2] & (0U - static_cast<std::uint32_t>(st < 2))) +
                      (n[3] & (0U - static_cast<std::uint32_t>(st < 3)));
    }
    const std::int16_t* __restrict stage_since = col.stage_since + begin;
    const std::int16_t* __restrict cert_expiry = col.cert_expiry + begin;
    for (std::size_t j = 0; j < len; ++j) {
        x.months_in[j] = month - stage_since[j];
        x.expiry[j] = cert_expiry[j];
    }
    const float* __restrict capability_in = col.capability + begin;
    const float* __restrict rd_in = col.rd_intensity + begin;
    for (std::size_t j = 0; j < len; ++j) {
        x.capability[j] = static_cast<double>(capability_in[j]);
        x.rd_intensity[j] = static_cast<double>(rd_in[j]);
    }
    vector_loop(r, len, knots, x, out.capability);
    float* __restrict capability = col.capability + begin;
    std::uint8_t* __restrict flags = col.flags + begin;
    std::uint64_t bits = 0;
    for (std::size_t j = 0; j < len; ++j) {
        const bool active = out.stage[j] <= LEADER;
        // Exited firms keep their capability: a bit mask rather than a select, which the
        // compiler would turn into a branch around the conversion.
        const std::uint32_t keep_old = 0U - static_cast<std::uint32_t>(!active);
        capability[j] = std::bit_cast<float>(
            (std::bit_cast<std::uint32_t>(static_cast<float>(out.capability[j])) & ~keep_old) |
            (std::bit_cast<std::uint32_t>(capability[j]) & keep_old));
        out.to[j] = static_cast<std::uint32_t>(x.to[j]);
        out.kept[j] = static_cast<std::uint32_t>(x.kept[j]);
        out.marked[j] = static_cast<std::uint32_t>(x.marked[j]);
        flags[j] = static_cast<std::uint8_t>(pick(active, out.kept[j], flags[j]));
        bits |= x.marked[j] << j;
    }
    out.marked_bits = bits;
}

[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
vector_pass_16(const Columns<std::uint16_t>& col, const StepRates& r, const double* knots,
               std::size_t begin, std::size_t len, BlockScratch& out) {
    vector_pass(col, r, knots, begin, len, out);
}

[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
vector_pass_32(const Columns<std::uint32_t>& col, const StepRates& r, const double* knots,
               std::size_t begin, std::size_t len, BlockScratch& out) {
    vector_pass(col, r, knots, begin, len, out);
}

// Pass 1 written for AVX2 with GCC's vector extensions: four firms per iteration, every value in
// a 64-bit lane, read straight from the narrow columns and written straight back. The compiler's
// vectorisation of vector_pass needs the block's columns widened into Wide first and its results
// narrowed after (a quarter of the pass on AVX2: one loop per source width, each with its own
// shuffles), and on AVX2 it held the loop's thirty-odd constants partly on the stack. The
// arithmetic is vector_loop's, operation for operation and in the same order (no contraction:
// -ffp-contract=off), so the bits are the same; a test runs the model with each kernel.
// For blocks of a multiple of four firms with 16-bit counts below 2^15 (MADD_COUNT_LIMIT); the
// rest take vector_pass.
// Compiled with GCC's scheduler weighing register pressure (CANOPY_SCHEDULE_FOR_PRESSURE): its
// second loop went from 65.5 to 55.0 cycles per four firms in llvm-mca (znver3).
[[gnu::target("avx2")]] CANOPY_SCHEDULE_FOR_PRESSURE void
vector_pass_avx2(const Columns<std::uint16_t>& col, const StepRates& r, const double* knots,
                 std::size_t begin, std::size_t len, BlockScratch& out, ChunkTally& t) {
    namespace q = x4::q;
    using x4::D;
    using x4::I;
    using x4::pick;
    using x4::pick_sign;
    using x4::to_double;
    const I keep =
        I{} + static_cast<std::int64_t>(r.registration_reset ? ~std::uint32_t{REGISTERED} : ~0U);
    const std::int64_t month = r.month;
    const double base_growth = r.base_growth, rd_effect = r.rd_effect, loan_effect = r.loan_effect,
                 vc_effect = r.vc_effect, spillover_effect = r.spillover_effect,
                 platform_effect = r.platform_effect, digital_growth = r.digital_growth,
                 reversion = r.reversion;
    const double dt_years = r.dt_years, noise_scale = r.noise_scale;
    const D exit0 = D{} + r.exit_p[0], exit1 = D{} + r.exit_p[1], exit2 = D{} + r.exit_p[2],
            exit3 = D{} + r.exit_p[3];
    const D loan_exit_factor = D{} + r.loan_exit_factor, vc_exit_factor = D{} + r.vc_exit_factor;
    const double exit_slope = r.exit_slope;
    const double graduation_p = r.graduation_p, graduation_capability = r.graduation_capability;
    const std::int64_t incubation_min = r.incubation_min, incubation_max = r.incubation_max;
    const auto loan_new_below = static_cast<std::int64_t>(r.loan_new_below);
    const auto loan_repay_below = static_cast<std::int64_t>(r.loan_repay_below);
    const D vc_end_p = D{} + r.vc_end_p;
    const double vc_p_per_capability = r.vc_p_per_capability;
    const I registration_open = I{} - static_cast<std::int64_t>(r.registration_open);
    const D registration_p = D{} + r.registration_p;
    const double size_capability = r.size_capability;
    const D tie_p = D{} + r.tie_p, untie_p = D{} + r.untie_p, rnd_p = D{} + r.rnd_p;
    const double rnd_capability = r.rnd_capability, rare_events_bound = r.rare_events_bound;
    const D zero{};
    const I sme = I{} + q::SME, exited = I{} + q::EXITED;

    const std::uint8_t* stage_in = col.stage + begin;
    const std::uint8_t* sector_in = col.sector + begin;
    const std::uint8_t* batch_in = col.batch + begin;
    std::uint8_t* flags_col = col.flags + begin;
    const std::int16_t* since_in = col.stage_since + begin;
    const std::int16_t* expiry_in = col.cert_expiry + begin;
    float* capability_col = col.capability + begin;
    const float* rd_in = col.rd_intensity + begin;
    const auto* counts_in = reinterpret_cast<const std::uint64_t*>(col.counts + begin);
    static_assert(sizeof(engine::StateCounts<4, std::uint16_t>) == 8, "four counts per lane");
    // The block's words, read through locals: the loops' stores could alias out.words.
    const std::uint64_t* const words0 = out.words[0];
    const std::uint64_t* const words1 = out.words[1];
    const std::uint64_t* const words2 = out.words[2];
    const std::uint64_t* const words3 = out.words[3];
    std::uint64_t bits = 0;
    I counts{};
    // Two loops: capability first, then the events that depend on it. One loop was a chain of
    // about a hundred cycles per four firms (counts, a division, the growth terms added in
    // order, the event tests) with more instructions than the CPU's reorder window, so one
    // group of four could not start before the last had nearly finished; each loop alone is
    // short enough for several groups to overlap.
    for (std::size_t j = 0; j < len; j += 4) {
        const I st = x4::bytes(stage_in + j);
        const I f = x4::bytes(flags_col + j) & keep;
        const I loan = x4::flag_sign<q::HAS_LOAN>(f); // sign masks (x4::flag_sign)
        const I vc = x4::flag_sign<q::HAS_VC>(f);
        const I k = x4::bytes(sector_in + j);
        const I digital = x4::is_digital(k);

        // The four 16-bit counts of a firm are one 64-bit lane: the total, and those of the
        // stages above the firm's (weights of 1 for the fields above field s; an exited firm's
        // shift of 16 * 255 clears them all, as the scalar masks do). Every count is below 2^15
        // (the caller's condition), so the multiply-adds are exact: 0.97-0.99 of the kernel's
        // time against sums of masked fields (in-process A/B on Zen 3).
        const I n = x4::words(counts_in + j);
        const I total = x4::weighted_field_sum(n, I{} + 0x0001000100010001LL);
        const I higher =
            x4::weighted_field_sum(n, x4::shift_left(I{} + 0x0001000100010000LL, st * 16));

        const D share = to_double(higher) * (1.0 / to_double(total - (total == 0)));
        const I on_platform = (st == q::INCUBATING) | x4::flag_sign<q::PLATFORM_TIE>(f);
        const D rd = x4::floats(rd_in + j);
        const D c_old = x4::floats(capability_col + j);
        const D growth = base_growth + pick(digital, D{} + digital_growth, zero) + rd_effect * rd +
                         pick_sign(loan, D{} + loan_effect, zero) +
                         pick_sign(vc, D{} + vc_effect, zero) + spillover_effect * share +
                         pick_sign(on_platform, D{} + platform_effect, zero) - reversion * c_old;
        const D z = x4::table_draw(knots, words1 + j);
        const D c = x4::positive(c_old + growth * dt_years + noise_scale * z);
        std::memcpy(out.capability + j, &c, sizeof c);
    }
    // AVX2 compares integers only by > and ==, so x <= c is a comparison and a negation: the
    // stage and month tests below are written as c + 1 > x and x > c - 1 instead, one
    // instruction each (0.984-0.989 of the kernel's time, in-process A/B on Zen 3).
    for (std::size_t j = 0; j < len; j += 4) {
        const I w0 = x4::words(words0 + j);
        const I w2 = x4::words(words2 + j);
        const I w3 = x4::words(words3 + j);
        const I st = x4::bytes(stage_in + j);
        const I active = (q::LEADER + 1) > st;
        const I flags_before = x4::bytes(flags_col + j);
        const I f = flags_before & keep;
        const I loan = x4::flag_sign<q::HAS_LOAN>(f); // sign masks (x4::flag_sign)
        const I vc = x4::flag_sign<q::HAS_VC>(f);
        const I k = x4::bytes(sector_in + j);
        const D rd = x4::floats(rd_in + j);
        D c;
        std::memcpy(&c, out.capability + j, sizeof c);

        const D exit_p = pick(st < q::HIGH_TECH, pick(st == q::INCUBATING, exit0, exit1),
                              pick(st == q::HIGH_TECH, exit2, exit3));
        const D exit_base = exit_p * pick_sign(loan, loan_exit_factor, D{} + 1.0) *
                            pick_sign(vc, vc_exit_factor, D{} + 1.0);
        const D divisor = 1.0 + exit_slope * c;
        const D u0 = x4::u01(w0);
        const I exits = u0 * divisor < exit_base;
        const I graduation_draw = (u0 - graduation_p) * divisor < exit_base;
        const I months_in = month - x4::shorts(since_in + j);
        const I capable = c >= graduation_capability;
        const I incubating = st == q::INCUBATING;
        const I at_limit = incubating & (months_in > incubation_max - 1);
        const I exit_now = (at_limit & ~capable) | (~at_limit & exits);
        const I graduates =
            incubating & capable &
            (at_limit | (~exits & (months_in > incubation_min - 1) & graduation_draw));
        const I lapses = ~x4::flag_sign<q::APPLIED_RENEWAL>(f) & (st > q::HIGH_TECH - 1) & active &
                         ~exits & ((month + 1) > x4::shorts(expiry_in + j)); // a sign mask
        const I moved = pick_sign(graduates | lapses, sme, st);
        const I to = pick(active & exit_now, exited, moved);

        const I loan_event =
            pick_sign(loan, w2 < loan_repay_below, (to != q::INCUBATING) & (w2 < loan_new_below));
        const D vc_new = vc_p_per_capability * c;
        const D p_vc = pick_sign(vc, vc_end_p, pick(vc_new < 0.5, vc_new, D{} + 0.5));
        const D u3 = x4::u01(w3);
        const I small = c < size_capability;
        const I rnd_capable = c >= rnd_capability;
        const I can_register =
            ~x4::flag_sign<q::REGISTERED>(f) & registration_open &
            (((q::SME + 1) > to) | ((to == q::HIGH_TECH) & small)); // a sign mask
        const D p_reg = pick_sign(can_register, registration_p, zero);
        const D p_tie = pick_sign(x4::flag_sign<q::PLATFORM_TIE>(f), untie_p,
                                  pick(to > q::SME - 1, tie_p, zero));
        const D p_rnd =
            pick_sign(~x4::flag_sign<q::RND_INSTITUTION>(f) & (to > q::HIGH_TECH - 1) & rnd_capable,
                      rnd_p, zero);
        const I within_bound = u3 < p_vc + rare_events_bound;
        const I within_bands = u3 < p_vc + p_reg + p_tie + p_rnd;
        const I marked = active & ((to != st) | loan_event | (within_bound & within_bands));
        const I kept = pick(incubating, f & ~std::int64_t{q::PLATFORM_TIE}, f);

        // sum_codes' work: what the firm adds to pass 2's sums, and the counts (in 10-bit fields
        // of one lane: stages 0-3 at bits 0, 10, 20, 30; tied at 40; R&D institution at 50).
        const I live = (q::LEADER + 1) > to;
        const I certified = live & (to > q::HIGH_TECH - 1);
        x4::put(out.code + j, pick(live, k, I{} + 6) | (certified & 8));
        const D rd_spending = rd * c;
        std::memcpy(out.rd_spending + j, &rd_spending, sizeof rd_spending);
        const D panel = pick_sign(live & x4::flag_sign<IN_PANEL>(x4::bytes(batch_in + j)), c, zero);
        std::memcpy(out.panel_capability + j, &panel, sizeof panel);
        const I unmarked = active & ~marked;
        counts = counts + x4::shift_left(I{} + 1, st * 10) +
                 (unmarked & (st > q::SME - 1) & x4::flag_to<q::PLATFORM_TIE, 40>(kept)) +
                 (unmarked & x4::flag_to<q::RND_INSTITUTION, 50>(kept));

        // What pass 3 reads, and the columns written back: an exited firm keeps its capability
        // and flags.
        x4::put(out.to + j, to);
        x4::put(out.flags + j, f);
        const __m128 narrow = _mm256_cvtpd_ps(std::bit_cast<__m256d>(c));
        const __m128 old = _mm_loadu_ps(capability_col + j);
        _mm_storeu_ps(capability_col + j,
                      _mm_blendv_ps(old, narrow, _mm_castsi128_ps(x4::low_halves(active))));
        x4::put_bytes(flags_col + j, pick(active, kept, flags_before));
        bits |= static_cast<std::uint64_t>(_mm256_movemask_pd(std::bit_cast<__m256d>(marked))) << j;
    }
    out.marked_bits = bits;
    const I fields =
        counts + std::bit_cast<I>(_mm256_permute4x64_epi64(std::bit_cast<__m256i>(counts), 0x4E));
    const auto all = static_cast<std::uint64_t>(fields[0] + fields[1]);
    const auto field = [all](int at) { return static_cast<std::int64_t>((all >> at) & 0x3FF); };
    t.active[INCUBATING] += field(0);
    t.active[SME] += field(10);
    t.active[HIGH_TECH] += field(20);
    t.active[LEADER] += field(30);
    t.tied += field(40);
    t.with_rnd += field(50);
}

// Pass 2: the aggregates the SD stocks and the series read, in firm order. Value added is
// proportional to capability, so capability is summed by sector and for certified firms. The
// eight running sums are the lanes of four two-lane vectors: lanes 0-5 capability by sector,
// lane 6 certified capability, lane 7 certified R&D spending. Each firm adds to every lane,
// its values in its own lanes and exactly 0.0 elsewhere (which leaves a sum unchanged), so
// every lane is summed in firm order with one addition per firm and no branch. Two-lane
// vectors are native on every x86-64 (SSE2): one eight-lane vector was one AVX-512 addition,
// but GCC lowered it for AVX2 and SSE2 through the stack, a store-forwarding stall per firm
// that cost a quarter of the step on CPUs without AVX-512.
using Lanes = double __attribute__((vector_size(16)));
using LaneMask = std::int64_t __attribute__((vector_size(16)));

// The lanes a firm adds to, by its lane code: the code's low three bits are the firm's sector if
// it is active at the end of the step (6: none), bit 3 says it is certified (lanes 6 and 7).
struct LaneMasks {
    alignas(64) std::int64_t mask[16][8];
};
constexpr LaneMasks lane_masks() {
    LaneMasks m{};
    for (std::size_t code = 0; code < 16; ++code) {
        for (std::size_t lane = 0; lane < 8; ++lane) {
            const bool own = lane < 6 && lane == (code & 7U);
            const bool certified = lane >= 6 && (code & 8U) != 0;
            m.mask[code][lane] = own || certified ? -1 : 0;
        }
    }
    return m;
}
constexpr LaneMasks LANE_MASKS = lane_masks();

// The pass runs in two loops: sum_codes, vectorised across firms, works out what each firm adds
// (its lane code, its certified R&D spending, its panel capability) and counts active firms by
// stage and, among the firms event_pass will not see, those tied to a platform or running an R&D
// institution (their flags are final after pass 1: `kept`); sum_lanes adds the firms' vectors in
// firm order, with nothing else on its path. (The AVX2 kernel of pass 1 does sum_codes' work
// itself.)
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
sum_codes(const float* rd_intensity, std::size_t begin, std::size_t len, BlockScratch& io,
          ChunkTally& t) {
    std::uint32_t active0 = 0, active1 = 0, active2 = 0, active3 = 0, tied = 0, with_rnd = 0;
    const float* __restrict rd = rd_intensity + begin;
    std::uint32_t* __restrict code = io.code;
    double* __restrict rd_spending = io.rd_spending;
    double* __restrict panel_capability = io.panel_capability;
    for (std::size_t j = 0; j < len; ++j) {
        const std::uint32_t st = io.stage[j];
        const auto was = [st](std::uint32_t k) { return static_cast<std::uint32_t>(st == k); };
        active0 += was(INCUBATING);
        active1 += was(SME);
        active2 += was(HIGH_TECH);
        active3 += was(LEADER);
        const std::uint32_t unmarked = static_cast<std::uint32_t>(st <= LEADER) &
                                       static_cast<std::uint32_t>(io.marked[j] == 0);
        const std::uint32_t f = io.kept[j];
        tied += unmarked & static_cast<std::uint32_t>((f & PLATFORM_TIE) != 0) &
                static_cast<std::uint32_t>(st >= SME);
        with_rnd += unmarked & static_cast<std::uint32_t>((f & RND_INSTITUTION) != 0);

        const std::uint32_t to = io.to[j];
        const double c = io.capability[j];
        const bool live = to <= LEADER;
        const bool certified = live & (to >= HIGH_TECH);
        code[j] = pick(live, io.sector[j], std::uint32_t{6}) | pick(certified, 8U, 0U);
        rd_spending[j] = static_cast<double>(rd[j]) * c;
        panel_capability[j] = pick(live & ((io.batch[j] & IN_PANEL) != 0), c, 0.0);
    }
    t.active[INCUBATING] += active0;
    t.active[SME] += active1;
    t.active[HIGH_TECH] += active2;
    t.active[LEADER] += active3;
    t.tied += tied;
    t.with_rnd += with_rnd;
}

// Pass 2's eight running sums (capability of sectors 0-5, certified capability, certified R&D
// spending) back into the tally. (As eight values: passed as one array, GCC kept the running
// sums of the loops before it on the stack, a store and a reload on every firm's chain.)
[[gnu::always_inline]] inline void store_lane_sums(ChunkTally& t, double s0, double s1, double s2,
                                                   double s3, double s4, double s5,
                                                   double certified, double rd_spending) {
    t.capability_by_sector = {s0, s1, s2, s3, s4, s5};
    t.capability_certified = certified;
    t.rd_spending = rd_spending;
}

void sum_lanes(std::size_t len, const BlockScratch& in, ChunkTally& t) {
    static_assert(SECTOR_COUNT == 6, "lanes 0-5 are the sectors");
    Lanes sums01 = {t.capability_by_sector[0], t.capability_by_sector[1]};
    Lanes sums23 = {t.capability_by_sector[2], t.capability_by_sector[3]};
    Lanes sums45 = {t.capability_by_sector[4], t.capability_by_sector[5]};
    Lanes sums67 = {t.capability_certified, t.rd_spending};
    // The value-added panel's capability: a fifth running sum, beside the lanes' (it adds no
    // latency: the chains are independent).
    double panel = t.capability_panel;
    for (std::size_t j = 0; j < len; ++j) {
        const double c = in.capability[j];
        const LaneMask both = reinterpret_cast<LaneMask>(Lanes{c, c});
        const LaneMask last = reinterpret_cast<LaneMask>(Lanes{c, in.rd_spending[j]});
        LaneMask keep[4];
        std::memcpy(keep, LANE_MASKS.mask[in.code[j]], sizeof keep);
        sums01 += reinterpret_cast<Lanes>(both & keep[0]);
        sums23 += reinterpret_cast<Lanes>(both & keep[1]);
        sums45 += reinterpret_cast<Lanes>(both & keep[2]);
        sums67 += reinterpret_cast<Lanes>(last & keep[3]);
        panel += in.panel_capability[j];
    }
    t.capability_panel = panel;
    store_lane_sums(t, sums01[0], sums01[1], sums23[0], sums23[1], sums45[0], sums45[1], sums67[0],
                    sums67[1]);
}

// sum_lanes with AVX2's four-lane vectors: lanes 0-3 of the first are sectors 0-3, the second
// holds sectors 4 and 5, certified capability and certified R&D spending. Half the additions
// and masks of the two-lane version, each lane still one addition per firm in firm order (so the
// same sums, bit for bit).
using Lanes4 = double __attribute__((vector_size(32)));
using LaneMask4 = std::int64_t __attribute__((vector_size(32)));

[[gnu::target("avx2")]] void sum_lanes_avx2(std::size_t len, const BlockScratch& in,
                                            ChunkTally& t) {
    Lanes4 low = {t.capability_by_sector[0], t.capability_by_sector[1], t.capability_by_sector[2],
                  t.capability_by_sector[3]};
    Lanes4 high = {t.capability_by_sector[4], t.capability_by_sector[5], t.capability_certified,
                   t.rd_spending};
    double panel = t.capability_panel;
    // The second vector's values as one blend of two broadcasts (the compiler built it from
    // three shuffles), four firms an iteration: 0.98-1.00 of decide's time (in-process A/B).
#pragma GCC unroll 4
    for (std::size_t j = 0; j < len; ++j) {
        const __m256d c = _mm256_broadcast_sd(in.capability + j);
        const auto all_c = std::bit_cast<LaneMask4>(c);
        const auto last = std::bit_cast<LaneMask4>(
            _mm256_blend_pd(c, _mm256_broadcast_sd(in.rd_spending + j), 8));
        LaneMask4 keep[2];
        std::memcpy(keep, LANE_MASKS.mask[in.code[j]], sizeof keep);
        low += std::bit_cast<Lanes4>(all_c & keep[0]);
        high += std::bit_cast<Lanes4>(last & keep[1]);
        panel += in.panel_capability[j];
    }
    t.capability_panel = panel;
    store_lane_sums(t, low[0], low[1], low[2], low[3], high[0], high[1], high[2], high[3]);
}

// Pass 3: the marked firms, in firm order, with the model's events spelled out. The firms are
// found from the block's bit mask of marked firms (a test of every firm's mark would be a branch
// mispredicted at each of the few marked firms, and a little work at every other firm).
template <class Count>
void event_pass(const Columns<Count>& col, const StepRates& r, std::size_t begin,
                const BlockScratch& in, std::vector<StageChange>& changes, ChunkTally& t) {
    static_assert(BLOCK <= 64, "marked_bits has a bit per firm of the block");
    for (std::uint64_t bits = in.marked_bits; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(std::countr_zero(bits));
        const std::size_t i = begin + j;
        const std::uint8_t st = col.stage[i];
        const auto to = static_cast<std::uint8_t>(in.to[j]);
        const double c = in.capability[j];
        const std::uint64_t w2 = in.words[2][j];
        auto f = static_cast<std::uint8_t>(in.flags[j]);
        const bool vc = (f & HAS_VC) != 0;

        if (to != st) {
            changes.push_back({static_cast<std::uint32_t>(i), st, to});
            if (to == EXITED) {
                ++t.exits;
                col.flags[i] = 0;
                continue;
            }
            if (st == INCUBATING) {
                ++t.graduations;
            } else if (to == SME) {
                ++t.lapses; // a certified firm back in the SME pool
            }
        }

        // Finance: a loan ends or starts (one word).
        if ((f & HAS_LOAN) != 0) {
            if (w2 < r.loan_repay_below) {
                f = static_cast<std::uint8_t>(f & ~HAS_LOAN);
            }
        } else if (to != INCUBATING && w2 < r.loan_new_below) {
            f |= HAS_LOAN;
            t.new_loans += r.loan_size[to];
        }

        // Rarer events share one word as competing risks: at most one per firm per step.
        const double p_vc = vc ? r.vc_end_p : std::min(0.5, r.vc_p_per_capability * c);
        const double u3 = u01(static_cast<std::uint32_t>(in.words[3][j]));
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
        col.flags[i] = f;
        if ((f & PLATFORM_TIE) != 0 && to >= SME) {
            ++t.tied;
        }
        if ((f & RND_INSTITUTION) != 0) {
            ++t.with_rnd;
        }
    }
}

std::atomic<Kernels> chosen_kernels{Kernels::automatic};

// The decisions of firms [begin, end), with the AVX2 kernel if `avx2_kernel` (which the caller
// chooses only where every count fits it).
template <class Count>
void decide_chunk(const Columns<Count>& col, const StepContext& ctx, const StepRates& r,
                  std::size_t begin, std::size_t end, bool avx2_kernel,
                  std::vector<StageChange>& changes, ChunkTally& tally) {
    const double* knots = engine::NormalTable::instance().knots().data();
    const auto step = static_cast<std::uint32_t>(ctx.step);
    BlockScratch scratch;
    std::uint64_t* const words[4] = {scratch.x.w0, scratch.x.w1, scratch.x.w2, scratch.x.w3};
    // The AVX2 kernel's words are made FILL_BLOCKS blocks at a time: a fill has a fixed cost
    // (its first groups' rounds overlap nothing before them, and 64 blocks end in a lone group
    // of four): philox_fill_wide took 3.7-4.7 ns a block for 64 blocks, 3.2-3.5 for 512. The
    // 16 KB of words stay in the first-level cache while the kernel reads them block by block.
    constexpr std::size_t FILL_BLOCKS = 8;
    struct Fill {
        alignas(64) std::uint64_t w[4][FILL_BLOCKS * BLOCK];
    };
    Fill fill_buffer; // NOLINT(cppcoreguidelines-pro-type-member-init): filled before read
    Fill* const fill = avx2_kernel && std::is_same_v<Count, std::uint16_t> ? &fill_buffer : nullptr;
    std::size_t fill_start = begin;
    ChunkTally t{};
    for (std::size_t b = begin; b < end; b += BLOCK) {
        const std::size_t len = std::min(BLOCK, end - b);
        if (fill == nullptr) {
            engine::philox_fill_wide(ctx.key, static_cast<std::uint32_t>(b), step, DECIDE, len,
                                     words);
        } else {
            if ((b - begin) % (FILL_BLOCKS * BLOCK) == 0) {
                fill_start = b;
                std::uint64_t* const into[4] = {fill->w[0], fill->w[1], fill->w[2], fill->w[3]};
                engine::philox_fill_wide(ctx.key, static_cast<std::uint32_t>(b), step, DECIDE,
                                         std::min(FILL_BLOCKS * BLOCK, end - b), into);
            }
            for (std::size_t w = 0; w < 4; ++w) {
                scratch.words[w] = fill->w[w] + (b - fill_start);
            }
            if (len % 4 != 0) { // the compiled pass reads its words from x
                for (std::size_t w = 0; w < 4; ++w) {
                    std::memcpy(words[w], scratch.words[w], len * sizeof(std::uint64_t));
                    scratch.words[w] = words[w];
                }
            }
        }
        if constexpr (std::is_same_v<Count, std::uint16_t>) {
            if (avx2_kernel && len % 4 == 0) {
                vector_pass_avx2(col, r, knots, b, len, scratch, t);
                sum_lanes_avx2(len, scratch, t);
            } else {
                vector_pass_16(col, r, knots, b, len, scratch);
                sum_codes(col.rd_intensity, b, len, scratch, t);
                sum_lanes(len, scratch, t);
            }
        } else {
            vector_pass_32(col, r, knots, b, len, scratch);
            sum_codes(col.rd_intensity, b, len, scratch, t);
            sum_lanes(len, scratch, t);
        }
        event_pass(col, r, b, scratch, changes, t);
    }
    tally = t;
}

} // namespace

void set_kernels(Kernels kernels) {
    chosen_kernels.store(kernels, std::memory_order_relaxed);
}

bool kernels_available(Kernels kernels) {
    return kernels != Kernels::avx2 || engine::have_avx2();
}

// The AVX2 kernels wherever the CPU has AVX2, unless a test chose: on Zen 4 they beat the
// compiler's AVX-512 clones (1,000 replicates of the default scenario in 0.90-0.95 of the time).
bool use_avx2_kernels() {
    switch (chosen_kernels.load(std::memory_order_relaxed)) {
    case Kernels::compiled:
        return false;
    case Kernels::avx2:
        return engine::have_avx2();
    case Kernels::automatic:
        break;
    }
    return engine::have_avx2();
}

void decide(State& s, const StepContext& ctx, const StepRates& r) {
    const PhaseTimer timer(s.phases.decide);
    const std::size_t n = s.firms.size();
    const std::size_t chunks = engine::Executor::chunk_count(n, Model::CHUNK);
    if (s.changes.size() < chunks) {
        s.changes.resize(chunks);
        s.tallies.resize(chunks);
    }
    for (std::size_t k = 0; k < s.tallies.size(); ++k) {
        s.tallies[k] = ChunkTally{};
        s.changes[k].clear();
    }
    // The AVX2 kernel reads 16-bit counts with signed multiply-adds: only while no count can
    // reach 2^15 (the model's default limit for 16-bit counts; a larger one, as a test may set,
    // leaves the compiled clones).
    const bool avx2_kernel = use_avx2_kernels() && s.narrow_count_limit <= MADD_COUNT_LIMIT;
    with_counts(s, [&](auto& counts) {
        using Count = typename std::remove_reference_t<decltype(counts)>::value_type::value_type;
        const Columns<Count> col{s.firms[s.stage].data(),
                                 s.firms[s.sector].data(),
                                 s.firms[s.flags].data(),
                                 s.firms[s.batch].data(),
                                 s.firms[s.stage_since].data(),
                                 s.firms[s.cert_expiry].data(),
                                 s.firms[s.capability].data(),
                                 s.firms[s.rd_intensity].data(),
                                 counts.data()};
        ctx.executor->for_chunks(
            n, Model::CHUNK, [&](std::size_t chunk, std::size_t b, std::size_t e) {
                decide_chunk(col, ctx, r, b, e, avx2_kernel, s.changes[chunk], s.tallies[chunk]);
            });
    });
}

namespace {

// A firm's stage changes in a step as apply's marks hold them (State::moved): MOVED | from << 3 |
// to, each stage's low three bits (EXITED's are 7), so that a mark is never 0; `from` is the
// stage before the step's first change, `to` the stage after its last (`before`: the mark so
// far, 0 for none). LISTED: the firm is on State::marked (kept through later changes).
constexpr unsigned MOVED = 0x40U, LISTED = 0x80U;
std::uint8_t moved_code(std::uint8_t before, std::uint8_t from, std::uint8_t to) {
    const unsigned first = before != 0 ? (before >> 3U) & 7U : from & 7U;
    return static_cast<std::uint8_t>((before & LISTED) | MOVED | first << 3U | (to & 7U));
}

// What a partner's mark adds to a firm's counts, all four at once: the counts as one unsigned
// integer (16-bit counts in 64 bits, 32-bit ones in 128), +1 in the field of the stage moved to
// and -1 in that of the stage left, modulo the integer's range. A firm's counts after its
// partners' moves are in range, so the sum of these and the counts, modulo the range, is exact
// whatever the order (a field may borrow from the next on the way; the final value has none).
__extension__ typedef unsigned __int128 Unsigned128; // GCC's, for the 32-bit counts
template <class Counts>
using PackedCounts = std::conditional_t<sizeof(Counts) == 8, std::uint64_t, Unsigned128>;

template <class Counts>
struct MoveDeltas {
    static_assert(sizeof(Counts) == sizeof(PackedCounts<Counts>) &&
                  std::endian::native == std::endian::little);
    using Packed = PackedCounts<Counts>;
    static constexpr unsigned FIELD_BITS = 8 * sizeof(Counts) / 4;
    std::array<Packed, 256> delta{}; // by mark (LISTED or not); 0 for no mark

    MoveDeltas() {
        for (unsigned from = 0; from < 8; ++from) {
            for (unsigned to = 0; to < 8; ++to) {
                Packed d = 0;
                if (to <= LEADER) {
                    d += Packed{1} << (FIELD_BITS * to);
                }
                if (from <= LEADER) {
                    d -= Packed{1} << (FIELD_BITS * from);
                }
                delta[MOVED | from << 3U | to] = d;
                delta[LISTED | MOVED | from << 3U | to] = d;
            }
        }
    }
};

// The places i in [i, stop) whose partner targets[i] has moved this step (a mark in `moved`),
// written to hits in order; returns how many. The marks are bytes, not bits: one load per place
// and no shifts, 16 places' marks OR-ed together before any branch. In stand-alone tests (30,000
// 16-bit places, 1,000 of 58,000 firms moved, Zen 4) 0.50 ns per place, against 0.41-0.61 for
// AVX2 gathers of the marks as bits and 0.76-1.20 for a scalar loop over bits; in the model the
// gathers took the same share of a replicate, and the bytes need no bitmap and no kernel per
// instruction set.
template <class Firm>
std::uint32_t moved_partners(const Firm* targets, std::uint32_t i, std::uint32_t stop,
                             const std::uint8_t* moved, std::uint32_t* hits) {
    std::uint32_t n = 0;
    for (; i + 16 <= stop; i += 16) {
        unsigned any = 0;
        for (unsigned k = 0; k < 16; ++k) {
            any |= moved[targets[i + k]];
        }
        if (any != 0) {
            for (unsigned k = 0; k < 16; ++k) {
                hits[n] = i + k;
                n += static_cast<std::uint32_t>(moved[targets[i + k]] != 0);
            }
        }
    }
    for (; i < stop; ++i) {
        hits[n] = i;
        n += static_cast<std::uint32_t>(moved[targets[i]] != 0);
    }
    return n;
}

} // namespace

// Each firm appears at most once in a step's changes, so stages are written by one thread; the
// counts of the firms on the changed firm's own list are shared and updated atomically (integer
// sums: any order, same result). Those are all its collaborators but the newcomers that chose it
// (ties.hpp): the firm is marked, and settle_newcomers passes the marks on to them.
void apply_changes(State& s, const StepContext& ctx, int month) {
    const PhaseTimer timer(s.phases.apply);
    auto& stage = s.firms[s.stage];
    auto& stage_since = s.firms[s.stage_since];
    const bool shared = ctx.executor->parallel();
    const Ties& ties = s.collaboration;
    const std::size_t firms = ties.size();
    if (s.moved.size() < firms) {
        s.moved.resize(firms);
    }
    std::uint8_t* const moved = s.moved.data();
    const std::uint32_t* const offsets = ties.offsets().data();
    with_counts(s, [&](auto& counts) {
        ties.visit([&](auto targets) {
            using Counts = typename std::remove_reference_t<decltype(counts)>::value_type;
            const std::span<Counts> all(counts);
            // The changed firms are scattered, and so are their collaborators' counts: each
            // firm's list is found VERTEX_AHEAD changes early, its partners read LIST_AHEAD early
            // and their counts fetched for writing COUNTS_AHEAD early, so that the misses overlap.
            constexpr std::size_t VERTEX_AHEAD = 12, LIST_AHEAD = 6, COUNTS_AHEAD = 2;
            ctx.executor->for_each(s.changes.size(), [&](std::size_t chunk) {
                const std::vector<StageChange>& list = s.changes[chunk];
                const std::size_t n = list.size();
                for (std::size_t i = 0; i < n; ++i) {
                    if (i + VERTEX_AHEAD < n) {
                        const std::uint32_t later = list[i + VERTEX_AHEAD].firm;
                        ties.prefetch_firm(later);
                        __builtin_prefetch(stage.data() + later, 1);
                        __builtin_prefetch(stage_since.data() + later, 1);
                        __builtin_prefetch(moved + later, 1);
                    }
                    if (i + LIST_AHEAD < n) {
                        ties.prefetch_list(list[i + LIST_AHEAD].firm);
                    }
                    if (i + COUNTS_AHEAD < n) {
                        const std::uint32_t v = list[i + COUNTS_AHEAD].firm;
                        for (std::uint32_t e = offsets[v]; e < offsets[v + 1]; ++e) {
                            __builtin_prefetch(all.data() + targets[e], 1);
                        }
                    }
                    const StageChange& ch = list[i];
                    stage[ch.firm] = ch.to;
                    stage_since[ch.firm] = static_cast<std::int16_t>(month);
                    moved[ch.firm] = moved_code(moved[ch.firm], ch.from, ch.to);
                    for (std::uint32_t e = offsets[ch.firm]; e < offsets[ch.firm + 1]; ++e) {
                        engine::move_count(all[targets[e]], ch.from, ch.to, shared);
                    }
                }
            });
        });
    });
    for (auto& chunk : s.changes) {
        for (const StageChange& ch : chunk) {
            std::uint8_t& mark = s.moved[ch.firm];
            if ((mark & LISTED) == 0) {
                mark |= LISTED;
                s.marked.push_back(ch.firm);
            }
            --s.active[ch.from];
            if (ch.to <= LEADER) {
                ++s.active[ch.to];
            }
        }
        chunk.clear();
    }
}

// Each newcomer's counts are its own, written by one thread. Few newcomers' partners moved: one
// sweep over their ties tests each partner's mark (moved_partners) and lists the ties that hit,
// and only those write counts. Once a step, not after each of the step's apply_changes: the
// newcomers' counts are read only by the next step's decisions (and by keep_counts_fitting, for
// which a count not yet lowered by an exit is a safe bound), and the step's marks add up (a firm
// moved twice is marked with its first stage and its last).
void settle_newcomers(State& s, const StepContext& ctx) {
    const PhaseTimer timer(s.phases.apply);
    if (s.marked.empty()) {
        return;
    }
    const Ties& ties = s.collaboration;
    const std::size_t first = ties.initial();
    const std::size_t firms = ties.size();
    const std::uint8_t* const moved = s.moved.data();
    const std::uint32_t* const offsets = ties.offsets().data();
    const std::uint32_t m = std::max<std::uint32_t>(1, s.most_newcomer_ties);
    with_counts(s, [&](auto& counts) {
        ties.visit([&](auto all_targets) {
            const auto* const targets = all_targets.data();
            using Counts = typename std::remove_reference_t<decltype(counts)>::value_type;
            static const MoveDeltas<Counts> deltas;
            using Packed = typename MoveDeltas<Counts>::Packed;
            Counts* const out = counts.data();
            ctx.executor->for_chunks(
                firms - first, Model::CHUNK, [&](std::size_t, std::size_t b0, std::size_t b1) {
                    constexpr std::uint32_t BATCH = 256;
                    std::array<std::uint32_t, BATCH> hits;
                    std::size_t v = first + b0; // the owner of the next hit (hits come in order)
                    const std::uint32_t end = offsets[first + b1];
                    for (std::uint32_t i = offsets[first + b0]; i < end; i += BATCH) {
                        const std::uint32_t stop = std::min(end, i + BATCH);
                        const std::uint32_t n =
                            moved_partners(targets, i, stop, moved, hits.data());
                        for (std::uint32_t h = 0; h < n; ++h) {
                            // The owner: the last newcomer whose list starts at or before the
                            // hit. Lists hold at most m ties (State::most_newcomer_ties), so it is
                            // at least j newcomers past v + 1, j the whole number of m-tie lists
                            // between v + 1's start and the hit; then a step or two at most.
                            if (offsets[v + 1] <= hits[h]) {
                                v += 1 + (hits[h] - offsets[v + 1]) / m;
                            }
                            while (offsets[v + 1] <= hits[h]) {
                                ++v;
                            }
                            Packed c;
                            std::memcpy(&c, out + v, sizeof c);
                            c += deltas.delta[moved[targets[hits[h]]]];
                            std::memcpy(out + v, &c, sizeof c);
                        }
                    }
                });
        });
    });
    for (const std::uint32_t v : s.marked) {
        s.moved[v] = 0;
    }
    s.marked.clear();
}

} // namespace canopy::models::ecosystem::detail
