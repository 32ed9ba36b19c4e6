#pragma once
/// \file ecosystem_model.hpp
/// The innovation-ecosystem model: firms climbing incubation -> tech SME -> high-tech -> leader,
/// pushed by finance, talent and platform levers, in a hybrid of agents (firms) and
/// system-dynamics stocks (talent, finance, platforms, knowledge).
///
/// models/ecosystem/README.md lists every mechanism with its equations, parameters and sources.
/// The step order is the engine's (model.hpp): levers, then the agents (reading the SD stocks as
/// they were at the start of the step), then the SD stocks (reading the agents' aggregates of
/// this step), then the series.
///
/// The code mirrors the README's sections, one file each: setup.cpp (the initial firms, their
/// network and the stocks), decide.cpp (the firm decision kernel: each month, each firm, and the
/// stage changes), certification.cpp (the year's calendar: certification and leaders),
/// newcomers.cpp, finance.cpp and stocks.cpp (the SD stocks), observe.cpp (tallies and series);
/// ecosystem_model.cpp holds the step's order. detail.hpp is what those files share.

#include "ecosystem/ecosystem_parameters.hpp"
#include "ecosystem/ties.hpp"

#include <canopy/engine/attachment.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/neighbour_counts.hpp>
#include <canopy/engine/network.hpp>
#include <canopy/engine/population.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace canopy::models::ecosystem {

#define CANOPY_ENUM_ENTRY(name, ...) name,
/// Parameter indices (ModelInfo::parameters order): param::graduation_rate, ...
namespace param {
enum Id : int { CANOPY_ECOSYSTEM_PARAMETERS(CANOPY_ENUM_ENTRY) COUNT };
}
/// Lever indices: lever::leader_quota, ...
namespace lever {
enum Id : int { CANOPY_ECOSYSTEM_LEVERS(CANOPY_ENUM_ENTRY) COUNT };
}
/// Series indices: series::high_tech_enterprises, ...
namespace series {
enum Id : int { CANOPY_ECOSYSTEM_SERIES(CANOPY_ENUM_ENTRY) COUNT };
}
/// SD stock indices (positions in the Eigen state vector): stock::talent, ...
namespace stock {
enum Id : int { CANOPY_ECOSYSTEM_STOCKS(CANOPY_ENUM_ENTRY) COUNT };
}
#undef CANOPY_ENUM_ENTRY

/// Rungs of the ladder. EXITED is any value above LEADER.
enum Stage : std::uint8_t { INCUBATING = 0, SME = 1, HIGH_TECH = 2, LEADER = 3, EXITED = 0xFF };

/// Sectors: the seed's five breakthrough industries and the rest.
enum Sector : std::uint8_t {
    OPTOELECTRONICS = 0,
    AUTO = 1,
    HEALTH = 2,
    EQUIPMENT = 3,
    BEIDOU = 4,
    OTHER = 5,
    SECTOR_COUNT = 6
};

/// Per-firm status bits. Bit 0 is left free: GCC compiles a test of bit 0 into a conversion to
/// bool that its vectoriser cannot handle, and the decision kernel tests these bits in a loop
/// that must vectorise (decide.cpp).
enum FirmFlag : std::uint8_t {
    HAS_LOAN = 1U << 1,        ///< a tech loan is outstanding
    HAS_VC = 1U << 2,          ///< venture-backed
    REGISTERED = 1U << 3,      ///< registered as a tech SME this calendar year
    RND_INSTITUTION = 1U << 4, ///< runs an enterprise-led R&D institution
    PLATFORM_TIE = 1U << 5,    ///< tied to a pilot platform
    APPLIED_NEW = 1U << 6,     ///< a first certification application is pending
    APPLIED_RENEWAL = 1U << 7, ///< a renewal application is pending
};

/// The `batch` column holds the pending application's batch (1..3, 0 none) in its low bits and,
/// in its top bit, whether the firm is in this year's value-added panel (certified at the end
/// of last December, README "Value added"): the flags have no bit left.
inline constexpr std::uint8_t BATCH_MASK = 0x03;
inline constexpr std::uint8_t IN_PANEL = 0x80;

/// Active collaborators of a firm at each stage (kept up to date as stages change).
using NeighbourCounts = std::array<std::uint32_t, 4>;
/// The same, stored in 16 bits while every count fits (State::counts16).
using NeighbourCounts16 = engine::StateCounts<4, std::uint16_t>;
/// The largest 16-bit count the AVX2 decision kernel reads exactly (it sums a firm's counts
/// with signed 16-bit multiply-adds): the default limit of 16-bit counts (Model).
inline constexpr std::uint32_t MADD_COUNT_LIMIT = 32767;

/// A firm whose stage changes this step.
struct StageChange {
    std::uint32_t firm;
    std::uint8_t from;
    std::uint8_t to;
};

