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
/// How it is fast (REFERENCE.md's advice, measured in bench/): each firm keeps the number of
/// its active neighbours at each stage, updated only when a neighbour changes (about 3 % of
/// firms a step) instead of re-scanning neighbour lists; one uniform word decides both exit and
/// promotion (exit if u < e, promote if e <= u < e + (1 - e) p), so one Philox block serves four
/// firms; 32-bit ids and 1-byte stages. The counts are 16-bit while every firm's degree fits
/// (the largest degree of a BA network of 400,000 firms is a few thousand), which halves what
/// decide streams and what applying the changes touches; a firm's counts never exceed its
/// degree, and births add at most one edge to any firm per newborn, so before each step's births
/// the largest degree plus the newborns is checked against the limit, and the counts are widened
/// to 32 bits in the step it could be passed (State::counts16 / counts32, as in the ecosystem).
///
/// Locality (issue 8): by default the initial firms are numbered in the reverse Cuthill–McKee
/// order of their network, so that collaborators sit near each other in memory; newborns append
/// at the end (a contiguous tail, which leaves the order of every older firm as it was), and once
/// the tail has grown as large as the ordered firms (reorder_tail) the whole population is
/// renumbered in the reverse Cuthill–McKee order of the grown network. Newborns are not placed
/// among their partners: the three are drawn by degree, mostly hubs spread over the whole order,
/// so no one place is near all of them, while the tail keeps the newborns' own rows together.
/// The ordering is engine::breadth_first_rcm_order (one breadth-first pass per component; Boost's
/// reverse_cuthill_mckee_order took 0.5-0.9 s at 400,000 firms, several times the network's
/// build). Renewing buys about a tenth of the decide time, hence only at doubling. Neighbour-count
/// changes are applied in memory order, by block of firms, from 131,072 firms up
/// (engine::NeighbourMoves). A firm's random numbers follow its position, so the order is part of
/// the results (same bits at any thread count either way).

#include <canopy/engine/model.hpp>
#include <canopy/engine/neighbour_counts.hpp>
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
/// The same, stored in 16 bits while every count fits (State::counts16).
using NeighbourCounts16 = engine::StateCounts<4, std::uint16_t>;

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

    /// What deciding one chunk saw: firms active at the start of the step, and the firms whose
    /// neighbour counts it read (all of them, except in the AVX2 kernel: see counts_read).
    struct Decided {
        std::int64_t active = 0;
        std::int64_t counts_read = 0;
    };

    struct State {
        engine::Population firms;
        engine::Column<std::uint8_t> stage;
        /// Active neighbours at each stage, 16-bit while every count fits (counts32 empty),
        /// else 32-bit (counts16 empty); neighbour_counts() reads either.
        std::vector<NeighbourCounts16> counts16;
        std::vector<NeighbourCounts> counts32;
        /// Edges births may still add to any one firm before the 16-bit check is repeated.
        std::uint64_t count_headroom = 0;
        std::uint32_t narrow_count_limit = 0; ///< Model::narrow_count_limit
        engine::Network network;
        std::array<std::int64_t, 4> active{};     ///< active firms by stage
        std::int64_t exits = 0;                   ///< this step
        std::int64_t births = 0;                  ///< this step
        std::int64_t agent_steps = 0;             ///< this step: firms active at its start
        std::vector<std::vector<Change>> changes; ///< per chunk, reused every step
        std::vector<Decided> started;             ///< per chunk: what deciding saw
        /// Firms whose neighbour counts decide read, summed over the steps so far: every firm,
        /// except in the AVX2 kernel, which reads only the groups of four with a firm near the
        /// promotion threshold (canopy-bench bandwidth counts the bytes decide moves from it).
        std::int64_t counts_read = 0;
        std::vector<Tally> tallies;                      ///< per chunk: what its changes did
        engine::NeighbourMoves moves;                    ///< this step's count updates, by block
        std::vector<engine::Network::Vertex> picks;      ///< newborns' partners, m per newborn
        std::vector<std::uint32_t> pick_counts;          ///< partners found per newborn
        std::vector<engine::StreamBatch> attach_batches; ///< per birth chunk, reused
        std::size_t edges_per_firm = 3;
        std::size_t ordered_firms = 0; ///< firms when the layout was last ordered (0: natural)
        int orderings = 0;             ///< reverse Cuthill–McKee orderings made so far
        std::size_t vertex_room = 0;   ///< vertices the network has room for (the run's total)
        std::size_t edge_room = 0;     ///< undirected edges the network has room for
        /// Wall seconds spent so far in the three phases of a step: decide, apply, births (with
        /// the renumbering of the firms when the newborn tail has grown).
        std::array<double, 3> phase_seconds{};

        /// Firm i's active neighbours at each stage.
        [[nodiscard]] NeighbourCounts neighbour_counts(std::size_t i) const {
            if (!counts32.empty()) {
                return counts32[i];
            }
            const NeighbourCounts16& c = counts16[i];
            return {c[0], c[1], c[2], c[3]};
        }
    };

    /// Agents per chunk of the parallel loop; a multiple of 4 (one Philox block per 4 firms).
    static constexpr std::size_t CHUNK = 16384;
    /// Chunks are decided in about this many runs of consecutive chunks, each run by one thread
    /// and recording its neighbour-count moves in lists of its own.
    static constexpr std::size_t RUNS = 8;

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

    /// Renumber the firms once the newborns since the last ordering exceed this fraction of the
    /// firms ordered then (order = rcm only). At 1, the population has doubled since: the
    /// orderings of a run then cost at most about as much again as the first one (their sizes
    /// grow geometrically), whatever its length.
    double reorder_tail = 1.0;

    /// How firms are laid out: reverse Cuthill–McKee by default (canopy-bench reference
    /// --order natural runs REFERENCE.md's numbering for comparison).
    Order order = Order::rcm;

    /// Neighbour counts are 16-bit while every firm's counted neighbours (the total that bounds
    /// each of its counts) are at most this, 32-bit from the first step they could be more.
    /// The default is what 16 bits hold; tests lower it to check that both widths, and the
    /// switch between them, give the same bits.
    std::uint32_t narrow_count_limit = engine::MAX_16_BIT_DEGREE;

    /// Whether decide runs its AVX2 kernel on 16-bit counts where the CPU has AVX2 (elsewhere
    /// the portable loop runs either way). Same bits either way; tests turn
    /// it off to compare the two.
    bool avx2_kernel = true;
};

static_assert(engine::Model<Model>);

} // namespace canopy::models::reference
