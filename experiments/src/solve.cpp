// Goal seeking on common random numbers: bisection with a sequential test for one lever, a
// cost-ordered search along the settings that just reach P for several (solve.hpp).
#include <canopy/engine/budget.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/target.hpp>
#include <canopy/experiments/solve.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>

namespace canopy::experiments {

namespace {

// A setting's key: the bits of its levels, so equal levels find the same evaluation.
using Key = std::vector<std::uint64_t>;

Key key_of(const std::vector<double>& levels) {
    Key k(levels.size());
    for (std::size_t i = 0; i < levels.size(); ++i) {
        std::memcpy(&k[i], &levels[i], sizeof(double));
    }
    return k;
}

// Of the numbers in [a, b], the one with the fewest significant digits (a multiple of the
// coarsest power of ten there), the nearest `near` among those (the lower of two as near); NaN
// when none is found (a span a few doubles wide). Depends on a, b and near alone.
double short_decimal(double a, double b, double near) {
    if (!(a < b) || !std::isfinite(a) || !std::isfinite(b)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double largest = std::max(std::abs(a), std::abs(b));
    // From a power of ten above every number in [a, b] (where only 0 is a multiple) down to one
    // narrower than [a, b] (where some multiple always lies), within what a double can hold.
    const int top = std::min(300, static_cast<int>(std::ceil(std::log10(largest))) + 1);
    const int bottom = std::max(-300, static_cast<int>(std::floor(std::log10(b - a))) - 1);
    for (int e = top; e >= bottom; --e) {
        // A multiple m of 10^e as m * 10^e or m / 10^-e: the double nearest the decimal while
        // 10^|e| is exact (|e| <= 22).
        const double scale = std::pow(10.0, std::abs(e));
        const auto in_units = [&](double x) { return e >= 0 ? x / scale : x * scale; };
        const double first = std::ceil(in_units(a));
        const double last = std::floor(in_units(b));
        if (!(first <= last)) {
            continue;
        }
        const double m = std::clamp(std::ceil(in_units(near) - 0.5), first, last);
        const double x = (e >= 0 ? m * scale : m / scale) + 0.0; // + 0.0: 0, not -0
        if (x >= a && x <= b) {
            return x;
        }
    }
    return std::numeric_limits<double>::quiet_NaN();
}

// The level bisection tries between lo and hi: the shortest decimal within an eighth of the
// bracket's width of its midpoint (short_decimal). A planner reads and types 1.5, not
// 1.5125000000000002; each step still keeps at most five eighths of the bracket, so the search
// ends as surely. The midpoint itself when no such decimal lies strictly inside.
double short_midpoint(double lo, double hi) {
    const double mid = lo + (hi - lo) / 2.0;
    const double reach = (hi - lo) / 8.0;
    const double x = short_decimal(mid - reach, mid + reach, mid);
    return x > lo && x < hi ? x : mid;
}

// What is known about one setting: its replicates so far.
struct Record {
    SolveSetting setting;
    std::vector<double> cost_by_year_sum; // summed over replicates
    std::vector<double> lever_cost_sum;   // each lever's, summed over replicates
    std::vector<double> finals;           // the target's indicator, replicate order
    std::vector<double> costs;            // each replicate's total cost, replicate order
    std::vector<bool> attains;            // whether replicate k attained, k = 0, 1, ...
    /// Every target of the scenario: [target][replicate], 1 attained (for other_targets).
    std::vector<std::vector<std::uint8_t>> target_attains;
    double cost_sum = 0.0;
    std::size_t over_cap_replicates = 0;
    bool judged = false;
    bool alone = false; // evaluated by a search of one lever alone (Solver::single)
};

class Solver {
public:
    Solver(const Experiment& experiment, Evaluator& evaluator, const SolveRequest& request,
           const SolveProgress& progress)
        : base_(experiment)
        , evaluator_(evaluator)
        , request_(request)
        , progress_(progress) {
        const engine::Scenario& s = *experiment.scenario;
        const engine::TargetSpec& target = s.targets.at(request.target);
        target_ = target;
        for (const engine::TargetSpec& t : s.targets) {
            std::size_t index = NONE;
            for (std::size_t i = 0; i < s.indicators.size(); ++i) {
                if (s.indicators[i].id == t.indicator) {
                    index = i;
                }
            }
            target_indicators_.push_back(index);
        }
        indicator_ = target_indicators_.at(request.target);
        if (indicator_ == NONE) {
            throw Error("target '" + target.id + "' names no indicator of the scenario");
        }
        base_.factors.clear();
        for (const SolveLever& l : request.levers) {
            base_.factors.push_back(l.target);
            // The lever's level when planners take over: where a search starts from.
            const auto& setting = s.levers.at(static_cast<std::size_t>(l.target.index));
            const double at_start = setting.schedule.at(s.calendar.months_until(s.policy_start));
            reference_.push_back(std::clamp(at_start, l.low, l.high));
            clamped_ = clamped_ || reference_.back() != at_start;
        }
        // The order the searches of several levers take them in: the model's, whatever the
        // order of --lever (an outside reviewer: trimmed from their tops in the flags' order, the
        // same two levers answered 0.525 one way round and 0.55 the other).
        for (std::size_t i = 0; i < request.levers.size(); ++i) {
            order_.push_back(i);
        }
        std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
            return request.levers[a].target.index < request.levers[b].target.index;
        });
        base_.outputs = OutputRequest{};
        base_.outputs.costs = true;
        base_.common_random_numbers = true;
        years_ = engine::budget_years(s.calendar).size();
        first_ = request.first_replicates > 0 ? request.first_replicates
                                              : std::max(20, request.max_replicates / 8);
        first_ = std::min(first_, request.max_replicates);
    }