/// Tallies of one chunk of firms in one step (summed in chunk order afterwards).
struct ChunkTally {
    std::array<std::int64_t, 4> active{}; ///< active firms by stage at the start of the step
    std::int64_t exits = 0;
    std::int64_t graduations = 0;
    std::int64_t lapses = 0;
    std::int64_t tied = 0;     ///< active firms tied to a pilot platform at the end
    std::int64_t with_rnd = 0; ///< active firms running an R&D institution at the end
    std::int64_t applications = 0;
    std::int64_t new_certificates = 0;
    std::int64_t renewals = 0;
    std::int64_t registered = 0;
    std::int64_t rnd_founded = 0;
    std::int64_t vc_deals = 0;
    std::int64_t ties_ended = 0;
    double new_loans = 0.0;   ///< 100m yuan originated
    double vc_invested = 0.0; ///< 100m yuan
    double rd_spending = 0.0; ///< capability-weighted R&D intensity of certified firms
    std::array<double, SECTOR_COUNT> capability_by_sector{}; ///< sums over active firms, by sector
    double capability_certified = 0.0;                       ///< sum over certified firms
    double capability_panel = 0.0; ///< sum over active firms in the value-added panel
};

/// CPU seconds a replicate spent in one phase, counted only if `timed` (Model::time_phases).
struct PhaseClock {
    double seconds = 0.0;
    bool timed = false;
};

/// CPU seconds a replicate spent in each phase, on the thread that runs it (canopy-bench reports
/// them per firm-step; when the agents of one replicate run on several threads, the other
/// threads' share is not counted).
struct PhaseSeconds {
    PhaseClock network;    ///< collaboration network and attachment pool at the start
    PhaseClock attributes; ///< the initial firms' attributes, starting tallies and stocks
    PhaseClock decide;     ///< every firm's monthly decisions
    PhaseClock apply;      ///< stage changes and collaborators' counts
    PhaseClock calendar;   ///< certification and leader selection (their stage changes: apply)
    PhaseClock newcomers;  ///< entrants: attributes, partners, ties
    PhaseClock tallies;    ///< chunk tallies summed into the series' aggregates
};

/// The model. Stateless: everything a replicate changes lives in State.
class Model {
public:
    struct State {
        engine::Population firms;
        engine::Column<std::uint8_t> stage;
        engine::Column<std::uint8_t> sector;
        engine::Column<std::uint8_t> flags;
        engine::Column<std::uint8_t> batch;       ///< pending batch (BATCH_MASK) and IN_PANEL
        engine::Column<std::int16_t> born;        ///< month index of entry (may be negative)
        engine::Column<std::int16_t> stage_since; ///< month index the current stage began
        engine::Column<std::int16_t> cert_expiry; ///< month index the certificate expires
        engine::Column<float> capability;
        engine::Column<float> rd_intensity;
        /// Active collaborators at each stage, 16-bit while every count fits (counts32 empty),
        /// else 32-bit (counts16 empty); neighbour_counts() reads either.
        std::vector<NeighbourCounts16> counts16;
        std::vector<NeighbourCounts> counts32;
        /// Ties newcomers may still add to any one firm before the 16-bit check is repeated.
        std::uint64_t count_headroom = 0;
        std::uint32_t narrow_count_limit = 0; ///< Model::narrow_count_limit
        std::size_t narrow_firm_limit = 0;    ///< Model::narrow_firm_limit
        Ties collaboration;                   ///< each firm's own ties (ties.hpp)
        engine::AttachmentPool attachment;    ///< collaboration ties by sector, for newcomers
        /// Stage changes of this step not yet seen by the newcomers tied to the firm
        /// (apply_changes marks, settle_newcomers passes on and clears): a firm's first and last
        /// stage (decide.cpp's moved_code), 0 if it has not moved; and the marked firms.
        std::vector<std::uint8_t> moved;
        std::vector<std::uint32_t> marked;
        std::uint32_t most_newcomer_ties = 0; ///< the longest newcomer's list so far

        /// Firm i's active collaborators at each stage.
        [[nodiscard]] NeighbourCounts neighbour_counts(std::size_t i) const {
            if (!counts32.empty()) {
                return counts32[i];
            }
            const NeighbourCounts16& c = counts16[i];
            return {c[0], c[1], c[2], c[3]};
        }

