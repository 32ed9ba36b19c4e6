#pragma once
/// \file reference_model.hpp
/// The fixed reference model of bench/REFERENCE.md: a small growth ladder on a Barabási–Albert
/// network, used to measure the engine's raw speed against other tools on identical work.
///
/// Rules (REFERENCE.md, restated): N firms on a BA network with m = 3; stages 0 incubated,
/// 1 SME, 2 high-tech, 3 leader, or exited; initial stages by a seeded random permutation
/// (fractions 0.375 / remainder / 0.300 / 0.001). Each monthly step is synchronous: an active
/// firm exits with probability EXIT[stage], otherwise (stage < 3) moves up with probability
/// BASE[stage] * LEVER[stage] * (1 + 0.5 * share), share = active neighbours at a higher stage
/// over active neighbours. Then K ~ Poisson(births_per_month) newborns each link to 3 distinct
/// firms that existed before the births and are active, chosen proportionally to total degree.
///
/// How it is fast: one uniform word decides both exit and promotion (exit if u < e, promote if
/// e <= u < e + (1 - e) p), so one Philox block serves four firms; 32-bit ids and 1-byte stages.
/// The neighbour share is worked out only where it can change a decision. p lies between
/// BASE * LEVER (share 0) and 1.5 times that (share 1), so a firm whose word falls below the
/// first bound moves up whatever its neighbours, one above the second does not, and only the
/// firms in between (about 1 % a step at REFERENCE.md's rates) need their share: decide counts
/// their active neighbours' stages from their lists, as they are at the start of the step, and
/// the stages change only after every firm has decided. The AVX2 kernel tests every other firm's
/// word against three integer limits of its stage (last_word_at_most), eight firms a vector. (Until
/// 4 Dec 2026 every firm kept its neighbour counts by stage, updated for each neighbour of the 3 %
/// of firms that change a step and for each newborn's partners: the same bits, but each update a
/// scattered line; counting on demand made the step loop 1.7-1.9x faster at 4 M firms and 1.4-1.7x
/// at 400,000, and saves 8 bytes a firm. The ecosystem model keeps its counts: every firm's
/// capability uses its share every month.)
///
/// Locality (issue 8): by default the initial firms are numbered in the reverse Cuthill–McKee
/// order of their network, so that collaborators sit near each other in memory; newborns append
/// at the end (a contiguous tail, which leaves the order of every older firm as it was), and once
/// the tail has grown as large as the ordered firms (reorder_tail) the whole population is
/// renumbered in the reverse Cuthill–McKee order of the grown network, which keeps the lists
/// decide reads and the stages they name near each other. Newborns are not placed
/// among their partners: the three are drawn by degree, mostly hubs spread over the whole order,
/// so no one place is near all of them, while the tail keeps the newborns' own rows together.
/// The ordering is engine::breadth_first_rcm_order (one breadth-first pass per component; Boost's
/// reverse_cuthill_mckee_order took 0.5-0.9 s at 400,000 firms, several times the network's
/// build). Renewing buys about a tenth of the decide time, hence only at doubling. A firm's random
/// numbers follow its position, so the order is part of the results (same bits at any thread
/// count either way).

#include <canopy/engine/model.hpp>
#include <canopy/engine/network.hpp>
#include <canopy/engine/population.hpp>
#include <canopy/engine/random.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace canopy::models::reference {

/// Stage codes. EXITED is any value above LEADER.
enum Stage : std::uint8_t { INCUBATED = 0, SME = 1, HIGH_TECH = 2, LEADER = 3, EXITED = 0xFF };

/// Counts of a firm's active neighbours at each stage.
using NeighbourCounts = std::array<std::uint32_t, 4>;