    SolveResult run() {
        SolveResult out;
        if (request_.levers.size() == 1) {
            out = single(0, reference_);
        } else {
            out = several();
        }
        // Each lever alone is read off every setting the levers' own searches evaluated along
        // its line (the others at their reference levels), whichever lever's search it was: the
        // reference setting itself lies on every lever's line, and the first lever's search is
        // the one that evaluates it. So a lever's closest setting and its fall do not depend on
        // the order of --lever. (A trade of several levers can land on a lever's line too, at a
        // level the lever's own search never tried: it is left out, as a one-lever solve of the
        // lever would not have seen it.)
        //
        // A lever out of reach alone has its closest setting settled here, once every search is
        // done, so that no search met a setting another's answer had re-run. The lines meet
        // only at the scenario's own setting, which is settled first, as a one-lever solve
        // settles it: so each line's records stand as in a one-lever solve of its lever.
        const bool any_short = std::any_of(out.single.begin(), out.single.end(),
                                           [](const SolveResult& s) { return !s.reached; });
        if (any_short || closest_pending_) {
            settle(reference_);
        }
        // With a cap, each such lever's line is searched for the highest level the cap allows
        // (search_cap_boundary) before any closest setting is chosen, so that the combination's
        // closest setting is chosen among them too.
        for (std::size_t i = 0; i < out.single.size(); ++i) {
            SolveResult& s = out.single[i];
            if (!s.reached) {
                settle_out_of_reach(s, i);
            }
        }
        if (closest_pending_) {
            settle_out_of_reach(out, std::nullopt);
        }
        for (std::size_t i = 0; i < out.single.size(); ++i) {
            out.single[i].not_monotone = not_monotone(i);
        }
        out.not_monotone = not_monotone(std::nullopt);
        out.other_targets = other_targets(out.best);
        out.settings = records_.size();
        out.replicates = replicates_;
        return out;
    }

private:
    // Whether a setting lies on lever i's line: every other lever at its reference level, as
    // the search of lever i alone holds them, and evaluated by the levers' own searches. Without
    // a lever, every setting does.
    [[nodiscard]] bool on_line(const Record& r, std::optional<std::size_t> lever) const {
        if (!lever) {
            return true;
        }
        const SolveSetting& s = r.setting;
        if (!r.alone) {
            return false;
        }
        for (std::size_t j = 0; j < s.levels.size(); ++j) {
            if (j != *lever && s.levels[j] != reference_[j]) {
                return false;
            }
        }
        return true;
    }

    // The largest fall of P(attain) as one lever rises, the others equal, among the settings
    // evaluated (on lever `line`'s line only, when given): a fall beyond noise when the two
    // Wilson intervals do not overlap. Reads the records only, so the search and its answer
    // are as they were.
    [[nodiscard]] std::optional<SolveNotMonotone>
    not_monotone(std::optional<std::size_t> line) const {
        std::optional<SolveNotMonotone> worst;
        double worst_fall = 0.0;
        for (const auto& [ka, a] : records_) {
            for (const auto& [kb, b] : records_) {
                const std::vector<double>& x = a.setting.levels;
                const std::vector<double>& y = b.setting.levels;
                if (a.setting.replicates == 0 || b.setting.replicates == 0 ||
                    !(a.setting.p_attain_ci.lo > b.setting.p_attain_ci.hi) || !on_line(a, line) ||
                    !on_line(b, line)) {
                    continue;
                }
                std::size_t differs = 0;
                std::size_t lever = 0;
                for (std::size_t i = 0; i < x.size(); ++i) {
                    if (x[i] != y[i]) {
                        ++differs;
                        lever = i;
                    }
                }
                if (differs != 1 || !(x[lever] < y[lever]) || (line && lever != *line)) {
                    continue;
                }
                const double fall = a.setting.p_attain - b.setting.p_attain;
                if (!worst || fall > worst_fall) {
                    worst = SolveNotMonotone{lever, a.setting, b.setting};
                    worst_fall = fall;
                }
            }
        }
        return worst;
    }