        // Aggregates: counts at the end of the last step; flows of the last step.
        std::array<std::int64_t, 4> active{};
        std::int64_t tied = 0;
        std::int64_t with_rnd_institution = 0;
        std::int64_t births = 0, sme_entries = 0, graduations = 0, exits = 0;
        std::int64_t registered = 0, applications = 0, new_certificates = 0, renewals = 0,
                     lapses = 0, leaders_selected = 0, rnd_founded = 0, vc_deals = 0;
        double new_loans = 0.0, vc_invested = 0.0;
        double rd_spending = 0.0, rd_spending_initial = 0.0;
        double capability_sum = 0.0;
        double va_certified = 0.0, va_total = 0.0, va_digital = 0.0;
        double contract_total_at_start = 0.0, graduates_total_at_start = 0.0;
        double certified_initial = 0.0;
        double knowledge_inputs_initial = 0.0; ///< labs + projects at the start, in labs
        // Rates derived at init so that the initial stocks are the steady state of their flows
        // (README "D4"), and the normalisers that make the stated rates hold at the start.
        std::array<double, 4> exit_norm{1.0, 1.0, 1.0, 1.0}; ///< 1 / mean exit multiplier
        double loan_demand = 0.0;        ///< hazard per month of applying for a loan
        double loan_vintage = 1.0;       ///< a new loan at the start / the average outstanding
        double vc_deal_rate = 0.0;       ///< deal hazard per month per unit of capability
        double vc_fundraising = 0.0;     ///< 100m yuan per year
        double staff_attrition = 0.0;    ///< per month
        double turnover_rate0 = 0.0;     ///< 100m yuan per year at the start
        double premium_per_firm = 0.0;   ///< 100m yuan per year per insured firm at the start
        double capability_initial = 0.0; ///< capability of active firms at the start (jobs)
        std::int64_t leader_applications = 0;
        // The value-added panel: capability of the firms certified last December, then and now.
        double panel_capability = 0.0, panel_base_capability = 0.0;
        double panel_base_va_factor = 1.0;
        double va_factor_now = 1.0; ///< value added per capability at the end of the last step
        double months_now = 0.0;    ///< months from the start to the end of the last step

        /// Where the time went (accumulated over the run).
        PhaseSeconds phases;

        // Scratch reused every step (no allocation once warmed up).
        std::vector<std::vector<StageChange>> changes; ///< per chunk
        std::vector<ChunkTally> tallies;               ///< per chunk
        std::vector<std::uint32_t> candidates;
        std::vector<double> scores;       ///< leader candidates' evaluation scores
        std::vector<std::uint32_t> order; ///< leader candidates, best score first
        std::vector<engine::Network::Vertex> picks;
        std::vector<std::uint32_t> pick_counts;
        engine::StreamBatch newcomer_words, attach_words;
        std::vector<engine::AttachmentPool::Location> locations;
    };

    /// Firms per chunk of the parallel loops (a multiple of 4: one Philox block per firm).
    static constexpr std::size_t CHUNK = 8192;

    [[nodiscard]] const engine::ModelInfo& info() const;
    void init(State& s, const engine::StepContext& ctx, Eigen::VectorXd& stocks) const;
    void step_agents(State& s, const engine::StepContext& ctx) const;
    void stock_rates(const State& s, const engine::StepContext& ctx, const Eigen::VectorXd& y,
                     Eigen::VectorXd& dydt) const;
    void observe(const State& s, const engine::StepContext& ctx, std::span<double> row) const;

    /// Month index (months since the calendar start) of the step's month.
    [[nodiscard]] static int month_index(const engine::StepContext& ctx);
    /// Bytes of agent state plus networks (collaboration ties and the attachment pool).
    [[nodiscard]] static std::size_t state_bytes(const State& s);
    /// Firms expected at the end of a run (ecosystem_info.cpp), for the memory estimate.
    [[nodiscard]] static double agents_at_horizon(std::span<const double> parameters,
                                                  std::span<const double> levers,
                                                  const engine::Calendar& calendar);
    /// Peak resident bytes per firm for these parameters (ecosystem_info.cpp, memory
    /// estimate): the collaboration network grows with collaboration_edges.
    [[nodiscard]] static double bytes_per_agent(std::span<const double> parameters);

    /// Neighbour counts are 16-bit while every firm's counted neighbours (the total that bounds
    /// each of its counts) are at most this, 32-bit from the first step they could be more.
    /// The default is what the AVX2 kernel reads exactly (MADD_COUNT_LIMIT, half of what 16
    /// bits hold: a firm with 32,768 collaborators would take a city of many millions of
    /// firms); tests lower it to check that both widths, and the switch between them, give the
    /// same bits, and raise it to engine::MAX_16_BIT_DEGREE to check the compiled kernels on
    /// 16-bit counts.
    std::uint32_t narrow_count_limit = MADD_COUNT_LIMIT;
    /// Firm ids in the collaboration ties and the attachment pool are 16-bit while the city has
    /// at most this many firms (Ties::NARROW_FIRMS at most), 32-bit from the first newcomer past
    /// it. Tests lower it to check that both widths, and the switch, give the same bits.
    std::size_t narrow_firm_limit = Ties::NARROW_FIRMS;
    /// Whether replicates time their phases (State::phases; canopy-bench's profile does). Off,
    /// a replicate reads no clock: a thread's CPU clock is a system call, and timing every
    /// phase of every step cost about 2 % of a replicate.
    bool time_phases = false;
};

static_assert(engine::Model<Model>);

} // namespace canopy::models::ecosystem