/// Parameter indices (ModelInfo::parameters order).
enum Parameter : int { P_FIRMS = 0, P_BIRTHS_PER_MONTH, P_EDGES_PER_FIRM, PARAMETER_COUNT };
/// Lever indices: the multipliers LEVER[stage] on the promotion probability.
enum Lever : int { L_INCUBATED = 0, L_SME, L_HIGH_TECH, LEVER_COUNT };
/// Series indices.
enum Series : int {
    S_INCUBATED = 0,
    S_SME,
    S_HIGH_TECH,
    S_LEADER,
    S_EXITS,
    S_BIRTHS,
    S_AGENT_STEPS,
    SERIES_COUNT
};

/// Exit probability per month by stage (REFERENCE.md).
inline constexpr std::array<double, 4> EXIT = {0.02, 0.01, 0.004, 0.001};
/// Base promotion probability per month by stage; leaders never move up (REFERENCE.md).
inline constexpr std::array<double, 3> BASE = {0.03, 0.02, 0.01};
/// Weight of the neighbour share in the promotion probability (REFERENCE.md).
inline constexpr double SPILLOVER = 0.5;
/// The random-stream purpose of a newborn's partner draws: draw d of newborn `id` in step `step`
/// is the 64-bit word (w[2 * (d % 2)] << 32) | w[2 * (d % 2) + 1] of block
/// w = RandomKey::block(id, step, ATTACH_PURPOSE, d / 2), read in order until the newborn has
/// its partners (an exited firm or a repeat is drawn again).
inline constexpr engine::Purpose ATTACH_PURPOSE = 5;
/// A newborn whose draws keep being rejected gives up after this many and links to the firms it
/// has (only possible when almost no firm is active; documented in the README).
inline constexpr int MAX_ATTACH_DRAWS = 1 << 16;

/// The largest 32-bit word u with (u - e) + 1 <= y, for e >= 1 and y >= 0 (u <= e - 1 + floor(y),
/// at most 2^32 - 1): decide's tests of a firm's word u against E[stage] and a promotion bound y
/// as one integer comparison (the AVX2 kernel's first pass; the same decisions as the doubles).
[[nodiscard]] std::uint32_t last_word_at_most(std::int64_t e, double y);

namespace detail {

/// What the decision kernels make of one block of 64 firms before any neighbour is counted, bit
/// j for firm j (a test hook: the kernels compared at hand-picked words, such as those at a limit
/// and beside it, which random words reach once in 2^32 draws).
struct FirstPass {
    std::uint64_t events = 0;  ///< active firms that exit or move up whatever their neighbours
    std::uint64_t exits = 0;   ///< active firms that exit
    std::uint64_t between = 0; ///< active firms whose word falls between the promotion bounds
    std::array<double, 64> a_plus_one{}; ///< a + 1 of the firms between the bounds, 0 elsewhere
};

/// The AVX2 kernel's first pass at levers `lever` (its integer limits). Only where
/// first_pass_avx2_available().
[[nodiscard]] FirstPass first_pass_avx2(const std::array<std::uint8_t, 64>& stage,
                                        const std::array<std::uint32_t, 64>& u,
                                        const std::array<double, 3>& lever);
/// The portable loop's doubles for the same block (its decisions with no neighbours counted, and
/// the firms whose lists it would read).
[[nodiscard]] FirstPass first_pass_doubles(const std::array<std::uint8_t, 64>& stage,
                                           const std::array<std::uint32_t, 64>& u,
                                           const std::array<double, 3>& lever);
/// Whether this CPU runs the AVX2 kernel.
[[nodiscard]] bool first_pass_avx2_available();

} // namespace detail

/// The model. Stateless: everything a run changes lives in State.
class Model {
public:
    /// A firm that changes stage this step.
    struct Change {
        std::uint32_t firm;
        std::uint8_t from;
        std::uint8_t to;
    };

    /// How firms are numbered (laid out in memory).
    enum class Order : std::uint8_t {
        natural, ///< in the order the network was built, newborns appended (REFERENCE.md's ids)
        rcm,     ///< reverse Cuthill–McKee of the network, renewed as newborns accumulate
    };

    /// What one chunk's changes did to the tallies.
    struct Tally {
        std::array<std::int64_t, 4> active{};
        std::int64_t exits = 0;
    };