    // Every other target at `best` against the scenario as written (every lever on its own
    // schedule: a reviewer's ramp of lever_sme from 1 to 3 was compared at a flat 1, and the
    // plan looked 41 points worse than it is), on best's replicates: the same streams, as
    // common random numbers give every point.
    std::vector<SolveOtherTarget> other_targets(const SolveSetting& best) {
        std::vector<SolveOtherTarget> out;
        const std::size_t targets = target_indicators_.size();
        if (targets < 2 || best.replicates == 0 || best.levels.empty()) {
            return out;
        }
        // Each searched lever's schedule scaled by 1: the scenario as written, bit for bit.
        Experiment e = base_;
        for (OverrideTarget& f : e.factors) {
            f.mode = OverrideMode::scale;
        }
        e.replicates = static_cast<int>(best.replicates);
        e.first_replicate = 0;
        const Point point{next_index_++, std::vector<double>(e.factors.size(), 1.0)};
        const std::vector<PointResult> results = evaluator_.evaluate(e, std::span(&point, 1));
        const PointResult& written = results.at(0);
        replicates_ += written.replicates;
        const engine::Scenario& sc = *base_.scenario;
        const Record& answer = record(best.levels);
        for (std::size_t t = 0; t < targets; ++t) {
            if (t == request_.target || target_indicators_[t] == NONE) {
                continue;
            }
            std::vector<std::uint8_t> own(best.replicates, 0U);
            for (std::size_t k = 0; k < best.replicates && k < written.replicates; ++k) {
                const double x = written.final_value(target_indicators_[t], k);
                own[k] = !std::isnan(x) && engine::attained(sc.targets[t].comparison, x,
                                                            sc.targets[t].threshold)
                             ? 1U
                             : 0U;
            }
            const std::span<const std::uint8_t> at_answer(answer.target_attains.at(t).data(),
                                                          best.replicates);
            SolveOtherTarget o;
            o.target = t;
            const auto share = [](std::span<const std::uint8_t> v) {
                return static_cast<double>(std::count(v.begin(), v.end(), std::uint8_t{1})) /
                       static_cast<double>(v.size());
            };
            o.p_attain = share(at_answer);
            o.own_p_attain = share(own);
            o.delta = paired_proportion_difference(own, at_answer, request_.confidence);
            out.push_back(o);
        }
        return out;
    }

    // --- evaluation ---------------------------------------------------------------------

    // Adds replicates to a setting up to n, continuing its streams.
    void extend(Record& r, std::size_t n) {
        const std::size_t have = r.setting.replicates;
        if (n <= have) {
            return;
        }
        if (records_.size() > static_cast<std::size_t>(request_.max_settings) && have == 0) {
            throw Error("the search evaluated " + std::to_string(request_.max_settings) +
                        " settings without settling; narrow the levers' ranges or lower the "
                        "precision asked for");
        }
        Experiment e = base_;
        e.replicates = static_cast<int>(n - have);
        e.first_replicate = static_cast<std::uint32_t>(have);
        const Point point{next_index_++, r.setting.levels};
        const std::vector<PointResult> results = evaluator_.evaluate(e, std::span(&point, 1));
        const PointResult& pr = results.at(0);
        replicates_ += pr.replicates;
        r.cost_by_year_sum.resize(years_, 0.0);
        const engine::Budget& budget = base_.scenario->budget;
        for (std::size_t k = 0; k < pr.replicates; ++k) {
            const double v = pr.final_value(indicator_, k);
            if (!std::isnan(v)) {
                r.finals.push_back(v);
            }
            const bool hit =
                !std::isnan(v) && engine::attained(target_.comparison, v, target_.threshold);
            r.attains.push_back(hit);
            const engine::Scenario& sc = *base_.scenario;
            r.target_attains.resize(target_indicators_.size());
            for (std::size_t t = 0; t < target_indicators_.size(); ++t) {
                bool other = false;
                if (target_indicators_[t] != NONE) {
                    const double x = pr.final_value(target_indicators_[t], k);
                    other = !std::isnan(x) &&
                            engine::attained(sc.targets[t].comparison, x, sc.targets[t].threshold);
                }
                r.target_attains[t].push_back(other ? 1U : 0U);
            }
            r.setting.attained += hit ? 1U : 0U;
            double total = 0.0;
            bool over = false;
            for (std::size_t y = 0; y < years_ && y < pr.cost_years; ++y) {
                const double c = pr.costs[k * pr.cost_years + y];
                r.cost_by_year_sum[y] += c;
                total += c;
                over = over || engine::Budget::over(c, budget.cap_per_year);
            }
            r.cost_sum += total;
            r.costs.push_back(total);
            over = over || engine::Budget::over(total, budget.cap_total);
            r.over_cap_replicates += over ? 1U : 0U;
            const std::size_t levers = pr.lever_costs.size() / pr.replicates;
            r.lever_cost_sum.resize(levers, 0.0);
            for (std::size_t l = 0; l < levers; ++l) {
                r.lever_cost_sum[l] += pr.lever_costs[k * levers + l];
            }
        }
        SolveSetting& s = r.setting;
        s.replicates = have + pr.replicates;
        const auto n_d = static_cast<double>(s.replicates);
        s.p_attain = static_cast<double>(s.attained) / n_d;
        s.p_attain_ci = engine::wilson_interval(s.attained, s.replicates, request_.confidence);
        s.cost = r.cost_sum / n_d;
        s.lever_costs.clear();
        for (const double c : r.lever_cost_sum) {
            s.lever_costs.push_back(c / n_d);
        }
        const std::vector<double> ps{0.05, 0.5, 0.95};
        std::vector<double> qs(3, std::numeric_limits<double>::quiet_NaN());
        if (!r.finals.empty()) {
            engine::quantiles(r.finals, ps, qs);
        }
        s.q05 = qs[0];
        s.median = qs[1];
        s.q95 = qs[2];
        bool over_mean = engine::Budget::over(s.cost, budget.cap_total);
        for (const double y : r.cost_by_year_sum) {
            over_mean = over_mean || engine::Budget::over(y / n_d, budget.cap_per_year);
        }
        s.over_cap = over_mean;
    }

