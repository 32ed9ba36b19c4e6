// The year's calendar: high-tech certification (applications, batch decisions, lapses of
// refused renewals) and leader selection (README "3. The year's calendar").
#include "ecosystem/detail.hpp"

#include <canopy/engine/normal_table.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

namespace canopy::models::ecosystem::detail {

namespace {

// Who may apply for high-tech certification this year, and the columns it is judged on.
struct EligibilityRules {
    int month, min_age, year_end;
    double rd_min, capability_min;
};
struct Candidates {
    const std::uint8_t* __restrict stage;
    const std::uint8_t* __restrict flags;
    const std::int16_t* __restrict born;
    const std::int16_t* __restrict cert_expiry;
    const float* __restrict capability;
    const float* __restrict rd_intensity;
};

// eligible[j] = 1 if firm j may apply: a first application from an SME old, R&D-intensive and
// capable enough that has not applied, or the renewal of a certificate expiring by the end of the
// year. One branch-free loop of comparisons, which vectorises (the clones: AVX-512, AVX2,
// portable); the caller then lists the eligible firms from the marks.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void
eligible_firms(const Candidates c, const EligibilityRules r, std::size_t count,
               std::uint8_t* __restrict eligible) {
    for (std::size_t j = 0; j < count; ++j) {
        const std::uint8_t st = c.stage[j];
        const bool first = (st == SME) & (r.month - c.born[j] >= r.min_age) &
                           (static_cast<double>(c.rd_intensity[j]) >= r.rd_min) &
                           (static_cast<double>(c.capability[j]) >= r.capability_min) &
                           ((c.flags[j] & APPLIED_NEW) == 0);
        const bool renewal = ((st == HIGH_TECH) | (st == LEADER)) &
                             (c.cert_expiry[j] <= r.year_end) &
                             ((c.flags[j] & APPLIED_RENEWAL) == 0);
        eligible[j] = static_cast<std::uint8_t>(first | renewal);
    }
}

// High-tech applications, in the application month: first applications from eligible SMEs
// (age, R&D intensity, capability) and renewals of certificates expiring by the end of the year.
// `open` says which batches (1, 2, 3) still take them: all of them in the application month; at
// the start of a run that begins after it, the batches still to be decided (an application
// drawn into a batch decided before the start is not pending: its outcome is in the starting
// figures).
void hte_applications(State& s, const StepContext& ctx, int month,
                      std::array<bool, 3> open = {true, true, true}) {
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
    const EligibilityRules rules{month, min_age, year_end, rd_min, capability_min};
    const std::size_t n = s.firms.size();
    const auto step = static_cast<std::uint32_t>(ctx.step);
    ctx.executor->for_chunks(n, Model::CHUNK, [&](std::size_t chunk, std::size_t b, std::size_t e) {
        // The eligible firms first (without a branch per firm), then their random blocks in one
        // vectorised fill, then the draws, in firm order.
        std::vector<std::uint8_t> is_eligible(e - b);
        eligible_firms(Candidates{stage.data() + b, flags.data() + b, born.data() + b,
                                  cert_expiry.data() + b, capability.data() + b,
                                  rd_intensity.data() + b},
                       rules, e - b, is_eligible.data());
        std::vector<std::uint32_t> eligible(e - b);
        std::size_t count = 0;
        for (std::size_t i = b; i < e; ++i) {
            eligible[count] = static_cast<std::uint32_t>(i);
            count += is_eligible[i - b];
        }
        std::vector<std::uint32_t> words(4 * count);
        engine::philox_fill_agents(ctx.key, eligible.data(), step, HTE_APPLY, count, words.data());
        std::int64_t applications = 0;
        for (std::size_t q = 0; q < count; ++q) {
            const std::uint32_t i = eligible[q];
            const bool first = stage[i] == SME; // else a renewal
            if (u01(words[4 * q]) >= (first ? apply_p : renew_p)) {
                continue;
            }
            const double u = u01(words[4 * q + 1]);
            const std::uint8_t k = u < share1 ? 1 : u < share1 + share2 ? 2 : 3;
            if (!open[k - 1U]) {
                continue;
            }
            batch[i] = static_cast<std::uint8_t>((batch[i] & IN_PANEL) | k);
            flags[i] |= first ? APPLIED_NEW : APPLIED_RENEWAL;
            applications += first ? 1 : 0;
        }
        s.tallies[chunk].applications += applications;
    });
}

// A batch decision: pending applications of batch k pass with the pass rate. New certificates
// move SMEs to high-tech; renewals extend the certificate. Either way the application closes.
void hte_batch(State& s, const StepContext& ctx, int month, std::uint8_t k) {
    const auto& stage = s.firms[s.stage];
    auto& flags = s.firms[s.flags];
    auto& batch = s.firms[s.batch];
    auto& cert_expiry = s.firms[s.cert_expiry];
    const double pass_new = par(ctx, param::hte_pass_rate);
    const double pass_renewal = par(ctx, param::hte_renewal_pass_rate);
    const auto validity = static_cast<int>(par(ctx, param::cert_validity_months));
    const auto expiry = static_cast<std::int16_t>(month + validity);
    const std::size_t n = s.firms.size();
    const auto step = static_cast<std::uint32_t>(ctx.step);
    ctx.executor->for_chunks(n, Model::CHUNK, [&](std::size_t chunk, std::size_t b, std::size_t e) {
        // The firms with an application in this batch, then their blocks in one vectorised fill
        // (an exited firm's is not read), then the decisions in firm order.
        // Few firms are in any one batch, so eight batch bytes are tested at once (a word with a
        // zero byte where (byte & BATCH_MASK) == k; the test is exact) and skipped when none is.
        std::vector<std::uint32_t> pending(e - b);
        std::size_t count = 0;
        const auto list = [&](std::size_t from, std::size_t to) {
            for (std::size_t j = from; j < to; ++j) {
                pending[count] = static_cast<std::uint32_t>(j);
                count += static_cast<std::size_t>((batch[j] & BATCH_MASK) == k);
            }
        };
        constexpr std::uint64_t ONES = 0x0101010101010101U;
        constexpr std::uint64_t HIGHS = 0x8080808080808080U;
        const std::uint64_t wanted = ONES * k;
        std::size_t at = b;
        for (; at + 8 <= e; at += 8) {
            std::uint64_t bytes = 0;
            std::memcpy(&bytes, batch.data() + at, sizeof bytes);
            const std::uint64_t x = (bytes & (ONES * BATCH_MASK)) ^ wanted;
            if (((x - ONES) & ~x & HIGHS) == 0) {
                continue;
            }
            list(at, at + 8);
        }
        list(at, e);
        std::vector<std::uint32_t> words(4 * count);
        engine::philox_fill_agents(ctx.key, pending.data(), step, HTE_DECIDE, count, words.data(),
                                   k);
        ChunkTally& t = s.tallies[chunk];
        for (std::size_t q = 0; q < count; ++q) {
            const std::uint32_t i = pending[q];
            batch[i] &= IN_PANEL;
            const std::uint8_t f = flags[i];
            flags[i] = static_cast<std::uint8_t>(f & ~(APPLIED_NEW | APPLIED_RENEWAL));
            const std::uint8_t st = stage[i];
            if (st > LEADER) {
                continue;
            }
            const double u = u01(words[4 * q]);
            if ((f & APPLIED_NEW) != 0 && st == SME) {
                if (u < pass_new) {
                    s.changes[chunk].push_back({i, SME, HIGH_TECH});
                    cert_expiry[i] = expiry;
                    ++t.new_certificates;
                }
            } else if ((f & APPLIED_RENEWAL) != 0 && st >= HIGH_TECH) {
                if (u < pass_renewal) {
                    cert_expiry[i] = expiry;
                    ++t.renewals;
                } else if (cert_expiry[i] <= month) {
                    // Kept while the renewal was pending; refused, the certificate lapses now.
                    s.changes[chunk].push_back({i, st, SME});
                    ++t.lapses;
                }
            }
        }
    });
}

// Leader designation (README "3. The year's calendar"): eligible certified firms (capability at
// or above the bar) apply; experts score each application with noise; those scoring at or above
// the pass score are designated, the best first, at most the quota (ties by id, so the choice is
// deterministic). Returns (applications, designated).
std::pair<std::int64_t, std::int64_t> select_leaders(State& s, const StepContext& ctx) {
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
    // The eligible firms, their blocks in one vectorised fill, then the calls in firm order.
    const std::size_t n = s.firms.size();
    std::vector<std::uint32_t> eligible(n);
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        eligible[count] = static_cast<std::uint32_t>(i);
        count += static_cast<std::size_t>((stage[i] == HIGH_TECH) &
                                          (static_cast<double>(capability[i]) >= bar));
    }
    std::vector<std::uint32_t> words(4 * count);
    engine::philox_fill_agents(ctx.key, eligible.data(), static_cast<std::uint32_t>(ctx.step),
                               LEADER_CALL, count, words.data());
    std::int64_t applications = 0;
    for (std::size_t q = 0; q < count; ++q) {
        const std::uint32_t i = eligible[q];
        const std::uint32_t* w = words.data() + 4 * q;
        if (u01(w[0]) >= apply_p) {
            continue;
        }
        ++applications;
        // Lognormal evaluation noise with mean 1: score = c exp(sd z - sd^2 / 2).
        const double score = static_cast<double>(capability[i]) *
                             std::exp(sd_eval * normal(w[1]) - 0.5 * sd_eval * sd_eval);
        if (score >= pass) {
            s.candidates.push_back(i);
            s.scores.push_back(score);
        }
    }
    const std::size_t chosen = std::min(quota, s.candidates.size());
    s.order.resize(s.candidates.size());
    for (std::uint32_t k = 0; k < s.order.size(); ++k) {
        s.order[k] = k;
    }
    auto better = [&](std::uint32_t a, std::uint32_t b) {
        return s.scores[a] != s.scores[b] ? s.scores[a] > s.scores[b]
                                          : s.candidates[a] < s.candidates[b];
    };
    std::partial_sort(s.order.begin(), s.order.begin() + static_cast<std::ptrdiff_t>(chosen),
                      s.order.end(), better);
    for (std::size_t k = 0; k < chosen; ++k) {
        s.changes[0].push_back({s.candidates[s.order[k]], HIGH_TECH, LEADER});
    }
    return {applications, static_cast<std::int64_t>(chosen)};
}

} // namespace