    /// What deciding one chunk saw: firms active at the start of the step.
    struct Decided {
        std::int64_t active = 0;
    };

    struct State {
        engine::Population firms;
        engine::Column<std::uint8_t> stage;
        engine::Network network;
        std::array<std::int64_t, 4> active{};     ///< active firms by stage
        std::int64_t exits = 0;                   ///< this step
        std::int64_t births = 0;                  ///< this step
        std::int64_t agent_steps = 0;             ///< this step: firms active at its start
        std::vector<std::vector<Change>> changes; ///< per chunk, reused every step
        std::vector<Decided> started;             ///< per chunk: what deciding saw
        /// Per chunk, this step: the firms whose neighbour lists decide read (those whose word
        /// fell between the promotion bounds), in firm order (canopy-bench bandwidth's traffic).
        std::vector<std::vector<engine::Network::Vertex>> listed;
        /// Firms whose neighbour lists decide read, summed over the steps so far.
        std::int64_t lists_read = 0;
        std::vector<Tally> tallies;                      ///< per chunk: what its changes did
        std::vector<engine::Network::Vertex> picks;      ///< newborns' partners, m per newborn
        std::vector<std::uint32_t> pick_counts;          ///< partners found per newborn
        std::vector<engine::StreamBatch> attach_batches; ///< per birth chunk, reused
        std::size_t edges_per_firm = 3;
        std::size_t ordered_firms = 0; ///< firms when the layout was last ordered (0: natural)
        int orderings = 0;             ///< reverse Cuthill–McKee orderings made so far
        std::size_t vertex_room = 0;   ///< vertices the network has room for (the run's total)
        std::size_t edge_room = 0;     ///< undirected edges the network has room for
        /// Wall seconds spent so far in the three phases of a step: decide, apply (the changed
        /// stages written and tallied), births (with the renumbering of the firms when the
        /// newborn tail has grown).
        std::array<double, 3> phase_seconds{};

        /// Firm i's active neighbours at each stage, counted from its list now.
        [[nodiscard]] NeighbourCounts neighbour_counts(std::size_t i) const;
    };

    /// Agents per chunk of the parallel loop; a multiple of 4 (one Philox block per 4 firms).
    static constexpr std::size_t CHUNK = 16384;

    [[nodiscard]] const engine::ModelInfo& info() const;
    void init(State& s, const engine::StepContext& ctx, Eigen::VectorXd& stocks) const;
    void step_agents(State& s, const engine::StepContext& ctx) const;
    void stock_rates(const State&, const engine::StepContext&, const Eigen::VectorXd&,
                     Eigen::VectorXd&) const {}
    void observe(const State& s, const engine::StepContext& ctx, std::span<double> row) const;

    /// Bytes of agent state plus network (sizes of the arrays, which is what is resident).
    [[nodiscard]] static std::size_t state_bytes(const State& s);
    /// Firms at the end of a run: the initial ones and every newborn (memory estimate).
    [[nodiscard]] static double agents_at_horizon(std::span<const double> parameters,
                                                  const engine::Calendar& calendar);
    /// Peak resident bytes per firm at the horizon for these parameters (memory estimate):
    /// the network's ties grow with edges_per_firm.
    [[nodiscard]] static double bytes_per_agent(std::span<const double> parameters);

    /// Renumber the firms once the newborns since the last ordering exceed this fraction of the
    /// firms ordered then (order = rcm only). At 1, the population has doubled since: the
    /// orderings of a run then cost at most about as much again as the first one (their sizes
    /// grow geometrically), whatever its length.
    double reorder_tail = 1.0;

    /// How firms are laid out: reverse Cuthill–McKee by default (canopy-bench reference
    /// --order natural runs REFERENCE.md's numbering for comparison).
    Order order = Order::rcm;

    /// Whether decide runs its AVX2 kernel where the CPU has AVX2 (elsewhere the portable loop
    /// runs either way). Same bits either way; tests turn it off to compare the two.
    bool avx2_kernel = true;
};

static_assert(engine::Model<Model>);

} // namespace canopy::models::reference