    Record& record(const std::vector<double>& levels) {
        auto [it, fresh] = records_.try_emplace(key_of(levels));
        if (fresh) {
            it->second.setting.levels = levels;
        }
        it->second.alone = it->second.alone || searching_alone_;
        return it->second;
    }

    // Whether a setting reaches P: the sequential test (solve.hpp).
    const SolveSetting& judge(const std::vector<double>& levels) {
        Record& r = record(levels);
        if (r.judged) {
            return r.setting;
        }
        const auto max = static_cast<std::size_t>(request_.max_replicates);
        extend(r, static_cast<std::size_t>(first_));
        for (;;) {
            const SolveSetting& s = r.setting;
            if (s.p_attain_ci.lo >= request_.probability) {
                r.setting.reaches = true;
                break;
            }
            if (s.p_attain_ci.hi < request_.probability) {
                r.setting.reaches = false;
                break;
            }
            if (s.replicates >= max) {
                r.setting.reaches = meets(s);
                break;
            }
            extend(r, std::min(max, 2 * s.replicates));
        }
        r.judged = true;
        if (progress_) {
            progress_(r.setting);
        }
        return r.setting;
    }

    // Whether a setting on all its replicates reaches P: its estimate does, or with `assured`
    // the lower end of its interval does.
    [[nodiscard]] bool meets(const SolveSetting& s) const {
        return request_.assured ? s.p_attain_ci.lo >= request_.probability
                                : s.p_attain >= request_.probability;
    }

    [[nodiscard]] bool admissible(const SolveSetting& s) const {
        return s.reaches && (!request_.within_budget_cap || !s.over_cap);
    }

    // How near `attained` of n comes to what was asked, as meets() judges it: the estimate, or
    // with `assured` the interval's lower end, counted up to P only.
    [[nodiscard]] double nearness(std::size_t attained, std::size_t n) const {
        const double x = request_.assured
                             ? engine::wilson_interval(attained, n, request_.confidence).lo
                             : static_cast<double>(attained) / static_cast<double>(n);
        return std::min(x, request_.probability);
    }

    // Whether a ranks before b as the closest setting: nearer P (nearness), then lower cost, then
    // lower levels. Counted up to P only: of settings that reach P (over a cap none of them
    // escapes), the cheapest is the closest to what was asked, not the one that overshoots most
    // (an outside tester's 68 % at 2.75 against 50 % asked, where 1.86 reached it for the same
    // cost); and with `assured`, by the lower end (a setting whose estimate alone reaches P is
    // not as near as one whose lower end does). Fair only between settings on the same
    // replicates.
    [[nodiscard]] bool closer(const SolveSetting& a, const SolveSetting& b) const {
        const double pa = nearness(a.attained, a.replicates);
        const double pb = nearness(b.attained, b.replicates);
        if (pa != pb) {
            return pa > pb;
        }
        if (a.cost != b.cost) {
            return a.cost < b.cost;
        }
        return a.levels < b.levels;
    }

    // Whether the closest setting is sought within the cap (on lever `line`'s line only, when
    // given): asked for, and some setting evaluated there is within it. When none is, every
    // setting counts, and the result says so (SolveResult::none_within_cap).
    [[nodiscard]] bool within_cap(std::optional<std::size_t> line) const {
        if (!request_.within_budget_cap) {
            return false;
        }
        return std::any_of(records_.begin(), records_.end(), [&](const auto& entry) {
            const Record& r = entry.second;
            return r.setting.replicates > 0 && on_line(r, line) && !r.setting.over_cap;
        });
    }

    // The settings a closest setting is chosen from (on lever `line`'s line only, when given):
    // those evaluated, within the cap when within_cap().
    [[nodiscard]] std::vector<const Record*> candidates(std::optional<std::size_t> line) const {
        const bool cap = within_cap(line);
        std::vector<const Record*> out;
        for (const auto& [k, r] : records_) {
            if (r.setting.replicates > 0 && on_line(r, line) && (!cap || !r.setting.over_cap)) {
                out.push_back(&r);
            }
        }
        return out;
    }

    // The best setting evaluated for an out-of-reach report as the records stand (closer),
    // whatever their replicates: a placeholder until settled_closest() settles it.
    [[nodiscard]] std::optional<SolveSetting> closest(std::optional<std::size_t> line) const {
        const SolveSetting* best = nullptr;
        for (const Record* r : candidates(line)) {
            if (best == nullptr || closer(r->setting, *best)) {
                best = &r->setting;
            }
        }
        return best != nullptr ? std::optional<SolveSetting>(*best) : std::nullopt;
    }