void run_calendar(State& s, const StepContext& ctx, int month) {
    s.leaders_selected = 0;
    s.leader_applications = 0;
    const std::array<param::Id, 3> batch_months = {param::hte_batch1_month, param::hte_batch2_month,
                                                   param::hte_batch3_month};
    const int application_month = static_cast<int>(par(ctx, param::hte_application_month));
    if (first_step_of_month(ctx, application_month)) {
        const PhaseTimer timer(s.phases.calendar);
        hte_applications(s, ctx, month);
    } else if (ctx.step == 0 && ctx.month().month > application_month) {
        // A run that starts after the application month, with batches of that round still to
        // come: the applications they decide were filed before the start. Without them a run
        // from July granted no certificate and renewed none that year, while certificates
        // lapsed (an outside tester: 9,222 high-tech firms at the end against about 12,300).
        std::array<bool, 3> open{};
        for (std::size_t k = 0; k < 3; ++k) {
            const int m = static_cast<int>(par(ctx, batch_months[k]));
            open[k] = m > application_month && m >= ctx.month().month;
        }
        if (open[0] || open[1] || open[2]) {
            const PhaseTimer timer(s.phases.calendar);
            hte_applications(s, ctx, month, open);
        }
    }
    for (std::uint8_t k = 1; k <= 3; ++k) {
        if (first_step_of_month(ctx, static_cast<int>(par(ctx, batch_months[k - 1U])))) {
            {
                const PhaseTimer timer(s.phases.calendar);
                hte_batch(s, ctx, month, k);
            }
            apply_changes(s, ctx, month);
        }
    }
    if (first_step_of_month(ctx, static_cast<int>(par(ctx, param::leader_selection_month)))) {
        {
            const PhaseTimer timer(s.phases.calendar);
            const auto [applications, designated] = select_leaders(s, ctx);
            s.leader_applications = applications;
            s.leaders_selected = designated;
        }
        apply_changes(s, ctx, month);
    }
}

} // namespace canopy::models::ecosystem::detail