    // The closest setting, compared on the same replicates and reported on all --replicates, as
    // an answer that reaches P is: the best of the settings on the full sample, once every other
    // candidate has either been re-run on it or fallen short of that best on the very
    // replicates it has (common random numbers: the same seed, the first n replicates of each).
    // Ranked as they stood, a setting judged on 20 replicates was compared with one on 100: a
    // level whose first 20 attained 25 % (the best's first 20: 20 %) lost to the best's 30 % on
    // 100, though all 100 gave it 43 %. Candidates are re-run best first by their own figures.
    // Ends: each round completes one setting.
    std::optional<SolveSetting> settled_closest(std::optional<std::size_t> line) {
        const auto max = static_cast<std::size_t>(request_.max_replicates);
        for (;;) {
            const std::vector<const Record*> pool = candidates(line);
            const Record* best = nullptr;
            for (const Record* r : pool) {
                if (r->setting.replicates >= max &&
                    (best == nullptr || closer(r->setting, best->setting))) {
                    best = r;
                }
            }
            const Record* next = nullptr;
            for (const Record* r : pool) {
                const std::size_t n = r->setting.replicates;
                if (n >= max || (next != nullptr && !closer(r->setting, next->setting))) {
                    continue;
                }
                // The best on r's replicates: r may beat it only if it is as near P there (then
                // the cost decides) or nearer.
                if (best != nullptr &&
                    nearness(static_cast<std::size_t>(std::count(
                                 best->attains.begin(),
                                 best->attains.begin() + static_cast<std::ptrdiff_t>(n), true)),
                             n) > nearness(r->setting.attained, n)) {
                    continue;
                }
                next = r;
            }
            if (next == nullptr) {
                return best != nullptr ? std::optional<SolveSetting>(best->setting) : std::nullopt;
            }
            const std::vector<double> levels = next->setting.levels;
            settle(levels);
        }
    }

    // The cheapest setting (on lever `line`'s line only, when given) whose estimate on all the
    // replicates reaches P but whose mean cost is over a cap: what the cap alone rules out.
    [[nodiscard]] std::optional<SolveSetting>
    cheapest_over_cap(std::optional<std::size_t> line) const {
        const auto max = static_cast<std::size_t>(request_.max_replicates);
        const SolveSetting* best = nullptr;
        for (const auto& [k, r] : records_) {
            const SolveSetting& s = r.setting;
            if (s.replicates >= max && s.over_cap && meets(s) && on_line(r, line) &&
                (best == nullptr || s.cost < best->cost ||
                 (s.cost == best->cost && s.levels < best->levels))) {
                best = &s;
            }
        }
        return best != nullptr ? std::optional<SolveSetting>(*best) : std::nullopt;
    }

    // Along lever i's line (the others at their reference levels), the highest level whose mean
    // cost on all the replicates is within the cap, to the precision asked: bisection between
    // the highest level known within it and the lowest known over it, each level settled on the
    // full sample (the cap is judged on the mean cost, which a first batch only estimates). The
    // lever is taken to cost more as it rises. With P(attain) rising with the lever, the
    // closest setting within the cap is there, and the search for P need not have gone near it:
    // a lever whose answer was over the cap was searched only around that answer.
    void search_cap_boundary(std::size_t i) {
        const SolveLever& l = request_.levers[i];
        const auto max = static_cast<std::size_t>(request_.max_replicates);
        const auto with = [&](double level) {
            std::vector<double> levels = reference_;
            levels[i] = level;
            return levels;
        };
        std::optional<double> over;
        for (const auto& [k, r] : records_) {
            if (r.setting.replicates >= max && r.setting.over_cap && on_line(r, i)) {
                over = std::min(over.value_or(r.setting.levels[i]), r.setting.levels[i]);
            }
        }
        if (!over) {
            if (!settle(with(l.high)).over_cap) {
                return; // the whole range is within the cap
            }
            over = l.high;
        }
        std::optional<double> within;
        for (const auto& [k, r] : records_) {
            const double x = r.setting.levels[i];
            if (r.setting.replicates >= max && !r.setting.over_cap && on_line(r, i) && x < *over) {
                within = std::max(within.value_or(x), x);
            }
        }
        if (!within) {
            if (*over <= l.low || settle(with(l.low)).over_cap) {
                return; // no level of the range is within the cap
            }
            within = l.low;
        }
        double lo = *within;
        double hi = *over;
        for (int k = 0; k < 200 && hi - lo > width_wanted(i, lo); ++k) {
            const double mid = short_midpoint(lo, hi);
            if (mid <= lo || mid >= hi) {
                break;
            }
            (settle(with(mid)).over_cap ? hi : lo) = mid;
        }
    }

    // An out-of-reach result's closest setting and what the cap says of it (SolveResult), on
    // lever `line`'s line when given. With a cap, the line's boundary is searched first.
    void settle_out_of_reach(SolveResult& out, std::optional<std::size_t> line) {
        if (request_.within_budget_cap && line) {
            const bool alone = searching_alone_;
            searching_alone_ = true; // the line's own settings, as its search's
            search_cap_boundary(*line);
            searching_alone_ = alone;
        }
        if (const std::optional<SolveSetting> c = settled_closest(line)) {
            out.best = *c;
        }
        if (request_.within_budget_cap) {
            out.over_cap_answer = cheapest_over_cap(line);
            out.none_within_cap = !within_cap(line);
            if (out.none_within_cap) {
                out.own = settle(reference_);
                out.own_clamped = clamped_;
            }
        }
    }

    // A setting on the full sample: its figures for an answer, and its verdict the full
    // sample's from now on (that of the sequential test confirmed or overturned). The log shows
    // the setting again when the full sample added replicates.
    SolveSetting settle(const std::vector<double>& levels) {
        Record& r = record(levels);
        const std::size_t had = r.setting.replicates;
        extend(r, static_cast<std::size_t>(request_.max_replicates));
        r.setting.reaches = meets(r.setting);
        r.judged = true;
        if (progress_ && r.setting.replicates != had) {
            progress_(r.setting);
        }
        return r.setting;
    }

    // --- one lever ----------------------------------------------------------------------

    [[nodiscard]] double width_wanted(std::size_t i, double level) const {
        const SolveLever& l = request_.levers[i];
        return std::max(
            {l.tolerance, request_.precision * std::abs(level), (l.high - l.low) * 1e-9});
    }

    // What a search along one lever found: `answer`, the smallest level judged to reach P (none
    // when even the range's top does not), and `below`, the level judged short just under it
    // (the range's top when there is no answer; none when the answer is the range's bottom).
    // The two bracket the answer, each on a verdict of the sequential test.
    struct Bracket {
        std::optional<double> answer;
        std::optional<double> below;
    };

    // The smallest level of lever i reaching P with the other levels as in `levels`, searched
    // from `guess` outwards (doubling steps) and then by bisection (short_midpoint).
    Bracket smallest(std::size_t i, std::vector<double> levels, double guess) {
        const SolveLever& l = request_.levers[i];
        const auto at = [&](double x) -> const SolveSetting& {
            levels[i] = x;
            return judge(levels);
        };
        guess = std::clamp(guess, l.low, l.high);
        double step = std::max(0.25 * std::abs(guess), (l.high - l.low) * 1e-3);
        // A step's level as a planner reads it: the shortest decimal within an eighth of the step
        // of x, kept strictly beyond `from` and within [low, high] (1.1 + 0.275 read
        // 1.3750000000000002 in the log; a lever at 5.7 was tried as 5.699999999999999).
        const auto short_step = [&](double x, double from) {
            const double d =
                short_decimal(std::max(l.low, x - step / 8.0), std::min(l.high, x + step / 8.0), x);
            return d >= l.low && d <= l.high && (from < x ? d > from : d < from) ? d : x;
        };
        double lo = l.low;
        double hi = l.high;
        if (at(guess).reaches) {
            hi = guess;
            for (;;) { // downwards until a level does not reach P
                if (hi <= l.low) {
                    return {l.low, std::nullopt};
                }
                const double x = hi - step <= l.low ? l.low : short_step(hi - step, hi);
                if (!at(x).reaches) {
                    lo = x;
                    break;
                }
                hi = x;
                step *= 2.0;
            }
        } else {
            lo = guess;
            for (;;) { // upwards until a level reaches P
                if (lo >= l.high) {
                    return {std::nullopt, lo};
                }
                const double x = lo + step >= l.high ? l.high : short_step(lo + step, lo);
                if (at(x).reaches) {
                    hi = x;
                    break;
                }
                lo = x;
                step *= 2.0;
            }
        }
        for (int k = 0; k < 200 && hi - lo > width_wanted(i, hi); ++k) {
            const double mid = short_midpoint(lo, hi);
            if (mid <= lo || mid >= hi) {
                break; // the doubles between them are exhausted
            }
            (at(mid).reaches ? hi : lo) = mid;
        }
        return {hi, lo};
    }

    // Whether a setting reaches P on the full sample (settle).
    bool confirm(const std::vector<double>& levels) { return settle(levels).reaches; }

    // The first batches misled the search: from here on every level is judged on the full
    // sample (those judged before on fewer replicates again, continuing their streams), so what
    // the search finds next is what the full samples say. A level already on the full sample
    // keeps its verdict, which is the full sample's (there the interval's side and the estimate's
    // agree), and is not listed in the log a second time.
    void judge_on_full_samples() {
        first_ = request_.max_replicates;
        const auto max = static_cast<std::size_t>(request_.max_replicates);
        for (auto& entry : records_) {
            entry.second.judged = entry.second.setting.replicates >= max;
        }
    }

    // Both verdicts that bracket the answer are confirmed on the full sample, as the answer is
    // reported on it: with common random numbers every level's first batch is the same
    // replicates, so one unlucky (or lucky) batch misjudges every level near the answer alike.
    // An answer that falls short on the full sample sends the search above it; a level below it
    // (or the range's top, for "out of reach") that reaches P on the full sample sends it below.
    // Either way the search goes on judging every level on full samples, so the bracket it
    // ends with is one the full samples agree with: the answer is the smallest level whose
    // estimate on all the replicates reaches P, to the precision asked (P(attain) taken to
    // rise with the lever).
    SolveResult single(std::size_t i, const std::vector<double>& others) {
        searching_alone_ = true;
        SolveResult out;
        Bracket b = smallest(i, others, others[i]);
        const auto with = [&](double level) {
            std::vector<double> levels = others;
            levels[i] = level;
            return levels;
        };
        bool confirmed = false;
        for (int round = 0; round < MAX_CONFIRMATIONS; ++round) {
            std::optional<double> restart;
            if (b.answer && !confirm(with(*b.answer))) {
                restart = b.answer;
            } else if (b.below && confirm(with(*b.below))) {
                restart = b.below;
            }
            if (!restart) {
                confirmed = true;
                break;
            }
            judge_on_full_samples();
            b = smallest(i, others, *restart);
        }
        if (confirmed && b.answer) {
            out.best = settle(with(*b.answer));
            out.reached = !request_.within_budget_cap || !out.best.over_cap;
        }
        if (!out.reached) {
            // With several levers, run() settles it once every lever's search is done.
            const std::optional<SolveSetting> c = closest(i);
            out.best = c ? *c : judge(with(request_.levers[i].high));
            if (request_.levers.size() == 1) {
                settle(reference_); // as run() does with several levers
                settle_out_of_reach(out, i);
            }
        }
        searching_alone_ = false;
        return out;
    }

    // --- several levers -----------------------------------------------------------------

    // Whether `to` costs less than `from` beyond the Monte Carlo error: the paired interval of
    // the mean cost's change, on the replicates both have (common random numbers: replicate k of
    // each ran on the same streams), lies wholly below 0. A tester's answer cut a lever to a
    // quarter for a saving of 0.005 % of the cost, which another seed would have reversed.
    bool saves_beyond_noise(const std::vector<double>& from, const std::vector<double>& to) {
        const std::vector<double>& a = record(from).costs;
        const std::vector<double>& b = record(to).costs;
        const std::size_t n = std::min(a.size(), b.size());
        if (n == 0) {
            return false;
        }
        const PairedDifference d = paired_mean_difference(
            std::span(a.data(), n), std::span(b.data(), n), request_.confidence);
        return d.ci.hi < 0.0;
    }

    SolveResult several() {
        const std::size_t n = request_.levers.size();
        SolveResult out;
        std::optional<SolveSetting> current;
        out.single.resize(n);
        for (const std::size_t i : order_) {
            out.single[i] = single(i, reference_);
            const SolveResult& s = out.single[i];
            if (s.reached && (!current || s.best.cost < current->cost)) {
                current = s.best;
            }
        }
        const std::optional<SolveSetting> confirmed = current; // each on the full sample
        if (!current) {
            // No lever alone: every lever at its top, then each trimmed to what P needs.
            std::vector<double> top;
            for (const SolveLever& l : request_.levers) {
                top.push_back(l.high);
            }
            // A "short" here would end the search, so it is confirmed on the full sample, as
            // each lever's own search confirms its range's top.
            if (!judge(top).reaches && confirm(top)) {
                judge_on_full_samples();
            }
            // Over the cap at the top is no verdict: trimmed, the levers may come within it (a
            // free lever making up for a priced one), so only a top short of P ends the search
            // here. The trimmed setting, and the trades from it, are judged with the cap.
            const SolveSetting& s = judge(top);
            if (!s.reaches) {
                out.reached = false;
                const std::optional<SolveSetting> c = closest(std::nullopt);
                closest_pending_ = true; // settled by run(), after each lever's own
                out.best = c ? *c : s;
                return out;
            }
            std::vector<double> x = top;
            for (const std::size_t i : order_) {
                if (const auto level = smallest(i, x, x[i]).answer) {
                    x[i] = *level;
                }
            }
            current = judge(x);
        }
        // Trade: lower lever j by a fraction f of what it has above its floor, let lever i make
        // up for it, keep the move when the mean cost falls.
        std::vector<double> x = current->levels;
        double cost = current->cost;
        for (double f = 1.0; f >= trade_resolution(request_.precision); f /= 2.0) {
            bool moved = true;
            while (moved) {
                moved = false;
                for (std::size_t jj = 0; jj < n && !moved; ++jj) {
                    const std::size_t j = order_[jj];
                    const SolveLever& lj = request_.levers[j];
                    // All the way down to the floor, else the shortest decimal within an
                    // eighth of the step of x[j] - f (x[j] - floor), as bisection's levels.
                    const double by = f * (x[j] - lj.low);
                    double lowered = f >= 1.0 ? lj.low : x[j] - by;
                    if (const double d = short_decimal(std::max(lj.low, lowered - by / 8.0),
                                                       lowered + by / 8.0, lowered);
                        f < 1.0 && d >= lj.low && d < x[j]) {
                        lowered = d;
                    }
                    if (x[j] - lowered <= width_wanted(j, x[j])) {
                        continue;
                    }
                    for (std::size_t ii = 0; ii < n && !moved; ++ii) {
                        const std::size_t i = order_[ii];
                        if (i == j) {
                            continue;
                        }
                        std::vector<double> y = x;
                        y[j] = lowered;
                        const auto level = smallest(i, y, y[i]).answer;
                        if (!level) {
                            continue;
                        }
                        y[i] = *level;
                        // A move is kept only once the full sample confirms it: a lucky first
                        // batch taken as the search's end point made the full sample disown it,
                        // and every trade made before it was lost with it (the single-lever
                        // answer stood).
                        const auto cheaper = [&](const SolveSetting& s) {
                            return admissible(s) && s.cost < cost - 1e-12 * std::abs(cost);
                        };
                        if (!cheaper(judge(y))) {
                            continue;
                        }
                        if (const SolveSetting full = settle(y); cheaper(full)) {
                            if (!saves_beyond_noise(x, y)) {
                                ++out.trades_within_noise;
                                continue;
                            }
                            x = y;
                            cost = full.cost;
                            moved = true;
                        }
                    }
                }
            }
        }
        out.best = settle(x);
        if (!meets(out.best)) {
            // The full sample disowns the end point (only the no-single-lever start, every
            // lever trimmed from its top, is not confirmed before here): fall back to the
            // cheapest answer that a full sample confirmed.
            if (confirmed) {
                out.best = *confirmed;
            } else {
                out.reached = false;
                const std::optional<SolveSetting> c = closest(std::nullopt);
                closest_pending_ = true; // settled by run(), after each lever's own
                out.best = c ? *c : out.best;
                return out;
            }
        }
        out.reached = !request_.within_budget_cap || !out.best.over_cap;
        // Over the cap on all the replicates (the start trimmed from the levers' tops was judged
        // within it on fewer): out of reach, its closest setting settled by run().
        closest_pending_ = closest_pending_ || !out.reached;
        return out;
    }

    Experiment base_;
    Evaluator& evaluator_;
    const SolveRequest& request_;
    const SolveProgress& progress_;
    engine::TargetSpec target_;
    static constexpr std::size_t NONE = static_cast<std::size_t>(-1);
    std::size_t indicator_ = NONE;
    std::vector<double> reference_;
    bool clamped_ = false; // a lever's own level lies outside its searched range
    std::vector<std::size_t> target_indicators_; // each scenario target's indicator (NONE: none)
    std::vector<std::size_t> order_;             // the levers' indices in the model's order
    std::size_t years_ = 0;
    int first_ = 20;
    bool searching_alone_ = false; // within single(): what it evaluates is a lever's own
    static constexpr int MAX_CONFIRMATIONS = 8;
    std::map<Key, Record> records_;
    std::uint64_t next_index_ = 0;
    std::size_t replicates_ = 0;
    bool closest_pending_ = false; // several(): out of reach, its closest setting for run()
};

} // namespace

double trade_resolution(double precision) {
    const double least = std::max(precision * 4.0, 1.0 / 64.0);
    double f = 1.0;
    while (f / 2.0 >= least) {
        f /= 2.0;
    }
    return f;
}

int assured_replicates_needed(double probability, double confidence) {
    if (!(probability > 0.0 && probability < 1.0) || !(confidence > 0.0 && confidence < 1.0)) {
        throw Error("solve: the probability and the confidence must be in (0, 1)");
    }
    // n / (n + z^2) >= P from n >= P z^2 / (1 - P); then the interval itself decides, a few
    // counts either side, so the answer agrees with the verdicts to the last bit.
    const double z = engine::normal_quantile(0.5 + 0.5 * confidence);
    const double guess = std::floor(probability * z * z / (1.0 - probability));
    constexpr double MOST = 2147483647.0;
    if (!(guess < MOST - 8.0)) {
        throw Error(fmt::format(
            "solve: no practical number of replicates can assure P(attain) >= {}", probability));
    }
    const auto passes = [&](std::size_t n) {
        return engine::wilson_interval(n, n, confidence).lo >= probability;
    };
    auto n = static_cast<std::size_t>(std::max(1.0, guess - 4.0));
    while (n > 1 && passes(n - 1)) {
        --n;
    }
    while (!passes(n)) {
        ++n;
    }
    return static_cast<int>(n);
}

SolveResult solve(const Experiment& experiment, Evaluator& evaluator, const SolveRequest& request,
                  const SolveProgress& progress) {
    if (!experiment.scenario || experiment.model == nullptr) {
        throw Error("solve: the experiment has no scenario or model");
    }
    if (request.levers.empty()) {
        throw Error("solve: no lever to search");
    }
    if (request.target >= experiment.scenario->targets.size()) {
        throw Error("solve: target " + std::to_string(request.target) + " out of range");
    }
    if (!(request.probability > 0.0 && request.probability < 1.0)) {
        throw Error(fmt::format("solve: the probability must be above 0 and below 1, got {}",
                                request.probability));
    }
    if (request.max_replicates < 1 || !(request.precision > 0.0)) {
        throw Error("solve: replicates and precision must be positive");
    }
    if (request.assured && request.max_replicates <
                               assured_replicates_needed(request.probability, request.confidence)) {
        throw Error(
            fmt::format("solve: {} replicates cannot assure P(attain) >= {}; give {} or more",
                        request.max_replicates, request.probability,
                        assured_replicates_needed(request.probability, request.confidence)));
    }
    for (const SolveLever& l : request.levers) {
        if (l.target.kind != TargetKind::lever || !(l.low <= l.high)) {
            throw Error("solve: '" + l.target.name + "' is not a lever with a range");
        }
    }
    Solver solver(experiment, evaluator, request, progress);
    return solver.run();
}

} // namespace canopy::experiments
